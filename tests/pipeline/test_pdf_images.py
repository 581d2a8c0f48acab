"""Charts' PNG rows go into the PDF as they are (``pipeline.pdf_images``): same pixels as WeasyPrint's
own way, only for the PNGs whose rows a PDF reads as they are, and WeasyPrint's way for every other."""
from __future__ import annotations

import base64
import io
import struct
import zlib

import pytest
from PIL import Image
from pypdf import PdfReader

from kamreports.pipeline import pdf_images
from kamreports.pipeline.render import PageFrame, Renderer, document_html


def _chart(mode: str = "RGB", size: tuple[int, int] = (120, 48)) -> Image.Image:
    """A small picture with edges, flat areas and a gradient: every PNG row filter gets used."""
    image = Image.new("RGB", size, "white")
    pixels = image.load()
    for x in range(size[0]):
        for y in range(size[1]):
            if (x // 10 + y // 8) % 3 == 0:
                pixels[x, y] = (x * 2 % 256, y * 5 % 256, (x * y) % 256)
    return image.convert(mode)


def _png(image: Image.Image, **save: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", **save)
    return out.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _with_header(png: bytes, **fields: int) -> bytes:
    """The PNG with IHDR fields changed (depth, colour, interlace), CRC made anew."""
    width, height, depth, colour, compression, filters, interlace = struct.unpack(">IIBBBBB", png[16:29])
    values = {"depth": depth, "colour": colour, "interlace": interlace} | fields
    body = struct.pack(">IIBBBBB", width, height, values["depth"], values["colour"], compression, filters,
                       values["interlace"])
    return png[:8] + _chunk(b"IHDR", body) + png[33:]


def test_rows_of_an_rgb_png_are_its_idat_data_and_decode_to_its_pixels():
    image = _chart()
    png = _png(image)
    rows = pdf_images.png_rows(png)
    assert rows is not None
    # one filter byte and three bytes a pixel per row, as a PDF with /Predictor 15 /Colors 3 reads them
    assert len(zlib.decompress(rows)) == image.height * (1 + 3 * image.width)
    # the same rows in a PNG of our own making (one IDAT chunk, our IHDR) are the same picture
    rebuilt = png[:33] + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")
    assert Image.open(io.BytesIO(rebuilt)).tobytes() == image.tobytes()


def test_rows_joined_from_several_idat_chunks():
    png = _png(_chart())
    head, rows = png[:33], pdf_images.png_rows(png)
    split = head + _chunk(b"IDAT", rows[:50]) + _chunk(b"tEXt", b"note\x00x") + _chunk(b"IDAT", rows[50:]) \
        + _chunk(b"IEND", b"")
    assert pdf_images.png_rows(split) == rows


@pytest.mark.parametrize("png", [
    pytest.param(lambda: _png(_chart("RGBA")), id="rgba"),
    pytest.param(lambda: _png(_chart("L")), id="grey"),
    pytest.param(lambda: _png(_chart("P")), id="palette"),
    pytest.param(lambda: _with_header(_png(_chart()), depth=16), id="16-bit"),
    pytest.param(lambda: _with_header(_png(_chart()), interlace=1), id="interlaced"),
    pytest.param(lambda: _png(_chart())[:-12], id="no IEND"),
    pytest.param(lambda: _png(_chart())[:60], id="cut in a chunk"),
    pytest.param(lambda: b"GIF89a" + _png(_chart())[6:], id="not a PNG"),
    pytest.param(lambda: b"", id="empty"),
])
def test_other_pngs_have_no_rows_to_pass(png):
    assert pdf_images.png_rows(png()) is None


def _pdf_images(images: list[bytes]) -> tuple[list[bytes], list[bytes]]:
    """(each image's pixels as the PDF gives them, each image's raw stream in the PDF)."""
    body = "".join(f'<p><img alt="chart {n}" src="data:image/png;base64,{base64.b64encode(png).decode()}"'
                   ' style="width: 6cm"></p>' for n, png in enumerate(images))
    data, _pages = Renderer().pdf_bytes(document_html(body, PageFrame("Images", "Images", "")))
    reader = PdfReader(io.BytesIO(data))
    shown = [image.image for page in reader.pages for image in page.images]
    xobjects = [x for page in reader.pages
                for x in (o.get_object() for o in page["/Resources"]["/XObject"].values())]
    return [s.convert("RGB").tobytes() for s in shown], [x._data for x in xobjects]


def test_pdf_images_hold_the_same_pixels_with_and_without_and_rgb_rows_are_passed_as_they_are(monkeypatch):
    sources = [_chart(), _chart("RGBA", (64, 40)), _chart("P", (50, 30)), _chart("L", (30, 50))]
    # compressed less than Pillow's default, so that WeasyPrint's own encoding of the rows differs from ours
    pngs = [_png(image, compress_level=1) for image in sources]
    pdf_images.uninstall()
    with monkeypatch.context() as patched:   # the renderer installs it on every render: not this time
        patched.setattr(pdf_images, "install", lambda: False)
        encoded_again, raw_before = _pdf_images(pngs)
    passed, raw_after = _pdf_images(pngs)
    assert passed == encoded_again
    assert passed == [image.convert("RGB").tobytes() for image in sources]
    # the RGB chart's stream is its own PNG's rows; before, WeasyPrint's new encoding of the same pixels
    assert pdf_images.png_rows(pngs[0]) in raw_after
    assert pdf_images.png_rows(pngs[0]) not in raw_before


def test_a_weasyprint_without_the_function_is_left_as_it_is(monkeypatch):
    from weasyprint import images

    pdf_images.uninstall()
    try:
        monkeypatch.delattr(images.RasterImage, "_get_png_data")
        assert pdf_images.install() is False
        assert "_get_png_data" not in images.RasterImage.__dict__
    finally:
        monkeypatch.undo()
        pdf_images.install()
