"""Degenerate portfolios build packs, never a failing one: a portfolio of one account, one with no key
account (packs asked for with --accounts), a customer that stopped buying before the last four quarters,
one that started buying this quarter, one with nothing this quarter. A figure that cannot be computed is
left out with the reason the page gives, not a KeyError in a notebook cell."""
from __future__ import annotations

import pandas as pd
import pytest

from kamreports.cli import main
from kamreports.data import sample_dataset, write_folder
from tests.pipeline.test_reliability import packs


def _statuses(out) -> dict[str, str]:
    return {key: p["status"] + (f": {p.get('error')}" if p["status"] != "built" else "")
            for key, p in packs(out / "2026Q3").items()}


@pytest.mark.slow
def test_a_portfolio_of_one_account_builds_every_pack(tmp_path):
    data = sample_dataset()
    keep = "ACC-0001"
    for name in data.present:
        frame = data.table(name)
        if "account_id" in frame.columns and name != "products":
            setattr(data, name, frame[frame["account_id"] == keep].reset_index(drop=True))
    data.accounts["parent_id"] = pd.NA
    folder = write_folder(data, tmp_path / "data")
    out = tmp_path / "out"
    assert main(["build", "--data", str(folder), "--output", str(out), "--quiet", "--no-book"]) == 0
    assert _statuses(out) == {"portfolio": "built", keep: "built"}


@pytest.mark.slow
def test_no_key_account_builds_the_portfolio_and_the_packs_asked_for(tmp_path):
    config = tmp_path / "settings.yaml"
    config.write_text("selection:\n  threshold: 10\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["build", "--config", str(config), "--accounts", "ACC-0001,ACC-0147", "--output", str(out),
                 "--quiet", "--no-book"]) == 0
    assert _statuses(out) == {"portfolio": "built", "ACC-0001": "built", "ACC-0147": "built"}
    assert not any(p.get("is_key") for p in packs(out / "2026Q3").values())


@pytest.mark.slow
def test_accounts_with_gaps_in_their_revenue_build_their_packs(tmp_path):
    data = sample_dataset()
    revenue = data.revenue
    lapsed = (revenue["account_id"] == "ACC-0132") & (revenue["date"] >= "2025-07-01")   # nothing in the T4Q
    quiet = (revenue["account_id"] == "ACC-0005") & (revenue["date"] >= "2026-07-01")    # nothing this quarter
    data.revenue = revenue[~lapsed & ~quiet].reset_index(drop=True)
    folder = write_folder(data, tmp_path / "data")
    out = tmp_path / "out"
    ids = "ACC-0132,ACC-0005,ACC-0064"   # ACC-0064 started buying this quarter
    code = main(["build", "--data", str(folder), "--accounts", ids, "--output", str(out), "--quiet", "--no-book"])
    assert _statuses(out) == {"portfolio": "built", "ACC-0132": "built", "ACC-0005": "built", "ACC-0064": "built"}
    assert code == 0
