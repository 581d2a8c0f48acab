"""Exceptions a user can act on.

Bad input never reaches the user as a traceback: loaders and the config
collect every :class:`Problem` they find and raise one error that lists them
all, each naming the file, row, column and value.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    source: str                 # file (or table) the problem is in
    message: str                # what is wrong / what was expected
    row: int | None = None      # 1-based line in the file, header = line 1
    column: str | None = None
    value: object | None = None

    def __str__(self) -> str:
        where = self.source
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        shown = "" if self.value is None else f": value {str(self.value)[:80]!r}"
        return f"{where}{shown}: {self.message}"


class KamError(Exception):
    """Base class for errors that are the user's to fix, not a bug."""


class ProblemsError(KamError):
    """Several problems found at once; ``str()`` lists them all."""

    title = "problems found"

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self, limit: int = 200) -> str:
        lines = [f"{len(self.problems)} {self.title}:"]
        lines += [f"  - {p}" for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"  ... and {len(self.problems) - limit} more")
        return "\n".join(lines)


class DataValidationError(ProblemsError):
    title = "data problem(s)"


class ConfigError(ProblemsError):
    title = "settings problem(s)"


class BuildError(KamError):
    """The build could not start or could not finish writing its output."""


class BuildBusy(BuildError):
    """Another build holds the output folder."""
