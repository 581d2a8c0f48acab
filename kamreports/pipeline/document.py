"""The page frame around every document the pipeline lays out: the print style sheets, the running
header and footer, "Page N of M", and the checks that keep a document offline.

Kept apart from :mod:`.render` (which holds the nbconvert exporter) so that what only wraps HTML (the
book, covers, exports) does not import nbconvert: the build's own process lays out the book's front
and chunks from these, and an import of nbconvert there cost half a CPU-second in the middle of a build.
"""
from __future__ import annotations

import html as html_lib
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..protocol import PAGE_SIZES

__all__ = [
    "PageFrame",
    "document_html",
    "css_string",
    "frame_css",
    "strip_external",
    "annotate_tables",
    "TEMPLATES_DIR",
    "COMPONENTS_CSS_PATH",
    "PRINT_CSS_PATH",
    "PAGE_SIZES",
]

log = logging.getLogger("kamreports.pipeline.render")   # the warnings keep the name they always had

#: Folder given to nbconvert as ``extra_template_basedirs``; holds our template
#: dir ``kamreports/``, ``components.css`` and ``print.css``.
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
#: The styles of what ``kamreports.present`` emits (KPI strip, SWOT grid, table.kam, ...),
#: scoped to their classes; ``present.use_pack_styles()`` shows the same file in JupyterLab.
COMPONENTS_CSS_PATH = TEMPLATES_DIR / "components.css"
#: The document: page, fonts, headings, prose, nbconvert wrappers, other tables.
PRINT_CSS_PATH = TEMPLATES_DIR / "print.css"


# Colours end up inside CSS; accept only plain colour syntax so a frame value
# can never inject rules.
_COLOR_RE = re.compile(
    r"^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,30}|(rgb|rgba|hsl|hsla)\(\s*[0-9.,%\s/deg]+\))$"
)

# Anything that could make the document fetch something from elsewhere. Used as
# a cheap pre-check so the common case (our own notebooks) skips HTML parsing.
_EXTERNAL_HINT_RE = re.compile(
    r"<\s*(script|link|iframe|object|embed|base|frame)\b"
    r"|\b(src|href|srcset|poster|action|data)\s*=\s*[\"']?\s*(https?:)?//"
    r"|url\(\s*[\"']?\s*(https?:)?//"
    r"|@import",
    re.IGNORECASE,
)
# The payload of a data: URL (most of a pack's HTML: its charts), left out of the pre-check above, which
# takes 13 ms on an account pack with it and 3 ms without. Only base64 characters go: a reference to
# elsewhere needs others (a quote, a space, "<", ":", "."), so none can hide in what is left out.
_DATA_PAYLOAD_RE = re.compile(r"base64,[A-Za-z0-9+/=]+")
_CSS_URL_RE = re.compile(r"url\(\s*[\"']?\s*(https?:)?//[^)]*\)", re.IGNORECASE)
_CSS_IMPORT_RE = re.compile(r"@import[^;]*;?", re.IGNORECASE)
_EXTERNAL_URL_RE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)

_TABLE_RE = re.compile(r"(<table\b[^>]*>)(.*?</table>)", re.IGNORECASE | re.DOTALL)
_ROW_RE = re.compile(r"<tr\b[^>]*>(.*?)(?=<tr\b|</tbody|</thead|</tfoot|</table)", re.IGNORECASE | re.DOTALL)
_CELL_RE = re.compile(r"<t[hd]\b([^>]*)>", re.IGNORECASE)
_COLSPAN_RE = re.compile(r"colspan\s*=\s*[\"']?(\d+)", re.IGNORECASE)
_CLASS_ATTR_RE = re.compile(r"""\bclass\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)

#: Tables with at most this many rows (header and total rows included) are kept
#: on one page (CSS class kam-keep); 35 rows of 8.5pt fit an A4 or Letter page.
KEEP_TOGETHER_MAX_ROWS = 35
#: Above these column counts tables get smaller type (kam-wide / kam-xwide).
WIDE_MIN_COLUMNS = 9
XWIDE_MIN_COLUMNS = 13


@dataclass(frozen=True)
class PageFrame:
    """What frames every page of one document: title, running header, footer, colours.

    Kept separate from the notebook so the same body can be framed differently
    (single notebook, combined book, cover page) without re-rendering it.
    """

    title: str  # e.g. "Sequoia Telecom — Account plan"
    running_header: str  # e.g. "Sequoia Telecom · 2026Q3 · Confidential", top of every page
    footer_note: str  # e.g. "Data as of 2026-09-30", footer beside "Page N of M"
    page_size: str = "A4"  # "A4" or "Letter"
    primary_color: str = "#1f3b5c"
    accent_color: str = "#e07a1f"

    def __post_init__(self) -> None:
        if self.page_size not in PAGE_SIZES:
            raise ValueError(f"page_size must be one of {PAGE_SIZES}, got {self.page_size!r}")
        for name in ("primary_color", "accent_color"):
            value = getattr(self, name)
            if not _COLOR_RE.match(value.strip()):
                raise ValueError(f"{name} must be a CSS colour like '#1f3b5c', got {value!r}")


def css_string(text: str) -> str:
    """Quote text as a CSS string literal (for ``content:``) so quotes, backslashes,
    newlines and ``</style>`` in a client name cannot break the stylesheet."""
    out = []
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch in "\r\n\f":
            out.append("\\a ")
        elif ch == "<":
            out.append("\\3c ")  # keeps "</style>" out of the <style> element
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(" ")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


@lru_cache(maxsize=1)
def _base_css() -> str:
    """The static stylesheet, read once per process: the components first, then the document's
    print rules (which win ties, e.g. ``table.kam-wide td`` padding over ``table.kam td``)."""
    return "\n".join(path.read_text(encoding="utf-8") for path in (COMPONENTS_CSS_PATH, PRINT_CSS_PATH))


def frame_css(frame: PageFrame) -> str:
    """CSS that depends on the frame: page size, margin boxes, colours."""
    header = css_string(frame.running_header)
    footer = css_string(frame.footer_note)
    primary = frame.primary_color.strip()
    accent = frame.accent_color.strip()
    box = (
        'font-family: "Liberation Sans", "DejaVu Sans", Arial, sans-serif; '
        "font-size: 7.5pt; color: #667080;"
    )
    return f"""
:root {{ --kam-primary: {primary}; --kam-accent: {accent}; }}
@page {{
  size: {frame.page_size};
  margin: 24mm 18mm 18mm 18mm;
  @top-left {{
    content: {header};
    {box}
    vertical-align: bottom;
    padding-bottom: 2mm;
    margin-bottom: 5mm;
    border-bottom: 0.5pt solid #d3d9e0;
    width: 100%;
  }}
  @bottom-left {{
    content: {footer};
    {box}
    vertical-align: top;
    padding-top: 2.5mm;
  }}
  @bottom-right {{
    content: "Page " counter(page) " of " counter(pages);
    {box}
    vertical-align: top;
    padding-top: 2.5mm;
    text-align: right;
  }}
}}
"""


def strip_external(fragment: str) -> str:
    """Remove anything that would load from elsewhere (scripts, stylesheets,
    frames, remote images, CSS url()/@import) and unwrap links to external
    sites, keeping their text: the packs must open offline and WeasyPrint must
    never reach for the network."""
    if not _EXTERNAL_HINT_RE.search(_DATA_PAYLOAD_RE.sub("base64,", fragment)):
        return fragment
    from bs4 import BeautifulSoup  # nbconvert depends on it

    soup = BeautifulSoup(fragment, "html.parser")
    removed = 0
    for tag in soup.find_all(["script", "link", "iframe", "object", "embed", "base", "frame"]):
        tag.decompose()
        removed += 1
    for tag in soup.find_all(src=True):
        if not str(tag["src"]).strip().lower().startswith("data:"):
            tag.decompose()
            removed += 1
    for tag in soup.find_all(srcset=True):
        del tag["srcset"]
    for tag in soup.find_all(href=True):
        if _EXTERNAL_URL_RE.match(str(tag["href"])):
            tag.unwrap()
    for attr in ("poster", "action", "data"):
        for tag in soup.find_all(attrs={attr: _EXTERNAL_URL_RE}):
            del tag[attr]
    for style in soup.find_all("style"):
        text = style.string or ""
        style.string = _CSS_URL_RE.sub("none", _CSS_IMPORT_RE.sub("", text))
    for tag in soup.find_all(style=True):
        tag["style"] = _CSS_URL_RE.sub("none", str(tag["style"]))
    if removed:
        log.warning("Removed %d external or scripted element(s) from report HTML", removed)
    return str(soup)


def _add_classes(open_tag: str, classes: list[str]) -> str:
    """Add CSS classes to an opening tag, keeping any it already has."""
    match = _CLASS_ATTR_RE.search(open_tag)
    if match:
        existing = (match.group(1) if match.group(1) is not None else match.group(2)).split()
        merged = " ".join(existing + [c for c in classes if c not in existing])
        return open_tag[: match.start()] + f'class="{merged}"' + open_tag[match.end() :]
    return open_tag[:-1].rstrip("/ ") + f' class="{" ".join(classes)}">'


def annotate_tables(fragment: str) -> str:
    """Tag tables by size so the print CSS can lay them out: ``kam-keep`` (short
    enough to move whole to the next page rather than split; a long table given
    break-inside: avoid would be pushed off a half-empty page and split anyway),
    ``kam-wide``/``kam-xwide`` (many columns: smaller type instead of clipping at
    the right edge). CSS alone cannot count rows or columns."""

    def tag(match: re.Match[str]) -> str:
        open_tag, rest = match.group(1), match.group(2)
        rows = _ROW_RE.findall(rest)
        columns = 0
        for row in rows[:3]:
            cells = _CELL_RE.findall(row)
            spans = (_COLSPAN_RE.search(attrs) for attrs in cells)
            columns = max(columns, sum(int(m.group(1)) if m else 1 for m in spans))
        classes = []
        if len(rows) <= KEEP_TOGETHER_MAX_ROWS:
            classes.append("kam-keep")
        if columns >= XWIDE_MIN_COLUMNS:
            classes += ["kam-wide", "kam-xwide"]
        elif columns >= WIDE_MIN_COLUMNS:
            classes.append("kam-wide")
        return (_add_classes(open_tag, classes) if classes else open_tag) + rest

    if "<table" not in fragment.lower():
        return fragment
    return _TABLE_RE.sub(tag, fragment)


# Declarations whose meaning depends on the style sheet's origin, or that need the document's own
# registries: a sheet holding any of them is left in the document (see ``split_style_sheet``).
_ORIGIN_SENSITIVE = ("!important", "@import", "@layer", "@counter-style", "@font-face")
_STYLE_ELEMENT_RE = re.compile(r"<style>\n(.*?)\n</style>\n", re.S)


def split_style_sheet(html: str) -> tuple[str, str, str] | None:
    """A document made by :func:`document_html`, split for a renderer that parses the static sheet
    once: (the document without its ``<style>`` element, the static sheet, the rest of the sheet:
    frame and extra CSS, in that order). None for any other document, or one whose sheet has a
    declaration that :data:`_ORIGIN_SENSITIVE` names.

    Why it is safe to hand both parts to WeasyPrint as user style sheets instead: the document then
    has no author sheet left, only ``style`` attributes, which win over every normal declaration of
    either origin, so the same rules win, in the same order, as from the ``<style>`` element."""
    if html.count("<style") != 1:
        return None
    match = _STYLE_ELEMENT_RE.search(html)
    base = _base_css()
    if match is None or not match.group(1).startswith(base):
        return None
    css = match.group(1)
    if any(token in css for token in _ORIGIN_SENSITIVE):
        return None
    return html[:match.start()] + html[match.end():], base, css[len(base):]


def document_html(body: str, frame: PageFrame, extra_css: str = "") -> str:
    """Wrap an HTML fragment in a complete, self-contained document: inlined
    print CSS, frame-specific @page rules, a <title>, and a header/footer that
    only show on screen (print gets them from the @page margin boxes).

    Reused by the pipeline for combined books and cover pages, so any fragment
    (not only one from Renderer.body_html) is checked for external resources.
    """
    safe_extra = extra_css.replace("</", "<\\/")
    css = "\n".join(part for part in (_base_css(), frame_css(frame), safe_extra) if part)
    esc = html_lib.escape
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(frame.title)}</title>\n"
        f"<style>\n{css}\n</style>\n"
        "</head>\n<body>\n"
        f'<header class="kam-screen-header">{esc(frame.running_header)}</header>\n'
        f'<main class="kam-doc">\n{annotate_tables(strip_external(body))}\n</main>\n'
        f'<footer class="kam-screen-footer">{esc(frame.footer_note)}</footer>\n'
        "</body>\n</html>\n"
    )
