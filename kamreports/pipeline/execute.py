"""Execute parameterised notebooks with papermill on a warm, reused kernel.

Starting a kernel and importing pandas and matplotlib costs more than most
report notebooks take to run, so each worker keeps one kernel alive and
resets it between notebooks: the user namespace is cleared, figures closed and
matplotlib's settings restored, while imported modules stay warm. A kernel is
replaced after any failure and after ``max_uses`` notebooks, so a leak or a
crash in one account cannot reach the next.
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import nbformat
from jupyter_core.utils import run_sync

from ..files import is_storage_error

log = logging.getLogger(__name__)

# %reset -f runs two full garbage collections. Over a kernel holding pandas, matplotlib and the
# shared portfolio figures that was ~140 ms a notebook; freezing what survives a reset (imported
# modules, the shared figures) keeps later collections to what the last notebook made.
RESET_CODE = """\
%reset -f
import gc as _gc, matplotlib as _mpl, matplotlib.pyplot as _plt, warnings as _warnings
_plt.close("all"); _mpl.rcdefaults(); _warnings.resetwarnings()
_gc.collect(); _gc.freeze()
del _gc, _mpl, _plt, _warnings
"""


class NotebookFailed(Exception):
    """A notebook raised, timed out or lost its kernel; ``cell`` names where."""

    def __init__(self, message: str, cell: str | None = None):
        super().__init__(message)
        self.cell = cell


_CELL_LINE_RE = re.compile(r"Cell In\[\d*\], line (\d+)")
_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def failed_cell(notebook: Path, exc: Any) -> str:
    """Where a notebook failed, as the person editing it counts: "cell 12, line 3".

    papermill's execution count is the kernel's: a warm kernel counts every notebook it ran before,
    and the injected parameters cell shifts it by one, so it names no cell anyone can find. The cell
    is found by its source in the notebook as written (1 = its first cell, markdown included), and
    the line is IPython's "Cell In[n], line L" for the innermost frame in that cell."""
    where = f"cell {exc.exec_count}"
    with contextlib.suppress(Exception):
        cells = nbformat.read(notebook, as_version=4).cells
        where = f"cell {next(i for i, c in enumerate(cells, 1) if c.source == exc.source)}"
    lines = _CELL_LINE_RE.findall(_ANSI_RE.sub("", "\n".join(exc.traceback or [])))
    return f"{where}, line {lines[-1]}" if lines else where


@dataclass
class ExecutionResult:
    notebook: nbformat.NotebookNode
    seconds: float


def _quiet_kernel_logs() -> None:
    # The "running over TCP without encryption" warning and papermill's chatter
    # are noise for a report run; real failures surface as NotebookFailed.
    for name in ("papermill", "traitlets", "jupyter_client", "nbclient"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


@lru_cache(maxsize=1)
def _kernel_manager_class() -> type:
    # An async manager: nbclient polls its channels without blocking the event loop, which is
    # what lets a cell timeout fire and a dead kernel be noticed. It hands every notebook the same
    # client: a new one per notebook waits for the kernel to be ready again, and jupyter_client's
    # wait ends only after 0.2 s of silence on iopub, a fifth of a second idle per pack.
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager

    class KeptClient(AsyncKernelClient):
        """Ready once, then reused: nbclient matches every reply and output to the request it sent
        (by message id), so what an earlier notebook left on the channels is skipped, not shown."""

        def start_channels(self, *args: Any, **kwargs: Any) -> None:
            # No heartbeat: asked whether the kernel is alive, a client its manager made asks the
            # manager (the process), never the heartbeat, and nbclient uses nothing else of it. Its
            # thread pinged the kernel every second, and once (in about 20 builds) stopping it hung
            # the worker at exit: the thread's event loop waited on a reply that never came.
            if not self.channels_running:
                super().start_channels(*args, **{**kwargs, "hb": False})

        async def wait_for_ready(self, timeout: float | None = None) -> None:   # type: ignore[override]
            if not self.__dict__.get("was_ready"):
                await super().wait_for_ready(timeout=timeout)
                self.__dict__["was_ready"] = True
            elif not await self.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")

    class TrackingKernelManager(AsyncKernelManager):
        def client(self, **kwargs: Any) -> Any:
            if not self.opened_clients:
                self.client_factory = KeptClient
                self.opened_clients.append(super().client(**kwargs))
            return self.opened_clients[0]

        @property
        def opened_clients(self) -> list[Any]:
            return self.__dict__.setdefault("opened_clients", [])

    return TrackingKernelManager


class WarmKernel:
    """One kernel reused across notebooks, reset in between."""

    def __init__(self, kernel_name: str = "python3", max_uses: int = 40, cwd: str | Path | None = None,
                 startup_timeout: int = 60):
        self.kernel_name = kernel_name
        self.max_uses = max_uses
        self.cwd = str(cwd) if cwd else None
        self.startup_timeout = startup_timeout
        self._km: Any = None
        self._uses = 0
        _quiet_kernel_logs()

    def _start(self) -> None:
        self._km = _kernel_manager_class()(kernel_name=self.kernel_name)
        env = dict(os.environ, PYTHONWARNINGS="ignore", MPLBACKEND="module://matplotlib_inline.backend_inline")
        # The kernel's own stderr carries only start-up chatter ("running over TCP without
        # encryption"); what a notebook prints arrives as outputs over the channels.
        run_sync(self._km.start_kernel)(cwd=self.cwd, env=env, extra_arguments=["--HistoryManager.enabled=False"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._uses = 0

    def _close_clients(self) -> None:
        """Close the channels of the client papermill used on our kernel: when the kernel stops, or
        after a run that ended half-way (the next run then starts with a new client).

        nbclient leaves a client open when it does not own the kernel manager. A new client per
        notebook, each left open, kept an iopub subscription queueing every later message of the
        kernel (charts included) until its high-water mark: ~13 MB more per pack. The one kept
        client reads its messages as it goes."""
        if self._km is not None:
            for client in self._km.opened_clients:
                with contextlib.suppress(Exception):
                    client.stop_channels()
            self._km.opened_clients.clear()

    def shutdown(self) -> None:
        self._close_clients()
        if self._km is not None:
            # Killed and reaped first (also what stops a kernel interrupted in the middle of a cell):
            # jupyter_client's own shutdown then finds it gone and only tidies up (connection file,
            # sockets, ports), where it would poll every 0.1 s for it to die.
            self.kill_now()
            try:
                run_sync(self._km.shutdown_kernel)(now=True)
            except Exception:  # a dead kernel may not answer; it is gone either way
                log.debug("kernel shutdown raised", exc_info=True)
        self._km = None

    def kill_now(self) -> None:
        """Kill the kernel's process group (it runs in a session of its own) and remove its connection
        file: no event loop and no reply needed, so a signal handler may call it. Nothing if it is gone."""
        km = self._km
        process = getattr(getattr(km, "provisioner", None), "process", None)
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            process.wait(5)
        with contextlib.suppress(Exception):
            km.cleanup_connection_file()   # what a normal shutdown removes: /tmp/tmp*.json

    def _ready(self) -> bool:
        """Start a kernel if needed. True when the kernel has run a notebook and needs a reset, which
        then runs as the notebook's first cell: a separate client for it would cost a wait_for_ready
        (0.2 s idle for the iopub flush) and a round trip per notebook."""
        if self._km is None or self._uses >= self.max_uses or not run_sync(self._km.is_alive)():
            self.shutdown()
            self._start()
            return False
        return self._uses > 0

    def start(self) -> None:
        """Start the kernel process now (it boots while the caller goes on); nothing if one runs."""
        if self._km is None or not run_sync(self._km.is_alive)():
            self.shutdown()
            self._start()

    def warm_up(self, code: str, timeout: int = 120) -> None:
        """Run ``code`` (the notebooks' imports) in the kernel before any notebook, so the first
        notebook of a build finds pandas, matplotlib and kamreports loaded. Counts as a use: the
        next notebook starts with the reset, which also freezes what the imports made. A failure
        here costs only the head start: the kernel is stopped and the first notebook starts one."""
        import papermill

        self.start()
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
        notebook.metadata["kernelspec"] = {"name": self.kernel_name, "display_name": self.kernel_name,
                                           "language": "python"}
        try:
            papermill.execute_notebook(notebook, None, kernel_name=self.kernel_name, progress_bar=False,
                                       log_output=False, cwd=self.cwd, km=self._km, execution_timeout=timeout,
                                       start_timeout=self.startup_timeout, request_save_on_cell_execute=False)
            self._uses += 1
        except Exception:  # noqa: BLE001 - see above
            log.debug("kernel warm-up failed", exc_info=True)
            self.shutdown()
        except BaseException:
            self._close_clients()
            raise

    def run(self, notebook: Path, output: Path, parameters: dict[str, Any],
            timeout: int | None = None, metadata: dict[str, Any] | None = None) -> ExecutionResult:
        """Execute ``notebook`` with ``parameters``; write the executed copy, with ``metadata`` added to
        the notebook's, to ``output``. Nothing is written when the notebook fails.

        Written once, here: papermill would save it too, but with the reset cell still in and without
        the caller's metadata, and each save of a pack's notebook (charts included) costs as much as
        its HTML takes to make."""
        import time

        import papermill
        from papermill.exceptions import PapermillExecutionError

        started = time.perf_counter()
        try:
            reset = self._ready()
            source: Any = str(notebook)
            if reset:
                source = nbformat.read(notebook, as_version=4)
                source.cells.insert(0, nbformat.from_dict(nbformat.v4.new_code_cell(
                    RESET_CODE, metadata={"tags": ["remove", "kamreports-reset"]})))
            nb = papermill.execute_notebook(
                source, None, parameters=parameters, kernel_name=self.kernel_name,
                progress_bar=False, log_output=False, cwd=self.cwd, km=self._km, execution_timeout=timeout,
                start_timeout=self.startup_timeout, request_save_on_cell_execute=False)
            if reset:
                nb.cells.pop(0)
            nb.metadata.papermill["input_path"] = str(notebook)  # not the NotebookNode passed in
            nb.metadata.papermill["output_path"] = str(output)
            nb.metadata.update(metadata or {})
            nbformat.write(nb, output)
        except PapermillExecutionError as exc:
            self.shutdown()
            raise NotebookFailed(f"{exc.ename}: {exc.evalue}", cell=failed_cell(notebook, exc)) from None
        except Exception as exc:  # noqa: BLE001 - kernel death, timeout: fail this notebook, keep the run going
            self.shutdown()
            if is_storage_error(exc):   # the executed notebook could not be saved: a disk fault, not the notebook's
                raise
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise NotebookFailed(f"{type(exc).__name__}: {first_line}") from None
        except BaseException:   # e.g. Ctrl-C half-way: what the kernel still sends is not for the next run
            self._close_clients()
            raise
        self._uses += 1
        return ExecutionResult(nb, time.perf_counter() - started)
