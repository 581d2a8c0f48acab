"""Assemble the quarter's folder: the combined book, ``index.html`` and ``manifest.json``."""
from __future__ import annotations

import datetime as dt
import json
import os
from html import escape
from pathlib import Path

from .. import formatting
from ..config import Settings, settings_dict
from ..model import Portfolio
from ..periods import quarter_end
from .jobs import Job, JobResult


def _write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def book_name(quarter: str) -> str:
    return f"qbr_pack_{quarter}.pdf"


def _cover(portfolio: Portfolio, parts: list[tuple[str, str]]) -> str:
    company = portfolio.settings.company
    as_of = quarter_end(portfolio.quarter).isoformat()
    contents = "".join(f'<li><a href="#{anchor}">{escape(title)}</a></li>' for anchor, title in parts)
    return (
        '<section class="book-cover">'
        f'<div class="cover-company">{escape(company.name)}</div>'
        '<div class="cover-title">Quarterly business review</div>'
        f'<div class="cover-quarter">{escape(portfolio.quarter)}</div>'
        f'<div class="cover-meta">Key-account portfolio and account plans · data as of {as_of}</div>'
        '<div class="cover-mark">Internal · Confidential</div>'
        "</section>"
        '<section class="book-contents"><h2 class="contents-title">Contents</h2>'
        f'<ol class="toc">{contents}</ol></section>'
    )


BOOK_CSS = """
.book-cover { page: cover; height: 230mm; display: flex; flex-direction: column; justify-content: center; }
.cover-company { font-size: 14pt; letter-spacing: .08em; text-transform: uppercase; color: var(--kam-accent, #e07a1f); }
.cover-title { font-size: 30pt; font-weight: bold; margin: 6mm 0 2mm; color: var(--kam-primary, #1f3b5c); }
.cover-quarter { font-size: 22pt; color: #333; }
.cover-meta { margin-top: 10mm; color: #555; }
.cover-mark { margin-top: 40mm; font-weight: bold; color: #8a1c1c; }
@page cover { @top-left { content: none } @top-right { content: none } @bottom-left { content: none }
              @bottom-right { content: none } }
.book-contents { break-before: page; }
h2.contents-title { break-before: avoid; }
ol.toc { list-style: none; padding: 0; }
ol.toc li { padding: 1.6mm 0; border-bottom: 0.3pt dotted #bbb; }
ol.toc a { color: inherit; text-decoration: none; display: block; }
ol.toc a::after { content: target-counter(attr(href), page); float: right; }
.book-part { break-before: page; }
.book-part h1 { string-set: part content(); }
"""


def write_book(staging: Path, portfolio: Portfolio, jobs: list[Job], results: dict[str, JobResult],
               short_hash: str) -> Path:
    """One PDF: cover, contents with page numbers, the portfolio, then each account in job order."""
    from .render import PageFrame, Renderer, document_html, css_string

    parts = [(f"part-{i}", job.name) for i, job in enumerate(jobs)]
    bodies = "".join(f'<section class="book-part" id="{anchor}">{results[job.key].body_html}</section>'
                     for (anchor, _title), job in zip(parts, jobs))
    company = portfolio.settings.company
    frame = PageFrame(title=f"{company.name} — QBR pack {portfolio.quarter}",
                      running_header=f"{company.name} · {portfolio.quarter} · Internal",
                      footer_note=jobs[0].footer_note, page_size=portfolio.settings.report.page_size,
                      primary_color=company.primary_color, accent_color=company.accent_color)
    header = css_string(f" · {portfolio.quarter} · Internal")
    css = BOOK_CSS + f"@page {{ @top-left {{ content: string(part) {header}; }} }}"
    html = document_html(_cover(portfolio, parts) + bodies, frame, extra_css=css)
    path = staging / book_name(portfolio.quarter)
    Renderer().write_pdf(html, path)
    return path


def write_manifest(staging: Path, portfolio: Portfolio, jobs: list[Job], results: dict[str, JobResult],
                   book: Path | None, settings: Settings, data_path: Path | None, digest: str, seconds: float,
                   versions: dict[str, str]) -> dict:
    summary = portfolio.summary
    entries = []
    for job in jobs:
        r = results[job.key]
        entry = {"key": job.key, "kind": job.kind, "name": job.name, "folder": job.folder, "status": r.status,
                 "seconds": round(r.seconds, 3), "execute_seconds": round(r.execute_seconds, 3),
                 "render_seconds": round(r.render_seconds, 3), "pages": r.pages, "files": r.files}
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
        "seconds": round(seconds, 2),
        "book": book.name if book else None,
        "packs": entries,
    }
    _write_text_atomic(staging / "manifest.json", json.dumps(manifest, indent=2, default=str))
    return manifest


INDEX_CSS = """
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 0; color: #222; background: #f6f7f9; }
header { background: var(--p); color: white; padding: 20px 32px; }
header h1 { margin: 0; font-size: 22px; } header p { margin: 4px 0 0; opacity: .85; }
main { padding: 20px 32px; max-width: 1200px; }
a { color: var(--p); }
.links a { margin-right: 10px; }
table { border-collapse: collapse; width: 100%; background: white; font-size: 14px; }
th, td { padding: 7px 10px; border-bottom: 1px solid #e3e5e8; text-align: left; }
th { background: #eef1f5; } td.num, th.num { text-align: right; }
.failed { color: #a12222; font-weight: bold; }
"""


def write_index(staging: Path, portfolio: Portfolio, jobs: list[Job], results: dict[str, JobResult],
                book: Path | None) -> Path:
    """An offline landing page linking every pack."""
    company = portfolio.settings.company
    money = portfolio.money
    rows = []
    for job in jobs:
        r = results[job.key]
        stem = Path(job.notebook).stem
        if r.status == "built":
            links = (f'<a href="{escape(job.folder)}/{stem}.html">HTML</a>'
                     f'<a href="{escape(job.folder)}/{stem}.pdf">PDF</a>')
        else:
            links = f'<span class="failed">failed: {escape(r.error or "")}</span>'
        if job.kind == "account":
            s = portfolio.summary.loc[job.key]
            cells = (f"<td>{escape(str(s['tier']))}</td><td>{escape(str(s['quadrant']))}</td>"
                     f'<td class="num">{escape(money(s["revenue_t4q"]))}</td>'
                     f'<td class="num">{escape(formatting.percent(s["attainment_q"], 0))}</td>')
        else:
            cells = '<td colspan="4">Internal</td>'
        rows.append(f"<tr><td>{escape(job.name)}</td>{cells}<td class='links'>{links}</td></tr>")
    book_link = f'<p><a href="{escape(book.name)}">Download the QBR book (PDF)</a></p>' if book else ""
    html = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(company.name)} — QBR packs {escape(portfolio.quarter)}</title>"
        f"<style>:root {{ --p: {escape(company.primary_color)}; }}{INDEX_CSS}</style></head><body>"
        f"<header><h1>{escape(company.name)} — QBR packs</h1>"
        f"<p>{escape(portfolio.quarter)} · data as of {quarter_end(portfolio.quarter).isoformat()}</p></header>"
        f"<main>{book_link}<table><thead><tr><th>Pack</th><th>Tier</th><th>Quadrant</th>"
        "<th class='num'>Revenue, 4Q</th><th class='num'>Attainment</th><th>Files</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></main></body></html>"
    )
    path = staging / "index.html"
    _write_text_atomic(path, html)
    return path
