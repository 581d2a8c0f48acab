"""`kamreports build --scheduler`: packs built on a real Dask cluster (a `dask scheduler` and two
`dask worker` processes on loopback) match a local build, and a worker killed mid-build loses no pack.
"""
from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

pytest.importorskip("distributed", reason="the [dask] extra is part of [dev]; install it to run this test")

from distributed import Client

from kamreports.cli import main
from kamreports.data import sample_dataset, write_folder
from kamreports.pipeline.build import BuildOptions, build

ACCOUNTS = ["ACC-0001", "ACC-0002", "ACC-0003", "ACC-0004", "ACC-0005"]


def _start(args: list[str], log: Path) -> subprocess.Popen:
    # each in a session of its own, so a worker and its nanny can be killed together
    return subprocess.Popen([sys.executable, "-m", *args], stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("dask")
    scheduler_file = root / "scheduler.json"
    scheduler = _start(["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                        "--scheduler-file", str(scheduler_file)], root / "scheduler.log")
    workers: list[subprocess.Popen] = []
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        for i in range(2):
            workers.append(_start(["distributed.cli.dask_worker", address, "--nthreads", "1", "--nworkers", "1",
                                   "--host", "127.0.0.1", "--no-dashboard", "--name", f"w{i}"],
                                  root / f"worker{i}.log"))
        with Client(address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=90)
        yield {"address": address, "workers": workers, "root": root}
    finally:
        for proc in [*workers, scheduler]:
            _kill(proc)


@pytest.fixture(scope="module")
def data_folder(tmp_path_factory) -> Path:
    return write_folder(sample_dataset(), tmp_path_factory.mktemp("data") / "sample")


@pytest.fixture(scope="module")
def local_build(data_folder, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("local")
    code = main(["build", "--data", str(data_folder), "--accounts", ",".join(ACCOUNTS), "--output", str(out),
                 "--workers", "2", "--no-book", "--quiet"])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def dask_build(cluster, data_folder, tmp_path_factory) -> dict:
    """The same build on the cluster; one worker (and its nanny) is killed once the first pack is back."""
    out = tmp_path_factory.mktemp("dasked")
    killed: list[str] = []

    def on_done(job, result) -> None:
        if killed:
            return
        with Client(cluster["address"], timeout=60, set_as_default=False) as client:
            names = {addr: w["name"] for addr, w in client.scheduler_info()["workers"].items()}
            busy = {names[addr]: keys for addr, keys in client.processing().items() if keys}
        victim = sorted(busy)[0]  # a worker that is running a pack right now
        _kill(cluster["workers"][int(victim[1:])])
        killed.append((victim, busy[victim]))

    report = build(BuildOptions(data=data_folder, accounts=ACCOUNTS, output=out, book=False,
                                scheduler=cluster["address"]), progress=on_done)
    with Client(cluster["address"], timeout=60, set_as_default=False) as client:
        alive = len(client.scheduler_info()["workers"])
    return {"out": out, "report": report, "killed": killed, "alive": alive}


def _pdf_texts(quarter: Path) -> dict[str, list[str]]:
    return {str(p.relative_to(quarter)): [page.extract_text() for page in PdfReader(p).pages]
            for p in sorted(quarter.rglob("*.pdf"))}


def _quarter(out: Path) -> Path:
    return next(p for p in out.iterdir() if p.is_dir() and p.name[:4].isdigit())


@pytest.mark.slow
def test_every_pack_is_built_although_a_worker_was_killed(dask_build):
    report = dask_build["report"]
    assert dask_build["killed"], "the kill hook never ran"
    victim, in_flight = dask_build["killed"][0]
    assert in_flight, f"{victim} was killed while holding no pack"
    assert dask_build["alive"] == 1, "the killed worker is still registered"
    assert report.ok, {k: r.error for k, r in report.results.items() if r.status != "built"}
    assert set(report.results) == {"portfolio", *ACCOUNTS}
    manifest = json.loads((report.folder / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["executed_on"].startswith("dask tcp://127.0.0.1:")


@pytest.mark.slow
def test_the_cluster_build_matches_the_local_build(dask_build, local_build):
    local, remote = _quarter(local_build), _quarter(dask_build["out"])
    with (local / "accounts.csv").open() as a, (remote / "accounts.csv").open() as b:
        assert list(csv.reader(a)) == list(csv.reader(b))
    local_pdfs, remote_pdfs = _pdf_texts(local), _pdf_texts(remote)
    assert set(local_pdfs) == set(remote_pdfs) and len(local_pdfs) == len(ACCOUNTS) + 1
    for name, pages in local_pdfs.items():
        assert remote_pdfs[name] == pages, name   # same pages, same words, same numbers
    first = [json.loads(m.read_text())["packs"] for m in (local / "manifest.json", remote / "manifest.json")]
    assert [(p["key"], p["folder"], p["pages"], p["inputs"]) for p in first[0]] == \
           [(p["key"], p["folder"], p["pages"], p["inputs"]) for p in first[1]]


@pytest.mark.slow
def test_an_unreachable_scheduler_is_a_clear_error(data_folder, tmp_path, capsys):
    code = main(["build", "--data", str(data_folder), "--accounts", "ACC-0001", "--output", str(tmp_path / "o"),
                 "--scheduler", "tcp://127.0.0.1:9", "--no-book", "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err
    assert not any((tmp_path / "o").glob("20*")), "a failed connection must not leave a quarter folder"


def test_a_scheduler_in_the_settings_must_be_an_address(tmp_path):
    from kamreports.config import load_settings
    from kamreports.errors import ConfigError

    path = tmp_path / "s.yaml"
    path.write_text("scheduler: localhost\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="Dask scheduler address"):
        load_settings(path)


def _scheduler_state(client: Client) -> dict:
    def state(dask_scheduler) -> dict:
        return {"clients": sorted(str(c) for c in dask_scheduler.clients),
                "tasks": sorted(str(k) for k in dask_scheduler.tasks if str(k).startswith("kamreports-"))}
    return client.run_on_scheduler(state)


@pytest.mark.slow
def test_sigterm_stops_a_dask_build_and_its_client_cleanly(cluster, data_folder, tmp_path):
    """SIGTERM to a build running on the cluster: exit 143, its client disconnects, and none of its tasks is
    left on the scheduler; the cluster is the user's and keeps running."""
    out = tmp_path / "out"
    with Client(cluster["address"], timeout=60, set_as_default=False) as watcher:
        before = _scheduler_state(watcher)
        proc = subprocess.Popen([sys.executable, "-m", "kamreports", "build", "--data", str(data_folder), "--accounts",
                                 ",".join(ACCOUNTS), "--output", str(out), "--scheduler", cluster["address"],
                                 "--no-book", "--quiet", "--force"], start_new_session=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 300          # a loaded CI machine: generous, polled
            while time.monotonic() < deadline and proc.poll() is None and not any(watcher.processing().values()):
                time.sleep(0.2)
            assert proc.poll() is None, proc.communicate()[1].decode()
            assert any(watcher.processing().values()), "no pack ever reached the cluster"
            proc.send_signal(signal.SIGTERM)
            _out, err = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                _kill(proc)
        assert proc.returncode == 143, err.decode()
        assert "stopped (SIGTERM)" in err.decode() and "Traceback" not in err.decode()
        state = _scheduler_state(watcher)
        deadline = time.monotonic() + 300   # a pack already running on a worker finishes, then is forgotten
        while time.monotonic() < deadline and state != before:
            time.sleep(0.5)
            state = _scheduler_state(watcher)
        assert state == before
        assert not list(out.glob(".staging-*"))
        assert len(watcher.scheduler_info()["workers"]) >= 1
