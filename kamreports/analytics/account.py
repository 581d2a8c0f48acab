"""One account's plan figures: growth vs target, stakeholders and their risks, SWOT.

Each function takes the portfolio's frames and one account id, and returns
only that account's rows, so an account's pack cannot show another's data.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from ..formatting import SANE_CHANGE, beyond
from ..periods import parse_quarter, quarter_end, quarter_range
from .metrics import growth, ratio

ROLE_LABELS = {"economic_buyer": "Economic buyer", "decision_maker": "Decision maker", "champion": "Champion",
               "technical": "Technical evaluator", "end_user": "End user", "influencer": "Influencer"}
SENTIMENT_LABELS = {-2: "Detractor", -1: "Sceptical", 0: "Neutral", 1: "Supportive", 2: "Advocate"}
DECIDING_ROLES = ("economic_buyer", "decision_maker")


def growth_vs_target(quarterly: pd.DataFrame, targets: pd.DataFrame, account_id: str, quarter: str,
                     quarters: int = 8) -> pd.DataFrame:
    """Revenue, target, attainment and growth for the ``quarters`` ending at ``quarter``.

    Quarters before the account's first revenue are left out; a missing or zero
    target gives NaN attainment rather than an infinite one.
    """
    window = quarter_range(quarter, quarters + 4)  # four extra to compute YoY for the first shown
    rev = quarterly[quarterly["account_id"] == account_id].set_index("quarter")["revenue"]
    tgt = targets[targets["account_id"] == account_id].set_index("quarter")["target"].astype("float64")
    frame = pd.DataFrame(index=pd.Index(window, name="quarter"))
    frame["revenue"] = rev.reindex(window).fillna(0.0)
    frame["target"] = tgt.reindex(window)
    frame["attainment"] = ratio(frame["revenue"], frame["target"])
    frame["qoq_growth"] = growth(frame["revenue"], frame["revenue"].shift(1))
    frame["yoy_growth"] = growth(frame["revenue"], frame["revenue"].shift(4))
    frame = frame.iloc[4:]
    active = rev[rev > 0].index
    if len(active):
        first = min(parse_quarter(q) for q in active)
        frame = frame[[parse_quarter(q) >= first for q in frame.index]]
    else:
        frame = frame.iloc[0:0]
    return frame


def stakeholder_map(stakeholders: pd.DataFrame, account_id: str, quarter: str, stale_days: int = 90) -> pd.DataFrame:
    """The account's contacts, most influential first, with days since last contact."""
    sh = stakeholders[stakeholders["account_id"] == account_id].copy()
    as_of = pd.Timestamp(quarter_end(quarter))
    sh["days_since_contact"] = (as_of - sh["last_contact"]).dt.days
    sh["stale"] = sh["days_since_contact"].isna() | (sh["days_since_contact"] > stale_days)
    sh["role_label"] = sh["role"].map(ROLE_LABELS)
    sh["sentiment_label"] = sh["sentiment"].astype("Int64").map(SENTIMENT_LABELS)
    return sh.sort_values(["influence", "name"], ascending=[False, True]).reset_index(drop=True)


#: What the pages say where an account has no stakeholder mapped: its relationship stage, strength and
#: stakeholder risks are not assessed (never "weak" or "at risk" for want of data).
NOT_ASSESSED = "not assessed — no stakeholders mapped"


def stakeholder_risks(stake_map: pd.DataFrame, stale_days: int = 90) -> list[str]:
    """Plain-language relationship risks from the stakeholder map; none for an empty map, whose
    risks are not assessed (:data:`NOT_ASSESSED`), not raised from the absence of data."""
    risks: list[str] = []
    if stake_map.empty:
        return []
    if len(stake_map) <= 1:
        risks.append("Single-threaded: only one contact is mapped.")
    roles = set(stake_map["role"])
    if "economic_buyer" not in roles:
        risks.append("No economic buyer is mapped.")
    if "executive" not in set(stake_map.get("level", pd.Series(dtype=str)).dropna()):
        risks.append("No executive-level contact (sponsor) is mapped.")
    if "champion" not in roles:
        risks.append("No champion is mapped.")
    deciding_detractors = stake_map[stake_map["role"].isin(DECIDING_ROLES) & (stake_map["sentiment"] <= -1)]
    for _, person in deciding_detractors.iterrows():
        feeling = person["sentiment_label"].lower()
        feeling = f"a {feeling}" if feeling in ("detractor", "advocate") else feeling  # nouns take an article
        risks.append(f"{person['name']} ({ROLE_LABELS[person['role']].lower()}) is {feeling}.")
    stale = int(stake_map["stale"].sum())
    if stale:
        risks.append(f"{stale} of {len(stake_map)} contacts not touched for more than {stale_days} days.")
    return risks


@dataclass(frozen=True)
class SwotItem:
    text: str
    source: str   # "data" (derived, with the figure it rests on) or "team" (entered in the plan)


def derive_swot(row: pd.Series, products_bought: set[str], product_names: dict[str, str],
                risks: list[str], fmt_money: Callable[[float], str],
                limit: float = SANE_CHANGE) -> dict[str, list[SwotItem]]:
    """SWOT items derived from the numbers; each names the figure it rests on. A growth or attainment
    beyond ±``limit`` (``report.sane_change``) is not quoted: its base or target is too small to compare."""
    swot: dict[str, list[SwotItem]] = {"strengths": [], "weaknesses": [], "opportunities": [], "threats": []}

    def add(kind: str, text: str) -> None:
        swot[kind].append(SwotItem(text, "data"))

    t4q = row.get("t4q_growth")
    if beyond(t4q, limit):
        add("strengths", "Revenue up on the prior four quarters, from a base too small to compare.")
    elif pd.notna(t4q) and t4q >= 0.10:
        add("strengths", f"Revenue up {t4q:.0%} over the prior four quarters.")
    elif pd.notna(t4q) and t4q <= -0.05:
        add("threats", f"Revenue down {abs(t4q):.0%} over the prior four quarters.")
    gm, gm_before = row.get("gross_margin_pct"), row.get("gross_margin_pct_prior")
    if pd.notna(gm) and pd.notna(gm_before):
        if gm >= gm_before + 0.02:
            add("strengths", f"Gross margin up to {gm:.0%} from {gm_before:.0%} a year before.")
        elif gm <= gm_before - 0.02:
            add("weaknesses", f"Gross margin down to {gm:.0%} from {gm_before:.0%} a year before.")
    if pd.notna(row.get("nps_avg")):
        if row["nps_avg"] >= 9:
            add("strengths", f"Customer feedback is strong: average score {row['nps_avg']:.1f} of 10.")
        elif row["nps_avg"] <= 6:
            add("threats", f"Customer feedback is weak: average score {row['nps_avg']:.1f} of 10.")
    if beyond(row.get("attainment_q"), limit):
        add("strengths", "Quarter revenue above a target too small to compare.")
    elif pd.notna(row.get("attainment_q")):
        if row["attainment_q"] < 0.9:
            add("weaknesses", f"Quarter revenue at {row['attainment_q']:.0%} of target.")
        elif row["attainment_q"] >= 1.05:
            add("strengths", f"Quarter revenue at {row['attainment_q']:.0%} of target.")
    for risk in risks:
        kind = "threats" if ("detractor" in risk.lower() or "sceptical" in risk.lower()) else "weaknesses"
        add(kind, risk)
    missing = [product_names[p] for p in sorted(product_names) if p not in products_bought]
    if missing:
        add("opportunities", f"Not yet buying {len(missing)} of {len(product_names)} products: {', '.join(missing[:4])}"
                             f"{'…' if len(missing) > 4 else ''}.")
    if pd.notna(row.get("whitespace_value")) and row["whitespace_value"] > 0:
        add("opportunities", f"Estimated spend with others: {fmt_money(row['whitespace_value'])} a year "
                             f"(share of wallet {row['share_of_wallet']:.0%}).")
    if row.get("open_pipeline", 0) > 0:
        add("opportunities", f"Open pipeline worth {fmt_money(row['open_pipeline'])}.")
    return swot


def merge_swot(derived: dict[str, list[SwotItem]], entered: dict[str, list[str]]) -> dict[str, list[SwotItem]]:
    """Team-entered items first (they carry judgement), then those derived from data."""
    return {kind: [SwotItem(t, "team") for t in entered.get(kind, [])] + items for kind, items in derived.items()}


def products_bought(revenue: pd.DataFrame, account_id: str) -> set[str]:
    rows = revenue[revenue["account_id"] == account_id]
    return set(rows.loc[rows["revenue"] > 0, "product_id"].astype(str))

