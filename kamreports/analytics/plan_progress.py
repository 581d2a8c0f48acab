"""Where an account plan stands at the data's as-of date: goal status, overdue actions, a stale plan.

Pure functions: a plan (``data.plans.PlanInputs``) and the as-of date in, frames and values out.

Goal status
- "done" when the team marked it so.
- A numeric goal (baseline, target and actual all given) is measured against the straight-line
  path from its baseline, at its start (the goal's ``since``, else the plan's ``start``), to its
  target at its due date. At the as-of date the path expects
  ``expected = baseline + (target - baseline) x elapsed share`` (elapsed share clipped to 0..1);
  ``progress = (actual - baseline) / (expected - baseline)``. On track at ``on_track`` (100%) of
  the path or more, at risk from ``at_risk`` (80%), off track below. Past its due date and not
  met: off track. Before its start nothing is expected yet: on track. Goals that go down (a
  target below the baseline, such as fewer incidents) work the same way.
- A numeric goal without a start or due date cannot be placed on a path: it keeps the status the
  team wrote, and ``basis`` says why.
- Without numbers: the status the team wrote, or none.

An action is overdue when it is not done and its due date is before the as-of date. A plan is
stale when its last review is more than ``stale_after_days`` before the as-of date, or when it
has never been reviewed.

Across quarters: :func:`plan_snapshot` is what a quarter's record keeps of a plan (goal statuses,
actions done and overdue, stale, sponsor) and :func:`snapshot_progress` compares two snapshots:
goals and actions closed, added and dropped, overdue now against then.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data.plans import Goal, PlanInputs

GOAL_COLUMNS = ["id", "goal", "horizon", "owner", "due", "measure", "unit", "baseline", "target", "actual",
                "start", "expected", "progress", "status", "basis"]
ACTION_COLUMNS = ["action", "owner", "due", "status", "goal", "done", "overdue", "days_overdue"]


def _date(value: object) -> dt.date | None:
    return value if isinstance(value, dt.date) else None


def goal_status(goal: Goal, plan_start: dt.date | None, as_of: dt.date, on_track: float = 1.0,
                at_risk: float = 0.8) -> dict[str, object]:
    """One goal's status, the figures behind it and its basis (see the module doc)."""
    start, due = goal.since or plan_start, _date(goal.due)
    out: dict[str, object] = {"start": start, "expected": np.nan, "progress": np.nan}
    if goal.status == "done":
        return out | {"status": "done", "basis": "marked done by the team"}
    if not goal.numeric:
        return out | {"status": goal.status or "no status",
                      "basis": "the team's status" if goal.status else "no status given and nothing measured"}
    baseline, target, actual = float(goal.baseline), float(goal.target), float(goal.actual)  # type: ignore[arg-type]
    rising = target >= baseline
    met = actual >= target if rising else actual <= target
    if due is not None and due < as_of and not met:
        return out | {"status": "off track", "basis": f"past its due date ({due.isoformat()}) and not met"}
    if start is None or due is None:
        missing = "start date" if start is None else "due date"
        return out | {"status": goal.status or "no status",
                      "basis": f"not measured: no {missing} to draw the path (the team's status)"}
    if as_of <= start:
        return out | {"expected": baseline, "status": "on track", "basis": "not started yet: nothing expected"}
    span = (due - start).days
    share = 1.0 if span <= 0 else min(1.0, (as_of - start).days / span)
    expected = baseline + (target - baseline) * share
    progress = (actual - baseline) / (expected - baseline) if expected != baseline else 1.0
    status = "on track" if progress >= on_track - 1e-9 else "at risk" if progress >= at_risk - 1e-9 else "off track"
    return {"start": start, "expected": expected, "progress": progress, "status": status,
            "basis": "measured against the path from baseline to target"}


def goal_statuses(plan: PlanInputs, as_of: dt.date, on_track: float = 1.0, at_risk: float = 0.8) -> pd.DataFrame:
    """Every goal of the plan with its status (columns :data:`GOAL_COLUMNS`), in the plan's order."""
    rows = []
    for goal in plan.goals:
        rows.append({"id": goal.id, "goal": goal.goal, "horizon": goal.horizon, "owner": goal.owner,
                     "due": goal.due, "measure": goal.measure, "unit": goal.unit, "baseline": goal.baseline,
                     "target": goal.target, "actual": goal.actual}
                    | goal_status(goal, plan.start, as_of, on_track, at_risk))
    frame = pd.DataFrame(rows, columns=GOAL_COLUMNS)
    return frame.astype({c: "float64" for c in ("baseline", "target", "actual", "expected", "progress")})


def action_flags(plan: PlanInputs, as_of: dt.date) -> pd.DataFrame:
    """Every action with whether it is done and whether it is overdue (columns :data:`ACTION_COLUMNS`)."""
    rows = []
    for action in plan.actions:
        due = _date(action.due)
        overdue = not action.done and due is not None and due < as_of
        rows.append({"action": action.action, "owner": action.owner, "due": action.due, "status": action.status,
                     "goal": action.goal, "done": action.done, "overdue": overdue,
                     "days_overdue": (as_of - due).days if overdue else 0})
    return pd.DataFrame(rows, columns=ACTION_COLUMNS).astype({"done": bool, "overdue": bool, "days_overdue": int})


def plan_staleness(plan: PlanInputs, as_of: dt.date, stale_after_days: int = 120) -> tuple[bool, int | None]:
    """(stale, days since the last review); never reviewed is stale, with no day count."""
    last = plan.governance.last_review
    if last is None:
        return True, None
    days = (as_of - last).days
    return days > stale_after_days, days


# --- snapshots and progress between quarters ----------------------------------------------------

def _iso(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def plan_snapshot(plan: PlanInputs, as_of: dt.date, on_track: float = 1.0, at_risk: float = 0.8,
                  stale_after_days: int = 120) -> dict[str, object]:
    """What a quarter's record keeps of a plan (plain JSON data): each goal's id, text and computed
    status, each action's due date, done and overdue, whether the plan is stale, its executive
    sponsor. Why: plan files are edited in place and keep no history, so the next quarter can only
    say what was closed, added or became overdue by comparing with this snapshot."""
    goals = goal_statuses(plan, as_of, on_track, at_risk)
    actions = action_flags(plan, as_of)
    stale, days = plan_staleness(plan, as_of, stale_after_days)
    sponsor = plan.sponsor()
    return {
        "as_of": as_of.isoformat(), "source": plan.source, "stale": bool(stale), "days_since_review": days,
        "sponsor": sponsor.name if sponsor is not None else None,
        "goals": [{"id": str(g["id"] or ""), "goal": str(g["goal"]), "status": str(g["status"]), "due": _iso(g["due"])}
                  for g in goals.to_dict("records")],
        "actions": [{"action": str(a["action"]), "goal": str(a["goal"] or ""), "due": _iso(a["due"]),
                     "done": bool(a["done"]), "overdue": bool(a["overdue"])} for a in actions.to_dict("records")],
    }


PROGRESS_GOAL_COLUMNS = ["key", "goal", "status_then", "status_now", "change"]
PROGRESS_ACTION_COLUMNS = ["action", "goal", "due", "done_then", "done_now", "overdue_then", "overdue_now", "change"]


@dataclass
class PlanProgress:
    """What moved in one account's plan since the previous quarter's snapshot.

    ``available`` is False when there is nothing to compare (no snapshot then, or no plan either
    time); ``note`` then says why, in words a reader can act on. Goals are matched by id (by their
    text when they have none), actions by their text."""

    since: str | None
    available: bool
    note: str = ""
    goals_closed: int = 0          # done now, open then
    goals_added: int = 0
    goals_dropped: int = 0         # in the plan then, not now
    actions_closed: int = 0        # done now, not done then
    actions_added: int = 0
    actions_dropped: int = 0
    overdue_now: int = 0
    overdue_then: int = 0
    stale_now: bool | None = None
    stale_then: bool | None = None
    sponsor_now: str | None = None
    sponsor_then: str | None = None
    goals: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PROGRESS_GOAL_COLUMNS))
    actions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PROGRESS_ACTION_COLUMNS))


def _goal_key(goal: dict) -> str:
    return str(goal.get("id") or "") or str(goal.get("goal", ""))


def snapshot_progress(now: dict | None, then: dict | None, since: str | None) -> PlanProgress:
    """Goals and actions closed, added and dropped, and overdue actions now against then, between two
    :func:`plan_snapshot` results (``then`` from the previous quarter's record, ``since`` its quarter)."""
    if now is None and then is None:
        return PlanProgress(since, False, f"no plan in {since} and none now" if since else "no plan")
    if now is None:
        return PlanProgress(since, False, f"the plan of {since} has been removed: nothing to compare")
    note = "" if then is not None else f"no plan in {since}: every goal and action is new since then"
    then = then or {"goals": [], "actions": [], "stale": None, "sponsor": None}
    goals_then = {_goal_key(g): g for g in then.get("goals", [])}
    goals_now = {_goal_key(g): g for g in now.get("goals", [])}
    goal_rows = []
    for key in [*goals_now, *(k for k in goals_then if k not in goals_now)]:
        g_now, g_then = goals_now.get(key), goals_then.get(key)
        status_now = g_now["status"] if g_now else None
        status_then = g_then["status"] if g_then else None
        if g_then is None:
            change = "added"
        elif g_now is None:
            change = "dropped"
        elif status_now == "done" and status_then != "done":
            change = "closed"
        else:
            change = "status changed" if status_now != status_then else "unchanged"
        goal_rows.append({"key": key, "goal": (g_now or g_then)["goal"], "status_then": status_then,
                          "status_now": status_now, "change": change})
    actions_then = {str(a["action"]): a for a in then.get("actions", [])}
    actions_now = {str(a["action"]): a for a in now.get("actions", [])}
    action_rows = []
    for key in [*actions_now, *(k for k in actions_then if k not in actions_now)]:
        a_now, a_then = actions_now.get(key), actions_then.get(key)
        if a_then is None:
            change = "added"
        elif a_now is None:
            change = "dropped"
        elif a_now["done"] and not a_then["done"]:
            change = "closed"
        elif a_now["overdue"] and not a_then["overdue"]:
            change = "now overdue"
        else:
            change = "unchanged"
        either = a_now or a_then
        action_rows.append({"action": key, "goal": either.get("goal", ""), "due": either.get("due"),
                            "done_then": a_then["done"] if a_then else None,
                            "done_now": a_now["done"] if a_now else None,
                            "overdue_then": a_then["overdue"] if a_then else None,
                            "overdue_now": a_now["overdue"] if a_now else None, "change": change})
    goals = pd.DataFrame(goal_rows, columns=PROGRESS_GOAL_COLUMNS)
    actions = pd.DataFrame(action_rows, columns=PROGRESS_ACTION_COLUMNS)

    def count(frame: pd.DataFrame, change: str) -> int:
        return int((frame["change"] == change).sum())

    return PlanProgress(
        since=since, available=True, note=note,
        goals_closed=count(goals, "closed"), goals_added=count(goals, "added"), goals_dropped=count(goals, "dropped"),
        actions_closed=count(actions, "closed"), actions_added=count(actions, "added"),
        actions_dropped=count(actions, "dropped"),
        overdue_now=sum(bool(a["overdue"]) for a in actions_now.values()),
        overdue_then=sum(bool(a["overdue"]) for a in actions_then.values()),
        stale_now=now.get("stale"), stale_then=then.get("stale"),
        sponsor_now=now.get("sponsor"), sponsor_then=then.get("sponsor"), goals=goals, actions=actions)
