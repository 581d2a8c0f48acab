"""The history of a portfolio: earlier quarters' views, the timeline, key-list changes per quarter,
movement, fingerprints and plan progress between two snapshots; worked out by hand.

The summaries are those of tests/analytics/test_movement.py: 2026Q2 = BEFORE (threshold 6, cap 20),
2026Q3 = AFTER (threshold 6.5, cap 15). 2026Q1 is BEFORE with B already key (score 6.1) and no H.
"""
from __future__ import annotations

import datetime as dt

import numpy as np

from kamreports.analytics.history import (
    KEY_CHANGE_COLUMNS,
    TIMELINE_COLUMNS,
    History,
    QuarterView,
    quarter_runs,
)
from kamreports.analytics.plan_progress import plan_snapshot, snapshot_progress
from kamreports.data.plans import parse_plan
from tests.analytics.test_movement import AFTER, BEFORE

Q1 = BEFORE.drop(index="H").assign(
    is_key=lambda f: f.index.isin(["A", "B", "C", "D", "G", "I"]),
    score=lambda f: f["score"].where(f.index != "B", 6.1),
    selection_reason=lambda f: f["selection_reason"].where(f.index != "B", "score 6.1 ≥ 6 (rank 6)"))


def history(quarters: dict[str, QuarterView] | None = None, **kw) -> History:
    views = quarters if quarters is not None else {
        "2026Q1": QuarterView("2026Q1", "as reported", Q1, 6.0, 20, created="2026-04-05T06:00:00+00:00"),
        "2026Q2": QuarterView("2026Q2", "recomputed", BEFORE, 6.0, 20)}
    return History("2026Q3", QuarterView("2026Q3", "this quarter", AFTER, 6.5, 15), views, **kw)


def test_the_previous_quarter_and_what_the_pages_say_of_the_sources():
    h = history()
    assert h.previous.quarter == "2026Q2" and h.previous.source == "recomputed"
    assert h.describe() == ("Earlier quarters: 2026Q1 as reported then; 2026Q2 recomputed from today's data with "
                            "today's settings.")
    assert h.key_sources() == {"2026Q1": "as reported", "2026Q2": "recomputed"}
    assert h.key_lists()["2026Q1"].to_dict() == {"A": True, "B": True, "C": True, "D": True, "F": False, "G": True,
                                                 "I": True}


def test_timeline_is_long_and_oldest_first():
    t = history().timeline
    assert list(t.columns) == TIMELINE_COLUMNS
    assert len(t) == len(Q1) + len(BEFORE) + len(AFTER)          # 7 + 8 + 8
    a = history().account_timeline("A")
    assert a["quarter"].tolist() == ["2026Q1", "2026Q2", "2026Q3"]
    assert a["health_score"].tolist() == [60.0, 60.0, 72.0] and a["quadrant"].tolist() == ["Star", "Star", "Strategic"]
    assert a["source"].tolist() == ["as reported", "recomputed", "this quarter"]
    e = history().account_timeline("E")
    assert e["quarter"].tolist() == ["2026Q3"] and np.isnan(e.loc[0, "health_score"])
    assert str(t["is_key"].dtype) == "boolean"


def test_key_changes_of_every_quarter_with_its_own_threshold_and_cap():
    k = history().key_changes
    assert list(k.columns) == KEY_CHANGE_COLUMNS
    q2 = k[k["quarter"] == "2026Q2"].set_index("account_id")
    # 2026Q1 -> 2026Q2 (threshold 6 both): B fell from 6.1 to 5.8; H is new and key by the team's include
    assert q2["change"].to_dict() == {"H": "entered", "B": "left"}
    assert q2.loc["B", "reason"] == "score fell to 5.8 from 6.1 (threshold 6)"
    assert q2.loc["H", "reason"] == "team override now: pilot site"
    assert (q2["source"] == "recomputed").all() and (q2["prev_source"] == "as reported").all()
    q3 = k[k["quarter"] == "2026Q3"].set_index("account_id")
    assert sorted(q3.index) == ["B", "C", "D", "E", "G", "H", "I"]
    assert q3.loc["D", "reason"] == "threshold changed from 6 to 6.5 (score 6.3 → 6.3)"
    assert (q3["threshold"] == 6.5).all() and (q3["cap"] == 15).all() and (q3["prev_source"] == "recomputed").all()
    assert "2026Q1" not in set(k["quarter"])            # nothing before it to compare with
    o = history().overview.set_index("quarter")
    assert o["entered"].to_dict() == {"2026Q1": 0, "2026Q2": 1, "2026Q3": 2}
    assert o["left"].to_dict() == {"2026Q1": 0, "2026Q2": 1, "2026Q3": 5}
    assert o.loc["2026Q3", "key_accounts"] == 3 and o.loc["2026Q1", "created"] == "2026-04-05T06:00:00+00:00"


def test_a_missing_previous_quarter_is_never_replaced_by_an_earlier_one():
    only_q1 = {"2026Q1": QuarterView("2026Q1", "as reported", Q1, 6.0, 20)}
    h = history(only_q1)
    assert h.previous is None
    assert set(h.movement["key_change"]) == {"unknown"}
    assert h.key_changes.empty and h.transitions("quadrant").empty
    assert not h.plan_progress("A").available and "2026Q2" in h.plan_progress("A").note


def test_movement_and_transitions_against_the_previous_quarter():
    h = history()
    assert h.movement.loc["B", "key_change"] == "entered"
    assert h.transitions("health_band").set_index(["from", "to"])["accounts"].to_dict()[("amber", "green")] == 1
    assert h.health_driver("A") == ("growth", 30.0)
    assert h.health_driver("E") is None


def test_frames_handed_out_are_copies():
    h = history()
    mine = h.timeline
    mine.loc[0, "quadrant"] = "changed"
    assert h.timeline.loc[0, "quadrant"] != "changed"


def test_fingerprints_follow_what_each_pack_can_show():
    base = history()
    changed_b = BEFORE.copy()
    changed_b.loc["B", "health_score"] = 99.0
    other = history({"2026Q1": base.quarters["2026Q1"],
                     "2026Q2": QuarterView("2026Q2", "recomputed", changed_b, 6.0, 20)})
    assert other.fingerprint("B") != base.fingerprint("B")
    assert other.fingerprint() != base.fingerprint()
    assert other.fingerprint("A") == base.fingerprint("A")        # A's history did not change
    as_reported = history({"2026Q1": base.quarters["2026Q1"],
                           "2026Q2": QuarterView("2026Q2", "as reported", BEFORE, 6.0, 20, created="x")})
    assert as_reported.fingerprint("A") != base.fingerprint("A")   # the same figures, but now as reported
    assert history().fingerprint("A") == base.fingerprint("A")


def test_quarter_runs():
    assert quarter_runs(["2026Q2", "2025Q3", "2025Q4", "2026Q1"]) == "2025Q3-2026Q2"
    assert quarter_runs(["2024Q1", "2025Q3", "2025Q4"]) == "2024Q1, 2025Q3-2025Q4"


# --- plan progress between two snapshots --------------------------------------------------------

PLAN = {"start": "2026-01-01", "governance": {"last_review": "2026-03-01"},
        "team": [{"name": "Ann Lee", "role": "executive sponsor"}],
        "goals": [{"id": "G1", "goal": "Grow revenue 10%", "due": "2026-12-31", "status": "on track"},
                  {"id": "G2", "goal": "Second plant live", "due": "2026-09-30", "status": "at risk"}],
        "actions": [{"action": "Site survey", "due": "2026-05-15", "status": "open"},
                    {"action": "QBR with the COO", "due": "2026-06-20", "status": "open"},
                    {"action": "Pricing proposal", "due": "2026-08-15", "status": "open"}]}


def test_plan_snapshot_is_what_the_record_keeps():
    snap = plan_snapshot(parse_plan(PLAN, "plan.yaml", "A"), dt.date(2026, 6, 30), stale_after_days=120)
    # review on 2026-03-01: 121 days before 2026-06-30, over the 120 allowed: stale
    assert snap["stale"] is True and snap["days_since_review"] == 121 and snap["sponsor"] == "Ann Lee"
    assert [g["status"] for g in snap["goals"]] == ["on track", "at risk"]
    # due 2026-05-15 and 2026-06-20, not done: overdue at 2026-06-30; 2026-08-15 not yet
    assert [a["overdue"] for a in snap["actions"]] == [True, True, False]
    assert snap["as_of"] == "2026-06-30" and snap["goals"][0]["due"] == "2026-12-31"


def test_progress_between_two_snapshots_by_hand():
    then = plan_snapshot(parse_plan(PLAN, "plan.yaml", "A"), dt.date(2026, 6, 30))
    later = dict(PLAN, governance={"last_review": "2026-09-01"},
                 goals=[{"id": "G1", "goal": "Grow revenue 10%", "due": "2026-12-31", "status": "on track"},
                        {"id": "G2", "goal": "Second plant live", "due": "2026-09-30", "status": "done"},
                        {"id": "G3", "goal": "Joint innovation day", "due": "2027-03-31", "status": "on track"}],
                 actions=[{"action": "Site survey", "due": "2026-05-15", "status": "done"},
                          {"action": "QBR with the COO", "due": "2026-06-20", "status": "open"},
                          {"action": "Reference visit", "due": "2026-09-01", "status": "open"}])
    now = plan_snapshot(parse_plan(later, "plan.yaml", "A"), dt.date(2026, 9, 30))
    p = snapshot_progress(now, then, "2026Q2")
    # goals: G2 done now (closed), G3 new (added); actions: the survey is done (closed), the visit is new
    # (added), the pricing proposal is gone (dropped); overdue now: the QBR (due 06-20) and the visit
    # (due 09-01) = 2; then: the survey and the QBR = 2
    assert p.available and p.since == "2026Q2" and p.note == ""
    assert (p.goals_closed, p.goals_added, p.goals_dropped) == (1, 1, 0)
    assert (p.actions_closed, p.actions_added, p.actions_dropped) == (1, 1, 1)
    assert (p.overdue_now, p.overdue_then) == (2, 2)
    assert (p.stale_now, p.stale_then) == (False, True)   # reviewed 29 days before 2026-09-30
    assert p.goals.set_index("key")["change"].to_dict() == {"G1": "unchanged", "G2": "closed", "G3": "added"}
    assert p.actions.set_index("action")["change"].to_dict() == {
        "Site survey": "closed", "QBR with the COO": "unchanged", "Reference visit": "added",
        "Pricing proposal": "dropped"}


def test_progress_without_a_plan_then_or_at_all():
    now = plan_snapshot(parse_plan(PLAN, "plan.yaml", "A"), dt.date(2026, 9, 30))
    fresh = snapshot_progress(now, None, "2026Q2")
    assert fresh.available and fresh.goals_added == 2 and fresh.actions_added == 3 and "no plan in 2026Q2" in fresh.note
    assert not snapshot_progress(None, None, "2026Q2").available


def test_history_plan_progress_uses_the_previous_quarters_snapshot():
    then = plan_snapshot(parse_plan(PLAN, "plan.yaml", "A"), dt.date(2026, 6, 30))
    views = {"2026Q2": QuarterView("2026Q2", "as reported", BEFORE, 6.0, 20, plans={"A": then})}
    h = history(views, current_plan=lambda a: then if a == "A" else None)
    p = h.plan_progress("A")
    assert p.available and p.since == "2026Q2" and p.goals_closed == 0 and p.actions_added == 0
    recomputed = history({"2026Q2": QuarterView("2026Q2", "recomputed", BEFORE, 6.0, 20)})
    note = recomputed.plan_progress("A").note
    assert "no plan snapshot for 2026Q2" in note and "plan files keep no history" in note
