"""The portfolio review's ROI pages: the programme's KPIs, findings and comparison tables.

They turn ``RoiReport`` figures (``kamreports.analytics.roi``) into text: labels, column names,
number formats. :func:`shown_slices` is the one selection made here (which region and industry
rows a table lists): it belongs with the ROI's own analytics, whose module is being reorganised,
and moves there afterwards.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd
from IPython.display import HTML

from ..formatting import NumberFormat
from .html import Formatter, bullet_list, kpi_strip, paragraph, table

if TYPE_CHECKING:   # for the annotations only: the ROI report is computed on first use, not imported here
    from ..analytics.roi import Finding, ProgrammeRoi, WhaleSummary

#: The ROI's groups as the pages name them.
GROUP_LABELS = {"key": "Key accounts", "other": "Other accounts", "all": "All accounts"}

#: Columns that manager_table shows, under their printed names.
MANAGER_COLUMNS = {"key_accounts": "Key accounts", "other_accounts": "Other accounts", "revenue": "Revenue",
                   "growth": "Growth", "incremental_gross_profit": "Incremental gross profit", "load": "Load"}


def _measures(fmt: NumberFormat) -> dict[str, tuple[str, Formatter]]:
    """The rows of the key-against-the-rest table: printed measure -> (column of ``groups``, format)."""
    def pct(value: object) -> str:
        return fmt.percent(value, 1)

    return {"Accounts": ("accounts", fmt.number), "Revenue, current window": ("revenue", fmt.money),
            "Revenue growth": ("growth", lambda v: fmt.percent(v, 1, True)), "Gross revenue retention": ("grr", pct),
            "Net revenue retention": ("nrr", pct), "Gross margin": ("gross_margin_pct", pct),
            "Cost to serve / revenue": ("cost_to_serve_pct", pct), "Profit / revenue": ("profit_pct", pct),
            "Revenue per account": ("revenue_per_account", fmt.money),
            "Lifetime value per account": ("clv_per_account", fmt.money),
            "Share of wallet": ("share_of_wallet", pct), "NPS": ("nps", lambda v: fmt.number(v, 0))}


def programme_kpis(prog: ProgrammeRoi, fmt: NumberFormat) -> HTML:
    """ROI, payback, incremental gross profit and cost; "n/a" or "none" with the reason when not measurable."""
    return kpi_strip([
        ("Programme ROI", fmt.percent(prog.roi, 0, signed=True) if prog.reason == "" else "n/a",
         prog.reason or prog.window),
        ("Payback", f"{fmt.number(prog.payback_months, 1)} months" if prog.payback_reason == "" else "none",
         prog.payback_reason or None),
        ("Incremental gross profit", fmt.money(prog.incremental_gross_profit), "over the baseline"),
        ("Programme cost", fmt.money(prog.programme_cost), f"{prog.cost_basis} KAM cost"),
    ])


def roi_findings(findings: Iterable[Finding]) -> HTML:
    """The ROI's findings (``RoiReport.sentences``) as the summary list."""
    return bullet_list([finding.text for finding in findings], "summary")


def group_measures_table(groups: pd.DataFrame, window: str, fmt: NumberFormat) -> HTML:
    """Key accounts, other accounts and all side by side, one measure a row (``RoiReport.groups``);
    the header names the current window of ``window`` ("2025Q4-2026Q3 vs 2024Q4-2025Q3")."""
    measures = _measures(fmt)
    shown = pd.DataFrame({GROUP_LABELS.get(group, group): [format_(groups.at[group, column])
                                                            for column, format_ in measures.values()]
                          for group in groups.index},
                         index=pd.Index(list(measures), name=f"Measure ({window.split(' vs ')[0]})"))
    return table(shown, numeric=shown.columns, index=True)


def profitability_note(whale_summary: WhaleSummary, accounts: int, fmt: NumberFormat) -> HTML:
    """How many of ``accounts`` lose money after cost to serve, and the key accounts' share of profit."""
    return paragraph(f"{whale_summary.unprofitable_accounts} of {accounts} accounts lose money after cost to serve. "
                     f"Key accounts earn {fmt.percent(whale_summary.key_profit_share, 0)} of total profit.")


def managers_table(managers: pd.DataFrame, fmt: NumberFormat) -> HTML:
    """Each manager's key and other accounts, revenue, growth, incremental gross profit and load
    (``RoiReport.managers``, one row per manager)."""
    shown = managers.reset_index()
    shown = shown.rename(columns={shown.columns[0]: "Manager", **MANAGER_COLUMNS})
    return table(shown[["Manager", *MANAGER_COLUMNS.values()]],
                 formats={"Key accounts": fmt.number, "Other accounts": fmt.number, "Revenue": fmt.money,
                          "Growth": lambda v: fmt.percent(v, 1, True), "Incremental gross profit": fmt.money})


def periods_table(periods: pd.DataFrame, fmt: NumberFormat) -> HTML:
    """Revenue this quarter per group, against the previous quarter and the same quarter last year."""
    def signed(value: object) -> str:
        return fmt.percent(value, 1, True)

    shown = pd.DataFrame({"Group": [GROUP_LABELS.get(g, g) for g in periods.index],
                          "Revenue this quarter": periods["revenue_q"].map(fmt.money),
                          "vs previous quarter": periods["qoq_growth"].map(signed),
                          "vs same quarter last year": periods["yoy_growth"].map(signed)})
    return table(shown, numeric=["Revenue this quarter", "vs previous quarter", "vs same quarter last year"])


def shown_slices(slices: pd.DataFrame) -> pd.DataFrame:
    """The rows of a region or industry comparison worth a line: key and other accounts (the "all"
    rows repeat what the periods table says) of slices that have accounts in that group."""
    return slices[(slices["group"] != "all") & (slices["accounts"] > 0)]


def slice_table(slices: pd.DataFrame, title: str, fmt: NumberFormat) -> HTML:
    """``RoiReport.regions`` or ``.industries`` per slice and group: accounts, revenue, growth, net
    retention; ``title`` names the slice column ("Region", "Industry")."""
    rows = shown_slices(slices)
    shown = pd.DataFrame({title: rows["slice"], "Group": rows["group"].map(GROUP_LABELS),
                          "Accounts": rows["accounts"].map(fmt.number), "Revenue": rows["revenue"].map(fmt.money),
                          "Growth": rows["growth"].map(lambda v: fmt.percent(v, 1, True)),
                          "Net retention": rows["nrr"].map(lambda v: fmt.percent(v, 1))})
    return table(shown, numeric=["Accounts", "Revenue", "Growth", "Net retention"])
