"""Movement between two quarters, on hand-built two-quarter summaries; every expected value is worked
out by hand in the comment beside it.

Previous quarter: threshold 6, cap 20.   This quarter: threshold 6.5, cap 15.

acct  then: key, score, reason         now: key, score, reason                     why
A     yes 8.0  score 8.0 ≥ 6 (rank 1)    yes 8.4  score 8.4 ≥ 6.5 (rank 1)            stayed key
B     no  5.8  score 5.8 below 6         yes 7.0  score 7.0 ≥ 6.5 (rank 2)            entered: score rose
C     yes 7.0  score 7.0 ≥ 6 (rank 2)    no  7.1  excluded by the team: reseller      left: override now
D     yes 6.3  score 6.3 ≥ 6 (rank 4)    no  6.3  score 6.3 below 6.5                 left: threshold 6 → 6.5
E     (no revenue then)                  yes 9.0  score 9.0 ≥ 6.5                     entered: new account
F     no  3.0  score 3.0 below 6         no  3.2  score 3.2 below 6.5                 stayed other
G     yes 6.6  score 6.6 ≥ 6 (rank 3)    (not in this quarter)                        left: gone
H     yes 4.0  included by the team      no  4.1  score 4.1 below 6.5                 left: override ended
I     yes 6.8  score 6.8 ≥ 6 (rank 5)    no  6.8  ≥ 6.5 but beyond the cap of 15      left: cap 20 → 15
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from kamreports.analytics.movement import account_movement, health_driver, key_list_changes, transitions

NAN = np.nan


def summary(rows: dict[str, tuple]) -> pd.DataFrame:
    """A summary from rows of (is_key, score, reason, tier, quadrant, stage, health_score, band, attainment,
    health_growth, health_nps)."""
    cols = ["is_key", "score", "selection_reason", "tier", "quadrant", "relationship_stage", "health_score",
            "health_band", "attainment_q", "health_growth", "health_nps"]
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=cols)
    frame.insert(0, "name", [f"Account {a}" for a in frame.index])
    frame.index.name = "account_id"
    return frame.astype({"is_key": bool, "score": "float64", "health_score": "float64", "attainment_q": "float64"})


BEFORE = summary({
    "A": (True, 8.0, "score 8.0 ≥ 6 (rank 1)", "Tier 2", "Star", "Cooperative", 60.0, "amber", 0.9, 40.0, 70.0),
    "B": (False, 5.8, "score 5.8 below 6", "Tier 3", "Streamline", "Tactical", 45.0, "red", 0.7, 30.0, 50.0),
    "C": (True, 7.0, "score 7.0 ≥ 6 (rank 2)", "Tier 2", "Status", "Cooperative", 70.0, "green", 1.0, 50.0, 80.0),
    "D": (True, 6.3, "score 6.3 ≥ 6 (rank 4)", "Tier 2", "Status", "Tactical", 55.0, "amber", 0.8, 50.0, 60.0),
    "F": (False, 3.0, "score 3.0 below 6", "Tier 3", "Streamline", "Tactical", 30.0, "red", NAN, 20.0, 40.0),
    "G": (True, 6.6, "score 6.6 ≥ 6 (rank 3)", "Tier 2", "Star", "Cooperative", 65.0, "amber", 1.1, 60.0, 60.0),
    "H": (True, 4.0, "included by the team: pilot site", "Tier 3", "Star", "Tactical", 50.0, "amber", 0.5, 50.0, 50.0),
    "I": (True, 6.8, "score 6.8 ≥ 6 (rank 5)", "Tier 2", "Status", "Cooperative", 66.0, "amber", 0.9, 50.0, 60.0),
})
AFTER = summary({
    "A": (True, 8.4, "score 8.4 ≥ 6.5 (rank 1)", "Tier 1", "Strategic", "Cooperative", 72.0, "green", 1.1, 70.0, 72.0),
    "B": (True, 7.0, "score 7.0 ≥ 6.5 (rank 2)", "Tier 2", "Star", "Tactical", 52.0, "amber", 0.9, 30.0, 50.0),
    "C": (False, 7.1, "excluded by the team: reseller", "Tier 2", "Status", "Cooperative", 70.0, "green", 1.0, 50.0,
          80.0),
    "D": (False, 6.3, "score 6.3 below 6.5", "Tier 2", "Status", "Tactical", 55.0, "amber", 0.8, 50.0, 60.0),
    "E": (True, 9.0, "score 9.0 ≥ 6.5 (rank 1)", "Tier 1", "Star", "Tactical", NAN, "n/a", NAN, NAN, NAN),
    "F": (False, 3.2, "score 3.2 below 6.5", "Tier 3", "Streamline", "Tactical", 31.0, "red", NAN, 20.0, 40.0),
    "H": (False, 4.1, "score 4.1 below 6.5", "Tier 3", "Star", "Tactical", 50.0, "amber", 0.5, 50.0, 50.0),
    "I": (False, 6.8, "score 6.8 ≥ 6.5 but beyond the cap of 15", "Tier 2", "Status", "Cooperative", 66.0, "amber",
          0.9, 50.0, 60.0),
})


def test_key_list_changes_and_their_reasons():
    changes = key_list_changes(AFTER, BEFORE, 6.5, 6.0, cap=15, previous_cap=20)
    assert sorted(changes.index[changes["change"] == "entered"]) == ["B", "E"]
    assert sorted(changes.index[changes["change"] == "left"]) == ["C", "D", "G", "H", "I"]
    reason = changes["reason"]
    # B: 5.8 was below the old threshold 6, and 7.0 is above the new 6.5 and the old 6: the score moved it
    assert reason["B"] == "score rose to 7.0 from 5.8 (threshold 6.5)"
    assert reason["C"] == "team override now: reseller"
    # D: 6.3 is on the same side of the old threshold both quarters (key); under 6.5 it is not: the settings
    assert reason["D"] == "threshold changed from 6 to 6.5 (score 6.3 → 6.3)"
    assert reason["E"] == "new account: no revenue up to the previous quarter"
    assert reason["G"] == "no revenue up to this quarter"
    assert reason["H"] == "team override ended (was: pilot site)"
    # I: 6.8 is above both thresholds, so neither the score nor the threshold moved it: the cap did
    assert reason["I"] == "the cap on key accounts changed from 20 to 15"
    assert changes.loc["B", "score"] == 7.0 and changes.loc["B", "prev_score"] == 5.8
    assert np.isnan(changes.loc["E", "prev_score"]) and np.isnan(changes.loc["G", "score"])
    assert changes.loc["G", "name"] == "Account G"     # only in the previous quarter: its name from there
    assert list(changes.columns) == ["name", "change", "score", "prev_score", "reason"]


def test_a_score_crossing_under_an_unchanged_threshold_and_the_cap_squeeze():
    before = BEFORE.loc[["B", "D"]]
    after = AFTER.loc[["B", "D"]].assign(selection_reason=["score 7.0 ≥ 6 (rank 2)",
                                                           "score 6.3 ≥ 6 but beyond the cap of 20"])
    changes = key_list_changes(after, before, 6.0)   # same threshold and cap: D left because others outscored it
    assert changes.loc["B", "reason"] == "score rose to 7.0 from 5.8 (threshold 6)"
    assert changes.loc["D", "reason"] == ("score 6.30 (was 6.30), at or above 6, but higher-scoring accounts took "
                                          "the places under the cap")
    into = key_list_changes(after.assign(is_key=[False, True]), before.assign(is_key=[False, False]), 6.0, cap=20)
    assert into.loc["D", "reason"] == "score 6.30 (was 6.30), at or above 6: it moved into the 20 places under the cap"


def test_no_change_is_no_row():
    assert key_list_changes(BEFORE, BEFORE, 6.0).empty


def test_account_movement_per_account():
    m = account_movement(AFTER, BEFORE)
    assert list(m.index) == list(AFTER.index)
    assert m["key_change"].to_dict() == {"A": "stayed key", "B": "entered", "C": "left", "D": "left", "E": "new",
                                         "F": "stayed other", "H": "left", "I": "left"}
    assert m.loc["A", "prev_quadrant"] == "Star" and m.loc["A", "quadrant"] == "Strategic"
    assert m.loc["A", "prev_tier"] == "Tier 2" and m.loc["A", "prev_health_score"] == 60.0
    assert m.loc["A", "prev_attainment_q"] == 0.9 and bool(m.loc["A", "prev_is_key"]) is True
    assert bool(m.loc["B", "prev_is_key"]) is False
    assert m.loc["A", "changes"] == "Tier 2 → Tier 1; quadrant Star → Strategic; health band amber → green"
    assert m.loc["B", "changes"] == ("entered the key list; Tier 3 → Tier 2; quadrant Streamline → Star; "
                                     "health band red → amber")
    assert m.loc["F", "changes"] == ""
    # E had no revenue then: every prev_* is empty and nothing "changed"
    assert pd.isna(m.loc["E", "prev_quadrant"]) and pd.isna(m.loc["E", "prev_is_key"]) and m.loc["E", "changes"] == ""


def test_without_a_previous_quarter_the_change_is_unknown():
    m = account_movement(AFTER, None)
    assert set(m["key_change"]) == {"unknown"} and m["prev_quadrant"].isna().all()


def test_a_previous_summary_without_a_column_gives_empty_values_not_changes():
    m = account_movement(AFTER, BEFORE.drop(columns=["health_band", "quadrant"]))
    assert m["prev_quadrant"].isna().all() and "quadrant" not in m.loc["A", "changes"]
    assert m.loc["A", "changes"] == "Tier 2 → Tier 1"


def test_transitions_and_health_driver():
    t = transitions(BEFORE["quadrant"], AFTER["quadrant"], ("Strategic", "Star", "Status", "Streamline"))
    # in both: A Star→Strategic, B Streamline→Star, C, D, I Status→Status, F Streamline→Streamline, H Star→Star
    rows = {(r["from"], r["to"]): r["accounts"] for _, r in t.iterrows()}
    assert rows == {("Star", "Strategic"): 1, ("Star", "Star"): 1, ("Status", "Status"): 3,
                    ("Streamline", "Star"): 1, ("Streamline", "Streamline"): 1}
    assert t.loc[t["from"] == "Star", "changed"].tolist() == [True, False]
    # A: growth 40 → 70 (+30), nps 70 → 72 (+2): growth moved most
    assert health_driver(AFTER.loc["A"], BEFORE.loc["A"]) == ("growth", 30.0)
    assert health_driver(AFTER.loc["F"], BEFORE.loc["F"]) is None
    assert health_driver(AFTER.loc["A"], None) is None
