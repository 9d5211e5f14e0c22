"""Parsing, shared by the validator and the build: the one SQL expression (:func:`parse_sql`) that reads a
stored value as its column's contract type, the white space it strips, the forms it accepts, and the range
of each stored number type."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from decimal import Decimal

from cskpi_analysis.contract._schema import Column

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
    >>> from cskpi_analysis.contract import TABLES
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
