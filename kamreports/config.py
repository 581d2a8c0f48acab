"""Run settings: YAML in, typed and validated :class:`Settings` out.

Every weight and threshold the reports use lives here, with a default, so a
KAM team can see and version-control how accounts are judged. A settings file
only needs the keys it changes; unknown keys, wrong types and weights that do
not sum to 100 are all reported together, with the file and the key path.
"""
from __future__ import annotations

import dataclasses
import re
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
HEALTH_COMPONENTS = ("growth", "attainment", "nps", "engagement", "coverage", "risks")
WHITESPACE_PEER_GROUPS = ("size", "industry", "all")
ROI_MATCHES = ("size", "industry", "size_industry", "all")
ROI_COST_BASES = ("extra", "total")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Company:
    name: str = "Northwind Components"
    currency: str = "$"
    logo: str | None = None
    primary_color: str = "#1f3b5c"
    accent_color: str = "#e07a1f"
    thousands_separator: str = ","
    decimal_separator: str = "."


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
class Forecast:
    """Full-year forecast: actuals to date + remaining quarters at the run-rate, with a band."""

    run_rate_quarters: int = 2     # run-rate = mean revenue of this many latest quarters
    band_quarters: int = 4         # the band is the spread of this many latest quarter-on-quarter changes
    min_band: float = 0.05         # band never narrower than +/- this share of the forecast remainder


@dataclass(frozen=True)
class Whitespace:
    """Cross-sell: products an account does not buy, valued from peers that do."""

    top_n: int = 5                 # opportunities listed per account
    peer_group: str = "size"       # size (band of T4Q revenue), industry, or all
    size_bands: int = 3            # number of size bands when peer_group is size
    min_peers: int = 3             # fewer buying peers in the group than this: use all buyers


@dataclass(frozen=True)
class Health:
    """Account health 0-100: weighted components each scored 0-100; red/amber/green bands."""

    weights: dict[str, float] = field(default_factory=lambda: {
        "growth": 20, "attainment": 20, "nps": 20, "engagement": 15, "coverage": 15, "risks": 10})
    red: float = 50                # score below: red
    amber: float = 70              # score below (and not red): amber; else green
    min_weight: float = 50         # a score needs components worth at least this much weight
    growth_span: float = 0.20      # T4Q growth of -span scores 0, 0 scores 50, +span scores 100
    risk_step: float = 25          # points lost per stakeholder risk flag


@dataclass(frozen=True)
class Candidates:
    """Accounts to consider promoting to key account, or reviewing for demotion."""

    promote_growth: float = 0.20           # non-key: T4Q growth at or above
    promote_potential_score: float = 8.0   # non-key: revenue-potential score (1-10) at or above
    demote_growth: float = -0.10           # key: T4Q growth at or below
    demote_attainment: float = 0.80        # key: quarter attainment below
    demote_score_margin: float = 1.0       # key: score below selection.threshold minus this


@dataclass(frozen=True)
class Sensitivity:
    """How far each selection weight is moved, up and down, to test the key-account list."""

    delta: float = 0.20                    # relative: 0.2 moves a weight of 40 to 48 and 32


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
    high_potential: float = 5.0            # KAM-matrix attractiveness at or above: high potential


@dataclass(frozen=True)
class Roi:
    """Portfolio KAM ROI: key accounts against a matched baseline of other accounts."""

    window_quarters: int = 4               # current window = this many quarters to the reporting quarter;
                                           # prior window = the same number before
    discount_rate: float = 0.10            # lifetime value = annual margin x r / (1 + rate - r)
    match: str = "size"                    # baseline peers: size, industry, size_industry or all
    size_bands: int = 3                    # equal-count bands of prior-window revenue
    min_peers: int = 3                     # fewer non-key peers in the group: compare with all non-key
    programme_cost: str = "extra"          # extra (over the peers' cost per revenue dollar) or total
    history_quarters: int = 8              # points of the rolling ROI series
    min_key_accounts: int = 5              # key accounts per manager below: idle
    max_key_accounts: int = 15             # key accounts per manager above: overloaded
    managers: dict[str, str] = field(default_factory=dict)   # name -> note; listed even without accounts


@dataclass(frozen=True)
class DataSource:
    """Where the data is, when it is not a plain folder of canonical CSV (see docs/data_profiles.md)."""

    kind: str = "csv"              # csv | excel | parquet | sql
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
    data: str | DataSource | None = None   # folder of CSV, or a mapping (kind, path, url, tables); empty = sample
    profile: str | dict[str, Any] | None = None   # column-mapping profile (YAML file or inline) for an export
    quarter: str | None = None         # empty = the latest complete quarter in the data
    accounts_dir: str | None = None    # per-account SWOT items, goals, actions; empty = params/accounts
    scheduler: str | None = None       # Dask scheduler (tcp://host:port) that runs the account notebooks; empty = local
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
        """The folder of CSV named by ``data: <folder>``; None for the sample or a ``data:`` mapping."""
        return self.resolve(self.data) if isinstance(self.data, str) else None


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
        nested = [h for h in typing.get_args(hint) if dataclasses.is_dataclass(h)]
        if nested and isinstance(value, dict):  # e.g. data: a folder name, or a mapping
            values[key] = _build(nested[0], value, where, source, problems)
        elif dataclasses.is_dataclass(hint):
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


def _validate_depth(settings: Settings) -> list[Problem]:
    """Ranges for candidates, sensitivity and relationship stages."""
    problems: list[Problem] = []
    src = settings.source
    cand, stages = settings.candidates, settings.stages

    def check(ok: bool, message: str, value: Any) -> None:
        if not ok:
            problems.append(Problem(src, message, value=value))

    check(-1 <= cand.demote_growth < cand.promote_growth,
          "'candidates' growth rates must satisfy -1 <= demote_growth < promote_growth",
          f"demote_growth={cand.demote_growth:g}, promote_growth={cand.promote_growth:g}")
    check(1 <= cand.promote_potential_score <= 10, "'candidates.promote_potential_score' must be between 1 and 10",
          cand.promote_potential_score)
    check(0 < cand.demote_attainment <= 1, "'candidates.demote_attainment' must be above 0 and at most 1",
          cand.demote_attainment)
    check(0 <= cand.demote_score_margin <= 9, "'candidates.demote_score_margin' must be between 0 and 9",
          cand.demote_score_margin)
    check(0 < settings.sensitivity.delta < 1, "'sensitivity.delta' must be above 0 and below 1",
          settings.sensitivity.delta)
    check(1 <= stages.contacts_1 <= stages.contacts_2 <= stages.contacts_3,
          "'stages' contacts must satisfy 1 <= contacts_1 <= contacts_2 <= contacts_3",
          f"{stages.contacts_1}, {stages.contacts_2}, {stages.contacts_3}")
    check(0 < stages.wallet_1 <= stages.wallet_2 <= stages.wallet_3 <= 1,
          "'stages' share of wallet must satisfy 0 < wallet_1 <= wallet_2 <= wallet_3 <= 1",
          f"{stages.wallet_1:g}, {stages.wallet_2:g}, {stages.wallet_3:g}")
    check(0 < stages.tenure_1 <= stages.tenure_2 <= stages.tenure_3,
          "'stages' tenure must satisfy 0 < tenure_1 <= tenure_2 <= tenure_3",
          f"{stages.tenure_1:g}, {stages.tenure_2:g}, {stages.tenure_3:g}")
    check(1 <= stages.cooperative <= stages.interdependent <= stages.strategic <= 12,
          "'stages' points must satisfy 1 <= cooperative <= interdependent <= strategic <= 12",
          f"{stages.cooperative}, {stages.interdependent}, {stages.strategic}")
    check(0 <= stages.high_potential <= 10, "'stages.high_potential' must be between 0 and 10",
          stages.high_potential)
    return problems


def _validate_roi(settings: Settings) -> list[Problem]:
    """Ranges for the KAM ROI page."""
    roi, src = settings.roi, settings.source
    rules = [
        (1 <= roi.window_quarters <= 8, "'roi.window_quarters' must be between 1 and 8", roi.window_quarters),
        (0 < roi.discount_rate <= 1, "'roi.discount_rate' must be above 0 and at most 1", roi.discount_rate),
        (roi.match in ROI_MATCHES, f"'roi.match' must be one of {', '.join(ROI_MATCHES)}", roi.match),
        (1 <= roi.size_bands <= 10, "'roi.size_bands' must be between 1 and 10", roi.size_bands),
        (roi.min_peers >= 1, "'roi.min_peers' must be at least 1", roi.min_peers),
        (roi.programme_cost in ROI_COST_BASES, f"'roi.programme_cost' must be one of {', '.join(ROI_COST_BASES)}",
         roi.programme_cost),
        (1 <= roi.history_quarters <= 20, "'roi.history_quarters' must be between 1 and 20", roi.history_quarters),
        (0 <= roi.min_key_accounts <= roi.max_key_accounts,
         "'roi' guideline must satisfy 0 <= min_key_accounts <= max_key_accounts",
         f"min_key_accounts={roi.min_key_accounts}, max_key_accounts={roi.max_key_accounts}"),
    ]
    return [Problem(src, message, value=value) for ok, message, value in rules if not ok]


def _validate_growth_whitespace_health(settings: Settings) -> list[Problem]:
    """Ranges for forecast, whitespace and health."""
    problems: list[Problem] = []
    src = settings.source
    fc, ws, hl = settings.forecast, settings.whitespace, settings.health

    def check(ok: bool, message: str, value: Any) -> None:
        if not ok:
            problems.append(Problem(src, message, value=value))

    check(1 <= fc.run_rate_quarters <= 8, "'forecast.run_rate_quarters' must be between 1 and 8",
          fc.run_rate_quarters)
    check(2 <= fc.band_quarters <= 12, "'forecast.band_quarters' must be between 2 and 12", fc.band_quarters)
    check(0 < fc.min_band < 1, "'forecast.min_band' must be above 0 and below 1", fc.min_band)
    check(ws.top_n >= 1, "'whitespace.top_n' must be at least 1", ws.top_n)
    check(ws.peer_group in WHITESPACE_PEER_GROUPS,
          f"'whitespace.peer_group' must be one of {', '.join(WHITESPACE_PEER_GROUPS)}", ws.peer_group)
    check(1 <= ws.size_bands <= 10, "'whitespace.size_bands' must be between 1 and 10", ws.size_bands)
    check(ws.min_peers >= 1, "'whitespace.min_peers' must be at least 1", ws.min_peers)
    _check_weights(hl.weights, HEALTH_COMPONENTS, "health.weights", src, problems, 1, len(HEALTH_COMPONENTS))
    check(0 <= hl.red <= hl.amber <= 100, "'health' bands must satisfy 0 <= red <= amber <= 100",
          f"red={hl.red:g}, amber={hl.amber:g}")
    check(0 < hl.min_weight <= 100, "'health.min_weight' must be above 0 and at most 100", hl.min_weight)
    check(0 < hl.growth_span <= 1, "'health.growth_span' must be above 0 and at most 1", hl.growth_span)
    check(0 < hl.risk_step <= 100, "'health.risk_step' must be above 0 and at most 100", hl.risk_step)
    return problems


def _validate_data(settings: Settings) -> list[Problem]:
    """A ``data:`` mapping names a kind and where that kind of source is."""
    from .data.sources import KINDS, mask_url

    problems: list[Problem] = []
    src, data = settings.source, settings.data
    if isinstance(data, DataSource):
        if data.kind not in KINDS:
            problems.append(Problem(src, f"'data.kind' must be one of {', '.join(KINDS)}", value=data.kind))
        elif data.kind == "sql":
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
        for name, target in data.tables.items():
            if not str(target).strip():
                problems.append(Problem(src, f"'data.tables.{name}' is empty"))
    if isinstance(settings.profile, str) and not settings.profile.strip():
        problems.append(Problem(src, "'profile' is empty; give a YAML file or leave it out"))
    if settings.profile is not None and settings.data is None:
        problems.append(Problem(src, "'profile' needs 'data': the export the profile maps"))
    return problems


def validate(settings: Settings) -> list[Problem]:
    """Rules that span keys: weights, cut-offs, page size, quarter."""
    problems: list[Problem] = []
    src = settings.source
    problems += _validate_data(settings)
    if settings.scheduler is not None and not re.fullmatch(r"(tcp|tls|ucx|inproc)://\S+", str(settings.scheduler)):
        problems.append(Problem(src, "'scheduler' must be a Dask scheduler address such as tcp://10.0.0.5:8786",
                                value=settings.scheduler))
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
    company = settings.company
    separators = (",", ".", " ", "'", "\u202f", "")
    if company.thousands_separator not in separators or company.decimal_separator not in (",", "."):
        problems.append(Problem(src, "'company' separators: thousands one of , . ' space or empty; decimal , or .",
                                value=f"{company.thousands_separator!r} / {company.decimal_separator!r}"))
    elif company.thousands_separator == company.decimal_separator:
        problems.append(Problem(src, "'company.thousands_separator' and 'decimal_separator' must differ"))
    for key in ("primary_color", "accent_color"):
        if not re.fullmatch(r"#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}", getattr(company, key)):
            problems.append(Problem(src, f"'company.{key}' must be a hex colour such as #1f3b5c",
                                    value=getattr(company, key)))
    if company.logo and not str(company.logo).lower().endswith((".png", ".svg", ".jpg", ".jpeg")):
        problems.append(Problem(src, "'company.logo' must be a .png, .svg or .jpg file", value=company.logo))
    elif company.logo and not settings.resolve(company.logo).is_file():  # type: ignore[union-attr]
        problems.append(Problem(src, "'company.logo' file does not exist", value=str(settings.resolve(company.logo))))
    problems += _validate_depth(settings)
    problems += _validate_growth_whitespace_health(settings)
    problems += _validate_roi(settings)
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
        from .data.plans import read_yaml  # every way a YAML file can fail, named (not UTF-8, bad date, ...)

        raw = read_yaml(path, source)
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
    """Plain data for the manifest; a database password is shown as ***."""
    out = dataclasses.asdict(settings)
    out.pop("scheduler", None)  # where the packs are built, not what they say: no rebuild when it changes
    if isinstance(out.get("data"), dict) and out["data"].get("url"):
        from .data.sources import mask_url

        out["data"]["url"] = mask_url(out["data"]["url"])
    return out
