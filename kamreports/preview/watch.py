"""What the preview watches, and the watcher: which saved file calls for which kind of refresh.

Files are watched through their folders, not one by one: editors save by writing a new file and
renaming it over the old one, which ends a watch on the file itself. Folders are watched without
their subfolders (a data folder may hold the plans folder and the output beside the CSV files), and
every change is sorted by :meth:`Targets.kind`; anything else in those folders (editor swap files,
backups, the preview's own output) is ignored.

The watching is watchfiles' (inotify on Linux, FSEvents on macOS, ReadDirectoryChangesW on Windows):
no polling, and a save is seen within a few tens of milliseconds.
"""
from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

#: What a data folder's tables are written as (CSV, Parquet, Excel): other files there are not data.
DATA_SUFFIXES = frozenset({".csv", ".parquet", ".pq", ".xlsx", ".xlsm"})
#: A change's kind, in the order a refresh cares about: settings and data reload the inputs; plans
#: and notebooks only re-run the page.
KINDS = ("settings", "data", "plans", "notebook")


def _resolved(path: Path | str | None) -> Path | None:
    return Path(path).expanduser().resolve() if path not in (None, "") else None


@dataclass(frozen=True)
class Targets:
    """The files one preview depends on.

    ``plan_names``: the plan files that matter (``ACC-0002.yaml`` for an account's pack); None for
    every plan in the folder (the portfolio's pack shows every key account's plan status)."""

    settings: Path | None = None
    profile: Path | None = None
    data: Path | None = None                  # a folder of tables or one workbook; None: not a file (sample, SQL)
    plans: Path | None = None
    plan_names: frozenset[str] | None = None
    notebook: Path | None = None
    folders: frozenset[Path] = field(init=False)

    def __post_init__(self) -> None:
        for name in ("settings", "profile", "data", "plans", "notebook"):
            object.__setattr__(self, name, _resolved(getattr(self, name)))
        wanted = [p.parent for p in (self.settings, self.profile, self.notebook) if p is not None]
        if self.data is not None:
            wanted.append(self.data if self.data.is_dir() else self.data.parent)
        if self.plans is not None:
            # a plans folder not made yet: its parent, to see it appear
            wanted.append(self.plans if self.plans.is_dir() else self.plans.parent)
        object.__setattr__(self, "folders", frozenset(p for p in wanted if p.is_dir()))

    def kind(self, path: str | Path) -> str | None:
        """Which kind of input ``path`` is (one of KINDS), or None when the preview does not depend on it."""
        path = Path(path)
        name = path.name
        if name.startswith((".", "~$")) or name.endswith(("~", ".tmp", ".swp")):
            return None   # editors' swap and backup files, our own atomic writes
        if path in (self.settings, self.profile):
            return "settings"
        if path == self.notebook:
            return "notebook"
        if self.plans is not None:
            if path == self.plans:
                return "plans"
            if path.parent == self.plans and path.suffix == ".yaml" \
                    and (self.plan_names is None or name in self.plan_names):
                return "plans"
        if self.data is not None:
            if path == self.data:
                return "data"
            if path.parent == self.data and path.suffix.lower() in DATA_SUFFIXES:
                return "data"
        return None

    def describe(self) -> list[str]:
        """What is watched, for the console."""
        lines = []
        if self.settings:
            lines.append(f"settings  {self.settings}" + (f" (and profile {self.profile})" if self.profile else ""))
        if self.data:
            lines.append(f"data      {self.data}")
        if self.plans:
            names = ", ".join(sorted(self.plan_names)) if self.plan_names is not None else "*.yaml"
            lines.append(f"plans     {self.plans} ({names})")
        if self.notebook:
            lines.append(f"notebook  {self.notebook}")
        return lines


class Watcher:
    """Watches ``targets`` in a thread of its own and queues each batch of changes as the set of
    their kinds with the paths. The caller's thread stays free for Ctrl-C and SIGTERM, and a save
    made while the page is being re-run is queued, not lost."""

    #: milliseconds: a batch is handed over once the files have been quiet this long (an editor's
    #: save is a write and a rename: one batch), and at the latest after DEBOUNCE.
    STEP = 50
    DEBOUNCE = 400

    def __init__(self, targets: Targets):
        self.targets = targets
        self._changes: queue.Queue[dict[str, set[Path]]] = queue.Queue()
        self._stop = threading.Event()
        self.failure: str | None = None
        self._thread = threading.Thread(target=self._run, name="kamreports-preview-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import watchfiles

        folders = sorted(self.targets.folders)
        if not folders:
            return
        try:
            watch = watchfiles.watch(*folders, watch_filter=lambda _change, path: self.targets.kind(path) is not None,
                                     debounce=self.DEBOUNCE, step=self.STEP, stop_event=self._stop,
                                     recursive=False, raise_interrupt=False)
            for batch in watch:
                changed: dict[str, set[Path]] = {}
                for _change, path in batch:
                    kind = self.targets.kind(path)
                    if kind is not None:
                        changed.setdefault(kind, set()).add(Path(path))
                if changed:
                    self._changes.put(changed)
        except Exception as exc:  # noqa: BLE001 - a folder removed, too many watches: said, the preview goes on
            self.failure = f"{type(exc).__name__}: {exc}"
            log.warning("the preview stopped watching for changes: %s", self.failure)

    def next(self, timeout: float) -> dict[str, set[Path]] | None:
        """Every change queued so far, merged; None when nothing came within ``timeout`` seconds."""
        try:
            merged = self._changes.get(timeout=timeout)
        except queue.Empty:
            return None
        while True:
            try:
                more = self._changes.get_nowait()
            except queue.Empty:
                return merged
            for kind, paths in more.items():
                merged.setdefault(kind, set()).update(paths)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
