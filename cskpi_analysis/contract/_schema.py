"""What a contract table and a contract column are: the types, the SQL type each is stored as, the file
extensions a table may have."""

from __future__ import annotations

from dataclasses import dataclass
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
