"""The canonical tables every data source is turned into.

One place describes each table's columns, so the loader, the validator, the
sample generator and the README all agree on names, types and which tables
may be absent. A report section whose optional table is missing says so
instead of failing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnKind = Literal["id", "text", "date", "quarter", "money", "number", "int", "score"]


@dataclass(frozen=True)
class Column:
    name: str
    kind: ColumnKind
    required: bool = True          # column must exist in the file
    nullable: bool = False         # cells may be empty
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    references: str | None = None  # "table.column" this value must exist in
    description: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()      # columns that must be unique together
    optional: bool = False         # the whole table may be absent
    description: str = ""
    column_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_names", tuple(c.name for c in self.columns))

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


STAGES = ("won", "lost", "open")
ROLES = ("economic_buyer", "decision_maker", "champion", "technical", "end_user", "influencer")
LEVELS = ("executive", "management", "operational")

ACCOUNTS = Table(
    "accounts",
    (
        Column("account_id", "id", description="Stable identifier of the customer account."),
        Column("name", "text", description="Customer name as it appears in the packs."),
        Column("parent_id", "id", required=False, nullable=True, references="accounts.account_id",
               description="Parent account for subsidiaries; empty for a top-level account."),
        Column("industry", "text", nullable=True),
        Column("region", "text", nullable=True),
        Column("owner", "text", nullable=True, description="Key-account manager responsible."),
        Column("start_date", "date", nullable=True, description="Customer since."),
        Column("wallet_estimate", "money", required=False, nullable=True, minimum=0,
               description="Customer's estimated annual spend in our categories (share of wallet)."),
        Column("product_fit", "score", required=False, nullable=True, minimum=1, maximum=10,
               description="Analyst-entered score, 1-10."),
        Column("solvency", "score", required=False, nullable=True, minimum=1, maximum=10,
               description="Analyst-entered score, 1-10."),
        Column("strategic_value", "score", required=False, nullable=True, minimum=1, maximum=10,
               description="Analyst-entered score, 1-10."),
        Column("relative_strength", "score", required=False, nullable=True, minimum=0, maximum=10,
               description="Analyst-entered relationship strength relative to the best competitor, 0-10; "
                           "where given it replaces the derived strength on the KAM matrix."),
    ),
    key=("account_id",),
)

PRODUCTS = Table(
    "products",
    (
        Column("product_id", "id"),
        Column("name", "text"),
        Column("family", "text", required=False, nullable=True),
        Column("list_price", "money", required=False, nullable=True, minimum=0),
    ),
    key=("product_id",),
)

REVENUE = Table(
    "revenue",
    (
        Column("account_id", "id", references="accounts.account_id"),
        Column("date", "date", description="Booking date; reports group it by calendar quarter."),
        Column("product_id", "id", references="products.product_id"),
        Column("revenue", "money", minimum=0),
        Column("cogs", "money", required=False, nullable=True, minimum=0,
               description="Cost of goods sold; gross margin = revenue - cogs."),
    ),
)

TARGETS = Table(
    "targets",
    (
        Column("account_id", "id", references="accounts.account_id"),
        Column("quarter", "quarter", description="Calendar quarter, e.g. 2026Q3."),
        Column("target", "money", minimum=0),
    ),
    key=("account_id", "quarter"),
    optional=True,
)

OPPORTUNITIES = Table(
    "opportunities",
    (
        Column("opportunity_id", "id"),
        Column("account_id", "id", references="accounts.account_id"),
        Column("product_id", "id", nullable=True, references="products.product_id"),
        Column("stage", "text", choices=STAGES),
        Column("amount", "money", minimum=0),
        Column("created_date", "date", nullable=True),
        Column("close_date", "date", nullable=True),
        Column("probability", "number", required=False, nullable=True, minimum=0, maximum=1),
        Column("pipeline_stage", "text", required=False, nullable=True,
               description="Where an open deal stands in the sales process (Qualify, Propose ...), as the CRM "
                           "names it; open deals are grouped by it."),
    ),
    key=("opportunity_id",),
    optional=True,
)

STAKEHOLDERS = Table(
    "stakeholders",
    (
        Column("account_id", "id", references="accounts.account_id"),
        Column("name", "text"),
        Column("title", "text", nullable=True),
        Column("role", "text", choices=ROLES, description="Role in the buying decision."),
        Column("level", "text", required=False, nullable=True, choices=LEVELS),
        Column("influence", "int", minimum=1, maximum=5, description="1 (little) to 5 (decisive)."),
        Column("sentiment", "int", minimum=-2, maximum=2,
               description="-2 detractor, 0 neutral, +2 advocate."),
        Column("last_contact", "date", nullable=True),
    ),
    key=("account_id", "name"),
    optional=True,
)

KAM_COSTS = Table(
    "kam_costs",
    (
        Column("account_id", "id", references="accounts.account_id"),
        Column("quarter", "quarter"),
        Column("cost", "money", minimum=0, description="Cost to serve: team time, discounts, investments."),
    ),
    key=("account_id", "quarter"),
    optional=True,
)

FEEDBACK = Table(
    "feedback",
    (
        Column("account_id", "id", references="accounts.account_id"),
        Column("date", "date"),
        Column("nps", "int", minimum=0, maximum=10, description="Likelihood to recommend, 0-10."),
    ),
    optional=True,
)

TABLES: dict[str, Table] = {
    t.name: t for t in (ACCOUNTS, PRODUCTS, REVENUE, TARGETS, OPPORTUNITIES, STAKEHOLDERS, KAM_COSTS, FEEDBACK)
}
