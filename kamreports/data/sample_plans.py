"""Account plans for the sample company: complete, varied, and the same for the same seed.

Every section of a plan file is filled, from the sample's own data where it has it (the account's
stakeholders become the team's coverage list, its revenue the baseline of a revenue goal, its
products the value plan) and from small vocabularies otherwise. The plans differ per account
and deliberately include what a reviewer must be shown: overdue actions, a stale plan, a risk
rated high, a goal off track and an account without an executive sponsor.

The plans are made from their own random stream (seeded by the sample's seed and the account), so
adding them changed no figure of the sample's tables.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from ..periods import parse_quarter, quarter_range
from .dataset import Dataset
from .plans import PLAN_FORMAT

COMPETITORS = ("Contoso Systems", "Globex Industrial", "Initech Automation", "Umbrella Controls", "Vandelay Supply",
               "Hooli Analytics")
SPONSORS = ("Helena Marsh", "Robert Ainsley", "Claire Dupont", "Mateo Alvarez")
DELIVERY = ("Ken Watanabe", "Lucia Ferraro", "Owen Price")
SERVICE = ("Fatima Zahra", "Peter Lindqvist", "Ana Sousa")
STRATEGIES = (
    "Consolidate suppliers and automate the plants to cut operating cost by a tenth",
    "Expand into two new regions while keeping service levels",
    "Move from selling products to selling outcomes to their own customers",
    "Digitise operations end to end and retire their legacy systems",
)
CHALLENGES = ("Margin pressure from energy and logistics costs", "A hiring freeze in operations",
              "Ageing equipment in the older plants", "New regulation on data and reporting",
              "A slower market in their largest region")
INITIATIVES = ("Plant modernisation programme", "Shared-services centre", "Customer-portal launch",
               "Sustainability reporting", "Supplier consolidation")
HEALTH = ("Solid: revenue growing, investment-grade rating, no debt concerns",
          "Stable: flat revenue, healthy cash, cost programme under way",
          "Stretched: margins down two points, cash conserved for the plant programme")
ASKS = (("An introduction to their CFO before the budget round", "the customer"),
        ("A reference visit to their newest plant for two prospects", "the customer"),
        ("Executive sponsor time for the renewal negotiation", "our executive sponsor"),
        ("Early sight of next year's capital plan", "the customer"))
RISK_TEMPLATES = (
    ("commercial", "Price pressure at the renewal: procurement asks for a cut of up to 8%",
     "Show the value delivered this year before the price talk"),
    ("delivery", "The integration project slips past the go-live date",
     "Weekly steering with their project lead; a second integration engineer from November"),
    ("credit", "Payment terms stretched from 30 to 60 days", "Finance to agree a payment plan"),
    ("relationship", "Our champion may move to another role in the spring",
     "Build a second champion in operations"),
)


def _when(as_of: dt.date, days: int) -> str:
    return (as_of + dt.timedelta(days=int(days))).isoformat()


def _revenue_t4q(dataset: Dataset, account_id: str, quarter: str) -> float:
    first = parse_quarter(quarter_range(quarter, 4)[0]).start_time
    last = parse_quarter(quarter).end_time
    rows = dataset.revenue[(dataset.revenue["account_id"] == account_id) & (dataset.revenue["date"] >= first)
                           & (dataset.revenue["date"] <= last)]
    return float(rows["revenue"].sum())


def sample_plan(dataset: Dataset, account_id: str, position: int, quarter: str, seed: int = 7) -> dict[str, Any]:
    """The plan of one sample account, as a plan file holds it (format 2). ``position`` is the
    account's place among the accounts given plans (0 = largest): it decides which plans show the
    cases a reviewer must meet (stale, no sponsor, high risk, off-track goal, overdue actions)."""
    number = int("".join(ch for ch in account_id if ch.isdigit()) or 0)
    rng = np.random.default_rng([seed, 1_000_003, number])
    accounts = dataset.accounts.set_index("account_id")
    owner = accounts.at[account_id, "owner"] if pd.notna(accounts.at[account_id, "owner"]) else "Key-account manager"
    as_of = parse_quarter(quarter).end_time.date()
    year = as_of.year
    people = dataset.stakeholders[dataset.stakeholders["account_id"] == account_id]
    products = list(dataset.products["name"].astype(str))

    def pick(choices: tuple | list) -> Any:
        return choices[int(rng.integers(0, len(choices)))]

    sponsor, delivery, service = pick(SPONSORS), pick(DELIVERY), pick(SERVICE)
    # revenue goal on real figures: the four quarters to last year's end, and the four to the as-of date
    baseline = round(_revenue_t4q(dataset, account_id, f"{year - 1}Q4"), -3)
    actual = round(_revenue_t4q(dataset, account_id, quarter), -3)
    growth = 0.30 if position % 4 == 1 else float(rng.choice([0.06, 0.08, 0.10]))   # off track: too ambitious
    sites_target = int(rng.integers(5, 9))
    elapsed = (as_of - dt.date(year, 1, 1)).days / (dt.date(year + 1, 6, 30) - dt.date(year, 1, 1)).days
    sites_actual = 2 if position % 4 == 1 else int(round(2 + (sites_target - 2) * elapsed * rng.uniform(1.0, 1.5)))
    goals = [
        {"id": "G1", "horizon": "short", "goal": f"Grow annual revenue with the account by {growth:.0%}",
         "owner": owner, "due": f"{year}-12-31", "measure": "Revenue, last four quarters", "unit": "currency",
         "baseline": baseline, "target": round(baseline * (1 + growth), -3), "actual": actual},
        {"id": "G2", "horizon": "mid", "goal": f"Roll out {pick(products)} to {sites_target} sites",
         "owner": delivery, "due": f"{year + 1}-06-30", "measure": "Sites live", "unit": "sites",
         "baseline": 2, "target": sites_target, "actual": sites_actual},
        {"id": "G3", "horizon": "mid", "goal": "Agree a joint business plan with their operations board",
         "owner": owner, "due": f"{year + 1}-03-31", "status": pick(("on track", "at risk"))},
        {"id": "G4", "horizon": "long", "goal": "Become their preferred supplier for operations technology",
         "owner": sponsor, "due": f"{year + 2}-12-31", "status": "on track"},
    ]
    overdue = position % 2 == 0
    actions = [
        {"action": "Quarterly business review with their operations director", "owner": owner,
         "due": _when(as_of, -int(rng.integers(20, 70))), "status": "done", "goal": "G3"},
        {"action": f"Proposal for the {pick(products)} extension", "owner": owner,
         "due": _when(as_of, -int(rng.integers(5, 40))) if overdue else _when(as_of, int(rng.integers(10, 60))),
         "status": "in progress" if overdue else "open", "goal": "G1"},
        {"action": "Site survey for the next two roll-outs", "owner": delivery,
         "due": _when(as_of, int(rng.integers(15, 75))), "status": "open", "goal": "G2"},
        {"action": "Map their finance team and find an economic buyer", "owner": owner,
         "due": _when(as_of, -int(rng.integers(1, 30))) if position % 3 == 0 else _when(as_of, 45),
         "status": "open", "goal": "G3"},
    ]
    rivals = [COMPETITORS[(number + k) % len(COMPETITORS)] for k in range(1 + number % 2 + (position % 3 == 0))]
    competitors = [{"name": name, "where": pick(products), "strength": pick(("weak", "moderate", "strong")),
                    "response": pick(("Bundle support with the platform renewal", "Lead with the uptime record",
                                      "Executive briefing on the roadmap", "Pilot at one plant at our cost"))}
                   for name in rivals]
    risk_rows = [RISK_TEMPLATES[(number + k) % len(RISK_TEMPLATES)] for k in range(2)]
    risks = [{"risk": text, "category": category, "likelihood": pick(("low", "medium")),
              "impact": pick(("medium", "high")), "owner": owner, "mitigation": mitigation, "status": "open"}
             for category, text, mitigation in risk_rows]
    if position % 3 == 0:
        risks.insert(0, {"risk": f"{rivals[0]} offers a free pilot to their quality team", "category": "competitive",
                         "likelihood": "high", "impact": "high", "owner": owner,
                         "mitigation": "Analytics demo for the quality team and a reference call", "status": "open"})
    levels = {"executive": [], "management": [], "operational": []}
    for _, person in people.sort_values(["influence", "name"], ascending=[False, True]).iterrows():
        levels.get(str(person.get("level")), levels["operational"]).append(str(person["name"]))
    team = [{"name": owner, "role": "key account manager",
             "covers": (levels["management"] or levels["operational"])[:4]}]
    if position % 7 != 2:           # one account in seven has no executive sponsor
        team.append({"name": sponsor, "role": "executive sponsor", "title": "Chief Operating Officer",
                     "covers": levels["executive"][:3]})
    team += [{"name": delivery, "role": "delivery", "covers": levels["operational"][:3]},
             {"name": service, "role": "service"}]
    last_review = _when(as_of, -200 if position % 9 == 1 else -int(rng.integers(10, 75)))
    last_qbr = as_of - dt.timedelta(days=int(rng.integers(20, 80)))
    objectives = [f"Cut unplanned downtime in the plants by {int(rng.integers(15, 35))}%",
                  "Report energy use per site to the board", "Shorten order-to-delivery time"]
    plan: dict[str, Any] = {
        "format": PLAN_FORMAT, "account_id": account_id, "start": f"{year}-01-01",
        "swot": {"strengths": ["Our platform runs their largest sites."],
                 "weaknesses": ["Support response times slipped in the summer peak."],
                 "opportunities": [f"Their {pick(INITIATIVES).lower()} needs {pick(products)}."],
                 "threats": [f"{rivals[0]} is courting their procurement team."]},
        "business": {"strategy": pick(STRATEGIES), "objectives": objectives, "financial_health": pick(HEALTH),
                     "initiatives": [pick(INITIATIVES), pick(INITIATIVES[::-1])], "challenges": [pick(CHALLENGES)],
                     "market": f"{accounts.at[account_id, 'industry']}, {accounts.at[account_id, 'region']}",
                     "revenue_model": "Product sales to distributors and service contracts with end customers"},
        "competitors": competitors,
        "value_plan": [
            {"objective": objectives[0], "proposition": f"{pick(products)} with predictive maintenance",
             "initiative": "Condition monitoring on the critical lines", "metric": "Unplanned downtime, hours a month",
             "unit": "hours", "baseline": 120, "target": 80, "actual": int(rng.integers(85, 115))},
            {"objective": objectives[2], "proposition": "Integration Services for their order system",
             "initiative": "Order-to-delivery integration", "metric": "Order-to-delivery, days", "unit": "days",
             "baseline": 12, "target": 8, "actual": int(rng.integers(8, 12))},
        ],
        "value_delivered": [
            {"what": "Downtime saved on the lines already monitored", "when": _when(as_of, -int(rng.integers(30, 150))),
             "amount": round(actual * float(rng.uniform(0.02, 0.06)), -3), "confirmed": bool(rng.random() < 0.6),
             "confirmed_by": "their operations director"},
            {"what": "Licence consolidation across sites", "when": _when(as_of, -int(rng.integers(160, 300))),
             "amount": round(actual * float(rng.uniform(0.01, 0.03)), -3), "confirmed": True,
             "confirmed_by": "their procurement lead"},
        ],
        "team": team, "goals": goals, "actions": actions, "risks": risks,
        "governance": {"last_review": last_review, "reviewed_by": owner,
                       "approved_by": sponsor if position % 7 != 2 else "", "approved_on": last_review,
                       "last_qbr": last_qbr.isoformat(), "next_qbr": (last_qbr + dt.timedelta(days=91)).isoformat(),
                       "meetings": [{"date": last_qbr.isoformat(), "kind": "QBR",
                                     "attendees": [owner, sponsor, *levels["executive"][:1], *levels["management"][:1]],
                                     "agenda": ["Results against the plan", "Roll-out progress",
                                                "Next year's priorities"],
                                     "decisions": [{"decision": "Start the roll-out at the next two sites",
                                                    "owner": owner, "due": _when(as_of, 30), "status": "open"}]}]},
        "asks": [{"ask": text, "of": whom, "by": _when(as_of, int(rng.integers(20, 80)))}
                 for text, whom in (ASKS[number % len(ASKS)], ASKS[(number + 1) % len(ASKS)])],
    }
    return plan


def sample_plans(dataset: Dataset, account_ids: list[str], quarter: str, seed: int = 7) -> dict[str, dict[str, Any]]:
    """The sample plans of ``account_ids`` (in the order given: largest first)."""
    return {account_id: sample_plan(dataset, account_id, i, quarter, seed) for i, account_id in enumerate(account_ids)}
