"""The contract's tables and columns (:data:`TABLES`), which are required, and which columns hold personal data."""

from __future__ import annotations

import re

from cskpi_analysis.contract._schema import Column, Table

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
                Column(
                    "email", "string", False, "Contact e-mail. Personal data: never shown in reports.", personal=True
                ),
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
                    stored_as="DECIMAL(18, 2)",
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
                Column("user_id", "string", False, "User who acted (for active users). Personal data.", personal=True),
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


PERSONAL_COLUMNS: frozenset[str] = frozenset(c.name for t in TABLES.values() for c in t.columns if c.personal)

#: Column names that say they hold personal data, beyond the contract's own (``contact_email``,
#: ``first_name``, ``phone``...): matched on the lower-cased name, ``-`` and spaces read as ``_``.
_PERSONAL_NAME = re.compile(
    r"(^|_)(e_?mail|mail|phone|mobile|(first|last|full|given|family|contact|user)_?name|user_?id|ip_?address|"
    r"address)($|_)|^contact$"
)


def is_personal(name: str) -> bool:
    """True for a column holding personal data: one the contract marks ``personal``, or a name that says so."""
    normal = re.sub(r"[-\s]+", "_", name.strip().lower())
    return name in PERSONAL_COLUMNS or normal in PERSONAL_COLUMNS or bool(_PERSONAL_NAME.search(normal))
