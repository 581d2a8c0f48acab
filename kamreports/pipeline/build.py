"""``kamreports build``: plan the packs, run them in parallel, assemble, swap into place.

Everything is written to a staging folder beside the output and moved into
``<output>/<quarter>/`` only when complete, so an interrupted or failed build
never leaves a half-written quarter and never destroys the previous one.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import re
import shutil
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..brand import brand_logo
from ..config import Settings, settings_dict
from ..data import Dataset
from ..errors import BuildError, ConfigError, Problem
from ..files import hash_bytes
from ..formatting import display_name
from ..inputs import load_inputs
from ..model import Portfolio, build_portfolio
from ..periods import QuarterError, parse_quarter, quarter_end, quarter_range, shift_quarter
from ..records import (
    RECORD_DIR,
    attach_history,
    history_manifest,
    load_history,
    record_dir,
    record_files,
    records_root,
    write_record,
)
from .covers import COVER_CSS
from .deadline import RenderTimeout, deadline
from .jobs import NOTEBOOKS_DIR, Job, JobResult
from .options import BuildOptions
from .pool import (  # noqa: F401 - the pool's names, importable from here too
    EarlyStart,
    PackPool,
    SharedPortfolio,
    default_workers,
    early_workers,
    run_jobs,
    stop_pool,
)
from .stale import keep_previous_packs, marked_for_book
from .state import BuildLock, change_reason, code_hash, read_manifest, recover_interrupted

log = logging.getLogger(__name__)


@dataclass
class BuildReport:
    quarter: str
    folder: Path
    results: dict[str, JobResult]
    jobs: list[Job]
    book: Path | None
    seconds: float
    manifest: dict = field(default_factory=dict)
    reused: list[str] = field(default_factory=list)
    up_to_date: bool = False
    kept_previous: bool = False    # every pack failed: the previous quarter folder was left as it was
    book_error: str | None = None  # the book could not be made (its time limit); the packs were

    @property
    def stale(self) -> list[str]:
        """Failed packs shown with their previous build's files."""
        return [k for k, r in self.results.items() if r.status != "built" and r.stale]

    @property
    def failed(self) -> list[str]:
        return [k for k, r in self.results.items() if r.status != "built"]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.book_error


RESERVED_NAMES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def slugify(text: str, used: set[str]) -> str:
    """A safe, unique folder name: lower-case ASCII letters, digits and dashes."""
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-") or "account"
    if base.split("-")[0].upper() in RESERVED_NAMES and "-" not in base:
        base = f"{base}-account"  # CON, NUL, COM1 ... cannot be folder names on Windows
    slug, n = base, 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    used.add(slug)
    return slug


def inputs_hash(dataset: Dataset, settings: Settings) -> str:
    """Fingerprint of data, settings and notebooks: same hash, same numbers."""
    digest = hashlib.sha256()
    for name, frame in sorted(dataset.tables().items()):
        digest.update(name.encode())
        if not frame.empty:
            digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    digest.update(json.dumps(settings_dict(settings), sort_keys=True, default=str).encode())
    for nb in sorted(NOTEBOOKS_DIR.glob("*.ipynb")):
        digest.update(nb.read_bytes())
    return digest.hexdigest()


def plan_jobs(portfolio: Portfolio, account_ids: list[str], data: Path | None, config: Path | None,
              notebooks: Path, records: Path | None = None) -> list[Job]:
    """One job per pack. Footers get each pack's own input hash later (see fingerprint_jobs).
    ``records``: the folder of earlier quarters' records, passed to each notebook (so local and Dask
    workers read the same history as the build)."""
    settings = portfolio.settings
    quarter = portfolio.quarter
    company = settings.company
    common = dict(quarter=quarter, data=str(data.resolve()) if data else None,
                  config=str(config.resolve()) if config else None,
                  records=str(Path(records).resolve()) if records else None)
    as_of = quarter_end(quarter).isoformat()
    frame = dict(footer_note=f"Data as of {as_of}", page_size=settings.report.page_size,
                 primary_color=company.primary_color, accent_color=company.accent_color, extra_css=COVER_CSS)
    mark = settings.report.classification   # page one of each pack carries its band: no separate cover page
    # titles and running headers show names shortened (display_name); the job keeps the full name
    jobs = [Job("portfolio", "portfolio", "Portfolio review", str(notebooks / "portfolio_review.ipynb"),
                "portfolio", common, title=f"{display_name(company.name)} — Portfolio review {quarter}",
                running_header=f"Portfolio review · {quarter} · {mark}", **frame)]
    used: set[str] = {"portfolio"}
    for account_id in account_ids:
        name = str(portfolio.summary.at[account_id, "name"])
        jobs.append(Job(account_id, "account", name, str(notebooks / "account_plan.ipynb"),
                        f"accounts/{slugify(f'{account_id}-{name}', used)}", dict(common, account_id=account_id),
                        title=f"{display_name(name)} — Account plan {quarter}",
                        running_header=f"{display_name(name)} · {quarter} · {mark}",
                        **frame))
    return jobs


def _per_account_hashes(dataset: Dataset) -> dict[str, pd.Series]:
    """For each table, one hash per account of all its rows (order-independent), in one pass."""
    out = {}
    for name, frame in dataset.tables().items():
        if "account_id" in frame.columns and not frame.empty and name != "accounts":
            rows = pd.util.hash_pandas_object(frame, index=False)
            out[name] = rows.groupby(frame["account_id"].to_numpy()).sum()
    accounts = dataset.accounts
    out["accounts"] = pd.Series(pd.util.hash_pandas_object(accounts, index=False).to_numpy(),
                                index=accounts["account_id"].to_numpy())
    return out


def fingerprint_jobs(jobs: list[Job], portfolio: Portfolio, digest: str) -> dict[str, dict[str, str]]:
    """Each pack's inputs, hashed by kind, so the manifest can say which one changed.

    An account's pack depends on its own rows in every table, its computed
    figures (which include portfolio-relative scores), its plan file, the
    notebook, settings and code; the portfolio pack on all the data. With a
    history attached, each pack's ``history`` part hashes what it can show of the
    earlier quarters (an account's rows and plan snapshot in each, or all of them;
    sources and notes), so a record rewritten or removed rebuilds the packs that
    show it. Where the records are (a notebook parameter) is not a reason to rebuild.
    """
    settings_hash = hash_bytes(json.dumps(settings_dict(portfolio.settings), sort_keys=True, default=str))
    per_account = _per_account_hashes(portfolio.dataset)
    figures = pd.util.hash_pandas_object(portfolio.summary, index=True)
    out: dict[str, dict[str, str]] = {}
    for job in jobs:
        notebook = Path(job.notebook)
        parts = {"code": code_hash(), "notebook": hash_bytes(notebook.read_bytes()), "settings": settings_hash,
                 "frame": hash_bytes(json.dumps([job.frame_metadata(), {k: v for k, v in job.parameters.items()
                                                                        if k != "records"}, job.folder],
                                                sort_keys=True))}
        if portfolio.history is not None:
            parts["history"] = portfolio.history.fingerprint(job.key if job.kind == "account" else None)
        if job.kind == "account":
            parts["data"] = hash_bytes(*(f"{t}:{h.get(job.key, 0)}" for t, h in sorted(per_account.items())))
            parts["figures"] = hash_bytes(str(figures.get(job.key)))
            parts["plan"] = hash_bytes(portfolio.plan_fingerprint(job.key))
            parts["as_of"] = quarter_end(portfolio.quarter).isoformat()   # overdue actions and stale plans
        else:
            parts["portfolio"] = digest[:16]
        out[job.key] = parts
    return out


def fingerprinted(jobs: list[Job], portfolio: Portfolio, digest: str) -> tuple[list[Job], dict[str, dict[str, str]]]:
    """The jobs with each footer carrying a short hash of its pack's own inputs, and those inputs
    (:func:`fingerprint_jobs`). One function, so ``kamreports preview`` frames a pack exactly as the
    build does."""
    prints = fingerprint_jobs(jobs, portfolio, digest)
    return [dataclasses.replace(j, footer_note=f"{j.footer_note} · inputs {hash_bytes(*prints[j.key].values())[:8]}")
            for j in jobs], prints


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("kamreports", "papermill", "nbclient", "nbconvert", "pandas", "matplotlib", "weasyprint"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _early_pool(options: BuildOptions, settings: Settings, quarter: str, packs: int,
                running: contextlib.ExitStack) -> PackPool | None:
    """The pool, started now when every pack will be built (:func:`.pool.early_workers`), so its workers
    and kernels start while the build reads the earlier quarters; None otherwise (the pool is then
    started once the packs to build are known)."""
    workers = 0 if settings.scheduler else early_workers(options, quarter, packs)
    return running.enter_context(PackPool(workers, options.timeout, options.render_timeout)) if workers else None


def _swap_into_place(staging: Path, final: Path) -> None:
    """Replace ``final`` with ``staging`` in two renames; the old copy is removed last. If the
    second rename fails, the first is undone, so the quarter's folder is never left missing."""
    old = final.with_name(f".old-{final.name}-{os.getpid()}")
    if final.exists():
        os.replace(final, old)
    try:
        os.replace(staging, final)
    except BaseException:
        if old.exists() and not final.exists():
            os.replace(old, final)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _decide(jobs: list[Job], prints: dict[str, dict[str, str]], previous: dict | None, final: Path,
            options: BuildOptions) -> tuple[dict[str, str], dict[str, JobResult]]:
    """Which packs to (re)build and why; the others are reused from the previous output."""
    old = {p["key"]: p for p in (previous or {}).get("packs", [])}
    todo: dict[str, str] = {}
    reused: dict[str, JobResult] = {}
    for job in jobs:
        prev = old.get(job.key)
        files = prev.get("files", []) if prev else []
        present = bool(files) and all((final / f).is_file() for f in files) and prev.get("folder") == job.folder
        reason = change_reason(prev.get("inputs") if prev else None, prints[job.key],
                               prev.get("status") if prev else None, present)
        if options.force:
            reason = "forced (--force)"
        elif options.retry_failed and prev is not None and prev.get("status") == "built" and present:
            reason = None  # --retry-failed touches only what failed
        if reason is None:
            reused[job.key] = JobResult(job.key, "built", 0.0, pages=prev.get("pages", 0), files=files,
                                        reason="unchanged: reused from the previous build")
        else:
            todo[job.key] = reason
    return todo, reused


def build(options: BuildOptions, progress: Callable[[Job, JobResult], None] | None = None,
          on_plan: Callable[[list[Job]], None] | None = None, early: EarlyStart | None = None) -> BuildReport:
    """Build the quarter's packs, reusing those whose inputs are unchanged.

    Raises on bad input before anything is written. Holds a lock on the output
    folder for the whole run. ``early``: what :func:`.pool.start_early` started before this module
    was even imported (the caller stops it); otherwise the build starts its own.
    """
    from .pack import (
        EarlyBook,
        book_name,
        export_files,
        write_book,
        write_exports,
        write_index,
        write_manifest,
    )

    started = time.perf_counter()
    inputs = load_inputs(options.config, options.data, options.quarter, options.accounts)
    for warning in inputs.warnings:   # odd but not wrong (rows dated after today): said, then built
        log.warning("%s", warning)
    settings, dataset, portfolio = inputs.settings, inputs.dataset, inputs.portfolio
    data_path = inputs.data_location
    quarter = portfolio.quarter
    account_ids = inputs.accounts
    notebooks = (options.notebooks or NOTEBOOKS_DIR).resolve()
    for name in ("account_plan.ipynb", "portfolio_review.ipynb"):
        if not (notebooks / name).is_file():
            raise ConfigError([Problem(str(notebooks), f"notebook {name} is missing")])

    with contextlib.ExitStack() as running:
        if early is None:
            early = EarlyStart(running.enter_context(SharedPortfolio()))
        shared, pool = early.shared, early.pool
        if pool is not None and settings.scheduler and not options.scheduler:   # the settings send the packs to Dask
            stop_pool(pool.executor)
            pool = None
        if pool is None:
            pool = _early_pool(options, settings, quarter, len(account_ids) + 1, running)
        digest = inputs_hash(dataset, settings)
        records = records_root(settings, options.output)
        attach_history(portfolio, load_history(portfolio, records))   # earlier quarters: as reported, or recomputed
        jobs, prints = fingerprinted(plan_jobs(portfolio, account_ids, data_path, options.config, notebooks, records),
                                     portfolio, digest)
        book_digest = hash_bytes(digest, *(json.dumps(prints[j.key], sort_keys=True) for j in jobs))

        output = options.output.resolve()
        try:
            output.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BuildError(f"cannot create the output folder {output}: {exc.strerror or exc}") from None
        with BuildLock(output, wait=options.wait):
            try:
                notes = recover_interrupted(output)
            except OSError as exc:
                raise BuildError(f"cannot write to the output folder {output}: {exc.strerror or exc}") from None
            for note in notes:
                log.warning(note)
            final = output / quarter
            previous = (read_manifest(final) if final.is_dir() else None) or {}
            todo, reused = _decide(jobs, prints, previous, final, options)
            book_file = final / book_name(quarter)
            book_current = not options.book or (book_file.is_file() and previous.get("book_inputs") == book_digest)
            if not todo and previous and previous.get("status") == "complete" and book_current:
                log.info("everything is up to date in %s", final)
                if not (record_dir(records, quarter) / "record.json").is_file():   # e.g. a new records: folder
                    try:
                        write_record(record_dir(records, quarter), portfolio, digest)
                    except OSError as exc:
                        raise BuildError(f"writing the record of {quarter} failed: {exc.strerror or exc} "
                                         f"({getattr(exc, 'filename', '') or records})") from None
                return BuildReport(quarter, final, reused, jobs, book_file if options.book else None,
                                   time.perf_counter() - started, previous, list(reused), up_to_date=True)
            if on_plan:
                on_plan([j for j in jobs if j.key in todo])
            staging = output / f".staging-{quarter}-{os.getpid()}"
            try:
                staging.mkdir()
                for key in reused:  # hard links: instant, and the previous files stay untouched
                    job = next(j for j in jobs if j.key == key)
                    shutil.copytree(final / job.folder, staging / job.folder, copy_function=os.link)
                run = [j for j in jobs if j.key in todo]
                early_book: list[EarlyBook] = []   # the book's pieces laid out while the packs run
                built_keys = set(reused)

                def start_book(key: str, pages: int) -> None:
                    """The book's portfolio part and front, laid out on the workers from now on."""
                    if not (options.book and pool is not None):
                        return
                    try:
                        started = EarlyBook.start(staging, portfolio, marked_for_book(jobs), {key: pages},
                                                  brand_logo(settings), pool.submit_lay_out)
                    except Exception:  # noqa: BLE001 - a head start only: the book lays it out itself
                        log.debug("the book's portfolio part was not laid out early", exc_info=True)
                    else:
                        early_book.extend([started] if started is not None else [])

                def on_done(job: Job, result: JobResult) -> None:
                    if progress is not None:
                        progress(job, result)
                    if result.status == "built":
                        built_keys.add(job.key)
                        if job.kind == "portfolio":
                            start_book(job.key, result.pages)

                def when_idle() -> Future | None:
                    """A worker with no pack left to run lays out the next account summary of the book."""
                    try:
                        return early_book[0].next_part(built_keys) if early_book else None
                    except Exception:  # noqa: BLE001 - a head start only
                        log.debug("a part of the book was not laid out early", exc_info=True)
                        return None

                results = dict(reused)
                # what this process writes besides the packs, made while the workers run them
                in_output = settings.records_path is None
                side: dict[str, Any] = {}

                def side_files() -> None:
                    side["exports"] = export_files(portfolio)
                    side["record"] = record_files(portfolio, digest)
                    side["history"] = history_manifest(portfolio.history, record_dir(records, quarter))

                scheduler = options.scheduler or settings.scheduler
                if scheduler and run:
                    from .dask_backend import run_jobs_on_dask

                    executed_on = f"dask {scheduler}"
                    results.update(run_jobs_on_dask(run, staging, scheduler, options.timeout, on_done,
                                                    render_timeout=options.render_timeout))
                else:
                    if pool is None and run:
                        workers = max(1, min(options.workers or default_workers(), len(run)))
                        if workers > 1:
                            pool = running.enter_context(PackPool(workers, options.timeout, options.render_timeout))
                    workers = pool.workers if pool is not None else 1
                    executed_on = f"local ({workers} worker{'s' if workers > 1 else ''})"
                    if run and shared.folder is not None:
                        # Worked out here once, before the portfolio is shared, rather than by every kernel that
                        # needs them: the ROI (this process needs it for roi.csv anyway; so does the portfolio
                        # review) and the whitespace (every account pack's cross-sell).
                        portfolio.roi, portfolio.whitespace  # noqa: B018 - computed for their cache
                    shared.write(portfolio, run)
                    if jobs and jobs[0].kind == "portfolio" and jobs[0].key in reused:   # its page count is known now
                        start_book(jobs[0].key, reused[jobs[0].key].pages)
                    results.update(run_jobs(run, staging, workers, options.timeout, on_done,
                                            options.render_timeout, pool=pool, meanwhile=side_files,
                                            idle=when_idle))
                for key, why in todo.items():
                    results[key].reason = why
                if final.is_dir() and not any(r.status == "built" for r in results.values()):
                    # nothing new is good: the previous folder is worth more than one that lists failures
                    shutil.rmtree(staging, ignore_errors=True)
                    log.error("every pack failed; %s is kept as it was", final)
                    return BuildReport(quarter, final, results, jobs, None, time.perf_counter() - started, previous,
                                       list(reused), kept_previous=True)
                stale = keep_previous_packs(jobs, results, previous, final, staging)
                for key in stale:
                    log.warning("%s failed; its previous pack is kept and marked stale", key)
                book, book_error = None, None
                built = [j for j in jobs if results[j.key].status == "built" or results[j.key].stale]
                if options.book and built:
                    limit = (options.render_timeout or 0) * len(built)   # each part rendered within the limit alone
                    try:
                        book_started = time.perf_counter()
                        with deadline(limit):
                            book = write_book(staging, portfolio, marked_for_book(built, results), results,
                                              brand_logo(settings),
                                              parallel=(pool.lay_out, pool.workers) if pool is not None else None,
                                              early=early_book[0] if early_book and pool is not None else None)
                        log.info("the book laid out in %.1f s (%s)", time.perf_counter() - book_started,
                                 f"{pool.workers} workers side by side" if pool is not None else "this process")
                    except RenderTimeout:
                        if pool is not None:   # the workers may still be laying out: stop them now
                            stop_pool(pool.executor)
                        book_error = (f"the book took longer than {limit:g} s to lay out (--render-timeout "
                                      f"{options.render_timeout:g} s for each of its {len(built)} packs) "
                                      "and was not made")
                        log.error("%s", book_error)
                if pool is not None:   # nothing more for the workers: they stop while this process writes the rest
                    pool.release()
                if not side:   # on Dask, or no pack to run
                    side_files()
                write_exports(staging, portfolio, side["exports"])
                # the quarter's record: in the quarter's folder (swapped into place with it), or in records:
                write_record(staging / RECORD_DIR if in_output else record_dir(records, quarter), portfolio, digest,
                             files=side["record"])
                seconds = time.perf_counter() - started
                manifest = write_manifest(staging, portfolio, jobs, results, book, settings, data_path, digest,
                                          seconds, _versions(), prints, book_digest, executed_on,
                                          history=side["history"],
                                          book_error=book_error)
                write_index(staging, portfolio, jobs, results, book, brand_logo(settings))
                _swap_into_place(staging, final)
            except OSError as exc:
                shutil.rmtree(staging, ignore_errors=True)
                raise BuildError(f"writing the packs failed: {exc.strerror or exc} "
                                 f"({getattr(exc, 'filename', '') or output})") from None
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        return BuildReport(quarter, final, results, jobs, final / book.name if book else None,
                           time.perf_counter() - started, manifest, list(reused), book_error=book_error)


@dataclass
class BackfillReport:
    """What ``kamreports build --backfill N`` did: the records written, and the quarters skipped and why."""

    quarter: str                   # the reporting quarter; the records are of the quarters before it
    folder: Path                   # the records folder
    written: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0


def backfill(options: BuildOptions, count: int) -> BackfillReport:
    """Write the records of the ``count`` quarters before the reporting quarter, recomputed from the
    data with today's settings (one load of the data shared by all of them; no packs, no book).
    A quarter that already has a record is skipped unless ``options.force``; one before the data
    starts, or without revenue, is skipped with the reason. Why: history then survives a change of
    settings, and later builds compare with these records instead of recomputing."""
    started = time.perf_counter()
    inputs = load_inputs(options.config, options.data, options.quarter)
    settings, dataset, portfolio = inputs.settings, inputs.dataset, inputs.portfolio
    records = records_root(settings, options.output)
    digest = inputs_hash(dataset, settings)
    first = min(parse_quarter(str(q)) for q in portfolio.quarterly["quarter"].dropna().unique())
    report = BackfillReport(portfolio.quarter, records)
    try:
        records.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(f"cannot create the records folder {records}: {exc.strerror or exc}") from None
    # the output folder's lock when the records live there, else the records folder's own
    with BuildLock(records, wait=options.wait):
        for quarter in reversed(quarter_range(shift_quarter(portfolio.quarter, -1), count)):
            folder = record_dir(records, quarter)
            if (folder / "record.json").is_file() and not options.force:
                report.skipped.append((quarter, "it has a record already (--force overwrites it)"))
                continue
            if parse_quarter(quarter) < first:
                report.skipped.append((quarter, f"the data starts later ({first.year}Q{first.quarter})"))
                continue
            try:
                earlier = build_portfolio(dataset, settings, quarter)
            except (ConfigError, QuarterError):
                report.skipped.append((quarter, "the data has no revenue in that quarter"))
                continue
            try:
                write_record(folder, earlier, digest, origin="backfill")
            except OSError as exc:
                raise BuildError(f"writing the record of {quarter} failed: {exc.strerror or exc} "
                                 f"({getattr(exc, 'filename', '') or folder})") from None
            report.written.append(quarter)
    report.seconds = time.perf_counter() - started
    return report
