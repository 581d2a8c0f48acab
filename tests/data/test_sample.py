"""The deterministic sample company: shape, realism and its deliberate gaps.

Expected figures are computed here with plain pandas/numpy from the tables,
never copied from the generator's own bookkeeping.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kamreports.data.sample import SampleSpec, _as_text, generate_sample, sample_dataset
from kamreports.data.schema import TABLES

END = pd.Period("2026Q3", freq="Q")


@pytest.fixture(scope="module")
def ds():
    return sample_dataset()


@pytest.fixture(scope="module")
def raw():
    return generate_sample()


def quarter_labels(dates: pd.Series) -> pd.Series:
    return dates.map(lambda d: f"{d.year}Q{(d.month - 1) // 3 + 1}")


@pytest.fixture(scope="module")
def trailing_revenue(ds):
    """Revenue of each account over 2025Q4..2026Q3, every account included (0 if none)."""
    rev = ds.revenue
    in_window = (rev["date"] >= pd.Timestamp("2025-10-01")) & (rev["date"] <= pd.Timestamp("2026-09-30"))
    per = rev[in_window].groupby("account_id")["revenue"].sum()
    return per.reindex(ds.accounts["account_id"], fill_value=0.0).sort_values(ascending=False)


# --- determinism ---------------------------------------------------------------------------

def test_same_seed_same_tables(raw):
    again = generate_sample()
    assert set(again) == set(raw) == set(TABLES)
    for name in TABLES:
        pd.testing.assert_frame_equal(again[name], raw[name], obj=name)


def test_default_spec_is_seed_7_and_a_different_seed_differs(raw):
    assert SampleSpec() == SampleSpec(seed=7, accounts=150, end_quarter="2026Q3", quarters=12)
    small, other = (generate_sample(SampleSpec(seed=s, accounts=30, quarters=4)) for s in (7, 8))
    assert len(small["accounts"]) == len(other["accounts"]) == 30
    assert not small["revenue"].equals(other["revenue"])
    assert small["revenue"]["revenue"].sum() != pytest.approx(other["revenue"]["revenue"].sum())


def test_validation_keeps_every_generated_number(raw, ds):
    """Text round trip inside sample_dataset must not change a value."""
    for name in TABLES:
        for col in raw[name].columns:
            if pd.api.types.is_float_dtype(raw[name][col]):
                np.testing.assert_array_equal(ds.table(name)[col].to_numpy(float),
                                              raw[name][col].to_numpy(float), err_msg=f"{name}.{col}")


def test_as_text_keeps_large_whole_numbers():
    frame = pd.DataFrame({"x": [1182846.0, 123456789.0, 2.5, 3.0, np.nan]})
    text = _as_text(frame)["x"]
    assert text.iloc[-1] == ""
    assert pd.to_numeric(text.iloc[:-1]).tolist() == [1182846.0, 123456789.0, 2.5, 3.0]


# --- accounts, revenue, products -----------------------------------------------------------

def test_validated_dataset_has_all_tables(ds):
    assert ds.present == frozenset(TABLES)
    assert ds.source == "sample"
    for name in TABLES:
        assert len(ds.table(name)) > 0, name


def test_about_150_accounts(ds):
    ids = ds.accounts["account_id"]
    assert len(ids) == 150
    assert ids.is_unique
    assert ds.accounts["name"].is_unique


def test_twelve_quarters_ending_2026q3(ds):
    quarters = ds.revenue["date"].dt.to_period("Q")
    assert quarters.nunique() == 12
    assert quarters.max() == END
    assert quarters.min() == pd.Period("2023Q4", freq="Q")  # 2026Q3 minus 11 quarters
    assert ds.revenue["date"].max() <= pd.Timestamp("2026-09-30")


def test_products_have_revenue_above_cogs(ds):
    assert len(ds.products) >= 6
    assert ds.products["product_id"].is_unique
    totals = ds.revenue.groupby("product_id")[["revenue", "cogs"]].sum()
    assert set(totals.index) == set(ds.products["product_id"])  # every product sells
    assert (totals["cogs"] > 0).all()
    assert (totals["cogs"] < totals["revenue"]).all()
    assert (ds.revenue["revenue"] >= 0).all()


def test_top_fifth_holds_70_to_85_percent_of_trailing_revenue(trailing_revenue):
    values = trailing_revenue.to_numpy()
    assert (np.diff(values) <= 0).all()
    top = math.ceil(0.2 * len(values))
    assert top == 30
    share = values[:top].sum() / values.sum()
    assert 0.70 <= share <= 0.85


# --- gaps that reports must cope with -------------------------------------------------------

def test_most_but_not_all_accounts_have_targets(ds):
    accounts = set(ds.accounts["account_id"])
    with_targets = set(ds.targets["account_id"])
    assert with_targets <= accounts
    assert len(with_targets) >= 0.8 * len(accounts)
    assert len(accounts - with_targets) >= 1


def test_some_accounts_have_a_single_quarter_of_history(ds):
    history = ds.revenue.assign(q=ds.revenue["date"].dt.to_period("Q")).groupby("account_id")["q"].nunique()
    assert (history == 1).sum() >= 1
    assert (history >= 8).sum() > 75  # but most have a long history


def test_stakeholder_counts(ds, trailing_revenue):
    counts = ds.stakeholders.groupby("account_id").size()
    assert counts.max() <= 12
    assert (counts >= 3).sum() >= 10
    top30 = trailing_revenue.index[:30]
    assert any(acct not in counts.index for acct in top30)


def test_stakeholder_roles_and_levels_come_from_the_schema(ds):
    spec = TABLES["stakeholders"]
    roles = set(ds.stakeholders["role"])
    assert roles <= set(spec.column("role").choices)
    assert len(roles) >= 3
    levels = set(ds.stakeholders["level"].dropna())
    assert levels <= set(spec.column("level").choices)
    assert ds.stakeholders["influence"].between(1, 5).all()
    assert ds.stakeholders["sentiment"].between(-2, 2).all()
    assert not ds.stakeholders.duplicated(["account_id", "name"]).any()


def test_parent_subsidiary_pairs(ds):
    acc = ds.accounts
    children = acc[acc["parent_id"].notna()]
    assert len(children) >= 2
    names = dict(zip(acc["account_id"], acc["name"]))
    for _, child in children.iterrows():
        assert child["parent_id"] in names
        assert child["parent_id"] != child["account_id"]
        parent_name = names[child["parent_id"]]
        assert parent_name in child["name"] and parent_name != child["name"]


def test_opportunity_stages(ds):
    stages = ds.opportunities["stage"]
    assert set(stages) == {"won", "lost", "open"}
    assert (stages == "open").sum() >= 5
    assert ds.opportunities["opportunity_id"].is_unique


def test_kam_costs_cover_every_account_quarter_with_revenue(ds):
    revenue_keys = set(zip(ds.revenue["account_id"], quarter_labels(ds.revenue["date"])))
    cost_keys = set(zip(ds.kam_costs["account_id"], ds.kam_costs["quarter"]))
    assert revenue_keys <= cost_keys
    assert (ds.kam_costs["cost"] > 0).all()


def test_feedback_nps_range(ds):
    nps = ds.feedback["nps"]
    assert len(nps) > 0
    assert nps.between(0, 10).all()
    assert nps.nunique() > 3
    assert set(ds.feedback["account_id"]) < set(ds.accounts["account_id"])  # some give none


# --- scale ---------------------------------------------------------------------------------

def test_sample_scales_to_1200_accounts():
    big = sample_dataset(SampleSpec(accounts=1200, quarters=1))  # one quarter keeps it quick
    assert len(big.accounts) == 1200
    assert big.accounts["account_id"].is_unique
    assert big.accounts["name"].is_unique
    assert big.revenue["date"].dt.to_period("Q").unique().tolist() == [END]
