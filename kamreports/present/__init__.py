"""What the notebooks display, as HTML fragments: ``from kamreports import present as kp``.

- :mod:`.html`: the generic fragments (heading, paragraph, callout, kpi_strip, table, swot_grid,
  bullet_list, figure_html), :func:`show` and :func:`use_pack_styles`;
- :mod:`.account`: the account plan's pieces (its title, KPIs, tables and notes);
- :mod:`.portfolio` and :mod:`.roi`: the portfolio review's.

Every name below is importable from here, so a notebook needs only ``kp``.
"""
from __future__ import annotations

from .account import (
    account_kpis,
    account_summary,
    account_title,
    cross_sell_table,
    forecast_note,
    growth_table,
    health_breakdown_table,
    health_gaps,
    health_heading,
    relationship_not_assessed,
    relationship_notes,
    stakeholder_table,
    swot_note,
)
from .history import (
    band_changes_table,
    health_driver_line,
    key_list_history_table,
    matrix_previous,
    movement_section,
    plan_progress_line,
    plan_progress_section,
    previous_positions,
    sources_note,
)
from .html import (
    Formatter,
    bullet_list,
    callout,
    figure_html,
    heading,
    kpi_strip,
    paragraph,
    show,
    swot_grid,
    table,
    use_pack_styles,
)
from .onepager import account_onepager, portfolio_onepager
from .plan import (
    account_methods,
    customer_section,
    deals_and_economics_section,
    plan_missing_notice,
    risks_and_governance_section,
    team_section,
    value_and_goals_section,
)
from .portfolio import (
    abc_class_table,
    concentration_note,
    data_quality_section,
    health_kpis,
    health_ranking_table,
    key_accounts_table,
    matrix_note,
    opportunities_table,
    overrides_section,
    portfolio_kpis,
    portfolio_summary,
    promotion_table,
    quadrant_table,
    review_table,
    selection_rule,
    sensitivity_heading,
    sensitivity_table,
    stage_note,
)
from .roi import (
    group_measures_table,
    managers_table,
    periods_table,
    profitability_note,
    programme_kpis,
    roi_findings,
    roi_history_note,
    shown_slices,
    slice_table,
)

__all__ = [
    # generic fragments
    "Formatter", "bullet_list", "callout", "figure_html", "heading", "kpi_strip", "paragraph", "show", "swot_grid",
    "table", "use_pack_styles",
    # the account plan
    "account_kpis", "account_summary", "account_title", "cross_sell_table", "forecast_note", "growth_table",
    "health_breakdown_table", "health_gaps", "health_heading", "relationship_not_assessed", "relationship_notes",
    "stakeholder_table", "swot_note",
    # what changed since the last quarter
    "band_changes_table", "health_driver_line", "key_list_history_table", "matrix_previous", "movement_section",
    "plan_progress_line", "plan_progress_section",
    "previous_positions", "sources_note",
    # page one
    "account_onepager", "portfolio_onepager",
    # the account plan's team sections
    "account_methods", "customer_section", "deals_and_economics_section", "plan_missing_notice",
    "risks_and_governance_section", "team_section", "value_and_goals_section",
    # the portfolio review
    "abc_class_table", "concentration_note", "data_quality_section", "health_kpis", "health_ranking_table",
    "key_accounts_table", "matrix_note",
    "opportunities_table", "overrides_section", "portfolio_kpis", "portfolio_summary",
    "promotion_table", "quadrant_table", "review_table", "selection_rule", "sensitivity_heading",
    "sensitivity_table", "stage_note",
    # its ROI pages
    "group_measures_table", "managers_table", "periods_table", "profitability_note", "programme_kpis",
    "roi_findings", "roi_history_note", "shown_slices", "slice_table",
]
