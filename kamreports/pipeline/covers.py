"""Cover pages: company, logo (or a monogram), title, quarter, as-of date, marking."""
from __future__ import annotations

import base64
from html import escape
from pathlib import Path

COVER_CSS = """
.kam-cover { min-height: 220mm; display: flex; flex-direction: column; break-after: page; }
.kam-cover .cover-brand { display: flex; align-items: center; gap: 5mm; margin-top: 8mm; }
.kam-cover .cover-brand img { height: 16mm; width: auto; }
.kam-cover .cover-company { font-size: 13pt; letter-spacing: .08em; text-transform: uppercase;
  color: var(--kam-accent, #e07a1f); font-weight: bold; }
.kam-cover .cover-body { margin-top: 55mm; border-left: 3mm solid var(--kam-accent, #e07a1f); padding-left: 7mm; }
.kam-cover .cover-kind { font-size: 13pt; color: #555; text-transform: uppercase; letter-spacing: .06em; }
.kam-cover .cover-title { font-size: 28pt; font-weight: bold; line-height: 1.15; margin: 3mm 0;
  color: var(--kam-primary, #1f3b5c); overflow-wrap: anywhere; }
.kam-cover .cover-quarter { font-size: 18pt; color: #333; }
.kam-cover .cover-meta { margin-top: 8mm; color: #555; font-size: 10pt; }
.kam-cover .cover-mark { margin-top: auto; padding-top: 30mm; font-weight: bold; color: #8a1c1c; font-size: 10pt; }
"""


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


def cover_html(company: str, logo_uri: str, kind: str, title: str, quarter: str, meta: str, mark: str,
               part_label: str | None = None) -> str:
    """A cover section. ``part_label`` seeds the book's running header on this page."""
    from .render import css_string

    string_set = f' style="string-set: part {escape(css_string(part_label))}"' if part_label else ""
    return (
        f'<section class="kam-cover"{string_set}>'
        f'<div class="cover-brand"><img src="{logo_uri}" alt="{escape(company)} logo"/>'
        f'<span class="cover-company">{escape(company)}</span></div>'
        f'<div class="cover-body"><div class="cover-kind">{escape(kind)}</div>'
        f'<div class="cover-title">{escape(title)}</div>'
        f'<div class="cover-quarter">{escape(quarter)}</div>'
        f'<div class="cover-meta">{escape(meta)}</div></div>'
        f'<div class="cover-mark">{escape(mark)}</div>'
        "</section>"
    )
