"""Charts for one account's plan. They take computed frames; no analysis here."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .style import GREY, NAVY, ORANGE, SENTIMENT_COLORS, figure, house, money_axis


def growth_vs_target(growth: pd.DataFrame, currency: str = "$",
                     title: str = "Revenue against target by quarter") -> Figure:
    """Bars of quarterly revenue, a target line, attainment printed above each bar."""
    with house():
        fig, ax = figure(7.0, 3.2)
        x = np.arange(len(growth))
        ax.bar(x, growth["revenue"], color=NAVY, width=0.62, label="Revenue", zorder=2)
        has_target = growth["target"].notna()
        if has_target.any():
            ax.plot(x[has_target.to_numpy()], growth.loc[has_target, "target"], color=ORANGE, linewidth=2,
                    marker="D", markersize=5, linestyle="--", label="Target", zorder=3)
        top = np.nanmax(np.r_[growth["revenue"].to_numpy(), growth["target"].to_numpy(dtype=float), 0]) or 1.0
        for xi, (rev, att) in enumerate(zip(growth["revenue"], growth["attainment"])):
            if pd.notna(att):
                ax.annotate(f"{att:.0%}", (xi, rev), xytext=(0, 3), textcoords="offset points", ha="center",
                            va="bottom", fontsize=7.5, color="#333333")
        ax.set_ylim(0, top * 1.18)
        ax.set_xticks(x, list(growth.index))
        ax.yaxis.set_major_formatter(money_axis(currency))
        ax.grid(axis="x", visible=False)
        ax.set_title(title)
        if not has_target.any():
            ax.text(0.99, 0.97, "No targets set", transform=ax.transAxes, ha="right", va="top", color=GREY)
        ax.legend(loc="upper left", ncols=2, fontsize=8)
    return fig


def _cell_offsets(stake_map: pd.DataFrame) -> pd.Series:
    """Vertical offset of each person within their (sentiment, influence) cell: 0.24 apart (a 7 pt
    label's height on this chart), closer when a cell holds more than three, centred on the row."""
    cell = stake_map.groupby([stake_map["sentiment"], stake_map["influence"]], sort=False)
    rank, size = cell.cumcount(), cell["sentiment"].transform("size")
    step = np.minimum(0.24, 0.9 / size)
    return (rank - (size - 1) / 2) * step


def stakeholder_grid(stake_map: pd.DataFrame, title: str = "Stakeholders: influence and sentiment") -> Figure:
    """Influence against sentiment, one labelled point per contact.

    People who share a cell (same sentiment and influence) are spread vertically, a label's height
    apart, so their names do not print over each other."""
    with house():
        fig, ax = figure(7.0, 3.4)
        offsets = _cell_offsets(stake_map).to_numpy()
        for i, (_, person) in enumerate(stake_map.iterrows()):
            s = float(person["sentiment"])
            y = float(person["influence"]) + offsets[i]
            ax.scatter(s, y, s=70, color=SENTIMENT_COLORS.get(int(s), GREY), edgecolor="black", linewidth=0.5,
                       zorder=3)
            ax.annotate(str(person["name"]), (s, y), xytext=(6, 0), textcoords="offset points", va="center",
                        fontsize=7)
        ax.set_xlim(-2.6, 2.9)
        ax.set_ylim(0.4, 5.6)
        ax.set_xticks([-2, -1, 0, 1, 2], ["Detractor", "Sceptical", "Neutral", "Supportive", "Advocate"])
        ax.set_yticks([1, 2, 3, 4, 5])
        ax.set_ylabel("Influence on the decision")
        ax.axvline(0, color="#bbbbbb", linewidth=0.8)
        ax.set_title(title)
    return fig


def year_forecast_chart(path: pd.DataFrame, annual_target: float | None = None, currency: str = "$",
                        title: str = "Full-year forecast against target") -> Figure:
    """The year to date and the forecast, from ``analytics.growth.forecast_path``.

    Bars: each quarter's revenue (solid: actual; hatched: forecast at the run-rate). Line: the
    year's cumulative revenue, dashed where forecast, with the uncertainty band shaded. A
    horizontal line marks the annual target when one is set.
    """
    from .style import SKY

    with house():
        fig, ax = figure(7.0, 3.4)
        x = np.arange(len(path))
        actual = (path["kind"] == "actual").to_numpy()
        ax.bar(x[actual], path.loc[actual, "revenue"], color=NAVY, width=0.5, label="Quarter revenue", zorder=2)
        if (~actual).any():
            ax.bar(x[~actual], path.loc[~actual, "forecast"], width=0.5, facecolor="white", edgecolor=NAVY,
                   hatch="////", linewidth=0.8, label="Quarter forecast (run-rate)", zorder=2)
        cum = path["cumulative"].to_numpy(dtype=float)
        last = int(np.flatnonzero(actual)[-1]) if actual.any() else 0
        ax.plot(x[: last + 1], cum[: last + 1], color=NAVY, linewidth=2.2, marker="o", markersize=5,
                label="Cumulative actual", zorder=4)
        if (~actual).any():
            ahead = np.arange(last, len(path))
            ax.fill_between(ahead, path["cumulative_low"].to_numpy(dtype=float)[ahead],
                            path["cumulative_high"].to_numpy(dtype=float)[ahead], color=SKY, alpha=0.45,
                            linewidth=0, label="Forecast range", zorder=1)
            ax.plot(ahead, cum[ahead], color=NAVY, linewidth=2, linestyle="--", marker="o", markersize=5,
                    markerfacecolor="white", markevery=list(range(1, len(ahead))), label="Cumulative forecast",
                    zorder=3.5)
        fmt = money_axis(currency)
        end_low, end_high = float(path["cumulative_low"].iloc[-1]), float(path["cumulative_high"].iloc[-1])
        label = f"{'Forecast' if (~actual).any() else 'Actual'} {fmt(cum[-1], 0)}"
        if end_high > end_low:
            label += f"\n({fmt(end_low, 0)}–{fmt(end_high, 0)})"
        ax.annotate(label, (x[-1], cum[-1]), xytext=(10, 0), textcoords="offset points", va="center",
                    fontsize=8, color="#222222")
        has_target = annual_target is not None and pd.notna(annual_target) and annual_target > 0
        if has_target:
            ax.axhline(annual_target, color=ORANGE, linestyle=(0, (6, 3)), linewidth=1.6, label="Annual target",
                       zorder=3)
            ax.annotate(f"Target {fmt(annual_target, 0)}", (-0.4, annual_target), xytext=(0, 4),
                        textcoords="offset points", fontsize=8, color="#222222", va="bottom")
        else:
            ax.text(0.01, 0.97, "No full-year target set", transform=ax.transAxes, ha="left", va="top", color=GREY)
        top = np.nanmax(np.r_[end_high, cum, annual_target if has_target else 0.0]) or 1.0
        ax.set_ylim(0, top * 1.15)
        ax.set_xlim(-0.5, len(path) - 0.5 + 0.9)
        ax.set_xticks(x, [f"{q}\n{'actual' if a else 'forecast'}" for q, a in zip(path.index, actual)])
        ax.yaxis.set_major_formatter(fmt)
        ax.grid(axis="x", visible=False)
        ax.set_title(title)
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.22), ncols=3, fontsize=7.5)
    return fig
