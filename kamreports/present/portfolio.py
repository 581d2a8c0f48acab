"""The portfolio review's page pieces: title, KPIs, notes and tables, from frames the analytics made.

These only turn figures into text (labels, column names, number formats); every count, share and
ordering comes from ``kamreports.analytics``, so a change of wording or format is made here, once,
and tested. Each helper takes the frame it shows and the company's number format.
"""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from IPython.display import HTML

from ..analytics.narrative import portfolio_sentences
from ..analytics.portfolio import revenue_share
from ..config import Selection
from ..formatting import NumberFormat
from .html import bullet_list, callout, heading, kpi_strip, paragraph, table

KEY_ACCOUNT_COLUMNS = {"name": "Account", "owner": "Manager", "tier": "Tier", "score": "Score",
                       "revenue_t4q": "Revenue, 4Q", "yoy_growth": "Growth YoY", "attainment_q": "Attainment",
                       "quadrant": "Quadrant"}
STAGE_COLUMNS = {"name": "Account", "relationship_stage": "Stage", "quadrant": "Quadrant",
                 "stage_guidance": "Guidance"}
PROMOTION_COLUMNS = {"name": "Account", "score": "Score", "revenue_t4q": "Revenue, 4Q", "reason": "Why"}
REVIEW_COLUMNS = {"name": "Account", "score": "Score", "reason": "Why"}
SENSITIVITY_COLUMNS = {"name": "Account", "score": "Score", "change": "If weights move", "flipped_by": "Flipped by"}
OVERRIDE_COLUMNS = {"name": "Account", "selection_reason": "Reason"}
OPPORTUNITY_COLUMNS = {"account": "Account", "product": "Product", "estimate": "Estimated a year"}
HEALTH_COLUMNS = {"name": "Account", "health_score": "Health", "health_band": "Band", "fy_verdict": "Full year",
                  "relationship_stage": "Stage"}
STAGE_EXPLANATION = ("Stage from contacts mapped, levels engaged, share of wallet and tenure; guidance pairs the "
                     "stage with the account's potential. ")


def _shown(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """The columns a table shows, in its order, under their printed names."""
    return frame[list(columns)].rename(columns=columns)


def portfolio_title(company: str, quarter: str) -> HTML:
    """The review's title, with the company, the quarter and its confidentiality beneath."""
    return heading("Portfolio review", 1, f"{company} · {quarter} · Internal")


def portfolio_kpis(summary: pd.DataFrame, keys: pd.DataFrame, top20_share: float, fmt: NumberFormat) -> HTML:
    """Four tiles: accounts, key accounts with their share of revenue, revenue, top-20% concentration."""
    return kpi_strip([
        ("Accounts", fmt.number(len(summary)), None),
        ("Key accounts", fmt.number(len(keys)), f"{revenue_share(keys, summary):.0%} of revenue"),
        ("Revenue, last 4 quarters", fmt.money(summary["revenue_t4q"].sum()), None),
        ("Top 20% share", fmt.percent(top20_share, 0), "of revenue, measured"),
    ])


def portfolio_summary(summary: pd.DataFrame, top20_share: float, quarter: str, fmt: NumberFormat) -> HTML:
    """The executive summary: the sentences of ``analytics.narrative`` as a list."""
    return bullet_list(portfolio_sentences(summary, top20_share, quarter, fmt.money), "summary")


def abc_class_table(abc: pd.DataFrame, fmt: NumberFormat, a: float, b: float) -> HTML:
    """``analytics.selection.abc_table`` with the class cut-offs ``a`` and ``b`` in its caption."""
    return table(abc.rename_axis("Class").rename(columns=str.capitalize),
                 formats={"Accounts": fmt.number, "Revenue": fmt.money, "Share": lambda v: fmt.percent(v, 0)},
                 index=True, caption=f"ABC classes: A up to {a:.0%} of revenue, B up to {b:.0%}, C the rest")


def selection_rule(selection: Selection) -> HTML:
    """How key accounts are scored and selected, so readers can check a surprising choice."""
    weights = ", ".join(f"{criterion.replace('_', ' ')} {weight:g}%"
                        for criterion, weight in selection.criteria.items())
    return paragraph(f"Scored 1–10 on {weights}. Selected: score at least {selection.threshold:g}, "
                     f"at most {selection.max_key_accounts}.", "muted")


def key_accounts_table(keys: pd.DataFrame, fmt: NumberFormat) -> HTML:
    """The key accounts with manager, tier, score, revenue, growth, attainment and quadrant."""
    return table(_shown(keys, KEY_ACCOUNT_COLUMNS),
                 formats={"Score": lambda v: fmt.number(v, 1), "Revenue, 4Q": fmt.money,
                          "Growth YoY": lambda v: fmt.percent(v, 0, True), "Attainment": lambda v: fmt.percent(v, 0)})


def quadrant_table(counts: pd.DataFrame) -> HTML:
    """``analytics.portfolio.quadrant_counts``: each quadrant, its strategy and its key accounts."""
    shown = counts.rename(columns={"quadrant": "Quadrant", "strategy": "Strategy", "accounts": "Key accounts"})
    return table(shown, numeric=["Key accounts"])


def stage_note(counts: pd.Series) -> HTML:
    """How the stage is set, and how many key accounts are at each stage (``relationship.stage_counts``)."""
    tally = ", ".join(f"{n} {stage}" for stage, n in counts.items())
    return paragraph(f"{STAGE_EXPLANATION}{tally}.", "muted")


def stages_table(stages: pd.DataFrame) -> HTML:
    """``analytics.relationship.by_stage``: each key account's stage, quadrant and guidance."""
    return table(_shown(stages, STAGE_COLUMNS))


def promotion_table(candidates: pd.DataFrame, fmt: NumberFormat) -> HTML:
    """Accounts that could become key accounts and why, or a note that none qualifies."""
    if not len(candidates):
        return callout("No non-key account meets the promotion rules.")
    return table(_shown(candidates, PROMOTION_COLUMNS),
                 formats={"Score": lambda v: fmt.number(v, 1), "Revenue, 4Q": fmt.money})


def review_table(candidates: pd.DataFrame, fmt: NumberFormat) -> HTML:
    """Key accounts to review (declining, far below target or scoring low) and why, or a note."""
    if not len(candidates):
        return callout("No key account is declining, far below target or scoring low.")
    return table(_shown(candidates, REVIEW_COLUMNS), formats={"Score": lambda v: fmt.number(v, 1)})


def sensitivity_heading(delta: float) -> HTML:
    """The sensitivity heading; it names how far each weight is moved."""
    return heading(f"Weight sensitivity (each weight moved by ±{delta:.0%})", 3)


def sensitivity_table(flips: pd.DataFrame, fmt: NumberFormat) -> HTML:
    """Accounts whose key status flips when one weight moves, or a note that the list holds."""
    if not len(flips):
        return callout("The key-account list does not change when any weight moves.")
    return table(_shown(flips, SENSITIVITY_COLUMNS), formats={"Score": lambda v: fmt.number(v, 2)})


def overrides_section(overrides: pd.DataFrame) -> list[HTML]:
    """The team's include/exclude overrides under their heading; nothing when there are none."""
    if not len(overrides):
        return []
    return [heading("Team overrides", 3), table(_shown(overrides, OVERRIDE_COLUMNS))]


def opportunities_table(top: pd.DataFrame, fmt: NumberFormat) -> HTML:
    """``analytics.whitespace.top_opportunities``: account, product and estimated value a year."""
    return table(_shown(top, OPPORTUNITY_COLUMNS), formats={"Estimated a year": fmt.money})


def health_kpis(bands: pd.Series, off_track: int, fmt: NumberFormat) -> HTML:
    """Key accounts per health band (``health.band_counts``) and how many are off track for the year."""
    return kpi_strip([("Green", fmt.number(bands.get("green", 0)), "key accounts"),
                      ("Amber", fmt.number(bands.get("amber", 0)), "key accounts"),
                      ("Red", fmt.number(bands.get("red", 0)), "key accounts"),
                      ("Off track for the year", fmt.number(off_track), "key accounts")])


def health_ranking_table(accounts: pd.DataFrame, fmt: NumberFormat) -> HTML:
    """``analytics.health.weakest_first``: health, band, full-year verdict and stage per account."""
    return table(_shown(accounts, HEALTH_COLUMNS), formats={"Health": lambda v: fmt.number(v, 0)},
                 caption="Weakest first")


def data_quality_section(quality: pd.DataFrame, notes: Iterable[str], fmt: NumberFormat) -> list[HTML]:
    """What the import changed and what the data lacks, under a "Data quality" heading; nothing at all
    when the import changed nothing and noted nothing, so a clean import adds no page."""
    notes = list(notes)
    if not (len(quality) or notes):
        return []
    return [heading("Data quality"),
            paragraph("What the import normalised, dropped, filled or derived, and what the data lacks.", "muted"),
            table(quality.rename(columns=str.capitalize), formats={"Count": fmt.number}) if len(quality)
            else paragraph(""),
            *([bullet_list(notes)] if notes else [])]
