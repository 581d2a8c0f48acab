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

      accounts:                    # from order lines: one row per customer, not per line
        from: orders
        one_row_per: customer_id   # the export column(s) whose distinct values are the rows
        columns:
          account_id: customer_id
          name: {column: customer_name, repeated: most_frequent}   # a key's rows differ: the rule picks
          start_date: {column: order_date, repeated: min}

Column steps (:mod:`.steps`): ``column``, ``id`` (with ``prefix``), ``value``, ``lookup`` (a join:
``{table, key, value}``, and ``by`` when it starts a chain), ``aggregate`` (over
rows of another table that match: ``{table, by, match, value, how, weight,
where}``, how = min|max|sum|count|first|last|top), ``compute`` (arithmetic on the
row's columns, :mod:`.expressions`), and the transforms ``map`` (with
``other: keep|empty|<a value>`` for unlisted values), ``fill`` (with ``reason``) and
``scale``; ``repeated`` (first|last|most_frequent|min|max|sum|count) on a column of a
table made ``one_row_per`` (:mod:`.combine`).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import ConfigError
from ...files import read_yaml
from ..schema import TABLES
from .checker import Checker
from .steps import REPEATED, Step, parse_steps, step_refs

PROFILE_KEYS = ("name", "description", "exports", "tables", "notes")
EXPORT_KEYS = ("rename", "strip", "numbers", "values", "dates")
VALUE_KEYS = ("spaces", "aliases", "case")
CASES = ("lower", "upper", "title")
TABLE_KEYS = ("from", "where", "one_row_per", "drop_empty", "columns")
RULE_KEYS = ("basis", "growth")
BASES = ("same_quarter_last_year", "previous_quarter", "trailing_average")
#: Keys users reach for when a table must hold one row per customer of an order-line export.
_ONE_ROW_HINT = " (for one row per distinct value of an export column, e.g. accounts from order lines: " \
                "one_row_per: customer_id; docs/data_profiles.md, 'Tables from order lines')"
TABLE_HINTS = {key: _ONE_ROW_HINT for key in ("distinct", "group_by", "groupby", "unique", "key", "one_per",
                                              "one_row_for", "aggregate", "dedupe", "deduplicate")}


def slug(text: object, prefix: str = "") -> str | None:
    """A stable id from a name: ASCII, lower case, words joined by dashes ("Acme Co." -> "acme-co")."""
    if text is None or (isinstance(text, float) and np.isnan(text)) or str(text).strip() == "":
        return None
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return f"{prefix}{base or 'x'}"


# --- the profile, parsed and checked ------------------------------------------------------------

@dataclass
class TableSpec:
    name: str
    source: str | None = None                     # export table ("from")
    where: dict[str, list[str]] = field(default_factory=dict)
    drop_empty: list[str] = field(default_factory=list)
    columns: dict[str, list[Step]] = field(default_factory=dict)
    one_row_per: list[str] = field(default_factory=list)          # export columns: one row per distinct key
    repeated: dict[str, str] = field(default_factory=dict)        # canonical column -> rule (one_row_per)
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
            for col in table.one_row_per:
                use(table.source, col, f"tables.{table.name}.one_row_per")
            for steps in table.columns.values():
                step_refs(steps, table.source, use)
        return refs


def _parse_export(name: str, raw: Any, chk: Checker) -> dict[str, Any]:
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


def _repeated_rule(spec: TableSpec, col: str, path: str, chk: Checker) -> None:
    """The column's ``repeated:`` rule (said on any one of its steps) into ``spec.repeated``."""
    said = [step for step in spec.columns[col] if "repeated" in step.options]
    if not said:
        return
    if not spec.one_row_per:
        chk.add(f"{said[0].path}.repeated", "only applies to a table made with one_row_per (one row per "
                                            "distinct key, e.g. one account per customer of the order lines)")
        return
    if len(said) > 1:
        chk.add(path, f"says 'repeated' {len(said)} times; say it once for the column "
                      f"(one of {', '.join(REPEATED)})")
        return
    spec.repeated[col] = said[0].options["repeated"]


def _parse_table(name: str, raw: Any, exports: dict, chk: Checker) -> TableSpec | None:
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
    body = chk.mapping(raw, path, TABLE_KEYS + (("rules",) if name == "targets" else ()), TABLE_HINTS)
    spec.source = chk.text(body.get("from"), f"{path}.from")
    if spec.source is not None and spec.source not in exports:
        chk.add(f"{path}.from", f"names an export table not listed under 'exports' ({', '.join(exports) or 'none'})",
                spec.source)
        return None
    spec.where = chk.where(body.get("where"), f"{path}.where")
    spec.one_row_per = chk.text_list(body.get("one_row_per"), f"{path}.one_row_per")
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
        spec.columns[col] = parse_steps(steps, f"{path}.columns.{col}", exports, chk)
        _repeated_rule(spec, col, f"{path}.columns.{col}", chk)
    for col in schema.columns:
        if col.required and col.name not in columns:
            chk.add(f"{path}.columns", f"does not map the required column '{col.name}' "
                                       "(map it, or give {value: null} to leave it empty)")
    return spec


def parse_profile(raw: Any, source: str) -> Profile:
    chk = Checker(source)
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
