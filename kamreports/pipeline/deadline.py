"""A time limit on a stretch of Python code: rendering a pack, laying out the book.

``--timeout`` limits each notebook cell, but laying out a page is WeasyPrint's work in the worker
itself, where no kernel timeout reaches: a 5,000-character account name in a cover title took 68 s
and a 10,000-character one over 300 s. :func:`deadline` stops such a stretch with
:class:`RenderTimeout`, so that pack fails with a message naming the limit and the others go on.

Two ways, both measured to add nothing to a normal render:
- in a process's main thread (a pool worker, or the build itself with one worker), a real-time
  interval timer (``setitimer``): SIGALRM interrupts between two Python instructions;
- in any other thread (a Dask worker's), a watchdog thread raises the exception in the rendering
  thread (``PyThreadState_SetAsyncExc``), also between two Python instructions.
WeasyPrint's layout is Python, calling into Pango for short steps, so either stops it within a
fraction of a second of the limit.
"""
from __future__ import annotations

import contextlib
import ctypes
import signal
import threading
from collections.abc import Iterator

#: Seconds rendering one pack (HTML and PDF) may take before it fails (``--render-timeout``). A pack
#: renders in 1-5 s; only something pathological (a name thousands of characters long in a title)
#: comes near this.
RENDER_TIMEOUT = 300


class RenderTimeout(BaseException):
    """Raised in the code under :func:`deadline` when its time is up. A BaseException, like
    KeyboardInterrupt: the timer may fire anywhere in WeasyPrint or nbconvert, and an ``except
    Exception`` there (which keeps going after, say, an image it cannot read) would swallow it and the
    layout would run on for minutes (seen once in CI: a 20,000-row table built in spite of the limit)."""


@contextlib.contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Run the ``with`` block for at most ``seconds`` (None or 0: no limit), else raise RenderTimeout."""
    if not seconds or seconds <= 0:
        yield
        return
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        with _alarm(seconds):
            yield
    else:
        with _watchdog(seconds):
            yield


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def on_alarm(_signum: int, _frame: object) -> None:
        raise RenderTimeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)   # and again every second, should one be swallowed
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _watchdog(seconds: float) -> Iterator[None]:
    target = threading.get_ident()
    lock = threading.Lock()
    state = {"finished": False, "fired": False}
    done = threading.Event()

    def watch() -> None:
        if done.wait(seconds):
            return
        with lock:
            if not state["finished"]:
                state["fired"] = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(RenderTimeout))

    thread = threading.Thread(target=watch, name="kamreports-deadline", daemon=True)
    thread.start()
    try:
        yield
    finally:
        with lock:
            state["finished"] = True
            if state["fired"]:  # raised already, or still pending: a pending one must not fire later
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), None)
        done.set()
        thread.join()
