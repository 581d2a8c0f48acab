"""Programme ROI: what the key-account programme returns against matched non-key peers.

Programme ROI (:func:`programme_roi`)
- Each key account that was a customer for the whole prior window (revenue in the prior window,
  and in its first quarter or before: ``established`` of
  :func:`~kamreports.analytics.roi.windows.account_windows`) is matched with non-key accounts of
  the same kind: those in the same size band (equal-count bands of prior-window revenue over all
  such accounts, :func:`~kamreports.analytics.metrics.size_bands`), the same industry, both, or
  all, as ``match`` says. A group with fewer than ``min_peers`` accounts, or without positive prior
  gross profit, falls back (size_industry -> size -> all non-key).
- baseline = the account's prior gross profit x (1 + its peers' gross-profit growth, a ratio of
  sums); incremental gross profit = current gross profit - baseline, summed over key accounts.
- programme cost, ``extra`` basis: key accounts' KAM cost in the current window minus their
  current revenue x their peers' KAM cost per revenue dollar. ``total`` basis: the whole KAM cost.
- ROI = (incremental gross profit - programme cost) / programme cost; NaN with a reason when
  there is no programme cost or no baseline. Payback (months) = programme cost / (incremental
  gross profit / months in the window); NaN when the increment is not positive.
- Key accounts that started buying during the prior window or later have no full-year baseline and
  are left out, with their cost; the result counts them. (Counting one whose prior window held a
  single quarter credited the programme with three quarters of its ramp-up: the rolling ROI
  jumped by some 60 points in each window where a new key account first appeared.) Peers follow
  the same rule, so like is compared with like.

The rolling history (:func:`roi_by_quarter`) is the same ROI for each recent quarter over its own
trailing window: with ``key_lists`` (each quarter's own selection, from the quarters' records or
recomputed; ``Portfolio.history``), each window uses the key list of its own quarter; without them,
or for a quarter they do not hold, today's key list.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...periods import parse_quarter, quarter_range
from ..metrics import ratio, size_bands
from ._common import _sum
from .windows import WindowTotals, account_windows, window_label, window_totals


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
    new_key_accounts: int               # key accounts left out: not customers for the whole prior window
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
    ("no key accounts", "no key account was a customer for the whole prior window", "no comparable
    non-key accounts: baseline growth undefined", "no programme cost").
    """
    if match not in ("size", "industry", "size_industry", "all"):
        raise ValueError(f"unknown match rule {match!r} (choose from size, industry, size_industry, all)")
    if cost_basis not in ("extra", "total"):
        raise ValueError(f"unknown programme cost basis {cost_basis!r} (choose from extra, total)")
    label = window_label(quarter, window, compare=True)
    full_year = (frame["revenue_prior"] > 0) & frame["established"].astype(bool)
    cohort = frame[full_year].copy()
    cohort["size_band"] = size_bands(cohort["revenue_prior"], bands)
    keys = cohort[cohort["is_key"]]
    peers = cohort[~cohort["is_key"]]
    new_keys = frame[frame["is_key"] & ~full_year]
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
        reason = "no key account was a customer for the whole prior window: no baseline to grow"
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


def with_key_list(summary: pd.DataFrame, keys: pd.Series) -> pd.DataFrame:
    """``summary`` with ``is_key`` replaced by another quarter's key flags (account id -> bool); an
    account that quarter did not have is not key."""
    flags = keys.copy()
    flags.index = flags.index.astype(str)
    is_key = flags.reindex(summary.index.astype(str)).fillna(False).astype(bool).to_numpy()
    return summary.assign(is_key=is_key)


def roi_by_quarter(quarterly: pd.DataFrame, kam_costs: pd.DataFrame, summary: pd.DataFrame, quarter: str,
                   window: int = 4, history: int = 8, match: str = "size", bands: int = 3, min_peers: int = 3,
                   cost_basis: str = "extra", _totals: tuple[WindowTotals, WindowTotals] | None = None,
                   key_lists: dict[str, pd.Series] | None = None) -> pd.DataFrame:
    """The programme ROI for each of the last ``history`` quarters up to ``quarter``, each over its
    own trailing window (a rolling series), indexed by quarter, oldest first. Only quarters whose
    prior window starts at or after the first quarter of revenue data are shown (two full windows
    of history). ``key_lists``: quarter -> that quarter's key flags; a window whose quarter is in it
    uses that key list, any other today's (``summary["is_key"]``). Columns: :data:`HISTORY_COLUMNS`."""
    first = min((parse_quarter(str(x)) for x in quarterly["quarter"].unique()), default=None)
    totals = _totals or window_totals(quarterly, kam_costs)
    rows = {}
    for q in quarter_range(quarter, history):
        if first is None or parse_quarter(q) - (2 * window - 1) < first:
            continue
        own = summary if not key_lists or q not in key_lists else with_key_list(summary, key_lists[q])
        frame = account_windows(quarterly, kam_costs, own, q, window, _totals=totals)
        r = programme_roi(frame, q, window, match, bands, min_peers, cost_basis)
        rows[q] = {"window": r.window, "key_accounts": r.key_accounts,
                   "incremental_gross_profit": r.incremental_gross_profit, "programme_cost": r.programme_cost,
                   "roi": r.roi, "payback_months": r.payback_months, "key_growth": r.key_growth,
                   "baseline_growth": r.baseline_growth, "reason": r.reason}
    return pd.DataFrame.from_dict(rows, orient="index", columns=HISTORY_COLUMNS).rename_axis("quarter")
