"""Targets derived from revenue, for an export that has none (``tables: targets: rules:``).

Each account-quarter gets the target of the first rule that has a base: the same quarter last year,
the previous quarter, or the average of the four quarters before, times (1 + growth). Quarters are
:func:`~kamreports.periods.quarter_code` integers here, so "k quarters before" is a column shift.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Protocol

import numpy as np
import pandas as pd

from ...periods import code_labels, date_codes
from .cells import number_text


class Recorder(Protocol):
    """Where the derivation reports what it did (the profile's run: the data-quality report)."""

    def record(self, step: str, table: str, what: str, count: int, detail: str = "") -> None: ...


def rule_label(rule: dict[str, Any]) -> str:
    """A rule in words, for the data-quality report and the packs' notes."""
    basis = {"same_quarter_last_year": "the same quarter last year's revenue",
             "previous_quarter": "the previous quarter's revenue",
             "trailing_average": "the average revenue of the four quarters before"}[rule["basis"]]
    return f"{basis} × (1 + {rule['growth'] * 100:g}%)"


def derive_targets(revenue: pd.DataFrame, rules: list[dict[str, Any]], run: Recorder | None = None) -> pd.DataFrame:
    """Targets per account and quarter from canonical revenue (text frame), by the first rule with a base."""
    dates = pd.to_datetime(revenue["date"].replace("", None), errors="coerce", format="ISO8601")
    amounts = pd.to_numeric(revenue["revenue"].replace("", None), errors="coerce")
    frame = pd.DataFrame({"account_id": revenue["account_id"], "q": date_codes(dates), "r": amounts}).dropna()
    columns = ["account_id", "quarter", "target"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame = frame.astype({"q": "int64"})
    wide = frame.groupby(["account_id", "q"])["r"].sum().unstack().astype("float64").fillna(0.0)
    first, last = int(frame["q"].min()), int(frame["q"].max())
    wide = wide.reindex(columns=range(first, last + 1), fill_value=0.0)
    # Columns are consecutive quarters, so shifting columns by k gives the revenue k quarters before
    # (NaN where that is before the data starts: no base).
    bases = {"same_quarter_last_year": wide.shift(4, axis=1),
             "previous_quarter": wide.shift(1, axis=1),
             "trailing_average": wide.T.rolling(4).mean().shift(1).T}
    target = pd.DataFrame(np.nan, index=wide.index, columns=wide.columns)
    used: Counter = Counter()
    for rule in rules:
        base = bases[rule["basis"]]
        take = target.isna() & (base > 0)
        target = target.mask(take, (base * (1 + rule["growth"])).round(2))
        used[rule_label(rule)] += int(take.to_numpy().sum())
    skipped = int(target.isna().to_numpy().sum())
    long = target.T.stack().dropna()                       # quarter by quarter, accounts in order
    labels = dict(zip(wide.columns, code_labels(wide.columns)))
    rows = [(account, labels[q], value) for (q, account), value in long.items()]
    if run is not None:
        span = f"{labels[first]} to {labels[last]}"
        for rule in rules:
            label = rule_label(rule)
            run.record("derive", "targets", f"target = {label}", used[label],
                       f"account-quarters {span}; the first rule with a base is used")
        run.record("derive", "targets", "no base revenue: no target", skipped,
                   "account-quarters whose base quarter(s) are outside the data or had no revenue")
    out = pd.DataFrame(rows, columns=columns)
    out["target"] = number_text(out["target"])
    return out.astype(object)
