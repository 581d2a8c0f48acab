"""One house style for every chart: print-friendly, readable in grayscale.

Colours differ in lightness as well as hue, so a grayscale print still
separates the series; lines also differ in style and markers.
"""
from __future__ import annotations

import io

import matplotlib

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
    """PNG at print resolution; 200 dpi keeps 7-inch charts sharp on paper."""
    buffer = io.BytesIO()
    with plt.rc_context(RC):
        fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()

SENTIMENT_COLORS = {-2: RED, -1: "#e3a2a2", 0: "#d9d9d9", 1: "#a8d5b9", 2: GREEN}
