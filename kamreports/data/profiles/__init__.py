"""Column-mapping profiles: a CRM or ERP export in, the canonical tables out (docs/data_profiles.md).

:mod:`.language` is the YAML language (what a profile may say, parsed and checked before any data is
read); :mod:`.apply` applies a checked profile to an export; :mod:`.targets` derives targets from
revenue when the export has none; :mod:`.cells` writes numbers as the canonical text cells hold them.
The names below are the ones the rest of the package and its users import from here.
"""
from __future__ import annotations

from .apply import apply_profile
from .language import Profile, Step, TableSpec, load_profile, parse_profile, slug
from .targets import derive_targets

__all__ = ["Profile", "Step", "TableSpec", "apply_profile", "derive_targets", "load_profile", "parse_profile",
           "slug"]
