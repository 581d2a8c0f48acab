"""Untrusted text stays text: names, titles, product names and plan text holding markup, markdown,
math, quotes, newlines, very long strings, CJK, right-to-left script and emoji; account ids built
to break out of the notebook parameters; ids that would make unsafe or colliding folder names.

One real build (two workers, with the book) of the sample company with those values written in.
"""
from __future__ import annotations

import ast
import html
import json
import re
import shutil
import subprocess
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
import yaml
from pypdf import PdfReader

from kamreports.cli import main
from kamreports.data import sample_dataset, write_folder
from kamreports.pipeline.build import slugify

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
MARKDOWN = "**bold** [link](http://evil)"
MATH = "$x^2$"
QUOTES = "O'Brien \"Quoted\""
CJK = "株式会社テスト"
RTL = "شركة الاختبار"
EMOJI = "🚀"
LONG = ("Longtext " * 60)[:499] + "Z"            # 500 characters
LATIN = (SCRIPT, IMG, MARKDOWN, MATH, QUOTES)

NAME = f"Evil {SCRIPT} {IMG} {MARKDOWN} {MATH} {QUOTES}\nLine two {CJK} {RTL} {EMOJI}"
PERSON = f"Person {SCRIPT} {MATH} {QUOTES}"
PRODUCT = f"Product {IMG} {MARKDOWN} {CJK}"
NASTY = "ACC-0002"                                # the largest key account: in the portfolio and the book too
SAME_NAME = "Same Name Ltd"


@pytest.fixture(scope="module")
def case(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("untrusted")
    marker1, marker2 = root / "pwned1", root / "pwned2"
    inject1 = f'"); import os; os.system("touch {marker1}"); ("'
    inject2 = f'\\"""; __import__("os").system("touch {marker2}") #\'\'\''
    renamed = {"ACC-0005": inject1, "ACC-0007": inject2, "ACC-0003": "A/1", "ACC-0006": "a-1"}

    data = sample_dataset()
    for name in data.present:
        frame = data.table(name)
        for col in ("account_id", "parent_id"):
            if col in frame.columns:
                frame[col] = frame[col].replace(renamed)
    accounts = data.accounts
    accounts.loc[accounts["account_id"] == NASTY, "name"] = NAME
    accounts.loc[accounts["account_id"].isin(["A/1", "a-1"]), "name"] = SAME_NAME
    people = data.stakeholders
    rows = people.index[people["account_id"] == NASTY]
    people.loc[rows[0], "name"] = PERSON
    people.loc[rows[0], "title"] = LONG
    people.loc[rows[1], "title"] = f"Head of {CJK} {RTL} {EMOJI}"
    products = data.products
    products.loc[products["product_id"] == "P03", "name"] = PRODUCT     # the one product NASTY does not buy
    folder = write_folder(data, root / "data")

    plans = root / "plans"
    plans.mkdir()
    plan = {"account_id": NASTY,
            "swot": {"strengths": [SCRIPT, IMG, MARKDOWN, MATH, QUOTES, f"{CJK} {RTL} {EMOJI}", LONG],
                     "threats": [f"Two\nlines {SCRIPT}"]},
            "goals": [{"horizon": "short", "goal": f"Goal {IMG} {MARKDOWN}", "owner": QUOTES, "due": "2026-12-31"}],
            "actions": [{"action": f"Action {SCRIPT} {MATH}", "owner": f"{CJK} {EMOJI}", "due": "2027-01-31",
                         "status": "open"}]}
    (plans / f"{NASTY}.yaml").write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    config = root / "settings.yaml"
    config.write_text("accounts_dir: plans\n", encoding="utf-8")

    out = root / "out"
    ids = [NASTY, inject1, inject2, "A/1", "a-1"]
    code = main(["build", "--data", str(folder), "--config", str(config), "--accounts", ",".join(ids),
                 "--output", str(out), "--workers", "2", "--quiet"])
    quarter = next(p for p in out.iterdir() if re.fullmatch(r"\d{4}Q[1-4]", p.name))
    manifest = json.loads((quarter / "manifest.json").read_text(encoding="utf-8"))
    return {"code": code, "out": out, "quarter": quarter, "packs": {p["key"]: p for p in manifest["packs"]},
            "markers": (marker1, marker2), "injected": (inject1, inject2), "ids": ids}


def pack_file(case: dict, key: str, ext: str) -> Path:
    pack = case["packs"][key]
    stem = "portfolio_review" if key == "portfolio" else "account_plan"
    return case["quarter"] / pack["folder"] / f"{stem}.{ext}"


def page_text(page) -> str:
    # pypdf decodes WeasyPrint's one-byte fonts as two-byte codes once a page also uses an
    # Identity-H (DejaVu) font, which this text needs: every character then comes with a NUL.
    return (page.extract_text() or "").replace("\x00", "")


def pdf_text(path: Path) -> str:
    return " ".join(" ".join(page_text(p) for p in PdfReader(path).pages).split())


def poppler_text(path: Path) -> str:
    """pdftotext (poppler) where installed: it decodes non-Latin text that pypdf garbles."""
    if shutil.which("pdftotext") is None:
        return pdf_text(path)
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return " ".join(done.stdout.decode("utf-8").split())


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.slow
def test_every_pack_was_built(case):
    assert case["code"] == 0
    assert all(p["status"] == "built" for p in case["packs"].values()), case["packs"]


class Tags(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


@pytest.mark.slow
def test_no_html_anywhere_holds_a_script_or_event_handler(case):
    pages = list(case["quarter"].rglob("*.html"))
    assert len(pages) >= 7
    for path in pages:
        text = path.read_text(encoding="utf-8")
        parser = Tags()
        parser.feed(text)
        tags = parser.tags
        scripts = [t for t, _ in tags if t == "script"]
        assert len(scripts) == (1 if path.name == "index.html" else 0), path    # index: its own sort script
        for tag, attrs in tags:
            assert not [a for a in attrs if a.startswith("on")], (path, tag, attrs)   # onerror=, onclick=
            assert tag not in ("iframe", "object", "embed"), path
            if tag == "img":
                assert str(attrs.get("src", "")).startswith("data:"), (path, attrs)
            if tag == "a":
                assert "//evil" not in str(attrs.get("href", "")), (path, attrs)
        assert "<strong>bold</strong>" not in text and "<b>bold</b>" not in text, path


@pytest.mark.slow
def test_the_account_html_shows_every_string_escaped_as_the_same_characters(case):
    text = pack_file(case, NASTY, "html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    shown = html.unescape(text)
    for value in (*LATIN, CJK, RTL, EMOJI, LONG, PERSON, "Product "):
        assert value in shown, value
    assert "Line two" in shown and f"Two\nlines {SCRIPT}" in shown  # the newline kept as text


@pytest.mark.slow
def test_the_portfolio_index_and_book_show_the_name_as_text(case):
    for path in (pack_file(case, "portfolio", "html"), case["quarter"] / "index.html"):
        text = path.read_text(encoding="utf-8")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, path
        assert flat(NAME) in flat(html.unescape(text)), path
    book = next(case["quarter"].glob("qbr_pack_*.pdf"))
    titles = [item.title for item in PdfReader(book).outline if not isinstance(item, list)]
    assert any(SCRIPT in t and IMG in t for t in titles), titles
    assert SCRIPT in pdf_text(book)


@pytest.mark.slow
def test_the_account_pdf_shows_the_literal_characters(case):
    pages = PdfReader(pack_file(case, NASTY, "pdf")).pages
    assert len(pages) >= 3
    text = pdf_text(pack_file(case, NASTY, "pdf"))
    for value in LATIN:
        assert value in text, value
    assert flat(LONG) in text
    for page in pages[1:]:  # the running header carries the name on every page
        assert SCRIPT in page_text(page)


def _font_for(sample: str) -> bool:
    code = f"{ord(sample[0]):x}"
    found = subprocess.run(["fc-list", f":charset={code}", "family"], capture_output=True, text=True, check=False)
    return bool(found.stdout.strip())


@pytest.mark.slow
@pytest.mark.parametrize("script,value,package", [
    ("CJK", CJK, "fonts-noto-cjk"),
    ("Arabic", RTL, "fonts-noto-core (or fonts-dejavu-core, which has Arabic)"),
    ("emoji", EMOJI, "fonts-noto-color-emoji"),
])
def test_the_account_pdf_shows_non_latin_scripts_when_a_font_has_them(case, script, value, package):
    if not _font_for(value):
        pytest.skip(f"no installed font has {script} glyphs; install the Debian package {package}")
    text = unicodedata.normalize("NFKC", poppler_text(pack_file(case, NASTY, "pdf")))
    # Arabic is shaped (الا becomes the lam-alef ligature), and text extraction gives that
    # ligature's letters back in another order: look for the parts around it.
    parts = {"CJK": [CJK], "Arabic": ["شركة", "ختبار"], "emoji": [EMOJI]}[script]
    assert all(p in text for p in parts), (script, text[:500])


@pytest.mark.slow
def test_ids_in_notebook_parameters_are_values_never_code(case):
    assert not any(m.exists() for m in case["markers"]), "an account id was executed as code"
    for account_id in case["injected"]:
        nb = nbformat.read(pack_file(case, account_id, "ipynb"), as_version=4)
        cell = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
        tree = ast.parse(cell.source)
        assert all(isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) for node in tree.body)
        values = {node.targets[0].id: node.value.value for node in tree.body}  # type: ignore[attr-defined]
        assert values["account_id"] == account_id


@pytest.mark.slow
def test_pack_folders_are_safe_and_unique_even_for_colliding_ids(case):
    folders = [case["packs"][k]["folder"] for k in case["ids"]]
    assert len(set(folders)) == len(folders)
    assert len({f.lower() for f in folders}) == len(folders)
    for folder in folders:
        # (a trailing dash after truncation to 60 characters is harmless; see the report)
        assert re.fullmatch(r"accounts/[a-z0-9]+(-[a-z0-9]+)*-?", folder), folder
        resolved = (case["quarter"] / folder).resolve()
        assert resolved.parent == (case["quarter"] / "accounts").resolve()
    assert case["packs"]["A/1"]["folder"] != case["packs"]["a-1"]["folder"]
    assert not (case["out"] / "A").exists()


# --- slugify on its own ------------------------------------------------------------------------

RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
NASTY_IDS = ["..", "../../etc/passwd", "/abs/path", "C:\\Windows", "A/1", "a-1", "a_1", "A.1", "A 1", "", "   ",
             ".hidden", "x" * 300, CJK, RTL, EMOJI, "ACC-0001\x00", "acc-0001", "ACC-0001", "-", "--a--"]


def test_slugify_gives_plain_unique_folder_names():
    used: set[str] = {"portfolio"}
    slugs = [slugify(f"{i}-{name}", used) for i in NASTY_IDS for name in ("Acme", SAME_NAME)]
    assert len(set(slugs)) == len(slugs)
    assert len({s.lower() for s in slugs}) == len(slugs)
    for slug in slugs:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug), slug
        assert ".." not in slug and "/" not in slug and "\\" not in slug and len(slug) <= 70
        assert slug.split(".")[0] not in RESERVED
    for text in NASTY_IDS:
        slug = slugify(text, set())
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug), (text, slug)


@pytest.mark.parametrize("text", ["CON", "nul", "Com1", "con-株式会社テスト", "LPT9-🚀"])
def test_slugify_never_returns_a_reserved_device_name(text):
    assert slugify(text, set()) not in RESERVED


def test_a_stakeholder_name_that_is_broken_mathtext_does_not_fail_the_chart():
    import io

    import pandas as pd

    from kamreports.charts.account import stakeholder_grid

    people = pd.DataFrame({"name": ["Dr $\\frac$ Broken", MATH], "sentiment": [1, -1], "influence": [3, 4]})
    fig = stakeholder_grid(people)
    fig.savefig(io.BytesIO(), format="png")
    shown = {t.get_text() for t in fig.axes[0].texts}
    assert {"Dr $\\frac$ Broken", MATH} <= shown
    assert not any(t._parse_math for t in fig.axes[0].texts)  # drawn as the characters, not as math


def test_stakeholders_in_the_same_cell_get_labels_a_line_apart():
    # Seen on a printed pack: two people both "Supportive, influence 1" printed their names over
    # each other. Within a cell, points (and their labels) are spread a label's height apart.
    import pandas as pd

    from kamreports.charts.account import stakeholder_grid

    people = pd.DataFrame({"name": [f"Person {i}" for i in range(12)],
                           "sentiment": [1, 2, 1, -1, 1, 0, 2, -2, -1, 0, 1, 1],
                           "influence": [1, 4, 1, 4, 3, 3, 2, 4, 4, 5, 1, 1]})
    fig = stakeholder_grid(people)
    placed = {t.get_text(): t.xy for t in fig.axes[0].texts}
    for (sentiment, influence), group in people.groupby(["sentiment", "influence"]):
        ys = sorted(placed[name][1] for name in group["name"])
        assert all(placed[name][0] == sentiment for name in group["name"])
        assert all(abs(y - influence) <= 0.45 for y in ys)             # still reads as its row
        if len(ys) > 1:
            assert min(b - a for a, b in zip(ys, ys[1:])) >= 0.22 - 1e-9   # four in cell (1, 1): 0.225 apart
