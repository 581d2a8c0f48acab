"""Cells of the canonical tables as a profile makes them: text, with numbers written one way.

A profile's tables are text frames until the loader types and validates them, so a number computed
on the way (a scale, a sum, a derived target) is written back as text: whole numbers without ".0",
others rounded to 10 decimals, so that the loader reads back exactly what was meant. Both the
application (:mod:`.apply`) and target derivation (:mod:`.targets`) need this; it lives here because
:mod:`.apply` imports :mod:`.targets`, so it cannot import back.
"""
from __future__ import annotations

from typing import Any

import pandas as pd


def as_number(values: pd.Series) -> pd.Series:
    """The cells as float64; empty or not a number gives NaN."""
    return pd.to_numeric(values.astype(object).where(values.notna(), None), errors="coerce")


def number_text(values: pd.Series) -> pd.Series:
    """Numbers as the text a canonical cell holds: "1200" not "1200.0"; NaN gives None."""
    def fmt(v: float) -> Any:
        if pd.isna(v):
            return None
        return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(round(float(v), 10))
    return values.map(fmt).astype(object)
