"""``kamreports init DIR``: a starter project for one's own data.

A project is a folder the user owns: ``settings.yaml`` (every setting, commented out with its default
and what it means), ``data/`` (their tables), ``profiles/`` (a column-mapping skeleton), ``plans/``
(one plan file per key account: without ``accounts_dir`` this is where plans are read, beside the
settings file; config.plans_folder) and a README with the next steps. Commands run from inside it.

The settings file is made from ``params/default.yaml`` (package data), which a test keeps equal to the
declared defaults (config.Settings), and another test checks that every declared key appears in the
starter file, commented, with a meaning: so the starter file cannot drift from the code.
"""
from __future__ import annotations

import re
from pathlib import Path

from .errors import KamError
from .files import resource

#: The starter project's files, relative to its folder.
STARTER_FILES = ("settings.yaml", "profiles/example.yaml", "plans/README.md", "README.md")

#: The one setting the starter file sets: the project's own data folder. Left out, the build would
#: quietly report on the sample company; set, ``validate`` says the folder is missing until it is filled.
STARTER_DATA = "data"

_COMMENTED_KEY = re.compile(r"^# *[A-Za-z_]+:")
_SETTINGS_HEADER = """\
# kamreports settings for this project. Paths are relative to this file.
#
# Every setting is here with its default, commented out. To change one, remove the leading "# " from
# its line and from its section's line (e.g. "# selection:" and "#   threshold: 6.0"). A file needs
# only the keys it changes; `kamreports validate --config settings.yaml` checks them all.
"""

_PROFILE = """\
# A column-mapping profile: how an export's own tables and columns become kamreports' tables.
# This skeleton maps an export of three CSV files (customers.csv, products.csv, orders.csv); rename
# the columns on the right to your export's. To use it, set in settings.yaml:
#   profile: profiles/example.yaml
# The guide, with every step and worked Salesforce and order-line examples, is docs/data_profiles.md
# in the kamreports repository. Tables a profile does not make (targets, opportunities, stakeholders,
# kam_costs, feedback) are absent: their sections say "no data".
name: Example CRM export
exports:                          # every export table the profile uses, with its cleaning steps
  customers:
    dates: {first_order: iso}     # the export's date format: iso, or strftime codes such as "%d/%m/%Y"
  products: {}
  orders:
    numbers: [amount]             # "$12,500.00" -> 12500.00
    dates: {order_date: iso}
tables:
  accounts:
    from: customers
    columns:                      # canonical column: the export's column
      account_id: customer_id
      name: customer_name
      industry: industry
      region: region
      owner: account_manager
      start_date: first_order
  products:
    from: products
    columns:
      product_id: sku
      name: product_name
  revenue:
    from: orders
    drop_empty: [account_id]      # rows without a customer are dropped, and counted
    columns:
      account_id: customer_id
      date: order_date
      product_id: sku
      revenue: amount
"""

_PLANS_README = """\
# Account plans

One YAML file per key account, named after its account id: `ACC-0001.yaml`. kamreports reads them
from this folder (beside settings.yaml), unless `accounts_dir` in the settings names another.

    kamreports plan new ACC-0001 --config settings.yaml

(run in the project folder) drafts one from the data, with TODOs for what only the team knows. A key
account without a file gets "No account plan agreed" in its pack; `kamreports validate` and the build
log list those accounts.
"""

_README = """\
# {name}: a kamreports project

| file | what it is |
|---|---|
| `settings.yaml` | every setting, commented out with its default; `data: data` names your tables |
| `data/` | your tables: one CSV file per table (make this folder) |
| `profiles/example.yaml` | a column-mapping skeleton, for an export with its own column names |
| `plans/` | one account plan per key account (`ACC-0001.yaml`) |

## Next steps

Run these in this folder.

1. **Your data.** Put the canonical tables in `data/` (`accounts.csv`, `products.csv`, `revenue.csv`;
   optional `targets.csv`, `opportunities.csv`, `stakeholders.csv`, `kam_costs.csv`, `feedback.csv`;
   the columns are in the kamreports README, "Data: the canonical tables"). An export with its own
   names: adapt `profiles/example.yaml` and set `profile: profiles/example.yaml`. An Excel workbook,
   Parquet files or a database: set `data:` as the settings file shows. To try the project first with
   the sample company's tables: `kamreports sample --out data`, then `mv data/plans/*.yaml plans/`
   for its plans (plans are read from `plans/` here, not from inside the data folder).
2. **Check.** `kamreports validate --config settings.yaml` lists every problem with its file, row,
   column and value, and the key accounts that have no plan yet.
3. **Choose how accounts are judged.** Uncomment and change `selection:` (criteria, weights,
   threshold) and the other sections in `settings.yaml`; validate again.
4. **Plans.** For each key account, `kamreports plan new ACC-0001 --config settings.yaml` drafts
   `plans/ACC-0001.yaml` from the data; the team fills in the TODOs.
5. **Build.** `kamreports build --config settings.yaml` writes `output/<quarter>/`: open `index.html`,
   or the book `qbr_pack_<quarter>.pdf`.
"""


def starter_settings() -> str:
    """The starter ``settings.yaml``: the default settings file with every line commented out, but
    ``data:`` set to the project's data folder."""
    lines = resource("default.yaml").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line and not line.startswith("#"))   # past its header
    out = [_SETTINGS_HEADER]
    for line in lines[start:]:
        if not line.strip():
            out.append("")
        elif line.startswith("data:"):    # the one key set: "data: null   # meaning" -> "data: data   # meaning"
            value, _, comment = line.partition("#")
            out.append(f"data: {STARTER_DATA}".ljust(len(value) + 2) + "#" + comment)
        elif _COMMENTED_KEY.match(line):   # already commented out (the data: mapping): stays so
            out.append(line)
        else:
            out.append(f"# {line}")
    return "\n".join(out).rstrip() + "\n"


def init_project(folder: str | Path) -> list[Path]:
    """Write the starter project into ``folder`` (made if missing); return the files written.
    Never overwrites: if any of its files exists, nothing is written and the error names them."""
    root = Path(folder)
    targets = [root / name for name in STARTER_FILES]
    existing = [str(p) for p in targets if p.exists() or p.is_symlink()]
    if existing:
        raise KamError(f"kamreports init never overwrites a file, and {', '.join(existing)} "
                       f"{'exists' if len(existing) == 1 else 'exist'}: nothing was written (choose a new folder, "
                       "or move them away)")
    if root.exists() and not root.is_dir():
        raise KamError(f"{root} is not a folder: nothing was written")
    contents = {"settings.yaml": starter_settings(), "profiles/example.yaml": _PROFILE,
                "plans/README.md": _PLANS_README, "README.md": _README.format(name=root.resolve().name)}
    written = []
    for name in STARTER_FILES:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as handle:    # "x": never replaces a file made meanwhile
            handle.write(contents[name])
        written.append(path)
    return written
