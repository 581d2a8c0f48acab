"""Cover pages: company, logo (or a monogram), title, quarter, as-of date, marking."""
from __future__ import annotations

from html import escape

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


def cover_html(company: str, logo_uri: str, kind: str, title: str, quarter: str, meta: str, mark: str,
               part_label: str | None = None) -> str:
    """A cover section. ``part_label`` seeds the book's running header on this page."""
    from .document import css_string

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
