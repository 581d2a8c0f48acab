"""No developer text and no artefacts on any page of any pack (issue 15, item 4).

One build of the sample company (every key account, the portfolio review and the book) is made once
for the module; the text of every PDF page and of every HTML pack is extracted and searched for what a
reader must never see: file paths and settings files, code identifiers (snake_case names), ``nan``,
``inf`` or ``None`` printed as a value, a number printed as ``-0`` or ``-0%``, and a count that
disagrees with its noun ("1 accounts").

Why a whole build: these slips come from every layer (a format, a sentence rule, a notebook cell, a
chart's caption, the book's contents), and only the pages show them together.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.slow

# Nouns the packs count; "1 <noun>s" (with up to two words between, "1 loss-making accounts") is wrong.
COUNTED = ("accounts", "managers", "deals", "items", "quarters", "products", "contacts", "responses", "risks",
           "goals", "actions", "months", "days", "years", "weeks", "opportunities", "stakeholders", "candidates",
           "scenarios", "points", "plans", "criteria", "regions", "industries", "decisions", "asks", "meetings",
           "competitors", "flags", "subsidiaries", "members", "people", "packs", "pages", "rows", "changes")

#: name -> pattern; each is applied to one page's text, whitespace collapsed, e-mail addresses and URLs removed.
ARTEFACTS: dict[str, re.Pattern[str]] = {
    # a code identifier: lower-case words joined by underscores, not part of a longer token
    "snake_case name": re.compile(r"(?<![\w@./\\-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@])"),
    "settings path": re.compile(r"params/"),
    "YAML file": re.compile(r"\.ya?ml\b"),
    "Python file": re.compile(r"\.py\b"),
    "nan": re.compile(r"\b(?:nan|NaN|NAN)\b"),
    "inf": re.compile(r"(?<![\w-])-?inf\b"),
    # "None" as a value; "None of the ...", "None is ...", "None flagged." are English
    "None": re.compile(r"\bNone\b(?!\s+(?:of|is|are|was|were|has|have|had|yet|flagged|recorded|found|listed|known|"
                       r"due|open|planned|set|given|noted|reported)\b)"),
    # -0, -0%, -0.0%, also with a true minus; not -0.5, not a date (2026-09) or an id (ACC-0002)
    "negative zero": re.compile(r"(?:^|(?<=[^0-9.,]))[-−]0(?:[.,]0+)?(?:%|\b)(?![.,]\d)"),
    "1 with a plural": re.compile(r"(?<![\d.,])\b1 (?:[A-Za-z]+(?:-[a-z]+)* ){0,2}?(?:" + "|".join(COUNTED) + r")\b"),
}
_NOT_TEXT = re.compile(r"\S+@\S+\.\w+|https?://\S+|file://\S+")


@dataclass(frozen=True)
class Hit:
    where: str         # file and page
    artefact: str
    found: str
    context: str

    def __str__(self) -> str:
        return f"{self.where}: {self.artefact} {self.found!r} in …{self.context}…"


def artefacts(text: str, where: str) -> list[Hit]:
    """Every artefact in one page's text."""
    text = _NOT_TEXT.sub(" ", " ".join(text.split()))
    hits = []
    for name, pattern in ARTEFACTS.items():
        for m in pattern.finditer(text):
            hits.append(Hit(where, name, m.group(0), text[max(0, m.start() - 60):m.end() + 60]))
    return hits


class _Visible(HTMLParser):
    """The text a browser shows: no style, script or head (the title shows in the tab: kept)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._hidden += 1
        if tag in ("p", "div", "li", "td", "th", "tr", "br", "h1", "h2", "h3", "h4", "caption", "title"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("style", "script") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def html_text(path: Path) -> str:
    parser = _Visible()
    parser.feed(path.read_text(encoding="utf-8"))
    return " ".join("".join(parser.parts).split())


def pages(build: Path) -> Iterator[tuple[str, str]]:
    """(where, text) of every PDF page and every HTML file of the build."""
    for pdf in sorted(build.rglob("*.pdf")):
        for number, page in enumerate(PdfReader(pdf).pages, start=1):
            yield f"{pdf.relative_to(build)} page {number}", page.extract_text() or ""
    for html in sorted(build.rglob("*.html")):
        yield str(html.relative_to(build)), html_text(html)


@pytest.fixture(scope="module")
def full_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample company's quarter: every key account's plan, the portfolio review and the book."""
    from kamreports.cli import main

    out = tmp_path_factory.mktemp("artefacts")
    assert main(["build", "--output", str(out), "--workers", "2", "--quiet"]) == 0
    return out / "2026Q3"


# --- the patterns themselves, on text worked by hand ------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("see params/default.yaml for account_id", ["settings path", "YAML file", "snake_case name"]),
    ("built by kamreports/present/roi.py", ["Python file"]),
    ("Growth nan and inf, owner None", ["nan", "inf", "None"]),
    ("down -0% on last year, NPS -0, -0.0%", ["negative zero"] * 3),
    ("1 accounts; 1 loss-making accounts; 1 managers", ["1 with a plural"] * 3),
])
def test_each_artefact_is_found(text, expected):
    assert sorted(h.artefact for h in artefacts(text, "here")) == sorted(expected)


@pytest.mark.parametrize("text", [
    "None of the 150 accounts loses money. None is overdue. Relationship risks: None flagged.",
    "kam_team@example.com, https://example.com/a_b and file://x/y_z",
    "-0.5% on 2026-09-30 for ACC-0002; +0% and 0%; 10-0 is a score",
    "1 account, 1 of 150 accounts, 21 accounts, 0.1 accounts, 1 key account and 4 other managers",
    "Tier 1 Strategic; page 1 of 16; win rate by count and value",
])
def test_ordinary_text_is_not_an_artefact(text):
    assert artefacts(text, "here") == []


# --- every page of the sample build -------------------------------------------------------------------

def test_no_page_of_the_sample_build_shows_an_artefact(full_build: Path):
    seen = list(pages(full_build))
    pdfs = {where.split(" page ")[0] for where, _ in seen if " page " in where}
    # the book, the portfolio review and one plan per key account (20 for the sample)
    assert any(name.startswith("qbr_pack_") for name in pdfs)
    assert sum("account_plan.pdf" in name for name in pdfs) >= 20
    hits = [hit for where, text in seen for hit in artefacts(text, where)]
    assert not hits, f"{len(hits)} artefacts on the pages:\n" + "\n".join(map(str, hits))
