"""The one call: every ROI figure for one quarter, bundled as :class:`RoiReport`.

:func:`roi_report` computes the shared inputs once (quarterly revenue, the window encodings, the
per-account table) and hands them to each analysis, then adds the assumptions in words, the
summary sentences and the long table.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ... import formatting
from ...config import Roi
from ...data.dataset import Dataset
from ..history import quarter_runs
from ..metrics import quarterly_revenue
from ._common import _pct
from .breakdowns import WhaleSummary, manager_load, period_comparison, slice_comparison, whale_curve, whale_summary
from .programme import ProgrammeRoi, programme_roi, roi_by_quarter
from .retention import compare_groups, lifetime_value, retention
from .sentences import Finding, roi_sentences
from .table import roi_table
from .windows import account_windows, window_label, window_totals


@dataclass
class RoiReport:
    """Everything the ROI page shows for one quarter."""

    quarter: str
    window: str                         # "2025Q4-2026Q3 vs 2024Q4-2025Q3"
    settings: Roi
    accounts: pd.DataFrame              # account_windows + clv, one row per account
    groups: pd.DataFrame                # compare_groups: key / other / all
    retention: pd.DataFrame             # retention by cohort: key / other / all
    programme: ProgrammeRoi
    history: pd.DataFrame               # roi_by_quarter
    whale: pd.DataFrame                 # whale_curve
    whale_summary: WhaleSummary
    managers: pd.DataFrame              # manager_load
    periods: pd.DataFrame               # period_comparison
    regions: pd.DataFrame               # slice_comparison by region
    industries: pd.DataFrame            # slice_comparison by industry
    assumptions: list[str]
    sentences: list[Finding]
    table: pd.DataFrame                 # roi_table


def key_list_sentence(quarter: str, shown: list[str], key_sources: dict[str, str] | None) -> str:
    """Which key list each ROI window uses, in words. ``shown``: the quarters of the ROI history;
    ``key_sources``: quarter -> "as reported", "backfilled" or "recomputed" for the quarters whose own
    key list is known (None: no history, today's list for every window)."""
    if key_sources is None:
        return (f"Key or other is today's selection ({quarter}) for every window and for the ROI history: "
                "the data holds no history of the key list.")
    earlier = [q for q in shown if q != quarter]
    words = {"as reported": "as reported", "backfilled": "from records backfilled later",
             "recomputed": "recomputed with today's settings"}
    parts = []
    for source, said in words.items():
        quarters = [q for q in earlier if key_sources.get(q) == source]
        if quarters:
            parts.append(f"{said} for {quarter_runs(quarters)}")
    today = [q for q in earlier if q not in key_sources]
    if today:
        parts.append(f"today's selection for {quarter_runs(today)} (no history that far back)")
    if not parts:
        return f"Key or other is this quarter's own selection ({quarter})."
    return (f"Key or other is each quarter's own selection: {'; '.join(parts)}; this quarter's own for {quarter} "
            "and the programme ROI.")


def assumptions(programme: ProgrammeRoi, groups: pd.DataFrame, settings: Roi, quarter: str,
                key_sentence: str | None = None) -> list[str]:
    """The choices behind the ROI page, in words, with the values used. ``key_sentence``: which key
    list each window uses (:func:`key_list_sentence`); by default, today's for every window."""
    s = settings
    grr = {g: (_pct(groups.at[g, "grr"]) if g in groups.index and pd.notna(groups.at[g, "grr"]) else "n/a")
           for g in ("key", "other")}
    cost = ("key accounts' KAM cost minus their revenue at their matched peers' KAM cost per revenue dollar "
            "(the extra cost of key-account management)" if s.programme_cost == "extra"
            else "key accounts' whole KAM cost")
    items = [
        f"Windows: {window_label(quarter, s.window_quarters, compare=True)} "
        f"({s.window_quarters} quarters each).",
        key_sentence or key_list_sentence(quarter, [], None),
        "Gross profit = revenue - cost of goods; cost to serve = the KAM costs table (an account without "
        "cost rows costs 0); profit = gross profit - cost to serve. Group figures are ratios of sums.",
        "Retention cohort: accounts with revenue in the prior window. Churn = no revenue in the current window. "
        "GRR = (start - contraction - churn) / start; NRR = (start + expansion - contraction - churn) / start.",
        f"Lifetime value = annual gross profit x r / (1 + {s.discount_rate:g} - r), r = the group's GRR "
        f"(key {grr['key']}, other {grr['other']}).",
        f"Baseline: each key account's prior-window gross profit grown at the gross-profit growth of "
        f"{programme.matching}.",
        f"Programme cost = {cost}, in the current window.",
        f"The ROI and its peers count only accounts that were customers for the whole prior window (revenue in "
        f"its first quarter or before): a newer account's growth is its ramp-up. Key accounts left out, with "
        f"their cost: {programme.new_key_accounts}.",
        f"Payback = programme cost / (incremental gross profit / {3 * s.window_quarters} months).",
        "Key accounts were chosen partly for size and potential, so the comparison shows an association "
        "with the programme, not proof that it caused the difference.",
    ]
    return items


def roi_report(dataset: Dataset, summary: pd.DataFrame, quarter: str, settings_roi: Roi | None = None,
               formats: formatting.NumberFormat | None = None, quarterly: pd.DataFrame | None = None,
               key_lists: dict[str, pd.Series] | None = None, key_sources: dict[str, str] | None = None
               ) -> RoiReport:
    """Every ROI figure for ``quarter`` from the dataset and the portfolio summary (with ``is_key``).
    ``quarterly`` is ``metrics.quarterly_revenue(dataset)`` when the caller already has it.
    ``key_lists`` and ``key_sources`` (quarter -> key flags, and where each came from: the
    portfolio's history) give each window of the ROI history its own quarter's key list."""
    s = settings_roi or Roi()
    w = s.window_quarters
    fmt = formats or formatting.NumberFormat()
    quarterly = quarterly_revenue(dataset) if quarterly is None else quarterly
    totals = window_totals(quarterly, dataset.kam_costs)
    frame = account_windows(quarterly, dataset.kam_costs, summary, quarter, w,
                            dataset.feedback if "feedback" in dataset.present else None, _totals=totals)
    retained = retention(frame)
    groups = compare_groups(frame, retained, s.discount_rate, w)
    rate = frame["is_key"].map({True: groups.at["key", "grr"], False: groups.at["other", "grr"]}).astype("float64")
    frame["clv"] = lifetime_value(frame["gross_profit"] * 4 / w, rate, s.discount_rate).where(frame["revenue"] > 0)
    programme = programme_roi(frame, quarter, w, s.match, s.size_bands, s.min_peers, s.programme_cost)
    history = roi_by_quarter(quarterly, dataset.kam_costs, summary, quarter, w, s.history_quarters, s.match,
                             s.size_bands, s.min_peers, s.programme_cost, _totals=totals, key_lists=key_lists)
    curve = whale_curve(frame)
    whale = whale_summary(curve)
    managers = manager_load(frame, programme.matches, s.min_key_accounts, s.max_key_accounts, s.managers)
    periods = period_comparison(quarterly, frame["is_key"], quarter)
    regions, industries = slice_comparison(frame, "region"), slice_comparison(frame, "industry")
    table = roi_table(quarter, w, groups, retained, programme, history, whale, managers, periods,
                      {"region": regions, "industry": industries})
    sentences = roi_sentences(programme, groups, whale, managers, periods, s.min_key_accounts,
                              s.max_key_accounts, fmt.money, fmt.sane_change)
    return RoiReport(quarter=quarter, window=window_label(quarter, w, compare=True), settings=s, accounts=frame,
                     groups=groups, retention=retained, programme=programme, history=history, whale=curve,
                     whale_summary=whale, managers=managers, periods=periods, regions=regions,
                     industries=industries,
                     assumptions=assumptions(programme, groups, s, quarter, key_list_sentence(
                         quarter, list(history.index), key_sources if key_lists is not None else None)),
                     sentences=sentences, table=table)
