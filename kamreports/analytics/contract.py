"""The portfolio summary's contract: every column of ``Portfolio.summary`` and of ``accounts.csv``.

``Portfolio.summary`` (one row per account, indexed by account_id) is the interface between the
analytics, the notebooks, ``accounts.csv`` and the README. Its columns are declared here once —
name, kind, unit, meaning and the function that makes it — so that:

- :func:`check_summary` runs at the end of ``model.build_portfolio``: a column added, dropped or
  retyped without updating this list is a bug found at once, not a blank in a pack;
- ``accounts.csv`` is written from :data:`ACCOUNTS_CSV` (its columns and their order);
- the README's ``accounts.csv`` table is :func:`accounts_csv_markdown` (a test keeps them equal).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

#: kind -> what a column of that kind holds (checked on the frame)
KINDS = {
    "text": "text (missing allowed)",
    "number": "a floating-point number (NaN where unknown)",
    "count": "a whole number",
    "flag": "true or false",
    "date": "a date",
}


@dataclass(frozen=True)
class SummaryColumn:
    name: str                 # column of Portfolio.summary; "score_<criterion>" stands for one per criterion
    kind: str                 # a key of KINDS
    unit: str                 # currency, ratio (0.12 = 12%), years, score 1-10, 0-10, 0-100, points, ... or ""
    meaning: str
    made_by: str              # the function that makes it
    optional: bool = False    # present only when the data has it (analyst columns of accounts.csv)


_SUMMARY = "analytics.metrics.account_summary"
_FORECAST = "analytics.growth.year_forecast"
_HEALTH = "analytics.health.account_health"
_PROFIT = "analytics.metrics.account_profitability"
_DEALS = "analytics.deals.deal_summary"
_MOVEMENT = "analytics.movement.account_movement"

SUMMARY_COLUMNS: tuple[SummaryColumn, ...] = (
    SummaryColumn("name", "text", "", "the account's name", _SUMMARY),
    SummaryColumn("parent_id", "text", "", "the parent account of a subsidiary; empty for a top-level account",
                  _SUMMARY),
    SummaryColumn("industry", "text", "", "from the accounts table", _SUMMARY),
    SummaryColumn("region", "text", "", "from the accounts table", _SUMMARY),
    SummaryColumn("owner", "text", "", "the key-account manager, from the accounts table", _SUMMARY),
    SummaryColumn("start_date", "date", "", "customer since", _SUMMARY),
    SummaryColumn("revenue_q", "number", "currency", "revenue in the reporting quarter", _SUMMARY),
    SummaryColumn("revenue_prev_q", "number", "currency", "revenue in the quarter before", _SUMMARY),
    SummaryColumn("revenue_yago_q", "number", "currency", "revenue in the same quarter a year earlier", _SUMMARY),
    SummaryColumn("revenue_t4q", "number", "currency", "revenue in the last four quarters (T4Q)", _SUMMARY),
    SummaryColumn("revenue_prior_t4q", "number", "currency", "revenue in the four quarters before those", _SUMMARY),
    SummaryColumn("gross_margin_t4q", "number", "currency", "T4Q revenue - cost of goods (NaN without cost data)",
                  _SUMMARY),
    SummaryColumn("gross_margin_pct", "number", "ratio", "T4Q gross margin ÷ T4Q revenue", _SUMMARY),
    SummaryColumn("gross_margin_to_date", "number", "currency",
                  "gross margin over the whole relationship up to the quarter (the lifetime-value criterion)",
                  _SUMMARY),
    SummaryColumn("gross_margin_pct_prior", "number", "ratio", "gross margin ÷ revenue in the prior four quarters",
                  _SUMMARY),
    SummaryColumn("qoq_growth", "number", "ratio", "quarter revenue against the previous quarter", _SUMMARY),
    SummaryColumn("yoy_growth", "number", "ratio", "quarter revenue against the same quarter last year", _SUMMARY),
    SummaryColumn("t4q_growth", "number", "ratio", "T4Q revenue against the four quarters before", _SUMMARY),
    SummaryColumn("quarters_active", "count", "quarters", "quarters with revenue up to the reporting quarter",
                  _SUMMARY),
    SummaryColumn("target_q", "number", "currency", "the quarter's target (empty without one)", _SUMMARY),
    SummaryColumn("attainment_q", "number", "ratio", "quarter revenue ÷ target (empty without a target)", _SUMMARY),
    SummaryColumn("tenure_years", "number", "years", "years since the start date, at the quarter's end", _SUMMARY),
    SummaryColumn("wallet_estimate", "number", "currency", "the customer's estimated annual spend in our categories",
                  _SUMMARY),
    SummaryColumn("share_of_wallet", "number", "ratio", "T4Q revenue ÷ wallet estimate", _SUMMARY),
    SummaryColumn("whitespace_value", "number", "currency", "wallet estimate - T4Q revenue, not below 0 "
                  "(revenue potential)", _SUMMARY),
    SummaryColumn("nps_avg", "number", "0-10", "average feedback score over the last four quarters", _SUMMARY),
    SummaryColumn("kam_cost_t4q", "number", "currency", "KAM cost to serve over the last four quarters", _SUMMARY),
    SummaryColumn("avg_won_deal", "number", "currency", "mean amount of the opportunities won", _SUMMARY),
    SummaryColumn("open_pipeline", "number", "currency", "total amount of the open opportunities", _SUMMARY),
    SummaryColumn("stakeholders", "count", "people", "stakeholders mapped", _SUMMARY),
    SummaryColumn("product_fit", "number", "score 1-10", "analyst's score, where the accounts table has it", _SUMMARY,
                  optional=True),
    SummaryColumn("solvency", "number", "score 1-10", "analyst's score, where the accounts table has it", _SUMMARY,
                  optional=True),
    SummaryColumn("strategic_value", "number", "score 1-10", "analyst's score, where the accounts table has it",
                  _SUMMARY, optional=True),
    SummaryColumn("relative_strength", "number", "0-10", "analyst's relationship strength against the best "
                  "competitor, where the accounts table has it", _SUMMARY, optional=True),
    SummaryColumn("score_<criterion>", "number", "score 1-10", "the account's score on each selection criterion",
                  "analytics.selection.score_accounts"),
    SummaryColumn("score", "number", "score 1-10", "the weighted selection score",
                  "analytics.selection.score_accounts"),
    SummaryColumn("unscored", "text", "", "the criteria with no data for the account, scored at the mid-point (a "
                  "criterion with no data for any account is left out instead: its score_ column is empty)",
                  "analytics.selection.score_accounts"),
    SummaryColumn("tier", "text", "", "Tier 1, Tier 2 or Tier 3 by score (Not scored when no criterion has data)",
                  "analytics.selection.assign_tiers"),
    SummaryColumn("abc_class", "text", "", "A, B or C by cumulative share of T4Q revenue; empty without T4Q revenue",
                  "analytics.selection.abc_classes"),
    SummaryColumn("is_key", "flag", "", "selected as a key account", "analytics.selection.select_key_accounts"),
    SummaryColumn("selection_reason", "text", "", "why the account is key or not",
                  "analytics.selection.select_key_accounts"),
    SummaryColumn("attractiveness", "number", "0-10", "KAM-matrix attractiveness", "analytics.portfolio.kam_matrix"),
    SummaryColumn("strength", "number", "0-10", "KAM-matrix relationship strength (the analyst's where given; "
                  "empty when not assessed: no stakeholders mapped)", "analytics.portfolio.kam_matrix"),
    SummaryColumn("strength_basis", "text", "", "analyst, derived or not assessed: where the strength comes from",
                  "analytics.portfolio.kam_matrix"),
    SummaryColumn("strength_derived", "number", "0-10", "relationship strength derived from the data (without "
                  "stakeholders: from the other strength factors, to place the account on the matrix)",
                  "analytics.portfolio.kam_matrix"),
    SummaryColumn("quadrant", "text", "", "Strategic, Star, Status or Streamline; Not assessed without "
                  "stakeholders mapped", "analytics.portfolio.kam_matrix"),
    SummaryColumn("strategy", "text", "", "the quadrant's strategy in words", "analytics.portfolio.kam_matrix"),
    SummaryColumn("health_growth", "number", "0-100", "health component: T4Q growth", _HEALTH),
    SummaryColumn("health_attainment", "number", "0-100", "health component: target attainment", _HEALTH),
    SummaryColumn("health_nps", "number", "0-100", "health component: customer feedback", _HEALTH),
    SummaryColumn("health_engagement", "number", "0-100", "health component: days since the last contact", _HEALTH),
    SummaryColumn("health_coverage", "number", "0-100", "health component: key buying roles mapped", _HEALTH),
    SummaryColumn("health_risks", "number", "0-100", "health component: stakeholder risk flags", _HEALTH),
    SummaryColumn("health_weight", "number", "0-100", "weight of the health components with data", _HEALTH),
    SummaryColumn("health_score", "number", "0-100", "account health (empty with too little data)", _HEALTH),
    SummaryColumn("health_band", "text", "", "red, amber, green, or n/a without a score", _HEALTH),
    SummaryColumn("health_missing", "text", "", "the health components left out for lack of data", _HEALTH),
    SummaryColumn("fy_forecast", "number", "currency", "full-year revenue forecast", _FORECAST),
    SummaryColumn("fy_forecast_low", "number", "currency", "low end of the forecast range", _FORECAST),
    SummaryColumn("fy_forecast_high", "number", "currency", "high end of the forecast range", _FORECAST),
    SummaryColumn("fy_annual_target", "number", "currency", "the year's target: the sum of its four quarterly "
                  "targets", _FORECAST),
    SummaryColumn("fy_gap_to_target", "number", "currency", "forecast - annual target", _FORECAST),
    SummaryColumn("fy_verdict", "text", "", "on track, at risk, off track or no target", _FORECAST),
    SummaryColumn("relationship_stage", "text", "", "Tactical, Cooperative, Interdependent or Strategic; Not "
                  "assessed without stakeholders mapped", "analytics.relationship.relationship_stages"),
    SummaryColumn("stage_points", "count", "points 0-12", "the points behind the stage",
                  "analytics.relationship.relationship_stages"),
    SummaryColumn("stage_guidance", "text", "", "what to do at this stage with this potential",
                  "analytics.relationship.relationship_stages"),
    SummaryColumn("profit_t4q", "number", "currency", "T4Q gross profit - cost to serve (empty without cost of "
                  "goods)", _PROFIT),
    SummaryColumn("profit_rank", "count", "rank", "1 = the most profitable account after cost to serve", _PROFIT),
    SummaryColumn("profit_rank_of", "count", "accounts", "how many accounts have a profit figure to rank", _PROFIT),
    SummaryColumn("won_deals", "count", "deals", "opportunities won with a close date in the last four quarters",
                  _DEALS),
    SummaryColumn("lost_deals", "count", "deals", "opportunities lost with a close date in the last four quarters",
                  _DEALS),
    SummaryColumn("won_value", "number", "currency", "amount of the deals won in the last four quarters", _DEALS),
    SummaryColumn("lost_value", "number", "currency", "amount of the deals lost in the last four quarters", _DEALS),
    SummaryColumn("win_rate", "number", "ratio", "won ÷ (won + lost), by count, last four quarters (empty without "
                  "decided deals)", _DEALS),
    SummaryColumn("win_rate_value", "number", "ratio", "won ÷ (won + lost), by value, last four quarters", _DEALS),
    SummaryColumn("open_deals", "count", "deals", "open opportunities", _DEALS),
    SummaryColumn("open_value", "number", "currency", "amount of the open opportunities", _DEALS),
    SummaryColumn("weighted_pipeline", "number", "currency", "open amount × probability (deals without a "
                  "probability add nothing)", _DEALS),
    SummaryColumn("unweighted_deals", "count", "deals", "open deals without a probability", _DEALS),
    SummaryColumn("group_id", "text", "", "the top-level account of the account's group (itself when it has no "
                  "parent)", "analytics.groups.group_roots"),
    SummaryColumn("out_of_range", "text", "", "the attainment and growth figures beyond the sane range "
                  "(report.sane_change, ±1,000% by default), which the pages do not print as figures; empty when "
                  "none", "analytics.metrics.out_of_range"),
    # The previous quarter, as reported then or recomputed (``portfolio.history.previous.source`` says which):
    # present when a history is attached (``open_portfolio`` and ``kamreports build`` attach one).
    SummaryColumn("prev_quadrant", "text", "", "the KAM-matrix quadrant in the previous quarter (empty for an "
                  "account new since then)", _MOVEMENT, optional=True),
    SummaryColumn("prev_relationship_stage", "text", "", "the relationship stage in the previous quarter",
                  _MOVEMENT, optional=True),
    SummaryColumn("prev_health_score", "number", "0-100", "account health in the previous quarter", _MOVEMENT,
                  optional=True),
    SummaryColumn("prev_health_band", "text", "", "the health band in the previous quarter", _MOVEMENT,
                  optional=True),
    SummaryColumn("prev_tier", "text", "", "the tier in the previous quarter", _MOVEMENT, optional=True),
    SummaryColumn("prev_is_key", "flag", "", "a key account in the previous quarter (empty for an account new "
                  "since then)", _MOVEMENT, optional=True),
    SummaryColumn("prev_attainment_q", "number", "ratio", "the previous quarter's revenue ÷ its target",
                  _MOVEMENT, optional=True),
    SummaryColumn("key_change", "text", "", "entered, left, stayed key, stayed other, or new (no revenue up to the "
                  "previous quarter); unknown when the previous quarter is missing", _MOVEMENT, optional=True),
)

#: accounts.csv: (column in the file, summary column or None for the index/quarter, meaning in the README)
ACCOUNTS_CSV: tuple[tuple[str, str | None], ...] = (
    ("account_id", None), ("quarter", None), ("name", "name"), ("owner", "owner"), ("region", "region"),
    ("industry", "industry"), ("parent_id", "parent_id"), ("revenue_q", "revenue_q"), ("revenue_t4q", "revenue_t4q"),
    ("target_q", "target_q"), ("attainment_q", "attainment_q"), ("qoq_growth", "qoq_growth"),
    ("yoy_growth", "yoy_growth"), ("t4q_growth", "t4q_growth"), ("gross_margin_pct", "gross_margin_pct"),
    ("share_of_wallet", "share_of_wallet"), ("abc_class", "abc_class"), ("selection_score", "score"),
    ("tier", "tier"), ("is_key", "is_key"), ("selection_reason", "selection_reason"),
    ("attractiveness", "attractiveness"), ("relationship_strength", "strength"), ("quadrant", "quadrant"),
    ("relationship_stage", "relationship_stage"), ("health_score", "health_score"), ("health_band", "health_band"),
    ("fy_forecast", "fy_forecast"), ("fy_annual_target", "fy_annual_target"), ("fy_verdict", "fy_verdict"),
    ("gross_profit", "gross_margin_t4q"), ("cost_to_serve", "kam_cost_t4q"), ("profit", "profit_t4q"),
    ("profit_rank", "profit_rank"), ("win_rate", "win_rate"), ("win_rate_value", "win_rate_value"),
    ("weighted_pipeline", "weighted_pipeline"), ("score_<criterion>", "score_<criterion>"),
    ("unscored_criteria", "unscored"), ("out_of_range", "out_of_range"), ("prev_quadrant", "prev_quadrant"),
    ("prev_relationship_stage", "prev_relationship_stage"), ("prev_health_score", "prev_health_score"),
    ("prev_tier", "prev_tier"), ("prev_is_key", "prev_is_key"), ("key_change", "key_change"),
)
_NOT_IN_SUMMARY = {"account_id": ("text", "", "the account's id, from the accounts table"),
                   "quarter": ("text", "", "the reporting quarter")}


class SummaryContractError(AssertionError):
    """The summary does not match its declared columns: a bug in the package, not the user's data."""


def expected_columns(criteria: Iterable[str], present: Iterable[str] = ()) -> list[str]:
    """The summary's columns for these selection ``criteria``; optional ones only if in ``present``."""
    present = set(present)
    names: list[str] = []
    for column in SUMMARY_COLUMNS:
        if column.name == "score_<criterion>":
            names += [f"score_{c}" for c in criteria]
        elif not column.optional or column.name in present:
            names.append(column.name)
    return names


def _kind_ok(series: pd.Series, kind: str) -> bool:
    dtype = series.dtype
    if kind == "number":
        return pd.api.types.is_float_dtype(dtype)
    if kind == "count":
        return pd.api.types.is_integer_dtype(dtype)
    if kind == "flag":
        return pd.api.types.is_bool_dtype(dtype)
    if kind == "date":
        return pd.api.types.is_datetime64_any_dtype(dtype)
    return pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype) \
        or series.isna().all()


def check_summary(summary: pd.DataFrame, criteria: Iterable[str]) -> None:
    """Raise :class:`SummaryContractError` unless ``summary`` has exactly the declared columns, each of
    its declared kind."""
    criteria = list(criteria)
    expected = expected_columns(criteria, summary.columns)
    missing = [c for c in expected if c not in summary.columns]
    extra = [c for c in summary.columns if c not in expected]
    kinds = {c.name: c.kind for c in SUMMARY_COLUMNS} | {f"score_{c}": "number" for c in criteria}
    wrong = [f"{c} ({summary[c].dtype}, declared {kinds[c]})" for c in expected
             if c in summary.columns and not _kind_ok(summary[c], kinds[c])]
    if missing or extra or wrong:
        raise SummaryContractError("the portfolio summary does not match analytics.contract.SUMMARY_COLUMNS: "
                                   + "; ".join(f"{label}: {', '.join(items)}" for label, items in
                                               (("missing", missing), ("undeclared", extra), ("wrong kind", wrong))
                                               if items))


def column(name: str) -> SummaryColumn:
    for declared in SUMMARY_COLUMNS:
        if declared.name == name:
            return declared
    raise KeyError(name)


def accounts_csv_columns(criteria: Iterable[str]) -> list[tuple[str, str | None]]:
    """accounts.csv's (column, summary column) pairs for these selection criteria, in the file's order."""
    out: list[tuple[str, str | None]] = []
    for name, source in ACCOUNTS_CSV:
        if name == "score_<criterion>":
            out += [(f"score_{c}", f"score_{c}") for c in criteria]
        else:
            out.append((name, source))
    return out


def accounts_csv_markdown() -> str:
    """The README's table of accounts.csv: one row per column, in the file's order."""
    rows = ["| column | unit | meaning |", "|---|---|---|"]
    shown = {"text": "text", "flag": "true or false", "date": "date", "count": "count", "number": "number"}
    for name, source in ACCOUNTS_CSV:
        if source is None:
            kind, unit, meaning = _NOT_IN_SUMMARY[name]
        else:
            declared = column(source)
            kind, unit, meaning = declared.kind, declared.unit, declared.meaning
        rows.append(f"| `{name}` | {unit or shown[kind]} | {meaning} |")
    return "\n".join(rows)
