"""Whitespace: which account buys which product, and what the gaps may be worth.

Pure functions: the revenue transactions, products and accounts tables in, frames out.

Rules
- Bought means revenue above zero in the trailing four quarters (T4Q) ending with
  the reporting quarter. A product bought before but not in the T4Q is whitespace
  again ("lapsed"), and its reason says when it was last bought.
- Penetration: per account, the share of all products it buys; per product, the
  share of accounts that buy it.
- Estimated whitespace value of product p for an account a that does not buy it:
      peers  = accounts that buy p and are in a's peer group (size band of T4Q
               revenue, industry, or all accounts); when fewer than ``min_peers``
               of them buy p, all buyers of p
      share  = median over the peers of (peer's T4Q revenue on p / peer's T4Q revenue)
      value  = share x a's T4Q revenue
  No account buying p: no estimate (NaN). An account with no T4Q revenue: value 0.
- Size bands split accounts by the rank of their T4Q revenue into equal-count bands,
  1 the smallest; tied accounts share their average rank, so equal accounts share a band
  (``metrics.size_bands``, the rule the ROI's peer matching uses as well).
- Cross-sell opportunities are each account's estimates above zero, largest first,
  top N, each with its reason.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from .. import formatting
from ..periods import parse_quarter, quarter_label
from .metrics import size_bands  # shared with the ROI; still importable from here

ESTIMATE_COLUMNS = ["account_id", "product_id", "estimate", "peer_share", "peers", "buyers", "peer_scope",
                    "account_revenue_t4q"]


def _t4q_window(quarter: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    period = parse_quarter(quarter)
    return (period - 3).start_time, period.end_time


def whitespace_matrix(revenue: pd.DataFrame, products: pd.DataFrame, quarter: str) -> pd.DataFrame:
    """Accounts x products: T4Q revenue (0 = not bought in the T4Q).

    Rows: every account with revenue up to the end of ``quarter`` (sorted by id); columns:
    every product, in the order of the products table (a product nobody buys is a column of 0).
    """
    start, end = _t4q_window(quarter)
    to_date = revenue[revenue["date"] <= end]
    accounts = pd.Index(sorted(to_date["account_id"].astype(str).unique()), name="account_id")
    columns = pd.Index(products["product_id"].astype(str), name="product_id")
    window = to_date[to_date["date"] >= start]
    values = window.assign(account_id=window["account_id"].astype(str), product_id=window["product_id"].astype(str),
                           revenue=window["revenue"].astype("float64"))
    matrix = values.groupby(["account_id", "product_id"])["revenue"].sum().unstack("product_id") \
        if len(values) else pd.DataFrame(dtype="float64")
    return matrix.reindex(index=accounts, columns=columns).astype("float64").fillna(0.0)


def last_bought(revenue: pd.DataFrame, quarter: str) -> pd.DataFrame:
    """Accounts x products: the last quarter with revenue above zero up to ``quarter`` (NaN: never)."""
    end = parse_quarter(quarter).end_time
    rows = revenue[(revenue["date"] <= end) & (revenue["revenue"].astype("float64") > 0)]
    if rows.empty:
        return pd.DataFrame(dtype="object")
    last = rows.assign(account_id=rows["account_id"].astype(str), product_id=rows["product_id"].astype(str)) \
        .groupby(["account_id", "product_id"])["date"].max().unstack("product_id")
    return last.apply(lambda col: col.map(lambda d: quarter_label(pd.Period(d, "Q")) if pd.notna(d) else np.nan))


def account_penetration(matrix: pd.DataFrame) -> pd.DataFrame:
    """Per account: products_bought, products_total, penetration (share of products bought), revenue_t4q."""
    bought = matrix > 0
    out = pd.DataFrame(index=matrix.index)
    out["products_bought"] = bought.sum(axis=1).astype(int)
    out["products_total"] = matrix.shape[1]
    out["penetration"] = out["products_bought"] / matrix.shape[1] if matrix.shape[1] else np.nan
    out["revenue_t4q"] = matrix.sum(axis=1)
    return out


def product_penetration(matrix: pd.DataFrame) -> pd.DataFrame:
    """Per product: accounts_buying, accounts_total, penetration (share of accounts buying), revenue_t4q,
    median_buyer_revenue (median T4Q revenue on the product among its buyers)."""
    bought = matrix > 0
    out = pd.DataFrame(index=matrix.columns)
    out["accounts_buying"] = bought.sum(axis=0).astype(int)
    out["accounts_total"] = matrix.shape[0]
    out["penetration"] = out["accounts_buying"] / matrix.shape[0] if matrix.shape[0] else np.nan
    out["revenue_t4q"] = matrix.sum(axis=0)
    out["median_buyer_revenue"] = matrix.where(bought).median(axis=0)
    return out


def peer_groups(matrix: pd.DataFrame, accounts: pd.DataFrame | None = None, rule: str = "size",
                bands: int = 3) -> pd.Series:
    """Peer-group label per account of the matrix: "size band k of K", the industry, or "all".

    An account with no industry gets no group (NaN) under the industry rule, so it is
    compared with all buyers.
    """
    if rule == "size":
        return size_bands(matrix.sum(axis=1), bands).map(lambda k: f"size band {k} of {bands}")
    if rule == "industry":
        if accounts is None or "industry" not in accounts:
            return pd.Series(np.nan, index=matrix.index, dtype="object")
        industry = accounts.assign(account_id=accounts["account_id"].astype(str)).set_index("account_id")["industry"]
        return industry.reindex(matrix.index).astype("object").where(lambda s: s.notna(), np.nan)
    if rule == "all":
        return pd.Series("all", index=matrix.index, dtype="object")
    raise ValueError(f"unknown peer group rule {rule!r} (choose from size, industry, all)")


def whitespace_estimates(matrix: pd.DataFrame, groups: pd.Series | None = None,
                         min_peers: int = 3) -> pd.DataFrame:
    """One row per account and product it does not buy, with the estimate and how it was made.

    Columns: account_id, product_id, estimate, peer_share (median share of spend among the
    peers), peers (how many), buyers (all buyers of the product), peer_scope (the group label,
    or "all buyers" when the group had fewer than ``min_peers``; "no buyers" when nobody buys it),
    account_revenue_t4q.
    """
    groups = groups if groups is not None else pd.Series("all", index=matrix.index, dtype="object")
    groups = groups.reindex(matrix.index)
    total = matrix.sum(axis=1)
    share = matrix.div(total.where(total > 0), axis=0)   # each product's share of the account's spend
    # plain lists and dicts for the loop: a pandas lookup per account and product was most of its time
    account_group = [g if pd.notna(g) else None for g in groups.tolist()]
    account_total = total.tolist()
    rows = []
    for product in matrix.columns:
        buys = matrix[product] > 0
        buyer_share = share.loc[buys, product]
        overall = float(buyer_share.median()) if len(buyer_share) else np.nan
        by_group = buyer_share.groupby(groups[buys]).agg(["median", "size"])
        peers_of = {group: (float(median), int(size)) for group, median, size
                    in zip(by_group.index, by_group["median"], by_group["size"]) if size >= min_peers}
        for position in np.flatnonzero(~buys.to_numpy()):
            group = account_group[position]
            if group is not None and group in peers_of:
                (peer_share, peers), scope = peers_of[group], group
            elif len(buyer_share):
                peer_share, peers, scope = overall, len(buyer_share), "all buyers"
            else:
                peer_share, peers, scope = np.nan, 0, "no buyers"
            revenue = account_total[position]
            rows.append((matrix.index[position], product, peer_share * revenue, peer_share, peers, len(buyer_share),
                         scope, revenue))
    out = pd.DataFrame(rows, columns=ESTIMATE_COLUMNS)
    return out.astype({"estimate": "float64", "peer_share": "float64", "peers": int, "buyers": int,
                       "account_revenue_t4q": "float64"})


def _reason(peers: int, scope: str, peer_share: float, revenue_t4q: float, estimate: float, lapsed: str,
            fmt_money: Callable[[object], str]) -> str:
    n = int(peers)
    where = "" if scope in ("all", "all buyers") else f" in {scope}"
    who = f"1 buyer{where} spends" if n == 1 else f"{n} buyers{where} spend"
    text = (f"{who} a median {peer_share:.0%} of their revenue with us on it: "
            f"{peer_share:.0%} × {fmt_money(revenue_t4q)} = {fmt_money(estimate)} a year.")
    if lapsed:
        text = f"Lapsed: last bought in {lapsed}. " + text
    return text


def cross_sell(estimates: pd.DataFrame, products: pd.DataFrame | None = None, top_n: int = 5,
               history: pd.DataFrame | None = None,
               fmt_money: Callable[[object], str] = formatting.money) -> pd.DataFrame:
    """Ranked cross-sell opportunities: per account the ``top_n`` largest estimates above zero.

    Columns: account_id, rank (1 = largest), product_id, product (name), estimate, peer_share,
    peers, peer_scope, lapsed (last quarter bought, or empty), reason. Ties on value go to the
    product id, so the order is stable.
    """
    names = {} if products is None else dict(zip(products["product_id"].astype(str), products["name"].astype(str)))
    ranked = estimates[estimates["estimate"] > 0].sort_values(["account_id", "estimate", "product_id"],
                                                             ascending=[True, False, True], kind="mergesort")
    ranked = ranked.groupby("account_id", sort=False).head(top_n).copy()
    ranked["rank"] = ranked.groupby("account_id", sort=False).cumcount() + 1
    ranked["product"] = ranked["product_id"].map(lambda p: names.get(p, p))

    last = {} if history is None else {(account, product): value for product in history.columns
                                       for account, value in history[product].items() if isinstance(value, str)}
    none = pd.Series(dtype="object")   # as an empty frame's columns were before
    ranked["lapsed"] = [last.get((account, product), "") for account, product
                        in zip(ranked["account_id"], ranked["product_id"])] if len(ranked) else none
    ranked["reason"] = [_reason(*values, fmt_money) for values in zip(
        ranked["peers"], ranked["peer_scope"], ranked["peer_share"], ranked["account_revenue_t4q"],
        ranked["estimate"], ranked["lapsed"])] if len(ranked) else none
    columns = ["account_id", "rank", "product_id", "product", "estimate", "peer_share", "peers", "peer_scope",
               "lapsed", "reason"]
    return ranked[columns].reset_index(drop=True)


def cross_sell_opportunities(revenue: pd.DataFrame, products: pd.DataFrame, accounts: pd.DataFrame, quarter: str,
                             top_n: int = 5, peer_group: str = "size", bands: int = 3, min_peers: int = 3,
                             fmt_money: Callable[[object], str] = formatting.money) -> pd.DataFrame:
    """Matrix, peer groups, estimates and ranking in one call (columns as :func:`cross_sell`)."""
    matrix = whitespace_matrix(revenue, products, quarter)
    estimates = whitespace_estimates(matrix, peer_groups(matrix, accounts, peer_group, bands), min_peers)
    return cross_sell(estimates, products, top_n, last_bought(revenue, quarter), fmt_money)


def whitespace_of(matrix: pd.DataFrame, estimates: pd.DataFrame, account_ids: Iterable[str]
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of the whitespace matrix (in the order of ``account_ids``; accounts absent from the
    matrix skipped) and the estimates that belong to ``account_ids``: the portfolio's heatmap shows
    the key accounts only."""
    ids = list(account_ids)
    return matrix.loc[[a for a in ids if a in matrix.index]], estimates[estimates["account_id"].isin(ids)]


def top_opportunities(ranked: pd.DataFrame, names: pd.Series, limit: int = 15) -> pd.DataFrame:
    """The largest cross-sell opportunity (rank 1 of :func:`cross_sell`) of each account in
    ``names`` (account id -> name), largest estimate first, at most ``limit`` rows, with the
    account's name in ``account``."""
    top = ranked[ranked["account_id"].isin(list(names.index)) & (ranked["rank"] == 1)]
    top = top.sort_values("estimate", ascending=False)
    return top.assign(account=top["account_id"].map(names)).head(limit)


def product_names(products: pd.DataFrame) -> dict[str, str]:
    """Product id -> name, for labelling charts and tables in words."""
    return dict(zip(products["product_id"], products["name"]))
