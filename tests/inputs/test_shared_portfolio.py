"""The build computes the portfolio once and its kernels load it (inputs.share_portfolio), with
exactly the result they would have computed, and only for the inputs it was computed from."""
from __future__ import annotations

import glob
import os
import tempfile
import time

import pandas as pd
import pytest

from kamreports import inputs
from kamreports.cli import main
from kamreports.pipeline import pool as pool_module
from tests.conftest import dead_pid, pdf_pages


@pytest.fixture
def computed(tmp_path, monkeypatch):
    """A portfolio shared as the build shares it, the kernel-side cache emptied, and the records
    folder (empty) both sides name."""
    monkeypatch.setattr(inputs, "_PORTFOLIOS", {})
    records = tmp_path / "records"
    records.mkdir()
    portfolio = inputs.open_portfolio(records=records)
    monkeypatch.setattr(inputs, "_PORTFOLIOS", {})
    path = inputs.share_portfolio(portfolio, tmp_path / "shared.pickle", records=str(records),
                                  quarter=None)
    monkeypatch.setenv(inputs.SHARED_PORTFOLIO_ENV, str(path))
    return portfolio, records


def _no_computing(*_args, **_kwargs):
    raise AssertionError("computed again although the build shared it")


def test_a_kernel_loads_the_shared_portfolio_instead_of_computing_it(computed, monkeypatch):
    portfolio, records = computed
    monkeypatch.setattr(inputs, "build_portfolio", _no_computing)
    opened = inputs.open_portfolio(records=str(records))
    pd.testing.assert_frame_equal(opened.summary, portfolio.summary)
    assert opened.history is not None and opened.history.quarter == portfolio.history.quarter
    assert opened is not portfolio and opened.summary is not portfolio.summary   # a private copy, as before


def test_figures_computed_before_sharing_are_not_computed_again_by_a_kernel(tmp_path, monkeypatch):
    import kamreports.analytics.roi as roi_module
    from kamreports.analytics import whitespace as whitespace_module

    monkeypatch.setattr(inputs, "_PORTFOLIOS", {})
    portfolio = inputs.open_portfolio(records=tmp_path)
    roi, whitespace = portfolio.roi, portfolio.whitespace
    monkeypatch.setattr(inputs, "_PORTFOLIOS", {})
    path = inputs.share_portfolio(portfolio, tmp_path / "shared.pickle", records=str(tmp_path))
    monkeypatch.setenv(inputs.SHARED_PORTFOLIO_ENV, str(path))
    monkeypatch.setattr(roi_module, "roi_report", _no_computing)
    monkeypatch.setattr(whitespace_module, "whitespace_estimates", _no_computing)
    monkeypatch.setattr("kamreports.model.whitespace_estimates", _no_computing)
    opened = inputs.open_portfolio(records=str(tmp_path))
    pd.testing.assert_frame_equal(opened.roi.groups, roi.groups)
    pd.testing.assert_frame_equal(opened.whitespace[2], whitespace[2])


@pytest.mark.slow
def test_the_build_shares_the_roi_and_whitespace_with_its_kernels(tmp_path, monkeypatch):
    cached = []
    real = inputs.share_portfolio
    monkeypatch.setattr(inputs, "share_portfolio",
                        lambda portfolio, *a, **k: cached.append(set(portfolio._cache)) or real(portfolio, *a, **k))
    assert main(["build", "--accounts", "ACC-0002", "--output", str(tmp_path / "out"), "--no-book", "--workers", "2",
                 "--quiet"]) == 0
    assert len(cached) == 1 and {"roi", "whitespace"} <= cached[0]


def test_other_inputs_are_computed_not_taken_from_the_share(computed, monkeypatch):
    _portfolio, records = computed
    calls = []
    real = inputs.build_portfolio
    monkeypatch.setattr(inputs, "build_portfolio", lambda *a, **k: calls.append(a) or real(*a, **k))
    other = inputs.open_portfolio(records=str(records), quarter="2026Q2")
    assert calls and other.quarter == "2026Q2"


def test_without_the_variable_or_with_a_broken_file_it_computes(computed, monkeypatch, tmp_path):
    _portfolio, records = computed
    calls = []
    real = inputs.build_portfolio
    monkeypatch.setattr(inputs, "build_portfolio", lambda *a, **k: calls.append(a) or real(*a, **k))
    broken = tmp_path / "broken.pickle"
    broken.write_bytes(b"not a pickle")
    monkeypatch.setenv(inputs.SHARED_PORTFOLIO_ENV, str(broken))
    inputs.open_portfolio(records=str(records))
    monkeypatch.delenv(inputs.SHARED_PORTFOLIO_ENV)
    monkeypatch.setattr(inputs, "_PORTFOLIOS", {})
    inputs.open_portfolio(records=str(records))
    assert len(calls) == 2


@pytest.mark.slow
def test_packs_are_the_same_whether_the_portfolio_is_shared_or_computed(tmp_path, monkeypatch):
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), "kamreports-portfolio-*")))
    texts = {}
    for shared in (True, False):
        monkeypatch.setattr(pool_module, "SHARE_PORTFOLIO", shared)
        out = tmp_path / str(shared)
        assert main(["build", "--accounts", "ACC-0002", "--output", str(out), "--no-book", "--workers", "2",
                     "--quiet"]) == 0
        texts[shared] = {p.relative_to(out).as_posix(): pdf_pages(p) for p in sorted(out.rglob("*.pdf"))}
        assert inputs.SHARED_PORTFOLIO_ENV not in os.environ   # restored after the build
    assert len(texts[True]) == 2 and texts[True] == texts[False]
    after = set(glob.glob(os.path.join(tempfile.gettempdir(), "kamreports-portfolio-*")))
    # its own removed (and any a killed build had left, which the build sweeps away: after may be fewer)
    assert after <= before
    assert not glob.glob(os.path.join(tempfile.gettempdir(), f"kamreports-portfolio-{os.getpid()}-*"))


def test_shares_left_by_killed_builds_are_removed_and_those_of_running_builds_kept(tmp_path):
    prefix = pool_module.SHARE_PREFIX
    dead = tmp_path / f"{prefix}{dead_pid()}-abcd1234"
    alive = tmp_path / f"{prefix}{os.getpid()}-efgh5678"        # this process runs
    young_unnamed = tmp_path / f"{prefix}k2j4h6g8"              # an earlier version's, an hour old: may still run
    old_unnamed = tmp_path / f"{prefix}q1w2e3r4"                # an earlier version's, two days old
    for folder in (dead, alive, young_unnamed, old_unnamed):
        folder.mkdir()
        (folder / "portfolio.pickle").write_bytes(b"x" * 1000)
    now = time.time()
    os.utime(young_unnamed, (now - 3600, now - 3600))
    os.utime(old_unnamed, (now - 2 * 86400, now - 2 * 86400))
    not_a_folder = tmp_path / f"{prefix}{dead_pid()}-file"     # a file with such a name is not ours to remove
    not_a_folder.write_text("keep")
    other = tmp_path / "someone-else-12345-abc"
    other.mkdir()

    removed = pool_module.remove_abandoned_shares(tmp_path)

    assert sorted(removed) == sorted([dead, old_unnamed])
    assert not dead.exists() and not old_unnamed.exists()
    assert alive.is_dir() and young_unnamed.is_dir() and not_a_folder.is_file() and other.is_dir()
    assert pool_module.remove_abandoned_shares(tmp_path) == []   # nothing left to remove


def test_a_build_names_its_share_by_its_process_and_removes_it_on_leaving(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pool_module.SharedPortfolio() as shared:
        assert shared.folder is not None and shared.folder.parent == tmp_path
        assert shared.folder.name.startswith(f"{pool_module.SHARE_PREFIX}{os.getpid()}-")
        assert os.environ[inputs.SHARED_PORTFOLIO_ENV] == str(shared.folder / "portfolio.pickle")
    assert not shared.folder.exists()
