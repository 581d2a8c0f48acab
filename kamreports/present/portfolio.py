"""The portfolio review's page pieces: title, KPIs, notes and tables, from frames the analytics made.

These only turn figures into text (labels, column names, number formats); every count, share and
ordering comes from ``kamreports.analytics``, so a change of wording or format is made here, once,
and tested. Each helper takes the frame it shows and the company's number format.
"""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from IPython.display import HTML

from ..analytics.narrative import plural, portfolio_sentences, selection_gap_sentences, selection_gap_summary
from ..analytics.portfolio import NOT_ASSESSED, STAKEHOLDER_FACTORS, revenue_share
from ..analytics.relationship import NOT_ASSESSED as STAGE_NOT_ASSESSED
from ..analytics.selection import (
    criterion_label,
    declining_key_accounts,
    ranked_population,
    review_rules,
    top_count,
    top_promotions,
)
from ..config import Selection, Settings
from ..formatting import NumberFormat, beyond
from .html import bullet_list, callout, heading, kpi_strip, paragraph, table

KEY_ACCOUNT_COLUMNS = {"name": "Account", "owner": "Manager", "tier": "Tier", "score": "Score",
                       "revenue_t4q": "Revenue, 4Q", "yoy_growth": "Quarter vs year ago", "attainment_q": "Attainment",
                       "quadrant": "Quadrant", "relationship_stage": "Stage"}
PROMOTION_COLUMNS = {"name": "Account", "score": "Score", "revenue_t4q": "Revenue, 4Q", "reason": "Why"}
REVIEW_COLUMNS = {"name": "Account", "score": "Score", "reason": "Why"}
SENSITIVITY_COLUMNS = {"name": "Account", "score": "Score", "change": "If weights move",
                       "flipped_by": "Flipped when"}
OVERRIDE_COLUMNS = {"name": "Account", "selection_reason": "Reason"}
OPPORTUNITY_COLUMNS = {"account": "Account", "product": "Product", "estimate": "Estimated a year"}
HEALTH_COLUMNS = {"name": "Account", "health_score": "Health", "health_band": "Band", "fy_verdict": "Full year",
                  "forecast_vs_target": "Forecast / target", "relationship_stage": "Stage"}
HEALTH_CAPTION = ("Weakest first. Health scores this quarter and the relationship (growth, attainment, NPS, "
                  "recent contact, coverage, risks); the full year compares the revenue forecast with the year's "
                  "target. They can disagree: a healthy account whose forecast falls short of its target is "
                  "off track")
STAGE_EXPLANATION = ("Relationship stage (in the key accounts table) from contacts mapped, levels engaged, share of "
                     "wallet and tenure; each account plan gives the guidance for its stage and potential. ")


def _shown(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """The columns a table shows, in its order, under their printed names."""
    return frame[list(columns)].rename(columns=columns)


def portfolio_kpis(summary: pd.DataFrame, keys: pd.DataFrame, top20_share: float, fmt: NumberFormat) -> HTML:
    """Four tiles: accounts with revenue in the last four quarters (the population of every
    concentration figure), key accounts with their share of revenue, revenue, top-20% concentration."""
    active = len(ranked_population(summary["revenue_t4q"]))
    k = top_count(active, 0.2)
    return kpi_strip([
        ("Accounts", fmt.number(active), "with revenue, last 4 quarters"),
        ("Key accounts", fmt.number(len(keys)), f"{fmt.percent(revenue_share(keys, summary), 0)} of revenue"),
        ("Revenue, last 4 quarters", fmt.money(summary["revenue_t4q"].sum()), None),
        ("Top 20% share", fmt.percent(top20_share, 0),
         f"of revenue, from the top {plural(k, 'account')} of {active}" if active else None),
    ])


def portfolio_summary(summary: pd.DataFrame, top20_share: float, quarter: str, fmt: NumberFormat,
                      selection_gaps: tuple[pd.DataFrame, dict[str, int]] | None = None) -> HTML:
    """The executive summary: the sentences of ``analytics.narrative`` as a list; with
    ``selection_gaps`` (``Portfolio.selection_gaps``) one more line when missing data changes the key list."""
    sentences = portfolio_sentences(summary, top20_share, quarter, fmt.money)
    line = selection_gap_summary(*selection_gaps) if selection_gaps is not None else None
    return bullet_list(sentences + ([line] if line else []), "summary")


def concentration_note(summary: pd.DataFrame, top20_share: float, fmt: NumberFormat) -> HTML:
    """Under the Pareto curve: which accounts it, the top-20% share and the ABC classes count (those
    with revenue in the last four quarters), and the top 20% in accounts, so no figure hides its population."""
    active = ranked_population(summary["revenue_t4q"])
    n, left_out = len(active), len(summary) - len(active)
    if not n:
        return paragraph("No account had revenue in the last four quarters: no curve, share or classes.", "muted")
    text = (f"The curve, the top-20% share and the ABC classes count the {plural(n, 'account')} with revenue in "
            f"the last four quarters, ranked by that revenue: the top 20% is the largest {top_count(n, 0.2)}, "
            f"bringing {fmt.percent(top20_share, 0)} of it.")
    if left_out:
        text += (f" {plural(left_out, 'account')} with revenue only before then "
                 f"{'has' if left_out == 1 else 'have'} no class.")
    return paragraph(text, "muted")


def abc_class_table(abc: pd.DataFrame, fmt: NumberFormat, a: float, b: float) -> HTML:
    """``analytics.selection.abc_table`` with the class cut-offs ``a`` and ``b``, and its population, in its caption."""
    return table(abc.rename_axis("Class").rename(columns=str.capitalize),
                 formats={"Accounts": fmt.number, "Revenue": fmt.money, "Share": lambda v: fmt.percent(v, 0)},
                 index=True, caption=f"ABC classes of the accounts with revenue in the last four quarters: "
                                     f"A up to {a:.0%} of that revenue, B up to {b:.0%}, C the rest")


def selection_rule(selection: Selection, coverage: pd.DataFrame | None = None) -> HTML:
    """How key accounts are scored and selected, so readers can check a surprising choice; with
    ``coverage`` (``Portfolio.selection_gaps[0]``) also the criteria left out for lack of data, with the
    weights the others are scaled up to, and those scored at the mid-point for the accounts without data."""
    weights = ", ".join(f"{criterion_label(criterion)} {weight:g}%"
                        for criterion, weight in selection.criteria.items())
    gaps = selection_gap_sentences(coverage) if coverage is not None else []
    return paragraph(" ".join([f"Scored 1–10 on {weights}.", *gaps, f"Selected: score at least "
                               f"{selection.threshold:g}, at most {selection.max_key_accounts}."]), "muted")


def key_accounts_table(keys: pd.DataFrame, fmt: NumberFormat) -> HTML:
    """The key accounts with manager, tier, score, revenue, growth, attainment and quadrant."""
    return table(_shown(keys, KEY_ACCOUNT_COLUMNS),
                 formats={"Score": lambda v: fmt.number(v, 1), "Revenue, 4Q": fmt.money,
                          "Quarter vs year ago": lambda v: fmt.growth(v, 0),
                          "Attainment": fmt.attainment},
                 caption="Revenue over the last four quarters; growth is this quarter's revenue against the same "
                         "quarter last year, attainment this quarter's revenue against its target")


def quadrant_table(counts: pd.DataFrame) -> HTML:
    """``analytics.portfolio.quadrant_counts``: each quadrant, its strategy and its key accounts."""
    shown = counts.rename(columns={"quadrant": "Quadrant", "strategy": "Strategy", "accounts": "Key accounts"})
    return table(shown, numeric=["Key accounts"])


#: The KAM-matrix factors as the pages name them.
FACTOR_LABELS = {"revenue_potential": "revenue potential", "growth": "growth", "gross_margin": "gross margin",
                 "strategic_value": "strategic value", "revenue_volume": "revenue volume",
                 "share_of_wallet": "share of wallet", "stakeholder_sentiment": "stakeholder sentiment",
                 "stakeholder_coverage": "stakeholder coverage", "customer_tenure": "tenure"}


def matrix_note(gaps: pd.DataFrame, accounts: pd.DataFrame) -> HTML | None:
    """Under the KAM matrix: the factors left out for lack of data on each axis (``Portfolio.matrix_gaps``),
    and how many of ``accounts`` (those on the chart) are not assessed on relationship strength, with
    the factors they are placed on. None when neither applies."""
    parts = []
    for axis in ("attractiveness", "strength"):
        gone = gaps[(gaps["axis"] == axis) & (gaps["status"] == "left out")]
        if len(gone):
            names = [FACTOR_LABELS.get(f, f) for f in gone["factor"]]
            listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            what = "Attractiveness" if axis == "attractiveness" else "Relationship strength"
            parts.append(f"{what} leaves out {listed}: no account has data for {'it' if len(names) == 1 else 'them'}, "
                         "and the other weights are scaled up.")
    unplaced = accounts[accounts["quadrant"] == NOT_ASSESSED] if "quadrant" in accounts else accounts.iloc[0:0]
    if len(unplaced):
        on = gaps[(gaps["axis"] == "strength") & (gaps["status"] != "left out") & (gaps["weight"] > 0)
                  & ~gaps["factor"].isin(STAKEHOLDER_FACTORS)]
        basis = [FACTOR_LABELS.get(f, f) for f in on["factor"]]
        where = (f"placed on {basis[0] if len(basis) == 1 else ', '.join(basis[:-1]) + ' and ' + basis[-1]} only"
                 if basis else "placed on the middle line")
        n = len(unplaced)
        parts.append(f"{plural(n, 'account')} {'has' if n == 1 else 'have'} no stakeholders mapped: relationship "
                     f"strength not assessed, in no quadrant; drawn hollow, {where}.")
    return paragraph(" ".join(parts), "muted") if parts else None


def stage_note(counts: pd.Series) -> HTML:
    """How the stage is set, and how many key accounts are at each stage (``relationship.stage_counts``);
    accounts without stakeholders mapped are counted as not assessed, never at a stage."""
    tally = ", ".join(f"{n} {stage}" if stage != STAGE_NOT_ASSESSED else
                      f"{n} not assessed (no stakeholders mapped)" for stage, n in counts.items())
    return paragraph(f"{STAGE_EXPLANATION}{tally}.", "muted")


def promotion_table(candidates: pd.DataFrame, fmt: NumberFormat, limit: int = 10) -> HTML:
    """Accounts that could become key accounts and why (``Portfolio.candidates[0]``, all of them): the
    ``limit`` of highest revenue-potential score, with the caption saying how many are shown of how
    many, or a note that none qualifies."""
    if not len(candidates):
        return callout("No non-key account meets the promotion rules.")
    shown = top_promotions(candidates, limit)
    caption = (("The only candidate" if len(candidates) == 1 else f"All {len(candidates)} candidates")
               if len(shown) == len(candidates) else
               f"{len(shown)} of {len(candidates)} candidates shown: those with the highest revenue-potential score")
    return table(_shown(shown, PROMOTION_COLUMNS),
                 formats={"Score": lambda v: fmt.number(v, 1), "Revenue, 4Q": fmt.money}, caption=caption)


def review_table(candidates: pd.DataFrame, fmt: NumberFormat, keys: pd.DataFrame | None = None,
                 settings: Settings | None = None) -> HTML:
    """Key accounts to review and why, under the rule with its thresholds (from ``settings``); then
    every other key account whose revenue fell over the last four quarters, whatever the thresholds
    (from ``keys``), so "none to review" never hides a shrinking account."""
    parts: list[HTML] = []
    if settings is not None:
        c = settings.candidates
        rule = review_rules(settings.selection.threshold, c.demote_growth, c.demote_attainment,
                            c.demote_score_margin)
        parts.append(paragraph(f"A key account is listed for review when it has {rule}.", "muted"))
    if len(candidates):
        parts.append(table(_shown(candidates, REVIEW_COLUMNS), formats={"Score": lambda v: fmt.number(v, 1)}))
    else:
        parts.append(callout("No key account meets a review rule."))
    if keys is not None and len(keys.index.difference(candidates.index)):
        falling = declining_key_accounts(keys, candidates.index)
        others = " other" if len(candidates) else ""
        if len(falling):
            listed = "; ".join(
                f"{row['name']} {fmt.percent(row['t4q_growth'], 1, True)}"
                + (" (this quarter's target too small to compare)" if beyond(row.get("attainment_q"),
                                                                              fmt.sane_change) else
                   f" ({fmt.percent(row['attainment_q'], 0)} of this quarter's target)"
                   if pd.notna(row.get("attainment_q")) else "")
                for _, row in falling.iterrows())
            parts.append(paragraph(
                f"{plural(len(falling), f'{others.strip()} key account'.strip())} "
                f"{'has' if len(falling) == 1 else 'have'} less revenue in the last four quarters than in the four "
                f"before: {listed}."))
        else:
            parts.append(paragraph(f"Every{others} key account has at least as much revenue in the last four quarters "
                                   "as in the four before."))
    return HTML("".join(part.data for part in parts))


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


def opportunities_table(top: pd.DataFrame, fmt: NumberFormat, key_accounts: int | None = None) -> HTML:
    """``analytics.whitespace.top_opportunities``: account, product and estimated value a year; with
    ``key_accounts`` (how many there are) the caption says how many of them are listed, so a cut list
    is never silent."""
    if key_accounts is None:
        caption = "The largest opportunity of each account listed, largest first"
    elif len(top) >= key_accounts:
        caption = ("The largest opportunity of the key account" if key_accounts == 1 else
                   f"The largest opportunity of each of the {key_accounts} key accounts, largest first")
    else:
        caption = (f"{len(top)} of {plural(key_accounts, 'key account')}, largest opportunity first; the others "
                   "have no product to suggest or are beyond the list's length")
    return table(_shown(top, OPPORTUNITY_COLUMNS), formats={"Estimated a year": fmt.money}, caption=caption)


def health_kpis(bands: pd.Series, off_track: int, fmt: NumberFormat) -> HTML:
    """Key accounts per health band (``health.band_counts``) and how many are off track for the year."""
    return kpi_strip([("Green", fmt.number(bands.get("green", 0)), "key accounts"),
                      ("Amber", fmt.number(bands.get("amber", 0)), "key accounts"),
                      ("Red", fmt.number(bands.get("red", 0)), "key accounts"),
                      ("Off track for the year", fmt.number(off_track), "key accounts")])


def health_ranking_table(accounts: pd.DataFrame, fmt: NumberFormat, figures: pd.DataFrame | None = None) -> HTML:
    """``analytics.health.weakest_first``: health, band, full-year verdict and stage per account; with
    ``figures`` (the key accounts' summary rows, for ``fy_forecast`` and ``fy_annual_target``) also the
    forecast as a share of the year's target: the reason a healthy account can be off track."""
    source = figures if figures is not None else accounts
    columns = dict(HEALTH_COLUMNS)
    if {"fy_forecast", "fy_annual_target"} <= set(source.columns):
        target = source["fy_annual_target"].where(source["fy_annual_target"] > 0)
        accounts = accounts.assign(forecast_vs_target=(source["fy_forecast"] / target).reindex(accounts.index))
        caption = HEALTH_CAPTION + ", and the forecast / target column shows by how much."
    else:
        columns.pop("forecast_vs_target")
        caption = HEALTH_CAPTION + "."
    return table(_shown(accounts, columns), formats={"Health": lambda v: fmt.number(v, 0),
                                                     "Forecast / target": lambda v: fmt.percent(v, 0)},
                 caption=caption)


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
