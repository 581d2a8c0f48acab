"""What the pages say where the data is missing or a figure is beyond the sane range (issue 16, item 3):
criteria left out or partly scored, relationships not assessed, attainment and growth too large to compare.
Expected texts are written out by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd

from kamreports import present as kp
from kamreports.analytics.portfolio import matrix_factor_gaps, matrix_factors
from kamreports.analytics.selection import criteria_coverage
from kamreports.config import Selection
from kamreports.formatting import NumberFormat
from kamreports.present.onepager import quadrant_label
from tests.present.test_present_pages import elements, rows, texts

FMT = NumberFormat()
WEIGHTS = {"revenue_volume": 30, "customer_tenure": 20, "product_fit": 50, "strategic_value": 0}


def scored_summary(**extra) -> pd.DataFrame:
    base = {"revenue_t4q": [100.0, 200.0, 300.0, 0.0], "tenure_years": [3.0, 1.0, 2.0, 4.0],
            "whitespace_value": [np.nan] * 4, "gross_margin_to_date": [np.nan] * 4, "avg_won_deal": [np.nan] * 4}
    return pd.DataFrame({**base, **extra}, index=["A", "B", "C", "D"])


def test_selection_rule_names_the_criteria_left_out_and_partly_scored():
    coverage = criteria_coverage(scored_summary(strategic_value=[7.0, np.nan, np.nan, np.nan]), WEIGHTS)
    rule = kp.selection_rule(Selection(criteria=WEIGHTS, threshold=6.0, max_key_accounts=20), coverage)
    # product fit: no account -> left out; 30 / 20 / 0 of the 50 kept -> 60 / 40 / 0
    assert elements(rule, "p") == [("muted", "Scored 1–10 on revenue volume 30%, customer tenure 20%, product fit "
                                             "50%, strategic value 0%. Left out for lack of data (no account has "
                                             "any): product fit (50%); the other weights are scaled up to 100: "
                                             "revenue volume 60%, customer tenure 40%, strategic value 0%. Scored at "
                                             "the mid-point 5.5 for the accounts without data: strategic value (3 of "
                                             "4 accounts have no data). Selected: score at least 6, at most 20.")]


def test_portfolio_summary_adds_one_line_only_when_the_gaps_change_the_key_list():
    summary = pd.DataFrame({"revenue_t4q": [300.0, 100.0], "is_key": [True, False], "quadrant": ["Star", "Star"]},
                           index=["A", "B"])
    coverage = criteria_coverage(scored_summary(), WEIGHTS)
    plain = texts(kp.portfolio_summary(summary, 0.75, "2026Q2", FMT), "li")
    changed = texts(kp.portfolio_summary(summary, 0.75, "2026Q2", FMT, (coverage, {"left_out": 3, "partly": 0})),
                    "li")
    assert changed[:-1] == plain
    # no product_fit nor strategic_value column: both left out
    assert changed[-1] == ("Selection: product fit and strategic value have no data for any account and are left "
                           "out of the selection score; counted at the mid-point 5.5 instead, 3 accounts would change "
                           "key status.")
    same = texts(kp.portfolio_summary(summary, 0.75, "2026Q2", FMT, (coverage, {"left_out": 0, "partly": 0})), "li")
    assert same == plain


def test_key_accounts_table_flags_figures_beyond_the_sane_range():
    keys = pd.DataFrame({"name": ["Tiny target", "Normal"], "owner": ["Kim", "Lee"], "tier": ["Tier 1", "Tier 2"],
                         "score": [8.04, 6.0], "revenue_t4q": [9_973.56, 5_000.0], "yoy_growth": [671.45, 0.05],
                         "attainment_q": [23.438, 0.987], "quadrant": ["Not assessed", "Star"],
                         "relationship_stage": ["Not assessed", "Tactical"]})
    assert rows(kp.key_accounts_table(keys, FMT)) == [
        ["Tiny target", "Kim", "Tier 1", "8.0", "$10.0K", "base too small to compare", "target too small to compare",
         "Not assessed", "Not assessed"],
        ["Normal", "Lee", "Tier 2", "6.0", "$5.0K", "+5%", "99%", "Star", "Tactical"]]
    # a wider range (report.sane_change: 1000, that is ±100,000%) prints them
    wide = rows(kp.key_accounts_table(keys, NumberFormat(sane_change=1000.0)))
    assert wide[0][5:7] == ["+67145%", "2344%"]


def test_quadrant_and_stage_counts_say_not_assessed():
    counts = pd.DataFrame({"quadrant": ["Strategic", "Not assessed"], "strategy": ["Invest", "Map them"],
                           "accounts": [3, 2]})
    assert rows(kp.quadrant_table(counts))[1] == ["Not assessed", "Map them", "2"]
    note = kp.stage_note(pd.Series([1, 0, 0, 0, 3], index=["Tactical", "Cooperative", "Interdependent",
                                                            "Strategic", "Not assessed"]))
    assert elements(note, "p")[0][1].endswith("1 Tactical, 0 Cooperative, 0 Interdependent, 0 Strategic, "
                                              "3 not assessed (no stakeholders mapped).")
    assert quadrant_label("Not assessed") == "relationship not assessed" and quadrant_label("Star") == "Star"


NO_STAKEHOLDERS = pd.DataFrame({"account_id": pd.Series(dtype=object), "role": pd.Series(dtype=object),
                                "influence": pd.Series(dtype="Int64"), "sentiment": pd.Series(dtype="Int64")})


def matrix_summary() -> pd.DataFrame:
    return pd.DataFrame({"whitespace_value": np.nan, "t4q_growth": [0.1, 0.2], "gross_margin_pct": [0.3, 0.4],
                         "revenue_t4q": [1.0, 2.0], "strategic_value": np.nan, "share_of_wallet": np.nan,
                         "tenure_years": [1.0, 2.0]}, index=["A", "B"])


def test_matrix_note_names_left_out_factors_and_unassessed_accounts():
    s = matrix_summary()
    gaps = matrix_factor_gaps(matrix_factors(s, NO_STAKEHOLDERS),
                              {"revenue_potential": 35, "growth": 25, "gross_margin": 20, "strategic_value": 20},
                              {"share_of_wallet": 35, "stakeholder_sentiment": 25, "stakeholder_coverage": 25,
                               "customer_tenure": 15})
    keys = pd.DataFrame({"quadrant": ["Not assessed", "Not assessed"]}, index=["A", "B"])
    note = kp.matrix_note(gaps, keys)
    assert elements(note, "p") == [("muted", "Attractiveness leaves out revenue potential and strategic value: no "
                                             "account has data for them, and the other weights are scaled up. "
                                             "Relationship strength leaves out share of wallet: no account has data "
                                             "for it, and the other weights are scaled up. 2 accounts have no "
                                             "stakeholders mapped: relationship strength not assessed, in no "
                                             "quadrant; drawn hollow, placed on tenure only.")]
    # nothing missing, everyone placed: no note
    full = gaps.assign(status="scored")
    assert kp.matrix_note(full, pd.DataFrame({"quadrant": ["Star"]})) is None


def test_the_plans_selection_table_names_left_out_and_unscored_criteria():
    from kamreports.present.plan import selection_scores_table
    from tests.present.test_present_pages import header, view

    criteria = {"revenue_volume": 40, "revenue_potential": 20, "customer_tenure": 10, "product_fit": 15,
                "strategic_value": 15}
    # order lines: no wallet estimate, no analyst scores -> three left out; 40 / 10 -> 80 / 20
    figures = {"score_revenue_volume": 8.0, "score_revenue_potential": np.nan, "score_customer_tenure": 10.0,
               "score_product_fit": np.nan, "score_strategic_value": np.nan, "score": 8.4, "unscored": "",
               "selection_reason": "score 8.4 ≥ 6 (rank 4)"}
    table, note = selection_scores_table(view(figures, criteria=criteria))
    assert header(table) == ["Criterion", "Weight", "Weight used", "Score (1–10)"]
    assert rows(table) == [["Revenue volume", "40%", "80%", "8.0"], ["Revenue potential", "20%", "left out", "no data"],
                           ["Customer tenure", "10%", "20%", "10.0"], ["Product fit", "15%", "left out", "no data"],
                           ["Strategic value", "15%", "left out", "no data"]]
    assert texts(note, "p") == ["Weighted score 8.4 of 10: score 8.4 ≥ 6 (rank 4). Left out of every account's "
                                "score, as no account has data for them: revenue potential, product fit, strategic "
                                "value; the other weights are scaled up to 100."]
    # partly missing for this account: the mid-point, said so; no "Weight used" column
    partly = {**figures, "score_revenue_potential": 3.0, "score_product_fit": 5.5, "score_strategic_value": 7.0,
              "unscored": "product_fit"}
    table, note = selection_scores_table(view(partly, criteria=criteria))
    assert header(table) == ["Criterion", "Weight", "Score (1–10)"]
    assert rows(table)[3] == ["Product fit", "15%", "not scored"]
    assert texts(note, "p")[0].endswith("Not scored for lack of data, and counted at the mid-point 5.5: product fit.")
