"""The ROI page's figures as one long, machine-readable table (output/<quarter>/roi.csv).

Every figure is one row with its unit, the window it covers and a definition (:data:`METRICS`), so
the CSV can be read without the page and a sentence can point at the rows it quotes.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...periods import shift_quarter
from .breakdowns import BELOW, NO_KEY_ACCOUNTS, OVERLOADED, UNASSIGNED, WITHIN, WhaleSummary
from .programme import ProgrammeRoi
from .windows import window_label

# metric -> (unit, definition). Units: currency, ratio (0.12 = 12%), count, months, score (0-10).
METRICS: dict[str, tuple[str, str]] = {
    "accounts": ("count", "accounts with revenue in the current window"),
    "revenue_prior": ("currency", "revenue in the prior window"),
    "revenue": ("currency", "revenue in the current window"),
    "growth": ("ratio", "revenue / prior-window revenue - 1"),
    "grr": ("ratio", "gross revenue retention: (start - contraction - churn) / start, prior-window cohort"),
    "nrr": ("ratio", "net revenue retention: (start + expansion - contraction - churn) / start"),
    "gross_profit": ("currency", "revenue - cost of goods, current window"),
    "gross_margin_pct": ("ratio", "gross profit / revenue"),
    "cost_to_serve": ("currency", "KAM cost to serve, current window"),
    "cost_to_serve_pct": ("ratio", "cost to serve / revenue"),
    "profit": ("currency", "gross profit - cost to serve"),
    "profit_pct": ("ratio", "profit / revenue"),
    "unprofitable_accounts": ("count", "accounts with negative profit after cost to serve"),
    "revenue_per_account": ("currency", "revenue in the current window / accounts with revenue"),
    "annual_gross_profit_per_account": ("currency", "annualised gross profit / accounts with revenue"),
    "clv_per_account": ("currency", "lifetime value: annual gross profit per account x GRR / (1 + discount - GRR)"),
    "share_of_wallet": ("ratio", "annualised revenue / wallet estimate, accounts with an estimate"),
    "wallet_accounts": ("count", "accounts with a wallet estimate"),
    "nps_avg": ("score", "mean of account average feedback scores (0-10), current window"),
    "nps": ("ratio", "net promoter score as a ratio, -1 to 1: (promoters 9-10 - detractors 0-6) / responses; "
                     "the page shows it x 100, as the usual score from -100 to +100"),
    "nps_responses": ("count", "feedback responses in the current window"),
    "cohort_accounts": ("count", "accounts with revenue in the prior window (the retention cohort)"),
    "churned_accounts": ("count", "cohort accounts with no revenue in the current window"),
    "start_revenue": ("currency", "cohort revenue in the prior window"),
    "expansion": ("currency", "sum of cohort accounts' revenue increases"),
    "contraction": ("currency", "sum of decreases of cohort accounts still buying"),
    "churn": ("currency", "prior revenue of cohort accounts with no revenue now"),
    "new_accounts": ("count", "accounts with revenue now and none in the prior window"),
    "new_revenue": ("currency", "current revenue of new accounts"),
    "end_revenue": ("currency", "cohort revenue in the current window"),
    "revenue_q": ("currency", "revenue in the quarter"),
    "revenue_prev_q": ("currency", "revenue in the previous quarter"),
    "revenue_yago_q": ("currency", "revenue in the same quarter a year earlier"),
    "qoq_growth": ("ratio", "quarter revenue / previous quarter - 1"),
    "yoy_growth": ("ratio", "quarter revenue / same quarter a year earlier - 1"),
    "gross_profit_q": ("currency", "gross profit in the quarter"),
    "gross_margin_pct_q": ("ratio", "gross margin in the quarter"),
    "gross_margin_pct_prev_q": ("ratio", "gross margin in the previous quarter"),
    "gross_margin_pct_yago_q": ("ratio", "gross margin in the same quarter a year earlier"),
    "roi": ("ratio", "(incremental gross profit - programme cost) / programme cost"),
    "return_multiple": ("ratio", "incremental gross profit / programme cost"),
    "incremental_gross_profit": ("currency", "key accounts' gross profit - matched baseline"),
    "baseline_gross_profit": ("currency", "key accounts' prior gross profit x (1 + matched peers' growth)"),
    "key_gross_profit": ("currency", "gross profit of the key accounts in the ROI, current window"),
    "key_gross_profit_prior": ("currency", "gross profit of the key accounts in the ROI, prior window"),
    "key_growth": ("ratio", "gross-profit growth of the key accounts in the ROI"),
    "baseline_growth": ("ratio", "matched peers' gross-profit growth, weighted by the key accounts"),
    "key_revenue_growth": ("ratio", "revenue growth of the key accounts in the ROI"),
    "baseline_revenue_growth": ("ratio", "matched peers' revenue growth, weighted by the key accounts"),
    "programme_cost": ("currency", "programme cost on the configured basis (extra or total)"),
    "programme_cost_total": ("currency", "key accounts' whole KAM cost, current window"),
    "programme_cost_extra": ("currency", "KAM cost over the peers' cost per revenue dollar"),
    "payback_months": ("months", "programme cost / (incremental gross profit per month)"),
    "key_accounts": ("count", "key accounts (programme: those in the ROI, customers for the whole prior window)"),
    "new_key_accounts": ("count", "key accounts left out of the ROI: not customers for the whole prior window "
                                  "(no revenue in its first quarter or before)"),
    "other_accounts": ("count", "non-key accounts"),
    "active_accounts": ("count", "accounts with revenue or cost to serve in the current window"),
    "total_profit": ("currency", "profit of all active accounts (whale curve end point)"),
    "peak_profit": ("currency", "cumulative profit of the profitable accounts (whale curve peak)"),
    "peak_profit_share": ("ratio", "whale curve peak / total profit"),
    "profit_lost": ("currency", "sum of the losses of unprofitable accounts"),
    "unprofitable_share": ("ratio", "share of active accounts with negative profit"),
    "key_profit_share": ("ratio", "key accounts' profit / total profit"),
    "median_profit_rank": ("count", "median profitability rank of key accounts (1 = most profitable)"),
    "over_guideline": ("count", "managers above the key-accounts-per-manager maximum"),
    "under_guideline": ("count", "managers with at least one key account but fewer than the minimum"),
    "within_guideline": ("count", "managers with key accounts from the minimum to the maximum"),
    "managers_without_key_accounts": ("count", "managers who own only non-key accounts"),
    "unassigned_key_accounts": ("count", "key accounts without a manager in the accounts table"),
}
TABLE_COLUMNS = ["quarter", "group", "metric", "value", "unit", "window", "definition"]


def roi_table(quarter: str, window: int = 4, groups: pd.DataFrame | None = None,
              retained: pd.DataFrame | None = None, programme: ProgrammeRoi | None = None,
              history: pd.DataFrame | None = None, whale: WhaleSummary | None = None,
              managers: pd.DataFrame | None = None, periods: pd.DataFrame | None = None,
              slices: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """The ROI page's figures as one long, machine-readable table (written to output/<quarter>/roi.csv).

    Columns
    - quarter: the quarter the figure is for (the reporting quarter; earlier quarters for the
      rolling ROI history rows).
    - group: key, other, all, programme, whale, manager:<name>, region:<x>[/key|/other],
      industry:<x>[/key|/other] (``/key`` and ``/other`` split a slice; without a suffix, all of it).
    - metric: a name from :data:`METRICS`.
    - value: the number (empty when undefined, e.g. ROI without programme cost).
    - unit: currency (company currency), ratio (0.12 = 12%), count, months or score (0-10).
    - window: the quarters the figure covers: "2025Q4-2026Q3", "2025Q4-2026Q3 vs 2024Q4-2025Q3"
      for comparisons, or a single quarter.
    - definition: how the metric is computed, in a few words.
    (quarter, group, metric) is unique.
    """
    current = window_label(quarter, window)
    compare = window_label(quarter, window, compare=True)
    prior = window_label(shift_quarter(quarter, -window), window)
    comparisons = {"growth", "grr", "nrr", "cohort_accounts", "churned_accounts", "expansion", "contraction",
                   "churn", "new_accounts", "new_revenue"}
    rows: list[tuple] = []

    def add(group: str, metric: str, value: float, window_text: str | None = None, q: str = quarter) -> None:
        unit, definition = METRICS[metric]
        win = window_text or (prior if metric in ("revenue_prior", "start_revenue") else
                              compare if metric in comparisons else current)
        number = round(float(value), 9) if pd.notna(value) else np.nan   # no float noise in the CSV
        rows.append((q, group, metric, number, unit, win, definition))

    if groups is not None:
        for group, row in groups.iterrows():
            for metric, value in row.items():
                add(str(group), str(metric), value)
    if retained is not None:
        for group, row in retained.iterrows():
            for metric, value in row.items():
                if metric not in ("grr", "nrr") or groups is None:
                    add(str(group), str(metric), value)
    if periods is not None:
        single = {"q": quarter, "prev_q": shift_quarter(quarter, -1), "yago_q": shift_quarter(quarter, -4)}
        for group, row in periods.iterrows():
            for metric, value in row.items():
                suffix = next(s for s in ("yago_q", "prev_q", "q") if metric.endswith(s)) \
                    if metric not in ("qoq_growth", "yoy_growth") else None
                text = single[suffix] if suffix else \
                    f"{quarter} vs {single['prev_q' if metric == 'qoq_growth' else 'yago_q']}"
                add(str(group), str(metric), value, text)
    if programme is not None:
        p = programme
        for metric, value in (("roi", p.roi), ("return_multiple", p.return_multiple),
                              ("incremental_gross_profit", p.incremental_gross_profit),
                              ("baseline_gross_profit", p.baseline_gross_profit),
                              ("key_gross_profit", p.gross_profit), ("key_gross_profit_prior", p.gross_profit_prior),
                              ("key_growth", p.key_growth), ("baseline_growth", p.baseline_growth),
                              ("key_revenue_growth", p.key_revenue_growth),
                              ("baseline_revenue_growth", p.baseline_revenue_growth),
                              ("programme_cost", p.programme_cost), ("programme_cost_total", p.programme_cost_total),
                              ("programme_cost_extra", p.programme_cost_extra),
                              ("payback_months", p.payback_months), ("key_accounts", p.key_accounts),
                              ("new_key_accounts", p.new_key_accounts)):
            add("programme", metric, value, compare)
    if history is not None:
        for q, row in history.iterrows():
            if q != quarter:
                add("programme", "roi", row["roi"], row["window"], q=str(q))
    if whale is not None:
        w = whale
        for metric, value in (("active_accounts", w.accounts), ("unprofitable_accounts", w.unprofitable_accounts),
                              ("unprofitable_share", w.unprofitable_share), ("total_profit", w.total_profit),
                              ("peak_profit", w.peak_profit), ("peak_profit_share", w.peak_profit_share),
                              ("profit_lost", w.profit_lost), ("key_profit_share", w.key_profit_share),
                              ("median_profit_rank", np.median(w.key_ranks) if w.key_ranks else np.nan)):
            add("whale", metric, value, current)
    if managers is not None:
        for name, row in managers.iterrows():
            for metric in ("key_accounts", "other_accounts", "revenue_prior", "revenue", "growth", "gross_profit",
                           "cost_to_serve", "profit", "incremental_gross_profit", "programme_cost", "roi"):
                add(f"manager:{name}", metric, row[metric],
                    compare if metric in ("roi", "incremental_gross_profit", "programme_cost") else None)
        load = managers["load"]
        add("programme", "over_guideline", int((load == OVERLOADED).sum()), current)
        add("programme", "under_guideline", int((load == BELOW).sum()), current)
        add("programme", "within_guideline", int((load == WITHIN).sum()), current)
        add("programme", "managers_without_key_accounts", int((load == NO_KEY_ACCOUNTS).sum()), current)
        add("programme", "unassigned_key_accounts", int(managers.loc[load == UNASSIGNED, "key_accounts"].sum()),
            current)
    for by, frame in (slices or {}).items():
        for _, row in frame.iterrows():
            group = f"{by}:{row['slice']}" + ("" if row["group"] == "all" else f"/{row['group']}")
            for metric in ("accounts", "revenue_prior", "revenue", "growth", "gross_margin_pct", "cost_to_serve",
                           "profit", "profit_pct", "nrr"):
                add(group, metric, row[metric])
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)
