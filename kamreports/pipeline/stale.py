"""A pack that fails keeps its previous good files, marked stale.

The build replaces the quarter's folder as a whole. Without this, an account whose notebook failed
this time would lose the PDF the previous build made for it: the executives would find a gap where
last week's plan was. Instead its previous files are hard-linked into the new folder (instant, and
the old folder stays untouched until the swap) and the pack is recorded as failed *and* stale: the
manifest says so with the date of the build they come from, the index links them with a "stale"
mark, the book lists them as stale, and the exit code still says that packs failed.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path
from typing import Any

from ..formatting import display_name
from .jobs import Job, JobResult

STALE_NOTE = "stale: failed this time, showing the previous build's"


def previous_good(entry: dict[str, Any] | None, final: Path, job: Job, built_at: str | None) -> dict[str, Any] | None:
    """What the previous build (made at ``built_at``) can offer for ``job``: its files if it was built,
    or the files it itself carried as stale (so a pack failing twice keeps the last good one); None
    if they are not all there or the pack's folder changed."""
    if not entry or entry.get("folder") != job.folder:
        return None
    if entry.get("status") == "built":
        good = {"files": entry.get("files", []), "pages": entry.get("pages", 0), "built": built_at}
    elif entry.get("stale"):
        good = dict(entry["stale"])
    else:
        return None
    files = good.get("files") or []
    if not files or not all((final / f).is_file() for f in files):
        return None
    return good


def keep_previous_packs(jobs: list[Job], results: dict[str, JobResult], previous: dict[str, Any], final: Path,
                        staging: Path) -> list[str]:
    """For each failed pack with good files in the previous output, link them into ``staging`` and
    mark its result stale. Returns the keys of the packs kept this way."""
    entries = {p.get("key"): p for p in previous.get("packs", [])}
    built_at = previous.get("created")
    kept = []
    for job in jobs:
        result = results.get(job.key)
        if result is None or result.status == "built":
            continue
        good = previous_good(entries.get(job.key), final, job, built_at)
        if good is None:
            continue
        target = staging / job.folder
        shutil.rmtree(target, ignore_errors=True)   # whatever the failed run left there
        target.mkdir(parents=True, exist_ok=True)
        for name in good["files"]:
            os.link(final / name, staging / name)
        result.stale = good
        result.pages = int(good.get("pages") or 0)
        kept.append(job.key)
    return kept


def marked_for_book(jobs: list[Job], results: dict[str, JobResult] | None = None) -> list[Job]:
    """The book's parts, named as its contents list them: the name shortened for display, and a stale
    pack with the stale note after it. Without ``results``: as the book of these packs all built
    would name them (the pieces laid out before the packs are done, ``pack.EarlyBook``)."""
    def shown(job: Job) -> str:
        stale = results is not None and results[job.key].stale
        return f"{display_name(job.name)} ({STALE_NOTE})" if stale else display_name(job.name)

    return [dataclasses.replace(j, name=shown(j)) for j in jobs]
