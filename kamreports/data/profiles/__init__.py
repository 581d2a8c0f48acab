"""Column-mapping profiles: a CRM or ERP export in, the canonical tables out (docs/data_profiles.md).

:mod:`.language` is the YAML language (what a profile may say, parsed and checked before any data is
read), with its column steps in :mod:`.steps`, computed columns' arithmetic in :mod:`.expressions` and
the problem collector in :mod:`.checker`; :mod:`.apply` applies a checked profile to an export, with
:mod:`.combine` making a table one row per key (accounts from order lines); :mod:`.targets` derives
targets from revenue when the export has none; :mod:`.cells` writes numbers as the canonical text cells
hold them. The names below are the ones the rest of the package and its users import from here.
"""
from __future__ import annotations

from .apply import apply_profile
from .expressions import ExpressionError, parse_expression
from .language import Profile, TableSpec, load_profile, parse_profile, slug
from .steps import Step
from .targets import derive_targets

__all__ = ["ExpressionError", "Profile", "Step", "TableSpec", "apply_profile", "derive_targets", "load_profile",
           "parse_expression", "parse_profile", "slug"]
