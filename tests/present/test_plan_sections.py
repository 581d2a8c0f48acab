"""The account plan's sections (present.plan) and page one (present.onepager): what each shows for a full
plan, for a plan the team left half empty, and for no plan at all; every value escaped."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from kamreports import present as kp
from kamreports.analytics.plan_progress import action_flags, goal_statuses, plan_staleness
from kamreports.config import Settings
from kamreports.data.plans import PlanInputs, parse_plan
from kamreports.formatting import NumberFormat
from kamreports.model import AccountView
from kamreports.present import plan as sections

AS_OF = dt.date(2026, 9, 30)
FMT = NumberFormat()
EVIL = "<script>alert(1)</script> & Co"

FULL = parse_plan({
    "format": 2, "start": "2026-01-01",
    "business": {"strategy": EVIL, "objectives": ["Cut downtime", "Grow"]},
    "competitors": [{"name": "Rival", "where": "Sensors", "strength": "strong", "response": "Bundle"}],
    "value_plan": [{"objective": "Cut downtime", "metric": "hours", "unit": "hours", "baseline": 120, "target": 80,
                    "actual": 100}],
    "value_delivered": [{"what": "Uptime", "when": "2026-05-01", "amount": 100000, "confirmed": True,
                         "confirmed_by": "their COO"}, {"what": "Licences", "amount": 50000}],
    "team": [{"name": "Ana", "role": "key account manager", "covers": ["Kim Lee", "Someone Else"]}],
    "goals": [{"id": "G1", "goal": "Grow", "due": "2026-12-31", "unit": "currency", "measure": "Revenue",
               "baseline": 100, "target": 200, "actual": 170}],
    "actions": [{"action": "Call", "owner": "Ana", "due": "2026-09-01", "goal": "G1"}],
    "risks": [{"risk": "Low", "likelihood": "low", "impact": "low"},
              {"risk": "Severe", "likelihood": "high", "impact": "high", "owner": "Ana"}],
    "governance": {"last_review": "2026-05-01", "next_qbr": "2026-08-01",
                   "meetings": [{"date": "2026-07-01", "decisions": [{"decision": "Pilot", "owner": "Ana"}]}]},
}, "p.yaml", "A1")


def view(plan: PlanInputs, **fields) -> AccountView:
    figures = {"won_deals": 0, "lost_deals": 0, "open_deals": 0, "profit_t4q": float("nan"), "score": 7.0,
               "selection_reason": "score 7.0 ≥ 6 (rank 3)", "unscored": "", "fy_verdict": "off track",
               "fy_forecast": 90.0, "fy_annual_target": 100.0}
    base = {"account_id": "A1", "name": "Acme", "owner": "Kim", "quarter": "2026Q3",
            "figures": pd.Series(figures, dtype=object), "growth": pd.DataFrame(),
            "stakeholders": pd.DataFrame({"name": ["Kim Lee", "Lou Ma"]}), "risks": ["No champion is mapped."],
            "swot": {}, "plan": plan, "as_of": AS_OF, "goals": goal_statuses(plan, AS_OF),
            "actions": action_flags(plan, AS_OF), "stale": plan_staleness(plan, AS_OF, 120)}
    return AccountView(**{**base, **fields})


def soup(parts) -> BeautifulSoup:
    parts = parts if isinstance(parts, list) else [parts]
    return BeautifulSoup("".join(p.data for p in parts if p is not None), "html.parser")


def test_a_full_plan_shows_every_section_escaped():
    page = soup([*sections.customer_section(view(FULL)), *sections.value_and_goals_section(view(FULL)),
                 *sections.team_section(view(FULL)), *sections.risks_and_governance_section(view(FULL))])
    text = page.get_text(" ")
    assert EVIL in text and page.find("script") is None                    # markup shown as text
    assert "Strength" in text and "Strong" in text and "Bundle" in text
    # value delivered: 100K + 50K, of which 100K confirmed
    assert "Value delivered so far: $150.0K over 2 items, $100.0K of it confirmed by the customer." in text
    assert "yes (their COO)" in text and "not yet" in text
    # the goal: 70 of the 74.7 expected after 272 of 364 days = 94% of the path, at risk
    assert "at risk (94% of the path)" in text and "$170 (from $100, target $200)" in text
    assert "overdue 29 days" in text                                         # due 2026-09-01, as of 2026-09-30
    # team: Someone Else is covered but not mapped; Lou Ma is mapped but covered by nobody; no sponsor named
    assert "No executive sponsor is named for this account." in text
    assert "1 of 2 mapped stakeholders are covered by nobody in the team: Lou Ma." in text
    assert "Covered but not in the stakeholder map: Someone Else." in text
    # risks: the severe one first; governance: last review 152 days before the as-of date, stale
    risk_rows = [r.find("td").get_text() for r in page.select("table.kam tbody tr") if r.find("td")]
    assert risk_rows.index("Severe") < risk_rows.index("Low")
    assert "2026-05-01, 152 days before 2026-09-30: stale (more than 120 days)" in text
    assert "2026-08-01 (passed)" in text and "Pilot" in text


def test_status_cells_carry_their_colour_class():
    page = soup(sections.goals_table(goal_statuses(FULL, AS_OF), FMT))
    assert page.select_one("td.status-warn").get_text() == "at risk (94% of the path)"
    page = soup(sections.actions_table(action_flags(FULL, AS_OF), goal_statuses(FULL, AS_OF)))
    assert page.select_one("td.status-bad").get_text() == "overdue 29 days (open)"


def test_a_half_filled_plan_says_what_the_team_has_not_filled_in():
    half = parse_plan({"format": 2, "goals": [{"goal": "Grow"}]}, "p.yaml", "A1")
    text = soup([*sections.customer_section(view(half)), *sections.value_and_goals_section(view(half)),
                 *sections.team_section(view(half))]).get_text(" ")
    for what in ("The customer's business", "Competitors at the account.", "Value plan", "Value delivered so far.",
                 "Actions.", "The account team and whom each person covers."):
        assert what in text
    assert text.count("The account team has not filled this in yet.") == 6


def test_no_plan_reads_as_an_executive_expects_and_shows_no_file_path():
    none = PlanInputs(source=None)
    parts = [*sections.customer_section(view(none)), *sections.value_and_goals_section(view(none)),
             *sections.team_section(view(none)), *sections.risks_and_governance_section(view(none))]
    text = soup(parts).get_text(" ")
    assert text.count("No account plan agreed for 2026Q3 — owner: Kim.") == 1   # said once, where the plan starts
    assert ".yaml" not in text and "params/" not in text
    # the other three sections are left out of the pack (pipeline.render.without_omitted_sections)
    from kamreports.present.html import OMIT_SECTION
    for section in (sections.value_and_goals_section, sections.team_section, sections.risks_and_governance_section):
        [part] = section(view(none))
        assert part.data.startswith(OMIT_SECTION)


@pytest.mark.parametrize("won, lost, text", [
    (0, 0, "No deal was won or lost in the last four quarters, so there is no win rate."),
    (3, 1, "In the last four quarters 3 deals won ($300) and 1 lost ($100): a win rate of 75% by count and 75% "
           "by value."),
])
def test_deals_sentence_by_count_and_value(won, lost, text):
    figures = {"won_deals": won, "lost_deals": lost, "won_value": 100.0 * won, "lost_value": 100.0 * lost,
               "win_rate": won / (won + lost) if won + lost else float("nan"),
               "win_rate_value": won / (won + lost) if won + lost else float("nan"), "open_deals": 0}
    parts = sections.deals_summary(view(FULL, figures=pd.Series(figures, dtype=object)))
    assert soup(parts).get_text(" ").startswith(text) and "There is no open pipeline." in soup(parts).get_text()


def test_page_one_band_headline_and_no_plan_state():
    settings = Settings()
    figures = {"revenue_q": 30.0, "target_q": 25.0, "attainment_q": 1.2, "yoy_growth": 0.1, "revenue_t4q": 100.0,
               "gross_margin_pct": 0.4, "nps_avg": 8.0, "health_score": 70.0, "health_band": "green",
               "fy_forecast": 90.0, "fy_annual_target": 100.0, "fy_verdict": "off track", "tier": "Tier 1",
               "quadrant": "Star", "industry": "Retail", "region": "EMEA", "is_key": True,
               "relationship_stage": "Tactical"}
    account = view(PlanInputs(source=None), name=EVIL, figures=pd.Series(figures, dtype=object),
                   previous=None, previous_quarter="2026Q2")
    page = soup(kp.account_onepager(account, settings))
    assert page.find("script") is None and page.select_one("header.band h1").get_text() == EVIL
    headline = page.select_one("p.headline")
    assert headline.get_text() == "Full year off track: $90 forecast against $100 target, −$10, 90%."
    assert "bad" in headline["class"]
    assert "No account plan agreed for 2026Q3 — owner: Kim." in page.get_text()
    assert page.select_one(".band-mark").get_text() == "Confidential"
    assert "Suggested by the data" in page.get_text()                       # no asks in a missing plan
