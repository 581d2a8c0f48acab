"""Tight layout (issue 15): in the sample build, no page of a pack but its last is less than about
40% filled, and page one of each account plan is a full page.

How full a page is: how far down its text and images (charts) reach between the running header
and footer bands, read from the PDF's drawing positions (pypdf), so no rasteriser is needed
(checked by hand against ``../shared/tools/pagefill``, which measures ink: within 2 points on the
sample's pages, a page ending in a chart included).
"""
from __future__ import annotations

import pytest
from pypdf import PdfReader

BAND = 0.08          # the running header and footer: the top and bottom 8% of the page
LEAST = 0.40         # "no page except the last less than about 40% filled"


def fills(path) -> list[float]:
    out = []
    for page in PdfReader(path).pages:
        height = float(page.mediabox.height)
        top, bottom = height * (1 - BAND), height * BAND
        ys: list[float] = []

        def text(value, cm, tm, _font, _size, ys=ys):
            if value.strip():
                ys.append(tm[5] * cm[3] + cm[5])

        def drawn(operator, _args, cm, _tm, ys=ys):
            if operator == b"Do":      # an image (a chart): the unit square under the current matrix
                ys.append(cm[5] + min(0.0, cm[3]))

        page.extract_text(visitor_text=text, visitor_operand_before=drawn)
        inside = [y for y in ys if bottom < y < top]
        out.append((top - min(inside)) / (top - bottom) if inside else 0.0)
    return out


def test_the_measure_tells_a_full_page_from_an_empty_one(tmp_path):
    from weasyprint import HTML

    pdf = tmp_path / "two.pdf"
    png = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
    HTML(string="<p>one line</p><p style='break-before: page; margin-top: 180mm'>low on the page</p>"
                f"<p style='break-before: page'>a chart below</p><img src='data:image/png;base64,{png}' "
                "style='width: 50mm; height: 150mm'>").write_pdf(pdf)
    first, second, third = fills(pdf)
    assert first < 0.1 and second > 0.7 and third > 0.6


@pytest.mark.slow
def test_no_page_but_the_last_is_mostly_empty(sample_build):
    packs = sorted(sample_build.glob("accounts/*/account_plan.pdf")) + [sample_build / "portfolio" /
                                                                           "portfolio_review.pdf"]
    assert len(packs) >= 4
    thin = []
    for pdf in packs:
        pages = fills(pdf)
        assert len(pages) >= 2, pdf
        thin += [f"{pdf.parent.name} page {n}: {f:.0%}" for n, f in enumerate(pages[:-1], start=1) if f < LEAST]
        if pdf.name == "account_plan.pdf":
            assert pages[0] > 0.6, (pdf.parent.name, "page one is the one-pager: a full page")
    assert not thin, thin


@pytest.mark.slow
def test_a_plan_is_at_most_8_pages_and_the_review_at_most_16(sample_build):
    for pdf in sample_build.glob("accounts/*/account_plan.pdf"):
        assert len(PdfReader(pdf).pages) <= 8, pdf.parent.name
    assert len(PdfReader(sample_build / "portfolio" / "portfolio_review.pdf").pages) <= 16
