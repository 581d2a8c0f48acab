"""Page one of the portfolio review, in words: the programme's verdict, the accounts needing attention,
and the decisions to take this quarter.

Pure functions: the key accounts of the summary, the plans' overview, the ROI figures and the selection
candidates in; frames and sentences out. Every reason quotes its figure and, where a threshold decides
it, the threshold.
"""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd

Money = Callable[[object], str]
ATTENTION_COLUMNS = ["name", "owner", "reasons", "why", "severity"]


def attention(keys: pd.DataFrame, plans: pd.DataFrame, money: Money) -> pd.DataFrame:
    """Key accounts needing attention, most reasons (then largest revenue) first, each with every reason and
    its figure. Reasons: off track for the year (forecast against target), red health, revenue declining over
    the last four quarters (any fall: the figure shows how much), no agreed plan, overdue actions, a stale plan,
    no executive sponsor. An account with no reason is not listed."""
    rows = {}
    for account_id, row in keys.iterrows():
        why: list[str] = []
        severity = 0
        if row.get("fy_verdict") == "off track":
            gap = row["fy_forecast"] - row["fy_annual_target"]
            why.append(f"off track for the year: {money(row['fy_forecast'])} forecast against "
                       f"{money(row['fy_annual_target'])} target ({'−' if gap < 0 else '+'}{money(abs(gap))})")
            severity += 3
        if row.get("health_band") == "red":
            why.append(f"red health: {row['health_score']:.0f} of 100")
            severity += 3
        growth = row.get("t4q_growth")
        if pd.notna(growth) and growth < 0:
            why.append(f"revenue down {abs(growth):.1%} over the last four quarters")
            severity += 2
        plan = plans.loc[account_id] if account_id in plans.index else None
        if plan is not None:
            if not plan["has_plan"]:
                why.append("no agreed account plan")
                severity += 2
            else:
                if plan["overdue_actions"]:
                    n = int(plan["overdue_actions"])
                    why.append(f"{n} overdue action{'s' if n != 1 else ''}")
                    severity += 1
                if plan["stale"]:
                    why.append("plan never reviewed" if pd.isna(plan["days_since_review"]) else
                               f"plan last reviewed {int(plan['days_since_review'])} days ago")
                    severity += 1
                if not plan["has_sponsor"]:
                    why.append("no executive sponsor")
                    severity += 1
        if why:
            rows[account_id] = {"name": row["name"], "owner": row.get("owner"), "reasons": len(why),
                                "why": "; ".join(why), "severity": severity, "_revenue": row["revenue_t4q"]}
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=ATTENTION_COLUMNS + ["_revenue"])
    frame = frame.sort_values(["severity", "reasons", "_revenue"], ascending=False, kind="mergesort")
    return frame.drop(columns="_revenue").rename_axis("account_id")


def programme_verdict(programme: object, groups: pd.DataFrame, window: str, money: Money) -> list[str]:
    """Three sentences: the programme ROI, key against other accounts on one growth figure, and NPS."""
    out = []
    roi, reason = getattr(programme, "roi"), getattr(programme, "reason")
    if reason:
        out.append(f"Programme ROI cannot be computed: {reason}.")
    else:
        out.append(f"Programme ROI {roi * 100:+.0f}%: {money(programme.incremental_gross_profit)} of gross profit "
                   f"above the matched baseline for {money(programme.programme_cost)} of "
                   f"{'extra ' if programme.cost_basis == 'extra' else ''}KAM cost ({window}).")
    if {"key", "other"} <= set(groups.index):
        k, o = groups.loc["key"], groups.loc["other"]
        if pd.notna(k["growth"]) and pd.notna(o["growth"]):
            out.append(f"Revenue of key accounts grew {k['growth'] * 100:+.1f}% against {o['growth'] * 100:+.1f}% for "
                       "the other accounts (last four quarters against the four before, a ratio of sums).")
        if pd.notna(k["nps"]) and pd.notna(o["nps"]):
            out.append(f"NPS {k['nps'] * 100:+.0f} for key accounts against {o['nps'] * 100:+.0f} for the others "
                       f"({int(k['nps_responses'])} and {int(o['nps_responses'])} responses, last four quarters).")
        else:
            out.append("NPS cannot be compared: there are no feedback responses for one of the groups.")
    return out


def decisions(promote: pd.DataFrame, review: pd.DataFrame, managers: pd.DataFrame, plans: pd.DataFrame,
              min_accounts: int, max_accounts: int) -> list[str]:
    """The decisions to take this quarter: promotions, key accounts to review, manager load, plans."""
    out = []
    if len(promote):
        names = ", ".join(promote["name"].head(3))
        out.append(f"Promote? {len(promote)} other account{'s' if len(promote) != 1 else ''} meet the promotion "
                   f"rules{': ' + names + (' and more' if len(promote) > 3 else '') if names else ''}.")
    if len(review):
        names = ", ".join(review["name"].head(3))
        out.append(f"Review {len(review)} key account{'s' if len(review) != 1 else ''} for demotion: {names}"
                   f"{' and more' if len(review) > 3 else ''}.")
    if len(managers) and "load" in managers:
        over = managers.index[managers["load"] == "overloaded"]
        if len(over):
            out.append(f"Rebalance: {', '.join(map(str, over))} look{'s' if len(over) == 1 else ''} after more than "
                       f"{max_accounts} key accounts.")
    if len(plans):
        stale = int(plans["stale"].sum())
        missing = int((~plans["has_plan"]).sum())
        no_sponsor = int((plans["has_plan"] & ~plans["has_sponsor"]).sum())
        if missing:
            out.append(f"Agree plans for the {missing} key account{'s' if missing != 1 else ''} without one.")
        if stale:
            out.append(f"Have {stale} stale plan{'s' if stale != 1 else ''} reviewed.")
        if no_sponsor:
            out.append(f"Name executive sponsors for {no_sponsor} key account{'s' if no_sponsor != 1 else ''}.")
    return out or ["No promotion, review, load or plan decision is due this quarter."]
