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
    """Equal up to floating-point noise: figures worked out by hand must come out exactly."""
    return pytest.approx(x, rel=1e-12, abs=1e-12)


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
