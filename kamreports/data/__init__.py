"""Data in: canonical schema, loaders, validation, the sample company."""
from __future__ import annotations

from pathlib import Path

from .dataset import Dataset
from .loaders import load_folder, write_folder
from .sample import SampleSpec, sample_dataset


def load_dataset(data: str | Path | None = None) -> Dataset:
    """The canonical tables from a folder of CSV files, or the sample company when ``data`` is None."""
    if data is None or str(data) == "":
        return sample_dataset()
    return load_folder(data)


__all__ = ["Dataset", "SampleSpec", "load_dataset", "load_folder", "sample_dataset", "write_folder"]
