"""Whitespace matrix, penetration, estimated whitespace and cross-sell, worked out by hand.

Reporting quarter 2026Q2: the T4Q window is 2025-07-01 .. 2026-06-30.

         P1    P2    P3    P4   | T4Q total   shares of the account's T4Q revenue
  W1    300   100     0     0   |   400       P1 .75  P2 .25           (Food)
  W2    100     0   100     0   |   200       P1 .50  P3 .50           (Food)
  W3     20    80     0     0   |   100       P1 .20  P2 .80           (Energy)
  W4      0    40     0     0   |    40       P2 1.0; P3 bought in 2025Q1 only: lapsed (Energy)
  W5: revenue only after the quarter, not in the matrix. Nobody buys P4.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kamreports.analytics.whitespace import (
    account_penetration,
    cross_sell,
    cross_sell_opportunities,
    last_bought,
    peer_groups,
    product_penetration,
    size_bands,
    whitespace_estimates,
    whitespace_matrix,
)
from kamreports.charts.style import png_bytes
from kamreports.charts.whitespace import whitespace_heatmap
from kamreports.config import Settings, Whitespace, load_settings
from kamreports.errors import ConfigError
from tests.conftest import Q, approx


def revenue(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["account_id", "date", "product_id", "revenue"])
    df["date"] = pd.to_datetime(df["date"])
    return df.assign(cogs=np.nan)


REVENUE = revenue([
    ("W1", "2025-08-01", "P1", 200.0), ("W1", "2026-06-30", "P1", 100.0), ("W1", "2025-07-01", "P2", 100.0),
    ("W1", "2025-06-30", "P3", 999.0),            # the day before the window: last bought 2025Q2
    ("W1", "2026-07-15", "P3", 999.0),            # after the quarter: ignored
    ("W2", "2025-09-09", "P1", 100.0), ("W2", "2026-01-01", "P3", 100.0),
    ("W3", "2026-02-02", "P1", 20.0), ("W3", "2026-03-03", "P2", 80.0),
    ("W4", "2026-04-04", "P2", 40.0), ("W4", "2025-03-01", "P3", 70.0),
    ("W5", "2026-08-01", "P1", 500.0),
])
PRODUCTS = pd.DataFrame({"product_id": ["P1", "P2", "P3", "P4"],
                         "name": ["Core", "Support", "Training", "Hardware"]})
ACCOUNTS = pd.DataFrame({"account_id": ["W1", "W2", "W3", "W4", "W5"],
                         "industry": ["Food", "Food", "Energy", "Energy", "Retail"]})


@pytest.fixture(scope="module")
def matrix():
    return whitespace_matrix(REVENUE, PRODUCTS, Q)


def test_matrix_by_hand(matrix):
    assert list(matrix.index) == ["W1", "W2", "W3", "W4"]          # W5's revenue is after 2026Q2
    assert list(matrix.columns) == ["P1", "P2", "P3", "P4"]        # products-table order; P4 bought by none
    assert matrix.to_numpy().tolist() == [[300, 100, 0, 0], [100, 0, 100, 0], [20, 80, 0, 0], [0, 40, 0, 0]]


def test_last_bought_marks_lapsed_products():
    last = last_bought(REVENUE, Q)
    assert last.loc["W4", "P3"] == "2025Q1"
    assert last.loc["W1", "P3"] == "2025Q2"                        # the 2026-07-15 sale is after the quarter
    assert last.loc["W1", "P1"] == "2026Q2"
    assert pd.isna(last.loc["W2", "P2"])


def test_penetration_by_hand(matrix):
    acc = account_penetration(matrix)
    assert acc["products_bought"].tolist() == [2, 2, 2, 1]
    assert acc["penetration"].tolist() == approx([0.5, 0.5, 0.5, 0.25])    # of 4 products
    assert acc["revenue_t4q"].tolist() == approx([400.0, 200.0, 100.0, 40.0])
    prod = product_penetration(matrix)
    assert prod["accounts_buying"].tolist() == [3, 3, 1, 0]
    assert prod["penetration"].tolist() == approx([0.75, 0.75, 0.25, 0.0])   # of 4 accounts
    assert prod.loc["P1", "median_buyer_revenue"] == approx(100.0)           # median(300, 100, 20)
    assert prod.loc["P2", "median_buyer_revenue"] == approx(80.0)            # median(100, 80, 40)
    assert math.isnan(prod.loc["P4", "median_buyer_revenue"])


def test_size_bands_ranks_ties_single():
    # totals 400, 200, 100, 40 -> ranks 4, 3, 2, 1 -> floor((r-1) * 3 / 4) + 1 = 3, 2, 1, 1
    assert size_bands(pd.Series([400.0, 200, 100, 40])).tolist() == [3, 2, 1, 1]
    # all equal: each at the average rank 2 -> floor(1 * 3 / 3) + 1 = 2, one shared band
    assert size_bands(pd.Series([5.0, 5.0, 5.0])).tolist() == [2, 2, 2]
    assert size_bands(pd.Series([7.0])).tolist() == [1]
    assert size_bands(pd.Series([1.0, 2, 3, 4]), bands=1).tolist() == [1, 1, 1, 1]


def estimates_by(est: pd.DataFrame) -> pd.DataFrame:
    return est.set_index(["account_id", "product_id"])


def test_estimates_against_all_buyers(matrix):
    est = estimates_by(whitespace_estimates(matrix, peer_groups(matrix, rule="all"), min_peers=1))
    # one row per (account, product not bought): 2 + 2 + 2 + 3 = 9
    assert len(est) == 9
    assert est.loc[("W2", "P2"), "peer_share"] == approx(0.8)     # median(.25, .80, 1.0)
    assert est.loc[("W2", "P2"), "estimate"] == approx(160.0)     # .8 * 200
    assert est.loc[("W4", "P1"), "estimate"] == approx(20.0)      # median(.75, .5, .2) = .5; * 40
    assert est.loc[("W4", "P3"), "estimate"] == approx(20.0)      # W2's .5 * 40
    assert est.loc[("W1", "P3"), "estimate"] == approx(200.0)     # .5 * 400
    assert est.loc[("W3", "P3"), "estimate"] == approx(50.0)      # .5 * 100
    assert est.loc[("W2", "P2"), "peers"] == 3 and est.loc[("W2", "P2"), "peer_scope"] == "all"
    p4 = est.xs("P4", level="product_id")
    assert p4["estimate"].isna().all() and (p4["peer_scope"] == "no buyers").all() and (p4["peers"] == 0).all()


def test_estimates_by_industry_fall_back_to_all_buyers(matrix):
    groups = peer_groups(matrix, ACCOUNTS, rule="industry")
    est = estimates_by(whitespace_estimates(matrix, groups, min_peers=1))
    assert est.loc[("W4", "P1"), "estimate"] == approx(8.0)       # Energy buyer W3: .2 * 40
    assert est.loc[("W4", "P1"), "peer_scope"] == "Energy"
    assert est.loc[("W2", "P2"), "estimate"] == approx(50.0)      # Food buyer W1: .25 * 200
    assert est.loc[("W3", "P3"), "peer_scope"] == "all buyers"    # no Energy account buys P3
    assert est.loc[("W3", "P3"), "estimate"] == approx(50.0)
    # with min_peers 2 the single Energy buyer is too few: all buyers, .5 * 40
    est2 = estimates_by(whitespace_estimates(matrix, groups, min_peers=2))
    assert est2.loc[("W4", "P1"), "estimate"] == approx(20.0)
    assert est2.loc[("W4", "P1"), "peer_scope"] == "all buyers"


def test_estimates_by_size_band(matrix):
    groups = peer_groups(matrix, rule="size", bands=3)
    assert groups.tolist() == ["size band 3 of 3", "size band 2 of 3", "size band 1 of 3", "size band 1 of 3"]
    est = estimates_by(whitespace_estimates(matrix, groups, min_peers=1))
    assert est.loc[("W4", "P1"), "estimate"] == approx(8.0)       # band-1 buyer W3: .2 * 40
    assert est.loc[("W2", "P2"), "peer_scope"] == "all buyers"    # no band-2 account buys P2
    with pytest.raises(ValueError):
        peer_groups(matrix, rule="colour")


def test_cross_sell_ranks_with_reasons(matrix):
    est = whitespace_estimates(matrix, peer_groups(matrix, rule="all"), min_peers=1)
    top = cross_sell(est, PRODUCTS, top_n=2, history=last_bought(REVENUE, Q))
    # P4 (no estimate) is never listed; W4's tie at 20 goes to the product id: P1 then P3
    assert top[["account_id", "rank", "product_id"]].apply(tuple, axis=1).tolist() == [
        ("W1", 1, "P3"), ("W2", 1, "P2"), ("W3", 1, "P3"), ("W4", 1, "P1"), ("W4", 2, "P3")]
    w4 = top[top["account_id"] == "W4"].set_index("product_id")
    assert w4.loc["P3", "product"] == "Training"
    assert w4.loc["P3", "lapsed"] == "2025Q1" and w4.loc["P1", "lapsed"] == ""
    assert w4.loc["P3", "reason"] == ("Lapsed: last bought in 2025Q1. 1 buyer spends a median 50% of their revenue "
                                      "with us on it: 50% × $40 = $20 a year.")
    assert top.set_index("account_id").loc["W2", "reason"] == (
        "3 buyers spend a median 80% of their revenue with us on it: 80% × $200 = $160 a year.")
    assert top.set_index("account_id").loc["W1", "lapsed"] == "2025Q2"
    industry = whitespace_estimates(matrix, peer_groups(matrix, ACCOUNTS, rule="industry"), min_peers=1)
    assert cross_sell(industry, PRODUCTS, top_n=1).set_index("account_id").loc["W2", "reason"] == (
        "1 buyer in Food spends a median 25% of their revenue with us on it: 25% × $200 = $50 a year.")
    assert len(cross_sell(est, PRODUCTS, top_n=1)) == 4


def test_single_account_and_account_without_t4q_revenue():
    one = whitespace_matrix(REVENUE[REVENUE["account_id"] == "W3"], PRODUCTS, Q)
    est = whitespace_estimates(one, peer_groups(one), min_peers=1)
    assert est["estimate"].isna().all()                           # nobody else to compare with
    assert cross_sell(est, PRODUCTS).empty
    assert account_penetration(one)["penetration"].tolist() == [0.5]
    # W4's only T4Q sale removed: it stays in the matrix (revenue to date), worth 0 to cross-sell
    lapsed = REVENUE[~((REVENUE["account_id"] == "W4") & (REVENUE["product_id"] == "P2"))]
    m = whitespace_matrix(lapsed, PRODUCTS, Q)
    assert m.loc["W4"].sum() == 0
    est = estimates_by(whitespace_estimates(m, peer_groups(m, rule="all"), min_peers=1))
    assert est.loc[("W4", "P1"), "estimate"] == 0.0
    assert "W4" not in set(cross_sell(est.reset_index(), PRODUCTS)["account_id"])


def test_all_accounts_equal_get_equal_estimates():
    rows = [(a, "2026-01-10", "P1", 100.0) for a in ("E1", "E2", "E3")] + [("E1", "2026-01-10", "P2", 100.0)]
    m = whitespace_matrix(revenue(rows), PRODUCTS, Q)
    est = estimates_by(whitespace_estimates(m, peer_groups(m, rule="all"), min_peers=1))
    # E1's P2 share is .5 -> E2 and E3 each .5 * 100 = 50
    assert est.loc[("E2", "P2"), "estimate"] == est.loc[("E3", "P2"), "estimate"] == approx(50.0)


def test_cross_sell_opportunities_in_one_call():
    out = cross_sell_opportunities(REVENUE, PRODUCTS, ACCOUNTS, Q, top_n=1, peer_group="industry", min_peers=1)
    w4 = out[out["account_id"] == "W4"].iloc[0]
    # industry peers: P1 8 (Energy's W3), P3 20 (all buyers: W2's .5 * 40) -> P3 first
    assert (w4["product_id"], w4["estimate"], w4["lapsed"]) == ("P3", approx(20.0), "2025Q1")


def test_whitespace_heatmap_marks_cells_not_bought(matrix):
    est = whitespace_estimates(matrix, peer_groups(matrix, rule="all"), min_peers=1)
    fig = whitespace_heatmap(matrix, est, account_labels={"W1": "Wombat"}, product_labels={"P1": "Core"})
    ax = fig.axes[0]
    assert len(ax.patches) == 9                                    # one hatched cell per product not bought
    texts = [t.get_text() for t in ax.texts]
    assert sum(t.startswith("≈") for t in texts) == 5              # every estimate above 0; P4 has none
    assert "$300" in texts and "≈$160" in texts                    # money as text, never mathtext
    assert not any(t._parse_math for t in ax.texts)
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "Wombat"
    assert png_bytes(fig, dpi=60)[:8] == b"\x89PNG\r\n\x1a\n"


def test_whitespace_settings(tmp_path):
    assert Settings().whitespace == Whitespace(top_n=5, peer_group="size", size_bands=3, min_peers=3)
    path = tmp_path / "s.yaml"
    path.write_text("whitespace:\n  top_n: 0\n  peer_group: region\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    messages = [p.message for p in info.value.problems]
    assert len(messages) == 2
    assert any("whitespace.top_n" in m for m in messages) and any("whitespace.peer_group" in m for m in messages)
