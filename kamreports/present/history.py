"""What changed since the last QBR, and the trend behind it: the pages' words on ``History``.

``History`` (``analytics.history``) holds the earlier quarters as reported then, backfilled, or
recomputed from today's data; every helper here says which one a comparison uses.
"""
from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from ..analytics.history import History
from ..model import AccountView, Portfolio
from .html import paragraph, table

HEALTH_NAMES = {"growth": "growth", "attainment": "target attainment", "nps": "customer score",
                "engagement": "engagement recency", "coverage": "stakeholder coverage", "risks": "open risks"}


def _points(value: float) -> str:
    """A move in health points, rounded first: "+1 point", "-12 points", "less than a point"."""
    whole = round(value)
    return "less than a point" if whole == 0 else f"{whole:+d} point{'s' if abs(whole) != 1 else ''}"


def _score(value: object) -> str:
    return "–" if value is None or pd.isna(value) else f"{round(float(value)):d}"


def health_driver_line(history: History | None, account: AccountView) -> HTML | None:
    """The health component that moved most since the previous quarter, with its points and source."""
    previous = history.previous if history is not None else None
    if previous is None:
        return None
    driver = history.health_driver(account.account_id)
    if driver is None:
        return paragraph(f"No health component moved since {previous.label}.", "small")
    part, points = driver
    whole = round(points)   # rounded first: a move of 0.3 is "less than a point", never "+0" or "-0"
    if whole == 0:
        return paragraph(f"No health component moved by a whole point since {previous.label}.", "small")
    return paragraph(f"Health moved most on {HEALTH_NAMES.get(part, part)}: {whole:+d} point"
                     f"{'s' if abs(whole) != 1 else ''} since {previous.label}.", "small")


def plan_progress_line(history: History | None, account: AccountView) -> HTML | None:
    """Goals and actions closed, added and overdue since the previous quarter's plan snapshot."""
    if history is None or history.previous is None or not account.plan.exists:
        return None
    p = history.plan_progress(account.account_id)
    if not p.available:
        return paragraph(f"Progress since {history.previous.quarter}: {p.note}.", "small muted")

    def n(count: int, noun: str) -> str:
        return f"{count} {noun}{'s' if count != 1 else ''}"

    return paragraph(f"Since {history.previous.label}: {n(p.goals_closed, 'goal')} closed and {p.goals_added} added; "
                     f"{n(p.actions_closed, 'action')} closed and {p.actions_added} added; "
                     f"{n(p.overdue_now, 'action')} overdue now against {p.overdue_then} then.", "small")


def sources_note(history: History | None) -> HTML:
    """Where the comparisons come from, and what the history could not use."""
    if history is None:
        return paragraph("No earlier quarter to compare with.", "small muted")
    notes = " ".join(n if n.endswith(".") else f"{n}." for n in history.notes)
    return paragraph(f"{history.describe()} {notes}".strip(), "small muted")


def band_changes_table(history: History, keys: pd.DataFrame) -> HTML:
    """Key accounts whose health band changed since the previous quarter, with the component that moved most."""
    previous = history.previous
    if previous is None:
        return paragraph("No previous quarter to compare with.", "muted")
    rows = []
    for account_id, row in keys.iterrows():
        before = previous.summary["health_band"].get(account_id) if "health_band" in previous.summary else None
        if pd.isna(before) or before == row["health_band"]:
            continue
        driver = history.health_driver(account_id)
        reason = f"{HEALTH_NAMES.get(driver[0], driver[0])} {_points(driver[1])}" if driver else "–"
        prev_score = previous.summary["health_score"].get(account_id)
        rows.append({"Account": row["name"], "Band": f"{before} → {row['health_band']}",
                     "Score": f"{_score(prev_score)} → {_score(row['health_score'])}",
                     "Moved most": reason})
    if not rows:
        return paragraph(f"No key account changed health band since {previous.label}.")
    return table(pd.DataFrame(rows))


def key_list_history_table(history: History) -> HTML:
    """Every entry to and exit from the key list, quarter by quarter, with the reason and the source."""
    changes = history.key_changes
    if changes.empty:
        return paragraph("The key list did not change in the quarters shown.")
    shown = pd.DataFrame({"Quarter": changes["quarter"], "Account": changes["name"],
                          "Change": changes["change"].str.capitalize(), "Why": changes["reason"],
                          "Source": changes["source"]})
    return table(shown.iloc[::-1].reset_index(drop=True))


def plan_progress_section(history: History | None, keys: pd.DataFrame) -> list[HTML]:
    """Per key account: goals and actions closed and added, overdue now and then, since the last plan
    snapshot, under its heading; one line when no snapshot can be compared."""
    previous = history.previous if history is not None else None
    rows, unavailable = [], 0
    for account_id, row in keys.iterrows():
        progress = history.plan_progress(account_id) if previous is not None else None
        if progress is None or not progress.available:
            unavailable += 1
            continue
        rows.append({"Account": row["name"], "Goals closed": progress.goals_closed, "Goals added": progress.goals_added,
                     "Actions closed": progress.actions_closed, "Actions added": progress.actions_added,
                     "Overdue now": progress.overdue_now, "Overdue then": progress.overdue_then})
    if not rows:
        why = (f"{previous.quarter} was {previous.source}, and plan snapshots exist only for quarters a build "
               "reported" if previous is not None else "there is no previous quarter")
        return [paragraph(f"Plan progress since the last QBR cannot be shown: {why}.", "small muted")]
    numeric = ["Goals closed", "Goals added", "Actions closed", "Actions added", "Overdue now", "Overdue then"]
    caption = f"{unavailable} key accounts had no plan snapshot then" if unavailable else None
    return [HTML("<h3>Plan progress since the last QBR</h3>"), table(pd.DataFrame(rows), numeric=numeric,
                                                                     caption=caption)]


def previous_positions(history: History | None) -> pd.DataFrame | None:
    """The previous quarter's KAM-matrix positions (attractiveness, strength, quadrant) from its record or
    recomputation; None when there is no previous quarter or it lacks them."""
    previous = history.previous if history is not None else None
    if previous is None or not {"attractiveness", "strength", "quadrant"} <= set(previous.summary.columns):
        return None
    return previous.summary[["attractiveness", "strength", "quadrant"]]


def movement_section(history: History | None, quarter: str) -> list[HTML]:
    """The sources, then the moves between quadrants, relationship stages and health bands (every
    account compared, key or not): one row per dimension with each move and its accounts, how many
    moved and how many stayed put. One row each keeps the page to what an executive scans."""
    parts = [sources_note(history)]
    previous = history.previous if history is not None else None
    if previous is None:
        return parts + [paragraph("There is no previous quarter to compare with.", "muted")]
    rows = []
    for column, what in (("quadrant", "Quadrant"), ("relationship_stage", "Relationship stage"),
                         ("health_band", "Health band")):
        moves = history.transitions(column)
        if moves.empty:
            continue
        moved = moves[moves["changed"]].sort_values("accounts", ascending=False, kind="mergesort")
        rows.append({"What": what,
                     "Moves (accounts)": "; ".join(f"{r['from']} → {r['to']}: {int(r['accounts'])}"
                                                   for _, r in moved.iterrows()) or "none",
                     "Moved": int(moved["accounts"].sum()),
                     "Unchanged": int(moves.loc[~moves["changed"], "accounts"].sum())})
    if not rows or not any(r["Moved"] for r in rows):
        return parts + [paragraph(f"No account changed quadrant, relationship stage or health band since "
                                  f"{previous.label}.")]
    caption = f"Every account compared, {previous.label} with {quarter}"
    return parts + [table(pd.DataFrame(rows), numeric=["Moved", "Unchanged"], caption=caption)]


def matrix_previous(portfolio: Portfolio) -> tuple[pd.DataFrame, str]:
    """Where the key accounts stood on the KAM matrix a quarter ago, for the movement arrows: the previous
    quarter's recorded (or recomputed) positions when the history has them, else the matrix recomputed from
    the revenue-based factors alone; and the label that says which."""
    history = getattr(portfolio, "history", None)
    positions = previous_positions(history)
    if positions is not None:
        return positions, history.previous.label
    return portfolio.previous_matrix, "previous quarter, revenue-based factors recomputed"
