"""A chart made again from the same inputs is not drawn again (``charts.style.remembered``): the preview's
warm kernel makes the same pack on every save, and only the charts whose data changed are drawn. The
PNG given back must be the one a fresh drawing makes; anything that could change the picture (other
data, a change to the figure after it was made, other matplotlib settings, another resolution) draws it."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from kamreports.charts import style
from kamreports.charts.account import growth_vs_target
from kamreports.charts.style import png_bytes, remembered


@pytest.fixture(scope="module")
def sample_growth():
    from kamreports import open_portfolio

    portfolio = open_portfolio()
    return portfolio.account(portfolio.key_accounts.index[0]).growth


@pytest.fixture
def growth(sample_growth):
    style._PNGS.clear()
    return sample_growth.copy()


@pytest.fixture
def drawings(monkeypatch) -> list[Figure]:
    """Every figure drawn from now on (a drawing of a figure into pixels: ``png_bytes`` draws on an Agg
    canvas, and so does ``savefig`` to PNG)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    drawn: list[Figure] = []
    draw = FigureCanvasAgg.draw

    def counting(self, *args, **kwargs):
        drawn.append(self.figure)
        return draw(self, *args, **kwargs)

    monkeypatch.setattr(FigureCanvasAgg, "draw", counting)
    return drawn


def fresh_png(fig: Figure, dpi: int = 200) -> bytes:
    """Drawn for sure: the figure's mark removed."""
    if hasattr(fig, style._INPUTS):
        delattr(fig, style._INPUTS)
    return png_bytes(fig, dpi)


def test_the_same_inputs_give_the_png_drawn_before_without_drawing(growth, drawings):
    first = png_bytes(growth_vs_target(growth, "$"))
    again = growth_vs_target(growth.copy(), "$")   # equal data in another frame
    assert len(drawings) == 1
    assert png_bytes(again) == first
    assert len(drawings) == 1                       # not drawn
    assert fresh_png(growth_vs_target(growth, "$")) == first   # and it is what a drawing gives


def test_other_data_is_drawn(growth, drawings):
    first = png_bytes(growth_vs_target(growth, "$"))
    changed = growth.copy()
    changed.iloc[-1, changed.columns.get_loc("revenue")] *= 1.5
    png = png_bytes(growth_vs_target(changed, "$"))
    assert len(drawings) == 2 and png != first
    assert png_bytes(growth_vs_target(growth, "€")) != first   # another argument: drawn too
    assert len(drawings) == 3


def test_a_figure_changed_after_it_was_made_is_drawn_and_does_not_replace_the_remembered_one(growth, drawings):
    first = png_bytes(growth_vs_target(growth, "$"))
    changed = growth_vs_target(growth, "$")
    changed.axes[0].set_title("A title the analyst set")
    png = png_bytes(changed)
    assert len(drawings) == 2 and png != first
    assert png_bytes(changed) == png                           # drawn again, not taken from memory
    assert png_bytes(growth_vs_target(growth, "$")) == first   # the unchanged chart is still the first
    assert len(drawings) == 3


def test_other_matplotlib_settings_or_resolution_are_drawn(growth, drawings):
    png_bytes(growth_vs_target(growth, "$"))
    with plt.rc_context({"font.size": 14}):
        png_bytes(growth_vs_target(growth, "$"))
    assert len(drawings) == 2
    small = png_bytes(growth_vs_target(growth, "$"), dpi=50)
    assert len(drawings) == 3 and small == fresh_png(growth_vs_target(growth, "$"), dpi=50)


def test_inputs_that_cannot_be_fingerprinted_are_drawn_every_time(drawings):
    @remembered
    def chart(thing: object) -> Figure:
        with style.house():
            fig, ax = style.figure(2, 1)
            ax.set_title(str(thing))
        return fig

    class Thing:
        def __str__(self) -> str:
            return "a thing"

    assert png_bytes(chart(Thing())) == png_bytes(chart(Thing()))
    assert len(drawings) == 2
    png_bytes(chart("a thing"))
    png_bytes(chart("a thing"))
    assert len(drawings) == 3   # text is fingerprinted: the second one remembered


def test_memory_is_bounded(growth):
    for n in range(style.PNGS_KEPT + 5):
        png_bytes(growth_vs_target(growth, f"{n}$"), dpi=20)
    assert len(style._PNGS) == style.PNGS_KEPT
