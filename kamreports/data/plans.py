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

import yaml

from ..errors import ConfigError, Problem

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


def _text(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return "" if value is None else str(value)


def _items(raw: Any, keys: set[str], what: str, source: str, problems: list[Problem]) -> list[dict[str, str]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(Problem(source, f"'{what}' must be a list"))
        return []
    items = []
    for i, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            problems.append(Problem(source, f"'{what}' item {i} must be a mapping", value=item))
            continue
        for key in set(item) - keys:
            problems.append(Problem(source, f"unknown key '{what}[{i}].{key}' (known: {', '.join(sorted(keys))})"))
        items.append({k: _text(item.get(k)) for k in sorted(keys)})
    return items


def load_plan(folder: Path, account_id: str) -> PlanInputs:
    path = plan_path(folder, account_id)
    if not path.is_file():
        return PlanInputs()
    source = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(source, f"is not valid YAML: {getattr(exc, 'problem', None) or exc}")]) from None
    problems: list[Problem] = []
    if not isinstance(raw, dict):
        raise ConfigError([Problem(source, "must be a mapping with swot, goals and actions")])
    for key in set(raw) - {"swot", "goals", "actions", "account_id"}:
        problems.append(Problem(source, f"unknown key '{key}' (known: account_id, swot, goals, actions)"))
    swot_raw = raw.get("swot") or {}
    swot: dict[str, list[str]] = {}
    if not isinstance(swot_raw, dict):
        problems.append(Problem(source, "'swot' must map strengths/weaknesses/opportunities/threats to lists"))
    else:
        for kind, items in swot_raw.items():
            if kind not in SWOT_KINDS:
                problems.append(Problem(source, f"unknown key 'swot.{kind}' (known: {', '.join(SWOT_KINDS)})"))
            elif not isinstance(items, list):
                problems.append(Problem(source, f"'swot.{kind}' must be a list of sentences"))
            else:
                swot[kind] = [_text(t) for t in items]
    goals = _items(raw.get("goals"), GOAL_KEYS, "goals", source, problems)
    for i, goal in enumerate(goals, start=1):
        if goal["horizon"] not in HORIZONS:
            problems.append(Problem(source, f"'goals[{i}].horizon' must be one of {', '.join(HORIZONS)}",
                                    value=goal["horizon"]))
    actions = _items(raw.get("actions"), ACTION_KEYS, "actions", source, problems)
    if problems:
        raise ConfigError(problems)
    return PlanInputs(swot=swot, goals=goals, actions=actions, source=source)
