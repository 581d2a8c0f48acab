"""Tables from order lines (``one_row_per:``): one row per distinct key, each column by its ``repeated`` rule.

The most common real export is one row per order line: every customer and product repeats on each of
its lines, so the accounts and products tables must be made from the distinct customers and products,
with a rule for the values that repeat (a name typed two ways, a customer seen in two regions, the
first order date). Each column's steps are evaluated on the lines first; then one row is kept per key,
and every rule ignores empty values:

- ``first`` (the default), ``last``: the first or last non-empty value in the export's row order;
- ``most_frequent``: the value on most of the key's rows; a tie goes to the value seen first;
- ``min``, ``max``: numbers, or dates (ISO after the export's ``dates:``); other text is a problem,
  since "03/01/21" < "31/12/20" as text would pick the wrong date without a word;
- ``sum``: numbers; ``count``: how many of the key's rows have a value.

The quality report says how many rows became how many, and for each column how many keys had
differing values that the rule resolved, with examples, so a silent choice is never made.
"""
from __future__ import annotations

from typing import Protocol

import pandas as pd

from ...errors import Problem
from ..sources import TableSource
from .cells import number_text
from .expressions import numeric_cells
from .language import TableSpec


class _Run(Protocol):
    """The profile's run (:mod:`.apply`): where rows are read from, the quality report, the problems."""

    source: TableSource
    problems: list[Problem]

    def record(self, step: str, table: str, what: str, count: int, detail: str = "") -> None: ...

MAX_LISTED = 10
_ISO_DATE = r"\d{4}-\d{2}-\d{2}"
_RULE_WORDS = {"first": "the first kept", "last": "the last kept",
               "most_frequent": "the most frequent kept (a tie: the first seen)",
               "min": "the smallest (earliest) kept", "max": "the largest (latest) kept"}


def _lines(index: pd.Index, limit: int = 5) -> str:
    rows = [str(int(i) + 2) for i in index[:limit]]
    return ", ".join(rows) + (" ..." if len(index) > limit else "")


def _not_usable(run: _Run, spec: TableSpec, col: str, rows: pd.Series, rule: str, why: str) -> None:
    """Problems for cells a rule cannot combine (text for min/max/sum), listed up to the usual limit."""
    where = run.source.where(spec.source or "")
    for i, (row, value) in enumerate(rows.items()):
        if i == MAX_LISTED:
            run.problems.append(Problem(where, f"... {len(rows) - i} more rows like this", column=col))
            break
        run.problems.append(Problem(where, f"{why}, so 'repeated: {rule}' cannot combine it "
                                           f"(tables.{spec.name}.columns.{col})", row=int(row) + 2, column=col,
                                    value=value))


def _ordered(run: _Run, spec: TableSpec, col: str, values: pd.Series, rule: str) -> pd.Series | None:
    """Values as numbers (float) or ISO dates (text), which order correctly; None (problems added) if neither."""
    numbers, bad = numeric_cells(values)
    if not bad.any():
        return numbers
    dates = values.astype(str).str.fullmatch(_ISO_DATE + r"(?:[ T].*)?")
    if dates.all():
        return values.astype(str)
    why = "is neither a number nor an ISO date (state the export's date format under exports.<table>.dates)"
    _not_usable(run, spec, col, values[~dates & bad], rule, why)
    return None


def _choose(run: _Run, spec: TableSpec, col: str, values: pd.Series, codes: pd.Series, rule: str,
            n_keys: int) -> pd.Series:
    """One value per key code (0..n_keys-1) by ``rule``; ``values`` holds the non-empty values only."""
    keys = pd.RangeIndex(n_keys)
    if rule == "count":
        return values.groupby(codes).size().reindex(keys, fill_value=0).map(str).astype(object)
    if rule in ("first", "last"):
        return values.groupby(codes).agg(rule).reindex(keys).astype(object)
    if rule == "most_frequent":
        table = pd.DataFrame({"k": codes.to_numpy(), "v": values.to_numpy(), "at": range(len(values))})
        tally = table.groupby(["k", "v"], sort=False).agg(n=("at", "size"), at=("at", "min")).reset_index()
        tally = tally.sort_values(["k", "n", "at"], ascending=[True, False, True], kind="mergesort")
        return tally.drop_duplicates("k").set_index("k")["v"].reindex(keys).astype(object)
    if rule == "sum":
        numbers, bad = numeric_cells(values)
        if bad.any():
            _not_usable(run, spec, col, values[bad], rule, "is not a number")
        return number_text(numbers.groupby(codes).sum(min_count=1).reindex(keys))
    ordered = _ordered(run, spec, col, values, rule)
    if ordered is None:
        return pd.Series(None, index=keys, dtype=object)
    picked = ordered.groupby(codes).agg(rule).reindex(keys)
    return number_text(picked) if picked.dtype.kind == "f" else picked.astype(object)


def _examples(values: pd.Series, codes: pd.Series, labels: list[str], differing: pd.Index,
              chosen: pd.Series, rule: str, limit: int = 3) -> str:
    shown = []
    for code in differing[:limit]:
        mine = values[(codes == code).to_numpy()].astype(str)
        if rule in ("min", "max"):
            what = f"{mine.nunique()} values"
        else:
            tally = mine.value_counts(sort=False).sort_values(ascending=False, kind="mergesort")
            what = ", ".join(f"'{v}' ×{n}" for v, n in list(tally.items())[:3]) + (" ..." if len(tally) > 3 else "")
        shown.append(f"{labels[code]}: {what} → '{chosen[code]}'")
    more = len(differing) - limit
    return "e.g. " + "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def one_row_per(run: _Run, spec: TableSpec, base: pd.DataFrame, out: pd.DataFrame) -> pd.DataFrame:
    """``out`` (one row per line of ``base``) made into one row per distinct key of ``spec.one_row_per``.

    Each row keeps the index of its key's first line, so a later problem (a bad value, a duplicate id)
    names a line of the export where that key is."""
    key_cols = spec.one_row_per
    key_name = " + ".join(key_cols)
    keys = base.loc[out.index, key_cols]
    no_key = keys.isna().any(axis=1)
    if no_key.any():
        run.record("drop", spec.name, f"rows of {spec.source} with no {key_name}", int(no_key.sum()),
                   f"{spec.source} {run.source.rows_are} {_lines(out.index[no_key])}")
        keys, out = keys[~no_key], out[~no_key]
    joined = keys.astype(str).agg(" / ".join, axis=1) if len(key_cols) > 1 else keys[key_cols[0]].astype(str)
    codes_array, uniques = pd.factorize(joined, sort=False)
    codes = pd.Series(codes_array, index=out.index)
    n_keys = len(uniques)
    labels = [str(u) for u in uniques]
    first_rows = pd.Series(out.index).groupby(codes_array).first().reindex(range(n_keys))
    run.record("combine", spec.name, f"one row per {key_name} of {spec.source}", n_keys,
               f"{len(out):,} rows of {spec.source} became {n_keys:,} rows of {spec.name}")
    result = pd.DataFrame(index=pd.RangeIndex(n_keys))
    for col in out.columns:
        rule = spec.repeated.get(col, "first")
        filled = out[col].notna()
        values, value_codes = out.loc[filled, col], codes[filled]
        chosen = _choose(run, spec, col, values, value_codes, rule, n_keys)
        result[col] = chosen.astype(object).where(chosen.notna(), None)
        explicit = col in spec.repeated
        if rule in ("sum", "count"):
            several = value_codes.value_counts()
            n = int((several > 1).sum())
            run.record("combine", spec.name, f"{col}: the {rule} of each {key_name}'s rows", n,
                       f"{n:,} of {n_keys:,} {key_name}s have more than one row with a value")
            continue
        distinct = values.astype(str).groupby(value_codes).nunique()
        differing = distinct.index[distinct > 1]
        if len(differing) or explicit:
            words = _RULE_WORDS[rule] + ("" if explicit else " (first is the default; say repeated: to choose)")
            run.record("combine", spec.name, f"{col}: values differ within a {key_name}; {words}", len(differing),
                       _examples(values, value_codes, labels, differing, chosen, rule) if len(differing) else "")
    result.index = pd.Index(first_rows.to_numpy())
    return result
