"""Relationship stage: Tactical, Cooperative, Interdependent or Strategic, by a transparent points rule.

Four components each earn 0-3 points (0-12 in all):

- contacts: the number of mapped stakeholders, one point at each of ``contacts_1/2/3``;
- levels: one point for each level engaged (executive, management, operational);
- supplier position: share of wallet, one point at each of ``wallet_1/2/3``;
- tenure: years as a customer, one point at each of ``tenure_1/2/3``.

The total sets the stage at the ``cooperative``, ``interdependent`` and ``strategic`` cut-offs. An
unknown share of wallet or tenure earns no points, and ``unknown`` names it, so a stage is never
higher than the data supports. An account with no stakeholder mapped is not staged at all: its
stage is :data:`NOT_ASSESSED` (contacts and levels are unknown, not zero), with guidance to map
them. The guidance pairs the stage with the account's potential.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .._fast import is_in
from ..config import Stages
from ..data.schema import LEVELS

STAGES = ("Tactical", "Cooperative", "Interdependent", "Strategic")
NOT_ASSESSED = "Not assessed"
NOT_ASSESSED_GUIDANCE = ("Not assessed — no stakeholders mapped: map the economic buyer, the decision makers and a "
                         "champion before judging the relationship.")

GUIDANCE: dict[tuple[str, bool], str] = {
    ("Tactical", True): "Invest to move up: map more contacts, reach management and an executive sponsor, "
                        "and win a larger share of spend.",
    ("Tactical", False): "Serve efficiently: keep the relationship transactional and the cost to serve low.",
    ("Cooperative", True): "Deepen the relationship: add contacts at every level and agree a joint plan "
                           "to become a partner the customer depends on.",
    ("Cooperative", False): "Maintain: keep service reliable and the cost to serve in line with the margin; "
                            "do not add investment.",
    ("Interdependent", True): "Move to strategic: joint business planning, executive sponsorship on both sides "
                              "and shared goals.",
    ("Interdependent", False): "Protect the position at a lower cost: keep what works and check that the "
                               "effort is earned back.",
    ("Strategic", True): "Protect and grow: keep the executives aligned and develop new value together.",
    ("Strategic", False): "Rethink the investment: the relationship costs more than the account's potential "
                          "justifies; scale it back towards a cooperative one.",
}


def stage_guidance(stage: str, potential_high: bool) -> str:
    """What to do with an account at ``stage`` whose potential is high or not."""
    if stage == NOT_ASSESSED:
        return NOT_ASSESSED_GUIDANCE
    if stage not in STAGES:
        raise ValueError(f"unknown relationship stage {stage!r} (choose from: {', '.join(STAGES)})")
    return GUIDANCE[(stage, bool(potential_high))]


def _steps(values: pd.Series, cuts: tuple[float, float, float]) -> pd.Series:
    """One point for each cut-off reached (0-3); NaN earns 0."""
    v = values.astype("float64")
    return sum((v >= c - 1e-9).astype(int) for c in cuts)


def stage_of(points: pd.Series, stages: Stages) -> pd.Series:
    return pd.Series(np.select([points >= stages.strategic, points >= stages.interdependent,
                                points >= stages.cooperative],
                               ["Strategic", "Interdependent", "Cooperative"], default="Tactical"),
                     index=points.index)


def relationship_stages(summary: pd.DataFrame, stakeholders: pd.DataFrame, stages: Stages | None = None,
                        potential_high: pd.Series | None = None) -> pd.DataFrame:
    """Stage, the points behind it and the guidance, one row per account of ``summary``.

    ``summary`` needs ``share_of_wallet`` and ``tenure_years``; ``potential_high`` (bool per account)
    defaults to ``attractiveness >= stages.high_potential`` from the KAM matrix columns.
    Columns: contacts, levels_engaged, share_of_wallet, tenure_years, points_contacts, points_levels,
    points_wallet, points_tenure, points, stage, potential_high, guidance, unknown.
    """
    stages = stages or Stages()
    index = summary.index
    if potential_high is None:
        if "attractiveness" not in summary:
            raise ValueError("relationship_stages needs potential_high or an 'attractiveness' column "
                             "(the KAM matrix)")
        potential_high = summary["attractiveness"] >= stages.high_potential - 1e-9
    sh = stakeholders[is_in(stakeholders["account_id"], index)]
    contacts = sh.groupby("account_id").size().reindex(index).fillna(0).astype(int)
    level = sh["level"] if "level" in sh else pd.Series(pd.NA, index=sh.index, dtype="object")
    pairs = sh.assign(level=level).dropna(subset=["level"])[["account_id", "level"]].drop_duplicates()
    at_level = {lv: set(pairs.loc[pairs["level"] == lv, "account_id"]) for lv in LEVELS}
    # sets, not a groupby with a Python function per account: 100,000 accounts in well under a second
    engaged = pd.Series([tuple(lv for lv in LEVELS if account in at_level[lv]) for account in index],
                        index=index, dtype="object")
    wallet = summary["share_of_wallet"].astype("float64")
    tenure = summary["tenure_years"].astype("float64")

    out = pd.DataFrame(index=index)
    out["contacts"] = contacts
    out["levels_engaged"] = engaged.map(", ".join)
    out["share_of_wallet"] = wallet
    out["tenure_years"] = tenure
    out["points_contacts"] = _steps(contacts, (stages.contacts_1, stages.contacts_2, stages.contacts_3))
    out["points_levels"] = engaged.map(len).astype(int)
    out["points_wallet"] = _steps(wallet, (stages.wallet_1, stages.wallet_2, stages.wallet_3))
    out["points_tenure"] = _steps(tenure, (stages.tenure_1, stages.tenure_2, stages.tenure_3))
    out["points"] = out[["points_contacts", "points_levels", "points_wallet", "points_tenure"]].sum(axis=1)
    out["stage"] = stage_of(out["points"], stages).where(contacts > 0, NOT_ASSESSED)
    out["potential_high"] = potential_high.reindex(index).fillna(False).astype(bool)
    out["guidance"] = [stage_guidance(s, p) for s, p in zip(out["stage"], out["potential_high"])]
    out["unknown"] = [", ".join(n for n, gap in (("share of wallet", w), ("tenure", t)) if gap)
                      for w, t in zip(wallet.reindex(index).isna(), tenure.reindex(index).isna())]
    return out


def stage_counts(accounts: pd.DataFrame) -> pd.Series:
    """How many of ``accounts`` are at each stage, every stage listed (0 when none), lowest first;
    then :data:`NOT_ASSESSED`, only when some accounts are (no stakeholders mapped)."""
    counts = accounts["relationship_stage"].value_counts()
    shown = STAGES + ((NOT_ASSESSED,) if counts.get(NOT_ASSESSED, 0) else ())
    return pd.Series([int(counts.get(s, 0)) for s in shown], index=pd.Index(shown, name="stage"), name="accounts")


def by_stage(accounts: pd.DataFrame) -> pd.DataFrame:
    """Name, stage, quadrant and guidance of ``accounts``, lowest stage first (not assessed before all):
    the accounts with the most relationship work ahead lead the page."""
    order = {stage: rank for rank, stage in enumerate((NOT_ASSESSED,) + STAGES)}
    stages = accounts[["name", "relationship_stage", "quadrant", "stage_guidance"]]
    return stages.sort_values("relationship_stage", key=lambda s: s.map(order))
