"""Page one of each pack: a band with the company, the account (or the portfolio), the quarter and the
classification, then what an executive acts on in five minutes.

The band replaces the old cover page, so page one is already the summary. The whole page is one
``<section class="onepager">`` between two markers: the book takes exactly that section for each key
account (its one-page summary), and print CSS ends the page after it.
"""
from __future__ import annotations

from html import escape

import pandas as pd
from IPython.display import HTML

from ..analytics.account_story import (
    changes_since,
    health_verdict_note,
    kpi_changes,
    next_actions,
    status_headline,
    suggested_decisions,
    top_risks,
)
from ..analytics.portfolio import NOT_ASSESSED
from ..analytics.portfolio_story import attention, decisions, programme_verdict
from ..config import Settings
from ..model import AccountView, Portfolio
from ..periods import quarter_end
from ..protocol import ONEPAGER_END, ONEPAGER_START
from .brand import brand_logo
from .html import _e

START, END = ONEPAGER_START, ONEPAGER_END
VERDICT_CLASS = {"on track": "good", "at risk": "warn", "off track": "bad"}


def quadrant_label(quadrant: object) -> str:
    """The KAM-matrix quadrant as the band names it: "relationship not assessed" for an account without
    stakeholders mapped, never an invented quadrant."""
    return "relationship not assessed" if quadrant == NOT_ASSESSED or pd.isna(quadrant) else str(quadrant)


def band(company: str, logo_uri: str, kind: str, title: str, quarter: str, details: list[str],
         classification: str) -> str:
    """The band at the top of page one: logo and company, what the pack is, its title, the quarter and the
    classification, and a line of details. ``logo_uri`` is our own data URI; everything else is escaped."""
    if not logo_uri.startswith("data:image/"):
        raise ValueError("the logo must be a data: URI made by present.brand")
    meta = " · ".join(_e(d) for d in details if d)
    return (f'<header class="band"><div class="band-brand"><img src="{escape(logo_uri, quote=True)}" alt=""/>'
            f'<span class="band-company">{_e(company)}</span><span class="band-kind">{_e(kind)} · {_e(quarter)}'
            f'</span><span class="band-mark">{_e(classification)}</span></div>'
            f'<h1>{_e(title)}</h1><p class="band-meta">{meta}</p></header>')


def _kpi(label: str, value: str, change: str | None, note: str | None = None) -> str:
    lines = [f'<div class="kpi-label">{_e(label)}</div><div class="kpi-value">{_e(value)}</div>']
    for text in (note, change):
        if text:
            lines.append(f'<div class="kpi-note">{_e(text)}</div>')
    return f'<div class="kpi">{"".join(lines)}</div>'


def _list(items: list[str], css: str = "") -> str:
    return f'<ul class="{css}">' + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>"


def account_onepager(account: AccountView, settings: Settings) -> HTML:
    """Page one of an account plan: band, status headline (and why health disagrees, if it does), the
    KPI cards with their change since the previous quarter, what changed, the top three risks, the next
    quarter's actions, and the asks and decisions for the QBR."""
    f, fmt, money = account.figures, account.formats, account.money
    previous, prev_q = account.previous, account.previous_quarter
    company, logo_uri, classification = settings.company.name, brand_logo(settings), settings.report.classification
    details = [f"Key-account manager: {account.owner}",
               ", ".join(str(v) for v in (f.get("industry"), f.get("region")) if pd.notna(v)),
               f"{f['tier']}, {quadrant_label(f.get('quadrant'))}" if pd.notna(f.get("tier")) else "",
               f"data as of {account.as_of.isoformat()}" if account.as_of else ""]
    head = band(company, logo_uri, "Account plan", account.name, account.quarter, details, classification)
    verdict = str(f.get("fy_verdict"))
    parts = [START, head, f'<p class="headline {VERDICT_CLASS.get(verdict, "none")}">{_e(status_headline(f, money))}'
                          "</p>"]
    note = health_verdict_note(f)
    if note:
        parts.append(f'<p class="headline-note">{_e(note)}</p>')
    changes = kpi_changes(f, previous, money, fmt.sane_change)
    compared = f"against {prev_q}" if previous is not None else ""
    tiles = [
        _kpi(f"Revenue {account.quarter}", money(f["revenue_q"]), changes["revenue_q"],
             f"target {money(f['target_q'])}" if pd.notna(f.get("target_q")) else "no target"),
        _kpi("Target attainment", fmt.attainment(f["attainment_q"]), changes["attainment_q"]),
        _kpi("Growth, year on year", fmt.growth(f["yoy_growth"]), changes["yoy_growth"],
             "this quarter against the same quarter last year"),
        _kpi("Revenue, last 4 quarters", money(f["revenue_t4q"]), changes["revenue_t4q"]),
        _kpi("Gross margin", fmt.percent(f["gross_margin_pct"], 0), changes["gross_margin_pct"], "last 4 quarters"),
        _kpi("Customer score", fmt.number(f["nps_avg"], 1), changes["nps_avg"], "0–10, last 4 quarters"),
        _kpi("Account health", fmt.number(f["health_score"], 0), changes["health_score"],
             f"{str(f['health_band']).upper()}, of 100" if pd.notna(f.get("health_score")) else "not enough data"),
    ]
    parts.append(f'<div class="kpi-strip compact">{"".join(tiles)}</div>')
    if compared:
        parts.append(f'<p class="small muted">Changes are {_e(compared)} ({_e(account.previous_source)}).</p>')
    left = [f"<h3>What changed since {_e(prev_q)}</h3>", _list(changes_since(f, previous, prev_q))]
    risks = top_risks(account.plan, account.risks)
    left.append("<h3>Top risks</h3>")
    unmapped = account.stakeholders.empty
    if risks.empty:
        left.append('<p class="muted">No open risk in the plan; stakeholder risks not assessed — no stakeholders '
                    'mapped.</p>' if unmapped else
                    '<p class="muted">No open risk in the plan, and none raised by the stakeholder map.</p>')
    else:
        items = []
        for _, r in risks.iterrows():
            extra = "; ".join(x for x in (r["rating"], f"owner {r['owner']}" if r["owner"] else "",
                                          f"mitigation: {r['mitigation']}" if r["mitigation"] else "") if x)
            items.append(f"<li><strong>{_e(r['risk'])}</strong> <span class='small'>({_e(extra)})</span></li>")
        left.append(f'<ol class="risks">{"".join(items)}</ol>')
        if unmapped:
            left.append('<p class="small muted">Stakeholder risks not assessed — no stakeholders mapped.</p>')
    right = ["<h3>Next quarter's plan</h3>"]
    if not account.plan.exists:
        right.append(f'<p class="callout">No account plan agreed for {_e(account.quarter)} — owner: '
                     f'{_e(account.owner)}.</p>')
    else:
        upcoming = next_actions(account.actions, account.as_of) if account.as_of else account.actions.iloc[0:0]
        if upcoming.empty:
            right.append('<p class="muted">No open action is overdue or due in the next quarter.</p>')
        else:
            rows = []
            for _, a in upcoming.iterrows():
                due = a["due"].isoformat() if hasattr(a["due"], "isoformat") else str(a["due"] or "–")
                flag = (f' <span class="flag">overdue {int(a["days_overdue"])} day'
                        f'{"s" if int(a["days_overdue"]) != 1 else ""}</span>') if a["overdue"] else ""
                rows.append(f"<li>{_e(a['action'])} <span class='small'>({_e(a['owner'] or 'no owner')}, due "
                            f"{_e(due)})</span>{flag}</li>")
            right.append(f'<ul class="actions">{"".join(rows)}</ul>')
    right.append("<h3>Asks and decisions for the QBR</h3>")
    asks = [a for a in account.plan.asks if (a.status or "open").lower() not in ("done", "closed", "granted")]
    decisions = [d for m in account.plan.governance.meetings for d in m.decisions if not d.done]
    written = [f"Ask {a.of or 'the customer'}: {a.ask}" + (f" (by {a.by.isoformat()})" if a.by else "")
               for a in asks] + [f"Follow up: {d.decision}" + (f" ({d.owner})" if d.owner else "")
                                 for d in decisions]
    if written:
        right.append(_list(written[:4]))
    else:
        right.append('<p class="muted">The plan records no asks or open decisions for this QBR.</p>')
        suggestions = suggested_decisions(f, account.plan, account.stale, account.risks, money,
                                          account.stale_after_days)
        if suggestions:
            right.append('<p class="small"><strong>Suggested by the data</strong> (not from the team):</p>')
            right.append(_list(suggestions[:3], "suggested"))
    parts.append('<table class="op-columns"><tr><td>' + "".join(left) + "</td><td>" + "".join(right)
                 + "</td></tr></table>")
    parts.append(END)
    return HTML(f'<section class="onepager">{"".join(parts)}</section>')


def portfolio_onepager(portfolio: Portfolio, shown: int = 8) -> HTML:
    """Page one of the portfolio review: band, the programme's verdict, key figures, the key accounts
    needing attention (ranked, each with its reasons and figures) and the decisions to take this quarter."""
    settings, money, fmt = portfolio.settings, portfolio.money, portfolio.formats
    summary, keys = portfolio.summary, portfolio.key_accounts
    active = int((summary["revenue_t4q"] > 0).sum())
    details = [f"{len(keys)} key accounts of {active} accounts with revenue in the last four quarters",
               f"data as of {quarter_end(portfolio.quarter).isoformat()}"]
    head = band(settings.company.name, brand_logo(settings), "Key-account portfolio", "Portfolio review",
                portfolio.quarter, details, settings.report.classification)
    roi = portfolio.roi
    verdict = programme_verdict(roi.programme, roi.groups, roi.window, money)
    plans = portfolio.plan_overview()
    key_revenue = keys["revenue_t4q"].sum()
    total = summary["revenue_t4q"].sum()
    tiles = [
        _kpi("Key accounts", fmt.number(len(keys)),
             f"{key_revenue / total:.0%} of revenue, last 4 quarters" if total > 0 else "no revenue"),
        _kpi("Revenue, last 4 quarters", money(total), f"{active} accounts with revenue"),
        _kpi("Programme ROI", fmt.percent(roi.programme.roi, 0, signed=True) if not roi.programme.reason else "n/a",
             roi.programme.window.split(" vs ")[0]),
        _kpi("Off track for the year", fmt.number((keys["fy_verdict"] == "off track").sum()),
             f"of {len(keys)} key accounts"),
        _kpi("Red health", fmt.number((keys["health_band"] == "red").sum()), f"of {len(keys)} key accounts"),
        _kpi("Plans with overdue actions", fmt.number((plans["overdue_actions"] > 0).sum()) if len(plans) else "0",
             f"of {len(keys)} key accounts"),
    ]
    parts = [START, head, _list(verdict, "verdict"), f'<div class="kpi-strip compact">{"".join(tiles)}</div>']
    needing = attention(keys, plans, money)
    parts.append(f"<h3>Key accounts needing attention ({len(needing)} of {len(keys)})</h3>")
    if needing.empty:
        parts.append('<p class="muted">No key account is off track, red, declining, without a plan, overdue or '
                     "stale.</p>")
    else:
        rows = "".join(f"<tr><td>{_e(r['name'])}</td><td>{_e(r['owner'] if pd.notna(r['owner']) else '–')}</td>"
                       f"<td>{_e(r['why'])}</td></tr>" for _, r in needing.head(shown).iterrows())
        parts.append('<table class="kam attention"><thead><tr><th>Account</th><th>Manager</th><th>Why, with the '
                     f"figure</th></tr></thead><tbody>{rows}</tbody></table>")
        if len(needing) > shown:
            parts.append(f'<p class="small muted">{len(needing) - shown} more key accounts need attention for fewer '
                         "reasons; the health and year-ahead page lists every key account.</p>")
    promote, review = portfolio.candidates
    s = settings.roi
    parts.append("<h3>Decisions to take this quarter</h3>")
    parts.append(_list(decisions(promote, review, roi.managers, plans, s.min_key_accounts, s.max_key_accounts)))
    parts.append(END)
    return HTML(f'<section class="onepager">{"".join(parts)}</section>')
