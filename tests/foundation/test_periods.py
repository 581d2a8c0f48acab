"""Quarter strings: parsing, shifting, ranges and the latest complete quarter."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from kamreports.periods import (
    QuarterError,
    latest_complete_quarter,
    parse_quarter,
    quarter_end,
    quarter_label,
    quarter_range,
    quarters_of,
    shift_quarter,
)


@pytest.mark.parametrize("text", ["2026Q3", "2026-Q3", "2026 q3", " 2026q3 ", "2026 - Q3"])
def test_parse_quarter_accepts_common_spellings(text):
    period = parse_quarter(text)
    assert (period.year, period.quarter) == (2026, 3)
    assert period == pd.Period("2026-07", freq="Q")
    assert quarter_label(period) == "2026Q3"


@pytest.mark.parametrize("text", ["2026Q5", "2026Q0", "Q3 2026", "", "26Q3", "2026-07", "2026Q3x", None])
def test_parse_quarter_rejects_other_text(text):
    with pytest.raises(QuarterError) as info:
        parse_quarter(text)
    assert "2026Q3" in str(info.value)  # the message shows the expected form


def test_quarter_error_is_a_value_error():
    assert issubclass(QuarterError, ValueError)


@pytest.mark.parametrize("start,n,expected", [
    ("2026Q1", -1, "2025Q4"),
    ("2026Q1", 0, "2026Q1"),
    ("2025Q4", 1, "2026Q1"),
    ("2026Q3", -4, "2025Q3"),
    ("2026Q3", 6, "2028Q1"),
    ("2026-q2", -9, "2024Q1"),
])
def test_shift_quarter(start, n, expected):
    assert shift_quarter(start, n) == expected


def test_quarter_range():
    assert quarter_range("2026Q3", 4) == ["2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    assert quarter_range("2026Q3", 1) == ["2026Q3"]
    twelve = quarter_range("2026Q3", 12)
    assert len(twelve) == 12 and twelve[0] == "2023Q4" and twelve[-1] == "2026Q3"
    assert len(set(twelve)) == 12


def test_quarter_end():
    assert quarter_end("2026Q3") == date(2026, 9, 30)
    assert quarter_end("2024Q1") == date(2024, 3, 31)
    assert quarter_end("2025Q4") == date(2025, 12, 31)


def test_quarters_of():
    dates = pd.Series(pd.to_datetime(["2026-01-01", "2026-03-31", "2026-04-01", "2025-12-31"]))
    assert quarters_of(dates).tolist() == ["2026Q1", "2026Q1", "2026Q2", "2025Q4"]


class TestLatestCompleteQuarter:
    quarters = ["2026Q1", "2026Q3", "2026Q2", "2025Q4", "2026Q2"]

    def test_quarter_ended_yesterday_counts(self):
        assert latest_complete_quarter(self.quarters, today=date(2026, 10, 1)) == "2026Q3"

    def test_quarter_still_running_on_its_last_day_is_skipped(self):
        assert latest_complete_quarter(self.quarters, today=date(2026, 9, 30)) == "2026Q2"

    def test_mid_quarter(self):
        assert latest_complete_quarter(self.quarters, today=date(2026, 5, 15)) == "2026Q1"

    def test_long_after_the_data(self):
        assert latest_complete_quarter(self.quarters, today=date(2030, 1, 1)) == "2026Q3"

    def test_accepts_a_series_and_loose_spellings(self):
        quarters = pd.Series(["2025-Q4", "2026 q1"])
        assert latest_complete_quarter(quarters, today=date(2026, 4, 2)) == "2026Q1"

    def test_nothing_complete_raises(self):
        with pytest.raises(QuarterError):
            latest_complete_quarter(["2026Q3"], today=date(2026, 8, 1))
        with pytest.raises(QuarterError):
            latest_complete_quarter([], today=date(2026, 8, 1))

    def test_bad_quarter_in_data_raises(self):
        with pytest.raises(QuarterError):
            latest_complete_quarter(["2026Q1", "2026Q5"], today=date(2027, 1, 1))
