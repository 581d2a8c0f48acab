"""Plan files (``kamreports.data.plans``), format 1 and 2: every section read and typed, every bad value
named with its key path, the worked example of format 1 still loading unchanged."""
from __future__ import annotations

import datetime as dt

import pytest
import yaml

from kamreports.data.plans import parse_plan
from kamreports.errors import ConfigError
from tests.conftest import FIXTURES, ROOT

START = dt.date(2026, 1, 1)
D = dt.date


def test_the_format_1_worked_example_still_loads_unchanged():
    text = (FIXTURES / "plan_files" / "format1_ACC-0002.yaml").read_text(encoding="utf-8")
    plan = parse_plan(yaml.safe_load(text), "format1_ACC-0002.yaml", "ACC-0002")
    assert plan.format == 1 and len(plan.goals) == 3 and len(plan.actions) == 3
    assert plan.goals[0].due == D(2026, 12, 15) and plan.actions[0].status == "done"


def test_every_bad_value_is_named_with_its_key_path():
    raw = {"format": 2, "goals": [{"goal": "g", "baseline": "lots", "horizon": "soon", "colour": "red"}],
           "risks": [{"risk": "r", "likelihood": "certain"}, {"impact": "high"}],
           "team": [{"name": "Ana", "role": "wizard", "covers": {"a": 1}}],
           "value_delivered": [{"what": "w", "confirmed": "maybe", "amount": float("nan")}],
           "actions": [{"action": "a", "goal": "G7"}], "governance": {"next_qbr": "soon"}, "extra": 1}
    with pytest.raises(ConfigError) as info:
        parse_plan(raw, "plans/A1.yaml", "A1")
    text = str(info.value)
    for fragment in ("'goals[1].baseline' must be a number", "'goals[1].horizon' must be one of short, mid, long",
                     "unknown key 'goals[1].colour' (known: id, horizon, goal",
                     "'risks[1].likelihood' must be one of low, medium, high", "'risks[2].risk' is required",
                     "'team[1].role' must be one of key account manager, executive sponsor",
                     "'team[1].covers[1]' must be text, not a mapping",
                     "'value_delivered[1].confirmed' must be true or false",
                     "'value_delivered[1].amount' must be a finite number",
                     "'actions[1].goal' names 'G7', but no goal has that id (ids: none)",
                     "'governance.next_qbr' must be a date such as 2026-12-31", "unknown key 'extra' (known: format,"):
        assert fragment in text, fragment
    assert all(p.source == "plans/A1.yaml" for p in info.value.problems)


def test_a_newer_format_says_to_update_kamreports():
    with pytest.raises(ConfigError, match="reads plan formats 1 to 2 .the file was written for a newer"):
        parse_plan({"format": 3}, "p.yaml", "A1")


def test_a_full_format_2_plan_reads_every_section():
    plan = parse_plan({
        "format": 2, "account_id": "A1", "start": "2026-01-01",
        "business": {"strategy": "Grow in Iberia", "objectives": ["Cut downtime", "Open Porto"]},
        "competitors": [{"name": "Rival", "where": "Sensors", "strength": "Strong", "response": "Bundle"}],
        "value_plan": [{"objective": "Cut downtime", "metric": "hours", "baseline": 40, "target": 20, "actual": 30}],
        "value_delivered": [{"what": "Line 3 uptime", "when": "2026-05-01", "amount": "120,000", "confirmed": True}],
        "team": [{"name": "Ana", "role": "executive_sponsor", "covers": ["Grace Young"]}],
        "goals": [{"id": "G1", "goal": "g", "baseline": 1, "target": 2, "actual": 1.5, "due": "2026-12-31"}],
        "actions": [{"action": "a", "goal": "G1", "due": "2026-10-15"}],
        "risks": [{"risk": "r", "category": "credit", "likelihood": "high", "impact": "medium", "status": "open"}],
        "governance": {"last_review": "2026-09-01", "meetings": [
            {"date": "2026-07-10", "attendees": ["Ana", "COO"], "decisions": [{"decision": "Pilot", "owner": "Ana"}]}]},
        "asks": [{"ask": "Intro to the CFO", "of": "the customer", "by": "2026-11-30"}],
    }, "p.yaml", "A1")
    assert plan.business.objectives == ("Cut downtime", "Open Porto") and plan.business.filled
    assert plan.competitors[0].strength == "strong" and plan.value_delivered[0].amount == 120_000.0
    assert plan.sponsor().name == "Ana" and plan.team[0].covers == ("Grace Young",)
    assert plan.governance.meetings[0].decisions[0].decision == "Pilot" and plan.governance.meetings[0].kind == "QBR"
    assert plan.risks[0].open and plan.asks[0].by == D(2026, 11, 30) and plan.start == START


def test_the_documented_example_loads_fills_every_section_and_matches_the_guide():
    example = (ROOT / "docs" / "examples" / "ACC-0002.yaml").read_text(encoding="utf-8")
    assert example.rstrip("\n") in (ROOT / "docs" / "account_plans.md").read_text(encoding="utf-8")
    plan = parse_plan(yaml.safe_load(example), "docs/examples/ACC-0002.yaml", "ACC-0002")
    assert plan.format == 2 and plan.business.filled and all(
        getattr(plan, section) for section in ("competitors", "value_plan", "value_delivered", "team", "goals",
                                               "actions", "risks", "asks", "swot"))
    assert plan.governance.meetings and plan.sponsor() is not None
