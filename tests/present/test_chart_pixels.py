"""Every chart a pack shows, drawn by ``png_bytes``, has the pixels of matplotlib's own ``savefig`` PNG.

``png_bytes`` draws a figure once on an Agg canvas, where ``savefig`` draws a figure with a layout engine
twice (the layout, then the picture with the layout switched off). The reference here is ``savefig``
itself, on a second figure made from the same inputs, so neither drawing can see the other's state."""
from __future__ import annotations

import io
from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from kamreports.charts import account as account_charts
from kamreports.charts import portfolio as portfolio_charts
from kamreports.charts import roi as roi_charts
from kamreports.charts import style
from kamreports.charts import whitespace as ws_charts


@pytest.fixture(scope="module")
def portfolio():
    from kamreports import open_portfolio

    return open_portfolio()


def _account(portfolio):
    return portfolio.account(portfolio.key_accounts.index[0])


def _whitespace(portfolio) -> Figure:
    from kamreports.analytics.whitespace import product_names, whitespace_of

    matrix, estimates, _ranked = portfolio.whitespace
    keys = portfolio.key_accounts
    key_matrix, key_estimates = whitespace_of(matrix, estimates, keys.index)
    return ws_charts.whitespace_heatmap(key_matrix, key_estimates, keys["name"].to_dict(),
                                        product_names(portfolio.dataset.products), portfolio.settings.company.currency)


def _kam_matrix(portfolio) -> Figure:
    from kamreports import present as kp

    previous, label = kp.matrix_previous(portfolio)
    return portfolio_charts.kam_matrix(portfolio.key_accounts, portfolio.settings.matrix.split,
                                       previous=previous, previous_label=label)


# The charts as the notebooks make them (notebooks/account_plan.ipynb, portfolio_review.ipynb).
CHARTS: dict[str, Callable] = {
    "growth vs target": lambda p: account_charts.growth_vs_target(
        _account(p).growth, _account(p).currency, limit=_account(p).formats.sane_change),
    "year forecast": lambda p: account_charts.year_forecast_chart(
        _account(p).forecast_path, _account(p).figures["fy_annual_target"], _account(p).currency),
    "stakeholders": lambda p: account_charts.stakeholder_grid(_account(p).stakeholders),
    "health trend": lambda p: account_charts.health_trend(
        p.history.account_timeline(_account(p).account_id), limit=_account(p).formats.sane_change),
    "pareto": lambda p: portfolio_charts.pareto(p.pareto, p.top20_share),
    "kam matrix": _kam_matrix,
    "whitespace": _whitespace,
    "roi by quarter": lambda p: roi_charts.roi_by_quarter(p.roi.history),
    "key vs other": lambda p: roi_charts.key_vs_other(p.roi.groups),
    "whale curve": lambda p: roi_charts.whale_curve(p.roi.whale, p.settings.company.currency),
    "manager load": lambda p: roi_charts.manager_load(p.roi.managers, p.roi.settings.min_key_accounts,
                                                      p.roi.settings.max_key_accounts),
}


def _savefig_pixels(fig: Figure, dpi: int) -> np.ndarray:
    buffer = io.BytesIO()
    with plt.rc_context(style.RC):
        fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return np.asarray(Image.open(buffer))


@pytest.mark.parametrize("name", CHARTS)
def test_a_packs_chart_has_the_pixels_savefig_draws(portfolio, name: str) -> None:
    make = CHARTS[name]
    style._PNGS.clear()   # drawn, not remembered from an earlier test
    ours = np.asarray(Image.open(io.BytesIO(style.png_bytes(make(portfolio)))))
    theirs = _savefig_pixels(make(portfolio), 200)
    assert ours.shape[:2] == theirs.shape[:2] and ours.shape[:2][1] > 500
    assert (theirs[..., 3] == 255).all()
    assert np.array_equal(ours, theirs[..., :3])


def test_the_figure_is_left_as_it_was(portfolio) -> None:
    """Drawing at print resolution must not change the figure the notebook holds: its canvas, its
    resolution and its face colour are what they were, and a second drawing gives the same pixels."""
    fig = CHARTS["growth vs target"](portfolio)
    fig.set_facecolor("#fafafa")
    canvas, dpi = fig.canvas, fig.dpi
    first = style._opaque_png(fig, 200)
    assert fig.canvas is canvas and fig.dpi == dpi and fig.get_facecolor() == (250 / 255, 250 / 255, 250 / 255, 1)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(style._opaque_png(fig, 200)))),
                          np.asarray(Image.open(io.BytesIO(first))))


@pytest.mark.parametrize("size, dpi", [((7.0, 3.4), 200), ((3.3, 2.15), 200), ((5.55, 2.0), 150), ((2.5, 1.5), 96)])
def test_a_charts_png_has_matplotlibs_pixels_without_the_alpha_channel(size, dpi) -> None:
    """png_bytes gives an RGB PNG (WeasyPrint re-encodes an alpha channel as a separate PDF mask): its
    pixels must be those of matplotlib's own PNG of the same figure, whose alpha is 255 everywhere."""
    with style.house():
        fig, ax = style.figure(*size)
        ax.bar(["2026Q1", "2026Q2", "2026Q3"], [3.1e6, 2.9e6, 3.4e6], color=style.NAVY)
        ax.set_title("Revenue against target")
        ax.yaxis.set_major_formatter(style.money_axis())
    ours = Image.open(io.BytesIO(style.png_bytes(fig, dpi)))   # not made by a remembered chart: drawn
    theirs = _savefig_pixels(fig, dpi)
    assert ours.mode == "RGB" and theirs.shape[2] == 4
    assert (theirs[..., 3] == 255).all()
    assert np.array_equal(np.asarray(ours), theirs[..., :3])
