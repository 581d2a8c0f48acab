"""The account plan's page pieces: its title, KPIs, notes and tables, for one account.

These only turn figures the model computed into text (labels, column names, number formats), so
a change of wording or format is made here, once, and tested; the notebook just lays them out.
Helpers that build a table take the frame and the company's number format; those that write a
sentence about the account take its :class:`~kamreports.model.AccountView`.
"""
from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from ..analytics.narrative import account_sentences
from ..data.plans import PlanInputs
from ..formatting import NumberFormat
from ..model import AccountView
from .html import bullet_list, callout, heading, kpi_strip, paragraph, table

#: What each full-year verdict of ``analytics.growth.year_forecast`` means, in the plan's words.
FORECAST_VERDICTS = {"on track": "on track: even the low end of the forecast reaches the target",
                     "at risk": "at risk: the target lies inside the forecast range",
                     "off track": "off track: even the high end of the forecast falls short",
                     "no target": "without a full-year target"}

#: The health components (``config.HEALTH_COMPONENTS``) as the plan names them.
HEALTH_LABELS = {"growth": "Growth", "attainment": "Target attainment", "nps": "Customer score",
                 "engagement": "Engagement recency", "coverage": "Stakeholder coverage", "risks": "Open risks"}

GROWTH_COLUMNS = {"revenue": "Revenue", "target": "Target", "attainment": "Attainment",
                  "qoq_growth": "Growth QoQ", "yoy_growth": "Growth YoY"}
STAKEHOLDER_COLUMNS = {"name": "Name", "title": "Title", "role_label": "Role", "influence": "Influence (1–5)",
                       "sentiment_label": "Sentiment", "last_contact": "Last contact",
                       "days_since_contact": "Days since"}
CROSS_SELL_COLUMNS = {"product": "Product", "estimate": "Estimated a year", "reason": "How it is estimated"}


def account_title(account: AccountView) -> HTML:
    """The account's name as the page title, with the quarter and its manager beneath."""
    return heading(account.name, 1, f"Account plan · {account.quarter} · Key-account manager: {account.owner}")


def account_kpis(account: AccountView) -> HTML:
    """The seven tiles at the top of the plan: revenue against target, growth, margin, score, health."""
    f, fmt, money = account.figures, account.formats, account.money
    return kpi_strip([
        (f"Revenue {account.quarter}", money(f["revenue_q"]), f"Target {money(f['target_q'])}"),
        ("Target attainment", fmt.attainment(f["attainment_q"]), None),
        ("Growth, year on year", fmt.growth(f["yoy_growth"]), None),
        ("Revenue, last 4 quarters", money(f["revenue_t4q"]), None),
        ("Gross margin", fmt.percent(f["gross_margin_pct"], 0), "last 4 quarters"),
        ("Customer score", fmt.number(f["nps_avg"], 1), "0–10, last 4 quarters"),
        ("Account health", fmt.number(f["health_score"], 0), f"{str(f['health_band']).upper()}, of 100"),
    ])


def account_summary(account: AccountView) -> HTML:
    """The executive summary: the sentences of ``analytics.narrative`` as a list."""
    return bullet_list(account_sentences(account.figures, account.risks, account.quarter, account.money,
                                         account.formats.sane_change), "summary")


def growth_table(growth: pd.DataFrame, fmt: NumberFormat) -> HTML:
    """Quarter by quarter revenue, target, attainment and growth (``AccountView.growth``)."""
    shown = growth.rename_axis("Quarter").rename(columns=GROWTH_COLUMNS)

    return table(shown, formats={"Revenue": fmt.money, "Target": fmt.money, "Attainment": fmt.attainment,
                                 "Growth QoQ": fmt.growth, "Growth YoY": fmt.growth}, index=True)


def forecast_note(account: AccountView) -> HTML:
    """The full-year forecast, its range and target, and what the verdict means, in one paragraph."""
    f, money = account.figures, account.money
    verdict = FORECAST_VERDICTS.get(f["fy_verdict"], f["fy_verdict"])
    return paragraph(f"Forecast for the year: {money(f['fy_forecast'])} (range {money(f['fy_forecast_low'])} to "
                     f"{money(f['fy_forecast_high'])}) against a target of {money(f['fy_annual_target'])}; "
                     f"{verdict}. Remaining quarters at the run-rate of the last "
                     f"quarters, the range from recent quarter-on-quarter swings.")


def swot_note(plan: PlanInputs) -> HTML:
    """How to read the SWOT: which items are the data's and which the team's."""
    if plan.swot:
        return paragraph("Items in italics are derived from the data; the others were entered by the account team.",
                         "muted")
    return paragraph("All items are derived from the data; the account team has not added its own yet.", "muted")


def _contact_date(value: object) -> str:
    """The day of the last contact; a dash when there is none (NaT has a strftime that raises)."""
    return value.strftime("%Y-%m-%d") if hasattr(value, "strftime") and not pd.isna(value) else "–"


def stakeholder_table(people: pd.DataFrame, fmt: NumberFormat) -> HTML:
    """The mapped stakeholders (``AccountView.stakeholders``): role, influence, sentiment, last contact."""
    shown = people[list(STAKEHOLDER_COLUMNS)].rename(columns=STAKEHOLDER_COLUMNS)
    return table(shown, formats={"Last contact": _contact_date, "Days since": fmt.number,
                                 "Influence (1–5)": fmt.number})


def relationship_notes(account: AccountView) -> list[HTML]:
    """The relationship stage with its guidance, and the relationship risks ("None flagged." when none);
    without stakeholders mapped, one line saying that both are not assessed."""
    f = account.figures
    if account.stakeholders.empty:
        return [relationship_not_assessed(f)]
    return [heading("Relationship stage", 3), paragraph(f"{f['relationship_stage']}: {f['stage_guidance']}"),
            heading("Relationship risks", 3), bullet_list(account.risks or ["None flagged."], "risks")]


def relationship_not_assessed(figures: pd.Series | None = None) -> HTML:
    """Where an account's stakeholders would be: none is mapped, so what rests on them is not assessed
    (never scored low for want of data). With the account's ``figures``, the KAM-matrix strength is
    named only when it is not assessed either (an analyst's strength, or strength weights without a
    stakeholder factor, still place the account)."""
    unplaced = figures is None or figures.get("strength_basis") == "not assessed"
    parts = ["the relationship stage"] + (["the relationship strength on the KAM matrix"] if unplaced else []) \
        + ["the stakeholder risks", "the health components that rest on contacts (engagement recency, stakeholder "
           "coverage, open risks)"]
    listed = ", ".join(parts[:-1])
    return callout(f"Relationship not assessed — no stakeholders mapped. {listed[:1].upper()}{listed[1:]} and "
                   f"{parts[-1]} are left out until the account's stakeholders are mapped.", "No data.")


def cross_sell_table(cross_sell: pd.DataFrame, fmt: NumberFormat) -> HTML:
    """The account's cross-sell opportunities with how each is estimated, or a note why there are none."""
    if not len(cross_sell):
        return callout("The account already buys every product, or no peers buy what it does not.")
    shown = cross_sell[list(CROSS_SELL_COLUMNS)].rename(columns=CROSS_SELL_COLUMNS)
    return table(shown, formats={"Estimated a year": fmt.money})


def health_heading(account: AccountView) -> HTML:
    """The health score and band as a heading: "Account health: 81 of 100 (GREEN)"."""
    f = account.figures
    return heading(f"Account health: {account.formats.number(f['health_score'], 0)} of 100 "
                   f"({str(f['health_band']).upper()})", 3)


def health_breakdown_table(breakdown: pd.DataFrame, fmt: NumberFormat) -> HTML:
    """Each health component's score and weight (``analytics.health.health_breakdown``)."""
    shown = pd.DataFrame({"Component": [HEALTH_LABELS.get(c, c) for c in breakdown.index],
                          "Score (0–100)": [fmt.number(s, 0) for s in breakdown["score"]],
                          "Weight": [f"{w:g}%" for w in breakdown["weight"]]})
    return table(shown, numeric=["Score (0–100)", "Weight"])


def health_gaps(account: AccountView) -> HTML | None:
    """Which components could not be scored for lack of data; None when all were."""
    missing = account.figures["health_missing"]
    if not isinstance(missing, str) or not missing:
        return None
    names = ", ".join(HEALTH_LABELS.get(c, c).lower() for c in missing.split(", "))
    return paragraph(f"Not scored for lack of data: {names}.", "muted")
