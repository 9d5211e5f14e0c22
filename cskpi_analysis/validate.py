"""Enforce the input data contract (:mod:`cskpi_analysis.contract`) on a data folder.

Every check runs as DuckDB SQL on the files themselves: a CSV is read as text
(nothing is cast, so a bad value is reported rather than failing the read), only
counts and the first few offending rows are fetched, and no file is ever written.

What is checked, table by table, then across tables:

* the folder exists; every required table has a file; a table stored both as CSV and
  Parquet (the Parquet file is used) and files that are not contract tables are warned about;
* each file can be read, has a header, and (for a required table) at least one row;
* required columns are present and never empty (unless ``nullable``); unknown columns
  are listed in a warning;
* types: dates are ``YYYY-MM-DD``; timestamps parse; decimals are finite numbers with ``.``
  as decimal separator; integers are whole numbers. A Parquet column whose physical type
  cannot be cast to the contract type is an error;
* bounds (``minimum``/``maximum``), unique keys, and references: every ``account_id``
  exists in ``accounts``;
* order: ``subscriptions.end_date`` after ``start_date``; a ticket's ``first_response_at`` and
  ``resolved_at`` not before its ``opened_at``;
* columns marked ``not_after_as_of`` do not lie after ``as_of``, when ``as_of`` is set in
  ``cskpi.toml`` (otherwise ``as_of`` *is* the latest such date, see :func:`resolve_as_of`).

Warnings that help an analyst (the data is usable): accounts with no subscription, key
features never seen in ``usage_events``, the first-value milestone never reached,
subscriptions ending after ``as_of`` (scheduled ends).

Row numbers are 1-based data rows: row N of a CSV is line N + 1 (the header is line 1);
row N of a Parquet file is its N-th record.

Examples
--------
>>> report = validate_dir("data/demo")              # doctest: +SKIP
>>> print(report.format())                          # doctest: +SKIP
0 errors, 0 warnings in 8 tables (1,234,567 rows); as_of 2026-09-30 (from cskpi.toml)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb

from cskpi_analysis.config import CONFIG_FILE, AnalysisConfig, load_config
from cskpi_analysis.contract import FILE_EXTENSIONS, TABLES, Column, Table
from cskpi_analysis.errors import ConfigError, DataContractError
from cskpi_analysis.sources import find_table_file, quote_identifier, raw_relation

Severity = Literal["error", "warning"]

#: How many offending rows and values a problem shows.
SAMPLE_SIZE = 5

_EXPECTED_TYPE: dict[str, str] = {
    "string": "text",
    "date": "a date YYYY-MM-DD",
    "timestamp": "a timestamp YYYY-MM-DD HH:MM:SS (a date alone means midnight)",
    "decimal": "a number with '.' as decimal separator and no thousands separator",
    "integer": "a whole number",
}

_INTEGER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
)
_FLOAT_TYPES = frozenset({"FLOAT", "DOUBLE"})


@dataclass(frozen=True)
class Problem:
    """One way a data folder breaks (error) or strains (warning) the contract.

    Attributes
    ----------
    severity : ``"error"`` (the data cannot be analysed) or ``"warning"`` (it can, but look).
    file : file name as the user knows it (the expected name if the file is missing).
    column : the column concerned, if any.
    message : what is wrong, with the first few bad values.
    expected : what was expected instead.
    row_count : how many rows have the problem (0 = a file-level problem).
    rows : the first few such rows (at most :data:`SAMPLE_SIZE`), 1-based data rows.
    values : the first few bad values, as text.
    """

    severity: Severity
    file: str
    column: str | None
    message: str
    expected: str
    row_count: int = 0
    rows: tuple[int, ...] = ()
    values: tuple[str, ...] = ()

    def __str__(self) -> str:
        location = self.file
        if self.row_count == 1 and self.rows:
            location += f" row {self.rows[0]}"
        elif self.row_count >= 1:
            first = f" (first: {', '.join(str(r) for r in self.rows)})" if self.rows else ""
            location += f" {self.row_count:,} {'row' if self.row_count == 1 else 'rows'}{first}"
        if self.column:
            location += f", column {self.column}"
        text = f"{self.severity}: {location}: {self.message}"
        return f"{text}; expected {self.expected}" if self.expected else text


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of :func:`validate_dir`.

    Attributes
    ----------
    data_dir : the folder validated.
    as_of : the resolved ``as_of`` (see :func:`resolve_as_of`); None if no date was found.
    row_counts : rows per table that could be read.
    problems : every problem, errors first.
    as_of_from_config : True if ``as_of`` was set in ``cskpi.toml``.
    """

    data_dir: Path
    as_of: dt.date | None
    row_counts: dict[str, int]
    problems: tuple[Problem, ...]
    as_of_from_config: bool = False

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings alone are fine)."""
        return not self.errors

    def summary(self) -> str:
        """One line: ``3 errors, 1 warning in 5 tables (12,345 rows); as_of ...``."""
        n_err, n_warn = len(self.errors), len(self.warnings)
        n_tables = len(self.row_counts)
        text = (
            f"{n_err} {'error' if n_err == 1 else 'errors'}, {n_warn} {'warning' if n_warn == 1 else 'warnings'} "
            f"in {n_tables} {'table' if n_tables == 1 else 'tables'} ({sum(self.row_counts.values()):,} rows)"
        )
        if self.as_of is not None:
            source = "from cskpi.toml" if self.as_of_from_config else "latest date in the data"
            text += f"; as_of {self.as_of.isoformat()} ({source})"
        return text

    def format(self) -> str:
        """Every problem on its own line, then the summary line."""
        lines = [str(p) for p in self.problems]
        if any(p.rows for p in self.problems):
            lines.append("(row N is the N-th data row: line N + 1 of a CSV file, whose line 1 is the header)")
        return "\n".join([*lines, self.summary()])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (``cskpi validate --format json``)."""
        return {
            "data_dir": str(self.data_dir),
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "as_of_from_config": self.as_of_from_config,
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "row_counts": dict(self.row_counts),
            "problems": [dataclasses.asdict(p) for p in self.problems],
            "summary": self.summary(),
        }


# --------------------------------------------------------------------------- helpers


def _quote_values(values: Sequence[str], more: bool = False) -> str:
    """``'a', 'b', ...``: values quoted for a message."""
    return ", ".join(f"'{v}'" for v in values) + (", ..." if more else "")


def _values_phrase(values: Sequence[str], more: bool = False) -> str:
    """``value 'x' is`` / ``values 'x', 'y' are``: the subject of a message about bad values."""
    if len(values) == 1 and not more:
        return f"value '{values[0]}' is"
    return f"values {_quote_values(values, more)} are"


def _shorten(value: str, limit: int = 60) -> str:
    """A bad value as shown in a message: at most ``limit`` characters, on one line."""
    value = value.replace("\n", " ").replace("\r", " ")
    return value if len(value) <= limit else value[: limit - 3] + "..."


def _unique_in_order(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _short_reason(exc: BaseException, limit: int = 240) -> str:
    """DuckDB's explanation of a failed read, in one short line."""
    text = str(exc)
    for prefix in ("Invalid Input Error: ", "IO Error: ", "Conversion Error: ", "Binder Error: "):
        text = text.replace(prefix, "")
    paragraph = text.strip().split("\n\n")[0]
    line = "; ".join(part.strip() for part in paragraph.splitlines() if part.strip())
    return line if len(line) <= limit else line[: limit - 3] + "..."


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


# --------------------------------------------------------------------------- typing


@dataclass(frozen=True)
class _ColumnRead:
    """How one present contract column is read: its typed value and when a value is bad."""

    typed: str  # SQL: the value cast to the contract type, NULL if empty or bad
    bad: str | None  # SQL: true on a non-empty value that does not fit the type
    incompatible: str | None = None  # a Parquet type that cannot be cast at all


def _read_column(col: Column, source_type: str) -> _ColumnRead:
    """The typed expression of ``col`` stored with DuckDB type ``source_type``."""
    q = quote_identifier(col.name)
    source_type = source_type.upper()
    target = {"date": "date", "timestamp": "timestamp", "decimal": "double", "integer": "bigint"}.get(col.type)
    if source_type == "VARCHAR":
        text = f"nullif(trim({q}), '')"
        if col.type == "string":
            return _ColumnRead(f"case when {text} is not null then {q} end", None)
        if col.type == "date":
            typed = f"case when regexp_full_match({text}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') then try_cast({text} as date) end"
        elif col.type == "timestamp":
            typed = f"try_cast({text} as timestamp)"
        elif col.type == "decimal":
            typed = f"case when isfinite(try_cast({text} as double)) then try_cast({text} as double) end"
        else:
            typed = f"case when regexp_full_match({text}, '[+-]?[0-9]+') then try_cast({text} as bigint) end"
        return _ColumnRead(typed, f"{text} is not null and ({typed}) is null")
    if col.type == "string":
        return _ColumnRead(f"cast({q} as varchar)", None)
    is_temporal = source_type == "DATE" or source_type.startswith("TIMESTAMP")
    is_integer = source_type in _INTEGER_TYPES
    is_fractional = source_type in _FLOAT_TYPES or source_type.startswith("DECIMAL")
    if col.type in ("date", "timestamp") and is_temporal:
        return _ColumnRead(f"cast({q} as {target})", None)
    if col.type == "decimal" and (is_integer or is_fractional):
        typed = f"case when isfinite(try_cast({q} as double)) then try_cast({q} as double) end"
        return _ColumnRead(typed, f"{q} is not null and ({typed}) is null")
    if col.type == "integer" and (is_integer or is_fractional):
        typed = f"case when {q} = round({q}) then try_cast({q} as bigint) end"
        return _ColumnRead(typed, f"{q} is not null and ({typed}) is null")
    return _ColumnRead(f"cast(null as {target})", None, incompatible=source_type)


def _typed_select(table: Table, source_types: dict[str, str]) -> str:
    """Select list giving every contract column typed (NULL where absent or bad), plus ``_row``."""
    parts = ["_row"]
    for col in table.columns:
        target = {
            "string": "varchar",
            "date": "date",
            "timestamp": "timestamp",
            "decimal": "double",
            "integer": "bigint",
        }[col.type]
        if col.name in source_types:
            expr = _read_column(col, source_types[col.name]).typed
        else:
            expr = f"cast(null as {target})"
        parts.append(f"{expr} as {quote_identifier(col.name)}")
        if col.name in source_types:
            parts.append(f"cast({quote_identifier(col.name)} as varchar) as {quote_identifier(_text_name(col.name))}")
    return ", ".join(parts)


def _text_name(column: str) -> str:
    """Name, in the typed view, of a column's value as written in the file."""
    return f"{column}__as_written"


def resolve_as_of(con: duckdb.DuckDBPyConnection, data_dir: str | Path, config: AnalysisConfig) -> dt.date | None:
    """The ``as_of`` date of an analysis.

    Rule: ``config.as_of`` if set in ``cskpi.toml``; otherwise the latest date (a
    timestamp counts by its date) among the contract columns marked
    ``not_after_as_of`` — signups, subscription starts, events, tickets, responses,
    scores, activities, milestones. ``subscriptions.end_date`` is deliberately not used:
    an end date may be scheduled in the future. Values that do not parse are ignored;
    None if the folder holds no such date.

    Parameters
    ----------
    con : a DuckDB connection to run the queries on (nothing is created in it).
    data_dir : the data folder.
    config : the analysis options.
    """
    if config.as_of is not None:
        return config.as_of
    latest: list[dt.date] = []
    for name, table in TABLES.items():
        columns = [c for c in table.columns if c.not_after_as_of]
        path = find_table_file(data_dir, name)
        if not columns or path is None:
            continue
        try:
            rel = raw_relation(con, path)
            types = {c: str(t) for c, t in zip(rel.columns, rel.types, strict=True)}
            present = [c for c in columns if c.name in types]
            if not present:
                continue
            typed = rel.select(_typed_select(table, types))
            value = typed.aggregate(
                "max(greatest(" + ", ".join(f"cast({quote_identifier(c.name)} as date)" for c in present) + "))"
            ).fetchall()
        except duckdb.Error:
            continue
        if value and value[0][0] is not None:
            latest.append(value[0][0])
    return max(latest) if latest else None


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class _Loaded:
    """A table read into the validation connection."""

    table: Table
    file: str  # file name as the user knows it
    raw: str  # relation with the file's columns (as read) plus _row
    typed: str  # relation with every contract column typed (NULL if absent/bad) plus _row
    present: frozenset[str]  # contract columns present in the file, with a usable type
    columns: tuple[str, ...]  # every column of the file, as named in its header
    row_count: int


def _check_folder(data_dir: Path) -> list[Problem]:
    """Warnings about the folder's files: a table stored twice; files that are no contract table."""
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


def _starts_with_text(path: Path) -> bool:
    """True if the first 4 KiB of the file hold something other than blanks (a header, presumably)."""
    with path.open("rb") as handle:
        return bool(handle.read(4096).strip())


def _load_table(
    con: duckdb.DuckDBPyConnection, table: Table, path: Path, problems: list[Problem], config: AnalysisConfig
) -> _Loaded | None:
    """Read one file into a temporary table; report file- and column-level problems."""
    file = path.name
    if path.stat().st_size == 0 or (path.suffix == ".csv" and not _starts_with_text(path)):
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
    raw = f"raw_{table.name}"
    try:
        rel = raw_relation(con, path)
        columns = [c for c in rel.columns if c != "_row"]
        if path.suffix == ".csv" and len(columns) == 1 and "," in columns[0]:
            ragged = _ragged_rows(con, path, table.name, file)
            if ragged is not None:
                problems.append(ragged)
                return None
        rel.create(raw)
    except duckdb.Error as exc:
        ragged = _ragged_rows(con, path, table.name, file) if path.suffix == ".csv" else None
        problems.append(
            ragged
            or Problem(
                "error",
                file,
                None,
                f"cannot be read: {_short_reason(exc)}",
                "a UTF-8 comma-separated CSV with a header row" if path.suffix == ".csv" else "a valid Parquet file",
            )
        )
        return None
    row_count = int(con.execute(f"select count(*) from {raw}").fetchone()[0])  # type: ignore[index]
    types = dict(zip(rel.columns, (str(t) for t in rel.types), strict=True))
    types.pop("_row", None)

    if table.required and row_count == 0:
        problems.append(Problem("error", file, None, "has a header but no data rows", "at least one row"))
    for col in table.required_columns:
        if col.name not in types:
            same_but_case = [c for c in types if c.lower() == col.name.lower()]
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
    known = {c.name for c in table.columns}
    if table.name == "accounts":
        known.add(config.segment_column)
    extra = [c for c in types if c not in known]
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

    usable: dict[str, str] = {}
    for col in table.columns:
        if col.name not in types:
            continue
        read = _read_column(col, types[col.name])
        if read.incompatible:
            problems.append(
                Problem(
                    "error",
                    file,
                    col.name,
                    f"Parquet type {read.incompatible} cannot be read as {col.type}",
                    _EXPECTED_TYPE[col.type],
                )
            )
            continue
        usable[col.name] = types[col.name]
        q = quote_identifier(col.name)
        if col.required and not col.nullable:
            found = _sample(con, raw, f"nullif(trim(cast({q} as varchar)), '') is null", "''")
            if found.count:
                problems.append(
                    Problem(
                        "error",
                        file,
                        col.name,
                        "required value is empty" if found.count == 1 else "required values are empty",
                        f"a value on every row ({col.type})",
                        found.count,
                        found.rows,
                    )
                )
        if read.bad:
            found = _sample(con, raw, read.bad, q)
            if found.count:
                more = found.count > len(_unique_in_order(found.values))
                values = _unique_in_order(found.values)
                problems.append(
                    Problem(
                        "error",
                        file,
                        col.name,
                        f"{_values_phrase(values, more)} not {_EXPECTED_TYPE[col.type]}",
                        _EXPECTED_TYPE[col.type],
                        found.count,
                        found.rows,
                        values,
                    )
                )
    typed = f"typed_{table.name}"
    con.execute(f"create temporary view {typed} as select {_typed_select(table, usable)} from {raw}")
    return _Loaded(table, file, raw, typed, frozenset(usable), tuple(types), row_count)


# --------------------------------------------------------------------------- row checks


def _row_problem(
    con: duckdb.DuckDBPyConnection,
    loaded: _Loaded,
    column: str | None,
    where: str,
    value: str,
    message: str,
    expected: str,
    severity: Severity = "error",
    params: dict[str, Any] | None = None,
) -> Problem | None:
    """A problem for the rows of ``loaded`` matching ``where``; ``{values}`` in ``message`` is filled in."""
    found = _sample(con, f"{loaded.typed} as x", where, value, params)
    if not found.count:
        return None
    values = _unique_in_order(found.values)
    more = found.count > len(values)
    return Problem(
        severity,
        loaded.file,
        column,
        message.format(values=_values_phrase(values, more)),
        expected,
        found.count,
        found.rows,
        values,
    )


def _raw_text(name: str) -> str:
    """SQL for a column's value as written in the file (for messages)."""
    return f"x.{quote_identifier(_text_name(name))}"


def _check_bounds(con: duckdb.DuckDBPyConnection, loaded: _Loaded) -> list[Problem]:
    problems = []
    for col in loaded.table.columns:
        if col.name not in loaded.present or (col.minimum is None and col.maximum is None):
            continue
        q = f"x.{quote_identifier(col.name)}"
        conditions, params = [], {}
        if col.minimum is not None:
            conditions.append(f"{q} < $minimum")
            params["minimum"] = col.minimum
        if col.maximum is not None:
            conditions.append(f"{q} > $maximum")
            params["maximum"] = col.maximum
        if col.maximum is None:
            expected = f"{col.name} >= {col.minimum:g}"
            what = "negative" if col.minimum == 0 else f"below {col.minimum:g}"
        elif col.minimum is None:
            expected, what = f"{col.name} <= {col.maximum:g}", f"above {col.maximum:g}"
        else:
            expected = f"{col.minimum:g} <= {col.name} <= {col.maximum:g}"
            what = "out of range"
        problem = _row_problem(
            con,
            loaded,
            col.name,
            " or ".join(conditions),
            _raw_text(col.name),
            "{values} " + what,
            expected,
            params=params,
        )
        if problem:
            problems.append(problem)
    return problems


def _check_unique(con: duckdb.DuckDBPyConnection, loaded: _Loaded) -> list[Problem]:
    key = loaded.table.unique_key
    if not key or not set(key) <= loaded.present:
        return []
    cols = ", ".join(quote_identifier(k) for k in key)
    not_null = " and ".join(f"{quote_identifier(k)} is not null" for k in key)
    shown = " || ' / ' || ".join(f"cast({quote_identifier(k)} as varchar)" for k in key)
    relation = f"(select *, count(*) over (partition by {cols}) as _copies from {loaded.typed} where {not_null}) as x"
    found = _sample(con, relation, "_copies > 1", shown)
    if not found.count:
        return []
    values = _unique_in_order(found.values)
    n_keys = con.execute(
        f"select count(*) from (select {cols} from {loaded.typed} where {not_null} group by {cols} "
        f"having count(*) > 1) as d"
    ).fetchone()[0]  # type: ignore[index]
    label = " / ".join(key)
    return [
        Problem(
            "error",
            loaded.file,
            ", ".join(key),
            f"{n_keys:,} duplicated {label} {'value' if n_keys == 1 else 'values'}: {_quote_values(values, n_keys > len(values))}",
            f"each {label} to appear once",
            found.count,
            found.rows,
            values,
        )
    ]


def _check_references(con: duckdb.DuckDBPyConnection, loaded: _Loaded, accounts: _Loaded) -> list[Problem]:
    if not loaded.table.account_reference or "account_id" not in loaded.present:
        return []
    unknown = (
        f"x.account_id is not null and not exists (select 1 from {accounts.typed} a where a.account_id = x.account_id)"
    )
    relation = f"{loaded.typed} as x"
    found = _sample(con, relation, unknown, "x.account_id")
    if not found.count:
        return []
    distinct = con.execute(
        f"select account_id, min(_row) as first_row, count(*) over () as n from {relation} where {unknown} "
        f"group by account_id order by first_row limit {SAMPLE_SIZE}"
    ).fetchall()
    ids = tuple(str(r[0]) for r in distinct)
    n_ids = int(distinct[0][2])
    return [
        Problem(
            "error",
            loaded.file,
            "account_id",
            f"{n_ids:,} unknown account_id {'value' if n_ids == 1 else 'values'} not found in {accounts.file}: "
            f"{_quote_values(ids, n_ids > len(ids))}",
            f"every account_id to exist in {accounts.file}",
            found.count,
            found.rows,
            ids,
        )
    ]


def _check_order(
    con: duckdb.DuckDBPyConnection, loaded: _Loaded, later: str, earlier: str, strict: bool
) -> Problem | None:
    """Rows where column ``later`` is before (or, if ``strict``, also equal to) column ``earlier``."""
    if not {later, earlier} <= loaded.present:
        return None
    a, b = f"x.{quote_identifier(later)}", f"x.{quote_identifier(earlier)}"
    op = "<=" if strict else "<"
    shown = f"{_raw_text(later)} || ' ({earlier} ' || {_raw_text(earlier)} || ')'"
    return _row_problem(
        con,
        loaded,
        later,
        f"{a} is not null and {b} is not null and {a} {op} {b}",
        shown,
        "{values} " + ("not after " if strict else "before ") + earlier,
        f"{later} {'after' if strict else 'on or after'} {earlier}",
    )


def _check_not_after(con: duckdb.DuckDBPyConnection, loaded: _Loaded, as_of: dt.date) -> list[Problem]:
    problems = []
    for col in loaded.table.columns:
        if not col.not_after_as_of or col.name not in loaded.present:
            continue
        problem = _row_problem(
            con,
            loaded,
            col.name,
            f"cast(x.{quote_identifier(col.name)} as date) > $as_of",
            _raw_text(col.name),
            "{values} after as_of " + as_of.isoformat(),
            f"{col.name} on or before as_of {as_of.isoformat()} (analysis.as_of in {CONFIG_FILE})",
            params={"as_of": as_of},
        )
        if problem:
            problems.append(problem)
    return problems


def _latest_loaded_date(con: duckdb.DuckDBPyConnection, loaded: Iterable[_Loaded]) -> dt.date | None:
    """The latest date among the ``not_after_as_of`` columns of the tables read (see :func:`resolve_as_of`)."""
    latest: list[dt.date] = []
    for item in loaded:
        cols = [c.name for c in item.table.columns if c.not_after_as_of and c.name in item.present]
        if not cols:
            continue
        value = con.execute(
            "select max(greatest(" + ", ".join(f"cast({quote_identifier(c)} as date)" for c in cols) + f")) "
            f"from {item.typed}"
        ).fetchone()
        if value and value[0] is not None:
            latest.append(value[0])
    return max(latest) if latest else None


def _analyst_warnings(
    con: duckdb.DuckDBPyConnection, tables: dict[str, _Loaded], config: AnalysisConfig, as_of: dt.date | None
) -> list[Problem]:
    problems: list[Problem | None] = []
    accounts, subscriptions = tables.get("accounts"), tables.get("subscriptions")
    if accounts and subscriptions and "account_id" in accounts.present and "account_id" in subscriptions.present:
        problems.append(
            _row_problem(
                con,
                accounts,
                "account_id",
                f"x.account_id is not null and not exists (select 1 from {subscriptions.typed} s "
                "where s.account_id = x.account_id)",
                "x.account_id",
                "{values} without any subscription",
                f"every account to have a subscription in {subscriptions.file} (others are left out of revenue KPIs)",
                severity="warning",
            )
        )
    if accounts and config.segment_column != "segment":
        if config.segment_column not in accounts.columns:
            problems.append(
                Problem(
                    "warning",
                    accounts.file,
                    config.segment_column,
                    "segment column named in cskpi.toml (analysis.segment_column) is missing; every account is 'Unknown'",
                    f"a column {config.segment_column} in {accounts.file}",
                )
            )
    usage = tables.get("usage_events")
    wanted = [f for f in (*config.key_features, config.first_value_event) if f]
    if wanted and usage is None:
        problems.append(
            Problem(
                "warning",
                "usage_events.csv",
                "feature",
                f"no usage_events file, so features {_quote_values(wanted)} named in {CONFIG_FILE} cannot be tracked",
                "usage_events.csv or usage_events.parquet",
            )
        )
    elif wanted and usage and "feature" in usage.present:
        seen = {
            row[0]
            for row in con.execute(
                f"select distinct feature from {usage.typed} where list_contains($wanted, feature)", {"wanted": wanted}
            ).fetchall()
        }
        missing = [f for f in wanted if f not in seen]
        if missing:
            problems.append(
                Problem(
                    "warning",
                    usage.file,
                    "feature",
                    f"{'feature' if len(missing) == 1 else 'features'} named in {CONFIG_FILE} never used: "
                    f"{_quote_values(missing)}",
                    f"analysis.key_features and analysis.first_value_event to be values of {usage.file} feature",
                    values=tuple(missing),
                )
            )
    milestones = tables.get("milestones")
    if milestones and "milestone" in milestones.present and not config.first_value_event:
        reached = con.execute(
            f"select count(*) from {milestones.typed} where milestone = $name", {"name": config.first_value_milestone}
        ).fetchone()[0]  # type: ignore[index]
        if not reached:
            problems.append(
                Problem(
                    "warning",
                    milestones.file,
                    "milestone",
                    f"first-value milestone '{config.first_value_milestone}' never appears; time to first value "
                    "cannot be measured",
                    f"some rows with milestone '{config.first_value_milestone}' (analysis.first_value_milestone "
                    f"in {CONFIG_FILE})",
                    values=(config.first_value_milestone,),
                )
            )
    if subscriptions and as_of is not None and "end_date" in subscriptions.present:
        problems.append(
            _row_problem(
                con,
                subscriptions,
                "end_date",
                "x.end_date > $as_of",
                _raw_text("end_date"),
                "{values} after as_of " + as_of.isoformat() + ": scheduled ends, counted as active at as_of",
                "end_date after as_of only for a scheduled end (informational)",
                severity="warning",
                params={"as_of": as_of},
            )
        )
    return [p for p in problems if p is not None]


# --------------------------------------------------------------------------- entry points


def _validate(data_dir: Path, config: AnalysisConfig | None) -> tuple[AnalysisConfig, ValidationReport]:
    problems: list[Problem] = []
    if not data_dir.exists() or not data_dir.is_dir():
        what = "data folder not found" if not data_dir.exists() else "is not a folder"
        problems.append(
            Problem(
                "error",
                str(data_dir),
                None,
                what,
                "a folder with one CSV or Parquet file per table (see 'cskpi contract')",
            )
        )
        return config or AnalysisConfig(), ValidationReport(data_dir, None, {}, tuple(problems))
    if config is None:
        try:
            config = load_config(data_dir)
        except ConfigError as exc:
            reason = str(exc).replace(f"{data_dir / CONFIG_FILE}: ", "")
            problems.append(
                Problem("error", CONFIG_FILE, None, reason, "valid options as documented in data/README.md")
            )
            config = AnalysisConfig()
    problems += _check_folder(data_dir)

    con = duckdb.connect(":memory:")
    try:
        tables: dict[str, _Loaded] = {}
        for name, table in TABLES.items():
            path = find_table_file(data_dir, name)
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
            loaded = _load_table(con, table, path, problems, config)
            if loaded is not None:
                tables[name] = loaded
        accounts = tables.get("accounts")
        for loaded in tables.values():
            problems += _check_bounds(con, loaded)
            problems += _check_unique(con, loaded)
            if accounts is not None and "account_id" in accounts.present:
                problems += _check_references(con, loaded, accounts)
        if "subscriptions" in tables:
            problems.append(_check_order(con, tables["subscriptions"], "end_date", "start_date", strict=True))
        if "support_tickets" in tables:
            for column in ("first_response_at", "resolved_at"):
                problems.append(_check_order(con, tables["support_tickets"], column, "opened_at", strict=False))
        as_of = config.as_of if config.as_of is not None else _latest_loaded_date(con, tables.values())
        if config.as_of is not None:
            for loaded in tables.values():
                problems += _check_not_after(con, loaded, config.as_of)
        problems += _analyst_warnings(con, tables, config, as_of)
        row_counts = {name: loaded.row_count for name, loaded in tables.items()}
    finally:
        con.close()
    kept = [p for p in problems if p is not None]
    ordered = tuple(sorted(kept, key=lambda p: p.severity != "error"))
    report = ValidationReport(data_dir, as_of, row_counts, ordered, as_of_from_config=config.as_of is not None)
    return dataclasses.replace(config, as_of=as_of), report


def validate_dir(data_dir: str | Path, config: AnalysisConfig | None = None) -> ValidationReport:
    """Check a data folder against the contract; never raises for a problem in the data.

    Parameters
    ----------
    data_dir : folder with one CSV or Parquet file per contract table.
    config : analysis options; None reads ``cskpi.toml`` from ``data_dir`` (a bad file is
        reported as an error on ``cskpi.toml``, the defaults being used for the other checks).

    Returns
    -------
    ValidationReport
        Every problem found (errors first), the row count per table read and the resolved
        ``as_of``. The files are only read.
    """
    return _validate(Path(data_dir), config)[1]


def require_valid(data_dir: str | Path) -> tuple[AnalysisConfig, ValidationReport]:
    """Validate ``data_dir`` and return its config with ``as_of`` resolved; the first step of every command.

    Raises
    ------
    DataContractError
        If the folder has any error (the message is :meth:`ValidationReport.format`).
    """
    config, report = _validate(Path(data_dir), None)
    if not report.ok:
        raise DataContractError(f"{data_dir} breaks the data contract:\n{report.format()}")
    return config, report
