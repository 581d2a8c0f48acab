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


def localise(text: str, thousands: str = ",", decimal: str = ".") -> str:
    """Swap the separators of text formatted the English way."""
    if (thousands, decimal) == (",", "."):
        return text
    return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)


class NumberFormat:
    """The formatters above, bound to a company's currency and separators."""

    def __init__(self, currency: str = "$", thousands: str = ",", decimal: str = "."):
        self.currency, self.thousands, self.decimal = currency, thousands, decimal

    def money(self, value: object, decimals: int = 1) -> str:
        return localise(money(value, self.currency, decimals), self.thousands, self.decimal)

    def money_full(self, value: object) -> str:
        return localise(money_full(value, self.currency), self.thousands, self.decimal)

    def percent(self, value: object, decimals: int = 1, signed: bool = False) -> str:
        return localise(percent(value, decimals, signed), self.thousands, self.decimal)

    def number(self, value: object, decimals: int = 0) -> str:
        return localise(number(value, decimals), self.thousands, self.decimal)
