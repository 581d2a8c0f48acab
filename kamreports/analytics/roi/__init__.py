"""Portfolio KAM ROI: what the key-account programme returns, against the rest of the book.

Pure functions: DataFrames in, DataFrames out; no I/O, no plotting. :func:`roi_report` runs them
all for one quarter and bundles the result (frames, the programme ROI, assumptions, summary
sentences and the long table :func:`roi_table`). All group figures are ratios of sums, not
averages of account rates.

The rules live with the code they describe:

- :mod:`.windows` - the current and prior windows, key or other, the per-account table
  (profit, status, share of wallet, NPS).
- :mod:`.retention` - retention by cohort (GRR, NRR), lifetime value, key / other / all comparison.
- :mod:`.programme` - peer matching by size band and industry, the baseline, programme cost,
  ROI and payback, the rolling ROI history.
- :mod:`.breakdowns` - whale curve, manager load, quarter and slice (region, industry) comparisons.
- :mod:`.table` - the long table (roi.csv) and the definition of every metric.
- :mod:`.sentences` - the summary sentences and the table rows each quotes.
- :mod:`.report` - :class:`RoiReport`, the assumptions in words, :func:`roi_report`.

Every public name is importable from here (``from kamreports.analytics.roi import roi_report``).
"""
from __future__ import annotations

from ..metrics import size_bands
from ._common import GROUPS
from .breakdowns import (
    MANAGER_COLUMNS,
    NO_OWNER,
    SLICE_COLUMNS,
    WhaleSummary,
    manager_load,
    period_comparison,
    slice_comparison,
    whale_curve,
    whale_summary,
)
from .programme import HISTORY_COLUMNS, MATCH_COLUMNS, ProgrammeRoi, programme_roi, roi_by_quarter, with_key_list
from .report import RoiReport, assumptions, key_list_sentence, roi_report
from .retention import compare_groups, lifetime_value, retention
from .sentences import Finding, roi_sentences
from .table import METRICS, TABLE_COLUMNS, roi_table
from .windows import (
    ACCOUNT_COLUMNS,
    DETRACTOR,
    PROMOTER,
    WindowTotals,
    account_windows,
    window_label,
    window_quarters,
    window_totals,
)

__all__ = [
    # windows and the per-account table
    "ACCOUNT_COLUMNS", "DETRACTOR", "GROUPS", "PROMOTER", "WindowTotals", "account_windows", "window_label",
    "window_quarters", "window_totals",
    # retention, lifetime value, group comparison
    "compare_groups", "lifetime_value", "retention",
    # programme ROI
    "HISTORY_COLUMNS", "MATCH_COLUMNS", "ProgrammeRoi", "programme_roi", "roi_by_quarter", "size_bands",
    "with_key_list",
    # whale curve, manager load, across time and slices
    "MANAGER_COLUMNS", "NO_OWNER", "SLICE_COLUMNS", "WhaleSummary", "manager_load", "period_comparison",
    "slice_comparison", "whale_curve", "whale_summary",
    # the long table, sentences, the one call
    "METRICS", "TABLE_COLUMNS", "roi_table",
    "Finding", "roi_sentences",
    "RoiReport", "assumptions", "key_list_sentence", "roi_report",
]
