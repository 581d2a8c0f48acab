"""Reading and checking plan files: ``<plans folder>/<account_id>.yaml``.

A missing file is normal (the pack says the plan is not agreed yet); a malformed one is an error
naming the file and the key path (``goals[2].baseline``), every problem at once. The checks come
from the rules declared on the sections (:mod:`.sections`), so there is one reader for every
section and every key.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path
from typing import Any

from ...errors import ConfigError, Problem
from ...files import read_yaml
from .sections import PLAN_FORMAT, SWOT_KINDS, PlanInputs, Rule, rules_of

_SCALARS = (str, int, float, bool, dt.date, dt.datetime)
TOP_KEYS = ("format", "account_id", *[f.name for f in dataclasses.fields(PlanInputs) if f.name not in ("format",
                                                                                                   "source")])


def plan_path(folder: Path, account_id: str) -> Path:
    return folder / f"{account_id}.yaml"


def safe_plan_name(account_id: str) -> bool:
    """Whether ``<account_id>.yaml`` is a plain file name inside the plans folder: an id holding a
    path separator, a NUL, or nothing but dots could point elsewhere (``../x``, ``/etc/x``)."""
    text = str(account_id)
    return bool(text.strip()) and not any(c in text for c in "/\\\x00") and text.strip(".") != "" \
        and not Path(f"{text}.yaml").is_absolute() and ":" not in text[:2]


def _kind(value: Any) -> str:
    return "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else type(value).__name__


def _short(key: Any) -> str:
    text = key if isinstance(key, str) else repr(key) if isinstance(key, _SCALARS) or key is None else _kind(key)
    return text if len(text) <= 60 else text[:57] + "..."


def _text(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return "" if value is None else str(value)


class _Reader:
    """State while one plan file is read: where it is, its format, the problems found."""

    def __init__(self, source: str, format_version: int):
        self.source = source
        self.format = format_version
        self.problems: list[Problem] = []

    def add(self, message: str, value: Any = None) -> None:
        shown = value if value is None or isinstance(value, _SCALARS) else None   # never str() a container
        self.problems.append(Problem(self.source, message, value=shown))

    def text(self, value: Any, where: str) -> str:
        """A sentence, name or date as text; a list or mapping here is a mistake (and could be huge)."""
        if value is None or isinstance(value, _SCALARS):
            return _text(value)
        self.add(f"'{where}' must be text, not {_kind(value)}")
        return ""

    def value(self, rule: Rule, raw: Any, where: str, key: str) -> Any:
        kind = rule.kind
        if kind == "text":
            return self.text(raw, where)
        if kind == "texts":
            if raw is None:
                return ()
            items = raw if isinstance(raw, list) else [raw]
            return tuple(t for t in (self.text(v, f"{where}[{i}]") for i, v in enumerate(items, 1)) if t)
        if kind == "date":
            return self.date(raw, where, key)
        if kind == "number":
            return self.number(raw, where)
        if kind == "flag":
            if raw is None or isinstance(raw, bool):
                return bool(raw)
            self.add(f"'{where}' must be true or false", raw)
            return False
        if kind == "choice":
            if raw is None or raw == "":
                return None
            word = " ".join(str(raw).strip().lower().replace("_", " ").replace("-", " ").split()) \
                if isinstance(raw, _SCALARS) else None
            if word in rule.choices:
                return word
            self.add(f"'{where}' must be one of {', '.join(rule.choices)}", raw if word is not None else None)
            return None
        if kind == "item":
            return self.section(rule.section, raw if raw is not None else {}, where)
        if kind == "items":
            if raw is None:
                return ()
            if not isinstance(raw, list):
                self.add(f"'{where}' must be a list, not {_kind(raw)}")
                return ()
            return tuple(s for s in (self.section(rule.section, item, f"{where}[{i}]")
                                     for i, item in enumerate(raw, 1)) if s is not None)
        raise ValueError(f"unknown rule kind {kind!r}")

    def date(self, raw: Any, where: str, key: str) -> dt.date | str | None:
        if raw is None or raw == "":
            return None
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        if isinstance(raw, str):
            try:
                return dt.date.fromisoformat(raw.strip()[:10])
            except ValueError:
                if self.format == 1 and key == "due":  # format 1 allowed "end of Q4": kept, shown as written
                    return raw
        self.add(f"'{where}' must be a date such as 2026-12-31", raw if isinstance(raw, _SCALARS) else None)
        return None

    def number(self, raw: Any, where: str) -> float | None:
        if raw is None or raw == "":
            return None
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            self.add(f"'{where}' must be a number", raw if isinstance(raw, _SCALARS) else None)
            return None
        try:
            number = float(raw.replace(",", "").strip()) if isinstance(raw, str) else float(raw)
        except (ValueError, OverflowError):
            self.add(f"'{where}' must be a number", raw)
            return None
        if not math.isfinite(number) or abs(number) > 1e15:
            self.add(f"'{where}' must be a finite number below 10^15", raw)
            return None
        return number

    @staticmethod
    def defaults(cls: type) -> dict[str, Any]:
        """Fields whose declared default is a value, not empty."""
        return {f.name: f.default for f in dataclasses.fields(cls)
                if f.default not in (None, "", dataclasses.MISSING, False)}

    def section(self, cls: type, raw: Any, where: str) -> Any:
        rules = rules_of(cls)
        if not isinstance(raw, dict):
            self.add(f"'{where}' must be a mapping of {', '.join(rules)}, not {_kind(raw)}")
            return None
        for key in raw:
            if key not in rules:
                self.add(f"unknown key '{where}.{_short(key)}' (known: {', '.join(rules)})")
        values = {}
        for key, rule in rules.items():
            if raw.get(key) is None and key in self.defaults(cls):
                continue   # an absent key keeps its declared default ("QBR")
            values[key] = self.value(rule, raw.get(key), f"{where}.{key}", key)
            if rule.required and values[key] in (None, "", ()):
                self.add(f"'{where}.{key}' is required")
        return cls(**values)


def parse_plan(raw: Any, source: str, account_id: str) -> PlanInputs:
    """A plan from the mapping a plan file holds; raise ConfigError listing every problem."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError([Problem(source, f"must be a mapping of plan sections ({', '.join(TOP_KEYS)}), "
                                           f"not {_kind(raw)}")])
    version = raw.get("format", 1)
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= PLAN_FORMAT:
        newer = isinstance(version, int) and not isinstance(version, bool) and version > PLAN_FORMAT
        raise ConfigError([Problem(source, f"'format' is {_short(version)}: this kamreports reads plan formats "
                                           f"1 to {PLAN_FORMAT}" + (" (the file was written for a newer "
                                                                    "kamreports: update it)" if newer else ""))])
    reader = _Reader(source, version)
    for key in raw:
        if key not in TOP_KEYS:
            reader.add(f"unknown key '{_short(key)}' (known: {', '.join(TOP_KEYS)})")
    said = reader.text(raw.get("account_id"), "account_id")
    if said and said != str(account_id):
        reader.add(f"'account_id' says {_short(said)!r} but the file is for account {account_id!r} "
                   "(the file name is the account id)")
    swot = _swot(raw.get("swot"), reader)
    values = {key: reader.value(rule, raw.get(key), key, key) for key, rule in rules_of(PlanInputs).items()}
    goal_ids = [g.id for g in values["goals"] if g.id]
    for duplicate in sorted({i for i in goal_ids if goal_ids.count(i) > 1}):
        reader.add(f"'goals' use the id {duplicate!r} more than once; each goal needs its own id")
    for i, action in enumerate(values["actions"], 1):
        if action.goal and action.goal not in goal_ids:
            reader.add(f"'actions[{i}].goal' names {_short(action.goal)!r}, but no goal has that id "
                       f"(ids: {', '.join(goal_ids) or 'none'})")
    if reader.problems:
        raise ConfigError(reader.problems)
    return PlanInputs(format=version, swot=swot, source=source, **values)


def _swot(raw: Any, reader: _Reader) -> dict[str, list[str]]:
    swot: dict[str, list[str]] = {}
    if raw is None:
        return swot
    if not isinstance(raw, dict):
        reader.add("'swot' must map strengths/weaknesses/opportunities/threats to lists")
        return swot
    for kind, items in raw.items():
        if kind not in SWOT_KINDS:
            reader.add(f"unknown key 'swot.{_short(kind)}' (known: {', '.join(SWOT_KINDS)})")
        elif items is None:
            swot[kind] = []
        elif not isinstance(items, list):
            reader.add(f"'swot.{kind}' must be a list of sentences")
        else:
            swot[kind] = [reader.text(t, f"swot.{kind}[{i}]") for i, t in enumerate(items, 1)]
    return swot


def load_plan(folder: Path, account_id: str) -> PlanInputs:
    """The account's plan file, checked; no file (or an id that cannot be a file name) is no plan."""
    if not safe_plan_name(account_id):
        return PlanInputs(source=None)
    path = plan_path(Path(folder), account_id)
    if not path.is_file():
        return PlanInputs(source=None)
    return parse_plan(read_yaml(path, str(path)), str(path), account_id)


def plan_files(folder: Path) -> list[Path]:
    """Every plan file in the folder (``*.yaml``), sorted; none when the folder does not exist."""
    try:
        return sorted(p for p in Path(folder).glob("*.yaml") if p.is_file())
    except (OSError, ValueError):
        return []


def validate_plan_files(folder: Path, account_ids: set[str] | None = None) -> list[Problem]:
    """Problems in every plan file present, and (given the known ids) files for no known account."""
    problems: list[Problem] = []
    for path in plan_files(folder):
        account_id = path.stem
        try:
            load_plan(path.parent, account_id)
        except ConfigError as exc:
            problems += exc.problems
        if account_ids is not None and account_id not in account_ids:
            problems.append(Problem(str(path), f"is a plan for account {account_id!r}, which is not in the data "
                                               "(the file name must be the account id)"))
    return problems
