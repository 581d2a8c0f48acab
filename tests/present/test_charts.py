"""The charts on their own (``kamreports.charts``), tested on their artists: the forecast chart's gap to
target, band and labels; the key-versus-rest rows; the KAM matrix's arrows and its directly named bubbles.

Label tests draw the figure on an Agg canvas and compare each text's window extent, in pixels, with the
other texts and with the lines and shapes it must keep clear of.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.text import Annotation, Text

from kamreports.charts.account import year_forecast_chart
from kamreports.charts.portfolio import kam_matrix as kam_matrix_chart
from kamreports.charts.roi import KEY_VS_OTHER_MEASURES, key_vs_other


def drawn(fig):
    """The figure drawn on an Agg canvas, so window extents are those of the printed chart."""
    FigureCanvasAgg(fig).draw()
    return fig


def text_boxes(ax) -> dict[str, object]:
    """Each visible, non-empty text of ``ax`` (labels, notes) and its box; an annotation's box is its
    text alone, not its leader line."""
    return {t.get_text(): Text.get_window_extent(t) for t in ax.texts if t.get_visible() and t.get_text()}


def assert_apart(boxes: dict[str, object]) -> None:
    for (a, box_a), (b, box_b) in itertools.combinations(boxes.items(), 2):
        assert not box_a.overlaps(box_b), (a, b)


def luminance(colour) -> float:
    r, g, b = to_rgb(colour)
    return 255 * (0.299 * r + 0.587 * g + 0.114 * b)      # what PIL's convert("L") makes of it


# --- the full-year forecast --------------------------------------------------------------------------

def forecast_path(actuals: list[float], run_rate: float, band: float) -> pd.DataFrame:
    """A year shaped like ``analytics.growth.forecast_path``: the quarters done, then the run-rate."""
    done = len(actuals)
    ahead = np.maximum(np.arange(1, 5) - done, 0)
    cum = np.cumsum(np.r_[actuals, np.zeros(4 - done)])
    return pd.DataFrame({
        "kind": np.where(ahead == 0, "actual", "forecast"), "revenue": np.r_[actuals, [np.nan] * (4 - done)],
        "forecast": np.where(ahead == 0, np.nan, run_rate), "target": np.nan,
        "cumulative": cum + ahead * run_rate, "cumulative_low": cum + ahead * run_rate * (1 - band),
        "cumulative_high": cum + ahead * run_rate * (1 + band)},
        index=pd.Index([f"2026Q{i}" for i in range(1, 5)], name="quarter"))


HALF_YEAR = forecast_path([100.0, 110.0], 120.0, 0.2)        # ends at 450, range 402-498
SHAPES = {  # name -> (path, annual target, the gap label)
    "above target": (HALF_YEAR, 380.0, "+$70 (118% of target)"),
    "below target": (HALF_YEAR, 520.0, "−$70 (87% of target)"),
    "on target": (HALF_YEAR, 450.0, "On target (100%)"),
    "just below": (HALF_YEAR, 452.0, "−$2 (99.6% of target)"),
    "just above, near the top": (HALF_YEAR, 425.0, "+$25 (106% of target)"),
    "no target": (HALF_YEAR, None, None),
    "Q4, nothing ahead": (forecast_path([100.0, 110.0, 120.0, 125.0], 0.0, 0.0), 470.0, "−$15 (97% of target)"),
    "tiny range": (forecast_path([100.0, 110.0, 118.0], 121.0, 0.002), 440.0, "+$9 (102% of target)"),
    "far below": (forecast_path([100.0, 110.0], 120.0, 0.3), 1400.0, "−$950 (32% of target)"),
    "one quarter done": (forecast_path([100.0], 120.0, 0.4), 300.0, "+$160 (153% of target)"),
    "tiny target": (HALF_YEAR, 50.0, "+$400 (900% of target)"),
    "millions": (forecast_path([3.35e6, 3.33e6, 3.49e6], 3.41e6, 0.07), 13_853_700.0, "−$274K (98% of target)"),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_forecast_labels_clear_each_other_the_target_line_the_band_and_the_legend(shape):
    path, target, gap = SHAPES[shape]
    fig = drawn(year_forecast_chart(path, target))
    ax = fig.axes[0]
    boxes = text_boxes(ax)
    assert_apart(boxes)
    inside = ax.get_window_extent()
    legend = ax.get_legend().get_window_extent()
    band = [c.get_transform().transform_path(p) for c in ax.collections for p in c.get_paths()]
    row = ax.transData.transform((0, target))[1] if target else None
    for text, box in boxes.items():
        assert inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 and box.y1 <= inside.y1, text
        assert not box.overlaps(legend), text
        assert not any(p.intersects_bbox(box, filled=True) for p in band), text
        if row is not None:
            assert not box.y0 <= row <= box.y1, text          # the target line runs the axes' full width
    end = float(path["cumulative"].iloc[-1])
    label = next(t for t in boxes if t.startswith(("Forecast ", "Actual ")))
    if target:
        assert gap in boxes
        assert any(t.startswith("Target $") for t in boxes)
        # the forecast's label sits on the forecast's side of the target line
        if end != target:
            above = boxes[label].y0 > row
            assert above == (end > target), shape
        # the bracket: one line from the year's end point to the target
        assert any({round(end, 6), round(target, 6)} <= {round(float(y), 6) for y in line.get_ydata()}
                   and len(set(np.round(line.get_xdata(), 6))) == 2 for line in ax.get_lines())
    else:
        assert "No full-year target set" in boxes and not any("of target" in t for t in boxes)


def test_forecast_band_reads_in_print_and_grayscale():
    fig = year_forecast_chart(HALF_YEAR, 520.0)
    (band,) = fig.axes[0].collections
    face, edge = band.get_facecolor()[0], band.get_edgecolor()[0]
    assert face[3] == 1.0                                    # opaque: no pale wash over white paper
    assert 150 <= luminance(face[:3]) <= 215                 # a mid grey in grayscale: clear of the page and the navy
    assert luminance(edge[:3]) < 100 and band.get_linewidth()[0] > 0   # a dark outline
    # the year-end range also as a whisker, however thin the band: a vertical line from low to high at the end
    assert any(list(line.get_ydata()) == [402.0, 498.0] for line in fig.axes[0].get_lines())
    # Q4: nothing ahead, no band, no whisker
    q4 = year_forecast_chart(SHAPES["Q4, nothing ahead"][0], 470.0)
    assert len(q4.axes[0].collections) == 0


def test_forecast_label_keeps_a_range_that_rounds_to_one_figure_out():
    fig = year_forecast_chart(forecast_path([100.0, 110.0, 118.0], 121.0, 0.002), 455.0)
    assert "Forecast $449" in [t.get_text() for t in fig.axes[0].texts]      # not "($449–$449)"


# --- key accounts against the rest -------------------------------------------------------------------

GROUPS = pd.DataFrame({"growth": [0.137, 0.069, 0.116], "grr": [0.985, 0.942, 0.971],
                       "nrr": [1.082, 1.026, 1.064], "gross_margin_pct": [0.494, 0.467, 0.486],
                       "profit_pct": [0.439, 0.433, 0.437]}, index=["key", "other", "all"])


def row_points(ax) -> dict[str, float]:
    """The dots of one row, by group (a row draws the key and other groups as two scatter collections)."""
    out = {}
    for coll in ax.collections:
        x = float(coll.get_offsets()[0][0])
        out["key" if luminance(coll.get_facecolor()[0][:3]) < 100 else "other"] = x
    return out


def test_key_vs_other_one_row_per_measure_each_with_its_own_scale_where_the_gap_shows():
    fig = drawn(key_vs_other(GROUPS))
    assert fig.get_figwidth() == 7.0 and 3.0 <= fig.get_figheight() <= 4.0
    axes = fig.axes
    assert len(axes) == len(KEY_VS_OTHER_MEASURES)
    for ax, (measure, name) in zip(axes, KEY_VS_OTHER_MEASURES):
        assert [t.get_text() for t in ax.get_yticklabels()] == [name]
        key, other = GROUPS.at["key", measure], GROUPS.at["other", measure]
        assert row_points(ax) == pytest.approx({"key": key, "other": other})
        left, right = ax.get_xlim()
        assert left > 0 or measure == "growth" and left > -0.1    # no row starts at zero
        # the gap takes a visible share of the row: at least 5% of its width (0.6 points on a 10-point row)
        assert abs(key - other) / (right - left) >= 0.05, measure
        assert right - left <= 0.2                               # and the row is not the 0-120% axis of old
        labels = [t.get_text() for t in ax.texts]
        assert f"{key:.1%}" in labels and f"{other:.1%}" in labels
        assert f"{(key - other) * 100:+.1f} pts" in labels
        assert_apart(text_boxes(ax))
    # retention: its reference, 100%, is drawn where it falls in the row
    grr = axes[1]
    assert any(list(line.get_xdata()) == [1.0, 1.0] for line in grr.get_lines())
    note = fig.get_supxlabel()
    assert "own scale" in note and "zero" in note


def test_key_vs_other_groups_differ_in_grayscale_and_in_shape():
    fig = key_vs_other(GROUPS)
    key, other = fig.axes[0].collections if luminance(fig.axes[0].collections[0].get_facecolor()[0][:3]) < 100 \
        else fig.axes[0].collections[::-1]
    assert luminance(other.get_facecolor()[0][:3]) - luminance(key.get_facecolor()[0][:3]) > 80
    assert key.get_paths()[0] != other.get_paths()[0]         # circle against square
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["Key accounts", "Other accounts"]


def test_key_vs_other_says_n_a_for_a_missing_group():
    fig = drawn(key_vs_other(GROUPS.loc[["key", "all"]]))
    for ax in fig.axes:
        texts = [t.get_text() for t in ax.texts]
        assert "Other accounts: n/a" in texts and "n/a" in texts
        assert_apart(text_boxes(ax))


# --- the KAM matrix ----------------------------------------------------------------------------------

def chart_points(n: int, strength, attractiveness, quadrant="Strategic") -> pd.DataFrame:
    return pd.DataFrame({
        "name": [f"Account {i}" for i in range(n)],
        "strength": strength, "attractiveness": attractiveness, "quadrant": quadrant,
        "whitespace_value": np.linspace(100, 1000, n), "revenue_t4q": np.arange(n, 0, -1) * 100.0,
    }, index=[f"C{i}" for i in range(n)])


def arrows(fig) -> list[Annotation]:
    return [t for t in fig.axes[0].texts if isinstance(t, Annotation) and t.get_text() == ""]


def matrix_labels(fig, points: pd.DataFrame) -> tuple[dict[str, str], dict[str, str]]:
    """The bubbles named directly (account -> name as drawn) and those numbered (account -> number)."""
    # where the chart draws each bubble: an account not assessed on strength sits on strength_derived, else on
    # the split line (5)
    fallback = points["strength_derived"] if "strength_derived" in points else pd.Series(np.nan, index=points.index)
    x = points["strength"].astype("float64").fillna(fallback.astype("float64")).fillna(5.0)
    where = {(x[account], row["attractiveness"]): account for account, row in points.iterrows()}
    named, numbered = {}, {}
    for t in fig.axes[0].texts:
        if isinstance(t, Annotation) and t.get_text():
            account = where[t.xy]
            (numbered if t.get_text().isdigit() else named)[account] = t.get_text()
    return named, numbered


def assert_matrix_labels_read(fig, points: pd.DataFrame) -> tuple[dict[str, str], dict[str, str]]:
    """Every bubble labelled once; no two texts overlap; each name inside the axes and nearer its own
    bubble than any other; the key lists exactly the numbered bubbles, with their names."""
    drawn(fig)
    ax = fig.axes[0]
    named, numbered = matrix_labels(fig, points)
    assert not set(named) & set(numbered)
    assert set(named) | set(numbered) == set(points.index)
    assert_apart(text_boxes(ax))
    order = list(points.sort_values("revenue_t4q", ascending=False, kind="mergesort").index)
    assert {a: int(v) for a, v in numbered.items()} == {a: order.index(a) + 1 for a in numbered}
    (bubbles,) = ax.collections
    centres = bubbles.get_offset_transform().transform(bubbles.get_offsets())
    radii = np.sqrt(bubbles.get_sizes()) / 2 * fig.dpi / 72
    index = {(float(x), float(y)): i for i, (x, y) in enumerate(bubbles.get_offsets())}
    inside = ax.get_window_extent()
    for t in ax.texts:
        if isinstance(t, Annotation) and t.get_text() and not t.get_text().isdigit():
            box = Text.get_window_extent(t)
            assert inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 and box.y1 <= inside.y1
            nearest = np.clip(centres, [box.x0, box.y0], [box.x1, box.y1])
            gaps = np.hypot(*(nearest - centres).T) - radii       # box to each bubble's edge, pixels
            own = index[tuple(float(v) for v in t.xy)]
            assert gaps[own] > 0 and (np.delete(gaps, own) > gaps[own]).all(), t.get_text()
    key = [t.get_text() for t in fig.axes[1].texts]
    names = points["name"]
    for account, number in numbered.items():
        assert number in key and names[account] in key
    for account in named:
        assert str(order.index(account) + 1) not in key
    return named, numbered


def test_chart_draws_arrows_only_for_accounts_that_moved():
    points = chart_points(3, [8.0, 6.0, 3.0], [8.0, 6.0, 7.0], ["Strategic", "Strategic", "Star"])
    previous = pd.DataFrame({"strength": [2.0, 6.05], "attractiveness": [2.0, 6.0],
                             "quadrant": ["Streamline", "Strategic"]}, index=["C0", "C1"])
    fig = kam_matrix_chart(points, previous=previous, previous_label="2026Q1")
    # C0 moved (2,2) -> (8,8) and changed quadrant: one arrow; C1 moved 0.05 (< 0.3): none; C2 is new: none
    (arrow,) = arrows(fig)
    assert arrow.xy == (8.0, 8.0) and arrow.xyann == (2.0, 2.0)
    key = [t.get_text() for t in fig.axes[1].texts]
    assert "Account 0" in key and "was Streamline" in key      # named on the chart; its old quadrant in the key
    assert any("2026Q1" in t for t in key)
    assert arrows(kam_matrix_chart(points)) == []


def test_matrix_names_spread_bubbles_directly_and_keys_none():
    points = chart_points(6, [9.0, 7.5, 6.0, 3.0, 2.0, 8.0], [9.0, 3.0, 6.0, 8.0, 2.0, 6.5])
    named, numbered = assert_matrix_labels_read(kam_matrix_chart(points), points)
    assert numbered == {}
    assert named == {a: f"Account {i}" for i, a in enumerate(points.index)}


def test_matrix_pile_numbers_what_cannot_be_named_and_nothing_overlaps():
    # twelve bubbles piled on almost the same spot: the worst case for labels
    n = 12
    points = chart_points(n, 6 + np.linspace(0, 0.3, n), 7 + np.linspace(0, 0.3, n)).iloc[::-1]
    fig = kam_matrix_chart(points)
    named, numbered = assert_matrix_labels_read(fig, points)
    assert numbered                       # a pile cannot be named bubble by bubble
    if "C0" in numbered:                  # number 1 is the largest revenue (C0), whatever the input order
        assert numbered["C0"] == "1"


def test_matrix_long_names_wrap_or_truncate():
    points = chart_points(3, [8.0, 5.5, 2.5], [8.0, 5.5, 2.5])
    points["name"] = ["Northern Lights Renewable Energy Holdings", "A B", "Solo"]
    named, _ = assert_matrix_labels_read(kam_matrix_chart(points), points.assign(
        name=["Northern Lights Renewab…", "A B", "Solo"]))
    assert named["C0"].replace("\n", " ") == "Northern Lights Renewab…"


def test_chart_empty_and_single():
    assert arrows(kam_matrix_chart(chart_points(0, [], []))) == []
    fig = kam_matrix_chart(chart_points(1, [5.0], [5.0]), previous=pd.DataFrame(columns=["strength",
                                                                                          "attractiveness"]))
    assert arrows(fig) == []
    assert matrix_labels(fig, chart_points(1, [5.0], [5.0]))[0] == {"C0": "Account 0"}


# --- the sample company ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample():
    from kamreports import open_portfolio

    return open_portfolio()


def test_sample_matrix_names_at_least_three_quarters_of_the_key_accounts(sample):
    points = sample.key_accounts
    fig = kam_matrix_chart(points, sample.settings.matrix.split, previous=sample.previous_matrix)
    named, numbered = assert_matrix_labels_read(fig, points)
    assert len(points) == 20
    assert len(named) >= 15, sorted(numbered)


@pytest.mark.parametrize("account", ["ACC-0001", "ACC-0002", "ACC-0009"])   # off track, on track, no target
def test_sample_forecast_labels_clear_the_target_line(sample, account):
    target = sample.summary.at[account, "fy_annual_target"]
    fig = drawn(year_forecast_chart(sample.account(account).forecast_path, target))
    ax = fig.axes[0]
    boxes = text_boxes(ax)
    assert_apart(boxes)
    if pd.notna(target):
        row = ax.transData.transform((0, target))[1]
        assert not any(box.y0 <= row <= box.y1 for box in boxes.values())
        gap = sample.summary.at[account, "fy_gap_to_target"]
        assert any(t.startswith("−" if gap < 0 else "+") and t.endswith("of target)") for t in boxes)
        forecast = next(box for t, box in boxes.items() if t.startswith("Forecast "))
        assert (forecast.y0 > row) == (gap > 0)                 # on the forecast's side of the target line


def test_sample_key_vs_other_shows_every_gap(sample):
    fig = key_vs_other(sample.roi.groups)
    for ax, (measure, _) in zip(fig.axes, KEY_VS_OTHER_MEASURES):
        key, other = sample.roi.groups.at["key", measure], sample.roi.groups.at["other", measure]
        left, right = ax.get_xlim()
        assert abs(key - other) / (right - left) >= 0.05, measure
