"""The portfolio for one quarter: every figure the packs show, computed once.

:func:`build_portfolio` is pure (tables and settings in, frames out); the
notebooks call ``kamreports.open_portfolio`` (in :mod:`kamreports.inputs`), which
also loads the data and attaches the quarters before (``Portfolio.history``).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import formatting
from .analytics import account as acct
from .analytics.contract import check_summary
from .analytics.deals import account_deals, deal_summary, pipeline_by_stage
from .analytics.groups import group_members, group_roots
from .analytics.growth import forecast_path, year_forecast
from .analytics.health import account_health
from .analytics.history import History
from .analytics.metrics import account_profitability, account_summary, out_of_range, quarterly_revenue
from .analytics.plan_progress import action_flags, goal_statuses, plan_staleness
from .analytics.portfolio import kam_matrix, key_vs_rest, matrix_factor_gaps, matrix_factors, matrix_for_quarter
from .analytics.relationship import relationship_stages
from .analytics.selection import (
    abc_classes,
    assign_tiers,
    criteria_coverage,
    demotion_candidates,
    gap_effects,
    pareto_curve,
    promotion_candidates,
    score_accounts,
    select_key_accounts,
    top_share,
    weight_sensitivity,
)
from .analytics.whitespace import cross_sell, last_bought, peer_groups, whitespace_estimates, whitespace_matrix
from .config import Settings, plans_folder
from .data import Dataset
from .data.plans import PlanInputs, load_plan, parse_plan, plan_path, safe_plan_name
from .data.sample_plans import sample_plans
from .errors import ConfigError, Problem
from .periods import code_labels, date_codes, latest_complete_quarter, parse_quarter, quarter_end, shift_quarter

SAMPLE_PLAN_SOURCE = "sample plan for"


@dataclass
class AccountView:
    """Everything one account's plan shows, and nothing about other accounts."""

    account_id: str
    name: str
    owner: str
    quarter: str
    figures: pd.Series
    growth: pd.DataFrame
    stakeholders: pd.DataFrame
    risks: list[str]
    swot: dict[str, list[acct.SwotItem]]
    plan: PlanInputs
    formats: formatting.NumberFormat = field(default_factory=formatting.NumberFormat)
    cross_sell: pd.DataFrame = field(default_factory=pd.DataFrame)
    forecast_path: pd.DataFrame = field(default_factory=pd.DataFrame)
    as_of: dt.date | None = None                       # the data's as-of date: the quarter's last day
    goals: pd.DataFrame = field(default_factory=pd.DataFrame)      # analytics.plan_progress.goal_statuses
    actions: pd.DataFrame = field(default_factory=pd.DataFrame)    # analytics.plan_progress.action_flags
    stale: tuple[bool, int | None] = (False, None)     # analytics.plan_progress.plan_staleness
    stale_after_days: int = 120
    deals: pd.DataFrame = field(default_factory=pd.DataFrame)      # won and lost in the last four quarters
    pipeline: pd.DataFrame = field(default_factory=pd.DataFrame)   # open deals by pipeline stage
    group: pd.DataFrame = field(default_factory=pd.DataFrame)      # its group's members; empty when none
    criteria: dict[str, float] = field(default_factory=dict)       # the selection criteria and their weights
    previous: pd.Series | None = None                  # its row of the previous quarter's summary; None: no revenue
    previous_quarter: str = ""
    previous_source: str = ""                          # "as reported then" or "recomputed with today's settings"

    @property
    def currency(self) -> str:
        return self.formats.currency

    def money(self, value: object) -> str:
        return self.formats.money(value)


@dataclass
class Portfolio:
    dataset: Dataset
    settings: Settings
    quarter: str
    quarterly: pd.DataFrame
    summary: pd.DataFrame
    pareto: pd.DataFrame
    top20_share: float
    _cache: dict[str, object] = field(default_factory=dict, repr=False)
    # The cache of the portfolio this one was copied from: a warm kernel computes whitespace,
    # ROI or sensitivity once per build, and each notebook gets its own copy of the result.
    _shared: dict[str, object] | None = field(default=None, repr=False)
    # The quarters before this one, as reported or recomputed (records.attach_history sets it, with
    # the summary's prev_* columns); None when no history was attached.
    history: History | None = field(default=None, repr=False)

    @property
    def key_accounts(self) -> pd.DataFrame:
        """Key accounts, largest trailing-four-quarter revenue first (the book's order)."""
        keys = self.summary[self.summary["is_key"]]
        return keys.sort_values(["revenue_t4q", "name"], ascending=[False, True])

    def comparison(self) -> pd.DataFrame:
        return key_vs_rest(self.summary)

    def _cached(self, name: str, compute: Callable[[], Any]) -> Any:
        """A small memo for the figures some pages need, shared by notebooks on the same inputs."""
        if name not in self._cache:
            shared = self._shared if self._shared is not None else {}
            if name not in shared:
                shared[name] = compute()
            self._cache[name] = _copied(shared[name])
        return self._cache[name]

    @property
    def candidates(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(promotion, demotion) candidates, each row with its reason."""
        c, sel = self.settings.candidates, self.settings.selection
        return self._cached("candidates", lambda: (
            promotion_candidates(self.summary, c.promote_growth, c.promote_potential_score, sel.exclude,
                                 self.settings.company.currency, self.settings.report.sane_change),
            demotion_candidates(self.summary, sel.threshold, c.demote_growth, c.demote_attainment,
                                c.demote_score_margin)))

    @property
    def selection_gaps(self) -> tuple[pd.DataFrame, dict[str, int]]:
        """(``selection.criteria_coverage``: per criterion its accounts with and without data, status and
        the weight it is scored with; ``selection.gap_effects``: how many accounts would change key
        status were the missing data treated otherwise)."""
        sel = self.settings.selection
        return self._cached("selection_gaps", lambda: (
            criteria_coverage(self.summary, sel.criteria),
            gap_effects(self.summary, sel.criteria, sel.threshold, sel.max_key_accounts, sel.include, sel.exclude)))

    def gap_warnings(self) -> list[str]:
        """What the data lacks that the selection and the KAM matrix would use, for ``kamreports validate``:
        criteria and matrix factors with no data for any account (left out, the other weights scaled up),
        criteria missing for some accounts (scored at the mid-point), accounts without stakeholders
        (relationship not assessed). The pages say the same in words."""
        out = []
        coverage, _ = self.selection_gaps
        left = coverage[coverage["status"] == "left out"]
        if len(left) == len(coverage):
            out.append(f"selection.criteria: no criterion ({', '.join(coverage.index)}) has data for any account: no "
                       "account can be scored, only the team's include list is key")
        elif len(left):
            kept = coverage.loc[coverage["status"] != "left out", "weight_used"]
            out.append(f"selection.criteria: {', '.join(left.index)} {'has' if len(left) == 1 else 'have'} no data "
                       f"for any account: left out of the selection score, the other weights scaled up to 100 ("
                       + ", ".join(f"{c} {round(w, 1):g}" for c, w in kept.items()) + ")")
        for name, row in coverage[coverage["status"] == "partly scored"].iterrows():
            out.append(f"selection.criteria: {name} has no data for {int(row['without_data'])} of "
                       f"{int(row['accounts'])} accounts: scored at the mid-point 5.5 for them")
        factors = self.matrix_gaps
        for axis in ("attractiveness", "strength"):
            gone = factors.loc[(factors["axis"] == axis) & (factors["status"] == "left out"), "factor"].tolist()
            if gone:
                out.append(f"matrix.{axis}: {', '.join(gone)} {'has' if len(gone) == 1 else 'have'} no data for any "
                           "account: left out, the other weights scaled up")
        unmapped = int((self.summary["stakeholders"] == 0).sum())
        if unmapped:
            out.append(f"stakeholders: {unmapped} of {len(self.summary)} accounts have none mapped: their relationship "
                       "stage and stakeholder risks are not assessed"
                       + (", nor their relationship strength" if (self.summary["strength_basis"] == "not assessed")
                          .any() else ""))
        return out

    @property
    def matrix_gaps(self) -> pd.DataFrame:
        """``portfolio.matrix_factor_gaps``: per KAM-matrix factor, its accounts with and without data and
        whether it is left out of its axis."""
        m = self.settings.matrix
        return self._cached("matrix_gaps", lambda: matrix_factor_gaps(
            matrix_factors(self.summary, self.dataset.stakeholders), m.attractiveness, m.strength))

    @property
    def sensitivity(self) -> pd.DataFrame:
        """Accounts whose key status flips when one selection weight moves by the configured delta."""
        sel = self.settings.selection
        return self._cached("sensitivity", lambda: weight_sensitivity(
            self.summary, sel.criteria, sel.threshold, sel.max_key_accounts, sel.include, sel.exclude,
            self.settings.sensitivity.delta))

    @property
    def previous_matrix(self) -> pd.DataFrame:
        """The KAM matrix one quarter earlier, for movement arrows."""
        m = self.settings.matrix
        return self._cached("previous_matrix", lambda: matrix_for_quarter(
            self.dataset, shift_quarter(self.quarter, -1), m.attractiveness, m.strength, m.split))

    @property
    def whitespace(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """(account x product matrix, estimates for products not bought, ranked cross-sell)."""
        def compute():
            w = self.settings.whitespace
            revenue = self.dataset.revenue
            matrix = whitespace_matrix(revenue, self.dataset.products, self.quarter)
            estimates = whitespace_estimates(matrix, peer_groups(matrix, self.dataset.accounts, w.peer_group,
                                                                 w.size_bands), w.min_peers)
            ranked = cross_sell(estimates, self.dataset.products, w.top_n, last_bought(revenue, self.quarter),
                                self.money)
            return matrix, estimates, ranked
        return self._cached("whitespace", compute)

    @property
    def roi(self):  # -> analytics.roi.RoiReport
        """The programme's economics against the rest of the book, computed on first use."""
        from .analytics.roi import roi_report

        # With a history, each quarter of the ROI series uses that quarter's own key list.
        lists, sources = (self.history.key_lists(), self.history.key_sources()) if self.history else (None, None)
        return self._cached("roi", lambda: roi_report(self.dataset, self.summary, self.quarter, self.settings.roi,
                                                      self.formats, self.quarterly, lists, sources))

    @property
    def formats(self) -> formatting.NumberFormat:
        """Money, percentages and numbers in the company's currency and separators."""
        company = self.settings.company
        return formatting.NumberFormat(company.currency, company.thousands_separator, company.decimal_separator,
                                       self.settings.report.sane_change)

    def money(self, value: object) -> str:
        return self.formats.money(value)

    def account(self, account_id: str) -> AccountView:
        """One account's view; ``account_id`` as the data spells it, or differing only in case."""
        account_id = self._account_id(account_id)
        if account_id not in self.summary.index:
            known = ", ".join(self.key_accounts.index[:5])
            raise ConfigError([Problem("account_id", f"no account '{account_id}' with revenue up to {self.quarter} "
                                                     f"(key accounts include: {known})", value=account_id)])
        row = self.summary.loc[account_id]
        stake_map = acct.stakeholder_map(self.dataset.stakeholders, account_id, self.quarter,
                                         self.settings.report.stale_contact_days)
        risks = acct.stakeholder_risks(stake_map, self.settings.report.stale_contact_days)
        products = self.dataset.products
        names = dict(zip(products["product_id"].astype(str), products["name"].astype(str)))
        revenue_to_date = self.dataset.revenue[self.dataset.revenue["date"] <= parse_quarter(self.quarter).end_time]
        derived = acct.derive_swot(row, acct.products_bought(revenue_to_date, account_id), names, risks,
                                   self.money, self.settings.report.sane_change)
        plan = self.plan(account_id)
        as_of = quarter_end(self.quarter)
        plans = self.settings.plans
        return AccountView(
            account_id=account_id, name=str(row["name"]), owner=str(row["owner"]) if pd.notna(row["owner"]) else "–",
            quarter=self.quarter, figures=row,
            growth=acct.growth_vs_target(self.quarterly, self.dataset.targets, account_id, self.quarter),
            stakeholders=stake_map, risks=risks, swot=acct.merge_swot(derived, plan.swot), plan=plan,
            formats=self.formats, cross_sell=self._account_cross_sell(account_id),
            forecast_path=self._forecast_path(account_id), as_of=as_of,
            goals=goal_statuses(plan, as_of, plans.on_track, plans.at_risk), actions=action_flags(plan, as_of),
            stale=plan_staleness(plan, as_of, plans.stale_after_days), stale_after_days=plans.stale_after_days,
            deals=account_deals(self.dataset.opportunities, account_id, self.quarter),
            pipeline=pipeline_by_stage(self.dataset.opportunities, account_id),
            group=group_members(self.dataset.accounts, self.summary, account_id),
            criteria=dict(self.settings.selection.criteria), **self._previous_of(account_id))

    def plan_overview(self) -> pd.DataFrame:
        """Per key account, where its plan stands at the as-of date: has_plan, stale, days_since_review,
        overdue_actions, goals_off_track, has_sponsor (the portfolio's governance flags)."""
        def compute() -> pd.DataFrame:
            as_of, settings = quarter_end(self.quarter), self.settings.plans
            rows = {}
            for account_id in self.key_accounts.index:
                plan = self.plan(account_id)
                stale, days = plan_staleness(plan, as_of, settings.stale_after_days)
                goals = goal_statuses(plan, as_of, settings.on_track, settings.at_risk)
                rows[account_id] = {"has_plan": plan.exists, "stale": plan.exists and stale,
                                    "days_since_review": days, "overdue_actions": int(action_flags(plan, as_of)
                                                                                      ["overdue"].sum()),
                                    "goals_off_track": int((goals["status"] == "off track").sum()),
                                    "has_sponsor": plan.sponsor() is not None}
            columns = ["has_plan", "stale", "days_since_review", "overdue_actions", "goals_off_track", "has_sponsor"]
            frame = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
            return frame.rename_axis("account_id")
        return self._cached("plan_overview", compute)

    def previous_summary(self) -> tuple[pd.DataFrame | None, str]:
        """The previous quarter's summary and where it comes from. A history attached by the caller
        (records of earlier builds) is used as reported; without one, the quarter is recomputed from the
        data with today's settings. (None, reason) when the data starts with this quarter."""
        history = getattr(self, "history", None)
        previous = getattr(history, "previous", None)
        if previous is not None and getattr(previous, "summary", None) is not None:
            return previous.summary, str(getattr(previous, "source", "as reported then"))

        def compute() -> tuple[pd.DataFrame | None, str]:
            earlier = shift_quarter(self.quarter, -1)
            try:
                return build_portfolio(self.dataset, self.settings, earlier).summary, \
                    "recomputed with today's settings"
            except ConfigError:   # no revenue in that quarter: the data starts now
                return None, f"no revenue in {earlier}"
        return self._cached("previous_summary", compute)

    def _previous_of(self, account_id: str) -> dict[str, object]:
        summary, source = self.previous_summary()
        row = summary.loc[account_id] if summary is not None and account_id in summary.index else None
        return {"previous": row, "previous_quarter": shift_quarter(self.quarter, -1), "previous_source": source}

    @property
    def uses_sample_plans(self) -> bool:
        """The sample company's own plans serve the sample company, unless the settings name a plans folder."""
        return self.dataset.source == "sample" and self.settings.accounts_dir is None

    def _sample_plans(self) -> dict[str, dict]:
        return self._cached("sample_plans", lambda: sample_plans(self.dataset, list(self.key_accounts.index),
                                                                 self.quarter))

    @property
    def plans_folder(self) -> Path:
        """Where this portfolio's plan files are (config.plans_folder: the settings' ``accounts_dir``,
        else plans/ beside the settings file, else beside ``--data``). Unused by the sample company's
        packs while :attr:`uses_sample_plans`."""
        return plans_folder(self.settings, self.dataset.given_path)

    def plan(self, account_id: str) -> PlanInputs:
        """The account's plan: its plan file, or for the sample company its generated plan; an account
        without one gets an empty plan whose ``source`` is None."""
        if self.uses_sample_plans:
            raw = self._sample_plans().get(account_id)
            return parse_plan(raw, f"{SAMPLE_PLAN_SOURCE} {account_id}", account_id) if raw else PlanInputs(source=None)
        return load_plan(self.plans_folder, account_id)

    def has_plan(self, account_id: str) -> bool:
        """Whether the account has a plan: a plan file (or the sample's generated plan)."""
        if self.uses_sample_plans:
            return account_id in self._sample_plans()
        return safe_plan_name(account_id) and plan_path(self.plans_folder, account_id).is_file()

    def unplanned_key_accounts(self) -> list[str]:
        """The key accounts without a plan, largest first: their packs say "No account plan agreed",
        and the build log, ``validate`` and the index page say where the files go."""
        return [a for a in self.key_accounts.index if not self.has_plan(a)]

    def plan_new_command(self, account_id: str) -> str:
        """The command that drafts the account's plan into :attr:`plans_folder`, for analysts' hints."""
        import shlex

        if self.settings.source != "defaults":
            return f"kamreports plan new {account_id} --config {shlex.quote(self.settings.source)}"
        if self.dataset.given_path is not None:
            return f"kamreports plan new {account_id} --data {shlex.quote(str(self.dataset.given_path))}"
        return f"kamreports plan new {account_id}"

    def plan_fingerprint(self, account_id: str) -> str:
        """What identifies the plan's content, for incremental builds."""
        if self.uses_sample_plans:
            raw = self._sample_plans().get(account_id)
            return json.dumps(raw, sort_keys=True, default=str) if raw else "none"
        path = plan_path(self.plans_folder, account_id)
        return path.read_bytes().hex() if safe_plan_name(account_id) and path.is_file() else "none"

    def _account_id(self, wanted: str) -> str:
        if wanted in self.summary.index:
            return wanted
        folded = str(wanted).casefold()
        return next((a for a in self.summary.index if str(a).casefold() == folded), wanted)

    def _account_cross_sell(self, account_id: str) -> pd.DataFrame:
        ranked = self.whitespace[2]
        return ranked[ranked["account_id"] == account_id].reset_index(drop=True)

    def _forecast_path(self, account_id: str) -> pd.DataFrame:
        fc = self.settings.forecast
        forecast = year_forecast(self.quarterly, self.dataset.targets, self.quarter, fc.run_rate_quarters,
                                 fc.band_quarters, fc.min_band, account_ids=[account_id])
        return forecast_path(self.quarterly, self.dataset.targets, forecast, account_id)


def resolve_quarter(dataset: Dataset, quarter: str | None) -> str:
    codes = pd.unique(date_codes(dataset.revenue["date"]))  # distinct quarters, not a label per row
    quarters = code_labels(sorted(c for c in codes if c == c))
    if quarter is None:
        return latest_complete_quarter(list(quarters))
    label = f"{parse_quarter(quarter).year}Q{parse_quarter(quarter).quarter}"
    if label not in set(quarters):
        raise ConfigError([Problem("quarter", f"the data has no revenue in {label} "
                                              f"(it covers {min(quarters)} to {max(quarters)})", value=quarter)])
    return label


def build_portfolio(dataset: Dataset, settings: Settings, quarter: str | None = None) -> Portfolio:
    quarter = resolve_quarter(dataset, quarter or settings.quarter)
    sel = settings.selection
    unknown = [a for a in list(sel.include) + list(sel.exclude) if a not in set(dataset.accounts["account_id"])]
    if unknown:
        raise ConfigError([Problem(settings.source, "selection include/exclude names unknown accounts", value=a)
                           for a in unknown])
    quarterly = quarterly_revenue(dataset)  # once: the summary, the forecast and the pages all use it
    summary = _summary(dataset, settings, quarter, quarterly, whole=True)
    check_summary(summary, sel.criteria)
    return Portfolio(dataset=dataset, settings=settings, quarter=quarter, quarterly=quarterly,
                     summary=summary, pareto=pareto_curve(summary["revenue_t4q"]),
                     top20_share=top_share(summary["revenue_t4q"], 0.2))


def earlier_summary(dataset: Dataset, settings: Settings, quarter: str,
                    quarterly: pd.DataFrame | None = None) -> pd.DataFrame:
    """An earlier quarter's summary as the history recomputes it: :func:`build_portfolio`'s, without the
    full-year forecast and the deals (``fy_*``, ``analytics.deals.DEAL_COLUMNS``), which no page reads of
    an earlier quarter and which were a fifth of the time (8 quarters of a 150-account company: 0.94 →
    0.70 CPU-s). ``quarterly``: the dataset's :func:`quarterly_revenue`, when the caller has it. Raises
    as :func:`build_portfolio` does for a quarter without revenue."""
    quarter = resolve_quarter(dataset, quarter)
    return _summary(dataset, settings, quarter, quarterly_revenue(dataset) if quarterly is None else quarterly,
                    whole=False)


def _summary(dataset: Dataset, settings: Settings, quarter: str, quarterly: pd.DataFrame, whole: bool) -> pd.DataFrame:
    sel = settings.selection
    summary = account_summary(dataset, quarter, quarterly)
    scored = score_accounts(summary, sel.criteria)
    summary = summary.join(scored)
    summary["tier"] = assign_tiers(summary["score"], sel.tier_1, sel.tier_2)
    summary["abc_class"] = abc_classes(summary["revenue_t4q"], settings.abc.a, settings.abc.b)
    summary = summary.join(select_key_accounts(scored, summary["revenue_t4q"], sel.threshold, sel.max_key_accounts,
                                               sel.include, sel.exclude))
    matrix = settings.matrix
    summary = summary.join(kam_matrix(summary, dataset.stakeholders, matrix.attractiveness, matrix.strength,
                                      matrix.split))
    health = account_health(summary, dataset.stakeholders, quarter, settings.health,
                            settings.report.stale_contact_days)
    summary = summary.join(health[[c for c in health.columns if c.startswith("health_")]]
                           .join(health["missing"].rename("health_missing")))
    if whole:
        fc = settings.forecast
        forecast = year_forecast(quarterly, dataset.targets, quarter, fc.run_rate_quarters,
                                 fc.band_quarters, fc.min_band, account_ids=summary.index)
        summary = summary.join(forecast[["forecast", "forecast_low", "forecast_high", "annual_target",
                                         "gap_to_target", "verdict"]].add_prefix("fy_"))
    stages = relationship_stages(summary, dataset.stakeholders, settings.stages)
    summary = summary.join(stages[["stage", "points", "guidance"]].rename(
        columns={"stage": "relationship_stage", "points": "stage_points", "guidance": "stage_guidance"}))
    summary = summary.join(account_profitability(summary))
    if whole:
        summary = summary.join(deal_summary(dataset.opportunities, quarter, summary.index))
    summary["group_id"] = group_roots(dataset.accounts).reindex(summary.index)
    summary["out_of_range"] = out_of_range(summary, settings.report.sane_change)
    return summary


def _copied(value: object) -> object:
    """A private copy of a cached result: frames copied (copy-on-write, so cheap), containers and
    dataclasses rebuilt around copies, anything else shared."""
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return value.copy()
    if isinstance(value, (tuple, list)):
        return type(value)(_copied(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: _copied(getattr(value, f.name))
                                             for f in dataclasses.fields(value) if f.init})
    return value


def private_copy(portfolio: Portfolio) -> Portfolio:
    """A copy of the portfolio for one notebook: its frames its own, the cached figures shared."""
    # Copy-on-write frames: copies are free, and a notebook that changes its
    # frames cannot change what the next notebook in the same kernel sees.
    tables = {name: frame.copy() for name, frame in portfolio.dataset.tables().items()}
    dataset = Dataset(**tables, present=portfolio.dataset.present, source=portfolio.dataset.source,
                      quality=portfolio.dataset.quality.copy(), notes=portfolio.dataset.notes,
                      given_path=portfolio.dataset.given_path)   # where the plans are (plans_folder)
    return Portfolio(dataset=dataset, settings=portfolio.settings, quarter=portfolio.quarter,
                     quarterly=portfolio.quarterly.copy(), summary=portfolio.summary.copy(),
                     pareto=portfolio.pareto.copy(), top20_share=portfolio.top20_share,
                     _shared=portfolio._cache, history=portfolio.history)
