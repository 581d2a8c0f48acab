"""Charts for one account's plan. They take computed frames; no analysis here."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .style import GREY, NAVY, ORANGE, SENTIMENT_COLORS, figure, house, money_axis


def growth_vs_target(growth: pd.DataFrame, currency: str = "$", title: str = "Revenue against target by quarter") -> Figure:
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


def stakeholder_grid(stake_map: pd.DataFrame, title: str = "Stakeholders: influence and sentiment") -> Figure:
    """Influence against sentiment, one labelled point per contact."""
    with house():
        fig, ax = figure(7.0, 3.4)
        jitter = np.linspace(-0.18, 0.18, max(len(stake_map), 1))
        for i, (_, person) in enumerate(stake_map.iterrows()):
            s = float(person["sentiment"])
            y = float(person["influence"]) + jitter[i % len(jitter)] * 0.6
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
