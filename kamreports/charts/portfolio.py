"""Portfolio charts: Pareto curve and the KAM matrix."""
from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..analytics.portfolio import NOT_ASSESSED
from .style import GREY, NAVY, ORANGE, QUADRANT_COLORS, figure, house, percent_axis, remembered, text_size


@remembered
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
# names try finer steps: a name is wider than a number and needs the one gap that fits it
_NAME_DIRECTIONS = np.array([(np.cos(a), np.sin(a)) for a in np.radians(
    [0, 180, 90, 270, 45, 135, 315, 225, 22.5, 157.5, 337.5, 202.5, 67.5, 112.5, 292.5, 247.5,
     11.25, 168.75, 348.75, 191.25, 33.75, 146.25, 326.25, 213.75])])
_NAME_RINGS = (1.5, 5.0, 9.0, 14.0, 20.0, 28.0, 38.0, 50.0)
_LEADER_FROM = 8.0   # points: a name further from its bubble than this gets a leader line
_NAME_PAD = 1.0      # points kept clear between a name and any other label, bubble or arrow
_NAME_MARGIN = 1.0   # a name must be this much nearer its own bubble than any other (points)


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


def _leader_hits(starts: np.ndarray, ends: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """How many of ``boxes`` (m, 4) each leader line start-end (k, 2) runs through, tested at points
    2 pt apart along it, as (k,)."""
    if len(boxes) == 0 or len(starts) == 0:
        return np.zeros(len(starts))
    steps = max(2, int(np.hypot(*(ends - starts).T).max() / 2.0))
    t = np.linspace(0.0, 1.0, steps)[1:-1]
    px = starts[:, None, 0] + (ends[:, None, 0] - starts[:, None, 0]) * t[None, :]     # (k, s)
    py = starts[:, None, 1] + (ends[:, None, 1] - starts[:, None, 1]) * t[None, :]
    inside = ((px[..., None] >= boxes[:, 0]) & (px[..., None] <= boxes[:, 2])
              & (py[..., None] >= boxes[:, 1]) & (py[..., None] <= boxes[:, 3]))        # (k, s, m)
    return inside.any(axis=1).sum(axis=1).astype(float)


def _label_positions(centres: np.ndarray, radii: np.ndarray, sizes: list[tuple[float, float]],
                     bounds: tuple[float, float, float, float], obstacles: list[tuple[float, float, float, float]],
                     which: list[int] | None = None) -> list[tuple[float, float, bool]]:
    """Greedy label placement, in points. Each bubble in turn (largest revenue first) takes the cheapest
    spot around it: touching a placed label or an obstacle is all but forbidden, covering another
    bubble costs its area, a label next to a bubble must be nearer its own than any other, a leader line
    (the outer rings) must not cross another bubble, and further out costs a little more.
    Only the bubbles in ``which`` (default all; ``sizes`` one per bubble in it) get a label; every bubble is
    an obstacle. Returns the offset (dx, dy) of each label from its bubble's centre and whether it needs
    a leader."""
    placed = np.array(obstacles, dtype=float).reshape(-1, 4)
    x0, y0, x1, y1 = bounds
    n = len(centres)
    bubble_boxes = np.column_stack([centres - radii[:, None], centres + radii[:, None]]) if n else np.zeros((0, 4))
    result = []
    for i, (w, h) in zip(range(n) if which is None else which, sizes):
        cx, cy = centres[i]
        r = radii[i]
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
        cost += np.where(rings == 0, 0.0, 1000.0 * _leader_hits(np.column_stack([cx + units[:, 0] * r,
                                                                                 cy + units[:, 1] * r]),
                                                                np.column_stack([cx + dx, cy + dy]), placed))
        outside = (np.clip(x0 - boxes[:, 0], 0, None) + np.clip(boxes[:, 2] - x1, 0, None)
                   + np.clip(y0 - boxes[:, 1], 0, None) + np.clip(boxes[:, 3] - y1, 0, None))
        cost += outside * 1000.0 + rings * 2.0
        best = int(np.argmin(cost))        # first of equal costs: the inner ring, the preferred direction
        placed = np.vstack([placed, boxes[best]])
        result.append((float(dx[best]), float(dy[best]), bool(rings[best] > 0)))
    return result


def _box_to_circles(boxes: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Gap from each box (k, 4) to the edge of each circle (m centres, m radii), as (k, m); below 0 the
    box cuts into the circle."""
    nx = np.clip(centres[None, :, 0], boxes[:, None, 0], boxes[:, None, 2])
    ny = np.clip(centres[None, :, 1], boxes[:, None, 1], boxes[:, None, 3])
    return np.hypot(nx - centres[None, :, 0], ny - centres[None, :, 1]) - radii[None, :]


def _name_variants(name: str) -> list[str]:
    """A name on one line, and where it has a space, on two lines split nearest the middle (narrower,
    for a bubble hemmed in on its sides)."""
    spaces = [i for i, c in enumerate(name) if c == " "]
    if not spaces:
        return [name]
    cut = min(spaces, key=lambda i: abs(i - len(name) / 2))
    return [name, name[:cut] + "\n" + name[cut + 1:]]


def _text_size_pt(fig: Figure, renderer: RendererBase, text: str, fontsize: float,
                  **kwargs: object) -> tuple[float, float]:
    """Width and height in points of ``text`` as drawn, measured, not guessed from its length."""
    w, h = text_size(fig, renderer, text, fontsize=fontsize, **kwargs)
    return w * 72.0 / fig.dpi, h * 72.0 / fig.dpi


def _name_spots(i: int, centres: np.ndarray, radii: np.ndarray, variants: list[tuple[float, float]],
                bounds: tuple[float, float, float, float], placed: np.ndarray
                ) -> list[tuple[float, float, float, bool, int, np.ndarray, np.ndarray]]:
    """Every allowed spot for bubble ``i``'s name, cheapest first, as (cost, dx, dy, leader, variant,
    box, leader line as x0, y0, x1, y1): around the bubble (``_NAME_DIRECTIONS`` x ``_NAME_RINGS``),
    for each variant of the name (one line, two lines).

    Allowed: inside ``bounds``, touching no ``placed`` box and no bubble, a leader line (beyond
    ``_LEADER_FROM``) crossing no other bubble and no label, and the name nearer its own bubble than
    any other by ``_NAME_MARGIN``, so it reads as that bubble's without a key. Cheaper: nearer, the
    preferred direction, one line."""
    x0, y0, x1, y1 = bounds
    n = len(centres)
    gaps = np.repeat(_NAME_RINGS, len(_NAME_DIRECTIONS))
    units = np.tile(_NAME_DIRECTIONS, (len(_NAME_RINGS), 1))
    turn = np.tile(np.arange(len(_NAME_DIRECTIONS)), len(_NAME_RINGS))
    cx, cy = centres[i]
    r = radii[i]
    others = np.arange(n) != i
    dx, dy = units[:, 0] * (r + gaps), units[:, 1] * (r + gaps)
    edge = np.column_stack([cx + units[:, 0] * r, cy + units[:, 1] * r])
    leader_ok = np.ones(len(dx), dtype=bool)
    if others.any():
        anchor = np.column_stack([cx + dx, cy + dy])
        leader_ok &= ~(_segment_distances(centres[others], edge, anchor) < radii[None, others] + 1.5).any(axis=1)
    leader_ok &= _leader_hits(edge, np.column_stack([cx + dx, cy + dy]), placed) == 0
    spots = []
    for v, (w, h) in enumerate(variants):
        left = cx + dx - np.where(dx > 0.1, 0, np.where(dx < -0.1, w, w / 2))
        bottom = cy + dy - np.where(dy > 0.1, 0, np.where(dy < -0.1, h, h / 2))
        boxes = np.column_stack([left, bottom, left + w, bottom + h])
        ok = (boxes[:, 0] >= x0) & (boxes[:, 2] <= x1) & (boxes[:, 1] >= y0) & (boxes[:, 3] <= y1)
        ok &= (gaps <= _LEADER_FROM) | leader_ok
        padded = boxes + np.array([-_NAME_PAD, -_NAME_PAD, _NAME_PAD, _NAME_PAD])
        ok &= (_overlap_area(padded, placed) == 0).all(axis=1)
        if others.any():
            gap = _box_to_circles(boxes, centres, radii)
            ok &= (gap[:, others] > np.maximum(_NAME_PAD, gap[:, [i]] + _NAME_MARGIN)).all(axis=1)
        cost = gaps * 0.6 + turn * 0.2 + v * 4.0
        spots += [(float(cost[k]), float(dx[k]), float(dy[k]), bool(gaps[k] > _LEADER_FROM), v, boxes[k],
                   np.r_[edge[k], cx + dx[k], cy + dy[k]]) for k in np.flatnonzero(ok)]
    return sorted(spots, key=lambda spot: spot[0])


def _name_positions(centres: np.ndarray, radii: np.ndarray, variants: list[list[tuple[float, float]]],
                    bounds: tuple[float, float, float, float], obstacles: np.ndarray, count: int
                    ) -> tuple[list[tuple[float, float, bool, int] | None], np.ndarray]:
    """Names beside the first ``count`` bubbles, in points, only where they fit cleanly (``_name_spots``).

    The bubble with the fewest allowed spots goes first (ties: the larger revenue), taking its
    cheapest, and so on: a bubble in a crowd gets its one free spot before a bubble with room to
    spare takes it, which names more bubbles than going by revenue alone. Returns (dx, dy, leader,
    variant) per bubble, None where no spot is left (that bubble falls back to a number), and the
    boxes of the names placed."""
    placed = np.asarray(obstacles, dtype=float).reshape(-1, 4)
    start = len(placed)
    result: list[tuple[float, float, bool, int] | None] = [None] * min(count, len(centres))
    options = {i: _name_spots(i, centres, radii, variants[i], bounds, placed) for i in range(len(result))}
    while options := {i: spots for i, spots in options.items() if spots}:
        i = min(options, key=lambda j: (len(options[j]), j))
        _, dx, dy, leader, v, box, _ = options.pop(i)[0]
        result[i] = (dx, dy, leader, v)
        placed = np.vstack([placed, box])
        # what the new name takes away from the others: spots on it, and leader lines through it
        pad = np.array([-_NAME_PAD, -_NAME_PAD, _NAME_PAD, _NAME_PAD])
        for j, spots in options.items():
            boxes = np.array([spot[5] for spot in spots]) + pad
            lines = np.array([spot[6] for spot in spots])
            free = (_overlap_area(boxes, box[None, :])[:, 0] == 0) & (
                ~np.array([spot[3] for spot in spots]) | (_leader_hits(lines[:, :2], lines[:, 2:], box[None, :]) == 0))
            options[j] = [spot for spot, keep in zip(spots, free) if keep]
    return result, placed[start:]


@remembered
def kam_matrix(points: pd.DataFrame, split: float = 5.0, label_column: str = "name",
               title: str = "KAM portfolio matrix", previous: pd.DataFrame | None = None,
               previous_label: str | None = None, min_shift: float = 0.3, max_labels: int = 30) -> Figure:
    """Attractiveness (y) against relationship strength (x), bubble size = revenue potential.

    Strength grows to the left, as in McDonald & Woodburn's matrix, so the Strategic quadrant sits
    top-left. Each bubble carries its account's name beside it where the name fits: touching no
    other label, bubble or arrow, inside the axes, and nearer its own bubble than any other, so a
    reader needs no look-up (``_name_positions``). Only a bubble whose name cannot be placed so (one
    inside a cluster) gets its rank by trailing-four-quarter revenue instead (1 = largest, the book's
    order), and the key beside the matrix lists just those. With ``previous`` (the matrix of an
    earlier quarter, indexed like ``points``, with ``attractiveness`` and ``strength``) a thin grey
    arrow runs from the earlier position to the current one for each account that moved at least
    ``min_shift`` or changed quadrant; the key names the earlier quadrant of those that changed.
    Beyond ``max_labels`` accounts the smaller ones are drawn but not labelled, and the key says how
    many.
    """
    if "revenue_t4q" in points:
        points = points.sort_values("revenue_t4q", ascending=False, kind="mergesort")
    n = len(points)
    with house():
        fig = Figure(figsize=(7.0, 5.0), layout="constrained", facecolor="white")
        FigureCanvasAgg(fig)        # a renderer to measure the names with
        grid = fig.add_gridspec(1, 2, width_ratios=[3.7, 1.0])
        ax = fig.add_subplot(grid[0, 0])
        key_ax = fig.add_subplot(grid[0, 1])
        key_ax.set_axis_off()

        # An account whose relationship is not assessed (no stakeholders mapped) is drawn hollow, placed on the
        # strength factors that have data (strength_derived), on the split line when none has.
        unplaced = (points["quadrant"] == NOT_ASSESSED).to_numpy() if "quadrant" in points else np.zeros(n, bool)
        fallback = points["strength_derived"] if "strength_derived" in points else pd.Series(np.nan, index=points.index)
        strength = points["strength"].astype("float64").fillna(fallback.astype("float64")).fillna(split).to_numpy()
        attract = points["attractiveness"].astype("float64").fillna(split).to_numpy()
        potential = points["whitespace_value"].fillna(0).to_numpy(dtype=float) if "whitespace_value" in points \
            else np.zeros(n)
        top = potential.max() if n else 0.0
        sizes = 40 + 360 * (np.sqrt(potential) / np.sqrt(top)) if top > 0 else np.full(n, 80.0)
        colors = [QUADRANT_COLORS.get(q, GREY) for q in points["quadrant"]]

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
                if pd.isna(pa) or pd.isna(ps) or row["quadrant"] == NOT_ASSESSED:
                    continue
                changed = "quadrant" in prev and pd.notna(prev.at[account, "quadrant"]) \
                    and prev.at[account, "quadrant"] != row["quadrant"]
                shift = float(np.hypot(row["attractiveness"] - pa, row["strength"] - ps))
                if changed:
                    moved_from[account] = str(prev.at[account, "quadrant"])
                if shift >= min_shift or changed:
                    arrows.append((ps, pa, strength[points.index.get_loc(account)], row["attractiveness"],
                                   np.sqrt(sizes[points.index.get_loc(account)]) / 2))

        # one collection: filled in the quadrant's colour, or hollow and dashed where not assessed
        ax.scatter(strength, attract, s=sizes, facecolors=["white" if u else c for c, u in zip(colors, unplaced)],
                   edgecolors=[GREY if u else "black" for u in unplaced], alpha=0.85,
                   linewidths=[1.0 if u else 0.6 for u in unplaced],
                   linestyles=["--" if u else "-" for u in unplaced], zorder=3)
        ax.set_xlabel("Relationship strength (0–10, stronger to the left)")
        ax.set_ylabel("Account attractiveness (0–10)")
        ax.grid(False)
        ax.set_title(title)

        # Names (or numbers) beside the bubbles, placed where they overlap nothing (layout first, to know
        # the scale).
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()
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
        fontsize = 6.5
        labelled = min(n, max_labels)
        names = [str(row[label_column]) if label_column in points else str(account)
                 for account, row in points.iloc[:labelled].iterrows()]
        names = [name if len(name) <= 24 else name[:23] + "…" for name in names]
        variants = [[_text_size_pt(fig, renderer, text, fontsize) for text in _name_variants(name)] for name in names]
        bbox = ax.get_window_extent()
        bounds = (bbox.x0 * to_pt, bbox.y0 * to_pt, bbox.x1 * to_pt, bbox.y1 * to_pt)
        obstacles = [tuple(np.array(t.get_window_extent().extents) * to_pt) for t in corner_texts] + segment_boxes
        named, name_boxes = _name_positions(centres, radii, variants, bounds, np.array(obstacles), labelled)
        for i, spot in enumerate(named):
            if spot is None:
                continue
            dx, dy, leader, variant = spot
            ha = "left" if dx > 0.1 else "right" if dx < -0.1 else "center"
            ax.annotate(_name_variants(names[i])[variant], (strength[i], attract[i]), xytext=(dx, dy),
                        textcoords="offset points", fontsize=fontsize, color="#222222", zorder=4, ha=ha,
                        multialignment=ha, va="bottom" if dy > 0.1 else "top" if dy < -0.1 else "center",
                        arrowprops={"arrowstyle": "-", "color": "#666666", "linewidth": 0.5,
                                    "shrinkA": 0.5, "shrinkB": radii[i]} if leader else None)
        # Where a name does not fit, the bubble's rank by revenue (1 = largest), named in the key.
        numbered = [i for i, spot in enumerate(named) if spot is None]
        numbers = [str(i + 1) for i in numbered]
        number_sizes = [_text_size_pt(fig, renderer, t, fontsize, fontweight="bold") for t in numbers]
        for (dx, dy, leader), i, text in zip(
                _label_positions(centres, radii, number_sizes, bounds, obstacles + [tuple(b) for b in name_boxes],
                                 numbered), numbered, numbers):
            ax.annotate(text, (strength[i], attract[i]), xytext=(dx, dy), textcoords="offset points",
                        fontsize=fontsize, fontweight="bold", color="#222222", zorder=4,
                        ha="left" if dx > 0.1 else "right" if dx < -0.1 else "center",
                        va="bottom" if dy > 0.1 else "top" if dy < -0.1 else "center",
                        arrowprops={"arrowstyle": "-", "color": "#666666", "linewidth": 0.5,
                                    "shrinkA": 0.5, "shrinkB": radii[i]} if leader else None)

        # The key: the numbered bubbles (and the earlier quadrant of those that changed), then the named
        # bubbles that changed quadrant, then how to read the chart, in a font that fits.
        entries: list[tuple[str, str, bool]] = []        # number, text, is a "was" line
        for i in numbered:
            entries.append((str(i + 1), names[i], False))
            if points.index[i] in moved_from:
                entries.append(("", f"was {moved_from[points.index[i]]}", True))
        changed = [i for i, spot in enumerate(named) if spot is not None and points.index[i] in moved_from]
        if changed:
            if entries:
                entries.append(("", "", False))
            entries.append(("", "Changed quadrant:", False))
            for i in changed:
                entries.append(("", names[i], False))
                entries.append(("", f"was {moved_from[points.index[i]]}", True))
        notes = []
        if numbered:
            notes.append("Numbered where the name does not fit; numbers rank revenue (1 = largest).")
        if n > labelled:
            notes.append(f"Not labelled: {n - labelled} smaller accounts.")
        notes.append("Bubble area: revenue potential.")
        if unplaced.any():
            notes.append(f"Hollow, dashed: relationship not assessed — no stakeholders mapped ({int(unplaced.sum())} "
                         f"account{'s' if unplaced.sum() != 1 else ''}); placed on the strength factors with data, "
                         "on the middle line where none has; in no quadrant.")
        if previous is not None:
            notes.append(f"Grey arrows: move since {previous_label or 'the previous quarter'}.")
        height_pt = fig.get_figheight() * key_ax.get_position().height * 72
        width_pt = fig.get_figwidth() * key_ax.get_position().width * 72
        # notes wrapped to the column's width (from x = -0.08), measured rather than counted in characters
        wrap = 34
        while wrap > 12 and max(_text_size_pt(fig, renderer, line, 6.5)[0] for note in notes
                                for line in textwrap.wrap(note, wrap)) > width_pt * 1.06:
            wrap -= 2
        notes = [wrapped for note in notes for wrapped in textwrap.wrap(note, wrap)]
        # the key's font: 7 pt, smaller if its lines would not fit the column's height or width
        widest = max([_text_size_pt(fig, renderer, text, 7.0)[0] for _, text, _ in entries] + [1.0])
        key_size = min(7.0, (height_pt - 6.5 * 1.4 * (len(notes) + 1)) / max(len(entries), 1) / 1.45,
                       7.0 * width_pt * 0.92 / widest)
        line = key_size * 1.45 / height_pt
        y = 1.0
        for number, text, was in entries:
            if number:
                key_ax.text(0.0, y, number, fontsize=key_size, fontweight="bold", ha="right", va="top",
                            transform=key_ax.transAxes, color="#222222", in_layout=False)
            key_ax.text(0.06, y, text, fontsize=key_size - 1 if was else key_size, ha="left", va="top",
                        transform=key_ax.transAxes, color="#666666" if was else "#222222",
                        style="italic" if was else "normal", in_layout=False)
            y -= line
        key_ax.text(-0.08, 0.0, "\n".join(notes), fontsize=6.5, ha="left", va="bottom", transform=key_ax.transAxes,
                    color="#555555", linespacing=1.4, in_layout=False)
    return fig
