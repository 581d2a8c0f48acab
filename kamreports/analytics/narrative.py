"""Executive summary sentences, generated from the figures by plain rules.

Each sentence quotes the figure it rests on, so a reader can find it on the page.
"""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from ..formatting import SANE_CHANGE, beyond
from ..periods import shift_quarter
from .portfolio import NOT_ASSESSED
from .selection import ranked_population, top_count

Money = Callable[[object], str]


def account_sentences(figures: pd.Series, risks: list[str], quarter: str, money: Money,
                      limit: float = SANE_CHANGE) -> list[str]:
    """The account's summary. An attainment or a growth rate beyond ±``limit`` (``report.sane_change``)
    is not quoted: the target or the base is said to be too small to compare. Without stakeholders
    mapped, the relationship is said to be not assessed."""
    out = [f"Revenue in {quarter} was {money(figures['revenue_q'])}, "
           f"{money(figures['revenue_t4q'])} over the last four quarters."]
    att = figures.get("attainment_q")
    if beyond(att, limit):
        out.append(f"The quarter's target of {money(figures['target_q'])} is too small to compare with the "
                   f"revenue: attainment is not measured.")
    elif pd.notna(att):
        verdict = "ahead of" if att >= 1.0 else "behind"
        out.append(f"That is {att:.0%} of the quarter's target of {money(figures['target_q'])}, {verdict} plan.")
    elif figures.get("target_q") == 0:
        out.append(f"The target for {quarter} is zero, so attainment cannot be measured.")
    else:
        out.append(f"No target is set for {quarter}, so attainment cannot be measured.")
    yoy = figures.get("yoy_growth")
    if beyond(yoy, limit):
        out.append(f"Revenue is up on the same quarter last year, whose {money(figures.get('revenue_yago_q'))} "
                   "is too small a base to compare.")
    elif pd.notna(yoy):
        out.append(f"Revenue is {'up' if yoy >= 0 else 'down'} {abs(yoy):.0%} on the same quarter last year.")
    elif figures.get("quarters_active", 0) <= 4:
        out.append("The account is too new for a year-on-year comparison.")
    if risks:
        out.append(f"Main relationship risk: {risks[0]}")  # as written: it may start with a name
    elif figures.get("stakeholders", 1) == 0:
        out.append("The relationship is not assessed: no stakeholders are mapped.")
    return out


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """"1 account", "2 accounts": the count and the noun that agrees with it (``nouns`` when the
    plural is not the noun plus "s")."""
    return f"{n} {noun if n == 1 else (nouns or noun + 's')}"


def portfolio_sentences(summary: pd.DataFrame, top_share: float, quarter: str, money: Money) -> list[str]:
    """The portfolio's summary, on one population: the accounts with revenue in the last four quarters.

    Why one population: the count, the total, the top-20% share (``top_share``, the figure the page's
    KPI and Pareto curve show: :func:`selection.top_share`) and the key accounts' share must describe
    the same accounts, as ``roi.csv`` does; an account whose last sale is older than the window is
    said to be left out, not counted as a zero.
    """
    window = f"{shift_quarter(quarter, -3)}-{quarter}"
    active = ranked_population(summary["revenue_t4q"])
    n, total = len(active), float(active.sum())
    keys = summary[summary["is_key"].fillna(False).astype(bool)]
    left_out = len(summary) - n
    if n == 0:
        out = [f"No account had revenue in the last four quarters ({window}), so concentration cannot be measured."]
    else:
        out = [f"{plural(n, 'account')} had revenue in the last four quarters ({window}): {money(total)} in all."]
        if left_out:
            out[0] += (f" {plural(left_out, 'account')} with revenue only before then "
                       f"{'is' if left_out == 1 else 'are'} not counted in these figures.")
        k = top_count(n, 0.2)
        who = "the largest account" if k == 1 else f"the {k} largest by that revenue"
        if pd.notna(top_share):
            out.append(f"The top 20% of them ({who}) brought {top_share:.0%} of it.")
    if len(keys) == 0:
        out.append("No account is selected as a key account.")
    elif total > 0:
        share = float(keys["revenue_t4q"].fillna(0).clip(lower=0).sum()) / total
        subject = "The key account" if len(keys) == 1 else f"The {len(keys)} key accounts"
        out.append(f"{subject} brought {share:.0%} of it.")
    else:
        out.append(f"{plural(len(keys), 'key account')} {'is' if len(keys) == 1 else 'are'} selected.")
    quad = keys["quadrant"].value_counts() if "quadrant" in keys else pd.Series(dtype=int)
    unplaced = int(quad.pop(NOT_ASSESSED)) if NOT_ASSESSED in quad.index else 0
    if len(quad) and len(keys) == 1:
        out.append(f"On the KAM matrix the key account sits in the {quad.index[0]} quadrant.")
    elif len(quad):
        parts = [f"{n_} {q}" for q, n_ in quad.items()]
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        out.append(f"On the KAM matrix the key accounts sit as: {listed}.")
    if unplaced:
        if unplaced < len(keys):
            subject = f"{unplaced} of the {len(keys)} key accounts {'has' if unplaced == 1 else 'have'}"
        else:
            subject = {1: "The key account has", 2: "Both key accounts have"}.get(
                len(keys), f"All {len(keys)} key accounts have")
        out.append(f"{subject} no stakeholders mapped: relationship not assessed, in no quadrant of the KAM matrix.")
    return out


def _names(items: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _weight(value: float) -> str:
    return f"{round(float(value), 1):g}%"


def selection_gap_sentences(coverage: pd.DataFrame) -> list[str]:
    """The selection page's words for the criteria without data (``selection.criteria_coverage``): those
    left out, with the weights the others are scaled up to, and those scored at the mid-point for the
    accounts without data, with how many lack it. Nothing when every criterion has data for every account."""
    label = {name: name.replace("_", " ") for name in coverage.index}
    left = coverage[coverage["status"] == "left out"]
    partly = coverage[coverage["status"] == "partly scored"]
    out = []
    if len(left) == len(coverage):
        out.append("No criterion has data for any account, so no account is scored: only the accounts the team "
                   "includes are key accounts.")
    elif len(left):
        kept = coverage[coverage["status"] != "left out"]
        out.append(f"Left out for lack of data (no account has any): "
                   f"{_names([f'{label[c]} ({_weight(w)})' for c, w in left['weight'].items()])}; the other "
                   f"weights are scaled up to 100: "
                   f"{', '.join(f'{label[c]} {_weight(w)}' for c, w in kept['weight_used'].items())}.")
    if len(partly):
        out.append("Scored at the mid-point 5.5 for the accounts without data: "
                   + _names([f"{label[c]} ({int(r['without_data'])} of {int(r['accounts'])} accounts have no data)"
                             for c, r in partly.iterrows()]) + ".")
    return out


def selection_gap_summary(coverage: pd.DataFrame, effects: dict[str, int]) -> str | None:
    """One line for the portfolio summary when the missing selection data changes the key list
    (``selection.gap_effects``); None when it does not."""
    label = {name: name.replace("_", " ") for name in coverage.index}
    parts = []
    left = [label[c] for c in coverage.index[coverage["status"] == "left out"]]
    if effects.get("left_out") and left:
        n = effects["left_out"]
        parts.append(f"{_names(left)} {'has' if len(left) == 1 else 'have'} no data for any account and "
                     f"{'is' if len(left) == 1 else 'are'} left out of the selection score; counted at the mid-point "
                     f"5.5 instead, {plural(n, 'account')} would change key status")
    partly = [label[c] for c in coverage.index[coverage["status"] == "partly scored"]]
    if effects.get("partly") and partly:
        n = effects["partly"]
        parts.append(f"{plural(n, 'account')} would change key status if {_names(partly)}, scored at the "
                     f"mid-point 5.5 where missing, were scored 1 or 10 instead")
    if not parts:
        return None
    text = "; ".join(parts)
    return f"Selection: {text}."
