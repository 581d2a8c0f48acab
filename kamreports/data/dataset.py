"""A loaded, validated set of canonical tables."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from ..errors import Problem
from .schema import TABLES

QUALITY_COLUMNS = ("step", "table", "what", "count", "detail")


def empty_table(name: str) -> pd.DataFrame:
    """An absent table: no rows, its columns typed exactly as a loaded table's are (dates, numbers),
    so analyses run on it unchanged and find nothing."""
    from .validate import coerce_column

    empty = pd.Series([], dtype="string")
    return pd.DataFrame({c.name: coerce_column(replace(c, nullable=True), empty, name, [])
                         for c in TABLES[name].columns})


def quality_frame(rows: list[dict] | None = None) -> pd.DataFrame:
    """The data-quality report: one row per thing a profile normalised, dropped, filled or derived."""
    frame = pd.DataFrame(rows or [], columns=list(QUALITY_COLUMNS))
    return frame.astype({"step": "object", "table": "object", "what": "object", "count": "int64",
                         "detail": "object"})


@dataclass
class Dataset:
    """The canonical tables. Optional tables that were absent are empty frames
    with the right columns, and their names are missing from ``present``."""

    accounts: pd.DataFrame
    products: pd.DataFrame
    revenue: pd.DataFrame
    targets: pd.DataFrame = field(default_factory=lambda: empty_table("targets"))
    opportunities: pd.DataFrame = field(default_factory=lambda: empty_table("opportunities"))
    stakeholders: pd.DataFrame = field(default_factory=lambda: empty_table("stakeholders"))
    kam_costs: pd.DataFrame = field(default_factory=lambda: empty_table("kam_costs"))
    feedback: pd.DataFrame = field(default_factory=lambda: empty_table("feedback"))
    present: frozenset[str] = frozenset(TABLES)
    source: str = ""
    # What a column-mapping profile did to the export (see data/profiles/): step, table, what,
    # count, detail. Empty for canonical tables read as they are.
    quality: pd.DataFrame = field(default_factory=quality_frame)
    # Statements about how the tables were made (e.g. how targets were derived), for the reader.
    notes: tuple[str, ...] = ()
    # What is odd but not wrong (rows dated after today), for `validate` and the build log.
    warnings: tuple[Problem, ...] = ()
    # The folder or workbook given as ``--data`` (load_data's ``data``); None otherwise. Without a
    # settings file, the account plans are read from plans/ beside it (config.plans_folder).
    given_path: Path | None = None

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    def has(self, name: str) -> bool:
        return name in self.present and not self.table(name).empty

    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: self.table(name) for name in TABLES}
