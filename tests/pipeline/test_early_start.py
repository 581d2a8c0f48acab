"""The build's workers started before the build reads its inputs (``pool.start_early``).

When the options alone say every pack will be built and how many workers that needs, the command line
starts the pool before it imports the build, so the workers' and kernels' start-up overlaps the build's
own (issue 18). The decision is checked case by case; a real build with an early pool that meets bad
input stops its workers and kernels and leaves nothing behind.
"""
from __future__ import annotations

import time
from pathlib import Path

import psutil
import pytest

from kamreports.cli import main
from kamreports.pipeline import pool as pool_module
from kamreports.pipeline.options import BuildOptions
from kamreports.pipeline.pool import early_workers


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.setattr(pool_module.os, "cpu_count", lambda: 2)


@pytest.mark.parametrize(("options", "expected"), [
    # --force with --accounts: packs = accounts + portfolio; one worker per core, no more than packs
    (dict(force=True, accounts=["ACC-0002"]), 2),
    (dict(force=True, accounts=["ACC-0002", "ACC-0003", "ACC-0004"]), 2),
    (dict(force=True, accounts=["ACC-0002", "ACC-0002"]), 2),        # the same account twice: 2 packs
    (dict(force=True, accounts=["ACC-0002"], workers=5), 2),          # never more workers than packs
    (dict(force=True, accounts=["ACC-0002", "ACC-0003"], workers=3), 3),
    (dict(force=True, accounts=["ACC-0002"], workers=1), 0),          # one worker: packs run in this process
    # --force without --accounts: the packs are counted from the data, so only --workers decides
    (dict(force=True), 0),
    (dict(force=True, workers=3), 3),
    # without --force, into an output folder with no build yet: every pack is built
    (dict(accounts=["ACC-0002"]), 2),
    # a scheduler runs the packs elsewhere
    (dict(force=True, accounts=["ACC-0002"], scheduler="tcp://127.0.0.1:8786"), 0),
])
def test_early_workers_start_only_when_the_options_settle_every_pack_and_the_count(two_cores, tmp_path, options,
                                                                                    expected):
    assert early_workers(BuildOptions(output=tmp_path, **options)) == expected


def test_a_quarter_not_built_yet_counts_as_every_pack(two_cores, tmp_path):
    options = BuildOptions(output=tmp_path, quarter="2026Q3", accounts=["ACC-0002"])
    assert early_workers(options) == 2
    (tmp_path / "2026Q2").mkdir()
    (tmp_path / "2026Q2" / "manifest.json").write_text("{}")
    assert early_workers(options) == 2   # another quarter built: this one's packs are all new
    (tmp_path / "2026Q3").mkdir()
    (tmp_path / "2026Q3" / "manifest.json").write_text("{}")
    assert early_workers(options) == 0   # built before: which packs to rebuild is decided later
    assert early_workers(BuildOptions(output=tmp_path, quarter="2026Q3", accounts=["ACC-0002"], force=True)) == 2


def test_without_a_quarter_any_earlier_build_in_the_folder_may_be_of_it(two_cores, tmp_path):
    options = BuildOptions(output=tmp_path, accounts=["ACC-0002"])
    (tmp_path / "logs").mkdir()
    assert early_workers(options) == 2
    (tmp_path / "2026Q2").mkdir()
    (tmp_path / "2026Q2" / "manifest.json").write_text("{}")
    assert early_workers(options) == 0
    assert early_workers(BuildOptions(output=tmp_path, accounts=["ACC-0002"], retry_failed=True)) == 0


def _descendants() -> list[psutil.Process]:
    """This process's children, but multiprocessing's resource tracker: one per process that ever
    started a pool, kept for its life by design."""
    return [p for p in psutil.Process().children(recursive=True)
            if "resource_tracker" not in " ".join(p.cmdline())]


@pytest.mark.slow
def test_bad_input_met_with_the_pool_already_started_leaves_no_process_behind(tmp_path, capsys):
    before = {p.pid for p in _descendants()}
    out = tmp_path / "out"
    code = main(["build", "--force", "--workers", "2", "--accounts", "ACC-0002,ACC-9999", "--output", str(out),
                 "--quiet"])
    assert code == 2
    assert "ACC-9999" in capsys.readouterr().err
    assert not (out / "2026Q3").exists() and not list(out.glob(".staging-*"))
    deadline = time.monotonic() + 10
    while (left := [p for p in _descendants() if p.pid not in before and p.is_running()
                    and p.status() != psutil.STATUS_ZOMBIE]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, [" ".join(p.cmdline()) for p in left]
    assert not list(Path(tmp_path).glob("kamreports-portfolio-*"))


def test_once_the_inputs_are_read_the_quarter_and_the_packs_decide(two_cores, tmp_path):
    """The build's own call, after reading the data: it knows the quarter and how many packs."""
    options = BuildOptions(output=tmp_path)   # no --accounts, no --workers: before the data, nothing starts
    assert early_workers(options) == 0
    assert early_workers(options, "2026Q3", packs=9) == 2
    assert early_workers(options, "2026Q3", packs=40) == 2      # a long build too: one worker per core
    assert early_workers(options, "2026Q3", packs=1) == 0       # one pack: it runs in this process
    (tmp_path / "2026Q3").mkdir()
    (tmp_path / "2026Q3" / "manifest.json").write_text("{}")
    assert early_workers(options, "2026Q3", packs=9) == 0
    assert early_workers(BuildOptions(output=tmp_path, force=True), "2026Q3", packs=9) == 2


@pytest.mark.slow
def test_a_pooled_build_has_stopped_its_workers_and_kernels_when_it_returns(tmp_path):
    """The workers are let go before the build's last writes (``PackPool.release``), so their exit overlaps
    them; the build still waits for them: once it returns, none runs and none is left unreaped (a zombie),
    with no grace period."""
    def children() -> dict[int, str]:
        found = {}
        for p in psutil.Process().children(recursive=True):
            try:
                found[p.pid] = p.status() + " " + " ".join(p.cmdline())
            except psutil.ZombieProcess:
                found[p.pid] = "zombie"
            except psutil.NoSuchProcess:
                continue
        return {pid: what for pid, what in found.items() if "resource_tracker" not in what}

    before = children()
    code = main(["build", "--force", "--workers", "2", "--accounts", "ACC-0002", "--output", str(tmp_path / "out"),
                 "--quiet", "--no-book"])
    assert code == 0
    left = {pid: what for pid, what in children().items() if pid not in before}
    assert not left, left
