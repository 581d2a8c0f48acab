"""Portfolios with nothing to report are bad input, said once by `validate` and `build` alike (exit 2);
what is odd but not wrong (rows dated after today) is a warning in both, and the build goes on."""
from __future__ import annotations

import pandas as pd
import pytest

from kamreports.cli import main
from kamreports.data import sample_dataset, write_folder


@pytest.fixture(scope="module")
def zero_revenue(tmp_path_factory):
    data = sample_dataset()
    data.revenue["revenue"] = 0.0
    return write_folder(data, tmp_path_factory.mktemp("zero") / "data")


def test_validate_refuses_a_portfolio_without_revenue_in_one_clear_line(zero_revenue, capsys):
    assert main(["validate", "--data", str(zero_revenue)]) == 2
    err = capsys.readouterr().err
    assert "OK" not in err and "Traceback" not in err
    assert err.strip().splitlines() == [
        "ERROR 1 data problem(s):",
        f"  - {zero_revenue.resolve()}: revenue: no revenue in the four quarters 2025Q4 to 2026Q3 (every amount is "
        "zero or missing), so there is nothing to report; check the revenue table, or choose a quarter with revenue "
        "(--quarter)"]


def test_build_refuses_it_the_same_way_and_writes_nothing(zero_revenue, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", "--data", str(zero_revenue), "--output", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "no revenue in the four quarters 2025Q4 to 2026Q3" in err and "Traceback" not in err
    assert not (out / "2026Q3").exists()


def test_rows_dated_after_today_are_a_warning_in_validate(tmp_path, capsys):
    data = sample_dataset()
    extra = data.revenue.iloc[[0]].assign(date=pd.Timestamp("2099-01-05"))
    data.revenue = pd.concat([data.revenue, extra], ignore_index=True)
    folder = write_folder(data, tmp_path / "data")
    assert main(["validate", "--data", str(folder)]) == 0
    captured = capsys.readouterr()
    row = len(data.revenue) + 1
    assert (f"WARNING {folder / 'revenue.csv'}, row {row}, column 'date': value '2099-01-05': is after today"
            in captured.err)
    assert "OK:" in captured.out
