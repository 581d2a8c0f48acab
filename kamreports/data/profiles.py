"""Column-mapping profiles: a CRM or ERP export in, the canonical tables out.

A profile is YAML (a file, or inline under ``profile:`` in the settings). It says
how to clean each table of the export (``exports``), then how to make each
canonical table from them (``tables``). Every step records what it changed,
dropped, filled or derived, with counts, in a data-quality report
(:attr:`Dataset.quality`: step, table, what, count, detail), so the packs can
say what was done to the numbers. The guide with a worked example is
docs/data_profiles.md.

    exports:                       # the export's tables, by their name in the source
      sales_pipeline:
        rename: {Deal Stage: deal_stage}          # export column -> new name
        strip: true                               # trim spaces in every cell (default)
        numbers: [close_value]                    # drop currency symbols, thousands separators
        values:                                   # per column, in this order:
          product: {spaces: true,                 #   collapse runs of spaces
                    aliases: {GTXPro: GTX Pro},   #   known misspellings (case-insensitive)
                    case: title}                  #   lower | upper | title
        dates: {close_date: "%Y-%m-%d"}           # parsed in the stated format
    tables:                        # canonical tables; a table left out is absent ("no data")
      revenue:
        from: sales_pipeline       # one export table gives the rows ...
        where: {deal_stage: Won}   # ... optionally only some of them
        drop_empty: [account_id]   # rows whose canonical column is empty are dropped and counted
        columns:                   # canonical column -> how to get it (a chain of steps)
          account_id: {id: account}                       # stable slug of a name: "Acme Co" -> acme-co
          date: close_date                                # an export column
          revenue: close_value
      targets:
        rules:                     # derived from revenue; the first rule with a base wins
          - {basis: same_quarter_last_year, growth: 0.10}
          - {basis: previous_quarter, growth: 0.025}

Column steps: ``column``, ``id`` (with ``prefix``), ``value``, ``lookup`` (a join:
``{table, key, value}``, and ``by`` when it starts a chain), ``aggregate`` (over
rows of another table that match: ``{table, by, match, value, how, weight,
where}``, how = min|max|sum|count|first|last|top), and the transforms ``map``
(with ``other: keep|empty|<a value>`` for unlisted values), ``fill`` (with ``reason``) and ``scale``.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..errors import ConfigError, DataValidationError, Problem
from ..periods import quarter_label
from .dataset import Dataset, quality_frame
from .schema import TABLES
from .sources import TableSource

PROFILE_KEYS = ("name", "description", "exports", "tables", "notes")
EXPORT_KEYS = ("rename", "strip", "numbers", "values", "dates")
VALUE_KEYS = ("spaces", "aliases", "case")
CASES = ("lower", "upper", "title")
TABLE_KEYS = ("from", "where", "drop_empty", "columns")
RULE_KEYS = ("basis", "growth")
BASES = ("same_quarter_last_year", "previous_quarter", "trailing_average")
HOWS = ("min", "max", "sum", "count", "first", "last", "top")
SOURCE_OPS = ("column", "id", "value", "lookup", "aggregate")
TRANSFORM_OPS = ("lookup", "map", "fill", "scale")
MODIFIERS = {"id": ("prefix",), "map": ("other",), "fill": ("reason",)}
LOOKUP_KEYS = ("table", "key", "value", "by")
AGGREGATE_KEYS = ("table", "by", "match", "value", "how", "weight", "where")
MAX_LISTED = 10
_ISO_DATETIME = r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"


def slug(text: object, prefix: str = "") -> str | None:
    """A stable id from a name: ASCII, lower case, words joined by dashes ("Acme Co." -> "acme-co")."""
    if text is None or (isinstance(text, float) and np.isnan(text)) or str(text).strip() == "":
        return None
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return f"{prefix}{base or 'x'}"


# --- the profile, parsed and checked ------------------------------------------------------------

@dataclass
class Step:
    op: str
    arg: Any
    options: dict[str, Any] = field(default_factory=dict)
    path: str = ""


@dataclass
class TableSpec:
    name: str
    source: str | None = None                     # export table ("from")
    where: dict[str, list[str]] = field(default_factory=dict)
    drop_empty: list[str] = field(default_factory=list)
    columns: dict[str, list[Step]] = field(default_factory=dict)
    rules: list[dict[str, Any]] = field(default_factory=list)   # targets derived from revenue


@dataclass
class Profile:
    source: str                                    # the file (or "settings.yaml (profile)") for messages
    name: str = ""
    description: str = ""
    exports: dict[str, dict[str, Any]] = field(default_factory=dict)
    tables: dict[str, TableSpec] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def referenced_columns(self) -> dict[str, dict[str, str]]:
        """For each export table, the columns the profile uses (after renaming) -> where it uses them."""
        refs: dict[str, dict[str, str]] = {name: {} for name in self.exports}

        def use(table: str | None, column: Any, where: str) -> None:
            if table in refs and isinstance(column, str):
                refs[table].setdefault(column, where)

        for name, spec in self.exports.items():
            for key in ("numbers",):
                for col in spec.get(key, []):
                    use(name, col, f"exports.{name}.{key}")
            for key in ("values", "dates"):
                for col in spec.get(key, {}):
                    use(name, col, f"exports.{name}.{key}.{col}")
        for table in self.tables.values():
            for col in table.where:
                use(table.source, col, f"tables.{table.name}.where")
            for column, steps in table.columns.items():
                _step_refs(steps, table.source, use)
        return refs


def _step_refs(steps: list[Step], base: str | None, use) -> None:
    for i, step in enumerate(steps):
        if step.op in ("column", "id"):
            use(base, step.arg, step.path)
        elif step.op == "lookup":
            use(step.arg["table"], step.arg["key"], step.path)
            use(step.arg["table"], step.arg["value"], step.path)
            if i == 0:
                use(base, step.arg.get("by"), step.path)
        elif step.op == "aggregate":
            arg = step.arg
            use(base, arg["by"], step.path)
            for key in ("match", "value", "weight"):
                use(arg["table"], arg.get(key) if key != "match" else arg.get("match", arg["by"]), step.path)
            for col in arg.get("where", {}):
                use(arg["table"], col, step.path)
        elif step.op == "fill":
            _step_refs(step.arg, base, use)


class _Checker:
    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []

    def add(self, path: str, message: str, value: Any = None) -> None:
        self.problems.append(Problem(self.source, f"'{path}' {message}" if path else message, value=value))

    def mapping(self, raw: Any, path: str, known: tuple[str, ...] | None = None) -> dict:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.add(path, "must be a mapping of keys to values", raw)
            return {}
        if known is not None:
            for key in raw:
                if key not in known:
                    hint = " (YAML reads on/off/yes/no as true/false: quote such a key)" if isinstance(key, bool) else ""
                    self.add(f"{path}.{key}" if path else str(key),
                             f"is an unknown key (known: {', '.join(known)}){hint}")
        return raw

    def text(self, raw: Any, path: str) -> str | None:
        if isinstance(raw, str) and raw.strip():
            return raw
        self.add(path, "must be text", raw)
        return None

    def text_list(self, raw: Any, path: str) -> list[str]:
        if raw is None:
            return []
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            self.add(path, "must be a list of column names", raw)
            return []
        return raw

    def where(self, raw: Any, path: str) -> dict[str, list[str]]:
        out = {}
        for col, value in self.mapping(raw, path).items():
            values = value if isinstance(value, list) else [value]
            if any(isinstance(v, (dict, list)) for v in values):
                self.add(f"{path}.{col}", "must be a value or a list of values", value)
                continue
            out[str(col)] = ["" if v is None else str(v) for v in values]
        return out


def _parse_steps(raw: Any, path: str, exports: dict, chk: _Checker, first_may_transform: bool = False) -> list[Step]:
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        chk.add(path, "is an empty list of steps")
        return []
    steps: list[Step] = []
    for i, item in enumerate(items):
        where = f"{path}[{i}]" if isinstance(raw, list) else path
        if isinstance(item, str):
            item = {"column": item}
        if not isinstance(item, dict):
            chk.add(where, "must be an export column name or a mapping such as {id: account}", item)
            continue
        ops = [k for k in item if k in SOURCE_OPS + TRANSFORM_OPS]
        allowed = SOURCE_OPS if i == 0 and not first_may_transform else TRANSFORM_OPS
        if len(ops) != 1:
            chk.add(where, f"must have exactly one step of: {', '.join(dict.fromkeys(SOURCE_OPS + TRANSFORM_OPS))}",
                    ", ".join(map(str, item)) or None)
            continue
        op = ops[0]
        if op not in allowed:
            first = "start a column (the first step)" if i == 0 else "follow another step"
            chk.add(where, f"'{op}' cannot {first}; use one of: {', '.join(allowed)}")
            continue
        extra = [k for k in item if k != op and k not in MODIFIERS.get(op, ())]
        for key in extra:
            chk.add(f"{where}.{key}", f"is an unknown key for '{op}' (known: {', '.join((op,) + MODIFIERS.get(op, ()))})")
        arg = item[op]
        options = {k: item[k] for k in MODIFIERS.get(op, ()) if k in item}
        if op in ("column", "id"):
            if chk.text(arg, f"{where}.{op}") is None:
                continue
            if op == "id" and not isinstance(options.get("prefix", ""), str):
                chk.add(f"{where}.prefix", "must be text", options["prefix"])
        elif op == "value":
            if isinstance(arg, (dict, list)):
                chk.add(f"{where}.value", "must be a single value", arg)
                continue
        elif op == "lookup":
            arg = chk.mapping(arg, f"{where}.lookup", LOOKUP_KEYS)
            need = ("table", "key", "value") + (("by",) if i == 0 else ())
            if any(chk.text(arg.get(k), f"{where}.lookup.{k}") is None for k in need):
                continue
            if arg["table"] not in exports:
                chk.add(f"{where}.lookup.table", f"names an export table not listed under 'exports' "
                                                 f"({', '.join(exports) or 'none'})", arg["table"])
                continue
        elif op == "aggregate":
            arg = dict(chk.mapping(arg, f"{where}.aggregate", AGGREGATE_KEYS))
            if any(chk.text(arg.get(k), f"{where}.aggregate.{k}") is None for k in ("table", "by", "how")):
                continue
            if arg["how"] not in HOWS:
                chk.add(f"{where}.aggregate.how", f"must be one of {', '.join(HOWS)}", arg["how"])
                continue
            if arg["how"] != "count" and chk.text(arg.get("value"), f"{where}.aggregate.value") is None:
                continue
            if arg["table"] not in exports:
                chk.add(f"{where}.aggregate.table", f"names an export table not listed under 'exports' "
                                                    f"({', '.join(exports) or 'none'})", arg["table"])
                continue
            arg["where"] = chk.where(arg.get("where"), f"{where}.aggregate.where")
        elif op == "map":
            if not isinstance(arg, dict) or not arg:
                chk.add(f"{where}.map", "must be a mapping of export values to values", arg)
                continue
            arg = {str(k): (None if v is None else str(v)) for k, v in arg.items()}
            if isinstance(options.get("other", "keep"), (dict, list)) or options.get("other", "keep") is None:
                chk.add(f"{where}.other", "must be keep, empty, or the value for every unlisted value",
                        options.get("other"))
        elif op == "fill":
            arg = _parse_steps(arg, f"{where}.fill", exports, chk)
            if options.get("reason") is not None and not isinstance(options["reason"], str):
                chk.add(f"{where}.reason", "must be text", options["reason"])
        elif op == "scale":
            if isinstance(arg, bool) or not isinstance(arg, (int, float)):
                chk.add(f"{where}.scale", "must be a number", arg)
                continue
        steps.append(Step(op, arg, options, where))
    return steps


def _parse_export(name: str, raw: Any, chk: _Checker) -> dict[str, Any]:
    path = f"exports.{name}"
    spec = chk.mapping(raw, path, EXPORT_KEYS)
    out: dict[str, Any] = {"rename": {}, "strip": True, "numbers": [], "values": {}, "dates": {}}
    rename = chk.mapping(spec.get("rename"), f"{path}.rename")
    for old, new in rename.items():
        if not isinstance(new, str) or not new.strip():
            chk.add(f"{path}.rename.{old}", "must be the new column name", new)
        else:
            out["rename"][str(old)] = new
    if not isinstance(spec.get("strip", True), bool):
        chk.add(f"{path}.strip", "must be true or false", spec.get("strip"))
    else:
        out["strip"] = spec.get("strip", True)
    out["numbers"] = chk.text_list(spec.get("numbers"), f"{path}.numbers")
    for col, rules in chk.mapping(spec.get("values"), f"{path}.values").items():
        rules = chk.mapping(rules, f"{path}.values.{col}", VALUE_KEYS)
        if "case" in rules and rules["case"] not in CASES:
            chk.add(f"{path}.values.{col}.case", f"must be one of {', '.join(CASES)}", rules["case"])
        if "spaces" in rules and not isinstance(rules["spaces"], bool):
            chk.add(f"{path}.values.{col}.spaces", "must be true or false", rules["spaces"])
        aliases = chk.mapping(rules.get("aliases"), f"{path}.values.{col}.aliases")
        out["values"][str(col)] = {"spaces": rules.get("spaces", False), "case": rules.get("case"),
                                   "aliases": {str(k): "" if v is None else str(v) for k, v in aliases.items()}}
    for col, fmt in chk.mapping(spec.get("dates"), f"{path}.dates").items():
        if not isinstance(fmt, str) or "%" not in fmt and fmt.lower() != "iso":
            chk.add(f"{path}.dates.{col}", "must be a date format such as \"%Y-%m-%d\" or \"%m/%d/%Y\", or iso", fmt)
        else:
            out["dates"][str(col)] = fmt
    return out


def _parse_table(name: str, raw: Any, exports: dict, chk: _Checker) -> TableSpec | None:
    path = f"tables.{name}"
    if name not in TABLES:
        chk.add(path, f"is not a canonical table (choose from: {', '.join(TABLES)})")
        return None
    spec = TableSpec(name)
    if name == "targets" and isinstance(raw, dict) and "rules" in raw:
        body = chk.mapping(raw, path, ("rules",))
        rules = body.get("rules")
        rules = [rules] if isinstance(rules, dict) else rules
        if not isinstance(rules, list) or not rules:
            chk.add(f"{path}.rules", "must be a list of {basis, growth} rules", rules)
            return None
        for i, rule in enumerate(rules):
            rule = chk.mapping(rule, f"{path}.rules[{i}]", RULE_KEYS)
            if rule.get("basis") not in BASES:
                chk.add(f"{path}.rules[{i}].basis", f"must be one of {', '.join(BASES)}", rule.get("basis"))
                continue
            growth = rule.get("growth", 0)
            if isinstance(growth, bool) or not isinstance(growth, (int, float)) or growth <= -1:
                chk.add(f"{path}.rules[{i}].growth", "must be a number above -1 (0.10 = +10%)", growth)
                continue
            spec.rules.append({"basis": rule["basis"], "growth": float(growth)})
        return spec
    body = chk.mapping(raw, path, TABLE_KEYS + (("rules",) if name == "targets" else ()))
    spec.source = chk.text(body.get("from"), f"{path}.from")
    if spec.source is not None and spec.source not in exports:
        chk.add(f"{path}.from", f"names an export table not listed under 'exports' ({', '.join(exports) or 'none'})",
                spec.source)
        return None
    spec.where = chk.where(body.get("where"), f"{path}.where")
    schema = TABLES[name]
    spec.drop_empty = chk.text_list(body.get("drop_empty"), f"{path}.drop_empty")
    for col in spec.drop_empty:
        if col not in schema.column_names:
            chk.add(f"{path}.drop_empty", f"names '{col}', not a column of {name}", col)
    columns = chk.mapping(body.get("columns"), f"{path}.columns")
    for col, steps in columns.items():
        if col not in schema.column_names:
            chk.add(f"{path}.columns.{col}", f"is not a column of {name} (columns: {', '.join(schema.column_names)})")
            continue
        spec.columns[col] = _parse_steps(steps, f"{path}.columns.{col}", exports, chk)
    for col in schema.columns:
        if col.required and col.name not in columns:
            chk.add(f"{path}.columns", f"does not map the required column '{col.name}' "
                                       "(map it, or give {value: null} to leave it empty)")
    return spec


def parse_profile(raw: Any, source: str) -> Profile:
    chk = _Checker(source)
    body = chk.mapping(raw, "", PROFILE_KEYS)
    profile = Profile(source, name=str(body.get("name") or ""), description=str(body.get("description") or ""))
    exports = chk.mapping(body.get("exports"), "exports")
    if not exports:
        chk.add("exports", "must list the export's tables (name: its cleaning steps, or {})")
    for name, spec in exports.items():
        profile.exports[str(name)] = _parse_export(str(name), spec, chk)
    tables = chk.mapping(body.get("tables"), "tables")
    for name, spec in tables.items():
        parsed = _parse_table(str(name), spec, profile.exports, chk)
        if parsed is not None:
            profile.tables[str(name)] = parsed
    for name, spec in TABLES.items():
        if not spec.optional and name not in tables:
            chk.add("tables", f"must make the required table '{name}'")
    notes = body.get("notes", [])
    if isinstance(notes, str):
        notes = [notes]
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        chk.add("notes", "must be a list of sentences", notes)
    else:
        profile.notes = notes
    if chk.problems:
        raise ConfigError(chk.problems)
    return profile


def load_profile(spec: str | Path | dict, source: str) -> Profile:
    """A profile from a YAML file (``spec`` a path) or inline (``spec`` a mapping; ``source`` names it)."""
    if isinstance(spec, dict):
        return parse_profile(spec, source)
    path = Path(spec)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([Problem(str(path), f"profile cannot be read: {exc.strerror or exc}")]) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError([Problem(str(path), f"profile is not valid YAML: {getattr(exc, 'problem', None) or exc}",
                                   row=mark.line + 1 if mark is not None else None)]) from None
    return parse_profile(raw if raw is not None else {}, str(path))


# --- applying it ----------------------------------------------------------------------------------

class _Run:
    """State while one profile is applied: cleaned exports, the quality records, problems."""

    def __init__(self, profile: Profile, source: TableSource):
        self.profile = profile
        self.source = source
        self.exports: dict[str, pd.DataFrame] = {}
        self.records: list[dict[str, Any]] = []
        self.problems: list[Problem] = []

    def record(self, step: str, table: str, what: str, count: int, detail: str = "") -> None:
        self.records.append({"step": step, "table": table, "what": what, "count": int(count), "detail": detail})


def _examples(pairs: Counter, limit: int = 4) -> str:
    ranked = sorted(pairs.items(), key=lambda item: (-item[1], str(item[0])))   # not the rows' order
    shown = [f"'{a}' → '{b}' ({n:,})" for (a, b), n in ranked[:limit]]
    more = len(pairs) - limit
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _lines(index: pd.Index, limit: int = 5) -> str:
    rows = [str(int(i) + 2) for i in index[:limit]]
    return ", ".join(rows) + (" ..." if len(index) > limit else "")


def _changed(run: _Run, export: str, column: str, before: pd.Series, after: pd.Series, what: str) -> None:
    mask = before.notna() & (before != after)
    if mask.any():
        pairs = Counter(zip(before[mask], after[mask].fillna("")))
        run.record("normalise", export, f"{column}: {what}", int(mask.sum()), _examples(pairs))


def _clean_export(run: _Run, name: str, raw: pd.DataFrame) -> pd.DataFrame:
    spec = run.profile.exports[name]
    frame = raw.rename(columns=lambda c: str(c).strip()).copy()
    frame.index = pd.RangeIndex(len(frame))
    if spec["rename"]:
        renamed = {old: new for old, new in spec["rename"].items() if old in frame.columns}
        frame = frame.rename(columns=renamed)
        if renamed:
            run.record("rename", name, "columns renamed", len(renamed),
                       ", ".join(f"{old} → {new}" for old, new in renamed.items()))
    frame = frame.astype(object).where(frame.notna(), None)
    if spec["strip"]:
        changed = 0
        for col in frame.columns:
            text = frame[col]
            stripped = text.map(lambda v: v.strip() if isinstance(v, str) else v)
            changed += int((text.notna() & (stripped != text)).sum())
            frame[col] = stripped
        if changed:
            run.record("normalise", name, "spaces trimmed around values", changed)
    frame = frame.map(lambda v: None if v is None or v == "" else v)
    for col in spec["numbers"]:
        before = frame[col]

        def number(v: Any) -> Any:
            if not isinstance(v, str):
                return v
            neg = v.startswith("(") and v.endswith(")")
            cleaned = re.sub(r"[^0-9.\-eE+]", "", v.replace(",", ""))
            return f"-{cleaned}" if neg and cleaned and not cleaned.startswith("-") else (cleaned or v)
        frame[col] = before.map(number)
        _changed(run, name, col, before, frame[col], "currency symbols and separators removed")
    for col, rules in spec["values"].items():
        values = frame[col]
        if rules["spaces"]:
            new = values.map(lambda v: re.sub(r"\s+", " ", v).strip() if isinstance(v, str) else v)
            _changed(run, name, col, values, new, "runs of spaces collapsed")
            values = new
        if rules["aliases"]:
            table = {re.sub(r"\s+", " ", k).strip().casefold(): v for k, v in rules["aliases"].items()}
            new = values.map(lambda v: table.get(re.sub(r"\s+", " ", v).strip().casefold(), v)
                             if isinstance(v, str) else v)
            _changed(run, name, col, values, new, "known aliases")
            values = new
        if rules["case"]:
            fn = {"lower": str.lower, "upper": str.upper, "title": str.title}[rules["case"]]
            new = values.map(lambda v: fn(v) if isinstance(v, str) else v)
            _changed(run, name, col, values, new, f"{rules['case']} case")
            values = new
        frame[col] = values.map(lambda v: None if v == "" else v)
    for col, fmt in spec["dates"].items():
        text = frame[col]
        filled = text.notna()
        parsed = pd.to_datetime(text.where(filled), errors="coerce", format="ISO8601" if fmt.lower() == "iso" else fmt)
        # A database or workbook holds real dates, which arrive as ISO text: accept those whatever the format.
        iso = parsed.isna() & filled & text.astype(str).str.fullmatch(_ISO_DATETIME)
        if iso.any():
            parsed[iso] = pd.to_datetime(text[iso], errors="coerce", format="ISO8601")
        bad = filled & parsed.isna()
        for i, row in enumerate(text.index[bad]):
            if i == MAX_LISTED:
                run.problems.append(Problem(run.source.where(name), f"... {int(bad.sum()) - i} more rows like this",
                                            column=col))
                break
            run.problems.append(Problem(run.source.where(name), f"is not a date in the profile's format {fmt}",
                                        row=int(row) + 2, column=col, value=text[row]))
        frame[col] = parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), None).astype(object)
        run.record("parse dates", name, f"{col} read as {fmt}", int((filled & ~bad).sum()))
    return frame


def _as_number(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values.astype(object).where(values.notna(), None), errors="coerce")


def _number_text(values: pd.Series) -> pd.Series:
    def fmt(v: float) -> Any:
        if pd.isna(v):
            return None
        return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(round(float(v), 10))
    return values.map(fmt).astype(object)


def _filter(frame: pd.DataFrame, where: dict[str, list[str]]) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for col, values in where.items():
        wanted = {v for v in values if v != ""}
        cell = frame[col]
        ok = cell.isin(wanted)
        if "" in values:
            ok |= cell.isna()
        mask &= ok
    return mask


def _aggregate(run: _Run, base: pd.DataFrame, arg: dict[str, Any]) -> pd.Series:
    other = run.exports[arg["table"]]
    other = other[_filter(other, arg.get("where", {}))]
    match = arg.get("match", arg["by"])
    how = arg["how"]
    keys = other[match]
    if how == "count":
        result = keys.dropna().value_counts()
        return base[arg["by"]].map(result).map(lambda v: None if pd.isna(v) else str(int(v))).astype(object)
    values = other[arg["value"]]
    ok = keys.notna() & values.notna()
    keys, values = keys[ok], values[ok]
    if how in ("first", "last"):
        result = values.groupby(keys, sort=False).agg(how)
    elif how == "top":
        weight = _as_number(other.loc[ok.index[ok], arg["weight"]]).fillna(0.0) if arg.get("weight") \
            else pd.Series(1.0, index=keys.index)
        totals = weight.groupby([keys, values]).sum().rename("w").reset_index()
        totals.columns = ["k", "v", "w"]
        totals = totals.sort_values(["k", "w", "v"], ascending=[True, False, True], kind="mergesort")
        result = totals.drop_duplicates("k").set_index("k")["v"]
    else:
        numbers = _as_number(values)
        if how == "sum" or numbers.notna().all():
            result = _number_text(numbers.groupby(keys).agg(how))
        else:  # text: ISO dates order correctly as text
            result = values.astype(str).groupby(keys).agg(how)
    return base[arg["by"]].map(result).astype(object)


def _lookup(run: _Run, keys: pd.Series, arg: dict[str, Any], table: str, column: str) -> pd.Series:
    other = run.exports[arg["table"]][[arg["key"], arg["value"]]].dropna(subset=[arg["key"]])
    dups = other[arg["key"]].duplicated()
    if dups.any():
        run.record("lookup", table, f"{column}: {arg['table']}.{arg['key']} repeats a key; the first row is used",
                   int(dups.sum()))
    mapping = other[~dups].set_index(arg["key"])[arg["value"]]
    result = keys.map(mapping).astype(object)
    missed = keys.notna() & result.isna()
    if missed.any():
        sample = ", ".join(f"'{v}'" for v in sorted(keys[missed].unique(), key=str)[:3])
        run.record("lookup", table, f"{column}: no match in {arg['table']}.{arg['key']}; left empty",
                   int(missed.sum()), f"e.g. {sample}")
    return result.where(result.notna(), None)


def _evaluate(run: _Run, steps: list[Step], base: pd.DataFrame, table: str, column: str,
              fills: list[tuple[pd.Series, str]], ids: dict[str, tuple[str, int]]) -> pd.Series:
    current = pd.Series(None, index=base.index, dtype=object)
    for i, step in enumerate(steps):
        if step.op == "column":
            current = base[step.arg].astype(object)
        elif step.op == "id":
            prefix = step.options.get("prefix", "")
            current = base[step.arg].map(lambda v: slug(v, prefix)).astype(object)
            ids[column] = (step.arg, int(current.notna().sum()))
        elif step.op == "value":
            current = pd.Series(None if step.arg is None else str(step.arg), index=base.index, dtype=object)
        elif step.op == "lookup":
            keys = base[step.arg["by"]] if i == 0 else current
            current = _lookup(run, keys, step.arg, table, column)
        elif step.op == "aggregate":
            current = _aggregate(run, base, step.arg)
        elif step.op == "map":
            mapping, other = step.arg, str(step.options.get("other", "keep"))

            def mapped(v: Any, mapping=mapping, other=other) -> Any:
                if v is None:
                    return None
                if str(v) in mapping:
                    return mapping[str(v)]
                return v if other == "keep" else None if other == "empty" else other
            current = current.map(mapped)
        elif step.op == "scale":
            current = _number_text(_as_number(current) * float(step.arg))
        elif step.op == "fill":
            other = _evaluate(run, step.arg, base, table, column, [], {})
            mask = current.isna() & other.notna()
            current = current.where(~mask, other)
            reason = step.options.get("reason") or f"from {_describe_steps(step.arg)}"
            fills.append((mask, reason))
        current = current.astype(object).where(current.notna(), None)
    return current


def _describe_steps(steps: list[Step]) -> str:
    parts = []
    for step in steps:
        arg = step.arg
        if step.op == "lookup":
            parts.append(f"{arg['table']}.{arg['value']} by {arg['key']}")
        elif step.op == "aggregate":
            parts.append(f"{arg['how']} of {arg['table']}.{arg.get('value', 'rows')}")
        elif step.op == "value":
            parts.append(f"the value {arg!r}")
        else:
            parts.append(f"{step.op} {arg}")
    return " then ".join(parts)


def _make_table(run: _Run, spec: TableSpec) -> pd.DataFrame:
    base = run.exports[spec.source]
    total = len(base)
    if spec.where:
        keep = _filter(base, spec.where)
        base = base[keep]
        cond = " and ".join(f"{c} = {' or '.join(v or '(empty)' for v in vals)}" for c, vals in spec.where.items())
        run.record("select", spec.name, f"rows of {spec.source} where {cond}", len(base),
                   f"{total - len(base):,} other rows of {total:,} not used for {spec.name}")
    fills: dict[str, list[tuple[pd.Series, str]]] = {}
    ids: dict[str, tuple[str, int]] = {}
    out = pd.DataFrame(index=base.index)
    for col, steps in spec.columns.items():
        fills[col] = []
        out[col] = _evaluate(run, steps, base, spec.name, col, fills[col], ids)
    for col in spec.drop_empty:
        empty = out[col].isna()
        if empty.any():
            run.record("drop", spec.name, f"rows with no {col}", int(empty.sum()),
                       f"{spec.source} {run.source.rows_are} {_lines(out.index[empty])}")
            out = out[~empty]
    for col, items in fills.items():
        for mask, reason in items:
            n = int(mask.reindex(out.index).fillna(False).sum())
            if n:
                run.record("fill", spec.name, f"{col}: empty, filled {reason}", n)
    for col, (name_col, n) in ids.items():
        examples = sorted(base.loc[out.index, name_col].dropna().unique(), key=str)[:2]
        sample = ", ".join(f"'{v}' → {slug(v)}" for v in examples)
        run.record("generate ids", spec.name, f"{col} from the name in {spec.source}.{name_col}",
                   int(out[col].nunique()), f"stable slugs, e.g. {sample}")
    schema = TABLES[spec.name]
    for col in schema.columns:
        if not col.required and col.name not in spec.columns:
            run.record("absent", spec.name, f"{col.name}: not in the export; left empty", len(out),
                       _ABSENT_MEANS.get((spec.name, col.name), ""))
    return out.astype(object).where(out.notna(), "")


_ABSENT_MEANS = {
    ("revenue", "cogs"): "no cost of goods: gross margin is unknown",
    ("accounts", "wallet_estimate"): "no wallet estimate: share of wallet and revenue potential are unknown",
    ("accounts", "parent_id"): "no parent/subsidiary links",
}


def _rule_label(rule: dict[str, Any]) -> str:
    basis = {"same_quarter_last_year": "the same quarter last year's revenue",
             "previous_quarter": "the previous quarter's revenue",
             "trailing_average": "the average revenue of the four quarters before"}[rule["basis"]]
    return f"{basis} × (1 + {rule['growth'] * 100:g}%)"


def derive_targets(revenue: pd.DataFrame, rules: list[dict[str, Any]], run: _Run | None = None) -> pd.DataFrame:
    """Targets per account and quarter from canonical revenue (text frame), by the first rule with a base."""
    dates = pd.to_datetime(revenue["date"].replace("", None), errors="coerce", format="ISO8601")
    amounts = pd.to_numeric(revenue["revenue"].replace("", None), errors="coerce")
    frame = pd.DataFrame({"account_id": revenue["account_id"], "q": dates.dt.to_period("Q"), "r": amounts}).dropna()
    columns = ["account_id", "quarter", "target"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    wide = frame.groupby(["account_id", "q"])["r"].sum().unstack().astype("float64").fillna(0.0)
    first, last = frame["q"].min(), frame["q"].max()
    quarters = pd.period_range(first, last, freq="Q")
    wide = wide.reindex(columns=quarters, fill_value=0.0)
    # Columns are consecutive quarters, so shifting columns by k gives the revenue k quarters before
    # (NaN where that is before the data starts: no base).
    bases = {"same_quarter_last_year": wide.shift(4, axis=1),
             "previous_quarter": wide.shift(1, axis=1),
             "trailing_average": wide.T.rolling(4).mean().shift(1).T}
    target = pd.DataFrame(np.nan, index=wide.index, columns=wide.columns)
    used: Counter = Counter()
    for rule in rules:
        base = bases[rule["basis"]]
        take = target.isna() & (base > 0)
        target = target.mask(take, (base * (1 + rule["growth"])).round(2))
        used[_rule_label(rule)] += int(take.to_numpy().sum())
    skipped = int(target.isna().to_numpy().sum())
    long = target.T.stack().dropna()                       # quarter by quarter, accounts in order
    rows = [(account, quarter_label(q), value) for (q, account), value in long.items()]
    if run is not None:
        span = f"{quarter_label(first)} to {quarter_label(last)}"
        for rule in rules:
            label = _rule_label(rule)
            run.record("derive", "targets", f"target = {label}", used[label],
                       f"account-quarters {span}; the first rule with a base is used")
        run.record("derive", "targets", "no base revenue: no target", skipped,
                   "account-quarters whose base quarter(s) are outside the data or had no revenue")
    out = pd.DataFrame(rows, columns=columns)
    out["target"] = _number_text(out["target"])
    return out.astype(object)


def apply_profile(profile: Profile, source: TableSource) -> Dataset:
    """Read the export through ``source``, clean it, make the canonical tables and validate them."""
    from .loaders import tables_from_frames

    run = _Run(profile, source)
    problems: list[Problem] = []
    raw: dict[str, pd.DataFrame] = {}
    for name in profile.exports:
        frame = source.read(name)
        if frame is None:
            problems.append(Problem(source.where(name), f"export table '{name}' is missing "
                                                        f"(named in the profile {profile.source})"))
        else:
            raw[name] = frame
    refs = profile.referenced_columns()
    for name, frame in raw.items():
        spec = profile.exports[name]
        stripped = [str(c).strip() for c in frame.columns]
        for old in spec["rename"]:
            if old not in stripped:
                problems.append(Problem(source.where(name), f"column '{old}' is missing; the profile renames it "
                                                            f"(exports.{name}.rename; columns found: "
                                                            f"{', '.join(stripped) or 'none'})", column=old))
        after = {spec["rename"].get(c, c) for c in stripped}
        for col, where in refs[name].items():
            if col not in after:
                problems.append(Problem(source.where(name), f"column '{col}' is missing; the profile uses it at "
                                                            f"{where} (columns found: {', '.join(stripped) or 'none'})",
                                        column=col))
    if problems:
        raise DataValidationError(problems)

    for name, frame in raw.items():
        run.exports[name] = _clean_export(run, name, frame)
    if run.problems:
        raise DataValidationError(run.problems)

    tables: dict[str, pd.DataFrame] = {}
    sources: dict[str, str] = {}
    for name, spec in profile.tables.items():
        if spec.rules:
            continue
        tables[name] = _make_table(run, spec)
        sources[name] = f"{source.where(spec.source)} (as {name})"
    for name, spec in profile.tables.items():
        if spec.rules:
            tables[name] = derive_targets(tables["revenue"], spec.rules, run)
            sources[name] = f"targets derived by the profile {profile.source}"
    for name, spec in TABLES.items():
        sources.setdefault(name, f"{name} (not made by the profile)")
        if spec.optional and name not in tables:
            run.record("absent", name, "not in the export", 0, "its report sections say \"no data\"")

    dataset = tables_from_frames(tables, sources, origin=source.describe())
    dataset.quality = quality_frame(run.records)
    notes = list(profile.notes)
    for name, spec in profile.tables.items():
        if spec.rules:
            rules = "; else ".join(_rule_label(r) for r in spec.rules)
            notes.append(f"Targets are not in the export; each is derived as {rules}.")
    dataset.notes = tuple(notes)
    return dataset


__all__ = ["Profile", "apply_profile", "derive_targets", "load_profile", "parse_profile", "slug"]
