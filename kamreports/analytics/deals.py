"""Deals: won and lost opportunities in the window, the win rate, and the open pipeline.

Pure functions: the opportunities table (``opportunity_id, account_id, product_id, stage (won,
lost, open), amount, created_date, close_date, probability, pipeline_stage``) in, frames out.

Rules
- The window is the last four quarters to the reporting quarter (T4Q). A won or lost deal counts
  in it when its close date falls in it; one without a close date is left out of the window.
- Win rate by count = won ÷ (won + lost); by value = won amount ÷ (won + lost amount). NaN when
  nothing was won or lost in the window: no rate is invented from no deals.
- The open pipeline is every open opportunity, whatever its date (the export says it is open
  now), grouped by ``pipeline_stage`` ("Open" where the export gives no stage).
- Weighted value = amount × probability. An open deal without a probability adds its amount to
  the pipeline but nothing to the weighted value, and ``unweighted`` counts such deals.
- Pipeline coverage of the gap = weighted pipeline ÷ (annual target - full-year forecast), when
  the forecast falls short of the target; otherwise there is no gap to cover.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..periods import parse_quarter, shift_quarter

DEAL_COLUMNS = ["won_deals", "lost_deals", "won_value", "lost_value", "win_rate", "win_rate_value", "open_deals",
                "open_value", "weighted_pipeline", "unweighted_deals"]
NO_STAGE = "Open"


def _window(quarter: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    return parse_quarter(shift_quarter(quarter, -3)).start_time, parse_quarter(quarter).end_time


def closed_in_window(opportunities: pd.DataFrame, quarter: str) -> pd.DataFrame:
    """Won and lost opportunities whose close date falls in the four quarters to ``quarter``."""
    start, end = _window(quarter)
    close = opportunities["close_date"]
    closed = opportunities["stage"].isin(["won", "lost"]) & close.notna() & (close >= start) & (close <= end)
    return opportunities[closed]


def deal_summary(opportunities: pd.DataFrame, quarter: str, index: pd.Index) -> pd.DataFrame:
    """Per account of ``index``: the columns :data:`DEAL_COLUMNS` (see the module doc)."""
    closed = closed_in_window(opportunities, quarter)
    amount = closed["amount"].astype("float64")
    won = closed["stage"] == "won"
    by = closed["account_id"]
    out = pd.DataFrame(index=index)
    out["won_deals"] = won.groupby(by).sum().reindex(index).fillna(0).astype(int)
    out["lost_deals"] = (~won).groupby(by).sum().reindex(index).fillna(0).astype(int)
    out["won_value"] = amount.where(won, 0.0).groupby(by).sum().reindex(index).fillna(0.0)
    out["lost_value"] = amount.where(~won, 0.0).groupby(by).sum().reindex(index).fillna(0.0)
    decided = out["won_deals"] + out["lost_deals"]
    out["win_rate"] = (out["won_deals"] / decided.where(decided > 0)).astype("float64")
    value = out["won_value"] + out["lost_value"]
    out["win_rate_value"] = (out["won_value"] / value.where(value > 0)).astype("float64")
    open_ = opportunities[opportunities["stage"] == "open"]
    open_by = open_["account_id"]
    probability = open_["probability"].astype("float64")
    out["open_deals"] = open_by.value_counts().reindex(index).fillna(0).astype(int)
    out["open_value"] = open_["amount"].astype("float64").groupby(open_by).sum().reindex(index).fillna(0.0)
    weighted = (open_["amount"].astype("float64") * probability.fillna(0.0)).groupby(open_by).sum()
    out["weighted_pipeline"] = weighted.reindex(index).fillna(0.0)
    out["unweighted_deals"] = probability.isna().groupby(open_by).sum().reindex(index).fillna(0).astype(int)
    return out


def pipeline_by_stage(opportunities: pd.DataFrame, account_id: str) -> pd.DataFrame:
    """One account's open deals by pipeline stage: stage, deals, value, weighted, largest first."""
    open_ = opportunities[(opportunities["stage"] == "open") & (opportunities["account_id"] == account_id)]
    stage = open_["pipeline_stage"] if "pipeline_stage" in open_ else pd.Series(np.nan, index=open_.index)
    stage = stage.astype("object").where(stage.notna(), NO_STAGE)
    amount = open_["amount"].astype("float64")
    frame = pd.DataFrame({"stage": stage, "value": amount,
                          "weighted": amount * open_["probability"].astype("float64").fillna(0.0)})
    out = frame.groupby("stage", sort=False).agg(deals=("value", "size"), value=("value", "sum"),
                                                 weighted=("weighted", "sum")).reset_index()
    return out.sort_values(["value", "stage"], ascending=[False, True], kind="mergesort").reset_index(drop=True)


def account_deals(opportunities: pd.DataFrame, account_id: str, quarter: str) -> pd.DataFrame:
    """One account's won and lost deals in the window, latest first: opportunity_id, product_id, stage,
    amount, close_date."""
    closed = closed_in_window(opportunities, quarter)
    mine = closed[closed["account_id"] == account_id]
    columns = ["opportunity_id", "product_id", "stage", "amount", "close_date"]
    return mine[columns].sort_values(["close_date", "opportunity_id"], ascending=[False, True]).reset_index(drop=True)


def gap_coverage(weighted_pipeline: float, annual_target: float, forecast: float) -> tuple[float, float]:
    """(gap, coverage): the shortfall of the forecast against the target (0 when none, NaN without a
    target) and the weighted pipeline as a multiple of it (NaN when there is no shortfall)."""
    if pd.isna(annual_target) or pd.isna(forecast):
        return float("nan"), float("nan")
    gap = max(0.0, float(annual_target) - float(forecast))
    return gap, (float(weighted_pipeline) / gap if gap > 0 else float("nan"))
