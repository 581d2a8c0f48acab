"""Analytics on tiny hand-made datasets; every expected figure is worked out by hand below.

The reporting quarter is 2026Q2 throughout, so
  q          = 2026Q2
  prev q     = 2026Q1
  year ago   = 2025Q2
  t4q        = 2025Q3, 2025Q4, 2026Q1, 2026Q2
  prior t4q  = 2024Q3, 2024Q4, 2025Q1, 2025Q2
  quarter end (as-of date) = 2026-06-30
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kamreports import formatting
from kamreports.analytics import account as acct
from kamreports.analytics.metrics import account_summary, quarterly_revenue
from kamreports.analytics.portfolio import (
    kam_matrix,
    key_vs_rest,
    matrix_factor_gaps,
    matrix_factors,
    stakeholder_factors,
)
from kamreports.analytics.selection import (
    abc_classes,
    pareto_curve,
    rank_score,
    score_accounts,
    select_key_accounts,
    top_share,
)
from kamreports.config import Selection, Settings
from kamreports.errors import ConfigError
from kamreports.model import build_portfolio
from tests.conftest import Q, approx, contacts, frame, make_dataset

# A1 Alpha: long history, every table filled.
# A2 Beta:  one quarter of history (2026Q2 only), zero target, no wallet estimate.
# A3 Gamma: no revenue in the quarter itself, no start date, wallet estimate 0, no target.
# A4 Delta: revenue only after 2026Q2, so it is not in the 2026Q2 summary at all.
RAW = {
    "accounts": frame("""
account_id,name,parent_id,industry,region,owner,start_date,wallet_estimate,product_fit,solvency,strategic_value
A1,Alpha,,Food,EMEA,Maria,2020-07-01,1000,8,,9
A2,Beta,,Energy,APAC,James,2024-01-01,,,,4
A3,Gamma,A1,Food,EMEA,Maria,,0,3,,
A4,Delta,,Retail,AMER,Ola,2025-01-01,500,6,,6
"""),
    "products": frame("""
product_id,name,family,list_price
P1,Core,Software,100
P2,Support,Services,10
"""),
    "revenue": frame("""
account_id,date,product_id,revenue,cogs
A1,2024-05-01,P1,500,0
A1,2024-08-01,P2,20,10
A1,2025-02-01,P1,80,40
A1,2025-05-10,P1,100,60
A1,2025-08-15,P1,100,50
A1,2025-11-20,P2,50,20
A1,2026-03-31,P1,150,
A1,2026-04-01,P1,120,60
A1,2026-06-30,P2,30,10
A1,2026-07-01,P1,999,1
A2,2026-05-05,P2,300,100
A3,2025-04-15,P1,200,100
A3,2026-02-10,P2,100,30
A4,2026-08-01,P1,50,10
"""),
    "targets": frame("""
account_id,quarter,target
A1,2026Q2,200
A1,2026Q1,100
A2,2026Q2,0
"""),
    "kam_costs": frame("""
account_id,quarter,cost
A1,2025Q2,100
A1,2025Q3,10
A1,2026Q2,20
A3,2026Q1,5
"""),
    "feedback": frame("""
account_id,date,nps
A1,2025-06-30,2
A1,2025-07-01,8
A1,2026-06-30,10
A1,2026-07-01,0
A3,2026-01-15,6
"""),
    "opportunities": frame("""
opportunity_id,account_id,product_id,stage,amount,created_date,close_date
O1,A1,P1,won,400,2026-01-01,2026-05-01
O2,A1,P2,won,200,2026-01-01,2026-07-15
O3,A1,,open,300,2026-02-01,
O4,A3,P1,lost,1000,2025-10-01,2026-03-01
O5,A3,P2,won,50,2025-10-01,
"""),
    "stakeholders": frame("""
account_id,name,title,role,level,influence,sentiment,last_contact
A1,Ann,CFO,economic_buyer,executive,5,2,2026-06-01
A1,Bob,Head of Ops,champion,management,3,-2,2026-01-01
A1,Cy,,influencer,operational,2,1,
A1,Di,,champion,operational,1,0,2026-06-15
A2,Ed,CTO,technical,operational,4,-2,2026-06-20
"""),
}


@pytest.fixture(scope="module")
def dataset():
    return make_dataset(RAW)


@pytest.fixture(scope="module")
def summary(dataset):
    return account_summary(dataset, Q)


# --- metrics.account_summary -----------------------------------------------------------------

def test_summary_rows_are_accounts_with_revenue_up_to_the_quarter(summary):
    # A4's only revenue is 2026-08-01 (2026Q3), after the reporting quarter.
    assert list(summary.index) == ["A1", "A2", "A3"]
    assert summary.index.name == "account_id"
    assert summary.loc["A3", "parent_id"] == "A1"


def test_summary_revenue_windows(summary):
    a1 = summary.loc["A1"]
    # q 2026Q2: 120 (04-01) + 30 (06-30); 999 on 2026-07-01 is 2026Q3 and ignored
    assert a1["revenue_q"] == approx(150.0)
    assert a1["revenue_prev_q"] == approx(150.0)            # 2026Q1: 150 on 03-31
    assert a1["revenue_yago_q"] == approx(100.0)            # 2025Q2: 100 on 2025-05-10
    # t4q: 2025Q3 100 + 2025Q4 50 + 2026Q1 150 + 2026Q2 150 = 450
    assert a1["revenue_t4q"] == approx(450.0)
    # prior t4q: 2024Q3 20 + 2024Q4 0 + 2025Q1 80 + 2025Q2 100 = 200 (2024Q2's 500 is 8 quarters back: out)
    assert a1["revenue_prior_t4q"] == approx(200.0)
    # quarters with revenue up to 2026Q2: 24Q2, 24Q3, 25Q1, 25Q2, 25Q3, 25Q4, 26Q1, 26Q2 = 8
    assert a1["quarters_active"] == 8

    a3 = summary.loc["A3"]
    assert a3["revenue_q"] == 0.0                              # nothing in 2026Q2
    assert a3["revenue_prev_q"] == approx(100.0)
    assert a3["revenue_yago_q"] == approx(200.0)
    assert a3["revenue_t4q"] == approx(100.0)
    assert a3["revenue_prior_t4q"] == approx(200.0)
    assert a3["quarters_active"] == 2


def test_summary_growth_rates(summary):
    a1 = summary.loc["A1"]
    assert a1["qoq_growth"] == approx(0.0)        # 150/150 - 1
    assert a1["yoy_growth"] == approx(0.5)        # 150/100 - 1
    assert a1["t4q_growth"] == approx(1.25)       # 450/200 - 1
    a3 = summary.loc["A3"]
    assert a3["qoq_growth"] == approx(-1.0)       # 0/100 - 1
    assert a3["yoy_growth"] == approx(-1.0)       # 0/200 - 1
    assert a3["t4q_growth"] == approx(-0.5)       # 100/200 - 1


def test_summary_account_with_one_quarter_of_history(summary):
    a2 = summary.loc["A2"]
    assert a2["revenue_q"] == approx(300.0)
    assert a2["revenue_t4q"] == approx(300.0)
    assert a2["revenue_prev_q"] == 0.0 and a2["revenue_yago_q"] == 0.0 and a2["revenue_prior_t4q"] == 0.0
    # every base is zero: growth is NaN, never inf
    for col in ("qoq_growth", "yoy_growth", "t4q_growth", "gross_margin_pct_prior"):
        assert math.isnan(a2[col]), col
    assert a2["quarters_active"] == 1
    assert a2["gross_margin_pct"] == approx(2 / 3)   # (300 - 100) / 300
    assert not np.isinf(summary.select_dtypes("number").to_numpy(dtype=float)).any()


def test_summary_gross_margin(summary):
    # A1 t4q cogs: 2025Q3 50 + 2025Q4 20 + 2026Q1 (blank = 0) + 2026Q2 (60 + 10) = 140
    assert summary.loc["A1", "gross_margin_t4q"] == approx(450.0 - 140.0)
    assert summary.loc["A1", "gross_margin_pct"] == approx(310 / 450)
    # prior cogs: 10 + 40 + 60 = 110 -> (200 - 110) / 200 = 0.45
    assert summary.loc["A1", "gross_margin_pct_prior"] == approx(0.45)
    # A3: t4q (100 - 30) / 100 = 0.7, prior (200 - 100) / 200 = 0.5
    assert summary.loc["A3", "gross_margin_pct"] == approx(0.7)
    assert summary.loc["A3", "gross_margin_pct_prior"] == approx(0.5)


def test_summary_attainment(summary):
    assert summary.loc["A1", "target_q"] == approx(200.0)     # the 2026Q1 target of 100 is not used
    assert summary.loc["A1", "attainment_q"] == approx(0.75)  # 150 / 200
    assert summary.loc["A2", "target_q"] == 0.0
    assert math.isnan(summary.loc["A2", "attainment_q"])        # zero target
    assert math.isnan(summary.loc["A3", "target_q"])
    assert math.isnan(summary.loc["A3", "attainment_q"])        # no target


def test_summary_tenure(summary):
    # 2020-07-01 -> 2026-07-01 is 6*365 + 1 leap day (2024-02-29) = 2191 days; to 2026-06-30 is 2190
    assert summary.loc["A1", "tenure_years"] == approx(2190 / 365.25)
    # 2024-01-01 -> 2026-06-30: 366 (2024) + 365 (2025) + 180 (Jan..Jun 2026 minus one day) = 911
    assert summary.loc["A2", "tenure_years"] == approx(911 / 365.25)
    assert math.isnan(summary.loc["A3", "tenure_years"])        # no start date


def test_summary_share_of_wallet(summary):
    assert summary.loc["A1", "share_of_wallet"] == approx(0.45)        # 450 / 1000
    assert summary.loc["A1", "whitespace_value"] == approx(550.0)      # 1000 - 450
    assert math.isnan(summary.loc["A2", "share_of_wallet"])            # no estimate
    assert math.isnan(summary.loc["A2", "whitespace_value"])
    assert math.isnan(summary.loc["A3", "share_of_wallet"])            # estimate 0
    assert summary.loc["A3", "whitespace_value"] == 0.0                 # max(0 - 100, 0)


def test_summary_nps_uses_the_last_four_quarters_only(summary):
    # window 2025-07-01 .. 2026-06-30: 8 and 10 count; 2025-06-30 (2) and 2026-07-01 (0) do not
    assert summary.loc["A1", "nps_avg"] == approx((8 + 10) / 2)
    assert math.isnan(summary.loc["A2", "nps_avg"])
    assert summary.loc["A3", "nps_avg"] == approx(6.0)


def test_summary_costs_opportunities_stakeholders(summary):
    # 2025Q2's 100 is outside the t4q window: 10 (2025Q3) + 20 (2026Q2)
    assert summary.loc["A1", "kam_cost_t4q"] == approx(30.0)
    assert summary.loc["A2", "kam_cost_t4q"] == 0.0
    assert summary.loc["A3", "kam_cost_t4q"] == approx(5.0)
    # O1 (400, closed 2026-05-01) counts; O2 closes after the quarter; O3 is open
    assert summary.loc["A1", "avg_won_deal"] == approx(400.0)
    assert summary.loc["A1", "open_pipeline"] == approx(300.0)
    assert summary.loc["A3", "avg_won_deal"] == approx(50.0)   # won with no close date; lost O4 ignored
    assert math.isnan(summary.loc["A2", "avg_won_deal"])
    assert summary["stakeholders"].tolist() == [4, 1, 0]
    assert summary.loc["A1", "product_fit"] == 8.0 and math.isnan(summary.loc["A2", "product_fit"])


def test_summary_without_optional_tables():
    raw = {name: RAW[name] for name in ("accounts", "products", "revenue")}
    s = account_summary(make_dataset(raw), Q)
    assert list(s.index) == ["A1", "A2", "A3"]
    assert s["target_q"].isna().all() and s["attainment_q"].isna().all()
    assert s["nps_avg"].isna().all()
    assert (s["kam_cost_t4q"] == 0).all() and (s["open_pipeline"] == 0).all()
    assert (s["stakeholders"] == 0).all()
    assert s.loc["A1", "revenue_t4q"] == approx(450.0)


def test_quarterly_revenue_long_form(dataset):
    q = quarterly_revenue(dataset)
    a1 = q[q["account_id"] == "A1"].set_index("quarter")
    assert a1.loc["2026Q2", "revenue"] == approx(150.0)     # 120 + 30
    assert a1.loc["2026Q2", "cogs"] == approx(70.0)         # 60 + 10
    assert a1.loc["2026Q1", "cogs"] == 0.0                  # blank cogs counts as 0
    assert a1.loc["2026Q3", "revenue"] == approx(999.0)     # all quarters, not cut at the report quarter


# --- selection.rank_score ----------------------------------------------------------------------

def test_rank_score_four_values():
    # ranks 4,1,3,2 -> 1 + 9*(rank-1)/3 = 10, 1, 7, 4
    out = rank_score(pd.Series([40.0, 10.0, 30.0, 20.0], index=list("abcd")))
    assert out.tolist() == approx([10.0, 1.0, 7.0, 4.0])
    assert list(out.index) == list("abcd")


def test_rank_score_ties_share_the_average_rank():
    # ranks 2.5, 2.5, 1, 4 -> 1 + 9*1.5/3 = 5.5 for the tie
    out = rank_score(pd.Series([5.0, 5.0, 1.0, 9.0]))
    assert out.tolist() == approx([5.5, 5.5, 1.0, 10.0])


def test_rank_score_single_all_equal_nan_and_range():
    assert rank_score(pd.Series([3.0])).tolist() == [10.0]
    assert rank_score(pd.Series([3.0, np.nan])).tolist()[0] == 10.0
    assert rank_score(pd.Series([7.0] * 4)).tolist() == approx([5.5] * 4)   # (1+10)/2
    out = rank_score(pd.Series([3.0, np.nan, 1.0]))
    assert out[0] == 10.0 and math.isnan(out[1]) and out[2] == 1.0
    assert rank_score(pd.Series([np.nan, np.nan])).isna().all()
    assert rank_score(pd.Series([1.0, 2.0, 3.0]), 0, 10).tolist() == approx([0.0, 5.0, 10.0])


# --- selection.pareto_curve / top_share / abc_classes -----------------------------------------

TEN = pd.Series([50.0, 20, 10, 5, 5, 4, 3, 1, 1, 1], index=[f"X{i}" for i in range(10)])


def test_pareto_curve():
    curve = pareto_curve(pd.Series({"a": 10.0, "b": 30.0, "c": 60.0}))
    assert list(curve.index) == ["c", "b", "a"]
    assert curve["rank"].tolist() == [1, 2, 3]
    assert curve["share"].tolist() == approx([0.6, 0.3, 0.1])
    assert curve["cum_share"].tolist() == approx([0.6, 0.9, 1.0])
    assert curve["cum_account_share"].tolist() == approx([1 / 3, 2 / 3, 1.0])


def test_top_share_uses_ceil_of_twenty_percent():
    assert top_share(TEN) == approx(0.7)                       # ceil(0.2*10)=2 -> (50+20)/100
    assert top_share(pd.Series([5.0, 1, 1, 1, 2])) == approx(0.5)   # ceil(1.0)=1 -> 5/10
    assert top_share(pd.Series([6.0, 5, 4, 3, 2, 1])) == approx(11 / 21)  # ceil(1.2)=2 -> (6+5)/21
    # 0.2*15 is 3.0000000000000004 in floating point; still 3 accounts: (15+14+13)/120
    assert top_share(pd.Series(np.arange(1.0, 16.0))) == approx(42 / 120)
    assert top_share(pd.Series([7.0])) == 1.0
    assert math.isnan(top_share(pd.Series([], dtype=float)))
    assert math.isnan(top_share(pd.Series([0.0, 0.0])))


def test_abc_classes_the_crossing_account_is_still_a():
    # cumulative before each account: 0, .5, .7 -> A (the third crosses from .7 to .8, still A);
    # .8 (not below .8), .85, .90, .94 -> B; .97, .98, .99 -> C
    out = abc_classes(TEN)
    assert list(out.index) == list(TEN.index)
    assert out.tolist() == ["A", "A", "A", "B", "B", "B", "B", "C", "C", "C"]


def test_abc_classes_small_case_and_input_order():
    rev = pd.Series({"low": 10.0, "top": 60.0, "mid": 30.0})
    # before: top 0 -> A; mid 0.6 -> A (crosses .8 on the way to .9); low 0.9 -> B (< .95)
    assert abc_classes(rev).to_dict() == {"low": "B", "top": "A", "mid": "A"}
    # with b = 0.9, low's 0.9 is not below b -> C
    assert abc_classes(rev, a=0.8, b=0.9).to_dict() == {"low": "C", "top": "A", "mid": "A"}


# --- selection.score_accounts / select_key_accounts -------------------------------------------

def scoring_summary(**cols) -> pd.DataFrame:
    """The columns criterion_scores reads, NaN unless given."""
    index = cols.pop("index")
    base = {c: np.nan for c in ("revenue_t4q", "whitespace_value", "tenure_years", "gross_margin_t4q",
                                "avg_won_deal")}
    base.update(cols)
    return pd.DataFrame(base, index=index, dtype="float64")


def test_score_accounts_by_hand():
    s = scoring_summary(index=["X", "Y", "Z"], revenue_t4q=[300, 100, 200], tenure_years=[5, 1, np.nan],
                        product_fit=[8, np.nan, 3])
    out = score_accounts(s, {"revenue_volume": 50, "customer_tenure": 30, "product_fit": 20})
    # revenue ranks X3 Y1 Z2 -> 10, 1, 5.5; tenure X 10, Y 1, Z missing -> 5.5; fit 8, missing 5.5, 3
    assert out["score_revenue_volume"].tolist() == approx([10.0, 1.0, 5.5])
    assert out["score_customer_tenure"].tolist() == approx([10.0, 1.0, 5.5])
    assert out["score_product_fit"].tolist() == approx([8.0, 5.5, 3.0])
    # X (10*50 + 10*30 + 8*20)/100 = 9.6; Y (1*50 + 1*30 + 5.5*20)/100 = 1.9; Z (5.5*50 + 5.5*30 + 3*20)/100 = 5.0
    assert out["score"].tolist() == approx([9.6, 1.9, 5.0])
    assert out["unscored"].tolist() == ["", "product_fit", "customer_tenure"]


def test_score_accounts_single_and_all_equal():
    one = scoring_summary(index=["S"], revenue_t4q=[10.0], tenure_years=[2.0], product_fit=[4.0])
    out = score_accounts(one, {"revenue_volume": 60, "customer_tenure": 20, "product_fit": 20})
    assert out.loc["S", "score"] == approx((10 * 60 + 10 * 20 + 4 * 20) / 100)   # 8.8
    same = scoring_summary(index=list("PQR"), revenue_t4q=[10.0] * 3, tenure_years=[2.0] * 3,
                           product_fit=[5.5] * 3)
    out = score_accounts(same, {"revenue_volume": 60, "customer_tenure": 20, "product_fit": 20})
    assert out["score"].tolist() == approx([5.5] * 3)   # every criterion at the mid-point


SCORED = pd.DataFrame({"score": [8.0, 7.0, 7.0, 6.0, 5.9]}, index=["K1", "K2", "K3", "K4", "K5"])
REVENUE = pd.Series({"K1": 10.0, "K2": 50.0, "K3": 100.0, "K4": 1.0, "K5": 1000.0})


def test_select_threshold_cap_and_tie_broken_by_revenue():
    out = select_key_accounts(SCORED, REVENUE, threshold=6.0, cap=2)
    # order: K1 8.0, K3 7.0 (rev 100) before K2 7.0 (rev 50), K4 6.0 (exactly at threshold); K5 below
    assert out["is_key"].to_dict() == {"K1": True, "K2": False, "K3": True, "K4": False, "K5": False}
    r = out["selection_reason"]
    assert r["K1"] == "score 8.0 ≥ 6 (rank 1)"
    assert r["K3"] == "score 7.0 ≥ 6 (rank 2)"
    assert r["K2"] == "score 7.0 ≥ 6 but beyond the cap of 2"
    assert r["K4"] == "score 6.0 ≥ 6 but beyond the cap of 2"
    assert r["K5"] == "score 5.9 below 6"
    wide = select_key_accounts(SCORED, REVENUE, threshold=6.0, cap=10)
    assert wide["is_key"].sum() == 4 and wide["selection_reason"]["K4"] == "score 6.0 ≥ 6 (rank 4)"


def test_select_include_and_exclude_overrides():
    out = select_key_accounts(SCORED, REVENUE, threshold=6.0, cap=2,
                              include={"K5": "strategic partner"}, exclude={"K1": "churning"})
    # K1 excluded frees its slot: eligible K3, K2, K4 -> K3 rank 1, K2 rank 2; K5 included below threshold
    assert out["is_key"].to_dict() == {"K1": False, "K2": True, "K3": True, "K4": False, "K5": True}
    r = out["selection_reason"]
    assert r["K1"] == "excluded by the team: churning"
    assert r["K5"] == "included by the team: strategic partner"
    assert r["K3"] == "score 7.0 ≥ 6 (rank 1)" and r["K2"] == "score 7.0 ≥ 6 (rank 2)"
    # naming an account that is not in the frame is ignored here (build_portfolio rejects it earlier)
    out = select_key_accounts(SCORED, REVENUE, 6.0, 2, include={"ZZ": "x"}, exclude={"YY": "y"})
    assert list(out.index) == list(SCORED.index) and out["is_key"].sum() == 2


def test_select_single_account_and_all_equal():
    one = select_key_accounts(pd.DataFrame({"score": [7.2]}, index=["S"]), pd.Series({"S": 5.0}), 6.0, 20)
    assert one.loc["S", "is_key"] and one.loc["S", "selection_reason"] == "score 7.2 ≥ 6 (rank 1)"
    equal = pd.DataFrame({"score": [5.5] * 4}, index=list("ABCD"))
    rev = pd.Series(1.0, index=list("ABCD"))
    assert not select_key_accounts(equal, rev, 6.0, 2)["is_key"].any()
    # at the threshold with a full tie on score and revenue: the first `cap` in input order
    out = select_key_accounts(equal, rev, 5.5, 2)
    assert out["is_key"].tolist() == [True, True, False, False]


# --- portfolio.kam_matrix / stakeholder factors ------------------------------------------------

def matrix_summary(index, **cols) -> pd.DataFrame:
    base = {c: np.nan for c in ("whitespace_value", "t4q_growth", "gross_margin_pct", "revenue_t4q",
                                "strategic_value", "share_of_wallet", "tenure_years")}
    base.update(cols)
    return pd.DataFrame(base, index=index, dtype="float64")


NO_STAKEHOLDERS = pd.DataFrame({"account_id": pd.Series(dtype=object), "role": pd.Series(dtype=object),
                                "influence": pd.Series(dtype="Int64"), "sentiment": pd.Series(dtype="Int64")})


def test_kam_matrix_quadrants_with_split_values_on_the_high_side():
    s = matrix_summary(["M1", "M2", "M3", "M4"], strategic_value=[9, 5, 2, 4.9],
                       share_of_wallet=[0.8, 0.2, 0.5, 0.1])
    out = kam_matrix(s, NO_STAKEHOLDERS, {"strategic_value": 100}, {"share_of_wallet": 100}, split=5.0)
    # attractiveness = strategic value; strength = share of wallet * 10 -> 8, 2, 5 (exactly split), 1
    assert out["attractiveness"].tolist() == approx([9.0, 5.0, 2.0, 4.9])
    assert out["strength"].tolist() == approx([8.0, 2.0, 5.0, 1.0])
    assert out["quadrant"].tolist() == ["Strategic", "Star", "Status", "Streamline"]
    assert out.loc["M1", "strategy"] == "Invest mindshare and ensure profitability"
    assert out.loc["M4", "strategy"] == "Manage for profitability"


def test_kam_matrix_weighted_factors_and_missing_values():
    s = matrix_summary(["a", "b", "c"], revenue_t4q=[100, 200, 300], t4q_growth=[0.1, np.nan, 0.3],
                       share_of_wallet=[np.nan, 1.5, 0.3])
    out = kam_matrix(s, NO_STAKEHOLDERS, {"revenue_volume": 50, "growth": 50},
                     {"share_of_wallet": 60, "stakeholder_sentiment": 40})
    # volume ranks 0..10 -> 0, 5, 10; growth ranks (two valid) a 0, c 10, b missing -> 5
    # a (0*50 + 0*50)/100 = 0; b (5*50 + 5*50)/100 = 5; c (10*50 + 10*50)/100 = 10
    assert out["attractiveness"].tolist() == approx([0.0, 5.0, 10.0])
    # the strength weights use stakeholder sentiment and nobody is mapped: strength not assessed (NaN), in no
    # quadrant, never scored low. Placed on the other factor with data: wallet a unknown -> 5 (some accounts
    # have it: mid-point), b clipped to 1 -> 10, c 3
    assert out["strength"].isna().all() and set(out["strength_basis"]) == {"not assessed"}
    assert out["strength_derived"].tolist() == approx([5.0, 10.0, 3.0])
    assert out["quadrant"].tolist() == ["Not assessed"] * 3
    # strength weights without a stakeholder factor: assessed on what they name
    # wallet 60, tenure 40; tenure 1, 2, 3 years -> 0, 5, 10: a (5*60 + 0)/100 = 3; b (600 + 200)/100 = 8;
    # c (3*60 + 10*40)/100 = 5.8
    s["tenure_years"] = [1.0, 2.0, 3.0]
    out = kam_matrix(s, NO_STAKEHOLDERS, {"revenue_volume": 50, "growth": 50},
                     {"share_of_wallet": 60, "customer_tenure": 40})
    assert out["strength"].tolist() == approx([3.0, 8.0, 5.8]) and set(out["strength_basis"]) == {"derived"}
    assert out["quadrant"].tolist() == ["Streamline", "Strategic", "Strategic"]


def test_kam_matrix_leaves_out_a_factor_no_account_has():
    # strategic value and share of wallet: no data for any account -> left out, the other weight counts alone
    s = matrix_summary(["a", "b", "c"], revenue_t4q=[100, 200, 300], tenure_years=[3.0, 1.0, 2.0])
    out = kam_matrix(s, NO_STAKEHOLDERS, {"revenue_volume": 60, "strategic_value": 40},
                     {"share_of_wallet": 70, "customer_tenure": 30})
    # volume 0, 5, 10 (not (0*60 + 5*40)/100 = 2, 5, 8 with strategic value at the mid-point)
    assert out["attractiveness"].tolist() == approx([0.0, 5.0, 10.0])
    # tenure 10, 0, 5 (not 6.5, 3.5, 5 with share of wallet at the mid-point)
    assert out["strength"].tolist() == approx([10.0, 0.0, 5.0])
    assert out["quadrant"].tolist() == ["Status", "Star", "Strategic"]
    gaps = matrix_factor_gaps(matrix_factors(s, NO_STAKEHOLDERS), {"revenue_volume": 60, "strategic_value": 40},
                              {"share_of_wallet": 70, "customer_tenure": 30}).set_index("factor")
    assert gaps["status"].to_dict() == {"revenue_volume": "scored", "strategic_value": "left out",
                                        "share_of_wallet": "left out", "customer_tenure": "scored"}
    assert gaps["weight_used"].to_dict() == approx({"revenue_volume": 100.0, "strategic_value": 0.0,
                                                    "share_of_wallet": 0.0, "customer_tenure": 100.0})
    # no factor with data at all on an axis: no position, not assessed
    none = kam_matrix(s, NO_STAKEHOLDERS, {"strategic_value": 100}, {"customer_tenure": 100})
    assert none["attractiveness"].isna().all() and set(none["quadrant"]) == {"Not assessed"}


STAKE = pd.DataFrame({
    "account_id": ["S1", "S1", "S1", "S1", "S2", "S4"],
    "role": ["economic_buyer", "champion", "influencer", "champion", "technical", "influencer"],
    "influence": pd.array([5, 3, 2, 1, 4, 2], dtype="Int64"),
    "sentiment": pd.array([2, -2, 1, 0, -2, 1], dtype="Int64"),
})


def test_stakeholder_factors_by_hand():
    out = stakeholder_factors(STAKE, pd.Index(["S1", "S2", "S3", "S4"]))
    # S1 influence-weighted sentiment: (5*2 + 3*-2 + 2*1 + 1*0) / (5+3+2+1) = 6/11;
    #    mapped (6/11 + 2) / 4 * 10 = 70/11; key roles {economic_buyer, champion} = 2 -> 2/5*10 = 4
    # S2: -2 -> 0; one key role (technical) -> 2
    # S3: nobody mapped -> no data (NaN), not 0
    # S4: only an influencer (not a key role): sentiment 1 -> (1+2)/4*10 = 7.5, coverage 0 (mapped: a real 0)
    assert out["stakeholder_sentiment"].tolist() == approx([70 / 11, 0.0, np.nan, 7.5])
    assert out["stakeholder_coverage"].tolist() == approx([4.0, 2.0, np.nan, 0.0])


def test_kam_matrix_uses_stakeholder_factors():
    s = matrix_summary(["S1", "S2", "S3"], strategic_value=[6, 6, 6])
    out = kam_matrix(s, STAKE, {"strategic_value": 100},
                     {"stakeholder_sentiment": 50, "stakeholder_coverage": 50})
    # S1 (70/11 + 4)/2 = 57/11 = 5.18 -> high; S2 (0 + 2)/2 = 1; S3 nobody mapped: not assessed, not 0
    assert out["strength"].tolist() == approx([57 / 11, 1.0, np.nan])
    assert out["strength_basis"].tolist() == ["derived", "derived", "not assessed"]
    assert out["quadrant"].tolist() == ["Strategic", "Star", "Not assessed"]
    assert out.loc["S3", "strategy"].startswith("Relationship not assessed — no stakeholders mapped")
    # no other strength factor to place S3 on: no derived figure (the chart puts it on the middle line)
    assert math.isnan(out.loc["S3", "strength_derived"])


# --- portfolio.key_vs_rest ---------------------------------------------------------------------

def kvr_summary(is_key) -> pd.DataFrame:
    return pd.DataFrame({
        "is_key": is_key,
        "revenue_t4q": [600.0, 300.0, 100.0, 0.0],
        "revenue_prior_t4q": [400.0, 200.0, 0.0, 100.0],
        "gross_margin_t4q": [240.0, 60.0, 50.0, 0.0],
        "target_q": [200.0, np.nan, 50.0, 0.0],
        "revenue_q": [150.0, 90.0, 40.0, 0.0],
        "nps_avg": [8.0, np.nan, 6.0, 4.0],
        "kam_cost_t4q": [30.0, 20.0, 10.0, 0.0],
    }, index=["K1", "K2", "O1", "O2"])


def test_key_vs_rest_ratio_of_sums():
    out = key_vs_rest(kvr_summary([True, True, False, False]))
    assert list(out.columns) == ["Key accounts", "Other accounts", "All accounts"]
    key, rest, total = out["Key accounts"], out["Other accounts"], out["All accounts"]
    assert (key["Accounts"], rest["Accounts"], total["Accounts"]) == (2, 2, 4)
    assert key["Revenue, trailing 4 quarters"] == approx(900.0)
    assert key["Share of revenue"] == approx(0.9)                     # 900 / 1000
    assert key["Revenue per account"] == approx(450.0)
    assert key["Growth vs prior 4 quarters"] == approx(0.5)           # 900/600 - 1
    assert key["Gross margin"] == approx(1 / 3)                       # 300 / 900
    assert key["Target attainment (quarter)"] == approx(0.75)         # only K1 has a target: 150/200
    assert key["Average NPS score (0-10)"] == approx(8.0)             # K2 has none
    assert key["Cost to serve, trailing 4 quarters"] == approx(50.0)
    assert key["Cost to serve / revenue"] == approx(50 / 900)
    # the rest: O1 is new (no base), O2 lost all revenue; the group total is flat: 100/100 - 1 = 0
    # (an average of account rates would be NaN/-100%)
    assert rest["Growth vs prior 4 quarters"] == approx(0.0)
    assert rest["Gross margin"] == approx(0.5)                        # 50 / 100
    assert rest["Target attainment (quarter)"] == approx(0.8)         # (40 + 0) / (50 + 0)
    assert rest["Average NPS score (0-10)"] == approx(5.0)
    assert total["Growth vs prior 4 quarters"] == approx(1000 / 700 - 1)
    assert total["Gross margin"] == approx(0.35)                      # 350 / 1000
    assert total["Target attainment (quarter)"] == approx(0.76)       # 190 / 250
    assert total["Average NPS score (0-10)"] == approx(6.0)           # (8 + 6 + 4) / 3
    assert total["Share of revenue"] == approx(1.0)
    assert total["Cost to serve / revenue"] == approx(0.06)


def test_key_vs_rest_with_no_other_accounts():
    out = key_vs_rest(kvr_summary([True, True, True, True]))
    rest = out["Other accounts"]
    assert rest["Accounts"] == 0
    assert rest["Revenue, trailing 4 quarters"] == 0
    for row in ("Revenue per account", "Growth vs prior 4 quarters", "Gross margin",
                "Target attainment (quarter)", "Average NPS score (0-10)", "Cost to serve / revenue"):
        assert math.isnan(rest[row]), row
    assert out["Key accounts"]["Accounts"] == 4


# --- account.growth_vs_target ------------------------------------------------------------------

QUARTERLY = pd.DataFrame({
    "account_id": ["G1"] * 6 + ["G2", "G2"],
    "quarter": ["2025Q1", "2025Q2", "2025Q4", "2026Q1", "2026Q2", "2026Q3", "2024Q1", "2026Q2"],
    "revenue": [100.0, 120.0, 80.0, 200.0, 150.0, 999.0, 7.0, 7.0],
    "cogs": 0.0,
})
TARGETS = pd.DataFrame({"account_id": ["G1", "G1", "G1", "G2"],
                        "quarter": ["2025Q1", "2025Q2", "2026Q1", "2026Q2"],
                        "target": [100.0, 0.0, 160.0, 5.0]})


def test_growth_vs_target_drops_quarters_before_first_revenue():
    out = acct.growth_vs_target(QUARTERLY, TARGETS, "G1", Q)
    # window of 8: 2024Q3..2026Q2; G1's first revenue is 2025Q1, so six rows remain
    assert list(out.index) == ["2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2"]
    assert out["revenue"].tolist() == [100.0, 120.0, 0.0, 80.0, 200.0, 150.0]   # 2025Q3 filled with 0
    # attainment: 100/100 = 1; zero target -> NaN; no targets -> NaN; 200/160 = 1.25; missing -> NaN
    att = out["attainment"].tolist()
    assert att[0] == approx(1.0) and att[4] == approx(1.25)
    assert all(math.isnan(att[i]) for i in (1, 2, 3, 5))
    assert out["target"].isna().tolist() == [False, False, True, True, False, True]
    # qoq: base 2024Q4 = 0 -> NaN; 120/100-1 = .2; 0/120-1 = -1; base 0 -> NaN; 200/80-1 = 1.5; 150/200-1 = -.25
    qoq = out["qoq_growth"].tolist()
    assert math.isnan(qoq[0]) and math.isnan(qoq[3])
    assert [qoq[i] for i in (1, 2, 4, 5)] == approx([0.2, -1.0, 1.5, -0.25])
    # yoy: bases 2024Q1..2025Q1 are 0 (G2's 2024Q1 is not G1's) -> NaN; 2026Q1 200/100-1 = 1; 2026Q2 150/120-1
    yoy = out["yoy_growth"].tolist()
    assert all(math.isnan(v) for v in yoy[:4])
    assert yoy[4:] == approx([1.0, 0.25])


def test_growth_vs_target_yoy_reaches_four_quarters_behind_the_window():
    out = acct.growth_vs_target(QUARTERLY, TARGETS, "G1", Q, quarters=4)
    assert list(out.index) == ["2025Q3", "2025Q4", "2026Q1", "2026Q2"]
    # 2026Q1's base is 2025Q1 and 2025Q3's qoq base is 2025Q2, both outside the four shown
    assert out.loc["2026Q1", "yoy_growth"] == approx(200 / 100 - 1)
    assert out.loc["2025Q3", "qoq_growth"] == approx(0 / 120 - 1)
    assert out.loc["2025Q3", "yoy_growth"] != out.loc["2025Q3", "yoy_growth"]   # base 2024Q3 = 0 -> NaN


def test_growth_vs_target_unknown_account_is_empty():
    assert acct.growth_vs_target(QUARTERLY, TARGETS, "NOPE", Q).empty


# --- account.stakeholder_map / stakeholder_risks -----------------------------------------------

TEAM = contacts([
    # as of 2026-06-30: Ann 90 days, Dan 121 days, Cat never contacted
    ("T1", "Ann", "CFO", "economic_buyer", "executive", 5, -2, "2026-04-01"),
    ("T1", "Cat", "", "champion", "management", 3, 2, None),
    ("T1", "Dan", "COO", "decision_maker", "management", 4, -1, "2026-03-01"),
    ("T2", "Solo", "", "technical", "operational", 2, 0, "2026-06-01"),
])


def test_stakeholder_map_only_the_account_most_influential_first():
    m = acct.stakeholder_map(TEAM, "T1", Q)
    assert m["name"].tolist() == ["Ann", "Dan", "Cat"]              # influence 5, 4, 3
    assert m["days_since_contact"].tolist()[:2] == [90, 121]
    assert m["stale"].tolist() == [False, True, True]               # 90 is not more than 90; never = stale
    assert m["role_label"].tolist() == ["Economic buyer", "Decision maker", "Champion"]
    assert m["sentiment_label"].tolist() == ["Detractor", "Sceptical", "Advocate"]


def test_stakeholder_risks_deciding_detractors_and_stale_contacts():
    risks = acct.stakeholder_risks(acct.stakeholder_map(TEAM, "T1", Q), 90)
    assert risks == [
        "Ann (economic buyer) is a detractor.",
        "Dan (decision maker) is sceptical.",
        "2 of 3 contacts not touched for more than 90 days.",
    ]
    # stale_days decides who is stale: at 60 all three, at 150 only the never-contacted one
    at60 = acct.stakeholder_risks(acct.stakeholder_map(TEAM, "T1", Q, stale_days=60), 60)
    assert at60[-1] == "3 of 3 contacts not touched for more than 60 days."
    at150 = acct.stakeholder_risks(acct.stakeholder_map(TEAM, "T1", Q, stale_days=150), 150)
    assert at150[-1] == "1 of 3 contacts not touched for more than 150 days."


def test_stakeholder_risks_single_threaded_contact():
    risks = acct.stakeholder_risks(acct.stakeholder_map(TEAM, "T2", Q), 90)
    assert risks == [
        "Single-threaded: only one contact is mapped.",
        "No economic buyer is mapped.",
        "No executive-level contact (sponsor) is mapped.",
        "No champion is mapped.",
    ]


def test_stakeholder_risks_empty_map():
    empty = acct.stakeholder_map(TEAM, "NOBODY", Q)
    assert empty.empty
    # nobody mapped: no risk raised from the absence of data; the pages say the risks are not assessed
    assert acct.stakeholder_risks(empty) == []


def test_stakeholder_risks_from_the_loaded_dataset(dataset):
    risks = acct.stakeholder_risks(acct.stakeholder_map(dataset.stakeholders, "A1", Q), 90)
    # Bob (champion, -2) is not a deciding role; Bob (2026-01-01, 180 days) and Cy (never) are stale
    assert risks == ["2 of 4 contacts not touched for more than 90 days."]


# --- model.build_portfolio ---------------------------------------------------------------------

def test_build_portfolio_scores_and_flags(dataset):
    settings = Settings(selection=Selection(threshold=6.0))
    p = build_portfolio(dataset, settings, Q)
    s = p.summary
    assert p.quarter == Q and list(s.index) == ["A1", "A2", "A3"]
    # default weights: revenue_volume 40, revenue_potential 20, customer_tenure 10, product_fit 15, strategic 15
    # volume 450/300/100 -> 10, 5.5, 1; whitespace 550/NaN/0 -> 10, 5.5, 1; tenure 6.0/2.5/NaN -> 10, 1, 5.5
    # fit 8/NaN/3 -> 8, 5.5, 3; strategic 9/4/NaN -> 9, 4, 5.5
    # A1 (400 + 200 + 100 + 120 + 135)/100 = 9.55
    # A2 (220 + 110 + 10 + 82.5 + 60)/100 = 4.825
    # A3 (40 + 20 + 55 + 45 + 82.5)/100 = 2.425
    assert s["score"].tolist() == approx([9.55, 4.825, 2.425])
    assert s["is_key"].tolist() == [True, False, False]
    assert s["tier"].tolist() == ["Tier 1", "Tier 3", "Tier 3"]   # tiers at 7.5 and 5.5
    # ABC on t4q 450/300/100 (total 850): before 0, 450/850, 750/850 = 0.88 -> A, A, B
    assert s["abc_class"].tolist() == ["A", "A", "B"]
    assert p.top20_share == approx(450 / 850)                      # ceil(0.2*3) = 1 account
    assert list(p.key_accounts.index) == ["A1"]
    # an account with no stakeholder mapped is in no quadrant
    mapped = s.index.isin(dataset.stakeholders["account_id"])
    assert set(s.loc[mapped, "quadrant"]) <= {"Strategic", "Star", "Status", "Streamline"}
    assert set(s.loc[~mapped, "quadrant"]) <= {"Not assessed"}


def test_build_portfolio_key_count_respects_the_cap(dataset):
    settings = Settings(selection=Selection(threshold=1.0, max_key_accounts=2))
    s = build_portfolio(dataset, settings, Q).summary
    assert s["is_key"].sum() == 2
    assert s["is_key"].tolist() == [True, True, False]
    assert s.loc["A3", "selection_reason"] == "score 2.4 ≥ 1 but beyond the cap of 2"


def test_build_portfolio_include_exclude(dataset):
    settings = Settings(selection=Selection(include={"A3": "new CEO is a fan"}, exclude={"A1": "being sold"}))
    s = build_portfolio(dataset, settings, Q).summary
    assert s["is_key"].tolist() == [False, False, True]
    assert s.loc["A3", "selection_reason"] == "included by the team: new CEO is a fan"
    assert s.loc["A1", "selection_reason"] == "excluded by the team: being sold"


@pytest.mark.parametrize("selection", [Selection(include={"NOPE": "x"}), Selection(exclude={"GHOST": "y"})])
def test_build_portfolio_unknown_include_or_exclude(dataset, selection):
    with pytest.raises(ConfigError) as info:
        build_portfolio(dataset, Settings(selection=selection), Q)
    (problem,) = info.value.problems
    assert problem.value in ("NOPE", "GHOST")
    assert str(problem.value) in str(info.value)


def test_build_portfolio_quarter_without_revenue(dataset):
    with pytest.raises(ConfigError) as info:
        build_portfolio(dataset, Settings(), "2023Q1")
    assert "2023Q1" in str(info.value)
    # the settings' quarter is used when none is passed
    with pytest.raises(ConfigError):
        build_portfolio(dataset, Settings(quarter="2024Q4"))   # A1 has revenue in 2024Q3 but not Q4


def test_build_portfolio_account_view_is_one_account(dataset, tmp_path):
    settings = Settings(accounts_dir=str(tmp_path))   # no plan files: empty plan
    view = build_portfolio(dataset, settings, Q).account("A2")
    assert view.name == "Beta" and view.owner == "James"
    assert view.stakeholders["account_id"].tolist() == ["A2"]
    assert list(view.growth.index) == ["2026Q2"]                  # first revenue 2026Q2
    assert math.isnan(view.growth.loc["2026Q2", "attainment"])    # zero target
    with pytest.raises(ConfigError):
        build_portfolio(dataset, settings, Q).account("A4")       # no revenue up to 2026Q2


def test_equal_scores_from_different_criteria_tie_and_go_to_the_larger_revenue():
    # Six accounts, so rank scores are 1 + 1.8*(rank-1): 1, 2.8, 4.6, 6.4, 8.2, 10.
    # X: revenue rank 2 (2.8), tenure rank 6 (10)  -> (2.8*45 + 10*45 + 5*10)/100  = (126 + 450 + 50)/100 = 6.26
    # Y: revenue rank 5 (8.2), tenure rank 3 (4.6) -> (8.2*45 + 4.6*45 + 5*10)/100 = (369 + 207 + 50)/100 = 6.26
    # d: 10 and 8.2 -> (450 + 369 + 50)/100 = 8.69; c: 6.4, 2.8 -> 4.64; a: 1, 6.4 -> 3.83; b: 4.6, 1 -> 3.02
    # X and Y tie exactly; Y has the larger revenue (500 vs 200) so with a cap of 2 it is d and Y.
    s = scoring_summary(index=["X", "Y", "a", "b", "c", "d"], revenue_t4q=[200, 500, 100, 300, 400, 600],
                        tenure_years=[6, 3, 4, 1, 2, 5], product_fit=[5.0] * 6)
    scored = score_accounts(s, {"revenue_volume": 45, "customer_tenure": 45, "product_fit": 10})
    assert scored["score"].tolist() == approx([6.26, 6.26, 3.83, 3.02, 4.64, 8.69])
    assert scored.loc["X", "score"] == scored.loc["Y", "score"]   # a tie, not float noise
    out = select_key_accounts(scored, s["revenue_t4q"], threshold=6.0, cap=2)
    assert out["is_key"][out["is_key"]].index.tolist() == ["Y", "d"]
    assert out.loc["Y", "selection_reason"] == "score 6.3 ≥ 6 (rank 2)"
    assert out.loc["X", "selection_reason"] == "score 6.3 ≥ 6 but beyond the cap of 2"


# --- narrative -----------------------------------------------------------------------------------

def test_account_sentences_quote_the_figures(summary):
    from kamreports.analytics.narrative import account_sentences

    a1 = account_sentences(summary.loc["A1"], ["2 of 4 contacts not touched for more than 90 days."], Q,
                           formatting.money)
    assert a1 == [
        "Revenue in 2026Q2 was $150, $450 over the last four quarters.",
        "That is 75% of the quarter's target of $200, behind plan.",        # 150 / 200
        "Revenue is up 50% on the same quarter last year.",                 # 150 / 100 - 1
        "Main relationship risk: 2 of 4 contacts not touched for more than 90 days.",
    ]
    a2 = account_sentences(summary.loc["A2"], [], Q, formatting.money)
    assert a2[1] == "The target for 2026Q2 is zero, so attainment cannot be measured."   # target 0 -> NaN, said so
    assert a2[2] == "The account is too new for a year-on-year comparison."
    assert len(a2) == 3
    named = account_sentences(summary.loc["A2"], ["Victor Ito (decision maker) is a detractor."], Q, formatting.money)
    # a name keeps its capitals
    assert named[-1] == "Main relationship risk: Victor Ito (decision maker) is a detractor."


def test_portfolio_sentences(summary):
    from kamreports.analytics.narrative import portfolio_sentences

    s = summary.assign(is_key=[True, False, False], quadrant=["Strategic", "Star", "Status"])
    out = portfolio_sentences(s, 450 / 850, Q, formatting.money)
    assert out == [
        "3 accounts had revenue in the last four quarters (2025Q3-2026Q2): $850 in all.",   # 450 + 300 + 100
        "The top 20% of them (the largest account) brought 53% of it.",    # ceil(0.6) = 1: 450/850 = 0.529
        "The key account brought 53% of it.",
        "On the KAM matrix the key account sits in the Strategic quadrant.",
    ]


def test_narrative_distinguishes_zero_target_from_missing_and_handles_no_revenue():
    import pandas as pd

    from kamreports.analytics.narrative import account_sentences, portfolio_sentences

    base = {"revenue_q": 10.0, "revenue_t4q": 40.0, "attainment_q": float("nan"), "yoy_growth": float("nan"),
            "quarters_active": 2}
    zero = account_sentences(pd.Series({**base, "target_q": 0.0}), [], "2026Q3", str)
    missing = account_sentences(pd.Series({**base, "target_q": float("nan")}), [], "2026Q3", str)
    assert "The target for 2026Q3 is zero, so attainment cannot be measured." in zero
    assert "No target is set for 2026Q3, so attainment cannot be measured." in missing
    empty = pd.DataFrame({"revenue_t4q": [0.0], "is_key": [False], "quadrant": ["Streamline"]})
    sentences = portfolio_sentences(empty, float("nan"), "2026Q3", str)
    assert not any("nan" in s.lower() for s in sentences)


def test_notebooks_in_one_kernel_share_computed_figures_but_each_gets_its_own_copy(tmp_path):
    """open_portfolio twice on the same inputs (two notebooks in a warm kernel): whitespace is
    computed once, and changing one notebook's frame leaves the next notebook's untouched."""
    from unittest import mock

    import kamreports.model as model
    from kamreports import open_portfolio
    from kamreports.data import sample_dataset, write_folder

    folder = write_folder(sample_dataset(), tmp_path / "data")
    records = tmp_path / "records"
    first = open_portfolio(data=folder, records=records)
    with mock.patch.object(model, "whitespace_matrix", wraps=model.whitespace_matrix) as spy:
        ranked = first.whitespace[2]
        second = open_portfolio(data=folder, records=records)
        again = second.whitespace[2]
    assert spy.call_count == 1
    assert again.equals(ranked) and again is not ranked
    original = again.iloc[0, 0]
    ranked.iloc[0, 0] = "changed by notebook one"
    assert second.whitespace[2].iloc[0, 0] == original
    assert open_portfolio(data=folder, records=records).whitespace[2].iloc[0, 0] == original
