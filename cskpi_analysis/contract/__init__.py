"""The input data contract: every table, column, type, unit and meaning, in one place.

A data folder holds one file per table, CSV or Parquet, the file stem being the
table name (``accounts.csv``, ``usage_events.parquet``). This package is the single
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

Layout (private modules; the names below are the package's API):

* ``_schema``: what a table and a column are (:class:`Table`, :class:`Column`), the SQL type of each
  contract type (:data:`DUCKDB_TYPES`), the file extensions;
* ``_tables``: the tables (:data:`TABLES`), required and optional, and which columns are personal data;
* ``_parse``: the parsing shared by the validator and the build (:func:`parse_sql`, :func:`storable_range`);
* ``_markdown``: the Markdown tables of ``data/README.md`` (:func:`contract_markdown`) and each column's limits
  in words (:func:`column_bounds`, also for ``cskpi contract``).
"""

from __future__ import annotations

from cskpi_analysis.contract._markdown import column_bounds, contract_markdown
from cskpi_analysis.contract._parse import TEXT_FORMS, WHITESPACE, Parse, parse_sql, storable_range
from cskpi_analysis.contract._schema import DUCKDB_TYPES, FILE_EXTENSIONS, Column, Table
from cskpi_analysis.contract._tables import OPTIONAL_TABLES, REQUIRED_TABLES, TABLES, is_personal

__all__ = [
    "DUCKDB_TYPES",
    "FILE_EXTENSIONS",
    "OPTIONAL_TABLES",
    "REQUIRED_TABLES",
    "TABLES",
    "TEXT_FORMS",
    "WHITESPACE",
    "Column",
    "Parse",
    "Table",
    "column_bounds",
    "contract_markdown",
    "is_personal",
    "parse_sql",
    "storable_range",
]
