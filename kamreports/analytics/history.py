"""Earlier quarters beside this one: what the pages compare with, and where each figure came from.

A QBR is a comparison with the last one. Each earlier quarter is a :class:`QuarterView`: that
quarter's summary as reported then (read from the quarter's record), backfilled (a record written
later by ``kamreports build --backfill``), or recomputed from today's data with today's settings
when there is no record. Every view says which, with its notes (other settings, columns an older
version did not write, a damaged file that could not be used).

:class:`History` holds the views of up to eight quarters before the reporting quarter and derives,
from them and this quarter's summary, what the pages need: the previous quarter, a long timeline
(health, attainment, quadrant, stage, tier, key status per quarter and account), the key-list
changes of each quarter with their reasons (:func:`~kamreports.analytics.movement.key_list_changes`
with the threshold and cap each quarter used), movement per account
(:func:`~kamreports.analytics.movement.account_movement`), each quarter's own key list for the ROI
history, and plan progress since the previous quarter's plan snapshot.

Pure: the views come in (``kamreports.records`` reads and recomputes them), frames come out; no I/O.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..files import hash_bytes
from ..periods import parse_quarter, quarter_label, shift_quarter
from .movement import account_movement, health_driver, key_list_changes, transitions
from .plan_progress import PlanProgress, snapshot_progress

AS_REPORTED, BACKFILLED, RECOMPUTED, CURRENT = "as reported", "backfilled", "recomputed", "this quarter"
SOURCES = (AS_REPORTED, BACKFILLED, RECOMPUTED, CURRENT)
DEPTH = 8            # quarters before the reporting quarter: two years of trend

TIMELINE_COLUMNS = ["quarter", "account_id", "health_score", "health_band", "attainment_q", "quadrant",
                    "relationship_stage", "tier", "is_key", "source"]
KEY_CHANGE_COLUMNS = ["quarter", "account_id", "name", "change", "score", "prev_score", "reason", "threshold", "cap",
                      "source", "prev_source"]
OVERVIEW_COLUMNS = ["quarter", "source", "created", "threshold", "cap", "key_accounts", "entered", "left", "notes"]
#: The summary's columns from the previous quarter (declared in analytics.contract), and where each comes from.
PREV_COLUMNS = {"prev_quadrant": "prev_quadrant", "prev_relationship_stage": "prev_relationship_stage",
                "prev_health_score": "prev_health_score", "prev_health_band": "prev_health_band",
                "prev_tier": "prev_tier", "prev_is_key": "prev_is_key", "prev_attainment_q": "prev_attainment_q",
                "key_change": "key_change"}
#: What history reads from an earlier quarter's summary; a record without ``is_key`` cannot be used.
USED_COLUMNS = ("name", "is_key", "selection_reason", "score", "tier", "quadrant", "relationship_stage",
                "health_score", "health_band", "attainment_q", "health_growth", "health_attainment", "health_nps",
                "health_engagement", "health_coverage", "health_risks")
_TEXT = ("health_band", "quadrant", "relationship_stage", "tier")


@dataclass
class QuarterView:
    """One quarter as the pages compare with it."""

    quarter: str
    source: str                          # one of SOURCES
    summary: pd.DataFrame                # that quarter's Portfolio.summary (a record's columns, as written)
    threshold: float                     # the selection threshold and cap that quarter used
    cap: int
    settings: dict = field(default_factory=dict, repr=False)   # config.settings_dict of that quarter
    plans: dict[str, dict] | None = field(default=None, repr=False)   # plan snapshots; None: not recorded
    notes: list[str] = field(default_factory=list)
    created: str | None = None           # when the record was written
    location: str | None = None          # the record folder read
    missing_columns: list[str] = field(default_factory=list)   # columns history uses that the record lacks

    @property
    def key_accounts(self) -> pd.Index:
        return self.summary.index[self.summary["is_key"].fillna(False).astype(bool).to_numpy()]

    @property
    def label(self) -> str:
        """"2026Q2 (as reported)"."""
        return f"{self.quarter} ({self.source})"


def quarter_runs(quarters: list[str]) -> str:
    """"2025Q3-2025Q4, 2026Q2": consecutive quarters as ranges, in order."""
    codes = sorted({parse_quarter(q) for q in quarters})
    runs: list[list[pd.Period]] = []
    for p in codes:
        if runs and p.ordinal - runs[-1][-1].ordinal == 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return ", ".join(quarter_label(r[0]) if len(r) == 1 else f"{quarter_label(r[0])}-{quarter_label(r[-1])}"
                     for r in runs)


@dataclass
class History:
    """The reporting quarter and the quarters before it. See the module docstring.

    ``quarters`` holds the earlier quarters that could be read or recomputed, oldest first; a
    quarter before the data starts is simply absent, a quarter missing in between is absent with a
    note. ``notes`` are for the reader, each naming its quarter. ``current_plan`` gives this
    quarter's plan snapshot of an account (None without a plan), for :meth:`plan_progress`.
    """

    quarter: str
    current: QuarterView
    quarters: dict[str, QuarterView]
    notes: list[str] = field(default_factory=list)
    depth: int = DEPTH
    records: str | None = None           # the records folder read ("<records>/<quarter>/record/")
    current_plan: Callable[[str], dict | None] | None = field(default=None, repr=False)
    _memo: dict = field(default_factory=dict, repr=False)

    # --- the quarters ----------------------------------------------------------------------------

    @property
    def previous(self) -> QuarterView | None:
        """The quarter just before the reporting one: never silently a quarter further back."""
        return self.quarters.get(shift_quarter(self.quarter, -1))

    def view(self, quarter: str) -> QuarterView | None:
        return self.current if quarter == self.quarter else self.quarters.get(quarter)

    def _all(self) -> list[QuarterView]:
        return [*self.quarters.values(), self.current]

    def key_lists(self) -> dict[str, pd.Series]:
        """Each earlier quarter's own key flags (account id -> bool), for the ROI history."""
        return {q: v.summary["is_key"].fillna(False).astype(bool) for q, v in self.quarters.items()}

    def key_sources(self) -> dict[str, str]:
        """Each earlier quarter's source: as reported, backfilled or recomputed."""
        return {q: v.source for q, v in self.quarters.items()}

    def describe(self) -> str:
        """Where the comparisons come from, in one sentence for the pages."""
        if not self.quarters:
            return "No earlier quarter to compare with."
        parts = []
        for source, words in ((AS_REPORTED, "as reported then"), (BACKFILLED, "from records written later "
                                                                              "(backfilled)"),
                              (RECOMPUTED, "recomputed from today's data with today's settings")):
            quarters = [q for q, v in self.quarters.items() if v.source == source]
            if quarters:
                parts.append(f"{quarter_runs(quarters)} {words}")
        return "Earlier quarters: " + "; ".join(parts) + "."

    # --- frames ----------------------------------------------------------------------------------

    def _memoised(self, name: str, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        if name not in self._memo:
            self._memo[name] = compute()
        return self._memo[name].copy()   # copy-on-write: cheap, and a page that edits its copy changes nothing else

    @property
    def timeline(self) -> pd.DataFrame:
        """One row per quarter and account, oldest quarter first: :data:`TIMELINE_COLUMNS`. A value a
        quarter's record did not hold is empty."""
        def compute() -> pd.DataFrame:
            frames = []
            for v in self._all():
                s = v.summary
                part = pd.DataFrame({"quarter": v.quarter, "account_id": s.index.astype(str)})
                for column in TIMELINE_COLUMNS[2:-1]:
                    values = s[column].to_numpy() if column in s.columns else np.full(len(s), np.nan)
                    part[column] = values
                part["source"] = v.source
                frames.append(part)
            out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=TIMELINE_COLUMNS)
            out = out.astype({"health_score": "float64", "attainment_q": "float64", "is_key": "boolean"})
            for column in _TEXT:
                out[column] = out[column].astype("object").where(out[column].notna(), None)
            return out[TIMELINE_COLUMNS]
        return self._memoised("timeline", compute)

    def account_timeline(self, account_id: str) -> pd.DataFrame:
        """The timeline of one account, oldest quarter first."""
        t = self.timeline
        return t[t["account_id"] == str(account_id)].reset_index(drop=True)

    @property
    def key_changes(self) -> pd.DataFrame:
        """Accounts that entered or left the key list in each quarter (this one included) against the
        quarter just before it, with the reason, the threshold and cap that quarter used, and both
        quarters' sources: :data:`KEY_CHANGE_COLUMNS`. A quarter whose previous quarter is missing has
        no rows (its note says so)."""
        def compute() -> pd.DataFrame:
            frames = []
            for v in self._all():
                before = self.view(shift_quarter(v.quarter, -1))
                if before is None:
                    continue
                changes = key_list_changes(v.summary, before.summary, v.threshold, before.threshold, v.cap,
                                           before.cap)
                changes = changes.rename_axis("account_id").reset_index()
                changes.insert(0, "quarter", v.quarter)
                changes = changes.assign(threshold=v.threshold, cap=v.cap, source=v.source, prev_source=before.source)
                frames.append(changes)
            frames = [f for f in frames if not f.empty]
            if not frames:
                return pd.DataFrame(columns=KEY_CHANGE_COLUMNS).astype({"score": "float64", "prev_score": "float64"})
            return pd.concat(frames, ignore_index=True)[KEY_CHANGE_COLUMNS]
        return self._memoised("key_changes", compute)

    @property
    def movement(self) -> pd.DataFrame:
        """Per account of this quarter: its values now and in the previous quarter, the key-list change
        and what changed in words (``movement.account_movement``)."""
        previous = self.previous
        return self._memoised("movement", lambda: account_movement(
            self.current.summary, previous.summary if previous is not None else None))

    @property
    def overview(self) -> pd.DataFrame:
        """One row per quarter (earlier ones and this one): :data:`OVERVIEW_COLUMNS`."""
        def compute() -> pd.DataFrame:
            changes = self.key_changes
            rows = []
            for v in self._all():
                mine = changes[changes["quarter"] == v.quarter]
                rows.append({"quarter": v.quarter, "source": v.source, "created": v.created,
                             "threshold": v.threshold, "cap": v.cap, "key_accounts": len(v.key_accounts),
                             "entered": int((mine["change"] == "entered").sum()),
                             "left": int((mine["change"] == "left").sum()), "notes": "; ".join(v.notes)})
            return pd.DataFrame(rows, columns=OVERVIEW_COLUMNS)
        return self._memoised("overview", compute)

    def transitions(self, column: str, order: tuple[str, ...] | None = None) -> pd.DataFrame:
        """Counts of accounts moving from one value of ``column`` (quadrant, relationship_stage,
        health_band, tier) to another since the previous quarter (``movement.transitions``)."""
        previous = self.previous
        if previous is None or column not in previous.summary.columns:
            return transitions(pd.Series(dtype="object"), pd.Series(dtype="object"), order)
        return transitions(previous.summary[column], self.current.summary[column], order)

    def health_driver(self, account_id: str) -> tuple[str, float] | None:
        """The health component of the account that moved most since the previous quarter."""
        previous = self.previous
        if previous is None or account_id not in previous.summary.index:
            return None
        return health_driver(self.current.summary.loc[account_id], previous.summary.loc[account_id])

    # --- plans -----------------------------------------------------------------------------------

    def plan_progress(self, account_id: str) -> PlanProgress:
        """Goals and actions closed and added, and overdue actions now against then, since the previous
        quarter's plan snapshot. A recomputed quarter has no snapshot: plan files are edited in place
        and keep no history, so today's file read at an earlier date would show today's progress as
        if it had been made then; the note says so instead."""
        previous = self.previous
        if previous is None:
            return PlanProgress(None, False, f"no previous quarter ({shift_quarter(self.quarter, -1)}) to compare "
                                             "the plan with")
        if previous.plans is None:
            why = ("it was recomputed from the data, and plan files keep no history" if previous.source == RECOMPUTED
                   else "its record holds no plan snapshot")
            return PlanProgress(previous.quarter, False, f"no plan snapshot for {previous.quarter}: {why}; progress "
                                                         "is measured from the next quarter's build on")
        now = self.current_plan(account_id) if self.current_plan is not None else None
        return snapshot_progress(now, previous.plans.get(str(account_id)), previous.quarter)

    # --- what identifies it ----------------------------------------------------------------------

    def _rows(self, view: QuarterView) -> pd.Series:
        key = ("rows", view.quarter)
        if key not in self._memo:
            used = view.summary[[c for c in view.summary.columns if c in USED_COLUMNS]]
            self._memo[key] = pd.util.hash_pandas_object(used, index=True)
        return self._memo[key]

    def fingerprint(self, account_id: str | None = None) -> str:
        """A short hash of what the pages can show of the earlier quarters: for one account its rows
        and plan snapshot in each of them, or (None) everything; with each quarter's source, record
        date and the notes. Why: an incremental build must rebuild a pack whose history changed (a
        record rewritten or removed) and only those."""
        parts: list[str | bytes] = [str(self.depth)]
        for v in self.quarters.values():
            parts.append(f"{v.quarter}|{v.source}|{v.created}|{v.threshold}|{v.cap}")
            rows = self._rows(v)
            if account_id is None:
                parts.append(rows.to_numpy().tobytes())
                parts.append(json.dumps(v.plans, sort_keys=True, default=str))
            else:
                parts.append(str(rows.get(account_id, "absent")))
                parts.append(json.dumps((v.plans or {}).get(account_id), sort_keys=True, default=str))
        parts += self.notes
        return hash_bytes(*parts)
