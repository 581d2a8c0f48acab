"""Run settings: YAML in, typed and validated :class:`Settings` out.

Every weight and threshold the reports use lives here, with a default, so a
KAM team can see and version-control how accounts are judged. A settings file
only needs the keys it changes; unknown keys, wrong types and weights that do
not sum to 100 are all reported together, with the file and the key path.

Each field's range is declared next to it (:func:`setting`), and each section's
orderings between fields (``red <= amber``) in its ``ORDER``; one checker,
:func:`validate`, reads both, so a rule is written once and reported the same way.
"""
from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from .errors import ConfigError, Problem
from .files import not_a_file_message, read_yaml, special_file
from .periods import QuarterError, parse_quarter
from .protocol import PAGE_SIZES
from .urls import mask_url

# Criteria the scoring matrix can derive from data; others are analyst-entered
# columns of the accounts table, scored 1-10.
DERIVED_CRITERIA = ("revenue_volume", "revenue_potential", "lifetime_value", "average_transaction_size",
                    "customer_tenure")
ANALYST_CRITERIA = ("product_fit", "purchasing_process", "partner_history", "solvency", "existing_relationships",
                    "cultural_fit", "geographic_alignment", "strategic_value")
ATTRACTIVENESS_FACTORS = ("revenue_potential", "growth", "gross_margin", "strategic_value", "revenue_volume")
STRENGTH_FACTORS = ("share_of_wallet", "stakeholder_sentiment", "stakeholder_coverage", "customer_tenure")
HEALTH_COMPONENTS = ("growth", "attainment", "nps", "engagement", "coverage", "risks")
WHITESPACE_PEER_GROUPS = ("size", "industry", "all")
ROI_MATCHES = ("size", "industry", "size_industry", "all")
ROI_COST_BASES = ("extra", "total")
KINDS = ("csv", "excel", "parquet", "sql")          # where the data can come from (``data: {kind: ...}``)
SEPARATORS = (",", ".", " ", "'", "\u202f", "")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


# --- rules declared next to each field ------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    """What a field's value must be. Bounds are inclusive unless ``*_open``; ``choices`` lists the
    allowed values; ``pattern`` must match the whole text (``expected`` says it in words); ``weights``
    names the keys a weights mapping may use and how many (min, max), which must sum to 100."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] | None = None
    pattern: str | None = None
    expected: str = ""
    weights: tuple[tuple[str, ...], int, int] | None = None

    def describe(self) -> str:
        if self.choices is not None:
            shown = [c for c in self.choices if c]
            return " or ".join(shown) if len(shown) == 2 else f"one of {', '.join(shown)}"
        if self.pattern is not None:
            return self.expected
        low = None if self.low is None else f"{'above' if self.low_open else 'at least'} {self.low:g}"
        high = None if self.high is None else f"{'below' if self.high_open else 'at most'} {self.high:g}"
        if low and high and not self.low_open and not self.high_open:
            return f"between {self.low:g} and {self.high:g}"
        return " and ".join(part for part in (low, high) if part)

    def problems(self, value: Any, where: str, source: str) -> list[Problem]:
        if value is None:
            return []
        if self.weights is not None:
            return _weight_problems(value, *self.weights, where, source)
        if self.choices is not None:
            ok = value in self.choices
        elif self.pattern is not None:
            ok = isinstance(value, str) and re.fullmatch(self.pattern, value) is not None
        else:
            number = float(value)
            ok = not math.isnan(number) \
                and (self.low is None or (number > self.low if self.low_open else number >= self.low)) \
                and (self.high is None or (number < self.high if self.high_open else number <= self.high))
        return [] if ok else [Problem(source, f"'{where}' must be {self.describe()}", value=value)]


def setting(default: Any = dataclasses.MISSING, *, factory: Any = dataclasses.MISSING, **rule: Any) -> Any:
    """A settings field with its rule: ``setting(4, low=1, high=8)``, ``setting("A4", choices=PAGE_SIZES)``."""
    return field(default=default, default_factory=factory, metadata={"rule": Rule(**rule)})


def _weight_problems(weights: dict[str, float], allowed: tuple[str, ...], min_count: int, max_count: int,
                     where: str, source: str) -> list[Problem]:
    problems = [Problem(source, f"'{where}' has unknown criterion '{name}' (choose from: {', '.join(allowed)})")
                for name in weights if name not in allowed]
    if not min_count <= len(weights) <= max_count:
        problems.append(Problem(source, f"'{where}' must name {min_count}-{max_count} criteria, "
                                        f"it names {len(weights)}"))
    if any(w < 0 for w in weights.values()):
        problems.append(Problem(source, f"'{where}' weights must not be negative"))
    total = sum(weights.values())
    if not abs(total - 100) <= 1e-6:
        problems.append(Problem(source, f"'{where}' weights must sum to 100, they sum to {total:g}"))
    return problems


def _order_problems(section: Any, where: str, source: str) -> list[Problem]:
    """Each ``(what, "-1 <= a < b")`` of the section's ORDER: a chain of numbers and field names."""
    problems = []
    for what, chain in getattr(section, "ORDER", ()):
        terms = re.split(r"\s*(<=|<)\s*", chain)
        names = [t for t in terms[::2] if not re.fullmatch(r"-?[\d.]+", t)]
        values = [float(t) if t not in names else float(getattr(section, t)) for t in terms[::2]]
        holds = all(a <= b if op == "<=" else a < b for a, op, b in zip(values, terms[1::2], values[1:]))
        if holds:
            continue
        shown = ", ".join(f"{n}={getattr(section, n):g}" for n in names)
        if len(terms) == 3 and len(names) == 2:  # "a <= b": say it with the keys' full names
            relation = "must not exceed" if terms[1] == "<=" else "must be below"
            problems.append(Problem(source, f"'{where}.{terms[0]}' {relation} '{where}.{terms[2]}'", value=shown))
        else:
            problems.append(Problem(source, f"'{where}' {what} must satisfy {chain}", value=shown))
    return problems


# --- the sections ---------------------------------------------------------------------------------

HEX_COLOUR = r"#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}"


@dataclass(frozen=True)
class Company:
    name: str = "Northwind Components"
    currency: str = "$"
    logo: str | None = setting(None, pattern=r"(?i).+\.(png|svg|jpg|jpeg)", expected="a .png, .svg or .jpg file")
    primary_color: str = setting("#1f3b5c", pattern=HEX_COLOUR, expected="a hex colour such as #1f3b5c")
    accent_color: str = setting("#e07a1f", pattern=HEX_COLOUR, expected="a hex colour such as #1f3b5c")
    thousands_separator: str = ","
    decimal_separator: str = "."


@dataclass(frozen=True)
class Selection:
    """Weighted scoring matrix (3-5 criteria, weights summing to 100) and the selection rule."""

    criteria: dict[str, float] = setting(factory=lambda: {
        "revenue_volume": 40, "revenue_potential": 20, "customer_tenure": 10,
        "product_fit": 15, "strategic_value": 15}, weights=(DERIVED_CRITERIA + ANALYST_CRITERIA, 3, 5))
    threshold: float = setting(6.0, low=1, high=10)
    max_key_accounts: int = setting(20, low=1)
    include: dict[str, str] = field(default_factory=dict)   # account_id -> reason
    exclude: dict[str, str] = field(default_factory=dict)   # account_id -> reason
    tier_1: float = 7.5
    tier_2: float = 5.5

    ORDER: ClassVar = (("tiers", "tier_2 <= tier_1"),)


@dataclass(frozen=True)
class Abc:
    """ABC classes by cumulative revenue share: A up to `a`, B up to `b`, C the rest."""

    a: float = 0.80
    b: float = 0.95

    ORDER: ClassVar = (("cut-offs", "0 < a < b <= 1"),)


@dataclass(frozen=True)
class Matrix:
    """KAM portfolio matrix: attractiveness and relationship strength, each 0-10."""

    attractiveness: dict[str, float] = setting(factory=lambda: {
        "revenue_potential": 35, "growth": 25, "gross_margin": 20, "strategic_value": 20},
        weights=(ATTRACTIVENESS_FACTORS, 1, 5))
    strength: dict[str, float] = setting(factory=lambda: {
        "share_of_wallet": 35, "stakeholder_sentiment": 25, "stakeholder_coverage": 25, "customer_tenure": 15},
        weights=(STRENGTH_FACTORS, 1, 4))
    split: float = setting(5.0, low=0, high=10)


BOOK_CONTENTS = ("summary", "full")


@dataclass(frozen=True)
class Report:
    page_size: str = setting("A4", choices=PAGE_SIZES)
    stale_contact_days: int = 90
    classification: str = setting("Confidential", pattern=r"\S.{0,39}",
                                  expected="a short label such as Confidential (1-40 characters)")
    book: str = setting("summary", choices=BOOK_CONTENTS)   # the book holds each key account's page one, or its plan
    # attainment or growth beyond +/- this ratio (10 = 1,000%) is "target/base too small to compare" on the pages
    sane_change: float = setting(10.0, low=0, low_open=True)


@dataclass(frozen=True)
class Forecast:
    """Full-year forecast: actuals to date + remaining quarters at the run-rate, with a band."""

    run_rate_quarters: int = setting(2, low=1, high=8)   # run-rate = mean revenue of this many latest quarters
    band_quarters: int = setting(4, low=2, high=12)      # band: spread of this many latest quarter-on-quarter changes
    min_band: float = setting(0.05, low=0, high=1, low_open=True, high_open=True)  # never narrower than +/- this


@dataclass(frozen=True)
class Whitespace:
    """Cross-sell: products an account does not buy, valued from peers that do."""

    top_n: int = setting(5, low=1)                                       # opportunities listed per account
    peer_group: str = setting("size", choices=WHITESPACE_PEER_GROUPS)   # size (band of T4Q revenue), industry, all
    size_bands: int = setting(3, low=1, high=10)                        # number of size bands when peer_group is size
    min_peers: int = setting(3, low=1)              # fewer buying peers in the group than this: use all buyers


@dataclass(frozen=True)
class Health:
    """Account health 0-100: weighted components each scored 0-100; red/amber/green bands."""

    weights: dict[str, float] = setting(factory=lambda: {
        "growth": 20, "attainment": 20, "nps": 20, "engagement": 15, "coverage": 15, "risks": 10},
        weights=(HEALTH_COMPONENTS, 1, len(HEALTH_COMPONENTS)))
    red: float = 50                # score below: red
    amber: float = 70              # score below (and not red): amber; else green
    min_weight: float = setting(50, low=0, high=100, low_open=True)  # a score needs components worth this much
    growth_span: float = setting(0.20, low=0, high=1, low_open=True)  # T4Q growth -span = 0, 0 = 50, +span = 100
    risk_step: float = setting(25, low=0, high=100, low_open=True)    # points lost per stakeholder risk flag

    ORDER: ClassVar = (("bands", "0 <= red <= amber <= 100"),)


@dataclass(frozen=True)
class Candidates:
    """Accounts to consider promoting to key account, or reviewing for demotion."""

    promote_growth: float = 0.20                                          # non-key: T4Q growth at or above
    promote_potential_score: float = setting(8.0, low=1, high=10)  # non-key: revenue-potential score (1-10) at or above
    demote_growth: float = -0.10                                          # key: T4Q growth at or below
    demote_attainment: float = setting(0.80, low=0, high=1, low_open=True)   # key: quarter attainment below
    demote_score_margin: float = setting(1.0, low=0, high=9)   # key: score below selection.threshold minus this

    ORDER: ClassVar = (("growth rates", "-1 <= demote_growth < promote_growth"),)


@dataclass(frozen=True)
class Sensitivity:
    """How far each selection weight is moved, up and down, to test the key-account list."""

    delta: float = setting(0.20, low=0, high=1, low_open=True, high_open=True)  # 0.2 moves a weight of 40 to 48 and 32


@dataclass(frozen=True)
class Stages:
    """Relationship stage by points: contacts, share of wallet and tenure earn a point at each
    threshold reached (0-3), levels a point per level engaged (executive, management, operational)."""

    contacts_1: int = 2                    # mapped stakeholders for 1, 2, 3 points
    contacts_2: int = 4
    contacts_3: int = 6
    wallet_1: float = 0.20                 # share of wallet for 1, 2, 3 points
    wallet_2: float = 0.40
    wallet_3: float = 0.60
    tenure_1: float = 1.0                  # years a customer for 1, 2, 3 points
    tenure_2: float = 3.0
    tenure_3: float = 5.0
    cooperative: int = 4                   # total points (0-12) at or above: Cooperative
    interdependent: int = 7                # ... Interdependent
    strategic: int = 10                    # ... Strategic
    high_potential: float = setting(5.0, low=0, high=10)   # KAM-matrix attractiveness at or above: high potential

    ORDER: ClassVar = (("contacts", "1 <= contacts_1 <= contacts_2 <= contacts_3"),
                       ("share of wallet", "0 < wallet_1 <= wallet_2 <= wallet_3 <= 1"),
                       ("tenure", "0 < tenure_1 <= tenure_2 <= tenure_3"),
                       ("points", "1 <= cooperative <= interdependent <= strategic <= 12"))


@dataclass(frozen=True)
class Roi:
    """Portfolio KAM ROI: key accounts against a matched baseline of other accounts."""

    window_quarters: int = setting(4, low=1, high=8)   # current window = this many quarters to the reporting
                                                       # quarter; prior window = the same number before
    # lifetime value = annual margin x r / (1 + rate - r)
    discount_rate: float = setting(0.10, low=0, high=1, low_open=True)
    match: str = setting("size", choices=ROI_MATCHES)      # baseline peers: size, industry, size_industry or all
    size_bands: int = setting(3, low=1, high=10)           # equal-count bands of prior-window revenue
    min_peers: int = setting(3, low=1)                     # fewer non-key peers in the group: compare with all non-key
    programme_cost: str = setting("extra", choices=ROI_COST_BASES)   # extra (over the peers' cost per revenue) or total
    history_quarters: int = setting(8, low=1, high=20)     # points of the rolling ROI series
    min_key_accounts: int = 5              # key accounts per manager below: below guideline
    max_key_accounts: int = 15             # key accounts per manager above: overloaded
    managers: dict[str, str] = field(default_factory=dict)   # name -> note; listed even without accounts

    ORDER: ClassVar = (("guideline", "0 <= min_key_accounts <= max_key_accounts"),)


@dataclass(frozen=True)
class Plans:
    """Account plans: when a plan is stale, and how far along its path a measured goal must be."""

    stale_after_days: int = setting(120, low=1)     # a plan not reviewed for longer than this is stale
    on_track: float = setting(1.0, low=0, high=2, low_open=True)   # a measured goal at this share of its path or more
    at_risk: float = setting(0.8, low=0, high=2)     # at risk from this share; off track below

    ORDER: ClassVar = (("goal thresholds", "at_risk <= on_track"),)


@dataclass(frozen=True)
class DataSource:
    """Where the data is, when it is not a plain folder of canonical CSV (see docs/data_profiles.md)."""

    kind: str = setting("csv", choices=KINDS)   # csv | excel | parquet | sql
    path: str | None = None        # csv, parquet: a folder; excel: a workbook; relative to the settings file
    url: str | None = None         # sql: a SQLAlchemy URL; ${VAR} is read from the environment
    tables: dict[str, str] = field(default_factory=dict)   # table -> file, sheet, SQL table or query
    encoding: str = "utf-8-sig"    # csv files


@dataclass(frozen=True)
class Settings:
    company: Company = field(default_factory=Company)
    selection: Selection = field(default_factory=Selection)
    abc: Abc = field(default_factory=Abc)
    matrix: Matrix = field(default_factory=Matrix)
    report: Report = field(default_factory=Report)
    forecast: Forecast = field(default_factory=Forecast)
    whitespace: Whitespace = field(default_factory=Whitespace)
    health: Health = field(default_factory=Health)
    candidates: Candidates = field(default_factory=Candidates)
    sensitivity: Sensitivity = field(default_factory=Sensitivity)
    stages: Stages = field(default_factory=Stages)
    roi: Roi = field(default_factory=Roi)
    plans: Plans = field(default_factory=Plans)
    data: str | DataSource | None = None   # folder of CSV, or a mapping (kind, path, url, tables); empty = sample
    profile: str | dict[str, Any] | None = None   # column-mapping profile (YAML file or inline) for an export
    quarter: str | None = None         # empty = the latest complete quarter in the data
    accounts_dir: str | None = None    # the account plans folder; empty = plans/ beside this file (plans_folder)
    records: str | None = None         # where each quarter's record is kept (<records>/<quarter>/record/);
                                       # empty = the output folder
    scheduler: str | None = setting(None, pattern=r"(tcp|tls|ucx|inproc)://\S+",
                                    expected="a Dask scheduler address such as tcp://10.0.0.5:8786")
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
        """The plans folder when no ``--data`` is given: :func:`plans_folder` (the one rule)."""
        return plans_folder(self)

    @property
    def records_path(self) -> Path | None:
        """The folder named by ``records:``; None when the records live in the output folder."""
        return self.resolve(self.records) if self.records else None

    @property
    def data_path(self) -> Path | None:
        """The folder of CSV named by ``data: <folder>``; None for the sample or a ``data:`` mapping."""
        return self.resolve(self.data) if isinstance(self.data, str) else None


def plans_folder(settings: Settings, data: str | Path | None = None) -> Path:
    """Where the account plan files are: the one rule, used by validate, build, the notebooks and
    ``plan new``. Plans belong to the user's project, never to the tool's own files:

    1. ``accounts_dir`` in the settings (relative to the settings file);
    2. else ``plans/`` beside the settings file;
    3. else, with ``data`` (``--data``: a folder or a workbook) and no settings file, ``plans/`` beside it
       (where plans outlive each quarter's export); when there is none but the data folder holds a
       ``plans/`` (as ``kamreports sample --out DIR`` writes it), that one;
    4. else ``plans/`` in the current folder (only ``plan new`` on the sample company gets here).

    The sample company's packs show its generated plans whenever ``accounts_dir`` is not set
    (``Portfolio.uses_sample_plans``); the folder is then where ``plan new`` writes.
    """
    if settings.accounts_dir:
        return settings.resolve(settings.accounts_dir)  # type: ignore[return-value]
    if settings.source != "defaults":
        return Path(settings.source).resolve().parent / "plans"
    if data not in (None, ""):
        located = Path(data).expanduser().resolve()
        beside, inside = located.parent / "plans", located / "plans"
        return inside if not beside.is_dir() and inside.is_dir() else beside
    return Path.cwd() / "plans"


# --- reading a settings file ----------------------------------------------------------------------

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
    if typing.get_origin(hint) is dict or dataclasses.is_dataclass(hint):
        return "a mapping"
    return names.get(hint, getattr(hint, "__name__", str(hint)))


def _not_finite(value: Any, where: str) -> list[tuple[str, str]]:
    """The keys holding ``.nan``, ``.inf`` or ``-.inf`` (a number, or a mapping's numbers), as YAML writes
    them. NaN compares false with everything, so it would slip through "weights sum to 100" and every
    range, and then drop a criterion or make a score NaN: it is refused where it is read."""
    items = value.items() if isinstance(value, dict) else [(None, value)]
    return [(where if k is None else f"{where}.{k}", ".nan" if math.isnan(v) else ("-.inf" if v < 0 else ".inf"))
            for k, v in items if isinstance(v, float) and not math.isfinite(v)]


def _build(cls: type, raw: Any, path: str, source: str, problems: list[Problem]) -> Any:
    """``cls`` from the mapping ``raw``: each well-formed key overrides its default; every unknown key
    and wrong type is added to ``problems`` and that key keeps its default."""
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
        nested = [h for h in typing.get_args(hint) if dataclasses.is_dataclass(h)]
        if nested and isinstance(value, dict):  # e.g. data: a folder name, or a mapping
            values[key] = _build(nested[0], value, where, source, problems)
        elif dataclasses.is_dataclass(hint):
            values[key] = _build(hint, value if value is not None else {}, where, source, problems)
        elif _type_ok(value, hint) and _not_finite(value, where):   # .nan would pass every range check
            problems += [Problem(source, f"'{name}' must be a finite number, not {shown}")
                         for name, shown in _not_finite(value, where)]
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


# --- checking -------------------------------------------------------------------------------------

def _declared_problems(section: Any, where: str, source: str) -> list[Problem]:
    """Every field rule and ORDER of ``section`` and of the sections inside it."""
    problems: list[Problem] = []
    for f in dataclasses.fields(section):
        value = getattr(section, f.name)
        key = f"{where}.{f.name}" if where else f.name
        if dataclasses.is_dataclass(value):
            problems += _declared_problems(value, key, source)
        elif "rule" in f.metadata:
            problems += f.metadata["rule"].problems(value, key, source)
    return problems + _order_problems(section, where, source)


def _data_problems(settings: Settings) -> list[Problem]:
    """A ``data:`` mapping names a kind and where that kind of source is."""
    problems: list[Problem] = []
    src, data = settings.source, settings.data
    if isinstance(data, DataSource) and data.kind in KINDS:
        if data.kind == "sql":
            if not data.url:
                problems.append(Problem(src, "'data.url' is required for kind sql "
                                             "(a SQLAlchemy URL such as postgresql+psycopg://user@host/db)"))
            if data.path:
                problems.append(Problem(src, "'data.path' is not used by kind sql; give 'data.url'"))
        else:
            if not data.path:
                what = "a workbook" if data.kind == "excel" else "a folder"
                problems.append(Problem(src, f"'data.path' is required for kind {data.kind} ({what})"))
            if data.url:
                problems.append(Problem(src, f"'data.url' is only for kind sql, not {data.kind}",
                                        value=mask_url(data.url)))
    if isinstance(data, DataSource):
        for name, target in data.tables.items():
            if not str(target).strip():
                problems.append(Problem(src, f"'data.tables.{name}' is empty"))
    if isinstance(settings.profile, str) and not settings.profile.strip():
        problems.append(Problem(src, "'profile' is empty; give a YAML file or leave it out"))
    if settings.profile is not None and settings.data is None:
        problems.append(Problem(src, "'profile' needs 'data': the export the profile maps"))
    return problems


def validate(settings: Settings) -> list[Problem]:
    """Every declared rule, and the rules that span keys or need the file system."""
    src = settings.source
    problems = _declared_problems(settings, "", src) + _data_problems(settings)
    sel = settings.selection
    both = set(sel.include) & set(sel.exclude)
    if both:
        problems.append(Problem(src, f"accounts both included and excluded: {', '.join(sorted(both))}"))
    company = settings.company
    if company.thousands_separator not in SEPARATORS or company.decimal_separator not in (",", "."):
        problems.append(Problem(src, "'company' separators: thousands one of , . ' space or empty; decimal , or .",
                                value=f"{company.thousands_separator!r} / {company.decimal_separator!r}"))
    elif company.thousands_separator == company.decimal_separator:
        problems.append(Problem(src, "'company.thousands_separator' and 'decimal_separator' must differ"))
    if company.logo and str(company.logo).lower().endswith((".png", ".svg", ".jpg", ".jpeg")):
        logo = _usable_path(settings, company.logo)
        if logo is not None and special_file(logo) is not None:
            problems.append(Problem(src, f"'company.logo' {not_a_file_message(special_file(logo) or '')}",
                                    value=str(logo)))
        elif logo is not None and not logo.is_file():
            problems.append(Problem(src, "'company.logo' file does not exist", value=str(logo)))
        elif logo is not None:
            problems += _logo_problems(logo, src)
    if settings.quarter is not None:
        try:
            parse_quarter(settings.quarter)
        except QuarterError as exc:
            problems.append(Problem(src, f"'quarter': {exc}", value=settings.quarter))
    return problems


#: The logo is embedded in every pack and the index: a larger file is not a logo.
LOGO_MAX_BYTES = 2 * 1024 * 1024
_IMAGE_MAGIC = {".png": (b"\x89PNG\r\n\x1a\n",), ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",)}


def _logo_problems(logo: Path, source: str) -> list[Problem]:
    """A logo that is not the image its name says (a renamed PDF, an HTML error page saved as .png)
    would show as a broken image on every cover and the index: say so where the settings are read."""
    try:
        size = logo.stat().st_size
        with logo.open("rb") as handle:
            head = handle.read(64 * 1024)   # an SVG's <svg> may follow a long XML prologue and comments
    except OSError as exc:
        return [Problem(source, f"'company.logo' cannot be read: {exc.strerror or exc}", value=str(logo))]
    if size > LOGO_MAX_BYTES:
        return [Problem(source, f"'company.logo' is {size / 1024 / 1024:.1f} MB; a logo must be at most "
                                f"{LOGO_MAX_BYTES // 1024 // 1024} MB", value=str(logo))]
    suffix = logo.suffix.lower()
    if suffix == ".svg":
        ok = b"<svg" in head.lower()
    else:
        ok = head.startswith(_IMAGE_MAGIC[suffix])
    if ok:
        return []
    kind = {".svg": "an SVG image", ".png": "a PNG image"}.get(suffix, "a JPEG image")
    return [Problem(source, f"'company.logo' is not {kind}: its content does not match its name "
                            "(a renamed or damaged file?)", value=str(logo))]


def _usable_path(settings: Settings, value: str) -> Path | None:
    try:
        return settings.resolve(value)
    except (RuntimeError, ValueError, OSError):
        return None


def _without_unusable_paths(settings: Settings) -> tuple[Settings, list[Problem]]:
    """Every path the settings name must resolve (``~nosuchuser/x`` does not); such a key is
    reported and dropped, so nothing later trips over it."""
    data = settings.data
    paths = {"accounts_dir": settings.accounts_dir, "profile": settings.profile if isinstance(settings.profile, str)
             else None, "data": data if isinstance(data, str) else None,
             "data.path": data.path if isinstance(data, DataSource) else None, "company.logo": settings.company.logo,
             "records": settings.records}
    changes: dict[str, Any] = {}
    problems = []
    for key, value in paths.items():
        if not value:
            continue
        try:
            settings.resolve(value)
        except (RuntimeError, ValueError, OSError) as exc:
            problems.append(Problem(settings.source, f"'{key}' is not a usable path ({exc})", value=value))
            if key == "company.logo":
                changes["company"] = dataclasses.replace(settings.company, logo=None)
            elif key == "data.path":
                changes["data"] = dataclasses.replace(data, path=None)  # type: ignore[type-var]
            else:
                changes[key] = None
    return (dataclasses.replace(settings, **changes) if changes else settings), problems


def read_settings(path: str | Path | None = None) -> tuple[Settings, list[Problem]]:
    """The settings and every problem in them, without stopping at the first: the keys that are
    well-formed override the defaults, and a key with a wrong type or an unusable path keeps its
    default. Raises ConfigError only when the file cannot be read as YAML at all."""
    if path is None:
        settings = Settings()
        return settings, validate(settings)
    source = str(path)
    raw = read_yaml(Path(path), source)
    problems: list[Problem] = []
    settings = _build(Settings, raw if raw is not None else {}, "", source, problems)
    settings, path_problems = _without_unusable_paths(dataclasses.replace(settings, source=source))
    return settings, problems + path_problems + validate(settings)


def load_settings(path: str | Path | None = None) -> Settings:
    """Defaults overlaid with the YAML file at ``path`` (if any); raise ConfigError listing every problem."""
    settings, problems = read_settings(path)
    if problems:
        raise ConfigError(problems)
    return settings


def settings_dict(settings: Settings) -> dict[str, Any]:
    """Plain data for the manifest; a database password is shown as ***."""
    out = dataclasses.asdict(settings)
    out.pop("scheduler", None)  # where the packs are built, not what they say: no rebuild when it changes
    out.pop("records", None)    # where the history is kept, not what it says (the history has its own fingerprint)
    if isinstance(out.get("data"), dict) and out["data"].get("url"):
        out["data"]["url"] = mask_url(out["data"]["url"])
    return out


#: Keys that say where things are or how pages look, not how accounts are judged: a difference in
#: them is no reason to doubt a comparison between quarters.
LOCATION_KEYS = ("source", "quarter", "data", "profile", "accounts_dir", "records", "scheduler", "company.logo",
                 "company.primary_color", "company.accent_color")


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out |= _flat(inner, f"{prefix}.{key}" if prefix else str(key))
        return out
    return {prefix: value}


def _shown(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def settings_changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The settings (as :func:`settings_dict` gives them) that differ between two quarters, in words:
    ``["selection.threshold 6 → 6.5"]``. Why: a comparison with a quarter judged by other weights or
    thresholds must say so. Locations and colours (:data:`LOCATION_KEYS`) are left out; 6 and 6.0 are equal."""
    old, new = _flat(before), _flat(after)
    out = []
    for key in sorted(set(old) | set(new)):
        if any(key == k or key.startswith(k + ".") for k in LOCATION_KEYS):
            continue
        a, b = old.get(key), new.get(key)
        same = a == b or (isinstance(a, (int, float)) and isinstance(b, (int, float))
                          and not isinstance(a, bool) and not isinstance(b, bool) and float(a) == float(b))
        if not same:
            out.append(f"{key} {_shown(a)} → {_shown(b)}")
    return out
