"""The build computes the portfolio once and its kernels load it (inputs.share_portfolio), with
exactly the result they would have computed, and only for the inputs it was computed from."""
from __future__ import annotations

import glob
import os
import tempfile

import pandas as pd
import pytest

from kamreports import inputs
from kamreports.cli import main
from kamreports.pipeline import pool as pool_module
from tests.conftest import pdf_pages


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
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), "kamreports-portfolio-*"))) == before   # removed
