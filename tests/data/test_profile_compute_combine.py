"""Computed columns (``compute:``) and tables made one row per key (``one_row_per:`` with ``repeated:``),
on small hand-written exports: each rule, each count in the quality report, each problem's file, row,
column and value, and each mistake in a profile named with its key path before any data is read."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kamreports.config import load_settings
from kamreports.data import load_data
from kamreports.data.dataset import Dataset
from kamreports.data.profiles import ExpressionError, parse_expression
from kamreports.data.profiles.expressions import evaluate
from kamreports.errors import ConfigError, DataValidationError

LINES = """\
order,day,customer,name,segment,region,product,price,qty,sales,profit
O1,2023-01-05,C1,Acme,Retail,West,P1,10,2,20,5
O1,2023-01-05,C1,Acme,Retail,West,P2,4.5,10,45,9
O2,2023-02-11,C2,Bolt,Energy,East,P1,10,1,10,-2
O3,2023-03-02,C1,ACME,Retail,East,P1,12,3,36,6
O4,2023-04-20,C3,Crane,Food,South,P2,4.5,4,18,3
O5,2023-05-09,C2,Bolt Ltd,Retail,East,P2,5,2,10,1
O6,2023-06-30,C1,Acme,Retail,East,P2,5,6,30,4
O7,2023-07-14,C3,Crane,Food,North,P1,11,1,11,1
"""


def profile(accounts: str = "", products: str = "", revenue: str = "", extra_tables: str = "") -> str:
    """A profile for :data:`LINES`: each table's body replaceable, the rest a working default."""
    accounts = accounts or """\
    from: lines
    one_row_per: customer
    columns:
      account_id: customer
      name: {column: name, repeated: most_frequent}
      industry: {column: segment, repeated: most_frequent}
      region: {column: region, repeated: last}
      owner: {value: null}
      start_date: {column: day, repeated: min}
      wallet_estimate: {column: sales, repeated: sum}
"""
    products = products or """\
    from: lines
    one_row_per: product
    columns:
      product_id: product
      name: product
      list_price: {compute: sales / qty, repeated: max}
"""
    revenue = revenue or """\
    from: lines
    columns:
      account_id: customer
      date: day
      product_id: product
      revenue: {compute: qty * price}
      cogs: {compute: sales - profit}
"""
    return (f"exports:\n  lines: {{dates: {{day: iso}}}}\ntables:\n  accounts:\n{accounts}  products:\n{products}"
            f"  revenue:\n{revenue}{extra_tables}")


def load(tmp_path: Path, profile_text: str, lines: str = LINES) -> Dataset:
    folder = tmp_path / "export"
    folder.mkdir(exist_ok=True)
    (folder / "lines.csv").write_text(lines, encoding="utf-8")
    (tmp_path / "profile.yaml").write_text(profile_text, encoding="utf-8")
    settings = tmp_path / "settings.yaml"
    settings.write_text("data: export\nprofile: profile.yaml\n", encoding="utf-8")
    return load_data(load_settings(settings))


def quality(ds: Dataset, step: str, table: str, what: str) -> pd.Series:
    q = ds.quality
    rows = q[(q["step"] == step) & (q["table"] == table) & q["what"].str.contains(what, regex=False)]
    assert len(rows) == 1, (step, table, what, q.to_string())
    return rows.iloc[0]


def config_problems(tmp_path: Path, profile_text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, profile_text)
    assert "Traceback" not in str(info.value)
    return str(info.value)


def data_problems(tmp_path: Path, profile_text: str, lines: str = LINES) -> list:
    with pytest.raises(DataValidationError) as info:
        load(tmp_path, profile_text, lines)
    return info.value.problems


# --- one row per key ------------------------------------------------------------------------------------

def test_each_repeated_rule_by_hand(tmp_path):
    ds = load(tmp_path, profile())
    acc = ds.accounts.set_index("account_id")
    assert list(acc.index) == ["C1", "C2", "C3"]                   # in the order first seen
    assert acc["name"].to_dict() == {"C1": "Acme", "C2": "Bolt", "C3": "Crane"}   # Bolt/Bolt Ltd: a tie, first seen
    assert acc["industry"].to_dict() == {"C1": "Retail", "C2": "Energy", "C3": "Food"}
    assert acc["region"].to_dict() == {"C1": "East", "C2": "East", "C3": "North"}     # last
    assert acc["start_date"].dt.strftime("%Y-%m-%d").to_dict() == {"C1": "2023-01-05", "C2": "2023-02-11",
                                                                    "C3": "2023-04-20"}
    assert acc["wallet_estimate"].to_dict() == {"C1": 20 + 45 + 36 + 30, "C2": 20.0, "C3": 29.0}
    prices = ds.products.set_index("product_id")["list_price"].to_dict()
    assert prices == pytest.approx({"P1": 12.0, "P2": 5.0})     # max of sales / qty: 10, 4.5, 12, 11 and 4.5, 5


def test_first_max_count_and_dates_as_max(tmp_path):
    accounts = """\
    from: lines
    one_row_per: customer
    columns:
      account_id: customer
      name: name
      industry: {column: segment, repeated: first}
      region: {column: order, repeated: count}
      owner: {column: day, repeated: max}
      start_date: {value: null}
      wallet_estimate: {column: sales, repeated: min}
"""
    ds = load(tmp_path, profile(accounts=accounts))
    acc = ds.accounts.set_index("account_id")
    assert acc["name"].to_dict() == {"C1": "Acme", "C2": "Bolt", "C3": "Crane"}     # first, the default
    assert acc["industry"].to_dict() == {"C1": "Retail", "C2": "Energy", "C3": "Food"}
    assert acc["region"].to_dict() == {"C1": "4", "C2": "2", "C3": "2"}             # count of rows with a value
    assert acc["owner"].to_dict() == {"C1": "2023-06-30", "C2": "2023-05-09", "C3": "2023-07-14"}
    assert acc["wallet_estimate"].to_dict() == {"C1": 20.0, "C2": 10.0, "C3": 11.0}      # min of numbers


def test_the_quality_report_says_how_many_rows_became_how_many_and_what_each_rule_resolved(tmp_path):
    ds = load(tmp_path, profile())
    row = quality(ds, "combine", "accounts", "one row per customer of lines")
    assert row["count"] == 3 and row["detail"] == "8 rows of lines became 3 rows of accounts"
    name = quality(ds, "combine", "accounts", "name: values differ within a customer")
    assert name["count"] == 2                                     # C1 (Acme/ACME) and C2 (Bolt/Bolt Ltd)
    assert "most frequent kept (a tie: the first seen)" in name["what"]
    assert "C1: 'Acme' ×3, 'ACME' ×1 → 'Acme'" in name["detail"] and "C2: 'Bolt' ×1, 'Bolt Ltd' ×1 → 'Bolt'" \
        in name["detail"]
    assert quality(ds, "combine", "accounts", "industry: values differ")["count"] == 1       # C2: Energy/Retail
    assert quality(ds, "combine", "accounts", "region: values differ")["count"] == 2       # C1 and C3
    start = quality(ds, "combine", "accounts", "start_date: values differ")
    assert start["count"] == 3 and "C1: 3 values → '2023-01-05'" in start["detail"]   # O1's two lines: one date
    assert quality(ds, "combine", "accounts", "wallet_estimate: the sum of each customer's rows")["count"] == 3
    assert quality(ds, "combine", "products", "one row per product of lines")["count"] == 2


def test_a_default_rule_is_reported_only_when_values_differ(tmp_path):
    accounts = profile().split("  accounts:\n")[1].split("  products:\n")[0] \
        .replace("{column: name, repeated: most_frequent}", "name")
    ds = load(tmp_path, profile(accounts=accounts))
    row = quality(ds, "combine", "accounts", "name: values differ")
    assert "first is the default; say repeated: to choose" in row["what"] and row["count"] == 2
    assert ds.accounts.set_index("account_id").at["C2", "name"] == "Bolt"
    # the products' name is the key itself: no line for it
    assert not ds.quality["what"].str.startswith("name:").loc[ds.quality["table"] == "products"].any()


def test_rows_with_no_key_are_dropped_and_counted_and_keys_may_be_several_columns(tmp_path):
    lines = LINES + "O8,2023-08-01,,Nobody,Retail,West,P1,10,1,10,1\n"
    ds = load(tmp_path, profile(revenue=profile().split("  revenue:\n")[1].replace(
        "    columns:", "    drop_empty: [account_id]\n    columns:")), lines)
    row = quality(ds, "drop", "accounts", "rows of lines with no customer")
    assert row["count"] == 1 and row["detail"] == "lines lines 10"
    assert len(ds.accounts) == 3
    two = profile(products="""\
    from: lines
    one_row_per: [product, region]
    columns:
      product_id: {id: product}
      name: {column: region}
""")
    with pytest.raises(DataValidationError) as info:            # P1 in 4 regions: 4 rows with the id p1
        load(tmp_path, two, lines)
    assert any(p.column == "product_id" and "duplicate id" in p.message for p in info.value.problems)


def test_where_selects_the_lines_before_one_row_per_key(tmp_path):
    accounts = profile().split("  accounts:\n")[1].split("  products:\n")[0] \
        .replace("    from: lines\n", "    from: lines\n    where: {segment: Retail}\n")
    revenue = profile().split("  revenue:\n")[1].replace("    from: lines\n", "    from: lines\n"
                                                        "    where: {segment: Retail}\n")
    ds = load(tmp_path, profile(accounts=accounts, revenue=revenue))
    assert list(ds.accounts["account_id"]) == ["C1", "C2"]
    assert ds.accounts.set_index("account_id").at["C2", "industry"] == "Retail"
    assert quality(ds, "combine", "accounts", "one row per customer")["detail"] == \
        "5 rows of lines became 2 rows of accounts"


def test_min_of_dates_written_as_text_is_a_problem_not_a_wrong_answer(tmp_path):
    text = profile().replace("exports:\n  lines: {dates: {day: iso}}", "exports:\n  lines: {}")
    lines = LINES.replace("2023-01-05", "05/01/2023").replace("2023-03-02", "02/03/2023")
    problems = data_problems(tmp_path, text, lines)
    bad = [p for p in problems if p.column == "start_date"]
    assert [(p.row, p.value) for p in bad] == [(2, "05/01/2023"), (3, "05/01/2023"), (5, "02/03/2023")]
    assert "neither a number nor an ISO date" in bad[0].message and "repeated: min" in bad[0].message
    assert "tables.accounts.columns.start_date" in bad[0].message and bad[0].source.endswith("lines.csv")


def test_a_sum_of_text_is_a_problem(tmp_path):
    text = profile().replace("wallet_estimate: {column: sales, repeated: sum}",
                             "wallet_estimate: {column: name, repeated: sum}")
    problems = data_problems(tmp_path, text)
    assert {(p.row, p.column, p.value) for p in problems} >= {(2, "wallet_estimate", "Acme")}
    assert "is not a number, so 'repeated: sum' cannot combine it" in problems[0].message


# --- computed columns -------------------------------------------------------------------------------------

def test_computed_columns_by_hand(tmp_path):
    ds = load(tmp_path, profile())
    raw = pd.read_csv(tmp_path / "export" / "lines.csv")
    assert ds.revenue["revenue"].tolist() == pytest.approx((raw["qty"] * raw["price"]).tolist())
    assert ds.revenue["cogs"].tolist() == pytest.approx((raw["sales"] - raw["profit"]).tolist())
    assert quality(ds, "compute", "revenue", "revenue = qty * price")["count"] == 8
    assert quality(ds, "compute", "revenue", "cogs = sales - profit")["count"] == 8
    assert quality(ds, "compute", "products", "list_price = sales / qty")["count"] == 8


def test_a_computed_column_can_be_scaled_and_reads_cleaned_numbers(tmp_path):
    lines = LINES.replace(",20,5\n", ',"$1,020",5\n')
    text = profile(revenue="""\
    from: lines
    columns:
      account_id: customer
      date: day
      product_id: product
      revenue: sales
      cogs:
        - compute: (sales - profit) * 100
        - scale: 0.01
""").replace("lines: {dates: {day: iso}}", "lines: {dates: {day: iso}, numbers: [sales]}")
    ds = load(tmp_path, text, lines)
    assert ds.revenue["cogs"].iloc[0] == pytest.approx(1015.0)
    assert ds.revenue["revenue"].iloc[0] == pytest.approx(1020.0)


def test_a_value_that_is_not_a_number_names_file_row_column_and_value(tmp_path):
    lines = LINES.replace(",20,5\n", ',"1,020",5\n').replace(",10,-2\n", ",n/a,-2\n")
    problems = data_problems(tmp_path, profile(), lines)
    found = {(Path(p.source).name, p.row, p.column, p.value) for p in problems}
    assert ("lines.csv", 2, "sales", "1,020") in found and ("lines.csv", 4, "sales", "n/a") in found
    comma = next(p for p in problems if p.value == "1,020" and "cogs" in p.message)
    assert "is not a number, so cogs = sales - profit cannot be computed" in comma.message
    assert "list it under exports.lines.numbers to read '1,020' as 1020" in comma.message
    na = next(p for p in problems if p.value == "n/a" and "cogs" in p.message)
    assert "exports.lines.numbers" not in na.message


@pytest.mark.parametrize("word", ["nan", "inf", "-Infinity"])
def test_nan_and_inf_are_not_numbers(tmp_path, word):
    problems = data_problems(tmp_path, profile(), LINES.replace(",20,5\n", f",{word},5\n"))
    assert any(p.value == word and p.column == "sales" for p in problems)


def test_division_by_zero_and_empty_inputs_leave_the_cell_empty_and_are_counted(tmp_path):
    lines = LINES.replace(",P2,4.5,10,45,9\n", ",P2,4.5,0,45,9\n").replace(",P1,10,1,10,-2\n", ",P1,10,,10,-2\n")
    text = profile().replace("cogs: {compute: sales - profit}", "cogs: {compute: sales / qty}") \
        .replace("revenue: {compute: qty * price}", "revenue: sales") \
        .replace("list_price: {compute: sales / qty, repeated: max}", "list_price: {value: null}")
    ds = load(tmp_path, text, lines)
    assert ds.revenue["cogs"].isna().tolist() == [False, True, True, False, False, False, False, False]
    zero = quality(ds, "compute", "revenue", "cogs: division by zero; left empty")
    assert zero["count"] == 1 and zero["detail"] == "lines lines 3"
    empty = quality(ds, "compute", "revenue", "cogs: an input is empty; left empty")
    assert empty["count"] == 1 and empty["detail"] == "lines lines 4"
    assert quality(ds, "compute", "revenue", "cogs = sales / qty")["count"] == 6


def test_an_unknown_column_in_an_expression_is_named_with_the_columns_found(tmp_path):
    text = profile().replace("cogs: {compute: sales - profit}", "cogs: {compute: sales - proft}")
    problems = data_problems(tmp_path, text)
    (p,) = problems
    assert p.column == "proft" and "tables.revenue.columns.cogs.compute" in p.message
    assert "columns found: order, day, customer" in p.message


# --- the expression language ------------------------------------------------------------------------------

def _value(text: str, **columns: float) -> float:
    expr = parse_expression(text)
    index = pd.RangeIndex(1)
    inputs = {name: pd.Series([value], index=index, dtype="float64") for name, value in columns.items()}
    return float(evaluate(expr, inputs, index).values.iloc[0])


def test_arithmetic_precedence_unary_minus_and_quoted_names():
    assert _value("a + b * c", a=1, b=2, c=3) == 7
    assert _value("(a + b) * c", a=1, b=2, c=3) == 9
    assert _value("a - b - c", a=10, b=2, c=3) == 5                # left to right
    assert _value("a / b / c", a=24, b=2, c=3) == 4
    assert _value("-a * -b", a=2, b=3) == 6
    assert _value("1.5e2 + .5 - a", a=0.5) == 150
    expr = parse_expression("`Unit Price` * qty - `Unit Price`")
    assert expr.columns == ("Unit Price", "qty")
    assert _value("`Unit Price` * qty", **{"Unit Price": 2.5, "qty": 4}) == 10


@pytest.mark.parametrize(("text", "said"), [
    ("sales -", "ends too early"),
    ("(sales - profit", "is never closed"),
    ("sales profit", "'profit' at character 7 follows a complete expression"),
    ("sales $ profit", "'$' at character 7 is not a column"),
    ("sales ** 2", "'*' at character 8 needs a column or number before it"),
    ("__import__('os').system('true')", "\"'\" at character 12 is not a column, a number or + - * / ( )"),
    ("sales - profit)", "')' at character 15 follows a complete expression"),
    ("", "is empty"),
])
def test_bad_expressions_say_what_and_where(text, said):
    with pytest.raises(ExpressionError, match=None) as info:
        parse_expression(text)
    assert said in str(info.value)


def test_a_bad_expression_stops_the_profile_with_its_key_path(tmp_path):
    text = profile().replace("cogs: {compute: sales - profit}", "cogs: {compute: sales - }") \
        .replace("revenue: {compute: qty * price}", "revenue: {compute: 5}")
    said = config_problems(tmp_path, text)
    assert "'tables.revenue.columns.cogs.compute' is not arithmetic on columns and numbers: the expression " \
           "ends too early" in said
    assert "'tables.revenue.columns.revenue.compute' must be an expression as text" in said


def test_compute_is_never_python():
    import ast

    source = (Path(__file__).resolve().parents[2] / "kamreports" / "data" / "profiles" / "expressions.py").read_text()
    calls = {node.func.id for node in ast.walk(ast.parse(source))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert not calls & {"eval", "exec", "compile", "__import__"}


# --- mistakes in the profile ------------------------------------------------------------------------------

def test_distinct_gets_a_hint_to_one_row_per(tmp_path):
    text = profile().replace("    one_row_per: customer\n", "    distinct: customer\n", 1)
    said = config_problems(tmp_path, text)
    assert "'tables.accounts.distinct' is an unknown key" in said
    assert "one_row_per: customer_id; docs/data_profiles.md, 'Tables from order lines'" in said
    # and its repeated rules are then out of place
    assert "'tables.accounts.columns.name.repeated' only applies to a table made with one_row_per" in said


def test_bad_repeated_rules_are_named(tmp_path):
    text = profile().replace("repeated: most_frequent}", "repeated: mode}", 1) \
        .replace("start_date: {column: day, repeated: min}",
                 "start_date: [{column: day, repeated: min}, {fill: {value: 2020-01-01}, repeated: max}]")
    said = config_problems(tmp_path, text)
    assert "'tables.accounts.columns.name.repeated' must be one of first, last, most_frequent, min, max, sum, " \
           "count" in said
    assert "'tables.accounts.columns.start_date' says 'repeated' 2 times" in said
    nested = profile().replace("start_date: {column: day, repeated: min}",
                               "start_date: [{column: day}, {fill: {value: 2020-01-01, repeated: max}}]")
    assert "'tables.accounts.columns.start_date[1].fill.repeated' is an unknown key for 'value'" in \
        config_problems(tmp_path, nested)


def test_one_row_per_names_export_columns_that_must_exist(tmp_path):
    text = profile().replace("one_row_per: customer\n", "one_row_per: client\n", 1)
    (p,) = data_problems(tmp_path, text)
    assert p.column == "client" and "tables.accounts.one_row_per" in p.message
