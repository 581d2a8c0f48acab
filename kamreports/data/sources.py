"""Where the tables come from: a folder of CSV, an Excel workbook, a folder of Parquet, or a SQL database.

A source only reads named tables as text. With no profile the names are the
canonical ones (``accounts``, ``revenue``...); with a profile they are the
export's own (``sales_pipeline``...). Either way every cell arrives as a
string, typed and checked later by :mod:`.validate`, so the same data gives
the same canonical tables from any source.

Excel, Parquet and SQL need the optional extra: ``pip install "kamreports[sources]"``;
the libraries are imported only when such a source is used.

A database URL may hold a password. It is never shown: :func:`mask_url`
replaces it with ``***`` wherever the URL appears (manifest, errors, the
dataset's ``source``), and ``${VAR}`` in a URL is read from the environment
so the password need not be written in the settings file at all.
"""
from __future__ import annotations

import datetime as dt
import decimal
import importlib
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import KINDS
from ..errors import ConfigError, DataValidationError, Problem
from ..files import file_fingerprint, not_a_file_message, special_file
from ..urls import mask_url, secret_forms, with_encoded_password
from .csvfile import CsvReadError, read_csv_text

EXTRA_HINT = 'pip install "kamreports[sources]"'
EXCEL_SUFFIXES = (".xlsx", ".xlsm")

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_QUERY = re.compile(r"^\s*(select|with)\b", re.IGNORECASE)


def _import(module: str, what: str, where: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigError([Problem(where, f"reading {what} needs the Python package '{module}': "
                                          f"{EXTRA_HINT}")]) from None


# --- cells to text ------------------------------------------------------------------------------

def _cell_text(value: Any) -> str:
    """One cell as the text a CSV export would hold: ISO dates, whole numbers without '.0'."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, decimal.Decimal):
        if value.is_nan():
            return ""
        return str(int(value)) if value == value.to_integral_value() else format(value.normalize(), "f")
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        if pd.isna(value):
            return ""
        stamp = pd.Timestamp(value)
        return stamp.strftime("%Y-%m-%d") if stamp == stamp.normalize() else stamp.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text (empty for a missing value), on a fresh 0..n-1 index."""
    out = {}
    for name in frame.columns:
        col = frame[name]
        if pd.api.types.is_string_dtype(col.dtype) and not pd.api.types.is_object_dtype(col.dtype):
            out[str(name)] = col.astype("object").where(col.notna(), "").astype(str).tolist()
        else:
            out[str(name)] = [_cell_text(v) for v in col.astype("object").tolist()]
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)), dtype=object)


# --- sources --------------------------------------------------------------------------------------

class TableSource:
    """Reads named tables as text. ``read`` returns None for a table the source does not have."""

    kind = ""
    rows_are = "rows"              # what a row number counts: CSV "lines" (header = 1), else rows

    def __init__(self, tables: dict[str, str] | None = None):
        self.tables = dict(tables or {})

    def target(self, name: str) -> str:
        return self.tables.get(name, name)

    def describe(self) -> str:
        raise NotImplementedError

    def where(self, name: str) -> str:
        """Where one table is, as an error message names it."""
        raise NotImplementedError

    def read(self, name: str) -> pd.DataFrame | None:
        raise NotImplementedError

    def fingerprint(self) -> tuple:
        """Cheap identity of the content (names, sizes, times), for caches."""
        return (self.describe(), tuple(sorted(self.tables.items())))

    def close(self) -> None:
        pass


class CsvSource(TableSource):
    """A folder of ``<name>.csv`` files (``tables`` may map a name to another file in the folder)."""

    kind = "csv"
    rows_are = "lines"

    def __init__(self, folder: str | Path, tables: dict[str, str] | None = None, encoding: str = "utf-8-sig"):
        super().__init__(tables)
        self.folder = Path(folder)
        self.encoding = encoding
        if not self.folder.is_dir():
            raise DataValidationError([Problem(str(self.folder), "data folder does not exist")])

    def path(self, name: str) -> Path:
        target = self.target(name)
        return self.folder / (target if target.lower().endswith((".csv", ".txt")) else f"{target}.csv")

    def describe(self) -> str:
        return str(self.folder.resolve())

    def where(self, name: str) -> str:
        return str(self.path(name))

    def read(self, name: str) -> pd.DataFrame | None:
        path = self.path(name)
        if not path.exists():
            return None
        try:
            return read_csv_text(path, self.encoding)
        except CsvReadError as exc:
            raise DataValidationError([Problem(str(path), str(exc), row=exc.row)]) from None

    def fingerprint(self) -> tuple:
        return (self.describe(), self.encoding, tuple(sorted(self.tables.items())),
                file_fingerprint(sorted(self.folder.glob("*"))))


class ExcelSource(TableSource):
    """An Excel workbook: one sheet per table, named like the table unless ``tables`` maps it."""

    kind = "excel"

    def __init__(self, path: str | Path, tables: dict[str, str] | None = None):
        super().__init__(tables)
        self.path = Path(path)
        kind = special_file(self.path)
        if kind is not None:
            raise DataValidationError([Problem(str(self.path), not_a_file_message(kind))])
        if not self.path.is_file():
            raise DataValidationError([Problem(str(self.path), "Excel workbook does not exist")])
        self._sheets: dict[str, pd.DataFrame] | None = None

    def describe(self) -> str:
        return str(self.path.resolve())

    def where(self, name: str) -> str:
        return f"{self.path} [sheet '{self.target(name)}']"

    def _load(self) -> dict[str, pd.DataFrame]:
        if self._sheets is None:
            _import("openpyxl", "Excel workbooks", str(self.path))
            try:
                sheets = pd.read_excel(self.path, sheet_name=None, engine="openpyxl")
            except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the user's to fix
                raise DataValidationError([Problem(str(self.path), f"cannot be read as an Excel workbook: "
                                                                   f"{type(exc).__name__}: {exc}")]) from None
            self._sheets = {str(k): v for k, v in sheets.items()}
        return self._sheets

    def read(self, name: str) -> pd.DataFrame | None:
        sheets = self._load()
        target = self.target(name)
        match = next((s for s in sheets if s == target), None) or \
            next((s for s in sheets if s.strip().lower() == target.strip().lower()), None)
        if match is None:
            return None
        frame = sheets[match].dropna(how="all")
        frame = frame.loc[:, [not str(c).startswith("Unnamed:") or frame[c].notna().any() for c in frame.columns]]
        return as_text(frame)

    def fingerprint(self) -> tuple:
        return (self.describe(), tuple(sorted(self.tables.items())), file_fingerprint([self.path]))


class ParquetSource(TableSource):
    """A folder of ``<name>.parquet`` files."""

    kind = "parquet"

    def __init__(self, folder: str | Path, tables: dict[str, str] | None = None):
        super().__init__(tables)
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise DataValidationError([Problem(str(self.folder), "Parquet folder does not exist")])

    def path(self, name: str) -> Path:
        target = self.target(name)
        return self.folder / (target if target.lower().endswith(".parquet") else f"{target}.parquet")

    def describe(self) -> str:
        return str(self.folder.resolve())

    def where(self, name: str) -> str:
        return str(self.path(name))

    def read(self, name: str) -> pd.DataFrame | None:
        path = self.path(name)
        if not path.exists():
            return None
        kind = special_file(path)
        if kind is not None:   # a named pipe would block the reader for ever
            raise DataValidationError([Problem(str(path), not_a_file_message(kind))])
        _import("pyarrow", "Parquet files", str(path))
        try:
            frame = pd.read_parquet(path, engine="pyarrow")
        except Exception as exc:  # noqa: BLE001 - Arrow raises many kinds for a file that is not Parquet
            raise DataValidationError([Problem(str(path), f"cannot be read as Parquet: "
                                                          f"{type(exc).__name__}: {exc}")]) from None
        return as_text(frame.reset_index(drop=True))

    def fingerprint(self) -> tuple:
        return (self.describe(), tuple(sorted(self.tables.items())),
                file_fingerprint(sorted(self.folder.glob("*.parquet"))))


def expand_env(url: str, where: str) -> str:
    """``${VAR}`` replaced from the environment; an unset variable is a settings problem."""
    missing = [name for name in _ENV.findall(url) if name not in os.environ]
    if missing:
        raise ConfigError([Problem(where, f"the database URL uses ${{{name}}}, which is not set in the environment")
                           for name in dict.fromkeys(missing)])
    return _ENV.sub(lambda m: os.environ[m.group(1)], url)


class SqlSource(TableSource):
    """Any database SQLAlchemy reaches: each table is a table name (``schema.table`` allowed) or a
    ``select ...`` / ``with ...`` query, given in ``tables``; unnamed tables are read by their own name."""

    kind = "sql"

    def __init__(self, url: str, tables: dict[str, str] | None = None, where: str = "settings"):
        super().__init__(tables)
        self.url_text = url
        self._where = where
        self._engine = None
        self._secrets = secret_forms(url)   # before anything parses the URL, which may fail

    def describe(self) -> str:
        return mask_url(self.url_text)

    def where(self, name: str) -> str:
        target = self.target(name)
        what = "query for" if _QUERY.match(target) else "table"
        label = name if _QUERY.match(target) else target
        return f"{what} '{label}' in {self.describe()}"

    def _scrub(self, message: str) -> str:
        message = mask_url(message)
        for secret in self._secrets:
            message = message.replace(secret, "***")
        return message

    def engine(self):
        if self._engine is None:
            sqlalchemy = _import("sqlalchemy", "SQL databases", self._where)
            url = expand_env(self.url_text, self._where)
            self._secrets = sorted({*self._secrets, *secret_forms(url)}, key=len, reverse=True)
            try:
                parsed = sqlalchemy.engine.make_url(with_encoded_password(url))
                self._engine = sqlalchemy.create_engine(parsed)
            except ImportError as exc:
                raise ConfigError([Problem(self.describe(), f"the database driver '{exc.name or exc}' is not "
                                                            f"installed; install it with pip (PostgreSQL and DuckDB "
                                                            f"drivers come with {EXTRA_HINT})")]) from None
            except Exception as exc:  # noqa: BLE001 - bad URL, unknown dialect
                raise ConfigError([Problem(self.describe(), "cannot use this database URL: "
                                                            f"{self._scrub(f'{type(exc).__name__}: {exc}')}")]) \
                    from None
        return self._engine

    def _split(self, target: str) -> tuple[str | None, str]:
        schema, _, table = target.rpartition(".")
        return (schema or None), table

    def read(self, name: str) -> pd.DataFrame | None:
        sqlalchemy = _import("sqlalchemy", "SQL databases", self._where)
        engine = self.engine()
        target = self.target(name)
        try:
            with engine.connect() as conn:
                if _QUERY.match(target):
                    statement = sqlalchemy.text(target)
                else:
                    schema, table = self._split(target)
                    if not sqlalchemy.inspect(conn).has_table(table, schema=schema):
                        if name in self.tables:
                            raise DataValidationError([Problem(self.where(name), "does not exist in the database")])
                        return None
                    # no reflection of column types: not every dialect supports it, and cells become text anyway
                    statement = sqlalchemy.select(sqlalchemy.text("*")).select_from(
                        sqlalchemy.table(table, schema=schema))
                result = conn.execute(statement)
                columns = list(result.keys())
                rows = result.fetchall()
        except DataValidationError:
            raise
        except Exception as exc:  # noqa: BLE001 - connection refused, bad query, no permission...
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise DataValidationError([Problem(self.where(name), "cannot be read: "
                                                                 f"{self._scrub(f'{type(exc).__name__}: {first}')}")]) \
                from None
        frame = as_text(pd.DataFrame.from_records([tuple(r) for r in rows], columns=columns))
        if not _QUERY.match(target) and len(frame.columns):
            # A table has no row order (PostgreSQL returns rows as they lie on disk): sort by every
            # column, so the same data always gives the same tables and the same inputs hash.
            # A query keeps the order its ORDER BY gives.
            frame = frame.sort_values(list(frame.columns), kind="mergesort").reset_index(drop=True)
        return frame

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


# --- from settings --------------------------------------------------------------------------------

def infer_kind(path: Path) -> str:
    """What a bare ``--data`` path holds: a workbook, a folder of Parquet, or a folder of CSV."""
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return "excel"
    if path.is_dir() and any(path.glob("*.parquet")) and not any(path.glob("*.csv")):
        return "parquet"
    return "csv"


def open_source(kind: str, path: Path | None = None, url: str | None = None, tables: dict[str, str] | None = None,
                encoding: str = "utf-8-sig", where: str = "settings") -> TableSource:
    if kind == "csv":
        return CsvSource(path, tables, encoding)  # type: ignore[arg-type]
    if kind == "excel":
        return ExcelSource(path, tables)  # type: ignore[arg-type]
    if kind == "parquet":
        return ParquetSource(path, tables)  # type: ignore[arg-type]
    if kind == "sql":
        return SqlSource(url or "", tables, where)
    raise ConfigError([Problem(where, f"unknown data kind '{kind}' (choose from: {', '.join(KINDS)})")])


class SourceRef:
    """What the build records for a source configured in the settings file (a ``data:`` mapping).

    ``str()`` is the masked description, for the manifest. Notebooks re-read such a source from the
    settings file itself, so ``resolve()`` gives an empty ``data`` parameter: neither the location
    nor any credential is written into the executed notebooks.
    """

    def __init__(self, description: str):
        self.description = description

    def __str__(self) -> str:
        return self.description

    def __repr__(self) -> str:
        return f"SourceRef({self.description!r})"

    def __bool__(self) -> bool:
        return True

    def resolve(self) -> str:
        return ""
