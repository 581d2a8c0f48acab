"""The two windows of the ROI page and the per-account table every other ROI figure reads.

Windows
- The *current* window is the ``window`` quarters ending with the reporting quarter; the *prior*
  window is the ``window`` quarters before it (default 4 and 4: trailing four quarters against
  the four before).
- Key or other is the summary's ``is_key``: today's selection for the current and prior windows. The
  rolling history (``programme.roi_by_quarter``) gives each quarter's window that quarter's own
  key list when the portfolio has a history (``Portfolio.history``), else today's.

Per account (:func:`account_windows`)
- gross profit = revenue - cost of goods; cost to serve = the KAM costs table (no rows = 0);
  profit = gross profit - cost to serve.
- status: ``new`` (revenue now, none before), ``churned`` (revenue before, none now),
  ``expanded`` / ``contracted`` / ``flat``, ``inactive`` (cost to serve but no revenue in either).
- established: a customer since the prior window began (revenue in its first quarter or earlier;
  when the data start later, in the data's first quarter). An account that started buying during
  the prior window has a part-year there against a full year now: the programme ROI leaves it out,
  as its growth is its ramp-up, not a return on the programme.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...periods import parse_quarter, quarter_range, shift_quarter
from ..metrics import ratio

PROMOTER, DETRACTOR = 9, 6          # NPS: 9-10 promoters, 0-6 detractors


# --- windows ----------------------------------------------------------------------------------

def window_quarters(quarter: str, window: int = 4) -> tuple[list[str], list[str]]:
    """(current, prior) quarter labels, oldest first: the ``window`` quarters ending with
    ``quarter`` and the ``window`` before them."""
    current = quarter_range(quarter, window)
    prior = quarter_range(shift_quarter(quarter, -window), window)
    return current, prior


def window_label(quarter: str, window: int = 4, compare: bool = False) -> str:
    """"2025Q4-2026Q3", or with ``compare`` "2025Q4-2026Q3 vs 2024Q4-2025Q3"."""
    current, prior = window_quarters(quarter, window)
    label = f"{current[0]}-{current[-1]}" if window > 1 else current[0]
    if compare:
        label += " vs " + (f"{prior[0]}-{prior[-1]}" if window > 1 else prior[0])
    return label


# --- per account ------------------------------------------------------------------------------

ACCOUNT_COLUMNS = [
    "name", "is_key", "owner", "region", "industry",
    "revenue_prior", "revenue", "cogs_prior", "cogs", "gross_profit_prior", "gross_profit",
    "cost_to_serve_prior", "cost_to_serve", "profit_prior", "profit", "growth", "gross_margin_pct",
    "cost_to_serve_pct", "profit_pct", "status", "expansion", "contraction", "churn",
    "wallet_estimate", "share_of_wallet", "nps_avg", "nps_responses", "nps_promoters", "nps_detractors",
    "established",
]


class WindowTotals:
    """Per-account sums of some columns over any set of quarters, from one encoding of the rows.

    Why: the ROI history asks for the same sums over a dozen windows; grouping a million rows by
    string account ids each time cost seconds at 100,000 accounts. Account ids and quarters are
    factorised once (each distinct value turned to ``str`` once), then every window is a
    ``np.bincount`` over the rows whose quarter code is in it. Missing values count as 0, as in
    a pandas sum.
    """

    def __init__(self, frame: pd.DataFrame, columns: list[str]):
        codes, uniques = pd.factorize(frame["account_id"], use_na_sentinel=True)
        ids = pd.Index(uniques).astype(str)
        if not ids.is_unique:  # e.g. 1 and "1": the same account once written as text
            codes, ids = _merge_codes(codes, ids)
        self._ids = ids
        self._codes = codes
        q_codes, q_uniques = pd.factorize(frame["quarter"], use_na_sentinel=True)
        self._quarter_codes = q_codes
        self._quarters = pd.Index(q_uniques).astype(str)
        self._values = {c: np.nan_to_num(pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype="float64",
                                                                                              na_value=np.nan))
                        for c in columns}

    @property
    def first_quarter(self) -> str | None:
        """The earliest quarter of the rows ("2023Q4"); None without rows."""
        labels = [q for q in self._quarters if q and q != "nan"]
        return str(min(labels, key=parse_quarter)) if labels else None

    def through(self, column: str, last: str) -> pd.Series:
        """Per account id (str), the sum of ``column`` over every quarter up to and including ``last``."""
        end = parse_quarter(last)
        return self.sum(column, [q for q in self._quarters if q and q != "nan" and parse_quarter(q) <= end])

    def sum(self, column: str, quarters: list[str]) -> pd.Series:
        """Per account id (str), the sum of ``column`` over ``quarters``; 0 for an account with no rows."""
        wanted = np.flatnonzero(self._quarters.isin(quarters))
        rows = np.isin(self._quarter_codes, wanted) & (self._codes >= 0)
        totals = np.bincount(self._codes[rows], weights=self._values[column][rows], minlength=len(self._ids))
        return pd.Series(totals, index=self._ids, dtype="float64")


def _merge_codes(codes: np.ndarray, ids: pd.Index) -> tuple[np.ndarray, pd.Index]:
    merged, unique_ids = pd.factorize(ids)
    return np.where(codes >= 0, merged[np.maximum(codes, 0)], -1), pd.Index(unique_ids)


def window_totals(quarterly: pd.DataFrame, kam_costs: pd.DataFrame) -> tuple[WindowTotals, WindowTotals]:
    """The encodings :func:`account_windows` sums from: revenue and cogs, and cost to serve."""
    return WindowTotals(quarterly, ["revenue", "cogs"]), WindowTotals(kam_costs, ["cost"])


def account_windows(quarterly: pd.DataFrame, kam_costs: pd.DataFrame, summary: pd.DataFrame, quarter: str,
                    window: int = 4, feedback: pd.DataFrame | None = None,
                    _totals: tuple[WindowTotals, WindowTotals] | None = None) -> pd.DataFrame:
    """One row per account with revenue or cost to serve in either window, indexed by account_id.

    ``quarterly``: account_id, quarter, revenue, cogs (``metrics.quarterly_revenue``).
    ``kam_costs``: account_id, quarter, cost. ``summary``: indexed by account_id, with ``is_key``
    and, where present, name, owner, region, industry, wallet_estimate, nps_avg. ``feedback``
    (account_id, date, nps 0-10) gives NPS over the current window; without it ``nps_avg`` comes
    from the summary and the response counts are NaN.

    Columns: see :data:`ACCOUNT_COLUMNS`. ``_prior`` figures are the prior window, the others the
    current one. share_of_wallet = annualised current revenue / wallet_estimate (NaN when the
    estimate is missing or zero).
    """
    current, prior = window_quarters(quarter, window)
    sales, costs = _totals or window_totals(quarterly, kam_costs)
    # A customer since the prior window began: revenue in its first quarter or before (or, when the
    # data start later, in the data's first quarter, as far back as can be seen).
    first = sales.first_quarter
    start = prior[0] if first is None or parse_quarter(prior[0]) >= parse_quarter(first) else first
    sums = {
        "revenue": sales.sum("revenue", current), "revenue_prior": sales.sum("revenue", prior),
        "cogs": sales.sum("cogs", current), "cogs_prior": sales.sum("cogs", prior),
        "cost_to_serve": costs.sum("cost", current), "cost_to_serve_prior": costs.sum("cost", prior),
    }
    ids = pd.Index(summary.index.astype(str))
    for s in sums.values():
        ids = ids.union(s.index[s != 0])
    out = pd.DataFrame(index=pd.Index(ids, name="account_id"))
    wanted = ["name", "owner", "region", "industry", "is_key", "wallet_estimate", "nps_avg"]
    meta = summary[[c for c in wanted if c in summary.columns]].copy()  # not every summary column, per window
    meta.index = meta.index.astype(str)
    for col in ("name", "owner", "region", "industry"):
        out[col] = meta[col].reindex(ids) if col in meta else np.nan
    out["name"] = out["name"].where(out["name"].notna(), pd.Series(ids, index=ids))
    out["is_key"] = meta["is_key"].astype(bool).reindex(ids, fill_value=False)
    for name, s in sums.items():
        out[name] = s.reindex(ids).fillna(0.0)
    out["established"] = sales.through("revenue", start).reindex(ids).fillna(0.0).gt(0).to_numpy()
    out["gross_profit_prior"] = out["revenue_prior"] - out["cogs_prior"]
    out["gross_profit"] = out["revenue"] - out["cogs"]
    out["profit_prior"] = out["gross_profit_prior"] - out["cost_to_serve_prior"]
    out["profit"] = out["gross_profit"] - out["cost_to_serve"]
    out["growth"] = ratio(out["revenue"], out["revenue_prior"]) - 1
    out["gross_margin_pct"] = ratio(out["gross_profit"], out["revenue"])
    out["cost_to_serve_pct"] = ratio(out["cost_to_serve"], out["revenue"])
    out["profit_pct"] = ratio(out["profit"], out["revenue"])
    before, now = out["revenue_prior"] > 0, out["revenue"] > 0
    out["status"] = np.select(
        [before & ~now, ~before & now, before & (out["revenue"] > out["revenue_prior"]),
         before & now & (out["revenue"] < out["revenue_prior"]), before & now],
        ["churned", "new", "expanded", "contracted", "flat"], default="inactive")
    out["expansion"] = (out["revenue"] - out["revenue_prior"]).clip(lower=0).where(before, 0.0)
    out["contraction"] = (out["revenue_prior"] - out["revenue"]).clip(lower=0).where(before & now, 0.0)
    out["churn"] = out["revenue_prior"].where(before & ~now, 0.0)
    wallet = meta["wallet_estimate"].reindex(ids).astype("float64") if "wallet_estimate" in meta \
        else pd.Series(np.nan, index=ids)
    out["wallet_estimate"] = wallet
    out["share_of_wallet"] = ratio(out["revenue"] * 4 / window, wallet.where(wallet > 0))
    if feedback is not None:
        start, end = parse_quarter(current[0]).start_time, parse_quarter(current[-1]).end_time
        fb = feedback[(feedback["date"] >= start) & (feedback["date"] <= end)]
        fb = fb.assign(account_id=fb["account_id"].astype(str), nps=pd.to_numeric(fb["nps"]).astype("float64"))
        by = fb.groupby("account_id")["nps"]
        out["nps_avg"] = by.mean().reindex(ids)
        out["nps_responses"] = by.size().reindex(ids).fillna(0).astype(int)
        account = fb["account_id"]  # counted with vectorised sums: a Python function per account is slow at scale
        out["nps_promoters"] = (fb["nps"] >= PROMOTER).groupby(account).sum().reindex(ids).fillna(0).astype(int)
        out["nps_detractors"] = (fb["nps"] <= DETRACTOR).groupby(account).sum().reindex(ids).fillna(0).astype(int)
    else:
        out["nps_avg"] = meta["nps_avg"].reindex(ids).astype("float64") if "nps_avg" in meta else np.nan
        for col in ("nps_responses", "nps_promoters", "nps_detractors"):
            out[col] = np.nan
    return out[ACCOUNT_COLUMNS]
