"""Render executed notebooks into executive-ready HTML and PDF.

Why this module exists: nbconvert's stock HTML (lab/classic templates) shows
code, ``In [n]``/``Out[n]`` prompts and stderr, links require.js and MathJax
from a CDN, and ships JupyterLab CSS that WeasyPrint mostly does not support
(hundreds of warnings, and most of its run time). We use the slim ``basic``
body template through our own template dir (``kamreports/templates/kamreports``),
drop everything that is not a report output, and wrap the fragment in a small
self-contained document whose CSS (``kamreports/templates/components.css`` for
the pieces ``kamreports.present`` emits, then ``print.css`` for the document)
gives paged layout: running header, "Page N of M", one h2 section per page.

``document_html`` is public so the pipeline can wrap other fragments (a cover
page, several notebooks' bodies joined into one book) in the same frame.
"""

from __future__ import annotations

import contextlib
import html as html_lib
import logging
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from traitlets.config import Config

from ..files import write_atomic
from ..protocol import OMIT_SECTION

__all__ = [
    "PageFrame",
    "Renderer",
    "document_html",
    "TEMPLATES_DIR",
    "TEMPLATE_NAME",
    "COMPONENTS_CSS_PATH",
    "PRINT_CSS_PATH",
]

log = logging.getLogger(__name__)

#: Folder given to nbconvert as ``extra_template_basedirs``; holds our template
#: dir ``kamreports/``, ``components.css`` and ``print.css``.
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
TEMPLATE_NAME = "kamreports"
#: The styles of what ``kamreports.present`` emits (KPI strip, SWOT grid, table.kam, ...),
#: scoped to their classes; ``present.use_pack_styles()`` shows the same file in JupyterLab.
COMPONENTS_CSS_PATH = TEMPLATES_DIR / "components.css"
#: The document: page, fonts, headings, prose, nbconvert wrappers, other tables.
PRINT_CSS_PATH = TEMPLATES_DIR / "print.css"

PAGE_SIZES = ("A4", "Letter")

# Mimetypes we render, in order of preference. JavaScript and widget views are
# deliberately absent: they would need a live kernel or a CDN, and a PDF can do
# nothing with them. text/latex is absent because nothing here loads MathJax.
DISPLAY_PRIORITY = [
    "text/html",
    "text/markdown",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/plain",
]

# Colours end up inside CSS; accept only plain colour syntax so a frame value
# can never inject rules.
_COLOR_RE = re.compile(
    r"^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,30}|(rgb|rgba|hsl|hsla)\(\s*[0-9.,%\s/deg]+\))$"
)

# Anything that could make the document fetch something from elsewhere. Used as
# a cheap pre-check so the common case (our own notebooks) skips HTML parsing.
_EXTERNAL_HINT_RE = re.compile(
    r"<\s*(script|link|iframe|object|embed|base|frame)\b"
    r"|\b(src|href|srcset|poster|action|data)\s*=\s*[\"']?\s*(https?:)?//"
    r"|url\(\s*[\"']?\s*(https?:)?//"
    r"|@import",
    re.IGNORECASE,
)
_CSS_URL_RE = re.compile(r"url\(\s*[\"']?\s*(https?:)?//[^)]*\)", re.IGNORECASE)
_CSS_IMPORT_RE = re.compile(r"@import[^;]*;?", re.IGNORECASE)
_EXTERNAL_URL_RE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)

_TABLE_RE = re.compile(r"(<table\b[^>]*>)(.*?</table>)", re.IGNORECASE | re.DOTALL)
_ROW_RE = re.compile(r"<tr\b[^>]*>(.*?)(?=<tr\b|</tbody|</thead|</tfoot|</table)", re.IGNORECASE | re.DOTALL)
_CELL_RE = re.compile(r"<t[hd]\b([^>]*)>", re.IGNORECASE)
_COLSPAN_RE = re.compile(r"colspan\s*=\s*[\"']?(\d+)", re.IGNORECASE)
_CLASS_ATTR_RE = re.compile(r"""\bclass\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)

#: Tables with at most this many rows (header and total rows included) are kept
#: on one page (CSS class kam-keep); 35 rows of 8.5pt fit an A4 or Letter page.
KEEP_TOGETHER_MAX_ROWS = 35
#: Above these column counts tables get smaller type (kam-wide / kam-xwide).
WIDE_MIN_COLUMNS = 9
XWIDE_MIN_COLUMNS = 13


@dataclass(frozen=True)
class PageFrame:
    """What frames every page of one document: title, running header, footer, colours.

    Kept separate from the notebook so the same body can be framed differently
    (single notebook, combined book, cover page) without re-rendering it.
    """

    title: str  # e.g. "Sequoia Telecom — Account plan"
    running_header: str  # e.g. "Sequoia Telecom · 2026Q3 · Confidential", top of every page
    footer_note: str  # e.g. "Data as of 2026-09-30", footer beside "Page N of M"
    page_size: str = "A4"  # "A4" or "Letter"
    primary_color: str = "#1f3b5c"
    accent_color: str = "#e07a1f"

    def __post_init__(self) -> None:
        if self.page_size not in PAGE_SIZES:
            raise ValueError(f"page_size must be one of {PAGE_SIZES}, got {self.page_size!r}")
        for name in ("primary_color", "accent_color"):
            value = getattr(self, name)
            if not _COLOR_RE.match(value.strip()):
                raise ValueError(f"{name} must be a CSS colour like '#1f3b5c', got {value!r}")


def css_string(text: str) -> str:
    """Quote text as a CSS string literal (for ``content:``) so quotes, backslashes,
    newlines and ``</style>`` in a client name cannot break the stylesheet."""
    out = []
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch in "\r\n\f":
            out.append("\\a ")
        elif ch == "<":
            out.append("\\3c ")  # keeps "</style>" out of the <style> element
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(" ")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


@lru_cache(maxsize=1)
def _base_css() -> str:
    """The static stylesheet, read once per process: the components first, then the document's
    print rules (which win ties, e.g. ``table.kam-wide td`` padding over ``table.kam td``)."""
    return "\n".join(path.read_text(encoding="utf-8") for path in (COMPONENTS_CSS_PATH, PRINT_CSS_PATH))


def frame_css(frame: PageFrame) -> str:
    """CSS that depends on the frame: page size, margin boxes, colours."""
    header = css_string(frame.running_header)
    footer = css_string(frame.footer_note)
    primary = frame.primary_color.strip()
    accent = frame.accent_color.strip()
    box = (
        'font-family: "Liberation Sans", "DejaVu Sans", Arial, sans-serif; '
        "font-size: 7.5pt; color: #667080;"
    )
    return f"""
:root {{ --kam-primary: {primary}; --kam-accent: {accent}; }}
@page {{
  size: {frame.page_size};
  margin: 24mm 18mm 18mm 18mm;
  @top-left {{
    content: {header};
    {box}
    vertical-align: bottom;
    padding-bottom: 2mm;
    margin-bottom: 5mm;
    border-bottom: 0.5pt solid #d3d9e0;
    width: 100%;
  }}
  @bottom-left {{
    content: {footer};
    {box}
    vertical-align: top;
    padding-top: 2.5mm;
  }}
  @bottom-right {{
    content: "Page " counter(page) " of " counter(pages);
    {box}
    vertical-align: top;
    padding-top: 2.5mm;
    text-align: right;
  }}
}}
"""


def strip_external(fragment: str) -> str:
    """Remove anything that would load from elsewhere (scripts, stylesheets,
    frames, remote images, CSS url()/@import) and unwrap links to external
    sites, keeping their text: the packs must open offline and WeasyPrint must
    never reach for the network."""
    if not _EXTERNAL_HINT_RE.search(fragment):
        return fragment
    from bs4 import BeautifulSoup  # nbconvert depends on it

    soup = BeautifulSoup(fragment, "html.parser")
    removed = 0
    for tag in soup.find_all(["script", "link", "iframe", "object", "embed", "base", "frame"]):
        tag.decompose()
        removed += 1
    for tag in soup.find_all(src=True):
        if not str(tag["src"]).strip().lower().startswith("data:"):
            tag.decompose()
            removed += 1
    for tag in soup.find_all(srcset=True):
        del tag["srcset"]
    for tag in soup.find_all(href=True):
        if _EXTERNAL_URL_RE.match(str(tag["href"])):
            tag.unwrap()
    for attr in ("poster", "action", "data"):
        for tag in soup.find_all(attrs={attr: _EXTERNAL_URL_RE}):
            del tag[attr]
    for style in soup.find_all("style"):
        text = style.string or ""
        style.string = _CSS_URL_RE.sub("none", _CSS_IMPORT_RE.sub("", text))
    for tag in soup.find_all(style=True):
        tag["style"] = _CSS_URL_RE.sub("none", str(tag["style"]))
    if removed:
        log.warning("Removed %d external or scripted element(s) from report HTML", removed)
    return str(soup)


def _add_classes(open_tag: str, classes: list[str]) -> str:
    """Add CSS classes to an opening tag, keeping any it already has."""
    match = _CLASS_ATTR_RE.search(open_tag)
    if match:
        existing = (match.group(1) if match.group(1) is not None else match.group(2)).split()
        merged = " ".join(existing + [c for c in classes if c not in existing])
        return open_tag[: match.start()] + f'class="{merged}"' + open_tag[match.end() :]
    return open_tag[:-1].rstrip("/ ") + f' class="{" ".join(classes)}">'


def annotate_tables(fragment: str) -> str:
    """Tag tables by size so the print CSS can lay them out: ``kam-keep`` (short
    enough to move whole to the next page rather than split; a long table given
    break-inside: avoid would be pushed off a half-empty page and split anyway),
    ``kam-wide``/``kam-xwide`` (many columns: smaller type instead of clipping at
    the right edge). CSS alone cannot count rows or columns."""

    def tag(match: re.Match[str]) -> str:
        open_tag, rest = match.group(1), match.group(2)
        rows = _ROW_RE.findall(rest)
        columns = 0
        for row in rows[:3]:
            cells = _CELL_RE.findall(row)
            spans = (_COLSPAN_RE.search(attrs) for attrs in cells)
            columns = max(columns, sum(int(m.group(1)) if m else 1 for m in spans))
        classes = []
        if len(rows) <= KEEP_TOGETHER_MAX_ROWS:
            classes.append("kam-keep")
        if columns >= XWIDE_MIN_COLUMNS:
            classes += ["kam-wide", "kam-xwide"]
        elif columns >= WIDE_MIN_COLUMNS:
            classes.append("kam-wide")
        return (_add_classes(open_tag, classes) if classes else open_tag) + rest

    if "<table" not in fragment.lower():
        return fragment
    return _TABLE_RE.sub(tag, fragment)


def document_html(body: str, frame: PageFrame, extra_css: str = "") -> str:
    """Wrap an HTML fragment in a complete, self-contained document: inlined
    print CSS, frame-specific @page rules, a <title>, and a header/footer that
    only show on screen (print gets them from the @page margin boxes).

    Reused by the pipeline for combined books and cover pages, so any fragment
    (not only one from Renderer.body_html) is checked for external resources.
    """
    safe_extra = extra_css.replace("</", "<\\/")
    css = "\n".join(part for part in (_base_css(), frame_css(frame), safe_extra) if part)
    esc = html_lib.escape
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(frame.title)}</title>\n"
        f"<style>\n{css}\n</style>\n"
        "</head>\n<body>\n"
        f'<header class="kam-screen-header">{esc(frame.running_header)}</header>\n'
        f'<main class="kam-doc">\n{annotate_tables(strip_external(body))}\n</main>\n'
        f'<footer class="kam-screen-footer">{esc(frame.footer_note)}</footer>\n'
        "</body>\n</html>\n"
    )


class DropNoiseOutputsPreprocessor(Preprocessor):
    """Drop outputs that are never meant for a reader: stderr streams (warnings,
    progress bars), error tracebacks, and execute_results that only carry a
    text/plain repr (``[<matplotlib.lines.Line2D at 0x...>]``, ``Text(0.5, 1.0, ...)``).
    Also gives images an alt text so nbconvert does not log a warning per chart."""

    def preprocess_cell(
        self, cell: nbformat.NotebookNode, resources: dict[str, Any], index: int
    ) -> tuple[nbformat.NotebookNode, dict[str, Any]]:
        if cell.get("cell_type") != "code":
            return cell, resources
        kept = []
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "error":
                continue
            if kind == "stream" and out.get("name") == "stderr":
                continue
            if kind == "execute_result" and set(out.get("data", {})) <= {"text/plain"}:
                continue
            if kind in ("display_data", "execute_result"):
                for mime in ("image/png", "image/jpeg"):
                    if mime in out.get("data", {}):
                        md = out.setdefault("metadata", nbformat.NotebookNode())
                        if not (md.get("alt") or md.get(mime, {}).get("alt")):
                            md["alt"] = cell.get("metadata", {}).get("alt") or "Chart"
            kept.append(out)
        cell["outputs"] = kept
        return cell, resources

    def preprocess(self, nb: nbformat.NotebookNode,
                   resources: dict[str, Any]) -> tuple[nbformat.NotebookNode, dict[str, Any]]:
        # A code cell left with nothing to show still renders as an empty box, and
        # an empty box before the title makes a blank first page in print.
        nb, resources = super().preprocess(nb, resources)
        nb.cells = without_omitted_sections(nb.cells)
        nb.cells = [c for c in nb.cells if c.get("cell_type") != "code" or c.get("outputs")]
        return nb, resources


def _omits(cell: nbformat.NotebookNode) -> bool:
    return cell.get("cell_type") == "code" and any(
        OMIT_SECTION in "".join(out.get("data", {}).get("text/html", "")) for out in cell.get("outputs", []))


def without_omitted_sections(cells: list) -> list:
    """Cells whose output says the section has nothing for a reader (``present.omitted_section``, e.g. the
    plan's value and goals when no plan is agreed) are left out of the pack, with the heading cell just
    before them when that cell is only a heading: a page of one line repeating "No account plan agreed"
    tells an executive nothing that page one has not. In JupyterLab the analyst still sees why."""
    kept: list = []
    for cell in cells:
        if _omits(cell):
            previous = kept[-1] if kept else None
            if previous is not None and previous.get("cell_type") == "markdown" \
                    and re.fullmatch(r"#{1,6} [^\n]+\n?", previous.get("source", "").strip() + "\n"):
                kept.pop()
            continue
        kept.append(cell)
    return kept


class Renderer:
    """Holds one configured nbconvert HTMLExporter (reused across calls: first
    call ~0.3 s, later ~0.03 s). Not thread-safe: use one per thread/process."""

    def __init__(self) -> None:
        c = Config()
        c.HTMLExporter.exclude_input = True
        c.HTMLExporter.exclude_input_prompt = True
        c.HTMLExporter.exclude_output_prompt = True
        c.HTMLExporter.exclude_anchor_links = True
        c.HTMLExporter.anchor_link_text = ""
        c.HTMLExporter.embed_images = True  # markdown images/attachments as data URIs
        c.HTMLExporter.sanitize_html = False  # display(HTML(...)) is our own markup
        c.NbConvertBase.display_data_priority = list(DISPLAY_PRIORITY)
        c.TagRemovePreprocessor.enabled = True
        c.TagRemovePreprocessor.remove_cell_tags = {"remove", "parameters", "injected-parameters"}
        c.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output"}
        c.CoalesceStreamsPreprocessor.enabled = True
        self._exporter = HTMLExporter(
            config=c,
            template_name=TEMPLATE_NAME,
            # Only our folder: nbconvert's default is the CWD, and the repo root
            # has a `kamreports/` package dir that would be taken for a template.
            extra_template_basedirs=[str(TEMPLATES_DIR)],
            log=_quiet_logger(__name__ + ".nbconvert"),
        )
        self._exporter.register_preprocessor(DropNoiseOutputsPreprocessor, enabled=True)
        #: Messages WeasyPrint logged during the last write_pdf (kept, not printed).
        self.last_pdf_messages: list[str] = []
        self._font_config: Any = None

    def body_html(self, nb: nbformat.NotebookNode) -> str:
        """Just the rendered outputs of the notebook (an HTML fragment, no <html>/<head>):
        no input code, no prompts, no ``Out[n]`` labels, no stderr, no errors, no cells
        tagged 'remove'. Markdown cells are rendered (they carry headings and prose);
        images are embedded as data URIs. The notebook passed in is not modified."""
        body, _resources = self._exporter.from_notebook_node(nb)
        return strip_external(body)

    def page_html(self, nb: nbformat.NotebookNode, frame: PageFrame) -> str:
        """A full self-contained HTML document for one notebook: print CSS inlined,
        no external resource, a <title>. Doubles as the HTML pack for browsers."""
        return document_html(self.body_html(nb), frame)

    def render(self, html: str) -> Any:
        """The laid-out WeasyPrint document (pages, anchors; ``write_pdf()`` gives the bytes)."""
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher

        fetcher = URLFetcher(allowed_protocols={"data"}, timeout=5)
        self.last_pdf_messages = messages = []
        try:
            with _captured_logs(("weasyprint", "fontTools"), messages):
                return HTML(string=html, base_url=None, url_fetcher=fetcher).render(font_config=self._fonts())
        finally:
            # urllib's urlsplit keeps its last 128 URLs in an lru_cache; ours are charts as data: URLs
            # of 100 KB and more, which would stay referenced for the life of a worker.
            urllib.parse.urlsplit.cache_clear()

    def pdf_bytes(self, html: str) -> tuple[bytes, int]:
        """WeasyPrint HTML -> PDF bytes and page count.

        Only ``data:`` URLs may be fetched, so a stray remote reference cannot
        hang the run. WeasyPrint/fontTools log messages are captured into
        ``self.last_pdf_messages`` instead of leaking to the console."""
        document = self.render(html)
        return self.pdf_of(document), len(document.pages)

    def pdf_of(self, document: Any) -> bytes:
        """The PDF bytes of a document from :meth:`render`, its log messages kept, not printed."""
        with _captured_logs(("weasyprint", "fontTools"), self.last_pdf_messages):
            return document.write_pdf()

    def lay_out(self, html: str, path: str | None, anchors: list[str]) -> tuple[int, list[int]]:
        """Lay out one document of a book; write its PDF to ``path`` (None: count its pages only).
        The page count, and the page (from 0) where each of ``anchors`` first appears (0 if it does not)."""
        document = self.render(html)
        at: dict[str, int] = {}   # a section's anchor is on every page it spans: keep the first
        for n, page in enumerate(document.pages):
            for anchor in page.anchors:
                at.setdefault(anchor, n)
        if path is not None:
            write_atomic(Path(path), self.pdf_of(document))
        return len(document.pages), [at.get(a, 0) for a in anchors]

    def _fonts(self) -> Any:
        """One FontConfiguration for every document: a new one per document costs a font scan and
        leaves its Pango font map behind (~1 MB a pack over a 500-pack build)."""
        if self._font_config is None:
            from weasyprint.text.fonts import FontConfiguration

            self._font_config = FontConfiguration()
        return self._font_config

    def write_pdf(self, html: str, path: Path) -> int:
        """Write the PDF atomically (``.pdf.tmp`` then os.replace, so a reader
        never sees half a file); returns the page count."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data, pages = self.pdf_bytes(html)
        write_atomic(path, data)
        return pages


def _quiet_logger(name: str) -> logging.Logger:
    """A logger for nbconvert's exporter that shows errors only: its warnings
    (e.g. missing alt text on images from raw HTML) are not actionable here."""
    logger = logging.getLogger(name)
    logger.setLevel(logging.ERROR)
    return logger


class _ListHandler(logging.Handler):
    """Collects formatted log messages into a list."""

    def __init__(self, sink: list[str]) -> None:
        super().__init__(level=logging.DEBUG)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            self.sink.append(f"{record.levelname} {record.name}: {record.getMessage()}")


@contextlib.contextmanager
def _captured_logs(names: tuple[str, ...], messages: list[str]) -> Iterator[list[str]]:
    """Temporarily route the named loggers (warnings and up) into ``messages`` and
    stop them propagating to the root logger / Python's last-resort stderr handler."""
    handler = _ListHandler(messages)
    saved = []
    for name in names:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.propagate))
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)
        logger.propagate = False
    try:
        yield messages
    finally:
        for logger, level, propagate in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate
