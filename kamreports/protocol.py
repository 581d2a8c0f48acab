"""What the notebooks, their kernels and the pipeline agree on: markers in the HTML the notebooks
show, and the environment variable that hands the kernels the build's portfolio.

A module of its own, with no imports, so any process can read them cheaply: the pipeline's workers
never import the presentation layer (pandas and matplotlib: about a CPU-second at every worker's start).
"""
from __future__ import annotations

#: Marks an output whose section the pack leaves out (pipeline.render.without_omitted_sections).
OMIT_SECTION = "<!--kamreports:omit-section-->"

#: Around page one's summary in a pack's HTML: the book takes it from there (pipeline.pack).
ONEPAGER_START, ONEPAGER_END = "<!--kamreports:onepager-->", "<!--/kamreports:onepager-->"

#: Names the file of the portfolio the build computed (inputs.share_portfolio), for its kernels.
SHARED_PORTFOLIO_ENV = "KAMREPORTS_SHARED_PORTFOLIO"

#: The page sizes a pack is laid out in: the settings accept these (config) and the page frame uses them.
PAGE_SIZES = ("A4", "Letter")
