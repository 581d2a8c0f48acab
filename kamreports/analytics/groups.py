"""Account groups: a parent and its subsidiaries, seen together.

Pure functions: the accounts table (``account_id, parent_id``) and the portfolio summary in, frames
out. A group is named by its top-level account (the one without a parent, following ``parent_id``
upwards). A chain that loops back on itself stops where it would repeat, so the group is still
defined (validation reports the loop to the user).
"""
from __future__ import annotations

import pandas as pd

from .metrics import ratio

MEMBER_COLUMNS = ["name", "role", "is_key", "revenue_t4q", "revenue_prior_t4q", "t4q_growth", "whitespace_value"]


def group_roots(accounts: pd.DataFrame) -> pd.Series:
    """Account id -> the id of its group's top-level account (itself when it has no parent)."""
    parent = dict(zip(accounts["account_id"], accounts["parent_id"]))
    roots = {}
    for account in parent:
        seen, node = {account}, account
        while isinstance(parent.get(node), str) and parent[node] in parent and parent[node] not in seen:
            node = parent[node]
            seen.add(node)
        roots[account] = node
    return pd.Series(roots, name="group_id", dtype="object").rename_axis("account_id")


def group_members(accounts: pd.DataFrame, summary: pd.DataFrame, account_id: str) -> pd.DataFrame:
    """The members of ``account_id``'s group (itself included), parent first, then by T4Q revenue;
    empty when the account is in no group. Members without revenue up to the quarter show zeros."""
    roots = group_roots(accounts)
    if account_id not in roots.index:
        return pd.DataFrame(columns=MEMBER_COLUMNS)
    root = roots[account_id]
    ids = list(roots.index[roots == root])
    if len(ids) < 2:
        return pd.DataFrame(columns=MEMBER_COLUMNS)
    names = accounts.set_index("account_id")["name"]
    out = pd.DataFrame(index=pd.Index(ids, name="account_id"))
    out["name"] = names.reindex(ids)
    out["role"] = ["parent" if a == root else "subsidiary" for a in ids]
    known = summary.reindex(ids)
    out["is_key"] = known["is_key"].fillna(False).astype(bool)
    for column in ("revenue_t4q", "revenue_prior_t4q", "whitespace_value"):
        out[column] = known[column].astype("float64").fillna(0.0)
    out["t4q_growth"] = ratio(out["revenue_t4q"], out["revenue_prior_t4q"]) - 1
    out["_order"] = out["role"] != "parent"
    out = out.sort_values(["_order", "revenue_t4q", "name"], ascending=[True, False, True], kind="mergesort")
    return out.drop(columns="_order")[MEMBER_COLUMNS]


def group_totals(members: pd.DataFrame) -> dict[str, float]:
    """Combined figures of a group: members, T4Q revenue, the prior four quarters, growth (a ratio of
    sums) and revenue potential."""
    revenue, prior = float(members["revenue_t4q"].sum()), float(members["revenue_prior_t4q"].sum())
    return {"members": len(members), "revenue_t4q": revenue, "revenue_prior_t4q": prior,
            "t4q_growth": ratio(revenue, prior) - 1 if prior > 0 else float("nan"),
            "whitespace_value": float(members["whitespace_value"].sum())}


def group_whitespace(matrix: pd.DataFrame, member_ids: list[str]) -> pd.DataFrame:
    """Products across the group (``matrix``: accounts x products, T4Q revenue): per product, the
    group's T4Q revenue and how many members buy it; a product no member buys is whitespace for all."""
    present = [a for a in member_ids if a in matrix.index]
    rows = matrix.loc[present] if present else matrix.iloc[0:0]
    out = pd.DataFrame({"revenue_t4q": rows.sum(axis=0), "members_buying": (rows > 0).sum(axis=0).astype(int)})
    out["whitespace"] = out["members_buying"] == 0
    return out.rename_axis("product_id")
