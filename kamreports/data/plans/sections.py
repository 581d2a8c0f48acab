"""The sections of an account plan, as the plan file declares them.

An account plan is judgement, not data: what the team knows of the customer's business, its
competitors, the value plan, the team and who covers whom, goals and actions, risks, governance and
the asks for the QBR. Each section is a frozen dataclass whose fields carry their rule
(:func:`entry`): the reader (:mod:`.reader`) checks a file against these declarations, so every key
is validated the same way and an unknown key lists the allowed ones.

Format versions: format 1 (the original files: ``swot``, ``goals`` with horizon, goal, owner and
due, ``actions`` with action, owner, due and status) and format 2 (everything here). A file without
``format`` is read as format 1, and a format-1 file is a valid format-2 file, except that format 1
allows a due date written as free text ("end of Q4"), which format 2 refuses.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

PLAN_FORMAT = 2                     # the format this version writes and reads; 1 is read too
SWOT_KINDS = ("strengths", "weaknesses", "opportunities", "threats")
HORIZONS = ("short", "mid", "long")
GOAL_STATUSES = ("on track", "at risk", "off track", "done")
RISK_CATEGORIES = ("commercial", "delivery", "credit", "relationship", "competitive", "other")
LEVELS = ("low", "medium", "high")
RISK_STATUSES = ("open", "mitigated", "closed")
STRENGTHS = ("weak", "moderate", "strong")
TEAM_ROLES = ("key account manager", "executive sponsor", "account director", "sales", "delivery", "service",
              "product", "finance", "legal", "other")
DONE_WORDS = ("done", "complete", "completed", "closed", "finished", "met")


@dataclass(frozen=True)
class Rule:
    """How one key of a plan file is read: ``kind`` text, texts (a list of sentences), date, number,
    flag, choice (one of ``choices``), item (a mapping read as ``section``) or items (a list of them)."""

    kind: str
    choices: tuple[str, ...] = ()
    section: type | None = None
    required: bool = False


def entry(kind: str = "text", default: Any = None, **rule: Any) -> Any:
    """A section field with its rule: ``entry("date")``, ``entry("choice", choices=LEVELS)``."""
    if kind in ("texts", "items"):
        return field(default_factory=tuple, metadata={"plan": Rule(kind, **rule)})
    if kind == "item":
        return field(default_factory=rule["section"], metadata={"plan": Rule(kind, **rule)})
    return field(default=default, metadata={"plan": Rule(kind, **rule)})


def rules_of(section: type) -> dict[str, Rule]:
    return {f.name: f.metadata["plan"] for f in dataclasses.fields(section) if "plan" in f.metadata}


def is_done(status: str | None) -> bool:
    """Whether a status the team wrote means finished ("done", "Completed", "closed" ...)."""
    return bool(status) and str(status).strip().lower() in DONE_WORDS


@dataclass(frozen=True)
class Business:
    """The customer's business: what they want, how they are doing, where they make money."""

    summary: str = entry()
    strategy: str = entry()
    objectives: tuple[str, ...] = entry("texts")
    financial_health: str = entry()
    initiatives: tuple[str, ...] = entry("texts")
    challenges: tuple[str, ...] = entry("texts")
    market: str = entry()
    revenue_model: str = entry()           # where they make money

    @property
    def filled(self) -> bool:
        return any(getattr(self, f.name) for f in dataclasses.fields(self))


@dataclass(frozen=True)
class Competitor:
    name: str = entry(required=True)
    where: str = entry()                   # products or sites where they compete with us
    strength: str | None = entry("choice", choices=STRENGTHS)
    response: str = entry()                # our response


@dataclass(frozen=True)
class ValueItem:
    """One line of the value plan: the customer's objective and what we do and measure for it."""

    objective: str = entry(required=True)
    proposition: str = entry()
    initiative: str = entry()
    metric: str = entry()
    unit: str = entry()
    baseline: float | None = entry("number")
    target: float | None = entry("number")
    actual: float | None = entry("number")


@dataclass(frozen=True)
class ValueDelivered:
    what: str = entry(required=True)
    when: dt.date | None = entry("date")
    amount: float | None = entry("number")     # in the company currency
    confirmed: bool = entry("flag", default=False)   # confirmed by the customer
    confirmed_by: str = entry()


@dataclass(frozen=True)
class TeamMember:
    name: str = entry(required=True)
    role: str | None = entry("choice", choices=TEAM_ROLES)
    title: str = entry()
    covers: tuple[str, ...] = entry("texts")   # the customer's stakeholders this person looks after


@dataclass(frozen=True)
class Goal:
    id: str = entry()                      # to link actions to it
    horizon: str | None = entry("choice", choices=HORIZONS)
    goal: str = entry(required=True)
    owner: str = entry()
    due: dt.date | str | None = entry("date")
    measure: str = entry()                 # what is measured, e.g. "Revenue from Support Plus"
    unit: str = entry()                    # "currency", "%", or a word ("plants")
    baseline: float | None = entry("number")
    target: float | None = entry("number")
    actual: float | None = entry("number")
    since: dt.date | None = entry("date")  # when the baseline was taken; default: the plan's start
    status: str | None = entry("choice", choices=GOAL_STATUSES)   # the team's status, for a goal without numbers

    @property
    def numeric(self) -> bool:
        return self.baseline is not None and self.target is not None and self.actual is not None


@dataclass(frozen=True)
class Action:
    action: str = entry(required=True)
    owner: str = entry()
    due: dt.date | str | None = entry("date")
    status: str = entry()                  # free text; "done", "complete", "closed" ... mean finished
    goal: str = entry()                    # the id of the goal it serves

    @property
    def done(self) -> bool:
        return is_done(self.status)


@dataclass(frozen=True)
class Risk:
    risk: str = entry(required=True)
    category: str | None = entry("choice", choices=RISK_CATEGORIES)
    likelihood: str | None = entry("choice", choices=LEVELS)
    impact: str | None = entry("choice", choices=LEVELS)
    owner: str = entry()
    mitigation: str = entry()
    status: str | None = entry("choice", choices=RISK_STATUSES)

    @property
    def open(self) -> bool:
        return self.status in (None, "open")


@dataclass(frozen=True)
class Decision:
    decision: str = entry(required=True)
    owner: str = entry()
    due: dt.date | None = entry("date")
    status: str = entry()

    @property
    def done(self) -> bool:
        return is_done(self.status)


@dataclass(frozen=True)
class Meeting:
    date: dt.date | None = entry("date", required=True)
    kind: str = entry(default="QBR")
    attendees: tuple[str, ...] = entry("texts")
    agenda: tuple[str, ...] = entry("texts")
    decisions: tuple[Decision, ...] = entry("items", section=Decision)


@dataclass(frozen=True)
class Governance:
    last_review: dt.date | None = entry("date")    # when the team last reviewed the plan
    reviewed_by: str = entry()
    approved_by: str = entry()
    approved_on: dt.date | None = entry("date")
    last_qbr: dt.date | None = entry("date")
    next_qbr: dt.date | None = entry("date")
    meetings: tuple[Meeting, ...] = entry("items", section=Meeting)


@dataclass(frozen=True)
class Ask:
    ask: str = entry(required=True)
    of: str = entry()                      # whom we ask: the customer, our executive sponsor ...
    by: dt.date | None = entry("date")
    status: str = entry()


@dataclass(frozen=True)
class PlanInputs:
    """One account's plan; every section may be empty. ``source`` is None when there is no plan."""

    format: int = PLAN_FORMAT
    start: dt.date | None = entry("date")          # when this plan started: the baseline date of its goals
    swot: dict[str, list[str]] = field(default_factory=dict)
    business: Business = entry("item", section=Business)
    competitors: tuple[Competitor, ...] = entry("items", section=Competitor)
    value_plan: tuple[ValueItem, ...] = entry("items", section=ValueItem)
    value_delivered: tuple[ValueDelivered, ...] = entry("items", section=ValueDelivered)
    team: tuple[TeamMember, ...] = entry("items", section=TeamMember)
    goals: tuple[Goal, ...] = entry("items", section=Goal)
    actions: tuple[Action, ...] = entry("items", section=Action)
    risks: tuple[Risk, ...] = entry("items", section=Risk)
    governance: Governance = entry("item", section=Governance)
    asks: tuple[Ask, ...] = entry("items", section=Ask)
    source: str | None = None              # the file (or "sample plan ...") it was read from

    @property
    def planned(self) -> bool:
        """Whether the team has agreed goals or actions: the core of a plan."""
        return bool(self.goals or self.actions)

    @property
    def exists(self) -> bool:
        return self.source is not None

    def sponsor(self) -> TeamMember | None:
        return next((m for m in self.team if m.role == "executive sponsor"), None)
