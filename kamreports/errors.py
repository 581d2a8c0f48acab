"""Exceptions a user can act on.

Bad input never reaches the user as a traceback: loaders and the config
collect every :class:`Problem` they find and raise one error that lists them
all, each naming the file, row, column and value.
"""
from __future__ import annotations

from dataclasses import dataclass

from .urls import mask_url


@dataclass(frozen=True)
class Problem:
    source: str                 # file (or table) the problem is in
    message: str                # what is wrong / what was expected
    row: int | None = None      # 1-based line in the file, header = line 1
    column: str | None = None
    value: object | None = None

    def __str__(self) -> str:
        # each part masked on its own (a URL in one part must not swallow the next part), and the
        # value before it is shortened: a URL cut before its "@" would no longer look like one
        where = mask_url(self.source)
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        shown = "" if self.value is None else f": value {mask_url(str(self.value))[:80]!r}"
        return f"{where}{shown}: {mask_url(self.message)}"


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


class Terminated(KeyboardInterrupt):
    """SIGTERM (``timeout``, systemd, Airflow, ``docker stop``): stop as Ctrl-C does, workers and kernels
    included, and exit 143. A KeyboardInterrupt, so every cleanup written for Ctrl-C runs for it too."""
