"""Growth against target in depth: quarter by quarter, a full-year forecast, and the portfolio.

Pure functions: the long quarterly revenue frame (``metrics.quarterly_revenue``:
account_id, quarter, revenue) and the targets table (account_id, quarter,
target) in, frames out.

Rules
- Attainment is revenue / target. A zero target counts as no target (as in the
  account summary), so attainment is NaN, never infinite.
- QoQ and YoY growth compare with the quarter before and the same quarter a year
  before; NaN when that base is zero or absent.
- T4Q revenue is the sum of the four quarters ending with the row's quarter;
  ``target_t4q`` sums their four targets and is NaN unless all four are set.
- Rows start at the account's first quarter with revenue (as ``account.growth_vs_target``).

Full-year forecast (calendar year of the reporting quarter Qk)
- forecast = actuals of Q1..Qk + (4 - k) x run-rate, where the run-rate is the
  mean revenue of the latest ``run_rate_quarters`` quarters (fewer if the
  account is newer; a quarter without revenue counts as 0).
- band = the sample standard deviation of the latest ``band_quarters``
  quarter-on-quarter changes (changes from a zero base are skipped), but never
  less than ``min_band``; with fewer than two changes it is ``min_band``.
  low / high = actuals + remainder x (1 -/+ band), the low side not below the
  actuals. In Q4 nothing is left to forecast, so the band has zero width.
- annual target = the sum of the year's four quarterly targets; NaN when any of
  the four is missing or all are zero. gap = forecast - annual target
  (negative: short of target).
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..periods import label_codes, parse_quarter, quarter_code, quarter_range
from .metrics import growth, ratio

GROUPS = ("key", "rest", "all")


def _first_quarters(quarterly: pd.DataFrame, quarter: str) -> pd.Series:
    """Account -> code (``periods.quarter_code``) of its first quarter with revenue, up to ``quarter``."""
    if quarterly.empty:
        return pd.Series(dtype="int64")
    ordinal = label_codes(quarterly["quarter"])
    live = (quarterly["revenue"].astype("float64").to_numpy() > 0) & (ordinal <= quarter_code(quarter))
    first = pd.Series(ordinal[live]).groupby(quarterly["account_id"].astype(str).to_numpy()[live]).min()
    first.index.name = "account_id"
    return first.sort_index()


def _wide(long: pd.DataFrame, value: str, ids: pd.Index, quarters: list[str], fill: float) -> pd.DataFrame:
    """Accounts x quarters of ``value`` (summed), exactly ``ids`` by ``quarters``; gaps get ``fill``."""
    frame = pd.DataFrame({"account_id": long["account_id"].astype(str), "quarter": long["quarter"].astype(str),
                          value: long[value].astype("float64")})
    frame = frame[frame["quarter"].isin(quarters)]
    wide = frame.groupby(["account_id", "quarter"])[value].sum(min_count=1).unstack("quarter") \
        if len(frame) else pd.DataFrame(dtype="float64")
    wide = wide.reindex(index=ids, columns=quarters).astype("float64")
    return wide if np.isnan(fill) else wide.fillna(fill)


def _ratio(numerator: pd.DataFrame, denominator: pd.DataFrame) -> pd.DataFrame:
    """Element-wise numerator / denominator, NaN where the denominator is zero or missing."""
    return numerator / denominator.where(denominator != 0)


def _trailing4(wide: pd.DataFrame) -> pd.DataFrame:
    """Sum of each quarter and the three before it, per account (row); NaN for the first three
    quarters and wherever one of the four is NaN: ``rolling(4).sum()`` along the columns, without
    transposing 100,000 accounts into columns (rolling then runs once per account)."""
    values = wide.to_numpy(dtype="float64")
    out = np.full_like(values, np.nan)
    for j in range(3, values.shape[1]):
        out[:, j] = values[:, j - 3:j + 1].sum(axis=1)
    return pd.DataFrame(out, index=wide.index, columns=wide.columns)


def _select(ids: pd.Index, account_ids: Iterable[str] | None) -> pd.Index:
    if account_ids is None:
        return ids
    wanted = {str(a) for a in account_ids}
    return pd.Index([a for a in ids if a in wanted], name="account_id")


def quarterly_growth(quarterly: pd.DataFrame, targets: pd.DataFrame, quarter: str, quarters: int = 8,
                     account_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """One row per account and quarter for the ``quarters`` ending with ``quarter``.

    Columns: account_id, quarter, revenue, target, attainment, qoq_growth, yoy_growth,
    revenue_t4q, target_t4q, attainment_t4q, t4q_growth. Accounts without revenue up
    to ``quarter`` have no rows; quarters before an account's first revenue are left out.
    """
    columns = ["account_id", "quarter", "revenue", "target", "attainment", "qoq_growth", "yoy_growth",
               "revenue_t4q", "target_t4q", "attainment_t4q", "t4q_growth"]
    first = _first_quarters(quarterly, quarter)
    ids = _select(first.index, account_ids)
    if ids.empty:
        return pd.DataFrame({c: pd.Series(dtype="object" if c in ("account_id", "quarter") else "float64")
                             for c in columns})
    window = quarter_range(quarter, quarters + 7)     # seven more: T4Q growth reaches eight quarters back
    rev = _wide(quarterly, "revenue", ids, window, 0.0)
    tgt = _wide(targets, "target", ids, window, np.nan)
    t4q = _trailing4(rev)
    tgt4 = _trailing4(tgt)   # NaN unless all four targets are set
    metrics = {
        "revenue": rev,
        "target": tgt,
        "attainment": _ratio(rev, tgt),
        "qoq_growth": _ratio(rev, rev.shift(1, axis=1)) - 1,
        "yoy_growth": _ratio(rev, rev.shift(4, axis=1)) - 1,
        "revenue_t4q": t4q,
        "target_t4q": tgt4,
        "attainment_t4q": _ratio(t4q, tgt4),
        "t4q_growth": _ratio(t4q, t4q.shift(4, axis=1)) - 1,
    }
    shown = window[7:]
    long = pd.DataFrame({name: m.reindex(index=ids, columns=shown).stack(future_stack=True)
                         for name, m in metrics.items()})
    long.index.names = ["account_id", "quarter"]
    long = long.reset_index()
    ordinal = label_codes(long["quarter"])
    long = long[ordinal >= long["account_id"].map(first).to_numpy()].reset_index(drop=True)
    return long[columns]


def account_growth(quarterly: pd.DataFrame, targets: pd.DataFrame, account_id: str, quarter: str,
                   quarters: int = 8) -> pd.DataFrame:
    """One account's rows of :func:`quarterly_growth`, indexed by quarter (extends
    ``account.growth_vs_target`` with the T4Q columns)."""
    rows = quarterly_growth(quarterly, targets, quarter, quarters, [account_id])
    return rows.drop(columns="account_id").set_index("quarter")


def year_forecast(quarterly: pd.DataFrame, targets: pd.DataFrame, quarter: str, run_rate_quarters: int = 2,
                  band_quarters: int = 4, min_band: float = 0.05,
                  account_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """Full-year forecast per account for the calendar year of ``quarter`` (rule in the module doc).

    Index account_id (accounts with revenue up to ``quarter``). Columns: year, quarters_done,
    history_quarters, actual_ytd, target_ytd, attainment_ytd, run_rate, run_rate_quarters,
    remaining_quarters, forecast_remaining, changes_used, qoq_spread, band, band_source
    ("spread" or "minimum"), forecast, forecast_low, forecast_high, annual_target,
    target_quarters, gap_to_target, forecast_attainment, verdict ("on track": the low end
    reaches the target; "off track": the high end falls short; "at risk": in between;
    "no target").
    """
    if run_rate_quarters < 1 or band_quarters < 2 or not 0 < min_band < 1:
        raise ValueError("run_rate_quarters >= 1, band_quarters >= 2 and 0 < min_band < 1 are required")
    period = parse_quarter(quarter)
    year, done = period.year, period.quarter
    year_quarters = [f"{year}Q{i}" for i in range(1, 5)]
    first = _first_quarters(quarterly, quarter)
    ids = _select(first.index, account_ids)
    window = quarter_range(quarter, max(done, run_rate_quarters, band_quarters + 1))
    rev = _wide(quarterly, "revenue", ids, window, 0.0)
    ordinals = np.array([quarter_code(q) for q in window])
    in_history = pd.DataFrame(ordinals[None, :] >= first.reindex(ids).to_numpy()[:, None], index=ids,
                              columns=window)

    out = pd.DataFrame(index=ids)
    out["year"] = year
    out["quarters_done"] = done
    out["history_quarters"] = (quarter_code(quarter) - first.reindex(ids) + 1).astype(int)
    out["actual_ytd"] = rev[year_quarters[:done]].sum(axis=1)
    tgt = _wide(targets, "target", ids, year_quarters, np.nan)
    out["target_ytd"] = tgt[year_quarters[:done]].sum(axis=1, min_count=done) if done else np.nan
    out["target_ytd"] = out["target_ytd"].where(out["target_ytd"] > 0)
    out["attainment_ytd"] = ratio(out["actual_ytd"], out["target_ytd"])

    recent = window[-run_rate_quarters:]
    used = in_history[recent].sum(axis=1)
    out["run_rate"] = rev[recent].sum(axis=1) / used     # revenue before the first quarter is zero anyway
    out["run_rate_quarters"] = used.astype(int)
    out["remaining_quarters"] = 4 - done
    out["forecast_remaining"] = out["remaining_quarters"] * out["run_rate"]

    span = window[-(band_quarters + 1):]
    base = rev[span[:-1]].to_numpy()
    base_ok = in_history[span[:-1]].to_numpy() & (base > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(base_ok, rev[span[1:]].to_numpy() / np.where(base_ok, base, 1.0) - 1, np.nan)
    changes = pd.DataFrame(change, index=ids)
    out["changes_used"] = changes.notna().sum(axis=1).astype(int)
    out["qoq_spread"] = changes.std(axis=1, ddof=1)      # NaN with fewer than two changes
    wide_enough = out["qoq_spread"] > min_band
    out["band"] = out["qoq_spread"].where(wide_enough, min_band)
    out["band_source"] = np.where(wide_enough, "spread", "minimum")

    out["forecast"] = out["actual_ytd"] + out["forecast_remaining"]
    out["forecast_low"] = out["actual_ytd"] + out["forecast_remaining"] * (1 - out["band"]).clip(lower=0)
    out["forecast_high"] = out["actual_ytd"] + out["forecast_remaining"] * (1 + out["band"])

    out["target_quarters"] = tgt.notna().sum(axis=1).astype(int)
    annual = tgt.sum(axis=1, min_count=4)
    out["annual_target"] = annual.where(annual > 0)
    out["gap_to_target"] = out["forecast"] - out["annual_target"]
    out["forecast_attainment"] = ratio(out["forecast"], out["annual_target"])
    verdict = np.select([out["annual_target"].isna(), out["forecast_low"] >= out["annual_target"],
                         out["forecast_high"] < out["annual_target"]],
                        ["no target", "on track", "off track"], default="at risk")
    out["verdict"] = verdict
    out.index.name = "account_id"
    return out


def forecast_path(quarterly: pd.DataFrame, targets: pd.DataFrame, forecast: pd.DataFrame,
                  account_id: str) -> pd.DataFrame:
    """One account's year quarter by quarter, for the forecast chart.

    Index: the four quarters of the forecast year. Columns: kind ("actual" or "forecast"),
    revenue (actual, NaN ahead), forecast (run-rate, NaN for quarters done), target,
    cumulative, cumulative_low, cumulative_high (equal to cumulative for quarters done;
    ahead, the band widens in step: j quarters ahead it is band x j x run-rate).
    """
    row = forecast.loc[account_id]
    year, done = int(row["year"]), int(row["quarters_done"])
    year_quarters = [f"{year}Q{i}" for i in range(1, 5)]
    ids = pd.Index([account_id], name="account_id")
    rev = _wide(quarterly, "revenue", ids, year_quarters, 0.0).loc[account_id]
    tgt = _wide(targets, "target", ids, year_quarters, np.nan).loc[account_id]
    ahead = np.maximum(np.arange(1, 5) - done, 0)            # quarters ahead of the reporting quarter
    is_done = ahead == 0
    actual_cum = rev.where(is_done, 0.0).cumsum().to_numpy()
    path = pd.DataFrame(index=pd.Index(year_quarters, name="quarter"))
    path["kind"] = np.where(is_done, "actual", "forecast")
    path["revenue"] = rev.where(is_done).to_numpy()
    path["forecast"] = np.where(is_done, np.nan, row["run_rate"])
    path["target"] = tgt.to_numpy()
    path["cumulative"] = actual_cum + ahead * row["run_rate"]
    path["cumulative_low"] = actual_cum + ahead * row["run_rate"] * max(0.0, 1 - row["band"])
    path["cumulative_high"] = actual_cum + ahead * row["run_rate"] * (1 + row["band"])
    return path


def _groups(ids: pd.Index, key_ids: Iterable[str]) -> dict[str, np.ndarray]:
    key = ids.isin({str(a) for a in key_ids})
    return {"key": key, "rest": ~key, "all": np.ones(len(ids), dtype=bool)}


def portfolio_growth(quarterly: pd.DataFrame, targets: pd.DataFrame, quarter: str, key_ids: Iterable[str],
                     quarters: int = 8) -> pd.DataFrame:
    """Key accounts, the rest and all accounts by quarter, for the ``quarters`` ending with ``quarter``.

    Index quarter. Columns, for each group g in key, rest, all: revenue_g, target_g,
    attainment_g, qoq_growth_g, yoy_growth_g, revenue_t4q_g; and key_share (key revenue /
    all revenue). Ratios of sums: target_g sums the targets above zero, and attainment_g
    is the revenue of the accounts with such a target over that sum (NaN when none has one).
    """
    window = quarter_range(quarter, quarters + 4)    # four more for YoY and T4Q
    ids = pd.Index(sorted(set(quarterly["account_id"].astype(str)) | set(targets["account_id"].astype(str))),
                   name="account_id")
    rev = _wide(quarterly, "revenue", ids, window, 0.0)
    tgt = _wide(targets, "target", ids, window, np.nan)
    has_target = tgt > 0
    out = pd.DataFrame(index=pd.Index(window, name="quarter"))
    for name, mask in _groups(ids, key_ids).items():
        r, t, h = rev[mask], tgt[mask], has_target[mask]
        out[f"revenue_{name}"] = r.sum(axis=0)
        out[f"target_{name}"] = t.where(h).sum(axis=0, min_count=1)
        out[f"attainment_{name}"] = ratio(r.where(h).sum(axis=0), out[f"target_{name}"])
        out[f"qoq_growth_{name}"] = growth(out[f"revenue_{name}"], out[f"revenue_{name}"].shift(1))
        out[f"yoy_growth_{name}"] = growth(out[f"revenue_{name}"], out[f"revenue_{name}"].shift(4))
        out[f"revenue_t4q_{name}"] = out[f"revenue_{name}"].rolling(4).sum()
    out["key_share"] = ratio(out["revenue_key"], out["revenue_all"])
    return out.iloc[4:]


def portfolio_forecast(forecast: pd.DataFrame, key_ids: Iterable[str]) -> pd.DataFrame:
    """Full-year forecast summed for key accounts, the rest and all (rows key, rest, all).

    Columns: accounts, actual_ytd, forecast, forecast_low, forecast_high, accounts_with_target,
    annual_target, forecast_with_target, gap_to_target, forecast_attainment. The band is the
    sum of the accounts' bands (as if their deviations moved together: the cautious reading).
    The target columns cover only the accounts that have an annual target, so the gap
    compares like with like.
    """
    rows = {}
    for name, mask in _groups(forecast.index, key_ids).items():
        f = forecast[mask]
        with_target = f[f["annual_target"].notna()]
        target = with_target["annual_target"].sum() if len(with_target) else np.nan
        rows[name] = {
            "accounts": len(f),
            "actual_ytd": f["actual_ytd"].sum(),
            "forecast": f["forecast"].sum(),
            "forecast_low": f["forecast_low"].sum(),
            "forecast_high": f["forecast_high"].sum(),
            "accounts_with_target": len(with_target),
            "annual_target": target,
            "forecast_with_target": with_target["forecast"].sum() if len(with_target) else np.nan,
        }
    out = pd.DataFrame(rows).T
    out["gap_to_target"] = out["forecast_with_target"] - out["annual_target"]
    out["forecast_attainment"] = ratio(out["forecast_with_target"].astype("float64"),
                                       out["annual_target"].astype("float64"))
    out = out.astype({c: "float64" for c in out.columns if c not in ("accounts", "accounts_with_target")})
    out = out.astype({"accounts": int, "accounts_with_target": int})
    out.index.name = "group"
    return out


def off_track_count(accounts: pd.DataFrame) -> int:
    """How many of ``accounts`` are off track for the year (even the high end of the forecast
    falls short of the annual target)."""
    return int((accounts["fy_verdict"] == "off track").sum())
