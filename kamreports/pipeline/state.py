"""What a build remembers between runs: a lock, recovery, and fingerprints.

- One build at a time per output folder: an advisory ``flock`` that the
  operating system releases when the process ends, even on SIGKILL, so a
  killed build never leaves a stale lock behind.
- Recovery: a build killed between its two final renames leaves the previous
  quarter under ``.old-*``; the next build puts it back before doing anything.
- Fingerprints: each pack's inputs (its data rows and figures, plan file,
  notebook, settings, code) are hashed, so a re-run rebuilds only packs whose
  inputs changed and the manifest says which input did.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import BuildBusy, BuildError

log = logging.getLogger(__name__)
PACKAGE_DIR = Path(__file__).resolve().parent.parent
LOCK_NAME = ".kamreports.lock"


class BuildLock:
    """Exclusive lock on an output folder; ``wait`` blocks instead of refusing."""

    def __init__(self, output: Path, wait: bool = False):
        self.path = output / LOCK_NAME
        self.wait = wait
        self._fd: int | None = None

    def __enter__(self) -> BuildLock:
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:   # a read-only file system, no permission, no room for one more file
            raise BuildError(f"cannot write to the output folder {self.path.parent}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | (0 if self.wait else fcntl.LOCK_NB))
        except OSError as exc:
            holder = os.pread(self._fd, 200, 0).decode(errors="replace").strip() or "another process"
            os.close(self._fd)
            self._fd = None
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise BuildBusy(f"another build is writing to {self.path.parent} ({holder}); "
                                 "wait for it to finish, or pass --wait to queue behind it") from None
            raise
        with contextlib.suppress(OSError):   # who holds the lock is a courtesy: a full disk must not stop us here
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}".encode(), 0)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def recover_interrupted(output: Path) -> list[str]:
    """Undo what a killed build left behind; call only while holding the lock."""
    notes = []
    for old in sorted(output.glob(".old-*")):
        name = old.name[len(".old-"):].rsplit("-", 1)[0]
        final = output / name
        if not final.exists():
            os.replace(old, final)
            notes.append(f"restored the previous {name} left by an interrupted build")
        else:
            shutil.rmtree(old, ignore_errors=True)
    for stale in output.glob(".staging-*"):
        shutil.rmtree(stale, ignore_errors=True)
        notes.append(f"removed {stale.name} left by an interrupted build")
    for tmp in output.glob("*.tmp"):
        tmp.unlink(missing_ok=True)
    return notes


@lru_cache(maxsize=1)
def code_hash() -> str:
    """The package's own code and templates: a new version rebuilds everything."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".css", ".j2", ".json", ".yaml") \
                and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(PACKAGE_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def change_reason(previous: dict[str, str] | None, current: dict[str, str], status: str | None,
                  files_present: bool) -> str | None:
    """Why a pack must be rebuilt, or None to reuse it."""
    if previous is None:
        return "new pack"
    if status != "built":
        return "previous build failed"
    if not files_present:
        return "files missing from the previous output"
    changed = [k for k in current if previous.get(k) != current[k]]
    if not changed:
        return None
    labels = {"data": "its data changed", "figures": "its figures changed", "plan": "its plan file changed",
              "notebook": "the notebook changed", "settings": "settings changed", "code": "kamreports changed",
              "frame": "page layout changed", "portfolio": "portfolio data changed",
              "as_of": "the as-of date changed", "history": "its history changed"}
    return ", ".join(labels.get(k, f"{k} changed") for k in changed)
