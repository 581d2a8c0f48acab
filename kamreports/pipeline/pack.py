"""Assemble the quarter's folder: the combined book, ``index.html`` and ``manifest.json``."""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import itertools
import json
import math
import re
import shutil
from collections.abc import Callable, Container, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import pandas as pd

from ..analytics.contract import accounts_csv_columns
from ..config import Settings, settings_dict
from ..files import write_atomic
from ..formatting import display_name
from ..model import Portfolio
from ..periods import quarter_end
from ..protocol import ONEPAGER_END, ONEPAGER_START
from ..urls import mask_url
from .covers import COVER_CSS, cover_html
from .jobs import BODY_MARKER, Job, JobResult

if TYPE_CHECKING:
    import pandas as pd



def book_name(quarter: str) -> str:
    return f"qbr_pack_{quarter}.pdf"


def _cover(portfolio: Portfolio, parts: list[tuple[str, str]], logo: str, pages: list[int] | None = None) -> str:
    """Cover and contents. Without ``pages`` the contents' page numbers are CSS target-counters
    (one document); with them they are written in, and each entry links to ``kamreports-part:N``,
    which :func:`_merge_chunks` turns into a link to that page (a book rendered in chunks)."""
    company = portfolio.settings.company
    as_of = quarter_end(portfolio.quarter).isoformat()
    if pages is None:
        contents = "".join(f'<li><a href="#{anchor}">{escape(title)}</a></li>' for anchor, title in parts)
        toc_class = "toc"
    else:
        contents = "".join(f'<li><a href="{PART_LINK}{i}">{escape(title)}<span class="toc-page">{page}</span></a></li>'
                           for i, ((_anchor, title), page) in enumerate(zip(parts, pages)))
        toc_class = "toc toc-fixed"
    return (
        cover_html(company.name, logo, "Quarterly business review", "Key-account portfolio and account plans",
                   portfolio.quarter, f"Data as of {as_of} · accounts in order of revenue, largest first",
                   portfolio.settings.report.classification, part_label=company.name)
        + '<section class="book-contents"><h2 class="contents-title">Contents</h2>'
        f'<ol class="{toc_class}">{contents}</ol></section>'
    )


#: The contents' rules are a light solid line, not dotted: WeasyPrint draws a dotted border dot by dot,
#: each a circle of four curves (about 800 to a line; dashed: a rectangle per dash). A 2-page front of 9
#: entries: dotted 0.53 CPU-s and 400 KB, dashed 0.10 CPU-s and 23 KB, solid 0.09 CPU-s and 14 KB.
BOOK_CSS = """
.book-contents { break-before: page; }
h2.contents-title { break-before: avoid; }
ol.toc { list-style: none; padding: 0; }
ol.toc li { padding: 1.6mm 0; border-bottom: 0.3pt solid #d9d9d9; }
ol.toc a { color: inherit; text-decoration: none; display: block; }
ol.toc a::after { content: target-counter(attr(href), page); float: right; }
ol.toc-fixed a::after { content: none; }
ol.toc-fixed .toc-page { float: right; }
.book-part { break-before: page; }
.book-part h1 { string-set: part content(); }
"""

#: A book longer than this is laid out in chunks of about this many pages and merged: WeasyPrint
#: holds a whole document's layout in memory (4.5 GB for a 4,000-page book in one piece).
BOOK_CHUNK_PAGES = 250
PART_LINK = "kamreports-part:"


def pack_body(folder: Path, job: Job) -> str:
    """The body of a built pack (its HTML without the cover and the page frame), read back from
    the pack's HTML so the book never holds every pack in memory at once."""
    stem = Path(job.notebook).stem
    html = (folder / job.folder / f"{stem}.html").read_text(encoding="utf-8")
    start, end = html.find(BODY_MARKER), html.rfind("\n</main>")
    if 0 <= start < end:
        return html[start + len(BODY_MARKER):end]
    # A pack written before the marker existed: render the body again from its executed notebook.
    import nbformat

    from .render import Renderer

    return Renderer().body_html(nbformat.read(folder / job.folder / f"{stem}.ipynb", as_version=4))


#: Lays out documents, each (html, pdf path or None to count pages only, anchors to find), and returns
#: for each its page count and the page (0-based) of each anchor (``Renderer.lay_out``): in this
#: process, or spread over the build's warm workers (:meth:`~kamreports.pipeline.build.PackPool.lay_out`).
LayOut = Callable[[Iterable[tuple[str, "str | None", list[str]]]], list[tuple[int, list[int]]]]


class _Book:
    """What every piece of one book shares: its parts, page frame and style, and each part's HTML."""

    def __init__(self, staging: Path, portfolio: Portfolio, jobs: list[Job], logo: str):
        from .document import PageFrame, css_string

        self.staging, self.portfolio, self.jobs, self.logo = staging, portfolio, jobs, logo
        self.parts = [(f"part-{i}", job.name) for i, job in enumerate(jobs)]
        company, report = portfolio.settings.company, portfolio.settings.report
        self.summaries = report.book == "summary"
        self.frame = PageFrame(title=f"{company.name} — QBR pack {portfolio.quarter}",
                               running_header=f"{company.name} · {portfolio.quarter} · {report.classification}",
                               footer_note=jobs[0].footer_note, page_size=report.page_size,
                               primary_color=company.primary_color, accent_color=company.accent_color)
        header = css_string(f" · {portfolio.quarter} · {report.classification}")
        self.css = COVER_CSS + BOOK_CSS + f"@page {{ @top-left {{ content: string(part) {header}; }} }}"
        self.path = staging / book_name(portfolio.quarter)
        self.work = self.path.with_name(self.path.name + ".parts")

    def expected(self, pages: dict[str, int]) -> list[int]:
        """Each part's pages: its pack's (page one carries the band, no cover), or one for a summary."""
        return [1 if self.summaries and job.kind == "account" else max(1, pages.get(job.key, 0)) for job in self.jobs]

    def section(self, i: int) -> str:
        body = pack_body(self.staging, self.jobs[i])
        if self.summaries and self.jobs[i].kind == "account":
            body = page_one(body, self.jobs[i])
        return f'<section class="book-part" id="part-{i}">{body}</section>'

    def numbered(self, first_page: int, total: int) -> str:
        """The style of a chunk whose pages are numbered from ``first_page`` of ``total``."""
        return (f'{self.css} @page {{ @bottom-right {{ content: "Page " counter(page) " of {total}"; }} }}'
                f" @page :first {{ counter-reset: page {first_page}; }}")

    def front(self, starts: list[int], total: int, file: Path | None) -> tuple[str, str | None, list[str]]:
        """Cover and contents, the parts' first pages written in, numbered from 1 of ``total``: the
        document to lay out (``file`` None: count its pages only), as :meth:`chunk` gives a chunk."""
        from .document import document_html

        html = document_html(_cover(self.portfolio, self.parts, self.logo, starts), self.frame,
                             extra_css=self.numbered(1, total))
        return html, str(file) if file is not None else None, []

    def part_signature(self, i: int, first_page: int, total: int) -> tuple:
        """What part ``i`` laid out alone is made of besides the book's style: its job (name, pack,
        place) and its numbers; equal signatures, the same pages."""
        return i, self.jobs[i], self.summaries, first_page, total

    def front_signature(self, starts: list[int], total: int) -> tuple:
        return tuple(self.parts), tuple(starts), total

    def chunk(self, parts: list[int], first_page: int, total: int, file: Path) -> tuple[str, str, list[str]]:
        from .document import document_html

        html = document_html("".join(self.section(i) for i in parts), self.frame,
                             extra_css=self.numbered(first_page, total))
        return html, str(file), [f"part-{i}" for i in parts]


@dataclass
class _Piece:
    """A document of the book laid out ahead of it: its file, the worker's future (-> as ``LayOut``
    gives: pages, the first page of each anchor) and what it was laid out with
    (:meth:`_Book.part_signature`, :meth:`_Book.front_signature`)."""

    signature: tuple
    file: Path
    result: Future


class EarlyBook:
    """The book's pieces laid out by the workers while the packs are still being built: the portfolio
    part and the front (cover and contents) as soon as the portfolio pack is built, then the account
    summaries one by one whenever a worker has no pack left to run (:meth:`next_part`, the build's
    last seconds, when one worker runs the last pack and the others would wait).

    Each is laid out with the numbers a book of every planned part would give it (the front's length
    guessed, each account summary one page). The book uses a piece only when its own numbers, part and
    name come out the same (:meth:`part`, :meth:`front`), and lays it out again otherwise: a pack
    that failed, a summary two pages long, a front of another length."""

    def __init__(self, staging: Path, portfolio: Portfolio, jobs: list[Job], pages: dict[str, int], logo: str,
                 submit: Callable[[tuple[str, str, list[str]]], Future]):
        self.book = _Book(staging, portfolio, jobs, logo)
        self.submit = submit
        front = _front_pages_guess(len(jobs), self.book.frame.page_size)
        counts = self.book.expected(pages)
        self.total = front + sum(counts)
        self.starts = list(accumulate(counts[:-1], initial=front + 1))
        self.parts: dict[int, _Piece] = {}
        self.front_piece: _Piece | None = None
        self.book.work.mkdir(exist_ok=True)

    @classmethod
    def start(cls, staging: Path, portfolio: Portfolio, jobs: list[Job], pages: dict[str, int], logo: str,
              submit: Callable[[tuple[str, str, list[str]]], Future]) -> EarlyBook | None:
        """Lay out the portfolio part, then the front, now (``submit``: to a worker); ``pages``: the
        portfolio pack's. None when the book's numbers cannot be known before every pack is built (a
        book of full packs: each account's page count)."""
        if portfolio.settings.report.book != "summary" or len(jobs) < 2 or jobs[0].kind != "portfolio":
            return None
        import pypdf  # noqa: F401 - the merge's (0.16 CPU-s): loaded while the workers build packs, not after the last

        early = cls(staging, portfolio, jobs, pages, logo, submit)
        early.lay_out_part(0)
        file = early.book.work / "early-front.pdf"
        early.front_piece = _Piece(early.book.front_signature(early.starts, early.total), file,
                                   submit(early.book.front(early.starts, early.total, file)))
        return early

    def lay_out_part(self, i: int) -> Future:
        file = self.book.work / f"early-part-{i}.pdf"
        piece = _Piece(self.book.part_signature(i, self.starts[i], self.total), file,
                       self.submit(self.book.chunk([i], self.starts[i], self.total, file)))
        self.parts[i] = piece
        return piece.result

    def next_part(self, built: Container[str]) -> Future | None:
        """Lay out the first part, in the book's order, whose pack is built and that is not laid out
        yet; its future, or None when there is none now."""
        for i, job in enumerate(self.book.jobs):
            if i not in self.parts and job.key in built:
                return self.lay_out_part(i)
        return None

    def part(self, book: _Book, i: int, first_page: int, total: int) -> _Piece | None:
        """Part ``i`` of ``book``, if it was laid out early just as the book would lay it out."""
        piece = self.parts.get(i)
        return piece if piece is not None and piece.signature == book.part_signature(i, first_page, total) else None

    def front(self, book: _Book, starts: list[int], total: int) -> _Piece | None:
        piece = self.front_piece
        return piece if piece is not None and piece.signature == book.front_signature(starts, total) else None

    def wait(self) -> None:
        """Until the workers are done with every piece (the book's folder is removed after)."""
        for piece in [*self.parts.values(), *([self.front_piece] if self.front_piece else [])]:
            with contextlib.suppress(Exception):
                piece.result.result()


def write_book(staging: Path, portfolio: Portfolio, jobs: list[Job], results: dict[str, JobResult],
               logo: str, chunk_pages: int | None = None, parallel: tuple[LayOut, int] | None = None,
               early: EarlyBook | None = None) -> Path:
    """One PDF: cover, contents with page numbers, the portfolio, then each account in job order.

    Up to ``chunk_pages`` pages (default :data:`BOOK_CHUNK_PAGES`) it is one WeasyPrint document.
    A longer book is laid out in chunks whose page numbers continue from the chunk before ("Page N
    of M" with M written in), and merged with pypdf; the contents, the running headers, the
    bookmarks and the links are those of the one-document book. With ``parallel`` (a function laying
    out documents on the build's workers, and how many there are) the book is laid out in that many
    chunks at once, and what ``early`` laid out while the packs were being built is used where its
    page numbers are the book's: on a small build, well under a second after the last pack.
    """
    from .document import document_html

    book = _Book(staging, portfolio, jobs, logo)
    chunk_pages = chunk_pages or BOOK_CHUNK_PAGES
    expected = book.expected({key: result.pages for key, result in results.items()})
    try:
        if parallel is not None and len(jobs) > 1:
            layout, workers = parallel
            _write_book_in_chunks(book, expected, chunk_pages, layout, workers=workers, front_guess=True, early=early)
        elif sum(expected) <= chunk_pages:
            body = _cover(portfolio, book.parts, logo) + "".join(book.section(i) for i in range(len(jobs)))
            html = document_html(body, book.frame, extra_css=book.css)
            from .render import Renderer

            _write_with_plan_links(Renderer().pdf_bytes(html)[0], book.path)
        else:
            from .render import Renderer

            renderer = Renderer()
            _write_book_in_chunks(book, expected, chunk_pages,
                                  lambda docs: [renderer.lay_out(*doc) for doc in docs])
    finally:
        if early is not None:   # not used, or used: either way done before its folder goes
            early.wait()
        shutil.rmtree(book.work, ignore_errors=True)
    return book.path


#: A book's link to an account's full plan: rewritten into a PDF link to that file (relative to the book).
PLAN_LINK = "kamreports-plan:"


def page_one(body: str, job: Job) -> str:
    """An account pack's page one (between the one-pager's markers), with a link to the account's full
    plan PDF beside the book; the whole body when the notebook made no page one."""
    start, end = body.find(ONEPAGER_START), body.find(ONEPAGER_END)
    if not 0 <= start < end:
        return body
    link = (f'<p class="full-plan"><a href="{PLAN_LINK}{escape(job.folder, quote=True)}/'
            f'{escape(Path(job.notebook).stem)}.pdf">The full account plan of {escape(job.name)}</a></p>')
    return f'<section class="onepager">{body[start:end]}{link}{ONEPAGER_END}</section>'


def _write_with_plan_links(pdf: bytes, path: Path) -> None:
    """Write a one-document book, its plan links made file links (:func:`_plan_links_to_files`)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    if _plan_links_to_files(writer):
        buffer = io.BytesIO()
        writer.write(buffer)
        pdf = buffer.getvalue()
    write_atomic(path, pdf)


def _plan_links_to_files(writer: Any) -> bool:
    """Turn the book's ``kamreports-plan:`` links into links to the plan PDFs beside the book (a PDF
    "go to another file" action with a relative file name), so they work wherever the folder is
    copied. True when a link was changed."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject

    changed = False
    for page in writer.pages:
        for ref in page.get("/Annots", []) or []:
            annot = ref.get_object()
            action = annot.get("/A")
            uri = str(action.get_object().get("/URI", "")) if action is not None else ""
            if uri.startswith(PLAN_LINK):
                annot[NameObject("/A")] = DictionaryObject({
                    NameObject("/S"): NameObject("/GoToR"), NameObject("/F"): TextStringObject(uri[len(PLAN_LINK):]),
                    NameObject("/D"): ArrayObject([NumberObject(0), NameObject("/Fit")])})
                changed = True
    return changed


def _chunks(pages: list[int], budget: int, alone: Container[int] = ()) -> list[list[int]]:
    """Consecutive parts grouped into chunks of at most ``budget`` pages (at least one part each);
    each part in ``alone`` a chunk of its own."""
    chunks: list[list[int]] = [[]]
    used = 0
    for i, n in enumerate(pages):
        if chunks[-1] and (used + n > budget or i in alone or chunks[-1][-1] in alone):
            chunks.append([])
            used = 0
        chunks[-1].append(i)
        used += n
    return chunks


#: Parts listed on a contents page (measured: a one-line name each), by page size: the front's length
#: guessed when the chunks are laid out alongside it; a wrong guess costs a second pass, not a wrong book.
CONTENTS_PER_PAGE = {"A4": 27, "Letter": 25}


def _front_pages_guess(parts: int, page_size: str) -> int:
    """The cover, then the contents."""
    return 1 + max(1, math.ceil(parts / CONTENTS_PER_PAGE.get(page_size, 25)))


def _write_book_in_chunks(book: _Book, expected: list[int], chunk_pages: int, layout: LayOut, workers: int = 1,
                          front_guess: bool = False, early: EarlyBook | None = None) -> None:
    """The chunks are laid out with the page numbers their parts' packs predict; a part that came out
    longer or shorter (or a front of another length than guessed) makes a second pass with the
    measured numbers. The parts not laid out early are shared out in ``workers`` chunks (laid out
    side by side), none longer than ``chunk_pages`` divided among them (a 500-account book is 3,000
    pages: memory). ``front_guess``: lay out the front alongside the chunks, its length guessed
    (parallel), rather than first. ``early``: parts and a front already laid out (or being laid out),
    each used as its own chunk where its numbers are the book's (:class:`EarlyBook`)."""
    book.work.mkdir(exist_ok=True)
    parts = len(book.parts)
    if front_guess:
        front_pages = _front_pages_guess(parts, book.frame.page_size)
    else:   # the numbers written in do not change its length
        front_pages = layout([book.front([0] * parts, 0, None)])[0][0]
    counts = list(expected)
    for attempt in range(3):
        front_file = book.work / "front.pdf"
        starts = list(accumulate(counts[:-1], initial=front_pages + 1))
        total = front_pages + sum(counts)
        ready = {i: piece for i in range(parts)
                 if early is not None and attempt == 0 and (piece := early.part(book, i, starts[i], total)) is not None}
        left = sum(n for i, n in enumerate(counts) if i not in ready)
        budget = max(1, min(math.ceil(chunk_pages / workers), math.ceil(left / workers)))
        chunks = _chunks(counts, budget, alone=ready)
        files = [ready[chunk[0]].file if chunk[0] in ready else book.work / f"chunk-{k:04d}.pdf"
                 for k, chunk in enumerate(chunks)]
        front_ready = early.front(book, starts, total) if early is not None and attempt == 0 else None
        docs = itertools.chain([] if front_ready else [book.front(starts, total, front_file)],
                               (book.chunk(chunk, starts[chunk[0]], total, file)   # made as they are laid out
                                for chunk, file in zip(chunks, files) if chunk[0] not in ready))
        fresh = iter(layout(docs))
        measured_front = next(fresh)[0] if front_ready is None else None
        laid_out = [next(fresh) if chunk[0] not in ready else None for chunk in chunks]
        for k, chunk in enumerate(chunks):
            if chunk[0] in ready:
                try:
                    laid_out[k] = ready[chunk[0]].result.result()
                except Exception:  # noqa: BLE001 - the worker failed it: laid out here, as any chunk
                    files[k] = book.work / f"chunk-{k:04d}.pdf"
                    laid_out[k] = layout([book.chunk(chunk, starts[chunk[0]], total, files[k])])[0]
        if front_ready is not None:
            try:
                measured_front = front_ready.result.result()[0]
                front_file = front_ready.file
            except Exception:  # noqa: BLE001 - the worker failed it: laid out here
                measured_front = layout([book.front(starts, total, front_file)])[0][0]
        measured = list(counts)
        for chunk, (pages, firsts) in zip(chunks, laid_out):
            edges = [*firsts, pages]
            for j, i in enumerate(chunk):
                measured[i] = edges[j + 1] - edges[j]
        if measured == counts and measured_front == front_pages:
            break
        counts, front_pages = measured, measured_front
    _merge_chunks([front_file, *files], starts, book.path)


def _merge_chunks(files: list[Path], starts: list[int], path: Path) -> None:
    """Concatenate the chunk PDFs (bookmarks kept) and point the contents' links at their pages."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    writer = PdfWriter()
    front = PdfReader(files[0])
    front_pages = len(front.pages)
    for file in files:
        writer.append(file, import_outline=True)
    if front.metadata:
        writer.add_metadata({k: v for k, v in front.metadata.items() if isinstance(v, str)})
    for page in writer.pages[:front_pages]:
        for ref in page.get("/Annots", []) or []:
            annot = ref.get_object()
            action = annot.get("/A")
            uri = str(action.get_object().get("/URI", "")) if action is not None else ""
            if uri.startswith(PART_LINK):
                target = writer.pages[starts[int(uri[len(PART_LINK):])] - 1].indirect_reference
                annot[NameObject("/A")] = DictionaryObject({
                    NameObject("/S"): NameObject("/GoTo"), NameObject("/D"): ArrayObject([target, NameObject("/Fit")])})
    _plan_links_to_files(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    write_atomic(path, buffer.getvalue())


def write_manifest(staging: Path, portfolio: Portfolio, jobs: list[Job], results: dict[str, JobResult],
                   book: Path | None, settings: Settings, data_path: Path | None, digest: str, seconds: float,
                   versions: dict[str, str], prints: dict[str, dict[str, str]], book_digest: str,
                   executed_on: str = "local", history: dict | None = None, book_error: str | None = None) -> dict:
    """manifest.json. ``history`` (``records.history_manifest``): the key-list history, per quarter the
    accounts that entered and left with the reasons, and whether it was as reported or recomputed."""
    summary = portfolio.summary
    entries = []
    for job in jobs:
        r = results[job.key]
        entry = {"key": job.key, "kind": job.kind, "name": job.name, "folder": job.folder, "status": r.status,
                 "seconds": round(r.seconds, 3), "execute_seconds": round(r.execute_seconds, 3),
                 "render_seconds": round(r.render_seconds, 3), "pages": r.pages, "files": r.files,
                 "reason": r.reason, "inputs": prints[job.key]}
        if job.kind == "account":
            entry["is_key"] = bool(summary.at[job.key, "is_key"])
        if r.error:
            entry["error"] = mask_url(r.error)
            entry["failed_cell"] = r.failed_cell
        if r.stale:   # failed, and the previous build's files are shown instead (pipeline.stale)
            entry["stale"] = r.stale
        entries.append(entry)
    manifest = {
        "quarter": portfolio.quarter,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "status": "complete" if all(r.status == "built" for r in results.values()) else "partial",
        "inputs": {"data": str(data_path) if data_path else "sample company (built in)",
                   "config": settings.source, "hash": digest},
        "settings": settings_dict(settings),
        "versions": versions,
        "executed_on": executed_on,
        "seconds": round(seconds, 2),
        "book": book.name if book else None,
        "book_inputs": book_digest if book else None,
        "packs": entries,
    }
    if history is not None:
        manifest["inputs"]["records"] = history.get("records")
        manifest["history"] = history
    if book_error:
        manifest["book_error"] = book_error
        manifest["status"] = "partial"
    write_atomic(staging / "manifest.json", json.dumps(manifest, indent=2, default=str))
    return manifest


INDEX_TEMPLATE = "index_page.html.j2"  # in kamreports/templates/ (not templates/kamreports/: that is nbconvert's)
# The shape of the logo write_index accepts: the template puts it in unescaped (see there why).
_LOGO_DATA_URI = re.compile(r"data:[a-z]+/[a-z0-9.+-]+;base64,[A-Za-z0-9+/]*={0,2}")


@lru_cache(maxsize=1)
def _index_environment() -> jinja2.Environment:
    """The index page's Jinja2 environment, made once per process. autoescape=True: every value the
    page shows is HTML-escaped by the template, so names holding markup stay text."""
    return jinja2.Environment(loader=jinja2.PackageLoader("kamreports", "templates"), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _cell(text: str, value: object, numeric: bool = False, title: str = "") -> dict[str, object]:
    """One sortable cell of the index table, as data: the text shown, the value it sorts by, and the
    full text as a tooltip when the text shown is shortened."""
    v = "" if value is None or (isinstance(value, float) and math.isnan(value)) else value
    return {"text": text, "value": str(v), "numeric": numeric, "title": title if title != text else ""}


def write_index(staging: Path, portfolio: Portfolio, jobs: list[Job], results: dict[str, JobResult],
                book: Path | None, logo: str) -> Path:
    """An offline landing page linking every pack; sortable; no resource from elsewhere.

    Only the values are computed here; the markup is templates/index_page.html.j2, which escapes them.
    """
    if not _LOGO_DATA_URI.fullmatch(logo):
        raise ValueError("the index page's logo must be a base64 data URI")
    company = portfolio.settings.company
    fmt = portfolio.formats
    summary = portfolio.summary
    has_health = "health_band" in summary.columns

    def links(job: Job) -> dict[str, object]:
        r = results[job.key]
        stem = Path(job.notebook).stem
        if r.status != "built" and r.stale:   # its previous build's files, marked (pipeline.stale)
            return {"built": False, "stale": True, "since": str(r.stale.get("built") or "an earlier build"),
                    "error": mask_url(r.error or ""), "html": f"{job.folder}/{stem}.html",
                    "pdf": f"{job.folder}/{stem}.pdf"}
        if r.status != "built":
            return {"built": False, "stale": False, "error": mask_url(r.error or "")}
        return {"built": True, "html": f"{job.folder}/{stem}.html", "pdf": f"{job.folder}/{stem}.pdf"}

    rows = []
    portfolio_job = next((j for j in jobs if j.kind == "portfolio"), None)
    for job in jobs:
        if job.kind != "account":
            continue
        s = summary.loc[job.key]
        health = None
        if has_health and pd.notna(s["health_score"]):
            band = str(s["health_band"])
            health = {"band": band, "css": band.lower(), "score": f"{s['health_score']:.0f}",
                      "value": f"{s['health_score']:.1f}"}
        rows.append({"account": _cell(display_name(job.name), job.name, title=job.name),
                     "tier": _cell(str(s["tier"]), str(s["tier"])),
                     "quadrant": _cell(str(s["quadrant"]), str(s["quadrant"])),
                     "health": health,
                     "revenue": _cell(fmt.money(s["revenue_t4q"]), round(float(s["revenue_t4q"]), 2), True),
                     "attainment": _cell(fmt.attainment(s["attainment_q"], 0), s["attainment_q"], True),
                     "files": links(job)})
    missing = portfolio.unplanned_key_accounts()   # for the analyst: the packs only say "No account plan agreed"
    unplanned = {"count": len(missing), "all": ", ".join(missing),
                 "ids": ", ".join(missing[:10]) + (" …" if len(missing) > 10 else ""),
                 "command": portfolio.plan_new_command(missing[0]), "folder": str(portfolio.plans_folder)} \
        if missing else None
    html = _index_environment().get_template(INDEX_TEMPLATE).render(
        company=display_name(company.name), company_full=company.name,
        primary_color=company.primary_color, accent_color=company.accent_color,
        quarter=portfolio.quarter, as_of=quarter_end(portfolio.quarter).isoformat(), logo=logo,
        book=book.name if book else None, portfolio=links(portfolio_job) if portfolio_job else None,
        has_health=has_health, rows=rows, unplanned=unplanned)
    path = staging / "index.html"
    write_atomic(path, html)
    return path


def accounts_table(portfolio: Portfolio) -> pd.DataFrame:
    """accounts.csv: the columns of ``analytics.contract.ACCOUNTS_CSV``, largest T4Q revenue first."""
    import pandas as pd

    s = portfolio.summary
    values = {"account_id": s.index, "quarter": portfolio.quarter}
    columns = accounts_csv_columns(portfolio.settings.selection.criteria)
    # a portfolio without a history has no prev_* columns: they are written empty
    out = pd.DataFrame({name: values[name] if source is None else s[source] if source in s.columns else None
                        for name, source in columns}, index=s.index)
    return out.sort_values("revenue_t4q", ascending=False, kind="mergesort")


def export_files(portfolio: Portfolio) -> dict[str, bytes]:
    """Machine-readable figures beside the packs, as bytes: accounts.csv and roi.csv."""
    return {"accounts.csv": accounts_table(portfolio).to_csv(index=False).encode("utf-8"),
            "roi.csv": portfolio.roi.table.to_csv(index=False).encode("utf-8")}


def write_exports(staging: Path, portfolio: Portfolio, files: dict[str, bytes] | None = None) -> list[str]:
    """accounts.csv and roi.csv (:func:`export_files`, or ``files`` made before) beside the packs."""
    files = export_files(portfolio) if files is None else files
    for name, content in files.items():
        write_atomic(staging / name, content)
    return list(files)
