"""Which accounts are key: Pareto/ABC on revenue, and a weighted scoring matrix.

Key accounts are chosen on strategic value, not size alone, so revenue is one
weighted criterion among several; the Pareto curve reports the share the top
20% actually bring, never an assumed 80%.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

MISSING_SCORE = 5.5   # mid-point of the 1-10 scale, used when a criterion cannot be scored


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


def pareto_curve(revenue: pd.Series) -> pd.DataFrame:
    """Accounts ranked by revenue with cumulative shares of accounts and revenue."""
    ordered = revenue.astype("float64").sort_values(ascending=False, kind="mergesort")
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
    """Share of total revenue from the top ``fraction`` of accounts (at least one account)."""
    if revenue.empty or revenue.sum() <= 0:
        return float("nan")
    k = max(1, math.ceil(fraction * len(revenue) - 1e-9))
    return float(revenue.nlargest(k).sum() / revenue.sum())


def abc_classes(revenue: pd.Series, a: float = 0.8, b: float = 0.95) -> pd.Series:
    """A while the revenue accumulated before an account is below ``a``, B below ``b``, else C.

    So the account that crosses the A cut-off is still A.
    """
    curve = pareto_curve(revenue)
    before = (curve["cum_share"] - curve["share"]).fillna(1.0)
    classes = np.where(before < a - 1e-12, "A", np.where(before < b - 1e-12, "B", "C"))
    return pd.Series(classes, index=curve.index).reindex(revenue.index)


def criterion_scores(summary: pd.DataFrame, criteria: list[str]) -> pd.DataFrame:
    """Score each criterion 1-10: derived ones by rank over the portfolio, analyst ones as entered."""
    derived = {
        "revenue_volume": summary["revenue_t4q"],
        "revenue_potential": summary["whitespace_value"],
        "customer_tenure": summary["tenure_years"],
        "lifetime_value": summary["gross_margin_t4q"],
        "average_transaction_size": summary["avg_won_deal"],
    }
    scores = pd.DataFrame(index=summary.index)
    for name in criteria:
        if name in derived:
            scores[name] = rank_score(derived[name])
        elif name in summary:
            scores[name] = summary[name].astype("float64").clip(1, 10)
        else:
            scores[name] = np.nan
    return scores


def score_accounts(summary: pd.DataFrame, weights: dict[str, float]) -> pd.DataFrame:
    """Weighted score 1-10 per account, with each criterion's score shown beside it."""
    scores = criterion_scores(summary, list(weights))
    missing = scores.isna()
    filled = scores.fillna(MISSING_SCORE)
    weight = pd.Series(weights, dtype="float64")
    out = filled.add_prefix("score_")
    # Rounded so that scores equal on paper compare equal (6.26, not 6.259999999999999), or the
    # tie-break on revenue in select_key_accounts would be decided by float noise.
    out["score"] = (filled.mul(weight, axis=1).sum(axis=1) / weight.sum()).round(9)
    out["unscored"] = missing.apply(lambda row: ", ".join(row.index[row]), axis=1) if len(missing) else ""
    return out


def assign_tiers(score: pd.Series, tier_1: float, tier_2: float) -> pd.Series:
    return pd.Series(np.where(score >= tier_1, "Tier 1", np.where(score >= tier_2, "Tier 2", "Tier 3")),
                     index=score.index)


def select_key_accounts(scored: pd.DataFrame, revenue: pd.Series, threshold: float, cap: int,
                        include: dict[str, str] | None = None,
                        exclude: dict[str, str] | None = None) -> pd.DataFrame:
    """Key flag and the reason for it: score at or above ``threshold``, the best ``cap`` of those,
    plus explicit includes, minus explicit excludes. Ties on score go to the larger revenue."""
    include, exclude = include or {}, exclude or {}
    order = pd.DataFrame({"score": scored["score"], "revenue": revenue.reindex(scored.index).fillna(0.0)})
    order = order.sort_values(["score", "revenue"], ascending=[False, False], kind="mergesort")
    eligible = [a for a in order.index if order.at[a, "score"] >= threshold - 1e-9 and a not in exclude]
    chosen = set(eligible[:cap])
    key = pd.Series(False, index=scored.index)
    reason = pd.Series("", index=scored.index, dtype="object")
    for rank, account in enumerate(eligible, start=1):
        if account in chosen:
            key[account] = True
            reason[account] = f"score {order.at[account, 'score']:.1f} ≥ {threshold:g} (rank {rank})"
        else:
            reason[account] = f"score {order.at[account, 'score']:.1f} ≥ {threshold:g} but beyond the cap of {cap}"
    for account in scored.index:
        if not reason[account]:
            reason[account] = f"score {order.at[account, 'score']:.1f} below {threshold:g}"
    for account, why in include.items():
        if account in key.index:
            key[account] = True
            reason[account] = f"included by the team: {why}"
    for account, why in exclude.items():
        if account in key.index:
            key[account] = False
            reason[account] = f"excluded by the team: {why}"
    return pd.DataFrame({"is_key": key, "selection_reason": reason})
