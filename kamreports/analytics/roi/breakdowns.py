"""Where the profit, the load and the growth sit: whale curve, manager load, and comparisons
across time (quarter on quarter, year on year) and slices (region, industry).

Each function reads the per-account table of :func:`~kamreports.analytics.roi.windows.account_windows`
(or the quarterly revenue) and splits it key / other / all; group figures are ratios of sums.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...periods import shift_quarter
from ..metrics import ratio
from ._common import GROUPS, _groups, _sum

# --- whale curve ------------------------------------------------------------------------------

@dataclass
class WhaleSummary:
    """The whale curve in a few numbers: how many accounts lose money and how much profit they give back."""

    accounts: int
    unprofitable_accounts: int
    unprofitable_share: float           # of accounts
    total_profit: float
    peak_profit: float                  # cumulative profit of the profitable accounts
    peak_profit_share: float            # peak / total (above 1 when loss-makers give profit back)
    profit_lost: float                  # sum of the losses (negative or 0)
    key_ranks: list[int]                # profitability ranks of the key accounts, best first
    key_profit_share: float             # key accounts' profit / total profit


def whale_curve(frame: pd.DataFrame) -> pd.DataFrame:
    """Accounts active in the current window (revenue or cost to serve) ranked by profit, most
    profitable first (ties by account id). Columns: rank, name, is_key, profit, cum_profit,
    cum_profit_share (of total profit; NaN when the total is not positive), cum_account_share."""
    active = frame[(frame["revenue"] != 0) | (frame["cost_to_serve"] != 0)]
    ordered = active.sort_index(kind="mergesort").sort_values("profit", ascending=False, kind="mergesort")
    total = _sum(ordered["profit"])
    n = len(ordered)
    out = pd.DataFrame({"rank": np.arange(1, n + 1), "name": ordered["name"], "is_key": ordered["is_key"],
                        "profit": ordered["profit"]}, index=ordered.index)
    out["cum_profit"] = out["profit"].cumsum()
    out["cum_profit_share"] = out["cum_profit"] / total if total > 0 else np.nan
    out["cum_account_share"] = out["rank"] / n if n else np.nan
    return out


def whale_summary(curve: pd.DataFrame) -> WhaleSummary:
    """The figures the page quotes from :func:`whale_curve` (its peak, losses and key accounts' ranks)."""
    n = len(curve)
    total = _sum(curve["profit"])
    peak = float(curve["cum_profit"].max()) if n else 0.0
    losers = int((curve["profit"] < 0).sum())
    key = curve[curve["is_key"].astype(bool)]
    return WhaleSummary(
        accounts=n, unprofitable_accounts=losers, unprofitable_share=ratio(losers, n),
        total_profit=total, peak_profit=max(peak, 0.0), peak_profit_share=ratio(max(peak, 0.0), total)
        if total > 0 else np.nan, profit_lost=_sum(curve["profit"].clip(upper=0)),
        key_ranks=[int(r) for r in key["rank"]], key_profit_share=ratio(_sum(key["profit"]), total)
        if total > 0 else np.nan)


# --- manager load -----------------------------------------------------------------------------

NO_OWNER = "(no owner)"

# The manager_load labels: one place, so the sentences, roi.csv counts and the chart's legend agree.
WITHIN, OVERLOADED, BELOW, NO_KEY_ACCOUNTS, UNASSIGNED = (
    "within guideline", "overloaded", "below guideline", "no key accounts", "unassigned")

MANAGER_COLUMNS = ["key_accounts", "other_accounts", "revenue_prior", "revenue", "growth", "gross_profit",
                   "cost_to_serve", "profit", "incremental_gross_profit", "programme_cost", "roi", "load", "note"]


def manager_load(frame: pd.DataFrame, matches: pd.DataFrame | None = None, min_accounts: int = 5,
                 max_accounts: int = 15, managers: Iterable[str] | dict[str, str] = ()) -> pd.DataFrame:
    """Key-account load and results per manager (``owner``), indexed by manager.

    Key accounts per manager against the ``min_accounts``-``max_accounts`` guideline: ``load`` is
    "overloaded" above the maximum, "below guideline" with at least one key account but fewer than
    the minimum, "no key accounts" for a manager who owns only non-key accounts (or is listed in
    ``managers`` and owns nothing: not idle, just not a key-account manager), else "within guideline".
    Key accounts without an owner are one row, ``(no owner)``, with load "unassigned".
    Money figures sum the manager's key accounts over the current window; growth is their revenue
    growth. incremental_gross_profit, programme_cost and roi (as the programme's) come from
    ``matches`` (:attr:`ProgrammeRoi.matches`); roi is NaN without programme cost.
    ``note`` is the note given in ``managers`` (a dict name -> note), if any.
    """
    notes = dict(managers) if isinstance(managers, dict) else {m: "" for m in managers}
    owner = frame["owner"].astype("object").where(frame["owner"].notna(), NO_OWNER)
    names = sorted(set(owner) | set(notes), key=str)
    matches = matches if matches is not None else pd.DataFrame(columns=["incremental_gross_profit", "programme_cost"])
    # Sums per manager in one groupby each: a loop over managers slicing a 100,000-row frame took seconds.
    is_key = frame["is_key"].astype(bool).to_numpy()
    by = owner.to_numpy()
    money = ["revenue_prior", "revenue", "gross_profit", "cost_to_serve", "profit"]
    key_sums = frame.loc[is_key, money].astype("float64").groupby(by[is_key], sort=False).sum()
    key_counts = pd.Series(is_key).groupby(by, sort=False).sum()
    all_counts = pd.Series(by).value_counts(sort=False)
    m = matches.reindex(frame.index[is_key].intersection(matches.index))
    m_owner = owner.reindex(m.index).to_numpy()
    m_sums = m[["incremental_gross_profit", "programme_cost"]].astype("float64").groupby(m_owner, sort=False).sum()
    m_counts = pd.Series(m_owner).value_counts(sort=False)
    m_complete = m["incremental_gross_profit"].notna().groupby(m_owner, sort=False).all()
    rows = {}
    for name in names:
        n_key = int(key_counts.get(name, 0))
        n_matched = int(m_counts.get(name, 0))
        if name == NO_OWNER:
            if n_key == 0:
                continue
            load = UNASSIGNED
        elif n_key > max_accounts:
            load = OVERLOADED
        elif n_key == 0:
            load = NO_KEY_ACCOUNTS
        elif n_key < min_accounts:
            load = BELOW
        else:
            load = WITHIN
        k = {c: float(key_sums.at[name, c]) if name in key_sums.index else 0.0 for c in money}
        incr = float(m_sums.at[name, "incremental_gross_profit"]) if n_matched else 0.0
        cost = float(m_sums.at[name, "programme_cost"]) if n_matched else 0.0
        rows[name] = {
            "key_accounts": n_key, "other_accounts": int(all_counts.get(name, 0)) - n_key,
            "revenue_prior": k["revenue_prior"], "revenue": k["revenue"],
            "growth": ratio(k["revenue"], k["revenue_prior"]) - 1,
            "gross_profit": k["gross_profit"], "cost_to_serve": k["cost_to_serve"], "profit": k["profit"],
            "incremental_gross_profit": incr if n_matched else np.nan, "programme_cost": cost if n_matched else np.nan,
            "roi": (incr - cost) / cost if n_matched and cost > 0 and bool(m_complete.get(name, False)) else np.nan,
            "load": load, "note": notes.get(name, ""),
        }
    out = pd.DataFrame.from_dict(rows, orient="index", columns=MANAGER_COLUMNS).rename_axis("manager")
    out[["key_accounts", "other_accounts"]] = out[["key_accounts", "other_accounts"]].astype(int)
    return out.sort_values(["key_accounts", "revenue"], ascending=False, kind="mergesort")


# --- across time and slices --------------------------------------------------------------------

def period_comparison(quarterly: pd.DataFrame, is_key: pd.Series, quarter: str) -> pd.DataFrame:
    """This quarter against the previous one and the same quarter a year earlier, per group.

    Columns: revenue_q, revenue_prev_q, revenue_yago_q, qoq_growth, yoy_growth, gross_profit_q,
    gross_margin_pct_q, gross_margin_pct_prev_q, gross_margin_pct_yago_q. Accounts missing from
    ``is_key`` count as other.
    """
    q = quarterly.assign(account_id=quarterly["account_id"].astype(str), quarter=quarterly["quarter"].astype(str))
    flags = is_key.copy()
    flags.index = flags.index.astype(str)
    q["is_key"] = q["account_id"].map(flags).fillna(False).astype(bool)
    labels = {"q": quarter, "prev_q": shift_quarter(quarter, -1), "yago_q": shift_quarter(quarter, -4)}
    rows = {}
    for label, g in _groups(q).items():
        row = {}
        for suffix, period in labels.items():
            part = g[g["quarter"] == period]
            rev, gp = _sum(part["revenue"]), _sum(part["revenue"] - part["cogs"])
            row[f"revenue_{suffix}"] = rev
            row[f"gross_profit_{suffix}"] = gp
            row[f"gross_margin_pct_{suffix}"] = ratio(gp, rev)
        row["qoq_growth"] = ratio(row["revenue_q"], row["revenue_prev_q"]) - 1
        row["yoy_growth"] = ratio(row["revenue_q"], row["revenue_yago_q"]) - 1
        rows[label] = row
    cols = ["revenue_q", "revenue_prev_q", "revenue_yago_q", "qoq_growth", "yoy_growth", "gross_profit_q",
            "gross_margin_pct_q", "gross_margin_pct_prev_q", "gross_margin_pct_yago_q"]
    return pd.DataFrame.from_dict(rows, orient="index")[cols].rename_axis("group")


SLICE_COLUMNS = ["slice", "group", "accounts", "revenue_prior", "revenue", "growth", "gross_margin_pct",
                 "cost_to_serve", "profit", "profit_pct", "nrr"]


def slice_comparison(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Key, other and all accounts within each value of ``by`` (region, industry, ...): one row per
    slice and group. A missing value is its own slice, "(none)". Columns: :data:`SLICE_COLUMNS`."""
    values = frame[by].astype("object").where(frame[by].notna(), "(none)")
    f = pd.DataFrame({"slice": values, "is_key": frame["is_key"].astype(bool),
                      "accounts": (frame["revenue"] > 0).astype(int)})
    for col in ("revenue_prior", "revenue", "expansion", "contraction", "churn", "gross_profit", "cost_to_serve",
                "profit"):
        f[col] = frame[col].astype("float64")
    f["cohort_revenue"] = f["revenue"].where(f["revenue_prior"] > 0, 0.0)   # NRR: the cohort's revenue now
    parts = []
    for label, g in _groups(f).items():
        s = g.drop(columns="is_key").groupby("slice").sum()
        parts.append(pd.DataFrame({
            "slice": s.index, "group": label, "accounts": s["accounts"].astype(int),
            "revenue_prior": s["revenue_prior"], "revenue": s["revenue"],
            "growth": ratio(s["revenue"], s["revenue_prior"]) - 1,
            "gross_margin_pct": ratio(s["gross_profit"], s["revenue"]), "cost_to_serve": s["cost_to_serve"],
            "profit": s["profit"], "profit_pct": ratio(s["profit"], s["revenue"]),
            "nrr": ratio(s["cohort_revenue"], s["revenue_prior"])}))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=SLICE_COLUMNS)
    # every slice has a key, other and all row, in that order, even with no accounts of a group there
    grid = pd.MultiIndex.from_product([sorted(values.unique(), key=str), list(GROUPS)], names=["slice", "group"])
    out = out.set_index(["slice", "group"]).reindex(grid).reset_index()
    fill = ["accounts", "revenue_prior", "revenue", "cost_to_serve", "profit"]
    out[fill] = out[fill].fillna(0)
    out["accounts"] = out["accounts"].astype(int)
    return out[SLICE_COLUMNS]
