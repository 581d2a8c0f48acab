"""Charts for one account's plan. They take computed frames; no analysis here."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.path import Path
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import Bbox

from ..formatting import SANE_CHANGE, beyond
from .style import GREEN, GREY, NAVY, ORANGE, RED, SENTIMENT_COLORS, figure, house, money_axis, remembered, text_size


@remembered
def growth_vs_target(growth: pd.DataFrame, currency: str = "$",
                     title: str = "Revenue against target by quarter", limit: float = SANE_CHANGE) -> Figure:
    """Bars of quarterly revenue, a target line, attainment printed above each bar; an attainment beyond
    ±``limit`` (``report.sane_change``) prints "n/m", and a note says its target is too small to compare."""
    with house():
        fig, ax = figure(7.0, 2.7)
        x = np.arange(len(growth))
        ax.bar(x, growth["revenue"], color=NAVY, width=0.62, label="Revenue", zorder=2)
        has_target = growth["target"].notna()
        if has_target.any():
            ax.plot(x[has_target.to_numpy()], growth.loc[has_target, "target"], color=ORANGE, linewidth=2,
                    marker="D", markersize=5, linestyle="--", label="Target", zorder=3)
        top = np.nanmax(np.r_[growth["revenue"].to_numpy(), growth["target"].to_numpy(dtype=float), 0]) or 1.0
        unmeasured = False
        for xi, (rev, att) in enumerate(zip(growth["revenue"], growth["attainment"])):
            if pd.notna(att):
                unmeasured |= beyond(att, limit)
                ax.annotate("n/m" if beyond(att, limit) else f"{att:.0%}", (xi, rev), xytext=(0, 3),
                            textcoords="offset points", ha="center", va="bottom", fontsize=7.5, color="#333333")
        if unmeasured:
            ax.text(0.99, 0.97, f"n/m: target too small to compare (attainment beyond {limit * 100:,.0f}%)",
                    transform=ax.transAxes, ha="right", va="top", color=GREY, fontsize=7.5)
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


@remembered
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


# Label placement for the forecast chart, in display pixels: each label takes one spot from a short list
# (most preferred first), so that no label touches another, the target line's row, a drawn series,
# the band or the axes' edge. The lists are small, so every combination is scored and the best kept.
_LABEL_PAD = 2.0   # points kept clear around a label
_BAND_FILL = "#a3bcd9"   # mid navy-grey: about 185 in grayscale, clear of both the white page and the navy lines


def _signed_money(value: float, fmt: FuncFormatter) -> str:
    """"+$412K" or "−$273K" (a true minus sign, as printed figures use)."""
    return ("+" if value > 0 else "−") + fmt(abs(value), 0)


def _gap_text(end: float, target: float, fmt: FuncFormatter) -> str:
    """The gap between the year's end point and the target, in money and as a share of the target.
    A share that would round to 100% while there is a gap keeps one decimal, so "100%" means on target."""
    gap = end - target
    if abs(gap) < max(0.5, 1e-9 * abs(target)):
        return "On target (100%)"
    share = end / target
    pct = f"{share:.0%}"
    if pct == "100%":
        pct = f"{share:.1%}"
    return f"{_signed_money(gap, fmt)} ({pct} of target)"


def _candidate_boxes(anchor: tuple[float, float], size: tuple[float, float],
                     spots: list[tuple[float, float, str, str]], px_per_pt: float) -> np.ndarray:
    """Pixel boxes (x0, y0, x1, y1) of a label of ``size`` anchored at ``anchor`` (pixels), one per spot
    (dx, dy in points, ha, va), padded by ``_LABEL_PAD``."""
    w, h = size
    out = []
    for dx, dy, ha, va in spots:
        x = anchor[0] + dx * px_per_pt - {"left": 0.0, "center": w / 2, "right": w}[ha]
        y = anchor[1] + dy * px_per_pt - {"bottom": 0.0, "center": h / 2, "top": h}[va]
        out.append((x, y, x + w, y + h))
    pad = _LABEL_PAD * px_per_pt
    return np.array(out, dtype=float).reshape(-1, 4) + np.array([-pad, -pad, pad, pad])


def _blocked(boxes: np.ndarray, paths: list[tuple[Path, bool]], rects: list[Bbox], inside: Bbox,
             rows: list[float]) -> np.ndarray:
    """How many things each candidate box touches: drawn paths (lines; filled: the band), rectangles
    (bars, fixed texts), horizontal rows (the target line runs the axes' full width), the axes' edge."""
    hits = np.zeros(len(boxes))
    for k, (x0, y0, x1, y1) in enumerate(boxes):
        box = Bbox([[x0, y0], [x1, y1]])
        hits[k] += sum(path.intersects_bbox(box, filled=filled) for path, filled in paths)
        hits[k] += sum(box.overlaps(rect) for rect in rects)
        hits[k] += sum(y0 <= row <= y1 for row in rows)
        hits[k] += not (x0 >= inside.x0 and x1 <= inside.x1 and y0 >= inside.y0 and y1 <= inside.y1)
    return hits


def _pairwise_clash(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)): 1 where box a[i] overlaps box b[j]."""
    w = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    h = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    return ((w > 0) & (h > 0)).astype(float)


def _choose_spots(boxes: list[np.ndarray], blocked: list[np.ndarray], weights: list[float]) -> list[int]:
    """One spot per label: fewest collisions first (with fixed things and with each other), then the most
    preferred spots (earlier in each list, a label of more ``weight`` moving less far). At most three
    labels of a few dozen spots: every combination is tried."""
    cost = np.zeros(())
    for b, hits, weight in zip(boxes, blocked, weights):
        own = 1000.0 * hits + np.arange(len(b)) * weight
        cost = cost[..., None] + own.reshape((1,) * cost.ndim + (-1,))
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            shape = [1] * len(boxes)
            shape[i], shape[j] = len(boxes[i]), len(boxes[j])
            cost = cost + 1000.0 * _pairwise_clash(boxes[i], boxes[j]).reshape(shape)
    return [int(v) for v in np.unravel_index(int(np.argmin(cost)), cost.shape)]


def _beside(dx: float, ha: str, side: str, count: int = 10, step: float = 4.0
            ) -> list[tuple[float, float, str, str]]:
    """Spots (dx, dy in points, ha, va) beside an anchor: level with it, then further and further to
    ``side`` ("up" or "down")."""
    sign = 1.0 if side == "up" else -1.0
    return [(dx, 0.0, ha, "center")] + [(dx, sign * step * i, ha, "bottom" if sign > 0 else "top")
                                        for i in range(count)]


@remembered
def year_forecast_chart(path: pd.DataFrame, annual_target: float | None = None, currency: str = "$",
                        title: str = "Full-year forecast against target") -> Figure:
    """The year to date and the forecast, from ``analytics.growth.forecast_path``, against the target.

    Bars: each quarter's revenue (solid: actual; hatched: forecast at the run-rate). Line: the
    year's cumulative revenue, dashed where forecast, inside the forecast range: a filled, outlined
    band (it must survive a grayscale print) with the year-end range as a whisker. A horizontal line
    marks the annual target; a bracket from the year-end point to that line shows the gap, labelled
    with the difference of the two figures and the share of target they make, because the gap is the
    point of the chart. Labels (forecast, gap, target) are placed where they touch no other label, no
    series and not the target line's row.
    """
    with house():
        fig, ax = figure(7.0, 3.0)
        FigureCanvasAgg(fig)        # a renderer to measure the labels with
        n = len(path)
        x = np.arange(n)
        actual = (path["kind"] == "actual").to_numpy()
        ahead_any = bool((~actual).any())
        ax.bar(x[actual], path.loc[actual, "revenue"], color=NAVY, width=0.5, label="Quarter revenue", zorder=2)
        if ahead_any:
            ax.bar(x[~actual], path.loc[~actual, "forecast"], width=0.5, facecolor="white", edgecolor=NAVY,
                   hatch="////", linewidth=0.8, label="Quarter forecast (run-rate)", zorder=2)
        cum = path["cumulative"].to_numpy(dtype=float)
        low = path["cumulative_low"].to_numpy(dtype=float)
        high = path["cumulative_high"].to_numpy(dtype=float)
        last = int(np.flatnonzero(actual)[-1]) if actual.any() else 0
        ax.plot(x[: last + 1], cum[: last + 1], color=NAVY, linewidth=2.2, marker="o", markersize=5,
                label="Cumulative actual", zorder=4)
        end_x, end = float(x[-1]), float(cum[-1])
        end_low, end_high = float(low[-1]), float(high[-1])
        if ahead_any:
            ahead = np.arange(last, n)
            ax.fill_between(ahead, low[ahead], high[ahead], facecolor=_BAND_FILL, edgecolor=NAVY, linewidth=0.6,
                            label="Forecast range", zorder=1.5)
            ax.plot(ahead, cum[ahead], color=NAVY, linewidth=1.6, linestyle="--", marker="o", markersize=5,
                    markerfacecolor="white", markevery=list(range(1, len(ahead))), label="Cumulative forecast",
                    zorder=3.5)
            if end_high > end_low:     # the year-end range as a whisker: readable however thin the band is
                ax.plot([end_x, end_x], [end_low, end_high], color=NAVY, linewidth=1.1, marker="_",
                        markersize=9, markeredgewidth=1.3, zorder=3.6)
        fmt = money_axis(currency)
        has_target = annual_target is not None and pd.notna(annual_target) and annual_target > 0
        fixed_texts = []
        if has_target:
            ax.axhline(annual_target, color=ORANGE, linestyle=(0, (6, 3)), linewidth=1.6, label="Annual target",
                       zorder=3)
        else:
            fixed_texts.append(ax.text(0.01, 0.97, "No full-year target set", transform=ax.transAxes, ha="left",
                                       va="top", color=GREY))
        top = np.nanmax(np.r_[end_high, cum, annual_target if has_target else 0.0]) or 1.0
        ax.set_ylim(0, top * 1.25)       # room above the highest line for the labels
        ax.set_xlim(-0.5, n - 0.5 + 1.35)  # the right margin holds the year-end labels
        ax.set_xticks(x, [f"{q}\n{'actual' if a else 'forecast'}" for q, a in zip(path.index, actual)])
        ax.yaxis.set_major_formatter(fmt)
        ax.grid(axis="x", visible=False)
        ax.set_title(title)
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.22), ncols=3, fontsize=7.5)

        bracket_x = end_x + 0.16
        if has_target:
            gap_text = _gap_text(end, annual_target, fmt)
            gap_colour = "#222222" if gap_text.startswith("On target") else RED if end < annual_target else GREEN
            ax.plot([bracket_x - 0.05, bracket_x, bracket_x, bracket_x - 0.05],
                    [end, end, annual_target, annual_target], color=gap_colour, linewidth=1.3,
                    solid_joinstyle="miter", zorder=3.7)

        # Labels: the forecast (or the year's actual), the gap and the target, each where it fits.
        fig.draw_without_rendering()          # the layout fixes the axes; pixels are known from here on
        renderer = fig.canvas.get_renderer()
        px_per_pt = fig.dpi / 72.0
        to_px = ax.transData.transform
        label = f"{'Forecast' if ahead_any else 'Actual'} {fmt(end, 0)}"
        if fmt(end_low, 0) != fmt(end_high, 0):      # a range that rounds to one figure is no range
            label += f"\n({fmt(end_low, 0)}–{fmt(end_high, 0)})"
        # Each label stays on the forecast's side of the target line: above it when the year ends
        # above target, below when below; the gap label keeps nearest its bracket (a larger weight).
        side = "down" if has_target and end < annual_target else "up"
        other = "up" if side == "down" else "down"
        plain = {"fontsize": 8, "color": "#222222"}
        # right of the end point (past the bracket), else left of it, still on its side; the far side last
        spots = _beside(18.0, "left", side) + _beside(-9.0, "right", side) + _beside(18.0, "left", other)[1:]
        labels = [(label, [((end_x, end), spot) for spot in spots], plain, 1.0)]
        if has_target:
            middle = (end + annual_target) / 2
            spots = _beside(6.0, "left", side) + _beside(6.0, "left", other)[1:]
            labels.append((gap_text, [((bracket_x, middle), spot) for spot in spots],
                           {"fontsize": 8, "color": gap_colour, "fontweight": "bold"}, 1.5))
            target_spots = [((anchor_x, annual_target), (0.0, dy, ha, va))
                            for anchor_x, ha in ((-0.45, "left"), (n - 0.5 + 1.3, "right"), (0.5, "center"),
                                                 (1.5, "center"))
                            for dy, va in ((3.0, "bottom"), (-3.0, "top"))]
            labels.append((f"Target {fmt(annual_target, 0)}", target_spots, plain, 0.5))
        paths: list[tuple[Path, bool]] = []
        for line in ax.get_lines():
            if line.get_visible():
                line_path = line.get_transform().transform_path(line.get_path())
                paths.append((line_path, False))
        for coll in ax.collections:
            paths += [(coll.get_transform().transform_path(p), True) for p in coll.get_paths()]
        rects = [patch.get_window_extent(renderer) for patch in ax.patches]
        for line in ax.get_lines():      # markers (points, whisker caps): a box of the marker's size
            if line.get_marker() not in (None, "None", "", " "):
                half = (line.get_markersize() / 2 + 0.5) * px_per_pt
                rects += [Bbox([[px - half, py - half], [px + half, py + half]])
                          for px, py in line.get_transform().transform(line.get_xydata())]
        rects += [t.get_window_extent(renderer) for t in fixed_texts]
        rows = [float(to_px((0, annual_target))[1])] if has_target else []
        inside = ax.get_window_extent(renderer)
        boxes, blocked = [], []
        for text, spots, style, _ in labels:
            size = text_size(fig, renderer, text, **style)
            b = np.vstack([_candidate_boxes(tuple(to_px(anchor)), size, [spot], px_per_pt) for anchor, spot in spots])
            boxes.append(b)
            blocked.append(_blocked(b, paths, rects, inside, rows))
        for (text, spots, style, _), pick in zip(labels, _choose_spots(boxes, blocked, [w for *_, w in labels])):
            anchor, (dx, dy, ha, va) = spots[pick]
            ax.annotate(text, anchor, xytext=(dx, dy), textcoords="offset points", ha=ha, va=va, zorder=5,
                        **style)
    return fig


@remembered
def health_trend(timeline: pd.DataFrame, title: str = "Health and target attainment over the quarters",
                 limit: float = SANE_CHANGE) -> Figure:
    """Health score (0-100, left) and quarter attainment (right, %) for up to eight quarters and this one,
    from ``History.account_timeline``. A quarter recomputed from today's data (no record of it) is drawn
    with a hollow marker, so the reader can tell what was reported then from what was worked out now."""
    from .style import percent_axis

    with house():
        fig, ax = figure(7.0, 2.6)
        ax.set_title(title)
        if timeline.empty:
            ax.text(0.5, 0.5, "No earlier quarter to show", transform=ax.transAxes, ha="center", color=GREY)
            ax.set_axis_off()
            return fig
        x = np.arange(len(timeline))
        recorded = ~timeline["source"].astype(str).str.startswith("recomputed").to_numpy()
        health = timeline["health_score"].astype("float64").to_numpy()
        ax.plot(x, health, color=NAVY, linewidth=2, zorder=3, label="Health score (left)")
        ax.scatter(x[recorded], health[recorded], s=36, color=NAVY, zorder=4)
        ax.scatter(x[~recorded], health[~recorded], s=36, facecolor="white", edgecolor=NAVY, zorder=4,
                   label="Recomputed from today's data")
        ax.set_ylim(0, 105)
        ax.set_ylabel("Health (0-100)")
        right = ax.twinx()
        attainment = timeline["attainment_q"].astype("float64").to_numpy()
        too_small = np.abs(np.nan_to_num(attainment)) > limit     # its target too small to compare: not drawn
        attainment = np.where(too_small, np.nan, attainment)
        if too_small.any():
            ax.text(0.99, 0.03, f"Attainment not drawn for {int(too_small.sum())} quarter"
                    f"{'s' if too_small.sum() != 1 else ''}: target too small to compare", transform=ax.transAxes,
                    ha="right", va="bottom", color=GREY, fontsize=7)
        right.plot(x, attainment, color=ORANGE, linewidth=1.6, linestyle="--", marker="D", markersize=4,
                   label="Target attainment (right)", zorder=2)
        top = np.nanmax(np.r_[attainment, 1.2]) if np.isfinite(attainment).any() else 1.2
        right.set_ylim(0, max(1.2, top * 1.1))
        right.yaxis.set_major_formatter(percent_axis())
        right.axhline(1.0, color=ORANGE, linewidth=0.6, alpha=0.6)
        right.grid(False)
        right.spines["right"].set_visible(True)
        ax.set_xticks(x, list(timeline["quarter"]), fontsize=7.5)
        ax.grid(axis="x", visible=False)
        handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
        labels = ax.get_legend_handles_labels()[1] + right.get_legend_handles_labels()[1]
        ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncols=3, fontsize=7.5)
    return fig
