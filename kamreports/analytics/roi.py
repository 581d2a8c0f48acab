"""Portfolio KAM ROI: what the key-account programme returns, against the rest of the book.

Pure functions: DataFrames in, DataFrames out; no I/O, no plotting. :func:`roi_report` runs them
all for one quarter and bundles the result (frames, the programme ROI, assumptions, summary
sentences and the long table :func:`roi_table`).

Windows
- The *current* window is the ``window`` quarters ending with the reporting quarter; the *prior*
  window is the ``window`` quarters before it (default 4 and 4: trailing four quarters against
  the four before).
- Key or other is today's selection (``summary["is_key"]``) for every window, including the
  rolling history: the data holds no history of the key list.

Per account (:func:`account_windows`)
- gross profit = revenue - cost of goods; cost to serve = the KAM costs table (no rows = 0);
  profit = gross profit - cost to serve.
- status: ``new`` (revenue now, none before), ``churned`` (revenue before, none now),
  ``expanded`` / ``contracted`` / ``flat``, ``inactive`` (cost to serve but no revenue in either).

Retention by cohort (:func:`retention`): the cohort is the accounts with revenue in the prior
window. start = their prior revenue; expansion = the sum of increases; contraction = the sum of
decreases of accounts still buying; churn = the prior revenue of accounts with no revenue now.
GRR = (start - contraction - churn) / start; NRR = (start + expansion - contraction - churn) / start.

Lifetime value (:func:`lifetime_value`) = annual gross profit x r / (1 + d - r), r = the group's
GRR, d = the discount rate.

Programme ROI (:func:`programme_roi`)
- Each key account with revenue in the prior window is matched with non-key accounts that also had
  revenue then: those in the same size band (equal-count bands of prior-window revenue over all
  such accounts), the same industry, both, or all, as ``match`` says. A group with fewer than
  ``min_peers`` accounts, or without positive prior gross profit, falls back (size_industry ->
  size -> all non-key).
- baseline = the account's prior gross profit x (1 + its peers' gross-profit growth, a ratio of
  sums); incremental gross profit = current gross profit - baseline, summed over key accounts.
- programme cost, ``extra`` basis: key accounts' KAM cost in the current window minus their
  current revenue x their peers' KAM cost per revenue dollar. ``total`` basis: the whole KAM cost.
- ROI = (incremental gross profit - programme cost) / programme cost; NaN with a reason when
  there is no programme cost or no baseline. Payback (months) = programme cost / (incremental
  gross profit / months in the window); NaN when the increment is not positive.
- Key accounts with no revenue in the prior window have no baseline and are left out, with
  their cost; the result counts them.

All group figures are ratios of sums, not averages of account rates.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import formatting
from ..config import Roi
from ..data.dataset import Dataset
from ..periods import parse_quarter, quarter_range, shift_quarter
from .metrics import quarterly_revenue, ratio

GROUPS = ("key", "other", "all")
PROMOTER, DETRACTOR = 9, 6          # NPS: 9-10 promoters, 0-6 detractors
NO_OWNER = "(no owner)"


# --- windows ----------------------------------------------------------------------------------

def window_quarters(quarter: str, window: int = 4) -> tuple[list[str], list[str]]:
    """(current, prior) quarter labels, oldest first: the ``window`` quarters ending with
    ``quarter`` and the ``window`` before them."""
    current = quarter_range(quarter, window)
    prior = quarter_range(shift_quarter(quarter, -window), window)
    return current, prior


def window_label(quarter: str, window: int = 4, compare: bool = False) -> str:
    """"2025Q4-2026Q3", or with ``compare`` "2025Q4-2026Q3 vs 2024Q4-2025Q3"."""
    current, prior = window_quarters(quarter, window)
    label = f"{current[0]}-{current[-1]}" if window > 1 else current[0]
    if compare:
        label += " vs " + (f"{prior[0]}-{prior[-1]}" if window > 1 else prior[0])
    return label


def _groups(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    key = frame["is_key"].astype(bool)
    return {"key": frame[key], "other": frame[~key], "all": frame}


def _sum(series: pd.Series) -> float:
    return float(series.astype("float64").sum())


# --- per account ------------------------------------------------------------------------------

ACCOUNT_COLUMNS = [
    "name", "is_key", "owner", "region", "industry",
    "revenue_prior", "revenue", "cogs_prior", "cogs", "gross_profit_prior", "gross_profit",
    "cost_to_serve_prior", "cost_to_serve", "profit_prior", "profit", "growth", "gross_margin_pct",
    "cost_to_serve_pct", "profit_pct", "status", "expansion", "contraction", "churn",
    "wallet_estimate", "share_of_wallet", "nps_avg", "nps_responses", "nps_promoters", "nps_detractors",
]


class WindowTotals:
    """Per-account sums of some columns over any set of quarters, from one encoding of the rows.

    Why: the ROI history asks for the same sums over a dozen windows; grouping a million rows by
    string account ids each time cost seconds at 100,000 accounts. Account ids and quarters are
    factorised once (each distinct value turned to ``str`` once), then every window is a
    ``np.bincount`` over the rows whose quarter code is in it. Missing values count as 0, as in
    a pandas sum.
    """

    def __init__(self, frame: pd.DataFrame, columns: list[str]):
        codes, uniques = pd.factorize(frame["account_id"], use_na_sentinel=True)
        ids = pd.Index(uniques).astype(str)
        if not ids.is_unique:  # e.g. 1 and "1": the same account once written as text
            codes, ids = _merge_codes(codes, ids)
        self._ids = ids
        self._codes = codes
        q_codes, q_uniques = pd.factorize(frame["quarter"], use_na_sentinel=True)
        self._quarter_codes = q_codes
        self._quarters = pd.Index(q_uniques).astype(str)
        self._values = {c: np.nan_to_num(pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype="float64",
                                                                                              na_value=np.nan))
                        for c in columns}

    def sum(self, column: str, quarters: list[str]) -> pd.Series:
        """Per account id (str), the sum of ``column`` over ``quarters``; 0 for an account with no rows."""
        wanted = np.flatnonzero(self._quarters.isin(quarters))
        rows = np.isin(self._quarter_codes, wanted) & (self._codes >= 0)
        totals = np.bincount(self._codes[rows], weights=self._values[column][rows], minlength=len(self._ids))
        return pd.Series(totals, index=self._ids, dtype="float64")


def _merge_codes(codes: np.ndarray, ids: pd.Index) -> tuple[np.ndarray, pd.Index]:
    merged, unique_ids = pd.factorize(ids)
    return np.where(codes >= 0, merged[np.maximum(codes, 0)], -1), pd.Index(unique_ids)


def window_totals(quarterly: pd.DataFrame, kam_costs: pd.DataFrame) -> tuple[WindowTotals, WindowTotals]:
    """The encodings :func:`account_windows` sums from: revenue and cogs, and cost to serve."""
    return WindowTotals(quarterly, ["revenue", "cogs"]), WindowTotals(kam_costs, ["cost"])


def account_windows(quarterly: pd.DataFrame, kam_costs: pd.DataFrame, summary: pd.DataFrame, quarter: str,
                    window: int = 4, feedback: pd.DataFrame | None = None,
                    _totals: tuple[WindowTotals, WindowTotals] | None = None) -> pd.DataFrame:
    """One row per account with revenue or cost to serve in either window, indexed by account_id.

    ``quarterly``: account_id, quarter, revenue, cogs (``metrics.quarterly_revenue``).
    ``kam_costs``: account_id, quarter, cost. ``summary``: indexed by account_id, with ``is_key``
    and, where present, name, owner, region, industry, wallet_estimate, nps_avg. ``feedback``
    (account_id, date, nps 0-10) gives NPS over the current window; without it ``nps_avg`` comes
    from the summary and the response counts are NaN.

    Columns: see :data:`ACCOUNT_COLUMNS`. ``_prior`` figures are the prior window, the others the
    current one. share_of_wallet = annualised current revenue / wallet_estimate (NaN when the
    estimate is missing or zero).
    """
    current, prior = window_quarters(quarter, window)
    sales, costs = _totals or window_totals(quarterly, kam_costs)
    sums = {
        "revenue": sales.sum("revenue", current), "revenue_prior": sales.sum("revenue", prior),
        "cogs": sales.sum("cogs", current), "cogs_prior": sales.sum("cogs", prior),
        "cost_to_serve": costs.sum("cost", current), "cost_to_serve_prior": costs.sum("cost", prior),
    }
    ids = pd.Index(summary.index.astype(str))
    for s in sums.values():
        ids = ids.union(s.index[s != 0])
    out = pd.DataFrame(index=pd.Index(ids, name="account_id"))
    wanted = ["name", "owner", "region", "industry", "is_key", "wallet_estimate", "nps_avg"]
    meta = summary[[c for c in wanted if c in summary.columns]].copy()  # not every summary column, per window
    meta.index = meta.index.astype(str)
    for col in ("name", "owner", "region", "industry"):
        out[col] = meta[col].reindex(ids) if col in meta else np.nan
    out["name"] = out["name"].where(out["name"].notna(), pd.Series(ids, index=ids))
    out["is_key"] = meta["is_key"].astype(bool).reindex(ids, fill_value=False)
    for name, s in sums.items():
        out[name] = s.reindex(ids).fillna(0.0)
    out["gross_profit_prior"] = out["revenue_prior"] - out["cogs_prior"]
    out["gross_profit"] = out["revenue"] - out["cogs"]
    out["profit_prior"] = out["gross_profit_prior"] - out["cost_to_serve_prior"]
    out["profit"] = out["gross_profit"] - out["cost_to_serve"]
    out["growth"] = ratio(out["revenue"], out["revenue_prior"]) - 1
    out["gross_margin_pct"] = ratio(out["gross_profit"], out["revenue"])
    out["cost_to_serve_pct"] = ratio(out["cost_to_serve"], out["revenue"])
    out["profit_pct"] = ratio(out["profit"], out["revenue"])
    before, now = out["revenue_prior"] > 0, out["revenue"] > 0
    out["status"] = np.select(
        [before & ~now, ~before & now, before & (out["revenue"] > out["revenue_prior"]),
         before & now & (out["revenue"] < out["revenue_prior"]), before & now],
        ["churned", "new", "expanded", "contracted", "flat"], default="inactive")
    out["expansion"] = (out["revenue"] - out["revenue_prior"]).clip(lower=0).where(before, 0.0)
    out["contraction"] = (out["revenue_prior"] - out["revenue"]).clip(lower=0).where(before & now, 0.0)
    out["churn"] = out["revenue_prior"].where(before & ~now, 0.0)
    wallet = meta["wallet_estimate"].reindex(ids).astype("float64") if "wallet_estimate" in meta \
        else pd.Series(np.nan, index=ids)
    out["wallet_estimate"] = wallet
    out["share_of_wallet"] = ratio(out["revenue"] * 4 / window, wallet.where(wallet > 0))
    if feedback is not None:
        start, end = parse_quarter(current[0]).start_time, parse_quarter(current[-1]).end_time
        fb = feedback[(feedback["date"] >= start) & (feedback["date"] <= end)]
        fb = fb.assign(account_id=fb["account_id"].astype(str), nps=pd.to_numeric(fb["nps"]).astype("float64"))
        by = fb.groupby("account_id")["nps"]
        out["nps_avg"] = by.mean().reindex(ids)
        out["nps_responses"] = by.size().reindex(ids).fillna(0).astype(int)
        account = fb["account_id"]  # counted with vectorised sums: a Python function per account is slow at scale
        out["nps_promoters"] = (fb["nps"] >= PROMOTER).groupby(account).sum().reindex(ids).fillna(0).astype(int)
        out["nps_detractors"] = (fb["nps"] <= DETRACTOR).groupby(account).sum().reindex(ids).fillna(0).astype(int)
    else:
        out["nps_avg"] = meta["nps_avg"].reindex(ids).astype("float64") if "nps_avg" in meta else np.nan
        for col in ("nps_responses", "nps_promoters", "nps_detractors"):
            out[col] = np.nan
    return out[ACCOUNT_COLUMNS]


# --- retention, lifetime value, group comparison ---------------------------------------------

def retention(frame: pd.DataFrame) -> pd.DataFrame:
    """Gross and net revenue retention of the prior-window cohort, per group (key, other, all).

    Columns: cohort_accounts, churned_accounts, start_revenue, expansion, contraction, churn,
    end_revenue (the cohort's current revenue), grr, nrr, new_accounts, new_revenue.
    GRR and NRR are NaN for a group without a cohort.
    """
    rows = {}
    for label, g in _groups(frame).items():
        cohort = g[g["revenue_prior"] > 0]
        start, expansion = _sum(cohort["revenue_prior"]), _sum(cohort["expansion"])
        contraction, churn = _sum(cohort["contraction"]), _sum(cohort["churn"])
        new = g[g["status"] == "new"]
        rows[label] = {
            "cohort_accounts": len(cohort), "churned_accounts": int((cohort["status"] == "churned").sum()),
            "start_revenue": start, "expansion": expansion, "contraction": contraction, "churn": churn,
            "end_revenue": _sum(cohort["revenue"]),
            "grr": ratio(start - contraction - churn, start),
            "nrr": ratio(start + expansion - contraction - churn, start),
            "new_accounts": len(new), "new_revenue": _sum(new["revenue"]),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("group")


def lifetime_value(annual_margin, retention_rate, discount_rate: float = 0.10):
    """annual margin x r / (1 + d - r). Works on numbers and Series; NaN where r is NaN."""
    return annual_margin * retention_rate / (1 + discount_rate - retention_rate)


def compare_groups(frame: pd.DataFrame, retained: pd.DataFrame | None = None, discount_rate: float = 0.10,
                   window: int = 4) -> pd.DataFrame:
    """Key against other accounts (and all), one row per group, over the current window.

    Columns: accounts (with revenue now), revenue_prior, revenue, growth, grr, nrr, gross_profit,
    gross_margin_pct, cost_to_serve, cost_to_serve_pct, profit, profit_pct, unprofitable_accounts,
    revenue_per_account, annual_gross_profit_per_account, clv_per_account, share_of_wallet,
    wallet_accounts, nps_avg (mean of account averages, 0-10), nps (promoters - detractors over
    responses, -1..1), nps_responses.
    """
    retained = retention(frame) if retained is None else retained
    rows = {}
    for label, g in _groups(frame).items():
        active = g[g["revenue"] > 0]
        revenue, gross_profit = _sum(g["revenue"]), _sum(g["gross_profit"])
        known = g[g["wallet_estimate"] > 0]
        responses = _sum(g["nps_responses"].fillna(0))
        annual_gp = ratio(gross_profit * 4 / window, len(active))
        grr = retained.at[label, "grr"]
        rows[label] = {
            "accounts": len(active), "revenue_prior": _sum(g["revenue_prior"]), "revenue": revenue,
            "growth": ratio(revenue, _sum(g["revenue_prior"])) - 1,
            "grr": grr, "nrr": retained.at[label, "nrr"],
            "gross_profit": gross_profit, "gross_margin_pct": ratio(gross_profit, revenue),
            "cost_to_serve": _sum(g["cost_to_serve"]), "cost_to_serve_pct": ratio(_sum(g["cost_to_serve"]), revenue),
            "profit": _sum(g["profit"]), "profit_pct": ratio(_sum(g["profit"]), revenue),
            "unprofitable_accounts": int((g["profit"] < 0).sum()),
            "revenue_per_account": ratio(revenue, len(active)),
            "annual_gross_profit_per_account": annual_gp,
            "clv_per_account": lifetime_value(annual_gp, grr, discount_rate),
            "share_of_wallet": ratio(_sum(known["revenue"]) * 4 / window, _sum(known["wallet_estimate"])),
            "wallet_accounts": len(known),
            "nps_avg": float(g["nps_avg"].mean()) if g["nps_avg"].notna().any() else np.nan,
            "nps": ratio(_sum(g["nps_promoters"].fillna(0)) - _sum(g["nps_detractors"].fillna(0)), responses),
            "nps_responses": responses if g["nps_responses"].notna().any() else np.nan,
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("group")


# --- programme ROI ----------------------------------------------------------------------------

def size_bands(values: pd.Series, bands: int = 3) -> pd.Series:
    """Band 1 (smallest) to ``bands``, equal-count by rank: floor((rank - 1) x bands / n) + 1,
    ties at their average rank."""
    n = len(values)
    if n == 0:
        return pd.Series(dtype="int64", index=values.index)
    rank = values.astype("float64").rank(method="average")
    return (np.floor((rank - 1) * bands / n) + 1).clip(1, bands).astype(int)


@dataclass
class ProgrammeRoi:
    """The programme's return over one window; every figure sums the key accounts in the ROI."""

    quarter: str
    window: str
    roi: float                          # (incremental gross profit - programme cost) / programme cost
    reason: str                         # why ROI is NaN; "" when it is a number
    incremental_gross_profit: float
    gross_profit: float                 # key accounts in the ROI, current window
    gross_profit_prior: float
    baseline_gross_profit: float
    key_growth: float                   # their gross-profit growth
    baseline_growth: float              # their matched peers' gross-profit growth, weighted
    key_revenue_growth: float
    baseline_revenue_growth: float
    programme_cost: float               # on cost_basis
    programme_cost_total: float
    programme_cost_extra: float
    cost_basis: str
    payback_months: float
    payback_reason: str
    key_accounts: int                   # key accounts in the ROI
    new_key_accounts: int               # key accounts left out: no revenue in the prior window
    new_key_cost: float                 # their KAM cost, not in the programme cost
    matching: str                       # how peers were matched, in words
    matches: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    @property
    def return_multiple(self) -> float:
        """Incremental gross profit / programme cost (= ROI + 1)."""
        return self.roi + 1


MATCH_COLUMNS = ["name", "owner", "industry", "size_band", "peer_group", "peers", "peer_growth",
                 "peer_revenue_growth", "peer_cost_rate", "revenue_prior", "revenue", "gross_profit_prior",
                 "gross_profit", "baseline_gross_profit", "incremental_gross_profit", "cost_to_serve",
                 "expected_cost", "extra_cost", "programme_cost"]


_PEER_SUMS = ["gross_profit_prior", "gross_profit", "revenue_prior", "revenue", "cost_to_serve"]


def _peer_candidates(account: pd.Series, band: np.ndarray, industry: np.ndarray, match: str,
                     bands: int) -> list[tuple[str, np.ndarray]]:
    """Peer groups to try for one key account, in order: (label, mask over the non-key cohort)."""
    band_label = f"size band {account['size_band']} of {bands}"
    in_band = band == account["size_band"]
    ind = account["industry"]
    in_industry = (industry == ind) if pd.notna(ind) else np.zeros(len(band), dtype=bool)
    chain = {"size": [(band_label, in_band)], "industry": [(str(ind), in_industry)],
             "size_industry": [(f"{ind}, {band_label}", in_band & in_industry), (band_label, in_band)],
             "all": []}[match]
    return chain + [("all other accounts", np.ones(len(band), dtype=bool))]


def programme_roi(frame: pd.DataFrame, quarter: str, window: int = 4, match: str = "size", bands: int = 3,
                  min_peers: int = 3, cost_basis: str = "extra") -> ProgrammeRoi:
    """The programme's ROI over the window ending with ``quarter`` (see the module docstring).

    ``frame`` is :func:`account_windows`. ``matches`` holds one row per key account in the ROI
    (:data:`MATCH_COLUMNS`). Never raises for missing groups: ROI is NaN and ``reason`` says why
    ("no key accounts", "no key account had revenue in the prior window", "no comparable non-key
    accounts: baseline growth undefined", "no programme cost").
    """
    if match not in ("size", "industry", "size_industry", "all"):
        raise ValueError(f"unknown match rule {match!r} (choose from size, industry, size_industry, all)")
    if cost_basis not in ("extra", "total"):
        raise ValueError(f"unknown programme cost basis {cost_basis!r} (choose from extra, total)")
    label = window_label(quarter, window, compare=True)
    cohort = frame[frame["revenue_prior"] > 0].copy()
    cohort["size_band"] = size_bands(cohort["revenue_prior"], bands)
    keys = cohort[cohort["is_key"]]
    peers = cohort[~cohort["is_key"]]
    new_keys = frame[frame["is_key"] & ~(frame["revenue_prior"] > 0)]
    words = {"size": f"non-key accounts in the same size band ({bands} equal-count bands of prior-window revenue)",
             "industry": "non-key accounts in the same industry",
             "size_industry": "non-key accounts in the same industry and size band, else the same size band",
             "all": "all non-key accounts"}[match]
    matching = f"{words}; fewer than {min_peers} peers: all non-key accounts"
    values = peers[_PEER_SUMS].to_numpy(dtype="float64")
    band, industry = peers["size_band"].to_numpy(), peers["industry"].to_numpy(dtype=object)
    cache: dict[str, dict | None] = {}

    def peer_figures(label: str, mask: np.ndarray) -> dict | None:
        """The group's figures, or None when it is too small or has no positive prior gross profit."""
        if label not in cache:
            n = int(mask.sum())
            gp_prior, gp, rev_prior, rev, cost = values[mask].sum(axis=0) if n else np.zeros(5)
            usable = n > 0 and (n >= min_peers or label == "all other accounts") and gp_prior > 0
            cost_rate = ratio(cost, rev)
            cache[label] = {"peer_group": label, "peers": n, "peer_growth": gp / gp_prior - 1,
                            "peer_revenue_growth": ratio(rev, rev_prior) - 1,
                            "peer_cost_rate": 0.0 if pd.isna(cost_rate) else cost_rate} if usable else None
        return cache[label]

    rows = {}
    for account, row in keys.iterrows():
        rows[account] = {"peer_group": "none", "peers": 0}
        for group_label, mask in _peer_candidates(row, band, industry, match, bands):
            figures = peer_figures(group_label, mask)
            if figures is not None:
                rows[account] = figures
                break
    matches = pd.DataFrame.from_dict(rows, orient="index",
                                     columns=["peer_group", "peers", "peer_growth", "peer_revenue_growth",
                                              "peer_cost_rate"])
    matches = keys[["name", "owner", "industry", "size_band", "revenue_prior", "revenue", "gross_profit_prior",
                    "gross_profit", "cost_to_serve"]].join(matches)
    matches["baseline_gross_profit"] = matches["gross_profit_prior"] * (1 + matches["peer_growth"])
    matches["incremental_gross_profit"] = matches["gross_profit"] - matches["baseline_gross_profit"]
    matches["expected_cost"] = matches["revenue"] * matches["peer_cost_rate"]
    matches["extra_cost"] = matches["cost_to_serve"] - matches["expected_cost"]
    matches["programme_cost"] = matches["extra_cost"] if cost_basis == "extra" else matches["cost_to_serve"]
    matches = matches.reindex(columns=MATCH_COLUMNS).rename_axis("account_id")

    gp, gp_prior = _sum(matches["gross_profit"]), _sum(matches["gross_profit_prior"])
    rev, rev_prior = _sum(matches["revenue"]), _sum(matches["revenue_prior"])
    base_rev = _sum(matches["revenue_prior"] * (1 + matches["peer_revenue_growth"]))
    # peers are all matched or (no usable non-key account at all) none
    defined = len(matches) > 0 and bool(matches["peer_growth"].notna().all())
    total_cost = _sum(matches["cost_to_serve"])
    extra_cost = _sum(matches["extra_cost"]) if defined else np.nan
    cost = extra_cost if cost_basis == "extra" else total_cost
    baseline = _sum(matches["baseline_gross_profit"]) if defined else np.nan
    incremental = gp - baseline if defined else np.nan
    if frame["is_key"].sum() == 0:
        reason = "no key accounts"
    elif keys.empty:
        reason = "no key account had revenue in the prior window: no baseline to grow"
    elif not defined:
        reason = "no comparable non-key accounts: baseline growth undefined"
    elif not cost > 0:
        reason = "no programme cost" + (": key accounts cost no more to serve per revenue dollar than their peers"
                                        if cost_basis == "extra" else "")
    else:
        reason = ""
    roi = (incremental - cost) / cost if not reason else np.nan
    months = 3 * window
    if reason:
        payback, payback_reason = np.nan, reason
    elif incremental > 0:
        payback, payback_reason = cost / (incremental / months), ""
    else:
        payback, payback_reason = np.nan, "no incremental gross profit: the programme does not pay back"
    return ProgrammeRoi(
        quarter=quarter, window=label, roi=float(roi), reason=reason, incremental_gross_profit=float(incremental),
        gross_profit=gp, gross_profit_prior=gp_prior, baseline_gross_profit=float(baseline),
        key_growth=float(ratio(gp, gp_prior) - 1) if gp_prior > 0 else np.nan,
        baseline_growth=float(ratio(baseline, gp_prior) - 1) if gp_prior > 0 and defined else np.nan,
        key_revenue_growth=float(ratio(rev, rev_prior) - 1) if rev_prior > 0 else np.nan,
        baseline_revenue_growth=float(ratio(base_rev, rev_prior) - 1) if rev_prior > 0 and defined else np.nan,
        programme_cost=float(cost), programme_cost_total=total_cost, programme_cost_extra=float(extra_cost),
        cost_basis=cost_basis, payback_months=float(payback), payback_reason=payback_reason,
        key_accounts=len(matches), new_key_accounts=len(new_keys), new_key_cost=_sum(new_keys["cost_to_serve"]),
        matching=matching, matches=matches)


HISTORY_COLUMNS = ["window", "key_accounts", "incremental_gross_profit", "programme_cost", "roi",
                   "payback_months", "key_growth", "baseline_growth", "reason"]


def roi_by_quarter(quarterly: pd.DataFrame, kam_costs: pd.DataFrame, summary: pd.DataFrame, quarter: str,
                   window: int = 4, history: int = 8, match: str = "size", bands: int = 3, min_peers: int = 3,
                   cost_basis: str = "extra", _totals: tuple[WindowTotals, WindowTotals] | None = None
                   ) -> pd.DataFrame:
    """The programme ROI for each of the last ``history`` quarters up to ``quarter``, each over its
    own trailing window (a rolling series), indexed by quarter, oldest first. Only quarters whose
    prior window starts at or after the first quarter of revenue data are shown (two full windows
    of history). Columns: :data:`HISTORY_COLUMNS`."""
    first = min((parse_quarter(str(x)) for x in quarterly["quarter"].unique()), default=None)
    totals = _totals or window_totals(quarterly, kam_costs)
    rows = {}
    for q in quarter_range(quarter, history):
        if first is None or parse_quarter(q) - (2 * window - 1) < first:
            continue
        frame = account_windows(quarterly, kam_costs, summary, q, window, _totals=totals)
        r = programme_roi(frame, q, window, match, bands, min_peers, cost_basis)
        rows[q] = {"window": r.window, "key_accounts": r.key_accounts,
                   "incremental_gross_profit": r.incremental_gross_profit, "programme_cost": r.programme_cost,
                   "roi": r.roi, "payback_months": r.payback_months, "key_growth": r.key_growth,
                   "baseline_growth": r.baseline_growth, "reason": r.reason}
    return pd.DataFrame.from_dict(rows, orient="index", columns=HISTORY_COLUMNS).rename_axis("quarter")


# --- whale curve ------------------------------------------------------------------------------

@dataclass
class WhaleSummary:
    accounts: int
    unprofitable_accounts: int
    unprofitable_share: float           # of accounts
    total_profit: float
    peak_profit: float                  # cumulative profit of the profitable accounts
    peak_profit_share: float            # peak / total (above 1 when loss-makers give profit back)
    profit_lost: float                  # sum of the losses (negative or 0)
    key_ranks: list[int]                # profitability ranks of the key accounts, best first
    key_profit_share: float             # key accounts' profit / total profit


def whale_curve(frame: pd.DataFrame) -> pd.DataFrame:
    """Accounts active in the current window (revenue or cost to serve) ranked by profit, most
    profitable first (ties by account id). Columns: rank, name, is_key, profit, cum_profit,
    cum_profit_share (of total profit; NaN when the total is not positive), cum_account_share."""
    active = frame[(frame["revenue"] != 0) | (frame["cost_to_serve"] != 0)]
    ordered = active.sort_index(kind="mergesort").sort_values("profit", ascending=False, kind="mergesort")
    total = _sum(ordered["profit"])
    n = len(ordered)
    out = pd.DataFrame({"rank": np.arange(1, n + 1), "name": ordered["name"], "is_key": ordered["is_key"],
                        "profit": ordered["profit"]}, index=ordered.index)
    out["cum_profit"] = out["profit"].cumsum()
    out["cum_profit_share"] = out["cum_profit"] / total if total > 0 else np.nan
    out["cum_account_share"] = out["rank"] / n if n else np.nan
    return out


def whale_summary(curve: pd.DataFrame) -> WhaleSummary:
    n = len(curve)
    total = _sum(curve["profit"])
    peak = float(curve["cum_profit"].max()) if n else 0.0
    losers = int((curve["profit"] < 0).sum())
    key = curve[curve["is_key"].astype(bool)]
    return WhaleSummary(
        accounts=n, unprofitable_accounts=losers, unprofitable_share=ratio(losers, n),
        total_profit=total, peak_profit=max(peak, 0.0), peak_profit_share=ratio(max(peak, 0.0), total)
        if total > 0 else np.nan, profit_lost=_sum(curve["profit"].clip(upper=0)),
        key_ranks=[int(r) for r in key["rank"]], key_profit_share=ratio(_sum(key["profit"]), total)
        if total > 0 else np.nan)


# --- manager load -----------------------------------------------------------------------------

MANAGER_COLUMNS = ["key_accounts", "other_accounts", "revenue_prior", "revenue", "growth", "gross_profit",
                   "cost_to_serve", "profit", "incremental_gross_profit", "programme_cost", "roi", "load", "note"]


def manager_load(frame: pd.DataFrame, matches: pd.DataFrame | None = None, min_accounts: int = 5,
                 max_accounts: int = 15, managers: Iterable[str] | dict[str, str] = ()) -> pd.DataFrame:
    """Key-account load and results per manager (``owner``), indexed by manager.

    Key accounts per manager against the ``min_accounts``-``max_accounts`` guideline: ``load`` is
    "overloaded" above the maximum, "idle" below the minimum (a manager who owns only non-key
    accounts, or is listed in ``managers`` and owns nothing, has 0), else "within guideline".
    Key accounts without an owner are one row, ``(no owner)``, with load "unassigned".
    Money figures sum the manager's key accounts over the current window; growth is their revenue
    growth. incremental_gross_profit, programme_cost and roi (as the programme's) come from
    ``matches`` (:attr:`ProgrammeRoi.matches`); roi is NaN without programme cost.
    ``note`` is the note given in ``managers`` (a dict name -> note), if any.
    """
    notes = dict(managers) if isinstance(managers, dict) else {m: "" for m in managers}
    owner = frame["owner"].astype("object").where(frame["owner"].notna(), NO_OWNER)
    names = sorted(set(owner) | set(notes), key=str)
    matches = matches if matches is not None else pd.DataFrame(columns=["incremental_gross_profit", "programme_cost"])
    # Sums per manager in one groupby each: a loop over managers slicing a 100,000-row frame took seconds.
    is_key = frame["is_key"].astype(bool).to_numpy()
    by = owner.to_numpy()
    money = ["revenue_prior", "revenue", "gross_profit", "cost_to_serve", "profit"]
    key_sums = frame.loc[is_key, money].astype("float64").groupby(by[is_key], sort=False).sum()
    key_counts = pd.Series(is_key).groupby(by, sort=False).sum()
    all_counts = pd.Series(by).value_counts(sort=False)
    m = matches.reindex(frame.index[is_key].intersection(matches.index))
    m_owner = owner.reindex(m.index).to_numpy()
    m_sums = m[["incremental_gross_profit", "programme_cost"]].astype("float64").groupby(m_owner, sort=False).sum()
    m_counts = pd.Series(m_owner).value_counts(sort=False)
    m_complete = m["incremental_gross_profit"].notna().groupby(m_owner, sort=False).all()
    rows = {}
    for name in names:
        n_key = int(key_counts.get(name, 0))
        n_matched = int(m_counts.get(name, 0))
        if name == NO_OWNER:
            if n_key == 0:
                continue
            load = "unassigned"
        elif n_key > max_accounts:
            load = "overloaded"
        elif n_key < min_accounts:
            load = "idle"
        else:
            load = "within guideline"
        k = {c: float(key_sums.at[name, c]) if name in key_sums.index else 0.0 for c in money}
        incr = float(m_sums.at[name, "incremental_gross_profit"]) if n_matched else 0.0
        cost = float(m_sums.at[name, "programme_cost"]) if n_matched else 0.0
        rows[name] = {
            "key_accounts": n_key, "other_accounts": int(all_counts.get(name, 0)) - n_key,
            "revenue_prior": k["revenue_prior"], "revenue": k["revenue"],
            "growth": ratio(k["revenue"], k["revenue_prior"]) - 1,
            "gross_profit": k["gross_profit"], "cost_to_serve": k["cost_to_serve"], "profit": k["profit"],
            "incremental_gross_profit": incr if n_matched else np.nan, "programme_cost": cost if n_matched else np.nan,
            "roi": (incr - cost) / cost if n_matched and cost > 0 and bool(m_complete.get(name, False)) else np.nan,
            "load": load, "note": notes.get(name, ""),
        }
    out = pd.DataFrame.from_dict(rows, orient="index", columns=MANAGER_COLUMNS).rename_axis("manager")
    out[["key_accounts", "other_accounts"]] = out[["key_accounts", "other_accounts"]].astype(int)
    return out.sort_values(["key_accounts", "revenue"], ascending=False, kind="mergesort")


# --- across time and slices --------------------------------------------------------------------

def period_comparison(quarterly: pd.DataFrame, is_key: pd.Series, quarter: str) -> pd.DataFrame:
    """This quarter against the previous one and the same quarter a year earlier, per group.

    Columns: revenue_q, revenue_prev_q, revenue_yago_q, qoq_growth, yoy_growth, gross_profit_q,
    gross_margin_pct_q, gross_margin_pct_prev_q, gross_margin_pct_yago_q. Accounts missing from
    ``is_key`` count as other.
    """
    q = quarterly.assign(account_id=quarterly["account_id"].astype(str), quarter=quarterly["quarter"].astype(str))
    flags = is_key.copy()
    flags.index = flags.index.astype(str)
    q["is_key"] = q["account_id"].map(flags).fillna(False).astype(bool)
    labels = {"q": quarter, "prev_q": shift_quarter(quarter, -1), "yago_q": shift_quarter(quarter, -4)}
    rows = {}
    for label, g in _groups(q).items():
        row = {}
        for suffix, period in labels.items():
            part = g[g["quarter"] == period]
            rev, gp = _sum(part["revenue"]), _sum(part["revenue"] - part["cogs"])
            row[f"revenue_{suffix}"] = rev
            row[f"gross_profit_{suffix}"] = gp
            row[f"gross_margin_pct_{suffix}"] = ratio(gp, rev)
        row["qoq_growth"] = ratio(row["revenue_q"], row["revenue_prev_q"]) - 1
        row["yoy_growth"] = ratio(row["revenue_q"], row["revenue_yago_q"]) - 1
        rows[label] = row
    cols = ["revenue_q", "revenue_prev_q", "revenue_yago_q", "qoq_growth", "yoy_growth", "gross_profit_q",
            "gross_margin_pct_q", "gross_margin_pct_prev_q", "gross_margin_pct_yago_q"]
    return pd.DataFrame.from_dict(rows, orient="index")[cols].rename_axis("group")


SLICE_COLUMNS = ["slice", "group", "accounts", "revenue_prior", "revenue", "growth", "gross_margin_pct",
                 "cost_to_serve", "profit", "profit_pct", "nrr"]


def slice_comparison(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Key, other and all accounts within each value of ``by`` (region, industry, ...): one row per
    slice and group. A missing value is its own slice, "(none)". Columns: :data:`SLICE_COLUMNS`."""
    values = frame[by].astype("object").where(frame[by].notna(), "(none)")
    f = pd.DataFrame({"slice": values, "is_key": frame["is_key"].astype(bool),
                      "accounts": (frame["revenue"] > 0).astype(int)})
    for col in ("revenue_prior", "revenue", "expansion", "contraction", "churn", "gross_profit", "cost_to_serve",
                "profit"):
        f[col] = frame[col].astype("float64")
    f["cohort_revenue"] = f["revenue"].where(f["revenue_prior"] > 0, 0.0)   # NRR: the cohort's revenue now
    parts = []
    for label, g in _groups(f).items():
        s = g.drop(columns="is_key").groupby("slice").sum()
        parts.append(pd.DataFrame({
            "slice": s.index, "group": label, "accounts": s["accounts"].astype(int),
            "revenue_prior": s["revenue_prior"], "revenue": s["revenue"],
            "growth": ratio(s["revenue"], s["revenue_prior"]) - 1,
            "gross_margin_pct": ratio(s["gross_profit"], s["revenue"]), "cost_to_serve": s["cost_to_serve"],
            "profit": s["profit"], "profit_pct": ratio(s["profit"], s["revenue"]),
            "nrr": ratio(s["cohort_revenue"], s["revenue_prior"])}))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=SLICE_COLUMNS)
    # every slice has a key, other and all row, in that order, even with no accounts of a group there
    grid = pd.MultiIndex.from_product([sorted(values.unique(), key=str), list(GROUPS)], names=["slice", "group"])
    out = out.set_index(["slice", "group"]).reindex(grid).reset_index()
    fill = ["accounts", "revenue_prior", "revenue", "cost_to_serve", "profit"]
    out[fill] = out[fill].fillna(0)
    out["accounts"] = out["accounts"].astype(int)
    return out[SLICE_COLUMNS]


# --- the long table ---------------------------------------------------------------------------

# metric -> (unit, definition). Units: currency, ratio (0.12 = 12%), count, months, score (0-10).
METRICS: dict[str, tuple[str, str]] = {
    "accounts": ("count", "accounts with revenue in the current window"),
    "revenue_prior": ("currency", "revenue in the prior window"),
    "revenue": ("currency", "revenue in the current window"),
    "growth": ("ratio", "revenue / prior-window revenue - 1"),
    "grr": ("ratio", "gross revenue retention: (start - contraction - churn) / start, prior-window cohort"),
    "nrr": ("ratio", "net revenue retention: (start + expansion - contraction - churn) / start"),
    "gross_profit": ("currency", "revenue - cost of goods, current window"),
    "gross_margin_pct": ("ratio", "gross profit / revenue"),
    "cost_to_serve": ("currency", "KAM cost to serve, current window"),
    "cost_to_serve_pct": ("ratio", "cost to serve / revenue"),
    "profit": ("currency", "gross profit - cost to serve"),
    "profit_pct": ("ratio", "profit / revenue"),
    "unprofitable_accounts": ("count", "accounts with negative profit after cost to serve"),
    "revenue_per_account": ("currency", "revenue in the current window / accounts with revenue"),
    "annual_gross_profit_per_account": ("currency", "annualised gross profit / accounts with revenue"),
    "clv_per_account": ("currency", "lifetime value: annual gross profit per account x GRR / (1 + discount - GRR)"),
    "share_of_wallet": ("ratio", "annualised revenue / wallet estimate, accounts with an estimate"),
    "wallet_accounts": ("count", "accounts with a wallet estimate"),
    "nps_avg": ("score", "mean of account average feedback scores (0-10), current window"),
    "nps": ("ratio", "net promoter score: (promoters 9-10 - detractors 0-6) / responses"),
    "nps_responses": ("count", "feedback responses in the current window"),
    "cohort_accounts": ("count", "accounts with revenue in the prior window (the retention cohort)"),
    "churned_accounts": ("count", "cohort accounts with no revenue in the current window"),
    "start_revenue": ("currency", "cohort revenue in the prior window"),
    "expansion": ("currency", "sum of cohort accounts' revenue increases"),
    "contraction": ("currency", "sum of decreases of cohort accounts still buying"),
    "churn": ("currency", "prior revenue of cohort accounts with no revenue now"),
    "new_accounts": ("count", "accounts with revenue now and none in the prior window"),
    "new_revenue": ("currency", "current revenue of new accounts"),
    "end_revenue": ("currency", "cohort revenue in the current window"),
    "revenue_q": ("currency", "revenue in the quarter"),
    "revenue_prev_q": ("currency", "revenue in the previous quarter"),
    "revenue_yago_q": ("currency", "revenue in the same quarter a year earlier"),
    "qoq_growth": ("ratio", "quarter revenue / previous quarter - 1"),
    "yoy_growth": ("ratio", "quarter revenue / same quarter a year earlier - 1"),
    "gross_profit_q": ("currency", "gross profit in the quarter"),
    "gross_margin_pct_q": ("ratio", "gross margin in the quarter"),
    "gross_margin_pct_prev_q": ("ratio", "gross margin in the previous quarter"),
    "gross_margin_pct_yago_q": ("ratio", "gross margin in the same quarter a year earlier"),
    "roi": ("ratio", "(incremental gross profit - programme cost) / programme cost"),
    "return_multiple": ("ratio", "incremental gross profit / programme cost"),
    "incremental_gross_profit": ("currency", "key accounts' gross profit - matched baseline"),
    "baseline_gross_profit": ("currency", "key accounts' prior gross profit x (1 + matched peers' growth)"),
    "key_gross_profit": ("currency", "gross profit of the key accounts in the ROI, current window"),
    "key_gross_profit_prior": ("currency", "gross profit of the key accounts in the ROI, prior window"),
    "key_growth": ("ratio", "gross-profit growth of the key accounts in the ROI"),
    "baseline_growth": ("ratio", "matched peers' gross-profit growth, weighted by the key accounts"),
    "key_revenue_growth": ("ratio", "revenue growth of the key accounts in the ROI"),
    "baseline_revenue_growth": ("ratio", "matched peers' revenue growth, weighted by the key accounts"),
    "programme_cost": ("currency", "programme cost on the configured basis (extra or total)"),
    "programme_cost_total": ("currency", "key accounts' whole KAM cost, current window"),
    "programme_cost_extra": ("currency", "KAM cost over the peers' cost per revenue dollar"),
    "payback_months": ("months", "programme cost / (incremental gross profit per month)"),
    "key_accounts": ("count", "key accounts"),
    "new_key_accounts": ("count", "key accounts left out of the ROI: no prior-window revenue"),
    "other_accounts": ("count", "non-key accounts"),
    "active_accounts": ("count", "accounts with revenue or cost to serve in the current window"),
    "total_profit": ("currency", "profit of all active accounts (whale curve end point)"),
    "peak_profit": ("currency", "cumulative profit of the profitable accounts (whale curve peak)"),
    "peak_profit_share": ("ratio", "whale curve peak / total profit"),
    "profit_lost": ("currency", "sum of the losses of unprofitable accounts"),
    "unprofitable_share": ("ratio", "share of active accounts with negative profit"),
    "key_profit_share": ("ratio", "key accounts' profit / total profit"),
    "median_profit_rank": ("count", "median profitability rank of key accounts (1 = most profitable)"),
    "over_guideline": ("count", "managers above the key-accounts-per-manager maximum"),
    "under_guideline": ("count", "managers below the minimum"),
}
TABLE_COLUMNS = ["quarter", "group", "metric", "value", "unit", "window", "definition"]


def roi_table(quarter: str, window: int = 4, groups: pd.DataFrame | None = None,
              retained: pd.DataFrame | None = None, programme: ProgrammeRoi | None = None,
              history: pd.DataFrame | None = None, whale: WhaleSummary | None = None,
              managers: pd.DataFrame | None = None, periods: pd.DataFrame | None = None,
              slices: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """The ROI page's figures as one long, machine-readable table (written to output/<quarter>/roi.csv).

    Columns
    - quarter: the quarter the figure is for (the reporting quarter; earlier quarters for the
      rolling ROI history rows).
    - group: key, other, all, programme, whale, manager:<name>, region:<x>[/key|/other],
      industry:<x>[/key|/other] (``/key`` and ``/other`` split a slice; without a suffix, all of it).
    - metric: a name from :data:`METRICS`.
    - value: the number (empty when undefined, e.g. ROI without programme cost).
    - unit: currency (company currency), ratio (0.12 = 12%), count, months or score (0-10).
    - window: the quarters the figure covers: "2025Q4-2026Q3", "2025Q4-2026Q3 vs 2024Q4-2025Q3"
      for comparisons, or a single quarter.
    - definition: how the metric is computed, in a few words.
    (quarter, group, metric) is unique.
    """
    current = window_label(quarter, window)
    compare = window_label(quarter, window, compare=True)
    prior = window_label(shift_quarter(quarter, -window), window)
    comparisons = {"growth", "grr", "nrr", "cohort_accounts", "churned_accounts", "expansion", "contraction",
                   "churn", "new_accounts", "new_revenue"}
    rows: list[tuple] = []

    def add(group: str, metric: str, value, window_text: str | None = None, q: str = quarter) -> None:
        unit, definition = METRICS[metric]
        win = window_text or (prior if metric in ("revenue_prior", "start_revenue") else
                              compare if metric in comparisons else current)
        number = round(float(value), 9) if pd.notna(value) else np.nan   # no float noise in the CSV
        rows.append((q, group, metric, number, unit, win, definition))

    if groups is not None:
        for group, row in groups.iterrows():
            for metric, value in row.items():
                add(str(group), str(metric), value)
    if retained is not None:
        for group, row in retained.iterrows():
            for metric, value in row.items():
                if metric not in ("grr", "nrr") or groups is None:
                    add(str(group), str(metric), value)
    if periods is not None:
        single = {"q": quarter, "prev_q": shift_quarter(quarter, -1), "yago_q": shift_quarter(quarter, -4)}
        for group, row in periods.iterrows():
            for metric, value in row.items():
                suffix = next(s for s in ("yago_q", "prev_q", "q") if metric.endswith(s)) \
                    if metric not in ("qoq_growth", "yoy_growth") else None
                text = single[suffix] if suffix else \
                    f"{quarter} vs {single['prev_q' if metric == 'qoq_growth' else 'yago_q']}"
                add(str(group), str(metric), value, text)
    if programme is not None:
        p = programme
        for metric, value in (("roi", p.roi), ("return_multiple", p.return_multiple),
                              ("incremental_gross_profit", p.incremental_gross_profit),
                              ("baseline_gross_profit", p.baseline_gross_profit),
                              ("key_gross_profit", p.gross_profit), ("key_gross_profit_prior", p.gross_profit_prior),
                              ("key_growth", p.key_growth), ("baseline_growth", p.baseline_growth),
                              ("key_revenue_growth", p.key_revenue_growth),
                              ("baseline_revenue_growth", p.baseline_revenue_growth),
                              ("programme_cost", p.programme_cost), ("programme_cost_total", p.programme_cost_total),
                              ("programme_cost_extra", p.programme_cost_extra),
                              ("payback_months", p.payback_months), ("key_accounts", p.key_accounts),
                              ("new_key_accounts", p.new_key_accounts)):
            add("programme", metric, value, compare)
    if history is not None:
        for q, row in history.iterrows():
            if q != quarter:
                add("programme", "roi", row["roi"], row["window"], q=str(q))
    if whale is not None:
        w = whale
        for metric, value in (("active_accounts", w.accounts), ("unprofitable_accounts", w.unprofitable_accounts),
                              ("unprofitable_share", w.unprofitable_share), ("total_profit", w.total_profit),
                              ("peak_profit", w.peak_profit), ("peak_profit_share", w.peak_profit_share),
                              ("profit_lost", w.profit_lost), ("key_profit_share", w.key_profit_share),
                              ("median_profit_rank", np.median(w.key_ranks) if w.key_ranks else np.nan)):
            add("whale", metric, value, current)
    if managers is not None:
        for name, row in managers.iterrows():
            for metric in ("key_accounts", "other_accounts", "revenue_prior", "revenue", "growth", "gross_profit",
                           "cost_to_serve", "profit", "incremental_gross_profit", "programme_cost", "roi"):
                add(f"manager:{name}", metric, row[metric],
                    compare if metric in ("roi", "incremental_gross_profit", "programme_cost") else None)
        add("programme", "over_guideline", int((managers["load"] == "overloaded").sum()), current)
        add("programme", "under_guideline", int((managers["load"] == "idle").sum()), current)
    for by, frame in (slices or {}).items():
        for _, row in frame.iterrows():
            group = f"{by}:{row['slice']}" + ("" if row["group"] == "all" else f"/{row['group']}")
            for metric in ("accounts", "revenue_prior", "revenue", "growth", "gross_margin_pct", "cost_to_serve",
                           "profit", "profit_pct", "nrr"):
                add(group, metric, row[metric])
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


# --- sentences --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    """A summary sentence and the (group, metric) rows of :func:`roi_table` it quotes."""

    text: str
    refs: tuple[tuple[str, str], ...]


def _pct(value: float, signed: bool = False) -> str:
    return f"{value * 100:+.0f}%" if signed else f"{value * 100:.0f}%"


def roi_sentences(programme: ProgrammeRoi, groups: pd.DataFrame, whale: WhaleSummary | None = None,
                  managers: pd.DataFrame | None = None, periods: pd.DataFrame | None = None,
                  min_accounts: int = 5, max_accounts: int = 15,
                  money: Callable[[object], str] = formatting.money) -> list[Finding]:
    """Rules-based sentences for the ROI page, each quoting figures of :func:`roi_table`."""
    out: list[Finding] = []
    p = programme
    if pd.notna(p.key_revenue_growth) and pd.notna(p.baseline_revenue_growth):
        out.append(Finding(
            f"Key accounts grew revenue {_pct(p.key_revenue_growth, True)} against "
            f"{_pct(p.baseline_revenue_growth, True)} for comparable other accounts "
            f"(gross profit {_pct(p.key_growth, True)} against {_pct(p.baseline_growth, True)}).",
            (("programme", "key_revenue_growth"), ("programme", "baseline_revenue_growth"),
             ("programme", "key_growth"), ("programme", "baseline_growth"))))
    if p.reason:
        out.append(Finding(f"The programme's return cannot be computed: {p.reason}.", (("programme", "roi"),)))
    else:
        refs = (("programme", "return_multiple"), ("programme", "incremental_gross_profit"),
                ("programme", "programme_cost"), ("programme", "roi"))
        basis = "extra KAM cost" if p.cost_basis == "extra" else "KAM cost"
        if p.incremental_gross_profit <= 0:
            out.append(Finding(
                f"Key accounts earned {money(-p.incremental_gross_profit)} less gross profit than the baseline, "
                f"on top of {money(p.programme_cost)} of {basis} (ROI {_pct(p.roi, True)}).", refs))
        elif p.roi >= 0:
            out.append(Finding(
                f"The programme returned {p.return_multiple:.1f}× its cost: {money(p.incremental_gross_profit)} "
                f"of gross profit above the baseline for {money(p.programme_cost)} of {basis} "
                f"(ROI {_pct(p.roi, True)}).", refs))
        else:
            out.append(Finding(
                f"The programme did not cover its cost: {money(p.incremental_gross_profit)} of gross profit above "
                f"the baseline for {money(p.programme_cost)} of {basis} (ROI {_pct(p.roi, True)}).", refs))
        if pd.notna(p.payback_months):
            out.append(Finding(f"At this rate the programme cost pays back in {p.payback_months:.0f} months.",
                               (("programme", "payback_months"),)))
    if {"key", "other"} <= set(groups.index) and groups.loc[["key", "other"], ["grr", "nrr"]].notna().all().all():
        k, o = groups.loc["key"], groups.loc["other"]
        out.append(Finding(
            f"Key accounts kept {_pct(k['grr'])} of last period's revenue before expansion (GRR) and "
            f"{_pct(k['nrr'])} after it (NRR), against {_pct(o['grr'])} and {_pct(o['nrr'])} for other accounts.",
            (("key", "grr"), ("key", "nrr"), ("other", "grr"), ("other", "nrr"))))
    if {"key", "other"} <= set(groups.index) and groups.loc[["key", "other"], "profit_pct"].notna().all():
        k, o = groups.loc["key"], groups.loc["other"]
        out.append(Finding(
            f"Key accounts cost {k['cost_to_serve_pct'] * 100:.1f}% of revenue to serve and keep "
            f"{_pct(k['profit_pct'])} of revenue as profit; other accounts {o['cost_to_serve_pct'] * 100:.1f}% "
            f"and {_pct(o['profit_pct'])}.",
            (("key", "cost_to_serve_pct"), ("key", "profit_pct"), ("other", "cost_to_serve_pct"),
             ("other", "profit_pct"))))
    if whale is not None and whale.accounts:
        if whale.unprofitable_accounts:
            text = (f"{whale.unprofitable_accounts} of {whale.accounts} accounts "
                    f"({_pct(whale.unprofitable_share)}) lose money after cost to serve")
        else:
            text = f"None of the {whale.accounts} accounts loses money after cost to serve"
        refs = [("whale", "unprofitable_accounts"), ("whale", "active_accounts"), ("whale", "unprofitable_share")]
        if whale.unprofitable_accounts and pd.notna(whale.peak_profit_share):
            text += f"; the profitable ones earn {_pct(whale.peak_profit_share)} of total profit"
            refs.append(("whale", "peak_profit_share"))
        if whale.key_ranks:
            text += (f". Key accounts' median profitability rank is {np.median(whale.key_ranks):.0f} "
                     f"of {whale.accounts}")
            refs.append(("whale", "median_profit_rank"))
        out.append(Finding(text + ".", tuple(refs)))
    if managers is not None and len(managers):
        over = managers.index[managers["load"] == "overloaded"]
        under = managers.index[managers["load"] == "idle"]
        n, guide = int((managers["load"] != "unassigned").sum()), f"the {min_accounts}-{max_accounts} guideline"
        refs = (("programme", "over_guideline"), ("programme", "under_guideline"))
        if len(under) == n and n:
            text = f"All {n} managers look after fewer than {min_accounts} key accounts each, below {guide}."
        elif len(over) == n and n:
            text = f"All {n} managers look after more than {max_accounts} key accounts each, above {guide}."
        elif not len(over) and not len(under):
            text = f"All {n} managers look after {min_accounts}-{max_accounts} key accounts, within the guideline."
        else:
            parts = [f"{len(over)} look after more than {max_accounts} key accounts ({', '.join(map(str, over))})"
                     if len(over) else "", f"{len(under)} fewer than {min_accounts}" if len(under) else ""]
            text = f"Of {n} managers, " + " and ".join(x for x in parts if x) + f" ({guide})."
        out.append(Finding(text, refs))
    if periods is not None and "key" in periods.index:
        k = periods.loc["key"]
        if pd.notna(k["qoq_growth"]) and pd.notna(k["yoy_growth"]):
            out.append(Finding(
                f"This quarter key-account revenue was {_pct(k['qoq_growth'], True)} on the previous quarter and "
                f"{_pct(k['yoy_growth'], True)} on the same quarter last year.",
                (("key", "qoq_growth"), ("key", "yoy_growth"))))
    return out


# --- one call ---------------------------------------------------------------------------------

@dataclass
class RoiReport:
    """Everything the ROI page shows for one quarter."""

    quarter: str
    window: str                         # "2025Q4-2026Q3 vs 2024Q4-2025Q3"
    settings: Roi
    accounts: pd.DataFrame              # account_windows + clv, one row per account
    groups: pd.DataFrame                # compare_groups: key / other / all
    retention: pd.DataFrame             # retention by cohort: key / other / all
    programme: ProgrammeRoi
    history: pd.DataFrame               # roi_by_quarter
    whale: pd.DataFrame                 # whale_curve
    whale_summary: WhaleSummary
    managers: pd.DataFrame              # manager_load
    periods: pd.DataFrame               # period_comparison
    regions: pd.DataFrame               # slice_comparison by region
    industries: pd.DataFrame            # slice_comparison by industry
    assumptions: list[str]
    sentences: list[Finding]
    table: pd.DataFrame                 # roi_table


def assumptions(programme: ProgrammeRoi, groups: pd.DataFrame, settings: Roi, quarter: str) -> list[str]:
    """The choices behind the ROI page, in words, with the values used."""
    s = settings
    grr = {g: (_pct(groups.at[g, "grr"]) if g in groups.index and pd.notna(groups.at[g, "grr"]) else "n/a")
           for g in ("key", "other")}
    cost = ("key accounts' KAM cost minus their revenue at their matched peers' KAM cost per revenue dollar "
            "(the extra cost of key-account management)" if s.programme_cost == "extra"
            else "key accounts' whole KAM cost")
    items = [
        f"Windows: {window_label(quarter, s.window_quarters, compare=True)} "
        f"({s.window_quarters} quarters each).",
        f"Key or other is today's selection ({quarter}) for every window and for the ROI history: "
        "the data holds no history of the key list.",
        "Gross profit = revenue - cost of goods; cost to serve = the KAM costs table (an account without "
        "cost rows costs 0); profit = gross profit - cost to serve. Group figures are ratios of sums.",
        "Retention cohort: accounts with revenue in the prior window. Churn = no revenue in the current window. "
        "GRR = (start - contraction - churn) / start; NRR = (start + expansion - contraction - churn) / start.",
        f"Lifetime value = annual gross profit x r / (1 + {s.discount_rate:g} - r), r = the group's GRR "
        f"(key {grr['key']}, other {grr['other']}).",
        f"Baseline: each key account's prior-window gross profit grown at the gross-profit growth of "
        f"{programme.matching}.",
        f"Programme cost = {cost}, in the current window.",
        f"Key accounts with no revenue in the prior window have no baseline and are left out of the ROI "
        f"with their cost ({programme.new_key_accounts} now).",
        f"Payback = programme cost / (incremental gross profit / {3 * s.window_quarters} months).",
        "Key accounts were chosen partly for size and potential, so the comparison shows an association "
        "with the programme, not proof that it caused the difference.",
    ]
    return items


def roi_report(dataset: Dataset, summary: pd.DataFrame, quarter: str, settings_roi: Roi | None = None,
               formats: formatting.NumberFormat | None = None, quarterly: pd.DataFrame | None = None) -> RoiReport:
    """Every ROI figure for ``quarter`` from the dataset and the portfolio summary (with ``is_key``).
    ``quarterly`` is ``metrics.quarterly_revenue(dataset)`` when the caller already has it."""
    s = settings_roi or Roi()
    w = s.window_quarters
    fmt = formats or formatting.NumberFormat()
    quarterly = quarterly_revenue(dataset) if quarterly is None else quarterly
    totals = window_totals(quarterly, dataset.kam_costs)
    frame = account_windows(quarterly, dataset.kam_costs, summary, quarter, w,
                            dataset.feedback if "feedback" in dataset.present else None, _totals=totals)
    retained = retention(frame)
    groups = compare_groups(frame, retained, s.discount_rate, w)
    rate = frame["is_key"].map({True: groups.at["key", "grr"], False: groups.at["other", "grr"]}).astype("float64")
    frame["clv"] = lifetime_value(frame["gross_profit"] * 4 / w, rate, s.discount_rate).where(frame["revenue"] > 0)
    programme = programme_roi(frame, quarter, w, s.match, s.size_bands, s.min_peers, s.programme_cost)
    history = roi_by_quarter(quarterly, dataset.kam_costs, summary, quarter, w, s.history_quarters, s.match,
                             s.size_bands, s.min_peers, s.programme_cost, _totals=totals)
    curve = whale_curve(frame)
    whale = whale_summary(curve)
    managers = manager_load(frame, programme.matches, s.min_key_accounts, s.max_key_accounts, s.managers)
    periods = period_comparison(quarterly, frame["is_key"], quarter)
    regions, industries = slice_comparison(frame, "region"), slice_comparison(frame, "industry")
    table = roi_table(quarter, w, groups, retained, programme, history, whale, managers, periods,
                      {"region": regions, "industry": industries})
    sentences = roi_sentences(programme, groups, whale, managers, periods, s.min_key_accounts,
                              s.max_key_accounts, fmt.money)
    return RoiReport(quarter=quarter, window=window_label(quarter, w, compare=True), settings=s, accounts=frame,
                     groups=groups, retention=retained, programme=programme, history=history, whale=curve,
                     whale_summary=whale, managers=managers, periods=periods, regions=regions,
                     industries=industries, assumptions=assumptions(programme, groups, s, quarter),
                     sentences=sentences, table=table)
