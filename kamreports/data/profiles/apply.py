"""Applying a column-mapping profile: the export cleaned, the column steps evaluated, the canonical tables made.

The profile language (what each key means, and how a profile is checked before anything is read) is
:mod:`.language`; targets derived from revenue are :mod:`.targets`. Everything done to the numbers is
recorded in the data-quality report, with counts, so the packs can say what was done.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pandas as pd

from ...errors import DataValidationError, Problem
from ..dataset import Dataset, quality_frame
from ..schema import TABLES
from ..sources import TableSource
from .cells import as_number, number_text
from .combine import one_row_per
from .expressions import Expression, evaluate, numeric_cells
from .language import Profile, Step, TableSpec, slug
from .targets import derive_targets, rule_label

MAX_LISTED = 10     # bad dates listed one by one before "... N more rows like this"
_ISO_DATETIME = r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"


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
        weight = as_number(other.loc[ok.index[ok], arg["weight"]]).fillna(0.0) if arg.get("weight") \
            else pd.Series(1.0, index=keys.index)
        totals = weight.groupby([keys, values]).sum().rename("w").reset_index()
        totals.columns = ["k", "v", "w"]
        totals = totals.sort_values(["k", "w", "v"], ascending=[True, False, True], kind="mergesort")
        result = totals.drop_duplicates("k").set_index("k")["v"]
    else:
        numbers = as_number(values)
        if how == "sum" or numbers.notna().all():
            result = number_text(numbers.groupby(keys).agg(how))
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


def _compute(run: _Run, expression: Expression, base: pd.DataFrame, table: str, column: str) -> pd.Series:
    """``column = expression`` on each row of ``base``; a cell that is not a number is a problem (file, row,
    column, value), an empty input or a division by zero an empty result, counted in the quality report."""
    export = run.profile.tables[table].source or ""
    inputs = {}
    for name in expression.columns:
        numbers, bad = numeric_cells(base[name])
        inputs[name] = numbers
        for i, (row, value) in enumerate(base.loc[bad, name].items()):
            if i == MAX_LISTED:
                run.problems.append(Problem(run.source.where(export), f"... {int(bad.sum()) - i} more rows like this",
                                            column=name))
                break
            cleaned = re.sub(r"[^0-9.\-]", "", str(value).replace(",", ""))
            cleaned = f"-{cleaned}" if str(value).startswith("(") and str(value).endswith(")") else cleaned
            hint = (f"; list it under exports.{export}.numbers to read {value!r} as {cleaned}"
                    if cleaned and name not in run.profile.exports[export]["numbers"] and re.fullmatch(
                        r"-?\d+\.?\d*", cleaned) else "")
            run.problems.append(Problem(run.source.where(export), f"is not a number, so {column} = "
                                        f"{expression.text} cannot be computed (tables.{table}.columns.{column}){hint}",
                                        row=int(row) + 2, column=name, value=value))
    result = evaluate(expression, inputs, base.index)
    run.record("compute", table, f"{column} = {expression.text}", int(result.values.notna().sum()),
               f"on rows of {export}")
    for mask, what in ((result.empty_input, "an input is empty"), (result.divided_by_zero, "division by zero")):
        if mask.any():
            run.record("compute", table, f"{column}: {what}; left empty", int(mask.sum()),
                       f"{export} {run.source.rows_are} {_lines(base.index[mask.to_numpy()])}")
    return number_text(result.values)


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
        elif step.op == "compute":
            current = _compute(run, step.arg, base, table, column)
        elif step.op == "map":
            mapping, other = step.arg, str(step.options.get("other", "keep"))

            def mapped(v: Any, mapping: dict[str, Any] = mapping, other: str = other) -> Any:
                if v is None:
                    return None
                if str(v) in mapping:
                    return mapping[str(v)]
                return v if other == "keep" else None if other == "empty" else other
            current = current.map(mapped)
        elif step.op == "scale":
            current = number_text(as_number(current) * float(step.arg))
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


def _count_fills(run: _Run, spec: TableSpec, fills: dict[str, list[tuple[pd.Series, str]]], rows: pd.Index,
                 where: str = "") -> None:
    for col, items in fills.items():
        for mask, reason in items:
            n = int(mask.reindex(rows).fillna(False).sum())
            if n:
                run.record("fill", spec.name, f"{col}: empty, filled {reason}{where}", n)


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
    if spec.one_row_per:
        _count_fills(run, spec, fills, out.index, f" (rows of {spec.source}, before one row per key)")
        fills = {}
        out = one_row_per(run, spec, base, out)
    for col in spec.drop_empty:
        empty = out[col].isna()
        if empty.any():
            run.record("drop", spec.name, f"rows with no {col}", int(empty.sum()),
                       f"{spec.source} {run.source.rows_are} {_lines(out.index[empty])}")
            out = out[~empty]
    _count_fills(run, spec, fills, out.index)
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


def apply_profile(profile: Profile, source: TableSource) -> Dataset:
    """Read the export through ``source``, clean it, make the canonical tables and validate them."""
    from ..loaders import tables_from_frames

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
    if run.problems:        # cells a computed column or a repeated rule cannot use: all listed at once
        raise DataValidationError(run.problems)
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
            rules = "; else ".join(rule_label(r) for r in spec.rules)
            notes.append(f"Targets are not in the export; each is derived as {rules}.")
    dataset.notes = tuple(notes)
    return dataset
