"""Issue 5 promises checked on real files: exporters, the index in a real browser, stderr never leaks."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from pypdf import PdfReader

from kamreports.pipeline.jobs import Job, Worker
from tests.conftest import pdf_pages

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def built(sample_build) -> Path:
    """The session's shared build of ACC-0002, ACC-0147 and ACC-0005 (tests/conftest.py): read only."""
    return sample_build


@pytest.mark.slow
def test_nbconvert_entry_point_renders_a_built_notebook_like_the_build(built, tmp_path):
    notebook = next(built.glob("accounts/acc-0002-*/account_plan.ipynb"))
    subprocess.run([sys.executable, "-m", "nbconvert", "--to", "kamreports_pdf", str(notebook),
                    "--output-dir", str(tmp_path)], check=True, capture_output=True)
    pdf = tmp_path / "account_plan.pdf"
    pages = pdf_pages(pdf)
    assert len(pages) == len(PdfReader(notebook.with_suffix(".pdf")).pages)
    assert all("Solstice Textiles · 2026Q3 · Confidential" in text for text in pages)
    subprocess.run([sys.executable, "-m", "nbconvert", "--to", "kamreports_html", str(notebook),
                    "--output-dir", str(tmp_path)], check=True, capture_output=True)
    html = (tmp_path / "account_plan.html").read_text()
    assert "Solstice Textiles" in html and "<script" not in html and "open_portfolio" not in html


@pytest.mark.slow
def test_cover_carries_company_account_quarter_and_as_of(built):
    first = " ".join((PdfReader(next(built.glob("accounts/acc-0002-*/account_plan.pdf"))).pages[0]
                      .extract_text() or "").split())
    for text in ("NORTHWIND COMPONENTS", "Solstice Textiles", "2026Q3", "Data as of 2026-09-30", "Confidential"):
        assert text in first


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is installed by ./quickstart test; absent here")
def test_index_opens_offline_in_headless_chromium_and_sorts(built, tmp_path):
    index = built / "index.html"
    shot = tmp_path / "index.png"
    subprocess.run([CHROMIUM, *CHROME_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
                    "--window-size=1200,800", index.as_uri()], check=True, capture_output=True, timeout=120)
    assert shot.stat().st_size > 10_000  # a real rendered page, not a blank one
    dom = subprocess.run([CHROMIUM, *CHROME_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
                          index.as_uri() + "#sort=revenue-asc"], check=True, capture_output=True, text=True,
                         timeout=120).stdout
    order = re.findall(r'<tr><td class="" data-v="([^"]+)"', dom)
    # by trailing-4-quarter revenue, smallest first: the subsidiary, then Trident, then Solstice
    assert order == ["Juniper Mining Iberia", "Trident Energy", "Solstice Textiles"]
    assert 'aria-sort="ascending"' in dom


def test_a_notebook_writing_to_stderr_still_yields_a_clean_pack(tmp_path):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [
        nbformat.v4.new_code_cell("title = 'x'", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "import sys, warnings\n"
            "print('NOISE ON STDERR', file=sys.stderr)\n"
            "warnings.warn('A LOUD USERWARNING')\n"
            "from IPython.display import HTML, display\n"
            "display(HTML(f'<h1>{title}</h1><p>Clean body text</p>'))\n"
            "object()"),
    ]
    source = tmp_path / "noisy.ipynb"
    nbformat.write(nb, source)
    job = Job("noisy", "account", "Noisy", str(source), "noisy", {"title": "Noisy Account"},
              title="Noisy", running_header="Noisy · 2026Q3 · Confidential", footer_note="test")
    worker = Worker(timeout=60)
    try:
        result = worker.run(job, tmp_path / "out")
    finally:
        worker.close()
    assert result.status == "built", result.error
    html = (tmp_path / "out" / "noisy" / "noisy.html").read_text()
    text = " ".join(p.extract_text() or "" for p in PdfReader(tmp_path / "out" / "noisy" / "noisy.pdf").pages)
    for rendered in (html, text):
        assert "Noisy Account" in rendered and "Clean body text" in rendered
        for leak in ("NOISE ON STDERR", "LOUD USERWARNING", "UserWarning", "<object object", "0x"):
            assert leak not in rendered


@pytest.mark.slow
def test_a_built_packs_pdf_is_the_one_its_html_makes_laid_out_as_it_is(built):
    """The build parses the static style sheet once per worker (pipeline.document.split_style_sheet):
    the PDF of a real account pack and of the portfolio review is, byte for byte, the one WeasyPrint
    makes of the written HTML with its <style> element left in."""
    from kamreports.pipeline.document import split_style_sheet
    from tests.pipeline.test_render import as_written

    account = next(built.glob("accounts/acc-0002-*/account_plan.html"))
    for html in (account, built / "portfolio" / "portfolio_review.html"):
        text = html.read_text(encoding="utf-8")
        assert split_style_sheet(text) is not None, f"{html.name} no longer takes the parsed-once path"
        assert html.with_suffix(".pdf").read_bytes() == as_written(text), html

