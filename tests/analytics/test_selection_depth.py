"""Promotion and demotion candidates, weight sensitivity, derived criteria, analyst relationship strength,
matrix movement between quarters and the depth settings (the KAM-matrix chart: tests/present/test_charts.py).

Every expected figure is worked out by hand in the comments. The reporting quarter is 2026Q2:
t4q = 2025Q3..2026Q2, prior t4q = 2024Q3..2025Q2, as-of date 2026-06-30.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kamreports.analytics.metrics import account_summary
from kamreports.analytics.portfolio import kam_matrix, matrix_for_quarter, matrix_movement
from kamreports.analytics.selection import (
    demotion_candidates,
    promotion_candidates,
    score_accounts,
    sensitivity_weights,
    weight_sensitivity,
)
from kamreports.config import Candidates, Selection, Sensitivity, Settings, Stages, load_settings, validate
from kamreports.errors import ConfigError, DataValidationError
from kamreports.model import build_portfolio
from tests.conftest import Q, approx, make_dataset, settings_file

# --- promotion_candidates ------------------------------------------------------------------------

def candidates_summary() -> pd.DataFrame:
    return pd.DataFrame({
        "name": ["Key One", "Grower", "Almost", "Newcomer", "Shrinker"],
        "is_key": [True, False, False, False, False],
        "score": [8.0, 5.0, 6.0, 4.0, 3.0],
        "revenue_t4q": [1000.0, 120.0, 119.0, 50.0, 70.0],
        # 120/100 - 1 is 0.19999999999999996 in floating point: it must still count as 20%
        "t4q_growth": [0.5, 120 / 100 - 1, 0.19, np.nan, -0.3],
        "whitespace_value": [900.0, 100.0, 500.0, 800.0, np.nan],
    }, index=pd.Index(["K1", "N1", "N2", "N3", "N4"], name="account_id"))


def test_promotion_by_growth_with_the_boundary_included():
    out = promotion_candidates(candidates_summary())
    # potential scores rank the four known whitespace values (N4 has none) over 1-10:
    # N1 100 rank 1 -> 1; N2 500 rank 2 -> 1 + 9*1/3 = 4; N3 800 rank 3 -> 7; K1 900 rank 4 -> 10.
    # At the default 8 no non-key account qualifies on potential; K1 is key (ignored).
    # Growth >= 20%: N1 only (N2 19%, N3 new so no rate, N4 -30%).
    assert list(out.index) == ["N1"]
    assert out.loc["N1", "potential_score"] == approx(1.0)
    assert out.loc["N1", "reason"] == "Revenue up 20% on the prior four quarters (promote at 20% or more)"
    assert list(out.columns) == ["name", "score", "revenue_t4q", "t4q_growth", "whitespace_value",
                                 "potential_score", "reason"]


def test_promotion_by_potential_and_both_reasons_ordered_by_score():
    out = promotion_candidates(candidates_summary(), growth=0.15, potential_score=7.0)
    # growth >= 15%: N1 (20%) and N2 (19%); potential >= 7: N3 (7.0, the boundary)
    # order: score N2 6.0, N1 5.0, N3 4.0
    assert list(out.index) == ["N2", "N1", "N3"]
    assert out.loc["N2", "reason"] == "Revenue up 19% on the prior four quarters (promote at 15% or more)"
    assert out.loc["N3", "potential_score"] == approx(7.0)
    assert out.loc["N3", "reason"] == ("Revenue potential scores 7.0 of 10, $800 a year spent with others "
                                       "(promote at 7 or more)")
    both = promotion_candidates(candidates_summary(), growth=0.15, potential_score=4.0)
    # N2 also scores 4.0 on potential: both reasons, joined by "; "
    assert both.loc["N2", "reason"] == ("Revenue up 19% on the prior four quarters (promote at 15% or more); "
                                        "revenue potential scores 4.0 of 10, $500 a year spent with others "
                                        "(promote at 4 or more)")


def test_promotion_leaves_out_accounts_the_team_excluded():
    out = promotion_candidates(candidates_summary(), exclude={"N1": "being sold"})
    assert out.empty
    assert "reason" in out.columns


def test_promotion_single_account_and_all_equal():
    one = candidates_summary().loc[["N3"]]
    # a single whitespace value ranks 10 (rank_score's rule), so the one account qualifies on potential
    out = promotion_candidates(one)
    assert list(out.index) == ["N3"] and out.loc["N3", "potential_score"] == 10.0
    same = candidates_summary().assign(is_key=False, t4q_growth=0.1, whitespace_value=300.0)
    # all five equal: every potential score is the mid-point (1 + 10)/2 = 5.5 < 8; growth 10% < 20%
    assert promotion_candidates(same).empty


# --- demotion_candidates -------------------------------------------------------------------------

def demotion_summary() -> pd.DataFrame:
    return pd.DataFrame({
        "name": ["Slipping", "Behind", "New", "Not key"],
        "is_key": [True, True, True, False],
        # D1: 90/100 - 1 = -0.09999999999999998, must count as -10%
        "t4q_growth": [90 / 100 - 1, -0.05, np.nan, -0.9],
        "attainment_q": [0.80, 0.79, np.nan, 0.1],
        "score": [5.0, 4.9, 7.0, 1.0],
        "revenue_t4q": [300.0, 200.0, 100.0, 10.0],
    }, index=pd.Index(["D1", "D2", "D3", "D4"], name="account_id"))


def test_demotion_reasons_and_boundaries():
    out = demotion_candidates(demotion_summary(), threshold=6.0)
    # score floor = 6 - 1 = 5.
    # D1: growth -10% -> reason; attainment exactly 80% is not below 80%; score 5.0 is not below 5.
    # D2: growth -5% no; attainment 79% < 80% yes; score 4.9 < 5 yes -> two reasons.
    # D3: new account, no target, score 7 -> nothing. D4 is not key.
    # order by score: D1 5.0, D2 4.9
    assert list(out.index) == ["D1", "D2"]
    assert out["reasons"].tolist() == [1, 2]
    assert out.loc["D1", "reason"] == "Revenue down 10% on the prior four quarters (review at -10% or worse)"
    assert out.loc["D2", "reason"] == ("Quarter revenue at 79% of target (review below 80%); "
                                       "score 4.9 is below 5 (threshold 6 less 1)")


def test_demotion_settings_move_the_lines():
    out = demotion_candidates(demotion_summary(), threshold=6.0, growth=-0.2, attainment=0.5, score_margin=0.5)
    # floor 5.5: D1 5.0 and D2 4.9 are both below; growth -10% and -5% are not <= -20%; 80%, 79% not < 50%
    assert out["reasons"].tolist() == [1, 1]
    assert out.loc["D1", "reason"] == "Score 5.0 is below 5.5 (threshold 6 less 0.5)"


def test_demotion_single_account_and_none():
    assert demotion_candidates(demotion_summary().loc[["D3"]], threshold=6.0).empty
    assert list(demotion_candidates(demotion_summary().loc[["D2"]], threshold=6.0).index) == ["D2"]


# --- sensitivity_weights / weight_sensitivity ----------------------------------------------------

WEIGHTS = {"product_fit": 40, "solvency": 30, "strategic_value": 30}


def test_sensitivity_weights_renormalise_to_100():
    s = sensitivity_weights({"revenue_volume": 50, "customer_tenure": 30, "product_fit": 20}, 0.2)
    # the labels are the page's words: no code names
    assert list(s) == ["revenue volume weight up 20%", "revenue volume weight down 20%",
                       "customer tenure weight up 20%", "customer tenure weight down 20%",
                       "product fit weight up 20%", "product fit weight down 20%"]
    # volume +20%: 60, 30, 20 (sum 110) -> 600/11, 300/11, 200/11
    assert list(s["revenue volume weight up 20%"].values()) == approx([600 / 11, 300 / 11, 200 / 11])
    # volume -20%: 40, 30, 20 (sum 90) -> 400/9, 300/9, 200/9
    assert list(s["revenue volume weight down 20%"].values()) == approx([400 / 9, 100 / 3, 200 / 9])
    # tenure +20%: 50, 36, 20 (sum 106)
    assert s["customer tenure weight up 20%"]["customer_tenure"] == approx(3600 / 106)
    for weights in s.values():
        assert sum(weights.values()) == approx(100.0)
    # delta 0.5: product_fit 20 -> 10, sum 90 -> 100/9
    assert sensitivity_weights({"revenue_volume": 50, "customer_tenure": 30, "product_fit": 20}, 0.5)[
        "product fit weight down 50%"]["product_fit"] == approx(1000 / 90)


def analyst_summary() -> pd.DataFrame:
    return pd.DataFrame({
        "name": ["Pine", "Quartz", "Rowan", "Slate"],
        "product_fit": [10.0, 4.0, 8.0, 2.0],
        "solvency": [2.0, 9.0, 4.0, 2.0],
        "strategic_value": [6.0, 6.0, 5.0, 2.0],
        "revenue_t4q": [400.0, 300.0, 200.0, 100.0],
    }, index=pd.Index(["P", "Q", "R", "S"], name="account_id"))


# Scores with weights fit 40, solvency 30, strategic 30 (analyst scores are used as entered):
#            base             fit +20% (48,30,30)/108   fit -20% (32,30,30)/92   solv +20% (40,36,30)/106
#   P  (400+60+180)/100=6.4   720/108 = 6.667           560/92 = 6.087           652/106 = 6.151
#   Q  (160+270+180)/100=6.1  642/108 = 5.944           578/92 = 6.283           664/106 = 6.264
#   R  (320+120+150)/100=5.9  654/108 = 6.056           526/92 = 5.717           614/106 = 5.792
#            solv -20% (40,24,30)/94   strat +20% (40,30,36)/106   strat -20% (40,30,24)/94
#   P        628/94 = 6.681            676/106 = 6.377             604/94 = 6.426
#   Q        556/94 = 5.915            646/106 = 6.094             574/94 = 6.106
#   R        566/94 = 6.021            620/106 = 5.849             560/94 = 5.957
#   S scores 2 in every scenario.

def test_weight_sensitivity_threshold_flips():
    out = weight_sensitivity(analyst_summary(), WEIGHTS, threshold=6.0, cap=10)
    # at threshold 6: Q drops below in fit +20% (5.944) and solvency -20% (5.915);
    # R rises above in fit +20% (6.056) and solvency -20% (6.021); P never falls below 6.087
    assert list(out.index) == ["Q", "R"]                       # by base score 6.1, 5.9
    assert out["is_key"].tolist() == [True, False]
    assert out["change"].tolist() == ["would drop out", "would come in"]
    assert out["flipped_by"].tolist() == ["product fit weight up 20%; solvency weight down 20%"] * 2
    assert out["scenarios"].tolist() == [2, 2]
    assert out["score"].tolist() == approx([6.1, 5.9])
    assert out.loc["Q", "score_low"] == pytest.approx(556 / 94, abs=1e-9)
    assert out.loc["Q", "score_high"] == pytest.approx(578 / 92, abs=1e-9)
    assert out.loc["R", "score_low"] == pytest.approx(526 / 92, abs=1e-9)
    assert out.loc["R", "score_high"] == pytest.approx(654 / 108, abs=1e-9)
    assert list(out.columns) == ["name", "is_key", "score", "score_low", "score_high", "revenue_t4q", "change",
                                 "scenarios", "flipped_by"]


def test_weight_sensitivity_cap_flips():
    out = weight_sensitivity(analyst_summary(), WEIGHTS, threshold=6.0, cap=1)
    # cap 1: P (6.4) is the key account. Q overtakes P in fit -20% (6.283 > 6.087) and
    # solvency +20% (6.264 > 6.151); in every other scenario P stays ahead. R never comes first.
    assert list(out.index) == ["P", "Q"]
    assert out["change"].tolist() == ["would drop out", "would come in"]
    assert out["flipped_by"].tolist() == ["product fit weight down 20%; solvency weight up 20%"] * 2


def test_weight_sensitivity_delta_and_overrides():
    # delta 0.1, fit +10%: (44,30,30)/104 -> Q (176+270+180)/104 = 626/104 = 6.019 (still key),
    # solvency -10%: (40,27,30)/97 -> Q (160+243+180)/97 = 583/97 = 6.010 (still key);
    # R fit +10%: (352+120+150)/104 = 622/104 = 5.981; solvency -10%: (320+108+150)/97 = 578/97 = 5.959
    assert weight_sensitivity(analyst_summary(), WEIGHTS, 6.0, 10, delta=0.1).empty
    # the team's include and exclude hold in every scenario, so those accounts never flip
    out = weight_sensitivity(analyst_summary(), WEIGHTS, 6.0, 10, include={"R": "partner"}, exclude={"Q": "sold"})
    assert out.empty


def test_weight_sensitivity_ties_single_and_all_equal():
    # two copies of P tie in every scenario and stay above 6 (lowest 6.087); the larger revenue keeps the slot
    twins = analyst_summary().loc[["P", "P"]].set_axis(["T1", "T2"]).assign(revenue_t4q=[10.0, 20.0])
    assert weight_sensitivity(twins, WEIGHTS, 6.0, 1).empty
    # a single account flips on its own score against the threshold (Q above)
    single = weight_sensitivity(analyst_summary().loc[["Q"]], WEIGHTS, 6.0, 20)
    assert single["flipped_by"].tolist() == ["product fit weight up 20%; solvency weight down 20%"]
    # all equal: every score is 6 whatever the weights; nothing can flip
    equal = analyst_summary().assign(product_fit=6.0, solvency=6.0, strategic_value=6.0)
    out = weight_sensitivity(equal, WEIGHTS, 6.0, 2)
    assert out.empty and "flipped_by" in out.columns


# --- derived criteria: lifetime_value and average_transaction_size -------------------------------

DERIVED = {
    "accounts": """
account_id,name,parent_id,industry,region,owner,start_date
L1,Lark,,Food,EMEA,Maria,2020-01-01
L2,Lime,,Food,EMEA,Maria,2024-01-01
L3,Lynx,,Food,EMEA,Maria,2025-01-01
""",
    "products": """
product_id,name
P1,Core
""",
    "revenue": """
account_id,date,product_id,revenue,cogs
L1,2025-01-15,P1,1000,600
L1,2026-04-10,P1,100,50
L2,2026-05-01,P1,300,100
L3,2025-09-01,P1,200,150
L3,2026-07-01,P1,5000,0
""",
    "opportunities": """
opportunity_id,account_id,product_id,stage,amount,created_date,close_date
O1,L1,P1,won,100,2025-01-01,2025-02-01
O2,L1,P1,won,300,2025-01-01,2026-06-30
O3,L2,P1,won,50,2025-01-01,2026-03-01
O4,L2,P1,lost,1000,2025-01-01,2026-03-01
O5,L2,P1,open,900,2025-01-01,
O6,L3,P1,won,700,2026-05-01,2026-08-01
""",
}


def test_lifetime_value_and_average_transaction_size_from_data():
    s = account_summary(make_dataset(DERIVED), Q)
    # gross margin to date (every quarter up to 2026Q2): L1 (1000-600) + (100-50) = 450; L2 300-100 = 200;
    # L3 200-150 = 50 (the 2026-07-01 row is after the quarter). T4Q margin would be 50, 200, 50.
    assert s["gross_margin_to_date"].tolist() == approx([450.0, 200.0, 50.0])
    assert s["gross_margin_t4q"].tolist() == approx([50.0, 200.0, 50.0])
    # won deals closed by 2026-06-30: L1 (100 + 300)/2 = 200; L2 50 (lost and open ignored); L3's closes in August
    assert s.loc["L1", "avg_won_deal"] == approx(200.0) and s.loc["L2", "avg_won_deal"] == approx(50.0)
    assert math.isnan(s.loc["L3", "avg_won_deal"])

    scored = score_accounts(s, {"lifetime_value": 50, "average_transaction_size": 30, "revenue_volume": 20})
    # lifetime value ranks 450, 200, 50 -> 10, 5.5, 1; deal size 200 -> 10, 50 -> 1, none -> 5.5 (unscored)
    # revenue t4q 100, 300, 200 -> 1, 10, 5.5
    assert scored["score_lifetime_value"].tolist() == approx([10.0, 5.5, 1.0])
    assert scored["score_average_transaction_size"].tolist() == approx([10.0, 1.0, 5.5])
    # L1 (500 + 300 + 20)/100 = 8.2; L2 (275 + 30 + 200)/100 = 5.05; L3 (50 + 165 + 110)/100 = 3.25
    assert scored["score"].tolist() == approx([8.2, 5.05, 3.25])
    assert scored["unscored"].tolist() == ["", "", "average_transaction_size"]


def test_derived_criteria_are_accepted_settings_and_select():
    settings = Settings(selection=Selection(
        criteria={"lifetime_value": 50, "average_transaction_size": 30, "revenue_volume": 20}, threshold=5.0))
    assert validate(settings) == []
    s = build_portfolio(make_dataset(DERIVED), settings, Q).summary
    assert s["score"].tolist() == approx([8.2, 5.05, 3.25])
    assert s["is_key"].tolist() == [True, True, False]           # 8.2 and 5.05 reach 5.0


# --- analyst relationship strength ---------------------------------------------------------------

NO_STAKEHOLDERS = pd.DataFrame({"account_id": pd.Series(dtype=object), "role": pd.Series(dtype=object),
                                "influence": pd.Series(dtype="Int64"), "sentiment": pd.Series(dtype="Int64")})


def strength_summary(relative=None) -> pd.DataFrame:
    cols = {"whitespace_value": np.nan, "t4q_growth": np.nan, "gross_margin_pct": np.nan, "revenue_t4q": np.nan,
            "tenure_years": np.nan, "strategic_value": [6.0, 6.0, 6.0], "share_of_wallet": [0.2, 0.6, 0.9]}
    if relative is not None:
        cols["relative_strength"] = relative
    return pd.DataFrame(cols, index=["M1", "M2", "M3"], dtype="float64")


def test_relative_strength_replaces_the_derived_strength_where_given():
    out = kam_matrix(strength_summary([8.0, np.nan, 0.0]), NO_STAKEHOLDERS, {"strategic_value": 100},
                     {"share_of_wallet": 100})
    # derived strength = share of wallet * 10 = 2, 6, 9; the analyst says 8 for M1 and 0 for M3
    assert out["strength_derived"].tolist() == approx([2.0, 6.0, 9.0])
    assert out["strength"].tolist() == approx([8.0, 6.0, 0.0])
    assert out["strength_basis"].tolist() == ["analyst", "derived", "analyst"]
    # attractiveness 6 everywhere: M1 (6, 8) Strategic, M2 (6, 6) Strategic, M3 (6, 0) Star
    assert out["quadrant"].tolist() == ["Strategic", "Strategic", "Star"]


def test_without_relative_strength_everything_is_derived():
    out = kam_matrix(strength_summary(), NO_STAKEHOLDERS, {"strategic_value": 100}, {"share_of_wallet": 100})
    assert out["strength"].tolist() == approx([2.0, 6.0, 9.0])
    assert set(out["strength_basis"]) == {"derived"}


MATRIX_DATA = {
    "accounts": """
account_id,name,parent_id,industry,region,owner,start_date,wallet_estimate,strategic_value,relative_strength
X,Xeno,,Food,EMEA,Maria,2020-01-01,1000,6,
Y,Yarrow,,Food,EMEA,Maria,2020-01-01,1000,6,
Z,Zinc,,Food,EMEA,Maria,2020-01-01,100,6,9.5
""",
    "products": """
product_id,name
P1,Core
""",
    "revenue": """
account_id,date,product_id,revenue,cogs
X,2026-02-01,P1,100,0
X,2026-05-01,P1,100,0
Y,2026-02-01,P1,100,0
Y,2026-05-01,P1,400,0
Z,2026-05-01,P1,50,0
""",
}
ATTRACT, STRENGTH = {"revenue_volume": 100}, {"share_of_wallet": 100}


def test_relative_strength_column_is_loaded_and_checked():
    d = make_dataset(MATRIX_DATA)
    assert d.accounts["relative_strength"].isna().tolist() == [True, True, False]
    s = account_summary(d, Q)
    assert s.loc["Z", "relative_strength"] == 9.5 and math.isnan(s.loc["X", "relative_strength"])
    bad = dict(MATRIX_DATA, accounts=MATRIX_DATA["accounts"].replace(",100,6,9.5", ",100,6,10.5"))
    with pytest.raises(DataValidationError) as info:
        make_dataset(bad)
    (problem,) = info.value.problems
    assert problem.column == "relative_strength" and str(problem.value) == "10.5"


def test_matrix_for_quarter_and_movement():
    d = make_dataset(MATRIX_DATA)
    prev = matrix_for_quarter(d, "2026Q1", ATTRACT, STRENGTH)
    # 2026Q1: X and Y have 100 each (a tie: both rank 1.5 of 2 -> 0 + 10*0.5 = 5); Z has no revenue yet.
    # strength = share of wallet * 10 = 100/1000 * 10 = 1 for both -> (5, 1): Star
    assert list(prev.index) == ["X", "Y"]
    assert prev["attractiveness"].tolist() == approx([5.0, 5.0])
    assert prev["strength"].tolist() == approx([1.0, 1.0])
    assert prev["quadrant"].tolist() == ["Star", "Star"]
    cur = matrix_for_quarter(d, Q, ATTRACT, STRENGTH)
    # 2026Q2 t4q: X 200, Y 500, Z 50 -> ranks 2, 3, 1 -> 5, 10, 0
    # strength: X 200/1000 -> 2; Y 500/1000 -> 5; Z the analyst's 9.5 (derived 50/100 -> 5)
    assert cur["attractiveness"].tolist() == approx([5.0, 10.0, 0.0])
    assert cur["strength"].tolist() == approx([2.0, 5.0, 9.5])
    assert cur["strength_basis"].tolist() == ["derived", "derived", "analyst"]
    assert cur["quadrant"].tolist() == ["Star", "Strategic", "Status"]

    mv = matrix_movement(cur, prev)
    assert list(mv.index) == ["X", "Y", "Z"]
    assert mv["attractiveness_prev"].tolist()[:2] == approx([5.0, 5.0])
    # X moved (5,1) -> (5,2): 1 point, same quadrant; Y (5,1) -> (10,5): sqrt(25 + 16); Z is new
    assert mv.loc["X", "shift"] == approx(1.0)
    assert mv.loc["Y", "shift"] == approx(math.sqrt(41))
    assert math.isnan(mv.loc["Z", "shift"]) and pd.isna(mv.loc["Z", "quadrant_prev"])
    assert mv["quadrant_changed"].tolist() == [False, True, False]
    assert mv["movement"].tolist() == ["unchanged", "Star → Strategic", "new"]
    assert mv["name"].tolist() == ["Xeno", "Yarrow", "Zinc"]


def test_matrix_for_a_quarter_before_any_revenue_is_empty():
    d = make_dataset(MATRIX_DATA)
    prev = matrix_for_quarter(d, "2025Q4", ATTRACT, STRENGTH)
    assert prev.empty and {"attractiveness", "strength", "quadrant"} <= set(prev.columns)
    mv = matrix_movement(matrix_for_quarter(d, "2026Q1", ATTRACT, STRENGTH), prev)
    assert mv["movement"].tolist() == ["new", "new"]
    assert not mv["quadrant_changed"].any()


def test_build_portfolio_reports_the_strength_basis():
    s = build_portfolio(make_dataset(MATRIX_DATA), Settings(), Q).summary
    # no stakeholders table and the default strength weights use sentiment and coverage: X and Y are not
    # assessed (no strength, no quadrant); Z has the analyst's strength, so it is placed
    assert s["strength_basis"].tolist() == ["not assessed", "not assessed", "analyst"]
    assert s.loc["Z", "strength"] == 9.5 and s.loc[["X", "Y"], "strength"].isna().all()
    assert s.loc[["X", "Y"], "quadrant"].tolist() == ["Not assessed", "Not assessed"]
    assert s.loc["Z", "quadrant"] != "Not assessed"


# --- settings ------------------------------------------------------------------------------------

def test_depth_settings_defaults():
    s = Settings()
    assert s.candidates == Candidates(promote_growth=0.20, promote_potential_score=8.0, demote_growth=-0.10,
                                      demote_attainment=0.80, demote_score_margin=1.0)
    assert s.sensitivity == Sensitivity(delta=0.20)
    assert (s.stages.contacts_1, s.stages.contacts_2, s.stages.contacts_3) == (2, 4, 6)
    assert (s.stages.cooperative, s.stages.interdependent, s.stages.strategic) == (4, 7, 10)
    assert validate(s) == []


def test_depth_settings_override(tmp_path):
    s = load_settings(settings_file(tmp_path, "candidates:\n  promote_growth: 0.3\nstages:\n  strategic: 11\n"))
    assert s.candidates.promote_growth == 0.3 and s.candidates.demote_growth == -0.10
    assert s.stages.strategic == 11 and s.stages == Stages(strategic=11)
    assert s.sensitivity == Sensitivity()


@pytest.mark.parametrize("text,fragment", [
    ("candidates:\n  demote_growth: 0.25\n", "demote_growth < promote_growth"),
    ("candidates:\n  promote_potential_score: 11\n", "candidates.promote_potential_score"),
    ("candidates:\n  demote_attainment: 0\n", "candidates.demote_attainment"),
    ("candidates:\n  demote_score_margin: -1\n", "candidates.demote_score_margin"),
    ("sensitivity:\n  delta: 1\n", "sensitivity.delta"),
    ("sensitivity:\n  delta: 0\n", "sensitivity.delta"),
    ("stages:\n  contacts_1: 5\n", "contacts_1 <= contacts_2"),
    ("stages:\n  wallet_3: 1.5\n", "wallet_3 <= 1"),
    ("stages:\n  tenure_1: 0\n", "tenure_1"),
    ("stages:\n  strategic: 13\n", "strategic <= 12"),
    ("stages:\n  interdependent: 3\n", "cooperative <= interdependent"),
    ("stages:\n  high_potential: 10.5\n", "stages.high_potential"),
    ("stages:\n  contacts_2: 4.5\n", "stages.contacts_2"),             # a whole number
])
def test_depth_settings_one_problem_each(tmp_path, text, fragment):
    path = settings_file(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    problems = info.value.problems
    assert len(problems) == 1, str(info.value)
    assert fragment in problems[0].message and problems[0].source == str(path)
