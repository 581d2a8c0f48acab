"""Which accounts are key: Pareto/ABC on revenue, and a weighted scoring matrix.

Key accounts are chosen on strategic value, not size alone, so revenue is one
weighted criterion among several; the Pareto curve reports the share the top
20% actually bring, never an assumed 80%.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..formatting import money

MISSING_SCORE = 5.5   # mid-point of the 1-10 scale, used when a criterion cannot be scored

# The summary column each derived criterion is ranked on.
DERIVED_FROM = {
    "revenue_volume": "revenue_t4q",                  # trailing four quarters
    "revenue_potential": "whitespace_value",          # wallet estimate - T4Q revenue
    "customer_tenure": "tenure_years",
    "lifetime_value": "gross_margin_to_date",         # gross margin over the whole relationship so far
    "average_transaction_size": "avg_won_deal",       # mean amount of won opportunities
}


def rank_score(values: pd.Series, low: float = 1.0, high: float = 10.0) -> pd.Series:
    """Spread values linearly by rank over [low, high]; ties share their average rank.

    The best value gets ``high``, the worst ``low``; a single value gets ``high``;
    all-equal values get the mid-point. NaN stays NaN.
    """
    valid = values.dropna()
    out = pd.Series(np.nan, index=values.index, dtype="float64")
    if valid.empty:
        return out
    if len(valid) == 1:
        out[valid.index] = high
        return out
    ranks = valid.rank(method="average")
    out[valid.index] = low + (high - low) * (ranks - 1) / (len(valid) - 1)
    return out


def ranked_population(revenue: pd.Series) -> pd.Series:
    """The accounts the concentration figures count: those with revenue in the window (above zero).

    Why one rule: the summary's account count, the Pareto curve, the top-20% share and the ABC
    classes must describe the same accounts, and ``roi.csv`` counts accounts with revenue in the
    window. An account whose last sale is older than the window would add a zero to the tail and
    move the top 20% without bringing anything; it gets no ABC class.
    """
    values = revenue.astype("float64")
    return values[values > 0]


def top_count(accounts: int, fraction: float = 0.2) -> int:
    """How many accounts "the top ``fraction``" is: ceil(fraction x accounts), at least one (0 for none)."""
    return max(1, math.ceil(fraction * accounts - 1e-9)) if accounts else 0


def pareto_curve(revenue: pd.Series) -> pd.DataFrame:
    """Accounts with revenue (:func:`ranked_population`) ranked by it, with cumulative shares of
    accounts and revenue."""
    ordered = ranked_population(revenue).sort_values(ascending=False, kind="mergesort")
    total = ordered.sum()
    n = len(ordered)
    curve = pd.DataFrame({
        "rank": np.arange(1, n + 1),
        "revenue": ordered.to_numpy(),
        "share": ordered.to_numpy() / total if total > 0 else np.nan,
    }, index=ordered.index)
    curve["cum_share"] = curve["share"].cumsum()
    curve["cum_account_share"] = curve["rank"] / n
    return curve


def top_share(revenue: pd.Series, fraction: float = 0.2) -> float:
    """Share of total revenue from the top ``fraction`` of the accounts with revenue
    (:func:`ranked_population`; :func:`top_count` of them, at least one)."""
    population = ranked_population(revenue)
    if population.empty:
        return float("nan")
    return float(population.nlargest(top_count(len(population), fraction)).sum() / population.sum())


def abc_classes(revenue: pd.Series, a: float = 0.8, b: float = 0.95) -> pd.Series:
    """A while the revenue accumulated before an account is below ``a``, B below ``b``, else C;
    over the accounts with revenue (:func:`ranked_population`). The others get no class (NaN).

    So the account that crosses the A cut-off is still A.
    """
    curve = pareto_curve(revenue)
    before = (curve["cum_share"] - curve["share"]).fillna(1.0)
    classes = np.where(before < a - 1e-12, "A", np.where(before < b - 1e-12, "B", "C"))
    return pd.Series(classes, index=curve.index, dtype="object").reindex(revenue.index)


def criterion_scores(summary: pd.DataFrame, criteria: list[str]) -> pd.DataFrame:
    """Score each criterion 1-10: derived ones by rank over the portfolio, analyst ones as entered."""
    scores = pd.DataFrame(index=summary.index)
    for name in criteria:
        if name in DERIVED_FROM:
            scores[name] = rank_score(summary[DERIVED_FROM[name]])
        elif name in summary:
            scores[name] = summary[name].astype("float64").clip(1, 10)
        else:
            scores[name] = np.nan
    return scores


def criteria_coverage(summary: pd.DataFrame, weights: dict[str, float]) -> pd.DataFrame:
    """Per criterion: how many accounts have data for it, and the weight it is scored with.

    A criterion with no data for any account (no wallet estimates for revenue potential, no
    ``product_fit`` column) is ``"left out"``: it cannot rank anyone, and scoring every account at the
    mid-point on it would only shrink the other criteria's say. Its weight is 0 and the others are
    scaled up to sum to 100. A criterion with data for some accounts is ``"partly scored"``: the
    others are scored at the mid-point (:data:`MISSING_SCORE`). Otherwise ``"scored"``.

    Index: the criteria in the settings' order; columns weight (as set), weight_used (of 100, NaN
    when no criterion has data), accounts (scored), with_data, without_data, status.
    """
    scores = criterion_scores(summary, list(weights))
    with_data = scores.notna().sum().astype(int)
    total = len(summary)
    status = pd.Series(np.where(with_data == 0, "left out", np.where(with_data < total, "partly scored", "scored")),
                       index=scores.columns)
    weight = pd.Series(weights, dtype="float64")
    kept = weight.where(status != "left out", 0.0)
    used = kept * 100 / kept.sum() if kept.sum() > 0 else pd.Series(np.nan, index=weight.index)
    out = pd.DataFrame({"weight": weight, "weight_used": used, "accounts": total, "with_data": with_data,
                        "without_data": total - with_data, "status": status})
    out.index.name = "criterion"
    return out


def _weighted(filled: pd.DataFrame, weights: pd.Series) -> pd.Series:
    """The weighted mean of the criteria with a positive weight, rounded so that scores equal on paper
    compare equal (6.26, not 6.259999999999999), or the tie-break on revenue in select_key_accounts
    would be decided by float noise. NaN when no criterion has a weight."""
    if weights.sum() <= 0:
        return pd.Series(np.nan, index=filled.index)
    return (filled[weights.index].mul(weights, axis=1).sum(axis=1) / weights.sum()).round(9)


def score_accounts(summary: pd.DataFrame, weights: dict[str, float]) -> pd.DataFrame:
    """Weighted score 1-10 per account, with each criterion's score shown beside it.

    A criterion with no data for any account is left out and the other weights are scaled up
    (:func:`criteria_coverage`): its ``score_`` column is NaN. A criterion missing for some accounts
    scores them at the mid-point 5.5, and ``unscored`` names it for each of them. No criterion
    with data at all: every score is NaN (nobody can be selected on the rule).
    """
    scores = criterion_scores(summary, list(weights))
    has_data = scores.notna().any()
    weight = pd.Series(weights, dtype="float64")[has_data]
    kept = scores.loc[:, has_data]
    missing = kept.isna()
    filled = scores.copy()
    filled.loc[:, has_data] = kept.fillna(MISSING_SCORE)
    out = filled.add_prefix("score_")
    out["score"] = _weighted(filled, weight)
    columns = [np.where(missing[c].to_numpy(), c, "") for c in missing.columns]
    out["unscored"] = [", ".join(filter(None, names)) for names in zip(*columns)] if len(columns) else ""
    return out


def gap_effects(summary: pd.DataFrame, weights: dict[str, float], threshold: float, cap: int,
                include: dict[str, str] | None = None, exclude: dict[str, str] | None = None) -> dict[str, int]:
    """How many accounts would change key status if the missing data were treated otherwise:

    - ``left_out``: the criteria with no data for any account counted at the mid-point 5.5 for
      everyone with their weights as set, instead of being left out (0 when none is left out);
    - ``partly``: the accounts' missing scores on partly scored criteria set to 1, or to 10, instead of
      the mid-point: an account whose key status differs in either case rests on data it does not have
      (0 when no criterion is partly scored).
    """
    revenue = summary["revenue_t4q"]
    scores = criterion_scores(summary, list(weights))
    weight = pd.Series(weights, dtype="float64")
    has_data = scores.notna().any()
    base = select_key_accounts(score_accounts(summary, weights), revenue, threshold, cap, include, exclude)["is_key"]

    def flips(filled: pd.DataFrame, w: pd.Series) -> set:
        key = select_key_accounts(pd.DataFrame({"score": _weighted(filled, w)}), revenue, threshold, cap, include,
                                  exclude)["is_key"]
        return set(key.index[key != base])

    out = {"left_out": 0, "partly": 0}
    if not has_data.all():
        out["left_out"] = len(flips(scores.fillna(MISSING_SCORE), weight))
    kept = scores.loc[:, has_data]
    if kept.isna().to_numpy().any():
        w = weight[has_data]
        out["partly"] = len(flips(kept.fillna(1.0), w) | flips(kept.fillna(10.0), w))
    return out


def assign_tiers(score: pd.Series, tier_1: float, tier_2: float) -> pd.Series:
    """Tier 1 at ``tier_1`` or more, Tier 2 at ``tier_2`` or more, else Tier 3; "Not scored" without a score."""
    return pd.Series(np.where(score.isna(), "Not scored", np.where(score >= tier_1, "Tier 1",
                                                                   np.where(score >= tier_2, "Tier 2", "Tier 3"))),
                     index=score.index)


def select_key_accounts(scored: pd.DataFrame, revenue: pd.Series, threshold: float, cap: int,
                        include: dict[str, str] | None = None,
                        exclude: dict[str, str] | None = None) -> pd.DataFrame:
    """Key flag and the reason for it: score at or above ``threshold``, the best ``cap`` of those,
    plus explicit includes, minus explicit excludes. Ties on score go to the larger revenue."""
    include, exclude = include or {}, exclude or {}
    order = pd.DataFrame({"score": scored["score"], "revenue": revenue.reindex(scored.index).fillna(0.0)})
    order = order.sort_values(["score", "revenue"], ascending=[False, False], kind="mergesort")
    scores = order["score"].to_numpy(dtype="float64")
    eligible = (scores >= threshold - 1e-9) & ~order.index.isin(list(exclude))
    rank = np.cumsum(eligible)
    chosen = eligible & (rank <= cap)
    # one pass over plain arrays: per-row .at lookups take minutes at 100,000 accounts
    texts = [f"score {s:.1f} ≥ {threshold:g} (rank {r})" if c
             else f"score {s:.1f} ≥ {threshold:g} but beyond the cap of {cap}" if e
             else f"score {s:.1f} below {threshold:g}" if s == s
             else "not scored: no selection criterion has data"
             for s, r, c, e in zip(scores, rank, chosen, eligible)]
    key = pd.Series(chosen, index=order.index).reindex(scored.index)
    reason = pd.Series(texts, index=order.index, dtype="object").reindex(scored.index)
    for account, why in include.items():
        if account in key.index:
            key[account] = True
            reason[account] = f"included by the team: {why}"
    for account, why in exclude.items():
        if account in key.index:
            key[account] = False
            reason[account] = f"excluded by the team: {why}"
    return pd.DataFrame({"is_key": key, "selection_reason": reason})


# --- candidates for promotion and demotion ------------------------------------------------------

_EPS = 1e-9   # 120/100 - 1 is 0.19999999999999996: a growth of 20% must meet a 20% threshold


def _pct(value: float) -> str:
    return f"{abs(value) * 100:.0f}%"


def _sentence(parts: list[str]) -> str:
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


def _order(frame: pd.DataFrame) -> pd.DataFrame:
    """Highest score first, then the larger revenue, then the id: a stable, readable order."""
    keys = [c for c in ("score", "revenue_t4q") if c in frame]
    ordered = frame.sort_index(kind="mergesort")
    return ordered.sort_values(keys, ascending=False, kind="mergesort") if keys else ordered


def promotion_candidates(summary: pd.DataFrame, growth: float = 0.20, potential_score: float = 8.0,
                         exclude: dict[str, str] | None = None, currency: str = "$",
                         limit: float = 10.0) -> pd.DataFrame:
    """Non-key accounts to consider as key accounts, each with the figure that makes it one.

    An account qualifies when its trailing-four-quarter growth is at least ``growth``, or when its
    revenue potential (wallet estimate - T4Q revenue, ranked 1-10 across the whole portfolio, the
    same score as the ``revenue_potential`` criterion) is at least ``potential_score``. A new account
    has no growth rate, and an account without a wallet estimate has no potential score: neither
    qualifies on that figure. Accounts the team excluded from the key list are left out. A growth beyond
    ``limit`` (a ratio: 10 = 1,000%, ``report.sane_change``) qualifies, but is not quoted as a figure:
    its base is too small to compare.
    """
    exclude = exclude or {}
    potential = rank_score(summary["whitespace_value"])
    grew = summary["t4q_growth"].ge(growth - _EPS).fillna(False).astype(bool)
    high = potential.ge(potential_score - _EPS).fillna(False).astype(bool)
    eligible = ~summary["is_key"].fillna(False).astype(bool) & ~summary.index.isin(list(exclude))
    chosen = summary.index[eligible & (grew | high)]
    rows = {}
    # only the qualifying accounts are visited: a loop over every row is minutes at 100,000 accounts
    for account, g, wallet, p, up, big in zip(chosen, summary.loc[chosen, "t4q_growth"],
                                              summary.loc[chosen, "whitespace_value"], potential[chosen],
                                              grew[chosen], high[chosen]):
        reasons = []
        if up and abs(g) > limit:
            reasons.append(f"revenue up on the prior four quarters from a base too small to compare "
                           f"(promote at {_pct(growth)} or more)")
        elif up:
            reasons.append(f"revenue up {_pct(g)} on the prior four quarters (promote at {_pct(growth)} or more)")
        if big:
            reasons.append(f"revenue potential scores {p:.1f} of 10, {money(wallet, currency)} "
                           f"a year spent with others (promote at {potential_score:g} or more)")
        rows[account] = {"potential_score": p, "reason": _sentence(reasons)}
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["potential_score", "reason"])
    cols = [c for c in ("name", "score", "revenue_t4q", "t4q_growth", "whitespace_value") if c in summary]
    out = summary.loc[out.index, cols].join(out)
    out.index.name = summary.index.name
    return _order(out)


def demotion_candidates(summary: pd.DataFrame, threshold: float, growth: float = -0.10,
                        attainment: float = 0.80, score_margin: float = 1.0) -> pd.DataFrame:
    """Key accounts to review, each with every reason that applies.

    A key account is listed when its trailing-four-quarter growth is ``growth`` or worse, its
    quarter attainment is below ``attainment``, or its score is below ``threshold - score_margin``.
    A missing growth rate or attainment (new account, no target) is not a reason.
    """
    floor = threshold - score_margin
    key = summary["is_key"].fillna(False).astype(bool)
    falling = summary["t4q_growth"].le(growth + _EPS).fillna(False).astype(bool)
    behind = summary["attainment_q"].lt(attainment - _EPS).fillna(False).astype(bool)
    low = summary["score"].lt(floor - _EPS).fillna(False).astype(bool)
    chosen = summary.index[key & (falling | behind | low)]
    rows = {}
    for account, g, a, s, down, late, weak in zip(chosen, summary.loc[chosen, "t4q_growth"],
                                                  summary.loc[chosen, "attainment_q"], summary.loc[chosen, "score"],
                                                  falling[chosen], behind[chosen], low[chosen]):
        reasons = []
        if down:
            reasons.append(f"revenue {'down' if g < 0 else 'up'} {_pct(g)} on the prior four quarters "
                           f"(review at {growth * 100:+.0f}% or worse)")
        if late:
            reasons.append(f"quarter revenue at {_pct(a)} of target (review below {_pct(attainment)})")
        if weak:
            reasons.append(f"score {s:.1f} is below {floor:g} (threshold {threshold:g} less {score_margin:g})")
        rows[account] = {"reasons": len(reasons), "reason": _sentence(reasons)}
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["reasons", "reason"])
    cols = [c for c in ("name", "score", "revenue_t4q", "t4q_growth", "attainment_q", "selection_reason")
            if c in summary]
    out = summary.loc[out.index, cols].join(out)
    out["reasons"] = out["reasons"].astype(int)
    out.index.name = summary.index.name
    return _order(out)


def review_rules(threshold: float, growth: float = -0.10, attainment: float = 0.80,
                 score_margin: float = 1.0) -> str:
    """The rules of :func:`demotion_candidates` in words, with their values, so the page states the
    thresholds wherever it says that a key account is, or is not, to be reviewed."""
    return (f"revenue over the last four quarters down {_pct(growth)} or more on the four before, "
            f"quarter revenue below {_pct(attainment)} of target, or a score below {threshold - score_margin:g} "
            f"(the threshold {threshold:g} less {score_margin:g})")


def declining_key_accounts(summary: pd.DataFrame, leave_out: pd.Index | None = None) -> pd.DataFrame:
    """Key accounts whose revenue over the last four quarters is below the four before (any fall,
    whatever the review thresholds), steepest fall first; ``leave_out`` (the review list) removed.

    Why: "no key account to review" is true only for the thresholds; the page also lists every key
    account that is shrinking, so a fall of 6% is not hidden by a threshold of 10%.
    Columns: name, t4q_growth, attainment_q.
    """
    key = summary["is_key"].fillna(False).astype(bool)
    falling = summary["t4q_growth"].lt(0).fillna(False).astype(bool)
    chosen = summary[key & falling]
    if leave_out is not None:
        chosen = chosen[~chosen.index.isin(leave_out)]
    cols = [c for c in ("name", "t4q_growth", "attainment_q") if c in chosen]
    return chosen.sort_index(kind="mergesort").sort_values("t4q_growth", kind="mergesort")[cols]


# --- sensitivity of the key-account list to the weights -----------------------------------------

def criterion_label(name: str) -> str:
    """A criterion as the pages name it: ``revenue_volume`` -> "revenue volume" (the settings' key is
    developer text; the reader sees words)."""
    return name.replace("_", " ").strip()


def sensitivity_weights(weights: dict[str, float], delta: float = 0.2) -> dict[str, dict[str, float]]:
    """Each weight moved up and down by ``delta`` (relative), then all renormalised to sum 100.

    Keys are the scenarios as the page prints them, such as ``"revenue volume weight up 20%"``;
    values the renormalised weights, by criterion.
    """
    total_label = f"{delta * 100:g}%"
    scenarios: dict[str, dict[str, float]] = {}
    for name in weights:
        for direction, factor in (("up", 1 + delta), ("down", 1 - delta)):
            moved = {k: (w * factor if k == name else float(w)) for k, w in weights.items()}
            total = sum(moved.values())
            label = f"{criterion_label(name)} weight {direction} {total_label}"
            scenarios[label] = {k: w * 100 / total for k, w in moved.items()}
    return scenarios


def weight_sensitivity(summary: pd.DataFrame, weights: dict[str, float], threshold: float, cap: int,
                       include: dict[str, str] | None = None, exclude: dict[str, str] | None = None,
                       delta: float = 0.2) -> pd.DataFrame:
    """Accounts whose key status flips when any one weight moves by ±``delta``.

    Each scenario re-runs :func:`score_accounts` and :func:`select_key_accounts` with the weights of
    :func:`sensitivity_weights`. One row per account that flips in at least one scenario: its key
    status and score with the configured weights, its lowest and highest score over the scenarios,
    whether it would drop out or come in, and the scenarios that flip it. An empty frame means the
    list is robust to every such change.
    """
    revenue = summary["revenue_t4q"]
    base_scored = score_accounts(summary, weights)
    base = select_key_accounts(base_scored, revenue, threshold, cap, include, exclude)["is_key"]
    scores = {"base": base_scored["score"]}
    flipped: dict[str, list[str]] = {a: [] for a in summary.index}
    for label, moved in sensitivity_weights(weights, delta).items():
        scored = score_accounts(summary, moved)
        scores[label] = scored["score"]
        key = select_key_accounts(scored, revenue, threshold, cap, include, exclude)["is_key"]
        for account in key.index[key != base]:
            flipped[account].append(label)
    all_scores = pd.DataFrame(scores)
    accounts = [a for a in summary.index if flipped[a]]
    out = pd.DataFrame({
        "name": summary["name"].reindex(accounts) if "name" in summary else accounts,
        "is_key": base.reindex(accounts).astype(bool),
        "score": all_scores.loc[accounts, "base"],
        "score_low": all_scores.loc[accounts].min(axis=1),
        "score_high": all_scores.loc[accounts].max(axis=1),
        "revenue_t4q": revenue.reindex(accounts),
        "change": ["would drop out" if base[a] else "would come in" for a in accounts],
        "scenarios": [len(flipped[a]) for a in accounts],
        "flipped_by": ["; ".join(flipped[a]) for a in accounts],
    }, index=pd.Index(accounts, name=summary.index.name))
    return _order(out).astype({"scenarios": int})


def abc_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Accounts and trailing-four-quarter revenue per ABC class, and each class's share of revenue.

    The portfolio review shows it beside the Pareto curve, so readers see how few accounts the A
    class needs. Index: the classes present (sorted); columns accounts, revenue, share.
    """
    abc = summary.groupby("abc_class").agg(accounts=("name", "size"), revenue=("revenue_t4q", "sum"))
    abc["share"] = abc["revenue"] / abc["revenue"].sum()
    return abc


def top_promotions(candidates: pd.DataFrame, limit: int = 10) -> pd.DataFrame:
    """The ``limit`` promotion candidates of highest potential score: the review lists only these,
    as a long list of candidates would bury the few worth a discussion."""
    return candidates.sort_values("potential_score", ascending=False).head(limit)


def team_overrides(summary: pd.DataFrame) -> pd.DataFrame:
    """Accounts whose key status the team set by hand (``include``/``exclude`` in the settings):
    the review names them, so an override is seen and questioned each quarter."""
    return summary[summary["selection_reason"].str.startswith(("included", "excluded"))]
