"""Reading a data file in place: file relations, column reads, typed views, folder, header, encoding and ragged-row checks."""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from cskpi_analysis.contract import FILE_EXTENSIONS, TABLES, Column, Table, parse_sql
from cskpi_analysis.sources import quote_identifier
from cskpi_analysis.validate._report import SAMPLE_SIZE, Problem, _shorten


@dataclass(frozen=True)
class _RowSample:
    count: int
    rows: tuple[int, ...]
    values: tuple[str, ...]


def _sample(
    con: duckdb.DuckDBPyConnection, relation: str, where: str, value: str, params: dict[str, Any] | None = None
) -> _RowSample:
    """Count the rows of ``relation`` matching ``where``; fetch the first few rows and values.

    ``relation``, ``where`` and ``value`` are SQL built from contract identifiers only;
    every value comes in through ``params``.
    """
    sql = (
        f"select count(*) over () as n, _row, cast({value} as varchar) as v "
        f"from {relation} where {where} order by _row limit {SAMPLE_SIZE}"
    )
    fetched = con.execute(sql, params or {}).fetchall()
    if not fetched:
        return _RowSample(0, (), ())
    return _RowSample(
        count=int(fetched[0][0]),
        rows=tuple(int(r[1]) for r in fetched),
        values=tuple(_shorten("" if r[2] is None else str(r[2])) for r in fetched),
    )


def _raw(column: str) -> str:
    """Name, in a typed view, of a column's value as stored in the file."""
    return quote_identifier(f"{column}__raw")


def _blank(column: str) -> str:
    """Name, in a typed view, of whether a column's value is blank (NULL, empty or only white space)."""
    return quote_identifier(f"{column}__blank")


def _as_written(column: str) -> str:
    """SQL for a column's value as written in the file (for messages), in a typed view ``x``."""
    return f"cast(x.{_raw(column)} as varchar)"


@dataclass(frozen=True)
class _ColumnRead:
    """How one present contract column is read into a typed view.

    ``typed`` is SQL over the file's columns and the ``derived`` ones (computed once per
    row, before ``typed``); ``empty``, ``bad`` and ``overflow`` are predicates over the typed view ``x``.
    """

    typed: str  # the value cast to the contract type, NULL if empty or bad
    empty: str  # true where the value is empty
    bad: str | None  # true on a non-empty value that does not fit the type
    derived: tuple[tuple[str, str], ...] = ()  # (name, SQL): helper columns
    incompatible: str | None = None  # a Parquet type that cannot be cast at all
    overflow: str | None = None  # true on a value of the type's form beyond the stored type's range


def _read_column(col: Column, source_type: str) -> _ColumnRead:
    """How ``col``, stored with DuckDB type ``source_type``, is read: the contract's one parse.

    :func:`cskpi_analysis.contract.parse_sql` gives the typed value (the build stages exactly
    this), whether the value is blank, and whether a value it turns into NULL is of the
    type's form but beyond the stored type's range; every other non-blank value it turns
    into NULL does not fit the type. The blank test is computed once per row (a helper column).
    """
    q, blank = quote_identifier(col.name), _blank(col.name)
    parsed = parse_sql(col, q, source_type, blank=blank)
    if parsed is None:
        return _ColumnRead(f"cast(null as {col.sql_type})", "false", None, incompatible=source_type.upper())
    own = parse_sql(col, q, source_type)
    assert own is not None
    if col.type == "string":
        return _ColumnRead(parsed.value, f"x.{blank}", None, ((blank, own.blank),))
    nulled = f"not x.{blank} and x.{q} is null"
    over = parse_sql(col, f"x.{_raw(col.name)}", source_type)
    assert over is not None
    if over.overflow is None:
        return _ColumnRead(parsed.value, f"x.{blank}", nulled, ((blank, own.blank),))
    # CASE, not AND: the overflow test (which strips the value) runs on the few NULLed values only
    return _ColumnRead(
        parsed.value,
        f"x.{blank}",
        f"case when {nulled} then not coalesce({over.overflow}, false) else false end",
        ((blank, own.blank),),
        overflow=f"case when {nulled} then coalesce({over.overflow}, false) else false end",
    )


def _column_reads(table: Table, types: dict[str, str]) -> dict[str, _ColumnRead]:
    """How each contract column present in a file (column -> DuckDB type) is read."""
    return {col.name: _read_column(col, types[col.name]) for col in table.columns if col.name in types}


def _typed_projection(table: Table, reads: dict[str, _ColumnRead], row: str | None) -> tuple[str, str]:
    """The two select lists of a typed view: one over the file, one over that.

    The first keeps every column of the file and adds the helper columns (``c__blank``)
    and, if ``row`` (SQL) is given, ``_row``. The second gives every contract column typed
    (NULL where absent, of an incompatible type, empty or bad), each present column's value
    as stored (``c__raw``), the helper columns and ``_row``.
    """
    inner, outer = ["*"], []
    for col in table.columns:
        q, read = quote_identifier(col.name), reads.get(col.name)
        if read is None or read.incompatible:
            outer.append(f"cast(null as {col.sql_type}) as {q}")
            continue
        outer += [f"{read.typed} as {q}", f"{q} as {_raw(col.name)}"]
        inner += [f"{sql} as {name}" for name, sql in read.derived]
        outer += [name for name, _ in read.derived]
    if row is not None:
        inner.append(f"{row} as _row")
        outer.append("_row")
    return ", ".join(inner), ", ".join(outer)


def _file_relation(con: duckdb.DuckDBPyConnection, path: Path, numbered: bool = False) -> duckdb.DuckDBPyRelation:
    """The file at ``path`` read in place: a CSV as text (nothing cast, nothing lost), Parquet with its types.

    ``numbered`` adds Parquet's 0-based ``file_row_number``. A view made of this relation
    keeps what DuckDB detected of the file (a CSV is sniffed once, not at every query).
    """
    if path.suffix == ".csv":
        return con.read_csv(str(path), header=True, all_varchar=True)
    return con.read_parquet(str(path), file_row_number=numbered)


def _check_folder(data_dir: Path) -> list[Problem]:
    """Warnings about the folder's files: a table stored twice; files that are no contract table.

    A folder named like a table's file is an error where the table has no file (see
    :func:`_load_tables`), a warning where it has one.
    """
    problems: list[Problem] = []
    for name in TABLES:
        stored = [data_dir / f"{name}{ext}" for ext in FILE_EXTENSIONS if (data_dir / f"{name}{ext}").is_file()]
        for ignored in stored[1:]:
            problems.append(
                Problem(
                    "warning",
                    ignored.name,
                    None,
                    f"ignored: {stored[0].name} is also present and is the one used",
                    "one file per table",
                )
            )
        for folder in _table_folders(data_dir, name) if stored else ():
            problems.append(
                Problem(
                    "warning",
                    folder.name,
                    None,
                    f"is a folder, not a file; ignored: {stored[0].name} is the one used",
                    "one file per table",
                )
            )
    for path in sorted(data_dir.iterdir()):
        if path.suffix in FILE_EXTENSIONS and path.is_file() and path.stem not in TABLES:
            close = difflib.get_close_matches(path.stem, list(TABLES), n=1)
            hint = f" (did you mean {close[0]}{path.suffix}?)" if close else ""
            problems.append(
                Problem(
                    "warning",
                    path.name,
                    None,
                    f"not a contract table; ignored{hint}",
                    f"one of {', '.join(TABLES)} (the file stem is the table name)",
                )
            )
    return problems


def _ragged_rows(con: duckdb.DuckDBPyConnection, path: Path, table: str, file: str) -> Problem | None:
    """Rows DuckDB cannot parse (wrong number of fields, bad encoding...), found through its reject tables."""
    rejects_table, rejects_scan = f"rejects_{table}", f"reject_scans_{table}"
    try:
        con.execute(
            "select count(*) from read_csv($path, delim = ',', header = true, all_varchar = true, "
            "store_rejects = true, rejects_table = $rejects_table, rejects_scan = $rejects_scan)",
            {"path": str(path), "rejects_table": rejects_table, "rejects_scan": rejects_scan},
        ).fetchall()
        rejects = con.execute(
            f"select count(*) over () as n, line, min(error_message) as reason from {rejects_table} "
            f"group by line order by line limit {SAMPLE_SIZE}"
        ).fetchall()
    except duckdb.Error:
        return None
    if not rejects:
        return None
    return Problem(
        "error",
        file,
        None,
        f"cannot be read: {rejects[0][2]}",
        "a UTF-8 comma-separated CSV whose rows have as many fields as the header",
        row_count=int(rejects[0][0]),
        rows=tuple(int(r[1]) - 1 for r in rejects),
    )


def _table_folders(data_dir: Path, table: str) -> list[Path]:
    """Folders named like a file of ``table`` (``accounts.csv/``, a Spark-style ``usage_events.parquet/``)."""
    return [data_dir / f"{table}{ext}" for ext in FILE_EXTENSIONS if (data_dir / f"{table}{ext}").is_dir()]


def _head(path: Path) -> bytes:
    """The first 4 KiB of a file."""
    with path.open("rb") as handle:
        return handle.read(4096)


_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def _wide_encoding(head: bytes) -> str | None:
    """``UTF-16``/``UTF-32`` if the first bytes of a CSV say so (a byte-order mark, or NUL bytes), else None."""
    for bom, encoding in _WIDE_BOMS:
        if head.startswith(bom):
            return encoding
    return "UTF-16 or UTF-32" if b"\x00" in head else None


def _header_names(con: duckdb.DuckDBPyConnection, path: Path, columns: Sequence[str]) -> list[str]:
    """The column names as the file's header writes them (DuckDB renames a repeated name ``mrr_1``).

    A CSV header is read with Python's ``csv`` module (its first record); a Parquet file's
    schema is only asked for if some column looks renamed. ``columns`` (DuckDB's names) is
    returned when the header cannot be read.
    """
    if path.suffix == ".csv":
        try:
            with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
                header = next(csv.reader(handle), None)
        except (OSError, csv.Error):
            return list(columns)
        return header if header is not None and len(header) == len(columns) else list(columns)
    renamed = [c for c in columns if (m := re.fullmatch(r"(.+)_[0-9]+", c)) and m.group(1) in columns]
    if not renamed:
        return list(columns)
    names = [r[0] for r in con.execute("select name from parquet_schema($path)", {"path": str(path)}).fetchall()]
    header = [c if c not in renamed or names.count(c) else re.sub(r"_[0-9]+$", "", c) for c in columns]
    return header


def _create_views(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    path: Path,
    rel: duckdb.DuckDBPyRelation,
    reads: dict[str, _ColumnRead],
) -> tuple[str, str]:
    """Create the typed views of a file; return their names (without, with ``_row``).

    Parquet is numbered by the reader (``file_row_number``), so one view serves both; a CSV
    (or a Parquet file with its own ``file_row_number`` column) is numbered by
    ``row_number() over ()`` in file order, only in the second view, which is queried for
    the sampled rows alone.
    """
    source, typed, rows = f"src_{table.name}", f"typed_{table.name}", f"rows_{table.name}"
    if path.suffix == ".csv" or "file_row_number" in rel.columns:
        rel.create_view(source, replace=True)
        views = {typed: None, rows: "row_number() over ()"}
    else:
        _file_relation(con, path, numbered=True).create_view(source, replace=True)
        views, rows = {typed: "file_row_number + 1"}, typed
    for view, row in views.items():
        inner, outer = _typed_projection(table, reads, row)
        con.execute(f"create or replace temporary view {view} as select {outer} from (select {inner} from {source})")
    return typed, rows
