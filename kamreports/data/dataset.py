"""A loaded, validated set of canonical tables."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .schema import TABLES


def empty_table(name: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in TABLES[name].column_names})


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

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    def has(self, name: str) -> bool:
        return name in self.present and not self.table(name).empty

    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: self.table(name) for name in TABLES}
