"""Real-world faults on real builds: a pack that takes too long to render, a name of 10,000 characters,
a pack (or every pack) failing after a good build, SIGTERM, a full or read-only disk.

What each promises is in docs/reliability.md: a failed build never costs the previous good output,
nothing is left running, and the user sees one clear line, never a traceback.
"""
from __future__ import annotations

import contextlib
import errno
import io
import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import nbformat
import psutil
import pytest

from kamreports.cli import main
from kamreports.data import sample_dataset, write_folder
from kamreports.pipeline.deadline import RenderTimeout, deadline
from kamreports.pipeline.state import BuildLock
from tests.conftest import ROOT, tree_digest
from tests.pipeline.test_reliability import custom_notebooks, manifest, packs

TWO = "ACC-0005,ACC-0147"


# --- the time limit itself ----------------------------------------------------------------------

def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sum(range(1000))


def test_a_deadline_stops_python_code_in_the_main_thread():
    started = time.monotonic()
    with pytest.raises(RenderTimeout), deadline(0.3):
        _spin(30)
    assert time.monotonic() - started < 5
    with deadline(5):   # a block that ends in time: no exception later, the alarm is off
        _spin(0.05)
    _spin(0.3)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_deadline_stops_python_code_in_another_thread_as_on_a_dask_worker():
    outcome: list[str] = []

    def work() -> None:
        started = time.monotonic()
        try:
            with deadline(0.3):
                _spin(30)
            outcome.append("not stopped")
        except RenderTimeout:
            outcome.append(f"stopped after {time.monotonic() - started:.1f}")
        with deadline(5):
            _spin(0.05)
        _spin(0.3)   # nothing pending fires after the block
        outcome.append("clean")

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(60)
    assert outcome[0].startswith("stopped after 0.") and outcome[1:] == ["clean"]


# --- rendering: a time limit, and long names --------------------------------------------------

SLOW_TABLE = ('if account_id == "ACC-0147":\n'
              '    from IPython.display import HTML, display\n'
              '    display(HTML("<table>" + "".join(f"<tr><td>{i}</td><td>row {i}</td><td>{i * 7}</td></tr>" '
              'for i in range(20000)) + "</table>"))')


@pytest.mark.slow
def test_a_pack_that_renders_too_long_fails_cleanly_naming_the_limit_and_the_others_are_built(tmp_path, capsys):
    nbs = custom_notebooks(tmp_path / "nbs", SLOW_TABLE)
    out = tmp_path / "out"
    started = time.monotonic()
    code = main(["build", "--accounts", TWO, "--output", str(out), "--notebooks", str(nbs), "--workers", "1",
                 "--no-book", "--quiet", "--render-timeout", "20"])
    took = time.monotonic() - started
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    result = packs(out / "2026Q3")
    assert result["ACC-0147"]["status"] == "failed"
    assert result["ACC-0147"]["error"] == ("rendering took longer than 20 s, the limit on rendering one pack; "
                                           "raise it with --render-timeout SECONDS if the pack is just large")
    assert result["ACC-0005"]["status"] == result["portfolio"]["status"] == "built"
    assert took < 300, took   # the table alone takes minutes to lay out


@pytest.fixture(scope="module")
def long_name_build(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("long-name")
    data = sample_dataset()
    name = ("Very Long Holdings " * 600)[:10_000]
    data.accounts.loc[data.accounts["account_id"] == "ACC-0005", "name"] = name
    folder = write_folder(data, root / "data")
    out = root / "out"
    started = time.monotonic()
    code = main(["build", "--data", str(folder), "--accounts", "ACC-0005", "--output", str(out), "--workers", "1",
                 "--quiet"])
    return {"code": code, "out": out / "2026Q3", "name": name, "seconds": time.monotonic() - started}


@pytest.mark.slow
def test_a_ten_thousand_character_name_builds_in_seconds(long_name_build):
    assert long_name_build["code"] == 0
    pack = packs(long_name_build["out"])["ACC-0005"]
    assert pack["status"] == "built" and pack["name"] == long_name_build["name"]   # the data keeps it whole
    assert pack["render_seconds"] < 60, pack["render_seconds"]   # over 300 s before names were shortened


@pytest.mark.slow
def test_a_long_name_is_shortened_in_titles_and_headers_and_kept_whole_in_the_index_tooltip(long_name_build):
    import html as html_lib

    from kamreports.formatting import display_name

    out, name = long_name_build["out"], long_name_build["name"]
    shown = display_name(name)
    assert len(shown) <= 80 and shown.endswith("…")
    pack = packs(out)["ACC-0005"]
    page = (out / pack["files"][1]).read_text(encoding="utf-8")
    assert f"<title>{html_lib.escape(shown)} — Account plan 2026Q3</title>" in page
    assert f'content: "{shown} · 2026Q3 · ' in page          # the running header on every page
    index = (out / "index.html").read_text(encoding="utf-8")
    assert f'title="{html_lib.escape(name)}">{html_lib.escape(shown)}</td>' in index


# --- a failed build never costs the previous good output ----------------------------------------

FAIL_ONE = 'if account_id == "ACC-0147":\n    raise RuntimeError("corrupt data for this account")'


@pytest.mark.slow
def test_a_pack_that_fails_keeps_its_previous_pdf_marked_stale(tmp_path, capsys):
    out = tmp_path / "out"
    good = custom_notebooks(tmp_path / "good", "pass")
    assert main(["build", "--accounts", TWO, "--output", str(out), "--notebooks", str(good), "--quiet"]) == 0
    before = packs(out / "2026Q3")["ACC-0147"]
    created = manifest(out / "2026Q3")["created"]
    pdf = (out / "2026Q3" / before["files"][2]).read_bytes()
    capsys.readouterr()

    broken = custom_notebooks(tmp_path / "broken", FAIL_ONE)
    assert main(["build", "--accounts", TWO, "--output", str(out), "--notebooks", str(broken), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "ACC-0147: RuntimeError: corrupt data for this account (its previous pack is kept, marked stale)" in err
    after = packs(out / "2026Q3")
    stale = after["ACC-0147"]
    assert stale["status"] == "failed" and "corrupt data" in stale["error"]
    assert stale["stale"] == {"files": before["files"], "pages": before["pages"], "built": created}
    assert (out / "2026Q3" / before["files"][2]).read_bytes() == pdf          # the previous PDF, untouched
    assert after["ACC-0005"]["status"] == "built" and manifest(out / "2026Q3")["status"] == "partial"
    index = (out / "2026Q3" / "index.html").read_text(encoding="utf-8")
    assert f'href="{before["files"][2]}"' in index
    assert f"stale: failed this time, showing the previous build's ({created})" in index
    book = next((out / "2026Q3").glob("qbr_pack_*.pdf"))
    from pypdf import PdfReader
    contents = " ".join((p.extract_text() or "") for p in PdfReader(book).pages[:3])
    assert "stale: failed this time, showing the previous build's" in " ".join(contents.split())

    # failing again keeps the last good files, still dated from the build that made them
    assert main(["build", "--accounts", TWO, "--output", str(out), "--notebooks", str(broken), "--quiet",
                 "--retry-failed"]) == 1
    assert packs(out / "2026Q3")["ACC-0147"]["stale"]["built"] == created
    # fixed: rebuilt, no longer stale
    assert main(["build", "--accounts", TWO, "--output", str(out), "--notebooks", str(broken.parent / "good"),
                 "--quiet", "--retry-failed"]) == 0
    assert "stale" not in packs(out / "2026Q3")["ACC-0147"]


FAIL_ALL = 'raise RuntimeError("broken for everyone")'


def _fail_everywhere(folder: Path) -> Path:
    """Copies of both notebooks with a failing cell in each."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("account_plan.ipynb", "portfolio_review.ipynb"):
        nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        nb.cells.insert(len(nb.cells) - 1, nbformat.v4.new_code_cell(FAIL_ALL))
        nbformat.write(nb, folder / name)
    return folder


@pytest.mark.slow
def test_when_every_pack_fails_the_previous_quarter_folder_stays_as_it_was(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", "--accounts", "ACC-0005", "--output", str(out), "--quiet", "--workers", "1"]) == 0
    before = tree_digest(out / "2026Q3")
    capsys.readouterr()
    broken = _fail_everywhere(tmp_path / "broken")
    code = main(["build", "--accounts", "ACC-0005", "--output", str(out), "--notebooks", str(broken), "--quiet",
                 "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert f"every pack failed: {out.resolve() / '2026Q3'} is kept as it was" in err
    assert tree_digest(out / "2026Q3") == before
    assert not list(out.glob(".staging-*")) and not list(out.glob(".old-*"))
    log = max((out / "logs").glob("build-*.log"), key=lambda p: p.stat().st_mtime_ns)
    assert "every pack failed" in log.read_text(encoding="utf-8")


@pytest.mark.slow
def test_when_every_pack_fails_and_there_is_no_previous_folder_the_failures_are_written(tmp_path):
    out = tmp_path / "out"
    broken = _fail_everywhere(tmp_path / "broken")
    code = main(["build", "--accounts", "ACC-0005", "--output", str(out), "--notebooks", str(broken), "--quiet",
                 "--workers", "1", "--no-book"])
    assert code == 1
    assert {p["status"] for p in packs(out / "2026Q3").values()} == {"failed"}


# --- SIGTERM ------------------------------------------------------------------------------------

def _descendants(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


def _running(processes: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
    return alive


def _sigterm_mid_build(out: Path, extra: list[str], started_when) -> dict:
    """Start a build in a session of its own, wait until ``started_when(out)``, send SIGTERM to the build
    alone (as `timeout` does), and see what is left."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "kamreports", "build", "--accounts", "ACC-0005,ACC-0147,ACC-0002",
                             "--output", str(out), "--force", "--quiet", "--no-book", *extra], env=env,
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline_at = time.monotonic() + 300   # CI machines are loaded: a generous deadline, polled
        while time.monotonic() < deadline_at and not started_when(out) and proc.poll() is None:
            time.sleep(0.1)
        assert proc.poll() is None and started_when(out), "the build never got going"
        family = _descendants(proc.pid)
        commands = []
        for process in family:
            with contextlib.suppress(psutil.NoSuchProcess):
                commands.append(" ".join(process.cmdline()))
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=120)
        exited = time.monotonic() - sent
        alive = _running(family)
        while alive and time.monotonic() - sent < 60:
            time.sleep(0.1)
            alive = _running(family)
        return {"code": proc.returncode, "err": err.decode(), "family": family, "commands": commands, "alive": alive,
                "exited": exited, "gone": time.monotonic() - sent}
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)


def _kernels_running(out: Path) -> bool:
    return bool(list(out.glob(".staging-*/accounts/*/*.ipynb")) or list(out.glob(".staging-*/*/*.ipynb")))


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_stops_the_build_its_workers_and_kernels_and_keeps_the_previous_output(tmp_path, workers):
    out = tmp_path / "out"
    assert main(["build", "--accounts", "ACC-0005", "--output", str(out), "--quiet", "--no-book"]) == 0
    before = tree_digest(out / "2026Q3")
    result = _sigterm_mid_build(out, ["--workers", workers], _kernels_running)
    assert any("ipykernel" in c for c in result["commands"]), result["commands"]   # a kernel was running
    assert result["code"] == 143, result["err"]
    assert "stopped (SIGTERM); the previous output is untouched" in result["err"]
    assert "Traceback" not in result["err"]
    assert result["alive"] == [], [p.cmdline() for p in result["alive"]]   # workers and kernels gone
    assert tree_digest(out / "2026Q3") == before
    assert not list(out.glob(".staging-*"))
    with BuildLock(out):   # the lock is free: the next build can start at once
        pass


# --- file-system faults -------------------------------------------------------------------------

@contextlib.contextmanager
def _tmpfs(mount: Path, size: str) -> Iterator[bool]:
    """A tmpfs of ``size`` at ``mount``, if this machine lets the test mount one (root, CAP_SYS_ADMIN)."""
    mount.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        yield False
        return
    try:
        yield True
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _fill(mount: Path, leave: int) -> None:
    """Fill the file system at ``mount`` until only ``leave`` bytes are free."""
    filler = mount / "filler"
    filler.unlink(missing_ok=True)
    st = os.statvfs(mount)
    free = st.f_bavail * st.f_frsize
    with filler.open("wb") as handle:
        if free - leave > 0:
            os.posix_fallocate(handle.fileno(), 0, free - leave)


class _Seam:
    """Where mounting is not allowed: the same faults injected at the OS calls that open files for
    writing, make folders and links under ``root`` (in this process: the build runs with one worker).
    The first ``after`` such calls succeed; every later one fails with ``code``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, root: Path, code: int, after: int):
        self.root, self.code, self.left = str(root.resolve()), code, after
        real_open, real_os_open = io.open, os.open

        def check(path: object) -> None:
            if str(Path(os.fsdecode(path)).resolve()).startswith(self.root):
                if self.left <= 0:
                    raise OSError(self.code, os.strerror(self.code), os.fsdecode(path))
                self.left -= 1

        def fake_open(file, mode="r", *args, **kwargs):
            if isinstance(file, (str, bytes, os.PathLike)) and any(c in mode for c in "wax+"):
                check(file)
            return real_open(file, mode, *args, **kwargs)

        def fake_os_open(path, flags, *args, **kwargs):
            if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                check(path)
            return real_os_open(path, flags, *args, **kwargs)

        def guarded(real):
            def call(*args, **kwargs):
                check(args[-1] if real in (os.link, os.replace, os.rename) else args[0])
                return real(*args, **kwargs)
            return call

        monkeypatch.setattr(io, "open", fake_open)
        monkeypatch.setattr("builtins.open", fake_open)
        monkeypatch.setattr(os, "open", fake_os_open)
        for name in ("mkdir", "link", "replace", "rename"):
            monkeypatch.setattr(os, name, guarded(getattr(os, name)))


def _build(out: Path, *extra: str) -> list[str]:
    return ["build", "--accounts", "ACC-0005", "--output", str(out), "--quiet", "--workers", "1", *extra]


def _one_clear_line(err: str, expected: str) -> None:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert "Traceback" not in err and "Logging error" not in err, err
    assert len(lines) == 1 and lines[0].startswith("ERROR ") and expected in lines[0], err


@pytest.mark.slow
def test_a_full_disk_at_any_point_is_exit_2_in_one_line_and_the_previous_output_stays_whole(tmp_path, capsys,
                                                                                           monkeypatch):
    disk = tmp_path / "disk"
    with _tmpfs(disk, "60m") as mounted:
        out = disk / "out"
        assert main(_build(out)) == 0
        before = tree_digest(out / "2026Q3")
        total = sum(p.stat().st_size for p in (out / "2026Q3").rglob("*") if p.is_file())
        book = next((out / "2026Q3").glob("qbr_pack_*.pdf")).stat().st_size
        capsys.readouterr()
        if mounted:
            # no room for the lock's note or the log; room for part of a pack; for every pack but not the book
            points = [0, 300 * 1024, total - book // 2]
        else:
            warnings.warn("tmpfs cannot be mounted here: ENOSPC injected at the OS calls instead", stacklevel=1)
            points = [0, 3, 12, 40]
        for point in points:
            if mounted:
                _fill(disk, point)
            else:
                monkeypatch.undo()
                _Seam(monkeypatch, out, errno.ENOSPC, point)
            code = main(_build(out, "--force"))
            err = capsys.readouterr().err
            assert code == 2, (point, err)
            _one_clear_line(err, "No space left on device")
            assert tree_digest(out / "2026Q3") == before, point
            assert not list(out.glob(".staging-*")) and not list(out.glob(".old-*"))
        if mounted:
            # full to the last byte: a build with nothing to do still takes the lock and logs; no traceback
            _fill(disk, 0)
            assert main(_build(out)) == 0
            err = capsys.readouterr().err
            assert "Traceback" not in err and "Logging error" not in err
            (disk / "filler").unlink()
        monkeypatch.undo()


@pytest.mark.slow
def test_a_read_only_output_folder_is_exit_2_in_one_line_and_the_previous_output_stays_whole(tmp_path, capsys,
                                                                                           monkeypatch):
    disk = tmp_path / "disk"
    with _tmpfs(disk, "60m") as mounted:
        out = disk / "out"
        assert main(_build(out, "--no-book")) == 0
        before = tree_digest(out / "2026Q3")
        capsys.readouterr()
        if mounted:
            subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        else:
            warnings.warn("tmpfs cannot be mounted here: EROFS injected at the OS calls instead", stacklevel=1)
            _Seam(monkeypatch, disk, errno.EROFS, 0)
        try:
            code = main(_build(out, "--no-book", "--force"))
            err = capsys.readouterr().err
            assert code == 2
            _one_clear_line(err, f"cannot write to the output folder {out.resolve()}: Read-only file system")
            code = main(_build(disk / "new", "--no-book"))
            err = capsys.readouterr().err
            assert code == 2
            _one_clear_line(err, "Read-only file system")
            assert tree_digest(out / "2026Q3") == before
        finally:
            monkeypatch.undo()
            if mounted:
                subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)


@pytest.mark.slow
def test_a_log_folder_on_a_full_disk_is_one_warning_and_the_build_goes_on(tmp_path, capsys, monkeypatch):
    disk = tmp_path / "disk"
    with _tmpfs(disk, "1m") as mounted:
        out = tmp_path / "out"
        assert main(_build(out, "--no-book")) == 0
        capsys.readouterr()
        if mounted:
            _fill(disk, 0)
        else:   # /dev/full: every write fails with ENOSPC
            warnings.warn("tmpfs cannot be mounted here: the log is written to /dev/full instead", stacklevel=1)
            from kamreports import cli
            monkeypatch.setattr(cli._BuildLog, "_open", lambda self: open("/dev/full", "w"))  # noqa: SIM115
        assert main(_build(out, "--no-book", "--log-dir", str(disk / "logs"))) == 0
        err = capsys.readouterr().err
        assert "Traceback" not in err and "Logging error" not in err
        assert "WARNING the build log" in err and "is incomplete: No space left on device" in err \
            or "WARNING no build log" in err, err


def test_the_sigterm_handler_is_restored_after_main(tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    main(["validate", "--data", str(tmp_path / "missing")])
    assert signal.getsignal(signal.SIGTERM) is before

