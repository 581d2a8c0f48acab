"""An order-line export (one row per line: customers and products repeat) made into the canonical tables by
a settings file and a profile alone: tests/fixtures/order_lines/orders.csv, made up for these tests, and
the worked example of docs/data_profiles.md ("Tables from order lines"). Every figure is checked
against plain pandas on the raw file; the build itself is the slow test at the end."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import yaml

from kamreports.cli import main as cli_main
from kamreports.config import load_settings
from kamreports.data import load_data
from kamreports.data.dataset import Dataset
from kamreports.errors import DataValidationError
from kamreports.model import build_portfolio
from tests.conftest import FIXTURES, ROOT, pdf_pages, quality_row

SETTINGS = FIXTURES / "order_lines.yaml"
ORDERS = FIXTURES / "order_lines" / "orders.csv"


@pytest.fixture(scope="module")
def lines() -> pd.DataFrame:
    """The raw export, read independently: text as written, numbers and dates parsed here."""
    raw = pd.read_csv(ORDERS, dtype=str, keep_default_na=False)
    raw["sales_n"] = raw["Sales"].str.replace(",", "").astype(float)
    raw["profit_n"] = raw["Profit"].str.replace(",", "").astype(float)
    raw["day"] = pd.to_datetime(raw["Order Date"], format="%d/%m/%y")
    return raw


@pytest.fixture(scope="module")
def customer_lines(lines) -> pd.DataFrame:
    return lines[lines["Customer ID"] != ""]


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return load_data(load_settings(SETTINGS))


def most_frequent_first_seen(values: list[str]) -> str:
    """The value on most rows; a tie goes to the value seen first (the rule the guide states)."""
    counts = Counter(values)
    best = max(counts.values())
    return next(v for v in values if counts[v] == best)


def test_the_fixture_is_an_order_line_export_with_the_issues_columns(lines):
    assert list(lines.columns[:13]) == ["Order ID", "Order Date", "Customer ID", "Customer Name", "Segment",
                                        "Region", "Product ID", "Category", "Sub-Category", "Sales", "Quantity",
                                        "Discount", "Profit"]
    assert 150 <= len(lines) <= 300
    assert lines["Order Date"].str.fullmatch(r"\d{2}/\d{2}/\d{2}").all()
    assert set(lines["day"].dt.year) == {2021, 2022, 2023, 2024}
    per_customer = lines[lines["Customer ID"] != ""].groupby("Customer ID").size()
    assert per_customer.min() >= 2 and per_customer.mean() > 5          # customers repeat on their lines
    assert lines["Sales"].str.contains(",").any()                       # "1,638.00": needs numbers: cleaning


def test_accounts_one_per_customer_by_the_stated_rules(ds, customer_lines):
    accounts = ds.accounts.set_index("account_id")
    by_customer = customer_lines.groupby("Customer ID", sort=False)
    assert sorted(accounts.index) == sorted(by_customer.groups)
    for customer, rows in by_customer:
        assert accounts.at[customer, "name"] == most_frequent_first_seen(list(rows["Customer Name"]))
        assert accounts.at[customer, "industry"] == most_frequent_first_seen(list(rows["Segment"]))
        assert accounts.at[customer, "region"] == most_frequent_first_seen(list(rows["Region"]))
        assert accounts.at[customer, "start_date"] == rows["day"].min()
    assert accounts.at["CG-12520", "name"] == "Claire Gute"              # 'claire gute' on one line
    # a tie (5 lines each): the first seen wins, where alphabetical order would pick "Consumer"
    assert Counter(customer_lines.loc[customer_lines["Customer ID"] == "IM-15070", "Segment"]) == \
        {"Home Office": 5, "Consumer": 5}
    assert accounts.at["IM-15070", "industry"] == "Home Office"
    assert accounts["owner"].isna().all() and accounts["parent_id"].isna().all()


def test_products_one_per_product(ds, lines):
    products = ds.products.set_index("product_id")
    assert sorted(products.index) == sorted(lines["Product ID"].unique())
    families = lines.groupby("Product ID")["Category"].agg(lambda s: most_frequent_first_seen(list(s)))
    assert products["family"].to_dict() == families.to_dict()


def test_revenue_per_line_with_cost_of_goods_from_profit(ds, lines, customer_lines):
    revenue = ds.revenue
    assert len(revenue) == len(customer_lines) == len(lines) - 1
    assert revenue["revenue"].tolist() == pytest.approx(customer_lines["sales_n"].tolist())
    cogs = customer_lines["sales_n"] - customer_lines["profit_n"]
    assert revenue["cogs"].tolist() == pytest.approx(cogs.tolist(), abs=1e-9)
    assert revenue["date"].tolist() == customer_lines["day"].tolist()
    # by account and quarter, as the packs read it
    mine = revenue.assign(q=revenue["date"].dt.to_period("Q")).groupby(["account_id", "q"])[["revenue", "cogs"]].sum()
    theirs = customer_lines.assign(q=customer_lines["day"].dt.to_period("Q"), cogs=cogs) \
        .groupby(["Customer ID", "q"])[["sales_n", "cogs"]].sum()
    assert mine.to_numpy() == pytest.approx(theirs.to_numpy())
    margin = 1 - revenue["cogs"].sum() / revenue["revenue"].sum()
    assert margin == pytest.approx(customer_lines["profit_n"].sum() / customer_lines["sales_n"].sum())


def test_targets_follow_the_rules(ds, customer_lines):
    by_q = customer_lines.assign(q=customer_lines["day"].dt.to_period("Q")).groupby(["Customer ID", "q"])[
        "sales_n"].sum()
    first, last = by_q.index.get_level_values("q").min(), by_q.index.get_level_values("q").max()
    expected = {}
    for customer in by_q.index.get_level_values(0).unique():
        mine = by_q[customer]
        for q in pd.period_range(first, last, freq="Q"):
            year_ago, before = mine.get(q - 4, 0.0), mine.get(q - 1, 0.0)
            if q - 4 >= first and year_ago > 0:
                expected[(customer, str(q))] = round(year_ago * 1.10, 2)
            elif q - 1 >= first and before > 0:
                expected[(customer, str(q))] = round(before * 1.025, 2)
    got = {(a, q): t for a, q, t in ds.targets[["account_id", "quarter", "target"]].itertuples(index=False)}
    assert got == pytest.approx(expected, abs=0.011)


def test_the_quality_report_counts_each_step(ds, lines, customer_lines):
    n_customers = customer_lines["Customer ID"].nunique()
    combined = quality_row(ds, "combine", "accounts", "one row per customer_id of orders")
    assert combined["count"] == n_customers
    assert f"{len(customer_lines)} rows of orders became {n_customers} rows of accounts" in combined["detail"]
    assert quality_row(ds, "drop", "accounts", "rows of orders with no customer_id")["count"] == 1
    differ = customer_lines.groupby("Customer ID").nunique()
    for col, export_col in (("name", "Customer Name"), ("industry", "Segment"), ("region", "Region"),
                            ("start_date", "Order Date")):
        row = quality_row(ds, "combine", "accounts", f"{col}: values differ within a customer_id")
        assert row["count"] == (differ[export_col] > 1).sum(), col
    assert quality_row(ds, "combine", "accounts", "name: values")["count"] == 2
    assert "'claire gute' ×1 → 'Claire Gute'" in quality_row(ds, "combine", "accounts", "name: values")["detail"]
    assert quality_row(ds, "combine", "products", "one row per product_id")["count"] == lines["Product ID"].nunique()
    assert quality_row(ds, "compute", "revenue", "cogs = sales - profit")["count"] == len(lines)
    assert quality_row(ds, "drop", "revenue", "rows with no account_id")["count"] == 1
    assert quality_row(ds, "normalise", "orders", "sales: currency symbols and separators removed")["count"] == \
        lines["Sales"].str.contains(",").sum()
    assert not ds.quality["what"].str.contains("cogs: not in the export").any()     # gross margin is known


def test_cli_validate_passes_and_prints_the_steps(capsys):
    assert cli_main(["validate", "--config", str(SETTINGS)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: ") and "accounts 19, products 12, revenue 206" in out
    assert "  combine: accounts: one row per customer_id of orders: 19 (206 rows of orders became 19 rows" in out
    assert "  compute: revenue: cogs = sales - profit: 207" in out


def test_the_portfolio_has_gross_margin_and_key_accounts(ds):
    portfolio = build_portfolio(ds, load_settings(SETTINGS))
    assert portfolio.quarter == "2024Q4"
    assert 1 <= int(portfolio.summary["is_key"].sum()) <= 19


def test_the_guide_shows_the_order_line_files():
    guide = (ROOT / "docs" / "data_profiles.md").read_text(encoding="utf-8")
    assert "## Tables from order lines" in guide
    assert "<!-- tests/fixtures/order_lines_profile.yaml -->" in guide
    assert "<!-- tests/fixtures/order_lines.yaml -->" in guide
    # tests/data/test_profiles.py::test_the_guide_shows_the_profile_the_tests_load checks each block's YAML


# --- the duplicate-id error says what to do ---------------------------------------------------------------

def _without_one_row_per(tmp_path: Path) -> Path:
    """The fixture's profile with accounts made line by line, as a new user first writes it."""
    profile = yaml.safe_load((FIXTURES / "order_lines_profile.yaml").read_text(encoding="utf-8"))
    accounts = profile["tables"]["accounts"]
    del accounts["one_row_per"]
    accounts["columns"] = {col: step["column"] if isinstance(step, dict) and "column" in step else step
                           for col, step in accounts["columns"].items()}
    (tmp_path / "profile.yaml").write_text(yaml.safe_dump(profile), encoding="utf-8")
    settings = tmp_path / "settings.yaml"
    settings.write_text(f"data: {ORDERS.parent}\nprofile: profile.yaml\n", encoding="utf-8")
    return settings


def test_accounts_made_per_line_get_the_order_line_hint(tmp_path, customer_lines):
    with pytest.raises(DataValidationError) as info:
        load_data(load_settings(_without_one_row_per(tmp_path)))
    dups = [p for p in info.value.problems if p.column == "account_id" and p.value is not None or "ids" in p.message]
    first = dups[0]
    counts = customer_lines["Customer ID"].value_counts()
    ids = customer_lines["Customer ID"]
    assert first.value == ids[ids.duplicated()].iloc[0]            # the first id to repeat, at that line
    assert f"duplicate id, on {counts[first.value]} rows: this looks like one row per order line" in first.message
    assert "one_row_per:" in first.message and "'Tables from order lines'" in first.message
    assert first.source.endswith("orders.csv (as accounts)")
    # one problem per repeated id at its second line, up to the usual limit, then how many more
    assert len(dups) == 11 and dups[-1].message.startswith(f"... {customer_lines['Customer ID'].nunique() - 10} "
                                                           "more ids like this")
    assert all("duplicate id, on" in p.message for p in dups[1:10])
    second_line = customer_lines.index[customer_lines["Customer ID"] == first.value][1] + 2
    assert first.row == second_line


def test_one_repeated_account_keeps_the_plain_message(tmp_path):
    from tests.conftest import make_dataset

    with pytest.raises(DataValidationError) as info:
        make_dataset({"accounts": "account_id,name,industry,region,owner,start_date\nA1,Acme,,,,\nA2,Bolt,,,,\n"
                                  "A3,Crane,,,,\nA2,Bolt,,,,\n",
                      "products": "product_id,name\nP1,Box", "revenue": "account_id,date,product_id,revenue\n"})
    (p,) = [p for p in info.value.problems if p.column == "account_id"]
    assert (p.row, p.value, p.message) == (5, "A2", "duplicate id; each must appear once")


# --- the build: packs from the settings file and the profile alone ------------------------------------------

@pytest.mark.slow
def test_kamreports_build_makes_packs_from_the_order_lines(tmp_path, ds):
    out = tmp_path / "out"
    assert cli_main(["build", "--config", str(SETTINGS), "--accounts", "AH-10030,CG-12520", "--output", str(out),
                     "--workers", "2", "--quiet"]) == 0
    quarter = out / "2024Q4"
    manifest = json.loads((quarter / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["data"].endswith("order_lines")
    pack = next((quarter / "accounts").glob("ah-10030*/account_plan.pdf"))
    text = " ".join(pdf_pages(pack))
    assert "Aaron Hawkins" in text and "Example Retail" in text.title()
    revenue = ds.revenue[ds.revenue["account_id"] == "AH-10030"]
    assert revenue["date"].dt.year.min() == 2021
    assert (quarter / "qbr_pack_2024Q4.pdf").is_file()


# --- nothing invented from absence (issue 16, items 3 and 4) ------------------------------------------------

def default_settings(tmp_path: Path) -> Path:
    """The export with the default selection and matrix settings: revenue potential, product fit and strategic
    value, share of wallet and every stakeholder factor have no data in an order-line export."""
    path = tmp_path / "defaults.yaml"
    path.write_text(f"company:\n  name: Example Retail\ndata: {ORDERS.parent}\n"
                    f"profile: {FIXTURES / 'order_lines_profile.yaml'}\n", encoding="utf-8")
    return path


def t4q_revenue(customer_lines: pd.DataFrame, ds: Dataset) -> pd.Series:
    """Each account's revenue in 2024 (the four quarters to 2024Q4), 0 for an account without any."""
    in_window = customer_lines[customer_lines["day"].dt.year == 2024]
    return in_window.groupby("Customer ID")["sales_n"].sum().reindex(ds.accounts["account_id"]).fillna(0.0)


def test_key_accounts_follow_revenue_where_no_other_criterion_has_data(ds, customer_lines):
    import dataclasses

    from kamreports.config import Selection, Settings

    criteria = {"revenue_volume": 40, "revenue_potential": 20, "product_fit": 20, "strategic_value": 20}
    settings = dataclasses.replace(Settings(), selection=Selection(criteria=criteria))
    portfolio = build_portfolio(ds, settings, "2024Q4")
    revenue = t4q_revenue(customer_lines, ds)
    # revenue volume alone, spread 1-10 by rank over the 19 accounts (ties at their average rank)
    expected = 1 + 9 * (revenue.rank(method="average") - 1) / (len(revenue) - 1)
    assert portfolio.summary["score"].to_dict() == pytest.approx(expected.to_dict())
    chosen = expected[expected >= 6 - 1e-9]
    assert set(portfolio.key_accounts.index) == set(chosen.index)
    assert list(portfolio.key_accounts.index) == list(revenue[chosen.index].sort_values(ascending=False).index)
    coverage, _ = portfolio.selection_gaps
    assert coverage["status"].to_dict() == {"revenue_volume": "scored", "revenue_potential": "left out",
                                            "product_fit": "left out", "strategic_value": "left out"}


def test_the_default_settings_invent_nothing(tmp_path, ds, customer_lines):
    from kamreports.inputs import check_inputs

    settings = load_settings(default_settings(tmp_path))
    portfolio = build_portfolio(ds, settings, "2024Q4")
    s = portfolio.summary
    # 40 revenue volume + 10 tenure kept of 100: scaled up to 80 / 20
    coverage, effects = portfolio.selection_gaps
    assert coverage["weight_used"].to_dict() == pytest.approx({"revenue_volume": 80.0, "revenue_potential": 0.0,
                                                               "customer_tenure": 20.0, "product_fit": 0.0,
                                                               "strategic_value": 0.0})
    revenue = t4q_revenue(customer_lines, ds)
    since = customer_lines.groupby("Customer ID")["day"].min().reindex(revenue.index)
    def spread(values: pd.Series) -> pd.Series:
        return 1 + 9 * (values.rank(method="average") - 1) / (len(values) - 1)
    tenure = spread(-since.astype("int64"))                     # earlier first order = longer tenure
    assert s["score"].to_dict() == pytest.approx((0.8 * spread(revenue) + 0.2 * tenure).to_dict())
    # no stakeholders anywhere: no strength, no quadrant, no stage, no contact-based health component
    assert s["strength"].isna().all() and set(s["strength_basis"]) == {"not assessed"}
    assert set(s["quadrant"]) == {"Not assessed"} and set(s["relationship_stage"]) == {"Not assessed"}
    assert s[["health_engagement", "health_coverage", "health_risks"]].isna().all().all()
    assert s["health_missing"].str.contains("engagement, coverage, risks").all()
    # attainment on a target derived from sporadic buying: flagged, kept as a number for accounts.csv
    q4 = customer_lines[customer_lines["day"].dt.to_period("Q") == pd.Period("2024Q4")]
    target = ds.targets.set_index(["account_id", "quarter"])["target"][("AH-10030", "2024Q4")]
    attainment = q4.loc[q4["Customer ID"] == "AH-10030", "sales_n"].sum() / target
    assert attainment > 10 and s.at["AH-10030", "attainment_q"] == pytest.approx(attainment)
    assert "attainment_q" in s.at["AH-10030", "out_of_range"].split(", ")
    assert (s["out_of_range"] != "").sum() == (s[["attainment_q", "qoq_growth", "yoy_growth", "t4q_growth"]]
                                              .abs() > 10).any(axis=1).sum()
    # validate says what is left out and what is not assessed
    warnings = check_inputs(default_settings(tmp_path)).warnings
    assert ("selection.criteria: revenue_potential, product_fit, strategic_value have no data for any account: "
            "left out of the selection score, the other weights scaled up to 100 (revenue_volume 80, "
            "customer_tenure 20)") in warnings
    assert any(w.startswith("stakeholders: 19 of 19 accounts have none mapped") for w in warnings)
    assert effects["partly"] == 0


@pytest.mark.slow
def test_the_pack_from_the_defaults_says_what_it_does_not_know(tmp_path):
    out = tmp_path / "out"
    assert cli_main(["build", "--config", str(default_settings(tmp_path)), "--accounts", "AH-10030", "--output",
                     str(out), "--workers", "2", "--quiet", "--no-book"]) == 0
    quarter = out / "2024Q4"
    account = " ".join(pdf_pages(next((quarter / "accounts").glob("ah-10030*/account_plan.pdf"))))
    portfolio = " ".join(pdf_pages(quarter / "portfolio" / "portfolio_review.pdf"))
    # the account: no figure beyond the sane range, no stage or quadrant without saying why
    assert "TARGET ATTAINMENT target too small to compare" in account
    assert "Tier 1, relationship not assessed" in account
    assert "Relationship not assessed — no stakeholders mapped." in account
    assert "stakeholder risks not assessed — no stakeholders mapped" in account
    assert ("Not scored for lack of data: customer score, engagement recency, stakeholder coverage, open risks."
            in account)
    assert "left out no data" in account and "nan" not in account.lower().split()
    # the portfolio: the criteria left out, the line in the summary, the matrix note and the counts
    assert ("Left out for lack of data (no account has any): revenue potential (20%), product fit (15%) and "
            "strategic value (15%); the other weights are scaled up to 100: revenue volume 80%, customer tenure "
            "20%.") in portfolio
    assert "Selection: revenue potential, product fit and strategic value have no data for any account" in portfolio
    assert "no stakeholders mapped: relationship not assessed, in no quadrant of the KAM matrix." in portfolio
    assert "relationship strength not assessed, in no quadrant; drawn hollow, placed on tenure only." in portfolio
    for stage in ("Tactical", "Cooperative", "Interdependent"):
        assert f"0 {stage}" in portfolio                         # the key accounts' stage tally
