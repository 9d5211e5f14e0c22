"""Find a data folder's files and expose them to DuckDB, without loading them into pandas.

Two views of a table are offered:

* :func:`raw_relation` reads a file as it is (CSV as text, Parquet with its own
  types), with a 1-based ``_row`` column, for validation: nothing is cast, so a bad
  value can be reported instead of failing the read.
* :func:`register_sources` creates one view ``src_<table>`` per contract table with
  every contract column, parsed to its contract type by the very expression the
  validator checks (:func:`cskpi_analysis.contract.parse_sql`: white space stripped, blank
  values NULL, UTC offsets converted, numbers in the stored type's range), so a folder
  the validator accepts cannot make a staging cast fail. A missing optional column or
  table becomes NULLs or an empty view. File paths go through DuckDB's reader functions
  as values, never pasted into SQL.

Row numbers: for a CSV, row N is the N-th data row, i.e. line N + 1 of the file
(the header is line 1). For Parquet, row N is the N-th record.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from cskpi_analysis.config import AnalysisConfig
from cskpi_analysis.contract import FILE_EXTENSIONS, TABLES, Table, parse_sql


def find_table_file(data_dir: str | Path, table: str) -> Path | None:
    """The file holding ``table`` in ``data_dir`` (Parquet preferred over CSV), or None."""
    for ext in FILE_EXTENSIONS:
        path = Path(data_dir) / f"{table}{ext}"
        if path.is_file():
            return path
    return None


def present_tables(data_dir: str | Path) -> dict[str, Path]:
    """Contract tables that exist in ``data_dir``, with their files."""
    found = {name: find_table_file(data_dir, name) for name in TABLES}
    return {name: path for name, path in found.items() if path is not None}


def quote_identifier(name: str) -> str:
    """Quote a column name for SQL (identifiers cannot be bound as parameters)."""
    return '"' + name.replace('"', '""') + '"'


def _read(con: duckdb.DuckDBPyConnection, path: Path) -> duckdb.DuckDBPyRelation:
    """The file at ``path`` as a relation, CSV columns as text (nothing cast, nothing lost)."""
    if path.suffix == ".csv":
        return con.read_csv(str(path), header=True, all_varchar=True)
    return con.read_parquet(str(path))


def raw_relation(con: duckdb.DuckDBPyConnection, path: Path) -> duckdb.DuckDBPyRelation:
    """The file at ``path`` as a relation: CSV columns as text, plus ``_row`` (1-based)."""
    return _read(con, path).select("*, row_number() over () as _row")


def empty_projection(table: Table) -> str:
    """The select list of an absent table's ``src_`` view: every contract column as a typed NULL."""
    return ", ".join(f"cast(null as {c.sql_type}) as {quote_identifier(c.name)}" for c in table.columns)


def source_projection(table: Table, types: dict[str, str], config: AnalysisConfig) -> str:
    """The select list of a ``src_`` view: every contract column parsed from a file's columns.

    ``types`` maps each column of the file to its DuckDB type (``VARCHAR`` for a CSV column).
    A column absent from the file, or of a type that cannot be read as its contract type
    (which the validator refuses), is NULL.
    """
    select = []
    for col in table.columns:
        source = config.segment_column if table.name == "accounts" and col.name == "segment" else col.name
        parsed = parse_sql(col, quote_identifier(source), types[source]) if source in types else None
        value = parsed.value if parsed is not None else f"cast(null as {col.sql_type})"
        select.append(f"{value} as {quote_identifier(col.name)}")
    return ", ".join(select)


def register_sources(con: duckdb.DuckDBPyConnection, data_dir: str | Path, config: AnalysisConfig) -> dict[str, Path]:
    """Create a view ``src_<table>`` for every contract table; return the files used.

    The view has exactly the contract's columns, of their stored types
    (:attr:`~cskpi_analysis.contract.Column.sql_type`), parsed as the validator parses them.
    ``accounts.segment`` is taken from ``config.segment_column`` (and is ``'Unknown'``-filled
    later in ``stg_accounts``).
    """
    files = present_tables(data_dir)
    for name, table in TABLES.items():
        view = f"src_{name}"
        path = files.get(name)
        if path is None:
            con.sql(f"select {empty_projection(table)} where false").create_view(view, replace=True)
            continue
        rel = _read(con, path)
        types = {c: str(t) for c, t in zip(rel.columns, rel.types, strict=True)}
        rel.select(source_projection(table, types, config)).create_view(view, replace=True)
    return files
