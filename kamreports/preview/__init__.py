"""``kamreports preview``: one pack served on loopback, made again on every save.

``session`` makes the pack with the build's own pieces and keeps the kernel warm, ``watch`` says
which saved file calls for what, ``server`` serves the page and tells it to reload.
"""
from __future__ import annotations

from .server import DEFAULT_PORT, PreviewError
from .session import PreviewOptions, PreviewSession, run_preview

__all__ = ["DEFAULT_PORT", "PreviewError", "PreviewOptions", "PreviewSession", "run_preview"]
