"""Assemble the quarter's folder: the combined book, ``index.html`` and ``manifest.json``."""
from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from html import escape
from itertools import accumulate
from pathlib import Path
from typing import Any

from .. import formatting
from ..files import write_atomic
from ..config import Settings, settings_dict
from ..model import Portfolio
from ..periods import quarter_end
from .covers import COVER_CSS, cover_html
from .jobs import BODY_MARKER, Job, JobResult


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
                   "Internal — not for distribution outside the company", part_label=company.name)
        + '<section class="book-contents"><h2 class="contents-title">Contents</h2>'
        f'<ol class="{toc_class}">{contents}</ol></section>'
    )


BOOK_CSS = """
.book-contents { break-before: page; }
h2.contents-title { break-before: avoid; }
ol.toc { list-style: none; padding: 0; }
ol.toc li { padding: 1.6mm 0; border-bottom: 0.3pt dotted #bbb; }
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


def write_book(staging: Path, portfolio: Portfolio, jobs: list[Job], results: dict[str, JobResult],
               logo: str, chunk_pages: int | None = None) -> Path:
    """One PDF: cover, contents with page numbers, the portfolio, then each account in job order.

    Up to ``chunk_pages`` pages (default :data:`BOOK_CHUNK_PAGES`) it is one WeasyPrint document.
    A longer book is laid out in chunks whose page numbers continue from the chunk before ("Page N
    of M" with M written in), and merged with pypdf; the contents, the running headers, the
    bookmarks and the links are those of the one-document book.
    """
    from .render import PageFrame, Renderer, css_string, document_html

    parts = [(f"part-{i}", job.name) for i, job in enumerate(jobs)]
    company = portfolio.settings.company
    frame = PageFrame(title=f"{company.name} — QBR pack {portfolio.quarter}",
                      running_header=f"{company.name} · {portfolio.quarter} · Internal",
                      footer_note=jobs[0].footer_note, page_size=portfolio.settings.report.page_size,
                      primary_color=company.primary_color, accent_color=company.accent_color)
    header = css_string(f" · {portfolio.quarter} · Internal")
    css = COVER_CSS + BOOK_CSS + f"@page {{ @top-left {{ content: string(part) {header}; }} }}"
    path = staging / book_name(portfolio.quarter)
    renderer = Renderer()

    def section(i: int) -> str:
        return f'<section class="book-part" id="part-{i}">{pack_body(staging, jobs[i])}</section>'

    chunk_pages = chunk_pages or BOOK_CHUNK_PAGES
    # A pack is its cover page and then exactly what its part of the book holds.
    expected = [max(1, results[job.key].pages - 1) for job in jobs]
    if sum(expected) <= chunk_pages:
        html = document_html(_cover(portfolio, parts, logo) + "".join(section(i) for i in range(len(jobs))),
                             frame, extra_css=css)
        renderer.write_pdf(html, path)
        return path
    _write_book_in_chunks(path, portfolio, parts, logo, frame, css, section, expected, chunk_pages, renderer)
    return path


def _chunks(pages: list[int], budget: int) -> list[list[int]]:
    """Consecutive parts grouped into chunks of at most ``budget`` pages (at least one part each)."""
    chunks: list[list[int]] = [[]]
    used = 0
    for i, n in enumerate(pages):
        if chunks[-1] and used + n > budget:
            chunks.append([])
            used = 0
        chunks[-1].append(i)
        used += n
    return chunks


def _write_book_in_chunks(path: Path, portfolio: Portfolio, parts: list[tuple[str, str]], logo: str, frame,
                          css: str, section, expected: list[int], budget: int, renderer) -> None:
    from .render import document_html

    def numbered(first_page: int, total: int) -> str:
        return (f'{css} @page {{ @bottom-right {{ content: "Page " counter(page) " of {total}"; }} }}'
                f" @page :first {{ counter-reset: page {first_page}; }}")

    def front(starts: list[int], total: int) -> Any:
        html = document_html(_cover(portfolio, parts, logo, starts), frame, extra_css=numbered(1, total))
        return renderer.render(html)

    work = path.with_name(path.name + ".parts")
    work.mkdir(exist_ok=True)
    try:
        front_pages = len(front([0] * len(parts), 0).pages)  # the numbers written in do not change it
        counts = list(expected)
        for _attempt in range(2):  # the second pass only if a part's length was not what its pack said
            starts = list(accumulate(counts[:-1], initial=front_pages + 1))
            total = front_pages + sum(counts)
            files, measured = [], list(counts)
            for k, chunk in enumerate(_chunks(counts, budget)):
                html = document_html("".join(section(i) for i in chunk), frame,
                                     extra_css=numbered(starts[chunk[0]], total))
                document = renderer.render(html)
                at: dict[str, int] = {}  # a section's anchor is on every page it spans: keep the first
                for n, page in enumerate(document.pages):
                    for anchor in page.anchors:
                        at.setdefault(anchor, n)
                edges = [at.get(f"part-{i}", 0) for i in chunk] + [len(document.pages)]
                for j, i in enumerate(chunk):
                    measured[i] = edges[j + 1] - edges[j]
                files.append(work / f"chunk-{k:04d}.pdf")
                files[-1].write_bytes(renderer.pdf_of(document))
                del document
            if measured == counts:
                break
            counts = measured
        front_file = work / "front.pdf"
        front_file.write_bytes(renderer.pdf_of(front(starts, total)))
        _merge_chunks([front_file, *files], starts, path)
    finally:
        shutil.rmtree(work, ignore_errors=True)


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
    buffer = io.BytesIO()
    writer.write(buffer)
    write_atomic(path, buffer.getvalue())


def write_manifest(staging: Path, portfolio: Portfolio, jobs: list[Job], results: dict[str, JobResult],
                   book: Path | None, settings: Settings, data_path: Path | None, digest: str, seconds: float,
                   versions: dict[str, str], prints: dict[str, dict[str, str]], book_digest: str,
                   executed_on: str = "local") -> dict:
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
            entry["error"] = r.error
            entry["failed_cell"] = r.failed_cell
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
    write_atomic(staging / "manifest.json", json.dumps(manifest, indent=2, default=str))
    return manifest


INDEX_CSS = """
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 0; color: #222; background: #f6f7f9; }
header { background: var(--p); color: white; padding: 20px 32px; display: flex; align-items: center; gap: 16px; }
header img { height: 44px; } header h1 { margin: 0; font-size: 22px; } header p { margin: 4px 0 0; opacity: .85; }
main { padding: 20px 32px; max-width: 1200px; }
a { color: var(--p); }
.top { display: flex; gap: 16px; margin-bottom: 18px; flex-wrap: wrap; }
.card { background: white; border: 1px solid #e3e5e8; border-left: 4px solid var(--a); padding: 12px 16px; }
.card strong { display: block; margin-bottom: 4px; }
.links a { margin-right: 10px; }
table { border-collapse: collapse; width: 100%; background: white; font-size: 14px; }
th, td { padding: 7px 10px; border-bottom: 1px solid #e3e5e8; text-align: left; }
th { background: #eef1f5; cursor: pointer; user-select: none; white-space: nowrap; }
th[aria-sort="ascending"]::after { content: " \\25B2"; } th[aria-sort="descending"]::after { content: " \\25BC"; }
td.num, th.num { text-align: right; }
.failed { color: #a12222; font-weight: bold; }
.band { padding: 2px 8px; border-radius: 10px; font-size: 12px; }
.band-green { background: #d8efe0; } .band-amber { background: #fbe7c6; } .band-red { background: #f5d0d0; }
.hint { color: #666; font-size: 12px; }
"""

# Sorting is ours and the only script on the page: click a column header, or open
# index.html#sort=<column>-<asc|desc> (used by the test in a real browser).
INDEX_JS = """
(function () {
  var table = document.getElementById('packs'); if (!table) return;
  var body = table.tBodies[0], heads = table.tHead.rows[0].cells;
  function sortBy(col, dir) {
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].getAttribute('data-v'), y = b.cells[col].getAttribute('data-v');
      var nx = parseFloat(x), ny = parseFloat(y), r;
      if (!isNaN(nx) && !isNaN(ny)) r = nx - ny; else if (isNaN(nx) !== isNaN(ny)) r = isNaN(nx) ? 1 : -1;
      else r = String(x).localeCompare(String(y));
      return dir === 'desc' ? -r : r;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    for (var i = 0; i < heads.length; i++) heads[i].removeAttribute('aria-sort');
    heads[col].setAttribute('aria-sort', dir === 'desc' ? 'descending' : 'ascending');
  }
  for (var i = 0; i < heads.length; i++) (function (col) {
    heads[col].addEventListener('click', function () {
      sortBy(col, heads[col].getAttribute('aria-sort') === 'ascending' ? 'desc' : 'asc');
    });
  })(i);
  var m = /sort=([a-z_]+)-(asc|desc)/.exec(location.hash);
  if (m) for (var j = 0; j < heads.length; j++) if (heads[j].getAttribute('data-key') === m[1]) sortBy(j, m[2]);
})();
"""


def _cell(text: str, value: object, numeric: bool = False) -> str:
    v = "" if value is None or (isinstance(value, float) and value != value) else value
    return f'<td class="{"num" if numeric else ""}" data-v="{escape(str(v))}">{escape(text)}</td>'


def write_index(staging: Path, portfolio: Portfolio, jobs: list[Job], results: dict[str, JobResult],
                book: Path | None, logo: str) -> Path:
    """An offline landing page linking every pack; sortable; no resource from elsewhere."""
    company = portfolio.settings.company
    fmt = portfolio.formats
    summary = portfolio.summary
    has_health = "health_band" in summary.columns

    def links(job: Job) -> str:
        r = results[job.key]
        stem = Path(job.notebook).stem
        if r.status != "built":
            return f'<span class="failed">failed: {escape(r.error or "")}</span>'
        return (f'<a href="{escape(job.folder)}/{stem}.html">HTML</a>'
                f'<a href="{escape(job.folder)}/{stem}.pdf">PDF</a>')

    rows = []
    portfolio_job = next((j for j in jobs if j.kind == "portfolio"), None)
    for job in jobs:
        if job.kind != "account":
            continue
        s = summary.loc[job.key]
        health = ""
        if has_health:
            band = str(s["health_band"])
            health = (f'<td data-v="{s["health_score"]:.1f}"><span class="band band-{escape(band.lower())}">'
                      f'{escape(band)} {s["health_score"]:.0f}</span></td>')
        rows.append("<tr>" + _cell(job.name, job.name) + _cell(str(s["tier"]), str(s["tier"]))
                    + _cell(str(s["quadrant"]), str(s["quadrant"])) + health
                    + _cell(fmt.money(s["revenue_t4q"]), round(float(s["revenue_t4q"]), 2), True)
                    + _cell(fmt.percent(s["attainment_q"], 0), s["attainment_q"], True)
                    + f"<td class='links'>{links(job)}</td></tr>")
    head = ('<th data-key="account">Account</th><th data-key="tier">Tier</th><th data-key="quadrant">Quadrant</th>'
            + ('<th data-key="health">Health</th>' if has_health else "")
            + '<th class="num" data-key="revenue">Revenue, last 4 quarters</th>'
              '<th class="num" data-key="attainment">Attainment</th><th data-key="files">Files</th>')
    cards = []
    if book:
        cards.append(f'<div class="card"><strong>QBR book</strong><a href="{escape(book.name)}">'
                     f'{escape(book.name)}</a> <span class="hint">cover, contents, portfolio, every account</span></div>')
    if portfolio_job:
        cards.append(f'<div class="card"><strong>Portfolio review</strong><span class="links">{links(portfolio_job)}'
                     '</span> <span class="hint">internal</span></div>')
    html = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(company.name)} — QBR packs {escape(portfolio.quarter)}</title>"
        f"<style>:root {{ --p: {escape(company.primary_color)}; --a: {escape(company.accent_color)}; }}"
        f"{INDEX_CSS}</style></head><body>"
        f"<header><img src='{logo}' alt=''/><div><h1>{escape(company.name)} — QBR packs</h1>"
        f"<p>{escape(portfolio.quarter)} · data as of {quarter_end(portfolio.quarter).isoformat()} · "
        f"{len(rows)} account packs · internal</p></div></header>"
        f"<main><div class='top'>{''.join(cards)}</div>"
        f"<p class='hint'>Click a column heading to sort.</p>"
        f"<table id='packs'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></main>"
        f"<script>{INDEX_JS}</script></body></html>"
    )
    path = staging / "index.html"
    write_atomic(path, html)
    return path


ACCOUNT_COLUMNS = {  # export name: summary column (documented in the README)
    "account_id": None, "name": "name", "owner": "owner", "region": "region", "industry": "industry",
    "parent_id": "parent_id", "revenue_q": "revenue_q", "revenue_t4q": "revenue_t4q",
    "target_q": "target_q", "attainment_q": "attainment_q", "qoq_growth": "qoq_growth",
    "yoy_growth": "yoy_growth", "t4q_growth": "t4q_growth", "gross_margin_pct": "gross_margin_pct",
    "share_of_wallet": "share_of_wallet", "abc_class": "abc_class", "selection_score": "score",
    "tier": "tier", "is_key": "is_key", "selection_reason": "selection_reason",
    "attractiveness": "attractiveness", "relationship_strength": "strength", "quadrant": "quadrant",
    "relationship_stage": "relationship_stage", "health_score": "health_score", "health_band": "health_band",
    "fy_forecast": "fy_forecast", "fy_annual_target": "fy_annual_target", "fy_verdict": "fy_verdict",
}


def accounts_table(portfolio: Portfolio) -> "pd.DataFrame":
    import pandas as pd

    s = portfolio.summary
    out = pd.DataFrame({name: (s.index if col is None else s[col]) for name, col in ACCOUNT_COLUMNS.items()
                        if col is None or col in s.columns})
    out.insert(1, "quarter", portfolio.quarter)
    return out.sort_values("revenue_t4q", ascending=False, kind="mergesort")


def write_exports(staging: Path, portfolio: Portfolio) -> list[str]:
    """Machine-readable figures beside the packs: accounts.csv and roi.csv."""
    write_atomic(staging / "accounts.csv", accounts_table(portfolio).to_csv(index=False))
    write_atomic(staging / "roi.csv", portfolio.roi.table.to_csv(index=False))
    return ["accounts.csv", "roi.csv"]
