"""``kamreports build``: plan the packs, run them in parallel, assemble, swap into place.

Everything is written to a staging folder beside the output and moved into
``<output>/<quarter>/`` only when complete, so an interrupted or failed build
never leaves a half-written quarter and never destroys the previous one.
"""
from __future__ import annotations

import concurrent.futures as cf
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

from ..config import Settings, load_settings, settings_dict
from ..data import Dataset, load_dataset
from ..errors import BuildError, ConfigError, Problem
from ..model import Portfolio, build_portfolio
from ..periods import quarter_end
from .covers import COVER_CSS, cover_html, logo_data_uri, monogram_data_uri
from .jobs import NOTEBOOKS_DIR, Job, JobResult, Worker, _init_worker, _run_in_worker

log = logging.getLogger(__name__)


@dataclass
class BuildOptions:
    data: Path | None = None
    config: Path | None = None
    quarter: str | None = None
    accounts: list[str] | None = None
    output: Path = Path("output")
    workers: int = 0               # 0: one per core
    timeout: int | None = 600      # seconds a cell may run
    book: bool = True


@dataclass
class BuildReport:
    quarter: str
    folder: Path
    results: dict[str, JobResult]
    jobs: list[Job]
    book: Path | None
    seconds: float
    manifest: dict = field(default_factory=dict)

    @property
    def failed(self) -> list[str]:
        return [k for k, r in self.results.items() if r.status != "built"]

    @property
    def ok(self) -> bool:
        return not self.failed


def slugify(text: str, used: set[str]) -> str:
    """A safe, unique folder name: lower-case ASCII letters, digits and dashes."""
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "account"
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
              short_hash: str) -> list[Job]:
    settings = portfolio.settings
    quarter = portfolio.quarter
    company = settings.company
    common = dict(quarter=quarter, data=str(data.resolve()) if data else None,
                  config=str(config.resolve()) if config else None)
    as_of = quarter_end(quarter).isoformat()
    footer = f"Data as of {as_of} · inputs {short_hash}"
    frame = dict(footer_note=footer, page_size=settings.report.page_size, primary_color=company.primary_color,
                 accent_color=company.accent_color, extra_css=COVER_CSS)
    logo = brand_logo(settings)

    def cover(kind: str, title: str, meta: str, mark: str) -> str:
        return cover_html(company.name, logo, kind, title, quarter, meta, mark)

    jobs = [Job("portfolio", "portfolio", "Portfolio review", "portfolio_review.ipynb", "portfolio", common,
                title=f"{company.name} — Portfolio review {quarter}",
                running_header=f"Portfolio review · {quarter} · Internal",
                cover_html=cover("Portfolio review", "Key-account portfolio", f"Data as of {as_of}",
                                 "Internal — not for distribution outside the company"), **frame)]
    used: set[str] = {"portfolio"}
    for account_id in account_ids:
        row = portfolio.summary.loc[account_id]
        name = str(row["name"])
        owner = f" · Key-account manager: {row['owner']}" if pd.notna(row["owner"]) else ""
        jobs.append(Job(account_id, "account", name, "account_plan.ipynb",
                        f"accounts/{slugify(f'{account_id}-{name}', used)}", dict(common, account_id=account_id),
                        title=f"{name} — Account plan {quarter}",
                        running_header=f"{name} · {quarter} · Confidential",
                        cover_html=cover("Account plan", name, f"Data as of {as_of}{owner}", "Confidential"),
                        **frame))
    return jobs


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


def _swap_into_place(staging: Path, final: Path) -> None:
    """Replace ``final`` with ``staging`` in two renames; the old copy is removed last."""
    old = final.with_name(f".old-{final.name}-{os.getpid()}")
    if final.exists():
        os.replace(final, old)
    os.replace(staging, final)
    shutil.rmtree(old, ignore_errors=True)


def build(options: BuildOptions, progress: Callable[[Job, JobResult], None] | None = None,
          on_plan: Callable[[list[Job]], None] | None = None) -> BuildReport:
    """Build every pack for the quarter. Raises on bad input before anything is written."""
    from .pack import write_book, write_index, write_manifest

    started = time.perf_counter()
    settings = load_settings(options.config)
    data_path = options.data or settings.data_path
    dataset = load_dataset(data_path)
    portfolio = build_portfolio(dataset, settings, options.quarter)
    quarter = portfolio.quarter

    if options.accounts:
        unknown = [a for a in options.accounts if a not in portfolio.summary.index]
        if unknown:
            raise ConfigError([Problem("--accounts", "no such account with revenue up to " + quarter, value=a)
                               for a in unknown])
        account_ids = list(dict.fromkeys(options.accounts))
    else:
        account_ids = list(portfolio.key_accounts.index)

    digest = inputs_hash(dataset, settings)
    jobs = plan_jobs(portfolio, account_ids, data_path, options.config, digest[:8])
    if on_plan:
        on_plan(jobs)

    output = options.output.resolve()
    try:
        output.mkdir(parents=True, exist_ok=True)
        staging = output / f".staging-{quarter}-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
    except OSError as exc:
        raise BuildError(f"cannot write to the output folder {output}: {exc.strerror or exc}") from None

    workers = options.workers or (os.cpu_count() or 1)
    workers = max(1, min(workers, len(jobs)))
    try:
        results = run_jobs(jobs, staging, workers, options.timeout, progress or (lambda _j, _r: None))
        book = None
        built = [j for j in jobs if results[j.key].status == "built"]
        if options.book and built:
            book = write_book(staging, portfolio, built, results, brand_logo(settings))
        for result in results.values():
            result.body_html = ""  # held for the book only
        seconds = time.perf_counter() - started
        manifest = write_manifest(staging, portfolio, jobs, results, book, settings, data_path, digest, seconds,
                                  _versions())
        write_index(staging, portfolio, jobs, results, book, brand_logo(settings))
        final = output / quarter
        _swap_into_place(staging, final)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise BuildError(f"writing the packs failed: {exc.strerror or exc} ({getattr(exc, 'filename', '')})") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BuildReport(quarter, final, results, jobs, final / book.name if book else None,
                       time.perf_counter() - started, manifest)

