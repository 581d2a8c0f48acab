"""``kamreports preview``: one pack on loopback, made again on every save.

Fast tests first: the server refuses other Hosts, escapes what it shows, says a taken port in one
line, streams page changes; the watcher sees a saved plan and nothing else. Then the slow ones: a
failing cell is shown with its file, cell, line and message; and the preview in headless Debian
chromium (as tests/system/test_jupyterlab.py drives it), edited, broken, fixed and stopped, with no
process left behind.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from kamreports.errors import Problem
from kamreports.preview.server import (
    PageStore,
    PreviewError,
    PreviewServer,
    Shown,
    error_page,
    with_reload_script,
)
from kamreports.preview.watch import Targets, Watcher
from tests.conftest import ROOT

CHROMIUM = Path("/usr/lib/chromium/chromium")  # Debian's real binary; /usr/bin/chromium is a shell wrapper
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HOSTILE = "<script>document.title='pwned'</script>"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def server():
    store = PageStore("<!DOCTYPE html><html><body><p>first</p></body></html>")
    srv = PreviewServer(0, store)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        store.close()
        srv.shutdown()
        srv.server_close()
        thread.join(5)


def _get(srv: PreviewServer, path: str = "/", host: str | None = "default") -> tuple[int, dict, str]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_host=True)
        if host == "default":
            host = f"127.0.0.1:{srv.port}"
        if host is not None:
            conn.putheader("Host", host)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode("utf-8")
    finally:
        conn.close()


# ---------------------------------------------------------------- the server, fast

def test_listens_on_loopback_only(server):
    assert server.server_address[0] == "127.0.0.1"
    assert server.url == f"http://127.0.0.1:{server.port}"


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}"])
def test_the_loopback_hosts_get_the_page(server, host):
    status, headers, body = _get(server, host=host.format(port=server.port))
    assert status == 200, body
    assert "<p>first</p>" in body and headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("host", ["evil.example:{port}", "127.0.0.1:{other}", "127.0.0.1", "0.0.0.0:{port}",
                                  "192.168.1.5:{port}", "127.0.0.1.evil.example:{port}", "", None])
def test_any_other_host_is_refused_in_plain_text(server, host):
    shown = None if host is None else host.format(port=server.port, other=server.port + 1)
    for path in ("/", "/events"):
        status, headers, body = _get(server, path, host=shown)
        assert status == 403
        assert headers["Content-Type"].startswith("text/plain")
        assert "first" not in body and body.startswith("Forbidden")


def test_only_the_page_is_served(server):
    status, _headers, body = _get(server, "/../../etc/passwd")
    assert status == 404 and "root:" not in body


def test_error_text_is_escaped_and_only_the_reload_script_runs(server):
    problems = [Shown(f"plans/{HOSTILE}.yaml", "line 3", f"'format' is {HOSTILE}: this kamreports reads 1 and 2"),
                Shown.of(Problem("revenue.csv", "not a number", row=7, column="amount", value="<img src=x onerror=1>"))]
    server.store.publish(error_page("A plan file has problems", problems, "fix it"))
    status, headers, body = _get(server)
    assert status == 200
    assert HOSTILE not in body and "<img src=x" not in body
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in body
    assert "revenue.csv" in body and "line 7, column &#x27;amount&#x27;" in body
    scripts = re.findall(r"<script\b[^>]*>", body)
    assert len(scripts) == 1, scripts   # the reload script, and nothing from the message
    nonce = re.search(r'nonce="([^"]+)"', scripts[0]).group(1)
    policy = headers["Content-Security-Policy"]
    assert f"script-src 'nonce-{nonce}'" in policy and "default-src 'none'" in policy


def test_the_reload_script_goes_before_the_body_ends():
    page = with_reload_script("<html><body><p>x</p></body></html>", 7, "abc")
    assert page.index("var shown = 7") < page.index("</body>") and page.endswith("</body></html>")
    assert "var shown = 3" in with_reload_script("<p>fragment</p>", 3, "abc")


def test_the_event_stream_sends_each_new_page_number(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/events", headers={"Host": f"localhost:{server.port}"})
    response = conn.getresponse()
    assert response.status == 200 and response.getheader("Content-Type").startswith("text/event-stream")

    def next_event() -> dict:
        while True:
            line = response.fp.readline().decode()
            if line.startswith("data: "):
                return json.loads(line[len("data: "):])

    first = next_event()
    assert first == {"version": server.store.state()[0], "busy": False}
    server.store.set_busy(True)
    assert next_event() == {"version": first["version"], "busy": True}
    server.store.publish("<p>second</p>")
    assert next_event() == {"version": first["version"] + 1, "busy": False}
    conn.close()


def test_a_port_in_use_is_said_in_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PreviewError) as caught:
            PreviewServer(port, PageStore(""))
        assert str(caught.value) == f"port {port} is in use; choose another with --port"
        # and from the command line: exit 2, that line, before any build starts
        done = subprocess.run([sys.executable, "-m", "kamreports", "preview", "ACC-0002", "--port", str(port)],
                              capture_output=True, text=True, timeout=60, cwd=ROOT, check=False)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == [f"ERROR port {port} is in use; choose another with --port"], done.stderr
    assert "Traceback" not in done.stderr and "Preview of" not in done.stdout


# ---------------------------------------------------------------- what is watched, fast

def test_targets_sort_each_saved_file(tmp_path):
    plans, data, notebooks = tmp_path / "plans", tmp_path / "data", tmp_path / "notebooks"
    for folder in (plans, data, notebooks):
        folder.mkdir()
    settings = tmp_path / "settings.yaml"
    targets = Targets(settings=settings, data=data, plans=plans, plan_names=frozenset({"ACC-0002.yaml"}),
                      notebook=notebooks / "account_plan.ipynb")
    assert targets.folders == {tmp_path.resolve(), plans.resolve(), data.resolve(), notebooks.resolve()}
    r = tmp_path.resolve()
    assert targets.kind(r / "settings.yaml") == "settings"
    assert targets.kind(r / "plans" / "ACC-0002.yaml") == "plans"
    assert targets.kind(r / "plans" / "ACC-0003.yaml") is None          # another account's plan
    assert targets.kind(r / "plans" / ".ACC-0002.yaml.swp") is None     # an editor's swap file
    assert targets.kind(r / "plans" / "ACC-0002.yaml~") is None
    assert targets.kind(r / "data" / "revenue.csv") == "data"
    assert targets.kind(r / "data" / "notes.txt") is None
    assert targets.kind(r / "notebooks" / "account_plan.ipynb") == "notebook"
    assert targets.kind(r / "notebooks" / "portfolio_review.ipynb") is None
    assert targets.kind(r / "other.yaml") is None
    every = Targets(plans=plans)   # the portfolio's pack: every plan
    assert every.kind(r / "plans" / "ACC-0003.yaml") == "plans"


def test_the_watcher_sees_a_saved_plan_and_nothing_else(tmp_path):
    plans = tmp_path / "plans"
    plans.mkdir()
    watcher = Watcher(Targets(plans=plans, plan_names=frozenset({"ACC-0002.yaml"})))
    try:
        time.sleep(0.3)   # the watch is set up in its thread
        (plans / "ACC-0003.yaml").write_text("other: account\n")
        (plans / "notes.txt").write_text("not a plan\n")
        assert watcher.next(1.0) is None
        (plans / "ACC-0002.yaml").write_text("format: 2\n")
        changed = watcher.next(5.0)
        assert changed == {"plans": {(plans / "ACC-0002.yaml").resolve()}}
    finally:
        watcher.stop()
    assert not watcher._thread.is_alive()


def test_a_failing_cell_is_named_as_the_notebook_counts_it(tmp_path):
    from kamreports.pipeline.execute import failed_cell

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("x = 1"),
                nbformat.v4.new_code_cell("y = 2\nz = 1 / 0")]
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)

    class Failure:
        exec_count, source = 57, "y = 2\nz = 1 / 0"   # a warm kernel's count names no cell
        traceback = ["\x1b[0;31mZeroDivisionError\x1b[0m", "Cell \x1b[0;32mIn[57], line 2\x1b[0m", "----> 2 z = 1/0"]

    assert failed_cell(path, Failure()) == "cell 3, line 2"
    Failure.source = "not in the notebook"
    assert failed_cell(path, Failure()) == "cell 57, line 2"


def test_an_unknown_account_is_said_on_the_page_without_starting_a_kernel(tmp_path):
    from kamreports.preview.session import PreviewOptions, PreviewSession

    store = PageStore("")
    said: list[str] = []
    session = PreviewSession(PreviewOptions("ACC-9999", output=tmp_path / "out"), store, said.append)
    try:
        assert session.refresh(None) is False
    finally:
        session.close()
    _version, page = store.current()
    assert "kamreports preview ACC-9999" in page and "no such account" in page and "&#x27;ACC-9999&#x27;" in page
    assert session.worker._kernel is None   # nothing was run
    assert any("the page shows the problems" in line for line in said), said


# ---------------------------------------------------------------- a company project on disk

def _sample_project(folder: Path) -> Path:
    """``kamreports sample --out`` (tables and plans/), with a settings file that names both."""
    from kamreports.cli import main

    assert main(["sample", "--out", str(folder)]) == 0
    settings = folder / "settings.yaml"
    settings.write_text("data: .\naccounts_dir: plans\n", encoding="utf-8")
    return settings


def _edit_strength(plan: Path, text: str, base: str) -> None:
    """Write ``base`` (the plan as generated) with its first SWOT strength replaced by ``text``: a
    line the account page shows as it is written."""
    lines = base.splitlines()
    at = lines.index("  strengths:") + 1
    assert lines[at].startswith("  - ")
    lines[at] = f"  - {json.dumps(text)}"   # quoted: a ": " in the text must not make a mapping
    plan.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.slow
def test_a_failing_cell_shows_on_the_page_and_the_fix_brings_the_pack_back(tmp_path):
    from kamreports.preview.session import PreviewOptions, PreviewSession

    settings = _sample_project(tmp_path / "company")
    notebooks = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    notebook = notebooks / "account_plan.ipynb"
    good = notebook.read_text(encoding="utf-8")
    store = PageStore("")
    said: list[str] = []
    session = PreviewSession(PreviewOptions("ACC-0002", config=settings, notebooks=notebooks,
                                            output=tmp_path / "out"), store, said.append)
    try:
        nb = nbformat.reads(good, as_version=4)
        index = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "swot_grid" in c.source)
        nb.cells[index].source = f"shown = 1\nraise ValueError({HOSTILE!r})"
        nbformat.write(nb, notebook)
        assert session.refresh(None) is False
        _version, page = store.current()
        assert str(notebook) in page
        assert f"cell {index + 1}, line 2" in page
        assert "ValueError: &lt;script&gt;" in page and HOSTILE not in page
        assert "Traceback" not in page and "ipython-input" not in page
        assert any(f"cell {index + 1}, line 2" in line for line in said), said

        notebook.write_text(good, encoding="utf-8")
        assert session.refresh({"notebook": {notebook}}) is True
        _version, page = store.current()
        assert "Solstice" in page or "ACC-0002" in page
        assert "The notebook failed" not in page and "kam-doc" in page
        html = next((tmp_path / "out" / "preview").rglob("account_plan.html"))
        assert html.read_text(encoding="utf-8") == page   # what is served is the pack's own HTML
        assert not list((tmp_path / "out" / "preview").rglob("*.pdf"))   # no --pdf, no PDF
    finally:
        session.close()


@pytest.mark.slow
def test_the_preview_shows_exactly_the_built_pack(sample_build, tmp_path):
    """The same inputs and records folder: the preview's page is the build's HTML, byte for byte."""
    from kamreports.preview.session import PreviewOptions, PreviewSession

    output = tmp_path / "out"
    shutil.copytree(sample_build.parent, output)   # the shared build stays untouched
    built = next((output / "2026Q3" / "accounts").glob("acc-0002-*")) / "account_plan.html"
    store = PageStore("")
    session = PreviewSession(PreviewOptions("ACC-0002", output=output), store, lambda _line: None)
    try:
        assert session.refresh(None) is True
    finally:
        session.close()
    _version, page = store.current()
    assert page == built.read_text(encoding="utf-8")


# ---------------------------------------------------------------- the preview in chromium

def _require_browser() -> None:
    import importlib.util

    if importlib.util.find_spec("playwright") is None or importlib.util.find_spec("psutil") is None:
        pytest.fail("playwright and psutil come with the dev extra: .venv/bin/pip install -e '.[dev]'", pytrace=False)
    if not CHROMIUM.exists():
        pytest.fail(f"Debian's chromium is missing ({CHROMIUM}): apt-get install chromium", pytrace=False)


class PreviewProcess:
    """``kamreports preview`` as an analyst starts it, its output read line by line, its process tree
    remembered so that :meth:`stop` can prove every process is gone."""

    def __init__(self, args: list[str], cwd: Path):
        import psutil

        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen([sys.executable, "-m", "kamreports", "preview", *args], cwd=cwd, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        start_new_session=True)
        self.ps = psutil.Process(self.process.pid)
        self.seen = {self.process.pid: self.ps}
        self.commands: dict[int, str] = {}
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines[-40:])

    def wait_for_line(self, pattern: str, timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                match = re.search(pattern, line)
                if match:
                    return match
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        pytest.fail(f"no line matching {pattern!r} within {timeout} s:\n{self.output()}", pytrace=False)

    def tree(self) -> None:
        import psutil

        try:
            for child in self.ps.children(recursive=True):
                self.seen.setdefault(child.pid, child)
                self.commands.setdefault(child.pid, " ".join(child.cmdline()))
        except psutil.Error:
            pass

    def stop(self, sig: int = signal.SIGINT) -> tuple[int | None, list[str]]:
        """Stop as Ctrl-C does; the exit code and the processes still alive 15 s later."""
        import psutil

        self.tree()
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            code = None
        _gone, alive = psutil.wait_procs(list(self.seen.values()), timeout=15)
        survivors = []
        for p in alive:
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    survivors.append(f"{p.pid} {' '.join(p.cmdline()[:4])}")
                    p.kill()
            except psutil.NoSuchProcess:
                pass
        if code is None:
            self.process.kill()
            self.process.wait(10)
        self._reader.join(5)
        return code, survivors


PAGE_TEXT_JS = "(text) => document.body && document.body.innerText.includes(text)"


@pytest.mark.slow
def test_sigterm_in_the_middle_of_a_build_stops_the_kernel_too(tmp_path):
    import psutil

    preview = PreviewProcess(["ACC-0002", "--port", "0", "--output", str(tmp_path / "out")], cwd=tmp_path)
    try:
        preview.wait_for_line(r"at http://127\.0\.0\.1:\d+", 60)
        deadline = time.monotonic() + 120
        while not any("ipykernel" in c for c in preview.commands.values()):   # the first build's kernel
            assert time.monotonic() < deadline and preview.process.poll() is None, preview.output()
            preview.tree()
            time.sleep(0.1)
    finally:
        code, survivors = preview.stop(signal.SIGTERM)
    assert code == 0, preview.output()
    assert survivors == [], survivors
    assert "preview stopped (SIGTERM)" in preview.output()
    assert not [p for p in psutil.Process().children(recursive=True) if "ipykernel" in " ".join(p.cmdline())]


@pytest.mark.slow
def test_preview_in_chromium_follows_saves_shows_errors_and_stops_cleanly(tmp_path):
    _require_browser()
    import psutil
    from playwright.sync_api import sync_playwright

    settings = _sample_project(tmp_path / "company")
    plan = tmp_path / "company" / "plans" / "ACC-0002.yaml"
    good = plan.read_text(encoding="utf-8")
    port = _free_port()
    preview = PreviewProcess(["ACC-0002", "--config", str(settings), "--port", str(port),
                              "--output", str(tmp_path / "out")], cwd=tmp_path)
    me = psutil.Process()
    try:
        url = preview.wait_for_line(r"at (http://127\.0\.0\.1:\d+)", 60).group(1)
        assert url == f"http://127.0.0.1:{port}"
        preview.wait_for_line(r"first build: page updated", 120)
        preview.tree()   # the kernel, while it runs
        before = {p.pid for p in me.children(recursive=True)}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROME_FLAGS)
            try:
                page = browser.new_page()
                page.set_default_timeout(30_000)
                page.goto(url)
                page.wait_for_selector(".kpi-strip")
                title = page.title()
                assert "Account plan" in title

                # a plan saved: the open page shows the new text by itself
                _edit_strength(plan, "Previewed strength: their CFO sponsors the rollout.", good)
                page.wait_for_function(PAGE_TEXT_JS, arg="Previewed strength: their CFO sponsors the rollout.")

                # broken YAML: the page says which file, which line and what is wrong
                plan.write_text(good.replace("swot:\n", "swot: [unclosed\n", 1), encoding="utf-8")
                page.wait_for_function(PAGE_TEXT_JS, arg="is not valid YAML")
                text = page.inner_text("body")
                assert str(plan) in text and re.search(r"line \d+", text), text
                assert "Traceback" not in text

                # a value that is markup: shown as text, never run
                plan.write_text(f"format: \"{HOSTILE}\"\naccount_id: ACC-0002\n", encoding="utf-8")
                page.wait_for_function(PAGE_TEXT_JS, arg=HOSTILE)
                assert page.title() != "pwned"
                assert page.evaluate("() => document.querySelectorAll('ul.problems script').length") == 0

                # fixed: the pack comes back, with the fix in it
                _edit_strength(plan, "Fixed strength: the pack is back.", good)
                page.wait_for_function(PAGE_TEXT_JS, arg="Fixed strength: the pack is back.")
                page.wait_for_selector(".kpi-strip")
                assert page.title() == title
            finally:
                browser.close()
        assert not ({p.pid for p in me.children(recursive=True)} - before), "the browser left a process"
    finally:
        code, survivors = preview.stop(signal.SIGINT)
    assert code == 0, preview.output()
    assert survivors == [], survivors
    assert any("ipykernel" in command for command in preview.commands.values()), preview.commands
    assert "preview stopped" in preview.output()
    with socket.socket() as probe:   # nothing listens on the port any more (TIME_WAIT aside, as a restart sees it)
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
        probe.listen()

