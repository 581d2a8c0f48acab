"""Data in: canonical schema, sources, profiles, loaders, validation, the sample company.

The entry point is :func:`load_data`: the settings' ``data`` (a folder of CSV, or a
mapping naming a CSV folder, Excel workbook, Parquet folder or SQL database) read
through the settings' ``profile`` when the data is an export rather than the
canonical tables, or the sample company when no data is named.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..files import file_fingerprint
from .dataset import Dataset
from .loaders import load_folder, tables_from_frames, write_folder
from .sample import SampleSpec, sample_dataset
from .schema import TABLES
from .sources import CsvSource, SourceRef, TableSource, infer_kind, open_source

if TYPE_CHECKING:
    from ..config import Settings
    from .profiles import Profile


def source_for(settings: Settings, data: str | Path | None = None) -> TableSource | None:
    """Where to read: ``data`` (a CSV or Parquet folder, or an Excel workbook) when given, else the
    settings' ``data``; None for the sample company. Nothing is read or connected yet."""
    from ..config import DataSource

    if data not in (None, ""):
        path = Path(data)
        return open_source(infer_kind(path), path, where=str(path))
    spec = settings.data
    if spec is None:
        return None
    if not isinstance(spec, DataSource):
        return CsvSource(settings.data_path)  # type: ignore[arg-type]
    path = settings.resolve(spec.path) if spec.path else None
    return open_source(spec.kind, path, _file_url(settings, spec.url), spec.tables, spec.encoding,
                       where=settings.source)


def _file_url(settings: Settings, url: str | None) -> str | None:
    """``sqlite:///crm.db`` and ``duckdb:///crm.duckdb``: a relative file is relative to the settings file."""
    import re

    match = re.match(r"^((?:sqlite|duckdb)(?:\+\w+)?:///)([^/:?][^?]*)(\?.*)?$", url or "")
    if not match or settings.source == "defaults" or "${" in match.group(2):
        return url
    return f"{match.group(1)}{settings.resolve(match.group(2))}{match.group(3) or ''}"


def profile_for(settings: Settings) -> Profile | None:
    """The settings' column-mapping profile, loaded and checked; None when the data is canonical."""
    from .profiles import load_profile

    if settings.profile is None:
        return None
    if isinstance(settings.profile, dict):
        return load_profile(settings.profile, f"{settings.source} (profile)")
    return load_profile(settings.resolve(settings.profile), str(settings.resolve(settings.profile)))


def read_tables(source: TableSource, profile: Profile | None = None) -> Dataset:
    """The canonical tables from ``source``: through ``profile``, or read as they are."""
    if profile is not None:
        from .profiles import apply_profile

        return apply_profile(profile, source)
    if isinstance(source, CsvSource) and not source.tables and source.encoding == "utf-8-sig":
        return load_folder(source.folder)
    raw = {}
    for name in TABLES:
        frame = source.read(name)
        if frame is not None:
            raw[name] = frame
    return tables_from_frames(raw, {name: source.where(name) for name in TABLES}, origin=source.describe())


def load_data(settings: Settings | None = None, data: str | Path | None = None) -> Dataset:
    """The canonical tables the settings name (``data`` overrides where they are read from)."""
    from ..config import Settings

    settings = settings or Settings()
    profile = profile_for(settings)
    source = source_for(settings, data)
    if source is None:
        return sample_dataset()
    try:
        dataset = read_tables(source, profile)
    finally:
        source.close()
    if data not in (None, ""):
        dataset.given_path = Path(data)
    return dataset


def load_for_build(settings: Settings, data: str | Path | None = None) -> tuple[Dataset, Path | SourceRef | None]:
    """The dataset, and what the build records as its location (manifest ``inputs.data``) and passes to
    the notebooks: the folder or workbook path, or for a ``data:`` mapping a :class:`SourceRef` (masked
    description; notebooks re-read such a source from the settings file)."""
    from ..config import DataSource

    dataset = load_data(settings, data)
    if data not in (None, ""):
        return dataset, Path(data)
    if isinstance(settings.data, DataSource):
        return dataset, SourceRef(dataset.source)
    return dataset, settings.data_path


def data_fingerprint(settings: Settings, data: str | Path | None = None) -> tuple | None:
    """What identifies the data cheaply (files' names, sizes and times; a database by its masked URL
    and tables, so it is read once per process), with the profile's."""
    source = source_for(settings, data)
    if source is None:
        return None
    profile: object = None
    if isinstance(settings.profile, dict):
        profile = repr(settings.profile)
    elif settings.profile:
        profile = file_fingerprint([settings.resolve(settings.profile)])
    return (source.fingerprint(), profile)


__all__ = ["Dataset", "SampleSpec", "SourceRef", "data_fingerprint", "load_data", "load_folder",
           "load_for_build", "profile_for", "read_tables", "sample_dataset", "source_for",
           "write_folder"]
