"""Files in and out: atomic writes, YAML read with every failure named, cheap fingerprints.

One helper each, used everywhere, so that a reader can never see half a file, a bad YAML file
always gets the same clear message, and "has this file changed?" is asked the same way.
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .errors import ConfigError, Problem

#: Limits on a YAML file a user hands us (settings, profiles, plans). Real files are a few KB with a
#: few hundred values; these leave room for a large profile while refusing what would take minutes or
#: gigabytes to read: an alias bomb (a few lines expanding to 10^9 values), nesting thousands deep, a
#: 50 MB company name. Each breach is a ConfigError naming the file and the line.
YAML_MAX_BYTES = 5 * 1024 * 1024
YAML_MAX_VALUES = 100_000          # values after every alias is expanded
YAML_MAX_DEPTH = 50                # lists and mappings inside each other
YAML_MAX_TEXT = 10_000             # characters in one value or key

#: What the package carries besides code, as package data (pyproject.toml): the notebooks and the
#: default settings. Their home is the top of the repository (notebooks/, where analysts open them, and
#: params/default.yaml); kamreports/resources/ holds symlinks to them, which a wheel stores as copies.
_PACKAGE = Path(__file__).resolve().parent
_RESOURCES = {"notebooks": ("notebooks",), "default.yaml": ("params", "default.yaml")}


def resource(name: str) -> Path:
    """``notebooks`` or ``default.yaml``: in a checkout (pyproject.toml beside the package) the
    repository's own, so a checkout whose symlinks were not made (Windows) still works; installed,
    the package's copy, so a ``pip install`` needs no checkout."""
    checkout = _PACKAGE.parent
    if (checkout / "pyproject.toml").is_file() and checkout.joinpath(*_RESOURCES[name]).exists():
        return checkout.joinpath(*_RESOURCES[name])
    return _PACKAGE / "resources" / name


#: errno values that mean the storage, not the input, is at fault: the build stops with exit 2.
STORAGE_ERRNOS = frozenset(e for e in (errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EFBIG, errno.EIO,
                                       errno.EACCES, errno.EPERM) if e is not None)


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


def special_file(path: str | Path) -> str | None:
    """What ``path`` is when it exists but is not a regular file ("a folder", "a named pipe", ...),
    else None. Opening a named pipe or a device to read it would block for ever or never end, so
    every reader of user files asks this first."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(mode):
        return None
    kinds = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "a special file")


def not_a_file_message(kind: str) -> str:
    return f"is {kind}, not a regular file; give a file"


def is_storage_error(exc: BaseException) -> bool:
    """An OSError that says the disk is full, read-only or failing (not that an input is wrong)."""
    return isinstance(exc, OSError) and not isinstance(exc, TimeoutError) and exc.errno in STORAGE_ERRNOS


class _YamlLimit(Exception):
    def __init__(self, message: str, mark: Any = None):
        super().__init__(message)
        self.line = mark.line + 1 if mark is not None else None


if getattr(yaml, "__with_libyaml__", False):
    from yaml.cyaml import CParser as _CParser

    class _SafeBase(yaml.composer.Composer, _CParser, yaml.constructor.SafeConstructor,   # type: ignore[misc]
                    yaml.resolver.Resolver):
        """The safe loader with libyaml's scanner and parser under PyYAML's own composer (listed first,
        so its compose_node, which the loader below counts in, is the one that runs). The pure-Python
        scanner and parser took most of a plan file's read: a sample plan in 9.4 ms, 2.1 ms with these."""

        def __init__(self, stream: str):
            _CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
else:   # PyYAML built without libyaml: the same loader, all in Python
    _SafeBase = yaml.SafeLoader   # type: ignore[misc]


class _BoundedLoader(_SafeBase):
    """The safe loader, counting as it composes: values after alias expansion, depth, text length,
    and keys written twice. An alias is counted at the size of what it stands for, so a bomb is
    refused after a few thousand steps instead of being walked (or printed) 10^9 times."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._values = 0
        self._depth = 0
        self._sizes: dict[int, tuple[int, int]] = {}   # id(node) -> (values, height), for aliases

    def _count(self, values: int, mark: Any) -> None:
        self._values += values
        if self._values > YAML_MAX_VALUES:
            raise _YamlLimit(f"holds more than {YAML_MAX_VALUES:,} values once its aliases (*name) are expanded; "
                             "a settings, profile or plan file needs far fewer", mark)

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            node = super().compose_node(parent, index)
            size = self._sizes.get(id(node))
            if size is None:
                raise _YamlLimit(f"the alias *{event.anchor} is used inside the value it names", event.start_mark)
            self._count(size[0], event.start_mark)
            if self._depth + size[1] > YAML_MAX_DEPTH:
                raise _YamlLimit(f"nests lists and mappings more than {YAML_MAX_DEPTH} deep", event.start_mark)
            return node
        mark = self.peek_event().start_mark
        self._depth += 1
        if self._depth > YAML_MAX_DEPTH:
            raise _YamlLimit(f"nests lists and mappings more than {YAML_MAX_DEPTH} deep", mark)
        before = self._values
        self._count(1, mark)
        node = super().compose_node(parent, index)
        self._depth -= 1
        if isinstance(node, ScalarNode):
            if len(node.value) > YAML_MAX_TEXT:
                raise _YamlLimit(f"has a value of {len(node.value):,} characters; at most {YAML_MAX_TEXT:,} "
                                 "are allowed", node.start_mark)
            height = 1
        elif isinstance(node, SequenceNode):
            height = 1 + max((self._sizes[id(c)][1] for c in node.value), default=0)
        elif isinstance(node, MappingNode):
            self._no_twice(node)
            height = 1 + max((self._sizes[id(c)][1] for pair in node.value for c in pair), default=0)
        else:  # pragma: no cover - the composer makes only these three
            height = 1
        self._sizes[id(node)] = (self._values - before, height)
        return node

    @staticmethod
    def _no_twice(node: MappingNode) -> None:
        """A key written twice in one mapping: YAML would silently keep the last value."""
        seen: dict[tuple[str, str], Any] = {}
        for key, _value in node.value:
            if not isinstance(key, ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                continue
            first = seen.setdefault((key.tag, key.value), key)
            if first is not key:
                shown = key.value if len(key.value) <= 60 else key.value[:57] + "..."
                lines = f"lines {first.start_mark.line + 1} and {key.start_mark.line + 1}"
                raise _YamlLimit(f"the key '{shown}' is written twice in the same mapping ({lines}); keep one",
                                 key.start_mark)


def _read_bounded(path: Path, source: str) -> bytes:
    """The file's bytes, refusing anything that is not a regular file and anything over the limit
    without reading it all. Opened non-blocking, so a named pipe put there after the check cannot
    hang the read either."""
    kind = special_file(path)
    if kind is not None:
        raise ConfigError([Problem(source, not_a_file_message(kind))])
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ConfigError([Problem(source, not_a_file_message("not a regular file"))])
        os.set_blocking(fd, True)
        data = handle.read(YAML_MAX_BYTES + 1)
    if len(data) > YAML_MAX_BYTES:
        raise ConfigError([Problem(source, f"is larger than {YAML_MAX_BYTES // (1024 * 1024)} MB; a settings, "
                                           "profile or plan file is a few KB (is it the right file?)")])
    return data


def read_yaml(path: Path, source: str | None = None) -> Any:
    """``yaml.safe_load`` of a file, with every way it can fail (unreadable, not UTF-8, bad syntax,
    a date that does not exist, nesting too deep) turned into a ConfigError naming the file.
    Python tags such as ``!!python/object`` are refused by the safe loader. The file is untrusted:
    it is read within the ``YAML_MAX_*`` limits (size, values after alias expansion, depth, text
    length) and a key written twice is an error, each naming the file and the line."""
    source = source or str(path)
    try:
        text = _read_bounded(Path(path), source).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError([Problem(source, "is not UTF-8 text; save it as UTF-8")]) from None
    except OSError as exc:
        raise ConfigError([Problem(source, f"cannot be read: {exc.strerror or exc}")]) from None
    loader = None
    try:
        loader = _BoundedLoader(text)   # the reader checks the characters here already
        return loader.get_single_data()
    except _YamlLimit as exc:
        raise ConfigError([Problem(source, str(exc), row=exc.line)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        detail = getattr(exc, "problem", None) or str(exc).strip().splitlines()[0]
        if "maximum nesting depth" in detail:   # libyaml's own limit (1,000), met before ours while it reads ahead
            message = f"nests lists and mappings more than {YAML_MAX_DEPTH} deep"
        else:
            message = f"is not valid YAML: {detail}"
        raise ConfigError([Problem(source, message, row=mark.line + 1 if mark is not None else None)]) from None
    except RecursionError:
        raise ConfigError([Problem(source, "is not valid YAML: nested too deeply")]) from None
    except (ValueError, KeyError, TypeError, OverflowError) as exc:  # e.g. due: 2026-02-30, !!int abc
        raise ConfigError([Problem(source, f"is not valid YAML: a value cannot be read ({exc})")]) from None
    finally:
        if loader is not None:
            loader.dispose()


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


def hash_bytes(*parts: bytes | str) -> str:
    """A short digest of several parts, each ended by a NUL so ("ab", "c") and ("a", "bc") differ."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def process_runs(pid: int) -> bool:
    """Whether a process with this id runs (as any user): what a folder named by its writer's process id
    needs to tell left behind by a killed process from in use."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:   # it runs, as another user
        return True
    return True
