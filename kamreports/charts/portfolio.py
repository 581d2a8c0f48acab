"""Portfolio charts: Pareto curve and the KAM matrix."""
from __future__ import annotations

import textwrap

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


_DIRECTIONS = np.array([(1, 0), (-1, 0), (0, 1), (0, -1), (0.71, 0.71), (-0.71, 0.71), (0.71, -0.71),
                        (-0.71, -0.71), (0.92, 0.38), (-0.92, 0.38), (0.92, -0.38), (-0.92, -0.38),
                        (0.38, 0.92), (-0.38, 0.92), (0.38, -0.92), (-0.38, -0.92)])
# gap in points between a bubble's edge and its label; beyond the first, a leader line
_RINGS = (1.5, 9.0, 18.0, 30.0, 45.0)


def _overlap_area(boxes: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Pairwise intersection areas: boxes (k, 4) against others (m, 4), as (k, m); boxes are x0, y0, x1, y1."""
    if len(others) == 0:
        return np.zeros((len(boxes), 0))
    w = np.minimum(boxes[:, None, 2], others[None, :, 2]) - np.maximum(boxes[:, None, 0], others[None, :, 0])
    h = np.minimum(boxes[:, None, 3], others[None, :, 3]) - np.maximum(boxes[:, None, 1], others[None, :, 1])
    return np.clip(w, 0, None) * np.clip(h, 0, None)


def _segment_distances(points: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Distance from each point (m, 2) to each segment start-end (k, 2), as (k, m)."""
    v = ends - starts
    length2 = np.maximum((v ** 2).sum(axis=1), 1e-12)
    rel = points[None, :, :] - starts[:, None, :]
    t = np.clip((rel * v[:, None, :]).sum(axis=2) / length2[:, None], 0, 1)
    nearest = starts[:, None, :] + t[..., None] * v[:, None, :]
    return np.hypot(*(points[None, :, :] - nearest).transpose(2, 0, 1))


def _label_positions(centres: np.ndarray, radii: np.ndarray, sizes: list[tuple[float, float]],
                     bounds: tuple[float, float, float, float], obstacles: list[tuple[float, float, float, float]],
                     count: int | None = None) -> list[tuple[float, float, bool]]:
    """Greedy label placement, in points. Each bubble in turn (largest revenue first) takes the cheapest
    spot around it: touching a placed label or an obstacle is all but forbidden, covering another
    bubble costs its area, a label next to a bubble must be nearer its own than any other, a leader line
    (the outer rings) must not cross another bubble, and further out costs a little more.
    Only the first ``count`` bubbles (default all) get a label; every bubble is an obstacle.
    Returns the offset (dx, dy) of each label from its bubble's centre and whether it needs a leader."""
    placed = np.array(obstacles, dtype=float).reshape(-1, 4)
    x0, y0, x1, y1 = bounds
    n = len(centres)
    bubble_boxes = np.column_stack([centres - radii[:, None], centres + radii[:, None]]) if n else np.zeros((0, 4))
    result = []
    for i in range(n if count is None else min(count, n)):
        cx, cy = centres[i]
        r = radii[i]
        w, h = sizes[i]
        others = np.arange(n) != i
        gaps = np.repeat(_RINGS, len(_DIRECTIONS))
        units = np.tile(_DIRECTIONS, (len(_RINGS), 1))
        rings = np.repeat(np.arange(len(_RINGS)), len(_DIRECTIONS))
        dx, dy = units[:, 0] * (r + gaps), units[:, 1] * (r + gaps)
        # the box hangs off the side facing away from the bubble
        left = cx + dx - np.where(dx > 0.1, 0, np.where(dx < -0.1, w, w / 2))
        bottom = cy + dy - np.where(dy > 0.1, 0, np.where(dy < -0.1, h, h / 2))
        boxes = np.column_stack([left, bottom, left + w, bottom + h])

        hits = _overlap_area(boxes, placed)
        cost = (hits + 1000.0 * (hits > 0)).sum(axis=1)
        cost += 0.5 * _overlap_area(boxes, bubble_boxes[others]).sum(axis=1)
        middle = np.column_stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2])
        if others.any():
            own = np.hypot(middle[:, 0] - cx, middle[:, 1] - cy) - r
            to_other = np.hypot(middle[:, None, 0] - centres[None, others, 0],
                                middle[:, None, 1] - centres[None, others, 1]) - radii[None, others]
            ambiguous = (to_other < own[:, None] + 4.0).sum(axis=1)
            edge = np.column_stack([cx + units[:, 0] * r, cy + units[:, 1] * r])
            anchor = np.column_stack([cx + dx, cy + dy])
            crossed = (_segment_distances(centres[others], edge, anchor) < radii[None, others] + 1.5).sum(axis=1)
            cost += np.where(rings == 0, 60.0 * ambiguous, 80.0 * crossed)
        outside = (np.clip(x0 - boxes[:, 0], 0, None) + np.clip(boxes[:, 2] - x1, 0, None)
                   + np.clip(y0 - boxes[:, 1], 0, None) + np.clip(boxes[:, 3] - y1, 0, None))
        cost += outside * 1000.0 + rings * 2.0
        best = int(np.argmin(cost))        # first of equal costs: the inner ring, the preferred direction
        placed = np.vstack([placed, boxes[best]])
        result.append((float(dx[best]), float(dy[best]), bool(rings[best] > 0)))
    return result


def kam_matrix(points: pd.DataFrame, split: float = 5.0, label_column: str = "name",
               title: str = "KAM portfolio matrix", previous: pd.DataFrame | None = None,
               previous_label: str | None = None, min_shift: float = 0.3, max_labels: int = 30) -> Figure:
    """Attractiveness (y) against relationship strength (x), bubble size = revenue potential.

    Strength grows to the left, as in McDonald & Woodburn's matrix, so the Strategic quadrant sits
    top-left. Bubbles are numbered by trailing-four-quarter revenue (1 = largest, the book's order)
    and a key beside the matrix names them, so labels stay legible in print however the bubbles
    cluster. With ``previous`` (the matrix of an earlier quarter, indexed like ``points``, with
    ``attractiveness`` and ``strength``) a thin grey arrow runs from the earlier position to the
    current one for each account that moved at least ``min_shift`` or changed quadrant; the key
    names the earlier quadrant of those that changed. Beyond ``max_labels`` accounts the smaller ones
    are drawn but not numbered, and the key says how many.
    """
    if "revenue_t4q" in points:
        points = points.sort_values("revenue_t4q", ascending=False, kind="mergesort")
    n = len(points)
    with house():
        fig = Figure(figsize=(7.0, 5.0), layout="constrained", facecolor="white")
        grid = fig.add_gridspec(1, 2, width_ratios=[3.2, 1.0])
        ax = fig.add_subplot(grid[0, 0])
        key_ax = fig.add_subplot(grid[0, 1])
        key_ax.set_axis_off()

        strength = points["strength"].to_numpy(dtype=float)
        attract = points["attractiveness"].to_numpy(dtype=float)
        potential = points["whitespace_value"].fillna(0).to_numpy(dtype=float) if "whitespace_value" in points \
            else np.zeros(n)
        top = potential.max() if n else 0.0
        sizes = 40 + 360 * (np.sqrt(potential) / np.sqrt(top)) if top > 0 else np.full(n, 80.0)
        colors = [QUADRANT_COLORS[q] for q in points["quadrant"]]

        ax.set_xlim(10, 0)
        ax.set_ylim(0, 10)
        ax.axvline(split, color="#777777", linewidth=1, zorder=1)
        ax.axhline(split, color="#777777", linewidth=1, zorder=1)
        corners = {"Strategic": (9.8, 9.8), "Star": (split - 0.2, 9.8), "Status": (9.8, 0.2),
                   "Streamline": (split - 0.2, 0.2)}
        corner_texts = [ax.text(x, y, label, ha="left", va="top" if y > 5 else "bottom", fontsize=9.5,
                                fontweight="bold", color=QUADRANT_COLORS[label], zorder=2)
                        for label, (x, y) in corners.items()]

        moved_from: dict[object, str] = {}
        arrows: list[tuple[float, float, float, float, float]] = []   # from (x, y) to (x, y), bubble radius
        if previous is not None and n:
            prev = previous.reindex(points.index)
            for account, row in points.iterrows():
                pa, ps = prev.at[account, "attractiveness"], prev.at[account, "strength"]
                if pd.isna(pa) or pd.isna(ps):
                    continue
                changed = "quadrant" in prev and pd.notna(prev.at[account, "quadrant"]) \
                    and prev.at[account, "quadrant"] != row["quadrant"]
                shift = float(np.hypot(row["attractiveness"] - pa, row["strength"] - ps))
                if changed:
                    moved_from[account] = str(prev.at[account, "quadrant"])
                if shift >= min_shift or changed:
                    arrows.append((ps, pa, row["strength"], row["attractiveness"],
                                   np.sqrt(sizes[points.index.get_loc(account)]) / 2))

        ax.scatter(strength, attract, s=sizes, c=colors, alpha=0.85, edgecolor="black", linewidth=0.6, zorder=3)
        ax.set_xlabel("Relationship strength (0–10, stronger to the left)")
        ax.set_ylabel("Account attractiveness (0–10)")
        ax.grid(False)
        ax.set_title(title)

        # Numbers beside the bubbles, placed where they overlap nothing (layout first, to know the scale).
        fig.draw_without_rendering()
        to_pt = 72.0 / fig.dpi
        centres = ax.transData.transform(np.column_stack([strength, attract])) * to_pt if n else np.zeros((0, 2))
        radii = np.sqrt(sizes) / 2
        segment_boxes = []
        for x_from, y_from, x_to, y_to, radius in arrows:
            (ax0, ay0), (ax1, ay1) = ax.transData.transform([(x_from, y_from), (x_to, y_to)]) * to_pt
            length = float(np.hypot(ax1 - ax0, ay1 - ay0))
            if length - radius < 8.0:      # a move smaller than the bubble: an arrow would be a stub
                continue
            ax.plot([x_from], [y_from], marker="o", markersize=3, markerfacecolor="white",
                    markeredgecolor=GREY, markeredgewidth=0.7, zorder=2)
            ax.annotate("", xy=(x_to, y_to), xytext=(x_from, y_from), zorder=2,
                        arrowprops={"arrowstyle": "-|>,head_length=0.35,head_width=0.18", "color": GREY,
                                    "linewidth": 0.8, "shrinkA": 1.5, "shrinkB": radius + 0.5})
            for t in np.linspace(0, 1 - radius / length, max(2, int((length - radius) / 2))):
                px, py = ax0 + (ax1 - ax0) * t, ay0 + (ay1 - ay0) * t
                segment_boxes.append((px - 1.5, py - 1.5, px + 1.5, py + 1.5))
        fontsize = 7.0
        numbered = min(n, max_labels)
        labels = [str(i) for i in range(1, numbered + 1)]
        label_sizes = [(0.62 * fontsize * len(t) + 1.0, fontsize + 1.0) for t in labels]
        bbox = ax.get_window_extent()
        bounds = (bbox.x0 * to_pt, bbox.y0 * to_pt, bbox.x1 * to_pt, bbox.y1 * to_pt)
        obstacles = [tuple(np.array(t.get_window_extent().extents) * to_pt) for t in corner_texts] + segment_boxes
        for (dx, dy, leader), text, x, y, radius in zip(
                _label_positions(centres, radii, label_sizes, bounds, obstacles, numbered), labels, strength,
                attract, radii):
            ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=fontsize,
                        fontweight="bold", color="#222222", zorder=4,
                        ha="left" if dx > 0.1 else "right" if dx < -0.1 else "center",
                        va="bottom" if dy > 0.1 else "top" if dy < -0.1 else "center",
                        arrowprops={"arrowstyle": "-", "color": "#666666", "linewidth": 0.5,
                                    "shrinkA": 0.5, "shrinkB": radius} if leader else None)

        # The key: number, name (and the earlier quadrant of accounts that changed), in a font that fits.
        notes = ["Numbers: largest revenue first."]
        if n > numbered:
            notes.append(f"Not numbered: {n - numbered} smaller accounts.")
        notes.append("Bubble area: revenue potential.")
        if previous is not None:
            notes.append(f"Grey arrows: move since {previous_label or 'the previous quarter'}.")
        height_pt = fig.get_figheight() * key_ax.get_position().height * 72
        lines = numbered + sum(1 for a in list(points.index[:numbered]) if a in moved_from)
        note_lines = sum(len(textwrap.wrap(note, 30)) for note in notes)
        key_size = min(7.0, (height_pt - 6.5 * 1.4 * (note_lines + 1)) / max(lines, 1) / 1.45)
        line = key_size * 1.45 / height_pt
        y = 1.0
        for i, (account, row) in enumerate(points.iloc[:numbered].iterrows(), start=1):
            name = str(row[label_column]) if label_column in points else str(account)
            name = name if len(name) <= 24 else name[:23] + "…"
            key_ax.text(0.0, y, f"{i}", fontsize=key_size, fontweight="bold", ha="right", va="top",
                        transform=key_ax.transAxes, color="#222222", in_layout=False)
            key_ax.text(0.06, y, name, fontsize=key_size, ha="left", va="top", transform=key_ax.transAxes,
                        color="#222222", in_layout=False)
            y -= line
            if account in moved_from:
                key_ax.text(0.06, y, f"was {moved_from[account]}", fontsize=key_size - 1, ha="left", va="top",
                            transform=key_ax.transAxes, color="#666666", style="italic", in_layout=False)
                y -= line
        notes = [wrapped for note in notes for wrapped in textwrap.wrap(note, 30)]
        key_ax.text(-0.08, 0.0, "\n".join(notes), fontsize=6.5, ha="left", va="bottom", transform=key_ax.transAxes,
                    color="#555555", linespacing=1.4, in_layout=False)
    return fig
