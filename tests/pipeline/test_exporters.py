"""The nbconvert exporters (``kamreports.pipeline.exporters``): the page frame a build stored in a
notebook's metadata, or a plain one; a self-contained HTML page without input code; PDF bytes."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from pypdf import PdfReader

from kamreports.pipeline.exporters import KamHTMLExporter, KamPDFExporter, frame_from_metadata
from kamreports.pipeline.render import PageFrame

STORED = {"title": "Acme — Account plan", "running_header": "Acme · 2026Q3 · Confidential",
          "footer_note": "Data as of 2026-09-30", "page_size": "Letter", "primary_color": "#112233",
          "accent_color": "#445566", "cover_html": '<section class="kam-cover">Cover</section>',
          "extra_css": ".kpi { color: red; }"}


def notebook(**kamreports: object):
    nb = new_notebook(cells=[
        new_markdown_cell("# Hello readers\n\nSome prose."),
        new_code_cell("secret_code = 41 + 1\ndisplay(HTML(table_of_secrets))", execution_count=1, outputs=[
            new_output("display_data", data={"text/html": '<p class="kept">Shown to readers</p>',
                                              "text/plain": "<IPython.core.display.HTML object>"}),
            new_output("stream", name="stderr", text="a warning nobody should read\n"),
            new_output("execute_result", data={"text/plain": "42"}, execution_count=1),
        ]),
    ])
    if kamreports:
        nb.metadata["kamreports"] = kamreports
    return nb


def rendered_today() -> set[str]:
    """The footer of a frame made now (either side of midnight)."""
    today = dt.date.today()
    return {f"Rendered {d.isoformat()}" for d in (today, today + dt.timedelta(days=1))}


# --- frame_from_metadata ---------------------------------------------------------------------------

def test_a_notebook_without_stored_metadata_gets_a_plain_frame():
    frame, cover, css = frame_from_metadata(notebook(), "Q3 review")
    assert (frame.title, frame.running_header) == ("Q3 review", "Q3 review")
    assert frame.footer_note in rendered_today()
    assert (frame.page_size, frame.primary_color, frame.accent_color) == ("A4", "#1f3b5c", "#e07a1f")
    assert (cover, css) == ("", "")
    assert frame_from_metadata(notebook())[0].title == "Report"     # no name given either


def test_the_frame_cover_and_css_a_build_stored_are_used():
    frame, cover, css = frame_from_metadata(notebook(**STORED), "ignored")
    assert frame == PageFrame(title="Acme — Account plan", running_header="Acme · 2026Q3 · Confidential",
                              footer_note="Data as of 2026-09-30", page_size="Letter",
                              primary_color="#112233", accent_color="#445566")
    assert cover == STORED["cover_html"] and css == STORED["extra_css"]


def test_empty_stored_values_fall_back_to_the_plain_frame():
    frame, cover, css = frame_from_metadata(notebook(title="", footer_note="", page_size=""), "Q3 review")
    assert frame.title == frame.running_header == "Q3 review"
    assert frame.footer_note in rendered_today() and frame.page_size == "A4"
    assert (cover, css) == ("", "")


def test_a_bad_stored_value_is_refused_like_any_page_frame():
    with pytest.raises(ValueError, match="page_size"):
        frame_from_metadata(notebook(page_size="A5"))


# --- the exporters ---------------------------------------------------------------------------------

def test_html_exporter_gives_a_self_contained_page_without_input_code():
    html, resources = KamHTMLExporter().from_notebook_node(notebook(**STORED))
    assert isinstance(html, str) and html.lstrip().lower().startswith("<!doctype html>")
    assert "<title>Acme — Account plan</title>" in html
    assert '<section class="kam-cover">Cover</section>' in html and ".kpi { color: red; }" in html
    assert "Hello readers" in html and '<p class="kept">Shown to readers</p>' in html
    for hidden in ("secret_code", "table_of_secrets", "a warning nobody should read", "In [", "Out["):
        assert hidden not in html, hidden
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html)       # nothing fetched from elsewhere
    assert "<style>" in html and "@page" in html                                      # the print CSS is inlined
    assert isinstance(resources, dict)
    assert KamHTMLExporter().file_extension == ".html"


def test_html_exporter_on_a_plain_notebook_titles_it_by_its_name():
    html, _resources = KamHTMLExporter().from_notebook_node(notebook(), resources={"metadata": {"name": "q3"}})
    assert "<title>q3</title>" in html and "Shown to readers" in html and "secret_code" not in html


def test_pdf_exporter_gives_pdf_bytes_in_the_stored_frame():
    data, resources = KamPDFExporter().from_notebook_node(notebook(**STORED))
    assert isinstance(data, bytes) and data.startswith(b"%PDF")
    pages = PdfReader(io.BytesIO(data)).pages
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in pages)
    assert "Shown to readers" in text and "Acme · 2026Q3 · Confidential" in text and "secret_code" not in text
    box = pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)      # Letter, as stored
    assert isinstance(resources, dict) and KamPDFExporter().file_extension == ".pdf"
