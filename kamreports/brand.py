"""The company's mark on every pack: its logo, or a monogram when it gave none.

Both the pipeline (the book's cover, index.html) and the pages (the band at the top of page one)
show it, so it is made here once, as a data URI: a pack needs no file beside it.
"""
from __future__ import annotations

import base64
from html import escape
from pathlib import Path

from .config import Settings


def logo_data_uri(path: Path | None) -> str | None:
    """The logo embedded as a data URI, so the pack needs no file beside it."""
    if path is None:
        return None
    kind = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
    mime = kind[path.suffix.lower()]
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def monogram_data_uri(name: str, color: str) -> str:
    """A square with the company's initials, for companies that gave no logo."""
    initials = "".join(w[0] for w in name.split()[:2] if w and w[0].isalnum()).upper() or "K"
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
           f'<rect width="64" height="64" rx="8" fill="{escape(color)}"/>'
           f'<text x="32" y="42" font-family="DejaVu Sans, sans-serif" font-size="26" font-weight="bold" '
           f'fill="white" text-anchor="middle">{escape(initials)}</text></svg>')
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def brand_logo(settings: Settings) -> str:
    """The company's logo (``company.logo``) or its monogram, as a data URI."""
    company = settings.company
    return logo_data_uri(settings.resolve(company.logo)) or monogram_data_uri(company.name, company.primary_color)
