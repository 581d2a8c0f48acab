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
    sign = "-" if round(v) < 0 else ""   # -$0.3 is $0, not -$0
    v = abs(v)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if v >= limit * 0.9995:
            return f"{sign}{currency}{v / limit:,.{decimals}f}{suffix}"
    return f"{sign}{currency}{v:,.0f}"


def money_full(value: object, currency: str = "$") -> str:
    if _missing(value):
        return DASH
    v = float(value)  # type: ignore[arg-type]
    return f"{'-' if round(v) < 0 else ''}{currency}{abs(v):,.0f}"


def _no_negative_zero(v: float, decimals: int) -> float:
    """0.0 for a value that rounds to zero: -0.004 printed at two places is "0.00", never "-0.00"."""
    return 0.0 if round(v, decimals) == 0 else v


def percent(value: object, decimals: int = 1, signed: bool = False) -> str:
    """12.3%; with ``signed`` +12.3% or -4.0%. A value that rounds to zero prints as 0.0%, unsigned."""
    if _missing(value):
        return DASH
    v = _no_negative_zero(float(value) * 100, decimals)  # type: ignore[arg-type]
    return f"{v:+.{decimals}f}%" if signed and v != 0 else f"{v:.{decimals}f}%"


def number(value: object, decimals: int = 0, signed: bool = False) -> str:
    """1,234; with ``signed`` +1,234 or -56. A value that rounds to zero prints as 0, unsigned."""
    if _missing(value):
        return DASH
    v = _no_negative_zero(float(value), decimals)  # type: ignore[arg-type]
    return f"{v:+,.{decimals}f}" if signed and v != 0 else f"{v:,.{decimals}f}"


def localise(text: str, thousands: str = ",", decimal: str = ".") -> str:
    """Swap the separators of text formatted the English way."""
    if (thousands, decimal) == (",", "."):
        return text
    return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)


#: The sane range of an attainment or a growth rate (``report.sane_change``): beyond ±10 (±1,000%) the
#: figure says more about a tiny target or base than about the account, and is not printed as a figure.
SANE_CHANGE = 10.0
TARGET_TOO_SMALL = "target too small to compare"
BASE_TOO_SMALL = "base too small to compare"


def beyond(value: object, limit: float = SANE_CHANGE) -> bool:
    """Whether ``value`` (a ratio: 12.0 = 1,200%) lies beyond ±``limit``; a missing value does not."""
    return not _missing(value) and abs(float(value)) > limit  # type: ignore[arg-type]


class NumberFormat:
    """The formatters above, bound to a company's currency and separators, and to the sane range of an
    attainment or a growth rate (``sane_change``, a ratio: 10.0 = ±1,000%)."""

    def __init__(self, currency: str = "$", thousands: str = ",", decimal: str = ".",
                 sane_change: float = SANE_CHANGE):
        self.currency, self.thousands, self.decimal = currency, thousands, decimal
        self.sane_change = sane_change

    def attainment(self, value: object, decimals: int = 0) -> str:
        """Revenue against target as a percentage, or :data:`TARGET_TOO_SMALL` beyond the sane range."""
        return TARGET_TOO_SMALL if beyond(value, self.sane_change) else self.percent(value, decimals)

    def growth(self, value: object, decimals: int = 1, signed: bool = True) -> str:
        """A growth rate as a percentage (signed), or :data:`BASE_TOO_SMALL` beyond the sane range."""
        return BASE_TOO_SMALL if beyond(value, self.sane_change) else self.percent(value, decimals, signed)

    def money(self, value: object, decimals: int = 1) -> str:
        return localise(money(value, self.currency, decimals), self.thousands, self.decimal)

    def money_full(self, value: object) -> str:
        return localise(money_full(value, self.currency), self.thousands, self.decimal)

    def percent(self, value: object, decimals: int = 1, signed: bool = False) -> str:
        return localise(percent(value, decimals, signed), self.thousands, self.decimal)

    def number(self, value: object, decimals: int = 0, signed: bool = False) -> str:
        return localise(number(value, decimals, signed), self.thousands, self.decimal)


#: Names longer than this are shortened where they are laid out as titles, headers and table cells:
#: real account and company names stay well below it, and a name of thousands of characters in a
#: title or a running header breaks the page and takes minutes to lay out.
NAME_LIMIT = 80
ELLIPSIS = "…"


def display_name(text: object, limit: int = NAME_LIMIT) -> str:
    """``text`` as a name to show in a title, a header or a table: on one line, at most ``limit``
    characters, cut at a word boundary where one is near the end, with an ellipsis. The full text is
    kept where it belongs (data, manifest, the index's title attribute); this is only for layout."""
    shown = " ".join(str(text).split())
    if len(shown) <= limit:
        return shown
    cut = shown[:limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:-·–—") + ELLIPSIS
