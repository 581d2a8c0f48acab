"""What several test modules share: the hand-worked quarter, exact comparison, the small frame and
folder builders, and one build of the sample company for the end-to-end modules.

Builders are plain functions, imported where they are used (``from tests.conftest import Q, approx``);
fixtures are found by pytest. The folders under ``tests/`` mirror the package's layers (foundation,
config, data, analytics, present, pipeline; see ``tests/system/test_layers.py``), and ``tests/system``
holds the suites that cut across them.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest
from pypdf import PdfReader

if TYPE_CHECKING:
    from kamreports.data.dataset import Dataset

ROOT = Path(__file__).resolve().parent.parent   # the repository
FIXTURES = ROOT / "tests" / "fixtures"

# The reporting quarter of the hand-worked datasets: q = 2026Q2, prev q = 2026Q1, year ago = 2025Q2,
# t4q = 2025Q3..2026Q2, prior t4q = 2024Q3..2025Q2, as-of date 2026-06-30.
Q = "2026Q2"

# The shared build: the largest key account, a subsidiary, another key account.
SAMPLE_ACCOUNTS = ["ACC-0002", "ACC-0147", "ACC-0005"]


def approx(x: object) -> object:
    """Equal up to floating-point noise: figures worked out by hand must come out exactly (NaN equals NaN:
    a figure with no data behind it must come out missing)."""
    return pytest.approx(x, rel=1e-12, abs=1e-12, nan_ok=True)


def frame(text: str) -> pd.DataFrame:
    """A raw all-string frame from a small CSV-like block (blank cell = empty string)."""
    lines = text.strip().splitlines()
    header = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:]]
    assert all(len(r) == len(header) for r in rows), text
    return pd.DataFrame(rows, columns=header, dtype=object)


def make_dataset(raw: dict[str, pd.DataFrame | str]) -> Dataset:
    """The typed tables of ``raw`` (raw frames, or CSV-like blocks for :func:`frame`), checked by the loader."""
    from kamreports.data.loaders import tables_from_frames

    frames = {name: frame(table) if isinstance(table, str) else table for name, table in raw.items()}
    return tables_from_frames(frames, {name: f"mem:{name}" for name in frames}, origin="memory")


def quarterly(rows: list[tuple]) -> pd.DataFrame:
    """Revenue by account and quarter, the shape of ``metrics.quarterly_revenue``: rows of
    (account_id, quarter, revenue) with no cost of goods, or (account_id, quarter, revenue, cogs)."""
    full = [tuple(row) + (0.0,) * (4 - len(row)) for row in rows]
    return pd.DataFrame(full, columns=["account_id", "quarter", "revenue", "cogs"])


def contacts(rows: list[tuple]) -> pd.DataFrame:
    """A typed stakeholders table from rows of (account_id, name, title, role, level, influence,
    sentiment, last_contact)."""
    cols = ["account_id", "name", "title", "role", "level", "influence", "sentiment", "last_contact"]
    df = pd.DataFrame(rows, columns=cols)
    df["influence"] = df["influence"].astype("Int64")
    df["sentiment"] = df["sentiment"].astype("Int64")
    df["last_contact"] = pd.to_datetime(df["last_contact"])
    return df


def write_company(folder: Path, tables: dict[str, str | bytes | None], **changes: str | bytes | None) -> Path:
    """A data folder: each of ``tables``, with ``changes`` replacing some, as ``<name>.csv`` (text is
    written as UTF-8, bytes as they are); None leaves that table out. CSV files already in the folder
    are removed first, so one folder can be written again and again."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.csv"):
        old.unlink()
    for name, content in {**tables, **changes}.items():
        if content is not None:
            (folder / f"{name}.csv").write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return folder


def settings_file(folder: Path, text: str, name: str = "settings.yaml") -> Path:
    """``text`` written as the settings file ``folder/name``."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def quality_row(ds: Dataset, step: str, table: str, what: str) -> pd.Series:
    """The one row of the data-quality report for this step and table whose text holds ``what``."""
    q = ds.quality
    rows = q[(q["step"] == step) & (q["table"] == table) & q["what"].str.contains(what, regex=False)]
    assert len(rows) == 1, (step, table, what, q.to_string())
    return rows.iloc[0]


def pdf_pages(path: Path) -> list[str]:
    """Each page's text, whitespace collapsed."""
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(path).pages]


def tree_digest(folder: Path) -> str:
    """One hash of every file's path and bytes under ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`kamreports build` of :data:`SAMPLE_ACCOUNTS` (sample company, the book, two workers), run once
    for every end-to-end module that reads such a build; the quarter's folder, ``OUT/2026Q3``.

    Read only: a test that changes a build copies it first (``shutil.copytree(sample_build.parent, ...)``).
    The whole output folder is checked unchanged once the session is done with it.
    """
    from kamreports.cli import main

    out = tmp_path_factory.mktemp("sample-build")
    code = main(["build", "--accounts", ",".join(SAMPLE_ACCOUNTS), "--output", str(out), "--workers", "2",
                 "--quiet"])
    assert code == 0
    before = tree_digest(out)
    yield out / "2026Q3"
    assert tree_digest(out) == before, "a test changed the shared sample build: copy it before changing it"


# The hand-made portfolios of the summary-sentence tests (tests/analytics/test_summary_sentences.py and
# tests/present/test_portfolio_sentences_pages.py): reporting quarter Q = 2026Q2, prior window 2024Q3-2025Q2,
# current window 2025Q3-2026Q2; the data may start in 2024Q2 (an "old" sale before both windows).
SMALL_PRIOR = ["2024Q3", "2024Q4", "2025Q1", "2025Q2"]
SMALL_CURRENT = ["2025Q3", "2025Q4", "2026Q1", "2026Q2"]


def small_company(accounts: list[dict], nps: dict[str, list[int]] | None = None) -> Dataset:
    """A small company from one dict per account, every figure a plain number so a test can work the
    sentences out by hand. Keys of each dict:

    - ``id``; ``owner`` (None: no manager); ``region``, ``industry`` (default "EMEA", "Retail");
    - ``prior``: revenue in each quarter of the prior window (0: none), ``current``: in each quarter of
      the current window (0: none); ``start``: the first quarter with revenue (default 2024Q3), quarters
      before it have none, so an account can start buying inside the prior window;
    - ``old``: revenue in 2024Q2 only (before both windows), for an account with no recent revenue;
    - ``margin``: gross margin (default 0.5: cost of goods is half the revenue);
    - ``cost``: KAM cost to serve in each quarter of both windows (default 0: no rows).

    ``nps``: account -> scores (0-10), one response each in the current window; None: no feedback table.
    """
    from kamreports.periods import parse_quarter

    rows, costs, people = [], [], []
    for a in accounts:
        people.append({"account_id": a["id"], "name": a.get("name", f"Account {a['id']}"),
                       "industry": a.get("industry", "Retail"), "region": a.get("region", "EMEA"),
                       "owner": a.get("owner") or "", "start_date": "2020-01-01"})
        start = parse_quarter(a.get("start", SMALL_PRIOR[0]))
        amounts = [(q, a.get("prior", 0.0)) for q in SMALL_PRIOR] + [(q, a.get("current", 0.0)) for q in SMALL_CURRENT]
        if a.get("old"):
            amounts.insert(0, ("2024Q2", a["old"]))
        for q, amount in amounts:
            period = parse_quarter(q)
            if amount and (period >= start or q == "2024Q2"):
                day = (period.start_time + pd.Timedelta(days=40)).date().isoformat()
                rows.append({"account_id": a["id"], "date": day, "product_id": "P1", "revenue": f"{amount:.2f}",
                             "cogs": f"{amount * (1 - a.get('margin', 0.5)):.2f}"})
        if a.get("cost"):
            costs += [{"account_id": a["id"], "quarter": q, "cost": f"{a['cost']:.2f}"}
                      for q in SMALL_PRIOR + SMALL_CURRENT]
    raw: dict[str, pd.DataFrame | str] = {
        "accounts": pd.DataFrame(people, dtype=object), "products": "product_id,name\nP1,Thing",
        "revenue": pd.DataFrame(rows, dtype=object)}
    if costs:   # no cost rows at all: no KAM-costs table (the loader refuses a table with a header only)
        raw["kam_costs"] = pd.DataFrame(costs, dtype=object)
    if nps is not None:
        raw["feedback"] = pd.DataFrame([{"account_id": k, "date": "2026-01-15", "nps": str(score)}
                                        for k, scores in nps.items() for score in scores],
                                       columns=["account_id", "date", "nps"], dtype=object)
    return make_dataset(raw)


def small_settings(keys: list[str], **roi: object):
    """Settings that make exactly ``keys`` the key accounts (included by the team; no account reaches
    the score threshold of 10), with the ROI matched against all non-key accounts."""
    import dataclasses

    from kamreports.config import Candidates, Roi, Selection, Settings

    selection = Selection(include={k: "chosen for the test" for k in keys}, threshold=10.0)
    # review on growth and attainment only: a score more than 9 under the threshold of 10 is below 1
    candidates = dataclasses.replace(Candidates(), demote_score_margin=9.0)
    return dataclasses.replace(Settings(), selection=selection, candidates=candidates,
                               roi=dataclasses.replace(Roi(), match="all", min_peers=1, **roi))


def dead_pid() -> int:
    """The id of a process that ran and is gone (and, on a quiet machine, not reused yet)."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    return int(proc.stdout)
