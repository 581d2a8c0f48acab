"""Tests for kamreports.pipeline.render: what reaches an executive's pack.

The notebook is built by hand (no kernel) so the tests are fast and every
output type we care about is present exactly once.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from kamreports.pipeline.render import PageFrame, Renderer, document_html

pypdf = pytest.importorskip("pypdf")

HEADER = 'Sequoia "Telecom" · 2026Q3 · Confidential'
FRAME = PageFrame(
    title="Sequoia Telecom — Account plan",
    running_header=HEADER,
    footer_note="Data as of 2026-09-30",
)

TABLE_HTML = (
    '<table class="kam"><thead><tr><th>Product</th><th class="num">Revenue</th></tr></thead>'
    '<tbody><tr><td>Managed WAN</td><td class="num">1,234,567</td></tr>'
    '<tr><td>Cloud voice</td><td class="num">765,432</td></tr></tbody></table>'
)


def _png_b64() -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2), dpi=50)
    ax.plot([1, 2, 3], [3, 1, 2])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    data = buf.getvalue()
    assert data.startswith(b"\x89PNG")
    return base64.b64encode(data).decode("ascii")


@pytest.fixture(scope="module")
def png_b64() -> str:
    return _png_b64()


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


@pytest.fixture()
def notebook(png_b64: str) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.cells = [
        new_markdown_cell("# Title\n\nQuarterly review of the account.\n\n## Section\n\nRevenue by product."),
        new_code_cell(
            "display(HTML(table)); plt.show(); warnings.warn('x'); 'Out leak'",
            execution_count=7,
            outputs=[
                new_output("display_data", data={"text/html": TABLE_HTML, "text/plain": "<IPython.HTML>"}),
                new_output("display_data", data={"image/png": png_b64, "text/plain": "<Figure>"}),
                new_output("stream", name="stderr", text="WARNING leak\n"),
                new_output("execute_result", data={"text/plain": "'Out leak'"}, execution_count=7),
            ],
        ),
        new_code_cell(
            "raise ValueError",
            execution_count=8,
            outputs=[new_output("error", ename="ValueError", evalue="Traceback leak", traceback=["Traceback leak"])],
        ),
        new_markdown_cell("Internal note: REMOVED CELL", metadata={"tags": ["remove"]}),
    ]
    return nb


EXTERNAL_REF = re.compile(
    r"""(src|href)\s*=\s*["']?\s*(https?:)?//|@import|url\(\s*["']?\s*(https?:)?//|(src|href)\s*=\s*["']?[^"'>]*http""",
    re.IGNORECASE,
)


def test_body_html_keeps_report_outputs_only(renderer: Renderer, notebook, png_b64: str) -> None:
    body = renderer.body_html(notebook)

    assert "<html" not in body.lower() and "<head" not in body.lower()
    # markdown rendered as headings and prose, without anchor pilcrows
    assert re.search(r"<h1[^>]*>\s*Title", body)
    assert re.search(r"<h2[^>]*>\s*Section", body)
    assert "¶" not in body
    # display(HTML(...)) passed through as real HTML, not escaped text
    assert TABLE_HTML.split("<tbody>")[0] in body
    assert '<td class="num">1,234,567</td>' in body
    assert f"data:image/png;base64,{png_b64[:60]}" in body
    # nothing a reader should not see
    for leak in ("WARNING leak", "Out leak", "Traceback leak", "REMOVED CELL", "display(HTML", "In [", "In&nbsp;[",
                 "Out["):
        assert leak not in body, leak
    assert "<script" not in body.lower()


def test_body_html_does_not_mutate_notebook(renderer: Renderer, notebook) -> None:
    before = nbformat.writes(notebook)
    renderer.body_html(notebook)
    assert nbformat.writes(notebook) == before


def test_page_html_is_self_contained(renderer: Renderer, notebook) -> None:
    page = renderer.page_html(notebook, FRAME)

    assert page.lstrip().lower().startswith("<!doctype html>")
    assert "<title>Sequoia Telecom — Account plan</title>" in page
    assert "<style>" in page and "@page" in page and "counter(pages)" in page
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()
    assert not EXTERNAL_REF.search(page), EXTERNAL_REF.search(page)
    assert "WARNING leak" not in page and "Out[" not in page


def test_external_resources_in_outputs_are_stripped(renderer: Renderer) -> None:
    nb = new_notebook()
    nb.cells = [
        new_code_cell(
            "",
            outputs=[
                new_output(
                    "display_data",
                    data={
                        "application/javascript": "alert('js')",
                        "text/html": (
                            "<p>kept text</p><script src='https://cdn.example.com/x.js'></script>"
                            "<img src='https://example.com/logo.png'>"
                            "<a href='https://crm.example.com/acc/1'>CRM record</a>"
                            "<style>@import url('https://fonts.example.com/f.css'); p { color: red }</style>"
                        ),
                    },
                )
            ],
        )
    ]
    page = document_html(renderer.body_html(nb), FRAME)
    assert "kept text" in page and "CRM record" in page
    assert "alert(" not in page and "<script" not in page.lower()
    assert not EXTERNAL_REF.search(page), EXTERNAL_REF.search(page)


def _page_texts(pdf_path: Path) -> list[str]:
    reader = pypdf.PdfReader(str(pdf_path))
    return [page.extract_text() or "" for page in reader.pages]


def test_write_pdf_pages_header_and_numbers(renderer: Renderer, notebook, tmp_path: Path) -> None:
    pdf = tmp_path / "out" / "plan.pdf"
    n = renderer.write_pdf(renderer.page_html(notebook, FRAME), pdf)

    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
    assert not pdf.with_suffix(".pdf.tmp").exists()
    texts = _page_texts(pdf)
    assert n == len(texts)
    assert n >= 2, "the '## Section' heading must start a new page"
    assert "Title" in texts[0] and "Section" not in texts[0]
    assert "Section" in texts[1]

    for i, text in enumerate(texts, start=1):
        flat = " ".join(text.split())
        assert HEADER in flat, (i, flat[:200])
        assert "Data as of 2026-09-30" in flat
        assert f"Page {i} of {n}" in flat
    joined = " ".join(" ".join(t.split()) for t in texts)
    assert joined.index(f"Page 1 of {n}") < joined.index(f"Page 2 of {n}")
    assert "WARNING leak" not in joined and "Out leak" not in joined


def test_title_directly_followed_by_section_shares_first_page(renderer: Renderer, tmp_path: Path) -> None:
    # A page holding only the title would look broken; later h2s still break.
    nb = new_notebook()
    nb.cells = [new_markdown_cell("# Title\n## First\n\nfirst text\n\n## Second\n\nsecond text")]
    pdf = tmp_path / "t.pdf"
    n = renderer.write_pdf(renderer.page_html(nb, FRAME), pdf)
    texts = _page_texts(pdf)
    assert n == 2
    assert "First" in texts[0] and "Second" not in texts[0]
    assert "Second" in texts[1]


def test_write_pdf_keeps_weasyprint_quiet(renderer: Renderer, notebook, tmp_path: Path, capfd) -> None:
    html = document_html(renderer.body_html(notebook), FRAME, extra_css="p { frobnicate: 3 }")
    renderer.write_pdf(html, tmp_path / "q.pdf")
    captured = capfd.readouterr()
    assert "frobnicate" not in captured.err + captured.out
    assert any("frobnicate" in m for m in renderer.last_pdf_messages)


@pytest.mark.parametrize(
    "kwargs",
    [{"page_size": "A5"}, {"primary_color": "red; } body { display: none"}, {"accent_color": "url(x)"}],
)
def test_page_frame_rejects_bad_values(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        PageFrame(title="t", running_header="h", footer_note="f", **kwargs)


def test_letter_page_size(renderer: Renderer, tmp_path: Path) -> None:
    nb = new_notebook()
    nb.cells = [new_markdown_cell("# Letter")]
    frame = PageFrame(title="t", running_header="h", footer_note="f", page_size="Letter")
    pdf = tmp_path / "letter.pdf"
    assert renderer.write_pdf(renderer.page_html(nb, frame), pdf) == 1
    box = pypdf.PdfReader(str(pdf)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_a_section_with_nothing_for_the_reader_is_left_out_with_its_heading():
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

    from kamreports.pipeline.render import without_omitted_sections
    from kamreports.present.html import omitted_section

    def shown(html: str):
        return new_code_cell("x", outputs=[new_output("display_data", data={"text/html": html})])

    omitted = omitted_section("no account plan agreed for 2026Q3").data
    cells = [new_markdown_cell("## Growth"), shown("<p>chart</p>"),
             new_markdown_cell("## Value and goals"), shown(omitted),            # heading and cell go
             new_markdown_cell("### Our team"), shown(omitted), shown(omitted),   # a cell without its own heading
             new_markdown_cell("## Whitespace\n\nSome prose."), shown(omitted),   # not only a heading: kept
             new_markdown_cell("## Health"), shown("<p>table</p>")]
    kept = without_omitted_sections(cells)
    assert [c.source if c.cell_type == "markdown" else c.outputs[0]["data"]["text/html"] for c in kept] == [
        "## Growth", "<p>chart</p>", "## Whitespace\n\nSome prose.", "## Health", "<p>table</p>"]
    assert "Left out of the pack: no account plan agreed for 2026Q3." in omitted


def _structure(html: str) -> list[tuple]:
    """The page as WeasyPrint sees it (parsed by its HTML parser, tinyhtml5, so unclosed tags are closed
    as a browser closes them): each element's tag and attributes (classes as a set) and the text in it,
    whitespace collapsed. What the two exporters print differently is only where lines break."""
    import tinyhtml5

    def walk(element, out: list[tuple]) -> list[tuple]:
        tag = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else "comment"
        attrs = {k: (" ".join(sorted(v.split())) if k == "class" else v) for k, v in element.attrib.items()}
        out.append((tag, tuple(sorted(attrs.items())), " ".join((element.text or "").split())))
        for child in element:
            walk(child, out)
            out.append(("tail", " ".join((child.tail or "").split())))
        return out

    return walk(tinyhtml5.parse(html), [])


def test_the_pack_exporter_makes_the_page_nbconverts_own_exporter_makes(renderer: Renderer, notebook,
                                                                        png_b64: str) -> None:
    """PackHTMLExporter leaves out nbconvert's last pass (a BeautifulSoup parse of the whole page); the page
    must be the one nbconvert's HTMLExporter makes with the same settings: same tags, attributes and text,
    images without an alt text given nbconvert's own."""
    from nbconvert import HTMLExporter

    notebook.cells += [
        new_markdown_cell("A chart: ![Revenue by quarter](data:image/png;base64," + png_b64 + ")\n\n"
                          "[the plan](https://example.com/plan) & *emphasis*"),
        new_code_cell("display(HTML(img))", outputs=[new_output(
            "display_data", data={"text/html": f'<p>Logo <img src="data:image/png;base64,{png_b64}"></p>'})]),
    ]
    ours = renderer._exporter
    stock = HTMLExporter(config=ours.config, template_name=ours.template_name,
                         extra_template_basedirs=ours.extra_template_basedirs)
    for preprocessor in ours._preprocessors:
        if type(preprocessor).__module__.startswith("kamreports"):
            stock.register_preprocessor(type(preprocessor), enabled=True)
    mine, theirs = ours.from_notebook_node(notebook)[0], stock.from_notebook_node(notebook)[0]
    assert _structure(mine) == _structure(theirs)
    assert "No description has been provided for this image" in mine   # the logo's image had none
    assert "Revenue by quarter" in mine and "Logo" in mine


@pytest.mark.parametrize("reference", [
    '<img src=//evil.example/x.png>', "<img src='https://evil.example/x.png'>", '<script>alert(1)</script>',
    '<p style="background:url(//evil.example/b.png)">x</p>', '<link rel=stylesheet href=//evil.example/s.css>'])
def test_a_reference_beside_a_charts_data_is_still_found(png_b64: str, reference: str) -> None:
    """The pre-check skips data: payloads (most of a pack); a reference written right after one, even
    unquoted and protocol-relative, must still be found and removed."""
    from kamreports.pipeline.document import strip_external

    page = strip_external(f'<img src=data:image/png;base64,{png_b64} alt=c>{reference}<p>kept</p>')
    assert "evil.example" not in page and "alert(1)" not in page and "kept" in page
    assert "data:image/png;base64," + png_b64 in page


def test_a_reference_in_the_same_tag_as_a_charts_data_is_still_found(png_b64: str) -> None:
    from kamreports.pipeline.document import strip_external

    page = strip_external(f'<img src=data:image/png;base64,{png_b64} srcset=//evil.example/x.png alt=c>')
    assert "evil.example" not in page and "data:image/png;base64," + png_b64 in page


def test_the_notebook_is_checked_against_the_schema_once_and_an_invalid_one_still_fails(
        renderer: Renderer, notebook, monkeypatch) -> None:
    """nbconvert checks the notebook after each of its 13 preprocessors unless told to check once at the end
    (``optimistic_validation``): half an account pack's HTML time. Once it is, and an invalid notebook is
    still refused."""
    real, checks = nbformat.validate, []

    def counting(nb, *args, **kwargs):
        checks.append(nb)
        return real(nb, *args, **kwargs)

    monkeypatch.setattr(nbformat, "validate", counting)
    renderer.body_html(notebook)
    assert len(checks) == 1

    notebook.cells[1].execution_count = "seven"
    with pytest.raises(nbformat.ValidationError):
        renderer.body_html(notebook)


def as_written(html: str) -> bytes:
    """The PDF WeasyPrint makes of ``html`` laid out as it is, its ``<style>`` element included: the
    way every pack was laid out before the renderer parsed the static sheet once."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

    from kamreports.pipeline import pdf_images

    pdf_images.install()   # as the renderer: chart rows passed as they are
    fetcher = URLFetcher(allowed_protocols={"data"}, timeout=5)
    return HTML(string=html, base_url=None, url_fetcher=fetcher).render(font_config=FontConfiguration()).write_pdf()


def test_the_static_sheet_parsed_once_lays_out_the_same_pdf(renderer: Renderer, notebook) -> None:
    from kamreports.pipeline.build import COVER_CSS
    from kamreports.pipeline.document import split_style_sheet

    # a pack as the build makes it: cover CSS after the frame's, a table, a chart, markdown
    html = document_html(renderer.body_html(notebook), FRAME, extra_css=COVER_CSS)
    split = split_style_sheet(html)
    assert split is not None, "the pack's document no longer takes the parsed-once path: this test checks nothing"
    without, base, rest = split
    assert "<style" not in without and base and "@page" in rest and COVER_CSS.strip() in rest
    for _ in range(2):   # the second document reuses the parsed sheet
        assert renderer.pdf_bytes(html)[0] == as_written(html)


@pytest.mark.parametrize("extra", [
    "p { color: red !important }",                     # an origin's !important changes who wins
    "@font-face { font-family: X; src: local(Y) }",    # registered in the document's fonts
])
def test_a_sheet_whose_meaning_depends_on_its_origin_stays_in_the_document(renderer: Renderer, extra: str) -> None:
    from kamreports.pipeline.document import split_style_sheet

    html = document_html("<h1>Title</h1><p style='color: blue'>text</p>", FRAME, extra_css=extra)
    assert split_style_sheet(html) is None
    assert renderer.pdf_bytes(html)[0] == as_written(html)


def test_a_document_with_a_second_style_element_is_laid_out_as_it_is(renderer: Renderer) -> None:
    from kamreports.pipeline.document import split_style_sheet

    # a <style> in the body would be an author sheet left beside user sheets: the cascade would change
    html = document_html("<style>table td { color: red }</style><table class='kam'><tr><td>1</td></tr></table>", FRAME)
    assert split_style_sheet(html) is None
    assert split_style_sheet("<html><body><p>no frame</p></body></html>") is None
    assert renderer.pdf_bytes(html)[0] == as_written(html)
