"""Run settings: YAML in, typed and validated :class:`Settings` out.

Every weight and threshold the reports use lives here, with a default, so a
KAM team can see and version-control how accounts are judged. A settings file
only needs the keys it changes; unknown keys, wrong types and weights that do
not sum to 100 are all reported together, with the file and the key path.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError, Problem
from .periods import QuarterError, parse_quarter

# Criteria the scoring matrix can derive from data; others are analyst-entered
# columns of the accounts table, scored 1-10.
DERIVED_CRITERIA = ("revenue_volume", "revenue_potential", "lifetime_value", "average_transaction_size",
                    "customer_tenure")
ANALYST_CRITERIA = ("product_fit", "purchasing_process", "partner_history", "solvency", "existing_relationships",
                    "cultural_fit", "geographic_alignment", "strategic_value")
ATTRACTIVENESS_FACTORS = ("revenue_potential", "growth", "gross_margin", "strategic_value", "revenue_volume")
STRENGTH_FACTORS = ("share_of_wallet", "stakeholder_sentiment", "stakeholder_coverage", "customer_tenure")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Company:
    name: str = "Northwind Components"
    currency: str = "$"
    logo: str | None = None
    primary_color: str = "#1f3b5c"
    accent_color: str = "#e07a1f"


@dataclass(frozen=True)
class Selection:
    """Weighted scoring matrix (3-5 criteria, weights summing to 100) and the selection rule."""

    criteria: dict[str, float] = field(default_factory=lambda: {
        "revenue_volume": 40, "revenue_potential": 20, "customer_tenure": 10,
        "product_fit": 15, "strategic_value": 15})
    threshold: float = 6.0
    max_key_accounts: int = 20
    include: dict[str, str] = field(default_factory=dict)   # account_id -> reason
    exclude: dict[str, str] = field(default_factory=dict)   # account_id -> reason
    tier_1: float = 7.5
    tier_2: float = 5.5


@dataclass(frozen=True)
class Abc:
    """ABC classes by cumulative revenue share: A up to `a`, B up to `b`, C the rest."""

    a: float = 0.80
    b: float = 0.95


@dataclass(frozen=True)
class Matrix:
    """KAM portfolio matrix: attractiveness and relationship strength, each 0-10."""

    attractiveness: dict[str, float] = field(default_factory=lambda: {
        "revenue_potential": 35, "growth": 25, "gross_margin": 20, "strategic_value": 20})
    strength: dict[str, float] = field(default_factory=lambda: {
        "share_of_wallet": 35, "stakeholder_sentiment": 25, "stakeholder_coverage": 25, "customer_tenure": 15})
    split: float = 5.0


@dataclass(frozen=True)
class Report:
    page_size: str = "A4"
    stale_contact_days: int = 90


@dataclass(frozen=True)
class Settings:
    company: Company = field(default_factory=Company)
    selection: Selection = field(default_factory=Selection)
    abc: Abc = field(default_factory=Abc)
    matrix: Matrix = field(default_factory=Matrix)
    report: Report = field(default_factory=Report)
    data: str | None = None            # folder of CSV; empty = the bundled sample company
    quarter: str | None = None         # empty = the latest complete quarter in the data
    accounts_dir: str | None = None    # per-account SWOT items, goals, actions; empty = params/accounts
    source: str = field(default="defaults", compare=False)

    def resolve(self, relative: str | None) -> Path | None:
        """A path written in a settings file is relative to that file's folder."""
        if relative is None:
            return None
        path = Path(relative).expanduser()
        if path.is_absolute() or self.source == "defaults":
            return path if path.is_absolute() else PROJECT_ROOT / path
        return Path(self.source).resolve().parent / path

    @property
    def accounts_path(self) -> Path:
        return self.resolve(self.accounts_dir) if self.accounts_dir else PROJECT_ROOT / "params" / "accounts"

    @property
    def data_path(self) -> Path | None:
        return self.resolve(self.data)


def _type_ok(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if hint is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, h) for h in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin is dict:
        key_t, val_t = typing.get_args(hint)
        return isinstance(value, dict) and all(_type_ok(k, key_t) and _type_ok(v, val_t) for k, v in value.items())
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _describe(hint: Any) -> str:
    names = {str: "text", float: "a number", int: "a whole number", bool: "true or false", type(None): "empty"}
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_describe(h) for h in typing.get_args(hint))
    if typing.get_origin(hint) is dict:
        return "a mapping"
    return names.get(hint, getattr(hint, "__name__", str(hint)))


def _build(cls: type, raw: Any, path: str, source: str, problems: list[Problem]) -> Any:
    if not isinstance(raw, dict):
        problems.append(Problem(source, f"'{path or 'top level'}' must be a mapping of keys to values", value=raw))
        return cls()
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "source"}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        where = f"{path}.{key}" if path else str(key)
        if key not in fields:
            problems.append(Problem(source, f"unknown key '{where}' (known: {', '.join(fields)})"))
            continue
        hint = hints[key]
        if dataclasses.is_dataclass(hint):
            values[key] = _build(hint, value if value is not None else {}, where, source, problems)
        elif isinstance(hint, type) and hint is dict or typing.get_origin(hint) is dict:
            value = {} if value is None else value
            if _type_ok(value, hint):
                values[key] = {str(k): v for k, v in value.items()}
            else:
                problems.append(Problem(source, f"'{where}' must be {_describe(hint)} "
                                                f"of {_describe(typing.get_args(hint)[1])} values", value=value))
        elif _type_ok(value, hint):
            values[key] = float(value) if hint is float else value
        else:
            problems.append(Problem(source, f"'{where}' must be {_describe(hint)}", value=value))
    return cls(**values)


def _check_weights(weights: dict[str, float], allowed: tuple[str, ...], where: str, source: str,
                   problems: list[Problem], min_count: int, max_count: int) -> None:
    unknown = [k for k in weights if k not in allowed]
    for name in unknown:
        problems.append(Problem(source, f"'{where}' has unknown criterion '{name}' (choose from: {', '.join(allowed)})"))
    if not min_count <= len(weights) <= max_count:
        problems.append(Problem(source, f"'{where}' must name {min_count}-{max_count} criteria, it names {len(weights)}"))
    if any(w < 0 for w in weights.values()):
        problems.append(Problem(source, f"'{where}' weights must not be negative"))
    total = sum(weights.values())
    if abs(total - 100) > 1e-6:
        problems.append(Problem(source, f"'{where}' weights must sum to 100, they sum to {total:g}"))


def validate(settings: Settings) -> list[Problem]:
    """Rules that span keys: weights, cut-offs, page size, quarter."""
    problems: list[Problem] = []
    src = settings.source
    sel = settings.selection
    _check_weights(sel.criteria, DERIVED_CRITERIA + ANALYST_CRITERIA, "selection.criteria", src, problems, 3, 5)
    _check_weights(settings.matrix.attractiveness, ATTRACTIVENESS_FACTORS, "matrix.attractiveness", src, problems, 1, 5)
    _check_weights(settings.matrix.strength, STRENGTH_FACTORS, "matrix.strength", src, problems, 1, 4)
    if not 1 <= sel.threshold <= 10:
        problems.append(Problem(src, "'selection.threshold' must be between 1 and 10", value=sel.threshold))
    if sel.max_key_accounts < 1:
        problems.append(Problem(src, "'selection.max_key_accounts' must be at least 1", value=sel.max_key_accounts))
    if not sel.tier_2 <= sel.tier_1:
        problems.append(Problem(src, "'selection.tier_2' must not exceed 'selection.tier_1'"))
    both = set(sel.include) & set(sel.exclude)
    if both:
        problems.append(Problem(src, f"accounts both included and excluded: {', '.join(sorted(both))}"))
    if not 0 < settings.abc.a < settings.abc.b <= 1:
        problems.append(Problem(src, "'abc' cut-offs must satisfy 0 < a < b <= 1",
                                value=f"a={settings.abc.a}, b={settings.abc.b}"))
    if not 0 <= settings.matrix.split <= 10:
        problems.append(Problem(src, "'matrix.split' must be between 0 and 10", value=settings.matrix.split))
    if settings.report.page_size not in ("A4", "Letter"):
        problems.append(Problem(src, "'report.page_size' must be A4 or Letter", value=settings.report.page_size))
    if settings.quarter is not None:
        try:
            parse_quarter(settings.quarter)
        except QuarterError as exc:
            problems.append(Problem(src, f"'quarter': {exc}", value=settings.quarter))
    return problems


def load_settings(path: str | Path | None = None) -> Settings:
    """Defaults overlaid with the YAML file at ``path`` (if any); raise ConfigError listing every problem."""
    if path is None:
        settings = Settings()
    else:
        path = Path(path)
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError([Problem(source, f"cannot be read: {exc.strerror or exc}")]) from None
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            row = mark.line + 1 if mark is not None else None
            raise ConfigError([Problem(source, f"is not valid YAML: {getattr(exc, 'problem', None) or exc}",
                                       row=row)]) from None
        problems: list[Problem] = []
        settings = _build(Settings, raw if raw is not None else {}, "", source, problems)
        settings = dataclasses.replace(settings, source=source)
        if problems:
            raise ConfigError(problems + validate(settings))
    problems = validate(settings)
    if problems:
        raise ConfigError(problems)
    return settings


def settings_dict(settings: Settings) -> dict[str, Any]:
    """Plain data for the manifest."""
    return dataclasses.asdict(settings)
