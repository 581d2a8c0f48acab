"""The portfolio summary's declared contract: the columns the build makes, accounts.csv and the README."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from kamreports import open_portfolio
from kamreports.analytics.contract import (
    ACCOUNTS_CSV,
    SUMMARY_COLUMNS,
    SummaryContractError,
    accounts_csv_columns,
    accounts_csv_markdown,
    check_summary,
    expected_columns,
)
from kamreports.pipeline.pack import accounts_table
from tests.conftest import ROOT

README = ROOT / "README.md"


@pytest.fixture(scope="module")
def portfolio():
    return open_portfolio()


def test_the_sample_summary_has_exactly_the_declared_columns(portfolio):
    criteria = list(portfolio.settings.selection.criteria)
    assert list(portfolio.summary.columns) == expected_columns(criteria, portfolio.summary.columns)
    check_summary(portfolio.summary, criteria)   # also run inside build_portfolio


def test_a_column_dropped_added_or_retyped_is_caught(portfolio):
    criteria = list(portfolio.settings.selection.criteria)
    with pytest.raises(SummaryContractError, match="missing: health_score"):
        check_summary(portfolio.summary.drop(columns="health_score"), criteria)
    with pytest.raises(SummaryContractError, match="undeclared: surprise"):
        check_summary(portfolio.summary.assign(surprise=1.0), criteria)
    with pytest.raises(SummaryContractError, match="wrong kind: is_key"):
        check_summary(portfolio.summary.assign(is_key=portfolio.summary["is_key"].map({True: "yes", False: "no"})),
                      criteria)
    with pytest.raises(SummaryContractError, match="missing: score_solvency"):
        check_summary(portfolio.summary, criteria + ["solvency"])   # one score column per criterion


def test_optional_analyst_columns_may_be_absent():
    names = expected_columns(["revenue_volume", "product_fit", "customer_tenure"], present=[])
    assert "product_fit" not in names and "relative_strength" not in names
    assert names.count("score_product_fit") == 1 and names.index("score") == names.index("score_customer_tenure") + 1


def test_every_declared_column_says_what_it_is():
    for column in SUMMARY_COLUMNS:
        assert column.meaning and column.made_by.startswith("analytics.") and column.kind in (
            "text", "number", "count", "flag", "date"), column


def test_accounts_csv_has_the_declared_columns_in_order(portfolio):
    table = accounts_table(portfolio)
    assert list(table.columns) == [name for name, _ in accounts_csv_columns(portfolio.settings.selection.criteria)]
    assert "score_revenue_volume" in table.columns and "score_<criterion>" not in table.columns
    assert (table["quarter"] == portfolio.quarter).all() and table["account_id"].is_unique
    assert table["revenue_t4q"].is_monotonic_decreasing
    row = table.iloc[0]
    assert row["selection_score"] == portfolio.summary.at[row["account_id"], "score"]


def test_readme_accounts_csv_table_is_the_contract():
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### `accounts.csv`"):]
    table = "\n".join(re.findall(r"^\|.*\|$", section.split("\n## ")[0], flags=re.MULTILINE))
    assert table == accounts_csv_markdown()


def test_markdown_lists_each_exported_column_once():
    lines = accounts_csv_markdown().splitlines()[2:]
    assert [re.match(r"\| `([a-z_0-9<>]+)`", line).group(1) for line in lines] == [n for n, _ in ACCOUNTS_CSV]
    assert "| `relationship_strength` | 0-10 |" in accounts_csv_markdown()
    assert pd.Series([n for n, _ in ACCOUNTS_CSV]).is_unique
