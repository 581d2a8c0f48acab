"""One pack = one job: execute a notebook, render it to HTML and PDF.

Jobs run in worker processes, each holding a warm kernel and a reused
renderer. A failing job returns a failed result; it never raises, so one
account cannot sink the run.
"""
from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent.parent / "notebooks"
#: Written between a pack's cover and its body, so the book can take the body from the pack's HTML.
BODY_MARKER = "<!--kamreports:body-->"


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


class Worker:
    """Per-process state: a warm kernel and a renderer, created on first use."""

    def __init__(self, timeout: int | None = None):
        self.timeout = timeout
        self._kernel = None
        self._renderer = None

    def run(self, job: Job, staging: Path) -> JobResult:
        from .execute import NotebookFailed, WarmKernel
        from .render import PageFrame, Renderer, document_html

        started = time.perf_counter()
        out_dir = staging / job.folder
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = Path(job.notebook).stem
        try:
            if self._kernel is None:
                self._kernel = WarmKernel(cwd=NOTEBOOKS_DIR)
            executed = self._kernel.run(NOTEBOOKS_DIR / job.notebook, out_dir / f"{stem}.ipynb", job.parameters,
                                        timeout=self.timeout)
            t_exec = time.perf_counter() - started
            if self._renderer is None:
                self._renderer = Renderer()
            frame = PageFrame(title=job.title, running_header=job.running_header, footer_note=job.footer_note,
                              page_size=job.page_size, primary_color=job.primary_color,
                              accent_color=job.accent_color)
            notebook = executed.notebook
            notebook.metadata["kamreports"] = job.frame_metadata()
            nbformat.write(notebook, out_dir / f"{stem}.ipynb")
            body = self._renderer.body_html(notebook)
            html = document_html(job.cover_html + BODY_MARKER + body, frame, extra_css=job.extra_css)
            (out_dir / f"{stem}.html").write_text(html, encoding="utf-8")
            pages = self._renderer.write_pdf(html, out_dir / f"{stem}.pdf")
        except NotebookFailed as exc:
            return JobResult(job.key, "failed", time.perf_counter() - started, error=str(exc),
                             failed_cell=exc.cell)
        except Exception as exc:  # noqa: BLE001 - rendering bug or I/O error: this pack fails, the run goes on
            detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
            return JobResult(job.key, "failed", time.perf_counter() - started, error=f"rendering failed: {detail}")
        total = time.perf_counter() - started
        files = [f"{job.folder}/{stem}.{ext}" for ext in ("ipynb", "html", "pdf")]
        return JobResult(job.key, "built", total, t_exec, total - t_exec, pages, files)

    def close(self) -> None:
        if self._kernel is not None:
            self._kernel.shutdown()
            self._kernel = None


_WORKER: Worker | None = None


def _init_worker(timeout: int | None) -> None:
    import atexit
    import signal

    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
    _WORKER = Worker(timeout)
    atexit.register(_WORKER.close)


def _run_in_worker(job: Job, staging: str) -> JobResult:
    assert _WORKER is not None
    return _WORKER.run(job, Path(staging))
