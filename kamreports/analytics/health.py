"""Account health, 0-100, from weighted components that are each scored 0-100 and shown.

Pure functions: the account summary (``metrics.account_summary``) and the stakeholders
table in, one row per account out.

Components and their rules (absolute, not ranked: a portfolio of equal accounts gets equal scores)
- growth:      T4Q revenue growth g: 50 + 50 x g / growth_span, clipped to 0-100
               (default span 20%: -20% or worse = 0, flat = 50, +20% or better = 100).
- attainment:  quarter revenue / target a: (a - 0.5) / 0.5 x 100, clipped to 0-100
               (50% or less = 0, 75% = 50, 100% or more = 100).
- nps:         average feedback score (0-10) over the last four quarters x 10.
- engagement:  days d since the most recent contact with any stakeholder, as of the quarter end:
               100 x (1 - d / (2 x stale_days)), clipped to 0-100 (today = 100, stale_days = 50).
               A contact dated after the quarter end counts as 0 days.
- coverage:    share of the five key buying roles with a mapped contact x 100.
- risks:       100 - risk_step x the number of stakeholder risk flags, not below 0.
               The flags are those of ``account.stakeholder_risks``: single-threaded (at most
               one contact), no economic buyer, no executive, no champion, one per detractor
               or sceptic in a deciding role, and one if any contact is stale.

Missing data
- No growth (no prior-year revenue), no target (missing or zero) or no feedback: the
  component is missing.
- An account with no mapped stakeholders has no engagement, coverage or risks component:
  the three are missing (not assessed), never scored low from the absence of data, as in
  the KAM matrix and the relationship stage. The same when nobody has stakeholders (the
  table is absent or empty). A mapped contact with no contact date counts as never contacted
  (engagement 0).
- A missing component is left out and the other weights are scaled up to sum to 100; the
  ``missing`` column names what was left out. When the components present weigh less than
  ``min_weight`` (of 100), there is no score (NaN) and the band is "n/a".
- Bands: below ``red`` is red, below ``amber`` amber, otherwise green.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .._fast import is_in
from ..config import HEALTH_COMPONENTS, Health
from ..periods import quarter_end
from .account import DECIDING_ROLES
from .metrics import KEY_ROLES

DEFAULT_WEIGHTS = dict(Health().weights)


def stakeholder_stats(stakeholders: pd.DataFrame, index: pd.Index, quarter: str,
                      stale_days: int = 90) -> pd.DataFrame:
    """Per account: contacts, days_since_contact, roles_covered (of the five key roles), risk_flags.

    risk_flags is a vectorised count of ``account.stakeholder_risks`` (same rules); for an
    account with no contacts, days_since_contact, roles_covered and risk_flags are NaN (not assessed).
    """
    as_of = pd.Timestamp(quarter_end(quarter))
    sh = stakeholders[is_in(stakeholders["account_id"], index.astype(str))].reset_index(drop=True)
    account = sh["account_id"].astype(str)
    last = pd.to_datetime(sh["last_contact"])
    days = (as_of - last).dt.days
    role, level = sh["role"].astype("object"), sh.get("level", pd.Series(np.nan, index=sh.index)).astype("object")
    sentiment = pd.to_numeric(sh["sentiment"], errors="coerce").astype("float64")
    flags_per_contact = pd.DataFrame({
        "account_id": account,
        "economic_buyer": role == "economic_buyer",
        "executive": level == "executive",
        "champion": role == "champion",
        "deciding_detractor": role.isin(DECIDING_ROLES) & (sentiment <= -1),
        "stale": days.isna() | (days > stale_days),
        "key_role": role.where(role.isin(KEY_ROLES)),
    })
    grouped = flags_per_contact.groupby("account_id")
    out = pd.DataFrame(index=index)
    out["contacts"] = account.value_counts().reindex(index).fillna(0).astype(int)
    out["days_since_contact"] = days.groupby(account).min().reindex(index).clip(lower=0).astype("float64")
    out["roles_covered"] = grouped["key_role"].nunique().reindex(index).fillna(0).astype(int)
    has = grouped[["economic_buyer", "executive", "champion", "stale"]].any().reindex(index).fillna(False)
    detractors = grouped["deciding_detractor"].sum().reindex(index).fillna(0)
    flags = ((out["contacts"] <= 1).astype(int) + (~has["economic_buyer"].astype(bool)).astype(int)
             + (~has["executive"].astype(bool)).astype(int) + (~has["champion"].astype(bool)).astype(int)
             + detractors.astype(int) + has["stale"].astype(bool).astype(int))
    mapped = out["contacts"] > 0
    out["roles_covered"] = out["roles_covered"].astype("float64").where(mapped)
    out["risk_flags"] = flags.astype("float64").where(mapped)
    return out


def health_components(summary: pd.DataFrame, stakeholders: pd.DataFrame, quarter: str, stale_days: int = 90,
                      growth_span: float = 0.20, risk_step: float = 25) -> pd.DataFrame:
    """Each component scored 0-100 (NaN = missing), with the figures they rest on.

    Columns: t4q_growth, attainment_q, nps_avg, days_since_contact, roles_covered, risk_flags,
    then health_growth, health_attainment, health_nps, health_engagement, health_coverage,
    health_risks.
    """
    out = pd.DataFrame(index=summary.index)
    out["t4q_growth"] = summary["t4q_growth"].astype("float64")
    out["attainment_q"] = summary["attainment_q"].astype("float64")
    out["nps_avg"] = summary["nps_avg"].astype("float64")
    known = not stakeholders.empty
    if known:
        stats = stakeholder_stats(stakeholders, summary.index, quarter, stale_days)
        out["days_since_contact"] = stats["days_since_contact"]
        out["roles_covered"] = stats["roles_covered"].astype("float64")
        out["risk_flags"] = stats["risk_flags"].astype("float64")
    else:
        out["days_since_contact"] = out["roles_covered"] = out["risk_flags"] = np.nan

    out["health_growth"] = (50 + 50 * out["t4q_growth"] / growth_span).clip(0, 100)
    out["health_attainment"] = ((out["attainment_q"] - 0.5) / 0.5 * 100).clip(0, 100)
    out["health_nps"] = (out["nps_avg"] * 10).clip(0, 100)
    engagement = (100 * (1 - out["days_since_contact"] / (2 * stale_days))).clip(0, 100)
    # A mapped contact without a contact date: never contacted scores 0; no contacts: not assessed.
    out["health_engagement"] = engagement.fillna(0.0).where(out["roles_covered"].notna()) if known else engagement
    out["health_coverage"] = out["roles_covered"] / len(KEY_ROLES) * 100
    out["health_risks"] = (100 - risk_step * out["risk_flags"]).clip(lower=0)
    return out


def health_scores(components: pd.DataFrame, weights: dict[str, float] | None = None, red: float = 50,
                  amber: float = 70, min_weight: float = 50) -> pd.DataFrame:
    """Weighted health score and band from :func:`health_components`.

    Returns ``components`` with health_weight (weight of the components present, of 100),
    health_score (0-100), health_band (red, amber, green or n/a) and missing (the components
    left out, comma-separated; empty when none).
    """
    weights = DEFAULT_WEIGHTS if weights is None else weights
    unknown = [k for k in weights if k not in HEALTH_COMPONENTS]
    if unknown or abs(sum(weights.values()) - 100) > 1e-6 or any(w < 0 for w in weights.values()):
        raise ValueError(f"health weights must name {', '.join(HEALTH_COMPONENTS)} and sum to 100: {weights}")
    names = [k for k in weights if weights[k] > 0]
    scores = components[[f"health_{k}" for k in names]].astype("float64")
    w = pd.Series({f"health_{k}": float(weights[k]) for k in names})
    present = scores.notna()
    weight = present.mul(w, axis=1).sum(axis=1)
    weighted = scores.fillna(0.0).mul(w, axis=1).sum(axis=1)
    out = components.copy()
    out["health_weight"] = weight
    out["health_score"] = (weighted / weight.where(weight > 0)).where(weight >= min_weight - 1e-9)
    out["health_band"] = np.select([out["health_score"].isna(), out["health_score"] < red,
                                    out["health_score"] < amber], ["n/a", "red", "amber"], default="green")
    missing = ~present
    out["missing"] = [", ".join(k for k, gone in zip(names, row) if gone) for row in missing.to_numpy()]
    return out


def account_health(summary: pd.DataFrame, stakeholders: pd.DataFrame, quarter: str, settings: Health | None = None,
                   stale_days: int = 90) -> pd.DataFrame:
    """:func:`health_components` then :func:`health_scores` with the ``health:`` settings."""
    settings = settings or Health()
    components = health_components(summary, stakeholders, quarter, stale_days, settings.growth_span,
                                   settings.risk_step)
    return health_scores(components, settings.weights, settings.red, settings.amber, settings.min_weight)


def band_counts(accounts: pd.DataFrame) -> pd.Series:
    """How many of ``accounts`` are green, amber and red (in that order, 0 when none); accounts
    without a score ("n/a") are not counted."""
    counts = accounts["health_band"].value_counts()
    bands = ("green", "amber", "red")
    return pd.Series([int(counts.get(b, 0)) for b in bands], index=pd.Index(bands, name="band"), name="accounts")


def weakest_first(accounts: pd.DataFrame) -> pd.DataFrame:
    """Name, health score and band, full-year verdict and relationship stage of ``accounts``, the
    lowest health score first: the portfolio review leads with the accounts that need attention."""
    columns = ["name", "health_score", "health_band", "fy_verdict", "relationship_stage"]
    return accounts.sort_values("health_score")[columns]


def health_breakdown(figures: pd.Series, weights: dict[str, float]) -> pd.DataFrame:
    """One account's health components: each one's score (0-100, NaN when missing) and its weight
    in the score (of 100; 0 when the settings give it none). The plan shows it so the score can
    be traced. Index: the components of ``config.HEALTH_COMPONENTS``; columns score, weight."""
    return pd.DataFrame({"score": [figures[f"health_{c}"] for c in HEALTH_COMPONENTS],
                         "weight": [weights.get(c, 0) for c in HEALTH_COMPONENTS]},
                        index=pd.Index(HEALTH_COMPONENTS, name="component"))
