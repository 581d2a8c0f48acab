"""Read canonical tables from a folder of CSV files.

Every file is read as text first and typed by :mod:`.validate`, so a bad
cell becomes a listed problem rather than a pandas exception.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem
from .dataset import Dataset, empty_table
from .schema import TABLES
from .validate import check_references, check_target_quarters, coerce_table


class CsvReadError(Exception):
    """A file that cannot be read as CSV text; the message says why, for the user."""

    def __init__(self, message: str, row: int | None = None):
        super().__init__(message)
        self.row = row


_FIELDS_RE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def read_csv_text(path: Path, encoding: str = "utf-8-sig") -> pd.DataFrame:
    """Every cell as text, the index counting data lines so that a row's line in the file is
    ``index + 2`` (the header is line 1) even after blank lines, which are skipped.

    The header is read as an ordinary row, so a data row with more fields than the header is
    an error naming its line, never silently taken for an index column or truncated.
    """
    options = dict(header=None, dtype=str, keep_default_na=False, na_values=[], skipinitialspace=True,
                   encoding=encoding)
    try:
        # Blank lines before the header are skipped (pandas would see no columns), and counted.
        leading, cr_only = _leading_blank_lines(path, encoding)
        fast = None if leading else _read_csv_arrow(path, encoding)
        if fast is not None:
            frame = fast
        elif leading and cr_only:  # pandas miscounts skipped lines that end in a bare CR
            frame = pd.read_csv(path, skip_blank_lines=True, **options)
        else:
            frame = pd.read_csv(path, skip_blank_lines=False, skiprows=leading, **options)
    except pd.errors.EmptyDataError:
        raise CsvReadError("is empty; expected a header row with the column names") from None
    except UnicodeDecodeError as exc:
        raise CsvReadError(f"is not {encoding.replace('-sig', '').upper()} text (byte "
                           f"{exc.object[exc.start:exc.start + 1].hex()} cannot be decoded); "
                           "save it as CSV UTF-8") from None
    except (ValueError, OSError, csv.Error, LookupError) as exc:  # ParserError is a ValueError
        fields = _FIELDS_RE.search(str(exc))
        if fields:
            expected, line, saw = (int(g) for g in fields.groups())
            raise CsvReadError(f"has {saw} fields on this line but the header has {expected} "
                               "(a stray comma, or a value with a comma that needs quotes?)", row=line) from None
        detail = (getattr(exc, "strerror", None) or str(exc)).strip().splitlines()
        raise CsvReadError(f"cannot be read as CSV: {detail[0] if detail else type(exc).__name__}") from None
    frame.index = frame.index + leading
    header = ["" if pd.isna(c) else str(c) for c in frame.iloc[0]] if len(frame) else []
    body = frame.iloc[1:]
    filled = np.zeros(len(body), dtype=bool)       # blank lines (and rows of only commas) carry nothing
    for column in body.columns:                    # column by column: DataFrame.any is slow on Arrow text
        filled |= (body[column] != "").to_numpy(dtype=bool, na_value=False)
    if not filled.all():
        body = body[filled]
    body = body.set_axis(header, axis=1)
    body.index = body.index - 1
    return body


_QUOTE_AFTER_BLANK = re.compile(rb',[ \t]+"')


def _read_csv_arrow(path: Path, encoding: str) -> pd.DataFrame | None:
    """The same frame as the careful reader below (header as row 0, every cell as text, "" for
    empty; only blanks after a comma may remain, which validation strips from every cell), read by
    Arrow's multi-threaded CSV parser straight into Arrow strings: about 5x faster
    on a large export. None whenever the file needs the careful reader: no pyarrow, another
    encoding, a quote after a comma and blanks (only ``skipinitialspace`` reads that as quoting), bare CR line ends, or anything Arrow
    rejects (a ragged row, a blank line, bytes that are not UTF-8); that reader then gives the
    precise error with its line."""
    if encoding.lower().replace("_", "-") not in ("utf-8", "utf-8-sig", "utf8"):
        return None
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:
        return None
    data = path.read_bytes()
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0   # no slicing: a copy of a large file costs time
    if not data[start:start + 1] or data.isspace() or _QUOTE_AFTER_BLANK.search(data) \
            or (b"\r" in data and data.count(b"\r") != data.count(b"\r\n")):
        return None
    try:
        end = data.find(b"\n", start)
        first = next(csv.reader([data[start:end if end >= 0 else len(data)].decode("utf-8").rstrip("\r")]))
        names = [f"f{i}" for i in range(len(first))]
        table = pacsv.read_csv(
            pa.py_buffer(memoryview(data)[start:]),
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, null_values=[],
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowException, UnicodeDecodeError, csv.Error, StopIteration, ValueError):
        return None
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
    frame.columns = range(len(names))
    return frame


def _leading_blank_lines(path: Path, encoding: str) -> tuple[int, bool]:
    """How many empty lines come before the header, and whether lines end in a bare CR."""
    count, cr_only = 0, False
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        for line in handle:
            cr_only = cr_only or (line.endswith("\r") and not line.endswith("\r\n"))
            if line.strip("\r\n"):
                break
            count += 1
    return count, cr_only


def tables_from_frames(raw: dict[str, pd.DataFrame], sources: dict[str, str], origin: str) -> Dataset:
    """Type and validate raw string frames; raise one error listing every problem."""
    problems: list[Problem] = []
    typed: dict[str, pd.DataFrame] = {}
    for name, spec in TABLES.items():
        if name not in raw:
            if not spec.optional:
                problems.append(Problem(sources.get(name, name), f"required table '{name}' is missing"))
            continue
        frame, found = coerce_table(spec, raw[name], sources[name])
        problems += found
        typed[name] = frame
    problems += check_references(typed, sources)
    problems += check_target_quarters(typed, sources)
    if problems:
        raise DataValidationError(problems)
    present = frozenset(typed)
    full = {name: typed[name] if name in typed else empty_table(name) for name in TABLES}
    return Dataset(**full, present=present, source=origin)


def load_folder(folder: str | Path) -> Dataset:
    """Load ``<table>.csv`` files from ``folder``; optional tables may be absent."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataValidationError([Problem(str(folder), "data folder does not exist")])
    raw: dict[str, pd.DataFrame] = {}
    sources: dict[str, str] = {}
    problems: list[Problem] = []
    for name in TABLES:
        path = folder / f"{name}.csv"
        sources[name] = str(path)
        if not path.exists():
            continue
        try:
            raw[name] = read_csv_text(path)
        except CsvReadError as exc:
            problems.append(Problem(str(path), str(exc), row=exc.row))
    if problems:
        raise DataValidationError(problems)
    return tables_from_frames(raw, sources, origin=str(folder.resolve()))


def write_folder(dataset: Dataset, folder: str | Path) -> Path:
    """Write the present tables as ``<table>.csv`` (dates as ISO, no index)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in sorted(dataset.present):
        frame = dataset.table(name).copy()
        for col in TABLES[name].columns:
            if col.kind == "date" and col.name in frame:
                frame[col.name] = pd.to_datetime(frame[col.name]).dt.strftime("%Y-%m-%d")
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder
