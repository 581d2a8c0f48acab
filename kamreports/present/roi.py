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

#: Columns that manager_table shows, under their printed names: money and growth are the manager's key
#: accounts' (last four quarters; growth against the four before).
MANAGER_COLUMNS = {"key_accounts": "Key accounts", "other_accounts": "Other accounts", "revenue": "Revenue",
                   "growth": "Growth", "incremental_gross_profit": "Incremental gross profit", "load": "Load"}

#: The growth each table names, so the three growth figures of the pages are never confused.
GROWTH_4Q = "Revenue growth, last 4 quarters vs the 4 before"


def _measures(fmt: NumberFormat) -> dict[str, tuple[str, Formatter]]:
    """The rows of the key-against-the-rest table: printed measure -> (column of ``groups``, format)."""
    def pct(value: object) -> str:
        return fmt.percent(value, 1)

    def nps(value: object) -> str:   # a ratio in the data; the score readers know runs -100 to +100
        return fmt.number(value * 100 if value is not None and pd.notna(value) else value, 0, signed=True)

    return {"Accounts with revenue": ("accounts", fmt.number), "Revenue": ("revenue", fmt.money),
            GROWTH_4Q: ("growth", lambda v: fmt.percent(v, 1, True)), "Gross revenue retention": ("grr", pct),
            "Net revenue retention": ("nrr", pct), "Gross margin": ("gross_margin_pct", pct),
            "Cost to serve / revenue": ("cost_to_serve_pct", pct), "Profit / revenue": ("profit_pct", pct),
            "Revenue per account": ("revenue_per_account", fmt.money),
            "Lifetime value per account": ("clv_per_account", fmt.money),
            "Share of wallet": ("share_of_wallet", pct), "NPS (-100 to +100)": ("nps", nps)}


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


def roi_history_note(history: pd.DataFrame, prog: ProgrammeRoi, fmt: NumberFormat, quarters: int = 4) -> HTML | None:
    """How to read the rolling ROI chart (``RoiReport.history``): what each point covers, why
    neighbouring points move together and apart, and how much one per cent of gross profit moves it.

    Why: the points are overlapping windows, each the ``quarters`` to its quarter against the
    ``quarters`` before, so they share all but one quarter at each end; a quarter above trend counts
    in the current window of the next points and then in the prior window of the ones after, which
    lifts the ROI and then lowers it. Incremental gross profit is a small difference of two large
    sums, so the ROI is sensitive: the note gives the size, from this quarter's figures.
    None when the chart has no point.
    """
    finite = history["roi"].astype("float64").dropna() if len(history) else pd.Series(dtype="float64")
    if finite.empty:
        return None
    text = (f"Each point is the ROI of the {quarters} quarters to that quarter against the {quarters} before, so "
            f"neighbouring points share {quarters - 1} of their {quarters} quarters: a quarter above or below trend "
            "raises or lowers the points whose current window holds it, and moves the points whose prior window "
            "holds it the other way.")
    if not prog.reason and prog.programme_cost > 0 and prog.gross_profit > 0:
        one_pct = prog.gross_profit * 0.01
        text += (f" 1% of the key accounts' gross profit ({fmt.money(one_pct)}) moves this quarter's ROI by "
                 f"{one_pct / prog.programme_cost * 100:.0f} points.")
    if len(finite) > 1:
        text += (f" Over the {len(finite)} points shown the ROI runs from {fmt.percent(finite.min(), 0, True)} to "
                 f"{fmt.percent(finite.max(), 0, True)}.")
    return paragraph(text, "muted")


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
    """How many of the whale curve's ``accounts`` (revenue or KAM cost in the last four quarters)
    lose money after cost to serve, how much, and the key accounts' share of total profit."""
    w = whale_summary
    losers = w.unprofitable_accounts
    population = f"{accounts} account{'' if accounts == 1 else 's'} with revenue or KAM cost in the last four quarters"
    if losers:
        text = (f"{losers} of the {population} {'loses' if losers == 1 else 'lose'} money after cost to serve, "
                f"{fmt.money(-w.profit_lost)} in all.")
    else:
        text = f"No account loses money after cost to serve, of the {population}."
    if pd.notna(w.key_profit_share):
        text += f" Key accounts earn {fmt.percent(w.key_profit_share, 0)} of total profit."
    else:
        text += " Total profit is not positive, so no share of it is given."
    return paragraph(text)


def managers_table(managers: pd.DataFrame, fmt: NumberFormat) -> HTML:
    """Each manager's key and other accounts, key-account revenue and its growth, incremental gross
    profit and load (``RoiReport.managers``, one row per manager)."""
    shown = managers.reset_index()
    shown = shown.rename(columns={shown.columns[0]: "Manager", **MANAGER_COLUMNS})
    return table(shown[["Manager", *MANAGER_COLUMNS.values()]],
                 formats={"Key accounts": fmt.number, "Other accounts": fmt.number, "Revenue": fmt.money,
                          "Growth": lambda v: fmt.percent(v, 1, True), "Incremental gross profit": fmt.money},
                 caption="Revenue and incremental gross profit: the manager's key accounts over the last four "
                         "quarters; growth: their revenue against the four quarters before")


def periods_table(periods: pd.DataFrame, fmt: NumberFormat) -> HTML:
    """Revenue this quarter per group, against the previous quarter and the same quarter last year."""
    signed = fmt.growth      # beyond the sane range: "base too small to compare"

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
                          "Growth, 4Q vs prior 4Q": rows["growth"].map(fmt.growth),
                          "Net retention": rows["nrr"].map(lambda v: fmt.percent(v, 1))})
    return table(shown, numeric=["Accounts", "Revenue", "Growth, 4Q vs prior 4Q", "Net retention"],
                 caption="Accounts with revenue in the last four quarters; growth and net retention against the "
                         "four quarters before")
