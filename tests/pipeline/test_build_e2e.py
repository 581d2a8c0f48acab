"""End to end: `kamreports build` on the sample company, real papermill, nbconvert and PDFs."""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from pypdf import PdfReader

from kamreports.cli import main
from kamreports.data import load_folder, sample_dataset
from tests.conftest import SAMPLE_ACCOUNTS, pdf_pages

ACCOUNTS = SAMPLE_ACCOUNTS  # largest key account; a subsidiary; another key account
CODE_MARKERS = ("import ", "open_portfolio", "kp.show", "Traceback", "In [", "Out[", "def ", "portfolio.account(")
MEMORY_ADDRESS = re.compile(r"at 0x[0-9a-fA-F]{6,}")


@pytest.fixture(scope="module")
def built(sample_build) -> Path:
    """The session's shared build of the three accounts (tests/conftest.py): read only."""
    return sample_build


@pytest.fixture(scope="module")
def names() -> dict[str, str]:
    accounts = sample_dataset().accounts.set_index("account_id")["name"]
    return {a: accounts[a] for a in ACCOUNTS}


@pytest.fixture(scope="module")
def manifest(built) -> dict:
    return json.loads((built / "manifest.json").read_text())


@pytest.mark.slow
def test_quarter_folder_holds_index_manifest_book_and_packs(built, manifest):
    assert (built / "index.html").is_file()
    assert (built / "qbr_pack_2026Q3.pdf").is_file()
    for ext in ("ipynb", "html", "pdf"):
        assert (built / "portfolio" / f"portfolio_review.{ext}").is_file()
    account_packs = [p for p in manifest["packs"] if p["kind"] == "account"]
    assert [p["key"] for p in account_packs] == ACCOUNTS
    for pack in manifest["packs"]:
        assert pack["status"] == "built"
        for rel in pack["files"]:
            assert (built / rel).is_file() and (built / rel).stat().st_size > 0
    assert not list(built.parent.glob(".staging-*")), "staging folder left behind"


@pytest.mark.slow
def test_manifest_records_inputs_settings_and_versions(manifest):
    assert manifest["quarter"] == "2026Q3"
    assert manifest["status"] == "complete"
    assert re.fullmatch(r"[0-9a-f]{64}", manifest["inputs"]["hash"])
    assert manifest["settings"]["selection"]["max_key_accounts"] == 20
    assert manifest["versions"]["papermill"] != "not installed"


@pytest.mark.slow
@pytest.mark.parametrize("account", ACCOUNTS)
def test_account_pdf_has_pages_with_name_header_and_no_code(built, manifest, names, account):
    folder = next(p["folder"] for p in manifest["packs"] if p["key"] == account)
    pages = pdf_pages(built / folder / "account_plan.pdf")
    assert len(pages) >= 3
    name = names[account]
    assert name in pages[0]
    for number, text in enumerate(pages, start=1):
        assert f"{name} · 2026Q3 · Confidential" in text, f"page {number} lacks the running header"
        assert f"Page {number} of {len(pages)}" in text
        for marker in CODE_MARKERS:
            assert marker not in text, f"page {number} shows code: {marker!r}"
        assert not MEMORY_ADDRESS.search(text)


@pytest.mark.slow
@pytest.mark.parametrize("account", ACCOUNTS)
def test_account_pack_names_no_other_selected_account(built, manifest, names, account):
    folder = next(p["folder"] for p in manifest["packs"] if p["key"] == account)
    text = " ".join(pdf_pages(built / folder / "account_plan.pdf"))
    html = (built / folder / "account_plan.html").read_text()
    for other, other_name in names.items():
        # a subsidiary's name contains its parent's, so only check names not inside this one
        if other != account and other_name not in names[account]:
            assert other_name not in text
            assert other_name not in html


@pytest.mark.slow
def test_every_pdf_has_its_running_header_and_counting_page_numbers(built):
    # one classification (report.classification) on every page of every pack and of the book
    headers = {"portfolio_review.pdf": "Portfolio review · 2026Q3 · Confidential",
               "qbr_pack_2026Q3.pdf": " · 2026Q3 · Confidential", "account_plan.pdf": " · 2026Q3 · Confidential"}
    for path in built.rglob("*.pdf"):
        pages = pdf_pages(path)
        for number, text in enumerate(pages, start=1):
            assert f"Page {number} of {len(pages)}" in text, (path.name, number)
            if path.name in headers:
                assert headers[path.name] in text, (path.name, number)
            for marker in CODE_MARKERS:
                assert marker not in text, (path.name, number, marker)


@pytest.mark.slow
def test_html_is_self_contained_and_clean(built):
    for path in built.rglob("*.html"):
        html = path.read_text()
        assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html), path
        scripts = re.findall(r"<script\b[^>]*>", html, re.IGNORECASE)
        assert scripts == ([] if path.name != "index.html" else ["<script>"]), path  # only our own sort script
        for marker in ("Traceback", "In [", "Out[", "DeprecationWarning", "FutureWarning"):
            assert marker not in html, (path, marker)
        assert not MEMORY_ADDRESS.search(html), path


@pytest.mark.slow
def test_executed_notebooks_have_outputs_and_no_errors(built, manifest):
    for pack in manifest["packs"]:
        nb = nbformat.read(built / next(f for f in pack["files"] if f.endswith(".ipynb")), as_version=4)
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        assert outputs, pack["key"]
        assert not [o for o in outputs if o.output_type == "error"], pack["key"]


@pytest.mark.slow
def test_book_has_portfolio_then_accounts_and_an_outline_entry_each(built, names):
    reader = PdfReader(built / "qbr_pack_2026Q3.pdf")
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    for name in names.values():
        assert name in titles
    assert "Portfolio review" in titles
    assert titles.index("Portfolio review") < min(titles.index(n) for n in names.values())
    contents = " ".join((reader.pages[1].extract_text() or "").split())
    assert "Contents" in contents and all(n in contents for n in names.values())


def test_the_contents_rules_are_drawn_as_lines_not_dot_by_dot(built, names):
    """A dotted border is drawn dot by dot by WeasyPrint (a circle of four curves each, about 800 to a
    line): this 4-entry contents page carried ~1 MB of drawing, a 500-account book's contents tens of MB.
    Its rules are solid: a rectangle per entry, and no curves at all."""
    import re

    stream = PdfReader(built / "qbr_pack_2026Q3.pdf").pages[1].get_contents().get_data()
    operators = re.findall(rb"\s([a-zA-Z]{1,2})\n", stream)
    assert operators.count(b"c") == 0                 # no circles
    assert len(stream) < 40_000                       # text and a few lines (dotted: ~1 MB)
    assert operators.count(b"re") >= len(names) + 1   # a border is a filled rectangle: at least one per entry


@pytest.mark.slow
def test_the_book_holds_each_account_page_one_linked_to_its_full_plan(built, manifest, names):
    reader = PdfReader(built / "qbr_pack_2026Q3.pdf")
    packs = {p["key"]: p for p in manifest["packs"]}
    # cover and contents, the whole portfolio review, then one page per account (its page one)
    assert len(reader.pages) == 2 + packs["portfolio"]["pages"] + len(names)
    links = {}
    for number, page in enumerate(reader.pages):
        for ref in page.get("/Annots", []) or []:
            action = ref.get_object().get("/A")
            if action is not None and action.get_object().get("/S") == "/GoToR":
                links[number] = str(action.get_object()["/F"])
    assert len(links) == len(names)
    for number, target in links.items():
        assert (built / target).is_file(), target            # relative to the book: works wherever it is copied
        text = " ".join((reader.pages[number].extract_text() or "").split())
        account = next(a for a, n in names.items() if n in text and target.startswith(packs[a]["folder"]))
        assert "The full account plan of" in text and account


@pytest.mark.slow
def test_index_links_every_pack(built, manifest):
    html = (built / "index.html").read_text()
    for pack in manifest["packs"]:
        for rel in pack["files"]:
            if rel.endswith((".html", ".pdf")):
                assert f'href="{rel}"' in html
    assert 'href="qbr_pack_2026Q3.pdf"' in html


@pytest.mark.slow
def test_portfolio_pdf_reports_measured_top20_share(built):
    text = " ".join(pdf_pages(built / "portfolio" / "portfolio_review.pdf"))
    summary = sample_dataset()
    revenue = summary.revenue[summary.revenue["date"] >= "2025-10-01"].groupby("account_id")["revenue"].sum()
    top = revenue.sort_values(ascending=False)
    k = -(-len(top) // 5)  # ceil(n / 5)
    share = top.iloc[:k].sum() / top.sum()
    assert f"The top 20% of them (the {k} largest by that revenue) brought {share:.0%} of it" in text


def test_bad_data_exits_2_naming_file_row_column_and_builds_nothing(tmp_path, capsys):
    data = tmp_path / "data"
    from kamreports.data import write_folder

    write_folder(sample_dataset(), data)
    lines = (data / "revenue.csv").read_text().splitlines()
    fields = lines[5].split(",")
    fields[1] = "31/02/2026"
    lines[5] = ",".join(fields)
    (data / "revenue.csv").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    code = main(["build", "--data", str(data), "--output", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert "revenue.csv" in err and "row 6" in err and "'date'" in err and "31/02/2026" in err
    assert "Traceback" not in err
    assert not (out / "2026Q3").exists() and not list(out.glob(".staging-*"))
    log = next((out / "logs").glob("build-*.log")).read_text()
    assert "revenue.csv" in log and "31/02/2026" in log  # the unattended run's log says why it stopped


def test_an_unknown_account_in_accounts_exits_2_naming_it_and_builds_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", "--accounts", "ACC-0002,ACC-9999", "--output", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--accounts: value 'ACC-9999': no such account" in err and "Traceback" not in err
    assert not (out / "2026Q3").exists() and not list(out.glob(".staging-*"))


def test_sample_command_writes_loadable_tables(tmp_path):
    assert main(["sample", "--out", str(tmp_path / "s")]) == 0
    loaded = load_folder(tmp_path / "s")
    assert len(loaded.accounts) == 150


@pytest.mark.slow
def test_roi_csv_is_written_with_documented_columns_and_a_programme_roi(built):
    import pandas as pd

    roi = pd.read_csv(built / "roi.csv")
    assert list(roi.columns) == ["quarter", "group", "metric", "value", "unit", "window", "definition"]
    assert {"key", "other", "all", "programme"} <= set(roi["group"])
    programme = roi[(roi["group"] == "programme") & (roi["metric"] == "roi") & (roi["quarter"] == "2026Q3")]
    assert len(programme) == 1 and programme["unit"].iloc[0] == "ratio"
    key_accounts = roi[(roi["group"] == "key") & (roi["metric"] == "accounts") & (roi["quarter"] == "2026Q3")]
    assert key_accounts["value"].iloc[0] == 20  # the sample's default selection (cap 20)


@pytest.mark.slow
def test_accounts_csv_has_one_row_per_account_and_agrees_with_the_data(built):
    import pandas as pd

    table = pd.read_csv(built / "accounts.csv")
    for col in ("account_id", "name", "revenue_q", "revenue_t4q", "target_q", "attainment_q", "yoy_growth",
                "abc_class", "selection_score", "is_key", "quadrant", "relationship_stage", "health_score",
                "health_band"):
        assert col in table.columns, col
    data = sample_dataset()
    assert len(table) == data.accounts["account_id"].nunique() and table["account_id"].is_unique
    assert table["is_key"].sum() == 20
    # independent: revenue in 2026Q3 for ACC-0002 straight from the revenue table
    rev = data.revenue
    q3 = rev[(rev["account_id"] == "ACC-0002") & (rev["date"] >= "2026-07-01") & (rev["date"] <= "2026-09-30")]
    row = table.set_index("account_id").loc["ACC-0002"]
    assert row["revenue_q"] == pytest.approx(q3["revenue"].sum())
    target = data.targets.set_index(["account_id", "quarter"])["target"].loc[("ACC-0002", "2026Q3")]
    assert row["attainment_q"] == pytest.approx(q3["revenue"].sum() / target)
    assert set(table["health_band"].dropna()) <= {"red", "amber", "green"}


def _bookmarks(reader: PdfReader) -> list[tuple[int, str, int]]:
    out: list[tuple[int, str, int]] = []

    def walk(items, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return out


def _book_again(built: Path, out: Path, *extra: str, drop: tuple[str, ...] = ()) -> Path:
    """A copy of the shared build whose book (and the packs of ``drop``) is made again; its book."""
    import shutil

    shutil.copytree(built.parent, out)
    (out / "2026Q3" / "qbr_pack_2026Q3.pdf").unlink()
    for key in drop:   # a pack whose PDF is gone is built again
        pack = next(p for p in json.loads((built / "manifest.json").read_text())["packs"] if p["key"] == key)
        (out / "2026Q3" / pack["folder"] / "account_plan.pdf").unlink()
    assert main(["build", "--accounts", ",".join(ACCOUNTS), "--output", str(out), "--quiet", *extra]) == 0
    again = json.loads((out / "2026Q3" / "manifest.json").read_text())
    rebuilt = {p["key"] for p in again["packs"] if p["reason"] != "unchanged: reused from the previous build"}
    assert rebuilt == set(drop)
    return out / "2026Q3" / "qbr_pack_2026Q3.pdf"


def _contents_targets(reader: PdfReader) -> list[int]:
    """The pages the contents' links go to (a book laid out in chunks: GoTo actions written in)."""
    pages = list(reader.pages)
    targets = []
    for ref in reader.pages[1].get("/Annots", []):
        action = ref.get_object().get("/A")
        if action is not None and action.get_object().get("/S") == "/GoTo":
            target = action.get_object()["/D"][0]
            targets.append(next(i for i, page in enumerate(pages) if page.indirect_reference == target))
    return sorted(set(targets))


@pytest.mark.slow
def test_a_book_laid_out_in_chunks_reads_exactly_like_the_one_document_book(built, manifest, tmp_path, monkeypatch):
    # Three ways to lay out the same book: in one piece (packs reused, so no workers: this process);
    # in chunks of 10 pages one after the other (what a 500-account book does, for memory); and in
    # chunks side by side on the build's workers (what a build with workers does). Everything a
    # reader sees must be the same: every page's text (page numbers, "of N", running headers, the
    # contents' numbers), the bookmarks, and where the contents link.
    from kamreports.pipeline import build as build_module
    from kamreports.pipeline import pack

    assert max(p["pages"] for p in manifest["packs"]) > 10  # so there really is more than one chunk
    whole = _book_again(built, tmp_path / "whole")
    side_by_side: list[object] = []
    in_chunks = pack._write_book_in_chunks

    def spied(*args: object, **kwargs: object) -> None:
        side_by_side.append(getattr(args[3], "__self__", None))   # the layout: a PackPool's, or this process's
        in_chunks(*args, **kwargs)

    monkeypatch.setattr(pack, "_write_book_in_chunks", spied)
    after_packs: list[list[str]] = []   # the anchors of each document laid out once the packs were built
    lay_out = build_module.PackPool.lay_out

    def recorded(self, docs):
        docs = list(docs)
        after_packs.extend(anchors for _html, _path, anchors in docs)
        return lay_out(self, docs)

    monkeypatch.setattr(build_module.PackPool, "lay_out", recorded)
    parallel = _book_again(built, tmp_path / "parallel", "--workers", "2", drop=(ACCOUNTS[0], ACCOUNTS[-1]))
    assert len(side_by_side) == 1 and isinstance(side_by_side[0], build_module.PackPool)
    # the portfolio pack was reused: its part of the book and the front were laid out before the packs
    # were built, by the workers, and not again after
    assert [] not in after_packs and not any("part-0" in anchors for anchors in after_packs)
    monkeypatch.setattr(pack, "BOOK_CHUNK_PAGES", 10)
    chunked = _book_again(built, tmp_path / "chunked")
    assert len(side_by_side) == 2 and side_by_side[1] is None

    one = PdfReader(whole)
    part_pages = [page for depth, title, page in _bookmarks(one) if depth == 0 and title != "Contents"]
    assert len(part_pages) == len(ACCOUNTS) + 1
    for book in (parallel, chunked):
        assert pdf_pages(book) == pdf_pages(whole)
        merged = PdfReader(book)
        assert _bookmarks(merged) == _bookmarks(one)
        assert _contents_targets(merged) == part_pages


@pytest.mark.slow
def test_the_pieces_laid_out_early_are_used_only_where_their_numbers_and_names_are_the_books(built, manifest,
                                                                                            tmp_path):
    # While the packs run, the workers lay out the book's portfolio part and its front (cover and
    # contents) as soon as the portfolio pack is built, and then, whenever a worker has no pack left to
    # run, the account summaries one by one: each with the numbers a book of every planned part would
    # give it. The book takes a piece only when its own numbers and part are those; with other numbers,
    # another name, or when the worker failed it, it lays it out again. Either way the book reads as
    # the one laid out in one piece.
    import dataclasses
    import shutil
    from concurrent.futures import Future

    from kamreports import open_portfolio
    from kamreports.pipeline import pack
    from kamreports.pipeline.build import plan_jobs
    from kamreports.pipeline.jobs import NOTEBOOKS_DIR, JobResult
    from kamreports.pipeline.render import Renderer

    staging = tmp_path / "staging"
    shutil.copytree(built, staging)
    portfolio = open_portfolio()
    jobs = plan_jobs(portfolio, ACCOUNTS, None, None, NOTEBOOKS_DIR)
    keys = [job.key for job in jobs]
    pages = {p["key"]: p["pages"] for p in manifest["packs"]}
    results = {job.key: JobResult(job.key, "built", pages=pages[job.key]) for job in jobs}
    whole = pack.write_book(staging, portfolio, jobs, results, "").rename(tmp_path / "whole.pdf")
    parts_of_whole = [p for d, t, p in _bookmarks(PdfReader(whole)) if d == 0 and t != "Contents"]
    renderer = Renderer()
    anchors_laid_out: list[list[str]] = []

    def layout(docs):
        docs = list(docs)
        anchors_laid_out.extend(anchors for _html, _path, anchors in docs)
        return [renderer.lay_out(*doc) for doc in docs]

    def finished(value=None, error=None) -> Future:
        future: Future = Future()
        future.set_exception(error) if error else future.set_result(value)
        return future

    def early_book(portfolio_pages: int = pages["portfolio"], built: list[str] = keys) -> pack.EarlyBook:
        early = pack.EarlyBook.start(staging, portfolio, jobs, {"portfolio": portfolio_pages}, "",
                                     lambda doc: finished(renderer.lay_out(*doc)))
        assert early is not None
        while early.next_part(set(built)) is not None:   # as a worker with no pack left would, part by part
            pass
        return early

    def failed(piece):
        return dataclasses.replace(piece, result=finished(error=OSError("worker gone")))

    def every_part(early):
        assert sorted(early.parts) == list(range(len(jobs))) and early.front_piece is not None
        assert all(piece.file.is_file() for piece in [*early.parts.values(), early.front_piece])
        return early

    def some_failed(early):
        early.parts[0], early.parts[2] = failed(early.parts[0]), failed(early.parts[2])
        return early

    def front_failed(early):
        early.front_piece = failed(early.front_piece)
        return early

    def front_other(early):   # laid out with the contents' numbers shifted
        signature = early.front_piece.signature
        early.front_piece = dataclasses.replace(early.front_piece, signature=(*signature[:-2], (), signature[-1]))
        return early

    one_account = keys[2]
    # (the case, the early book, the parts (by index) and whether the front the book lays out again)
    cases = (("all used", lambda: every_part(early_book()), [], False),
             ("other numbers", lambda: early_book(pages["portfolio"] + 1), [0, 1, 2, 3], True),
             ("some failed", lambda: some_failed(early_book()), [0, 2], False),
             ("front failed", lambda: front_failed(early_book()), [], True),
             ("front with other numbers", lambda: front_other(early_book()), [], True),
             ("one account not built yet", lambda: early_book(built=[k for k in keys if k != one_account]),
              [2], False))
    for case, make, relaid, front_relaid in cases:
        early = make()
        anchors_laid_out.clear()
        book = pack.write_book(staging, portfolio, jobs, results, "", parallel=(layout, 2), early=early)
        assert sorted(int(a.split("-")[1]) for anchors in anchors_laid_out for a in anchors) == relaid, case
        assert ([] in anchors_laid_out) is front_relaid, case   # the front is the document without anchors
        assert pdf_pages(book) == pdf_pages(whole), case
        assert _contents_targets(PdfReader(book)) == parts_of_whole, case
        assert not (staging / "qbr_pack_2026Q3.pdf.parts").exists(), case   # nothing left beside the book

    # a part named otherwise in the book than when it was laid out (its pack failed this time and the
    # previous one is shown, marked stale): that part and the contents are laid out again, the rest used
    early = early_book()
    stale_jobs = [dataclasses.replace(j, name=f"{j.name} (stale)") if j.key == one_account else j for j in jobs]
    anchors_laid_out.clear()
    book = pack.write_book(staging, portfolio, stale_jobs, results, "", parallel=(layout, 2), early=early)
    assert [anchors for anchors in anchors_laid_out] in ([[], ["part-2"]], [["part-2"], []])
    assert any("(stale)" in page for page in pdf_pages(book))
