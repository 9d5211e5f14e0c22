"""The input data contract: every table, column, type, unit and meaning, in one place.

A data folder holds one file per table, CSV or Parquet, the file stem being the
table name (``accounts.csv``, ``usage_events.parquet``). This module is the single
source of truth for what those files must contain: :mod:`cskpi_analysis.validate`
enforces it, :mod:`cskpi_analysis.demo` writes it, the staging SQL models cast to it,
and ``data/README.md`` is generated from it (``cskpi contract --markdown``).

Types
-----
``string``    free text or an identifier.
``date``      ``YYYY-MM-DD``.
``timestamp`` ``YYYY-MM-DD HH:MM:SS`` (ISO 8601; a date alone means midnight).
``decimal``   a number, ``.`` as the decimal separator, no thousands separator.
``integer``   a whole number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["string", "date", "timestamp", "decimal", "integer"]

#: DuckDB type each contract type is cast to in the staging models.
DUCKDB_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "decimal": "DOUBLE",
    "integer": "BIGINT",
}

#: File extensions a table may be stored with, in order of preference.
FILE_EXTENSIONS: tuple[str, ...] = (".parquet", ".csv")


@dataclass(frozen=True)
class Column:
    """One column of a contract table.

    Attributes
    ----------
    name : column name, exactly as in the file header.
    type : one of the contract types (see module docstring).
    required : the column must be present, and (unless ``nullable``) never empty.
    description : meaning, with unit.
    minimum, maximum : inclusive bounds for numbers, if any.
    nullable : an empty value is allowed (only meaningful for required columns).
    not_after_as_of : a date or timestamp that must not lie after ``as_of``.
    """

    name: str
    type: ColumnType
    required: bool
    description: str
    minimum: float | None = None
    maximum: float | None = None
    nullable: bool = False
    not_after_as_of: bool = False


@dataclass(frozen=True)
class Table:
    """One contract table: a file in the data folder.

    Attributes
    ----------
    name : table name = file stem.
    required : the file must exist.
    grain : what one row is, in one sentence.
    columns : the columns, required first.
    unique_key : columns that must be unique together, if any.
    account_reference : the table has an ``account_id`` that must exist in ``accounts``.
    """

    name: str
    required: bool
    grain: str
    columns: tuple[Column, ...]
    unique_key: tuple[str, ...] = ()
    account_reference: bool = True

    @property
    def required_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")


_ACCOUNT_ID = Column("account_id", "string", True, "The account (customer) identifier; must exist in accounts.")

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "accounts",
            required=True,
            grain="One row per customer account.",
            unique_key=("account_id",),
            account_reference=False,
            columns=(
                Column("account_id", "string", True, "Unique account identifier."),
                Column(
                    "signup_date",
                    "date",
                    True,
                    "Date the account signed up (contract signature).",
                    not_after_as_of=True,
                ),
                Column("segment", "string", False, "Customer segment, e.g. SMB, Mid-Market, Enterprise."),
                Column("plan", "string", False, "Plan at signup."),
                Column("industry", "string", False, "Industry of the customer."),
                Column("region", "string", False, "Sales region."),
                Column("csm_owner", "string", False, "Customer Success Manager who owns the account."),
                Column("acquisition_channel", "string", False, "How the account was acquired."),
                Column("currency", "string", False, "ISO 4217 currency of the account's MRR (informational)."),
                Column("name", "string", False, "Account (company) name. Shown in reports."),
                Column("email", "string", False, "Contact e-mail. Personal data: never shown in reports."),
            ),
        ),
        Table(
            "subscriptions",
            required=True,
            grain="One row per subscription (a priced commitment over a date range); an account may "
            "hold several, overlapping or not, and their MRR adds up.",
            columns=(
                _ACCOUNT_ID,
                Column("start_date", "date", True, "First day the subscription is paid for.", not_after_as_of=True),
                Column(
                    "end_date",
                    "date",
                    False,
                    "First day NOT covered (exclusive end); empty while ongoing. "
                    "Must be after start_date. May lie after as_of (a scheduled end).",
                ),
                Column(
                    "mrr",
                    "decimal",
                    True,
                    "Monthly-normalised recurring revenue of the subscription "
                    "(an annual plan's yearly price / 12), in the account's currency.",
                    minimum=0,
                ),
                Column("plan", "string", False, "Plan of this subscription."),
                Column(
                    "billing_period_months", "integer", False, "Billing period: 1 = monthly, 12 = annual.", minimum=1
                ),
            ),
        ),
        Table(
            "usage_events",
            required=False,
            grain="One row per product event (a use of a feature by a user).",
            columns=(
                _ACCOUNT_ID,
                Column("occurred_at", "timestamp", True, "When the event happened.", not_after_as_of=True),
                Column("feature", "string", True, "Feature used; key features are named in cskpi.toml."),
                Column("user_id", "string", False, "User who acted (for active users)."),
            ),
        ),
        Table(
            "support_tickets",
            required=False,
            grain="One row per support ticket.",
            unique_key=("ticket_id",),
            columns=(
                _ACCOUNT_ID,
                Column("ticket_id", "string", True, "Unique ticket identifier."),
                Column("opened_at", "timestamp", True, "When the ticket was opened.", not_after_as_of=True),
                Column(
                    "first_response_at",
                    "timestamp",
                    False,
                    "First response by support; empty if none yet.",
                    not_after_as_of=True,
                ),
                Column(
                    "resolved_at",
                    "timestamp",
                    False,
                    "When it was resolved; empty if still open.",
                    not_after_as_of=True,
                ),
                Column(
                    "csat",
                    "integer",
                    False,
                    "Customer satisfaction rating of the ticket, 1 (worst) to 5.",
                    minimum=1,
                    maximum=5,
                ),
            ),
        ),
        Table(
            "nps_responses",
            required=False,
            grain="One row per NPS survey response.",
            columns=(
                _ACCOUNT_ID,
                Column("responded_at", "timestamp", True, "When the response was given.", not_after_as_of=True),
                Column("score", "integer", True, "Likelihood to recommend, 0 to 10.", minimum=0, maximum=10),
            ),
        ),
        Table(
            "health_scores",
            required=False,
            grain="One row per account per scoring date of a vendor health score.",
            unique_key=("account_id", "scored_at"),
            columns=(
                _ACCOUNT_ID,
                Column("scored_at", "date", True, "Date the score was computed.", not_after_as_of=True),
                Column(
                    "score",
                    "decimal",
                    True,
                    "The vendor's health score (higher = healthier), typically "
                    "0-100; cskpi validates it against churn rather than trusting it.",
                    minimum=0,
                    maximum=100,
                ),
            ),
        ),
        Table(
            "cs_activities",
            required=False,
            grain="One row per Customer Success activity (effort, not outcome).",
            columns=(
                _ACCOUNT_ID,
                Column("occurred_at", "timestamp", True, "When the activity happened.", not_after_as_of=True),
                Column("activity_type", "string", True, "check_in, qbr, email, call, ..."),
            ),
        ),
        Table(
            "milestones",
            required=False,
            grain="One row per account per milestone reached.",
            unique_key=("account_id", "milestone"),
            columns=(
                _ACCOUNT_ID,
                Column(
                    "milestone",
                    "string",
                    True,
                    "Milestone name; `first_value` (configurable) marks time "
                    "to first value; `onboarding_complete` marks onboarding completion.",
                ),
                Column("achieved_at", "timestamp", True, "When the milestone was reached.", not_after_as_of=True),
            ),
        ),
    )
}

REQUIRED_TABLES: tuple[str, ...] = tuple(name for name, t in TABLES.items() if t.required)
OPTIONAL_TABLES: tuple[str, ...] = tuple(name for name, t in TABLES.items() if not t.required)


def contract_markdown() -> str:
    """Render the contract as the Markdown tables of ``data/README.md``."""
    lines: list[str] = []
    for table in TABLES.values():
        status = "required" if table.required else "optional"
        lines += [f"### `{table.name}` ({status})", "", table.grain, ""]
        if table.unique_key:
            lines += [f"Unique key: `{', '.join(table.unique_key)}`.", ""]
        lines += ["| column | type | required | meaning |", "| --- | --- | --- | --- |"]
        for col in table.columns:
            bounds = []
            if col.minimum is not None:
                bounds.append(f"≥ {col.minimum:g}")
            if col.maximum is not None:
                bounds.append(f"≤ {col.maximum:g}")
            if col.not_after_as_of:
                bounds.append("not after `as_of`")
            extra = f" ({'; '.join(bounds)})" if bounds else ""
            req = "**yes**" if col.required else "no"
            lines.append(f"| `{col.name}` | {col.type} | {req} | {col.description}{extra} |")
        lines.append("")
    return "\n".join(lines)
