"""The account plan's sections that the team writes, and those the data adds to them.

The team's plan (``data.plans.PlanInputs``) gives the customer's business, competitors, the value
plan, the team, goals, actions, risks, governance and asks; the data gives deals, profitability,
the selection scores and the account's group. Each helper returns what the page shows for one
section: a table or a few facts, or — when the team has not filled the section in — one plain
line saying so (never a file path, never an empty table).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
from IPython.display import HTML

from ..analytics.deals import gap_coverage
from ..config import Settings
from ..data.plans import PlanInputs
from ..formatting import NumberFormat
from ..model import AccountView
from .html import _e, omitted_section, paragraph, table

STATUS_CLASS = {"on track": "status-good", "done": "status-good", "at risk": "status-warn",
                "off track": "status-bad", "no status": "status-none"}
ROLE_LABELS = {"key account manager": "Key-account manager", "executive sponsor": "Executive sponsor",
               "account director": "Account director"}
LEVEL_ORDER = {"high": 3, "medium": 2, "low": 1}


def not_filled(what: str) -> HTML:
    """One plain line for a section the team has not filled in."""
    return paragraph(f"{what} The account team has not filled this in yet.", "muted not-filled")


def _date(value: object) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return "–" if value in (None, "") or (isinstance(value, float) and pd.isna(value)) else str(value)


def _amount(value: object, unit: str, fmt: NumberFormat) -> str:
    """A goal's or value-plan metric's number in its unit: money, a percentage or a count of things."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if unit.strip().lower() in ("currency", "money", fmt.currency):
        return fmt.money(value)
    number = fmt.number(value, 0 if float(value).is_integer() else 1)
    return f"{number}%" if unit.strip() == "%" else number


def facts(rows: list[tuple[str, str]]) -> HTML:
    """A two-column table of labelled facts (label, text); rows without text are left out."""
    body = "".join(f'<tr><th scope="row">{_e(label)}</th><td>{_e(text)}</td></tr>' for label, text in rows if text)
    return HTML(f'<table class="kam facts"><tbody>{body}</tbody></table>')


# --- the customer's business and competitors ------------------------------------------------------

def business_facts(plan: PlanInputs) -> HTML:
    """Strategy, objectives, financial health, initiatives, challenges, market, where they make money."""
    b = plan.business
    if not b.filled:
        return not_filled("The customer's business: strategy, objectives, financial health, challenges.")
    return facts([("Summary", b.summary), ("Strategy", b.strategy), ("Objectives", "; ".join(b.objectives)),
                  ("Financial health", b.financial_health), ("Current initiatives", "; ".join(b.initiatives)),
                  ("Challenges", "; ".join(b.challenges)), ("Market", b.market),
                  ("Where they make money", b.revenue_model)])


def competitors_table(plan: PlanInputs) -> HTML:
    if not plan.competitors:
        return not_filled("Competitors at the account.")
    frame = pd.DataFrame([{"Competitor": c.name, "Where": c.where or "–", "Strength": (c.strength or "–").capitalize(),
                           "Our response": c.response or "–"} for c in plan.competitors])
    return table(frame)


# --- value ----------------------------------------------------------------------------------------

def value_plan_table(plan: PlanInputs, fmt: NumberFormat) -> HTML:
    """Per customer objective: our proposition and initiative, and the metric's baseline, target, actual."""
    if not plan.value_plan:
        return not_filled("Value plan: the customer's objectives and what we do and measure for each.")
    rows = [{"Customer objective": v.objective, "Our proposition": v.proposition or "–",
             "Initiative": v.initiative or "–", "Metric": v.metric or "–",
             "Baseline": _amount(v.baseline, v.unit, fmt), "Target": _amount(v.target, v.unit, fmt),
             "Actual": _amount(v.actual, v.unit, fmt)} for v in plan.value_plan]
    return table(pd.DataFrame(rows), numeric=["Baseline", "Target", "Actual"])


def value_delivered(plan: PlanInputs, fmt: NumberFormat) -> list[HTML]:
    """The value delivered so far, and its total with the part the customer confirmed."""
    items = plan.value_delivered
    if not items:
        return [not_filled("Value delivered so far.")]
    rows = [{"Value delivered": v.what, "When": _date(v.when), "Value": fmt.money(v.amount),
             "Confirmed by the customer": f"yes ({v.confirmed_by})" if v.confirmed and v.confirmed_by
             else "yes" if v.confirmed else "not yet"} for v in items]
    total = sum(v.amount for v in items if v.amount is not None)
    confirmed = sum(v.amount for v in items if v.amount is not None and v.confirmed)
    valued = sum(1 for v in items if v.amount is not None)
    summary = (f"Value delivered so far: {fmt.money(total)} over {valued} item{'s' if valued != 1 else ''}, "
               f"{fmt.money(confirmed)} of it confirmed by the customer." if valued else
               "No value delivered has an amount yet.")
    return [table(pd.DataFrame(rows), numeric=["Value"]), paragraph(summary)]


# --- goals and actions ----------------------------------------------------------------------------

def _measure(row: pd.Series, fmt: NumberFormat) -> str:
    if pd.isna(row["baseline"]) or pd.isna(row["target"]) or pd.isna(row["actual"]):
        return row["measure"] or "–"
    unit = row["unit"] or ""
    text = (f"{_amount(row['actual'], unit, fmt)} (from {_amount(row['baseline'], unit, fmt)}, "
            f"target {_amount(row['target'], unit, fmt)})")
    return f"{row['measure']}: {text}" if row["measure"] else text


def _status_text(row: pd.Series) -> str:
    text = str(row["status"])
    if pd.notna(row["progress"]) and row["status"] not in ("done",):
        text += f" ({row['progress']:.0%} of the path)"
    return text


def goals_table(goals: pd.DataFrame, fmt: NumberFormat) -> HTML:
    """The goals with their measure and status (``AccountView.goals``); the status cell is coloured."""
    if goals.empty:
        return not_filled("Goals.")
    rows = pd.DataFrame({"Goal": goals["goal"], "Horizon": goals["horizon"].fillna("–").str.capitalize(),
                         "Owner": goals["owner"].replace("", "–"), "Due": goals["due"].map(_date),
                         "Measure": [_measure(r, fmt) for _, r in goals.iterrows()],
                         "Status": [_status_text(r) for _, r in goals.iterrows()]})
    classes = [STATUS_CLASS.get(s, "status-none") for s in goals["status"]]
    return table(rows, cell_classes={"Status": classes})


def actions_table(actions: pd.DataFrame, goals: pd.DataFrame) -> HTML:
    """The actions, overdue ones flagged with how late they are, each with the goal it serves."""
    if actions.empty:
        return not_filled("Actions.")
    by_id = dict(zip(goals["id"], goals["goal"])) if len(goals) else {}
    status = [f"overdue {d} day{'s' if d != 1 else ''} ({s or 'open'})" if o else (s or "open")
              for s, o, d in zip(actions["status"], actions["overdue"], actions["days_overdue"])]
    rows = pd.DataFrame({"Action": actions["action"], "Owner": actions["owner"].replace("", "–"),
                         "Due": actions["due"].map(_date), "Status": status,
                         "For goal": [by_id.get(g, g) or "–" for g in actions["goal"]]})
    classes = ["status-bad" if o else "status-good" if d else "" for o, d in zip(actions["overdue"],
                                                                               actions["done"])]
    return table(rows, cell_classes={"Status": classes})


# --- team -----------------------------------------------------------------------------------------

def team_table(plan: PlanInputs, stakeholders: pd.DataFrame) -> list[HTML]:
    """Our people, their roles and whom they cover; then who is covered by nobody, and a missing sponsor."""
    if not plan.team:
        return [not_filled("The account team and whom each person covers.")]
    rows = [{"Our person": m.name, "Role": ROLE_LABELS.get(m.role or "", (m.role or "–").capitalize()),
             "Title": m.title or "–", "Covers": ", ".join(m.covers) or "–"} for m in plan.team]
    out = [table(pd.DataFrame(rows))]
    mapped = list(stakeholders["name"].astype(str)) if len(stakeholders) else []
    covered = {name for m in plan.team for name in m.covers}
    uncovered = [name for name in mapped if name not in covered]
    unknown = sorted(covered - set(mapped))
    notes = []
    if plan.sponsor() is None:
        notes.append("No executive sponsor is named for this account.")
    if uncovered:
        notes.append(f"{len(uncovered)} of {len(mapped)} mapped stakeholders are covered by nobody in the team: "
                     f"{', '.join(uncovered)}.")
    elif mapped:
        notes.append(f"Every one of the {len(mapped)} mapped stakeholders is covered by someone in the team.")
    if unknown:
        notes.append(f"Covered but not in the stakeholder map: {', '.join(unknown)}.")
    return out + [paragraph(" ".join(notes))]


# --- risks, governance, asks ----------------------------------------------------------------------

def risk_register(plan: PlanInputs, data_risks: list[str]) -> HTML:
    """The team's risk register, open risks first by likelihood x impact, then the relationship risks the
    stakeholder map shows (flagged as coming from the data)."""
    rows = []
    for r in plan.risks:
        rows.append({"Risk": r.risk, "Category": (r.category or "–").capitalize(),
                     "Likelihood": (r.likelihood or "–").capitalize(), "Impact": (r.impact or "–").capitalize(),
                     "Owner": r.owner or "–", "Mitigation": r.mitigation or "–", "Status": (r.status or "open"),
                     "_rank": (0 if r.open else 1, -LEVEL_ORDER.get(r.likelihood or "", 0)
                               * LEVEL_ORDER.get(r.impact or "", 0))})
    for text in data_risks:
        rows.append({"Risk": text, "Category": "Relationship (stakeholder map)", "Likelihood": "–", "Impact": "–",
                     "Owner": "–", "Mitigation": "–", "Status": "open", "_rank": (2, 0)})
    if not rows:
        return not_filled("Risk register.")
    frame = pd.DataFrame(rows).sort_values("_rank", kind="mergesort").drop(columns="_rank")
    severe = ["status-bad" if (lk, im) == ("High", "High") else "" for lk, im in
              zip(frame["Likelihood"], frame["Impact"])]
    return table(frame, cell_classes={"Risk": severe})


def governance_facts(account: AccountView) -> HTML:
    """When the plan was reviewed (and whether it is stale), approved, the last and next QBR."""
    g, as_of = account.plan.governance, account.as_of
    stale, days = account.stale
    if days is None:
        review = f"never: the plan is stale (a review is due every {account.stale_after_days} days)"
    else:
        review = f"{_date(g.last_review)}, {days} days before {_date(as_of)}"
        review += f": stale (more than {account.stale_after_days} days)" if stale else ""
    approved = f"{g.approved_by} on {_date(g.approved_on)}" if g.approved_by and g.approved_on else \
        g.approved_by or ("not approved" if account.plan.exists else "")
    next_qbr = _date(g.next_qbr)
    if g.next_qbr is not None and as_of is not None and g.next_qbr < as_of:
        next_qbr += " (passed)"
    return facts([("Plan last reviewed", review), ("Approved by", approved),
                  ("Last QBR", _date(g.last_qbr) if g.last_qbr else ""),
                  ("Next QBR", next_qbr if g.next_qbr else "")])


def decisions_table(plan: PlanInputs) -> HTML | None:
    """The decisions of the plan's meetings and where each stands; None when there are none."""
    rows = [{"Meeting": f"{m.kind} {_date(m.date)}", "Decision": d.decision, "Owner": d.owner or "–",
             "Due": _date(d.due), "Status": d.status or "open"}
            for m in plan.governance.meetings for d in m.decisions]
    return table(pd.DataFrame(rows)) if rows else None


def asks_list(plan: PlanInputs) -> HTML:
    if not plan.asks:
        return not_filled("Asks for the QBR.")
    rows = [{"Ask": a.ask, "Of": a.of or "–", "By": _date(a.by), "Status": a.status or "open"} for a in plan.asks]
    return table(pd.DataFrame(rows))


# --- what the data adds: deals, profitability, selection, group ------------------------------------

def deals_summary(account: AccountView) -> list[HTML]:
    """Won and lost in the last four quarters, the win rate by count and by value, the open pipeline and
    its weighted value against the gap to the full-year target."""
    f, fmt = account.figures, account.formats
    won, lost = int(f["won_deals"]), int(f["lost_deals"])
    if won + lost == 0:
        rate = "No deal was won or lost in the last four quarters, so there is no win rate."
    else:
        rate = (f"In the last four quarters {won} deal{'s' if won != 1 else ''} won ({fmt.money(f['won_value'])}) and "
                f"{lost} lost ({fmt.money(f['lost_value'])}): a win rate of {fmt.percent(f['win_rate'], 0)} by "
                f"count and {fmt.percent(f['win_rate_value'], 0)} by value.")
    parts = [paragraph(rate)]
    if int(f["open_deals"]) == 0:
        parts.append(paragraph("There is no open pipeline."))
        return parts
    stages = account.pipeline.rename(columns={"stage": "Pipeline stage", "deals": "Deals", "value": "Value",
                                              "weighted": "Weighted value"})
    parts.append(table(stages, formats={"Value": fmt.money, "Weighted value": fmt.money}, numeric=["Deals"]))
    gap, coverage = gap_coverage(f["weighted_pipeline"], f["fy_annual_target"], f["fy_forecast"])
    weighted = fmt.money(f["weighted_pipeline"])
    if pd.isna(gap):
        text = f"Weighted pipeline {weighted}; there is no full-year target to compare it with."
    elif gap == 0:
        text = f"Weighted pipeline {weighted}; the full-year forecast already reaches the target."
    else:
        text = (f"Weighted pipeline {weighted} against a gap of {fmt.money(gap)} between the full-year forecast and "
                f"target: it covers {fmt.percent(coverage, 0)} of the gap.")
    if int(f["unweighted_deals"]):
        text += f" {int(f['unweighted_deals'])} open deals have no probability and add nothing to the weighted value."
    parts.append(paragraph(text))
    return parts


def profitability_facts(account: AccountView) -> HTML:
    f, fmt = account.figures, account.formats
    if pd.isna(f["profit_t4q"]):
        return paragraph("Profit cannot be shown: the data has no cost of goods for this account.", "muted")
    rank = f"{int(f['profit_rank'])} of {int(f['profit_rank_of'])} accounts (1 = the most profitable)"
    return facts([("Gross profit, last 4 quarters", fmt.money(f["gross_margin_t4q"])),
                  ("Cost to serve", fmt.money(f["kam_cost_t4q"])),
                  ("Profit after cost to serve", fmt.money(f["profit_t4q"])), ("Profitability rank", rank)])


def selection_scores_table(account: AccountView) -> list[HTML]:
    """Each selection criterion, its weight and the account's score; criteria without data named: those
    scored at the mid-point for this account, and those no account has data for (left out of every
    score, with the weights the others are scaled up to)."""
    f = account.figures
    unscored = {c.strip() for c in str(f.get("unscored") or "").split(",") if c.strip()}
    left_out = [n for n in account.criteria if pd.isna(f.get(f"score_{n}")) and n not in unscored]
    kept = sum(w for n, w in account.criteria.items() if n not in left_out)
    rows = []
    for name, weight in account.criteria.items():
        row = {"Criterion": name.replace("_", " ").capitalize(), "Weight": f"{weight:g}%"}
        if left_out:
            row["Weight used"] = "left out" if name in left_out else \
                f"{round(weight * 100 / kept, 1):g}%" if kept > 0 else "–"
        row["Score (1–10)"] = ("no data" if name in left_out else "not scored" if name in unscored
                               else f"{f[f'score_{name}']:.1f}")
        rows.append(row)
    out = [table(pd.DataFrame(rows), numeric=["Weight", "Weight used", "Score (1–10)"] if left_out
                 else ["Weight", "Score (1–10)"])]
    note = (f"Weighted score {f['score']:.1f} of 10: {f['selection_reason']}." if pd.notna(f.get("score"))
            else f"Not scored: {f['selection_reason']}.")
    if unscored:
        names = ", ".join(n.replace("_", " ") for n in account.criteria if n in unscored)
        note += f" Not scored for lack of data, and counted at the mid-point 5.5: {names}."
    if left_out:
        names = ", ".join(n.replace("_", " ") for n in left_out)
        them = "it" if len(left_out) == 1 else "them"
        note += (f" Left out of every account's score, as no account has data for {them}: {names}; the other "
                 "weights are scaled up to 100.")
    return out + [paragraph(note)]


def group_section(account: AccountView) -> list[HTML] | None:
    """The account's group (parent and subsidiaries) with combined figures; None when it has no group."""
    members, fmt = account.group, account.formats
    if members.empty:
        return None
    rows = pd.DataFrame({"Account": members["name"], "Role": members["role"].str.capitalize(),
                         "Key account": members["is_key"].map({True: "yes", False: "no"}),
                         "Revenue, last 4 quarters": members["revenue_t4q"].map(fmt.money),
                         "Growth": members["t4q_growth"].map(lambda v: fmt.growth(v, 1)),
                         "Revenue potential": members["whitespace_value"].map(fmt.money)})
    revenue, prior = members["revenue_t4q"].sum(), members["revenue_prior_t4q"].sum()
    growth = fmt.growth(revenue / prior - 1, 1) if prior > 0 else "not measurable"
    text = (f"The group's {len(members)} accounts brought {fmt.money(revenue)} over the last four quarters "
            f"({growth} on the four before), with {fmt.money(members['whitespace_value'].sum())} a year of estimated "
            "spend with others.")
    return [table(rows, numeric=["Revenue, last 4 quarters", "Growth", "Revenue potential"]), paragraph(text)]


# --- whole sections, as the account plan lays them out -------------------------------------------

def plan_missing_notice(account: AccountView) -> HTML:
    """What an executive reads where the team's plan would be: there is none agreed yet, and whose it is."""
    return paragraph(f"No account plan agreed for {account.quarter} — owner: {account.owner}.", "callout")


def _h3(text: str) -> HTML:
    return HTML(f"<h3>{_e(text)}</h3>")


def _no_plan(account: AccountView) -> str:
    return f"no account plan agreed for {account.quarter}, as page one and the customer's business say"


def customer_section(account: AccountView) -> list[HTML]:
    """The customer's business and the competitors at the account; without a plan, the one notice that
    stands for all the plan's sections (the others are left out of the pack)."""
    if not account.plan.exists:
        return [plan_missing_notice(account),
                paragraph("The customer's business, competitors, value plan, goals and actions, our team, the "
                          "risk register and governance appear here once the plan is agreed.", "small muted")]
    return [business_facts(account.plan), _h3("Competitors"), competitors_table(account.plan)]


def value_and_goals_section(account: AccountView) -> list[HTML]:
    """The value plan, the value delivered, the goals with their status and the actions."""
    if not account.plan.exists:
        return [omitted_section(_no_plan(account))]
    fmt = account.formats
    return [_h3("Value plan"), value_plan_table(account.plan, fmt), _h3("Value delivered"),
            *value_delivered(account.plan, fmt), _h3("Goals"), goals_table(account.goals, fmt), _h3("Actions"),
            actions_table(account.actions, account.goals)]


def team_section(account: AccountView) -> list[HTML]:
    """Our team and whom each person covers (executive pairing)."""
    if not account.plan.exists:
        return [omitted_section(_no_plan(account))]
    return team_table(account.plan, account.stakeholders)


def risks_and_governance_section(account: AccountView) -> list[HTML]:
    """The team's risk register, governance and the decisions of its meetings. (The asks are on page one;
    the relationship risks the stakeholder map raises are listed with the stakeholders.)"""
    if not account.plan.exists:
        return [omitted_section(_no_plan(account))]
    decisions = decisions_table(account.plan)
    note = paragraph(f"{len(account.risks)} relationship risk{'s' if len(account.risks) != 1 else ''} raised by "
                     "the stakeholder map are listed with the stakeholders.", "small muted") if account.risks else None
    return [_h3("Risk register"), risk_register(account.plan, []), *([note] if note else []),
            _h3("Governance"), governance_facts(account),
            *([_h3("Decisions and their follow-up"), decisions] if decisions is not None else [])]


def deals_and_economics_section(account: AccountView) -> list[HTML]:
    """Deals and pipeline, profitability, the selection scores and, for a group member, the group."""
    group = group_section(account)
    return [_h3("Deals and pipeline"), *deals_summary(account), _h3("Profitability"), profitability_facts(account),
            _h3("Selection scores"), *selection_scores_table(account),
            *([_h3("The account's group"), *group] if group else [])]


def account_methods(settings: Settings) -> HTML:
    """The short appendix of an account plan: how its figures are made, with the thresholds in force."""
    fc, health, plans, stages = settings.forecast, settings.health, settings.plans, settings.stages
    weights = ", ".join(f"{name} {weight:g}" for name, weight in health.weights.items())
    items = [
        "Windows: the quarter is the reporting quarter; the last four quarters end with it; growth compares them "
        "with the four quarters before, or the quarter with the same quarter a year earlier.",
        f"Full-year forecast: revenue to date plus the remaining quarters at the average of the last "
        f"{fc.run_rate_quarters}; its range is the spread of the last {fc.band_quarters} quarter-on-quarter changes, "
        f"at least ±{fc.min_band:.0%}. On track: even the low end reaches the year's target; off track: even the "
        "high end falls short; at risk: in between.",
        f"Health (0-100): {weights}; below {health.red:g} is red, below {health.amber:g} amber. A component "
        "without data is left out and the others are weighted up.",
        f"Goals with a baseline, target and actual are measured against the straight line from baseline to target: "
        f"on track from {plans.on_track:.0%} of that path, at risk from {plans.at_risk:.0%}, off track below or when "
        f"past due and not met. An action is overdue when not done by its due date; a plan is stale when not "
        f"reviewed for more than {plans.stale_after_days} days.",
        f"Relationship stage from contacts mapped, levels engaged, share of wallet and tenure (0-12 points): "
        f"Cooperative from {stages.cooperative}, Interdependent from {stages.interdependent}, Strategic from "
        f"{stages.strategic}.",
        "SWOT items in italics come from the data; the others from the account team.",
    ]
    return HTML('<ul class="small methods">' + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>")
