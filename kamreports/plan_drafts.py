"""``kamreports plan new``: a first plan file for an account, pre-filled from the data.

What the data knows goes in as values: the account's stakeholders as the team's coverage list,
the largest cross-sell opportunities as value-plan candidates, the relationship risks as entries
of the risk register. What only the team knows is left as commented placeholders, so nothing
made up reaches a pack: a section the team has not filled in stays empty until it does.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from .analytics.account import SwotItem
from .data.plans import PLAN_FORMAT, load_plan, parse_plan, plan_path, safe_plan_name
from .errors import KamError
from .model import Portfolio
from .periods import quarter_end


class PlanExists(KamError):
    """A plan file is there already: a draft never replaces it."""


def _yaml(value: object) -> str:
    """One YAML value on one line, quoted where YAML needs it."""
    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000).strip().removesuffix(
        "\n...").strip()


def draft_plan(portfolio: Portfolio, account_id: str, today: dt.date | None = None) -> str:
    """The text of a new plan file for ``account_id`` (see the module doc)."""
    view = portfolio.account(account_id)
    row = view.figures
    as_of = quarter_end(portfolio.quarter)
    today = today or dt.date.today()
    people = list(view.stakeholders["name"].astype(str)) if len(view.stakeholders) else []
    lines = [
        f"# Account plan for {view.name} ({view.account_id}), drafted by kamreports on {today.isoformat()}",
        f"# from the data as of {as_of.isoformat()}. Fill in what only the team knows (every TODO), delete",
        "# what does not apply, and keep the file under its account id. Guide: docs/account_plans.md",
        f"format: {PLAN_FORMAT}",
        f"account_id: {_yaml(view.account_id)}",
        f"start: {as_of.year}-01-01            # when this plan started: the baseline date of measured goals",
        "",
        "business:                      # TODO: their strategy, objectives, financial health, challenges",
        f"  market: {_yaml(', '.join(str(v) for v in (row['industry'], row['region']) if isinstance(v, str)))}",
        "  # strategy: TODO",
        "  # objectives: [TODO]",
        "  # financial_health: TODO",
        "  # initiatives: [TODO]",
        "  # challenges: [TODO]",
        "  # revenue_model: TODO where they make money",
        "",
        "# competitors:                 # TODO: who competes with us here, where, how strong, our response",
        "#   - {name: TODO, where: TODO, strength: moderate, response: TODO}",
        "",
    ]
    lines.append("value_plan:                    # candidates from the data: products peers buy and this account "
                 "does not")
    if len(view.cross_sell):
        for _, opportunity in view.cross_sell.head(3).iterrows():
            estimate, product = round(float(opportunity["estimate"]), -3), str(opportunity["product"])
            lines += [f"  - objective: {_yaml(f'Candidate: {product}')}   # TODO: the customer objective it serves",
                      f"    proposition: {_yaml(product)}",
                      f"    metric: {_yaml(f'Revenue from {product} a year')}",
                      "    unit: currency",
                      "    baseline: 0",
                      f"    target: {estimate:.0f}             # the peers' estimate: {opportunity['reason']}"]
    else:
        lines[-1] += "\n  []                 # the account buys every product, or no peer buys what it does not"
    lines += ["", "team:                          # who covers whom: move each stakeholder to the person who "
              "covers them",
              f"  - name: {_yaml(view.owner if view.owner != '–' else 'TODO')}",
              "    role: key account manager",
              f"    covers: {_yaml(people)}",
              "  # - {name: TODO, role: executive sponsor, covers: []}",
              "",
              "# goals:                       # TODO: short, mid and long term, with a measure where there is one",
              "#   - {id: G1, horizon: short, goal: TODO, owner: TODO, due: 2026-12-31,",
              "#      measure: TODO, unit: currency, baseline: 0, target: 0, actual: 0}",
              "# actions:                     # TODO: who does what by when, and for which goal",
              "#   - {action: TODO, owner: TODO, due: 2026-12-31, status: open, goal: G1}",
              ""]
    lines.append("risks:                         # from the stakeholder map; TODO: likelihood, impact, owner, "
                 "mitigation")
    relationship = [r for r in view.risks if r]
    if relationship:
        lines += [f"  - {{risk: {_yaml(text)}, category: relationship, status: open}}" for text in relationship]
    else:
        lines[-1] += "\n  []"
    lines += ["", "governance:                    # TODO: when the plan was last reviewed, and the QBRs",
              "  # last_review: 2026-12-31",
              "  # next_qbr: 2026-12-31",
              "", "# asks:                        # TODO: what we ask for at the next QBR",
              "#   - {ask: TODO, of: the customer, by: 2026-12-31}", "",
              "swot:                          # the pack adds the items the data shows (below); write the "
              "team's own"]
    suggestions = [item for items in view.swot.values() for item in items if isinstance(item, SwotItem)
                   and item.source == "data"]
    lines += [f"  # from the data: {item.text}" for item in suggestions]
    lines += ["  strengths: []", "  weaknesses: []", "  opportunities: []", "  threats: []", ""]
    text = "\n".join(lines)
    parse_plan(yaml.safe_load(text), "draft", view.account_id)   # a draft is always a valid plan
    return text


def write_draft(portfolio: Portfolio, account_id: str, folder: Path) -> Path:
    """Write the draft as ``<folder>/<account id>.yaml``; refuse to replace an existing file."""
    account_id = portfolio.account(account_id).account_id
    if not safe_plan_name(account_id):
        raise KamError(f"account id {account_id!r} cannot be a file name")
    path = plan_path(Path(folder), account_id)
    if path.exists():
        raise PlanExists(f"{path} exists: a plan is never overwritten (rename or remove it to draft a new one)")
    text = draft_plan(portfolio, account_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as handle:    # "x": fails if the file appeared meanwhile
        handle.write(text)
    load_plan(path.parent, account_id)
    return path
