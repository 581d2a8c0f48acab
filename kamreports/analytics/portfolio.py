"""KAM portfolio matrix (McDonald & Woodburn) and the key vs non-key comparison.

Attractiveness and relationship strength are each a weighted sum of factors
scored 0-10. Missing share of wallet scores the mid-point (unknown, not bad);
an account with no mapped stakeholders scores 0 on sentiment and coverage,
because an unmapped relationship is a weak one.
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


def stakeholder_factors(stakeholders: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """Sentiment (influence-weighted, -2..2 mapped to 0-10) and key-role coverage (0-10)."""
    sh = stakeholders.assign(influence=stakeholders["influence"].astype("float64"),
                             sentiment=stakeholders["sentiment"].astype("float64"))
    weighted = (sh["sentiment"] * sh["influence"]).groupby(sh["account_id"]).sum()
    weights = sh.groupby("account_id")["influence"].sum()
    mean_sentiment = ratio(weighted, weights)
    covered = sh[sh["role"].isin(KEY_ROLES)].groupby("account_id")["role"].nunique()
    return pd.DataFrame({
        "stakeholder_sentiment": ((mean_sentiment + 2) / 4 * 10).reindex(index).fillna(0.0),
        "stakeholder_coverage": (covered / len(KEY_ROLES) * 10).reindex(index).fillna(0.0),
    })


def kam_matrix(summary: pd.DataFrame, stakeholders: pd.DataFrame, attractiveness: dict[str, float],
               strength: dict[str, float], split: float = 5.0) -> pd.DataFrame:
    """Attractiveness, relationship strength (0-10), quadrant and its strategy per account.

    Where the accounts table gives an analyst's ``relative_strength`` (0-10, relative to the best
    competitor) it is the account's strength, and ``strength_basis`` says "analyst"; otherwise the
    strength is derived from the data ("derived"). ``strength_derived`` is always the data's figure.
    """
    factors = pd.DataFrame(index=summary.index)
    factors["revenue_potential"] = rank_score(summary["whitespace_value"], 0, 10)
    factors["growth"] = rank_score(summary["t4q_growth"], 0, 10)
    factors["gross_margin"] = rank_score(summary["gross_margin_pct"], 0, 10)
    factors["revenue_volume"] = rank_score(summary["revenue_t4q"], 0, 10)
    strategic = summary["strategic_value"] if "strategic_value" in summary else pd.Series(np.nan, index=summary.index)
    factors["strategic_value"] = strategic.astype("float64")
    factors["share_of_wallet"] = summary["share_of_wallet"].clip(0, 1) * 10
    factors["customer_tenure"] = rank_score(summary["tenure_years"], 0, 10)
    factors = factors.join(stakeholder_factors(stakeholders, summary.index))
    factors = factors.fillna(5.0)

    def weighted(weights: dict[str, float]) -> pd.Series:
        w = pd.Series(weights, dtype="float64")
        return factors[list(w.index)].mul(w, axis=1).sum(axis=1) / w.sum()

    derived = weighted(strength)
    analyst = summary["relative_strength"].astype("float64").clip(0, 10) if "relative_strength" in summary \
        else pd.Series(np.nan, index=summary.index)
    out = pd.DataFrame({"attractiveness": weighted(attractiveness), "strength": analyst.fillna(derived),
                        "strength_basis": np.where(analyst.notna(), "analyst", "derived"),
                        "strength_derived": derived})
    high_a = out["attractiveness"] >= split
    high_s = out["strength"] >= split
    out["quadrant"] = np.select([high_a & high_s, high_a & ~high_s, ~high_a & high_s],
                                ["Strategic", "Star", "Status"], default="Streamline")
    out["strategy"] = out["quadrant"].map(QUADRANTS)
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
    as the whole matrix. Columns: quadrant, strategy, accounts."""
    return pd.DataFrame({"quadrant": list(QUADRANTS), "strategy": list(QUADRANTS.values()),
                         "accounts": [int((accounts["quadrant"] == q).sum()) for q in QUADRANTS]})
