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
``timestamp`` ``YYYY-MM-DD HH:MM:SS`` (ISO 8601; a date alone means midnight; a UTC offset
              such as ``Z`` or ``+02:00`` is converted to UTC).
``decimal``   a number, ``.`` as the decimal separator, no thousands separator.
``integer``   a whole number.

Parsing (one definition, :func:`parse_sql`)
-------------------------------------------
The validator and the build read a value through the same SQL expression, so a value the
validator accepts is exactly a value the build can cast: white space around a text value is
stripped (every Unicode space, no-break spaces included: :data:`WHITESPACE`), a blank value is
no value, a value must have its type's form (:data:`TEXT_FORMS`) and fit the SQL type the build
stores it as (:attr:`Column.sql_type`, e.g. ``mrr`` as ``DECIMAL(18, 2)``). The validator
(:mod:`cskpi_analysis.validate`) reports each value the expression turns into NULL; the build
(:func:`cskpi_analysis.sources.register_sources`) exposes the parsed values to the staging models,
whose casts are then only the names of the types.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

ColumnType = Literal["string", "date", "timestamp", "decimal", "integer"]

#: SQL (DuckDB) type each contract type is stored as by the build (the staging models' casts),
#: unless a column says otherwise (:attr:`Column.stored_as`).
DUCKDB_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "decimal": "DOUBLE",
    "integer": "INTEGER",
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
    stored_as : the SQL type the build stores the column as, when not its type's default
        (:data:`DUCKDB_TYPES`); a value beyond its range is an error.
    personal : personal data (a person's e-mail, a user id): never staged for display, never a segment.
    """

    name: str
    type: ColumnType
    required: bool
    description: str
    minimum: float | None = None
    maximum: float | None = None
    nullable: bool = False
    not_after_as_of: bool = False
    stored_as: str | None = None
    personal: bool = False

    @property
    def sql_type(self) -> str:
        """The SQL type the build stores this column as (the staging model's cast)."""
        return self.stored_as or DUCKDB_TYPES[self.type]


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


# --------------------------------------------------------------------------- parsing (shared by validate and build)

#: Characters stripped from both ends of a text value before it is parsed: every Unicode white
#: space (``str.isspace``: ASCII blanks, U+0085, U+00A0 and U+202F no-break spaces, U+1680,
#: U+2000-U+200A, U+2028, U+2029, U+205F, U+3000) and the invisible U+200B zero-width space and
#: U+FEFF byte-order mark, which spreadsheet exports leave around values.
WHITESPACE: str = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200C))
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)

_DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
_TIME = "[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?"

#: The form of a text value of each type (a regular expression matched on the whole stripped value).
TEXT_FORMS: dict[str, str] = {
    "date": _DATE,
    "timestamp": f"{_DATE}({_TIME})?",
    "decimal": "[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?",
    "integer": "[+-]?[0-9]+",
}

#: A timestamp with a UTC offset (``Z``, ``+HH``, ``+HHMM``, ``+HH:MM``, or `` UTC`` as BigQuery
#: exports write it): converted to UTC. A zone name (``Europe/Paris``) is not a form: such a value is
#: refused, never read with its zone dropped.
OFFSET_TIMESTAMP_FORM: str = f"{_DATE}{_TIME}(Z| UTC|[+-][0-9]{{2}}(:?[0-9]{{2}})?)"

_INTEGER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
)
_FLOAT_TYPES = frozenset({"FLOAT", "DOUBLE"})
_INTEGER_RANGES: dict[str, tuple[int, int]] = {
    "SMALLINT": (-(2**15), 2**15 - 1),
    "INTEGER": (-(2**31), 2**31 - 1),
    "BIGINT": (-(2**63), 2**63 - 1),
}


@dataclass(frozen=True)
class Parse:
    """How one stored column is read as its contract type: SQL over the stored value.

    Attributes
    ----------
    value : the value as :attr:`Column.sql_type`; NULL when blank, not of the type, or beyond the
        type's range. The build stages exactly this; the validator reports every non-blank value it
        turns into NULL.
    blank : true where the stored value holds no value (NULL, ``''`` or only white space).
    overflow : for a non-blank value whose ``value`` is NULL: true when it has the type's form but
        lies beyond the range of :attr:`Column.sql_type` (None: that cannot happen).
    """

    value: str
    blank: str
    overflow: str | None = None


def sql_string(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def strip_sql(expr: str) -> str:
    """SQL: text ``expr`` without the :data:`WHITESPACE` at either end; NULL if nothing is left."""
    return f"nullif(trim(both {sql_string(WHITESPACE)} from {expr}), '')"


def blank_sql(expr: str) -> str:
    """SQL: true where text ``expr`` holds no value (NULL, empty, or only white space).

    A value starting with a printable ASCII character other than a space is never blank, so
    only the few other values are stripped.
    """
    return f"(case when {expr} >= '!' and {expr} < chr(127) then false else {strip_sql(expr)} is null end)"


def _matches(expr: str, form: str) -> str:
    return f"regexp_matches({expr}, '^({form})$')"


def _text_branches(col: Column, text: str) -> str:
    """``when <form> then <cast>`` branches of a CASE reading text ``text`` as ``col``'s type."""
    target = col.sql_type
    if col.type == "decimal" and target in _FLOAT_TYPES:
        cast = f"case when isfinite(try_cast({text} as {target})) then try_cast({text} as {target}) end"
    else:
        cast = f"try_cast({text} as {target})"
    branches = f"when {_matches(text, TEXT_FORMS[col.type])} then {cast}"
    if col.type == "timestamp":
        utc = f"cast(try_cast({text} as TIMESTAMPTZ) at time zone 'UTC' as {target})"
        branches += f" when {_matches(text, OFFSET_TIMESTAMP_FORM)} then {utc}"
    return branches


def _parse_text(col: Column, expr: str, blank: str | None) -> Parse:
    """Reading text (a CSV column, a Parquet VARCHAR): strip, then the type's form, then the cast.

    A value is first tried as it is, then stripped: the strip (the costly part) runs on
    the few values that need it. A string is kept as written, only blank ones being NULL.
    """
    blank = blank or blank_sql(expr)
    if col.type == "string":
        return Parse(f"case when {blank} then null else {expr} end", blank)
    stripped = strip_sql(expr)
    value = f"case {_text_branches(col, expr)} {_text_branches(col, stripped)} end"
    overflow = _matches(stripped, TEXT_FORMS[col.type]) if col.type in ("decimal", "integer") else None
    return Parse(value, blank, overflow)


def _parse_native(col: Column, expr: str, source_type: str, blank: str | None) -> Parse | None:
    """Reading a natively typed (Parquet) column: checked as it is, never through text."""
    temporal = source_type == "DATE" or source_type.startswith("TIMESTAMP")
    number = source_type in _INTEGER_TYPES or source_type in _FLOAT_TYPES or source_type.startswith("DECIMAL")
    plain = temporal or number or source_type == "BOOLEAN" or source_type.startswith("TIME")
    text = f"cast({expr} as VARCHAR)"
    blank = blank or (f"{expr} is null" if plain else blank_sql(text))
    target = col.sql_type
    if col.type == "string":
        return Parse(text if plain else f"case when {blank} then null else {text} end", blank)
    if col.type in ("date", "timestamp") and temporal:
        utc = f"({expr} at time zone 'UTC')" if "TIME ZONE" in source_type else expr
        return Parse(f"case when isfinite({expr}) then cast({utc} as {target}) end", blank)
    if col.type in ("decimal", "integer") and number:
        conditions = []
        if source_type in _FLOAT_TYPES:
            conditions.append(f"isfinite({expr})")
        if col.type == "integer" and source_type not in _INTEGER_TYPES:
            conditions.append(f"{expr} = round({expr})")
        form = " and ".join(conditions) or "true"
        return Parse(f"case when {form} then try_cast({expr} as {target}) end", blank, form)
    return None


def parse_sql(col: Column, expr: str, source_type: str = "VARCHAR", *, blank: str | None = None) -> Parse | None:
    """How ``col``, stored as ``expr`` of DuckDB type ``source_type``, is read: the one definition.

    Parameters
    ----------
    col : the contract column.
    expr : SQL of the stored value (a quoted column name).
    source_type : its DuckDB type: ``VARCHAR`` for a CSV column (read as text) or a Parquet
        text column; a Parquet column's own type otherwise.
    blank : SQL of the ``blank`` predicate, when already computed (e.g. a column of a view).

    Returns
    -------
    Parse | None
        The SQL expressions (see :class:`Parse`); None when values of ``source_type``
        cannot be read as ``col.type`` at all (e.g. a BOOLEAN ``mrr``).

    Examples
    --------
    >>> parse_sql(TABLES["subscriptions"].column("mrr"), '"mrr"').value  # doctest: +ELLIPSIS
    'case when regexp_matches("mrr", ...) then try_cast("mrr" as DECIMAL(18, 2)) when ...'
    """
    source_type = source_type.upper()
    if source_type == "VARCHAR":
        return _parse_text(col, expr, blank)
    return _parse_native(col, expr, source_type, blank)


def storable_range(col: Column) -> tuple[str, str] | None:
    """The lowest and highest value of a number column's SQL type, as text; None for other columns."""
    target = col.sql_type
    decimal = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", target)
    if decimal:
        precision, scale = int(decimal.group(1)), int(decimal.group(2))
        high = Decimal(10) ** (precision - scale) - Decimal(10) ** -scale
        return str(-high), str(high)
    if target in _INTEGER_RANGES:
        low, high = _INTEGER_RANGES[target]
        return str(low), str(high)
    if target in _FLOAT_TYPES:
        return repr(-sys.float_info.max), repr(sys.float_info.max)
    return None


def _storage_note(col: Column) -> str | None:
    """What the stored type adds to a column's documented bounds (a declared ``stored_as`` only)."""
    if col.stored_as is None:
        return None
    decimal = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", col.stored_as)
    if decimal:
        precision, scale = int(decimal.group(1)), int(decimal.group(2))
        return f"at most {precision - scale} digits before the decimal point; rounded to {scale} decimals"
    return f"stored as {col.stored_as}"


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
            note = _storage_note(col)
            if note:
                bounds.append(note)
            if col.not_after_as_of:
                bounds.append("not after `as_of`")
            extra = f" ({'; '.join(bounds)})" if bounds else ""
            req = "**yes**" if col.required else "no"
            lines.append(f"| `{col.name}` | {col.type} | {req} | {col.description}{extra} |")
        lines.append("")
    return "\n".join(lines)
