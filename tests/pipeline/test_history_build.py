"""The build and its records: every build writes its quarter's record, `--backfill N` writes the
records of earlier quarters, the history joins each pack's fingerprint, and a later build reads an
earlier one as reported."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from kamreports.cli import main
from kamreports.config import Settings
from kamreports.data import sample_dataset
from kamreports.model import build_portfolio
from kamreports.pipeline.build import BuildOptions, build, fingerprint_jobs, inputs_hash, plan_jobs
from kamreports.pipeline.jobs import NOTEBOOKS_DIR
from kamreports.pipeline.state import change_reason
from kamreports.records import attach_history, load_history, read_record, record_dir, write_record
from tests.conftest import settings_file

BACKFILLED = ["2025Q3", "2025Q4", "2026Q1", "2026Q2"]


def stamps(root: Path) -> dict[str, int]:
    return {q: (record_dir(root, q) / "record.json").stat().st_mtime_ns for q in BACKFILLED}


def test_backfill_writes_n_records_skips_existing_and_force_overwrites(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", "--backfill", "4", "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "4 record(s) written, 0 skipped" in printed and "written:  2025Q3" in printed
    for quarter in BACKFILLED:
        record = read_record(record_dir(out, quarter), quarter)
        assert record.meta["origin"] == "backfill" and record.plans is None
        assert not (out / quarter / "manifest.json").exists() and not (out / quarter / "accounts").exists()
    assert not (out / "2026Q3").exists() and not (out / "2025Q2").exists()
    before = stamps(out)

    assert main(["build", "--backfill", "4", "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "0 record(s) written, 4 skipped" in printed and "it has a record already (--force overwrites it)" in printed
    assert stamps(out) == before

    (record_dir(out, "2026Q1") / "record.json").unlink()     # one lost: only that one is written again
    assert main(["build", "--backfill", "4", "--output", str(out), "--quiet"]) == 0
    assert "backfill: 1 written, 3 skipped" in capsys.readouterr().out

    assert main(["build", "--backfill", "4", "--output", str(out), "--force", "--quiet"]) == 0
    assert "backfill: 4 written, 0 skipped" in capsys.readouterr().out
    assert all(stamps(out)[q] != before[q] for q in BACKFILLED)


def test_backfill_stops_where_the_data_starts_and_a_later_history_reads_the_records(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", "--backfill", "16", "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "skipped:  2023Q3: the data starts later (2023Q4)" in printed
    p = build_portfolio(sample_dataset(), Settings(), "2026Q3")
    history = load_history(p, out)
    assert {v.source for v in history.quarters.values()} == {"backfilled"}
    assert "from records written later (backfilled)" in history.describe()
    assert not history.plan_progress("ACC-0002").available           # a backfilled record keeps no plans


def test_backfill_writes_into_the_settings_records_folder(tmp_path, capsys):
    config = settings_file(tmp_path, "records: history\n")
    out = tmp_path / "out"
    assert main(["build", "--backfill", "1", "--config", str(config), "--output", str(out), "--quiet"]) == 0
    assert (tmp_path / "history" / "2026Q2" / "record" / "record.json").is_file()
    assert not (out / "2026Q2").exists()


def test_backfill_needs_a_number_of_quarters(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["build", "--backfill", "0"])
    assert exit_.value.code == 2 and "from 1 to 40" in capsys.readouterr().err


def prints_of(root: Path) -> dict[str, dict[str, str]]:
    dataset, settings = sample_dataset(), Settings()
    p = build_portfolio(dataset, settings, "2026Q3")
    attach_history(p, load_history(p, root, depth=2))
    jobs = plan_jobs(p, ["ACC-0005", "ACC-0147"], None, None, NOTEBOOKS_DIR, root)
    return fingerprint_jobs(jobs, p, inputs_hash(dataset, settings))


def test_a_changed_previous_record_changes_the_fingerprint_of_the_packs_that_show_it(tmp_path):
    write_record(record_dir(tmp_path, "2026Q2"), build_portfolio(sample_dataset(), Settings(), "2026Q2"), "h")
    before = prints_of(tmp_path)
    assert before == prints_of(tmp_path)                       # the same records: the same fingerprints
    folder = record_dir(tmp_path, "2026Q2")
    frame = pd.read_csv(folder / "summary.csv", dtype=str, keep_default_na=False)
    frame.loc[frame["account_id"] == "ACC-0005", "health_score"] = "12.5"
    content = frame.to_csv(index=False).encode()
    (folder / "summary.csv").write_bytes(content)
    meta = json.loads((folder / "record.json").read_text())
    meta["files"]["summary.csv"]["sha256"] = hashlib.sha256(content).hexdigest()
    (folder / "record.json").write_text(json.dumps(meta))
    after = prints_of(tmp_path)
    assert after["ACC-0005"]["history"] != before["ACC-0005"]["history"]
    assert after["portfolio"]["history"] != before["portfolio"]["history"]
    assert after["ACC-0147"]["history"] == before["ACC-0147"]["history"]      # its history did not change
    assert "its history changed" in change_reason(before["ACC-0005"], after["ACC-0005"], "built", True)
    assert change_reason(before["ACC-0147"], after["ACC-0147"], "built", True) is None
    # where the records are is not what they say: another folder with the same records, the same prints
    other = tmp_path / "elsewhere"
    (other / "2026Q2").mkdir(parents=True)
    (other / "2026Q2" / "record").symlink_to(folder)
    assert prints_of(other) == after


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


@pytest.mark.slow
def test_a_later_build_reads_the_earlier_one_as_reported(tmp_path):
    out = tmp_path / "out"
    args = ["build", "--accounts", "ACC-0005", "--output", str(out), "--no-book", "--quiet"]
    assert main(args + ["--quarter", "2026Q2"]) == 0
    assert (out / "2026Q2" / "record" / "record.json").is_file()
    assert main(args) == 0
    q3 = out / "2026Q3"
    history = manifest(q3)["history"]
    assert manifest(q3)["inputs"]["records"] == str(out.resolve())
    quarters = {q["quarter"]: q for q in history["quarters"]}
    assert quarters["2026Q2"]["source"] == "as reported"
    assert quarters["2026Q2"]["record"] == str(out.resolve() / "2026Q2" / "record")
    assert quarters["2026Q1"]["source"] == "recomputed"
    assert quarters["2026Q3"]["compared_with"] == "2026Q2 (as reported)"
    assert quarters["2026Q3"]["record"] == str(out.resolve() / "2026Q3" / "record")
    assert [e["account_id"] for e in quarters["2026Q3"]["entered"]] == ["ACC-0007"]
    assert history["summary"].startswith("Earlier quarters: 2026Q2 as reported then")
    assert read_record(q3 / "record", "2026Q3").meta["origin"] == "build"
    accounts = pd.read_csv(q3 / "accounts.csv").set_index("account_id")
    assert accounts.at["ACC-0007", "key_change"] == "entered" and accounts.at["ACC-0029", "key_change"] == "left"
    assert accounts.at["ACC-0005", "prev_quadrant"] == read_record(out / "2026Q2" / "record").summary.at[
        "ACC-0005", "quadrant"]
    packs = {p["key"]: p for p in manifest(q3)["packs"]}
    assert "history" in packs["ACC-0005"]["inputs"] and "history" in packs["portfolio"]["inputs"]
    executed = nbformat.read(q3 / packs["ACC-0005"]["files"][0], as_version=4)
    injected = next(c.source for c in executed.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert f'records = "{out.resolve()}"' in injected

    # the earlier record damaged: 2026Q2 is recomputed, so every pack that shows it is rebuilt
    summary = out / "2026Q2" / "record" / "summary.csv"
    summary.write_bytes(summary.read_bytes()[:-200])
    assert main(args) == 0
    packs = {p["key"]: p for p in manifest(q3)["packs"]}
    assert "its history changed" in packs["ACC-0005"]["reason"]
    assert "its history changed" in packs["portfolio"]["reason"]
    quarters = {q["quarter"]: q for q in manifest(q3)["history"]["quarters"]}
    assert quarters["2026Q2"]["source"] == "recomputed"
    assert "does not match the checksum" in quarters["2026Q2"]["notes"][0]

    # nothing changed: up to date, and a record lost since is written again
    options = BuildOptions(accounts=["ACC-0005"], output=out, book=False)
    assert build(options).up_to_date
    shutil.rmtree(q3 / "record")
    assert build(options).up_to_date
    assert read_record(q3 / "record", "2026Q3").meta["origin"] == "build"


def test_notebooks_take_the_records_parameter():
    for name in ("account_plan.ipynb", "portfolio_review.ipynb"):
        nb = nbformat.read(NOTEBOOKS_DIR / name, as_version=4)
        parameters = next(c.source for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        assert "records = None" in parameters
        assert any("open_portfolio(data, config, quarter, records)" in c.source for c in nb.cells)
