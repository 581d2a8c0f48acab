"""Portfolio charts: Pareto curve and the KAM matrix."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .style import GREY, NAVY, ORANGE, QUADRANT_COLORS, figure, house, percent_axis


def pareto(curve: pd.DataFrame, top_share: float, title: str = "Revenue concentration (Pareto)") -> Figure:
    """Cumulative share of revenue against share of accounts, the top 20% marked."""
    with house():
        fig, ax = figure(7.0, 3.4)
        x = np.r_[0, curve["cum_account_share"].to_numpy()]
        y = np.r_[0, curve["cum_share"].to_numpy()]
        ax.plot(x, y, color=NAVY, linewidth=2.2, label="Cumulative revenue")
        ax.plot([0, 1], [0, 1], color=GREY, linestyle=":", linewidth=1, label="Equal shares")
        ax.axvline(0.2, color=ORANGE, linestyle="--", linewidth=1.2)
        ax.axhline(top_share, color=ORANGE, linestyle="--", linewidth=1.2)
        ax.annotate(f"Top 20% of accounts bring {top_share:.0%} of revenue", (0.2, top_share),
                    xytext=(12, -22), textcoords="offset points", fontsize=9, color="#222222",
                    arrowprops={"arrowstyle": "-", "color": "#888888"})
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.xaxis.set_major_formatter(percent_axis())
        ax.yaxis.set_major_formatter(percent_axis())
        ax.set_xlabel("Share of accounts, largest first")
        ax.set_ylabel("Share of revenue")
        ax.set_title(title)
        ax.legend(loc="lower right", fontsize=8)
    return fig


def kam_matrix(points: pd.DataFrame, split: float = 5.0, label_column: str = "name",
               title: str = "KAM portfolio matrix") -> Figure:
    """Attractiveness (y) against relationship strength (x), bubble size = revenue potential.

    Strength grows to the left, as in McDonald & Woodburn's matrix, so the
    Strategic quadrant sits top-left.
    """
    with house():
        fig, ax = figure(7.0, 5.0)
        potential = points["whitespace_value"].fillna(0).to_numpy(dtype=float)
        sizes = 40 + 460 * (np.sqrt(potential) / np.sqrt(potential.max())) if potential.max() > 0 else 80
        colors = [QUADRANT_COLORS[q] for q in points["quadrant"]]
        ax.scatter(points["strength"], points["attractiveness"], s=sizes, c=colors, alpha=0.8, edgecolor="black",
                   linewidth=0.6, zorder=3)
        for _, row in points.iterrows():
            ax.annotate(str(row[label_column]), (row["strength"], row["attractiveness"]), xytext=(0, -11),
                        textcoords="offset points", ha="center", fontsize=6.5, color="#222222")
        ax.set_xlim(10, 0)
        ax.set_ylim(0, 10)
        ax.axvline(split, color="#777777", linewidth=1)
        ax.axhline(split, color="#777777", linewidth=1)
        for label, (x, y) in {"Strategic": (9.8, 9.7), "Star": (4.8, 9.7), "Status": (9.8, 0.3),
                              "Streamline": (4.8, 0.3)}.items():
            ax.text(x, y, label, ha="left", va="top" if y > 5 else "bottom", fontsize=10, fontweight="bold",
                    color=QUADRANT_COLORS[label])
        ax.set_xlabel("Relationship strength (0–10, stronger to the left)")
        ax.set_ylabel("Account attractiveness (0–10)")
        ax.grid(False)
        ax.set_title(title)
    return fig
