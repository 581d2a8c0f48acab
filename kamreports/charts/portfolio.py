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


def _segment_distance(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    """Distance from point p to the segment a-b."""
    vx, vy = bx - ax, by - ay
    length2 = vx * vx + vy * vy
    t = 0.0 if length2 == 0 else min(1.0, max(0.0, ((px - ax) * vx + (py - ay) * vy) / length2))
    return float(np.hypot(px - ax - t * vx, py - ay - t * vy))


def _label_positions(centres: np.ndarray, radii: np.ndarray, sizes: list[tuple[float, float]],
                     bounds: tuple[float, float, float, float], obstacles: list[tuple[float, float, float, float]]
                     ) -> list[tuple[float, float, bool]]:
    """Greedy label placement in points: for each bubble in order, the first spot around it (then
    further out, with a leader line) whose box overlaps no placed label, no other bubble and no
    obstacle, within ``bounds``. Returns offsets (dx, dy) from the centre and whether to draw a leader."""
    placed: list[tuple[float, float, float, float]] = list(obstacles)
    x0, y0, x1, y1 = bounds
    directions = [(1, 0), (-1, 0), (0, 1), (0, -1), (0.71, 0.71), (-0.71, 0.71), (0.71, -0.71), (-0.71, -0.71),
                  (0.92, 0.38), (-0.92, 0.38), (0.92, -0.38), (-0.92, -0.38), (0.38, 0.92), (-0.38, 0.92),
                  (0.38, -0.92), (-0.38, -0.92)]
    result = []

    def box(cx: float, cy: float, w: float, h: float, dx: float, dy: float) -> tuple[float, float, float, float]:
        # anchor the box on the side facing away from the bubble
        left = cx + dx - (0 if dx > 0.1 else w if dx < -0.1 else w / 2)
        bottom = cy + dy - (0 if dy > 0.1 else h if dy < -0.1 else h / 2)
        return left, bottom, left + w, bottom + h

    def overlap(a, b) -> float:
        return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))

    for i, ((cx, cy), r, (w, h)) in enumerate(zip(centres, radii, sizes)):
        best, best_cost = None, float("inf")
        for ring, gap in enumerate((1.5, 9.0, 18.0)):
            for ux, uy in directions:
                dx, dy = ux * (r + gap), uy * (r + gap)
                b = box(cx, cy, w, h, dx, dy)
                cost = sum(overlap(b, o) for o in placed)
                cost += sum(overlap(b, (ox - orad, oy - orad, ox + orad, oy + orad)) * 0.5
                            for j, ((ox, oy), orad) in enumerate(zip(centres, radii)) if j != i)
                # a leader line must not cross another bubble
                if ring > 0:
                    ex, ey = cx + ux * r, cy + uy * r
                    tx, ty = cx + dx, cy + dy
                    for j, ((ox, oy), orad) in enumerate(zip(centres, radii)):
                        if j != i and _segment_distance(ox, oy, ex, ey, tx, ty) < orad + 1.5:
                            cost += 80.0
                # without a leader line, a number must sit clearly nearer its own bubble than any other
                if ring == 0:
                    mx, my = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
                    own = np.hypot(mx - cx, my - cy) - r
                    cost += 60.0 * sum(1 for j, ((ox, oy), orad) in enumerate(zip(centres, radii))
                                       if j != i and np.hypot(mx - ox, my - oy) - orad < own + 4.0)
                outside = (max(0, x0 - b[0]) + max(0, b[2] - x1) + max(0, y0 - b[1]) + max(0, b[3] - y1))
                cost += outside * 1000 + ring * 2.0
                if cost < best_cost:
                    best, best_cost = (dx, dy, ring > 0, b), cost
            if best_cost <= ring * 2.0 + 1e-9:
                break
        dx, dy, leader, b = best
        placed.append(b)
        result.append((dx, dy, leader))
    return result


def kam_matrix(points: pd.DataFrame, split: float = 5.0, label_column: str = "name",
               title: str = "KAM portfolio matrix", previous: pd.DataFrame | None = None,
               previous_label: str | None = None, min_shift: float = 0.3) -> Figure:
    """Attractiveness (y) against relationship strength (x), bubble size = revenue potential.

    Strength grows to the left, as in McDonald & Woodburn's matrix, so the Strategic quadrant sits
    top-left. Bubbles are numbered by trailing-four-quarter revenue (1 = largest, the book's order)
    and a key beside the matrix names them, so labels stay legible in print however the bubbles
    cluster. With ``previous`` (the matrix of an earlier quarter, indexed like ``points``, with
    ``attractiveness`` and ``strength``) a thin grey arrow runs from the earlier position to the
    current one for each account that moved at least ``min_shift`` or changed quadrant; the key
    names the earlier quadrant of those that changed.
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
        labels = [str(i) for i in range(1, n + 1)]
        label_sizes = [(0.62 * fontsize * len(t) + 1.0, fontsize + 1.0) for t in labels]
        bbox = ax.get_window_extent()
        bounds = (bbox.x0 * to_pt, bbox.y0 * to_pt, bbox.x1 * to_pt, bbox.y1 * to_pt)
        obstacles = [tuple(np.array(t.get_window_extent().extents) * to_pt) for t in corner_texts] + segment_boxes
        for (dx, dy, leader), text, x, y, radius in zip(
                _label_positions(centres, radii, label_sizes, bounds, obstacles), labels, strength, attract, radii):
            ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=fontsize,
                        fontweight="bold", color="#222222", zorder=4,
                        ha="left" if dx > 0.1 else "right" if dx < -0.1 else "center",
                        va="bottom" if dy > 0.1 else "top" if dy < -0.1 else "center",
                        arrowprops={"arrowstyle": "-", "color": "#666666", "linewidth": 0.5,
                                    "shrinkA": 0.5, "shrinkB": radius} if leader else None)

        # The key: number, name (and the earlier quadrant of accounts that changed).
        key_size = 7.0 if n <= 24 else max(4.5, 7.0 * 24 / n)
        line = key_size * 1.45 / 72 / (fig.get_figheight() * key_ax.get_position().height)
        y = 1.0
        for i, (account, row) in enumerate(points.iterrows(), start=1):
            name = str(row[label_column]) if label_column in points else str(account)
            name = name if len(name) <= 24 else name[:23] + "…"
            key_ax.text(0.0, y, f"{i}", fontsize=key_size, fontweight="bold", ha="right", va="top",
                        transform=key_ax.transAxes, color="#222222")
            key_ax.text(0.06, y, name, fontsize=key_size, ha="left", va="top", transform=key_ax.transAxes,
                        color="#222222")
            y -= line
            if account in moved_from:
                key_ax.text(0.06, y, f"was {moved_from[account]}", fontsize=key_size - 1, ha="left", va="top",
                            transform=key_ax.transAxes, color="#666666", style="italic")
                y -= line
        notes = ["Numbers: largest revenue first.", "Bubble area: revenue potential."]
        if previous is not None:
            notes.append(f"Grey arrows: move since {previous_label or 'the previous quarter'}.")
        key_ax.text(-0.08, 0.0, "\n".join(notes), fontsize=6.5, ha="left", va="bottom", transform=key_ax.transAxes,
                    color="#555555", linespacing=1.4, wrap=True)
    return fig
