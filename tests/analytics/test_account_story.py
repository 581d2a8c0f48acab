"""Page one in words (analytics.account_story and analytics.portfolio_story): every sentence checked
against figures worked out here, edge cases included."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from kamreports.analytics.account_story import (
    changes_since,
    health_verdict_note,
    kpi_changes,
    next_actions,
    status_headline,
    suggested_decisions,
    top_risks,
)
from kamreports.analytics.portfolio_story import attention, decisions
from kamreports.data.plans import parse_plan
from kamreports.formatting import money

AS_OF = dt.date(2026, 9, 30)


def row(**values) -> pd.Series:
    base = {"fy_forecast": 13_580_000.0, "fy_annual_target": 13_853_700.0, "fy_verdict": "off track",
            "fy_forecast_low": 13_340_000.0, "fy_forecast_high": 13_820_000.0, "health_band": "green",
            "health_score": 81.47, "health_growth": 79.6, "health_attainment": 97.3, "health_nps": 70.0,
            "health_engagement": 97.2, "health_coverage": 100.0, "health_risks": 25.0, "attainment_q": 0.987,
            "is_key": True, "tier": "Tier 1", "quadrant": "Strategic", "relationship_stage": "Strategic"}
    return pd.Series({**base, **values}, dtype=object)


def test_status_headline_gives_the_gap_in_money_and_percent():
    # 13.58M - 13.8537M = -0.2737M; 13.58 / 13.8537 = 98.0%
    assert status_headline(row(), money) == ("Full year off track: $13.6M forecast against $13.9M target, "
                                             "−$273.7K, 98%.")
    on = row(fy_forecast=14_500_000.0, fy_verdict="on track")           # +646.3K, 104.7%
    assert status_headline(on, money) == "Full year on track: $14.5M forecast against $13.9M target, +$646.3K, 105%."
    risky = row(fy_verdict="at risk")
    assert "(range $13.3M to $13.8M)" in status_headline(risky, money)
    assert status_headline(row(fy_verdict="no target", fy_annual_target=float("nan")), money) == \
        "Full year: no target set; forecast $13.6M."


def test_health_and_verdict_disagree_only_with_the_reason():
    note = health_verdict_note(row())
    # the two highest components of a green account: coverage 100, then attainment 97
    assert note.startswith("Health is green (81 of 100) although the year is off track")
    assert "stakeholder coverage (100) and target attainment (97)" in note
    assert health_verdict_note(row(health_band="red", fy_verdict="off track")) is None      # they agree
    assert health_verdict_note(row(fy_verdict="on track")) is None                          # they agree
    low = health_verdict_note(row(health_band="amber", health_score=55.0, fy_verdict="on track"))
    assert "open risks (25) and customer score (70) score low" in low


def test_kpi_changes_since_the_previous_quarter():
    now = pd.Series({"revenue_q": 110.0, "attainment_q": 0.95, "yoy_growth": 0.05, "revenue_t4q": 400.0,
                     "gross_margin_pct": 0.40, "nps_avg": 7.5, "health_score": 70.0})
    before = pd.Series({"revenue_q": 100.0, "attainment_q": 1.00, "yoy_growth": 0.05, "revenue_t4q": 400.0,
                        "gross_margin_pct": 0.42, "nps_avg": float("nan"), "health_score": 75.4})
    out = kpi_changes(now, before, money)
    assert out["revenue_q"] == "+10.0% on the previous quarter"
    assert out["attainment_q"] == "−5 pts on the previous quarter"        # 95% - 100%
    assert out["yoy_growth"] == "unchanged on the previous quarter"
    assert out["gross_margin_pct"] == "−2 pts on the previous quarter"
    assert out["nps_avg"] is None                                         # no score then: no change claimed
    assert out["health_score"] == "−5 on the previous quarter"            # 70 - 75.4
    tiny = kpi_changes(now, pd.Series({**before, "health_score": 70.3, "gross_margin_pct": 0.4004}), money)
    assert tiny["health_score"] == tiny["gross_margin_pct"] == "unchanged on the previous quarter"   # never −0
    assert set(kpi_changes(now, None, money).values()) == {None}


def test_what_changed_names_each_move_or_says_nothing_did():
    before = row(tier="Tier 2", quadrant="Star", health_band="amber", health_score=68.0, is_key=False)
    assert changes_since(row(), before, "2026Q2") == [
        "Entered the key-account list.", "Tier: Tier 2 → Tier 1.", "Quadrant: Star → Strategic.",
        "Health band: amber → green.", "Health score 68 → 81."]
    assert changes_since(row(), row(), "2026Q2") == [
        "No change since 2026Q2 in tier, quadrant, relationship stage, health band or key-account status."]
    assert changes_since(row(), None, "2026Q2")[0].startswith("No figures for 2026Q2")


PLAN = parse_plan({"format": 2, "team": [{"name": "Ana", "role": "key account manager"}],
                   "risks": [{"risk": "low one", "likelihood": "low", "impact": "low"},
                             {"risk": "severe", "likelihood": "high", "impact": "high", "owner": "Ana",
                              "mitigation": "act"},
                             {"risk": "closed", "likelihood": "high", "impact": "high", "status": "closed"},
                             {"risk": "middle", "likelihood": "medium", "impact": "high"}],
                   "actions": [{"action": "late", "due": "2026-09-01", "status": "open"},
                               {"action": "very late", "due": "2026-08-01", "status": "open"},
                               {"action": "soon", "due": "2026-10-15"},
                               {"action": "later", "due": "2027-03-01"},
                               {"action": "done", "due": "2026-08-01", "status": "done"},
                               {"action": "next week", "due": "2026-10-05"}]}, "p.yaml", "A1")


def test_top_risks_rank_open_risks_by_likelihood_times_impact_then_the_data():
    risks = top_risks(PLAN, ["No champion is mapped."], count=3)
    assert risks["risk"].tolist() == ["severe", "middle", "low one"]     # 9, 6, 1; the closed one left out
    assert risks.loc[0, "owner"] == "Ana" and risks.loc[0, "mitigation"] == "act"
    more = top_risks(PLAN, ["No champion is mapped."], count=5)
    assert more["risk"].tolist()[-1] == "No champion is mapped." and more["source"].tolist()[-1] == "data"


def test_next_actions_overdue_first_then_due_soon():
    from kamreports.analytics.plan_progress import action_flags

    upcoming = next_actions(action_flags(PLAN, AS_OF), AS_OF, count=4)
    # overdue: very late (60 days), late (29 days); then due within 92 days: next week, soon; later is beyond
    assert upcoming["action"].tolist() == ["very late", "late", "next week", "soon"]


def test_suggested_decisions_quote_their_figures():
    plan = parse_plan({"format": 2, "team": [{"name": "Ana", "role": "delivery"}]}, "p.yaml", "A1")
    out = suggested_decisions(row(), plan, (True, 200), ["Grace Young (decision maker) is a detractor."], money)
    assert out == ["Agree how to close the $273.7K gap between the full-year forecast ($13.6M) and target ($13.9M).",
                   "Name an executive sponsor: the plan has none.",
                   "Review and approve the plan: last reviewed 200 days ago (due every 120).",
                   "Decide who re-engages Grace Young, who is a detractor in a deciding role."]
    from kamreports.data.plans import PlanInputs
    assert suggested_decisions(row(fy_verdict="on track"), PlanInputs(source=None), (True, None), [], money) == [
        "Agree an account plan with goals, actions and an executive sponsor."]


def test_attention_ranks_accounts_with_every_reason_and_figure():
    keys = pd.DataFrame({
        "name": ["A", "B", "C", "D"], "owner": ["Ana", "Bo", "Cy", "Di"],
        "fy_verdict": ["off track", "on track", "on track", "on track"],
        "fy_forecast": [90.0, 100.0, 100.0, 100.0], "fy_annual_target": [100.0, 90.0, 90.0, 90.0],
        "health_band": ["red", "green", "green", "green"], "health_score": [40.0, 80.0, 80.0, 80.0],
        "t4q_growth": [-0.05, 0.10, -0.001, 0.2], "revenue_t4q": [10.0, 40.0, 30.0, 20.0]},
        index=pd.Index(["A1", "A2", "A3", "A4"], name="account_id"))
    plans = pd.DataFrame({"has_plan": [True, False, True, True], "stale": [True, False, False, False],
                          "days_since_review": [200, None, 10, 10], "overdue_actions": [2, 0, 0, 0],
                          "goals_off_track": [0, 0, 0, 0], "has_sponsor": [True, True, True, True]},
                         index=keys.index)
    out = attention(keys, plans, money)
    assert out.index.tolist() == ["A1", "A2", "A3"]                    # A4 needs nothing
    assert out.loc["A1", "why"] == ("off track for the year: $90 forecast against $100 target (−$10); red health: 40 "
                                    "of 100; revenue down 5.0% over the last four quarters; 2 overdue actions; plan "
                                    "last reviewed 200 days ago")
    assert out.loc["A2", "why"] == "no agreed account plan"
    assert out.loc["A3", "why"] == "revenue down 0.1% over the last four quarters"   # any fall, with its figure
    none = decisions(pd.DataFrame(columns=["name"]), pd.DataFrame(columns=["name"]), pd.DataFrame(),
                     plans.iloc[0:0], 5, 15)
    assert none == ["No promotion, review, load or plan decision is due this quarter."]
    some = decisions(pd.DataFrame({"name": ["P", "Q"]}), pd.DataFrame({"name": ["R"]}),
                     pd.DataFrame({"load": ["overloaded", "within guideline"]}, index=["Kim", "Lee"]), plans, 5, 15)
    assert some == ["Promote? 2 other accounts meet the promotion rules: P, Q.",
                    "Review 1 key account for demotion: R.", "Rebalance: Kim looks after more than 15 key accounts.",
                    "Agree plans for the 1 key account without one.", "Have 1 stale plan reviewed."]
