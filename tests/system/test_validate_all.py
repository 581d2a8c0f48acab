"""`kamreports validate` and the loader: every problem in data, settings and plan files, in one run."""
from __future__ import annotations

from pathlib import Path

import pytest

from kamreports.cli import main
from kamreports.data.loaders import load_folder
from kamreports.errors import ConfigError, DataValidationError
from kamreports.inputs import InputError, check_inputs
from tests.conftest import write_company

ACCOUNTS = "account_id,name,parent_id,industry,region,owner,start_date\nA1,Acme,,Food,EMEA,Ann,2020-01-15\n" \
           "A2,Birch,,Energy,APAC,Ben,2021-06-01\n"
PRODUCTS = "product_id,name\nP1,Core\n"
REVENUE = "account_id,date,product_id,revenue\nA1,2025-01-15,P1,100\nA2,2025-04-02,P1,200\nA1,2025-07-01,P1,50\n"


def company(folder: Path, **files: str) -> Path:
    return write_company(folder, {"accounts": ACCOUNTS, "products": PRODUCTS, "revenue": REVENUE}, **files)


def problems(folder: Path) -> set[tuple]:
    with pytest.raises(DataValidationError) as info:
        load_folder(folder)
    return {(Path(p.source).name, p.row, p.column, None if p.value is None else str(p.value))
            for p in info.value.problems}


def test_a_target_outside_the_datas_quarters_names_file_row_column_and_value(tmp_path):
    # revenue covers 2025Q1..2025Q3; a target may run to the end of that year, not before or beyond
    folder = company(tmp_path, targets="account_id,quarter,target\nA1,2025Q1,90\nA1,2024Q4,80\nA2,2025Q4,70\n"
                                       "A2,2026Q1,60\n")
    found = problems(folder)
    assert found == {("targets.csv", 3, "quarter", "2024Q4"), ("targets.csv", 5, "quarter", "2026Q1")}


def test_a_row_with_more_fields_than_the_header_names_its_line(tmp_path):
    folder = company(tmp_path, revenue=REVENUE + "A2,2025-05-01,P1,1,200,extra\n")
    assert problems(folder) == {("revenue.csv", 5, None, None)}


def test_a_first_row_with_one_extra_field_is_not_taken_for_an_index(tmp_path):
    folder = company(tmp_path, products="product_id,name\nP1,Core,oops\n")
    assert problems(folder) == {("products.csv", 2, None, None)}


def test_blank_lines_do_not_shift_the_row_numbers(tmp_path):
    folder = company(tmp_path, revenue="\naccount_id,date,product_id,revenue\nA1,2025-01-15,P1,100\n\n\n"
                                       "A2,2025-04-02,P1,-1\n")
    assert problems(folder) == {("revenue.csv", 6, "revenue", "-1")}


def test_a_column_twice_in_the_header_is_a_problem(tmp_path):
    folder = company(tmp_path, products="product_id,name,name\nP1,Core,Other\n")
    assert problems(folder) == {("products.csv", None, "name", None)}


def test_huge_whole_numbers_and_far_dates_are_reported_not_crashed_on(tmp_path):
    folder = company(tmp_path, stakeholders="account_id,name,title,role,influence,sentiment,last_contact\n"
                                            f"A1,Ann,CEO,champion,{'9' * 40},0,0001-01-01\n")
    found = problems(folder)
    assert ("stakeholders.csv", 2, "influence", "9" * 40) in found
    assert ("stakeholders.csv", 2, "last_contact", "0001-01-01") in found


def test_dates_with_time_zones_keep_the_written_date(tmp_path):
    folder = company(tmp_path, revenue="account_id,date,product_id,revenue\nA1,2025-03-31T23:30:00-05:00,P1,100\n"
                                       "A2,2025-04-02T10:00:00Z,P1,200\nA1,2025-07-01,P1,50\n")
    dates = load_folder(folder).revenue["date"]
    assert dates.dt.tz is None
    assert [str(d.date()) for d in dates] == ["2025-03-31", "2025-04-02", "2025-07-01"]


def test_a_file_that_is_not_utf8_says_so(tmp_path):
    folder = company(tmp_path)
    (folder / "products.csv").write_bytes("product_id,name\nP1,Caf\xe9\n".encode("latin-1"))
    with pytest.raises(DataValidationError, match=r"products\.csv, row 2: is not UTF-8 text"):
        load_folder(folder)


def test_validate_lists_settings_data_and_plan_problems_together(tmp_path, capsys):
    data = company(tmp_path / "data", revenue=REVENUE + "A2,2025-05-01,P1,-5\n")
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "A1.yaml").write_text("goals: [{horizon: never, goal: x}]\n", encoding="utf-8")
    (plans / "A2.yaml").write_text("due: 2026-13-45\n", encoding="utf-8")
    (plans / "A9.yaml").write_text("swot: {strengths: [fine]}\n", encoding="utf-8")
    config = tmp_path / "settings.yaml"
    config.write_text("accounts_dir: plans\nselection: {threshold: 99}\nreport: {page_size: A3}\n", encoding="utf-8")
    checked = check_inputs(config, data)
    sources = [Path(p.source).name for p in checked.problems]
    assert sources.count("settings.yaml") == 2
    assert "revenue.csv" in sources and "A1.yaml" in sources and "A2.yaml" in sources
    with pytest.raises(InputError) as info:
        checked.raise_if_problems()
    assert isinstance(info.value, ConfigError) and isinstance(info.value, DataValidationError)

    assert main(["validate", "--config", str(config), "--data", str(data)]) == 2
    err = capsys.readouterr().err
    for text in ("'selection.threshold'", "'report.page_size'", "revenue.csv, row 5, column 'revenue'",
                 "A1.yaml", "'goals[1].horizon'", "A2.yaml", "is not valid YAML"):
        assert text in err, text
    assert "Traceback" not in err


def test_validate_checks_the_data_even_when_the_settings_file_is_not_yaml(tmp_path, capsys):
    data = company(tmp_path / "data", revenue=REVENUE + "A2,2025-05-01,P1,lots\n")
    config = tmp_path / "settings.yaml"
    config.write_bytes(b"quarter: [unclosed\n\xff")
    assert main(["validate", "--config", str(config), "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert "settings.yaml" in err and "value 'lots'" in err and "Traceback" not in err


@pytest.mark.parametrize("text,expected", [
    ("quarter: 2026-13-45\n", "is not valid YAML"),          # a date that does not exist
    ("company: {logo: '~nosuchuser/x.png'}\n", "'company.logo' is not a usable path"),
    ("accounts_dir: '~nosuchuser/plans'\n", "'accounts_dir' is not a usable path"),
    ("[" * 3000 + "]" * 3000, "nests lists and mappings more than 50 deep"),
])
def test_settings_that_escape_load_settings_are_still_listed(tmp_path, capsys, text, expected):
    data = company(tmp_path / "data")
    config = tmp_path / "settings.yaml"
    config.write_text(text, encoding="utf-8")
    assert main(["validate", "--config", str(config), "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_validate_ok_on_good_inputs_and_warns_of_a_plan_for_no_account(tmp_path, capsys):
    data = company(tmp_path / "data")
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "A9.yaml").write_text("swot: {strengths: [fine]}\n", encoding="utf-8")
    (tmp_path / "settings.yaml").write_text("accounts_dir: plans\n", encoding="utf-8")
    assert main(["validate", "--data", str(data), "--config", str(tmp_path / "settings.yaml")]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("OK: ")
    assert "A9.yaml: no account 'A9' in the data" in out.err
