"""``kamreports._fast``: the vectorised helpers give what the plain pandas they replace gives.

``is_in`` is ``Series.isin`` for text ids, except that a missing value is never in the set;
``per_distinct`` is the transform applied to every row, computed once per distinct value.
"""
from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from kamreports._fast import is_in, per_distinct

IDS = pd.Series(["A1", "B2", None, "C3", np.nan, pd.NA, "A1"], index=[10, 11, 12, 13, 14, 15, 16], dtype=object)
ALLOWED = ["A1", "C3", "Z9"]


# --- is_in -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("allowed", [ALLOWED, set(ALLOWED), pd.Index(ALLOWED), pd.Series(ALLOWED, index=[7, 8, 9])],
                         ids=["list", "set", "index", "series"])
def test_is_in_by_hand_with_missing_values(allowed):
    out = is_in(IDS, allowed)
    # A1 yes, B2 no, None / NaN / NA never, C3 yes, A1 again yes
    assert out.tolist() == [True, False, False, True, False, False, True]
    assert out.dtype == bool and list(out.index) == [10, 11, 12, 13, 14, 15, 16]


def test_a_missing_value_is_not_in_even_when_the_set_holds_one():
    # Series.isin finds None in a set holding None; is_in drops missing values from both sides
    assert is_in(IDS, ["A1", None, np.nan]).tolist() == [True, False, False, False, False, False, True]
    assert IDS.isin(["A1", None]).tolist()[2] is True   # what is_in deliberately does not copy


@pytest.mark.parametrize("dtype", [object, "string", "string[pyarrow]"])
def test_is_in_matches_series_isin_on_text_ids(dtype):
    values = pd.Series(["ACC-0001", "acc-0001", "ACC-0002", "", " ACC-0001", None, "ACC-0003"] * 3, dtype=dtype)
    allowed = ["ACC-0001", "ACC-0003", ""]
    expected = values.isin(allowed) & values.notna()
    pd.testing.assert_series_equal(is_in(values, allowed), expected.astype(bool), check_names=False)
    # case and blanks count: only the exact text is in
    assert is_in(values, allowed).tolist()[:7] == [True, False, False, True, False, False, True]


def test_mixed_types_are_compared_as_their_text():
    values = pd.Series([1, "1", 2.5, "A1", None, 3], dtype=object)
    # 1 and "1" are both the text "1"; 2.5 is "2.5"; 3 is "3", not in; None never
    assert is_in(values, ["1", "2.5"]).tolist() == [True, True, True, False, False, False]
    assert is_in(values, [1, 2.5]).tolist() == [True, True, True, False, False, False]   # the set as text too


def test_is_in_on_empty_inputs():
    assert is_in(pd.Series([], dtype=object), ["A1"]).tolist() == []
    assert is_in(pd.Series(["A1", None]), []).tolist() == [False, False]


def test_is_in_without_pyarrow_gives_the_same_for_text_ids(monkeypatch):
    with_arrow = is_in(IDS, ALLOWED)
    monkeypatch.setitem(sys.modules, "pyarrow", None)           # `import pyarrow` now raises ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.compute", None)
    pd.testing.assert_series_equal(is_in(IDS, ALLOWED), with_arrow)


# --- per_distinct ----------------------------------------------------------------------------------

def row_by_row(values: pd.Series, transform) -> pd.Series:
    """The transform applied to each row on its own: what per_distinct must equal."""
    return pd.Series([transform(pd.Series([v], dtype=values.dtype)).iloc[0] for v in values], index=values.index)


class Spy:
    """A transform that records the length of every Series it is given."""

    def __init__(self, transform) -> None:
        self.transform, self.calls = transform, []

    def __call__(self, values: pd.Series) -> pd.Series:
        self.calls.append(len(values))
        return self.transform(values)


def upper(t: pd.Series) -> pd.Series:
    return t.str.upper()


def doubled_number(t: pd.Series) -> pd.Series:
    return pd.to_numeric(t, errors="coerce") * 2


QUARTERS = pd.Series(["2026q1", "2026q2", "2026q1", "2026q1", None, "2026q2", "2026q1", "2026q1", "2026q1"],
                     index=list("abcdefghi"), dtype="string")


def test_per_distinct_by_hand_computes_each_distinct_value_once():
    spy = Spy(upper)
    out = per_distinct(QUARTERS, spy)
    assert out.tolist() == ["2026Q1", "2026Q2", "2026Q1", "2026Q1", pd.NA, "2026Q2", "2026Q1", "2026Q1", "2026Q1"]
    assert list(out.index) == list("abcdefghi") and out.dtype == "string"
    # 2 distinct values (9 rows, so 2 x 4 <= 9): once for the two, once for the missing value
    assert spy.calls == [2, 1]
    pd.testing.assert_series_equal(out, upper(QUARTERS))
    pd.testing.assert_series_equal(out, row_by_row(QUARTERS, upper).astype("string"))


def test_per_distinct_numbers_with_nan_equal_the_transform_row_by_row():
    values = pd.Series(["1", "2", "1", "1", "1", "2", "2", np.nan, "x", "1"], dtype=object)
    out = per_distinct(values, doubled_number)
    # "1" -> 2, "2" -> 4, NaN -> NaN, "x" (not a number) -> NaN
    assert out.tolist()[:7] == [2.0, 4.0, 2.0, 2.0, 2.0, 4.0, 4.0] and out.tolist()[9] == 2.0
    assert np.isnan(out.iloc[7]) and np.isnan(out.iloc[8])
    pd.testing.assert_series_equal(out, doubled_number(values))
    pd.testing.assert_series_equal(out, row_by_row(values, doubled_number))


def test_per_distinct_on_object_text_gives_a_missing_value_where_the_row_is_missing():
    values = QUARTERS.astype(object)
    out, plain = per_distinct(values, upper), upper(values)
    # the missing row gets what upper makes of pd.NA (NA), the plain transform keeps None: both missing
    assert out.isna().tolist() == plain.isna().tolist() == [False] * 4 + [True] + [False] * 4
    assert out.dropna().tolist() == plain.dropna().tolist()


def test_a_mostly_distinct_column_is_transformed_as_it_is():
    values = pd.Series(["d", "a", "c", "b", "a"], index=[5, 4, 3, 2, 1], dtype="string")
    spy = Spy(upper)
    out = per_distinct(values, spy)
    assert spy.calls == [5]                       # 4 distinct x 4 > 5 rows: one call on the whole column
    assert out.tolist() == ["D", "A", "C", "B", "A"] and list(out.index) == [5, 4, 3, 2, 1]
    pd.testing.assert_series_equal(out, row_by_row(values, upper).astype("string"))


def test_per_distinct_on_empty_and_all_missing_columns():
    empty = pd.Series([], dtype="string")
    assert per_distinct(empty, upper).tolist() == []
    spy = Spy(upper)
    missing = pd.Series([None, None, None], dtype="string")
    assert per_distinct(missing, spy).isna().all()
    assert spy.calls == [3]                       # no distinct value: the column as it is
