"""Portfolio KAM ROI, worked out by hand.

Reporting quarter 2026Q2, windows of 4 quarters: current = 2025Q3-2026Q2, prior = 2024Q3-2025Q2.
Prior-window revenue sits in 2025Q2, current-window revenue in 2026Q2 (K1 also has some in 2026Q1).

account  key  owner  prior rev/cogs (GP)   current rev/cogs (GP)            KAM cost now   status
K1       yes  Ann    100 / 50   (50)       30/10 in Q1 + 100/40 in Q2 = 130/50 (80)   10   expanded +30
K2       yes  Ann    200 / 100  (100)      180 / 80  (100)                           12   contracted -20
K3       yes  Bob    -                     50 / 20   (30)                             4   new
O1       no   Bob    80 / 40    (40)       70 / 27   (43)                             2   contracted -10
O2       no   Cy     60 / 30    (30)       -                                          3   churned -60
O3       no   Cy     -                     40 / 20   (20)               (no cost rows)    new
O4       no   Cy     150 / 90   (60)       180 / 80  (100)                            5   expanded +30

Retention (cohort = revenue in the prior window)
  key:   start 100 + 200 = 300; expansion 30; contraction 20; churn 0
         GRR = (300 - 20 - 0) / 300 = 280/300;  NRR = (300 + 30 - 20 - 0) / 300 = 310/300
  other: start 80 + 60 + 150 = 290; expansion 30 (O4); contraction 10 (O1); churn 60 (O2)
         GRR = (290 - 10 - 60) / 290 = 220/290; NRR = (290 + 30 - 10 - 60) / 290 = 250/290
  all:   start 590; expansion 60; contraction 30; churn 60: GRR 500/590, NRR 560/590

Lifetime value, discount 10%, r = the group's GRR, window of 4 quarters = 1 year
  key:   GP now 80 + 100 + 30 = 210 over 3 accounts = 70 a year each
         70 x (14/15) / (1.1 - 14/15) = 70 x (14/15) x 6 = 392
  other: GP now 43 + 100 + 20 = 163 over 3 accounts (O2 has no revenue now)
         r / (1.1 - r) = (220/290) / (99/290) = 220/99;  CLV = 163/3 x 220/99

Programme ROI, matching "all" (every non-key cohort account: O1, O2, O4)
  peers' GP growth = (43 + 0 + 100) / (40 + 30 + 60) - 1 = 143/130 - 1 = 10%
  baseline = (50 + 100) x 1.1 = 165; key cohort GP now = 80 + 100 = 180; incremental = 15
  peers' cost per revenue dollar = (2 + 3 + 5) / (70 + 0 + 180) = 10/250 = 0.04
  extra cost = (10 + 12) - 0.04 x (130 + 180) = 22 - 12.4 = 9.6
  ROI (extra) = (15 - 9.6) / 9.6 = 0.5625; payback = 9.6 / (15 / 12 months) = 7.68 months
  ROI (total) = (15 - 22) / 22 = -7/22 (negative); payback = 22 / 1.25 = 17.6 months
  K3 is new (no prior revenue): left out, with its cost of 4.

Whale curve (profit = GP - cost to serve, current window)
  O4 95, K2 88, K1 70, O1 41, K3 26, O3 20, O2 -3; total 337, peak 340
  unprofitable 1 of 7; key ranks 2, 3, 5; key share (88 + 70 + 26) / 337 = 184/337
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from kamreports.analytics import roi
from kamreports.charts import roi as roi_charts
from kamreports.charts.style import png_bytes
from kamreports.config import Roi, Settings, load_settings
from kamreports.data.dataset import Dataset
from kamreports.errors import ConfigError
from tests.conftest import Q, approx, quarterly

QUARTERLY = quarterly([
    ("K1", "2025Q2", 100.0, 50.0), ("K1", "2026Q1", 30.0, 10.0), ("K1", "2026Q2", 100.0, 40.0),
    ("K2", "2025Q2", 200.0, 100.0), ("K2", "2026Q2", 180.0, 80.0),
    ("K3", "2026Q2", 50.0, 20.0),
    ("O1", "2025Q2", 80.0, 40.0), ("O1", "2026Q2", 70.0, 27.0),
    ("O2", "2025Q2", 60.0, 30.0),
    ("O3", "2026Q2", 40.0, 20.0),
    ("O4", "2025Q2", 150.0, 90.0), ("O4", "2026Q2", 180.0, 80.0),
])
COSTS = pd.DataFrame([("K1", "2025Q2", 5.0), ("K1", "2026Q2", 10.0), ("K2", "2026Q2", 12.0), ("K3", "2026Q2", 4.0),
                      ("O1", "2026Q2", 2.0), ("O2", "2026Q2", 3.0), ("O4", "2026Q2", 5.0)],
                     columns=["account_id", "quarter", "cost"])
SUMMARY = pd.DataFrame({
    "name": ["Kilo One", "Kilo Two", "Kilo Three", "Oscar One", "Oscar Two", "Oscar Three", "Oscar Four"],
    "is_key": [True, True, True, False, False, False, False],
    "owner": ["Ann", "Ann", "Bob", "Bob", "Cy", "Cy", "Cy"],
    "region": ["EMEA", "APAC", "EMEA", "EMEA", "APAC", None, "EMEA"],
    "industry": ["Retail", "Retail", "Energy", "Retail", "Energy", "Retail", "Retail"],
    "wallet_estimate": [260.0, np.nan, 0.0, 140.0, np.nan, np.nan, np.nan],
}, index=pd.Index(["K1", "K2", "K3", "O1", "O2", "O3", "O4"], name="account_id"))
FEEDBACK = pd.DataFrame({
    "account_id": ["K1", "K1", "K1", "K1", "K1", "O1"],
    "date": pd.to_datetime(["2025-08-01", "2026-01-15", "2026-05-01", "2026-06-30", "2025-03-01", "2026-04-02"]),
    "nps": pd.array([10, 9, 5, 7, 0, 6], dtype="Int64"),   # K1's 2025-03-01 answer is before the window
})


def frame(summary=SUMMARY, costs=COSTS, feedback=FEEDBACK, q=QUARTERLY, window=4) -> pd.DataFrame:
    return roi.account_windows(q, costs, summary, Q, window, feedback)


# --- per account and retention -----------------------------------------------------------------

def test_account_windows_by_hand():
    f = frame()
    assert list(f.index) == ["K1", "K2", "K3", "O1", "O2", "O3", "O4"]
    assert f.loc["K1", ["revenue_prior", "revenue", "gross_profit_prior", "gross_profit"]].tolist() == \
        [100, 130, 50, 80]
    assert f.loc["K1", "cost_to_serve_prior"] == 5 and f.loc["K1", "profit"] == 80 - 10
    assert f.loc["K1", "growth"] == approx(0.3)
    assert f["status"].to_dict() == {"K1": "expanded", "K2": "contracted", "K3": "new", "O1": "contracted",
                                     "O2": "churned", "O3": "new", "O4": "expanded"}
    # an account with no cost rows costs nothing: profit = gross profit
    assert f.loc["O3", "cost_to_serve"] == 0 and f.loc["O3", "profit"] == 20
    # a churned account with a cost: a loss
    assert f.loc["O2", "profit"] == -3
    # share of wallet: 130 / 260; a zero or missing estimate is unknown
    assert f.loc["K1", "share_of_wallet"] == approx(0.5)
    assert np.isnan(f.loc["K3", "share_of_wallet"]) and np.isnan(f.loc["K2", "share_of_wallet"])
    # NPS over the window only: 10, 9, 5, 7 -> mean 31/4; promoters 9-10: two; detractors 0-6: one (7 is passive)
    assert f.loc["K1", "nps_avg"] == approx(31 / 4)
    assert f.loc["K1", ["nps_responses", "nps_promoters", "nps_detractors"]].tolist() == [4, 2, 1]
    assert np.isnan(f.loc["K2", "nps_avg"]) and f.loc["K2", "nps_responses"] == 0


def test_retention_by_cohort():
    r = roi.retention(frame())
    assert r.loc["key", ["start_revenue", "expansion", "contraction", "churn"]].tolist() == [300, 30, 20, 0]
    assert r.loc["key", "grr"] == approx(280 / 300) and r.loc["key", "nrr"] == approx(310 / 300)
    assert r.loc["other", ["start_revenue", "expansion", "contraction", "churn"]].tolist() == [290, 30, 10, 60]
    assert r.loc["other", "grr"] == approx(220 / 290) and r.loc["other", "nrr"] == approx(250 / 290)
    assert r.loc["all", "grr"] == approx(500 / 590) and r.loc["all", "nrr"] == approx(560 / 590)
    assert r.loc["other", "churned_accounts"] == 1 and r.loc["other", "cohort_accounts"] == 3
    # new accounts are outside the cohort: K3 50, O3 40
    assert r.loc["key", "new_revenue"] == 50 and r.loc["all", "new_accounts"] == 2


def test_lifetime_value_by_hand():
    # 100 x 0.8 / (1 + 0.1 - 0.8) = 80 / 0.3
    assert roi.lifetime_value(100.0, 0.8, 0.10) == approx(80 / 0.3)
    # a higher discount rate lowers the value: 100 x 0.8 / 0.4 = 200
    assert roi.lifetime_value(100.0, 0.8, 0.20) == approx(200.0)
    assert math.isnan(roi.lifetime_value(100.0, float("nan"), 0.1))


def test_group_comparison_by_hand():
    g = roi.compare_groups(frame(), discount_rate=0.10, window=4)
    assert g.loc["key", "accounts"] == 3 and g.loc["other", "accounts"] == 3
    assert g.loc["key", "clv_per_account"] == approx(392.0)
    assert g.loc["other", "clv_per_account"] == approx(163 / 3 * 220 / 99)
    # revenue growth, ratio of sums: (130 + 180 + 50) / 300 - 1
    assert g.loc["key", "growth"] == approx(360 / 300 - 1)
    assert g.loc["key", "revenue_per_account"] == approx(120.0)
    # cost to serve 10 + 12 + 4 = 26; profit 210 - 26 = 184
    assert g.loc["key", "cost_to_serve"] == 26 and g.loc["key", "profit"] == 184
    assert g.loc["other", "unprofitable_accounts"] == 1
    # share of wallet where known: key 130 / 260 (K3's zero estimate is unknown); other 70 / 140
    assert g.loc["key", "share_of_wallet"] == approx(0.5) and g.loc["key", "wallet_accounts"] == 1
    assert g.loc["other", "share_of_wallet"] == approx(0.5)
    # NPS: key (2 - 1) / 4; other: one detractor of one
    assert g.loc["key", "nps"] == approx(1 / 4) and g.loc["other", "nps"] == approx(-1.0)
    assert g.loc["key", "nps_avg"] == approx(31 / 4)


# --- programme ROI -----------------------------------------------------------------------------

def test_programme_roi_extra_cost_by_hand():
    p = roi.programme_roi(frame(), Q, 4, match="all", min_peers=1, cost_basis="extra")
    assert p.reason == ""
    assert p.baseline_growth == approx(0.10)
    assert p.baseline_gross_profit == approx(165.0)
    assert p.incremental_gross_profit == approx(15.0)
    assert p.programme_cost == approx(9.6) and p.programme_cost_total == approx(22.0)
    assert p.roi == approx(5.4 / 9.6)
    assert p.return_multiple == approx(15 / 9.6)
    assert p.payback_months == approx(7.68)
    assert (p.key_accounts, p.new_key_accounts, p.new_key_cost) == (2, 1, 4.0)
    # revenue growth of the key cohort 310/300 against the peers' 250/290
    assert p.key_revenue_growth == approx(310 / 300 - 1)
    assert p.baseline_revenue_growth == approx(250 / 290 - 1)
    assert p.matches["peer_group"].tolist() == ["all other accounts"] * 2
    assert p.matches.loc["K1", "extra_cost"] == approx(10 - 0.04 * 130)


def test_negative_roi_on_total_cost():
    p = roi.programme_roi(frame(), Q, 4, match="all", min_peers=1, cost_basis="total")
    assert p.roi == approx(-7 / 22) and p.roi < 0
    assert p.payback_months == approx(17.6)
    s = roi.roi_sentences(p, roi.compare_groups(frame()))
    assert any("did not cover its cost" in x.text for x in s)


def test_no_incremental_gross_profit_never_pays_back():
    # K1 earns 20 less now: key GP 160 < baseline 165
    q = QUARTERLY.copy()
    q.loc[(q["account_id"] == "K1") & (q["quarter"] == "2026Q2"), "cogs"] = 60.0
    p = roi.programme_roi(frame(q=q), Q, 4, match="all", min_peers=1, cost_basis="total")
    assert p.incremental_gross_profit == approx(-5.0)
    assert p.roi == approx((-5 - 22) / 22)
    assert np.isnan(p.payback_months) and "does not pay back" in p.payback_reason


def test_zero_programme_cost_is_undefined():
    costs = COSTS[~COSTS["account_id"].isin(["K1", "K2"])]
    p = roi.programme_roi(frame(costs=costs), Q, 4, match="all", min_peers=1, cost_basis="total")
    assert np.isnan(p.roi) and p.reason == "no programme cost"
    assert np.isnan(p.payback_months)
    assert p.incremental_gross_profit == approx(15.0)   # the gain is still shown
    # extra basis: key accounts cost less per revenue dollar than their peers -> no extra cost
    p = roi.programme_roi(frame(costs=costs), Q, 4, match="all", min_peers=1, cost_basis="extra")
    assert np.isnan(p.roi) and p.reason.startswith("no programme cost")
    assert p.programme_cost == approx(-12.4)


def test_no_non_key_accounts_gives_nan_with_reason():
    summary = SUMMARY.assign(is_key=True)
    f = frame(summary=summary)
    p = roi.programme_roi(f, Q, 4, match="size", min_peers=3, cost_basis="extra")
    assert np.isnan(p.roi) and np.isnan(p.baseline_growth) and np.isnan(p.incremental_gross_profit)
    assert "no comparable non-key accounts" in p.reason
    groups = roi.compare_groups(f)
    assert groups.loc["other", "accounts"] == 0 and np.isnan(groups.loc["other", "grr"])
    texts = [x.text for x in roi.roi_sentences(p, groups)]
    assert any("cannot be computed" in t for t in texts)
    table = roi.roi_table(Q, 4, groups, roi.retention(f), p)
    assert np.isnan(table.set_index(["group", "metric"]).loc[("programme", "roi"), "value"])


def test_no_key_accounts_gives_nan_with_reason():
    p = roi.programme_roi(frame(summary=SUMMARY.assign(is_key=False)), Q, 4)
    assert np.isnan(p.roi) and p.reason == "no key accounts"


# Size matching: cogs 0, so gross profit = revenue. Prior-window revenue ranks (2 bands of 3):
#   S1 10, S3 15, S2 20 -> band 1;  P2 800, P1 900, A 1000 -> band 2
#   A  (key, band 2): peers P1, P2 -> (990 + 960) / (900 + 800) - 1; baseline 1000 x 1950/1700
#   S3 (key, band 1): peers S1, S2 -> (5 + 10) / (10 + 20) - 1 = -50%; baseline 15 x 0.5 = 7.5
SIZE = quarterly([
    ("A", "2025Q2", 1000.0, 0.0), ("A", "2026Q2", 1200.0, 0.0),
    ("P1", "2025Q2", 900.0, 0.0), ("P1", "2026Q2", 990.0, 0.0),
    ("P2", "2025Q2", 800.0, 0.0), ("P2", "2026Q2", 960.0, 0.0),
    ("S1", "2025Q2", 10.0, 0.0), ("S1", "2026Q2", 5.0, 0.0),
    ("S2", "2025Q2", 20.0, 0.0), ("S2", "2026Q2", 10.0, 0.0),
    ("S3", "2025Q2", 15.0, 0.0), ("S3", "2026Q2", 30.0, 0.0),
])
SIZE_SUMMARY = pd.DataFrame({"is_key": [True, False, False, False, False, True], "owner": "Ann",
                             "industry": ["X", "X", "Y", "Y", "Y", "Z"]},
                            index=pd.Index(["A", "P1", "P2", "S1", "S2", "S3"], name="account_id"))


def test_size_bands():
    assert roi.size_bands(pd.Series([10, 20, 30, 40, 50, 60]), 3).tolist() == [1, 1, 2, 2, 3, 3]
    # ties share the average rank 1.5: floor(0.5 x 2 / 2) + 1 = 1 for both
    assert roi.size_bands(pd.Series([5.0, 5.0]), 2).tolist() == [1, 1]


def test_matching_by_size_band_and_fallback():
    f = roi.account_windows(SIZE, COSTS.iloc[:0], SIZE_SUMMARY, Q, 4)
    p = roi.programme_roi(f, Q, 4, match="size", bands=2, min_peers=2, cost_basis="total")
    m = p.matches
    assert m.loc["A", "peer_group"] == "size band 2 of 2" and m.loc["A", "peers"] == 2
    assert m.loc["A", "peer_growth"] == approx(1950 / 1700 - 1)
    assert m.loc["S3", "peer_group"] == "size band 1 of 2" and m.loc["S3", "peer_growth"] == approx(-0.5)
    assert p.baseline_gross_profit == approx(1000 * 1950 / 1700 + 7.5)
    assert p.incremental_gross_profit == approx(1230 - (1000 * 1950 / 1700 + 7.5))
    # three peers needed: both bands have two, so all non-key accounts: 1965 / 1730
    p3 = roi.programme_roi(f, Q, 4, match="size", bands=2, min_peers=3, cost_basis="total")
    assert set(p3.matches["peer_group"]) == {"all other accounts"}
    assert p3.matches.loc["A", "peer_growth"] == approx(1965 / 1730 - 1)


def test_matching_by_industry_within_size_band():
    f = roi.account_windows(SIZE, COSTS.iloc[:0], SIZE_SUMMARY, Q, 4)
    p = roi.programme_roi(f, Q, 4, match="size_industry", bands=2, min_peers=1)
    # A: industry X in band 2 -> P1 only, +10%; S3: no industry Z peer -> its size band, -50%
    assert p.matches.loc["A", "peer_group"] == "X, size band 2 of 2"
    assert p.matches.loc["A", "peer_growth"] == approx(0.1)
    assert p.matches.loc["S3", "peer_group"] == "size band 1 of 2"


def test_roi_by_quarter_is_rolling_and_needs_two_windows():
    # window 1: a quarter needs its own and the previous quarter of data; data start in 2025Q2
    h = roi.roi_by_quarter(QUARTERLY, COSTS, SUMMARY, Q, window=1, history=8, match="all", min_peers=1)
    assert list(h.index) == ["2025Q3", "2025Q4", "2026Q1", "2026Q2"]
    assert h.loc[Q, "window"] == "2026Q2 vs 2026Q1"
    # 2026Q2 against 2026Q1: only K1 sold in 2026Q1, and no non-key account did -> no baseline
    assert h.loc[Q, "key_accounts"] == 1 and np.isnan(h.loc[Q, "roi"])
    assert h.loc[Q, "reason"].startswith("no comparable non-key accounts")
    # 2025Q3 against 2025Q2: K1 and K2 in the cohort; peers' GP fell from 130 to 0 (-100%), so the
    # baseline is 0 and so is the key accounts' GP: incremental 0; nobody had a cost -> no programme cost
    assert h.loc["2025Q3", "key_accounts"] == 2
    assert h.loc["2025Q3", "baseline_growth"] == approx(-1.0)
    assert h.loc["2025Q3", "incremental_gross_profit"] == approx(0.0)
    assert h.loc["2025Q3", "reason"].startswith("no programme cost")
    # window 4: no quarter has two full windows of data
    assert roi.roi_by_quarter(QUARTERLY, COSTS, SUMMARY, Q, window=4).empty


# --- whale curve, managers, time and slices ----------------------------------------------------

def test_whale_curve_by_hand():
    curve = roi.whale_curve(frame())
    assert list(curve.index) == ["O4", "K2", "K1", "O1", "K3", "O3", "O2"]
    assert curve["profit"].tolist() == [95, 88, 70, 41, 26, 20, -3]
    assert curve["cum_profit"].iloc[-1] == 337
    assert curve["cum_profit_share"].iloc[0] == approx(95 / 337)
    s = roi.whale_summary(curve)
    assert (s.accounts, s.unprofitable_accounts) == (7, 1)
    assert s.unprofitable_share == approx(1 / 7)
    assert s.peak_profit == approx(340) and s.peak_profit_share == approx(340 / 337)
    assert s.profit_lost == -3
    assert s.key_ranks == [2, 3, 5] and s.key_profit_share == approx(184 / 337)


def test_manager_load_flags_and_a_manager_with_no_accounts():
    f = frame()
    p = roi.programme_roi(f, Q, 4, match="all", min_peers=1)
    load = roi.manager_load(f, p.matches, min_accounts=1, max_accounts=1, managers={"Dee": "joins in Q3"})
    assert load["load"].to_dict() == {"Ann": "overloaded", "Bob": "within guideline", "Cy": "no key accounts",
                                      "Dee": "no key accounts"}
    assert load.loc["Ann", "key_accounts"] == 2 and load.loc["Cy", "key_accounts"] == 0
    assert load.loc["Cy", "other_accounts"] == 3
    # Ann's key accounts are the whole ROI cohort: same ROI as the programme
    assert load.loc["Ann", "roi"] == approx(5.4 / 9.6)
    assert load.loc["Ann", "growth"] == approx(310 / 300 - 1)
    # Bob's only key account is new: no baseline, no ROI
    assert np.isnan(load.loc["Bob", "roi"])
    dee = load.loc["Dee"]
    assert (dee["key_accounts"], dee["other_accounts"], dee["revenue"], dee["note"]) == (0, 0, 0.0, "joins in Q3")
    assert np.isnan(dee["growth"]) and np.isnan(dee["roi"])
    # no accounts at all
    empty = roi.manager_load(f.iloc[:0], None, managers=["Dee"])
    assert list(empty.index) == ["Dee"] and empty.loc["Dee", "load"] == "no key accounts"
    png = png_bytes(roi_charts.manager_load(load, 1, 1), dpi=60)
    assert png[:4] == b"\x89PNG"


def test_key_account_without_owner_is_unassigned():
    summary = SUMMARY.copy()
    summary.loc["K3", "owner"] = None
    load = roi.manager_load(frame(summary=summary), None, 1, 5)
    assert load.loc[roi.NO_OWNER, "load"] == "unassigned" and load.loc[roi.NO_OWNER, "key_accounts"] == 1


def test_period_comparison_by_hand():
    per = roi.period_comparison(QUARTERLY, SUMMARY["is_key"], Q)
    # key: 2026Q2 100 + 180 + 50 = 330; 2026Q1 30; 2025Q2 300
    assert per.loc["key", ["revenue_q", "revenue_prev_q", "revenue_yago_q"]].tolist() == [330, 30, 300]
    assert per.loc["key", "qoq_growth"] == approx(10.0) and per.loc["key", "yoy_growth"] == approx(0.1)
    assert per.loc["key", "gross_margin_pct_q"] == approx((330 - 140) / 330)
    # other: 2026Q2 70 + 40 + 180 = 290, no revenue in 2026Q1 -> no quarter-on-quarter growth
    assert per.loc["other", "revenue_q"] == 290 and np.isnan(per.loc["other", "qoq_growth"])


def test_slices_by_region():
    s = roi.slice_comparison(frame(), "region").set_index(["slice", "group"])
    # EMEA key: K1 + K3, revenue 180 against 100; NRR counts the cohort only: 130 / 100
    assert s.loc[("EMEA", "key"), "revenue"] == 180 and s.loc[("EMEA", "key"), "accounts"] == 2
    assert s.loc[("EMEA", "key"), "nrr"] == approx(1.3)
    # APAC other: O2 churned -> NRR 0
    assert s.loc[("APAC", "other"), "nrr"] == approx(0.0)
    # a missing region is its own slice; a slice without key accounts still has its key row
    assert s.loc[("(none)", "other"), "revenue"] == 40 and s.loc[("(none)", "key"), "accounts"] == 0


# --- the report in one call, the long table and sentences -------------------------------------

def dataset() -> Dataset:
    months = {"2025Q2": "2025-05-15", "2026Q1": "2026-02-15", "2026Q2": "2026-05-15"}
    revenue = QUARTERLY.assign(date=pd.to_datetime(QUARTERLY["quarter"].map(months)), product_id="P1") \
        [["account_id", "date", "product_id", "revenue", "cogs"]]
    accounts = SUMMARY.reset_index()[["account_id", "name", "industry", "region", "owner"]]
    products = pd.DataFrame({"product_id": ["P1"], "name": ["Thing"]})
    return Dataset(accounts=accounts, products=products, revenue=revenue, kam_costs=COSTS, feedback=FEEDBACK)


def test_roi_report_on_the_hand_worked_company():
    settings = dataclasses.replace(Roi(), match="all", min_peers=1, min_key_accounts=1, max_key_accounts=1,
                                   managers={"Dee": ""})
    r = roi.roi_report(dataset(), SUMMARY, Q, settings)
    assert r.programme.roi == approx(5.4 / 9.6)
    assert r.groups.loc["key", "grr"] == approx(280 / 300)
    assert r.accounts.loc["K1", "clv"] == approx(80 * (14 / 15) * 6)
    assert np.isnan(r.accounts.loc["O2", "clv"])       # no revenue now: no lifetime value
    assert "Dee" in r.managers.index
    table = r.table.set_index(["quarter", "group", "metric"])
    assert table.loc[(Q, "programme", "roi"), "value"] == approx(5.4 / 9.6)
    assert table.loc[(Q, "programme", "payback_months"), "unit"] == "months"
    assert table.loc[(Q, "key", "grr"), "window"] == "2025Q3-2026Q2 vs 2024Q3-2025Q2"
    assert table.loc[(Q, "key", "revenue_q"), "window"] == "2026Q2"
    assert table.loc[(Q, "key", "revenue_prior"), "window"] == "2024Q3-2025Q2"
    assert table.loc[(Q, "key", "revenue"), "window"] == "2025Q3-2026Q2"
    assert table.loc[(Q, "manager:Ann", "key_accounts"), "value"] == 2
    assert table.loc[(Q, "region:EMEA/key", "revenue"), "value"] == 180
    assert table.loc[(Q, "whale", "unprofitable_accounts"), "value"] == 1
    texts = " ".join(s.text for s in r.sentences)
    assert "returned 1.6× its cost" in texts            # 15 / 9.6 = 1.5625
    assert "ROI +56%" in texts and "Payback: 7.7 months" in texts   # 9.6 / (15 / 12)
    assert any("Ann" in s.text for s in r.sentences)     # the overloaded manager is named
    assert any("today's selection (2026Q2)" in a for a in r.assumptions)
    assert any("Programme cost = key accounts' KAM cost minus" in a for a in r.assumptions)


def test_roi_report_on_the_sample_company():
    from kamreports.analytics.portfolio import key_vs_rest
    from kamreports.data.sample import sample_dataset
    from kamreports.model import build_portfolio

    ds = sample_dataset()
    portfolio = build_portfolio(ds, Settings(), "2026Q3")
    r = roi.roi_report(ds, portfolio.summary, "2026Q3", Settings().roi)
    # the four-quarter window agrees with the portfolio page's key-vs-rest figures
    kvr = key_vs_rest(portfolio.summary)
    assert r.groups.loc["key", "revenue"] == pytest.approx(kvr.at["Revenue, trailing 4 quarters", "Key accounts"])
    assert r.groups.loc["other", "growth"] == pytest.approx(kvr.at["Growth vs prior 4 quarters", "Other accounts"])
    assert r.groups.loc["key", "cost_to_serve"] == pytest.approx(
        kvr.at["Cost to serve, trailing 4 quarters", "Key accounts"])
    t = r.table
    assert list(t.columns) == roi.TABLE_COLUMNS
    assert not t.duplicated(["quarter", "group", "metric"]).any()
    assert set(t["unit"]) <= {"currency", "ratio", "count", "months", "score"}
    assert t["definition"].str.len().gt(0).all()
    keys = set(zip(t.loc[t["quarter"] == "2026Q3", "group"], t.loc[t["quarter"] == "2026Q3", "metric"]))
    for sentence in r.sentences:
        for ref in sentence.refs:
            assert ref in keys, (ref, sentence.text)
    assert len(r.sentences) >= 5
    assert list(r.history.index)[-1] == "2026Q3" and r.history.loc["2026Q3", "roi"] == approx(r.programme.roi)
    for name, fig in roi_charts.roi_charts(r).items():
        assert png_bytes(fig, dpi=50)[:4] == b"\x89PNG", name


def test_charts_cope_with_empty_frames():
    empty_history = pd.DataFrame(columns=roi.HISTORY_COLUMNS)
    for fig in (roi_charts.roi_by_quarter(empty_history),
                roi_charts.whale_curve(roi.whale_curve(frame().iloc[:0])),
                roi_charts.manager_load(pd.DataFrame(columns=roi.MANAGER_COLUMNS)),
                roi_charts.whale_curve(roi.whale_curve(frame())),
                roi_charts.key_vs_other(roi.compare_groups(frame(summary=SUMMARY.assign(is_key=True))))):
        assert png_bytes(fig, dpi=40)[:4] == b"\x89PNG"


# --- settings ----------------------------------------------------------------------------------

def test_roi_settings_defaults_and_overrides(tmp_path):
    assert Settings().roi == Roi()
    assert (Roi().window_quarters, Roi().discount_rate, Roi().match, Roi().programme_cost) == (4, 0.10, "size", "extra")
    assert (Roi().min_key_accounts, Roi().max_key_accounts) == (5, 15)
    path = tmp_path / "s.yaml"
    path.write_text("roi:\n  discount_rate: 0.08\n  managers:\n    Jo Park: joins in Q4\n", encoding="utf-8")
    s = load_settings(path)
    assert s.roi == dataclasses.replace(Roi(), discount_rate=0.08, managers={"Jo Park": "joins in Q4"})


@pytest.mark.parametrize("text, fragment", [
    ("roi:\n  match: nearest\n", "roi.match"),
    ("roi:\n  programme_cost: some\n", "roi.programme_cost"),
    ("roi:\n  discount_rate: 0\n", "roi.discount_rate"),
    ("roi:\n  window_quarters: 0\n", "roi.window_quarters"),
    ("roi:\n  min_key_accounts: 16\n", "min_key_accounts <= max_key_accounts"),
    ("roi:\n  size_bands: 0\n", "roi.size_bands"),
])
def test_bad_roi_settings_are_reported(tmp_path, text, fragment):
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert len(info.value.problems) == 1 and fragment in info.value.problems[0].message


def test_window_totals_sum_any_window_by_hand():
    from kamreports.analytics.roi import WindowTotals

    rows = pd.DataFrame({"account_id": ["A", "B", "A", 1, "1", "B", "A"],
                         "quarter": ["2026Q1", "2026Q1", "2026Q2", "2026Q2", "2026Q3", "2026Q3", "2026Q3"],
                         "revenue": [10.0, 5.0, 20.0, 7.0, 3.0, None, 40.0]})
    totals = WindowTotals(rows, ["revenue"])
    first_two = totals.sum("revenue", ["2026Q1", "2026Q2"])
    assert first_two.to_dict() == {"A": 30.0, "B": 5.0, "1": 7.0}       # 10 + 20; the integer 1 is "1"
    last = totals.sum("revenue", ["2026Q3", "2025Q4"])                    # a quarter with no rows adds nothing
    assert last.to_dict() == {"A": 40.0, "B": 0.0, "1": 3.0}             # a missing revenue counts as 0
    assert totals.sum("revenue", ["2024Q1"]).sum() == 0.0
