"""kamreports: Key Account Management QBR packs from parameterised notebooks.

``from kamreports import open_portfolio`` is how notebooks and users load a quarter. It is imported
on first use (``__getattr__``), so ``import kamreports.cli`` stays cheap: the command line loads
pandas and the analytics only when a command needs them.
"""
from __future__ import annotations

from typing import Any

__all__ = ["open_portfolio"]


def __getattr__(name: str) -> Any:
    if name == "open_portfolio":
        from .inputs import open_portfolio

        return open_portfolio
    raise AttributeError(f"module 'kamreports' has no attribute {name!r}")
