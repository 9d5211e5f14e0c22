"""Opening and scanning each table once: header and column problems, the one aggregate scan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb

from cskpi_analysis.config import AnalysisConfig
from cskpi_analysis.contract import TABLES, Column, Table, storable_range
from cskpi_analysis.sources import find_table_file
from cskpi_analysis.validate._as_of import _date_profile, _latest_dates
from cskpi_analysis.validate._checks import (
    _check_bounds,
    _check_not_after,
    _check_order,
    _check_references,
    _check_unique,
    _future_problems,
    _scanned_problem,
)
from cskpi_analysis.validate._read import (
    _column_reads,
    _ColumnRead,
    _create_views,
    _file_relation,
    _head,
    _header_names,
    _ragged_rows,
    _table_folders,
    _wide_encoding,
)
from cskpi_analysis.validate._report import Problem, _quote_values, _short_reason
from cskpi_analysis.validate._rules import (
    _ORDER_RULES,
    _as_of_rules,
    _bound_rules,
    _column_rules,
    _future_rules,
    _Loaded,
    _order_rules,
    _params,
    _reference_rules,
    _Rule,
    _samples,
    _tomorrow,
    _usage_rules,
)

_EXPECTED_TYPE: dict[str, str] = {
    "string": "text",
    "date": "a date YYYY-MM-DD",
    "timestamp": "a timestamp YYYY-MM-DD HH:MM:SS (a date alone means midnight; "
    "an offset such as +02:00 or Z, not a zone name)",
    "decimal": "a number with '.' as decimal separator and no thousands separator",
    "integer": "a whole number",
}


def _scan(
    con: duckdb.DuckDBPyConnection,
    typed: str,
    rules: dict[str, _Rule],
    dates: Iterable[str],
    profile: dict[str, str],
    params: dict[str, Any],
) -> dict[str, Any]:
    """The one pass over a table: the rows (``rows``), the rows of each rule, the latest dates.

    A single ``select count(*), count(*) filter (where ...), ..., max(...) from <typed view>``;
    ``profile`` adds more aggregates (with ``params``), e.g. :func:`_date_profile`.
    """
    aggregates = {"rows": "count(*)"}
    aggregates.update({key: f"count(*) filter (where {rule.where})" for key, rule in rules.items()})
    aggregates.update(_latest_dates(dates))
    aggregates.update(profile)
    sql = f"select {', '.join(aggregates.values())} from {typed} as x"
    row = con.execute(sql, _params(rules) | params).fetchall()[0]
    return dict(zip(aggregates, row, strict=True))


def _header_problems(
    table: Table, file: str, columns: Sequence[str], config: AnalysisConfig, header: Sequence[str]
) -> list[Problem]:
    """Names repeated in a file's header; required columns missing from it; columns the contract does not know.

    ``columns`` are the names DuckDB reads, ``header`` the names as written (DuckDB reads a
    repeated ``mrr`` as ``mrr`` and ``mrr_1``): a repeated column that cskpi reads is an error
    (which of the values is meant?); another is only an unknown column.
    """
    problems = []
    known = {c.name for c in table.columns}
    if table.name == "accounts":
        known.add(config.segment_column)
    counts = {name: header.count(name) for name in header}
    for name, n in counts.items():
        if n > 1 and name in known:
            problems.append(
                Problem(
                    "error",
                    file,
                    name,
                    f"column named {n} times in the header",
                    "each column name once in the header",
                )
            )
    renamed = {c for c, h in zip(columns, header, strict=True) if c != h and counts[h] > 1}
    for col in table.required_columns:
        if col.name not in columns:
            same_but_case = [c for c in columns if c.lower() == col.name.lower()]
            hint = f" (found '{same_but_case[0]}': column names are case-sensitive)" if same_but_case else ""
            problems.append(
                Problem(
                    "error",
                    file,
                    col.name,
                    f"required column is missing{hint}",
                    f"a column named {col.name} in the header ({col.type}: {col.description})",
                )
            )
    extra = [c for c in columns if c not in known and c not in renamed]
    if extra:
        problems.append(
            Problem(
                "warning",
                file,
                None,
                f"unknown {'column' if len(extra) == 1 else 'columns'} ignored: {_quote_values(extra)}",
                f"only the contract columns of {table.name} (see 'cskpi contract')",
            )
        )
    return problems


def _column_problems(loaded: _Loaded, reads: dict[str, _ColumnRead]) -> list[Problem]:
    """Column by column: a Parquet type that cannot be read, empty required values, values not of the type."""
    problems: list[Problem | None] = []
    for col in loaded.table.columns:
        read = reads.get(col.name)
        if read is not None and read.incompatible:
            problems.append(
                Problem(
                    "error",
                    loaded.file,
                    col.name,
                    f"Parquet type {read.incompatible} cannot be read as {col.type}",
                    _EXPECTED_TYPE[col.type],
                )
            )
        elif read is not None:
            problems.append(_empty_problem(loaded, col))
            problems.append(
                _scanned_problem(
                    loaded,
                    f"type:{col.name}",
                    col.name,
                    "{values} not " + _EXPECTED_TYPE[col.type].split(" (")[0],
                    _EXPECTED_TYPE[col.type],
                )
            )
            problems.append(_range_problem(loaded, col))
    return [p for p in problems if p is not None]


def _range_problem(loaded: _Loaded, col: Column) -> Problem | None:
    """Numbers of the right form that the build could not store (``mrr`` of 1e17 in a DECIMAL(18, 2))."""
    limits = storable_range(col)
    if limits is None:
        return None
    low, high = limits
    if col.minimum is not None:
        low = f"{col.minimum:g}"
    if col.maximum is not None:
        high = f"{col.maximum:g}"
    return _scanned_problem(
        loaded,
        f"range:{col.name}",
        col.name,
        "{values} out of the range cskpi can store",
        f"{low} <= {col.name} <= {high} ({col.name} is stored as {col.sql_type})",
    )


def _empty_problem(loaded: _Loaded, col: Column) -> Problem | None:
    found = loaded.samples.get(f"empty:{col.name}")
    if found is None:
        return None
    return Problem(
        "error",
        loaded.file,
        col.name,
        "required value is empty" if found.count == 1 else "required values are empty",
        f"a value on every row ({col.type})",
        found.count,
        found.rows,
    )


def _open_failure(con: duckdb.DuckDBPyConnection, path: Path, table: str, exc: duckdb.Error) -> Problem:
    """The error for a file DuckDB cannot read: its unparseable rows for a CSV, else DuckDB's reason."""
    ragged = _ragged_rows(con, path, table, path.name) if path.suffix == ".csv" else None
    return ragged or Problem(
        "error",
        path.name,
        None,
        f"cannot be read: {_short_reason(exc)}",
        "a UTF-8 comma-separated CSV with a header row" if path.suffix == ".csv" else "a valid Parquet file",
    )


def _load_table(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    path: Path,
    problems: list[Problem],
    config: AnalysisConfig,
    accounts: _Loaded | None,
    today: dt.date | None,
) -> _Loaded | None:
    """Open one file in place and scan it once; report file- and column-level problems.

    ``accounts`` (already loaded, if readable) is what ``account_id`` values are checked against.
    ``today`` is given when ``as_of`` is inferred: dates after it are errors, and the scan
    profiles the ``not_after_as_of`` dates (:func:`_date_profile`).
    """
    file = path.name
    head = _head(path)
    if not head or (path.suffix == ".csv" and not head.strip()):
        problems.append(
            Problem(
                "error",
                file,
                None,
                "file is empty (no header row)",
                "a header row naming the columns, then one row per record",
            )
        )
        return None
    encoding = _wide_encoding(head) if path.suffix == ".csv" else None
    if encoding is not None:
        problems.append(
            Problem(
                "error",
                file,
                None,
                f"not UTF-8 (the file looks {encoding}-encoded): save it as UTF-8",
                "a UTF-8 comma-separated CSV (in a spreadsheet: save as 'CSV UTF-8')",
            )
        )
        return None
    try:
        rel = _file_relation(con, path)
        types = {c: str(t) for c, t in zip(rel.columns, rel.types, strict=True)}
        if path.suffix == ".csv" and len(types) == 1 and "," in rel.columns[0]:
            ragged = _ragged_rows(con, path, table.name, file)
            if ragged is not None:
                problems.append(ragged)
                return None
        header = _header_names(con, path, rel.columns)
        reads = _column_reads(table, types)
        present = frozenset(name for name, read in reads.items() if not read.incompatible)
        typed, rows = _create_views(con, table, path, rel, reads)
        rules = {
            **_column_rules(table, reads),
            **_bound_rules(table, present),
            **_order_rules(table, present),
            **_reference_rules(table, present, accounts),
            **_as_of_rules(table, present, config.as_of),
            **_future_rules(table, present, today),
            **_usage_rules(table, present, config),
        }
        dates = [c.name for c in table.columns if c.name in present and c.type in ("date", "timestamp")]
        inferred = [c.name for c in table.columns if c.not_after_as_of and c.name in present] if today else []
        found = _scan(
            con, typed, rules, dates, _date_profile(inferred), {"tomorrow": _tomorrow(today)} if inferred else {}
        )
        samples = _samples(con, rows, rules, found)
    except duckdb.Error as exc:
        problems.append(_open_failure(con, path, table.name, exc))
        return None
    loaded = _Loaded(table, file, typed, rows, present, tuple(types), int(found["rows"]), rules, found, samples)
    if table.required and loaded.row_count == 0:
        problems.append(Problem("error", file, None, "has a header but no data rows", "at least one row"))
    problems += _header_problems(table, file, loaded.columns, config, header)
    problems += _column_problems(loaded, reads)
    problems += _future_problems(loaded, today)
    return loaded


def _load_tables(
    con: duckdb.DuckDBPyConnection,
    data_dir: Path,
    config: AnalysisConfig,
    problems: list[Problem],
    today: dt.date | None,
) -> dict[str, _Loaded]:
    """Open and scan every contract table present, in contract order (``accounts`` first)."""
    tables: dict[str, _Loaded] = {}
    for name, table in TABLES.items():
        path = find_table_file(data_dir, name)
        folders = _table_folders(data_dir, name) if path is None else []
        if folders:
            problems.append(
                Problem(
                    "error",
                    folders[0].name,
                    None,
                    "is a folder, not a file",
                    f"a file {name}.csv or {name}.parquet (a folder of Parquet parts, as Spark writes, "
                    "is not read: write one file)",
                )
            )
            continue
        if path is None:
            if table.required:
                problems.append(
                    Problem(
                        "error",
                        f"{name}.csv",
                        None,
                        "required file is missing",
                        f"{name}.csv or {name}.parquet in {data_dir}",
                    )
                )
            continue
        loaded = _load_table(con, table, path, problems, config, tables.get("accounts"), today)
        if loaded is not None:
            tables[name] = loaded
    return tables


def _table_checks(con: duckdb.DuckDBPyConnection, tables: dict[str, _Loaded], config: AnalysisConfig) -> list[Problem]:
    """Bounds, unique keys, references, order and ``as_of`` checks, from the scans' counts."""
    problems: list[Problem | None] = []
    accounts = tables.get("accounts")
    for loaded in tables.values():
        problems += _check_bounds(loaded)
        problems += _check_unique(con, loaded)
        if accounts is not None:
            problems += _check_references(con, loaded, accounts)
    for name, rules in _ORDER_RULES.items():
        if name in tables:
            problems += [_check_order(tables[name], later, earlier, strict) for later, earlier, strict in rules]
    if config.as_of is not None:
        for loaded in tables.values():
            problems += _check_not_after(loaded, config.as_of)
    return [p for p in problems if p is not None]
