"""No account's pack names another account outside its own group, or shows a portfolio-wide figure;
every page carries the one classification label (report.classification).

The one exception is by design: a group member's pack shows its group (parent and subsidiaries: the
same customer's corporate family) in "The account's group". Any other account's name or id is a leak.

One real build of the sample company's accounts (papermill, nbconvert, WeasyPrint), then every
account pack's PDF text, HTML and executed notebook outputs are searched for every other
account's name and id. A subsidiary ("Sequoia Telecom Nordic") contains its parent's name
("Sequoia Telecom"), so a pack's own name is blanked out before looking for names it contains,
while names that contain the pack's own name are looked for in the untouched text.

Built and checked by default: every key account of the sample (the fullest pages: a plan, risks, asks,
the account team), all four parent/subsidiary pairs, the accounts with gaps (no stakeholders, no
targets, little history) and a few small ones: about 45 packs, a minute on a 2-core machine.
``KAM_CONFIDENTIALITY_ALL=1`` builds all 150 sample accounts (about 3 minutes; the test suite as a
whole must stay within CI's 30 minutes); ``KAM_CONFIDENTIALITY_SUBSET=1`` only the 30 chosen by hand.
"""
from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

import nbformat
import pytest

from kamreports.cli import main
from kamreports.config import load_settings
from kamreports.data import sample_dataset
from kamreports.model import build_portfolio
from tests.conftest import pdf_pages

ACCOUNTS = sample_dataset().accounts
NAMES: dict[str, str] = dict(zip(ACCOUNTS["account_id"], ACCOUNTS["name"]))
PAIRS = {child: parent for child, parent in zip(ACCOUNTS["account_id"], ACCOUNTS["parent_id"])
         if isinstance(parent, str)}
# Worked out here, not by the package: each account's group is itself, its parent and its parent's children.
FAMILY = {a: {a} for a in NAMES}
for _child, _parent in PAIRS.items():
    family = FAMILY[_child] | FAMILY[_parent]
    for member in family:
        FAMILY[member] = family

SUBSET = sorted({*PAIRS, *PAIRS.values(),
                 "ACC-0002", "ACC-0003", "ACC-0005", "ACC-0006", "ACC-0007", "ACC-0008",   # key accounts
                 "ACC-0009", "ACC-0019", "ACC-0037",                                       # no targets
                 "ACC-0015", "ACC-0018", "ACC-0020", "ACC-0022",                           # no stakeholders
                 "ACC-0064", "ACC-0068", "ACC-0096",                                       # little history
                 "ACC-0050", "ACC-0100", "ACC-0117", "ACC-0121", "ACC-0146", "ACC-0133"})  # Acme x3, small ones
KEY_ACCOUNTS = sorted(build_portfolio(sample_dataset(), load_settings(None)).key_accounts.index)
if os.environ.get("KAM_CONFIDENTIALITY_ALL"):
    BUILT = sorted(NAMES)
elif os.environ.get("KAM_CONFIDENTIALITY_SUBSET"):
    BUILT = SUBSET
else:
    BUILT = sorted({*SUBSET, *KEY_ACCOUNTS})

# Sections and phrases that only the portfolio review may show.
PORTFOLIO_ONLY = ("Key accounts against the rest", "Revenue concentration", "Portfolio review", "KAM portfolio matrix",
                  "Programme ROI", "Account profitability", "KAM coverage and load", "ABC classes", "Top 20% share")
ACCOUNT_ID = re.compile(r"ACC-\d{4}")


def notebook_output_text(path: Path) -> str:
    """Every output's text/plain, text/html and stream text; no cell source (the injected
    parameters cell names the account id, which is not shown to anyone)."""
    nb = nbformat.read(path, as_version=4)
    parts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if "text" in out:
                parts.append(out["text"])
            for mime in ("text/plain", "text/html", "text/markdown"):
                if mime in out.get("data", {}):
                    parts.append(out["data"][mime])
    return "\n".join(parts)


def visible(text: str) -> str:
    return " ".join(html.unescape(text).split())


def names_of_others_in(text: str, account: str, allowed: set[str] = frozenset()) -> list[str]:
    own = NAMES[account]
    blanked = text.replace(own, "\x00")
    found = []
    for other, name in NAMES.items():
        if other == account or other in allowed:
            continue
        # a name containing ours (our subsidiary) is looked for as it is; others with ours blanked,
        # so our name "Sequoia Telecom Nordic" does not count as our parent "Sequoia Telecom"
        haystack = text if own in name else blanked
        if name in haystack:
            found.append(f"{other} {name}")
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("confidential")
    code = main(["build", "--accounts", ",".join(BUILT), "--output", str(out), "--no-book", "--workers", "2",
                 "--quiet"])
    assert code == 0
    folder = next(p for p in out.iterdir() if p.is_dir() and re.fullmatch(r"\d{4}Q[1-4]", p.name))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return folder, {p["key"]: p for p in manifest["packs"]}


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    """A small build with the book: a parent and its subsidiary."""
    out = tmp_path_factory.mktemp("book")
    child, parent = next(iter(PAIRS.items()))
    assert main(["build", "--accounts", f"{parent},{child}", "--output", str(out), "--workers", "2", "--quiet"]) == 0
    return next(out.glob("*/qbr_pack_*.pdf"))


def test_the_subset_covers_every_parent_and_subsidiary():
    assert len(PAIRS) == 4
    assert all(c in BUILT and p in BUILT for c, p in PAIRS.items())
    assert any(NAMES[p] in NAMES[c] for c, p in PAIRS.items())  # the case the search must handle


def test_a_group_is_a_parent_and_its_subsidiaries_only():
    for child, parent in PAIRS.items():
        assert FAMILY[child] == FAMILY[parent] == {child, parent} | {c for c, p in PAIRS.items() if p == parent}


def test_the_search_tells_parent_from_subsidiary():
    child, parent = next((c, p) for c, p in PAIRS.items() if NAMES[p] in NAMES[c])
    assert names_of_others_in(f"{NAMES[child]} grew", child) == []
    assert names_of_others_in(f"{NAMES[parent]} grew", parent) == []
    assert names_of_others_in(f"{NAMES[child]} and {NAMES[parent]} grew", child) == [f"{parent} {NAMES[parent]}"]
    assert names_of_others_in(f"{NAMES[parent]}, like {NAMES[child]}", parent) == [f"{child} {NAMES[child]}"]


@pytest.mark.slow
@pytest.mark.parametrize("account", BUILT)
def test_an_account_pack_names_no_other_account_and_no_portfolio_figure(built, account):
    folder, packs = built
    pack = packs[account]
    assert pack["status"] == "built", pack.get("error")
    base = folder / pack["folder"]
    pages = pdf_pages(base / "account_plan.pdf")
    sources = {"pdf": " ".join(pages),
               "html": visible((base / "account_plan.html").read_text(encoding="utf-8")),
               "ipynb": visible(notebook_output_text(base / "account_plan.ipynb"))}
    for kind, text in sources.items():
        assert NAMES[account] in text, (kind, "own name missing: the search would prove nothing")
        others = names_of_others_in(text, account, FAMILY[account])
        assert not others, f"{account} {kind} names accounts outside its group: {others}"
        if len(FAMILY[account]) > 1 and kind == "pdf":
            assert "The account's group" in text and all(NAMES[m] in text for m in FAMILY[account]), account
        ids = set(ACCOUNT_ID.findall(text)) - {account}
        assert not ids, f"{account} {kind} shows other account ids: {sorted(ids)}"
        for phrase in PORTFOLIO_ONLY:
            assert phrase not in text, f"{account} {kind} shows the portfolio's {phrase!r}"
    for number, page in enumerate(pages, start=1):
        assert f"{NAMES[account]} · {folder.name} · Confidential" in page, (account, number)


@pytest.mark.slow
def test_the_portfolio_pack_carries_the_one_classification_on_every_page(built):
    folder, packs = built
    pages = pdf_pages(folder / packs["portfolio"]["folder"] / "portfolio_review.pdf")
    quarter = folder.name
    assert pages
    for number, page in enumerate(pages, start=1):
        assert f"Portfolio review · {quarter} · Confidential" in page, number
    html_text = (folder / packs["portfolio"]["folder"] / "portfolio_review.html").read_text(encoding="utf-8")
    assert f"Portfolio review · {quarter} · Confidential" in html_text


@pytest.mark.slow
def test_the_book_carries_the_same_classification_on_every_page(book):
    pages = pdf_pages(book)
    quarter = book.parent.name
    assert len(pages) > 5
    for number, page in enumerate(pages, start=1):
        assert f"· {quarter} · Confidential" in page, number
        assert "Internal" not in page, number   # one label per page, the same as in each pack


# --- page one: the one-pager stays on one page for every account built above (issue 15) -------------

ONEPAGER = re.compile(r"<!--kamreports:onepager-->(.*?)<!--/kamreports:onepager-->", re.DOTALL)
WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    return [w.casefold() for w in WORD.findall(html.unescape(text))]   # CSS upper-cases some labels


@pytest.mark.slow
@pytest.mark.parametrize("account", BUILT)
def test_the_one_pager_fits_on_page_one(built, account):
    """Every word of page one's HTML (between its markers) is on the PDF's first page, none of its
    last words only on the second: counted as a multiset, since the two columns interleave in the
    extracted text."""
    from collections import Counter

    folder, packs = built
    base = folder / packs[account]["folder"]
    match = ONEPAGER.search((base / "account_plan.html").read_text(encoding="utf-8"))
    assert match, f"{account}: no one-pager in the HTML"
    expected = Counter(words(re.sub(r"<[^>]+>", " ", re.sub(r"<img[^>]*>", " ", match.group(1)))))
    assert sum(expected.values()) > 60, account   # a real page, or the check would prove little
    pages = pdf_pages(base / "account_plan.pdf")
    first = Counter(words(pages[0]))
    missing = expected - first
    assert not missing, f"{account}: page one lacks {sorted(missing.elements())[:20]}"
