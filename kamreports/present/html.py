"""HTML fragments the notebooks display: headings, KPI strips, tables, SWOT grid, notices.

Every piece of data is escaped here, so an account or contact name holding
markup shows as text. The CSS classes are styled by the pack's print CSS and
look plain but tidy in JupyterLab.
"""
from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping, Sequence
from html import escape

import pandas as pd
from IPython.display import HTML, display
from matplotlib.figure import Figure

from ..charts.style import png_bytes
from ..protocol import OMIT_SECTION

Formatter = Callable[[object], str]


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def heading(text: str, level: int = 2, subtitle: str | None = None) -> HTML:
    """A heading made from data (a static one belongs in a markdown cell), with an optional subtitle."""
    sub = f'<p class="subtitle">{_e(subtitle)}</p>' if subtitle else ""
    return HTML(f"<h{level}>{_e(text)}</h{level}>{sub}")


def paragraph(text: str, css_class: str = "") -> HTML:
    return HTML(f'<p class="{_e(css_class)}">{_e(text)}</p>')


def callout(text: str, title: str | None = None) -> HTML:
    """A grey box for what a reader must not miss: missing data, nothing planned yet."""
    head = f"<strong>{_e(title)}</strong> " if title else ""
    return HTML(f'<div class="callout">{head}{_e(text)}</div>')


def kpi_strip(items: Iterable[tuple[str, str, str | None]]) -> HTML:
    """Tiles of (label, value, note)."""
    tiles = "".join(
        f'<div class="kpi"><div class="kpi-label">{_e(label)}</div><div class="kpi-value">{_e(value)}</div>'
        + (f'<div class="kpi-note">{_e(note)}</div>' if note else "") + "</div>"
        for label, value, note in items)
    return HTML(f'<div class="kpi-strip">{tiles}</div>')


def table(frame: pd.DataFrame, formats: Mapping[str, Formatter] | None = None, numeric: Iterable[str] = (),
          caption: str | None = None, index: bool = False,
          cell_classes: Mapping[str, Sequence[str]] | None = None) -> HTML:
    """A styled table; ``formats`` turn values into text, ``numeric`` columns align right, and
    ``cell_classes`` gives a column's cells a class each, row by row (a status coloured by its value)."""
    formats = dict(formats or {})
    extra = {col: list(classes) for col, classes in (cell_classes or {}).items()}
    right = set(numeric) | set(formats)
    data = frame.reset_index() if index else frame
    head = "".join(f'<th class="{"num" if c in right else ""}">{_e(c)}</th>' for c in data.columns)
    rows = []
    for position, (_, row) in enumerate(data.iterrows()):
        cells = []
        for col in data.columns:
            value = row[col]
            text = formats[col](value) if col in formats else ("–" if _isna(value) else str(value))
            classes = " ".join(filter(None, ["num" if col in right else "",
                                             extra[col][position] if col in extra else ""]))
            cells.append(f'<td class="{_e(classes)}">{_e(text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{_e(caption)}</caption>" if caption else ""
    return HTML(f'<table class="kam">{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def _isna(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def swot_grid(swot: Mapping[str, list], empty_text: str = "Nothing recorded yet.") -> HTML:
    """A 2x2 grid; team-entered items are marked so readers can tell judgement from data."""
    cells = []
    for kind in ("strengths", "weaknesses", "opportunities", "threats"):
        items = swot.get(kind, [])
        lis = "".join(
            f'<li class="{_e(getattr(i, "source", "team"))}">{_e(getattr(i, "text", i))}</li>' for i in items
        ) or f'<li class="muted">{_e(empty_text)}</li>'
        cells.append(f'<div class="swot-cell {kind}"><h3>{kind.capitalize()}</h3><ul>{lis}</ul></div>')
    return HTML(f'<div class="swot">{"".join(cells)}</div>')


def bullet_list(items: Iterable[str], css_class: str = "") -> HTML:
    return HTML(f'<ul class="{_e(css_class)}">' + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>")




def omitted_section(reason: str) -> HTML:
    """What a section shows when it has nothing for the pack's reader: the build leaves the section
    out, heading included; the analyst in JupyterLab reads why."""
    return HTML(f'{OMIT_SECTION}<p class="muted small">Left out of the pack: {_e(reason)}.</p>')


def figure_html(fig: Figure, alt: str) -> HTML:
    """A chart as an embedded PNG at print resolution, shown at its design width."""
    data = base64.b64encode(png_bytes(fig)).decode("ascii")
    width_px = int(fig.get_figwidth() * 96)
    return HTML(f'<figure class="chart"><img src="data:image/png;base64,{data}" alt="{_e(alt)}" '
                f'style="width:{width_px}px;max-width:100%"/></figure>')


def use_pack_styles() -> None:
    """Make the pack's styles present in a notebook (JupyterLab, ``jupyter nbconvert --to html``), so
    KPI strips, SWOT grids and tables look there as they do in the pack. The build's packs carry
    the styles already; the notebooks call this in a cell tagged ``remove``.

    Only the component sheet (``kamreports/templates/components.css``): its rules start at the
    classes this module emits, so JupyterLab's own interface is left alone. The document sheet
    (``print.css``: html, body, headings, every table, @page) is for the build's packs only."""
    from importlib.resources import files  # the package's data, wherever this module sits

    # the same file pipeline.render.COMPONENTS_CSS_PATH puts in every pack
    css = (files("kamreports") / "templates" / "components.css").read_text(encoding="utf-8")
    display(HTML('<style class="kamreports-pack-styles">\n' + css.replace("</", "<\\/") + "</style>"))


def show(*parts: HTML | Figure | None, alt: str = "chart") -> None:
    """Display HTML fragments and figures in order, each as its own output.

    ``None`` is skipped, so a helper can answer "nothing to show" (a note with no data behind it)
    and the page gets no empty box: an empty output would still take up space in print.
    """
    for part in parts:
        if part is not None:
            display(figure_html(part, alt) if isinstance(part, Figure) else _no_maths(part))


def _no_maths(part: HTML) -> HTML:
    """Money is written with "$": JupyterLab's MathJax would typeset "$3.5M, $13.8M" as maths. The
    class tells MathJax to leave the fragment alone; the pack has no MathJax and no rule for it."""
    return HTML(f'<div class="tex2jax_ignore mathjax_ignore">{part.data}</div>')
