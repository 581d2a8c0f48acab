"""The build's index.html (kamreports.pipeline.pack.write_index, templates/index_page.html.j2):
account names holding markup reach the page as text, through the template's autoescaping."""
from __future__ import annotations

import dataclasses

from bs4 import BeautifulSoup

from kamreports.inputs import load_inputs
from kamreports.pipeline.build import NOTEBOOKS_DIR, plan_jobs
from kamreports.pipeline.jobs import JobResult
from kamreports.pipeline.pack import write_index
from kamreports.present.brand import brand_logo

NAMES = {"ACC-0001": "<script>alert(1)</script>", "ACC-0002": 'Tom & Jerry\'s "Co"'}


def test_account_names_with_markup_show_as_text_in_their_cells(tmp_path):
    inputs = load_inputs(accounts=list(NAMES))
    portfolio = inputs.portfolio
    jobs = [dataclasses.replace(j, name=NAMES[j.key]) if j.key in NAMES else j
            for j in plan_jobs(portfolio, list(NAMES), None, None, NOTEBOOKS_DIR)]
    results = {j.key: JobResult(j.key, "built") for j in jobs}

    path = write_index(tmp_path, portfolio, jobs, results, None, brand_logo(portfolio.settings))
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")

    rows = soup.select("#packs tbody tr")
    assert len(rows) == 2
    first_cells = [row.find("td") for row in rows]
    assert sorted(td.get_text() for td in first_cells) == sorted(NAMES.values())
    assert sorted(td["data-v"] for td in first_cells) == sorted(NAMES.values())  # sorts by the name itself
    for td in first_cells:
        assert td.find(True) is None      # text only: no element made from the name
    scripts = soup.find_all("script")
    assert len(scripts) == 1 and "sortBy" in scripts[0].get_text()  # only our own sort script
    assert "alert" not in scripts[0].get_text()
    assert {t.name for t in soup.find_all(True)} <= {
        "html", "head", "meta", "title", "style", "body", "header", "img", "div", "h1", "p", "main", "span",
        "strong", "a", "table", "thead", "tbody", "tr", "th", "td", "script"}
    for job in jobs:      # every pack still linked
        for ext in ("html", "pdf"):
            stem = "portfolio_review" if job.kind == "portfolio" else "account_plan"
            assert soup.find("a", href=f"{job.folder}/{stem}.{ext}") is not None, (job.key, ext)
