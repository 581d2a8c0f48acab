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

The frame itself (``PageFrame``, ``document_html``, the style sheets) lives in :mod:`.document`,
which does not import nbconvert; the public names are importable from here too.
"""

from __future__ import annotations

import contextlib
import logging
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from traitlets.config import Config

from ..files import write_atomic
from ..protocol import OMIT_SECTION
from . import libraries, pdf_images
from .document import (  # noqa: F401 - the public frame names, importable from here as before
    COMPONENTS_CSS_PATH,
    PRINT_CSS_PATH,
    TEMPLATES_DIR,
    PageFrame,
    document_html,
    split_style_sheet,
    strip_external,
)

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

TEMPLATE_NAME = "kamreports"

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


_IMG_WITHOUT_ALT_RE = re.compile(r"<img\b(?![^>]*\balt\s*=)", re.IGNORECASE)


class PackHTMLExporter(HTMLExporter):
    """nbconvert's HTML exporter without the pass it ends with, which parses the whole page with
    BeautifulSoup to give images without one an alt text and JupyterLab's cells a tabindex, then prints
    it again: 0.036 of an account pack's 0.078 s, and 0.13 s more at a worker's first pack (compiling the
    pass's CSS selectors). The basic template has no JupyterLab cells; images without an alt text get
    nbconvert's own words here, by a cheaper search. The rest is ``HTMLExporter.from_notebook_node``
    as nbconvert 7.16 and 7.17 write it (tests/pipeline/test_render.py compares the two)."""

    def from_notebook_node(  # type: ignore[override]
        self, nb: nbformat.NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        from nbconvert.exporters.templateexporter import TemplateExporter
        from nbconvert.filters.highlight import Highlight2HTML
        from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

        language = nb.metadata.get("language_info", {})
        lexer = language.get("pygments_lexer", language.get("name", None))
        self.register_filter("highlight_code",
                             self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return _IMG_WITHOUT_ALT_RE.sub('<img alt="No description has been provided for this image"', html), resources


class Renderer:
    """Holds one configured nbconvert exporter (:class:`PackHTMLExporter`, reused across calls: an
    account pack's first call ~0.11 s, later ~0.04 s). Not thread-safe: use one per thread/process."""

    def __init__(self) -> None:
        c = Config()
        c.HTMLExporter.exclude_input = True
        c.HTMLExporter.exclude_input_prompt = True
        c.HTMLExporter.exclude_output_prompt = True
        c.HTMLExporter.exclude_anchor_links = True
        c.HTMLExporter.anchor_link_text = ""
        c.HTMLExporter.embed_images = True  # markdown images/attachments as data URIs
        c.HTMLExporter.sanitize_html = False  # display(HTML(...)) is our own markup
        # The notebook is checked against the schema once, after the last preprocessor, not after each
        # of the 13 (an account pack's HTML: 0.092 -> 0.044 s); an invalid one still raises.
        c.HTMLExporter.optimistic_validation = True
        c.NbConvertBase.display_data_priority = list(DISPLAY_PRIORITY)
        c.TagRemovePreprocessor.enabled = True
        c.TagRemovePreprocessor.remove_cell_tags = {"remove", "parameters", "injected-parameters"}
        c.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output"}
        c.CoalesceStreamsPreprocessor.enabled = True
        self._exporter = PackHTMLExporter(
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
        self._base_sheet: Any = None   # the static style sheet, parsed (see _style_sheets)

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
        libraries.load()   # WeasyPrint's import without its compiler calls
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher

        pdf_images.install()   # charts' PNG rows go into the PDF as they are, not encoded again
        fetcher = URLFetcher(allowed_protocols={"data"}, timeout=5)
        self.last_pdf_messages = messages = []
        try:
            with _captured_logs(("weasyprint", "fontTools"), messages):
                html, sheets = self._style_sheets(html, fetcher)
                return HTML(string=html, base_url=None, url_fetcher=fetcher).render(font_config=self._fonts(),
                                                                                    stylesheets=sheets)
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

    def _style_sheets(self, html: str, fetcher: Any) -> tuple[str, list[Any]]:
        """The document to lay out and the style sheets to lay it out with. For a document from
        :func:`document_html`, the static sheet is parsed once per renderer: parsing it and compiling
        its selectors again for every pack was ~5 % of a pack's layout (0.05 s). Any other document
        keeps its ``<style>`` and is laid out as it is."""
        from weasyprint import CSS

        split = split_style_sheet(html)
        if split is None:
            return html, []
        html, base, rest = split
        if self._base_sheet is None:   # the static sheet is the same for every document of a process
            self._base_sheet = CSS(string=base, url_fetcher=fetcher, font_config=self._fonts())
        return html, [self._base_sheet, CSS(string=rest, url_fetcher=fetcher, font_config=self._fonts())]

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
