"""Charts go into the PDF as the PNG data they already are, not decoded and compressed again.

Why: WeasyPrint puts a PNG into a PDF as its compressed rows (a Flate stream with PNG predictors,
which PDF reads as PNG does). To get them it decodes the PNG with Pillow and encodes it again
(``RasterImage._get_png_data``), and for our charts, 8-bit RGB PNGs made by Pillow in the kernel, that
second encoding is most of what writing the PDF costs: 0.09 CPU-s of an account pack's 0.74, 0.25 of
the portfolio review's 1.4. The compressed rows of such a PNG are its IDAT chunks, joined: that is what
this module gives WeasyPrint. Any other image (another depth or colour type, interlaced, a mask, an
image WeasyPrint converted or scaled) takes WeasyPrint's own way, unchanged.

``install`` replaces one private function of WeasyPrint; if a WeasyPrint release no longer has it,
nothing is replaced and PDFs are made as WeasyPrint makes them. ``tests/pipeline/test_pdf_images.py``
checks on the installed WeasyPrint that the PDF's images hold the same pixels either way.
"""
from __future__ import annotations

import io
import struct
from collections.abc import Callable
from typing import Any

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: IHDR fields after width and height: bit depth 8, colour type 2 (RGB), deflate, adaptive filters,
#: no interlacing. Only these rows are what a PDF image with ``/Colors 3 /Predictor 15`` reads.
_PASSED_THROUGH = (8, 2, 0, 0, 0)
_installed: dict[str, Callable[[Any], bytes]] = {}


def png_rows(png: bytes) -> bytes | None:
    """The compressed rows (the IDAT chunks, joined) of an 8-bit RGB, non-interlaced PNG; None for
    any other PNG, or bytes that are not a whole PNG."""
    if not png.startswith(PNG_SIGNATURE):
        return None
    position, header, rows = len(PNG_SIGNATURE), None, []
    while position + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[position:position + 8])
        body = png[position + 8:position + 8 + length]
        if len(body) != length:
            return None   # cut short
        if kind == b"IHDR":
            if length != 13 or struct.unpack(">IIBBBBB", body)[2:] != _PASSED_THROUGH:
                return None
            header = body
        elif kind == b"IDAT":
            rows.append(body)
        elif kind == b"IEND":
            return b"".join(rows) if header is not None and rows else None
        position += 12 + length   # length, kind, body, CRC
    return None   # no IEND: not a whole PNG


def install() -> bool:
    """Give WeasyPrint the rows of 8-bit RGB PNGs as they are (once per process). False when this
    WeasyPrint has no ``RasterImage._get_png_data`` to replace."""
    if _installed:
        return True
    from weasyprint import images

    original = images.RasterImage.__dict__.get("_get_png_data")
    if not isinstance(original, staticmethod):
        return False
    encode_again = original.__func__

    def png_data(pillow_image: Any) -> bytes:
        # WeasyPrint's RGB path hands over the image it has just opened from the PNG's bytes, not yet
        # decoded: those bytes are its file. Converted images (an alpha channel split off) have none.
        source = getattr(pillow_image, "fp", None)
        if pillow_image.format == "PNG" and pillow_image.mode == "RGB" and isinstance(source, io.BytesIO):
            rows = png_rows(source.getvalue())
            if rows is not None:
                return rows
        return encode_again(pillow_image)

    images.RasterImage._get_png_data = staticmethod(png_data)
    _installed["encode_again"] = encode_again
    return True


def uninstall() -> None:
    """Put WeasyPrint's own function back (tests compare the two)."""
    if _installed:
        from weasyprint import images

        images.RasterImage._get_png_data = staticmethod(_installed.pop("encode_again"))
