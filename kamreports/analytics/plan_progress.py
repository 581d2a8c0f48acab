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
"""
from __future__ import annotations

import datetime as dt

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
