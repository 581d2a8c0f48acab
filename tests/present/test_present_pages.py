"""What the pages show: the generic HTML fragments of ``kamreports.present`` and the account plan's
and portfolio review's pieces, on small hand-made frames.

Every expected text below is worked out by hand from the formats of ``kamreports.formatting``:
money is compact with one decimal ($1.2M, $950, $1.0K from 999.5 up), percentages are value x 100
with the decimals asked for, a missing value is an en dash (–).
"""
from __future__ import annotations

from html.parser import HTMLParser
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from IPython.display import HTML

from kamreports import present as kp
from kamreports.analytics.account import SwotItem
from kamreports.charts.style import figure, house
from kamreports.config import Selection
from kamreports.data.plans import PlanInputs
from kamreports.formatting import NumberFormat
from kamreports.model import AccountView
from kamreports.present import html as present_html

FMT = NumberFormat()
EVIL = "<script>alert(1)</script> & Co"
EVIL_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"


class _Parsed(HTMLParser):
    """Elements of a fragment as (tag, class, text): text is the element's own text, unescaped."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[list] = []
        self._open: list[list] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = [tag, dict(attrs).get("class"), ""]
        self.elements.append(element)
        if tag not in ("img", "br"):
            self._open.append(element)

    def handle_endtag(self, tag):
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self._open:
            self._open[-1][2] += data


def html_of(part: HTML) -> str:
    assert isinstance(part, HTML)
    return part.data


def elements(part: HTML, tag: str) -> list[tuple[str | None, str]]:
    """(class, text) of every ``tag`` in the fragment, in order."""
    return [(cls, text) for t, cls, text in _Parsed(html_of(part)).elements if t == tag]


def texts(part: HTML, tag: str) -> list[str]:
    return [text for _cls, text in elements(part, tag)]


def rows(part: HTML) -> list[list[str]]:
    """The body rows of a table fragment as lists of cell texts."""
    body = html_of(part).split("<tbody>", 1)[1]
    return [[text for t, _c, text in _Parsed(row).elements if t == "td"] for row in body.split("<tr>")[1:]]


def header(part: HTML) -> list[str]:
    return texts(part, "th")


def num_columns(part: HTML) -> list[str]:
    """Header names of the columns whose header and every cell are class "num"."""
    heads = elements(part, "th")
    cells = [c for c, _t in elements(part, "td")]
    width = len(heads)
    out = []
    for i, (cls, name) in enumerate(heads):
        column = cells[i::width]
        if cls == "num":
            assert all(c == "num" for c in column), name
            out.append(name)
        else:
            assert all(c == "" for c in column), name
    return out


def view(figures: dict | None = None, **fields) -> AccountView:
    """A small account view; only what a test reads needs to be real."""
    base = {"account_id": "ACC-9", "name": "Acme", "owner": "Kim", "quarter": "2026Q2",
            "figures": pd.Series(figures or {}, dtype=object), "growth": pd.DataFrame(),
            "stakeholders": pd.DataFrame(), "risks": [], "swot": {}, "plan": PlanInputs()}
    return AccountView(**{**base, **fields})


# ---------------------------------------------------------------- generic fragments


def test_heading_escapes_text_and_subtitle():
    assert html_of(kp.heading(EVIL, 1, "A & B")) == f'<h1>{EVIL_ESCAPED}</h1><p class="subtitle">A &amp; B</p>'
    assert html_of(kp.heading("Data quality")) == "<h2>Data quality</h2>"


def test_paragraph_escapes_text_and_class():
    assert html_of(kp.paragraph(EVIL, "muted")) == f'<p class="muted">{EVIL_ESCAPED}</p>'
    assert html_of(kp.paragraph("x", '"><script>')) == '<p class="&quot;&gt;&lt;script&gt;">x</p>'


def test_callout_escapes_title_and_text():
    assert html_of(kp.callout(EVIL, "No <b>data</b> & more")) == (
        f'<div class="callout"><strong>No &lt;b&gt;data&lt;/b&gt; &amp; more</strong> {EVIL_ESCAPED}</div>')
    assert html_of(kp.callout("Plain.")) == '<div class="callout">Plain.</div>'


def test_kpi_strip_escapes_every_part_and_leaves_out_empty_notes():
    strip = kp.kpi_strip([(EVIL, "<b>1</b> & 2", "note <i>&</i>"), ("Plain", "3", None)])
    html = html_of(strip)
    assert "<script" not in html and "<b>" not in html and "<i>" not in html
    assert EVIL_ESCAPED in html and "&lt;b&gt;1&lt;/b&gt; &amp; 2" in html and "note &lt;i&gt;&amp;&lt;/i&gt;" in html
    assert texts(strip, "div")[1:] == ["", EVIL, "<b>1</b> & 2", "note <i>&</i>", "", "Plain", "3"]
    assert html.count('class="kpi-note"') == 1                     # None: no note at all


def test_table_formats_numeric_columns_and_escapes():
    frame = pd.DataFrame({"Name": [EVIL, "B & B"], "Revenue": [1_250_000.0, np.nan], "Rank": [1, 2],
                          "Note": [None, "<i>x</i>"]})
    shown = kp.table(frame, formats={"Revenue": FMT.money}, numeric=["Rank"], caption="Caption <b>&</b>")
    html = html_of(shown)
    assert "<script" not in html and "<i>" not in html and "<b>" not in html
    assert "<caption>Caption &lt;b&gt;&amp;&lt;/b&gt;</caption>" in html
    assert header(shown) == ["Name", "Revenue", "Rank", "Note"]
    # formatted and numeric columns align right; the others carry an empty class
    assert num_columns(shown) == ["Revenue", "Rank"]
    # NaN through a format is the format's dash; None without a format is a dash too
    assert rows(shown) == [[EVIL, "$1.2M", "1", "–"], ["B & B", "–", "2", "<i>x</i>"]]


def test_table_with_index_and_escaped_column_names():
    frame = pd.DataFrame({"<th>": [0.5]}, index=pd.Index(["A&B"], name="Class"))
    shown = kp.table(frame, formats={"<th>": lambda v: FMT.percent(v, 0)}, index=True)
    assert '<th class="num">&lt;th&gt;</th>' in html_of(shown)
    assert header(shown) == ["Class", "<th>"]
    assert rows(shown) == [["A&B", "50%"]]
    assert num_columns(shown) == ["<th>"]


def test_swot_grid_marks_data_and_team_items_and_escapes():
    grid = kp.swot_grid({"strengths": [SwotItem("Revenue up 12%", "data"), SwotItem(EVIL, "team")],
                         "threats": ["A team note & more"]})
    html = html_of(grid)
    assert "<script" not in html and EVIL_ESCAPED in html and "A team note &amp; more" in html
    assert elements(grid, "li") == [("data", "Revenue up 12%"), ("team", EVIL),
                                    ("muted", "Nothing recorded yet."), ("muted", "Nothing recorded yet."),
                                    ("team", "A team note & more")]     # a plain string is the team's
    assert texts(grid, "h3") == ["Strengths", "Weaknesses", "Opportunities", "Threats"]
    odd = kp.swot_grid({"strengths": [SwotItem("x", '"><script>')]}, empty_text="<none>")
    assert "<script" not in html_of(odd) and "&lt;none&gt;" in html_of(odd)


def test_bullet_list_escapes_items_and_class():
    items = kp.bullet_list([EVIL, "a & b"], '"x')
    assert html_of(items) == f'<ul class="&quot;x"><li>{EVIL_ESCAPED}</li><li>a &amp; b</li></ul>'


def test_figure_html_embeds_a_png_at_design_width_and_escapes_alt():
    with house():
        fig, _ax = figure(7.0, 2.0)
    html = html_of(kp.figure_html(fig, EVIL))
    assert html.startswith('<figure class="chart"><img src="data:image/png;base64,iVBORw0KGgo')   # PNG magic
    assert f'alt="{EVIL_ESCAPED}"' in html and "<script" not in html
    assert 'style="width:672px;max-width:100%"' in html                                        # 7 in x 96 px


def test_show_displays_parts_in_order_and_skips_none(monkeypatch):
    shown = []
    monkeypatch.setattr(present_html, "display", shown.append)
    with house():
        fig, _ax = figure(7.0, 2.0)
    kp.show(kp.paragraph("a"), None, fig, kp.paragraph("b"), alt="Chart <x>")
    assert len(shown) == 3
    # each HTML part in the div that keeps JupyterLab's MathJax off its "$" amounts (present.html._no_maths)
    wrapped = '<div class="tex2jax_ignore mathjax_ignore">{}</div>'
    assert html_of(shown[0]) == wrapped.format('<p class="">a</p>')
    assert html_of(shown[2]) == wrapped.format('<p class="">b</p>')
    assert 'alt="Chart &lt;x&gt;"' in html_of(shown[1])


# ---------------------------------------------------------------- the account plan

FIGURES = {"revenue_q": 1_234_567.0, "target_q": 1_000_000.0, "attainment_q": 1.2346, "yoy_growth": 0.05,
           "revenue_t4q": 4_500_000.0, "gross_margin_pct": 0.4, "nps_avg": 7.26, "health_score": 80.6,
           "health_band": "green", "fy_forecast": 1_200_000.0, "fy_forecast_low": 1_100_000.0,
           "fy_forecast_high": 1_300_000.0, "fy_annual_target": 1_000_000.0, "fy_verdict": "on track",
           "relationship_stage": "Cooperative", "stage_guidance": "Deepen the relationship.", "health_missing": "",
           "quarters_active": 8}


def test_account_title_and_kpis():
    account = view(FIGURES, name=EVIL)
    assert html_of(kp.account_title(account)) == (
        f'<h1>{EVIL_ESCAPED}</h1><p class="subtitle">Account plan · 2026Q2 · Key-account manager: Kim</p>')
    strip = kp.account_kpis(account)
    tiles = texts(strip, "div")
    assert [t for t in tiles if t] == [
        "Revenue 2026Q2", "$1.2M", "Target $1.0M",
        "Target attainment", "123%",                      # 1.2346 x 100 = 123.46
        "Growth, year on year", "+5.0%",
        "Revenue, last 4 quarters", "$4.5M",
        "Gross margin", "40%", "last 4 quarters",
        "Customer score", "7.3", "0–10, last 4 quarters",
        "Account health", "81", "GREEN, of 100"]


def test_account_summary_is_the_narrative_as_a_summary_list():
    summary = kp.account_summary(view(FIGURES, risks=["No champion <mapped>."]))
    assert html_of(summary).startswith('<ul class="summary">')
    assert texts(summary, "li") == [
        "Revenue in 2026Q2 was $1.2M, $4.5M over the last four quarters.",
        "That is 123% of the quarter's target of $1.0M, ahead of plan.",
        "Revenue is up 5% on the same quarter last year.",
        "Main relationship risk: No champion <mapped>."]


def test_growth_table_names_columns_and_formats():
    growth = pd.DataFrame({"revenue": [1000.0, 1500.0], "target": [1000.0, np.nan], "attainment": [1.0, np.nan],
                           "qoq_growth": [np.nan, 0.5], "yoy_growth": [0.1, -0.25]},
                          index=pd.Index(["2026Q1", "2026Q2"], name="quarter"))
    shown = kp.growth_table(growth, FMT)
    assert header(shown) == ["Quarter", "Revenue", "Target", "Attainment", "Growth QoQ", "Growth YoY"]
    assert rows(shown) == [["2026Q1", "$1.0K", "$1.0K", "100%", "–", "+10.0%"],
                           ["2026Q2", "$1.5K", "–", "–", "+50.0%", "-25.0%"]]
    assert num_columns(shown) == ["Revenue", "Target", "Attainment", "Growth QoQ", "Growth YoY"]


def test_forecast_note_explains_the_verdict():
    note = kp.forecast_note(view(FIGURES))
    assert texts(note, "p") == [
        "Forecast for the year: $1.2M (range $1.1M to $1.3M) against a target of $1.0M; on track: even the low "
        "end of the forecast reaches the target. Remaining quarters at the run-rate of the last quarters, the "
        "range from recent quarter-on-quarter swings."]
    other = kp.forecast_note(view({**FIGURES, "fy_verdict": "no target", "fy_annual_target": np.nan}))
    assert "against a target of –; without a full-year target." in texts(other, "p")[0]
    unknown = kp.forecast_note(view({**FIGURES, "fy_verdict": "new <verdict>"}))
    assert "; new <verdict>. Remaining" in texts(unknown, "p")[0]


def test_swot_note_says_whose_items_are_whose():
    assert elements(kp.swot_note(PlanInputs(swot={"strengths": ["Trusted"]})), "p") == [
        ("muted", "Items in italics are derived from the data; the others were entered by the account team.")]
    assert elements(kp.swot_note(PlanInputs()), "p") == [
        ("muted", "All items are derived from the data; the account team has not added its own yet.")]


def test_stakeholder_table_picks_names_and_formats_columns():
    people = pd.DataFrame({"name": [EVIL, "Bo"], "title": ["CFO", "Buyer"], "role_label": ["Economic buyer", "User"],
                           "influence": pd.array([5, pd.NA], dtype="Int64"), "sentiment_label": ["Supportive", None],
                           "last_contact": pd.to_datetime(["2026-05-01", None]),
                           "days_since_contact": [60, 1234], "stale": [False, True]})
    shown = kp.stakeholder_table(people, FMT)
    assert header(shown) == ["Name", "Title", "Role", "Influence (1–5)", "Sentiment", "Last contact", "Days since"]
    assert rows(shown) == [[EVIL, "CFO", "Economic buyer", "5", "Supportive", "2026-05-01", "60"],
                           ["Bo", "Buyer", "User", "–", "–", "–", "1,234"]]     # no date: a dash, not an error
    assert num_columns(shown) == ["Influence (1–5)", "Last contact", "Days since"]
    assert "<script" not in html_of(shown)


def test_relationship_notes_stage_and_risks():
    mapped = pd.DataFrame({"name": ["Ann"]})
    parts = kp.relationship_notes(view(FIGURES, risks=["Single-threaded: one contact."], stakeholders=mapped))
    assert [html_of(p) for p in parts] == [
        "<h3>Relationship stage</h3>", '<p class="">Cooperative: Deepen the relationship.</p>',
        "<h3>Relationship risks</h3>", '<ul class="risks"><li>Single-threaded: one contact.</li></ul>']
    assert texts(kp.relationship_notes(view(FIGURES, stakeholders=mapped))[3], "li") == ["None flagged."]


def test_relationship_notes_without_stakeholders_say_not_assessed():
    figures = {**FIGURES, "relationship_stage": "Not assessed", "strength_basis": "not assessed"}
    (part,) = kp.relationship_notes(view(figures))
    assert html_of(part) == (
        '<div class="callout"><strong>No data.</strong> Relationship not assessed — no stakeholders mapped. The '
        "relationship stage, the relationship strength on the KAM matrix, the stakeholder risks and the health "
        "components that rest on contacts (engagement recency, stakeholder coverage, open risks) are left out until "
        "the account&#x27;s stakeholders are mapped.</div>")
    # an analyst's strength still places the account on the matrix: the strength is not said to be left out
    (analyst,) = kp.relationship_notes(view({**figures, "strength_basis": "analyst"}))
    assert "strength" not in html_of(analyst) and "Cooperative" not in html_of(analyst)


def test_cross_sell_table_or_a_note_when_there_is_none():
    cross_sell = pd.DataFrame({"account_id": ["A"], "rank": [1], "product": ["Core <x>"], "estimate": [479_000.0],
                               "reason": ["31 buyers & more"]})
    shown = kp.cross_sell_table(cross_sell, FMT)
    assert header(shown) == ["Product", "Estimated a year", "How it is estimated"]
    assert rows(shown) == [["Core <x>", "$479.0K", "31 buyers & more"]]
    assert num_columns(shown) == ["Estimated a year"]
    empty = kp.cross_sell_table(cross_sell.iloc[0:0], FMT)
    assert texts(empty, "div") == ["The account already buys every product, or no peers buy what it does not."]


def test_health_heading_table_and_gaps():
    assert html_of(kp.health_heading(view(FIGURES))) == "<h3>Account health: 81 of 100 (GREEN)</h3>"
    breakdown = pd.DataFrame({"score": [62.5, np.nan, 100.0], "weight": [20.0, 20, 12.5]},
                             index=pd.Index(["growth", "nps", "risks"], name="component"))
    shown = kp.health_breakdown_table(breakdown, FMT)
    assert header(shown) == ["Component", "Score (0–100)", "Weight"]
    assert rows(shown) == [["Growth", "62", "20%"],            # 62.5 rounds half to even: 62
                           ["Customer score", "–", "20%"], ["Open risks", "100", "12.5%"]]
    assert num_columns(shown) == ["Score (0–100)", "Weight"]
    assert kp.health_gaps(view(FIGURES)) is None
    gaps = kp.health_gaps(view({**FIGURES, "health_missing": "nps, attainment"}))
    assert elements(gaps, "p") == [("muted", "Not scored for lack of data: customer score, target attainment.")]


# ---------------------------------------------------------------- the portfolio review

SUMMARY = pd.DataFrame({"name": ["Big", "Mid", "Small", "Tiny"], "revenue_t4q": [600.0, 250.0, 100.0, 50.0],
                        "is_key": [True, True, False, False]}, index=pd.Index(["A1", "A2", "A3", "A4"]))


def test_portfolio_kpis_and_summary():
    keys = SUMMARY[SUMMARY["is_key"]]
    strip = kp.portfolio_kpis(SUMMARY, keys, 0.6, FMT)
    # key accounts: (600 + 250) / 1000 = 85% of revenue; 1000 in all is $1.0K; top 20% of 4: ceil(0.8) = 1
    assert [t for t in texts(strip, "div") if t] == [
        "Accounts", "4", "with revenue, last 4 quarters", "Key accounts", "2", "85% of revenue",
        "Revenue, last 4 quarters", "$1.0K", "Top 20% share", "60%", "of revenue, from the top 1 account of 4"]
    summary = kp.portfolio_summary(SUMMARY.assign(quadrant=["Star", "Star", None, None]), 0.6, "2026Q2", FMT)
    assert texts(summary, "li") == ["4 accounts had revenue in the last four quarters (2025Q3-2026Q2): $1.0K in all.",
                                    "The top 20% of them (the largest account) brought 60% of it.",
                                    "The 2 key accounts brought 85% of it.",
                                    "On the KAM matrix the key accounts sit as: 2 Star."]
    # an account with no revenue in the window is left out of the count, said so, and of the top 20%
    dormant = SUMMARY.assign(revenue_t4q=[600.0, 250.0, 100.0, 0.0])
    strip = kp.portfolio_kpis(dormant, keys, 0.6, FMT)
    assert [t for t in texts(strip, "div") if t][1:3] == ["3", "with revenue, last 4 quarters"]
    assert texts(kp.portfolio_summary(dormant, 600 / 950, "2026Q2", FMT), "li")[:2] == [
        "3 accounts had revenue in the last four quarters (2025Q3-2026Q2): $950 in all. 1 account with revenue "
        "only before then is not counted in these figures.",
        "The top 20% of them (the largest account) brought 63% of it."]
    note = kp.concentration_note(dormant, 600 / 950, FMT)
    assert elements(note, "p") == [("muted", "The curve, the top-20% share and the ABC classes count the 3 accounts "
                                             "with revenue in the last four quarters, ranked by that revenue: the top "
                                             "20% is the largest 1, bringing 63% of it. 1 account with revenue only "
                                             "before then has no class.")]


def test_abc_class_table_caption_and_formats():
    abc = pd.DataFrame({"accounts": [1, 3], "revenue": [800.0, 1_200_000.0], "share": [0.000666, 0.999334]},
                       index=pd.Index(["A", "B"], name="abc_class"))
    shown = kp.abc_class_table(abc, FMT, 0.8, 0.95)
    assert texts(shown, "caption") == ["ABC classes of the accounts with revenue in the last four quarters: "
                                       "A up to 80% of that revenue, B up to 95%, C the rest"]
    assert header(shown) == ["Class", "Accounts", "Revenue", "Share"]
    assert rows(shown) == [["A", "1", "$800", "0%"], ["B", "3", "$1.2M", "100%"]]
    assert num_columns(shown) == ["Accounts", "Revenue", "Share"]


def test_selection_rule_names_weights_threshold_and_cap():
    rule = kp.selection_rule(Selection(criteria={"revenue_volume": 50, "product_fit": 29.5, "strategic_value": 20.5},
                                       threshold=6.5, max_key_accounts=12))
    assert elements(rule, "p") == [("muted", "Scored 1–10 on revenue volume 50%, product fit 29.5%, strategic value "
                                             "20.5%. Selected: score at least 6.5, at most 12.")]


def test_key_accounts_table():
    keys = pd.DataFrame({"name": ["Big"], "owner": ["Kim"], "tier": ["Tier 1"], "score": [8.04],
                         "revenue_t4q": [13_800_000.0], "yoy_growth": [-0.144], "attainment_q": [0.987],
                         "quadrant": ["Strategic"], "relationship_stage": ["Cooperative"], "extra": [1]})
    shown = kp.key_accounts_table(keys, FMT)
    assert header(shown) == ["Account", "Manager", "Tier", "Score", "Revenue, 4Q", "Quarter vs year ago",
                             "Attainment", "Quadrant", "Stage"]
    assert rows(shown) == [["Big", "Kim", "Tier 1", "8.0", "$13.8M", "-14%", "99%", "Strategic", "Cooperative"]]
    assert num_columns(shown) == ["Score", "Revenue, 4Q", "Quarter vs year ago", "Attainment"]
    assert texts(shown, "caption") == ["Revenue over the last four quarters; growth is this quarter's revenue against "
                                       "the same quarter last year, attainment this quarter's revenue against its "
                                       "target"]


def test_quadrant_table_and_stage_pieces():
    counts = pd.DataFrame({"quadrant": ["Strategic", "Star"], "strategy": ["Invest", "Grow"], "accounts": [3, 0]})
    shown = kp.quadrant_table(counts)
    assert header(shown) == ["Quadrant", "Strategy", "Key accounts"]
    assert rows(shown) == [["Strategic", "Invest", "3"], ["Star", "Grow", "0"]]
    assert num_columns(shown) == ["Key accounts"]
    note = kp.stage_note(pd.Series([1, 0, 2, 3], index=["Tactical", "Cooperative", "Interdependent", "Strategic"]))
    assert elements(note, "p") == [("muted", "Relationship stage (in the key accounts table) from contacts mapped, "
                                             "levels engaged, share of wallet and tenure; each account plan gives the "
                                             "guidance for its stage and potential. 1 Tactical, 0 Cooperative, "
                                             "2 Interdependent, 3 Strategic.")]


def test_selection_tables_and_their_notes():
    promote = pd.DataFrame({"name": ["P"], "score": [7.25], "revenue_t4q": [950.0], "reason": ["Growing 30%."],
                            "potential_score": [8.5]})
    shown = kp.promotion_table(promote, FMT)
    assert header(shown) == ["Account", "Score", "Revenue, 4Q", "Why"]
    assert rows(shown) == [["P", "7.2", "$950", "Growing 30%."]]              # a tie rounds to even: 7.2
    assert num_columns(shown) == ["Score", "Revenue, 4Q"]
    assert texts(shown, "caption") == ["The only candidate"]
    many = pd.concat([promote.assign(name=f"P{i}", potential_score=float(i)) for i in range(12)], ignore_index=True)
    cut = kp.promotion_table(many, FMT)
    assert texts(cut, "caption") == ["10 of 12 candidates shown: those with the highest revenue-potential score"]
    assert [r[0] for r in rows(cut)] == [f"P{i}" for i in range(11, 1, -1)]
    assert texts(kp.promotion_table(many, FMT, limit=12), "caption") == ["All 12 candidates"]
    assert texts(kp.promotion_table(promote.iloc[0:0], FMT), "div") == ["No non-key account meets the promotion rules."]
    demote = pd.DataFrame({"name": ["D"], "score": [5.96], "reason": ["Declining."]})
    assert header(kp.review_table(demote, FMT)) == ["Account", "Score", "Why"]
    assert rows(kp.review_table(demote, FMT)) == [["D", "6.0", "Declining."]]
    assert texts(kp.review_table(demote.iloc[0:0], FMT), "div") == ["No key account meets a review rule."]
    assert html_of(kp.sensitivity_heading(0.2)) == "<h3>Weight sensitivity (each weight moved by ±20%)</h3>"
    flips = pd.DataFrame({"name": ["F"], "score": [6.004], "change": ["drops out"], "flipped_by": ["product fit"]})
    assert header(kp.sensitivity_table(flips, FMT)) == ["Account", "Score", "If weights move", "Flipped when"]
    assert rows(kp.sensitivity_table(flips, FMT)) == [["F", "6.00", "drops out", "product fit"]]
    assert texts(kp.sensitivity_table(flips.iloc[0:0], FMT), "div") == [
        "The key-account list does not change when any weight moves."]
    overrides = pd.DataFrame({"name": ["O"], "selection_reason": ["included: board decision"]})
    parts = kp.overrides_section(overrides)
    assert html_of(parts[0]) == "<h3>Team overrides</h3>"
    assert header(parts[1]) == ["Account", "Reason"] and rows(parts[1]) == [["O", "included: board decision"]]
    assert kp.overrides_section(overrides.iloc[0:0]) == []


def test_opportunities_and_health_pieces():
    top = pd.DataFrame({"account_id": ["A1"], "account": ["Big"], "product": ["Core"], "estimate": [3_700_000.0]})
    shown = kp.opportunities_table(top, FMT)
    assert texts(shown, "caption") == ["The largest opportunity of each account listed, largest first"]
    assert texts(kp.opportunities_table(top, FMT, 1), "caption") == [
        "The largest opportunity of the key account"]
    assert texts(kp.opportunities_table(top, FMT, 3), "caption") == [
        "1 of 3 key accounts, largest opportunity first; the others have no product to suggest or are beyond the "
        "list's length"]
    assert header(shown) == ["Account", "Product", "Estimated a year"]
    assert rows(shown) == [["Big", "Core", "$3.7M"]] and num_columns(shown) == ["Estimated a year"]
    strip = kp.health_kpis(pd.Series({"green": 14, "amber": 4, "red": 0}), 3, FMT)
    assert [t for t in texts(strip, "div") if t] == ["Green", "14", "key accounts", "Amber", "4", "key accounts",
                                                     "Red", "0", "key accounts", "Off track for the year", "3",
                                                     "key accounts"]
    weakest = pd.DataFrame({"name": ["W"], "health_score": [np.nan], "health_band": ["n/a"],
                            "fy_verdict": ["at risk"], "relationship_stage": ["Tactical"]})
    shown = kp.health_ranking_table(weakest, FMT)
    assert texts(shown, "caption")[0].startswith("Weakest first. Health scores this quarter and the relationship")
    assert texts(shown, "caption")[0].endswith("They can disagree: a healthy account whose forecast falls short of "
                                               "its target is off track.")
    assert header(shown) == ["Account", "Health", "Band", "Full year", "Stage"]
    assert rows(shown) == [["W", "–", "n/a", "at risk", "Tactical"]] and num_columns(shown) == ["Health"]
    # with the key accounts' figures: the forecast as a share of the year's target, the reason shown
    figures = pd.DataFrame({"fy_forecast": [93.0], "fy_annual_target": [100.0]}, index=weakest.index)
    shown = kp.health_ranking_table(weakest, FMT, figures)
    assert header(shown) == ["Account", "Health", "Band", "Full year", "Forecast / target", "Stage"]
    assert rows(shown) == [["W", "–", "n/a", "at risk", "93%", "Tactical"]]
    assert texts(shown, "caption")[0].endswith("and the forecast / target column shows by how much.")


def test_data_quality_section_only_when_there_is_something_to_say():
    assert kp.data_quality_section(pd.DataFrame(columns=["step", "count"]), (), FMT) == []
    quality = pd.DataFrame({"step": ["dropped"], "table": ["revenue"], "count": [1234]})
    parts = kp.data_quality_section(quality, ["No cost <data>."], FMT)
    assert html_of(parts[0]) == "<h2>Data quality</h2>"
    assert elements(parts[1], "p")[0][0] == "muted"
    assert header(parts[2]) == ["Step", "Table", "Count"] and rows(parts[2]) == [["dropped", "revenue", "1,234"]]
    assert num_columns(parts[2]) == ["Count"]
    assert texts(parts[3], "li") == ["No cost <data>."]
    notes_only = kp.data_quality_section(quality.iloc[0:0], ["A note."], FMT)
    assert html_of(notes_only[2]) == '<p class=""></p>' and len(notes_only) == 4


# ---------------------------------------------------------------- the ROI pages


def programme(**changes) -> SimpleNamespace:
    """The fields of ``analytics.roi.ProgrammeRoi`` the page reads."""
    base = {"window": "2025Q3-2026Q2 vs 2024Q3-2025Q2", "roi": 1.234, "reason": "",
            "incremental_gross_profit": 2_500_000.0, "programme_cost": 1_000_000.0, "cost_basis": "extra",
            "payback_months": 5.38, "payback_reason": ""}
    return SimpleNamespace(**{**base, **changes})


def test_programme_kpis_with_and_without_a_measurable_roi():
    strip = kp.programme_kpis(programme(), FMT)
    assert [t for t in texts(strip, "div") if t] == [
        "Programme ROI", "+123%", "2025Q3-2026Q2 vs 2024Q3-2025Q2", "Payback", "5.4 months",
        "Incremental gross profit", "$2.5M", "over the baseline", "Programme cost", "$1.0M", "extra KAM cost"]
    none = kp.programme_kpis(programme(roi=np.nan, reason="no programme cost", payback_reason="never"), FMT)
    assert [t for t in texts(none, "div") if t][:6] == ["Programme ROI", "n/a", "no programme cost", "Payback", "none",
                                                        "never"]
    findings = kp.roi_findings([SimpleNamespace(text="ROI is <high>."), SimpleNamespace(text="Second.")])
    assert elements(findings, "ul") == [("summary", "")] and texts(findings, "li") == ["ROI is <high>.", "Second."]


def test_group_measures_table_one_measure_a_row():
    groups = pd.DataFrame({"accounts": [2, 8], "revenue": [3_000_000.0, 500_000.0], "growth": [0.1234, -0.05],
                           "grr": [0.95, 0.9], "nrr": [1.1, np.nan], "gross_margin_pct": [0.5, 0.4],
                           "cost_to_serve_pct": [0.05, 0.03], "profit_pct": [0.45, 0.37],
                           "revenue_per_account": [1_500_000.0, 62_500.0], "clv_per_account": [9e6, 4e5],
                           "share_of_wallet": [0.4, 0.39], "nps": [0.2308, -0.7]}, index=["key", "other"])
    shown = kp.group_measures_table(groups, "2025Q3-2026Q2 vs 2024Q3-2025Q2", FMT)
    assert header(shown) == ["Measure (2025Q3-2026Q2)", "Key accounts", "Other accounts"]
    assert rows(shown) == [["Accounts with revenue", "2", "8"], ["Revenue", "$3.0M", "$500.0K"],
                           ["Revenue growth, last 4 quarters vs the 4 before", "+12.3%", "-5.0%"],
                           ["Gross revenue retention", "95.0%", "90.0%"],
                           ["Net revenue retention", "110.0%", "–"], ["Gross margin", "50.0%", "40.0%"],
                           ["Cost to serve / revenue", "5.0%", "3.0%"], ["Profit / revenue", "45.0%", "37.0%"],
                           ["Revenue per account", "$1.5M", "$62.5K"],
                           ["Lifetime value per account", "$9.0M", "$400.0K"],
                           ["Share of wallet", "40.0%", "39.0%"], ["NPS (-100 to +100)", "+23", "-70"]]
    assert num_columns(shown) == ["Key accounts", "Other accounts"]


def test_profitability_note():
    whale = SimpleNamespace(unprofitable_accounts=3, key_profit_share=0.7049, profit_lost=-12_345.0)
    assert texts(kp.profitability_note(whale, 150, FMT), "p") == [
        "3 of the 150 accounts with revenue or KAM cost in the last four quarters lose money after cost to serve, "
        "$12.3K in all. Key accounts earn 70% of total profit."]
    one = SimpleNamespace(unprofitable_accounts=1, key_profit_share=np.nan, profit_lost=-5.0)
    assert texts(kp.profitability_note(one, 1, FMT), "p") == [
        "1 of the 1 account with revenue or KAM cost in the last four quarters loses money after cost to serve, "
        "$5 in all. Total profit is not positive, so no share of it is given."]
    none = SimpleNamespace(unprofitable_accounts=0, key_profit_share=0.5, profit_lost=0.0)
    assert texts(kp.profitability_note(none, 4, FMT), "p") == [
        "No account loses money after cost to serve, of the 4 accounts with revenue or KAM cost in the last four "
        "quarters. Key accounts earn 50% of total profit."]


def test_managers_table_names_and_formats():
    managers = pd.DataFrame({"key_accounts": [7], "other_accounts": [21], "revenue_prior": [1.0],
                             "revenue": [23_722_019.19], "growth": [0.069623],
                             "incremental_gross_profit": [1_203_773.0], "programme_cost": [1.0],
                             "load": ["within guideline"]},
                            index=pd.Index(["Aisha <O>"], name="manager"))
    shown = kp.managers_table(managers, FMT)
    assert header(shown) == ["Manager", "Key accounts", "Other accounts", "Revenue", "Growth",
                             "Incremental gross profit", "Load"]
    assert rows(shown) == [["Aisha <O>", "7", "21", "$23.7M", "+7.0%", "$1.2M", "within guideline"]]
    assert num_columns(shown) == ["Key accounts", "Other accounts", "Revenue", "Growth", "Incremental gross profit"]
    assert texts(shown, "caption") == ["Revenue and incremental gross profit: the manager's key accounts over the last "
                                       "four quarters; growth: their revenue against the four quarters before"]


def test_periods_and_slice_tables():
    periods = pd.DataFrame({"revenue_q": [20_912_095.72, 9_077_344.31], "qoq_growth": [0.020796, np.nan],
                            "yoy_growth": [0.1183, -0.0703]}, index=pd.Index(["key", "new group"], name="group"))
    shown = kp.periods_table(periods, FMT)
    assert header(shown) == ["Group", "Revenue this quarter", "vs previous quarter", "vs same quarter last year"]
    assert rows(shown) == [["Key accounts", "$20.9M", "+2.1%", "+11.8%"], ["new group", "$9.1M", "–", "-7.0%"]]
    assert num_columns(shown) == ["Revenue this quarter", "vs previous quarter", "vs same quarter last year"]
    slices = pd.DataFrame({"slice": ["APAC", "APAC", "APAC", "EMEA", "EMEA"],
                           "group": ["key", "other", "all", "key", "other"], "accounts": [5, 16, 21, 0, 53],
                           "revenue": [22_899_114.87, 3_223_812.02, 1.0, 0.0, 11_038_240.16],
                           "growth": [0.386087, 0.188186, 0.0, np.nan, 0.146635],
                           "nrr": [1.141944, 1.177163, 1.0, np.nan, 1.102331]})
    # the "all" rows and a group without accounts are left out
    assert shown_slice_rows(slices) == [0, 1, 4]
    table = kp.slice_table(slices, "Region", FMT)
    assert header(table) == ["Region", "Group", "Accounts", "Revenue", "Growth, 4Q vs prior 4Q", "Net retention"]
    assert rows(table) == [["APAC", "Key accounts", "5", "$22.9M", "+38.6%", "114.2%"],
                           ["APAC", "Other accounts", "16", "$3.2M", "+18.8%", "117.7%"],
                           ["EMEA", "Other accounts", "53", "$11.0M", "+14.7%", "110.2%"]]
    assert num_columns(table) == ["Accounts", "Revenue", "Growth, 4Q vs prior 4Q", "Net retention"]


def shown_slice_rows(slices: pd.DataFrame) -> list[int]:
    return list(kp.shown_slices(slices).index)


@pytest.mark.parametrize("name", ["heading", "paragraph", "callout", "kpi_strip", "table", "swot_grid", "bullet_list",
                                  "figure_html", "show", "use_pack_styles"])
def test_the_generic_fragments_are_still_on_kp(name):
    assert callable(getattr(kp, name))
