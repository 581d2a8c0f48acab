"""Calendar quarters as strings ("2026Q3") and as pandas Periods.

Reports speak in quarters; keeping the parsing in one place means a bad
quarter string gets the same clear message everywhere.
"""
from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd

QUARTER_PATTERN = re.compile(r"^(\d{4})\s*-?\s*Q([1-4])$", re.IGNORECASE)


class QuarterError(ValueError):
    """A string that is not a calendar quarter such as 2026Q3."""


def parse_quarter(text: str) -> pd.Period:
    match = QUARTER_PATTERN.match(str(text).strip())
    if not match:
        raise QuarterError(f"{text!r} is not a quarter; expected the form 2026Q3")
    return pd.Period(year=int(match.group(1)), quarter=int(match.group(2)), freq="Q")


def quarter_code(quarter: str) -> int:
    """year x 4 + quarter - 1 ("2026Q3" -> 8106): quarters as integers that sort and subtract like
    the calendar. The one integer form of a quarter in this package."""
    period = parse_quarter(quarter)
    return period.year * 4 + period.quarter - 1


def label_codes(quarters: "pd.Series | list[str]", lenient: bool = False) -> np.ndarray:
    """:func:`quarter_code` of many labels, each distinct label parsed once, not once per row.
    A label that is not a quarter raises QuarterError, or with ``lenient`` gives NaN (float64)."""
    from ._fast import per_distinct

    def codes(distinct: pd.Series) -> pd.Series:
        out = []
        for q in distinct:
            try:
                out.append(float(quarter_code(str(q))) if not pd.isna(q) else np.nan)
            except QuarterError:
                if not lenient:
                    raise
                out.append(np.nan)
        return pd.Series(out, index=distinct.index, dtype="float64")

    labels = pd.Series(quarters, copy=False)
    if not lenient and labels.isna().any():
        raise QuarterError(f"{labels[labels.isna()].iloc[0]!r} is not a quarter; expected the form 2026Q3")
    values = per_distinct(labels, codes).to_numpy(dtype="float64")
    return values if lenient else values.astype("int64")


def date_codes(dates: pd.Series) -> np.ndarray:
    """:func:`quarter_code` of each datetime's quarter, as float64 (NaN for NaT)."""
    return (dates.dt.year * 4 + dates.dt.quarter - 1).to_numpy(dtype="float64", na_value=np.nan)


def code_labels(codes: "np.ndarray | list[int]") -> list[str]:
    """Quarter labels ("2026Q3") for :func:`quarter_code` values."""
    return [f"{int(c) // 4}Q{int(c) % 4 + 1}" for c in codes]


def quarter_label(period: pd.Period) -> str:
    return f"{period.year}Q{period.quarter}"


def shift_quarter(quarter: str, n: int) -> str:
    return quarter_label(parse_quarter(quarter) + n)


def quarter_range(end: str, count: int) -> list[str]:
    """The `count` quarters ending with `end`, oldest first."""
    last = parse_quarter(end)
    return [quarter_label(last - i) for i in range(count - 1, -1, -1)]


def quarter_end(quarter: str) -> date:
    return parse_quarter(quarter).end_time.date()


def quarters_of(dates: pd.Series) -> pd.Series:
    """Quarter labels ("2026Q3") for a Series of datetimes (NaT gives <NA>).

    Each distinct quarter is formatted once: joining strings row by row costs seconds per
    million rows, and revenue tables have millions of rows but a few dozen quarters."""
    codes, uniques = pd.factorize(date_codes(dates), use_na_sentinel=True)
    labels = pd.array([*code_labels(uniques), pd.NA], dtype="string")
    return pd.Series(labels.take(np.where(codes < 0, len(uniques), codes)), index=dates.index)


def latest_complete_quarter(quarters: pd.Series | list[str], today: date | None = None) -> str:
    """The newest quarter present in the data that has ended by `today`."""
    today = today or date.today()
    present = sorted({parse_quarter(q) for q in quarters})
    complete = [p for p in present if p.end_time.date() < today]
    if not complete:
        raise QuarterError("the data holds no quarter that has ended yet")
    return quarter_label(complete[-1])
