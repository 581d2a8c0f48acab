"""Account health: each component scored 0-100 by its rule, weighted, banded; worked out by hand.

Quarter 2026Q2, as of 2026-06-30; stale after 90 days; default weights
growth 20, attainment 20, nps 20, engagement 15, coverage 15, risks 10.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kamreports.analytics import account as acct
from kamreports.analytics.health import (
    DEFAULT_WEIGHTS,
    account_health,
    health_components,
    health_scores,
    stakeholder_stats,
)
from kamreports.config import Health, Settings, load_settings, validate
from kamreports.data.dataset import empty_table
from kamreports.errors import ConfigError
from tests.conftest import Q, approx, contacts

SUMMARY = pd.DataFrame({
    #              H1     H2      H3     H4     H5
    "t4q_growth": [0.10, np.nan, -0.30, 0.00, 0.20],
    "attainment_q": [0.90, np.nan, 1.20, 0.75, 1.00],
    "nps_avg": [8.5, np.nan, 6.0, 7.0, np.nan],
}, index=pd.Index(["H1", "H2", "H3", "H4", "H5"], name="account_id"))

STAKEHOLDERS = contacts([
    # H1: 18, 60 and 180 days ago -> Cy is stale
    ("H1", "Ann", "CFO", "economic_buyer", "executive", 5, 1, "2026-06-12"),
    ("H1", "Bob", "", "champion", "management", 3, 1, "2026-05-01"),
    ("H1", "Cy", "", "technical", "operational", 2, 0, "2026-01-01"),
    # H2: one contact, a detractor but not in a deciding role
    ("H2", "Ed", "CTO", "technical", "operational", 4, -2, "2026-06-12"),
    # H3: none
    # H4: sceptical economic buyer (121 days: stale), detractor decision maker never contacted, champion today
    ("H4", "Dee", "CEO", "economic_buyer", "executive", 5, -1, "2026-03-01"),
    ("H4", "Fay", "COO", "decision_maker", "management", 4, -2, None),
    ("H4", "Gus", "", "champion", "operational", 2, 2, "2026-06-30"),
    # H5: as H1
    ("H5", "Ann", "CFO", "economic_buyer", "executive", 5, 1, "2026-06-12"),
    ("H5", "Bob", "", "champion", "management", 3, 1, "2026-05-01"),
    ("H5", "Cy", "", "technical", "operational", 2, 0, "2026-01-01"),
])


@pytest.fixture(scope="module")
def components():
    return health_components(SUMMARY, STAKEHOLDERS, Q)


def test_stakeholder_stats_by_hand():
    stats = stakeholder_stats(STAKEHOLDERS, SUMMARY.index, Q)
    assert stats["contacts"].tolist() == [3, 1, 0, 3, 3]
    assert stats.loc["H1", "days_since_contact"] == 18              # the most recent of 18, 60, 180
    assert stats.loc["H4", "days_since_contact"] == 0
    assert math.isnan(stats.loc["H3", "days_since_contact"])
    # H1: buyer, champion, technical; H3: nobody mapped -> not assessed (NaN), not 0
    assert stats["roles_covered"].tolist() == approx([3, 1, np.nan, 3, 3])
    # H1: stale only -> 1. H2: single-threaded, no buyer, no executive, no champion -> 4.
    # H3: no contacts -> not assessed (NaN), not four flags. H4: two deciding-role detractors + stale -> 3.
    assert stats["risk_flags"].tolist() == approx([1, 4, np.nan, 3, 1])


def test_risk_flags_count_what_stakeholder_risks_lists():
    stats = stakeholder_stats(STAKEHOLDERS, SUMMARY.index, Q)
    for account in ("H1", "H2", "H4", "H5"):
        listed = acct.stakeholder_risks(acct.stakeholder_map(STAKEHOLDERS, account, Q), 90)
        assert stats.loc[account, "risk_flags"] == len(listed), (account, listed)


def test_components_by_hand(components):
    h1 = components.loc["H1"]
    assert h1["health_growth"] == approx(75.0)          # 50 + 50 * .10 / .20
    assert h1["health_attainment"] == approx(80.0)      # (.90 - .5) / .5 * 100
    assert h1["health_nps"] == approx(85.0)             # 8.5 * 10
    assert h1["health_engagement"] == approx(90.0)      # 100 * (1 - 18 / 180)
    assert h1["health_coverage"] == approx(60.0)        # 3 of 5 roles
    assert h1["health_risks"] == approx(75.0)           # 100 - 25 * 1
    h3 = components.loc["H3"]
    assert h3["health_growth"] == 0.0                   # 50 - 75, clipped at 0
    assert h3["health_attainment"] == 100.0             # 140, clipped at 100
    # no mapped stakeholders while others have some: not assessed (missing), never scored 0 for want of data
    assert all(math.isnan(h3[c]) for c in ("health_engagement", "health_coverage", "health_risks"))
    h4 = components.loc["H4"]
    assert (h4["health_growth"], h4["health_attainment"], h4["health_nps"]) == approx((50.0, 50.0, 70.0))
    assert h4["health_engagement"] == 100.0 and h4["health_risks"] == approx(25.0)   # 100 - 25 * 3


def test_scores_and_bands_by_hand(components):
    out = health_scores(components)
    # H1: (75*20 + 80*20 + 85*20 + 90*15 + 60*15 + 75*10) / 100 = 7800 / 100 = 78
    assert out.loc["H1", "health_score"] == approx(78.0) and out.loc["H1", "health_band"] == "green"
    # H3: no stakeholders, so engagement, coverage and risks are left out (40 of 100):
    # (0*20 + 100*20 + 60*20) / 60 = 3200 / 60 = 53.3 (it was 32, red, when they counted as 0)
    assert out.loc["H3", "health_score"] == approx(3200 / 60) and out.loc["H3", "health_band"] == "amber"
    assert out.loc["H3", "missing"] == "engagement, coverage, risks" and out.loc["H3", "health_weight"] == 60.0
    # H4: (50*20 + 50*20 + 70*20 + 100*15 + 60*15 + 25*10) / 100 = 6050 / 100 = 60.5
    assert out.loc["H4", "health_score"] == approx(60.5) and out.loc["H4", "health_band"] == "amber"
    assert out.loc["H1", "missing"] == "" and out.loc["H1", "health_weight"] == 100.0
    for col in ("health_growth", "health_attainment", "health_nps", "health_engagement", "health_coverage",
                "health_risks", "health_score", "health_band", "missing"):
        assert col in out.columns


def test_missing_component_is_left_out_and_the_rest_reweighted(components):
    out = health_scores(components)
    # H5: no feedback. (100*20 + 100*20 + 90*15 + 60*15 + 75*10) / 80 = 7000 / 80 = 87.5
    assert out.loc["H5", "missing"] == "nps"
    assert out.loc["H5", "health_weight"] == 80.0
    assert out.loc["H5", "health_score"] == approx(87.5)


def test_too_little_data_gives_no_score(components):
    out = health_scores(components)
    # H2: no growth, zero/missing target, no feedback -> 60 of 100 missing, 40 < min_weight 50
    assert out.loc["H2", "missing"] == "growth, attainment, nps"
    assert out.loc["H2", "health_weight"] == 40.0
    assert math.isnan(out.loc["H2", "health_score"]) and out.loc["H2", "health_band"] == "n/a"
    # with min_weight 40: engagement 90 (18 days), coverage 20, risks 0 (4 flags)
    # (90*15 + 20*15 + 0*10) / 40 = 1650 / 40 = 41.25
    low = health_scores(components, min_weight=40)
    assert low.loc["H2", "health_score"] == approx(41.25) and low.loc["H2", "health_band"] == "red"


def test_no_stakeholder_table_means_missing_not_zero():
    comp = health_components(SUMMARY, empty_table("stakeholders"), Q)
    assert comp[["health_engagement", "health_coverage", "health_risks"]].isna().all().all()
    out = health_scores(comp)
    # H1: (75*20 + 80*20 + 85*20) / 60 = 4800 / 60 = 80
    assert out.loc["H1", "health_score"] == approx(80.0)
    assert out.loc["H1", "missing"] == "engagement, coverage, risks"


def test_band_cut_offs_are_exclusive_below():
    comp = pd.DataFrame({f"health_{k}": [49.999, 50.0, 69.999, 70.0] for k in DEFAULT_WEIGHTS},
                        index=list("abcd"))
    out = health_scores(comp)
    assert out["health_score"].tolist() == approx([49.999, 50.0, 69.999, 70.0])   # equal components: the value
    assert out["health_band"].tolist() == ["red", "amber", "amber", "green"]
    moved = health_scores(comp, red=60, amber=80)
    assert moved["health_band"].tolist() == ["red", "red", "amber", "amber"]


def test_custom_weights_and_zero_weight_component(components):
    weights = {"growth": 50, "attainment": 50, "nps": 0}
    out = health_scores(components, weights)
    assert out.loc["H1", "health_score"] == approx((75 * 50 + 80 * 50) / 100)      # 77.5
    assert out.loc["H5", "missing"] == ""                    # nps weighs nothing: not reported missing
    with pytest.raises(ValueError):
        health_scores(components, {"growth": 60, "attainment": 50})
    with pytest.raises(ValueError):
        health_scores(components, {"growth": 50, "charm": 50})


def test_engagement_edges():
    sh = contacts([
        ("E1", "Future", "", "champion", "management", 3, 1, "2026-07-10"),   # after the quarter end: 0 days
        ("E2", "Never", "", "champion", "management", 3, 1, None),            # mapped, never contacted
        ("E3", "Half", "", "champion", "management", 3, 1, "2026-04-01"),     # 90 days: 100 * (1 - 90/180)
        ("E4", "Old", "", "champion", "management", 3, 1, "2025-06-30"),      # 365 days: clipped at 0
    ])
    summary = pd.DataFrame({"t4q_growth": [0.0] * 4, "attainment_q": [1.0] * 4, "nps_avg": [10.0] * 4},
                           index=pd.Index(["E1", "E2", "E3", "E4"], name="account_id"))
    comp = health_components(summary, sh, Q)
    assert comp["health_engagement"].tolist() == approx([100.0, 0.0, 50.0, 0.0])
    # single-threaded, no economic buyer, no executive (champion present); E3 at exactly 90 days is
    # not stale (more than 90 is), E2 (never) and E4 (365 days) are: one flag more
    assert comp["risk_flags"].tolist() == [3, 4, 3, 4]
    # stale_days 180: 90 days -> 100 * (1 - 90/360) = 75
    assert health_components(summary, sh, Q, stale_days=180).loc["E3", "health_engagement"] == approx(75.0)


def test_single_account_and_all_equal_accounts():
    one = account_health(SUMMARY.loc[["H1"]], STAKEHOLDERS, Q)
    assert one.loc["H1", "health_score"] == approx(78.0)     # absolute rules: no ranking against others
    twins = SUMMARY.loc[["H1", "H1"]].set_axis(["T1", "T2"])
    sh = pd.concat([STAKEHOLDERS[STAKEHOLDERS["account_id"] == "H1"].assign(account_id=a) for a in ("T1", "T2")])
    out = account_health(twins, sh, Q)
    assert out["health_score"].tolist() == approx([78.0, 78.0])


def test_account_health_uses_the_settings():
    settings = Health(weights={"growth": 100}, red=80, amber=90, growth_span=0.5, risk_step=50)
    out = account_health(SUMMARY, STAKEHOLDERS, Q, settings)
    assert out.loc["H1", "health_growth"] == approx(60.0)    # 50 + 50 * .1 / .5
    assert out.loc["H1", "health_score"] == approx(60.0) and out.loc["H1", "health_band"] == "red"
    assert out.loc["H4", "health_risks"] == 0.0               # 100 - 50 * 3, not below 0
    assert out.loc["H2", "health_band"] == "n/a"             # its only weighted component is missing


def test_health_settings_defaults_and_validation(tmp_path):
    health = Settings().health
    assert health.weights == {"growth": 20, "attainment": 20, "nps": 20, "engagement": 15, "coverage": 15,
                              "risks": 10}
    assert (health.red, health.amber, health.min_weight) == (50, 70, 50)
    assert validate(Settings()) == []
    path = tmp_path / "s.yaml"
    path.write_text("health:\n  weights: {growth: 60, nps: 30, charm: 20}\n  red: 80\n  amber: 60\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    messages = [p.message for p in info.value.problems]
    # unknown 'charm', weights sum to 110, red above amber
    assert len(messages) == 3, messages
    assert any("charm" in m for m in messages)
    assert any("health.weights" in m and "110" in m for m in messages)
    assert any("red <= amber" in m for m in messages)
    path.write_text("health:\n  weights: {growth: 50, attainment: 50}\n")
    assert load_settings(path).health == Health(weights={"growth": 50, "attainment": 50})
