"""The build's worker processes: started, fed packs, stopped.

Kept apart from :mod:`.build`, and free of pandas and matplotlib imports, so a build can start its
workers before it imports and reads anything heavy (:func:`start_early`): on a small build the workers'
and kernels' start-up is a good part of the whole, and it then overlaps the build's own.
"""
from __future__ import annotations

import collections
import concurrent.futures as cf
import contextlib
import logging
import multiprocessing
import os
import shutil
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BuildError
from ..files import process_runs
from ..protocol import SHARED_PORTFOLIO_ENV
from .deadline import RENDER_TIMEOUT
from .jobs import Job, JobResult, Worker, _init_worker, _lay_out_in_worker, _run_in_worker, _started

if TYPE_CHECKING:
    from ..model import Portfolio
    from .options import BuildOptions

log = logging.getLogger(__name__)
#: Kernels load the build's portfolio rather than compute it again (off: each computes its own).
SHARE_PORTFOLIO = True


class PackPool:
    """The build's worker processes: each a warm kernel and a renderer (:class:`~.jobs.Worker`).

    Started as soon as it is known that every pack will be built: by the command line before the build
    is even imported (:func:`start_early`), else by the build before it reads the earlier quarters. Each
    worker starts its kernel, loads the notebooks' imports there and warms its renderer
    (:meth:`~.jobs.Worker.warm_up`) while the build is still busy, so the first packs do not wait
    for it. The same workers then lay out the book in chunks side by side (:meth:`lay_out`).
    Leaving the ``with`` block normally waits for the workers; by an exception, stops them
    (:func:`stop_pool`)."""

    def __init__(self, workers: int, timeout: int | None, render_timeout: float | None = RENDER_TIMEOUT):
        self.workers = workers
        context = multiprocessing.get_context("spawn")
        self.executor = cf.ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                                               initargs=(timeout, render_timeout, True))
        for _ in range(workers):   # the executor starts a process per task waiting: all of them, now
            self.executor.submit(_started)
        self._released: tuple[threading.Thread | None, list[multiprocessing.process.BaseProcess]] | None = None

    def __enter__(self) -> PackPool:
        return self

    def __exit__(self, exc_type: object, *_exc: object) -> None:
        released_thread, released = self._released or (None, [])
        if exc_type is None:
            self.executor.shutdown(wait=True)
            if released_thread is not None:
                released_thread.join()
            for process in released:
                process.join()
        else:
            stop_pool(self.executor, released)

    def release(self) -> None:
        """No more work for the workers: they begin to stop (each its kernel) without being waited for;
        leaving the ``with`` block then waits for them. Called once the packs and the book are done, so
        the workers' exit (about 0.4 s: each stops its kernel) overlaps the build's last writes."""
        if self._released is None:
            self._released = (getattr(self.executor, "_executor_manager_thread", None),
                              list((getattr(self.executor, "_processes", None) or {}).values()))
        self.executor.shutdown(wait=False)   # forgets its processes: they are kept above, to be waited for

    def lay_out(self, docs: Iterable[tuple[str, str | None, list[str]]]) -> list[tuple[int, list[int]]]:
        """Lay out book documents on the workers, in parallel (``pack.LayOut``), once every pack is
        built (the workers stop their kernels first). Each document is made only when a worker is
        about to be free for it: a long book's HTML is never all in memory."""
        futures: list[cf.Future] = []
        for doc in docs:
            futures.append(self.executor.submit(_lay_out_in_worker, doc, True))
            while len(running := [f for f in futures if not f.done()]) > self.workers:
                cf.wait(running, return_when=cf.FIRST_COMPLETED)
        return [future.result() for future in futures]

    def submit_lay_out(self, doc: tuple[str, str | None, list[str]]) -> cf.Future:
        """Lay out one book document on the next free worker; its future."""
        return self.executor.submit(_lay_out_in_worker, doc)


def run_jobs(jobs: list[Job], staging: Path, workers: int, timeout: int | None,
             on_done: Callable[[Job, JobResult], None],
             render_timeout: float | None = RENDER_TIMEOUT, pool: PackPool | None = None,
             meanwhile: Callable[[], None] | None = None,
             idle: Callable[[], cf.Future | None] | None = None) -> dict[str, JobResult]:
    """Run jobs; in-process for one worker, else on ``pool`` (or a pool of warm-kernel processes
    started here and stopped after). ``meanwhile``: this process's own work, done once the workers
    have their first packs (in-process: first), instead of after the last pack, when a core idles.
    ``idle``: called whenever a worker of the pool has no pack left to run; it may hand that worker
    other work (the book's next piece) and return its future, or return None when it has none yet.

    A pack that could not be written because of the disk (full, read-only) stops the run with a
    BuildError, since every later pack would meet the same disk. Whatever stops the run (that,
    Ctrl-C, SIGTERM) stops the workers and their kernels before it goes on up, so nothing is left
    running and nothing writes into the staging folder while it is removed."""
    results: dict[str, JobResult] = {}

    def finish(job: Job, result: JobResult) -> None:
        results[job.key] = result
        on_done(job, result)
        if result.storage_error:
            raise BuildError(result.error or "writing the packs failed")

    if pool is None and workers <= 1:
        if meanwhile is not None:
            meanwhile()
        worker = Worker(timeout, render_timeout)
        try:
            for job in jobs:
                finish(job, worker.run(job, staging))
        finally:
            worker.close()
        return results
    with contextlib.ExitStack() as owned:
        if pool is None:
            pool = owned.enter_context(PackPool(workers, timeout, render_timeout))
        executor = pool.executor
        # Packs are handed over as workers free up (one waiting beyond the running ones), not all at
        # once: work that ``on_done`` gives the pool (the book's portfolio part) then runs next, not last.
        waiting = collections.deque(jobs)
        futures: dict[cf.Future, Job] = {}
        other: set[cf.Future] = set()   # what ``idle`` gave the workers
        try:
            while waiting or futures:
                while waiting and len(futures) <= pool.workers:
                    job = waiting.popleft()
                    futures[executor.submit(_run_in_worker, job, str(staging))] = job
                if meanwhile is not None:   # once, now that the workers have packs
                    meanwhile()
                    meanwhile = None
                while idle is not None and not waiting and len(futures) + len(other) < pool.workers:
                    if (given := idle()) is None:
                        break
                    other.add(given)
                done, _ = cf.wait([*futures, *other], return_when=cf.FIRST_COMPLETED)
                other -= done
                for future in done:
                    if future not in futures:
                        continue
                    job = futures.pop(future)
                    try:
                        result = future.result()
                    except Exception as exc:  # noqa: BLE001 - a worker process died: fail its job only
                        result = JobResult(job.key, "failed", error=f"worker died: {type(exc).__name__}: {exc}")
                    finish(job, result)
        except BaseException:
            stop_pool(executor)
            raise
    return results


def stop_pool(pool: cf.ProcessPoolExecutor, released: Iterable[multiprocessing.process.BaseProcess] = (),
              grace: float = 10.0) -> None:
    """Stop a pool now: queued jobs are dropped, and each worker gets SIGTERM, on which it kills its
    kernel (in a session of its own, so it would outlive the worker) and exits; one that has not
    gone after ``grace`` seconds is killed. ``released``: its processes, if it was shut down already
    without waiting (:meth:`PackPool.release`; the executor then no longer lists them)."""
    processes = list({id(p): p for p in [*(getattr(pool, "_processes", None) or {}).values(), *released]}.values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()
    deadline_at = time.monotonic() + grace
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(max(0.1, deadline_at - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(5)


#: The shared portfolio's folder in the temporary folder: this prefix, the build's process id, a dash.
SHARE_PREFIX = "kamreports-portfolio-"
#: Folders named by the prefix alone (made by earlier versions, which named no process) are removed this old.
UNNAMED_SHARE_AGE = 24 * 3600


def remove_abandoned_shares(folder: Path | None = None) -> list[Path]:
    """Remove the shared-portfolio folders that builds killed outright (``kill -9``, out of memory) left
    in the temporary folder: those whose build process no longer runs, and those from before folders
    named their process once a day old. A build removes its own on leaving; one killed cannot, and the
    file is the whole portfolio (2 MB for 150 accounts, far more for a large one). Only this user's."""
    removed = []
    root = Path(folder or tempfile.gettempdir())
    with contextlib.suppress(OSError):
        for path in root.glob(f"{SHARE_PREFIX}*"):
            with contextlib.suppress(OSError):
                info = path.lstat()
                if not stat.S_ISDIR(info.st_mode) or info.st_uid != getattr(os, "getuid", lambda: info.st_uid)():
                    continue
                pid_part = path.name[len(SHARE_PREFIX):].split("-", 1)
                if len(pid_part) == 2 and pid_part[0].isdigit():
                    abandoned = not process_runs(int(pid_part[0]))
                else:
                    abandoned = time.time() - info.st_mtime > UNNAMED_SHARE_AGE
                if abandoned:
                    shutil.rmtree(path)
                    removed.append(path)
    return removed


class SharedPortfolio:
    """The file through which the build's kernels load its portfolio instead of computing it again
    (``inputs.share_portfolio``; one computation per build instead of one per worker).

    Named in the environment on entering, so the workers and kernels started from then on know it;
    written by :meth:`write` once the portfolio has its history, before any notebook runs. A private
    temporary folder (mode 0700), removed on leaving; nothing is shared when ``SHARE_PORTFOLIO`` is off."""

    def __enter__(self) -> SharedPortfolio:
        self.before = os.environ.get(SHARED_PORTFOLIO_ENV)
        self.folder: Path | None = None
        if SHARE_PORTFOLIO:
            remove_abandoned_shares()
            self.folder = Path(tempfile.mkdtemp(prefix=f"{SHARE_PREFIX}{os.getpid()}-"))
            os.environ[SHARED_PORTFOLIO_ENV] = str(self.folder / "portfolio.pickle")
        return self

    def write(self, portfolio: Portfolio, jobs: list[Job]) -> None:
        from ..inputs import share_portfolio

        if self.folder is None or not jobs:
            return
        params = {k: jobs[0].parameters.get(k) for k in ("data", "config", "quarter", "records")}
        try:
            share_portfolio(portfolio, self.folder / "portfolio.pickle", **params)
        except Exception as exc:  # noqa: BLE001 - an optimisation: the kernels then compute it themselves
            log.debug("the portfolio is not shared with the kernels: %s", exc)

    def __exit__(self, *_exc: object) -> None:
        if self.before is None:
            os.environ.pop(SHARED_PORTFOLIO_ENV, None)
        else:
            os.environ[SHARED_PORTFOLIO_ENV] = self.before
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def default_workers() -> int:
    """One worker per core, whatever the build's size. A third worker on 2 cores used to pay on long
    builds, filling the 0.2 s each pack's new kernel client waited for; with one kept client per kernel
    it no longer does, and it costs a kernel's memory: 100 packs with the book, alternating, 113-116 s
    with 2 workers against 117-118 s with 3, peak tree RSS 1,055 MB against 1,452 MB (README, Performance)."""
    return os.cpu_count() or 1


@dataclass
class EarlyStart:
    """What a build may start before it reads its inputs: the shared-portfolio file's name (in the
    environment, so every worker and kernel started from then on knows it) and the pool."""

    shared: SharedPortfolio
    pool: PackPool | None = None


def early_workers(options: BuildOptions, quarter: str | None = None, packs: int | None = None) -> int:
    """How many workers to start now, before the packs to build are decided; 0: none (the pool is then
    started once they are). Only when every pack will be built (``--force``, the quarter not built yet
    in the output folder, or, the quarter unknown, no quarter built there at all), on local workers,
    and the number of packs (``packs``, or ``--accounts``) or of workers (``--workers``) is known.
    ``quarter`` and ``packs``: what the build knows once it has read its inputs; before, the options."""
    quarter = quarter or options.quarter
    if quarter:
        built_before = (options.output / quarter / "manifest.json").exists()
    else:   # the quarter comes from the data: any earlier build here may be of it
        built_before = any(options.output.glob("*/manifest.json"))
    if (built_before and not options.force) or options.scheduler or (options.retry_failed and not options.force):
        return 0
    if packs is None and options.accounts:
        packs = len(dict.fromkeys(options.accounts)) + 1
    if packs is None and not options.workers:
        return 0
    workers = options.workers or default_workers()
    workers = min(workers, packs) if packs else workers
    return workers if workers > 1 else 0


@contextlib.contextmanager
def start_early(options: BuildOptions) -> Iterator[EarlyStart]:
    """The shared-portfolio file named, and the pool started (:func:`early_workers`), before the build
    imports and reads anything. Leaving the block normally waits for the workers; by an exception
    (bad input included), stops them and their kernels."""
    with contextlib.ExitStack() as running:
        early = EarlyStart(running.enter_context(SharedPortfolio()))
        workers = early_workers(options)
        if workers:
            early.pool = running.enter_context(PackPool(workers, options.timeout, options.render_timeout))
        yield early
