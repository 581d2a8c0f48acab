"""The counts, shares and orderings the pages show, on small hand-made frames.

Each expected value is worked out by hand in the comment beside it; the helpers are pure
(``kamreports.analytics``: frames in, frames out, no formatting).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kamreports import open_portfolio
from kamreports.analytics.growth import off_track_count
from kamreports.analytics.health import band_counts, health_breakdown, weakest_first
from kamreports.analytics.portfolio import QUADRANTS, quadrant_counts, revenue_share
from kamreports.analytics.relationship import by_stage, stage_counts
from kamreports.analytics.selection import abc_table, team_overrides, top_promotions
from kamreports.analytics.whitespace import product_names, top_opportunities, whitespace_of

#   id   name   revenue_t4q  abc  key   quadrant    stage           health  band   full year   selection_reason
#   K1   Kite        500      A   yes   Strategic   Strategic        85     green  on track    selected: score 8.1
#   K2   Lark        300      A   yes   Star        Tactical         40     red    off track   included: board decision
#   K3   Moth        100      B   yes   Strategic   Interdependent   65     amber  off track   selected: score 7.0
#   O1   Newt         60      B   no    Status      Cooperative      nan    n/a    no target   excluded: in dispute
#   O2   Orca         40      C   no    Streamline  Tactical         72     green  at risk     score below 6
SUMMARY = pd.DataFrame({
    "name": ["Kite", "Lark", "Moth", "Newt", "Orca"],
    "revenue_t4q": [500.0, 300.0, 100.0, 60.0, 40.0],
    "abc_class": ["A", "A", "B", "B", "C"],
    "is_key": [True, True, True, False, False],
    "quadrant": ["Strategic", "Star", "Strategic", "Status", "Streamline"],
    "relationship_stage": ["Strategic", "Tactical", "Interdependent", "Cooperative", "Tactical"],
    "stage_guidance": ["Protect.", "Invest.", "Move up.", "Maintain.", "Serve."],
    "health_score": [85.0, 40.0, 65.0, np.nan, 72.0],
    "health_band": ["green", "red", "amber", "n/a", "green"],
    "fy_verdict": ["on track", "off track", "off track", "no target", "at risk"],
    "selection_reason": ["selected: score 8.1", "included: board decision", "selected: score 7.0",
                         "excluded: in dispute", "score below 6"],
}, index=pd.Index(["K1", "K2", "K3", "O1", "O2"], name="account_id"))
KEYS = SUMMARY[SUMMARY["is_key"]]


def test_abc_table_counts_and_shares_by_class():
    abc = abc_table(SUMMARY)
    assert abc.index.tolist() == ["A", "B", "C"]
    assert abc["accounts"].tolist() == [2, 2, 1]
    assert abc["revenue"].tolist() == [800.0, 160.0, 40.0]                      # 500+300, 100+60, 40
    assert abc["share"].tolist() == pytest.approx([0.8, 0.16, 0.04])            # of 1000


def test_revenue_share_of_the_key_accounts():
    assert revenue_share(KEYS, SUMMARY) == pytest.approx(0.9)                    # (500+300+100) / 1000
    assert revenue_share(SUMMARY.iloc[0:0], SUMMARY) == 0.0
    assert math.isnan(revenue_share(KEYS.iloc[0:0], SUMMARY.iloc[0:0]))          # no revenue at all: no share


def test_quadrant_counts_list_every_quadrant_in_the_matrix_order():
    counts = quadrant_counts(KEYS)
    assert counts["quadrant"].tolist() == ["Strategic", "Star", "Status", "Streamline"]
    assert counts["strategy"].tolist() == list(QUADRANTS.values())
    assert counts["accounts"].tolist() == [2, 1, 0, 0]                           # K1, K3 | K2 | - | -


def test_stage_counts_and_the_stage_order():
    counts = stage_counts(KEYS)
    assert counts.to_dict() == {"Tactical": 1, "Cooperative": 0, "Interdependent": 1, "Strategic": 1}
    assert list(counts.index) == ["Tactical", "Cooperative", "Interdependent", "Strategic"]
    assert stage_counts(SUMMARY).tolist() == [2, 1, 1, 1]                        # K2 and O2 are tactical
    ordered = by_stage(SUMMARY.loc[["K1", "K3", "O1", "K2"]])
    assert ordered.index.tolist() == ["K2", "O1", "K3", "K1"]                    # Tactical, Coop., Interdep., Strat.
    assert ordered.columns.tolist() == ["name", "relationship_stage", "quadrant", "stage_guidance"]


def test_band_counts_leave_out_accounts_without_a_score():
    assert band_counts(SUMMARY).to_dict() == {"green": 2, "amber": 1, "red": 1}  # O1 (n/a) not counted
    assert band_counts(KEYS.loc[["K1"]]).to_dict() == {"green": 1, "amber": 0, "red": 0}
    assert off_track_count(KEYS) == 2                                            # K2, K3
    assert off_track_count(SUMMARY.loc[["O1", "O2"]]) == 0


def test_weakest_first_puts_the_lowest_health_first_and_unscored_last():
    weakest = weakest_first(SUMMARY)
    assert weakest.index.tolist() == ["K2", "K3", "O2", "K1", "O1"]              # 40, 65, 72, 85, nan
    assert weakest.columns.tolist() == ["name", "health_score", "health_band", "fy_verdict", "relationship_stage"]


def test_health_breakdown_scores_and_weights_per_component():
    figures = pd.Series({"health_growth": 62.5, "health_attainment": 100.0, "health_nps": np.nan,
                         "health_engagement": 80.0, "health_coverage": 40.0, "health_risks": 70.0, "name": "x"})
    weights = {"growth": 30, "attainment": 30, "nps": 20, "engagement": 20}     # coverage and risks: none
    breakdown = health_breakdown(figures, weights)
    assert breakdown.index.tolist() == ["growth", "attainment", "nps", "engagement", "coverage", "risks"]
    assert breakdown["score"].tolist()[:2] == [62.5, 100.0] and math.isnan(breakdown.at["nps", "score"])
    assert breakdown["score"].tolist()[3:] == [80.0, 40.0, 70.0]
    assert breakdown["weight"].tolist() == [30, 30, 20, 20, 0, 0]


def test_top_promotions_by_potential_score():
    candidates = pd.DataFrame({"name": list("abcd"), "potential_score": [7.0, 9.5, 8.0, 6.0]})
    assert top_promotions(candidates, limit=2)["name"].tolist() == ["b", "c"]   # 9.5, 8.0
    assert top_promotions(candidates)["name"].tolist() == ["b", "c", "a", "d"]  # fewer than 10: all
    assert top_promotions(candidates.iloc[0:0]).empty


def test_team_overrides_are_the_included_and_excluded_accounts():
    assert team_overrides(SUMMARY).index.tolist() == ["K2", "O1"]


# whitespace: 3 accounts x 2 products (T4Q revenue); estimates for the cells not bought
MATRIX = pd.DataFrame({"P1": [100.0, 0.0, 50.0], "P2": [0.0, 20.0, 10.0]}, index=pd.Index(["K2", "O1", "K1"]))
ESTIMATES = pd.DataFrame({"account_id": ["K2", "O1"], "product_id": ["P2", "P1"], "estimate": [30.0, 5.0]})


def test_whitespace_of_keeps_the_order_asked_and_skips_unknown_accounts():
    matrix, estimates = whitespace_of(MATRIX, ESTIMATES, ["K1", "K3", "K2"])      # K3 has no row
    assert matrix.index.tolist() == ["K1", "K2"]
    assert matrix.loc["K1"].tolist() == [50.0, 10.0]
    assert estimates["account_id"].tolist() == ["K2"]                           # O1 is not asked for


def test_top_opportunities_rank_one_per_account_largest_first():
    ranked = pd.DataFrame({"account_id": ["K1", "K1", "K2", "K3", "O1"], "rank": [1, 2, 1, 1, 1],
                           "product": ["Core", "Support", "Training", "Core", "Hardware"],
                           "estimate": [120.0, 300.0, 450.0, 80.0, 999.0]})
    names = KEYS["name"]
    top = top_opportunities(ranked, names)
    # rank 1 of the key accounts only (O1 is not one; K1's rank 2 is larger but not its first): 450, 120, 80
    assert top[["account", "product", "estimate"]].values.tolist() == [["Lark", "Training", 450.0],
                                                                       ["Kite", "Core", 120.0],
                                                                       ["Moth", "Core", 80.0]]
    assert top_opportunities(ranked, names, limit=1)["account"].tolist() == ["Lark"]


def test_product_names():
    products = pd.DataFrame({"product_id": ["P1", "P2"], "name": ["Core", "Support"], "price": [1, 2]})
    assert product_names(products) == {"P1": "Core", "P2": "Support"}


def test_account_ids_match_whatever_their_case():
    assert open_portfolio().account("acc-0002").account_id == "ACC-0002"
