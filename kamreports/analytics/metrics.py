"""Per-account figures for one quarter: the table every other analysis reads.

Quarter-based windows: "q" is the reporting quarter, "t4q" the trailing four
quarters ending with it, "prior_t4q" the four before those. Growth is NaN, not
infinite, when the base is zero or absent: a new account has no growth rate.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..periods import (
    code_labels,
    date_codes,
    label_codes,
    parse_quarter,
    quarter_code,
    quarter_end,
    quarter_range,
    shift_quarter,
)

KEY_ROLES = ("economic_buyer", "decision_maker", "champion", "technical", "end_user")


def ratio(numerator: pd.Series | float, denominator: pd.Series | float) -> pd.Series | float:
    """numerator / denominator, NaN where the denominator is zero or missing."""
    if isinstance(denominator, pd.Series):
        den = denominator.astype("float64").where(denominator != 0)
        return numerator / den
    if denominator is None or pd.isna(denominator) or denominator == 0:
        return np.nan
    return numerator / denominator


def growth(current: pd.Series | float, base: pd.Series | float) -> pd.Series | float:
    return ratio(current, base) - 1


def size_bands(values: pd.Series, bands: int = 3) -> pd.Series:
    """Band 1 (smallest) to ``bands`` by rank of ``values``, equal-count bands, same index.

    band = floor((rank - 1) x bands / n) + 1, ranks from 1 (smallest), ties at their average
    rank (so equal accounts share a band), clipped to 1..bands. Empty in, empty (int) out.

    One rule for both uses, so a "size band" means the same thing on every page: whitespace peer
    groups band accounts by T4Q revenue (``whitespace.peer_groups``), the programme ROI bands the
    prior-window cohort by prior-window revenue to match key accounts with non-key peers
    (``roi.programme_roi``).
    """
    n = len(values)
    if n == 0:
        return pd.Series(dtype="int64", index=values.index)
    rank = values.astype("float64").rank(method="average")
    return (np.floor((rank - 1) * bands / n) + 1).clip(1, bands).astype(int)


def quarterly_revenue(dataset: Dataset) -> pd.DataFrame:
    """Revenue and cost of goods per account and quarter (long form), sorted by account then quarter.

    Grouped on integer codes (account ids factorised in sorted order, quarters as year * 4 + q - 1,
    which sort like their labels): grouping millions of rows on two text keys takes several times
    longer and gives the same rows in the same order.
    """
    rev = dataset.revenue
    accounts, ids = pd.factorize(rev["account_id"], sort=True, use_na_sentinel=True)
    quarters = date_codes(rev["date"])
    keep = (accounts >= 0) & ~np.isnan(quarters)
    revenue = rev["revenue"].astype("float64").to_numpy()[keep]
    cogs = rev["cogs"].astype("float64").fillna(0.0).to_numpy()[keep]
    account_codes, quarter_values = accounts[keep], quarters[keep].astype("int64")
    first = int(quarter_values.min()) if len(quarter_values) else 0
    span = int(quarter_values.max()) - first + 1 if len(quarter_values) else 1
    if len(ids) * span <= 4 * len(quarter_values) + 1_000_000:
        # one integer key per (account, quarter) and np.bincount: sums in one pass over the rows
        key = account_codes.astype("int64") * span + (quarter_values - first)
        size = len(ids) * span
        present = np.flatnonzero(np.bincount(key, minlength=size))
        revenue_sum = np.bincount(key, weights=np.nan_to_num(revenue), minlength=size)[present]
        cogs_sum = np.bincount(key, weights=np.nan_to_num(cogs), minlength=size)[present]
        account_codes, quarter_values = present // span, present % span + first
    else:  # quarters spread over centuries: a dense grid would not fit, group instead
        sums = pd.DataFrame({"revenue": revenue, "cogs": cogs}).groupby([account_codes, quarter_values]).sum()
        account_codes = sums.index.get_level_values(0).to_numpy()
        quarter_values = sums.index.get_level_values(1).to_numpy()
        revenue_sum, cogs_sum = sums["revenue"].to_numpy(), sums["cogs"].to_numpy()
    distinct, where = np.unique(quarter_values, return_inverse=True)
    labels = np.asarray(code_labels(distinct), dtype=object)[where] if len(distinct) else np.array([], dtype=object)
    return pd.DataFrame({"account_id": pd.Series(ids, dtype=rev["account_id"].dtype).take(account_codes).array,
                         "quarter": pd.array(labels, dtype="string"),
                         "revenue": revenue_sum, "cogs": cogs_sum})


def _window(quarter: str, start: int, count: int) -> list[str]:
    """The ``count`` quarters ending ``start`` quarters before ``quarter``, newest first (sums add
    them in this order, so the figures stay the same to the last digit)."""
    return quarter_range(shift_quarter(quarter, -start), count)[::-1]


def account_summary(dataset: Dataset, quarter: str, quarterly: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per account that has revenue up to ``quarter``, indexed by account_id.
    ``quarterly`` is :func:`quarterly_revenue` of the dataset, if already computed."""
    qrev = quarterly if quarterly is not None else quarterly_revenue(dataset)
    qrev = qrev[label_codes(qrev["quarter"]) <= quarter_code(quarter)]
    wide_rev = qrev.pivot_table(index="account_id", columns="quarter", values="revenue", aggfunc="sum", fill_value=0.0)
    wide_cogs = qrev.pivot_table(index="account_id", columns="quarter", values="cogs", aggfunc="sum", fill_value=0.0)

    def total(frame: pd.DataFrame, quarters: list[str]) -> pd.Series:
        cols = [q for q in quarters if q in frame.columns]
        return frame[cols].sum(axis=1) if cols else pd.Series(0.0, index=frame.index)

    accounts = dataset.accounts.set_index("account_id")
    out = accounts.loc[wide_rev.index, ["name", "parent_id", "industry", "region", "owner", "start_date"]].copy()
    out["revenue_q"] = total(wide_rev, [quarter])
    out["revenue_prev_q"] = total(wide_rev, _window(quarter, 1, 1))
    out["revenue_yago_q"] = total(wide_rev, _window(quarter, 4, 1))
    out["revenue_t4q"] = total(wide_rev, _window(quarter, 0, 4))
    out["revenue_prior_t4q"] = total(wide_rev, _window(quarter, 4, 4))
    out["gross_margin_t4q"] = out["revenue_t4q"] - total(wide_cogs, _window(quarter, 0, 4))
    no_cogs = bool(dataset.revenue["cogs"].isna().all())
    if no_cogs:  # no cost of goods in the data: margin is unknown, not 100%
        out["gross_margin_t4q"] = float("nan")
    out["gross_margin_pct"] = ratio(out["gross_margin_t4q"], out["revenue_t4q"])
    # every quarter of the relationship up to the reporting quarter (the lifetime_value criterion);
    # unknown without cost of goods, not the revenue itself
    out["gross_margin_to_date"] = float("nan") if no_cogs else wide_rev.sum(axis=1) - wide_cogs.sum(axis=1)
    prior_gm = out["revenue_prior_t4q"] - total(wide_cogs, _window(quarter, 4, 4))
    out["gross_margin_pct_prior"] = ratio(prior_gm, out["revenue_prior_t4q"])
    out["qoq_growth"] = growth(out["revenue_q"], out["revenue_prev_q"])
    out["yoy_growth"] = growth(out["revenue_q"], out["revenue_yago_q"])
    out["t4q_growth"] = growth(out["revenue_t4q"], out["revenue_prior_t4q"])
    out["quarters_active"] = (wide_rev > 0).sum(axis=1)

    targets = dataset.targets
    tq = targets[targets["quarter"] == quarter].groupby("account_id")["target"].sum()
    out["target_q"] = tq.reindex(out.index)
    out["attainment_q"] = ratio(out["revenue_q"], out["target_q"])

    as_of = pd.Timestamp(quarter_end(quarter))
    out["tenure_years"] = ((as_of - pd.to_datetime(out["start_date"])).dt.days / 365.25).clip(lower=0)

    wallet = accounts["wallet_estimate"] if "wallet_estimate" in accounts else pd.Series(np.nan, index=accounts.index)
    out["wallet_estimate"] = wallet.reindex(out.index).astype("float64")
    out["share_of_wallet"] = ratio(out["revenue_t4q"], out["wallet_estimate"])
    out["whitespace_value"] = (out["wallet_estimate"] - out["revenue_t4q"]).clip(lower=0)

    fb = dataset.feedback
    window_start = parse_quarter(quarter) - 3
    recent = fb[(fb["date"] <= as_of) & (fb["date"] >= window_start.start_time)]
    out["nps_avg"] = recent.groupby("account_id")["nps"].mean().astype("float64").reindex(out.index)

    costs = dataset.kam_costs
    out["kam_cost_t4q"] = costs[costs["quarter"].isin(_window(quarter, 0, 4))].groupby("account_id")["cost"].sum() \
        .reindex(out.index).fillna(0.0)

    opps = dataset.opportunities
    won = opps[(opps["stage"] == "won") & (opps["close_date"].isna() | (opps["close_date"] <= as_of))]
    out["avg_won_deal"] = won.groupby("account_id")["amount"].mean().astype("float64").reindex(out.index)
    open_ = opps[opps["stage"] == "open"]
    out["open_pipeline"] = open_.groupby("account_id")["amount"].sum().reindex(out.index).fillna(0.0)

    sh = dataset.stakeholders
    out["stakeholders"] = sh.groupby("account_id").size().reindex(out.index).fillna(0).astype(int)
    for col in ("product_fit", "solvency", "strategic_value", "relative_strength"):
        if col in accounts:
            out[col] = accounts[col].reindex(out.index).astype("float64")
    out.index.name = "account_id"
    return out


#: The attainment and growth rates checked against the sane range, in the order ``out_of_range`` names them.
CHANGE_COLUMNS = ("attainment_q", "qoq_growth", "yoy_growth", "t4q_growth")


def out_of_range(summary: pd.DataFrame, limit: float = 10.0) -> pd.Series:
    """Per account, the attainment and growth rates (:data:`CHANGE_COLUMNS`) beyond ±``limit`` (a ratio:
    10 = 1,000%), comma-separated; empty when none is. Such a figure says more about a tiny target or
    base (sporadic buying) than about the account: the pages print "target too small to compare" or
    "base too small to compare" instead, and ``accounts.csv`` keeps the number with this flag."""
    names = [c for c in CHANGE_COLUMNS if c in summary]
    flags = [np.where(summary[c].astype("float64").abs().to_numpy() > limit, c, "") for c in names]
    return pd.Series([", ".join(filter(None, row)) for row in zip(*flags)] if flags else "",
                     index=summary.index, dtype="object")


def account_profitability(summary: pd.DataFrame) -> pd.DataFrame:
    """Per account over the last four quarters: profit after cost to serve and its rank.

    profit_t4q = gross margin (revenue - cost of goods) - KAM cost to serve; NaN without cost-of-goods
    data, never a guess. profit_rank: 1 = the most profitable of the accounts with a profit figure
    (ties share the best rank); profit_rank_of: how many accounts were ranked.
    """
    profit = (summary["gross_margin_t4q"] - summary["kam_cost_t4q"]).astype("float64")
    rank = profit.rank(method="min", ascending=False)
    return pd.DataFrame({"profit_t4q": profit, "profit_rank": rank.astype("Int64"),
                         "profit_rank_of": int(profit.notna().sum())}, index=summary.index)
