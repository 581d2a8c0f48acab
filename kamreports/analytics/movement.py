"""What changed between two quarters: per account and across the portfolio.

Pure functions: two summaries (``Portfolio.summary`` of this quarter and of the previous one, as
reported then or recomputed) in, frames out. Accounts are matched by id; an account absent from
the previous quarter is "new", one absent now is "gone".

- :func:`account_movement`: per account of this quarter, the previous tier, quadrant, relationship
  stage, health score and band, attainment and key status, and what changed.
- :func:`key_list_changes`: the accounts that entered or left the key list, and why: the score
  crossed the threshold, a team override (include or exclude), the threshold or the cap changed
  in the settings, or the account is new or gone.
- :func:`transitions`: counts of moves from one value to another (quadrants, stages, health bands).
- :func:`health_driver`: the health component that moved most.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

MOVEMENT_COLUMNS = ["name", "key_change", "is_key", "prev_is_key", "tier", "prev_tier", "quadrant", "prev_quadrant",
                    "relationship_stage", "prev_relationship_stage", "health_score", "prev_health_score",
                    "health_band", "prev_health_band", "attainment_q", "prev_attainment_q", "changes"]
TRACKED = (("is_key", "key status"), ("tier", "tier"), ("quadrant", "quadrant"),
           ("relationship_stage", "relationship stage"), ("health_band", "health band"))
HEALTH_PARTS = ("growth", "attainment", "nps", "engagement", "coverage", "risks")
BANDS = ("red", "amber", "green")
STAGE_ORDER = ("Tactical", "Cooperative", "Interdependent", "Strategic")


def _column(frame: pd.DataFrame, name: str, index: pd.Index) -> pd.Series:
    return frame[name].reindex(index) if name in frame.columns else pd.Series(np.nan, index=index, dtype="object")


def account_movement(current: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """Per account of ``current``: this quarter's and the previous quarter's values (``prev_*``), the
    key-list change ("entered", "left", "stayed key", "stayed other", "new") and ``changes``: the
    tracked fields whose value changed, in words ("quadrant Star → Strategic; tier 2 → 1")."""
    index = current.index
    previous = previous if previous is not None else pd.DataFrame(index=pd.Index([], name=index.name))
    out = pd.DataFrame(index=index)
    out["name"] = current["name"]
    known = index.isin(previous.index)
    for column in ("is_key", "tier", "quadrant", "relationship_stage", "health_score", "health_band", "attainment_q"):
        out[column] = current[column]
        out[f"prev_{column}"] = _column(previous, column, index)
    was_key = out["prev_is_key"].astype("object").where(known)
    is_key = out["is_key"].astype(bool)
    out["key_change"] = np.select(
        [~known, is_key & (was_key == False), ~is_key & (was_key == True), is_key],  # noqa: E712 - object dtype
        ["new", "entered", "left", "stayed key"], default="stayed other")
    texts = []
    for account in index:
        row = out.loc[account]
        parts = []
        if known[index.get_loc(account)]:
            for column, label in TRACKED:
                before, now = row[f"prev_{column}"], row[column]
                if pd.notna(before) and before != now:
                    if column == "is_key":
                        parts.append("entered the key list" if now else "left the key list")
                    else:
                        parts.append(f"{label} {before} → {now}")
        texts.append("; ".join(parts))
    out["changes"] = texts
    out["prev_is_key"] = out["prev_is_key"].astype("object").where(known)
    return out[MOVEMENT_COLUMNS]


def key_list_changes(current: pd.DataFrame, previous: pd.DataFrame | None, threshold: float,
                     previous_threshold: float | None = None, cap: int | None = None,
                     previous_cap: int | None = None) -> pd.DataFrame:
    """Accounts that entered or left the key list between the two quarters, with the reason.

    Columns: name, change ("entered" / "left"), score, prev_score, reason. Reasons, first that fits:
    a team override now or then (the selection reason says "included/excluded by the team"); the
    account is new (no revenue before) or gone (no revenue now); the threshold or the cap changed
    in the settings and the score alone would not have moved it; otherwise the score crossed the
    threshold (with both scores), or a higher-scoring account took its place under the cap.
    """
    previous = previous if previous is not None else pd.DataFrame(columns=["is_key"])
    ids = current.index.union(previous.index)
    now = current["is_key"].reindex(ids).astype("object")
    then = previous["is_key"].reindex(ids).astype("object") if "is_key" in previous else pd.Series(np.nan, index=ids)
    rows = {}
    for account in ids:
        key_now, key_then = now.get(account), then.get(account)
        key_now = bool(key_now) if pd.notna(key_now) else None
        key_then = bool(key_then) if pd.notna(key_then) else None
        entered = key_now is True and key_then is not True
        left = key_then is True and key_now is not True
        if not (entered or left):
            continue
        score = current["score"].get(account, np.nan) if "score" in current else np.nan
        prev_score = previous["score"].get(account, np.nan) if "score" in previous else np.nan
        reason_now = str(current["selection_reason"].get(account, "")) if "selection_reason" in current else ""
        reason_then = str(previous["selection_reason"].get(account, "")) if "selection_reason" in previous else ""
        name = current["name"].get(account) if account in current.index else previous["name"].get(account)
        old_threshold = threshold if previous_threshold is None else previous_threshold
        if reason_now.startswith(("included by the team", "excluded by the team")):
            reason = f"team override now: {reason_now.split(': ', 1)[-1]}"
        elif reason_then.startswith(("included by the team", "excluded by the team")):
            reason = f"team override ended (was: {reason_then.split(': ', 1)[-1]})"
        elif key_then is None:
            reason = "new account: no revenue in the previous quarter"
        elif key_now is None:
            reason = "no revenue up to this quarter"
        elif old_threshold != threshold and (prev_score >= old_threshold) == (prev_score >= threshold) \
                and (score >= threshold) != (prev_score >= old_threshold):
            reason = f"threshold changed from {old_threshold:g} to {threshold:g} (score {score:.1f})"
        elif (score >= threshold - 1e-9) != (prev_score >= old_threshold - 1e-9):
            direction = "rose to" if entered else "fell to"
            reason = f"score {direction} {score:.1f} from {prev_score:.1f} (threshold {threshold:g})"
        elif cap is not None and previous_cap is not None and cap != previous_cap:
            reason = f"the cap on key accounts changed from {previous_cap} to {cap}"
        else:
            reason = (f"score {score:.1f} at or above {threshold:g} but " +
                      ("a place under the cap opened" if entered else "higher-scoring accounts took the places "
                                                                      "under the cap"))
        rows[account] = {"name": name, "change": "entered" if entered else "left", "score": score,
                         "prev_score": prev_score, "reason": reason}
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["name", "change", "score", "prev_score", "reason"])
    out.index.name = current.index.name or "account_id"
    return out.sort_values(["change", "name"], kind="mergesort")


def transitions(before: pd.Series, after: pd.Series, order: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Counts of accounts by (from, to) for the accounts in both series with a value in both;
    columns from, to, accounts, changed (from differs from to). ``order`` sorts the values."""
    both = pd.DataFrame({"from": before, "to": after}).dropna()
    counts = both.groupby(["from", "to"]).size().rename("accounts").reset_index()
    counts["changed"] = counts["from"] != counts["to"]
    if order:
        rank = {v: i for i, v in enumerate(order)}
        counts = counts.assign(_a=counts["from"].map(rank), _b=counts["to"].map(rank)) \
            .sort_values(["_a", "_b"], kind="mergesort").drop(columns=["_a", "_b"])
    return counts.reset_index(drop=True).astype({"accounts": int})


def health_driver(current: pd.Series, previous: pd.Series | None) -> tuple[str, float] | None:
    """The health component (of :data:`HEALTH_PARTS`) whose score moved most between the two rows
    of the summary, and by how many points; None when nothing comparable moved."""
    if previous is None:
        return None
    moves = {}
    for part in HEALTH_PARTS:
        now, before = current.get(f"health_{part}"), previous.get(f"health_{part}")
        if pd.notna(now) and pd.notna(before) and now != before:
            moves[part] = float(now) - float(before)
    if not moves:
        return None
    part = max(moves, key=lambda p: (abs(moves[p]), p))
    return part, moves[part]
