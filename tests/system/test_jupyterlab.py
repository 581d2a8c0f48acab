"""The notebooks in the real JupyterLab: run all cells, and the pack's components come out styled.

JupyterLab runs from its own environment, ``.venv-lab/`` (``./quickstart test`` creates it; so does
``./quickstart lab``), never from ``.venv``: the runtime install must stay free of it (through
jupyter-events it makes every ``import papermill`` a second slower). The server and the notebook's
kernel are that environment's python, with this checkout installed editable; this process only
starts the server and drives Debian's chromium with Playwright (the ``dev`` extra).

The fast tests at the top check the component sheet that ``kamreports.present.use_pack_styles()``
shows in a notebook: only rules that start at the pack's own classes, so JupyterLab's interface
is left alone.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from unittest import mock

import nbformat
import pytest

from tests.conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"
COMPONENTS_CSS = ROOT / "kamreports" / "templates" / "components.css"
LAB_ENV = ROOT / ".venv-lab"
LAB_PYTHON = LAB_ENV / "bin" / "python"
MAKE_LAB_ENV = ("./quickstart lab-env   (./quickstart test does it too; by hand: "
                "python3 -m venv .venv-lab && .venv-lab/bin/python -m pip install -e '.[lab]')")
CHROMIUM = Path("/usr/lib/chromium/chromium")  # Debian's real binary; /usr/bin/chromium is a shell wrapper
# Playwright starts chromium with a fresh temporary profile of its own (it refuses --user-data-dir here)
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]

#: The classes kamreports.present emits (and the pack documents for notebook authors).
COMPONENT_CLASSES = {"kpi-strip", "kpi", "kpi-label", "kpi-value", "kpi-note", "swot", "swot-cell",
                     "strengths", "weaknesses", "opportunities", "threats", "kam", "callout", "chart", "muted",
                     "small", "compact", "not-filled", "band", "onepager", "op-columns", "facts", "methods"}

NOTEBOOK = "account_plan.ipynb"
START_TIMEOUT = 90        # s, server up / notebook open on a busy 2-core machine
RUN_TIMEOUT = 300         # s, "Run All Cells" until the last cell is done (about 10 s seen here, idle)


# ---------------------------------------------------------------- the component sheet, fast

def _without_comments(css: str) -> str:
    return re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)


def _rules(css: str) -> list[tuple[str, str]]:
    """(selector list, declarations) of every rule."""
    return [(sel.strip(), body.strip()) for sel, body in re.findall(r"([^{}]+)\{([^{}]*)\}", _without_comments(css))]


def test_the_listed_classes_are_written_by_the_present_package():
    # The list below is only a guard if every name on it is one the pages really use.
    source = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "kamreports" / "present").glob("*.py"))
    unused = sorted(c for c in COMPONENT_CLASSES if not re.search(rf"[\"' ]{re.escape(c)}[\"' ]", source))
    assert not unused, unused


def test_component_sheet_only_reaches_the_packs_own_classes():
    css = COMPONENTS_CSS.read_text(encoding="utf-8")
    rules = _rules(css)
    assert len(rules) > 30
    assert "@" not in _without_comments(css), "no @page/@media/@import here: those belong to print.css"
    for selectors, body in rules:
        for selector in selectors.split(","):
            selector = selector.strip()
            if selector == ":where(:root)":  # the colour variables: custom properties only
                names = [d.split(":")[0].strip() for d in body.split(";") if d.strip()]
                assert names and all(n.startswith("--kam-") for n in names), body
                continue
            first = re.split(r"[\s>+~]+", selector)[0]
            classes = set(re.findall(r"\.([\w-]+)", first.split(":not(")[0]))
            assert classes & COMPONENT_CLASSES, f"{selector!r} does not start at one of the pack's classes"


def test_use_pack_styles_shows_the_component_sheet_only():
    from kamreports import present

    module = present.use_pack_styles.__module__
    with mock.patch(f"{module}.display") as display:
        present.use_pack_styles()
    html = display.call_args.args[0].data
    assert html.startswith("<style") and html.endswith("</style>")
    assert COMPONENTS_CSS.read_text(encoding="utf-8") in html
    rules = _without_comments(html)
    for document_rule in ("@page", "@media", "html {", "body {", "\nh2 {", "\ntable {", "\nth, td {"):
        assert document_rule not in rules


def test_packs_carry_the_component_sheet_then_the_print_sheet():
    from kamreports.pipeline import document

    css = document._base_css()
    components = COMPONENTS_CSS.read_text(encoding="utf-8")
    printed = (ROOT / "kamreports" / "templates" / "print.css").read_text(encoding="utf-8")
    assert css.index(components) < css.index(printed)


# ---------------------------------------------------------------- JupyterLab itself, slow

def _require_lab_environment() -> None:
    """Fail, loudly and with the command to run, when something the test needs is missing: in CI it must run."""
    import importlib.util

    if importlib.util.find_spec("playwright") is None or importlib.util.find_spec("psutil") is None:
        pytest.fail("playwright and psutil come with the dev extra: .venv/bin/pip install -e '.[dev]'", pytrace=False)
    if not LAB_PYTHON.exists():
        pytest.fail(f"JupyterLab's own environment {LAB_ENV} is missing. Create it: {MAKE_LAB_ENV}", pytrace=False)
    probe = subprocess.run(
        [str(LAB_PYTHON), "-c", ("import importlib.util as u; print(u.find_spec('jupyterlab') is not None, "
                                 "getattr(u.find_spec('kamreports'), 'origin', None))")],
        capture_output=True, text=True, timeout=60, check=False)
    has_lab, origin = (probe.stdout.split(" ", 1) + ["", ""])[:2]
    if has_lab != "True" or not origin.strip().startswith(str(ROOT / "kamreports")):
        pytest.fail(f"{LAB_ENV} lacks JupyterLab or this checkout's kamreports (found {origin.strip()!r}). "
                    f"Repair it: {MAKE_LAB_ENV}", pytrace=False)
    if not CHROMIUM.exists():
        pytest.fail(f"Debian's chromium is missing ({CHROMIUM}): apt-get install chromium "
                    "(./quickstart test does it as root)", pytrace=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """``jupyter lab`` from .venv-lab on 127.0.0.1, a token, no browser, its own config/data/settings dirs."""

    def __init__(self, work: Path, root: Path) -> None:
        import psutil

        self.root = root
        self.port, self.token = _free_port(), secrets.token_hex(24)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = work / "jupyterlab.log"
        # JupyterLab's per-user state in the test's own folders: no analyst's layout, settings or kernels
        # leak in, and the news/update checks (which would reach for the internet) are off.
        settings = work / "lab-settings"
        (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
        (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "JUPYTER_PATH")}
        env.update(JUPYTER_CONFIG_DIR=str(work / "jupyter-config"), JUPYTER_DATA_DIR=str(work / "jupyter-data"),
                   JUPYTER_RUNTIME_DIR=str(work / "jupyter-runtime"), JUPYTER_PREFER_ENV_PATH="1",
                   JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTERLAB_WORKSPACES_DIR=str(work / "lab-workspaces"))
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [str(LAB_PYTHON), "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
             "--port-retries=0", f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={root}",
             "--LabApp.extension_manager=readonly", "--allow-root"],
            cwd=work, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        self.ps = psutil.Process(self.process.pid)
        self.seen: dict[int, psutil.Process] = {self.process.pid: self.ps}  # the tree, for the stray check
        self.stopped = False

    def api(self, path: str, method: str = "GET") -> object:
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"jupyter lab exited with {self.process.returncode}:\n{self.log()}", pytrace=False)
            try:
                self.api("/api/status")
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        pytest.fail(f"jupyter lab did not answer within {START_TIMEOUT} s:\n{self.log()}", pytrace=False)

    def wait_for_kernel(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            kernels = self.api("/api/kernels")
            if kernels and all(k["execution_state"] == "idle" and k["connections"] >= 1 for k in kernels):
                return
            time.sleep(0.2)
        pytest.fail(f"no kernel ready within {START_TIMEOUT} s:\n{self.log()}", pytrace=False)

    def tree(self) -> list:
        """The server and everything under it (kernels), remembered so stop() can prove all are gone."""
        import psutil

        try:
            for child in self.ps.children(recursive=True):
                self.seen.setdefault(child.pid, child)
        except psutil.NoSuchProcess:
            pass
        return list(self.seen.values())

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> list[str]:
        """Shut down as an analyst's Ctrl-C would (kernels first), through the API; returns what survived."""
        import psutil

        if self.stopped:
            return []
        self.stopped = True
        procs = self.tree()
        try:
            self.api("/api/shutdown", method="POST")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        _gone, alive = psutil.wait_procs(procs, timeout=15)
        survivors = [f"{p.pid} {' '.join(p.cmdline()[:4])}" for p in alive if _alive(p)]
        if survivors:  # clean up anyway, then report
            for p in alive:
                with _suppress_gone():
                    p.kill()
            self.process.wait(timeout=10)
        self._log.close()
        return survivors


def _alive(p) -> bool:
    import psutil

    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _suppress_gone():
    import contextlib

    import psutil

    return contextlib.suppress(psutil.NoSuchProcess)


@pytest.fixture()
def lab(tmp_path):
    _require_lab_environment()
    root = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))  # as committed
    server = LabServer(tmp_path, root)
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()  # the test stops it itself and checks; this is for the failure path


# Computed styles read in the page. JupyterLab's own markdown heading is the witness that nothing
# leaks: the print sheet (h1 border, 20pt, page breaks) would restyle it.
WITNESS_JS = """() => {
  const pick = (el, props) => { if (!el) return null; const cs = getComputedStyle(el);
    return Object.fromEntries(props.map(p => [p, cs.getPropertyValue(p)])); };
  return {
    heading: pick(document.querySelector('.jp-MarkdownCell .jp-RenderedMarkdown :is(h1, h2)'),
             ['font-size', 'color', 'border-bottom-width', 'margin-top', 'margin-bottom', 'font-family']),
    body: pick(document.body, ['font-size', 'font-family', 'background-color', 'margin-top', 'color']),
    menubar: pick(document.querySelector('#jp-menu-panel, .lm-MenuBar'), ['height', 'font-size']),
  };
}"""

STYLES_JS = """() => {
  const cs = (el) => getComputedStyle(el);
  const strip = document.querySelector('.kpi-strip');
  const tiles = Array.from(strip.querySelectorAll('.kpi'));
  const swotCells = Array.from(document.querySelectorAll('.swot .swot-cell'));
  const tables = Array.from(document.querySelectorAll('table.kam'));
  const table = tables.find(t => t.querySelector('tbody td.num') && t.querySelector('tbody td:not(.num)'));
  return {
    styleTags: document.querySelectorAll('style.kamreports-pack-styles').length,
    stripDisplay: cs(strip).display,
    tiles: tiles.length,
    tileBackground: cs(tiles[0]).backgroundColor,
    tileBorderTop: cs(tiles[0]).borderTopColor,
    tileTops: tiles.slice(0, 3).map(t => Math.round(t.getBoundingClientRect().top)),
    tileLefts: tiles.slice(0, 3).map(t => Math.round(t.getBoundingClientRect().left)),
    valueWeight: cs(strip.querySelector('.kpi-value')).fontWeight,
    swotDisplay: swotCells.length ? cs(swotCells[0].parentElement).display : null,
    swotColumns: new Set(swotCells.map(c => Math.round(c.getBoundingClientRect().left))).size,
    kamTables: tables.length,
    nameAlign: table ? cs(table.querySelector('tbody td:not(.num)')).textAlign : null,
    nameText: table ? table.querySelector('tbody td:not(.num)').textContent : null,
    numberAlign: table ? cs(table.querySelector('tbody td.num')).textAlign : null,
    headBackground: table ? cs(table.querySelector('thead th')).backgroundColor : null,
  };
}"""

# Before the kernel is ready the status bar reads "Initializing", "Connecting", "Unknown"; a Run All
# clicked then is dropped, so wait for "Idle" in the status bar itself.
KERNEL_IDLE_JS = """() => /\\| Idle/.test((document.querySelector('#jp-main-statusbar') || {}).textContent || '')"""

STARTED_JS = """() => Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt'))
  .some(p => /^\\[(\\*|\\d+)\\]:$/.test(p.textContent.trim()))"""

DONE_JS = """() => {
  const prompts = Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')).map(p => p.textContent.trim());
  const indicator = document.querySelector('.jp-Notebook-ExecutionIndicator');
  return prompts.length > 0 && prompts.every(p => /^\\[\\d+\\]:$/.test(p))
    && (!indicator || indicator.dataset.status === 'idle')
    && document.querySelector('.kpi-strip') !== null;
}"""

ERRORS_JS = """() => Array.from(document.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
  .map(o => o.textContent).filter(t => /Traceback|Error/.test(t)).map(t => t.slice(0, 500))"""


@pytest.mark.slow
def test_run_all_cells_in_jupyterlab_shows_the_pack_styles(lab, tmp_path):
    import psutil
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    shot = tmp_path / "jupyterlab_account_plan.png"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROME_FLAGS)
        browser_tree = [p for p in me.children(recursive=True) if p.pid not in before]  # driver and chromium
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(START_TIMEOUT * 1000)
            page.goto(f"{lab.url}/lab/tree/{NOTEBOOK}?token={lab.token}")
            page.wait_for_selector(".jp-Notebook .jp-CodeCell")
            lab.wait_for_kernel()  # started, and the page's websocket connected to it
            page.wait_for_function(KERNEL_IDLE_JS, polling=200)  # and the page has heard it is idle
            witness_before = page.evaluate(WITNESS_JS)

            # Run > Run All Cells, from the menu, as an analyst would
            page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-item:not(.lm-mod-hidden)", has_text="Run All Cells").first.click()
            for what, script, seconds in (("start", STARTED_JS, 60), ("finish", DONE_JS, RUN_TIMEOUT)):
                try:
                    page.wait_for_function(script, timeout=seconds * 1000, polling=300)
                except PlaywrightTimeout:
                    page.screenshot(path=str(shot))
                    raise AssertionError(f"Run All Cells did not {what} within {seconds} s; screenshot {shot}; "
                                         f"server log:\n{lab.log()}") from None
            lab.tree()  # remember the kernel while it runs

            errors = page.evaluate(ERRORS_JS)
            styles = page.evaluate(STYLES_JS)
            witness_after = page.evaluate(WITNESS_JS)
            page.evaluate("() => document.querySelector('.kpi-strip').closest('.jp-Cell')"
                          ".scrollIntoView({block: 'start'})")
            page.wait_for_timeout(1500)  # let the notebook paint the cells scrolled to
            page.screenshot(path=str(shot))

            # File > Save Notebook, so the outputs can be read back exactly as JupyterLab holds them
            page.locator(".lm-MenuBar-item", has_text=re.compile(r"^File$")).click()
            page.locator(".lm-Menu-item:not(.lm-mod-hidden)", has_text="Save Notebook").first.click()
            saved = _saved_notebook(lab, deadline=time.monotonic() + 30)  # before the browser goes
        finally:
            browser.close()
    run_seconds = time.monotonic() - started

    # the kernel was .venv-lab's python, under the server
    kernels = [p for p in lab.tree() if any("ipykernel" in part for part in _cmdline(p))]
    assert kernels, "no kernel process under the server"
    assert all(_cmdline(k)[0] == str(LAB_PYTHON) for k in kernels), [_cmdline(k)[:3] for k in kernels]

    assert errors == [], "cells show errors:\n" + "\n---\n".join(errors)
    assert styles["styleTags"] >= 1, "no pack styles on the page: does the notebook call kp.use_pack_styles()?"
    # the KPI strip is a row of tiles, not a list of lines
    assert styles["stripDisplay"] in ("flex", "grid"), styles
    assert styles["tiles"] >= 3
    assert len(set(styles["tileTops"])) == 1 and styles["tileLefts"] == sorted(set(styles["tileLefts"])), styles
    assert styles["tileBackground"] == "rgb(244, 246, 249)", styles  # --kam-tile
    assert styles["tileBorderTop"] == "rgb(224, 122, 31)", styles    # --kam-accent
    assert styles["valueWeight"] in ("700", "bold"), styles
    # the SWOT is a 2x2 grid, not stacked headings
    assert styles["swotDisplay"] == "grid" and styles["swotColumns"] == 2, styles
    # tables: names left (JupyterLab right-aligns every cell), numbers right, the pack's header
    assert styles["kamTables"] >= 1, styles
    assert styles["nameAlign"] == "left" and styles["numberAlign"] == "right", styles
    assert styles["headBackground"] == "rgb(31, 59, 92)", styles  # --kam-primary
    # and nothing of JupyterLab's own page changed (the print sheet would restyle its headings)
    assert witness_before["heading"], "no markdown heading to watch"
    assert witness_after == witness_before, \
        f"the pack styles changed JupyterLab's page: {witness_before} -> {witness_after}"

    # no error in any output, as saved by JupyterLab; every code cell ran
    code = [c for c in saved.cells if c.cell_type == "code"]
    assert code and all(c.execution_count for c in code)
    failed = [c.source.splitlines()[0] for c in code if any(o.output_type == "error" for o in c.outputs)]
    assert failed == [], f"cells with an error output: {failed}"

    # stopped cleanly: the server's tree and the browser are gone
    survivors = lab.stop()
    assert survivors == [], f"processes left behind by jupyter lab: {survivors}"
    assert lab.process.returncode == 0, f"jupyter lab exited with {lab.process.returncode}:\n{lab.log()}"
    assert len(lab.seen) >= 2  # the server and at least its kernel were watched
    _gone, alive = psutil.wait_procs(browser_tree, timeout=15)
    assert browser_tree and [p for p in alive if _alive(p)] == [], f"browser processes left behind: {alive}"
    print(f"\nJupyterLab run: {run_seconds:.1f} s (screenshot {shot})")


def _cmdline(p) -> list[str]:
    import psutil

    try:
        return p.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return [""]


def _saved_notebook(lab: LabServer, deadline: float) -> nbformat.NotebookNode:
    """The notebook as JupyterLab saved it (File > Save), once the save is over and its outputs are on disk.

    Read from the disk, not through the server's contents API: jupyter_server saves by copying the old
    file to ``.~account_plan.ipynb`` and writing the new one in place, and a read through the API that
    meets the half-written file "repairs" it (moves it aside and puts the old copy back), which broke
    the save itself (seen in CI: the file then stayed missing, HTTP 404). A file read is never repaired:
    the save is over when the intermediate copy is gone and the file reads as whole JSON with outputs."""
    path, intermediate = lab.root / NOTEBOOK, lab.root / f".~{NOTEBOOK}"
    last = "not read yet"
    while True:
        try:
            if intermediate.exists():
                last = "the save was still under way"
            else:
                nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
                if any(c.get("outputs") for c in nb.cells if c.cell_type == "code"):
                    return nb
                last = "saved without outputs"
        except (OSError, ValueError) as exc:   # absent between renames, or not whole JSON yet
            last = f"{type(exc).__name__}: {exc}"
        if time.monotonic() > deadline:
            pytest.fail(f"JupyterLab did not save {NOTEBOOK} with its outputs (last look: {last})", pytrace=False)
        time.sleep(0.5)
