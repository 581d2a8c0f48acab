"""Files in and out: atomic writes, YAML read with every failure named, cheap fingerprints.

One helper each, used everywhere, so that a reader can never see half a file, a bad YAML file
always gets the same clear message, and "has this file changed?" is asked the same way.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError, Problem


def write_atomic(path: Path, content: str | bytes) -> Path:
    """Write ``content`` to ``path`` through ``<name>.tmp`` and one rename: a reader (or a build
    killed half-way) sees the old file or the new one, never part of one."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        if isinstance(content, bytes):
            tmp.write_bytes(content)
        else:
            tmp.write_text(content, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path


def read_yaml(path: Path, source: str | None = None) -> Any:
    """``yaml.safe_load`` of a file, with every way it can fail (unreadable, not UTF-8, bad syntax,
    a date that does not exist, nesting too deep) turned into a ConfigError naming the file.
    Python tags such as ``!!python/object`` are refused by the safe loader."""
    source = source or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError([Problem(source, "is not UTF-8 text; save it as UTF-8")]) from None
    except OSError as exc:
        raise ConfigError([Problem(source, f"cannot be read: {exc.strerror or exc}")]) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        detail = getattr(exc, "problem", None) or str(exc).strip().splitlines()[0]
        raise ConfigError([Problem(source, f"is not valid YAML: {detail}",
                                   row=mark.line + 1 if mark is not None else None)]) from None
    except RecursionError:
        raise ConfigError([Problem(source, "is not valid YAML: nested too deeply")]) from None
    except (ValueError, KeyError, TypeError, OverflowError) as exc:  # e.g. due: 2026-02-30, !!int abc
        raise ConfigError([Problem(source, f"is not valid YAML: a value cannot be read ({exc})")]) from None


def file_fingerprint(paths: Iterable[Path]) -> tuple:
    """What identifies files' content cheaply: each one's path, modification time and size (None
    for a file that cannot be read), in the order given."""
    out = []
    for path in paths:
        try:
            stat = Path(path).stat()
            out.append((str(path), stat.st_mtime_ns, stat.st_size))
        except OSError:
            out.append((str(path), None, None))
    return tuple(out)


def path_fingerprint(path: str | Path | None) -> tuple | None:
    """:func:`file_fingerprint` of a file, or of the files directly in a folder; None for no path."""
    if path in (None, ""):
        return None
    resolved = Path(path).resolve()
    files = sorted(p for p in resolved.iterdir() if p.is_file()) if resolved.is_dir() else [resolved]
    return (str(resolved),) + file_fingerprint(files)
