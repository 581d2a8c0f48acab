"""Calendar quarters as strings ("2026Q3") and as pandas Periods.

Reports speak in quarters; keeping the parsing in one place means a bad
quarter string gets the same clear message everywhere.
"""
from __future__ import annotations

import re
from datetime import date

import pandas as pd

QUARTER_PATTERN = re.compile(r"^(\d{4})\s*-?\s*Q([1-4])$", re.IGNORECASE)


class QuarterError(ValueError):
    """A string that is not a calendar quarter such as 2026Q3."""


def parse_quarter(text: str) -> pd.Period:
    match = QUARTER_PATTERN.match(str(text).strip())
    if not match:
        raise QuarterError(f"{text!r} is not a quarter; expected the form 2026Q3")
    return pd.Period(year=int(match.group(1)), quarter=int(match.group(2)), freq="Q")


def quarter_ordinals(quarters: "pd.Series | list[str]") -> "np.ndarray":
    """Period ordinals of many quarter labels: each distinct label parsed once, not once per row."""
    from ._fast import per_distinct

    labels = pd.Series(quarters, copy=False)
    ordinals = per_distinct(labels, lambda distinct: pd.Series(  # a missing label fails to parse
        [parse_quarter(str(q)).ordinal for q in distinct], index=distinct.index, dtype="int64"))
    return ordinals.to_numpy(dtype="int64")


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
    import numpy as np

    from ._fast import code_labels, quarter_codes

    codes, uniques = pd.factorize(quarter_codes(dates), use_na_sentinel=True)
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
