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


def _index(tmp_path, inputs, accounts):
    portfolio = inputs.portfolio
    jobs = plan_jobs(portfolio, accounts, None, None, NOTEBOOKS_DIR)
    results = {j.key: JobResult(j.key, "built") for j in jobs}
    path = write_index(tmp_path, portfolio, jobs, results, None, brand_logo(portfolio.settings))
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_the_index_says_how_many_key_accounts_have_no_plan_and_how_to_draft_one(tmp_path):
    """For the analyst, in one line: the packs themselves only say "No account plan agreed"."""
    from kamreports.data import sample_dataset, write_folder

    write_folder(sample_dataset(), tmp_path / "project" / "data")
    config = tmp_path / "project" / "settings.yaml"
    config.write_text("data: data\n", encoding="utf-8")
    (tmp_path / "project" / "plans").mkdir()
    (tmp_path / "project" / "plans" / "ACC-0002.yaml").write_text("swot: {strengths: [Long partnership]}\n",
                                                                  encoding="utf-8")
    inputs = load_inputs(config, accounts=["ACC-0002"])
    keys = list(inputs.portfolio.key_accounts.index)
    missing = [a for a in keys if a != "ACC-0002"]
    soup = _index(tmp_path, inputs, ["ACC-0002"])
    [line] = soup.select("p.plans")
    text = " ".join(line.get_text().split())
    assert text.startswith(f"{len(missing)} key accounts have no account plan ({', '.join(missing[:10])} …): ")
    assert f"kamreports plan new {missing[0]} --config {config} drafts one in " \
           f"{(tmp_path / 'project' / 'plans').resolve()}" in text
    assert line["title"] == ", ".join(missing)      # every one of them, on hover


def test_no_plan_line_when_every_key_account_has_a_plan(tmp_path):
    soup = _index(tmp_path, load_inputs(accounts=["ACC-0002"]), ["ACC-0002"])   # the sample: generated plans
    assert soup.select("p.plans") == []


def test_a_row_without_health_keeps_its_columns_and_an_absurd_attainment_is_not_printed(tmp_path):
    inputs = load_inputs(accounts=["ACC-0002", "ACC-0003"])
    summary = inputs.portfolio.summary
    summary.loc["ACC-0002", ["health_score", "health_band"]] = [float("nan"), None]
    summary.loc["ACC-0003", "attainment_q"] = 50.0            # 5,000%: beyond the sane range (±1,000%)
    soup = _index(tmp_path, inputs, ["ACC-0002", "ACC-0003"])
    header = [th.get_text() for th in soup.select("#packs thead th")]
    rows = {tr.find("td").get_text(): [td.get_text(" ", strip=True) for td in tr.find_all("td")]
            for tr in soup.select("#packs tbody tr")}
    name2, name3 = summary.at["ACC-0002", "name"], summary.at["ACC-0003", "name"]
    assert all(len(cells) == len(header) for cells in rows.values())
    assert rows[name2][header.index("Health")] == "not enough data"
    assert rows[name3][header.index("Attainment")] == "target too small to compare"
    assert "nan" not in soup.get_text().lower().split()
