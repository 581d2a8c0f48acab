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


def _pct(value: float, signed: bool = False) -> str:
    """A ratio as a whole percent for sentences: "12%", or with ``signed`` "+12%"."""
    return f"{value * 100:+.0f}%" if signed else f"{value * 100:.0f}%"
