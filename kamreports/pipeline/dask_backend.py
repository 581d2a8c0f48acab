"""Run account packs on a Dask distributed cluster (``kamreports build --scheduler tcp://HOST:PORT``).

Each job is one Dask task. On the worker it runs exactly like a local pool job:
a warm kernel and a reused renderer per worker thread, kept between tasks, so
only the first pack on each thread pays for starting a kernel. The task
renders into a private temporary folder and returns the files' bytes; the
client writes them into its own staging folder. Workers therefore need no
shared output folder, and a worker that dies mid-pack leaves nothing behind:
Dask re-runs the task elsewhere and the client sees one result per pack.

What workers do need: the same kamreports (checked: a task refuses to run on
a worker whose package code differs from the client's) and the build's inputs
at the same paths (the data folder or database URL, the settings file, the
plans folder, the notebooks) — a shared filesystem, or the same checkout on
every machine.
"""
from __future__ import annotations

import atexit
import contextlib
import logging
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

from ..errors import BuildError
from .jobs import RENDER_TIMEOUT, Job, JobResult, Worker
from .state import code_hash

log = logging.getLogger(__name__)

_LOCAL = threading.local()          # one warm Worker per Dask worker thread
_ALL: list[Worker] = []             # closed when the worker process exits
_ALL_LOCK = threading.Lock()


def _thread_worker(timeout: int | None, render_timeout: float | None = RENDER_TIMEOUT) -> Worker:
    worker = getattr(_LOCAL, "worker", None)
    if worker is None:
        worker = Worker(timeout, render_timeout)
        _LOCAL.worker = worker
        with _ALL_LOCK:
            if not _ALL:
                atexit.register(_close_all)
            _ALL.append(worker)
    worker.timeout, worker.render_timeout = timeout, render_timeout
    return worker


def _close_all() -> None:
    for worker in _ALL:
        worker.close()


def run_pack_task(job: Job, timeout: int | None, client_code: str,
                  render_timeout: float | None = RENDER_TIMEOUT) -> tuple[JobResult, dict[str, bytes]]:
    """The task a Dask worker runs: build one pack, return its result and its files' bytes. The
    render time limit works in a worker thread too (see :mod:`.deadline`)."""
    import socket

    if code_hash() != client_code:
        raise RuntimeError(f"worker {socket.gethostname()} runs a different kamreports than the client: "
                           "install the same version on every worker")
    worker = _thread_worker(timeout, render_timeout)
    with tempfile.TemporaryDirectory(prefix="kamreports-dask-") as tmp:
        result = worker.run(job, Path(tmp))
        files = {name: (Path(tmp) / name).read_bytes() for name in result.files} if result.status == "built" else {}
    return result, files


def run_jobs_on_dask(jobs: list[Job], staging: Path, scheduler: str, timeout: int | None,
                     on_done: Callable[[Job, JobResult], None], connect_timeout: float = 20,
                     render_timeout: float | None = RENDER_TIMEOUT) -> dict[str, JobResult]:
    """Submit every job to the cluster at ``scheduler``; write each pack as it arrives. Whatever stops
    the run (Ctrl-C, SIGTERM, a disk fault) cancels the cluster's tasks of this build and closes the
    client before it goes on up."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise BuildError("--scheduler needs dask.distributed: pip install 'kamreports[dask]'") from None
    try:
        client = Client(scheduler, timeout=connect_timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise BuildError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    results: dict[str, JobResult] = {}
    run_id = uuid.uuid4().hex[:8]
    try:
        workers = len(client.scheduler_info().get("workers", {}))
        log.info("Dask scheduler %s: %d workers", scheduler, workers)
        expected = code_hash()
        # pure=False: a pack is a side effect of its inputs on disk, never a cached value
        futures = {client.submit(run_pack_task, job, timeout, expected, render_timeout,
                                 key=f"kamreports-{run_id}-{i}", pure=False): job for i, job in enumerate(jobs)}
        try:
            for future in as_completed(futures, loop=client.loop):
                job = futures[future]
                try:
                    result, files = future.result()
                except Exception as exc:  # noqa: BLE001 - KilledWorker after repeated deaths, version mismatch
                    result, files = JobResult(job.key, "failed", error=f"Dask task failed: "
                                                                       f"{type(exc).__name__}: {exc}"), {}
                for name, content in files.items():
                    target = staging / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(content)
                results[job.key] = result
                on_done(job, result)
                if result.storage_error:
                    raise BuildError(result.error or "writing the packs failed")
        except BaseException:
            with contextlib.suppress(Exception):
                client.cancel(list(futures))
            raise
    finally:
        client.close()
    return results
