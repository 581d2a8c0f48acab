"""Executive summary sentences, generated from the figures by plain rules.

Each sentence quotes the figure it rests on, so a reader can find it on the page.
"""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from ..periods import shift_quarter
from .selection import ranked_population, top_count

Money = Callable[[object], str]


def account_sentences(figures: pd.Series, risks: list[str], quarter: str, money: Money) -> list[str]:
    out = [f"Revenue in {quarter} was {money(figures['revenue_q'])}, "
           f"{money(figures['revenue_t4q'])} over the last four quarters."]
    att = figures.get("attainment_q")
    if pd.notna(att):
        verdict = "ahead of" if att >= 1.0 else "behind"
        out.append(f"That is {att:.0%} of the quarter's target of {money(figures['target_q'])}, {verdict} plan.")
    elif figures.get("target_q") == 0:
        out.append(f"The target for {quarter} is zero, so attainment cannot be measured.")
    else:
        out.append(f"No target is set for {quarter}, so attainment cannot be measured.")
    yoy = figures.get("yoy_growth")
    if pd.notna(yoy):
        out.append(f"Revenue is {'up' if yoy >= 0 else 'down'} {abs(yoy):.0%} on the same quarter last year.")
    elif figures.get("quarters_active", 0) <= 4:
        out.append("The account is too new for a year-on-year comparison.")
    if risks:
        out.append(f"Main relationship risk: {risks[0]}")  # as written: it may start with a name
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
    if len(quad) and len(keys) == 1:
        out.append(f"On the KAM matrix the key account sits in the {quad.index[0]} quadrant.")
    elif len(quad):
        parts = [f"{n_} {q}" for q, n_ in quad.items()]
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        out.append(f"On the KAM matrix the key accounts sit as: {listed}.")
    return out
