"""Quarter records: written then read back unchanged, and the history read from them; every way a
record can be wrong gives a note (and a warning in the log), never a crash or a silent comparison.

The sample company: 2026Q2's record is written, then 2026Q3 reads its history from it.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from pathlib import Path

import pandas as pd
import pytest

from kamreports import open_portfolio
from kamreports.analytics.contract import check_summary
from kamreports.config import Settings, load_settings
from kamreports.data import sample_dataset
from kamreports.model import build_portfolio
from kamreports.pipeline.pack import accounts_table
from kamreports.records import (
    RECORD_FORMAT,
    RecordProblem,
    attach_history,
    history_manifest,
    load_history,
    plan_snapshots,
    read_record,
    record_dir,
    records_root,
    write_record,
)
from tests.conftest import dead_pid, settings_file


@pytest.fixture(scope="module")
def data():
    return sample_dataset()


def portfolio(data, quarter: str = "2026Q3", settings: Settings | None = None):
    return build_portfolio(data, settings or Settings(), quarter)


def write_q2(root: Path, data, settings: Settings | None = None) -> Path:
    return write_record(record_dir(root, "2026Q2"), portfolio(data, "2026Q2", settings), "inputs-hash")


def rewrite(folder: Path, name: str, content: bytes, checksum: bool = True) -> None:
    """Replace one file of a record; with ``checksum`` record.json is updated to match (a record
    written that way by another version), without it the file no longer matches (damage)."""
    (folder / name).write_bytes(content)
    if checksum:
        meta = json.loads((folder / "record.json").read_text())
        meta["files"][name]["sha256"] = hashlib.sha256(content).hexdigest()
        (folder / "record.json").write_text(json.dumps(meta))


def history_of(data, root: Path, warn: bool = True, depth: int = 2):
    """2026Q3 with the history of ``depth`` quarters (two are enough for most cases, and quick)."""
    p = portfolio(data)
    return attach_history(p, load_history(p, root, depth=depth, warn=warn))


# --- the record ----------------------------------------------------------------------------------

def test_a_record_read_back_equals_what_was_written(tmp_path, data):
    q2 = portfolio(data, "2026Q2")
    folder = write_record(record_dir(tmp_path, "2026Q2"), q2, "inputs-hash")
    assert folder == tmp_path / "2026Q2" / "record"
    assert sorted(p.name for p in folder.iterdir()) == ["plans.json", "record.json", "summary.csv"]
    record = read_record(folder, "2026Q2")
    pd.testing.assert_frame_equal(record.summary, q2.summary, check_exact=True)   # every column, every dtype
    assert record.plans == json.loads(json.dumps(plan_snapshots(q2)))
    assert record.notes == [] and record.missing_columns == []
    meta = record.meta
    assert meta["format"] == RECORD_FORMAT and meta["quarter"] == "2026Q2" and meta["origin"] == "build"
    assert meta["inputs_hash"] == "inputs-hash" and meta["settings"]["selection"]["threshold"] == 6.0
    assert meta["selection"] == {"threshold": 6.0, "max_key_accounts": 20, "include": {}, "exclude": {}}
    assert [k["account_id"] for k in meta["key_accounts"]] == list(q2.key_accounts.index)
    assert meta["key_accounts"][0]["reason"] == q2.key_accounts["selection_reason"].iloc[0]
    assert set(record.plans) == set(q2.key_accounts.index)     # the sample's plans: one per key account
    goal = record.plans["ACC-0002"]["goals"][0]
    assert set(goal) == {"id", "goal", "status", "due"} and goal["id"] == "G1"
    assert not list(folder.parent.glob(".record-*"))            # the folder swap left nothing behind


def test_writing_again_replaces_the_record_whole(tmp_path, data):
    folder = write_q2(tmp_path, data)
    (folder / "stray.txt").write_text("left by hand")
    write_q2(tmp_path, data, Settings(selection=dataclasses.replace(Settings().selection, threshold=6.5)))
    assert not (folder / "stray.txt").exists()
    assert read_record(folder).meta["selection"]["threshold"] == 6.5


def test_records_live_in_the_output_folder_or_in_the_settings_records_folder(tmp_path):
    assert records_root(Settings(), tmp_path / "out") == (tmp_path / "out").resolve()
    path = settings_file(tmp_path, "records: history\n")
    assert records_root(load_settings(path), tmp_path / "out") == tmp_path / "history"


# --- the history read from records ---------------------------------------------------------------

def test_the_previous_quarter_is_read_as_reported(tmp_path, data, caplog):
    write_q2(tmp_path, data)
    with caplog.at_level(logging.WARNING, logger="kamreports"):
        p = history_of(data, tmp_path, depth=8)
    h = p.history
    assert h.previous.quarter == "2026Q2" and h.previous.source == "as reported"
    assert h.previous.location == str(tmp_path / "2026Q2" / "record") and h.previous.notes == []
    assert {v.source for q, v in h.quarters.items() if q != "2026Q2"} == {"recomputed"}
    assert not caplog.records
    recomputed = history_of(data, tmp_path / "nothing-here", depth=1).history
    # recomputed with the same settings from the same data: the same figures (a recomputed quarter leaves
    # out the forecast and the deals, which no page reads of an earlier quarter)
    again = recomputed.previous.summary
    assert len(again.columns) > 60 and set(again.columns) < set(h.previous.summary.columns)
    pd.testing.assert_frame_equal(h.previous.summary[again.columns], again, check_exact=True)
    assert h.describe().startswith("Earlier quarters: 2026Q2 as reported then; 2024Q3-2026Q1 recomputed")
    manifest = history_manifest(h)
    last = manifest["quarters"][-1]
    assert last["quarter"] == "2026Q3" and last["compared_with"] == "2026Q2 (as reported)"
    assert {e["account_id"] for e in last["entered"]} == {"ACC-0007"}
    assert {e["account_id"] for e in last["left"]} == {"ACC-0029"}


def test_the_summary_gains_prev_columns_and_accounts_csv_shows_them(tmp_path, data):
    write_q2(tmp_path, data)
    p = history_of(data, tmp_path)
    check_summary(p.summary, p.settings.selection.criteria)
    s = p.summary
    q2 = read_record(record_dir(tmp_path, "2026Q2")).summary
    both = s.index.intersection(q2.index)
    assert (s.loc[both, "prev_quadrant"] == q2.loc[both, "quadrant"]).all()
    assert (s.loc[both, "prev_health_score"].fillna(-1) == q2.loc[both, "health_score"].fillna(-1)).all()
    assert s.at["ACC-0007", "key_change"] == "entered" and s.at["ACC-0029", "key_change"] == "left"
    new = s.index.difference(q2.index)
    assert len(new) and (s.loc[new, "key_change"] == "new").all() and s.loc[new, "prev_is_key"].isna().all()
    table = accounts_table(p)
    assert list(table.columns)[-6:] == ["prev_quadrant", "prev_relationship_stage", "prev_health_score", "prev_tier",
                                        "prev_is_key", "key_change"]
    assert table.set_index("account_id").at["ACC-0007", "prev_is_key"] == False  # noqa: E712 - boolean dtype


def test_a_record_with_other_settings_is_used_and_noted(tmp_path, data):
    strict = Settings(selection=dataclasses.replace(Settings().selection, threshold=6.5, max_key_accounts=15))
    write_q2(tmp_path, data, strict)
    h = history_of(data, tmp_path).history
    previous = h.previous
    assert previous.source == "as reported" and (previous.threshold, previous.cap) == (6.5, 15)
    assert previous.notes == ["reported with other settings than this quarter's: selection.max_key_accounts 15 → 20; "
                              "selection.threshold 6.5 → 6"]
    assert any(n.startswith("2026Q2: reported with other settings") for n in h.notes)
    changes = h.key_changes
    entered = changes[(changes["quarter"] == "2026Q3") & (changes["change"] == "entered")]
    assert len(entered) and entered["reason"].str.contains("cap on key accounts changed from 15 to 20|threshold "
                                                            "changed from 6.5 to 6").all()


def test_a_record_missing_columns_is_used_for_what_it_holds(tmp_path, data):
    folder = write_q2(tmp_path, data)
    older = pd.read_csv(folder / "summary.csv", dtype=str, keep_default_na=False).drop(
        columns=["health_score", "health_band"])
    rewrite(folder, "summary.csv", older.to_csv(index=False).encode())
    h = history_of(data, tmp_path).history
    assert h.previous.source == "as reported" and h.previous.missing_columns == ["health_score", "health_band"]
    assert any("lacks health_score, health_band" in n for n in h.previous.notes)
    timeline = h.timeline
    assert timeline.loc[timeline["quarter"] == "2026Q2", "health_score"].isna().all()
    assert timeline.loc[timeline["quarter"] == "2026Q2", "quadrant"].notna().all()   # the rest is there


def test_a_record_with_extra_columns_is_used_and_the_extra_ones_named(tmp_path, data):
    folder = write_q2(tmp_path, data)
    newer = pd.read_csv(folder / "summary.csv", dtype=str, keep_default_na=False).assign(churn_risk="0.1")
    rewrite(folder, "summary.csv", newer.to_csv(index=False).encode())
    h = history_of(data, tmp_path).history
    assert h.previous.source == "as reported"
    assert any("does not know (churn_risk" in n for n in h.previous.notes)


def test_a_newer_record_format_is_not_used(tmp_path, data, caplog):
    folder = write_q2(tmp_path, data)
    meta = json.loads((folder / "record.json").read_text())
    (folder / "record.json").write_text(json.dumps(meta | {"format": RECORD_FORMAT + 1, "kamreports": "9.0"}))
    with caplog.at_level(logging.WARNING, logger="kamreports"):
        h = history_of(data, tmp_path).history
    assert h.previous.source == "recomputed"
    assert "newer kamreports (9.0, record format 2" in h.previous.notes[0] and "recomputed" in h.previous.notes[0]
    assert any("newer kamreports" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("name, content, checksum, says", [
    ("record.json", b"{\"format\": 1, \"quarter\": \"2026Q2\", \"fil", False, "record.json is not valid JSON"),
    ("record.json", b"\xff\xfe\x00garbage", False, "record.json is not valid JSON"),
    ("summary.csv", b"account_id,name\nACC-0001,Seq", False, "does not match the checksum"),
    ("summary.csv", b"\x00\x01\x02 not a table", True, "summary.csv has no is_key column"),
    ("summary.csv", b"account_id,is_key\nACC-0001,True\nACC-0001,False\n", True, "lists an account twice"),
])
def test_a_corrupt_record_is_noted_warned_and_recomputed(tmp_path, data, caplog, name, content, checksum, says):
    folder = write_q2(tmp_path, data)
    rewrite(folder, name, content, checksum=checksum and name != "record.json")
    with caplog.at_level(logging.WARNING, logger="kamreports"):
        p = history_of(data, tmp_path)
    previous = p.history.previous
    assert previous.source == "recomputed" and previous.quarter == "2026Q2"
    assert says in previous.notes[0] and "recomputed from the data instead" in previous.notes[0]
    assert any(says in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    check_summary(p.summary, p.settings.selection.criteria)      # the page still gets every column


def test_a_damaged_plan_snapshot_keeps_the_record_but_not_plan_progress(tmp_path, data):
    folder = write_q2(tmp_path, data)
    rewrite(folder, "plans.json", b"{not json", checksum=True)
    p = history_of(data, tmp_path)
    assert p.history.previous.source == "as reported" and p.history.previous.plans is None
    assert any("plans.json is not valid JSON" in n for n in p.history.previous.notes)
    progress = p.history.plan_progress("ACC-0002")
    assert not progress.available and "no plan snapshot for 2026Q2" in progress.note


def test_plan_progress_since_the_previous_record(tmp_path, data):
    write_q2(tmp_path, data)
    p = history_of(data, tmp_path)
    progress = p.history.plan_progress("ACC-0002")
    assert progress.available and progress.since == "2026Q2"
    assert set(progress.goals["key"]) == {"G1", "G2", "G3", "G4"}   # the sample plan's goals, then and now


def test_values_a_record_cannot_read_are_left_empty_and_counted(tmp_path, data):
    folder = write_q2(tmp_path, data)
    frame = pd.read_csv(folder / "summary.csv", dtype=str, keep_default_na=False)
    frame.loc[0, "health_score"] = "lots"
    rewrite(folder, "summary.csv", frame.to_csv(index=False).encode())
    previous = history_of(data, tmp_path).history.previous
    assert previous.source == "as reported"
    assert "1 value(s) of health_score could not be read" in previous.notes[0]
    assert pd.isna(previous.summary["health_score"].iloc[0])


def test_a_missing_record_in_between_is_recomputed_never_skipped(tmp_path, data):
    write_record(record_dir(tmp_path, "2026Q1"), portfolio(data, "2026Q1"), "h")   # 2026Q2 was never built
    h = history_of(data, tmp_path).history
    assert h.previous.quarter == "2026Q2" and h.previous.source == "recomputed"
    assert h.quarters["2026Q1"].source == "as reported"
    changes = h.key_changes
    assert set(changes.loc[changes["quarter"] == "2026Q2", "prev_source"]) <= {"as reported"}
    assert "2026Q2" in h.describe() and "2026Q1 as reported then" in h.describe()


def test_a_recomputed_quarter_has_the_full_build_s_figures_but_the_forecast_and_deals(data):
    from kamreports.analytics.account_story import KPI_CHANGES
    from kamreports.analytics.deals import DEAL_COLUMNS
    from kamreports.analytics.history import TIMELINE_COLUMNS, USED_COLUMNS

    h = history_of(data, None, depth=4).history
    assert h.previous.source == "recomputed"
    for quarter in ("2026Q2", "2025Q3"):
        full = portfolio(data, quarter).summary
        left_out = [c for c in full.columns if c.startswith("fy_") or c in DEAL_COLUMNS]
        assert len(left_out) == 6 + len(DEAL_COLUMNS)   # the forecast's six columns and the deals'
        pd.testing.assert_frame_equal(h.quarters[quarter].summary, full.drop(columns=left_out))
    read = set(USED_COLUMNS) | set(TIMELINE_COLUMNS[2:-1]) | {column for column, _kind in KPI_CHANGES}
    assert read <= set(h.previous.summary.columns)


def test_a_quarter_missing_from_the_data_and_the_records_is_noted(data):
    revenue = data.revenue
    gap = dataclasses.replace(data, revenue=revenue[~((revenue["date"] >= "2026-04-01")
                                                       & (revenue["date"] <= "2026-06-30"))])
    p = build_portfolio(gap, Settings(), "2026Q3")
    attach_history(p, load_history(p, None))
    h = p.history
    assert h.previous is None and "2026Q2" not in h.quarters and "2026Q1" in h.quarters
    assert any(n.startswith("2026Q2: missing: no record, and the data has no revenue in that quarter") for n in h.notes)
    assert set(p.summary["key_change"]) == {"unknown"} and p.summary["prev_quadrant"].isna().all()
    assert not h.plan_progress("ACC-0002").available


def test_accounts_that_did_not_exist_then_are_new(tmp_path, data):
    folder = write_q2(tmp_path, data)
    frame = pd.read_csv(folder / "summary.csv", dtype=str, keep_default_na=False)
    frame = frame[~frame["account_id"].isin(["ACC-0001", "ACC-0150"])]
    rewrite(folder, "summary.csv", frame.to_csv(index=False).encode())
    s = history_of(data, tmp_path).summary
    assert s.at["ACC-0001", "key_change"] == "new" and pd.isna(s.at["ACC-0001", "prev_quadrant"])
    assert s.at["ACC-0002", "key_change"] == "stayed key"


def test_quarters_before_the_data_are_simply_absent(data):
    p = portfolio(data, "2024Q1")
    history = load_history(p, None)
    first = min(data.revenue["date"]).to_period("Q")
    assert all(pd.Period(q, "Q") >= first for q in history.quarters)
    assert not any("missing" in n for n in history.notes)


def test_read_record_refuses_a_record_of_another_quarter(tmp_path, data):
    folder = write_q2(tmp_path, data)
    with pytest.raises(RecordProblem, match="record of 2026Q2, not of 2026Q1"):
        read_record(folder, "2026Q1")


def test_open_portfolio_reads_the_records_and_sees_a_new_one(tmp_path, data):
    first = open_portfolio(quarter="2026Q3", records=tmp_path)
    assert first.history.previous.source == "recomputed"
    write_q2(tmp_path, data)
    again = open_portfolio(quarter="2026Q3", records=tmp_path)
    assert again.history.previous.source == "as reported"
    assert "prev_quadrant" in again.summary.columns


# --- a write killed half-way (records._swap_folder) ------------------------------------------------

def _folder(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    for name, text in files.items():
        (path / name).write_text(text)
    return path


def _contents(path: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(path.iterdir())}


def test_a_write_killed_between_its_two_renames_gets_the_old_record_back(tmp_path):
    """Killed after moving the old record aside and before putting the new one in place: the next write
    puts the old one back first, so that if it fails too, the quarter still has its old record."""
    from kamreports.records import _swap_folder

    pid = dead_pid()
    record = tmp_path / "2026Q3" / "record"
    _folder(record.parent / f".record-old-{pid}", {"summary.csv": "old"})
    _folder(record.parent / f".record-new-{pid}", {"summary.csv": "half"})
    with pytest.raises(OSError):
        _swap_folder(record, {"missing-folder/summary.csv": b"new"})   # this write fails as well
    assert _contents(record) == {"summary.csv": "old"}
    assert sorted(p.name for p in record.parent.iterdir()) == ["record"]


def test_the_next_write_removes_what_a_killed_write_left_and_writes_whole(tmp_path):
    from kamreports.records import _swap_folder

    pid = dead_pid()
    record = _folder(tmp_path / "record", {"summary.csv": "current", "gone.csv": "x"})
    _folder(tmp_path / f".record-new-{pid}", {"summary.csv": "half"})
    _folder(tmp_path / f".record-old-{pid}", {"summary.csv": "older"})   # the record exists: not put back
    _swap_folder(record, {"summary.csv": b"new"})
    assert _contents(record) == {"summary.csv": "new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record"]


def test_a_running_writers_folders_are_left_alone(tmp_path):
    """Another build writing the same record right now (its process runs): its folders are its own."""
    import os

    from kamreports.records import _swap_folder

    live = os.getppid()   # the test runner's parent: running for as long as this test
    record = _folder(tmp_path / "record", {"summary.csv": "current"})
    theirs = _folder(tmp_path / f".record-new-{live}", {"summary.csv": "theirs"})
    _swap_folder(record, {"summary.csv": b"new"})
    assert _contents(record) == {"summary.csv": "new"}
    assert _contents(theirs) == {"summary.csv": "theirs"}
