"""Number formats the pages show (``kamreports.formatting``): money, percentages, plain numbers."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamreports import formatting


@pytest.mark.parametrize("value,text", [
    (950, "$950"),
    (0, "$0"),
    (999.4, "$999"),
    (12_345, "$12.3K"),
    (1_234_567, "$1.2M"),
    (-2.5e9, "-$2.5B"),
    (999_999, "$1.0M"),          # not "$1,000.0K"
    (999_400, "$999.4K"),
    (999_999_999, "$1.0B"),
    (-950, "-$950"),
    (float("nan"), "–"),
    (None, "–"),
    (pd.NA, "–"),
    ("n/a", "–"),
])
def test_money(value, text):
    assert formatting.money(value) == text


def test_money_currency_and_full():
    assert formatting.money(12_345, "€") == "€12.3K"
    assert formatting.money_full(1_234_567.4) == "$1,234,567"
    assert formatting.money_full(-1500) == "-$1,500"
    assert formatting.money_full(np.nan) == "–"


def test_percent_and_number():
    assert formatting.percent(0.1234) == "12.3%"
    assert formatting.percent(0.05, signed=True) == "+5.0%"
    assert formatting.percent(-0.05, decimals=0, signed=True) == "-5%"
    assert formatting.percent(np.nan) == "–"
    assert formatting.number(1_234_567.891) == "1,234,568"
    assert formatting.number(1_234_567.891, 2) == "1,234,567.89"
    assert formatting.number(None) == "–"
