"""``kamreports build``: plan the packs, run them in parallel, assemble, swap into place.

Everything is written to a staging folder beside the output and moved into
``<output>/<quarter>/`` only when complete, so an interrupted or failed build
never leaves a half-written quarter and never destroys the previous one.
"""
from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import hashlib
import json
import logging
import multiprocessing
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..config import Settings, settings_dict
from ..data import Dataset
from ..errors import BuildError, ConfigError, Problem
from ..inputs import load_inputs
from ..model import Portfolio
from ..periods import quarter_end
from .covers import COVER_CSS, cover_html, logo_data_uri, monogram_data_uri
from .jobs import NOTEBOOKS_DIR, Job, JobResult, Worker, _init_worker, _run_in_worker
from .state import BuildLock, change_reason, code_hash, hash_bytes, read_manifest, recover_interrupted

log = logging.getLogger(__name__)


@dataclass
class BuildOptions:
    data: Path | None = None
    config: Path | None = None
    quarter: str | None = None
    accounts: list[str] | None = None
    output: Path = Path("output")
    workers: int = 0               # 0: one per core, plus one (default_workers)
    timeout: int | None = 600      # seconds a cell may run
    book: bool = True
    force: bool = False            # rebuild every pack even if its inputs are unchanged
    retry_failed: bool = False     # rebuild only the packs that failed last time
    wait: bool = False             # queue behind a running build instead of refusing
    notebooks: Path | None = None  # a folder with the team's own account_plan/portfolio_review notebooks
    scheduler: str | None = None   # Dask scheduler address (tcp://host:port); overrides the settings' scheduler


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

    @property
    def failed(self) -> list[str]:
        return [k for k, r in self.results.items() if r.status != "built"]

    @property
    def ok(self) -> bool:
        return not self.failed


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
              notebooks: Path) -> list[Job]:
    """One job per pack. Footers get each pack's own input hash later (see fingerprint_jobs)."""
    settings = portfolio.settings
    quarter = portfolio.quarter
    company = settings.company
    common = dict(quarter=quarter, data=str(data.resolve()) if data else None,
                  config=str(config.resolve()) if config else None)
    as_of = quarter_end(quarter).isoformat()
    frame = dict(footer_note=f"Data as of {as_of}", page_size=settings.report.page_size,
                 primary_color=company.primary_color, accent_color=company.accent_color, extra_css=COVER_CSS)
    logo = brand_logo(settings)

    def cover(kind: str, title: str, meta: str, mark: str) -> str:
        return cover_html(company.name, logo, kind, title, quarter, meta, mark)

    jobs = [Job("portfolio", "portfolio", "Portfolio review", str(notebooks / "portfolio_review.ipynb"),
                "portfolio", common, title=f"{company.name} — Portfolio review {quarter}",
                running_header=f"Portfolio review · {quarter} · Internal",
                cover_html=cover("Portfolio review", "Key-account portfolio", f"Data as of {as_of}",
                                 "Internal — not for distribution outside the company"), **frame)]
    used: set[str] = {"portfolio"}
    for account_id in account_ids:
        row = portfolio.summary.loc[account_id]
        name = str(row["name"])
        owner = f" · Key-account manager: {row['owner']}" if pd.notna(row["owner"]) else ""
        jobs.append(Job(account_id, "account", name, str(notebooks / "account_plan.ipynb"),
                        f"accounts/{slugify(f'{account_id}-{name}', used)}", dict(common, account_id=account_id),
                        title=f"{name} — Account plan {quarter}",
                        running_header=f"{name} · {quarter} · Confidential",
                        cover_html=cover("Account plan", name, f"Data as of {as_of}{owner}", "Confidential"),
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
    notebook, settings and code; the portfolio pack on all the data.
    """
    settings_hash = hash_bytes(json.dumps(settings_dict(portfolio.settings), sort_keys=True, default=str))
    per_account = _per_account_hashes(portfolio.dataset)
    figures = pd.util.hash_pandas_object(portfolio.summary, index=True)
    out: dict[str, dict[str, str]] = {}
    for job in jobs:
        notebook = Path(job.notebook)
        parts = {"code": code_hash(), "notebook": hash_bytes(notebook.read_bytes()), "settings": settings_hash,
                 "frame": hash_bytes(json.dumps([job.frame_metadata(), job.parameters, job.folder], sort_keys=True))}
        if job.kind == "account":
            parts["data"] = hash_bytes(*(f"{t}:{h.get(job.key, 0)}" for t, h in sorted(per_account.items())))
            parts["figures"] = hash_bytes(str(figures.get(job.key)))
            parts["plan"] = hash_bytes(portfolio.plan_fingerprint(job.key))
            parts["as_of"] = quarter_end(portfolio.quarter).isoformat()   # overdue actions and stale plans
        else:
            parts["portfolio"] = digest[:16]
        out[job.key] = parts
    return out


def brand_logo(settings: Settings) -> str:
    company = settings.company
    return logo_data_uri(settings.resolve(company.logo)) or monogram_data_uri(company.name, company.primary_color)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("kamreports", "papermill", "nbclient", "nbconvert", "pandas", "matplotlib", "weasyprint"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def run_jobs(jobs: list[Job], staging: Path, workers: int, timeout: int | None,
             on_done: Callable[[Job, JobResult], None]) -> dict[str, JobResult]:
    """Run jobs; in-process for one worker, else a pool of warm-kernel processes."""
    results: dict[str, JobResult] = {}
    if workers <= 1:
        worker = Worker(timeout)
        try:
            for job in jobs:
                results[job.key] = worker.run(job, staging)
                on_done(job, results[job.key])
        finally:
            worker.close()
        return results
    context = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                                initargs=(timeout,)) as pool:
        futures = {pool.submit(_run_in_worker, job, str(staging)): job for job in jobs}
        try:
            for future in cf.as_completed(futures):
                job = futures[future]
                try:
                    results[job.key] = future.result()
                except Exception as exc:  # noqa: BLE001 - a worker process died: fail its job only
                    results[job.key] = JobResult(job.key, "failed", error=f"worker died: {type(exc).__name__}: {exc}")
                on_done(job, results[job.key])
        except KeyboardInterrupt:
            for future in futures:
                future.cancel()
            raise
    return results


def default_workers() -> int:
    """One worker per core, plus one. A worker's core idles while its kernel runs a cell and while
    messages go back and forth; the extra worker fills those gaps (100 packs on 2 cores: 98 s with
    3 workers against 111 s with 2; README, Performance)."""
    return (os.cpu_count() or 1) + 1


def _swap_into_place(staging: Path, final: Path) -> None:
    """Replace ``final`` with ``staging`` in two renames; the old copy is removed last."""
    old = final.with_name(f".old-{final.name}-{os.getpid()}")
    if final.exists():
        os.replace(final, old)
    os.replace(staging, final)
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
          on_plan: Callable[[list[Job]], None] | None = None) -> BuildReport:
    """Build the quarter's packs, reusing those whose inputs are unchanged.

    Raises on bad input before anything is written. Holds a lock on the output
    folder for the whole run.
    """
    from .pack import book_name, write_book, write_exports, write_index, write_manifest

    started = time.perf_counter()
    inputs = load_inputs(options.config, options.data, options.quarter, options.accounts)
    settings, dataset, portfolio = inputs.settings, inputs.dataset, inputs.portfolio
    data_path = inputs.data_location
    quarter = portfolio.quarter
    account_ids = inputs.accounts
    notebooks = (options.notebooks or NOTEBOOKS_DIR).resolve()
    for name in ("account_plan.ipynb", "portfolio_review.ipynb"):
        if not (notebooks / name).is_file():
            raise ConfigError([Problem(str(notebooks), f"notebook {name} is missing")])

    digest = inputs_hash(dataset, settings)
    jobs = plan_jobs(portfolio, account_ids, data_path, options.config, notebooks)
    prints = fingerprint_jobs(jobs, portfolio, digest)
    jobs = [dataclasses.replace(j, footer_note=f"{j.footer_note} · inputs {hash_bytes(*prints[j.key].values())[:8]}")
            for j in jobs]
    book_digest = hash_bytes(digest, *(json.dumps(prints[j.key], sort_keys=True) for j in jobs))

    output = options.output.resolve()
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(f"cannot create the output folder {output}: {exc.strerror or exc}") from None
    with BuildLock(output, wait=options.wait):
        for note in recover_interrupted(output):
            log.warning(note)
        final = output / quarter
        previous = (read_manifest(final) if final.is_dir() else None) or {}
        todo, reused = _decide(jobs, prints, previous, final, options)
        book_file = final / book_name(quarter)
        book_current = not options.book or (book_file.is_file() and previous.get("book_inputs") == book_digest)
        if not todo and previous and previous.get("status") == "complete" and book_current:
            log.info("everything is up to date in %s", final)
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
            on_done = progress or (lambda _j, _r: None)
            results = dict(reused)
            scheduler = options.scheduler or settings.scheduler
            if scheduler and run:
                from .dask_backend import run_jobs_on_dask

                executed_on = f"dask {scheduler}"
                results.update(run_jobs_on_dask(run, staging, scheduler, options.timeout, on_done))
            else:
                workers = max(1, min(options.workers or default_workers(), len(run) or 1))
                executed_on = f"local ({workers} worker{'s' if workers > 1 else ''})"
                results.update(run_jobs(run, staging, workers, options.timeout, on_done))
            for key, why in todo.items():
                results[key].reason = why
            book = None
            built = [j for j in jobs if results[j.key].status == "built"]
            if options.book and built:
                book = write_book(staging, portfolio, built, results, brand_logo(settings))
            write_exports(staging, portfolio)
            seconds = time.perf_counter() - started
            manifest = write_manifest(staging, portfolio, jobs, results, book, settings, data_path, digest,
                                      seconds, _versions(), prints, book_digest, executed_on)
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
                       time.perf_counter() - started, manifest, list(reused))

