"""Checking a profile's YAML: every problem collected with its key path, none raised on the way.

A profile is checked as a whole before any data is read, and a user fixes it in one go only if every
problem is listed at once; :class:`Checker` gathers them while the parsers in :mod:`.language` and
:mod:`.steps` read what they can and skip what they cannot.
"""
from __future__ import annotations

from typing import Any

from ...errors import Problem


class Checker:
    """Problems found in one profile (``source`` names its file, or the settings it is inline in)."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []

    def add(self, path: str, message: str, value: Any = None) -> None:
        self.problems.append(Problem(self.source, f"'{path}' {message}" if path else message, value=value))

    def mapping(self, raw: Any, path: str, known: tuple[str, ...] | None = None,
                hints: dict[str, str] | None = None) -> dict:
        """``raw`` as a mapping; unknown keys are problems, with a hint where a likely meaning is known."""
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.add(path, "must be a mapping of keys to values", raw)
            return {}
        if known is not None:
            for key in raw:
                if key not in known:
                    hint = (" (YAML reads on/off/yes/no as true/false: quote such a key)"
                            if isinstance(key, bool) else (hints or {}).get(str(key), ""))
                    self.add(f"{path}.{key}" if path else str(key),
                             f"is an unknown key (known: {', '.join(known)}){hint}")
        return raw

    def text(self, raw: Any, path: str) -> str | None:
        if isinstance(raw, str) and raw.strip():
            return raw
        self.add(path, "must be text", raw)
        return None

    def text_list(self, raw: Any, path: str) -> list[str]:
        if raw is None:
            return []
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            self.add(path, "must be a list of column names", raw)
            return []
        return raw

    def where(self, raw: Any, path: str) -> dict[str, list[str]]:
        out = {}
        for col, value in self.mapping(raw, path).items():
            values = value if isinstance(value, list) else [value]
            if any(isinstance(v, (dict, list)) for v in values):
                self.add(f"{path}.{col}", "must be a value or a list of values", value)
                continue
            out[str(col)] = ["" if v is None else str(v) for v in values]
        return out
