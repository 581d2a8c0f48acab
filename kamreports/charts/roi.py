"""Charts for the KAM ROI page. They take the frames of ``analytics.roi``; no analysis here.

Print-friendly: key accounts are dark navy and solid, other accounts light and hatched, so a
grayscale print keeps them apart; markers and line styles differ as well as colours.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from .style import GREY, NAVY, ORANGE, RED, SKY, figure, house, money_axis, percent_axis, remembered

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..analytics.roi import RoiReport

LOAD_STYLE = {  # load -> (face colour, hatch)
    "within guideline": (NAVY, ""),
    "overloaded": (ORANGE, "xx"),
    "below guideline": (SKY, "//"),
    "no key accounts": ("#f2f2f2", ""),
    "unassigned": ("#d9d9d9", ".."),
}


def _no_data(ax: Axes, message: str) -> None:
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", fontsize=9, color="#555555")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


@remembered
def roi_by_quarter(history: pd.DataFrame, title: str = "Programme ROI by quarter (rolling four-quarter windows)"
                   ) -> Figure:
    """ROI of each rolling window (``analytics.roi.roi_by_quarter``) as a line with labelled points,
    a zero line (break-even) and a note for quarters where the ROI is undefined."""
    with house():
        fig, ax = figure(7.0, 3.0)
        ax.set_title(title)
        if history.empty:
            _no_data(ax, "Not enough history: the ROI needs two full windows of data")
            return fig
        x = np.arange(len(history))
        roi = history["roi"].astype("float64").to_numpy()
        ax.axhline(0, color="#555555", linewidth=1.0, zorder=1)
        ax.plot(x, roi, color=NAVY, linewidth=2.0, marker="o", markersize=6, zorder=3, label="ROI")
        finite = roi[np.isfinite(roi)]
        span = (finite.max() - finite.min()) if finite.size else 1.0
        for xi, value in zip(x, roi):
            if np.isfinite(value):
                below = value < 0
                ax.annotate(f"{value:+.0%}", (xi, value), xytext=(0, -12 if below else 8), textcoords="offset points",
                            ha="center", va="top" if below else "bottom", fontsize=8, color="#222222")
            else:
                ax.annotate("n/a", (xi, 0), xytext=(0, 6), textcoords="offset points", ha="center", fontsize=8,
                            color="#555555", style="italic")
        low = min(0.0, finite.min() if finite.size else 0.0)
        high = max(0.0, finite.max() if finite.size else 0.0)
        pad = max(span, abs(high), abs(low), 0.1) * 0.22
        ax.set_ylim(low - pad, high + pad)
        ax.set_xticks(x, list(history.index))
        ax.set_xlim(-0.5, len(history) - 0.5)
        ax.yaxis.set_major_formatter(percent_axis())
        ax.set_ylabel("ROI")
        ax.grid(axis="x", visible=False)
        ax.set_title(title, pad=16)
        ax.text(0, 1.01, "ROI = (incremental gross profit − programme cost) / programme cost; "
                "above 0 the programme earned more than it cost", transform=ax.transAxes, fontsize=7,
                color="#444444", ha="left", va="bottom")
    return fig


KEY_VS_OTHER_MEASURES = [("growth", "Revenue growth"), ("grr", "Gross revenue retention"),
                         ("nrr", "Net revenue retention"), ("gross_margin_pct", "Gross margin"),
                         ("profit_pct", "Profit after cost to serve")]
# the line a reader measures a measure against, drawn when it falls inside the row's scale
_REFERENCE = {"growth": 0.0, "grr": 1.0, "nrr": 1.0, "profit_pct": 0.0}
MIN_SPAN = 0.10      # every row's scale is at least ten percentage points wide
GROUP_STYLE = {  # group -> (marker, face colour, label): shape and lightness differ, so grayscale keeps them apart
    "key": ("o", NAVY, "Key accounts"),
    "other": ("s", SKY, "Other accounts"),
}


def _row_limits(values: list[float]) -> tuple[float, float]:
    """The x-range of one row: centred on its two values, ``MIN_SPAN`` wide or 1.6 times their gap
    when that is wider, so the gap fills at most ~60% of the row and the value labels fit beside it.
    With one scale width for every row whose gap is under 6 points, those gaps compare by eye too."""
    finite = [v for v in values if np.isfinite(v)]
    if not finite:
        return 0.0, MIN_SPAN
    low, high = min(finite), max(finite)
    span = max(MIN_SPAN, 1.6 * (high - low))
    centre = (low + high) / 2
    return centre - span / 2, centre + span / 2


@remembered
def key_vs_other(groups: pd.DataFrame, title: str = "Key accounts against the rest") -> Figure:
    """Key against other accounts on growth, gross and net retention, gross margin and profit after
    cost to serve: one row per measure, a dot per group joined by a line, each row on its own scale.

    On one 0-120% axis the retention bars all looked alike: differences of a few points are what
    matters. A dot plot needs no zero baseline (a bar cut short of zero would overstate the gap),
    so each row is centred on its two values, at least ten points wide: small gaps show, and rows
    whose gaps are under six points share one scale width. Each dot carries its value and the
    right column the gap in percentage points (the difference of the two values shown).
    """
    with house():
        rows = len(KEY_VS_OTHER_MEASURES)
        fig = Figure(figsize=(7.0, 3.6), layout="constrained", facecolor="white")
        axes = fig.subplots(rows, 1)
        fig.suptitle(title, x=0.0, ha="left", fontsize=11, fontweight="bold")
        for row, (ax, (measure, name)) in enumerate(zip(axes, KEY_VS_OTHER_MEASURES)):
            values = {g: float(groups.at[g, measure]) if g in groups.index and measure in groups
                      else np.nan for g in GROUP_STYLE}
            left, right = _row_limits(list(values.values()))
            ax.set_xlim(left, right)
            ax.set_ylim(-1, 1)
            ax.set_yticks([0], [name])
            ax.tick_params(axis="y", length=0, labelsize=8.5)
            ax.tick_params(axis="x", labelsize=7.5, pad=2)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
            ax.xaxis.set_major_formatter(percent_axis())
            ax.grid(axis="y", visible=False)
            ax.spines["left"].set_visible(False)
            reference = _REFERENCE.get(measure)
            if reference is not None and left < reference < right:
                ax.axvline(reference, color="#777777", linewidth=0.9, zorder=1)
            key, other = values["key"], values["other"]
            if np.isfinite(key) and np.isfinite(other):
                ax.plot([key, other], [0, 0], color="#cfcfcf", linewidth=3.5, solid_capstyle="butt", zorder=2)
            order = sorted((v, g) for g, v in values.items() if np.isfinite(v))
            for position, (value, group) in enumerate(order):
                marker, colour, label = GROUP_STYLE[group]
                ax.scatter([value], [0], s=55, marker=marker, color=colour, edgecolor=NAVY, linewidth=0.9, zorder=3)
                to_right = position == len(order) - 1 and len(order) > 1 or (len(order) == 1)
                ax.annotate(f"{value:.1%}", (value, 0), xytext=(8 if to_right else -8, 0), textcoords="offset points",
                            ha="left" if to_right else "right", va="center", fontsize=8, color="#222222",
                            fontweight="bold" if group == "key" else "normal")
            missing = [GROUP_STYLE[g][2] for g, v in values.items() if not np.isfinite(v)]
            if missing:
                ax.text(0.01, 0.5, f"{' and '.join(missing)}: n/a", transform=ax.transAxes, ha="left",
                        va="center", fontsize=7.5, color="#555555", style="italic")
            gap = f"{(key - other) * 100:+.1f} pts" if np.isfinite(key) and np.isfinite(other) else "n/a"
            ax.text(1.02, 0.5, gap, transform=ax.transAxes, ha="left", va="center", fontsize=8.5, color="#222222",
                    fontweight="bold")
            if row == 0:
                ax.text(1.02, 1.12, "Key − other", transform=ax.transAxes, ha="left", va="bottom", fontsize=7.5,
                        color="#444444")
        handles = [Line2D([], [], linestyle="none", marker=marker, markersize=7, markerfacecolor=colour,
                          markeredgecolor=NAVY, markeredgewidth=0.9, label=label)
                   for marker, colour, label in GROUP_STYLE.values()]
        fig.legend(handles=handles, loc="outside upper right", ncols=2, fontsize=8)
        fig.supxlabel(f"Each row has its own scale, at least {MIN_SPAN * 100:.0f} percentage points wide, "
                      "so no row starts at zero: compare the values and the gaps.", x=0.0, ha="left", fontsize=7,
                      color="#555555")
    return fig


@remembered
def whale_curve(curve: pd.DataFrame, currency: str = "$", title: str = "Whale curve: cumulative profit after cost "
                "to serve") -> Figure:
    """Cumulative profit against accounts ranked by profit, most profitable first
    (``analytics.roi.whale_curve``), as a share of total profit; key accounts are orange diamonds
    on the curve, and the loss-making tail is shaded. When total profit is not positive the curve
    is drawn in money instead of shares."""
    with house():
        fig, ax = figure(7.0, 2.7)
        ax.set_title(title)
        if curve.empty:
            _no_data(ax, "No account has revenue or cost to serve in the window")
            return fig
        n = len(curve)
        as_share = curve["cum_profit_share"].notna().all()
        y = curve["cum_profit_share"] if as_share else curve["cum_profit"]
        xs = np.r_[0, curve["cum_account_share"].to_numpy()]
        ys = np.r_[0, y.to_numpy(dtype=float)]
        ax.plot(xs, ys, color=NAVY, linewidth=2.0, label="All accounts, most profitable first", zorder=2)
        key = curve["is_key"].astype(bool).to_numpy()
        ax.scatter(curve["cum_account_share"][key], y[key], marker="D", s=26, color=ORANGE, edgecolor="#5a2d00",
                   linewidth=0.6, zorder=3, label=f"Key accounts ({int(key.sum())})")
        losers = curve["profit"].to_numpy() < 0
        if losers.any():
            start = curve["cum_account_share"].to_numpy()[np.argmax(losers)] - 1 / n
            ax.axvspan(start, 1.0, facecolor="#f6e3e3", zorder=0, hatch="..", edgecolor="#e0b4b4", linewidth=0)
            peak = float(ys.max())
            peak_money = float(curve["cum_profit"].max())
            ax.annotate(f"Peak: {peak:.0%} of total profit" if as_share else
                        (f"Peak: {money_axis(currency)(peak, 0)}"), (start, peak), xytext=(6, 8),
                        textcoords="offset points", ha="left", va="bottom", fontsize=8)
            ax.text(start + (1 - start) / 2, 0.5, f"{int(losers.sum())} loss-making accounts\n"
                    f"give back {abs(float(curve['profit'][losers].sum())) / peak_money:.0%} of the peak"
                    if peak_money > 0 else f"{int(losers.sum())} loss-making accounts",
                    transform=ax.get_xaxis_transform(), ha="center",
                    va="center", fontsize=8, color=RED,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 2, "alpha": 0.85})
        if as_share:
            ax.axhline(1.0, color=GREY, linestyle=":", linewidth=1, zorder=1)
            ax.yaxis.set_major_formatter(percent_axis())
            ax.set_ylabel("Share of total profit")
            ax.set_ylim(min(0.0, ys.min()) - 0.02, max(1.0, ys.max()) * 1.12)
        else:
            ax.yaxis.set_major_formatter(money_axis(currency))
            ax.set_ylabel("Cumulative profit")
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(percent_axis())
        ax.set_xlabel("Share of accounts, ranked by profit (most profitable first)")
        if not losers.any():
            ax.text(0.98, 0.05, "No account loses money after cost to serve", transform=ax.transAxes, ha="right",
                    va="bottom", fontsize=7.5, color="#444444")
        ax.legend(loc="lower right" if losers.any() else "center right", fontsize=8)
    return fig


@remembered
def manager_load(load: pd.DataFrame, min_accounts: int = 5, max_accounts: int = 15,
                 title: str = "Key accounts per manager") -> Figure:
    """Horizontal bars of key accounts per manager (``analytics.roi.manager_load``) with the
    guideline band shaded; a bar's colour and hatch give its load (within, overloaded, idle)."""
    rows = load.iloc[::-1]   # largest at the top
    n = len(rows)
    with house():
        fig, ax = figure(7.0, 1.1 + 0.22 * max(n, 2))
        ax.set_title(title)
        if n == 0:
            _no_data(ax, "No managers")
            return fig
        y = np.arange(n)
        counts = rows["key_accounts"].to_numpy(dtype=float)
        top = max(float(counts.max()), max_accounts) * 1.12 + 1
        ax.axvspan(min_accounts, max_accounts, color="#eeeeee", zorder=0)
        for edge in (min_accounts, max_accounts):
            ax.axvline(edge, color=GREY, linestyle="--", linewidth=0.9, zorder=1)
        ax.text((min_accounts + max_accounts) / 2, 1.0, f"guideline {min_accounts}-{max_accounts}",
                transform=ax.get_xaxis_transform(), ha="center", va="bottom", fontsize=7.5, color="#444444")
        for yi, (name, row) in zip(y, rows.iterrows()):
            colour, hatch = LOAD_STYLE.get(row["load"], (GREY, ""))
            ax.barh(yi, row["key_accounts"], color=colour, hatch=hatch, edgecolor="#33506e" if hatch else colour,
                    linewidth=0.6, height=0.62, zorder=2)
            ax.text(row["key_accounts"] + top * 0.01, yi, f"{int(row['key_accounts'])}  ({row['load']})",
                    va="center", fontsize=7.5, color="#222222")
        ax.set_yticks(y, [str(i) for i in rows.index], fontsize=8)
        ax.set_xlim(0, top)
        ax.set_ylim(-0.6, n - 0.4)
        ax.set_xlabel("Key accounts")
        ax.grid(axis="y", visible=False)
        present = [k for k in LOAD_STYLE if k in set(rows["load"])]
        handles = [Patch(facecolor=LOAD_STYLE[k][0], hatch=LOAD_STYLE[k][1], edgecolor="#33506e", label=k)
                   for k in present]
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.5 / max(n, 2) - 0.12),
                  ncol=len(handles), fontsize=7.5)
    return fig


def roi_charts(report: RoiReport, currency: str = "$") -> dict[str, Figure]:
    """Every ROI chart for an ``analytics.roi.RoiReport``, by name."""
    s = report.settings
    return {"roi_by_quarter": roi_by_quarter(report.history),
            "key_vs_other": key_vs_other(report.groups),
            "whale_curve": whale_curve(report.whale, currency),
            "manager_load": manager_load(report.managers, s.min_key_accounts, s.max_key_accounts)}
