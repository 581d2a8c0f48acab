"""No figure invented from absence (issue 16, item 3): selection criteria with no data, partly missing
criteria, the sane range of attainment and growth. Every expected value is worked out by hand here.

Three accounts A, B, C: T4Q revenue 100, 200, 300 ranks 1, 5.5, 10; tenure 3, 1, 2 years ranks 10, 1, 5.5
(rank_score spreads ranks linearly over 1-10).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kamreports.analytics.account import derive_swot
from kamreports.analytics.account_story import kpi_changes
from kamreports.analytics.metrics import out_of_range
from kamreports.analytics.narrative import account_sentences, selection_gap_sentences, selection_gap_summary
from kamreports.analytics.selection import (
    assign_tiers,
    criteria_coverage,
    gap_effects,
    promotion_candidates,
    score_accounts,
    select_key_accounts,
)
from kamreports.config import load_settings
from kamreports.errors import ConfigError
from kamreports.formatting import NumberFormat, beyond, money
from tests.conftest import approx

WEIGHTS = {"revenue_volume": 30, "customer_tenure": 20, "product_fit": 50}


def summary(**extra) -> pd.DataFrame:
    base = {"revenue_t4q": [100.0, 200.0, 300.0], "tenure_years": [3.0, 1.0, 2.0],
            "whitespace_value": [np.nan] * 3, "gross_margin_to_date": [np.nan] * 3, "avg_won_deal": [np.nan] * 3}
    base.update(extra)
    return pd.DataFrame(base, index=pd.Index(["A", "B", "C"], name="account_id"))


# --- a criterion with no data for any account is left out ------------------------------------------------

def test_a_criterion_no_account_has_is_left_out_and_the_weights_renormalised():
    s = summary()                                    # no product_fit column at all
    coverage = criteria_coverage(s, WEIGHTS)
    assert coverage["status"].to_dict() == {"revenue_volume": "scored", "customer_tenure": "scored",
                                            "product_fit": "left out"}
    # 30 / 20 / 50 with the 50 left out -> 60 / 40
    assert coverage["weight_used"].to_dict() == approx({"revenue_volume": 60.0, "customer_tenure": 40.0,
                                                        "product_fit": 0.0})
    assert coverage["without_data"].to_dict() == {"revenue_volume": 0, "customer_tenure": 0, "product_fit": 3}
    scored = score_accounts(s, WEIGHTS)
    # A 0.6*1 + 0.4*10 = 4.6; B 0.6*5.5 + 0.4*1 = 3.7; C 0.6*10 + 0.4*5.5 = 8.2
    assert scored["score"].tolist() == approx([4.6, 3.7, 8.2])
    assert scored["score_product_fit"].isna().all()            # not a mid-point: no score at all
    assert scored["unscored"].tolist() == ["", "", ""]           # nothing counted at the mid-point


def test_counting_the_left_out_criterion_at_the_mid_point_would_change_the_key_list():
    s = summary()
    # the old rule: A 0.3*1 + 0.2*10 + 0.5*5.5 = 5.05; B 1.65 + 0.2 + 2.75 = 4.6; C 3 + 1.1 + 2.75 = 6.85
    # threshold 5: now only C (8.2); at the mid-point A (5.05) too -> one account changes
    assert gap_effects(s, WEIGHTS, threshold=5.0, cap=20) == {"left_out": 1, "partly": 0}
    # threshold 6: C either way
    assert gap_effects(s, WEIGHTS, threshold=6.0, cap=20) == {"left_out": 0, "partly": 0}
    coverage = criteria_coverage(s, WEIGHTS)
    assert selection_gap_summary(coverage, {"left_out": 1, "partly": 0}) == (
        "Selection: product fit has no data for any account and is left out of the selection score; counted at "
        "the mid-point 5.5 instead, 1 account would change key status.")
    assert selection_gap_summary(coverage, {"left_out": 0, "partly": 0}) is None
    assert selection_gap_sentences(coverage) == [
        "Left out for lack of data (no account has any): product fit (50%); the other weights are scaled up to "
        "100: revenue volume 60%, customer tenure 40%."]


def test_one_account_with_data_keeps_the_mid_point_for_the_others():
    s = summary(product_fit=[8.0, np.nan, np.nan])
    coverage = criteria_coverage(s, WEIGHTS)
    assert coverage.loc["product_fit", "status"] == "partly scored"
    assert coverage.loc["product_fit", "without_data"] == 2
    assert coverage["weight_used"].to_dict() == approx({"revenue_volume": 30.0, "customer_tenure": 20.0,
                                                        "product_fit": 50.0})
    scored = score_accounts(s, WEIGHTS)
    # A 0.3*1 + 0.2*10 + 0.5*8 = 6.3; B 1.65 + 0.2 + 2.75 = 4.6; C 3 + 1.1 + 2.75 = 6.85
    assert scored["score"].tolist() == approx([6.3, 4.6, 6.85])
    assert scored["score_product_fit"].tolist() == approx([8.0, 5.5, 5.5])
    assert scored["unscored"].tolist() == ["", "product_fit", "product_fit"]
    # threshold 6: key A and C. Missing fit at 1: B 2.35, C 4.6 -> only A (C flips); at 10: B 6.85, C 9.1 ->
    # all three (B flips): 2 accounts rest on data they do not have
    assert gap_effects(s, WEIGHTS, threshold=6.0, cap=20) == {"left_out": 0, "partly": 2}
    assert selection_gap_sentences(coverage) == [
        "Scored at the mid-point 5.5 for the accounts without data: product fit (2 of 3 accounts have no data)."]
    assert selection_gap_summary(coverage, {"left_out": 0, "partly": 2}) == (
        "Selection: 2 accounts would change key status if product fit, scored at the mid-point 5.5 where missing, "
        "were scored 1 or 10 instead.")


def test_every_account_with_data_is_scored_as_entered():
    s = summary(product_fit=[8.0, 2.0, 5.0])
    assert set(criteria_coverage(s, WEIGHTS)["status"]) == {"scored"}
    # A 0.3 + 2 + 4 = 6.3; B 1.65 + 0.2 + 1 = 2.85; C 3 + 1.1 + 2.5 = 6.6
    assert score_accounts(s, WEIGHTS)["score"].tolist() == approx([6.3, 2.85, 6.6])
    assert gap_effects(s, WEIGHTS, threshold=6.0, cap=20) == {"left_out": 0, "partly": 0}
    assert selection_gap_sentences(criteria_coverage(s, WEIGHTS)) == []


def test_no_criterion_with_data_scores_nobody():
    s = summary()
    weights = {"product_fit": 50, "strategic_value": 50}
    scored = score_accounts(s, weights)
    assert scored["score"].isna().all()
    assert assign_tiers(scored["score"], 7.5, 5.5).tolist() == ["Not scored"] * 3
    chosen = select_key_accounts(scored, s["revenue_t4q"], 6.0, 20, include={"B": "the team's pick"})
    assert chosen["is_key"].tolist() == [False, True, False]
    assert chosen.loc["A", "selection_reason"] == "not scored: no selection criterion has data"
    assert selection_gap_sentences(criteria_coverage(s, weights)) == [
        "No criterion has data for any account, so no account is scored: only the accounts the team includes are "
        "key accounts."]


def test_key_accounts_follow_revenue_when_no_other_criterion_has_data():
    s = pd.DataFrame({"revenue_t4q": [50.0, 400.0, 10.0, 300.0, 200.0], "tenure_years": [np.nan] * 5,
                      "whitespace_value": [np.nan] * 5, "gross_margin_to_date": [np.nan] * 5,
                      "avg_won_deal": [np.nan] * 5}, index=list("VWXYZ"))
    weights = {"revenue_volume": 40, "revenue_potential": 20, "customer_tenure": 10, "product_fit": 15,
               "strategic_value": 15}
    scored = score_accounts(s, weights)
    # revenue alone: ranks 2, 5, 1, 4, 3 of 5 -> 1 + 9 * (rank - 1) / 4 = 3.25, 10, 1, 7.75, 5.5
    assert scored["score"].tolist() == approx([3.25, 10.0, 1.0, 7.75, 5.5])
    key = select_key_accounts(scored, s["revenue_t4q"], 5.5, 2)["is_key"]
    assert list(key[key].index) == ["W", "Y"]                 # the two largest by revenue


# --- the sane range: attainment and growth -------------------------------------------------------------------

def test_beyond_the_sane_range():
    assert beyond(611.42) and beyond(-11.0) and beyond(10.0001)
    assert not beyond(10.0) and not beyond(-1.0) and not beyond(float("nan")) and not beyond(None)
    assert beyond(2.5, limit=2.0) and not beyond(2.5, limit=3.0)
    fmt = NumberFormat()
    assert fmt.attainment(611.42) == "target too small to compare" and fmt.attainment(1.234) == "123%"
    assert fmt.growth(671.45) == "base too small to compare" and fmt.growth(-0.25) == "-25.0%"
    assert fmt.growth(0.123, 0) == "+12%" and fmt.attainment(float("nan")) == "–"
    assert NumberFormat(sane_change=1.0).attainment(1.5) == "target too small to compare"


def test_out_of_range_names_the_figures_beyond_it():
    s = pd.DataFrame({"attainment_q": [611.42, 1.0, np.nan], "qoq_growth": [0.1, 12.0, np.nan],
                      "yoy_growth": [671.45, -1.0, np.nan], "t4q_growth": [0.5, 10.0, np.nan]}, index=["A", "B", "C"])
    assert out_of_range(s).tolist() == ["attainment_q, yoy_growth", "qoq_growth", ""]   # 10.0 exactly is in range
    assert out_of_range(s, limit=0.4).tolist() == ["attainment_q, yoy_growth, t4q_growth",
                                                   "attainment_q, qoq_growth, yoy_growth, t4q_growth", ""]


FIGURES = pd.Series({"revenue_q": 12_000.0, "revenue_t4q": 30_000.0, "target_q": 19.6, "attainment_q": 612.24,
                     "yoy_growth": 671.45, "revenue_yago_q": 17.85, "quarters_active": 6, "stakeholders": 0,
                     "t4q_growth": 40.0, "gross_margin_pct": np.nan, "gross_margin_pct_prior": np.nan,
                     "nps_avg": np.nan, "whitespace_value": np.nan, "open_pipeline": 0.0})


def test_account_sentences_do_not_quote_a_figure_beyond_the_range():
    assert account_sentences(FIGURES, [], "2024Q4", money) == [
        "Revenue in 2024Q4 was $12.0K, $30.0K over the last four quarters.",
        "The quarter's target of $20 is too small to compare with the revenue: attainment is not measured.",
        "Revenue is up on the same quarter last year, whose $18 is too small a base to compare.",
        "The relationship is not assessed: no stakeholders are mapped."]
    # a wider range quotes them
    wide = account_sentences(FIGURES, [], "2024Q4", money, limit=1000.0)
    assert wide[1] == "That is 61224% of the quarter's target of $20, ahead of plan."
    assert wide[2] == "Revenue is up 67145% on the same quarter last year."


def test_swot_and_promotion_reasons_do_not_quote_it_either():
    swot = derive_swot(FIGURES, set(), {}, [], money)
    assert [i.text for i in swot["strengths"]] == [
        "Revenue up on the prior four quarters, from a base too small to compare.",
        "Quarter revenue above a target too small to compare."]
    s = pd.DataFrame({"name": ["Tiny", "Steady"], "is_key": [False, False], "t4q_growth": [40.0, 0.25],
                      "whitespace_value": [np.nan, np.nan], "score": [5.0, 5.0], "revenue_t4q": [100.0, 90.0]},
                     index=["T", "S"])
    reasons = promotion_candidates(s)["reason"].to_dict()
    assert reasons == {"T": "Revenue up on the prior four quarters from a base too small to compare (promote at 20% "
                            "or more)",
                       "S": "Revenue up 25% on the prior four quarters (promote at 20% or more)"}


def test_kpi_changes_leave_out_a_change_beyond_the_range():
    previous = pd.Series({"revenue_q": 10_000.0, "attainment_q": 1.0, "yoy_growth": 0.1})
    changes = kpi_changes(FIGURES, previous, money)
    assert changes["attainment_q"] is None and changes["yoy_growth"] is None
    assert changes["revenue_q"] == "+20.0% on the previous quarter"


@pytest.mark.parametrize("value", ["-1", "0", ".nan", ".inf", "ten"])
def test_the_sane_range_setting_is_checked(tmp_path, value):
    path = tmp_path / "s.yaml"
    path.write_text(f"report:\n  sane_change: {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert any("report.sane_change" in p.message for p in info.value.problems)


def test_the_sane_range_setting_defaults_to_1000_percent(tmp_path):
    assert load_settings().report.sane_change == 10.0
    path = tmp_path / "s.yaml"
    path.write_text("report:\n  sane_change: 2.5\n", encoding="utf-8")
    assert load_settings(path).report.sane_change == 2.5
    assert not math.isnan(load_settings(path).report.sane_change)


# --- one population for the portfolio's figures (issue 16, item 4) ---------------------------------------

def test_summary_pareto_abc_and_roi_csv_count_the_same_accounts():
    from kamreports.analytics.narrative import portfolio_sentences
    from kamreports.analytics.selection import abc_table
    from tests.analytics.test_summary_sentences import company
    from tests.conftest import Q

    # four accounts sold in the last four quarters; D1 and D2 only in 2024Q2, before both windows
    accounts = [dict(id="K1", owner="Ann", prior=500, current=600, cost=5),
                dict(id="O1", owner="Bob", prior=100, current=110, cost=1),
                dict(id="O2", owner="Bob", prior=80, current=70, cost=1),
                dict(id="O3", owner="Bob", prior=60, current=66),
                dict(id="D1", owner="Bob", old=900.0), dict(id="D2", owner="Bob", old=50.0)]
    p = company(accounts, ["K1"])
    assert len(p.summary) == 6                                  # every account with revenue up to the quarter
    roi = p.roi.table.set_index(["quarter", "group", "metric"])["value"]
    counted = {"pareto": len(p.pareto), "abc": int(abc_table(p.summary)["accounts"].sum()),
               "roi.csv": int(roi[(Q, "all", "accounts")])}
    assert counted == {"pareto": 4, "abc": 4, "roi.csv": 4}
    # the summary says the same 4, and how many it leaves out
    assert portfolio_sentences(p.summary, p.top20_share, Q, money)[0].startswith(
        "4 accounts had revenue in the last four quarters (2025Q3-2026Q2): $3.4K in all. 2 accounts with revenue "
        "only before then are not counted in these figures.")
