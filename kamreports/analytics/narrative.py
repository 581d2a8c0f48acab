"""Executive summary sentences, generated from the figures by plain rules.

Each sentence quotes the figure it rests on, so a reader can find it on the page.
"""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd

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


def portfolio_sentences(summary: pd.DataFrame, top_share: float, quarter: str, money: Money) -> list[str]:
    keys = summary[summary["is_key"]]
    total = summary["revenue_t4q"].sum()
    out = [
        f"{len(summary)} accounts brought {money(total)} over the four quarters to {quarter}.",
        f"The top 20% of accounts brought {top_share:.0%} of that revenue." if pd.notna(top_share)
        else "No revenue was booked, so concentration cannot be measured.",
        f"{len(keys)} key accounts bring {keys['revenue_t4q'].sum() / total:.0%} of revenue."
        if total > 0 else f"{len(keys)} key accounts were selected.",
    ]
    quad = keys["quadrant"].value_counts()
    if len(quad):
        parts = ", ".join(f"{n} {q}" for q, n in quad.items())
        out.append(f"On the KAM matrix the key accounts sit as: {parts}.")
    return out
