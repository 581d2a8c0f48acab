"""One pack = one job: execute a notebook, render it to HTML and PDF.

Jobs run in worker processes, each holding a warm kernel and a reused
renderer. A failing job returns a failed result; it never raises, so one
account cannot sink the run.
"""
from __future__ import annotations

import contextlib
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from ..files import resource
from .deadline import RENDER_TIMEOUT

NOTEBOOKS_DIR = resource("notebooks")   # the repository's notebooks/, or the installed package's copy
#: Written between a pack's cover and its body, so the book can take the body from the pack's HTML.
BODY_MARKER = "<!--kamreports:body-->"
#: What a pool worker's kernel runs before its first notebook (:meth:`Worker.warm_up`): the notebooks'
#: imports, and one chart drawn, which loads matplotlib's fonts.
WARM_UP_CODE = """\
import kamreports, kamreports.present, kamreports.charts.account, kamreports.charts.portfolio
from kamreports.charts.style import figure as _figure, house as _house, png_bytes as _png_bytes
with _house():
    _png_bytes(_figure(1, 1)[0], dpi=20)
del _figure, _house, _png_bytes
"""


@dataclass(frozen=True)
class Job:
    key: str                      # "portfolio" or the account id
    kind: str                     # "portfolio" | "account"
    name: str                     # what a reader calls it: the account's name
    notebook: str                 # file name in notebooks/
    folder: str                   # output folder relative to the quarter's folder
    parameters: dict[str, Any]
    title: str
    running_header: str
    footer_note: str
    page_size: str = "A4"
    primary_color: str = "#1f3b5c"
    accent_color: str = "#e07a1f"
    cover_html: str = ""
    extra_css: str = ""

    def frame_metadata(self) -> dict[str, str]:
        """What the nbconvert exporters need to re-render this pack from its notebook."""
        return {"title": self.title, "running_header": self.running_header, "footer_note": self.footer_note,
                "page_size": self.page_size, "primary_color": self.primary_color,
                "accent_color": self.accent_color, "cover_html": self.cover_html, "extra_css": self.extra_css}


@dataclass
class JobResult:
    key: str
    status: str                   # "built" | "failed"
    seconds: float = 0.0
    execute_seconds: float = 0.0
    render_seconds: float = 0.0
    pages: int = 0
    files: list[str] = field(default_factory=list)
    error: str | None = None
    failed_cell: str | None = None
    reason: str = ""              # why it was (re)built or reused
    storage_error: bool = False   # the pack could not be written (disk full, read-only): the build stops
    stale: dict[str, Any] | None = None   # failed, and the previous build's files are shown instead


class Worker:
    """Per-process state: a warm kernel and a renderer, created on first use.

    ``pdf=False`` makes the HTML only (``kamreports preview`` without ``--pdf``: the PDF would double
    the wait for a page nobody prints). ``on_html`` is called with the pack's HTML as soon as it is
    written, before the PDF is laid out, so a preview can show the page without waiting for the PDF."""

    def __init__(self, timeout: int | None = None, render_timeout: float | None = RENDER_TIMEOUT,
                 pdf: bool = True, on_html: Callable[[Job, str], None] | None = None):
        self.timeout = timeout
        self.render_timeout = render_timeout
        self.pdf = pdf
        self.on_html = on_html
        self._kernel: Any = None
        self._renderer: Any = None

    def run(self, job: Job, staging: Path) -> JobResult:
        from ..files import is_storage_error
        from .deadline import RenderTimeout
        from .execute import NotebookFailed, WarmKernel

        started = time.perf_counter()
        out_dir = staging / job.folder
        stem = Path(job.notebook).stem
        t_exec = 0.0
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            if self._kernel is None:
                self._kernel = WarmKernel(cwd=NOTEBOOKS_DIR)
            executed = self._kernel.run(NOTEBOOKS_DIR / job.notebook, out_dir / f"{stem}.ipynb", job.parameters,
                                        timeout=self.timeout, metadata={"kamreports": job.frame_metadata()})
            t_exec = time.perf_counter() - started
            pages = self._render(job, executed.notebook, out_dir / stem)
        except NotebookFailed as exc:
            return JobResult(job.key, "failed", time.perf_counter() - started, error=str(exc),
                             failed_cell=exc.cell)
        except RenderTimeout:
            self._renderer = None   # stopped in the middle of a layout: start the next pack afresh
            return JobResult(job.key, "failed", time.perf_counter() - started, t_exec,
                             error=f"rendering took longer than {self.render_timeout:g} s, the limit on rendering "
                                   "one pack; raise it with --render-timeout SECONDS if the pack is just large")
        except Exception as exc:  # noqa: BLE001 - rendering bug or I/O error: this pack fails, the run goes on
            if is_storage_error(exc):   # the disk, not the pack: the build stops (exit 2), the output is kept
                return JobResult(job.key, "failed", time.perf_counter() - started, storage_error=True,
                                 error=f"writing the packs failed: {getattr(exc, 'strerror', None) or exc} "
                                       f"({getattr(exc, 'filename', None) or out_dir})")
            return self._failed(job, exc, started)
        total = time.perf_counter() - started
        files = [f"{job.folder}/{stem}.{ext}" for ext in ("ipynb", "html", "pdf")[:3 if self.pdf else 2]]
        return JobResult(job.key, "built", total, t_exec, total - t_exec, pages, files)

    def _render(self, job: Job, notebook: Any, stem: Path) -> int:
        """The pack's HTML and PDF (``stem``.html, .pdf), within the render time limit; the page count."""
        from .deadline import deadline
        from .render import PageFrame, Renderer, document_html

        frame = PageFrame(title=job.title, running_header=job.running_header, footer_note=job.footer_note,
                          page_size=job.page_size, primary_color=job.primary_color, accent_color=job.accent_color)
        with deadline(self.render_timeout):
            if self._renderer is None:
                self._renderer = Renderer()
            body = self._renderer.body_html(notebook)
            html = document_html(job.cover_html + BODY_MARKER + body, frame, extra_css=job.extra_css)
            stem.with_suffix(".html").write_text(html, encoding="utf-8")
            if self.on_html is not None:
                self.on_html(job, html)
            return self._renderer.write_pdf(html, stem.with_suffix(".pdf")) if self.pdf else 0

    @staticmethod
    def _failed(job: Job, exc: BaseException, started: float) -> JobResult:
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return JobResult(job.key, "failed", time.perf_counter() - started, error=f"rendering failed: {detail}")

    def warm_up(self) -> None:
        """Get ready for the first pack while the build is still computing its inputs: the kernel
        boots and loads the notebooks' imports, and meanwhile this process lays out a one-line page,
        which loads WeasyPrint's fonts and styles. On a small build this start-up is most of the
        first pack's time; paid in parallel with the build's own start, it is off the critical path."""
        from .execute import WarmKernel

        if self._kernel is None:
            self._kernel = WarmKernel(cwd=NOTEBOOKS_DIR)
        self._kernel.start()   # first: it boots while this process imports the renderer
        from .render import PageFrame, Renderer, document_html

        if self._renderer is None:
            self._renderer = Renderer()
        self._renderer.body_html(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("kamreports")]))
        self._renderer.pdf_bytes(document_html("<p>kamreports</p>", PageFrame("warm-up", "", "")))
        self._kernel.warm_up(WARM_UP_CODE)

    def close(self) -> None:
        if self._kernel is not None:
            self._kernel.shutdown()
            self._kernel = None

    def kill(self) -> None:
        """Stop the kernel at once, from a signal handler: no event loop, no waiting on the kernel."""
        if self._kernel is not None:
            self._kernel.kill_now()
            self._kernel = None


_WORKER: Worker | None = None


def _stop_worker(signum: int, _frame: object) -> None:
    """SIGTERM in a pool worker (from the build stopping its pool, or from systemd or a container
    stopping every process): kill this worker's kernel, which runs in a session of its own and
    would outlive us, and leave at once."""
    import os

    if _WORKER is not None:
        _WORKER.kill()
    os._exit(128 + signum)


#: Modules a pool worker never needs, kept from loading (``sys.modules[name] = None`` makes importing them
#: raise ImportError). papermill imports pyarrow at its start (pyarrow loading numpy) only to offer
#: notebooks on HDFS; a worker reads the package's notebooks and writes the staging folder. About
#: 0.25 CPU-s at each worker's start, paid while the build computes its inputs on the same cores.
UNUSED_IN_WORKERS = ("pyarrow",)


def _init_worker(timeout: int | None, render_timeout: float | None = RENDER_TIMEOUT, warm: bool = False) -> None:
    import atexit
    import logging
    import signal
    import sys

    global _WORKER
    for name in UNUSED_IN_WORKERS:
        sys.modules.setdefault(name, None)   # type: ignore[arg-type] - None: import refused, as documented
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
    signal.signal(signal.SIGTERM, _stop_worker)
    _WORKER = Worker(timeout, render_timeout)
    atexit.register(_exit_now)        # runs last (atexit is last in, first out): after the kernel is stopped
    atexit.register(_WORKER.close)
    if warm:
        try:
            _WORKER.warm_up()
        except Exception:  # noqa: BLE001 - only a head start: the first pack starts what is missing
            logging.getLogger(__name__).debug("worker warm-up failed", exc_info=True)
    _settle_garbage_collector()


#: A worker's young-generation threshold (Python's default: 700 objects).
WORKER_GC_THRESHOLD = 7000


def _settle_garbage_collector() -> None:
    """WeasyPrint makes millions of short-lived objects a pack; each time enough of them survive a
    young collection, Python scans every object the worker holds, its imports and warm renderer
    included (about 70 ms a time). What the worker holds after starting is frozen (never scanned
    again; it lives as long as the worker anyway) and young collections run a tenth as often: a K=8
    build's workers spent 0.9-1.1 s each collecting garbage, now about 0.4 s (measured with
    ``gc.callbacks``). Only pool workers: a build run in the caller's process leaves its collector alone."""
    import gc

    gc.freeze()
    gc.set_threshold(WORKER_GC_THRESHOLD, *gc.get_threshold()[1:])


def _exit_now() -> None:
    """The worker's last act: its kernel stopped and its results sent, leave without tearing the interpreter
    down (freeing WeasyPrint's, pandas' and nbconvert's objects one by one took a good part of the 0.4 s a
    build waited for its workers at the end). Logs and standard streams are flushed first."""
    import logging
    import os
    import sys

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


def _lay_out_in_worker(doc: tuple[str, str | None, list[str]], packs_done: bool = False) -> tuple[int, list[int]]:
    """A part of the book laid out by this worker's warm renderer (``Renderer.lay_out``). ``packs_done``:
    no pack is left to run, so the kernel is stopped first; its memory is the book's (a 500-pack
    build peaked at 2.3 GB with every idle kernel kept while the workers laid the book out)."""
    from .render import Renderer

    assert _WORKER is not None
    if packs_done:
        _WORKER.close()
    if _WORKER._renderer is None:
        _WORKER._renderer = Renderer()
    return _WORKER._renderer.lay_out(*doc)


def _started() -> bool:
    """A task that only makes the pool start a worker (:class:`~kamreports.pipeline.build.PackPool`)."""
    return True


def _run_in_worker(job: Job, staging: str) -> JobResult:
    assert _WORKER is not None
    return _WORKER.run(job, Path(staging))
