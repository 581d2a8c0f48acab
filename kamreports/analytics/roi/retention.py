"""Retention by cohort, lifetime value and the key / other / all comparison over the current window.

Retention by cohort (:func:`retention`): the cohort is the accounts with revenue in the prior
window. start = their prior revenue; expansion = the sum of increases; contraction = the sum of
decreases of accounts still buying; churn = the prior revenue of accounts with no revenue now.
GRR = (start - contraction - churn) / start; NRR = (start + expansion - contraction - churn) / start.

Lifetime value (:func:`lifetime_value`) = annual gross profit x r / (1 + d - r), r = the group's
GRR, d = the discount rate.

Group figures (:func:`compare_groups`) are ratios of sums over the group, not averages of account rates.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..metrics import ratio
from ._common import _groups, _sum


def retention(frame: pd.DataFrame) -> pd.DataFrame:
    """Gross and net revenue retention of the prior-window cohort, per group (key, other, all).

    Columns: cohort_accounts, churned_accounts, start_revenue, expansion, contraction, churn,
    end_revenue (the cohort's current revenue), grr, nrr, new_accounts, new_revenue.
    GRR and NRR are NaN for a group without a cohort.
    """
    rows = {}
    for label, g in _groups(frame).items():
        cohort = g[g["revenue_prior"] > 0]
        start, expansion = _sum(cohort["revenue_prior"]), _sum(cohort["expansion"])
        contraction, churn = _sum(cohort["contraction"]), _sum(cohort["churn"])
        new = g[g["status"] == "new"]
        rows[label] = {
            "cohort_accounts": len(cohort), "churned_accounts": int((cohort["status"] == "churned").sum()),
            "start_revenue": start, "expansion": expansion, "contraction": contraction, "churn": churn,
            "end_revenue": _sum(cohort["revenue"]),
            "grr": ratio(start - contraction - churn, start),
            "nrr": ratio(start + expansion - contraction - churn, start),
            "new_accounts": len(new), "new_revenue": _sum(new["revenue"]),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("group")


def lifetime_value(annual_margin: float | pd.Series, retention_rate: float | pd.Series,
                   discount_rate: float = 0.10) -> float | pd.Series:
    """annual margin x r / (1 + d - r). Works on numbers and Series; NaN where r is NaN."""
    return annual_margin * retention_rate / (1 + discount_rate - retention_rate)


def compare_groups(frame: pd.DataFrame, retained: pd.DataFrame | None = None, discount_rate: float = 0.10,
                   window: int = 4) -> pd.DataFrame:
    """Key against other accounts (and all), one row per group, over the current window.

    Columns: accounts (with revenue now), revenue_prior, revenue, growth, grr, nrr, gross_profit,
    gross_margin_pct, cost_to_serve, cost_to_serve_pct, profit, profit_pct, unprofitable_accounts,
    revenue_per_account, annual_gross_profit_per_account, clv_per_account, share_of_wallet,
    wallet_accounts, nps_avg (mean of account averages, 0-10), nps (promoters - detractors over
    responses, -1..1), nps_responses.
    """
    retained = retention(frame) if retained is None else retained
    rows = {}
    for label, g in _groups(frame).items():
        active = g[g["revenue"] > 0]
        revenue, gross_profit = _sum(g["revenue"]), _sum(g["gross_profit"])
        known = g[g["wallet_estimate"] > 0]
        responses = _sum(g["nps_responses"].fillna(0))
        annual_gp = ratio(gross_profit * 4 / window, len(active))
        grr = retained.at[label, "grr"]
        rows[label] = {
            "accounts": len(active), "revenue_prior": _sum(g["revenue_prior"]), "revenue": revenue,
            "growth": ratio(revenue, _sum(g["revenue_prior"])) - 1,
            "grr": grr, "nrr": retained.at[label, "nrr"],
            "gross_profit": gross_profit, "gross_margin_pct": ratio(gross_profit, revenue),
            "cost_to_serve": _sum(g["cost_to_serve"]), "cost_to_serve_pct": ratio(_sum(g["cost_to_serve"]), revenue),
            "profit": _sum(g["profit"]), "profit_pct": ratio(_sum(g["profit"]), revenue),
            "unprofitable_accounts": int((g["profit"] < 0).sum()),
            "revenue_per_account": ratio(revenue, len(active)),
            "annual_gross_profit_per_account": annual_gp,
            "clv_per_account": lifetime_value(annual_gp, grr, discount_rate),
            "share_of_wallet": ratio(_sum(known["revenue"]) * 4 / window, _sum(known["wallet_estimate"])),
            "wallet_accounts": len(known),
            "nps_avg": float(g["nps_avg"].mean()) if g["nps_avg"].notna().any() else np.nan,
            "nps": ratio(_sum(g["nps_promoters"].fillna(0)) - _sum(g["nps_detractors"].fillna(0)), responses),
            "nps_responses": responses if g["nps_responses"].notna().any() else np.nan,
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("group")
