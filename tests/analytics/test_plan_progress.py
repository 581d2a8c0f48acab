"""Where a plan stands: goal status, overdue actions, a stale plan (reading plan files: tests/data/test_plans.py).

Every expected value is worked out by hand in the comment beside it.
"""
from __future__ import annotations

import datetime as dt

import pytest

from kamreports.analytics.plan_progress import action_flags, goal_status, goal_statuses, plan_staleness
from kamreports.data.plans import Goal, PlanInputs, parse_plan
from kamreports.errors import ConfigError

AS_OF = dt.date(2026, 9, 30)
START = dt.date(2026, 1, 1)       # 272 days before AS_OF; 364 days before 2026-12-31
D = dt.date


def goal(**kw) -> Goal:
    return Goal(**({"goal": "g", "baseline": 100.0, "target": 200.0, "due": D(2026, 12, 31)} | kw))


# --- goal status --------------------------------------------------------------------------------

@pytest.mark.parametrize("actual, status, progress", [
    (180.0, "on track", 80 / (100 * 272 / 364)),     # expected 174.73: 80 / 74.73 = 1.071
    (170.0, "at risk", 70 / (100 * 272 / 364)),      # 70 / 74.73 = 0.937: from 80% to 100%
    (159.0, "off track", 59 / (100 * 272 / 364)),    # 59 / 74.73 = 0.790: below 80%
    (150.0, "off track", 50 / (100 * 272 / 364)),    # 0.669
])
def test_numeric_goal_against_the_straight_line_path(actual, status, progress):
    out = goal_status(goal(actual=actual), START, AS_OF)
    assert out["status"] == status
    assert out["expected"] == pytest.approx(100 + 100 * 272 / 364)
    assert out["progress"] == pytest.approx(progress)


def test_exactly_eighty_percent_of_the_path_is_at_risk_not_off_track():
    expected_gain = 100 * 272 / 364
    assert goal_status(goal(actual=100 + 0.8 * expected_gain), START, AS_OF)["status"] == "at risk"


def test_a_goal_that_goes_down_is_measured_the_same_way():
    # incidents from 20 to 10: expected 20 - 10 x 272/364 = 12.53; at 12, progress 8 / 7.47 = 1.07
    out = goal_status(goal(baseline=20.0, target=10.0, actual=12.0), START, AS_OF)
    assert out["status"] == "on track" and out["progress"] == pytest.approx(8 / (10 * 272 / 364))
    assert goal_status(goal(baseline=20.0, target=10.0, actual=19.0), START, AS_OF)["status"] == "off track"


def test_past_due_and_not_met_is_off_track_met_is_on_track():
    late = goal(due=D(2026, 6, 30), actual=199.0)
    assert goal_status(late, START, AS_OF) | {} == goal_status(late, START, AS_OF)
    out = goal_status(late, START, AS_OF)
    assert out["status"] == "off track" and "past its due date (2026-06-30)" in out["basis"]
    assert goal_status(goal(due=D(2026, 6, 30), actual=200.0), START, AS_OF)["status"] == "on track"


def test_done_before_numbers_and_team_status_without_them():
    assert goal_status(goal(actual=100.0, status="done"), START, AS_OF)["status"] == "done"
    assert goal_status(Goal(goal="win Porto", status="at risk"), START, AS_OF)["status"] == "at risk"
    out = goal_status(Goal(goal="win Porto"), START, AS_OF)
    assert out["status"] == "no status" and "nothing measured" in out["basis"]


def test_no_start_means_not_measured_and_the_teams_status_stays():
    out = goal_status(goal(actual=150.0, status="on track"), None, AS_OF)
    assert out["status"] == "on track" and "no a start date" not in out["basis"] and "start date" in out["basis"]
    assert goal_status(goal(actual=150.0, since=START), None, AS_OF)["status"] == "off track"   # own start


def test_before_its_start_nothing_is_expected():
    out = goal_status(goal(actual=100.0, since=D(2026, 10, 1)), START, AS_OF)
    assert out["status"] == "on track" and out["expected"] == 100.0


def test_goal_statuses_and_thresholds_from_the_settings():
    plan = PlanInputs(start=START, goals=(goal(id="G1", actual=170.0), Goal(goal="x")))
    frame = goal_statuses(plan, AS_OF)
    assert frame["status"].tolist() == ["at risk", "no status"]
    assert goal_statuses(plan, AS_OF, on_track=0.9, at_risk=0.5)["status"].tolist() == ["on track", "no status"]


# --- actions and staleness ----------------------------------------------------------------------

def test_overdue_actions_are_not_done_and_due_before_the_as_of_date(tmp_path):
    plan = parse_plan({"format": 2, "goals": [{"id": "G1", "goal": "g"}], "actions": [
        {"action": "a", "due": "2026-09-29", "status": "open"},          # 1 day overdue
        {"action": "b", "due": "2026-09-30", "status": "open"},          # due today: not overdue
        {"action": "c", "due": "2026-07-01", "status": "Completed"},     # done
        {"action": "d", "due": "2026-08-01", "goal": "G1"},              # no status: 60 days overdue
    ]}, "p.yaml", "A1")
    flags = action_flags(plan, AS_OF)
    assert flags["overdue"].tolist() == [True, False, False, True]
    assert flags["days_overdue"].tolist() == [1, 0, 0, 60]
    assert flags["done"].tolist() == [False, False, True, False]


def test_a_format_1_due_date_written_as_text_is_kept_and_never_overdue(tmp_path):
    plan = parse_plan({"actions": [{"action": "a", "due": "end of Q4", "status": "open"}]}, "p.yaml", "A1")
    assert plan.format == 1 and plan.actions[0].due == "end of Q4"
    assert not action_flags(plan, AS_OF)["overdue"].any()
    with pytest.raises(ConfigError, match=r"'actions\[1\].due' must be a date"):
        parse_plan({"format": 2, "actions": [{"action": "a", "due": "end of Q4"}]}, "p.yaml", "A1")


@pytest.mark.parametrize("review, stale, days", [(None, True, None), (D(2026, 6, 2), False, 120),
                                                 (D(2026, 6, 1), True, 121), (D(2026, 9, 30), False, 0)])
def test_stale_plan_after_stale_after_days(review, stale, days):
    plan = parse_plan({"format": 2, "governance": {"last_review": review}}, "p.yaml", "A1")
    assert plan_staleness(plan, AS_OF, 120) == (stale, days)
