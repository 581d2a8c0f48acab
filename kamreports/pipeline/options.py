"""What a build is asked to do: :class:`BuildOptions`.

Light to import (no pandas), so the command line can act on the options before it loads the build.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .deadline import RENDER_TIMEOUT


@dataclass
class BuildOptions:
    data: Path | None = None
    config: Path | None = None
    quarter: str | None = None
    accounts: list[str] | None = None
    output: Path = Path("output")
    workers: int = 0               # 0: one per core (default_workers)
    timeout: int | None = 600      # seconds a cell may run
    book: bool = True
    force: bool = False            # rebuild every pack even if its inputs are unchanged
    retry_failed: bool = False     # rebuild only the packs that failed last time
    wait: bool = False             # queue behind a running build instead of refusing
    notebooks: Path | None = None  # a folder with the team's own account_plan/portfolio_review notebooks
    scheduler: str | None = None   # Dask scheduler address (tcp://host:port); overrides the settings' scheduler
    render_timeout: float | None = RENDER_TIMEOUT   # seconds rendering one pack (HTML and PDF) may take
