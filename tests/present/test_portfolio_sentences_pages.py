"""The portfolio review's statements that depend on a threshold or a population, on hand-made portfolios.

"No key account to review" must state the thresholds and still name every key account that shrank;
a cut list says how much was cut; NPS is a score; the rolling ROI explains its windows. Expected texts
are worked out here from the raw tables with plain pandas (see ``tests.conftest.small_company``).
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from kamreports import present as kp
from kamreports.formatting import NumberFormat
from kamreports.model import Portfolio, build_portfolio
from tests.conftest import SMALL_CURRENT, SMALL_PRIOR, Q, small_company, small_settings
from tests.present.test_present_pages import elements, rows, texts

FMT = NumberFormat()
RULE = ("A key account is listed for review when it has revenue over the last four quarters down 10% or more on the "
        "four before, quarter revenue below 80% of target, or a score below 1 (the threshold 10 less 9).")


def company(accounts: list[dict], keys: list[str]) -> Portfolio:
    return build_portfolio(small_company(accounts), small_settings(keys), Q)


def growth_from_raw(p: Portfolio) -> pd.Series:
    """Each account's revenue over the current window against the prior one, from the revenue table."""
    rev = p.dataset.revenue.assign(q=p.dataset.revenue["date"].dt.to_period("Q").astype(str))
    now = rev[rev["q"].isin(SMALL_CURRENT)].groupby("account_id")["revenue"].sum()
    before = rev[rev["q"].isin(SMALL_PRIOR)].groupby("account_id")["revenue"].sum()
    return now / before - 1


def review(p: Portfolio) -> SimpleNamespace:
    part = kp.review_table(p.candidates[1], FMT, p.key_accounts, p.settings)
    return SimpleNamespace(muted=[t for c, t in elements(part, "p") if c == "muted"],
                           said=[t for c, t in elements(part, "p") if c != "muted"],
                           callout=texts(part, "div"), rows=rows(part) if "<tbody>" in part.data else [])


def test_every_key_account_growing():
    p = company([dict(id="K1", prior=100, current=110), dict(id="K2", prior=50, current=50),
                 dict(id="O1", prior=40, current=30)], ["K1", "K2"])
    assert (growth_from_raw(p)[["K1", "K2"]] >= 0).all()
    r = review(p)
    assert r.muted == [RULE] and r.callout == ["No key account meets a review rule."]
    assert r.said == ["Every key account has at least as much revenue in the last four quarters as in the four before."]


def test_one_key_account_declining_below_the_threshold_is_named():
    p = company([dict(id="K1", prior=100, current=110), dict(id="K2", prior=200, current=188, name="Gamma"),
                 dict(id="O1", prior=40, current=30)], ["K1", "K2"])
    growth = growth_from_raw(p)["K2"]                        # 4 x 188 / (4 x 200) - 1 = -6%
    assert growth == pytest.approx(-0.06)
    r = review(p)
    assert r.callout == ["No key account meets a review rule."]
    # no targets in these data: no attainment to quote
    assert r.said == [f"1 key account has less revenue in the last four quarters than in the four before: Gamma "
                      f"{growth * 100:+.1f}%."]


def test_review_list_and_the_others_declining():
    p = company([dict(id="K1", prior=100, current=80, name="Alpha"), dict(id="K2", prior=200, current=196, name="Beta"),
                 dict(id="K3", prior=50, current=60, name="Gamma"), dict(id="O1", prior=40, current=30)],
                ["K1", "K2", "K3"])
    r = review(p)
    assert [row[0] for row in r.rows] == ["Alpha"]            # -20%: at or below -10%
    assert r.said == ["1 other key account has less revenue in the last four quarters than in the four before: "
                      "Beta -2.0%."]
    # every key account in the review list: nothing else to say about the others
    p = company([dict(id="K1", prior=100, current=80), dict(id="O1", prior=40, current=30)], ["K1"])
    assert review(p).said == []


def test_the_review_rule_without_settings_still_says_none_meets_it():
    empty = pd.DataFrame(columns=["name", "score", "reason"])
    assert texts(kp.review_table(empty, FMT), "div") == ["No key account meets a review rule."]


def test_kpis_name_their_population():
    p = company([dict(id="K1", prior=100, current=110), dict(id="O1", prior=40, current=30),
                 dict(id="D1", old=500)], ["K1"])
    strip = [t for t in texts(kp.portfolio_kpis(p.summary, p.key_accounts, p.top20_share, FMT), "div") if t]
    # D1 sold only before the window: two accounts with revenue, the top 20% is ceil(0.4) = 1 of them
    assert strip[:3] == ["Accounts", "2", "with revenue, last 4 quarters"]
    assert strip[-3:] == ["Top 20% share", f"{440 / 560:.0%}", "of revenue, from the top 1 account of 2"]
    table = kp.abc_class_table(p.summary.groupby("abc_class").agg(accounts=("name", "size"),
                                                                  revenue=("revenue_t4q", "sum"))
                               .assign(share=lambda d: d["revenue"] / d["revenue"].sum()), FMT, 0.8, 0.95)
    assert sum(int(r[1]) for r in rows(table)) == 2         # D1 has no class


def test_all_nps_missing_shows_a_dash_not_zero():
    p = company([dict(id="K1", prior=100, current=110, cost=5), dict(id="O1", prior=40, current=30, cost=1)], ["K1"])
    part = kp.group_measures_table(p.roi.groups, p.roi.programme.window, FMT)
    nps = [r for r in rows(part) if r[0] == "NPS (-100 to +100)"]
    assert nps == [["NPS (-100 to +100)", "–", "–", "–"]]


def test_roi_history_note_explains_overlapping_windows():
    history = pd.DataFrame({"roi": [1.63, 1.49, np.nan, 1.25]}, index=["2025Q3", "2025Q4", "2026Q1", "2026Q2"])
    prog = SimpleNamespace(reason="", programme_cost=1_700_000.0, gross_profit=38_000_000.0)
    note = kp.roi_history_note(history, prog, FMT)
    # 1% of $38.0M is $380.0K; against $1.7M of cost that is 22.35 points
    assert elements(note, "p") == [("muted", "Each point is the ROI of the 4 quarters to that quarter against the 4 "
                                             "before, so neighbouring points share 3 of their 4 quarters: a quarter "
                                             "above or below trend raises or lowers the points whose current window "
                                             "holds it, and moves the points whose prior window holds it the other "
                                             "way. 1% of the key accounts' gross profit ($380.0K) moves this "
                                             "quarter's ROI by 22 points. Over the 3 points shown the ROI runs from "
                                             "+125% to +163%.")]
    assert kp.roi_history_note(history.iloc[0:0], prog, FMT) is None
    # no programme cost: no sensitivity to quote, the rest stands
    one = kp.roi_history_note(history.iloc[:1], SimpleNamespace(reason="no programme cost", programme_cost=0.0,
                                                                gross_profit=1.0), FMT)
    assert "moves this quarter's ROI" not in elements(one, "p")[0][1] and "runs from" not in elements(one, "p")[0][1]
