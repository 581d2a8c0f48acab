"""The ROI history with each quarter's own key list, worked out by hand.

Reporting quarter 2026Q3, windows of one quarter, two points of history: 2026Q2 (2026Q2 vs 2026Q1)
and 2026Q3 (2026Q3 vs 2026Q2). No cost of goods (gross profit = revenue), peers matched against all
non-key accounts, programme cost = the key accounts' whole KAM cost in the window.

account  2026Q1  2026Q2  2026Q3   KAM cost 2026Q2  key today (2026Q3)  key in 2026Q2 (its record)
A        100     120     130      5                yes                 yes
B         50      80      90      4                yes                 no
X        200     210     200      6                no                  yes
Y        100     100     100      -                no                  no
Z        100      90      95      -                no                  no

2026Q2 with today's list (A, B): peers X, Y, Z grew 400 -> 400: 0%; baseline 100 + 50 = 150; key GP
  now 120 + 80 = 200; incremental 50; cost 5 + 4 = 9; ROI = (50 - 9) / 9 = 41/9
2026Q2 with its own list (A, X): peers B, Y, Z grew 250 -> 270: +8%; baseline (100 + 200) x 1.08 = 324;
  key GP now 120 + 210 = 330; incremental 6; cost 5 + 6 = 11; ROI = (6 - 11) / 11 = -5/11
"""
from __future__ import annotations

import pandas as pd
import pytest

from kamreports.analytics import roi
from kamreports.config import Roi
from kamreports.data.dataset import Dataset
from tests.conftest import approx, quarterly

QUARTERLY = quarterly([
    ("A", "2026Q1", 100.0), ("A", "2026Q2", 120.0), ("A", "2026Q3", 130.0),
    ("B", "2026Q1", 50.0), ("B", "2026Q2", 80.0), ("B", "2026Q3", 90.0),
    ("X", "2026Q1", 200.0), ("X", "2026Q2", 210.0), ("X", "2026Q3", 200.0),
    ("Y", "2026Q1", 100.0), ("Y", "2026Q2", 100.0), ("Y", "2026Q3", 100.0),
    ("Z", "2026Q1", 100.0), ("Z", "2026Q2", 90.0), ("Z", "2026Q3", 95.0),
])
COSTS = pd.DataFrame([("A", "2026Q2", 5.0), ("B", "2026Q2", 4.0), ("X", "2026Q2", 6.0),
                      ("A", "2026Q3", 5.0), ("B", "2026Q3", 4.0)], columns=["account_id", "quarter", "cost"])
TODAY = pd.DataFrame({"name": list("ABXYZ"), "is_key": [True, True, False, False, False],
                      "owner": ["Ann"] * 5}, index=pd.Index(list("ABXYZ"), name="account_id"))
KEY_2026Q2 = pd.Series({"A": True, "B": False, "X": True, "Y": False, "Z": False})
SETTINGS = Roi(window_quarters=1, history_quarters=2, match="all", min_peers=1, programme_cost="total")
ARGS = dict(window=1, history=2, match="all", min_peers=1, cost_basis="total")


def test_the_earlier_window_uses_that_quarters_own_key_list():
    today = roi.roi_by_quarter(QUARTERLY, COSTS, TODAY, "2026Q3", **ARGS)
    own = roi.roi_by_quarter(QUARTERLY, COSTS, TODAY, "2026Q3", **ARGS, key_lists={"2026Q2": KEY_2026Q2})
    assert list(own.index) == ["2026Q2", "2026Q3"]
    assert today.loc["2026Q2", "roi"] == approx(41 / 9)
    assert today.loc["2026Q2", "incremental_gross_profit"] == approx(50.0)
    assert own.loc["2026Q2", "roi"] == approx(-5 / 11)
    assert own.loc["2026Q2", "incremental_gross_profit"] == approx(6.0)
    assert own.loc["2026Q2", "programme_cost"] == approx(11.0)
    assert own.loc["2026Q2", "baseline_growth"] == approx(0.08)
    # this quarter's window uses this quarter's own list either way
    pd.testing.assert_series_equal(own.loc["2026Q3"], today.loc["2026Q3"])


def dataset() -> Dataset:
    months = {"2026Q1": "2026-02-15", "2026Q2": "2026-05-15", "2026Q3": "2026-08-15"}
    revenue = QUARTERLY.assign(date=pd.to_datetime(QUARTERLY["quarter"].map(months)), product_id="P1") \
        [["account_id", "date", "product_id", "revenue", "cogs"]]
    accounts = TODAY.reset_index()[["account_id", "name", "owner"]].assign(industry="Retail", region="EMEA")
    return Dataset(accounts=accounts, products=pd.DataFrame({"product_id": ["P1"], "name": ["Thing"]}),
                   revenue=revenue, kam_costs=COSTS)


def test_the_report_says_which_key_list_each_window_uses_and_roi_csv_follows():
    plain = roi.roi_report(dataset(), TODAY, "2026Q3", SETTINGS)
    assert any("today's selection (2026Q3) for every window" in a for a in plain.assumptions)
    own = roi.roi_report(dataset(), TODAY, "2026Q3", SETTINGS, key_lists={"2026Q2": KEY_2026Q2},
                         key_sources={"2026Q2": "as reported"})
    assert ("Key or other is each quarter's own selection: as reported for 2026Q2; this quarter's own for 2026Q3 "
            "and the programme ROI.") in own.assumptions
    table = own.table.set_index(["quarter", "group", "metric"])
    assert table.loc[("2026Q2", "programme", "roi"), "value"] == pytest.approx(-5 / 11, abs=1e-9)   # rounded
    assert list(own.table.columns) == list(plain.table.columns)
    assert own.programme.roi == approx(plain.programme.roi)   # the current window: this quarter's list


def test_key_list_sentence_groups_the_sources():
    sentence = roi.key_list_sentence("2026Q3", ["2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"],
                                     {"2026Q1": "as reported", "2026Q2": "as reported", "2025Q4": "recomputed"})
    assert sentence == ("Key or other is each quarter's own selection: as reported for 2026Q1-2026Q2; recomputed "
                        "with today's settings for 2025Q4; today's selection for 2025Q3 (no history that far back); "
                        "this quarter's own for 2026Q3 and the programme ROI.")
