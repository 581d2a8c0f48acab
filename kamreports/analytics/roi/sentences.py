"""Rules-based summary sentences for the ROI page.

Each :class:`Finding` names the (group, metric) rows of :func:`~kamreports.analytics.roi.table.roi_table`
it quotes, so every number in the text can be checked against the CSV.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ... import formatting
from ._common import _pct
from .breakdowns import WhaleSummary
from .programme import ProgrammeRoi


@dataclass(frozen=True)
class Finding:
    """A summary sentence and the (group, metric) rows of :func:`roi_table` it quotes."""

    text: str
    refs: tuple[tuple[str, str], ...]


def roi_sentences(programme: ProgrammeRoi, groups: pd.DataFrame, whale: WhaleSummary | None = None,
                  managers: pd.DataFrame | None = None, periods: pd.DataFrame | None = None,
                  min_accounts: int = 5, max_accounts: int = 15,
                  money: Callable[[object], str] = formatting.money) -> list[Finding]:
    """Rules-based sentences for the ROI page, each quoting figures of :func:`roi_table`."""
    out: list[Finding] = []
    p = programme
    if pd.notna(p.key_revenue_growth) and pd.notna(p.baseline_revenue_growth):
        out.append(Finding(
            f"Key accounts grew revenue {_pct(p.key_revenue_growth, True)} against "
            f"{_pct(p.baseline_revenue_growth, True)} for comparable other accounts "
            f"(gross profit {_pct(p.key_growth, True)} against {_pct(p.baseline_growth, True)}).",
            (("programme", "key_revenue_growth"), ("programme", "baseline_revenue_growth"),
             ("programme", "key_growth"), ("programme", "baseline_growth"))))
    if p.reason:
        out.append(Finding(f"The programme's return cannot be computed: {p.reason}.", (("programme", "roi"),)))
    else:
        refs = (("programme", "return_multiple"), ("programme", "incremental_gross_profit"),
                ("programme", "programme_cost"), ("programme", "roi"))
        basis = "extra KAM cost" if p.cost_basis == "extra" else "KAM cost"
        if p.incremental_gross_profit <= 0:
            out.append(Finding(
                f"Key accounts earned {money(-p.incremental_gross_profit)} less gross profit than the baseline, "
                f"on top of {money(p.programme_cost)} of {basis} (ROI {_pct(p.roi, True)}).", refs))
        elif p.roi >= 0:
            out.append(Finding(
                f"The programme returned {p.return_multiple:.1f}× its cost: {money(p.incremental_gross_profit)} "
                f"of gross profit above the baseline for {money(p.programme_cost)} of {basis} "
                f"(ROI {_pct(p.roi, True)}).", refs))
        else:
            out.append(Finding(
                f"The programme did not cover its cost: {money(p.incremental_gross_profit)} of gross profit above "
                f"the baseline for {money(p.programme_cost)} of {basis} (ROI {_pct(p.roi, True)}).", refs))
        if pd.notna(p.payback_months):
            out.append(Finding(f"At this rate the programme cost pays back in {p.payback_months:.0f} months.",
                               (("programme", "payback_months"),)))
    if {"key", "other"} <= set(groups.index) and groups.loc[["key", "other"], ["grr", "nrr"]].notna().all().all():
        k, o = groups.loc["key"], groups.loc["other"]
        out.append(Finding(
            f"Key accounts kept {_pct(k['grr'])} of last period's revenue before expansion (GRR) and "
            f"{_pct(k['nrr'])} after it (NRR), against {_pct(o['grr'])} and {_pct(o['nrr'])} for other accounts.",
            (("key", "grr"), ("key", "nrr"), ("other", "grr"), ("other", "nrr"))))
    if {"key", "other"} <= set(groups.index) and groups.loc[["key", "other"], "profit_pct"].notna().all():
        k, o = groups.loc["key"], groups.loc["other"]
        out.append(Finding(
            f"Key accounts cost {k['cost_to_serve_pct'] * 100:.1f}% of revenue to serve and keep "
            f"{_pct(k['profit_pct'])} of revenue as profit; other accounts {o['cost_to_serve_pct'] * 100:.1f}% "
            f"and {_pct(o['profit_pct'])}.",
            (("key", "cost_to_serve_pct"), ("key", "profit_pct"), ("other", "cost_to_serve_pct"),
             ("other", "profit_pct"))))
    if whale is not None and whale.accounts:
        if whale.unprofitable_accounts:
            text = (f"{whale.unprofitable_accounts} of {whale.accounts} accounts "
                    f"({_pct(whale.unprofitable_share)}) lose money after cost to serve")
        else:
            text = f"None of the {whale.accounts} accounts loses money after cost to serve"
        refs = [("whale", "unprofitable_accounts"), ("whale", "active_accounts"), ("whale", "unprofitable_share")]
        if whale.unprofitable_accounts and pd.notna(whale.peak_profit_share):
            text += f"; the profitable ones earn {_pct(whale.peak_profit_share)} of total profit"
            refs.append(("whale", "peak_profit_share"))
        if whale.key_ranks:
            text += (f". Key accounts' median profitability rank is {np.median(whale.key_ranks):.0f} "
                     f"of {whale.accounts}")
            refs.append(("whale", "median_profit_rank"))
        out.append(Finding(text + ".", tuple(refs)))
    if managers is not None and len(managers):
        over = managers.index[managers["load"] == "overloaded"]
        under = managers.index[managers["load"] == "idle"]
        n, guide = int((managers["load"] != "unassigned").sum()), f"the {min_accounts}-{max_accounts} guideline"
        refs = (("programme", "over_guideline"), ("programme", "under_guideline"))
        if len(under) == n and n:
            text = f"All {n} managers look after fewer than {min_accounts} key accounts each, below {guide}."
        elif len(over) == n and n:
            text = f"All {n} managers look after more than {max_accounts} key accounts each, above {guide}."
        elif not len(over) and not len(under):
            text = f"All {n} managers look after {min_accounts}-{max_accounts} key accounts, within the guideline."
        else:
            parts = [f"{len(over)} look after more than {max_accounts} key accounts ({', '.join(map(str, over))})"
                     if len(over) else "", f"{len(under)} fewer than {min_accounts}" if len(under) else ""]
            text = f"Of {n} managers, " + " and ".join(x for x in parts if x) + f" ({guide})."
        out.append(Finding(text, refs))
    if periods is not None and "key" in periods.index:
        k = periods.loc["key"]
        if pd.notna(k["qoq_growth"]) and pd.notna(k["yoy_growth"]):
            out.append(Finding(
                f"This quarter key-account revenue was {_pct(k['qoq_growth'], True)} on the previous quarter and "
                f"{_pct(k['yoy_growth'], True)} on the same quarter last year.",
                (("key", "qoq_growth"), ("key", "yoy_growth"))))
    return out
