"""Read canonical tables from a folder of CSV files.

Every file is read as text first and typed by :mod:`.validate`, so a bad
cell becomes a listed problem rather than a pandas exception.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import DataValidationError, Problem
from .csvfile import CsvReadError, read_csv_text
from .dataset import Dataset, empty_table
from .schema import TABLES
from .validate import check_future_dates, check_parent_cycles, check_references, check_target_quarters, coerce_table


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
    problems += check_parent_cycles(typed, sources)
    if problems:
        raise DataValidationError(problems)
    present = frozenset(typed)
    full = {name: typed[name] if name in typed else empty_table(name) for name in TABLES}
    return Dataset(**full, present=present, source=origin, warnings=tuple(check_future_dates(typed, sources)))


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
