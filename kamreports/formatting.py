"""Numbers for people: $1.2M, 12.3%, thousands separators, a dash for missing."""
from __future__ import annotations

import math

DASH = "–"


def _missing(value: object) -> bool:
    try:
        return value is None or math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def money(value: object, currency: str = "$", decimals: int = 1) -> str:
    """Compact money: $950, $12.3K, $1.2M, $3.4B; negatives as -$1.2M."""
    if _missing(value):
        return DASH
    v = float(value)  # type: ignore[arg-type]
    sign = "-" if v < 0 else ""
    v = abs(v)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if v >= limit * 0.9995:
            return f"{sign}{currency}{v / limit:,.{decimals}f}{suffix}"
    return f"{sign}{currency}{v:,.0f}"


def money_full(value: object, currency: str = "$") -> str:
    if _missing(value):
        return DASH
    v = float(value)  # type: ignore[arg-type]
    return f"{'-' if v < 0 else ''}{currency}{abs(v):,.0f}"


def percent(value: object, decimals: int = 1, signed: bool = False) -> str:
    if _missing(value):
        return DASH
    v = float(value) * 100  # type: ignore[arg-type]
    return f"{v:+.{decimals}f}%" if signed else f"{v:.{decimals}f}%"


def number(value: object, decimals: int = 0) -> str:
    if _missing(value):
        return DASH
    return f"{float(value):,.{decimals}f}"  # type: ignore[arg-type]
