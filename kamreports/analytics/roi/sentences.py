"""Rules-based summary sentences for the ROI page.

Each :class:`Finding` names the (group, metric) rows of :func:`~kamreports.analytics.roi.table.roi_table`
it quotes, so every number in the text can be checked against the CSV.

Each sentence names its population and window wherever two could be meant: the page compares key
accounts with the rest over the last four quarters, key accounts in the ROI with their matched peers,
and this quarter with earlier quarters, and these give different growth figures for good reasons.
Percentages a table on the same page also shows are printed as that table prints them (one decimal).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ... import formatting
from ._common import _pct
from .breakdowns import BELOW, NO_KEY_ACCOUNTS, OVERLOADED, UNASSIGNED, WITHIN, WhaleSummary
from .programme import ProgrammeRoi


@dataclass(frozen=True)
class Finding:
    """A summary sentence and the (group, metric) rows of :func:`roi_table` it quotes."""

    text: str
    refs: tuple[tuple[str, str], ...]


def _n(count: int, noun: str, nouns: str | None = None) -> str:
    """"1 manager", "2 managers": a count with the noun that agrees with it."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


def _listed(parts: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _verb(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def growth_finding(p: ProgrammeRoi) -> Finding | None:
    """Key accounts in the ROI against their matched peers, revenue and gross profit, over the ROI's
    windows: the growth the ROI's baseline rests on (not the key/other table's, which counts every account)."""
    if pd.isna(p.key_revenue_growth) or pd.isna(p.baseline_revenue_growth):
        return None
    refs = [("programme", "key_accounts"), ("programme", "key_revenue_growth"),
            ("programme", "baseline_revenue_growth")]
    text = (f"Key accounts in the ROI against their matched peers, last four quarters against the four before "
            f"({p.window}, ratios of sums): the {_n(p.key_accounts, 'key account')} grew revenue "
            f"{_pct(p.key_revenue_growth, True, 1)}")
    gp = pd.notna(p.key_growth) and pd.notna(p.baseline_growth)
    if gp:
        text += f" and gross profit {_pct(p.key_growth, True, 1)}"
        refs += [("programme", "key_growth"), ("programme", "baseline_growth")]
    text += (f"; the non-key accounts matched with them {_pct(p.baseline_revenue_growth, True, 1)}"
             + (f" and {_pct(p.baseline_growth, True, 1)}" if gp else "") + ".")
    return Finding(text, tuple(refs))


def return_findings(p: ProgrammeRoi, money: Callable[[object], str]) -> list[Finding]:
    """The programme's return and payback (the KPI tiles' figures, in words), or why it has none."""
    if p.reason:
        return [Finding(f"The programme's return cannot be computed: {p.reason}.", (("programme", "roi"),))]
    current = p.window.split(" vs ")[0]
    refs = (("programme", "return_multiple"), ("programme", "incremental_gross_profit"),
            ("programme", "programme_cost"), ("programme", "roi"))
    basis = "extra KAM cost" if p.cost_basis == "extra" else "KAM cost"
    roi = _pct(p.roi, True)
    if abs(p.incremental_gross_profit) < 0.5:
        out = [Finding(f"In {current} key accounts earned exactly their baseline gross profit, so the "
                       f"{money(p.programme_cost)} of {basis} bought no return (ROI {roi}).", refs)]
    elif p.incremental_gross_profit < 0:
        out = [Finding(f"In {current} key accounts earned {money(-p.incremental_gross_profit)} less gross profit "
                       f"than their baseline, on top of {money(p.programme_cost)} of {basis} (ROI {roi}).", refs)]
    elif p.roi >= 0:
        out = [Finding(f"In {current} the programme returned {p.return_multiple:.1f}× its cost: "
                       f"{money(p.incremental_gross_profit)} of gross profit above the baseline for "
                       f"{money(p.programme_cost)} of {basis} (ROI {roi}).", refs)]
    else:
        out = [Finding(f"In {current} the programme did not cover its cost: {money(p.incremental_gross_profit)} "
                       f"of gross profit above the baseline for {money(p.programme_cost)} of {basis} "
                       f"(ROI {roi}).", refs)]
    if pd.notna(p.payback_months):
        out.append(Finding(f"Payback: {p.payback_months:.1f} months of incremental gross profit cover the "
                           "programme cost.", (("programme", "payback_months"),)))
    else:
        out.append(Finding("The programme does not pay back: it earned no gross profit above the baseline.",
                           (("programme", "incremental_gross_profit"),)))
    return out


def retention_finding(groups: pd.DataFrame, prior: str) -> Finding | None:
    """GRR and NRR of key and other accounts, as the key/other table prints them."""
    if not ({"key", "other"} <= set(groups.index)
            and groups.loc[["key", "other"], ["grr", "nrr"]].notna().all().all()):
        return None
    k, o = groups.loc["key"], groups.loc["other"]
    return Finding(
        f"Of the revenue they brought in the four quarters before ({prior}), key accounts kept "
        f"{_pct(k['grr'], decimals=1)} leaving out expansion (GRR) and {_pct(k['nrr'], decimals=1)} with it (NRR); "
        f"other accounts {_pct(o['grr'], decimals=1)} and {_pct(o['nrr'], decimals=1)}.",
        (("key", "grr"), ("key", "nrr"), ("other", "grr"), ("other", "nrr")))


def cost_finding(groups: pd.DataFrame, current: str) -> Finding | None:
    """Cost to serve and profit as shares of revenue, key against other accounts."""
    if not ({"key", "other"} <= set(groups.index)
            and groups.loc[["key", "other"], ["profit_pct", "cost_to_serve_pct"]].notna().all().all()):
        return None
    k, o = groups.loc["key"], groups.loc["other"]
    return Finding(
        f"In {current} key accounts cost {_pct(k['cost_to_serve_pct'], decimals=1)} of revenue to serve and kept "
        f"{_pct(k['profit_pct'], decimals=1)} of revenue as profit after it; other accounts "
        f"{_pct(o['cost_to_serve_pct'], decimals=1)} and {_pct(o['profit_pct'], decimals=1)}.",
        (("key", "cost_to_serve_pct"), ("key", "profit_pct"), ("other", "cost_to_serve_pct"),
         ("other", "profit_pct")))


def whale_finding(whale: WhaleSummary, current: str, money: Callable[[object], str]) -> Finding | None:
    """How many accounts lose money after cost to serve and how much, against what the others earn;
    the key accounts' median rank by profit."""
    n, losers = whale.accounts, whale.unprofitable_accounts
    if not n:
        return None
    population = f"{_n(n, 'account')} with revenue or KAM cost in {current}"
    refs = [("whale", "active_accounts"), ("whale", "unprofitable_accounts")]
    if losers == 0:
        text = f"No account loses money after cost to serve: all {population} made a profit or broke even"
    elif losers == n:
        text = (f"Every one of the {population} loses money after cost to serve, "
                f"{money(-whale.profit_lost)} in all")
        refs.append(("whale", "profit_lost"))
    else:
        text = (f"{losers} of the {population} ({_pct(whale.unprofitable_share)}) "
                f"{_verb(losers, 'loses', 'lose')} money after cost to serve: {money(-whale.profit_lost)} in all, "
                f"against {money(whale.peak_profit)} earned by the others")
        refs += [("whale", "unprofitable_share"), ("whale", "profit_lost"), ("whale", "peak_profit")]
    if whale.key_ranks:
        median = float(np.median(whale.key_ranks))
        text += (f". The key accounts' median rank by profit is {median:g} of {n} (1 = the most profitable)"
                 if len(whale.key_ranks) > 1 else
                 f". The key account ranks {whale.key_ranks[0]} of {n} by profit (1 = the most profitable)")
        refs.append(("whale", "median_profit_rank"))
    return Finding(text + ".", tuple(refs))


def manager_finding(managers: pd.DataFrame, min_accounts: int, max_accounts: int) -> Finding | None:
    """Key accounts per manager against the guideline, every manager counted once under one label.

    Managers who own only non-key accounts are account managers, not idle key-account managers: they
    are counted apart; key accounts without a manager are said so, and "all 0 managers" never appears.
    """
    if managers is None or not len(managers):
        return None
    load, counts = managers["load"], managers["key_accounts"]
    named = managers[load != UNASSIGNED]
    kam = named[named["key_accounts"] > 0]
    over, below, within = (kam[kam["load"] == label] for label in (OVERLOADED, BELOW, WITHIN))
    others = int((load == NO_KEY_ACCOUNTS).sum())
    unassigned = int(counts[load == UNASSIGNED].sum())
    guide = f"the guideline of {min_accounts}-{max_accounts} key accounts each"
    refs = (("programme", "within_guideline"), ("programme", "over_guideline"), ("programme", "under_guideline"),
            ("programme", "managers_without_key_accounts"), ("programme", "unassigned_key_accounts"))

    def who(rows: pd.DataFrame) -> str:
        return _listed([f"{name} with {int(n)}" for name, n in rows["key_accounts"].items()])

    if kam.empty:
        text = "No manager looks after a key account"
        if unassigned:
            whose = "the key account has" if unassigned == 1 else f"all {unassigned} key accounts have"
            text += f": {whose} no manager in the accounts table"
        text += "."
    elif len(kam) == 1:
        name, n = kam.index[0], int(kam["key_accounts"].iloc[0])
        where = {OVERLOADED: "above", BELOW: "below", WITHIN: "within"}[kam["load"].iloc[0]]
        total = int(counts.sum())
        share = f"all {_n(n, 'key account')}" if n == total else f"{n} of the {total} key accounts"
        text = f"One manager, {name}, looks after {share}: {where} {guide}."
    else:
        parts = [f"{len(within)} within it"] if len(within) else []
        parts += [f"{len(over)} above it ({who(over)})"] if len(over) else []
        parts += [f"{len(below)} below it ({who(below)})"] if len(below) else []
        text = f"{len(kam)} managers look after key accounts, against {guide}: {_listed(parts)}."
    if others:
        text += (f" {_n(others, 'other manager')} {_verb(others, 'looks', 'look')} after only non-key accounts.")
    if unassigned and not kam.empty:
        text += f" {_n(unassigned, 'key account')} {_verb(unassigned, 'has', 'have')} no manager."
    return Finding(text, refs)


def period_finding(periods: pd.DataFrame, quarter: str, limit: float = formatting.SANE_CHANGE) -> Finding | None:
    """Key accounts' revenue this quarter against the previous quarter and a year earlier, as the
    periods table prints them; a growth beyond ±``limit`` (``report.sane_change``) is not quoted."""
    if periods is None or "key" not in periods.index:
        return None
    k = periods.loc["key"]
    if pd.isna(k["qoq_growth"]) or pd.isna(k["yoy_growth"]):
        return None

    def against(column: str, base: str) -> str:
        if formatting.beyond(k[column], limit):
            return f"up on {base}, too small a base to compare"
        return f"{_pct(k[column], True, 1)} on {base}"
    return Finding(
        f"This quarter ({quarter}) key accounts' revenue was {against('qoq_growth', 'the previous quarter')} and "
        f"{against('yoy_growth', 'the same quarter last year')}.",
        (("key", "qoq_growth"), ("key", "yoy_growth")))


def roi_sentences(programme: ProgrammeRoi, groups: pd.DataFrame, whale: WhaleSummary | None = None,
                  managers: pd.DataFrame | None = None, periods: pd.DataFrame | None = None,
                  min_accounts: int = 5, max_accounts: int = 15,
                  money: Callable[[object], str] = formatting.money,
                  limit: float = formatting.SANE_CHANGE) -> list[Finding]:
    """Rules-based sentences for the ROI page, each quoting figures of :func:`roi_table` (a growth beyond
    ±``limit``, ``report.sane_change``, is not quoted)."""
    p = programme
    current, _, prior = p.window.partition(" vs ")
    found = [growth_finding(p), *return_findings(p, money), retention_finding(groups, prior or current),
             cost_finding(groups, current),
             whale_finding(whale, current, money) if whale is not None else None,
             manager_finding(managers, min_accounts, max_accounts) if managers is not None else None,
             period_finding(periods, p.quarter, limit) if periods is not None else None]
    return [f for f in found if f is not None]

