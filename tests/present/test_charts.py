"""The charts on their own (``kamreports.charts``): the KAM-matrix chart's arrows and legible labels."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.text import Annotation, Text

from kamreports.charts.portfolio import kam_matrix as kam_matrix_chart


def chart_points(n: int, strength, attractiveness, quadrant="Strategic") -> pd.DataFrame:
    return pd.DataFrame({
        "name": [f"Account {i}" for i in range(n)],
        "strength": strength, "attractiveness": attractiveness, "quadrant": quadrant,
        "whitespace_value": np.linspace(100, 1000, n), "revenue_t4q": np.arange(n, 0, -1) * 100.0,
    }, index=[f"C{i}" for i in range(n)])


def arrows(fig) -> list[Annotation]:
    return [t for t in fig.axes[0].texts if isinstance(t, Annotation) and t.get_text() == ""]


def test_chart_draws_arrows_only_for_accounts_that_moved():
    points = chart_points(3, [8.0, 6.0, 3.0], [8.0, 6.0, 7.0], ["Strategic", "Strategic", "Star"])
    previous = pd.DataFrame({"strength": [2.0, 6.05], "attractiveness": [2.0, 6.0],
                             "quadrant": ["Streamline", "Strategic"]}, index=["C0", "C1"])
    fig = kam_matrix_chart(points, previous=previous, previous_label="2026Q1")
    # C0 moved (2,2) -> (8,8) and changed quadrant: one arrow; C1 moved 0.05 (< 0.3): none; C2 is new: none
    (arrow,) = arrows(fig)
    assert arrow.xy == (8.0, 8.0) and arrow.xyann == (2.0, 2.0)
    key = [t.get_text() for t in fig.axes[1].texts]
    assert "was Streamline" in key
    assert any("2026Q1" in t for t in key)
    assert arrows(kam_matrix_chart(points)) == []


def test_chart_numbers_by_revenue_and_labels_do_not_overlap():
    # twelve bubbles piled on almost the same spot: the worst case for labels
    n = 12
    points = chart_points(n, 6 + np.linspace(0, 0.3, n), 7 + np.linspace(0, 0.3, n)).iloc[::-1]
    fig = kam_matrix_chart(points)
    numbers = [t for t in fig.axes[0].texts if isinstance(t, Annotation) and t.get_text().isdigit()]
    assert sorted(int(t.get_text()) for t in numbers) == list(range(1, n + 1))
    # number 1 is the largest revenue (C0), whatever the input order
    one = next(t for t in numbers if t.get_text() == "1")
    assert one.xy == (points.loc["C0", "strength"], points.loc["C0", "attractiveness"])
    fig.draw_without_rendering()
    boxes = [Text.get_window_extent(t) for t in numbers]     # the number alone, not its leader line
    for i in range(n):
        for j in range(i + 1, n):
            assert not boxes[i].overlaps(boxes[j]), (numbers[i].get_text(), numbers[j].get_text())
    key = [t.get_text() for t in fig.axes[1].texts]
    assert key[:4] == ["1", "Account 0", "2", "Account 1"]


def test_chart_empty_and_single():
    assert arrows(kam_matrix_chart(chart_points(0, [], []))) == []
    fig = kam_matrix_chart(chart_points(1, [5.0], [5.0]), previous=pd.DataFrame(columns=["strength",
                                                                                          "attractiveness"]))
    assert arrows(fig) == []
