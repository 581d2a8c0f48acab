"""The column-mapping profile language: what a profile may say, parsed and checked.

A profile is YAML (a file, or inline under ``profile:`` in the settings). It says
how to clean each table of the export (``exports``), then how to make each
canonical table from them (``tables``). Every step records what it changed,
dropped, filled or derived, with counts, in a data-quality report
(:attr:`Dataset.quality`: step, table, what, count, detail), so the packs can
say what was done to the numbers. The guide with a worked example is
docs/data_profiles.md; :mod:`.apply` applies a checked profile to an export.

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
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import ConfigError, Problem
from ...files import read_yaml
from ..schema import TABLES

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


def _step_refs(steps: list[Step], base: str | None, use: Callable[[str | None, Any, str], None]) -> None:
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
                    hint = (" (YAML reads on/off/yes/no as true/false: quote such a key)"
                            if isinstance(key, bool) else "")
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
        known = (op,) + MODIFIERS.get(op, ())
        for key in (k for k in item if k not in known):
            chk.add(f"{where}.{key}", f"is an unknown key for '{op}' (known: {', '.join(known)})")
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
    """A profile from a YAML file (``spec`` a path) or inline (``spec`` a mapping; ``source`` names it).

    A file is read by the package's one YAML reader; its messages are prefixed with "profile" so that
    a user told "profile is not valid YAML" knows which of their files is meant and what it is for."""
    if isinstance(spec, dict):
        return parse_profile(spec, source)
    path = Path(spec)
    try:
        raw = read_yaml(path, str(path))
    except ConfigError as exc:
        raise ConfigError([replace(p, message=f"profile {p.message}") for p in exc.problems]) from None
    return parse_profile(raw if raw is not None else {}, str(path))
