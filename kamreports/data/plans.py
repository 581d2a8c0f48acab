"""Analyst-entered plan inputs per account: ``params/accounts/<account_id>.yaml``.

SWOT items, goals and actions are judgement, not data, so they live in small
version-controlled YAML files beside the settings. A missing file is normal
(the pack says "not yet planned"); a malformed one is an error naming the key.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, Problem
from ..files import read_yaml

SWOT_KINDS = ("strengths", "weaknesses", "opportunities", "threats")
HORIZONS = ("short", "mid", "long")
GOAL_KEYS = {"horizon", "goal", "owner", "due"}
ACTION_KEYS = {"action", "owner", "due", "status"}


@dataclass(frozen=True)
class PlanInputs:
    swot: dict[str, list[str]] = field(default_factory=dict)
    goals: list[dict[str, str]] = field(default_factory=list)
    actions: list[dict[str, str]] = field(default_factory=list)
    source: str | None = None   # None: no plan file for this account

    @property
    def planned(self) -> bool:
        return bool(self.goals or self.actions)


def plan_path(folder: Path, account_id: str) -> Path:
    return folder / f"{account_id}.yaml"


def safe_plan_name(account_id: str) -> bool:
    """Whether ``<account_id>.yaml`` is a plain file name inside the plans folder: an id holding a
    path separator, a NUL, or nothing but dots could point elsewhere (``../x``, ``/etc/x``)."""
    text = str(account_id)
    return bool(text.strip()) and not any(c in text for c in "/\\\x00") and text.strip(".") != "" \
        and not Path(f"{text}.yaml").is_absolute() and ":" not in text[:2]


_SCALARS = (str, int, float, bool, dt.date, dt.datetime)


def _text(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return "" if value is None else str(value)


def _kind(value: Any) -> str:
    return "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else type(value).__name__


def _scalar(value: Any, where: str, source: str, problems: list[Problem]) -> str:
    """A sentence, name or date; a list or mapping here is a mistake (and could be huge)."""
    if value is None or isinstance(value, _SCALARS):
        return _text(value)
    problems.append(Problem(source, f"'{where}' must be text, not {_kind(value)}"))
    return ""


def _items(raw: Any, keys: set[str], what: str, source: str, problems: list[Problem]) -> list[dict[str, str]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(Problem(source, f"'{what}' must be a list, not {_kind(raw)}"))
        return []
    items = []
    for i, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            problems.append(Problem(source, f"'{what}' item {i} must be a mapping of "
                                            f"{', '.join(sorted(keys))}, not {_kind(item)}"))
            continue
        for key in item:
            if key not in keys:
                problems.append(Problem(source, f"unknown key '{what}[{i}].{_short(key)}' "
                                                f"(known: {', '.join(sorted(keys))})"))
        items.append({k: _scalar(item.get(k), f"{what}[{i}].{k}", source, problems) for k in sorted(keys)})
    return items


def _short(key: Any) -> str:
    text = key if isinstance(key, str) else repr(key) if isinstance(key, _SCALARS) or key is None else _kind(key)
    return text if len(text) <= 60 else text[:57] + "..."


def load_plan(folder: Path, account_id: str) -> PlanInputs:
    """The account's plan file, checked; no file (or an id that cannot be a file name) is no plan."""
    if not safe_plan_name(account_id):
        return PlanInputs()
    path = plan_path(Path(folder), account_id)
    if not path.is_file():
        return PlanInputs()
    source = str(path)
    raw = read_yaml(path, source)
    if raw is None:
        raw = {}
    problems: list[Problem] = []
    if not isinstance(raw, dict):
        raise ConfigError([Problem(source, f"must be a mapping with swot, goals and actions, not {_kind(raw)}")])
    for key in raw:
        if key not in ("swot", "goals", "actions", "account_id"):
            problems.append(Problem(source, f"unknown key '{_short(key)}' (known: account_id, swot, goals, actions)"))
    said = _scalar(raw.get("account_id"), "account_id", source, problems)
    if said and said != str(account_id):
        problems.append(Problem(source, f"'account_id' says {_short(said)!r} but the file is for account "
                                        f"{account_id!r} (the file name is the account id)"))
    swot_raw = raw.get("swot") or {}
    swot: dict[str, list[str]] = {}
    if not isinstance(swot_raw, dict):
        problems.append(Problem(source, "'swot' must map strengths/weaknesses/opportunities/threats to lists"))
    else:
        for kind, items in swot_raw.items():
            if kind not in SWOT_KINDS:
                problems.append(Problem(source, f"unknown key 'swot.{_short(kind)}' (known: {', '.join(SWOT_KINDS)})"))
            elif items is None:
                swot[kind] = []
            elif not isinstance(items, list):
                problems.append(Problem(source, f"'swot.{kind}' must be a list of sentences"))
            else:
                swot[kind] = [_scalar(t, f"swot.{kind}[{i}]", source, problems) for i, t in enumerate(items, 1)]
    goals = _items(raw.get("goals"), GOAL_KEYS, "goals", source, problems)
    for i, goal in enumerate(goals, start=1):
        if goal["horizon"] not in HORIZONS:
            problems.append(Problem(source, f"'goals[{i}].horizon' must be one of {', '.join(HORIZONS)}",
                                    value=goal["horizon"]))
    actions = _items(raw.get("actions"), ACTION_KEYS, "actions", source, problems)
    if problems:
        raise ConfigError(problems)
    return PlanInputs(swot=swot, goals=goals, actions=actions, source=source)


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
