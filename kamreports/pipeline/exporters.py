"""nbconvert exporters, registered under the ``nbconvert.exporters`` entry point.

``jupyter nbconvert --to kamreports_html`` and ``--to kamreports_pdf`` give the
same pages as the build: no code, no prompts, no stderr, print layout. The
build stores each pack's frame (title, running header, footer, page size,
colours, cover) in the executed notebook's metadata under ``kamreports``,
so re-rendering a built notebook by hand reproduces its pack exactly.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import nbformat
from nbconvert.exporters import Exporter
from traitlets import default

from .render import PageFrame, Renderer, document_html

FRAME_KEYS = ("title", "running_header", "footer_note", "page_size", "primary_color", "accent_color")


def frame_from_metadata(nb: nbformat.NotebookNode, name: str = "Report") -> tuple[PageFrame, str, str]:
    """The page frame, cover HTML and extra CSS a build stored, or a plain frame for any other notebook."""
    meta = dict(nb.metadata.get("kamreports", {}))
    title = meta.get("title") or name
    frame = PageFrame(**{"title": title, "running_header": title,
                         "footer_note": f"Rendered {dt.date.today().isoformat()}",
                         **{k: meta[k] for k in FRAME_KEYS if meta.get(k)}})
    return frame, meta.get("cover_html", ""), meta.get("extra_css", "")


class _KamExporter(Exporter):
    _renderer: Renderer | None = None

    def _page(self, nb: nbformat.NotebookNode, resources: dict[str, Any]) -> str:
        if _KamExporter._renderer is None:
            _KamExporter._renderer = Renderer()
        name = (resources.get("metadata") or {}).get("name", "Report")
        frame, cover, css = frame_from_metadata(nb, name)
        return document_html(cover + _KamExporter._renderer.body_html(nb), frame, extra_css=css)


class KamHTMLExporter(_KamExporter):
    """Self-contained HTML pack: print CSS inlined, nothing fetched from elsewhere."""

    export_from_notebook = "kamreports HTML"
    output_mimetype = "text/html"

    @default("file_extension")
    def _file_extension_default(self) -> str:
        return ".html"

    def from_notebook_node(self, nb: nbformat.NotebookNode, resources: dict[str, Any] | None = None,
                           **kw: Any) -> tuple[str, dict[str, Any]]:
        nb_copy, resources = super().from_notebook_node(nb, resources, **kw)
        return self._page(nb_copy, resources), resources


class KamPDFExporter(_KamExporter):
    """Print-ready PDF through WeasyPrint."""

    export_from_notebook = "kamreports PDF"
    output_mimetype = "application/pdf"

    @default("file_extension")
    def _file_extension_default(self) -> str:
        return ".pdf"

    def from_notebook_node(self, nb: nbformat.NotebookNode, resources: dict[str, Any] | None = None,
                           **kw: Any) -> tuple[bytes, dict[str, Any]]:
        nb_copy, resources = super().from_notebook_node(nb, resources, **kw)
        html = self._page(nb_copy, resources)
        data, _pages = _KamExporter._renderer.pdf_bytes(html)  # type: ignore[union-attr]
        return data, resources
