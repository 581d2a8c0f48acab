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
    key-list change ("entered", "left", "stayed key", "stayed other", "new"; "unknown" for every
    account when there is no previous quarter at all) and ``changes``: the tracked fields whose value
    changed, in words ("quadrant Star → Strategic; Tier 2 → Tier 1").

    A column the previous summary lacks (a record written by an older version) gives empty ``prev_*``
    values, never a change. Vectorised: one pass per column, whatever the number of accounts."""
    index = current.index
    missing = previous is None
    previous = previous if previous is not None else pd.DataFrame(index=pd.Index([], name=index.name))
    out = pd.DataFrame(index=index)
    out["name"] = current["name"]
    known = index.isin(previous.index)
    for column in ("is_key", "tier", "quadrant", "relationship_stage", "health_score", "health_band", "attainment_q"):
        out[column] = current[column]
        out[f"prev_{column}"] = _column(previous, column, index)
    was_key = out["prev_is_key"].astype("object").where(known)
    is_key = out["is_key"].astype(bool).to_numpy()
    then_key = was_key.map(lambda v: v is True or v is np.True_ or v == 1, na_action="ignore")
    then_key = then_key.where(was_key.notna())
    entered = is_key & (then_key == False).to_numpy()   # noqa: E712 - object dtype with NaN
    left = ~is_key & (then_key == True).to_numpy()      # noqa: E712
    out["key_change"] = np.select([np.full(len(index), missing), ~known, entered, left, is_key],
                                  ["unknown", "new", "entered", "left", "stayed key"], default="stayed other")
    texts = pd.Series("", index=index, dtype="object")
    for column, label in TRACKED:
        before, now = out[f"prev_{column}"], out[column]
        moved = known & before.notna().to_numpy() & (before.astype("object") != now.astype("object")).to_numpy()
        if column == "is_key":
            moved &= (entered | left)
            piece = pd.Series(np.where(is_key, "entered the key list", "left the key list"), index=index)
        else:
            prefix = "" if column == "tier" else f"{label} "   # "Tier 2 → Tier 1" already says what it is
            piece = prefix + before.astype("object").astype(str) + " → " + now.astype("object").astype(str)
        piece = piece.where(moved, "")
        texts = texts.where(piece == "", texts.where(texts == "", texts + "; ") + piece)
    out["changes"] = texts
    out["prev_is_key"] = was_key
    return out[MOVEMENT_COLUMNS]


_OVERRIDES = ("included by the team", "excluded by the team")


def _reason(entered: bool, key_now: bool | None, key_then: bool | None, score: float, prev_score: float,
            reason_now: str, reason_then: str, threshold: float, old_threshold: float, cap: int | None,
            previous_cap: int | None) -> str:
    """Why one account entered or left the key list (see :func:`key_list_changes`)."""
    eps = 1e-9
    if reason_now.startswith(_OVERRIDES):
        return f"team override now: {reason_now.split(': ', 1)[-1]}"
    if reason_then.startswith(_OVERRIDES):
        return f"team override ended (was: {reason_then.split(': ', 1)[-1]})"
    if key_then is None:
        return "new account: no revenue up to the previous quarter"
    if key_now is None:
        return "no revenue up to this quarter"
    if np.isnan(score) or np.isnan(prev_score):
        return "selection changed (the score of one of the two quarters is not recorded)"
    # Under the old threshold the score alone would have kept the old verdict, but the new threshold
    # gives the other one: the settings moved the account, not its score.
    if old_threshold != threshold and (score >= old_threshold - eps) == (prev_score >= old_threshold - eps) \
            and (score >= threshold - eps) != (prev_score >= old_threshold - eps):
        return f"threshold changed from {old_threshold:g} to {threshold:g} (score {prev_score:.1f} → {score:.1f})"
    if (score >= threshold - eps) != (prev_score >= old_threshold - eps):
        direction = "rose to" if entered else "fell to"
        digits = 1 if f"{score:.1f}" != f"{prev_score:.1f}" else 2   # 5.98 -> 6.01 must not read "6.0 from 6.0"
        return f"score {direction} {score:.{digits}f} from {prev_score:.{digits}f} (threshold {threshold:g})"
    if cap is not None and previous_cap is not None and cap != previous_cap:
        return f"the cap on key accounts changed from {previous_cap} to {cap}"
    # Both scores above the threshold: the ranking under the cap decided. Two decimals, because the
    # accounts trading places often show the same score to one decimal.
    places = f"the {cap} places" if cap is not None else "the places"
    if entered:
        return (f"score {score:.2f} (was {prev_score:.2f}), at or above {threshold:g}: it moved into {places} "
                "under the cap")
    return (f"score {score:.2f} (was {prev_score:.2f}), at or above {threshold:g}, but higher-scoring accounts took "
            f"{places} under the cap")


def key_list_changes(current: pd.DataFrame, previous: pd.DataFrame | None, threshold: float,
                     previous_threshold: float | None = None, cap: int | None = None,
                     previous_cap: int | None = None) -> pd.DataFrame:
    """Accounts that entered or left the key list between the two quarters, with the reason.

    Columns: name, change ("entered" / "left"), score, prev_score, reason. Reasons, first that fits:
    a team override now or then (the selection reason says "included/excluded by the team"); the
    account is new (no revenue before) or gone (no revenue now); the threshold changed in the
    settings and under the old threshold the score alone would not have moved it; the score crossed
    the threshold (with both scores); the cap changed; otherwise a higher-scoring account took its
    place under the cap, or a place opened. Only the accounts that changed are visited, so it stays
    quick at 100,000 accounts.
    """
    previous = previous if previous is not None else pd.DataFrame(columns=["is_key"])
    ids = current.index.union(previous.index)
    now = current["is_key"].reindex(ids).astype("object")
    then = previous["is_key"].reindex(ids).astype("object") if "is_key" in previous else pd.Series(np.nan, index=ids)
    now_key = now.notna() & now.fillna(False).astype(bool)
    then_key = then.notna() & then.fillna(False).astype(bool)
    changed = ids[(now_key != then_key).to_numpy()]
    old_threshold = threshold if previous_threshold is None else previous_threshold

    def values(frame: pd.DataFrame, column: str, fill: object) -> pd.Series:
        return frame[column].reindex(changed) if column in frame.columns else pd.Series(fill, index=changed)

    score, prev_score = values(current, "score", np.nan), values(previous, "score", np.nan)
    reason_now, reason_then = values(current, "selection_reason", ""), values(previous, "selection_reason", "")
    names = values(current, "name", None).combine_first(values(previous, "name", None))
    rows = {}
    for account in changed:
        entered = bool(now_key[account])
        key_now = bool(now[account]) if pd.notna(now[account]) else None
        key_then = bool(then[account]) if pd.notna(then[account]) else None
        s, ps = float(score[account]), float(prev_score[account])
        rn = str(reason_now[account]) if pd.notna(reason_now[account]) else ""
        rt = str(reason_then[account]) if pd.notna(reason_then[account]) else ""
        rows[account] = {"name": names[account], "change": "entered" if entered else "left", "score": s,
                         "prev_score": ps, "reason": _reason(entered, key_now, key_then, s, ps, rn, rt, threshold,
                                                             old_threshold, cap, previous_cap)}
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["name", "change", "score", "prev_score", "reason"])
    out = out.astype({"score": "float64", "prev_score": "float64"})
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
