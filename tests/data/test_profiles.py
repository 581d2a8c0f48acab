"""Column-mapping profiles: the Maven CRM export and the Salesforce-style example, counted
independently with plain pandas from the raw files; and every kind of bad profile reported clearly."""
from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from kamreports.cli import main as cli_main
from kamreports.config import load_settings
from kamreports.data import load_data
from kamreports.data.dataset import QUALITY_COLUMNS, Dataset
from kamreports.data.profiles import load_profile, slug
from kamreports.errors import ConfigError, DataValidationError
from kamreports.model import build_portfolio
from tests.conftest import FIXTURES, ROOT, quality_row

MAVEN = ROOT / "datasets" / "maven_crm"
MAVEN_SETTINGS = ROOT / "params" / "examples" / "maven_crm.yaml"
SALESFORCE_SETTINGS = FIXTURES / "salesforce.yaml"
SALESFORCE_EXPORT = FIXTURES / "salesforce_export"


def _need_maven() -> None:
    assert (MAVEN / "sales_pipeline.csv").is_file(), f"the bundled Maven CRM export is missing at {MAVEN}"


@pytest.fixture(scope="module")
def maven() -> Dataset:
    _need_maven()
    return load_data(load_settings(MAVEN_SETTINGS))


@pytest.fixture(scope="module")
def raw_maven() -> dict[str, pd.DataFrame]:
    _need_maven()
    return {name: pd.read_csv(MAVEN / f"{name}.csv", dtype=str, keep_default_na=False)
            for name in ("accounts", "products", "sales_pipeline", "sales_teams")}


# --- the Maven CRM export ----------------------------------------------------------------------------

def test_maven_settings_point_at_the_bundled_export_relative_to_the_settings_file():
    settings = load_settings(MAVEN_SETTINGS)
    assert settings.data_path.resolve() == MAVEN.resolve()
    assert settings.profile == "maven_crm_profile.yaml"


def test_maven_quality_report_counts_what_the_profile_did(maven, raw_maven):
    pipeline, accounts = raw_maven["sales_pipeline"], raw_maven["accounts"]
    assert list(maven.quality.columns) == list(QUALITY_COLUMNS)

    gtxpro = quality_row(maven, "normalise", "sales_pipeline", "product: known aliases")
    assert gtxpro["count"] == (pipeline["product"] == "GTXPro").sum() == 1480
    assert "'GTXPro' → 'GTX Pro'" in gtxpro["detail"]

    sector = quality_row(maven, "normalise", "accounts", "sector: known aliases")
    assert sector["count"] == (accounts["sector"] == "technolgy").sum() == 12

    dropped = quality_row(maven, "drop", "opportunities", "rows with no account_id")
    no_account = (pipeline["account"].str.strip() == "").sum()
    assert dropped["count"] == no_account == 1425
    assert len(maven.opportunities) == len(pipeline) - no_account

    won = pipeline[pipeline["deal_stage"] == "Won"]
    assert quality_row(maven, "select", "revenue", "deal_stage = Won")["count"] == len(won)
    open_deals = pipeline[(pipeline["account"] != "") & pipeline["deal_stage"].isin(["Engaging", "Prospecting"])]
    assert quality_row(maven, "fill", "opportunities", "amount")["count"] == len(open_deals)
    assert quality_row(maven, "absent", "revenue", "cogs")["count"] == len(won)
    for table in ("stakeholders", "kam_costs", "feedback"):
        assert quality_row(maven, "absent", table, "not in the export")["count"] == 0
        assert not maven.has(table)


def test_maven_canonical_tables(maven, raw_maven):
    pipeline, accounts = raw_maven["sales_pipeline"], raw_maven["accounts"]
    won = pipeline[pipeline["deal_stage"] == "Won"]
    assert len(maven.accounts) == len(accounts) == 85
    assert "technolgy" not in set(maven.accounts["industry"].str.lower())
    assert "Technology" in set(maven.accounts["industry"])
    assert maven.revenue["revenue"].sum() == pytest.approx(pd.to_numeric(won["close_value"]).sum())
    assert set(maven.revenue["date"].dt.year) == {2017}
    assert len(maven.products) == 7 and "gtxpro" not in set(maven.revenue["product_id"])
    gtx_pro = (won["product"].isin(["GTXPro", "GTX Pro"])).sum()
    assert (maven.revenue["product_id"] == "gtx-pro").sum() == gtx_pro
    # parents mapped by name to the generated ids
    acme = maven.accounts.set_index("account_id")
    assert acme.at["codehow", "parent_id"] == "acme-corporation"
    assert maven.accounts["parent_id"].notna().sum() == (accounts["subsidiary_of"] != "").sum()
    # owner: the manager of the agent with the most won value on the account
    teams = raw_maven["sales_teams"].set_index("sales_agent")
    values = won.assign(v=pd.to_numeric(won["close_value"])).groupby(["account", "sales_agent"])["v"].sum()
    top = values.reset_index().sort_values(["account", "v", "sales_agent"], ascending=[True, False, True]) \
        .drop_duplicates("account").set_index("account")["sales_agent"]
    expected = {slug(a): teams.at[agent, "manager"] for a, agent in top.items()}
    assert dict(zip(maven.accounts["account_id"], maven.accounts["owner"])) == expected
    assert set(maven.accounts["region"]) == set(raw_maven["sales_teams"]["regional_office"])


def test_maven_targets_follow_the_stated_rule(maven, raw_maven):
    pipeline = raw_maven["sales_pipeline"]
    won = pipeline[pipeline["deal_stage"] == "Won"].copy()
    won["q"] = pd.PeriodIndex(pd.to_datetime(won["close_date"]), freq="Q").astype(str)
    won["v"] = pd.to_numeric(won["close_value"])
    by_q = won.groupby([won["account"].map(slug), "q"])["v"].sum()
    expected = {}
    for (account, q), value in by_q.items():
        nxt = str(pd.Period(q, freq="Q") + 1)
        if nxt <= "2017Q4":
            expected[(account, nxt)] = value * 1.025
    got = {(a, q): t for a, q, t in maven.targets[["account_id", "quarter", "target"]].itertuples(index=False)}
    assert got == pytest.approx(expected, abs=0.01)     # targets are rounded to the cent
    assert quality_row(maven, "derive", "targets", "previous quarter's revenue × (1 + 2.5%)")["count"] == len(expected)
    assert quality_row(maven, "derive", "targets", "same quarter last year")["count"] == 0   # one year of data
    assert any("previous quarter's revenue × (1 + 2.5%)" in note for note in maven.notes)


def test_maven_portfolio_pareto_share_is_measured_from_won_deals(maven, raw_maven):
    portfolio = build_portfolio(maven, load_settings(MAVEN_SETTINGS))
    assert portfolio.quarter == "2017Q4"
    pipeline = raw_maven["sales_pipeline"]
    won = pipeline[pipeline["deal_stage"] == "Won"]
    per_account = pd.to_numeric(won["close_value"]).groupby(won["account"]).sum().sort_values(ascending=False)
    top = per_account.iloc[: math.ceil(0.2 * len(per_account))].sum() / per_account.sum()
    assert portfolio.top20_share == pytest.approx(top)
    assert 0.30 < top < 0.34                      # far from the 80% a rule of thumb would assume
    assert 1 <= int(portfolio.summary["is_key"].sum()) <= 20


# --- the Salesforce-style worked example (docs/data_profiles.md) --------------------------------------

@pytest.fixture(scope="module")
def salesforce() -> Dataset:
    return load_data(load_settings(SALESFORCE_SETTINGS))


def test_salesforce_example_loads_through_its_profile(salesforce):
    raw = pd.read_csv(SALESFORCE_EXPORT / "Opportunities with Products.csv", dtype=str, keep_default_na=False)
    accounts = pd.read_csv(SALESFORCE_EXPORT / "Accounts.csv", dtype=str, keep_default_na=False)
    ds = salesforce
    assert ds.present == {"accounts", "products", "revenue", "opportunities", "targets"}
    assert len(ds.opportunities) == (raw["Account ID"] != "").sum()
    assert quality_row(ds, "drop", "opportunities", "no account_id")["count"] == (raw["Account ID"] == "").sum() == 1
    assert quality_row(ds, "normalise", "opportunities", "product_name: runs of spaces")["count"] == \
        (raw["Product Name"] == "Widget  Pro").sum()
    assert quality_row(ds, "normalise", "accounts", "industry: known aliases")["count"] == 1
    # ids kept, parent looked up by name, dates in the stated US format, currency text parsed
    accts = ds.accounts.set_index("account_id")
    assert accts.at["0015g00000NWTEU1AA", "parent_id"] == "0015g00000NWTRD1AA"
    assert accts.at["0015g00000NWTEU1AA", "industry"] == "Retail"
    assert accts.at["0015g00000CNTSO1AA", "industry"] == "Healthcare"
    assert accts.at["0015g00000NWTRD1AA", "start_date"] == pd.Timestamp("2019-03-04")
    assert accts.at["0015g00000NWTRD1AA", "wallet_estimate"] == pytest.approx(120_000_000 * 0.002)
    won = raw[raw["Stage"] == "Closed Won"]
    money = won["Amount"].str.replace(r"[$,]", "", regex=True).astype(float)
    assert ds.revenue["revenue"].sum() == pytest.approx(money.sum())
    assert set(ds.opportunities["stage"]) == {"won", "lost", "open"}
    assert ds.opportunities["probability"].max() == pytest.approx(1.0)
    assert set(ds.revenue["product_id"]) <= set(ds.products["product_id"])
    # both target rules apply: two years of data
    assert quality_row(ds, "derive", "targets", "same quarter last year")["count"] > 0
    assert quality_row(ds, "derive", "targets", "previous quarter")["count"] > 0
    assert len(accounts) == len(ds.accounts)


def test_the_guide_shows_the_profile_the_tests_load():
    guide = (ROOT / "docs" / "data_profiles.md").read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- (tests/fixtures/[\w./]+) -->\s*```yaml\n(.*?)```", guide, flags=re.S)
    shown = {path: text for path, text in blocks}
    assert {"tests/fixtures/salesforce_profile.yaml", "tests/fixtures/salesforce.yaml"} <= set(shown)
    for path, text in shown.items():
        assert yaml.safe_load(text) == yaml.safe_load((ROOT / path).read_text(encoding="utf-8")), path


# --- bad profiles: every problem listed, with the file, key path and column -----------------------------

def _settings_with(tmp_path: Path, profile: str, export: dict[str, str]) -> Path:
    folder = tmp_path / "export"
    folder.mkdir(exist_ok=True)
    for name, text in export.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    (tmp_path / "profile.yaml").write_text(profile, encoding="utf-8")
    path = tmp_path / "settings.yaml"
    path.write_text("data: export\nprofile: profile.yaml\n", encoding="utf-8")
    return path


TINY_EXPORT = {
    "customers": "customer,segment\nAcme,retail\nBolt Ltd,Retail \n",
    "items": "product\nBox\nCrate\n",
    "deals": "customer,product,stage,value,closed\nAcme,Box,Won,100,2024-01-05\n"
             "Acme,Box,Lost,0,2024-02-01\n,Box,Open,50,\nBolt Ltd,Crate,Won,70,2024-04-09\n",
}
TINY_PROFILE = """\
exports:
  customers: {values: {segment: {case: title}}}
  items: {}
  deals: {dates: {closed: "%Y-%m-%d"}}
tables:
  accounts:
    from: customers
    columns:
      account_id: {id: customer}
      name: customer
      industry: segment
      region: {value: null}
      owner: {value: null}
      start_date: {value: null}
  products:
    from: items
    columns: {product_id: {id: product}, name: product}
  revenue:
    from: deals
    where: {stage: Won}
    columns: {account_id: {id: customer}, date: closed, product_id: {id: product}, revenue: value}
"""


def test_a_tiny_profile_loads_and_counts(tmp_path):
    ds = load_data(load_settings(_settings_with(tmp_path, TINY_PROFILE, TINY_EXPORT)))
    assert list(ds.accounts["account_id"]) == ["acme", "bolt-ltd"]
    assert list(ds.accounts["industry"]) == ["Retail", "Retail"]
    assert ds.revenue["revenue"].tolist() == [100.0, 70.0]
    assert quality_row(ds, "normalise", "customers", "spaces trimmed")["count"] == 1
    assert quality_row(ds, "select", "revenue", "stage = Won")["count"] == 2
    assert ds.present == {"accounts", "products", "revenue"}


def test_ids_made_from_a_repeating_column_are_duplicates(tmp_path):
    bad = TINY_PROFILE.replace("    from: customers", "    from: deals\n    drop_empty: [account_id]") \
        .replace("industry: segment", "industry: {value: null}")
    with pytest.raises(DataValidationError) as info:
        load_data(load_settings(_settings_with(tmp_path, bad, TINY_EXPORT)))
    text = str(info.value)
    assert "duplicate id" in text and "deals.csv" in text and "acme" in text


def test_inline_profile_in_the_settings_file(tmp_path):
    _settings_with(tmp_path, TINY_PROFILE, TINY_EXPORT)
    settings = tmp_path / "inline.yaml"
    settings.write_text(yaml.safe_dump({"data": "export", "profile": yaml.safe_load(TINY_PROFILE)}), encoding="utf-8")
    ds = load_data(load_settings(settings))
    assert list(ds.accounts["account_id"]) == ["acme", "bolt-ltd"]
    bad = yaml.safe_load(TINY_PROFILE)
    bad["tables"]["products"]["colour"] = 1
    settings.write_text(yaml.safe_dump({"data": "export", "profile": bad}), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_data(load_settings(settings))
    assert f"{settings} (profile)" in str(info.value) and "tables.products.colour" in str(info.value)


def test_unknown_keys_and_steps_are_named_with_their_path(tmp_path):
    bad = TINY_PROFILE.replace("  deals: {dates:", "  deals: {datez: 1, dates:") \
        .replace("name: customer", "name: {colum: customer}") \
        .replace("columns: {product_id: {id: product}, name: product}",
                 "columns: {product_id: {id: product}, name: product, colour: product}")
    with pytest.raises(ConfigError) as info:
        load_data(load_settings(_settings_with(tmp_path, bad, TINY_EXPORT)))
    text = str(info.value)
    assert str(tmp_path / "profile.yaml") in text
    assert "'exports.deals.datez' is an unknown key" in text
    assert "'tables.accounts.columns.name' must have exactly one step" in text
    assert "'tables.products.columns.colour' is not a column of products" in text
    assert "Traceback" not in text


def test_yaml_on_as_a_key_gets_a_hint(tmp_path):
    bad = TINY_PROFILE.replace("owner: {value: null}",
                               "owner: {lookup: {table: deals, on: customer, key: customer, value: stage}}")
    with pytest.raises(ConfigError) as info:
        load_data(load_settings(_settings_with(tmp_path, bad, TINY_EXPORT)))
    assert "quote such a key" in str(info.value)


def test_required_tables_and_columns_must_be_mapped(tmp_path):
    bad = TINY_PROFILE.replace("      owner: {value: null}\n", "").split("  revenue:")[0]
    with pytest.raises(ConfigError) as info:
        load_data(load_settings(_settings_with(tmp_path, bad, TINY_EXPORT)))
    text = str(info.value)
    assert "does not map the required column 'owner'" in text
    assert "must make the required table 'revenue'" in text


def test_missing_export_columns_are_named_with_file_and_column(tmp_path):
    export = {**TINY_EXPORT, "customers": TINY_EXPORT["customers"].replace("customer,", "client,", 1)}
    with pytest.raises(DataValidationError) as info:
        load_data(load_settings(_settings_with(tmp_path, TINY_PROFILE, export)))
    problems = info.value.problems
    assert {p.column for p in problems} == {"customer"}
    assert all(p.source == str(tmp_path / "export" / "customers.csv") for p in problems)
    assert "tables.accounts.columns.account_id" in str(info.value)


def test_missing_export_table_and_bad_dates(tmp_path):
    with pytest.raises(DataValidationError) as info:
        load_data(load_settings(_settings_with(tmp_path, TINY_PROFILE.replace("deals", "orders"), TINY_EXPORT)))
    assert "export table 'orders' is missing" in str(info.value)
    export = {**TINY_EXPORT, "deals": TINY_EXPORT["deals"].replace("2024-04-09", "09/04/2024")}
    with pytest.raises(DataValidationError) as info:
        load_data(load_settings(_settings_with(tmp_path, TINY_PROFILE, export)))
    (p,) = info.value.problems
    assert (p.row, p.column, p.value) == (5, "closed", "09/04/2024")
    assert "%Y-%m-%d" in p.message and p.source.endswith("deals.csv")


def test_cli_validate_reports_a_bad_profile_without_a_traceback(tmp_path, capsys, caplog):
    settings = _settings_with(tmp_path, "exports: {deals: {}}\ntables: {accounts: {from: nowhere}}\n", TINY_EXPORT)
    assert cli_main(["validate", "--config", str(settings)]) == 2
    err = capsys.readouterr().err + caplog.text
    assert "names an export table not listed" in err and "Traceback" not in err


def test_profile_file_must_exist_and_parse(tmp_path):
    with pytest.raises(ConfigError, match="profile cannot be read"):
        load_profile(tmp_path / "nope.yaml", "x")
    (tmp_path / "bad.yaml").write_text("exports: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_profile(tmp_path / "bad.yaml", "x")


def test_slugs_are_stable_ids():
    assert slug("Acme Corporation") == "acme-corporation"
    assert slug("  Zürich Räder AG ") == "zurich-rader-ag"
    assert slug("Acme", "ACC-") == "ACC-acme"
    assert slug("") is None and slug(None) is None


def test_canonical_data_has_an_empty_quality_report_and_typed_absent_tables(tmp_path):
    ds = load_data()
    assert ds.quality.empty and list(ds.quality.columns) == list(QUALITY_COLUMNS) and ds.notes == ()
    from kamreports.data.dataset import empty_table

    assert pd.api.types.is_datetime64_any_dtype(empty_table("stakeholders")["last_contact"])
    assert empty_table("feedback")["nps"].dtype == "Int64"


def test_derive_targets_by_hand():
    from kamreports.data.profiles import derive_targets

    revenue = pd.DataFrame({
        "account_id": ["a"] * 6 + ["b"],
        "date": ["2024-01-10", "2024-04-10", "2024-07-10", "2024-10-10", "2025-01-10", "2025-04-10", "2025-04-20"],
        "revenue": ["100", "200", "0", "400", "500", "600", "50"],
    })
    rules = [{"basis": "same_quarter_last_year", "growth": 0.10}, {"basis": "previous_quarter", "growth": 0.0}]
    out = derive_targets(revenue, rules)
    got = {(a, q): float(t) for a, q, t in out.itertuples(index=False)}
    # 2024Q1: no quarter before; 2024Q4: the previous quarter had no revenue; b: nothing before 2025Q2
    assert got == {("a", "2024Q2"): 100.0, ("a", "2024Q3"): 200.0,   # previous quarter + 0%
                   ("a", "2025Q1"): 110.0, ("a", "2025Q2"): 220.0}   # same quarter last year + 10%
    avg = derive_targets(revenue, [{"basis": "trailing_average", "growth": 0.5}])
    assert {(a, q): float(t) for a, q, t in avg.itertuples(index=False)} == {
        ("a", "2025Q1"): (100 + 200 + 0 + 400) / 4 * 1.5, ("a", "2025Q2"): (200 + 0 + 400 + 500) / 4 * 1.5}
