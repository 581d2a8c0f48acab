"""Page one of an account plan, in words: where the account stands and what to decide.

Pure functions: the account's row of the portfolio summary (this quarter's and, when known, the
previous quarter's), its plan and the flags the plan and the data raise, in; sentences and small
frames out. Every sentence quotes the figure it rests on, the same figure the page shows, and
says which window or population it means where two could be meant.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd

from ..data.plans import PlanInputs
from ..formatting import SANE_CHANGE, beyond
from .metrics import CHANGE_COLUMNS

Money = Callable[[object], str]
LEVEL = {"high": 3, "medium": 2, "low": 1}
HEALTH_NAMES = {"growth": "growth", "attainment": "target attainment", "nps": "customer score",
                "engagement": "engagement recency", "coverage": "stakeholder coverage", "risks": "open risks"}


def _signed_money(value: float, money: Money) -> str:
    text = money(abs(value))
    return f"+{text}" if value > 0 else f"−{text}" if value < 0 else text


def status_headline(figures: pd.Series, money: Money) -> str:
    """The full year in one sentence: the verdict, forecast against target, the gap in money and percent."""
    forecast, target, verdict = figures.get("fy_forecast"), figures.get("fy_annual_target"), figures.get("fy_verdict")
    year = "Full year"
    if pd.isna(forecast):
        return f"{year}: no forecast, the account has no revenue history this year."
    if verdict == "no target" or pd.isna(target):
        return f"{year}: no target set; forecast {money(forecast)}."
    gap = float(forecast) - float(target)
    share = float(forecast) / float(target)
    low, high = figures.get("fy_forecast_low"), figures.get("fy_forecast_high")
    range_text = f" (range {money(low)} to {money(high)})" if verdict == "at risk" else ""
    return (f"{year} {verdict}: {money(forecast)} forecast{range_text} against {money(target)} target, "
            f"{_signed_money(gap, money)}, {share:.0%}.")


def health_verdict_note(figures: pd.Series) -> str | None:
    """Why health and the full-year verdict disagree, when they do: health weighs the relationship,
    feedback and recent growth; the verdict only revenue against the year's target. None when they agree
    (green and on track, red and off track) or when either is missing."""
    band, verdict, score = figures.get("health_band"), figures.get("fy_verdict"), figures.get("health_score")
    good_health, bad_health = band == "green", band in ("red", "amber")
    if not ((good_health and verdict in ("off track", "at risk")) or (bad_health and verdict == "on track")):
        return None
    parts = {c: figures.get(f"health_{c}") for c in HEALTH_NAMES}
    known = {c: float(v) for c, v in parts.items() if pd.notna(v)}
    if not known:
        return None
    ranked = sorted(known, key=lambda c: known[c], reverse=good_health)[:2]
    drivers = " and ".join(f"{HEALTH_NAMES[c]} ({known[c]:.0f})" for c in ranked)
    if good_health:
        return (f"Health is {band} ({score:.0f} of 100) although the year is {verdict}: health rests mostly on "
                f"{drivers}, while the year is judged on revenue against the annual target alone.")
    return (f"Health is {band} ({score:.0f} of 100) although the year is on track: {drivers} score low, while the "
            "year is judged on revenue against the annual target alone.")


def _delta(now: object, before: object, kind: str, money: Money) -> str | None:
    """The change as the card shows it, its sign taken after rounding: a change that rounds to nothing is
    "unchanged", never "−0"."""
    if pd.isna(now) or pd.isna(before):
        return None
    now, before = float(now), float(before)
    if kind == "money":
        if before == 0:
            return None
        change, unit, decimals = (now / before - 1) * 100, "%", 1
    elif kind == "points":          # percentages: the change in percentage points
        change, unit, decimals = (now - before) * 100, " pts", 0
    else:                           # scores: "score1" to one decimal, "score" whole
        change, unit, decimals = now - before, "", 1 if kind == "score1" else 0
    shown = round(change, decimals)
    if shown == 0:
        return "unchanged on the previous quarter"
    return f"{'+' if shown > 0 else '−'}{abs(shown):.{decimals}f}{unit} on the previous quarter"


#: The KPI cards of page one: (summary column, label, kind of change)
KPI_CHANGES = (("revenue_q", "money"), ("attainment_q", "points"), ("yoy_growth", "points"),
               ("revenue_t4q", "money"), ("gross_margin_pct", "points"), ("nps_avg", "score1"),
               ("health_score", "score"))


def kpi_changes(figures: pd.Series, previous: pd.Series | None, money: Money,
                limit: float = SANE_CHANGE) -> dict[str, str | None]:
    """For each KPI card, its change since the previous quarter (None when either value is missing, or
    is an attainment or growth rate beyond ±``limit``, which the card does not print as a figure):
    money as a percentage change, ratios in percentage points, scores in points."""
    def change(column: str, kind: str) -> str | None:
        now, before = figures.get(column), previous.get(column) if previous is not None else None
        if previous is None or (column in CHANGE_COLUMNS and (beyond(now, limit) or beyond(before, limit))):
            return None
        if kind == "money" and pd.notna(now) and pd.notna(before) and float(before) != 0 \
                and beyond(float(now) / float(before) - 1, limit):
            return "the previous quarter's base too small to compare"
        return _delta(now, before, kind, money)
    return {column: change(column, kind) for column, kind in KPI_CHANGES}


def changes_since(figures: pd.Series, previous: pd.Series | None, previous_quarter: str) -> list[str]:
    """What changed since the previous quarter in tier, quadrant, relationship stage, health band and key
    status, each as a short delta; one line saying nothing did, or that there is no previous quarter."""
    if previous is None:
        return [f"No figures for {previous_quarter} to compare with: the account had no revenue then."]
    out = []
    if bool(previous.get("is_key")) != bool(figures.get("is_key")):
        out.append("Entered the key-account list." if figures.get("is_key") else "Left the key-account list.")
    for column, label in (("tier", "Tier"), ("quadrant", "Quadrant"), ("relationship_stage", "Relationship stage"),
                          ("health_band", "Health band")):
        before, now = previous.get(column), figures.get(column)
        if pd.notna(before) and pd.notna(now) and before != now:
            out.append(f"{label}: {before} → {now}.")
    before, now = previous.get("health_score"), figures.get("health_score")
    if pd.notna(before) and pd.notna(now) and round(float(now)) != round(float(before)):
        out.append(f"Health score {float(before):.0f} → {float(now):.0f}.")
    if not out:
        out.append(f"No change since {previous_quarter} in tier, quadrant, relationship stage, health band or "
                   "key-account status.")
    return out


def top_risks(plan: PlanInputs, data_risks: list[str], count: int = 3) -> pd.DataFrame:
    """The risks to show first: the plan's open risks by likelihood x impact, then the relationship risks
    the stakeholder map raises. Columns: risk, rating, owner, mitigation, source ("plan" or "data")."""
    rows = [{"risk": r.risk, "rating": f"{r.likelihood or 'unrated'} likelihood, {r.impact or 'unrated'} impact"
             if (r.likelihood or r.impact) else "not rated", "owner": r.owner, "mitigation": r.mitigation,
             "source": "plan", "_rank": -LEVEL.get(r.likelihood or "", 0) * LEVEL.get(r.impact or "", 0)}
            for r in plan.risks if r.open]
    rows += [{"risk": text, "rating": "from the stakeholder map", "owner": "", "mitigation": "", "source": "data",
              "_rank": 1} for text in data_risks]
    frame = pd.DataFrame(rows, columns=["risk", "rating", "owner", "mitigation", "source", "_rank"])
    return frame.sort_values("_rank", kind="mergesort").head(count).drop(columns="_rank").reset_index(drop=True)


def next_actions(actions: pd.DataFrame, as_of: dt.date, count: int = 4, horizon_days: int = 92) -> pd.DataFrame:
    """The plan's next quarter: open actions that are overdue (most overdue first), then those due within
    ``horizon_days`` of the as-of date, earliest first, at most ``count``."""
    if actions.empty:
        return actions
    open_ = actions[~actions["done"]].copy()
    due = open_["due"].map(lambda d: d if isinstance(d, dt.date) else None)
    open_["_due"] = due
    soon = open_["_due"].map(lambda d: d is not None and as_of <= d <= as_of + dt.timedelta(days=horizon_days))
    overdue = open_[open_["overdue"]].sort_values("days_overdue", ascending=False, kind="mergesort")
    upcoming = open_[soon & ~open_["overdue"]].sort_values("_due", kind="mergesort")
    return pd.concat([overdue, upcoming]).head(count).drop(columns="_due").reset_index(drop=True)


def suggested_decisions(figures: pd.Series, plan: PlanInputs, stale: tuple[bool, int | None],
                        data_risks: list[str], money: Money, stale_after_days: int = 120) -> list[str]:
    """Decisions the data suggests for the QBR, each with the figure behind it; marked as suggestions on
    the page because the team did not write them."""
    out = []
    forecast, target = figures.get("fy_forecast"), figures.get("fy_annual_target")
    if figures.get("fy_verdict") == "off track" and pd.notna(forecast) and pd.notna(target):
        out.append(f"Agree how to close the {money(float(target) - float(forecast))} gap between the full-year "
                   f"forecast ({money(forecast)}) and target ({money(target)}).")
    if plan.exists and plan.sponsor() is None:
        out.append("Name an executive sponsor: the plan has none.")
    is_stale, days = stale
    if plan.exists and is_stale:
        out.append("Review and approve the plan: it has never been reviewed." if days is None else
                   f"Review and approve the plan: last reviewed {days} days ago (due every {stale_after_days}).")
    if not plan.exists:
        out.append("Agree an account plan with goals, actions and an executive sponsor.")
    detractors = [r for r in data_risks if "detractor" in r.lower()]
    if detractors:
        out.append(f"Decide who re-engages {detractors[0].split(' (')[0]}, who is a detractor in a deciding role.")
    attainment = figures.get("attainment_q")
    if pd.notna(attainment) and attainment < 0.9 and not out[:1]:
        out.append(f"Review the quarter's shortfall: revenue at {attainment:.0%} of target.")
    return out


def previous_row(previous: pd.DataFrame | None, account_id: str) -> pd.Series | None:
    """The account's row of the previous quarter's summary, or None when it had no revenue then."""
    if previous is None or account_id not in previous.index:
        return None
    return previous.loc[account_id]
