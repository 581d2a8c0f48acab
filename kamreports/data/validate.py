"""Turn raw string tables into typed canonical tables, collecting every problem.

Each check is vectorised, so a 7-million-row revenue file validates in
seconds; at most a few problems per column are listed individually, then a
count, so one systematically broken column does not bury the rest.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .._fast import is_in, per_distinct
from ..errors import ConfigError, DataValidationError, KamError, Problem, ProblemsError
from ..periods import QUARTER_PATTERN
from .schema import TABLES, Column, Table

if TYPE_CHECKING:
    from ..config import Settings
    from ..model import Portfolio
    from .dataset import Dataset

MAX_LISTED_PER_CHECK = 10

_EXPECTED = {
    "date": "a date such as 2026-07-31",
    "quarter": "a quarter such as 2026Q3",
    "money": "a number",
    "number": "a number",
    "int": "a whole number",
    "score": "a number",
}


def _report(problems: list[Problem], source: str, rows: pd.Index, column: str | None,
            values: pd.Series | None, message: str) -> None:
    """Add one problem per offending row (up to a limit), then a summary line."""
    for i, row in enumerate(rows):
        if i == MAX_LISTED_PER_CHECK:
            problems.append(Problem(source, f"... {len(rows) - i} more rows like this", column=column))
            break
        value = None if values is None else values.loc[row]
        problems.append(Problem(source, message, row=int(row) + 2, column=column, value=value))


def _normalise_choice(values: pd.Series) -> pd.Series:
    return values.str.strip().str.lower().str.replace(r"[\s\-]+", "_", regex=True)


# Dates and quarters outside these years are typing errors (0026-07-31, 20260-01-01), and
# would make quarterly series span millennia.
MIN_YEAR, MAX_YEAR = 1900, 2199

# A time with a zone ("2026-07-31T10:00:00+02:00", "...Z"): the zone is dropped so the date is
# the one written (a booking's local date), and mixed zones cannot make pandas raise.
_TIME_ZONE_RE = r"^(\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)$"


def _one_date(value: object) -> pd.Timestamp:
    try:
        stamp = pd.to_datetime(value, format="ISO8601")
    except (ValueError, TypeError, OverflowError):
        return pd.NaT
    return stamp.tz_localize(None) if getattr(stamp, "tzinfo", None) is not None else stamp


def parse_dates(text: pd.Series) -> pd.Series:
    """ISO dates (with or without a time) into naive timestamps; anything else becomes NaT."""
    text = text.astype("string")
    timed = (text.str.len() > 10).fillna(False).astype(bool)  # a date alone is 10 characters: no zone to drop
    if timed.any():
        text = text.mask(timed, text[timed].str.replace(_TIME_ZONE_RE, r"\1", regex=True, case=False))
    try:
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
    except (ValueError, TypeError, OverflowError):  # e.g. a zone the pattern above did not catch
        parsed = pd.to_datetime(text.map(_one_date, na_action="ignore"), errors="coerce")
    if getattr(parsed.dtype, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed


def _numbers(text: pd.Series) -> pd.Series:
    """Strings to float64, NaN where not a number. Arrow's cast parses a clean column about 15x
    faster than ``pd.to_numeric``; a column with any cell it rejects takes the lenient path."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        parsed = pc.cast(pa.array(text, type=pa.large_string(), from_pandas=True), pa.float64())
        return pd.Series(parsed.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")
    except Exception:  # noqa: BLE001 - no pyarrow, or ArrowInvalid and kin: some cell is not a plain number
        pass
    return pd.to_numeric(text, errors="coerce").astype("float64")


def coerce_column(col: Column, raw: pd.Series, source: str, problems: list[Problem]) -> pd.Series:
    """Parse one column of strings into its kind; record every bad cell."""
    text = raw.astype("string").str.strip()
    blank = text.isna() | (text == "")
    if not col.nullable:
        _report(problems, source, text.index[blank], col.name, None, "is empty; a value is required")

    if col.kind in ("id", "text"):
        out = text.mask(blank)
        if col.choices:
            out = per_distinct(out, _normalise_choice)
            bad = ~blank & ~out.isin(col.choices)
            _report(problems, source, out.index[bad], col.name, text,
                    f"is not one of {', '.join(col.choices)}")
        return out

    if col.kind == "quarter":
        ok = per_distinct(text, lambda t: t.str.match(QUARTER_PATTERN.pattern, case=False)).fillna(False).astype(bool)
        _report(problems, source, text.index[~blank & ~ok], col.name, text, f"expected {_EXPECTED['quarter']}")
        year = per_distinct(text, lambda t: pd.to_numeric(t.str.extract(r"^\s*(\d{4})", expand=False),
                                                            errors="coerce").astype("float64"))
        far = ~blank & ok & ~year.between(MIN_YEAR, MAX_YEAR)
        _report(problems, source, text.index[far], col.name, text, f"is not between {MIN_YEAR} and {MAX_YEAR}")
        return per_distinct(text, lambda t: t.str.upper().str.replace(r"[\s\-]", "", regex=True)).mask(blank | ~ok | far)

    if col.kind == "date":
        parsed = per_distinct(text.mask(blank), parse_dates)  # invoice dates repeat: parse each once
        bad = ~blank & parsed.isna()
        _report(problems, source, text.index[bad], col.name, text, f"unparseable date; expected {_EXPECTED['date']}")
        far = parsed.notna() & ~parsed.dt.year.between(MIN_YEAR, MAX_YEAR)
        _report(problems, source, text.index[far], col.name, text, f"is not between {MIN_YEAR} and {MAX_YEAR}")
        return parsed.mask(far)

    numbers = _numbers(text.mask(blank).str.replace(",", "", regex=False))
    numbers = numbers.mask(numbers.abs() == float("inf"))  # "inf", "1e400": not a usable number
    bad = ~blank & numbers.isna()
    _report(problems, source, text.index[bad], col.name, text, f"is not {_EXPECTED[col.kind]}")
    valid = ~blank & ~bad
    if col.kind == "int":
        frac = valid & (numbers.fillna(0) % 1 != 0)
        _report(problems, source, text.index[frac], col.name, text, "is not a whole number")
    if col.minimum is not None:
        low = valid & (numbers < col.minimum)
        what = "is negative" if col.minimum == 0 else f"is below the minimum {col.minimum:g}"
        _report(problems, source, text.index[low], col.name, text, what)
    if col.maximum is not None:
        high = valid & (numbers > col.maximum)
        _report(problems, source, text.index[high], col.name, text, f"is above the maximum {col.maximum:g}")
    numbers = numbers.astype("float64")
    if col.kind == "int":  # a huge value (already reported) must not break the cast
        return numbers.where(numbers.abs() < 2.0 ** 53).round().astype("Int64")
    return numbers


def coerce_table(spec: Table, raw: pd.DataFrame, source: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Check columns, types, ranges and duplicate keys of one table."""
    problems: list[Problem] = []
    if not pd.api.types.is_integer_dtype(raw.index):
        raw = raw.reset_index(drop=True)
    raw = raw.set_axis([str(c).strip().strip("\ufeff").strip() for c in raw.columns], axis=1)
    repeated = raw.columns[raw.columns.duplicated()]
    for name in dict.fromkeys(repeated):
        if name in spec.column_names:
            problems.append(Problem(source, f"column '{name}' appears {int((raw.columns == name).sum())} times "
                                            "in the header; each column must appear once", column=name))
    raw = raw.loc[:, ~raw.columns.duplicated()]
    missing = [c.name for c in spec.columns if c.required and c.name not in raw.columns]
    for name in missing:
        problems.append(Problem(source, f"required column '{name}' is missing "
                                        f"(columns found: {', '.join(map(str, raw.columns)) or 'none'})"))
    if missing:
        # No columns: reference checks then skip this table, as if it were absent,
        # instead of calling every id that points into it "unknown".
        return pd.DataFrame(), problems
    if raw.empty:
        problems.append(Problem(source, "has a header but no rows"))

    out = pd.DataFrame(index=raw.index)
    for col in spec.columns:
        if col.name in raw.columns:
            out[col.name] = coerce_column(col, raw[col.name], source, problems)
        else:  # optional column absent: all empty, but typed as its kind (same as an empty column)
            empty = pd.Series(pd.NA, index=raw.index, dtype="string")
            out[col.name] = coerce_column(replace(col, nullable=True), empty, source, problems)

    if spec.key:
        dup = out.duplicated(list(spec.key), keep="first") & out[list(spec.key)].notna().all(axis=1)
        if dup.any():
            key_values = out.loc[dup, list(spec.key)].astype("string").agg(" / ".join, axis=1)
            _report(problems, source, out.index[dup], " + ".join(spec.key), key_values,
                    "duplicate id; each must appear once")
    return out, problems


def check_references(tables: dict[str, pd.DataFrame], sources: dict[str, str]) -> list[Problem]:
    """Every account and product a row refers to must exist."""
    problems: list[Problem] = []
    for name, frame in tables.items():
        for col in TABLES[name].columns:
            if not col.references or col.name not in frame.columns or frame.empty:
                continue
            ref_table, ref_col = col.references.split(".")
            known = tables.get(ref_table)
            if known is None or ref_col not in known.columns:
                continue
            values = frame[col.name]
            unknown = values.notna() & ~is_in(values, known[ref_col].dropna())
            _report(problems, sources.get(name, name), frame.index[unknown], col.name, values,
                    f"refers to an unknown {ref_table[:-1] if ref_table.endswith('s') else ref_table}")
    return problems


def check_target_quarters(tables: dict[str, pd.DataFrame], sources: dict[str, str]) -> list[Problem]:
    """A target before the first quarter of revenue, or after the end of the year of the last one,
    is a typing error or the wrong file. Targets for the rest of the current year are the plan
    (the full-year forecast is measured against them), so they are allowed."""
    targets, revenue = tables.get("targets"), tables.get("revenue")
    if targets is None or revenue is None or targets.empty or "quarter" not in targets.columns \
            or "date" not in revenue.columns:
        return []
    dates = revenue["date"].dropna()
    if dates.empty:
        return []
    first, last = dates.min().to_period("Q"), dates.max().to_period("Q")
    labels = targets["quarter"]

    def ordinals(t: pd.Series) -> pd.Series:
        parts = t.str.extract(r"^(\d{4})Q([1-4])$").astype("float64")
        return parts[0] * 4 + parts[1] - 1

    ordinal = per_distinct(labels, ordinals)
    low, high = first.year * 4 + first.quarter - 1, last.year * 4 + 3
    outside = labels.notna() & ordinal.notna() & ((ordinal < low) | (ordinal > high))
    span = f"{first.year}Q{first.quarter} to {last.year}Q{last.quarter}; targets may run to {last.year}Q4"
    problems: list[Problem] = []
    _report(problems, sources.get("targets", "targets"), labels.index[outside], "quarter", labels,
            f"is a quarter with no revenue at all in the data (the revenue covers {span}); "
            "a target must fall within that range")
    return problems


# --- everything at once: settings, data, plans -----------------------------------------------

class InputError(DataValidationError, ConfigError):
    """Problems in both the data and the settings (or plans), listed together."""

    title = "problem(s) in the data and settings"


@dataclass
class CheckedInputs:
    """What :func:`validate_inputs` found; the objects are None where they could not be made."""

    settings: Settings | None = None
    dataset: Dataset | None = None
    data_location: object = None          # as load_for_build returns it: a path, a SourceRef or None
    portfolio: Portfolio | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)   # "settings", "data", "plans"

    def add(self, kind: str, problems: list[Problem]) -> None:
        new = [p for p in problems if p not in self.problems]
        if new:
            self.problems += new
            self.kinds.add(kind)

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_if_problems(self) -> None:
        """One error listing every problem: ConfigError for settings and plans only,
        DataValidationError for data only, InputError (both) for a mix."""
        if not self.problems:
            return
        if self.kinds <= {"settings", "plans"}:
            raise ConfigError(self.problems)
        if self.kinds == {"data"}:
            raise DataValidationError(self.problems)
        raise InputError(self.problems)


def _settings_leniently(config: Path | str | None, checked: CheckedInputs) -> Settings | None:
    """The settings, or when they have problems, the keys that were well-formed (so the data they
    name can still be checked); None when the file cannot be read at all."""
    from .. import config as config_module
    from .plans import read_yaml

    recheck = False
    try:
        return _checked_paths(config_module.load_settings(config), checked)
    except ConfigError as exc:
        checked.add("settings", exc.problems)
    except (ValueError, KeyError, TypeError, RecursionError, OverflowError):
        if config is None:
            raise
        # load_settings reads through read_yaml, which names every YAML failure; should one still
        # escape, read_yaml is asked again to name it. Anything else is a bug: re-raise it.
        try:
            read_yaml(Path(config))
        except ConfigError as exc:
            checked.add("settings", exc.problems)
            return None
        raise
    except RuntimeError:  # (after RecursionError, which is one)
        if config is None:
            raise
        recheck = True  # a path with an unknown ~user: found and named by _checked_paths below
    try:
        raw = read_yaml(Path(config))  # type: ignore[arg-type]
    except ConfigError as exc:
        checked.add("settings", exc.problems)
        return None
    partial = config_module._build(config_module.Settings, raw if raw is not None else {}, "", str(config), [])
    partial = _checked_paths(dataclasses.replace(partial, source=str(config)), checked)
    if recheck:
        checked.add("settings", config_module.validate(partial))
    return partial


def _checked_paths(settings: Settings, checked: CheckedInputs) -> Settings:
    """Every path the settings name must resolve (``~nosuchuser/x`` does not); such a key is
    reported and dropped, so nothing later trips over it."""
    from ..config import DataSource

    changes: dict[str, object] = {}
    data = settings.data
    paths = {"accounts_dir": settings.accounts_dir, "profile": settings.profile if isinstance(settings.profile, str)
             else None, "data": data if isinstance(data, str) else None,
             "data.path": data.path if isinstance(data, DataSource) else None, "company.logo": settings.company.logo}
    for key, value in paths.items():
        if not value:
            continue
        try:
            settings.resolve(value)
        except (RuntimeError, ValueError, OSError) as exc:
            checked.add("settings", [Problem(settings.source, f"'{key}' is not a usable path ({exc})", value=value)])
            if key == "company.logo":
                changes["company"] = dataclasses.replace(settings.company, logo=None)
            elif key == "data.path":
                changes["data"] = dataclasses.replace(data, path=None)  # type: ignore[type-var]
            else:
                changes[key] = None
    return dataclasses.replace(settings, **changes) if changes else settings


def validate_inputs(config: Path | str | None = None, data: Path | str | None = None, quarter: str | None = None,
                    accounts: list[str] | None = None, all_plans: bool = True) -> CheckedInputs:
    """Check settings, data and plan files and collect every problem, without stopping at the first
    kind: a broken settings file does not hide the data's problems. ``all_plans`` checks every
    ``*.yaml`` in the plans folder (``kamreports validate``); otherwise only the plans of
    ``accounts``, or of the key accounts (a build). Never raises for bad input."""
    from ..model import build_portfolio
    from ..periods import QuarterError
    from . import load_for_build
    from .plans import load_plan, validate_plan_files

    checked = CheckedInputs()
    settings = _settings_leniently(config, checked)
    settings_ok = not checked.problems
    checked.settings = settings
    if settings is None and data in (None, ""):
        checked.warnings.append("the data was not checked: the settings file cannot be read, so where the data "
                                "is is unknown (or give --data)")
        return checked

    from ..config import Settings

    settings = settings or Settings()
    try:
        checked.dataset, checked.data_location = load_for_build(settings, data)
    except ProblemsError as exc:
        checked.add("data" if isinstance(exc, DataValidationError) else "settings", exc.problems)
    except KamError as exc:
        checked.add("data", [Problem(str(data or settings.source), str(exc))])
    except Exception as exc:  # noqa: BLE001 - only after settings problems, which it follows from
        if settings_ok:
            raise
        checked.warnings.append(f"the data was not checked: fix the settings problems first "
                                f"({type(exc).__name__}: {str(exc)[:200]})")

    dataset = checked.dataset
    if dataset is not None:
        try:
            checked.portfolio = build_portfolio(dataset, settings, quarter)
        except ProblemsError as exc:
            checked.add("settings", exc.problems)
        except QuarterError as exc:
            checked.add("data", [Problem(dataset.source or "data", f"revenue: {exc}")])
        except Exception:  # noqa: BLE001 - settings already reported as broken; their effect is noise
            if settings_ok:
                raise

    known = set(dataset.accounts["account_id"].dropna()) if dataset is not None else None
    if all_plans:
        problems = validate_plan_files(settings.accounts_path)
        checked.add("plans", problems)
        if known is not None:
            from .plans import plan_files

            for path in plan_files(settings.accounts_path):
                if path.stem not in known:
                    checked.warnings.append(f"{path}: no account {path.stem!r} in the data, so this plan is "
                                            "never shown (the file name must be the account id)")
    if accounts and checked.portfolio is not None:
        summary = checked.portfolio.summary
        checked.add("settings", [Problem("--accounts", f"no such account with revenue up to "
                                                        f"{checked.portfolio.quarter}", value=a)
                                 for a in accounts if a not in summary.index])
    if not all_plans:
        ids = accounts or (list(checked.portfolio.key_accounts.index) if checked.portfolio is not None else [])
        for account_id in dict.fromkeys(ids):
            try:
                load_plan(settings.accounts_path, account_id)
            except ConfigError as exc:
                checked.add("plans", exc.problems)
    return checked
