"""Growth against target, the full-year forecast and the portfolio by quarter, worked out by hand.

The reporting quarter is 2026Q2 unless a test says otherwise: Q1 and Q2 of 2026 are done,
Q3 and Q4 remain.

G1: long history; quarter-on-quarter changes alternate +25% / -25%.
      2025Q1 50, 2025Q2 64, 2025Q3 80, 2025Q4 60, 2026Q1 75, 2026Q2 56.25
      changes: 64/50 = 1.28; 80/64 = 1.25; 60/80 = 0.75; 75/60 = 1.25; 56.25/75 = 0.75
      targets: 2025Q3 75, 2025Q4 75, 2026Q1..Q2 70, 2026Q3..Q4 80
G2: one quarter of history (2026Q2: 50); a zero target for 2026Q2, no other target.
G3: a quarter without revenue: 2025Q3 40, 2025Q4 0, 2026Q1 20, 2026Q2 30; all 2026 targets zero.
G4: revenue only after the reporting quarter (2026Q3: 500); a target of 10 in 2026Q2.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kamreports.analytics import account as acct
from kamreports.analytics.growth import (
    account_growth,
    forecast_path,
    portfolio_forecast,
    portfolio_growth,
    quarterly_growth,
    year_forecast,
)
from kamreports.config import Forecast, Settings, load_settings, validate
from kamreports.data.dataset import empty_table
from kamreports.errors import ConfigError
from tests.conftest import Q, approx, quarterly

QUARTERLY = quarterly([
    ("G1", "2025Q1", 50.0), ("G1", "2025Q2", 64.0), ("G1", "2025Q3", 80.0), ("G1", "2025Q4", 60.0),
    ("G1", "2026Q1", 75.0), ("G1", "2026Q2", 56.25),
    ("G2", "2026Q2", 50.0),
    ("G3", "2025Q3", 40.0), ("G3", "2025Q4", 0.0), ("G3", "2026Q1", 20.0), ("G3", "2026Q2", 30.0),
    ("G4", "2026Q3", 500.0),
])
TARGETS = pd.DataFrame(
    [("G1", "2025Q3", 75.0), ("G1", "2025Q4", 75.0), ("G1", "2026Q1", 70.0), ("G1", "2026Q2", 70.0),
     ("G1", "2026Q3", 80.0), ("G1", "2026Q4", 80.0),
     ("G2", "2026Q2", 0.0),
     ("G3", "2026Q1", 0.0), ("G3", "2026Q2", 0.0), ("G3", "2026Q3", 0.0), ("G3", "2026Q4", 0.0),
     ("G4", "2026Q2", 10.0)],
    columns=["account_id", "quarter", "target"])

SPREAD_G1 = math.sqrt(4 * 0.25 ** 2 / 3)   # changes +.25 -.25 +.25 -.25: mean 0, sample sd = sqrt(1/12)


# --- quarterly_growth ----------------------------------------------------------------------------

def test_quarterly_growth_rows_and_windows():
    out = quarterly_growth(QUARTERLY, TARGETS, Q, quarters=4)
    # G4 has no revenue up to 2026Q2; G2 starts in 2026Q2; G3 in 2025Q3 (its 2025Q4 zero still shows)
    assert out[["account_id", "quarter"]].apply(tuple, axis=1).tolist() == [
        ("G1", "2025Q3"), ("G1", "2025Q4"), ("G1", "2026Q1"), ("G1", "2026Q2"),
        ("G2", "2026Q2"),
        ("G3", "2025Q3"), ("G3", "2025Q4"), ("G3", "2026Q1"), ("G3", "2026Q2")]
    g1 = out[out["account_id"] == "G1"].set_index("quarter")
    last = g1.loc["2026Q2"]
    assert last["qoq_growth"] == approx(56.25 / 75 - 1)          # -0.25
    assert last["yoy_growth"] == approx(56.25 / 64 - 1)          # base 2025Q2
    assert last["revenue_t4q"] == approx(80 + 60 + 75 + 56.25)   # 271.25
    # prior T4Q 2024Q3..2025Q2 = 0 + 0 + 50 + 64 = 114
    assert last["t4q_growth"] == approx(271.25 / 114 - 1)
    assert last["target_t4q"] == approx(75 + 75 + 70 + 70)       # 290
    assert last["attainment_t4q"] == approx(271.25 / 290)
    assert last["attainment"] == approx(56.25 / 70)
    # at 2026Q1 the T4Q target needs 2025Q2's, which is missing: NaN, not a partial sum
    assert math.isnan(g1.loc["2026Q1", "target_t4q"]) and math.isnan(g1.loc["2026Q1", "attainment_t4q"])
    assert g1.loc["2026Q1", "revenue_t4q"] == approx(64 + 80 + 60 + 75)


def test_quarterly_growth_zero_target_zero_base_one_quarter():
    out = quarterly_growth(QUARTERLY, TARGETS, Q, quarters=4).set_index(["account_id", "quarter"])
    g2 = out.loc[("G2", "2026Q2")]
    assert g2["target"] == 0.0 and math.isnan(g2["attainment"])   # zero target: no attainment
    for col in ("qoq_growth", "yoy_growth", "t4q_growth"):         # no base at all
        assert math.isnan(g2[col]), col
    assert g2["revenue_t4q"] == approx(50.0)
    assert math.isnan(out.loc[("G3", "2026Q1"), "qoq_growth"])      # base 2025Q4 = 0
    assert out.loc[("G3", "2026Q2"), "qoq_growth"] == approx(0.5)  # 30 / 20 - 1
    assert out.loc[("G3", "2025Q4"), "qoq_growth"] == approx(-1.0)  # 0 / 40 - 1
    assert not np.isinf(out.select_dtypes("number").to_numpy(dtype=float)).any()


def test_account_growth_agrees_with_growth_vs_target():
    for account in ("G1", "G2", "G3"):
        ours = account_growth(QUARTERLY, TARGETS, account, Q)
        theirs = acct.growth_vs_target(QUARTERLY, TARGETS, account, Q)
        pd.testing.assert_frame_equal(ours[list(theirs.columns)], theirs, check_names=False)
    assert account_growth(QUARTERLY, TARGETS, "G4", Q).empty


# --- year_forecast --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def forecast():
    return year_forecast(QUARTERLY, TARGETS, Q)


def test_forecast_run_rate_and_band_by_hand(forecast):
    assert list(forecast.index) == ["G1", "G2", "G3"]          # G4 has no revenue up to 2026Q2
    g1 = forecast.loc["G1"]
    assert (g1["year"], g1["quarters_done"], g1["remaining_quarters"]) == (2026, 2, 2)
    assert g1["actual_ytd"] == approx(75 + 56.25)              # 131.25
    assert g1["run_rate"] == approx((75 + 56.25) / 2)          # 65.625, the last two quarters
    assert g1["forecast_remaining"] == approx(2 * 65.625)      # 131.25
    assert g1["forecast"] == approx(262.5)
    # the last four changes (2025Q2 -> 2026Q2): +.25, -.25, +.25, -.25; the 2025Q1 -> Q2 +.28 is too old
    assert g1["changes_used"] == 4
    assert g1["qoq_spread"] == approx(SPREAD_G1)               # 0.288675
    assert g1["band"] == approx(SPREAD_G1) and g1["band_source"] == "spread"
    assert g1["forecast_low"] == approx(131.25 + 131.25 * (1 - SPREAD_G1))    # 224.36
    assert g1["forecast_high"] == approx(131.25 + 131.25 * (1 + SPREAD_G1))   # 300.39


def test_forecast_gap_to_annual_target(forecast):
    g1 = forecast.loc["G1"]
    assert g1["target_quarters"] == 4
    assert g1["annual_target"] == approx(70 + 70 + 80 + 80)    # 300
    assert g1["gap_to_target"] == approx(262.5 - 300)          # -37.5: short
    assert g1["forecast_attainment"] == approx(262.5 / 300)    # 0.875
    assert g1["target_ytd"] == approx(140.0)
    assert g1["attainment_ytd"] == approx(131.25 / 140)
    # low 224.4 < 300 <= high 300.4: the target is inside the band
    assert g1["verdict"] == "at risk"


def test_forecast_one_quarter_of_history_uses_the_minimum_band(forecast):
    g2 = forecast.loc["G2"]
    assert g2["history_quarters"] == 1 and g2["run_rate_quarters"] == 1   # not diluted by a zero 2026Q1
    assert g2["run_rate"] == approx(50.0)
    assert g2["forecast"] == approx(50 + 2 * 50)               # 150
    assert g2["changes_used"] == 0 and math.isnan(g2["qoq_spread"])
    assert g2["band"] == approx(0.05) and g2["band_source"] == "minimum"
    assert g2["forecast_low"] == approx(50 + 100 * 0.95)       # 145: never a zero-width band
    assert g2["forecast_high"] == approx(50 + 100 * 1.05)      # 155
    # one target (zero) of four: no annual target, no gap
    assert g2["target_quarters"] == 1
    assert math.isnan(g2["annual_target"]) and math.isnan(g2["gap_to_target"])
    assert g2["verdict"] == "no target"
    assert math.isnan(g2["target_ytd"]) and math.isnan(g2["attainment_ytd"])   # 2026Q1 target missing


def test_forecast_skips_changes_from_a_zero_base_and_clips_the_low_end(forecast):
    g3 = forecast.loc["G3"]
    # changes: 2025Q2 -> Q3 is before the first revenue; 40 -> 0 = -1; 0 -> 20 has a zero base; 20 -> 30 = +.5
    assert g3["changes_used"] == 2
    # mean -0.25; deviations -0.75, +0.75; sample variance 2 * 0.5625 / 1 = 1.125
    assert g3["qoq_spread"] == approx(math.sqrt(1.125))
    assert g3["run_rate"] == approx(25.0)                      # (20 + 30) / 2
    assert g3["forecast"] == approx(50 + 50)
    assert g3["forecast_low"] == approx(50.0)                  # 1 - 1.06 < 0: the remainder's low end is 0
    assert g3["forecast_high"] == approx(50 + 50 * (1 + math.sqrt(1.125)))
    # four zero targets: zero means none was set
    assert g3["target_quarters"] == 4 and math.isnan(g3["annual_target"])


def test_forecast_settings_change_the_numbers():
    one = year_forecast(QUARTERLY, TARGETS, Q, run_rate_quarters=1).loc["G1"]
    assert one["run_rate"] == approx(56.25) and one["forecast"] == approx(131.25 + 2 * 56.25)   # 243.75
    three = year_forecast(QUARTERLY, TARGETS, Q, run_rate_quarters=3).loc["G1"]
    assert three["run_rate"] == approx((60 + 75 + 56.25) / 3)                                   # 63.75
    assert three["forecast"] == approx(131.25 + 2 * 63.75)                                      # 258.75
    wide = year_forecast(QUARTERLY, TARGETS, Q, min_band=0.5).loc["G1"]
    assert wide["band"] == 0.5 and wide["band_source"] == "minimum"                 # 0.2887 < 0.5
    assert (wide["forecast_low"], wide["forecast_high"]) == approx((131.25 + 65.625, 131.25 + 196.875))
    assert wide["verdict"] == "at risk"
    # the last two changes only, +.25 and -.25: mean 0, sample sd sqrt(2 * .0625 / 1) = .3536
    two = year_forecast(QUARTERLY, TARGETS, Q, band_quarters=2).loc["G1"]
    assert two["changes_used"] == 2 and two["qoq_spread"] == approx(math.sqrt(0.125))


def test_forecast_in_the_fourth_quarter_is_the_actual_year():
    out = year_forecast(QUARTERLY, TARGETS, "2025Q4")
    g1 = out.loc["G1"]
    assert g1["remaining_quarters"] == 0
    assert g1["forecast"] == approx(50 + 64 + 80 + 60)        # 254: nothing left to forecast
    assert g1["forecast_low"] == g1["forecast_high"] == g1["forecast"]
    assert list(out.index) == ["G1", "G3"]                    # G2 starts in 2026
    assert out.loc["G3", "actual_ytd"] == approx(40.0)
    # G1's 2025 targets: only Q3 and Q4 -> no annual target
    assert out.loc["G1", "target_quarters"] == 2 and math.isnan(out.loc["G1", "annual_target"])


def test_forecast_first_quarter_runs_on_last_year():
    g1 = year_forecast(QUARTERLY, TARGETS, "2026Q1").loc["G1"]
    assert g1["actual_ytd"] == approx(75.0)
    assert g1["run_rate"] == approx((60 + 75) / 2)            # 2025Q4 and 2026Q1
    assert g1["forecast"] == approx(75 + 3 * 67.5)            # 277.5


def test_forecast_verdicts_on_and_off_track():
    low_target = TARGETS.assign(target=TARGETS["target"].where(TARGETS["account_id"] != "G1", 50.0))
    g1 = year_forecast(QUARTERLY, low_target, Q).loc["G1"]
    assert g1["annual_target"] == approx(200.0) and g1["verdict"] == "on track"     # low 224.4 >= 200
    high_target = TARGETS.assign(target=TARGETS["target"].where(TARGETS["account_id"] != "G1", 100.0))
    g1 = year_forecast(QUARTERLY, high_target, Q).loc["G1"]
    assert g1["gap_to_target"] == approx(262.5 - 400) and g1["verdict"] == "off track"   # high 300.4 < 400


def test_forecast_without_a_targets_table_and_for_a_single_account():
    out = year_forecast(QUARTERLY, empty_table("targets"), Q)
    assert out["annual_target"].isna().all() and (out["verdict"] == "no target").all()
    assert out.loc["G1", "forecast"] == approx(262.5)
    single = year_forecast(QUARTERLY[QUARTERLY["account_id"] == "G2"], TARGETS, Q)
    assert list(single.index) == ["G2"] and single.loc["G2", "forecast"] == approx(150.0)
    assert list(year_forecast(QUARTERLY, TARGETS, Q, account_ids=["G3"]).index) == ["G3"]


def test_forecast_equal_accounts_get_equal_rows():
    twin = QUARTERLY[QUARTERLY["account_id"] == "G1"].assign(account_id="G1b")
    out = year_forecast(pd.concat([QUARTERLY, twin]), TARGETS, Q)
    pd.testing.assert_series_equal(out.loc["G1b", ["forecast", "forecast_low", "forecast_high", "band"]],
                                   out.loc["G1", ["forecast", "forecast_low", "forecast_high", "band"]],
                                   check_names=False)
    assert math.isnan(out.loc["G1b", "annual_target"])       # the twin has no targets


def test_forecast_rejects_a_zero_minimum_band():
    with pytest.raises(ValueError):
        year_forecast(QUARTERLY, TARGETS, Q, min_band=0.0)


def test_forecast_path_cumulates_with_a_widening_band(forecast):
    path = forecast_path(QUARTERLY, TARGETS, forecast, "G1")
    assert list(path.index) == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    assert path["kind"].tolist() == ["actual", "actual", "forecast", "forecast"]
    assert path["cumulative"].tolist() == approx([75.0, 131.25, 196.875, 262.5])   # + 65.625 a quarter
    assert path["target"].tolist() == approx([70.0, 70.0, 80.0, 80.0])
    assert math.isnan(path.loc["2026Q3", "revenue"]) and path.loc["2026Q3", "forecast"] == approx(65.625)
    assert path.loc["2026Q2", "cumulative_low"] == path.loc["2026Q2", "cumulative_high"] == approx(131.25)
    assert path.loc["2026Q3", "cumulative_low"] == approx(131.25 + 65.625 * (1 - SPREAD_G1))
    assert path.loc["2026Q4", "cumulative_low"] == approx(forecast.loc["G1", "forecast_low"])
    assert path.loc["2026Q4", "cumulative_high"] == approx(forecast.loc["G1", "forecast_high"])


# --- portfolio ------------------------------------------------------------------------------------

def test_portfolio_growth_by_hand():
    out = portfolio_growth(QUARTERLY, TARGETS, Q, key_ids=["G1"], quarters=2)
    assert list(out.index) == ["2026Q1", "2026Q2"]
    q2 = out.loc["2026Q2"]
    assert q2["revenue_key"] == approx(56.25)
    assert q2["revenue_rest"] == approx(50 + 30 + 0)          # G2, G3, G4
    assert q2["revenue_all"] == approx(136.25)
    # targets above zero: G1 70 (key); G4 10 (rest; G2's and G3's zeros are not targets)
    assert q2["target_key"] == approx(70.0) and q2["attainment_key"] == approx(56.25 / 70)
    assert q2["target_rest"] == approx(10.0) and q2["attainment_rest"] == 0.0     # G4 sold nothing yet
    assert q2["target_all"] == approx(80.0) and q2["attainment_all"] == approx(56.25 / 80)
    assert q2["qoq_growth_all"] == approx(136.25 / 95 - 1)    # 2026Q1: 75 + 20
    assert q2["yoy_growth_all"] == approx(136.25 / 64 - 1)    # 2025Q2: G1's 64
    assert q2["revenue_t4q_all"] == approx(271.25 + 50 + 90)  # G3: 40 + 0 + 20 + 30
    assert q2["key_share"] == approx(56.25 / 136.25)
    q1 = out.loc["2026Q1"]
    assert math.isnan(q1["target_rest"]) and math.isnan(q1["attainment_rest"])   # only a zero target
    assert q1["attainment_all"] == approx(75 / 70)


def test_portfolio_growth_single_account_and_no_key_accounts():
    g1 = QUARTERLY[QUARTERLY["account_id"] == "G1"]
    out = portfolio_growth(g1, TARGETS[TARGETS["account_id"] == "G1"], Q, key_ids=["G1"], quarters=2)
    assert out["revenue_key"].tolist() == out["revenue_all"].tolist() == approx([75.0, 56.25])
    assert (out["revenue_rest"] == 0).all() and out["attainment_rest"].isna().all()
    assert out["qoq_growth_rest"].isna().all()                # zero base, not -100% or inf
    none = portfolio_growth(QUARTERLY, TARGETS, Q, key_ids=[], quarters=2)
    assert (none["revenue_key"] == 0).all() and (none["key_share"] == 0).all()


def test_portfolio_forecast_compares_like_with_like(forecast):
    out = portfolio_forecast(forecast, key_ids=["G1"])
    assert list(out.index) == ["key", "rest", "all"]
    assert out.loc["key", "forecast"] == approx(262.5)
    assert out.loc["rest", "forecast"] == approx(150 + 100)   # G2 + G3
    assert out.loc["all", "forecast"] == approx(512.5)
    assert out.loc["all", "forecast_low"] == approx(forecast["forecast_low"].sum())
    # only G1 has an annual target: the gap compares G1's forecast with it, for "all" too
    assert out.loc["all", "accounts_with_target"] == 1
    assert out.loc["all", "annual_target"] == approx(300.0)
    assert out.loc["all", "gap_to_target"] == approx(-37.5)
    assert math.isnan(out.loc["rest", "annual_target"]) and math.isnan(out.loc["rest", "gap_to_target"])
    assert out.loc["rest", "accounts"] == 2


# --- settings -------------------------------------------------------------------------------------

def test_forecast_settings_defaults_and_validation(tmp_path):
    assert Settings().forecast == Forecast(run_rate_quarters=2, band_quarters=4, min_band=0.05)
    assert validate(Settings()) == []
    path = tmp_path / "s.yaml"
    path.write_text("forecast:\n  run_rate_quarters: 0\n  min_band: 0\n  band_quarters: 1\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    messages = " ".join(p.message for p in info.value.problems)
    assert len(info.value.problems) == 3
    for key in ("forecast.run_rate_quarters", "forecast.min_band", "forecast.band_quarters"):
        assert key in messages
    path.write_text("forecast:\n  run_rate_quarters: 3\n")
    assert load_settings(path).forecast == Forecast(run_rate_quarters=3)


# --- chart ----------------------------------------------------------------------------------------

def test_year_forecast_chart_shows_band_target_and_labels(forecast):
    from kamreports.charts.account import year_forecast_chart
    from kamreports.charts.style import png_bytes

    path = forecast_path(QUARTERLY, TARGETS, forecast, "G1")
    fig = year_forecast_chart(path, forecast.loc["G1", "annual_target"])
    ax = fig.axes[0]
    assert len(ax.collections) == 1                       # the shaded forecast range
    assert 300.0 in [line.get_ydata()[0] for line in ax.get_lines()]    # the annual target line
    texts = [t.get_text() for t in ax.texts]
    assert "Target $300" in texts  # money as text, not mathtext
    assert any(t.startswith("Forecast $262") for t in texts)         # 262.5, the forecast
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2026Q1\nactual", "2026Q2\nactual",
                                                             "2026Q3\nforecast", "2026Q4\nforecast"]
    assert png_bytes(fig, dpi=60)[:4] == b"\x89PNG"
    # G2: no annual target; the chart says so instead of drawing a line
    g2 = year_forecast_chart(forecast_path(QUARTERLY, TARGETS, forecast, "G2"), forecast.loc["G2", "annual_target"])
    assert "No full-year target set" in [t.get_text() for t in g2.axes[0].texts]
    # the fourth quarter: all actual, no band
    q4 = year_forecast(QUARTERLY, TARGETS, "2025Q4")
    full = year_forecast_chart(forecast_path(QUARTERLY, TARGETS, q4, "G1"))
    assert len(full.axes[0].collections) == 0
    assert any(t.get_text() == "Actual $254" for t in full.axes[0].texts)
