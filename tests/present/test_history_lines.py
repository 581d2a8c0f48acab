"""present.history's one-line statements: worded for the figure they quote (singular, plural, a move
smaller than a point), never '1 points' or '-0'."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from kamreports.present.history import health_driver_line
from tests.present.test_present_pages import elements


def _line(driver):
    history = SimpleNamespace(previous=SimpleNamespace(label="2026Q2 (as reported)"),
                              health_driver=lambda _account: driver)
    return elements(health_driver_line(history, SimpleNamespace(account_id="A1")), "p")[0][1]


@pytest.mark.parametrize("driver, expected", [
    (("growth", -1.2), "Health moved most on growth: -1 point since 2026Q2 (as reported)."),
    (("growth", 0.6), "Health moved most on growth: +1 point since 2026Q2 (as reported)."),
    (("nps", 12.4), "Health moved most on customer score: +12 points since 2026Q2 (as reported)."),
    (("attainment", -30.0), "Health moved most on target attainment: -30 points since 2026Q2 (as reported)."),
    (("growth", -0.3), "No health component moved by a whole point since 2026Q2 (as reported)."),
    (None, "No health component moved since 2026Q2 (as reported)."),
])
def test_the_health_driver_line(driver, expected):
    assert _line(driver) == expected


def test_no_line_without_a_previous_quarter():
    assert health_driver_line(None, SimpleNamespace(account_id="A1")) is None
    assert health_driver_line(SimpleNamespace(previous=None), SimpleNamespace(account_id="A1")) is None


def _history(before: dict, after: dict):
    import pandas as pd

    from kamreports.analytics.movement import transitions

    frames = {c: (pd.Series(before[c]), pd.Series(after[c])) for c in before}
    return SimpleNamespace(previous=SimpleNamespace(quarter="2026Q2", label="2026Q2 (as reported)"), notes=[],
                           describe=lambda: "Compared with 2026Q2 as reported then.",
                           transitions=lambda column: transitions(*frames[column]) if column in frames
                           else transitions(pd.Series(dtype="object"), pd.Series(dtype="object")))


def test_the_movement_table_has_one_row_per_dimension_counted_by_hand():
    from kamreports.present.history import movement_section
    from tests.present.test_present_pages import header, rows

    history = _history({"quadrant": {"A": "Star", "B": "Star", "C": "Status", "D": "Strategic"},
                        "health_band": {"A": "green", "B": "amber", "C": "red", "D": "green"}},
                       {"quadrant": {"A": "Strategic", "B": "Strategic", "C": "Status", "D": "Status"},
                        "health_band": {"A": "green", "B": "amber", "C": "red", "D": "green"}})
    note, shown = movement_section(history, "2026Q3")
    assert header(shown) == ["What", "Moves (accounts)", "Moved", "Unchanged"]
    # A and B: Star -> Strategic (2); D: Strategic -> Status (1); C stayed. No band moved: 4 stayed.
    assert rows(shown) == [["Quadrant", "Star → Strategic: 2; Strategic → Status: 1", "3", "1"],
                           ["Health band", "none", "0", "4"]]


def test_no_movement_at_all_is_one_sentence():
    from kamreports.present.history import movement_section

    same = {"quadrant": {"A": "Star"}, "health_band": {"A": "green"}}
    _note, line = movement_section(_history(same, same), "2026Q3")
    assert elements(line, "p")[0][1] == ("No account changed quadrant, relationship stage or health band since "
                                         "2026Q2 (as reported).")
