"""One preview: load and check the inputs, run the pack's notebook, show the page; again on every save.

The pack is made by the build's own pieces, so the preview shows exactly what the pack shows:
:func:`~kamreports.inputs.check_inputs` (the checks ``validate`` and ``build`` run),
:func:`~kamreports.pipeline.build.plan_jobs` and :func:`~kamreports.pipeline.build.fingerprinted`
(the same title, running header and footer), and a :class:`~kamreports.pipeline.jobs.Worker` (the
warm kernel, papermill, the renderer). What the preview adds is only what makes it quick:

- the settings and data are loaded and checked again only when one of their files changes; a plan
  or notebook saved re-checks the plans and re-runs the notebook on the kernel kept warm, whose
  own cache (``open_portfolio``) already holds the data;
- the earlier quarters' history (seconds to recompute) is loaded with the inputs, not on every save;
- the HTML is shown as soon as it is written; the PDF (``--pdf``) is laid out after.

An input that cannot be used (bad YAML, a data problem, a failing cell) shows a page listing each
problem with its file, line and message; the session goes on watching, and the next save that
fixes it brings the pack back.
"""
from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, KamError, Problem, Terminated
from ..inputs import CheckedInputs, check_inputs
from ..pipeline.build import fingerprinted, inputs_hash, plan_jobs
from ..pipeline.deadline import RENDER_TIMEOUT
from ..pipeline.jobs import NOTEBOOKS_DIR, Job, Worker
from ..records import attach_history, load_history, records_root
from .server import DEFAULT_PORT, PageStore, PreviewServer, Shown, error_page, message_page
from .watch import Targets, Watcher

log = logging.getLogger(__name__)

PORTFOLIO = "portfolio"
#: What the error page says under the problems.
FIX_NOTE = "The preview keeps watching: fix the file and save it, and the pack comes back by itself."


@dataclass
class PreviewOptions:
    """``kamreports preview``'s arguments (see ``cli.py``)."""

    target: str                    # an account id, or "portfolio"
    data: Path | None = None
    config: Path | None = None
    quarter: str | None = None
    notebooks: Path | None = None
    output: Path = Path("output")  # earlier quarters' records are read here; the preview writes OUTPUT/preview/
    port: int = DEFAULT_PORT
    pdf: bool = False
    timeout: int | None = 600      # seconds a notebook cell may run


class PreviewSession:
    """What one preview keeps between saves: the checked inputs and a worker with its warm kernel.

    Not thread-safe: one thread (the preview's main loop) calls :meth:`refresh`; the page it makes
    goes to ``store``, which the server's threads read."""

    def __init__(self, options: PreviewOptions, store: PageStore, say: Callable[[str], None] = print):
        self.options = options
        self.store = store
        self.say = say
        self.portfolio_pack = options.target.casefold() == PORTFOLIO
        notebooks = (options.notebooks or NOTEBOOKS_DIR).resolve()
        self.notebook = notebooks / ("portfolio_review.ipynb" if self.portfolio_pack else "account_plan.ipynb")
        self.folder = (options.output / "preview").resolve()
        self.worker = Worker(options.timeout, RENDER_TIMEOUT, pdf=options.pdf, on_html=self._show_pack)
        self.checked: CheckedInputs | None = None
        self.inputs_ok = False         # settings and data loaded and checked
        self.history = False           # the earlier quarters attached to the portfolio loaded last
        self.job: Job | None = None
        self.files: list[Path] = []    # what the last good refresh wrote (HTML, and the PDF with --pdf)
        self.last_ok: bool | None = None

    @property
    def label(self) -> str:
        return "the portfolio review" if self.portfolio_pack else f"the account plan of {self.options.target}"

    # ------------------------------------------------------------------ what is watched

    def targets(self) -> Targets:
        """The files this pack depends on, from the settings as last read (a settings file that
        names another data or plans folder moves the watch with it)."""
        from ..config import Settings, plans_folder, read_settings

        checked = self.checked
        settings = checked.settings if checked is not None and checked.settings is not None else None
        if settings is None:
            try:
                settings = read_settings(self.options.config)[0]
            except (KamError, OSError):
                settings = Settings()
        portfolio = checked.portfolio if checked is not None else None
        data = self.options.data if self.options.data not in (None, "") else settings.data_path
        profile = settings.resolve(settings.profile) if isinstance(settings.profile, str) else None
        if portfolio is not None:
            plans = None if portfolio.uses_sample_plans else portfolio.plans_folder
        else:
            plans = plans_folder(settings, self.options.data)
        names = None
        if not self.portfolio_pack:
            account = checked.accounts[0] if checked is not None and checked.accounts else self.options.target
            names = frozenset({f"{account}.yaml"})
        return Targets(settings=self.options.config, profile=profile, data=data, plans=plans, plan_names=names,
                       notebook=self.notebook)

    # ------------------------------------------------------------------ one refresh

    def refresh(self, changes: dict[str, set[Path]] | None = None) -> bool:
        """Make the page again after ``changes`` (kind -> paths; None: the first time). True when
        the pack was made, False when the page now lists problems. Never raises for bad input."""
        started = time.perf_counter()
        self.store.set_busy(True)
        try:
            ok = self._refresh(set(changes or {}))
        except Exception as exc:  # noqa: BLE001 - a bug: said on the page and the console, the preview goes on
            log.debug("preview refresh failed", exc_info=True)
            self._show_problems("The preview could not make the pack",
                                [Shown("kamreports", "", f"{type(exc).__name__}: {exc}")])
            ok = False
        finally:
            self.store.set_busy(False)
        seconds = time.perf_counter() - started
        what = ", ".join(sorted(p.name for paths in (changes or {}).values() for p in paths)) or "first build"
        if ok:
            written = " and ".join(str(p) for p in self.files)
            self.say(f"{time.strftime('%H:%M:%S')} {what}: page updated in {seconds:.1f} s ({written})")
        else:
            self.say(f"{time.strftime('%H:%M:%S')} {what}: the page shows the problems ({seconds:.1f} s)")
        self.last_ok = ok
        return ok

    def _refresh(self, kinds: set[str]) -> bool:
        options = self.options
        if self.checked is None or not self.inputs_ok or kinds & {"settings", "data"}:
            self.inputs_ok = False
            checked = check_inputs(options.config, options.data, options.quarter,
                                   None if self.portfolio_pack else [options.target], all_plans=False)
            self.checked = checked
            for warning in checked.warnings:
                self.say(f"  warning: {warning}")
            if checked.portfolio is None or checked.kinds - {"plans"}:
                return self._show_problems("The settings or the data have problems",
                                           [self._shown(p) for p in checked.problems])
            self.inputs_ok = True
            self.history = False
        checked = self.checked
        portfolio = checked.portfolio
        assert portfolio is not None and checked.settings is not None
        problems: list[Problem] = []
        for account_id in checked.accounts:   # the plans a build of this pack would check, read afresh
            try:
                portfolio.plan(account_id)
            except ConfigError as exc:
                problems += exc.problems
        if problems:
            return self._show_problems("A plan file has problems", [self._shown(p) for p in problems])

        records = records_root(checked.settings, options.output)
        if not self.history:   # once per load of the inputs: seconds, and the same until they change
            attach_history(portfolio, load_history(portfolio, records, warn=False))
            self.history = True
        accounts = [] if self.portfolio_pack else checked.accounts[:1]
        key = PORTFOLIO if self.portfolio_pack else accounts[0]
        planned = [j for j in plan_jobs(portfolio, accounts, checked.data_location, options.config,
                                        self.notebook.parent, records) if j.key == key]
        jobs, _prints = fingerprinted(planned, portfolio, inputs_hash(checked.dataset, checked.settings))
        self.job = job = jobs[0]
        result = self.worker.run(job, self.folder)
        if result.status != "built":
            title = "The notebook failed" if result.failed_cell else "The pack could not be made"
            return self._show_problems(title, [Shown(str(self.notebook), result.failed_cell or "",
                                                     result.error or "failed")])
        self.files = [self.folder / f for f in result.files if not f.endswith(".ipynb")]
        return True

    def _show_pack(self, _job: Job, html: str) -> None:
        """The worker wrote the pack's HTML: show it now (the PDF, with --pdf, follows). The same
        page again (a file saved unchanged, the warm-up) reloads nothing."""
        if html != self.store.current()[1]:
            self.store.publish(html)

    def warm_up(self) -> None:
        """Run the pack once more, unseen, right after the first build. The kernel's second notebook is
        the slow one (its first reset collects and freezes everything the first one imported: about a
        second on the sample); paid now, while the analyst reads the page, the first save is as quick
        as every later one."""
        if self.job is None or not self.last_ok:
            return
        started = time.perf_counter()
        result = self.worker.run(self.job, self.folder)
        if result.status == "built":
            self.say(f"{time.strftime('%H:%M:%S')} kernel warmed up in {time.perf_counter() - started:.1f} s; "
                     "watching for changes")
        else:   # the page stays as it is; the next save starts a new kernel and says what is wrong
            log.debug("warm-up failed: %s", result.error)

    def _show_problems(self, title: str, problems: list[Shown]) -> bool:
        self.store.publish(error_page(f"{title} — preview of {self.label}", problems, FIX_NOTE))
        for problem in problems[:5]:
            self.say(f"  {problem.file}{', ' + problem.where if problem.where else ''}: {problem.message}")
        if len(problems) > 5:
            self.say(f"  ... and {len(problems) - 5} more (on the page)")
        return False

    def _shown(self, problem: Problem) -> Shown:
        if problem.source == "--accounts":   # check_inputs names the build's option; here it is the argument
            return Shown(f"kamreports preview {self.options.target}", "",
                         f"{problem.message}: {problem.value!r}")
        return Shown.of(problem)

    def close(self, at_once: bool = False) -> None:
        """Stop the kernel (and with it every process the preview started). ``at_once``: kill it without
        a word to it, which needs no event loop: after Ctrl-C or SIGTERM, which may have landed inside
        the kernel client's event loop, a polite shutdown could wait on that loop for ever."""
        if at_once:
            self.worker.kill()
        else:
            self.worker.close()


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[dict[str, str]]:
    """Ctrl-C and SIGTERM stop the preview: each raises in the main thread, as usual, and is also
    noted, so that one swallowed by a library on its way up still ends the loop at its next turn.
    Yields the note: ``{"by": "Ctrl-C" | "SIGTERM"}`` once a signal came."""
    stopped: dict[str, str] = {}
    if threading.current_thread() is not threading.main_thread():
        yield stopped
        return

    def on_signal(signum: int, _frame: object) -> None:
        if signum == signal.SIGTERM:
            stopped["by"] = "SIGTERM"
            signal.signal(signal.SIGTERM, signal.SIG_DFL)   # a second SIGTERM ends the process at once
            raise Terminated()
        stopped.setdefault("by", "Ctrl-C")
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stopped
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_preview(options: PreviewOptions, say: Callable[[str], None] = print,
                ready: Callable[[PreviewServer], None] | None = None) -> int:
    """Serve the pack on http://127.0.0.1:PORT until Ctrl-C or SIGTERM; 0 when stopped so.

    The port is taken first, so a busy one is said at once (:class:`PreviewError`, exit 2), before
    the seconds of a first build. ``ready`` is called with the server once it listens (tests)."""
    store = PageStore(message_page("Building the preview…", "The first build starts a kernel and takes a few "
                                                            "seconds; this page then shows the pack by itself."))
    server = PreviewServer(options.port, store)
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                               name="kamreports-preview-http", daemon=True)
    serving.start()
    with _stop_on_signals() as stopped:
        _serve(options, store, server, say, ready, stopped)
        serving.join(5)
    say(f"preview stopped ({stopped.get('by', 'Ctrl-C')})")
    return 0


def _serve(options: PreviewOptions, store: PageStore, server: PreviewServer, say: Callable[[str], None],
           ready: Callable[[PreviewServer], None] | None, stopped: dict[str, str]) -> None:
    """The preview's loop: the first build, the warm-up, then a refresh per batch of saves, until
    a signal is noted in ``stopped``."""
    session: PreviewSession | None = None
    watcher: Watcher | None = None
    try:
        session = PreviewSession(options, store, say)
        say(f"Preview of {session.label} at {server.url}  (Ctrl-C stops it)")
        if ready is not None:
            ready(server)
        watcher = Watcher(session.targets())
        for line in watcher.targets.describe():
            say(f"  watching {line}")
        session.refresh(None)
        pending = watcher.next(0)
        if pending is None and not stopped:   # nothing saved meanwhile: spend the reading time on the kernel
            session.warm_up()
        while not stopped:
            changes, pending = pending or watcher.next(0.25), None
            if changes is None:
                continue
            session.refresh(changes)
            targets = session.targets()
            if targets != watcher.targets:   # the settings now name another data or plans folder
                watcher.stop()
                watcher = Watcher(targets)
                for line in targets.describe():
                    say(f"  watching {line}")
    except KeyboardInterrupt as exc:
        stopped.setdefault("by", "SIGTERM" if isinstance(exc, Terminated) else "Ctrl-C")
    finally:
        if watcher is not None:
            watcher.stop()
        store.close()
        server.shutdown()
        server.server_close()
        if session is not None:
            session.close(at_once=bool(stopped))
