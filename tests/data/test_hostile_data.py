"""Data a hostile or unlucky user hands us: amounts too large to add up, parents in a circle, rows dated in
the future, a byte that is not UTF-8, a named pipe or a device where a table should be. Each is a
problem naming the file, row, column and value (or a warning), at once, never a failing pack or a hang."""
from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

import pytest

from kamreports.data.loaders import load_folder
from kamreports.data.validate import MONEY_MAX, check_future_dates
from kamreports.errors import DataValidationError
from tests.system.test_fuzz_inputs import VALID, company


def problems(folder: Path) -> list[str]:
    with pytest.raises(DataValidationError) as info:
        load_folder(folder)
    return [str(p) for p in info.value.problems]


def revenue_with(*amounts: str) -> str:
    rows = [f"A1,2025-0{i + 1}-15,P1,{amount}," for i, amount in enumerate(amounts)]
    return "account_id,date,product_id,revenue,cogs\n" + "\n".join(rows) + "\n"


@pytest.mark.parametrize("amount", ["1e300", "1e30", "1000000000000000000000000000000", "1.7e308", "1e16"])
def test_an_amount_beyond_any_qbr_is_a_problem_naming_file_row_column_and_value(tmp_path, amount):
    found = problems(company(tmp_path, {"revenue": revenue_with("100", amount)}))
    assert found == [f"{tmp_path / 'revenue.csv'}, row 3, column 'revenue': value '{amount}': is above 10^15, "
                     "more than any amount in a QBR; a typing error or the wrong unit?"]


def test_two_amounts_whose_sum_overflows_are_reported_not_summed(tmp_path):
    found = problems(company(tmp_path, {"revenue": revenue_with("1.7e308", "1.7e308")}))
    assert len(found) == 2 and all("is above 10^15" in p for p in found)


def test_the_largest_plausible_amount_is_accepted(tmp_path):
    dataset = load_folder(company(tmp_path, {"revenue": revenue_with("100", f"{MONEY_MAX:.0f}")}))
    assert dataset.revenue["revenue"].max() == MONEY_MAX


def test_a_total_that_overflows_is_named_even_in_a_column_without_a_cap():
    import pandas as pd

    from kamreports.data.schema import Column
    from kamreports.data.validate import coerce_column

    found: list = []
    coerce_column(Column("x", "number"), pd.Series(["1.7e308", "1.7e308", "1"]), "t.csv", found)
    assert [str(p) for p in found] == ["t.csv, row 2, column 'x': value '1.7e308': makes the column's total too "
                                       "large to compute (it overflows); check the amounts"]


@pytest.mark.parametrize("parents,expected", [
    ({"A1": "A1"}, "row 2, column 'parent_id': value 'A1': is its own parent"),
    ({"A1": "A2", "A2": "A1"}, "row 2, column 'parent_id': value 'A2': is in a circle of parents (A1 -> A2 -> A1)"),
    ({"A1": "A3", "A2": "A1", "A3": "A2"}, "is in a circle of parents (A1 -> A3 -> A2 -> A1)"),
])
def test_a_circle_of_parents_is_a_problem(tmp_path, parents, expected):
    rows = ["account_id,name,parent_id,industry,region,owner,start_date"]
    rows += [f"{a},Name {a},{parents.get(a, '')},Food,EMEA,Maria,2020-01-15" for a in ("A1", "A2", "A3")]
    found = problems(company(tmp_path, {"accounts": "\n".join(rows) + "\n"}))
    assert len(found) == 1 and expected in found[0] and "a group needs a top-level account" in found[0]


def test_a_chain_of_parents_is_fine(tmp_path):
    load_folder(company(tmp_path, {}))   # VALID: A3's parent is A1


def test_rows_dated_after_today_are_warned_about_with_file_row_and_count(tmp_path):
    text = VALID["revenue"] + "A1,2099-03-01,P1,10,\nA2,2099-04-01,P1,10,\n"
    dataset = load_folder(company(tmp_path, {"revenue": text}))
    assert [str(p) for p in dataset.warnings] == [
        f"{tmp_path / 'revenue.csv'}, row 7, column 'date': value '2099-03-01': is after today "
        f"({dt.date.today().isoformat()}), so this row falls in no quarter the reports show; 1 more rows like this"]


def test_future_dates_are_checked_against_the_day_given():
    import pandas as pd

    tables = {"feedback": pd.DataFrame({"date": pd.to_datetime(["2026-01-01", "2026-03-02"])}, index=[0, 1]),
              "opportunities": pd.DataFrame({"created_date": pd.to_datetime(["2026-03-01"]),
                                             "close_date": pd.to_datetime(["2030-01-01"])})}
    found = check_future_dates(tables, {"feedback": "feedback.csv"}, today=dt.date(2026, 3, 1))
    assert [(p.source, p.row, p.column) for p in found] == [("feedback.csv", 3, "date")]


def test_a_byte_that_is_not_utf8_is_named_with_its_line(tmp_path):
    text = VALID["accounts"].encode("utf-8").replace(b"Birch", b"B\xe9rch")
    found = problems(company(tmp_path, {"accounts": text}))
    assert found == [f"{tmp_path / 'accounts.csv'}, row 3: is not UTF-8 text (byte e9 on this line cannot be "
                     "decoded); save it as CSV UTF-8"]


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_a_special_file_in_place_of_a_table_is_refused_at_once(tmp_path, kind):
    folder = company(tmp_path / "data", {"feedback": None}, full=True)
    path = folder / "feedback.csv"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")
    else:
        path.mkdir()
    outcome: list = []
    reader = threading.Thread(target=lambda: outcome.append(_problems_or_none(folder)), daemon=True)
    reader.start()
    reader.join(20)
    if reader.is_alive():
        if kind == "fifo":
            with open(path, "wb"):   # noqa: PTH123 - the write end releases a blocked reader
                pass
        pytest.fail(f"a {kind} in place of a table blocked the loader")
    what = {"fifo": "a named pipe", "device": "a character device", "folder": "a folder"}[kind]
    assert outcome[0] == [f"{path}: is {what}, not a regular file; give a file"]


def _problems_or_none(folder: Path) -> list[str] | None:
    try:
        load_folder(folder)
    except DataValidationError as exc:
        return [str(p) for p in exc.problems]
    return None


def test_a_special_file_in_a_parquet_folder_is_refused(tmp_path):
    pytest.importorskip("pyarrow")
    from kamreports.data.sources import ParquetSource

    os.mkfifo(tmp_path / "accounts.parquet")
    with pytest.raises(DataValidationError, match="is a named pipe, not a regular file"):
        ParquetSource(tmp_path).read("accounts")
