"""load_folder / write_folder / tables_from_frames on small hand-written CSV folders."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kamreports.data.dataset import Dataset
from kamreports.data.loaders import load_folder, tables_from_frames, write_folder
from kamreports.data.schema import TABLES
from kamreports.errors import DataValidationError, Problem
from tests.conftest import write_company

# A tiny valid company, written by hand. Line numbers in the comments are the
# 1-based line in the file (header = line 1), which is what Problem.row reports.
VALID = {
    "accounts": """\
account_id,name,parent_id,industry,region,owner,start_date
A1,Acme Foods,,Food,EMEA,Maria Lopez,2020-01-15
A2,Birch Energy,,Energy,APAC,James Chen,2021-06-01
A3,Acme Foods Nordic,A1,Food,EMEA,Maria Lopez,
""",
    "products": """\
product_id,name,family,list_price
P1,Core Platform,Software,1000
P2,Support Plus,Services,250.5
""",
    # line 2..5; "1,200" uses a thousands separator; A1's second row has no cogs
    "revenue": """\
account_id,date,product_id,revenue,cogs
A1,2026-01-15,P1,1000.50,400
A1,2026-04-02,P2,250,
A2,2026-02-28,P1,"1,200",500
A3,2026-07-31,P2,75.25,30
""",
    "targets": """\
account_id,quarter,target
A1,2026Q1,1100
A2,2026-Q1,1000
""",
    "opportunities": """\
opportunity_id,account_id,product_id,stage,amount,created_date,close_date
O1,A1,P1,won,5000,2025-11-01,2026-01-10
O2,A2,,open,2500,2026-03-01,
""",
    "stakeholders": """\
account_id,name,title,role,level,influence,sentiment,last_contact
A1,Anna Adams,CEO,economic_buyer,executive,5,2,2026-06-30
A2,Ben Baker,,Champion,,3,-1,
""",
}

REQUIRED_ONLY = ("accounts", "products", "revenue")


def replace_line(table: str, line: int, new: str) -> str:
    """VALID[table] with 1-based `line` replaced by `new` (one past the end appends it)."""
    lines = VALID[table].splitlines()
    if line == len(lines) + 1:
        lines.append(new)
    else:
        lines[line - 1] = new
    return "\n".join(lines) + "\n"


def load_problems(folder: Path) -> list[Problem]:
    with pytest.raises(DataValidationError) as info:
        load_folder(folder)
    return info.value.problems


# --- valid data ----------------------------------------------------------------------------

def test_valid_folder_loads_with_types_and_values(tmp_path):
    ds = load_folder(write_company(tmp_path, VALID))
    assert isinstance(ds, Dataset)
    assert ds.present == frozenset(VALID)
    assert ds.source == str(tmp_path.resolve())

    # dtypes
    assert pd.api.types.is_datetime64_any_dtype(ds.revenue["date"])
    assert pd.api.types.is_datetime64_any_dtype(ds.accounts["start_date"])
    assert pd.api.types.is_datetime64_any_dtype(ds.opportunities["close_date"])
    assert ds.revenue["revenue"].dtype == "float64"
    assert ds.revenue["cogs"].dtype == "float64"
    assert ds.stakeholders["influence"].dtype == "Int64"
    assert ds.stakeholders["sentiment"].dtype == "Int64"

    # values
    assert list(ds.accounts["account_id"]) == ["A1", "A2", "A3"]
    assert ds.accounts["parent_id"].isna().tolist() == [True, True, False]
    assert ds.accounts.loc[2, "parent_id"] == "A1"
    assert pd.isna(ds.accounts.loc[2, "start_date"])
    assert ds.accounts.loc[0, "start_date"] == pd.Timestamp("2020-01-15")
    assert ds.revenue["revenue"].tolist() == [1000.5, 250.0, 1200.0, 75.25]
    assert ds.revenue["revenue"].sum() == pytest.approx(2525.75)
    assert ds.revenue["cogs"].isna().tolist() == [False, True, False, False]
    assert ds.revenue["date"].tolist() == [pd.Timestamp(d) for d in
                                           ("2026-01-15", "2026-04-02", "2026-02-28", "2026-07-31")]
    assert ds.products["list_price"].tolist() == [1000.0, 250.5]
    # quarters are normalised, choices are normalised
    assert ds.targets["quarter"].tolist() == ["2026Q1", "2026Q1"]
    assert ds.stakeholders["role"].tolist() == ["economic_buyer", "champion"]
    assert ds.stakeholders["influence"].tolist() == [5, 3]
    assert ds.stakeholders["sentiment"].tolist() == [2, -1]
    assert pd.isna(ds.stakeholders.loc[1, "level"])
    assert pd.isna(ds.opportunities.loc[1, "product_id"])
    # a column the file lacks but the schema allows is there, all empty, typed like its kind
    assert ds.opportunities["probability"].isna().all()
    assert ds.opportunities["probability"].dtype == "float64"
    assert ds.accounts["wallet_estimate"].dtype == "float64"
    assert ds.accounts["wallet_estimate"].isna().all()
    assert ds.has("revenue") and ds.has("stakeholders")


def test_optional_tables_absent(tmp_path):
    folder = write_company(tmp_path, VALID, **{name: None for name in VALID if name not in REQUIRED_ONLY})
    ds = load_folder(folder)
    assert ds.present == frozenset(REQUIRED_ONLY)
    for name in ("targets", "opportunities", "stakeholders", "kam_costs", "feedback"):
        frame = ds.table(name)
        assert frame.empty, name
        assert list(frame.columns) == list(TABLES[name].column_names), name
        assert not ds.has(name)
    assert len(ds.revenue) == 4


def test_folder_that_does_not_exist(tmp_path):
    problems = load_problems(tmp_path / "nope")
    assert len(problems) == 1
    assert problems[0].source == str(tmp_path / "nope")


# --- structural problems -------------------------------------------------------------------

def test_missing_required_file(tmp_path):
    folder = write_company(tmp_path, VALID, revenue=None)
    with pytest.raises(DataValidationError) as info:
        load_folder(folder)
    problems = info.value.problems
    assert len(problems) == 1
    assert problems[0].source == str(folder / "revenue.csv")
    assert "revenue.csv" in str(info.value)


def test_missing_required_column(tmp_path):
    products = "product_id,family\nP1,Software\nP2,Services\n"
    folder = write_company(tmp_path, VALID, products=products)
    with pytest.raises(DataValidationError) as info:
        load_folder(folder)
    problems = info.value.problems
    # exactly one problem: revenue rows pointing at P1/P2 must not be called "unknown product"
    assert len(problems) == 1, info.value.render()
    assert problems[0].source == str(folder / "products.csv")
    assert "'name'" in problems[0].message
    text = str(info.value)
    assert "products.csv" in text and "name" in text


def test_missing_column_in_accounts_does_not_flag_every_reference(tmp_path):
    accounts = "account_id,industry,region,owner,start_date\nA1,,,,\nA2,,,,\nA3,,,,\n"
    problems = load_problems(write_company(tmp_path, VALID, accounts=accounts))
    assert len(problems) == 1
    assert "'name'" in problems[0].message
    assert problems[0].source.endswith("accounts.csv")


def test_a_table_with_a_header_but_no_rows_is_a_problem(tmp_path):
    folder = write_company(tmp_path, VALID, targets="account_id,quarter,target\n")
    problems = load_problems(folder)
    assert [(p.source, p.message) for p in problems] == [(str(folder / "targets.csv"), "has a header but no rows")]


def test_unreadable_csv_is_a_problem_not_a_traceback(tmp_path):
    folder = write_company(tmp_path, VALID, products="")  # zero bytes
    problems = load_problems(folder)
    assert len(problems) == 1
    assert problems[0].source == str(folder / "products.csv")


# --- cell problems: one Problem each, with file, line, column and value ---------------------

CELL_CASES = [
    # id, table, line replaced, new line, column, value
    ("bad date", "revenue", 3, "A1,2026-02-30,P2,250,", "date", "2026-02-30"),
    ("negative revenue", "revenue", 4, "A2,2026-02-28,P1,-5,500", "revenue", "-5"),
    ("non-numeric amount", "opportunities", 3, "O2,A2,,open,lots,2026-03-01,", "amount", "lots"),
    ("bad quarter", "targets", 2, "A1,2026Q5,1100", "quarter", "2026Q5"),
    ("duplicate account", "accounts", 5, "A2,Another Birch,,Energy,APAC,James Chen,", "account_id", "A2"),
    ("unknown account", "revenue", 5, "A9,2026-07-31,P2,75.25,30", "account_id", "A9"),
    ("role not allowed", "stakeholders", 3, "A2,Ben Baker,,buyer,,3,-1,", "role", "buyer"),
    ("influence out of range", "stakeholders", 2, "A1,Anna Adams,CEO,champion,executive,6,2,", "influence", "6"),
    ("infinite revenue", "revenue", 2, "A1,2026-01-15,P1,inf,400", "revenue", "inf"),
    ("overflowing influence", "stakeholders", 2, "A1,Anna Adams,CEO,champion,executive,1e400,2,",
     "influence", "1e400"),
]


@pytest.mark.parametrize("table,line,new,column,value",
                         [c[1:] for c in CELL_CASES], ids=[c[0] for c in CELL_CASES])
def test_single_cell_problem(tmp_path, table, line, new, column, value):
    folder = write_company(tmp_path, VALID, **{table: replace_line(table, line, new)})
    problems = load_problems(folder)
    assert len(problems) == 1, "\n".join(map(str, problems))
    p = problems[0]
    assert p.source == str(folder / f"{table}.csv")
    assert p.row == line
    assert p.column == column
    assert str(p.value) == value


def test_error_text_names_file_row_column_and_value(tmp_path):
    folder = write_company(tmp_path, VALID, revenue=replace_line("revenue", 4, "A2,2026-02-28,P1,-5,500"))
    with pytest.raises(DataValidationError) as info:
        load_folder(folder)
    text = str(info.value)
    assert "revenue.csv" in text
    assert "row 4" in text
    assert "'revenue'" in text
    assert "'-5'" in text
    assert text.startswith("1 ")


def test_all_problems_in_all_files_reported_together(tmp_path):
    accounts = replace_line("accounts", 3, "A2,Birch Energy,,Energy,APAC,James Chen,someday")
    revenue = VALID["revenue"].replace("A1,2026-04-02,P2,250,", "A1,2026-04-02,P2,-250,")  # line 3
    revenue = revenue.replace("A3,2026-07-31,P2,75.25,30", "A3,2026-07-31,P7,75.25,30")  # line 5
    stakeholders = replace_line("stakeholders", 2, "A1,Anna Adams,CEO,boss,executive,5,2,2026-06-30")
    targets = replace_line("targets", 3, "A2,2026Q5,1000")
    folder = write_company(tmp_path, VALID, accounts=accounts, revenue=revenue, stakeholders=stakeholders,
                           targets=targets)
    problems = load_problems(folder)
    found = {(Path(p.source).name, p.row, p.column, str(p.value)) for p in problems}
    assert found == {
        ("accounts.csv", 3, "start_date", "someday"),
        ("revenue.csv", 3, "revenue", "-250"),
        ("revenue.csv", 5, "product_id", "P7"),
        ("stakeholders.csv", 2, "role", "boss"),
        ("targets.csv", 3, "quarter", "2026Q5"),
    }
    assert len(problems) == 5


def test_many_bad_rows_are_capped_with_a_summary(tmp_path):
    rows = "".join(f"A1,2026-01-{d:02d},P1,-1,\n" for d in range(1, 16))  # 15 negative revenues
    folder = write_company(tmp_path, VALID, revenue="account_id,date,product_id,revenue,cogs\n" + rows)
    problems = load_problems(folder)
    listed = [p for p in problems if p.row is not None]
    assert [p.row for p in listed] == list(range(2, 12))  # first ten data lines
    summary = [p for p in problems if p.row is None]
    assert len(summary) == 1 and "5 more" in summary[0].message


# --- tables_from_frames --------------------------------------------------------------------

def test_tables_from_frames_types_strings_and_reports_sources():
    raw = {
        "accounts": pd.DataFrame({"account_id": ["X1", "X2"], "name": ["Xeno", "Yak"], "industry": ["", ""],
                                  "region": ["", ""], "owner": ["", ""], "start_date": ["2024-01-01", ""]}),
        "products": pd.DataFrame({"product_id": ["P1"], "name": ["Core"]}),
        "revenue": pd.DataFrame({"account_id": ["X1", "X2"], "date": ["2026-03-31", "2026-04-01"],
                                 "product_id": ["P1", "P1"], "revenue": ["10", "2.5"]}),
    }
    ds = tables_from_frames(raw, {n: f"mem:{n}" for n in raw}, origin="memory")
    assert ds.source == "memory"
    assert ds.present == frozenset(raw)
    assert ds.revenue["revenue"].tolist() == [10.0, 2.5]
    assert ds.revenue["date"].dt.quarter.tolist() == [1, 2]

    raw["revenue"] = raw["revenue"].assign(revenue=["10", "ten"])
    with pytest.raises(DataValidationError) as info:
        tables_from_frames(raw, {n: f"mem:{n}" for n in raw}, origin="memory")
    (p,) = info.value.problems
    assert (p.source, p.row, p.column, p.value) == ("mem:revenue", 3, "revenue", "ten")


def test_tables_from_frames_requires_required_tables():
    with pytest.raises(DataValidationError) as info:
        tables_from_frames({}, {}, origin="memory")
    assert {p.source for p in info.value.problems} == {"accounts", "products", "revenue"}


# --- round trip ----------------------------------------------------------------------------

def test_write_then_load_gives_equal_frames(tmp_path):
    first = load_folder(write_company(tmp_path / "in", VALID))
    out = write_folder(first, tmp_path / "out")
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.csv" for n in VALID)
    second = load_folder(out)
    assert second.present == first.present
    for name in TABLES:
        pd.testing.assert_frame_equal(second.table(name), first.table(name), check_exact=True, obj=name)


def test_round_trip_of_the_sample_keeps_every_value(tmp_path):
    from kamreports.data.sample import SampleSpec, sample_dataset

    first = sample_dataset(SampleSpec(accounts=40, quarters=4))  # small but has every table and gap
    assert first.present == frozenset(TABLES) and first.accounts["parent_id"].notna().any()
    second = load_folder(write_folder(first, tmp_path))
    for name in TABLES:
        pd.testing.assert_frame_equal(second.table(name), first.table(name), check_exact=True, obj=name)


@pytest.mark.parametrize("content", [
    b"account_id,name,region\nA1,Acme,EMEA\nA2,Beta,APAC\n",
    b"\xef\xbb\xbfaccount_id,name,region\r\nA1,Acme,EMEA\r\nA2,Beta,\r\n",   # BOM, CRLF, empty last cell
    b'account_id,name,region\nA1,"Acme, Inc.","EM\nEA"\nA2,  Beta  ,APAC',    # quoted comma, newline; no final newline
    b"account_id,name,region\nA1,Acme,EMEA\n\nA2,Beta,APAC\n",                   # a blank line: row numbers must hold
    b"account_id,name,region\nA1,Acme,EMEA,extra\n",                             # ragged: the careful reader's error
    b'account_id,name,region\nA1, "Acme, Inc.",EMEA\n',                          # quote after a space
    "account_id,name,region\nA1,株式会社テスト,EMEA\nA2,شركة,🚀\n".encode("utf-8"),
    b"account_id,name,region\nA1,Acme,EMEA\rA2,Beta,APAC\r",                           # bare CR
])
def test_the_fast_csv_reader_gives_exactly_what_the_careful_one_gives(tmp_path, monkeypatch, content):
    """read_csv_text takes Arrow's parser when it can; on every file it must give the same cells,
    the same row numbers and the same errors as pandas' reader, which it falls back to."""
    from kamreports.data import csvfile as loaders

    path = tmp_path / "accounts.csv"
    path.write_bytes(content)

    def read():
        try:
            frame = loaders.read_csv_text(path)
        except loaders.CsvReadError as exc:
            return ("error", str(exc), exc.row)
        # blanks after a comma may differ (pandas skips them); validation strips every cell anyway
        cells = [[cell.strip() for cell in row] for row in frame.astype(object).values.tolist()]
        return ("ok", list(frame.columns), frame.index.tolist(), cells)

    fast = read()
    monkeypatch.setattr(loaders, "_read_csv_arrow", lambda *_args: None)
    careful = read()
    assert fast == careful


def test_a_plain_export_takes_the_fast_reader(tmp_path):
    pytest.importorskip("pyarrow")
    from kamreports.data import csvfile as loaders

    path = tmp_path / "accounts.csv"
    path.write_bytes(b"\xef\xbb\xbfaccount_id,name\r\nA1,\"Acme, Inc.\"\r\n")
    frame = loaders._read_csv_arrow(path, "utf-8-sig")
    assert frame is not None and frame.values.tolist() == [["account_id", "name"], ["A1", "Acme, Inc."]]
    path.write_bytes(b'account_id,name\nA1,  "Acme, Inc."\n')
    assert loaders._read_csv_arrow(path, "utf-8-sig") is None   # quote after blanks: the careful reader
