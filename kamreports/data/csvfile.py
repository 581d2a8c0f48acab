"""CSV files read as text, every cell a string, each row knowing its line in the file.

The one CSV reader of the package: canonical tables (:mod:`.loaders`) and exports read through a
profile (:class:`.sources.CsvSource`) both come through it, so a broken file gets the same message,
with its line, whichever way it is read.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..files import not_a_file_message, special_file


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
    kind = special_file(path)
    if kind is not None:   # a named pipe would block the reader for ever, a device never end
        raise CsvReadError(not_a_file_message(kind))
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
        byte, line = _first_undecodable(path, encoding, exc)
        raise CsvReadError(f"is not {encoding.replace('-sig', '').upper()} text (byte {byte} on this line "
                           "cannot be decoded); save it as CSV UTF-8", row=line) from None
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


_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


def _first_undecodable(path: Path, encoding: str, exc: UnicodeDecodeError) -> tuple[str, int | None]:
    """The first byte that cannot be decoded, in hex, and its line in the file (1 = the header).
    pandas decodes in chunks, so its error's position is within a chunk: decode the file again
    here to find the line."""
    try:
        data = path.read_bytes()
        data.decode(encoding)
    except UnicodeDecodeError as full:
        start = full.start + (3 if encoding.lower().replace("_", "-") in ("utf-8-sig", "utf8-sig")
                              and data.startswith(b"\xef\xbb\xbf") else 0)
        return data[start:start + 1].hex(), len(_LINE_BREAK.split(data[:start]))
    except (OSError, LookupError):
        pass
    return exc.object[exc.start:exc.start + 1].hex(), None


_QUOTE_AFTER_BLANK = re.compile(rb',[ \t]+"')


def _read_csv_arrow(path: Path, encoding: str) -> pd.DataFrame | None:
    """The same frame as the careful reader below (header as row 0, every cell as text, "" for
    empty; only blanks after a comma may remain, which validation strips from every cell), read by
    Arrow's multi-threaded CSV parser straight into Arrow strings: about 5x faster
    on a large export. None whenever the file needs the careful reader: no pyarrow, another
    encoding, a quote after a comma and blanks (only ``skipinitialspace`` reads that as quoting),
    bare CR line ends, or anything Arrow rejects (a ragged row, a blank line, bytes that are not
    UTF-8); that reader then gives the
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
