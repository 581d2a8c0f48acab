"""Relationship stages by the points rule, and the guidance for each stage and potential.

Default thresholds (Stages()): contacts 2/4/6, share of wallet 20%/40%/60%, tenure 1/3/5 years, one
point per level engaged; total 0-12 -> Tactical < 4 <= Cooperative < 7 <= Interdependent < 10 <= Strategic.
High potential: attractiveness >= 5.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamreports.analytics.relationship import (
    GUIDANCE,
    NOT_ASSESSED_GUIDANCE,
    STAGES,
    by_stage,
    relationship_stages,
    stage_counts,
    stage_guidance,
)
from kamreports.config import Stages


def people(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["account_id", "name", "role", "level"])


STAKEHOLDERS = people([
    # R1: six contacts on all three levels
    ("R1", "a", "economic_buyer", "executive"), ("R1", "b", "champion", "management"),
    ("R1", "c", "technical", "operational"), ("R1", "d", "end_user", "operational"),
    ("R1", "e", "influencer", "operational"), ("R1", "f", "decision_maker", "executive"),
    # R2: four contacts, two levels (one contact has no level)
    ("R2", "g", "champion", "management"), ("R2", "h", "technical", "management"),
    ("R2", "i", "end_user", "operational"), ("R2", "j", "influencer", None),
    # R3: one executive
    ("R3", "k", "economic_buyer", "executive"),
    # R4: nobody mapped
    # R5: two contacts, executive and management
    ("R5", "l", "economic_buyer", "executive"), ("R5", "m", "champion", "management"),
    # someone at an account that is not in the summary
    ("ZZ", "n", "champion", "executive"),
])

SUMMARY = pd.DataFrame({
    "share_of_wallet": [0.60, 0.39, np.nan, 0.20, 0.45],
    "tenure_years": [5.0, 2.9, np.nan, 1.0, 3.5],
    "attractiveness": [8.0, 4.0, 5.0, 9.0, 2.0],
}, index=pd.Index(["R1", "R2", "R3", "R4", "R5"], name="account_id"))


def test_points_and_stages_by_hand():
    out = relationship_stages(SUMMARY, STAKEHOLDERS)
    # contacts     6 -> 3 (>= 2, 4, 6); 4 -> 2; 1 -> 0; 0 -> 0; 2 -> 1
    assert out["contacts"].tolist() == [6, 4, 1, 0, 2]
    assert out["points_contacts"].tolist() == [3, 2, 0, 0, 1]
    # levels       R1 all three; R2 management + operational (the blank level does not count); R3 executive;
    #              R4 none; R5 executive + management
    assert out["levels_engaged"].tolist() == ["executive, management, operational", "management, operational",
                                              "executive", "", "executive, management"]
    assert out["points_levels"].tolist() == [3, 2, 1, 0, 2]
    # wallet       0.60 -> 3; 0.39 -> 1 (>= .2, < .4); unknown -> 0; 0.20 -> 1 (the boundary); 0.45 -> 2
    assert out["points_wallet"].tolist() == [3, 1, 0, 1, 2]
    # tenure       5.0 -> 3; 2.9 -> 1; unknown -> 0; 1.0 -> 1; 3.5 -> 2
    assert out["points_tenure"].tolist() == [3, 1, 0, 1, 2]
    # totals       R1 3+3+3+3 = 12; R2 2+2+1+1 = 6; R3 0+1+0+0 = 1; R4 0+0+1+1 = 2; R5 1+2+2+2 = 7
    assert out["points"].tolist() == [12, 6, 1, 2, 7]
    # R4 has nobody mapped: its 2 points are wallet and tenure alone, so it is not staged (never "Tactical"
    # for want of contacts)
    assert out["stage"].tolist() == ["Strategic", "Cooperative", "Tactical", "Not assessed", "Interdependent"]
    assert out["unknown"].tolist() == ["", "", "share of wallet, tenure", "", ""]
    assert list(out.index) == list(SUMMARY.index)


def test_guidance_pairs_stage_with_potential():
    out = relationship_stages(SUMMARY, STAKEHOLDERS)
    # attractiveness 8, 4, 5 (the boundary counts as high), 9, 2
    assert out["potential_high"].tolist() == [True, False, True, True, False]
    assert out.loc["R1", "guidance"] == GUIDANCE[("Strategic", True)]
    assert out.loc["R2", "guidance"] == GUIDANCE[("Cooperative", False)]
    assert out.loc["R3", "guidance"].startswith("Invest to move up")      # high potential, still tactical
    assert out.loc["R5", "guidance"] == GUIDANCE[("Interdependent", False)]


def test_thresholds_come_from_settings():
    stages = Stages(cooperative=2, interdependent=6, strategic=12, wallet_1=0.5, wallet_2=0.55, wallet_3=0.6)
    out = relationship_stages(SUMMARY, STAKEHOLDERS, stages)
    # wallet now 0.60 -> 3; 0.39 -> 0; 0.20 -> 0; 0.45 -> 0
    # totals R1 12; R2 2+2+0+1 = 5; R3 1; R4 0+0+0+1 = 1; R5 1+2+0+2 = 5
    assert out["points"].tolist() == [12, 5, 1, 1, 5]
    assert out["stage"].tolist() == ["Strategic", "Cooperative", "Tactical", "Not assessed", "Cooperative"]
    # a stricter potential line: only attractiveness >= 8.5 is high
    out = relationship_stages(SUMMARY, STAKEHOLDERS, Stages(high_potential=8.5))
    assert out["potential_high"].tolist() == [False, False, False, True, False]
    assert out.loc["R1", "guidance"].startswith("Rethink the investment")   # strategic, low potential
    assert out.loc["R4", "guidance"] == NOT_ASSESSED_GUIDANCE               # high potential, but nobody mapped


def test_potential_can_be_given_and_is_required():
    given = pd.Series({"R1": False, "R2": True})            # accounts not named count as not high
    out = relationship_stages(SUMMARY, STAKEHOLDERS, potential_high=given)
    assert out["potential_high"].tolist() == [False, True, False, False, False]
    with pytest.raises(ValueError, match="attractiveness"):
        relationship_stages(SUMMARY.drop(columns="attractiveness"), STAKEHOLDERS)


def test_no_stakeholders_single_account_and_all_equal():
    empty = people([])
    out = relationship_stages(SUMMARY, empty)
    assert (out["contacts"] == 0).all() and (out["points_levels"] == 0).all()
    # the points still add up wallet and tenure: R1 3+3 = 6; R2 1+1 = 2; R3 0; R4 1+1 = 2; R5 2+2 = 4, but with
    # nobody mapped no account is staged: "Not assessed", with guidance to map the stakeholders
    assert out["points"].tolist() == [6, 2, 0, 2, 4]
    assert out["stage"].tolist() == ["Not assessed"] * 5
    assert set(out["guidance"]) == {NOT_ASSESSED_GUIDANCE}
    # a stakeholders table without the optional level column: no level points
    no_level = relationship_stages(SUMMARY, STAKEHOLDERS.drop(columns="level"))
    assert (no_level["points_levels"] == 0).all() and no_level.loc["R1", "points"] == 9   # 3 + 0 + 3 + 3
    one = relationship_stages(SUMMARY.loc[["R5"]], STAKEHOLDERS)
    assert one["points"].tolist() == [7] and one["stage"].tolist() == ["Interdependent"]
    same = pd.DataFrame({"share_of_wallet": 0.3, "tenure_years": 2.0, "attractiveness": 6.0},
                        index=["E1", "E2", "E3"])
    # 0 contacts, 0 levels, wallet 0.3 -> 1, tenure 2 -> 1: 2 points, but nobody mapped: not assessed
    out = relationship_stages(same, empty)
    assert out["points"].tolist() == [2, 2, 2]
    assert set(out["stage"]) == {"Not assessed"} and set(out["guidance"]) == {NOT_ASSESSED_GUIDANCE}
    # one contact each: 0 + 1 + 1 + 1 = 3 points (one contact earns none; one level, wallet, tenure): Tactical
    one_each = people([(a, "x", "champion", "management") for a in ("E1", "E2", "E3")])
    staged = relationship_stages(same, one_each)
    assert staged["points"].tolist() == [3, 3, 3] and set(staged["guidance"]) == {GUIDANCE[("Tactical", True)]}


def test_stage_guidance_for_all_eight_pairings():
    texts = {(stage, high): stage_guidance(stage, high) for stage in STAGES for high in (True, False)}
    assert len(set(texts.values())) == 8                      # each pairing has its own advice
    assert texts[("Tactical", True)].startswith("Invest to move up")
    assert texts[("Strategic", False)].startswith("Rethink the investment")
    assert texts[("Tactical", False)].startswith("Serve efficiently")
    assert texts[("Strategic", True)].startswith("Protect and grow")
    assert stage_guidance("Cooperative", np.True_) == texts[("Cooperative", True)]
    with pytest.raises(ValueError, match="Partner"):
        stage_guidance("Partner", True)


def test_not_assessed_is_counted_apart_and_leads_the_stage_list():
    accounts = pd.DataFrame({"name": ["a", "b", "c", "d"],
                             "relationship_stage": ["Cooperative", "Not assessed", "Tactical", "Not assessed"],
                             "quadrant": ["Star", "Not assessed", "Status", "Not assessed"],
                             "stage_guidance": ["g1", "g2", "g3", "g4"]}, index=["A", "B", "C", "D"])
    counts = stage_counts(accounts)
    assert counts.to_dict() == {"Tactical": 1, "Cooperative": 1, "Interdependent": 0, "Strategic": 0,
                                "Not assessed": 2}
    # without any account not assessed, the four stages only (as before)
    assert list(stage_counts(accounts.loc[["A", "C"]]).index) == list(STAGES)
    assert list(by_stage(accounts).index) == ["B", "D", "C", "A"]
    assert stage_guidance("Not assessed", True) == stage_guidance("Not assessed", False) == NOT_ASSESSED_GUIDANCE
