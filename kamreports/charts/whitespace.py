"""Whitespace heatmap: accounts x products, what is bought and what might be.

Print-friendly: bought cells are shaded on one light-to-dark scale (so grayscale keeps the
order) and carry their value; cells not bought stay white, hatched, with the estimated
whitespace value in italics when one is given.

Drawn with :func:`seaborn.heatmap`: its mask leaves the cells not bought empty, its ``annot``
writes the money labels (in a colour that contrasts with each cell's shade) and its colour bar
is the legend of the shares; the hatching and the "≈ value" estimates are drawn on top.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .style import NAVY, figure, house, money_axis, remembered

SHADES = LinearSegmentedColormap.from_list("kam_shares", ["#e3ecf5", "#8fb8de", NAVY])
CELL_GAP = 1.5   # points of white between cells, so neighbouring shades stay apart in print


@remembered
def whitespace_heatmap(matrix: pd.DataFrame, estimates: pd.DataFrame | None = None,
                       account_labels: dict[str, str] | None = None, product_labels: dict[str, str] | None = None,
                       currency: str = "$", title: str = "Whitespace: products bought in the last four quarters"
                       ) -> Figure:
    """Rows: accounts (in the matrix's order); columns: products. Shade = the product's share of
    the account's T4Q revenue; text = the T4Q value. ``estimates`` (``analytics.whitespace.
    whitespace_estimates``) adds "≈ value" in the cells not bought."""
    account_labels, product_labels = account_labels or {}, product_labels or {}
    values = matrix.to_numpy(dtype=float)
    total = values.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, values / np.where(total > 0, total, 1.0), 0.0)
    bought = values > 0
    guess = None
    if estimates is not None and len(estimates):
        guess = estimates.pivot_table(index="account_id", columns="product_id", values="estimate", aggfunc="sum") \
            .reindex(index=matrix.index, columns=matrix.columns).to_numpy(dtype=float)
    fmt = money_axis(currency)
    labels = np.array([[fmt(v, 0) if b else "" for v, b in zip(row, mask)] for row, mask in zip(values, bought)],
                      dtype=object).reshape(values.shape)
    n_rows, n_cols = matrix.shape
    with house():
        fig, ax = figure(7.0, 1.3 + 0.27 * max(n_rows, 1))
        sns.heatmap(share, mask=~bought, vmin=0, vmax=1, cmap=SHADES, annot=labels, fmt="",
                    annot_kws={"fontsize": 6.5}, linewidths=CELL_GAP, linecolor="white", square=False,
                    xticklabels=[product_labels.get(p, p) for p in matrix.columns],
                    yticklabels=[account_labels.get(a, a) for a in matrix.index],
                    cbar_kws={"fraction": 0.04, "pad": 0.02, "shrink": min(1.0, 6 / max(n_rows, 1) + 0.3)},
                    ax=ax)
        for i, j in zip(*np.nonzero(~bought)):
            ax.add_patch(_hatched(i, j))
            if guess is not None and np.isfinite(guess[i, j]) and guess[i, j] > 0:
                ax.text(j + 0.5, i + 0.5, f"≈{fmt(guess[i, j], 0)}", ha="center", va="center", fontsize=6.3,
                        style="italic", color="#444444", bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.8})
        # white gaps around the hatched cells too, as the mesh draws them around the shaded ones
        ax.hlines(np.arange(n_rows + 1), 0, n_cols, colors="white", linewidth=CELL_GAP, zorder=0.6)
        ax.vlines(np.arange(n_cols + 1), 0, n_rows, colors="white", linewidth=CELL_GAP, zorder=0.6)
        ax.set_xticks(np.arange(n_cols) + 0.5, [product_labels.get(p, p) for p in matrix.columns], rotation=30,
                      ha="right", fontsize=7.5)
        ax.set_yticks(np.arange(n_rows) + 0.5, [account_labels.get(a, a) for a in matrix.index], fontsize=7.5,
                      rotation=0, va="center")
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.grid(False)
        ax.tick_params(which="both", length=0)
        bar = ax.collections[0].colorbar
        bar.set_label("Share of the account's revenue", fontsize=7.5)
        bar.ax.yaxis.set_major_formatter(lambda v, _p: f"{v:.0%}")
        bar.ax.tick_params(labelsize=7)
        note = "Hatched: not bought in the last four quarters"
        if guess is not None:
            note += "; ≈ estimated whitespace value a year"
        ax.set_title(title, pad=16)
        ax.text(0, 1.01, note, transform=ax.transAxes, fontsize=7, color="#444444", ha="left", va="bottom")
    return fig


def _hatched(row: int, col: int) -> Rectangle:
    """A cell not bought: white, hatched in light grey, under the gaps and the estimate's label."""
    return Rectangle((col, row), 1, 1, facecolor="white", edgecolor="#c8c8c8", hatch="////", linewidth=0,
                     zorder=0.5)
