"""KAM portfolio matrix (McDonald & Woodburn) and the key vs non-key comparison.

Attractiveness and relationship strength are each a weighted sum of factors
scored 0-10. Nothing is invented from absence:

- a factor with no data for any account (no wallet estimates, no strategic value) is left out and
  the other weights on its axis are scaled up;
- a factor with data for some accounts scores the others at the mid-point 5 (unknown, not bad);
- an account with no mapped stakeholders has no sentiment and no coverage: when the strength
  weights use either, its relationship strength is not assessed (NaN, quadrant "Not assessed"),
  not scored low. ``strength_derived`` still places it on the strength factors that have data
  (tenure, share of wallet), for the matrix to draw it marked as such.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..periods import parse_quarter
from .metrics import KEY_ROLES, account_summary, ratio
from .selection import rank_score

QUADRANTS = {
    "Strategic": "Invest mindshare and ensure profitability",
    "Star": "Invest time and money; need not be profitable yet",
    "Status": "Maintain the status quo",
    "Streamline": "Manage for profitability",
}
#: The quadrant of an account whose relationship strength is not assessed (no stakeholders mapped).
NOT_ASSESSED = "Not assessed"
NOT_ASSESSED_STRATEGY = "Relationship not assessed — no stakeholders mapped: map them to place the account"
STAKEHOLDER_FACTORS = ("stakeholder_sentiment", "stakeholder_coverage")


def stakeholder_factors(stakeholders: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """Sentiment (influence-weighted, -2..2 mapped to 0-10) and key-role coverage (0-10); NaN for an
    account with no mapped stakeholder (no data, not a weak relationship)."""
    sh = stakeholders.assign(influence=stakeholders["influence"].astype("float64"),
                             sentiment=stakeholders["sentiment"].astype("float64"))
    weighted = (sh["sentiment"] * sh["influence"]).groupby(sh["account_id"]).sum()
    weights = sh.groupby("account_id")["influence"].sum()
    mean_sentiment = ratio(weighted, weights)
    covered = sh[sh["role"].isin(KEY_ROLES)].groupby("account_id")["role"].nunique()
    mapped = pd.Series(index.isin(sh["account_id"]), index=index)
    return pd.DataFrame({
        "stakeholder_sentiment": ((mean_sentiment + 2) / 4 * 10).reindex(index),
        "stakeholder_coverage": (covered / len(KEY_ROLES) * 10).reindex(index).fillna(0.0).where(mapped),
    })


def matrix_factors(summary: pd.DataFrame, stakeholders: pd.DataFrame) -> pd.DataFrame:
    """Every KAM-matrix factor scored 0-10 per account; NaN where the account has no data for it."""
    factors = pd.DataFrame(index=summary.index)
    factors["revenue_potential"] = rank_score(summary["whitespace_value"], 0, 10)
    factors["growth"] = rank_score(summary["t4q_growth"], 0, 10)
    factors["gross_margin"] = rank_score(summary["gross_margin_pct"], 0, 10)
    factors["revenue_volume"] = rank_score(summary["revenue_t4q"], 0, 10)
    strategic = summary["strategic_value"] if "strategic_value" in summary else pd.Series(np.nan, index=summary.index)
    factors["strategic_value"] = strategic.astype("float64")
    factors["share_of_wallet"] = summary["share_of_wallet"].clip(0, 1) * 10
    factors["customer_tenure"] = rank_score(summary["tenure_years"], 0, 10)
    return factors.join(stakeholder_factors(stakeholders, summary.index))


def matrix_factor_gaps(factors: pd.DataFrame, attractiveness: dict[str, float],
                       strength: dict[str, float]) -> pd.DataFrame:
    """Per factor of either axis (with a weight): how many accounts have data for it and whether it is
    ``"left out"`` (no data for any account; the axis's other weights are scaled up), ``"partly
    scored"`` (the others at the mid-point 5) or ``"scored"``. The stakeholder factors are never left
    out: an account without stakeholders is "not assessed" instead (see the module doc).
    Columns: axis, factor, weight, weight_used, with_data, without_data, status."""
    rows = []
    for axis, weights in (("attractiveness", attractiveness), ("strength", strength)):
        used = _used_weights(factors, weights)
        for name, weight in weights.items():
            n = int(factors[name].notna().sum())
            status = ("left out" if n == 0 and name not in STAKEHOLDER_FACTORS
                      else "partly scored" if n < len(factors) else "scored")
            rows.append({"axis": axis, "factor": name, "weight": float(weight),
                         "weight_used": float(used.get(name, 0.0)) * 100 / used.sum() if used.sum() > 0 else np.nan,
                         "with_data": n, "without_data": len(factors) - n, "status": status})
    return pd.DataFrame(rows, columns=["axis", "factor", "weight", "weight_used", "with_data", "without_data",
                                       "status"])


def _used_weights(factors: pd.DataFrame, weights: dict[str, float]) -> pd.Series:
    """The weights of the factors with data for at least one account (stakeholder factors always kept)."""
    w = pd.Series(weights, dtype="float64")
    keep = [name for name in w.index if name in STAKEHOLDER_FACTORS or factors[name].notna().any()]
    return w[keep]


def _weighted(factors: pd.DataFrame, weights: pd.Series) -> pd.Series:
    """Weighted mean of ``factors`` (missing ones at the mid-point 5); NaN without any weight."""
    if weights.sum() <= 0:
        return pd.Series(np.nan, index=factors.index)
    return factors[list(weights.index)].fillna(5.0).mul(weights, axis=1).sum(axis=1) / weights.sum()


def kam_matrix(summary: pd.DataFrame, stakeholders: pd.DataFrame, attractiveness: dict[str, float],
               strength: dict[str, float], split: float = 5.0) -> pd.DataFrame:
    """Attractiveness, relationship strength (0-10), quadrant and its strategy per account.

    Where the accounts table gives an analyst's ``relative_strength`` (0-10, relative to the best
    competitor) it is the account's strength, and ``strength_basis`` says "analyst". Otherwise the
    strength is derived from the data ("derived"), unless the strength weights use a stakeholder
    factor and the account has no stakeholder mapped: then it is not assessed (NaN, basis "not
    assessed", quadrant :data:`NOT_ASSESSED`). ``strength_derived`` is the data's figure, for such an
    account from the strength factors other than the stakeholders' (NaN when none has data).
    """
    factors = matrix_factors(summary, stakeholders)
    attract = _weighted(factors, _used_weights(factors, attractiveness))
    used = _used_weights(factors, strength)
    mapped = pd.Series(summary.index.isin(stakeholders["account_id"]), index=summary.index)
    needs_people = bool(any(used.get(f, 0) > 0 for f in STAKEHOLDER_FACTORS))
    without_people = used.drop([f for f in STAKEHOLDER_FACTORS if f in used.index])
    if needs_people:
        others = [f for f in without_people.index if factors[f].notna().any()]
        placed = _weighted(factors, without_people[others]) if others else pd.Series(np.nan, index=summary.index)
        derived = _weighted(factors, used).where(mapped, placed)
    else:
        derived = _weighted(factors, used)
    assessed = mapped | (not needs_people)
    analyst = summary["relative_strength"].astype("float64").clip(0, 10) if "relative_strength" in summary \
        else pd.Series(np.nan, index=summary.index)
    own = derived.where(assessed)
    out = pd.DataFrame({"attractiveness": attract, "strength": analyst.fillna(own),
                        "strength_basis": np.where(analyst.notna(), "analyst",
                                                   np.where(assessed, "derived", "not assessed")),
                        "strength_derived": derived})
    high_a = out["attractiveness"] >= split
    high_s = out["strength"] >= split
    known = out["attractiveness"].notna() & out["strength"].notna()
    out["quadrant"] = np.select([~known, high_a & high_s, high_a & ~high_s, ~high_a & high_s],
                                [NOT_ASSESSED, "Strategic", "Star", "Status"], default="Streamline")
    out["strategy"] = out["quadrant"].map(QUADRANTS).fillna(NOT_ASSESSED_STRATEGY)
    return out


def key_vs_rest(summary: pd.DataFrame) -> pd.DataFrame:
    """Aggregate figures for key accounts, the other accounts and all; columns are the groups.

    Rates are ratios of sums (a portfolio's growth is its total growth), not
    averages of account rates, so one small account cannot swing them.
    """
    groups = {"Key accounts": summary[summary["is_key"]], "Other accounts": summary[~summary["is_key"]],
              "All accounts": summary}
    total_revenue = summary["revenue_t4q"].sum()
    rows = {}
    for label, g in groups.items():
        with_target = g[g["target_q"].notna()]
        rows[label] = {
            "Accounts": len(g),
            "Revenue, trailing 4 quarters": g["revenue_t4q"].sum(),
            "Share of revenue": ratio(g["revenue_t4q"].sum(), total_revenue),
            "Revenue per account": ratio(g["revenue_t4q"].sum(), len(g)),
            "Growth vs prior 4 quarters": ratio(g["revenue_t4q"].sum(), g["revenue_prior_t4q"].sum()) - 1,
            "Gross margin": ratio(g["gross_margin_t4q"].sum(), g["revenue_t4q"].sum()),
            "Target attainment (quarter)": ratio(with_target["revenue_q"].sum(), with_target["target_q"].sum()),
            "Average NPS score (0-10)": g["nps_avg"].mean(),
            "Cost to serve, trailing 4 quarters": g["kam_cost_t4q"].sum(),
            "Cost to serve / revenue": ratio(g["kam_cost_t4q"].sum(), g["revenue_t4q"].sum()),
        }
    return pd.DataFrame(rows)


def matrix_for_quarter(dataset: Dataset, quarter: str, attractiveness: dict[str, float],
                       strength: dict[str, float], split: float = 5.0) -> pd.DataFrame:
    """:func:`account_summary` joined with :func:`kam_matrix` for ``quarter`` (any quarter, e.g. the
    previous one). Accounts without revenue up to ``quarter`` are absent; no revenue at all gives an
    empty frame. Stakeholders, wallet estimates and analyst scores have no history in the data, so
    the matrix of an earlier quarter uses today's; only the revenue-based factors move."""
    start = dataset.revenue["date"].min()
    if pd.isna(start) or parse_quarter(quarter) < pd.Period(start, freq="Q"):
        empty = pd.DataFrame(columns=["name", "attractiveness", "strength", "strength_basis", "quadrant"])
        return empty.rename_axis("account_id")
    summary = account_summary(dataset, quarter)
    return summary.join(kam_matrix(summary, dataset.stakeholders, attractiveness, strength, split))


def matrix_movement(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Per account of ``current``: its previous and current position and quadrant, and whether it moved.

    ``shift`` is the distance moved on the 0-10 grid. An account absent from ``previous`` (no revenue
    then) has NaN previous figures, ``quadrant_changed`` False and ``movement`` "new".
    """
    cols = ["attractiveness", "strength", "quadrant"]
    prev = previous.reindex(current.index)[cols].add_suffix("_prev")
    out = prev.join(current[cols])
    if "name" in current:
        out.insert(0, "name", current["name"])
    out["shift"] = np.hypot(out["attractiveness"] - out["attractiveness_prev"].astype("float64"),
                            out["strength"] - out["strength_prev"].astype("float64"))
    known = out["quadrant_prev"].notna()
    out["quadrant_changed"] = known & (out["quadrant_prev"] != out["quadrant"])
    out["movement"] = np.where(~known, "new", np.where(out["quadrant_changed"],
                               out["quadrant_prev"].astype(str) + " → " + out["quadrant"].astype(str), "unchanged"))
    return out


def revenue_share(accounts: pd.DataFrame, summary: pd.DataFrame) -> float:
    """The share of the book's trailing-four-quarter revenue that ``accounts`` (e.g. the key
    accounts) bring: the one number that says how much the programme covers. NaN when the book
    has no revenue."""
    return ratio(accounts["revenue_t4q"].sum(), summary["revenue_t4q"].sum())


def quadrant_counts(accounts: pd.DataFrame) -> pd.DataFrame:
    """Every quadrant of the KAM matrix with its strategy and how many of ``accounts`` sit in it,
    in the matrix's order; a quadrant nobody sits in is listed with 0, so the table always reads
    as the whole matrix. Accounts whose relationship is not assessed (no stakeholders mapped) are a
    last row, only when there are some. Columns: quadrant, strategy, accounts."""
    out = pd.DataFrame({"quadrant": list(QUADRANTS), "strategy": list(QUADRANTS.values()),
                        "accounts": [int((accounts["quadrant"] == q).sum()) for q in QUADRANTS]})
    unplaced = int((accounts["quadrant"] == NOT_ASSESSED).sum())
    if unplaced:
        out.loc[len(out)] = [NOT_ASSESSED, NOT_ASSESSED_STRATEGY, unplaced]
    return out
