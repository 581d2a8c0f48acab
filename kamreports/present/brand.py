"""The company's mark, for the pages: :mod:`kamreports.brand` (kept outside this package so the build
can show it on the book's cover and index.html without importing the pages' code)."""
from __future__ import annotations

from ..brand import brand_logo, logo_data_uri, monogram_data_uri

__all__ = ["brand_logo", "logo_data_uri", "monogram_data_uri"]
