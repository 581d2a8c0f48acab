"""One house style for every chart: print-friendly, readable in grayscale.

Colours differ in lightness as well as hue, so a grayscale print still
separates the series; lines also differ in style and markers.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import io
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import matplotlib
import numpy as np
import pandas as pd

matplotlib.use("Agg")  # no display in a scheduled build; the notebook's inline backend overrides this
import matplotlib.pyplot as plt
from matplotlib.backend_bases import RendererBase
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

NAVY = "#1f3b5c"     # dark: primary series
ORANGE = "#e07a1f"   # mid: targets, highlights
SKY = "#8fb8de"      # light: secondary series
GREY = "#9a9a9a"
RED = "#b23a3a"
GREEN = "#2e7d4f"
QUADRANT_COLORS = {"Strategic": NAVY, "Star": ORANGE, "Status": SKY, "Streamline": GREY}

RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#555555",
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "svg.fonttype": "none",
    "text.parse_math": False,  # names and money come from data: "$x$" or "$5 to $9" stay literal text
}


def house():
    """Context in which a chart is drawn; rcParams are read as artists are made."""
    return plt.rc_context(RC)


def figure(width: float = 7.0, height: float = 3.4) -> tuple[Figure, plt.Axes]:
    """A new figure (inches; 7 in fits an A4 or Letter text column). Not registered with
    pyplot, so nothing leaks between notebooks sharing a kernel. Call inside :func:`house`."""
    fig = Figure(figsize=(width, height), layout="constrained", facecolor="white")
    return fig, fig.add_subplot()


def money_axis(currency: str = "$") -> FuncFormatter:
    """Money in short form: $13.9M, $273K, $1.4K, $950. Below ten thousand the thousands keep one
    decimal, or an axis from $1,000 to $1,750 would read "$1K, $1K, $2K, $2K"."""
    def fmt(value: float, _pos: int) -> str:
        v = abs(value)
        sign = "-" if value < 0 else ""
        if v >= 999.5e3:        # $999.6K prints as $1.0M, not $1000K
            return f"{sign}{currency}{v / 1e6:.1f}M"
        if round(v) >= 1e4:
            return f"{sign}{currency}{v / 1e3:.0f}K"
        if round(v) >= 1e3:
            return f"{sign}{currency}{v / 1e3:.1f}".rstrip("0").rstrip(".") + "K"
        return f"{sign}{currency}{v:.0f}"
    return FuncFormatter(fmt)


def percent_axis(decimals: int = 0) -> FuncFormatter:
    return FuncFormatter(lambda v, _pos: f"{v * 100:.{decimals}f}%")


def text_size(fig: Figure, renderer: RendererBase, text: str, **kwargs: object) -> tuple[float, float]:
    """Width and height in pixels (at ``fig.dpi``) that ``text`` takes when drawn with these settings:
    label placement measures the text it places rather than guessing from its length."""
    probe = fig.text(0, 0, text, **kwargs)
    box = probe.get_window_extent(renderer)
    probe.remove()
    return box.width, box.height


def png_bytes(fig: Figure, dpi: int = 200) -> bytes:
    """PNG at print resolution; 200 dpi keeps 7-inch charts sharp on paper.

    A chart made by a :func:`remembered` function from the same inputs as one drawn before, and not
    changed since it was made, is not drawn again: its PNG is the one drawn then."""
    key = getattr(fig, _INPUTS, None)
    if key is not None:
        if fig.stale:   # changed after it was made: its inputs no longer say what it shows
            delattr(fig, _INPUTS)
        elif (key, dpi) in _PNGS:
            _PNGS.move_to_end((key, dpi))
            return _PNGS[(key, dpi)]
    png = _opaque_png(fig, dpi)
    if getattr(fig, _INPUTS, None) is not None:
        _PNGS[(key, dpi)] = png
        while len(_PNGS) > PNGS_KEPT:
            _PNGS.popitem(last=False)
    return png


def _opaque_png(fig: Figure, dpi: int) -> bytes:
    """The chart as an RGB PNG: the same pixels as matplotlib's PNG, without its alpha channel, which on a
    white chart is 255 everywhere. WeasyPrint splits an alpha channel off and encodes it again as a PDF
    mask (0.026 s of an account pack's four charts), and the PNG is a tenth smaller."""
    from PIL import Image

    with _drawn(fig, dpi) as rgba:
        height, width = rgba.shape[:2]   # the canvas's own size: rows, columns, RGBA
        image = Image.frombuffer("RGBA", (width, height), rgba, "raw", "RGBA", 0, 1).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


@contextlib.contextmanager
def _drawn(fig: Figure, dpi: int) -> Iterator[memoryview]:
    """The figure drawn once at ``dpi`` on an Agg canvas, as its RGBA pixels (valid inside the block).

    Why not ``savefig``: for a figure with a layout engine (ours are "constrained") savefig draws the
    figure twice, once with drawing disabled to run the layout, then again with the layout switched off.
    A canvas draw runs the layout inside its one draw: the same pixels (``test_chart_pixels.py``), 12 %
    less drawing time (the second of savefig's drawings most likely reused the first one's text
    measurements). The figure's canvas, resolution and face colour are put back after."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas, resolution, face = fig.canvas, fig.dpi, fig.get_facecolor()
    try:
        agg = FigureCanvasAgg(fig)   # before the resolution changes, as savefig switches canvases
        with plt.rc_context(RC):
            fig.dpi = dpi
            fig.set_facecolor("white")   # what savefig(facecolor="white") does for the time of the drawing
            agg.draw()
            yield agg.buffer_rgba()
    finally:
        fig.dpi = resolution
        fig.set_facecolor(face)
        fig.set_canvas(canvas)


#: Charts drawn last, by what they were made from: a warm kernel (``kamreports preview``) makes the
#: same pack again on every save, and of its charts only those whose data changed need drawing (a
#: chart is most of a refresh: about 0.1 s each at 200 dpi).
PNGS_KEPT = 32
_PNGS: OrderedDict[tuple, bytes] = OrderedDict()
_INPUTS = "_kamreports_inputs"
Chart = TypeVar("Chart", bound=Callable[..., Figure])


def remembered(chart: Chart) -> Chart:
    """Mark the figures ``chart`` makes with what they were made from (its arguments, and the
    matplotlib settings in force), so :func:`png_bytes` can give the PNG drawn before for the same.
    Arguments it cannot fingerprint (objects other than frames, numbers, text and their lists)
    leave the figure unmarked: drawn every time, as before."""
    @functools.wraps(chart)
    def marked(*args: Any, **kwargs: Any) -> Figure:
        fig = chart(*args, **kwargs)
        try:
            inputs = _fingerprint((args, kwargs))
        except (TypeError, ValueError):   # e.g. a frame of lists: nothing to say it is the same
            return fig
        settings = hashlib.blake2b(repr(sorted(plt.rcParams.items())).encode(), digest_size=16).hexdigest()
        setattr(fig, _INPUTS, (chart.__module__, chart.__qualname__, inputs, settings))
        fig.stale = False   # any change to the figure from now on sets it again (png_bytes then draws)
        return fig

    return marked  # type: ignore[return-value]


def _fingerprint(value: object) -> object:
    """A hashable stand-in for ``value`` that is equal for equal values; TypeError for what it cannot say."""
    if isinstance(value, (pd.DataFrame, pd.Series)):
        digest = hashlib.blake2b(digest_size=16)
        digest.update(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
        columns = list(value.columns) if isinstance(value, pd.DataFrame) else [value.name]
        digest.update(repr((columns, [str(t) for t in np.atleast_1d(value.dtypes)], value.shape)).encode())
        return ("frame", digest.hexdigest())
    if value is None or isinstance(value, (str, bool, int, float, np.generic)):
        return (type(value).__name__, repr(value))   # repr: nan equals nan here
    if isinstance(value, (list, tuple)):
        return ("seq", tuple(_fingerprint(v) for v in value))
    if isinstance(value, dict):
        return ("map", tuple(sorted((repr(k), _fingerprint(v)) for k, v in value.items())))
    raise TypeError(f"cannot fingerprint {type(value).__name__}")

SENTIMENT_COLORS = {-2: RED, -1: "#e3a2a2", 0: "#d9d9d9", 1: "#a8d5b9", 2: GREEN}
