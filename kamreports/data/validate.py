"""Turn raw string tables into typed canonical tables, collecting every problem.

Each check is vectorised, so a 7-million-row revenue file validates in
seconds; at most a few problems per column are listed individually, then a
count, so one systematically broken column does not bury the rest.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd

from .._fast import is_in, per_distinct
from ..errors import Problem
from ..periods import QUARTER_PATTERN, code_labels, date_codes, label_codes
from .schema import TABLES, Column, Table

MAX_LISTED_PER_CHECK = 10

#: No amount in a QBR reaches a quadrillion in any currency: a larger one is a typing error or a
#: wrong unit. Capping each amount also keeps every sum of them finite (10^8 rows x 10^15 < 10^24),
#: so no total, growth rate or chart axis can overflow.
MONEY_MAX = 1e15

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
        codes = per_distinct(text, lambda t: t.str.upper().str.replace(r"[\s\-]", "", regex=True))
        return codes.mask(blank | ~ok | far)

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
    elif col.kind == "money":
        high = valid & (numbers.abs() > MONEY_MAX)
        _report(problems, source, text.index[high], col.name, text,
                "is above 10^15, more than any amount in a QBR; a typing error or the wrong unit?")
        valid &= ~high
    numbers = numbers.astype("float64")
    if valid.any():
        with np.errstate(over="ignore", invalid="ignore"):
            total = float(numbers[valid].sum())
        if not np.isfinite(total):  # the cells are finite, their sum is not: name the largest
            largest = numbers[valid].abs().idxmax()
            _report(problems, source, pd.Index([largest]), col.name, text,
                    "makes the column's total too large to compute (it overflows); check the amounts")
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
            if _looks_like_lines(out, spec):
                _report_line_ids(problems, source, out, spec, dup)
            else:
                key_values = out.loc[dup, list(spec.key)].astype("string").agg(" / ".join, axis=1)
                _report(problems, source, out.index[dup], " + ".join(spec.key), key_values,
                        "duplicate id; each must appear once")
    return out, problems


#: What one row of a keyed table stands for, in the hint for a table that repeats its ids.
_ONE_ROW_PER = {"accounts": "account (customer)", "products": "product", "opportunities": "opportunity",
                "targets": "account and quarter", "stakeholders": "account and name",
                "kam_costs": "account and quarter"}


def _looks_like_lines(out: pd.DataFrame, spec: Table) -> bool:
    """Ids on several rows each, as order lines repeat their customer and product: at least 1.5 rows
    per id. One or two repeats in a real accounts file are typing errors, and are listed as such."""
    keyed = out[list(spec.key)].dropna()
    distinct = len(keyed.drop_duplicates())
    return distinct > 0 and len(keyed) >= 1.5 * distinct


def _report_line_ids(problems: list[Problem], source: str, out: pd.DataFrame, spec: Table, dup: pd.Series) -> None:
    """One problem per repeated id (at its second row), with how many rows it is on; the first says
    what to do: make the table one row per key from the lines (docs/data_profiles.md)."""
    key = list(spec.key)
    keyed = out.loc[out[key].notna().all(axis=1), key].astype("string").agg(" / ".join, axis=1)
    counts = keyed.value_counts()
    second = keyed[dup].drop_duplicates()          # each repeated id at its first repeated row
    for i, (row, value) in enumerate(second.items()):
        if i == MAX_LISTED_PER_CHECK:
            problems.append(Problem(source, f"... {len(second) - i} more ids like this, "
                                            f"{int(dup.sum()):,} repeated rows in all", column=" + ".join(key)))
            break
        message = f"duplicate id, on {int(counts[value]):,} rows; each must appear once"
        if i == 0:
            message = (f"duplicate id, on {int(counts[value]):,} rows: this looks like one row per order line; "
                       f"make the {spec.name} table with one row per {_ONE_ROW_PER.get(spec.name, 'id')} "
                       "with one_row_per: in the profile (docs/data_profiles.md, 'Tables from order lines')")
        problems.append(Problem(source, message, row=int(row) + 2, column=" + ".join(key), value=value))


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
    first, last = int(date_codes(dates).min()), int(date_codes(dates).max())
    labels = targets["quarter"]
    ordinal = pd.Series(label_codes(labels, lenient=True), index=labels.index)
    low, high = first, last - last % 4 + 3       # targets may run to the end of the last year
    outside = labels.notna() & ordinal.notna() & ((ordinal < low) | (ordinal > high))
    (start,), (end,), (year_end,) = code_labels([first]), code_labels([last]), code_labels([high])
    span = f"{start} to {end}; targets may run to {year_end}"
    problems: list[Problem] = []
    _report(problems, sources.get("targets", "targets"), labels.index[outside], "quarter", labels,
            f"is a quarter with no revenue at all in the data (the revenue covers {span}); "
            "a target must fall within that range")
    return problems


def check_parent_cycles(tables: dict[str, pd.DataFrame], sources: dict[str, str]) -> list[Problem]:
    """An account that is its own parent, or whose parents lead back to it: there is no top of the
    group, so its group cannot be shown. One problem per circle, at the row of its first account."""
    accounts = tables.get("accounts")
    if accounts is None or accounts.empty or "parent_id" not in accounts.columns:
        return []
    linked = accounts[accounts["parent_id"].notna() & accounts["account_id"].notna()]
    parent: dict[str, str] = {}
    row_of: dict[str, int] = {}
    for index, account, up in zip(linked.index, linked["account_id"], linked["parent_id"]):
        if account not in parent:
            parent[account], row_of[account] = up, int(index)
    visiting, done = 1, 2
    state: dict[str, int] = {}
    problems: list[Problem] = []
    source = sources.get("accounts", "accounts")
    for start in parent:
        path, node = [], start
        while node in parent and node not in state:
            state[node] = visiting
            path.append(node)
            node = parent[node]
        if state.get(node) == visiting:
            circle = path[path.index(node):]
            chain = " -> ".join([*circle, node]) if len(circle) <= 6 else \
                " -> ".join([*circle[:5], "...", node])
            what = "is its own parent" if len(circle) == 1 else f"is in a circle of parents ({chain})"
            problems.append(Problem(source, f"{what}; a group needs a top-level account with no parent",
                                    row=row_of[circle[0]] + 2, column="parent_id", value=parent[circle[0]]))
        for visited in path:
            state[visited] = done
    return problems


#: Dates that say when something happened; one after today is a typing error (2099 for 2019), and
#: such a row would fall in no quarter the reports show. Close dates and targets look ahead on purpose.
PAST_DATES = (("revenue", "date"), ("feedback", "date"), ("stakeholders", "last_contact"),
              ("opportunities", "created_date"))


def check_future_dates(tables: dict[str, pd.DataFrame], sources: dict[str, str],
                       today: dt.date | None = None) -> list[Problem]:
    """Rows dated after ``today`` (the day the build runs) in :data:`PAST_DATES`: warnings, one per
    column, naming the first such row and how many there are."""
    today = today or dt.date.today()
    limit = pd.Timestamp(today) + pd.Timedelta(days=1)
    problems: list[Problem] = []
    for table, column in PAST_DATES:
        frame = tables.get(table)
        if frame is None or frame.empty or column not in frame.columns:
            continue
        later = frame.index[(frame[column] >= limit).fillna(False).to_numpy(dtype=bool)]
        if len(later):
            first = later[0]
            more = f"; {len(later) - 1} more rows like this" if len(later) > 1 else ""
            problems.append(Problem(sources.get(table, table), f"is after today ({today.isoformat()}), so this row "
                                    f"falls in no quarter the reports show{more}", row=int(first) + 2, column=column,
                                    value=frame.at[first, column].date().isoformat()))
    return problems
