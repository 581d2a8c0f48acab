"""Whitespace heatmap: accounts x products, what is bought and what might be.

Print-friendly: bought cells are shaded on one light-to-dark scale (so grayscale keeps the
order) and carry their value; cells not bought stay white, hatched, with the estimated
whitespace value in italics when one is given.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure

from .style import NAVY, figure, house, money_axis

SHADES = LinearSegmentedColormap.from_list("kam_shares", ["#e3ecf5", "#8fb8de", NAVY])


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
    n_rows, n_cols = matrix.shape
    with house():
        fig, ax = figure(7.0, 1.3 + 0.27 * max(n_rows, 1))
        norm = Normalize(0, 1)
        image = ax.imshow(np.where(bought, share, np.nan), cmap=SHADES, norm=norm, aspect="auto",
                          interpolation="nearest")
        for i in range(n_rows):
            for j in range(n_cols):
                if bought[i, j]:
                    dark = share[i, j] > 0.6
                    ax.text(j, i, (fmt(values[i, j], 0)), ha="center", va="center", fontsize=6.5,
                            color="white" if dark else "#111111")
                else:
                    ax.add_patch(_hatched(i, j))
                    if guess is not None and np.isfinite(guess[i, j]) and guess[i, j] > 0:
                        ax.text(j, i, (f"≈{fmt(guess[i, j], 0)}"), ha="center", va="center", fontsize=6.3,
                                style="italic", color="#444444",
                                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.8})
        ax.set_xticks(np.arange(n_cols), [product_labels.get(p, p) for p in matrix.columns], rotation=30,
                      ha="right", fontsize=7.5)
        ax.set_yticks(np.arange(n_rows), [account_labels.get(a, a) for a in matrix.index], fontsize=7.5)
        ax.set_xticks(np.arange(n_cols + 1) - 0.5, minor=True)
        ax.set_yticks(np.arange(n_rows + 1) - 0.5, minor=True)
        ax.grid(False)
        ax.grid(which="minor", color="white", linewidth=1.5)
        ax.tick_params(which="both", length=0)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02, shrink=min(1.0, 6 / max(n_rows, 1) + 0.3))
        bar.set_label("Share of the account's revenue", fontsize=7.5)
        bar.ax.yaxis.set_major_formatter(lambda v, _p: f"{v:.0%}")
        bar.ax.tick_params(labelsize=7)
        note = "Hatched: not bought in the last four quarters"
        if guess is not None:
            note += "; ≈ estimated whitespace value a year"
        ax.set_title(title, pad=16)
        ax.text(0, 1.01, note, transform=ax.transAxes, fontsize=7, color="#444444", ha="left", va="bottom")
    return fig


def _hatched(row: int, col: int):
    from matplotlib.patches import Rectangle

    return Rectangle((col - 0.5, row - 0.5), 1, 1, facecolor="white", edgecolor="#c8c8c8", hatch="////",
                     linewidth=0, zorder=0.5)
