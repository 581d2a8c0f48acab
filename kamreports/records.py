"""Each quarter's record: what a build decided and reported, kept so that later quarters can compare
with it "as reported then" — and the history read back from those records.

Layout (record format 1), in ``<root>/<quarter>/record/``; ``root`` is the output folder, or the
settings' ``records:`` folder, which keeps the history whatever ``--output`` a build writes to::

    record.json   format, quarter, origin (build or backfill), created, kamreports version, the settings
                  (config.settings_dict), the inputs' hash, the selection threshold and cap, the team's
                  include/exclude, the key list with each key account's reason, the summary's columns
                  with their dtypes, and a SHA-256 checksum of each file
    summary.csv   the whole Portfolio.summary, index (account_id) included: every column of the contract
    plans.json    per account with a plan: goals (id, text, computed status), actions (due, done, overdue),
                  stale, executive sponsor (analytics.plan_progress.plan_snapshot) at the quarter's end;
                  not written by --backfill, which cannot know what the plans said then

Every file is written through ``files.write_atomic`` into a new folder that then replaces the old one
in two renames, so a reader sees a whole record or none.

Reading is defensive: a record that cannot be used (unreadable or damaged file, a checksum that does
not match, a newer format, no key list) is never trusted: the quarter is recomputed from the data,
and a note says so (and a warning goes to the ``kamreports`` log). A record of an older or newer
version with fewer or more columns is used for what it holds, and the note names what is missing.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .analytics.contract import SUMMARY_COLUMNS, check_summary
from .analytics.history import (
    AS_REPORTED,
    BACKFILLED,
    CURRENT,
    DEPTH,
    PREV_COLUMNS,
    RECOMPUTED,
    USED_COLUMNS,
    History,
    QuarterView,
    quarter_runs,
)
from .analytics.plan_progress import plan_snapshot
from .config import PROJECT_ROOT, Settings, settings_changes, settings_dict
from .data.plans import plan_files
from .errors import ConfigError
from .files import file_fingerprint, process_runs, write_atomic
from .model import Portfolio, earlier_summary
from .periods import QuarterError, parse_quarter, quarter_end, quarter_range, shift_quarter

log = logging.getLogger("kamreports")

RECORD_FORMAT = 1
RECORD_DIR = "record"
FILES = ("record.json", "summary.csv", "plans.json")


class RecordProblem(Exception):
    """A record that cannot be used; the message says why, in words for the page."""


# --- where records are ---------------------------------------------------------------------------

def record_dir(root: Path, quarter: str) -> Path:
    """The folder of ``quarter``'s record under a records root (an output folder or ``records:``)."""
    return Path(root) / quarter / RECORD_DIR


def records_root(settings: Settings, output: Path | None = None) -> Path:
    """Where records are read and written: the settings' ``records:`` folder, else the output folder
    (the repository's ``output/`` when none is given, as in JupyterLab)."""
    if settings.records_path is not None:
        return settings.records_path.resolve()
    return Path(output).resolve() if output is not None else PROJECT_ROOT / "output"


def records_fingerprint(root: Path | None) -> tuple | None:
    """What identifies every record under ``root`` cheaply (names, sizes, times), for caches."""
    if root is None or not Path(root).is_dir():
        return None
    return file_fingerprint(sorted(Path(root).glob(f"*/{RECORD_DIR}/*")))


# --- writing -------------------------------------------------------------------------------------

def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kamreports")
    except PackageNotFoundError:
        return "unknown"


def plan_snapshots(portfolio: Portfolio) -> dict[str, dict]:
    """The plan snapshot of every account of the quarter that has a plan, at the quarter's end. A plan
    file that cannot be read is left out with a warning: the record must not fail the build."""
    if portfolio.uses_sample_plans:
        accounts = list(portfolio._sample_plans())
    else:
        known = set(portfolio.summary.index.astype(str))
        accounts = [p.stem for p in plan_files(portfolio.plans_folder) if p.stem in known]
    as_of, s = quarter_end(portfolio.quarter), portfolio.settings.plans
    out = {}
    for account_id in accounts:
        try:
            plan = portfolio.plan(account_id)
        except ConfigError as exc:
            log.warning("%s: the plan of %s is left out of the record: %s", portfolio.quarter, account_id, exc)
            continue
        if plan.exists:
            out[str(account_id)] = plan_snapshot(plan, as_of, s.on_track, s.at_risk, s.stale_after_days)
    return out


def record_files(portfolio: Portfolio, inputs_hash: str, origin: str = "build",
                 created: str | None = None) -> dict[str, bytes]:
    """The files of the quarter's record (see the module docstring), as bytes."""
    summary = portfolio.summary
    files = {"summary.csv": summary.to_csv(index=True).encode("utf-8")}
    if origin == "build":
        files["plans.json"] = json.dumps(plan_snapshots(portfolio), indent=1, sort_keys=True).encode("utf-8")
    sel = portfolio.settings.selection
    keys = portfolio.key_accounts
    meta: dict[str, Any] = {
        "format": RECORD_FORMAT, "quarter": portfolio.quarter, "origin": origin,
        "created": created or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "kamreports": _version(), "inputs_hash": inputs_hash,
        "selection": {"threshold": sel.threshold, "max_key_accounts": sel.max_key_accounts,
                      "include": dict(sel.include), "exclude": dict(sel.exclude)},
        "key_accounts": [{"account_id": str(a), "name": str(keys.at[a, "name"]), "score": float(keys.at[a, "score"]),
                          "reason": str(keys.at[a, "selection_reason"])} for a in keys.index],
        "settings": settings_dict(portfolio.settings),
        "plans": "recorded" if origin == "build" else "not recorded: a backfilled record cannot know the plans then",
        "index": {"name": summary.index.name or "account_id", "dtype": str(summary.index.dtype)},
        "columns": {str(c): {"dtype": str(summary[c].dtype), "nulls": int(summary[c].isna().sum())}
                    for c in summary.columns},
        "files": {name: {"sha256": _sha(content)} for name, content in files.items()},
    }
    files["record.json"] = json.dumps(meta, indent=1, default=str).encode("utf-8")
    return files


def _swap_folder(folder: Path, files: dict[str, bytes]) -> Path:
    """``files`` as the whole content of ``folder``: written (each atomically) into a new folder that
    replaces the old one in two renames. What a killed write left behind is put back or removed."""
    parent = folder.parent
    parent.mkdir(parents=True, exist_ok=True)
    for stale in parent.glob(f".{folder.name}-*-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not process_runs(int(pid)):
            if stale.name.startswith(f".{folder.name}-old-") and not folder.exists():
                os.replace(stale, folder)          # killed between the two renames: the old record is back
            else:
                shutil.rmtree(stale, ignore_errors=True)
    new = parent / f".{folder.name}-new-{os.getpid()}"
    old = parent / f".{folder.name}-old-{os.getpid()}"
    shutil.rmtree(new, ignore_errors=True)
    new.mkdir()
    try:
        for name, content in files.items():
            write_atomic(new / name, content)
        if folder.exists():
            os.replace(folder, old)
        os.replace(new, folder)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return folder


def write_record(folder: Path, portfolio: Portfolio, inputs_hash: str, origin: str = "build",
                 files: dict[str, bytes] | None = None) -> Path:
    """Write the quarter's record into ``folder`` (``<quarter folder>/record``), replacing any record
    there as a whole. ``files``: :func:`record_files` made before (the build makes them while its
    workers run the packs)."""
    return _swap_folder(Path(folder), record_files(portfolio, inputs_hash, origin) if files is None else files)


# --- reading -------------------------------------------------------------------------------------

@dataclass
class Record:
    """A record read back: its metadata, typed summary, plan snapshots (None when not recorded)."""

    folder: Path
    meta: dict[str, Any]
    summary: pd.DataFrame
    plans: dict[str, dict] | None
    notes: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)

    @property
    def quarter(self) -> str:
        return str(self.meta["quarter"])


_KIND_DTYPES = {"number": "float64", "count": "Int64", "flag": "boolean", "date": "datetime64[ns]", "text": "object"}
_KNOWN = {c.name for c in SUMMARY_COLUMNS if c.name != "score_<criterion>"}
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


def _declared_dtype(column: str) -> str | None:
    for c in SUMMARY_COLUMNS:
        if c.name == column:
            return _KIND_DTYPES[c.kind]
    return "float64" if column.startswith("score_") else None


def _typed(raw: pd.Series, dtype: str, nulls: int | None) -> tuple[pd.Series, int]:
    """``raw`` (text, NaN for an empty cell) as ``dtype``; and how many cells could not be read."""
    present = raw.notna()
    if dtype in ("float64", "int64", "Int64"):
        number = pd.to_numeric(raw, errors="coerce").astype("float64")
        if dtype != "float64":
            number = number.where(number % 1 == 0)
        bad = int((present & number.isna()).sum())
        if dtype == "float64":
            return number, bad
        ints = number.astype("Int64")
        return (ints.astype("int64") if dtype == "int64" and not ints.isna().any() else ints), bad
    if dtype in ("bool", "boolean"):
        lower = raw.str.strip().str.lower()
        flags = pd.Series(pd.array([True if v in _TRUE else False if v in _FALSE else None
                                    for v in lower.fillna("")], dtype="boolean"), index=raw.index)
        bad = int((present & flags.isna()).sum())
        return (flags.astype(bool) if dtype == "bool" and not flags.isna().any() else flags), bad
    if dtype.startswith("datetime64"):
        dates = pd.to_datetime(raw, errors="coerce")
        try:
            dates = dates.astype(dtype)
        except (TypeError, ValueError):
            pass
        return dates, int((present & dates.isna()).sum())
    text = raw if nulls else raw.fillna("")   # a column written without missing values: an empty cell is ""
    if dtype in ("str", "string", "object"):
        text = text.astype(dtype)
    return text, 0


def _parse_summary(content: bytes, columns: dict[str, Any], index: dict[str, Any] | None = None
                   ) -> tuple[pd.DataFrame, list[str]]:
    try:
        raw = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False, na_values=[""], index_col=0,
                          encoding="utf-8")
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise RecordProblem(f"summary.csv cannot be read ({str(exc).splitlines()[0][:120]})") from None
    if raw.index.hasnans or raw.index.has_duplicates:
        raise RecordProblem("summary.csv lists an account twice or without an id")
    if "is_key" not in raw.columns:
        raise RecordProblem("summary.csv has no is_key column, so the key list of that quarter is unknown")
    raw.index = pd.Index(raw.index.astype(str), name="account_id")
    if isinstance(index, dict) and index.get("dtype") in ("str", "string", "object"):
        raw.index = raw.index.astype(index["dtype"])
    notes, out = [], {}
    for column in raw.columns:
        declared = columns.get(column, {}) if isinstance(columns, dict) else {}
        dtype = (declared.get("dtype") if isinstance(declared, dict) else None) or _declared_dtype(column) or "object"
        nulls = declared.get("nulls") if isinstance(declared, dict) else None
        out[column], bad = _typed(raw[column], str(dtype), nulls if isinstance(nulls, int) else 1)
        if bad:
            notes.append(f"{bad} value(s) of {column} could not be read and are left empty")
    return pd.DataFrame(out, index=raw.index), notes


def _read_bytes(folder: Path, name: str, meta: dict[str, Any]) -> bytes:
    try:
        content = (folder / name).read_bytes()
    except OSError as exc:
        raise RecordProblem(f"{name} cannot be read ({exc.strerror or exc})") from None
    expected = (meta.get("files") or {}).get(name, {})
    if isinstance(expected, dict) and expected.get("sha256") and expected["sha256"] != _sha(content):
        raise RecordProblem(f"{name} does not match the checksum written with it (changed or damaged since)")
    return content


def read_record(folder: Path, quarter: str | None = None) -> Record:
    """The record in ``folder``; raise :class:`RecordProblem` when it cannot be used (see the module
    docstring). ``quarter``: the quarter the record must be of."""
    folder = Path(folder)
    try:
        meta = json.loads((folder / "record.json").read_text(encoding="utf-8"))
    except OSError as exc:
        raise RecordProblem(f"record.json cannot be read ({exc.strerror or exc})") from None
    except (ValueError, UnicodeDecodeError):
        raise RecordProblem("record.json is not valid JSON (damaged?)") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("format"), int) or "quarter" not in meta:
        raise RecordProblem("record.json does not hold a record (no format or quarter)")
    if meta["format"] > RECORD_FORMAT:
        raise RecordProblem(f"it was written by a newer kamreports ({meta.get('kamreports', 'unknown version')}, "
                            f"record format {meta['format']}; this version reads format {RECORD_FORMAT}), "
                            "so it is not used")
    if quarter is not None and str(meta["quarter"]) != quarter:
        raise RecordProblem(f"record.json is the record of {meta['quarter']}, not of {quarter}")
    summary, notes = _parse_summary(_read_bytes(folder, "summary.csv", meta), meta.get("columns") or {},
                                    meta.get("index"))
    missing = [c for c in USED_COLUMNS if c not in summary.columns]
    if missing:
        notes.append(f"the record lacks {', '.join(missing)} (written by an older kamreports?): "
                     "those figures are empty for that quarter")
    unknown = [c for c in summary.columns if c not in _KNOWN and not c.startswith("score_")]
    if unknown:
        notes.append(f"the record has columns this version does not know ({', '.join(unknown)}; a newer "
                     "kamreports?): not used")
    plans = None
    if "plans.json" in (meta.get("files") or {}):
        try:
            plans = json.loads(_read_bytes(folder, "plans.json", meta).decode("utf-8"))
            if not isinstance(plans, dict):
                raise RecordProblem("plans.json does not hold plan snapshots")
        except RecordProblem as exc:
            notes.append(f"{exc}: no plan progress since that quarter")
            plans = None
        except (ValueError, UnicodeDecodeError):
            notes.append("plans.json is not valid JSON (damaged?): no plan progress since that quarter")
            plans = None
    return Record(folder, meta, summary, plans, notes, missing)


# --- the history ---------------------------------------------------------------------------------

def _number(value: Any, fallback: float) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else fallback


def _view_of_record(record: Record, today: dict[str, Any], settings: Settings) -> QuarterView:
    meta = record.meta
    then = meta.get("settings") if isinstance(meta.get("settings"), dict) else {}
    selection = meta.get("selection") if isinstance(meta.get("selection"), dict) else {}
    old_selection = then.get("selection") if isinstance(then.get("selection"), dict) else {}
    notes = list(record.notes)
    threshold = _number(selection.get("threshold", old_selection.get("threshold")), np.nan)
    cap = _number(selection.get("max_key_accounts", old_selection.get("max_key_accounts")), np.nan)
    if np.isnan(threshold) or np.isnan(cap):
        notes.append("the record does not say which selection threshold and cap it used: today's are assumed")
        threshold = settings.selection.threshold if np.isnan(threshold) else threshold
        cap = settings.selection.max_key_accounts if np.isnan(cap) else cap
    if then:
        changed = settings_changes(then, today)
        if changed:
            notes.append("reported with other settings than this quarter's: " + "; ".join(changed))
    else:
        notes.append("the record does not say which settings it used")
    source = BACKFILLED if meta.get("origin") == "backfill" else AS_REPORTED
    return QuarterView(record.quarter, source, record.summary, threshold, int(cap), then, record.plans, notes,
                       str(meta.get("created")) if meta.get("created") else None, str(record.folder),
                       record.missing_columns)


def _first_quarter(portfolio: Portfolio) -> pd.Period | None:
    quarters = portfolio.quarterly["quarter"].dropna().unique()
    return min((parse_quarter(str(q)) for q in quarters), default=None)


def load_history(portfolio: Portfolio, records: Path | str | None, depth: int = DEPTH, warn: bool = True) -> History:
    """The quarters before the portfolio's, up to ``depth``: each from its record under ``records``
    ("as reported" or "backfilled"), else recomputed from the portfolio's dataset with its settings
    (``model.earlier_summary``, sharing the loaded data). Never raises for a bad record: it is noted (and
    with ``warn`` logged) and the quarter recomputed. Quarters before the data starts are absent; a
    quarter with neither a record nor revenue is absent with a note."""
    settings = portfolio.settings
    today = settings_dict(settings)
    root = Path(records) if records not in (None, "") else None
    first = _first_quarter(portfolio)
    views: dict[str, QuarterView] = {}
    notes: list[str] = []
    for quarter in quarter_range(shift_quarter(portfolio.quarter, -1), depth):
        view, problem = None, None
        folder = record_dir(root, quarter) if root is not None else None
        if folder is not None and folder.is_dir():
            try:
                view = _view_of_record(read_record(folder, quarter), today, settings)
            except RecordProblem as exc:
                problem = f"its record ({folder}) cannot be used: {exc}; recomputed from the data instead"
                if warn:
                    log.warning("%s: %s", quarter, problem)
        if view is None:
            if first is None or parse_quarter(quarter) < first:
                if problem:
                    notes.append(f"{quarter}: {problem.split('; recomputed')[0]}; the data starts later, so the "
                                 "quarter is left out")
                continue
            try:
                recomputed = earlier_summary(portfolio.dataset, settings, quarter, portfolio.quarterly)
            except (ConfigError, QuarterError):
                notes.append(f"{quarter}: missing: no record, and the data has no revenue in that quarter"
                             + (" (the comparison with the previous quarter is left out)"
                                if quarter == shift_quarter(portfolio.quarter, -1) else ""))
                continue
            sel = settings.selection
            view = QuarterView(quarter, RECOMPUTED, recomputed, sel.threshold, sel.max_key_accounts, today,
                               None, [problem] if problem else [])
        views[quarter] = view
        notes += [f"{quarter}: {n}" for n in view.notes]
    if any(v.source == RECOMPUTED for v in views.values()):
        recomputed_quarters = [q for q, v in views.items() if v.source == RECOMPUTED]
        notes.append(f"{quarter_runs(recomputed_quarters)}: no record, so recomputed from today's data with today's "
                     "settings; stakeholders and analyst scores have no history, so those quarters use today's")
    sel = settings.selection
    summary = portfolio.summary.drop(columns=[c for c in PREV_COLUMNS if c in portfolio.summary.columns])
    current = QuarterView(portfolio.quarter, CURRENT, summary, sel.threshold, sel.max_key_accounts, today)
    current_plan = _CurrentPlan(portfolio, quarter_end(portfolio.quarter), settings.plans)
    return History(portfolio.quarter, current, views, notes, depth, str(root) if root is not None else None,
                   current_plan)


class _CurrentPlan:
    """An account's plan snapshot as of the quarter's end, or None. A class rather than a closure so
    that a portfolio with its history pickles (the build hands it to its kernels)."""

    def __init__(self, portfolio: Portfolio, as_of: dt.date, plans: Any):
        self.portfolio, self.as_of, self.plans = portfolio, as_of, plans

    def __call__(self, account_id: str) -> dict | None:
        try:
            plan = self.portfolio.plan(account_id)
        except ConfigError:
            return None
        p = self.plans
        return plan_snapshot(plan, self.as_of, p.on_track, p.at_risk, p.stale_after_days) if plan.exists else None


def attach_history(portfolio: Portfolio, history: History) -> Portfolio:
    """Give the portfolio its history: ``portfolio.history``, and the summary's ``prev_*`` and
    ``key_change`` columns (declared in analytics.contract) from the previous quarter. Figures
    computed before (ROI, candidates) are dropped, as they may depend on the history."""
    movement = history.movement
    summary = portfolio.summary.drop(columns=[c for c in PREV_COLUMNS if c in portfolio.summary.columns])
    added = pd.DataFrame(index=summary.index)
    for column in ("prev_quadrant", "prev_relationship_stage", "prev_health_band", "prev_tier"):
        added[column] = movement[column].astype("object").where(movement[column].notna(), None)
    for column in ("prev_health_score", "prev_attainment_q"):
        added[column] = pd.to_numeric(movement[column], errors="coerce").astype("float64")
    added["prev_is_key"] = pd.array([None if pd.isna(v) else bool(v) for v in movement["prev_is_key"]],
                                    dtype="boolean")
    added["key_change"] = movement["key_change"].astype("object")
    portfolio.summary = summary.join(added)[[*summary.columns, *PREV_COLUMNS]]
    check_summary(portfolio.summary, portfolio.settings.selection.criteria)
    portfolio.history = history
    portfolio._cache.clear()
    return portfolio


def history_manifest(history: History, record: Path | None = None) -> dict[str, Any]:
    """The key-list history for manifest.json: per quarter, its source, threshold and cap, the key
    accounts entered and left with the reasons, and the notes. ``record``: where this quarter's own
    record is written."""
    changes = history.key_changes
    quarters = []
    for v in [*history.quarters.values(), history.current]:
        mine = changes[changes["quarter"] == v.quarter]

        def listed(kind: str, rows: pd.DataFrame = mine) -> list[dict[str, str]]:
            return [{"account_id": str(r.account_id), "name": str(r.name), "reason": str(r.reason)}
                    for r in rows[rows["change"] == kind].itertuples()]

        compared = history.view(shift_quarter(v.quarter, -1))
        location = v.location if v is not history.current else (str(record) if record is not None else None)
        quarters.append({"quarter": v.quarter, "source": v.source, "record": location, "created": v.created,
                         "threshold": v.threshold, "max_key_accounts": v.cap, "key_accounts": len(v.key_accounts),
                         "compared_with": f"{compared.quarter} ({compared.source})" if compared else None,
                         "entered": listed("entered"), "left": listed("left"), "notes": list(v.notes)})
    return {"records": history.records, "depth": history.depth, "summary": history.describe(),
            "quarters": quarters, "notes": list(history.notes)}
