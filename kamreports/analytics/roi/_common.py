"""Helpers shared by several modules of the ROI package: the key / other / all split, sums, percents.

Private: one definition each, imported where used, so the groups and rounding cannot drift apart
between the retention, breakdown, sentence and report modules.
"""
from __future__ import annotations

import pandas as pd

GROUPS = ("key", "other", "all")


def _groups(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The rows of ``frame`` per group of :data:`GROUPS`, by its ``is_key`` column."""
    key = frame["is_key"].astype(bool)
    return {"key": frame[key], "other": frame[~key], "all": frame}


def _sum(series: pd.Series) -> float:
    """A column's sum as a float (missing values count as 0), whatever the column's dtype."""
    return float(series.astype("float64").sum())


def _pct(value: float, signed: bool = False, decimals: int = 0) -> str:
    """A ratio as a percent for sentences: "12%", or with ``signed`` "+12%" ("-3%"); ``decimals``
    places. A value that rounds to zero is "0%", never "-0%" or "+0%"."""
    v = value * 100
    if round(v, decimals) == 0:
        return f"{0:.{decimals}f}%"
    return f"{v:+.{decimals}f}%" if signed else f"{v:.{decimals}f}%"
