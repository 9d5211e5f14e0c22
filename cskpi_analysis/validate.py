"""Enforce the input data contract (:mod:`cskpi_analysis.contract`) on a data folder.

Every check runs as DuckDB SQL on the files themselves, read in place: a CSV is read
as text (nothing is cast, so a bad value is reported rather than failing the read), a
Parquet file with its own types. Only counts and the first few offending rows are
fetched, and no file is ever written.

How (one pass per table): each file gets a typed view, every contract column parsed to its
contract type by :func:`cskpi_analysis.contract.parse_sql` (NULL where empty, bad or beyond
the stored type's range) beside its value as stored. The build stages exactly these parsed
values (:func:`cskpi_analysis.sources.register_sources`), so whatever passes here, builds.
One aggregate query over that view, ``select count(*), count(*) filter (where <rule 1>),
count(*) filter (where <rule 2>), ..., max(<date>), ... from <view>``, counts the rows
breaking each per-row rule of the table at once (empty required values, values not of their
type or beyond the stored type's range, bounds, order between two columns, dates after a
configured ``as_of`` or, without one, after today, ``account_id`` values missing from
``accounts``, which is read first) and finds each date column's latest date (and, for an
inferred ``as_of``, its latest few dates: :func:`_infer_as_of`). Only if some count is above
zero does a second pass fetch the first offending rows and values of the broken rules
(``min_by(..., n)``). Unique keys and accounts without a subscription are separate aggregate
queries; so are, only if some were counted, the unknown ``account_id`` values in order of
appearance. Text columns (CSV, Parquet VARCHAR) are stripped of white space (no-break spaces
included), then must have their type's form; natively typed Parquet columns (dates,
timestamps, numbers) are checked as they are (``IS NULL``, finite, whole, in range), never
cast to text. Files are read in place with DuckDB's default threads: Parquet rows are
numbered by the reader (``file_row_number``), CSV rows by ``row_number() over ()`` in file
order (``preserve_insertion_order``), in the second pass only.

What is checked, table by table, then across tables:

* the folder exists; every required table has a file (not a folder named like one); a
  table stored both as CSV and Parquet (the Parquet file is used) and files that are not
  contract tables are warned about;
* each file can be read, is UTF-8 (a UTF-16/UTF-32 CSV is named as such), has a header naming
  each column it uses once, and (for a required table) at least one row;
* required columns are present and never empty (unless ``nullable``); unknown columns
  are listed in a warning;
* types: dates are ``YYYY-MM-DD``; timestamps are ISO 8601, a UTC offset being converted to
  UTC and a zone name refused; decimals are finite numbers with ``.`` as decimal separator;
  integers are whole numbers; numbers fit the type the build stores them as (``mrr`` a
  ``DECIMAL(18, 2)``, integers an ``INTEGER``). A Parquet column whose physical type cannot be
  cast to the contract type is an error;
* bounds (``minimum``/``maximum``), unique keys, and references: every ``account_id``
  exists in ``accounts``;
* order: ``subscriptions.end_date`` after ``start_date``; a ticket's ``first_response_at`` and
  ``resolved_at`` not before its ``opened_at``;
* columns marked ``not_after_as_of`` do not lie after ``as_of``, when ``as_of`` is set in
  ``cskpi.toml``; otherwise ``as_of`` *is* the latest such date (see :func:`resolve_as_of`),
  and dates after today or far after the rest of the data are errors, not ``as_of``.

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

import csv
import dataclasses
import datetime as dt
import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb

from cskpi_analysis.config import CONFIG_FILE, AnalysisConfig, load_config
from cskpi_analysis.contract import FILE_EXTENSIONS, TABLES, Column, Table, parse_sql, storable_range
from cskpi_analysis.errors import ConfigError, DataContractError
from cskpi_analysis.sources import find_table_file, quote_identifier

Severity = Literal["error", "warning"]

#: How many offending rows and values a problem shows.
SAMPLE_SIZE = 5

_EXPECTED_TYPE: dict[str, str] = {
    "string": "text",
    "date": "a date YYYY-MM-DD",
    "timestamp": "a timestamp YYYY-MM-DD HH:MM:SS (a date alone means midnight; "
    "an offset such as +02:00 or Z, not a zone name)",
    "decimal": "a number with '.' as decimal separator and no thousands separator",
    "integer": "a whole number",
}

#: Without ``as_of`` in ``cskpi.toml``: at most this many of the latest dates can be outliers (and at
#: most one date in ten)...
AS_OF_OUTLIERS = 50
#: ... each lying more than this many days after the rest of the dates ...
AS_OF_GAP_DAYS = 180
#: ... and more than this many times the dates' mean spacing (sparse data has wide gaps).
AS_OF_GAP_SPACINGS = 20

#: Order rules, table by table: (later column, earlier column, strictly after).
_ORDER_RULES: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "subscriptions": (("end_date", "start_date", True),),
    "support_tickets": (("first_response_at", "opened_at", False), ("resolved_at", "opened_at", False)),
}


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
    as_of_source : where an inferred ``as_of`` was found (``usage_events.csv, column occurred_at``).
    """

    data_dir: Path
    as_of: dt.date | None
    row_counts: dict[str, int]
    problems: tuple[Problem, ...]
    as_of_from_config: bool = False
    as_of_source: str = ""

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
            if self.as_of_from_config:
                source = "from cskpi.toml"
            else:
                source = "latest date in the data" + (f": {self.as_of_source}" if self.as_of_source else "")
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
            "as_of_source": self.as_of_source,
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


def resolve_as_of(con: duckdb.DuckDBPyConnection, data_dir: str | Path, config: AnalysisConfig) -> dt.date | None:
    """The ``as_of`` date of an analysis, exactly as :func:`validate_dir` resolves it.

    Rule: ``config.as_of`` if set in ``cskpi.toml``; otherwise the latest date (a
    timestamp counts by its date) among the contract columns marked
    ``not_after_as_of`` — signups, subscription starts, events, tickets, responses,
    scores, activities, milestones — leaving out the dates the validation refuses as
    typos: dates after today, and the few latest dates lying far after all the others
    (see :func:`_infer_as_of`). ``subscriptions.end_date`` is deliberately not used:
    an end date may be scheduled in the future. Values that do not parse are ignored;
    None if the folder holds no such date.

    Parameters
    ----------
    con : unused (the validation runs on its own connection); kept for callers that pass one.
    data_dir : the data folder.
    config : the analysis options.
    """
    del con
    if config.as_of is not None:
        return config.as_of
    return _validate(Path(data_dir), config)[1].as_of


def _latest_dates(columns: Iterable[str]) -> dict[str, str]:
    """Aggregates giving each date or timestamp column's latest date, keyed ``latest:<column>``.

    ``cast(max(c) as date)``: the date of the latest timestamp is the latest date, and only
    one value is cast.
    """
    return {f"latest:{c}": f"cast(max({quote_identifier(c)}) as date)" for c in columns}


def _date_profile(columns: Iterable[str]) -> dict[str, str]:
    """Aggregates of the ``not_after_as_of`` columns when ``as_of`` is inferred: their latest dates up
    to today (``top:<column>``, at most :data:`AS_OF_OUTLIERS` + 1, latest first), earliest date
    (``first:<column>``) and number of values (``dates:<column>``).

    Values are compared with ``$tomorrow`` (midnight) rather than each cast to a date.
    """
    aggregates = {}
    for c in columns:
        q = f"x.{quote_identifier(c)}"
        day = f"cast({q} as date)"  # a top-k of dates: far fewer heap updates than of timestamps
        aggregates[f"top:{c}"] = f"max({day}, {AS_OF_OUTLIERS + 1}) filter (where {q} < $tomorrow)"
        aggregates[f"first:{c}"] = f"cast(min({q}) as date)"
        aggregates[f"dates:{c}"] = f"count({q})"
    return aggregates


# --------------------------------------------------------------------------- loading and the one scan


@dataclass(frozen=True)
class _Rule:
    """The rows of a table, in its typed view ``x``, matching ``where`` (e.g. breaking a rule).

    ``where`` and ``value`` (the value shown for a row) are SQL built from contract
    identifiers only; every value comes in through ``params``.
    """

    where: str
    value: str = "''"
    params: dict[str, Any] = field(default_factory=dict)
    sampled: bool = True  # a broken rule: its first rows are fetched (False: only counted)


@dataclass(frozen=True)
class _Loaded:
    """A table opened in the validation connection and scanned once."""

    table: Table
    file: str  # file name as the user knows it
    typed: str  # view: every contract column typed (NULL if absent/bad), beside its value as stored
    rows: str  # the same view with _row, the 1-based data row (for the sampled rows only)
    present: frozenset[str]  # contract columns present in the file, with a usable type
    columns: tuple[str, ...]  # every column of the file, as named in its header
    row_count: int
    rules: dict[str, _Rule]  # per-row rules counted in the scan, by key
    found: dict[str, Any]  # the scan's results: rows per rule key, latest date per "latest:<column>"
    samples: dict[str, _RowSample]  # the first rows of each sampled rule some row broke, by key


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


def _column_rules(table: Table, reads: dict[str, _ColumnRead]) -> dict[str, _Rule]:
    """Empty required values (``empty:<column>``), values not of the column's type (``type:<column>``)
    and values beyond the range of the type the build stores (``range:<column>``)."""
    rules = {}
    for col in table.columns:
        read = reads.get(col.name)
        if read is None or read.incompatible:
            continue
        if col.required and not col.nullable:
            rules[f"empty:{col.name}"] = _Rule(read.empty)
        if read.bad:
            rules[f"type:{col.name}"] = _Rule(read.bad, _as_written(col.name))
        if read.overflow:
            rules[f"range:{col.name}"] = _Rule(read.overflow, _as_written(col.name))
    return rules


def _bound_rules(table: Table, present: frozenset[str]) -> dict[str, _Rule]:
    """Numbers outside their column's ``minimum``/``maximum`` (``bounds:<column>``)."""
    rules = {}
    for col in table.columns:
        if col.name not in present or (col.minimum is None and col.maximum is None):
            continue
        q = f"x.{quote_identifier(col.name)}"
        conditions, params = [], {}
        for bound, op in (("minimum", "<"), ("maximum", ">")):
            if getattr(col, bound) is not None:
                conditions.append(f"{q} {op} ${bound}_{col.name}")
                params[f"{bound}_{col.name}"] = getattr(col, bound)
        rules[f"bounds:{col.name}"] = _Rule(" or ".join(conditions), _as_written(col.name), params)
    return rules


def _order_rules(table: Table, present: frozenset[str]) -> dict[str, _Rule]:
    """Rows whose ``later`` column is before (or, if strict, not after) its ``earlier`` one (``order:<later>``)."""
    rules = {}
    for later, earlier, strict in _ORDER_RULES.get(table.name, ()):
        if {later, earlier} <= present:
            a, b = f"x.{quote_identifier(later)}", f"x.{quote_identifier(earlier)}"
            shown = f"{_as_written(later)} || ' ({earlier} ' || {_as_written(earlier)} || ')'"
            where = f"{a} is not null and {b} is not null and {a} {'<=' if strict else '<'} {b}"
            rules[f"order:{later}"] = _Rule(where, shown)
    return rules


def _reference_rules(table: Table, present: frozenset[str], accounts: _Loaded | None) -> dict[str, _Rule]:
    """Rows whose ``account_id`` is not in ``accounts`` (``references``), once accounts is loaded."""
    if not table.account_reference or "account_id" not in present:
        return {}
    if accounts is None or "account_id" not in accounts.present:
        return {}
    return {"references": _Rule(_account_not_in(accounts), "x.account_id", sampled=False)}


def _account_not_in(other: _Loaded) -> str:
    """SQL: ``x.account_id`` is set and absent from table ``other``.

    An uncorrelated ``in (subquery)``: DuckDB runs it as one hash join (a correlated
    ``not exists`` first groups every id of ``x``); no NULL in the subquery, so never NULL.
    """
    return (
        f"x.account_id is not null and not (x.account_id in "
        f"(select account_id from {other.typed} where account_id is not null))"
    )


def _usage_rules(table: Table, present: frozenset[str], config: AnalysisConfig) -> dict[str, _Rule]:
    """Rows using each feature named in the config (``feature:<name>``); rows of the first-value milestone."""
    if table.name == "usage_events" and "feature" in present:
        wanted = dict.fromkeys(f for f in (*config.key_features, config.first_value_event) if f)
        return {
            f"feature:{name}": _Rule(f"x.feature = $feature_{i}", params={f"feature_{i}": name}, sampled=False)
            for i, name in enumerate(wanted)
        }
    if table.name == "milestones" and "milestone" in present and not config.first_value_event:
        milestone = {"milestone": config.first_value_milestone}
        return {"milestone": _Rule("x.milestone = $milestone", params=milestone, sampled=False)}
    return {}


def _as_of_rules(table: Table, present: frozenset[str], as_of: dt.date | None) -> dict[str, _Rule]:
    """Dates after the configured ``as_of`` (a timestamp by its date) in ``not_after_as_of`` columns (``after:<column>``)."""
    if as_of is None:
        return {}
    return {
        f"after:{col.name}": _after(col.name, as_of)
        for col in table.columns
        if col.not_after_as_of and col.name in present
    }


def _after(column: str, as_of: dt.date) -> _Rule:
    """The rows whose ``column`` lies after ``as_of`` (a timestamp by its date)."""
    return _Rule(f"cast(x.{quote_identifier(column)} as date) > $as_of", _as_written(column), {"as_of": as_of})


def _future_rules(table: Table, present: frozenset[str], today: dt.date | None) -> dict[str, _Rule]:
    """Without a configured ``as_of`` (``today`` given): dates after today in ``not_after_as_of`` columns
    (``future:<column>``), which would otherwise become ``as_of``."""
    if today is None:
        return {}
    return {
        f"future:{col.name}": _Rule(
            f"x.{quote_identifier(col.name)} >= $tomorrow", _as_written(col.name), {"tomorrow": _tomorrow(today)}
        )
        for col in table.columns
        if col.not_after_as_of and col.name in present
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


def _params(rules: dict[str, _Rule]) -> dict[str, Any]:
    """The parameters of several rules queried at once (their names never clash)."""
    return {name: value for rule in rules.values() for name, value in rule.params.items()}


def _samples(
    con: duckdb.DuckDBPyConnection, rows: str, rules: dict[str, _Rule], counts: dict[str, Any]
) -> dict[str, _RowSample]:
    """The first few rows (and values) of every sampled rule some row broke, in one more pass over ``rows``.

    Only run when the scan counted a broken rule: ``min_by(..., _row, n) filter (where ...)``
    keeps the ``n`` first rows of each.
    """
    broken = {key: rule for key, rule in rules.items() if rule.sampled and counts.get(key)}
    if not broken:
        return {}
    aggregates = [
        f"min_by({{'row': _row, 'value': cast({rule.value} as varchar)}}, _row, {SAMPLE_SIZE}) "
        f"filter (where {rule.where})"
        for rule in broken.values()
    ]
    fetched = con.execute(f"select {', '.join(aggregates)} from {rows} as x", _params(broken)).fetchall()[0]
    return {
        key: _RowSample(
            count=int(counts[key]),
            rows=tuple(int(s["row"]) for s in sample),
            values=tuple(_shorten("" if s["value"] is None else str(s["value"])) for s in sample),
        )
        for key, sample in zip(broken, fetched, strict=True)
    }


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


def _future_problems(loaded: _Loaded, today: dt.date | None) -> list[Problem]:
    """Dates after today (counted in the scan when ``as_of`` is inferred)."""
    if today is None:
        return []
    problems = []
    for col in loaded.table.columns:
        problem = _scanned_problem(
            loaded,
            f"future:{col.name}",
            col.name,
            "{values} after today, " + today.isoformat(),
            f"{col.name} on or before today ({today.isoformat()}): without analysis.as_of in {CONFIG_FILE}, "
            "as_of is the latest date in the data",
        )
        if problem:
            problems.append(problem)
    return problems


# --------------------------------------------------------------------------- row checks


def _sample_rule(con: duckdb.DuckDBPyConnection, loaded: _Loaded, rule: _Rule) -> _RowSample:
    """The rows of ``loaded`` matching ``rule``: how many, and the first few with their values."""
    return _sample(con, f"{loaded.rows} as x", rule.where, rule.value, rule.params)


def _problem(
    con: duckdb.DuckDBPyConnection,
    loaded: _Loaded,
    column: str | None,
    rule: _Rule,
    message: str,
    expected: str,
    severity: Severity = "error",
) -> Problem | None:
    """A problem for the rows of ``loaded`` matching ``rule``, sampled by a query of their own (None if none)."""
    found = _sample_rule(con, loaded, rule)
    return _sample_problem(loaded, column, found, message, expected, severity) if found.count else None


def _sample_problem(
    loaded: _Loaded, column: str | None, found: _RowSample, message: str, expected: str, severity: Severity = "error"
) -> Problem:
    """A problem for the rows ``found``; ``{values}`` in ``message`` is filled in."""
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


def _scanned_problem(
    loaded: _Loaded, key: str, column: str | None, message: str, expected: str, severity: Severity = "error"
) -> Problem | None:
    """The problem of a rule of the table's scan (None if no row broke it): its rows were sampled after the scan."""
    found = loaded.samples.get(key)
    return _sample_problem(loaded, column, found, message, expected, severity) if found else None


def _count(con: duckdb.DuckDBPyConnection, loaded: _Loaded, rule: _Rule) -> int:
    """How many rows of ``loaded`` match ``rule`` (an aggregate: no row is fetched)."""
    sql = f"select count(*) from {loaded.typed} as x where {rule.where}"
    return int(con.execute(sql, rule.params).fetchall()[0][0])


def _check_bounds(loaded: _Loaded) -> list[Problem]:
    problems = []
    for col in loaded.table.columns:
        if col.minimum is None and col.maximum is None:
            continue
        if col.maximum is None:
            expected = f"{col.name} >= {col.minimum:g}"
            what = "negative" if col.minimum == 0 else f"below {col.minimum:g}"
        elif col.minimum is None:
            expected, what = f"{col.name} <= {col.maximum:g}", f"above {col.maximum:g}"
        else:
            expected = f"{col.minimum:g} <= {col.name} <= {col.maximum:g}"
            what = "out of range"
        problem = _scanned_problem(loaded, f"bounds:{col.name}", col.name, "{values} " + what, expected)
        if problem:
            problems.append(problem)
    return problems


def _check_unique(con: duckdb.DuckDBPyConnection, loaded: _Loaded) -> list[Problem]:
    key = loaded.table.unique_key
    if not key or not set(key) <= loaded.present:
        return []
    quoted = [quote_identifier(k) for k in key]
    cols, not_null = ", ".join(quoted), " and ".join(f"{q} is not null" for q in quoted)
    duplicated = f"select {cols} from {loaded.typed} where {not_null} group by {cols} having count(*) > 1"
    n_keys = int(con.execute(f"select count(*) from ({duplicated}) as d").fetchall()[0][0])
    if not n_keys:
        return []
    match = " and ".join(f"d.{q} = x.{q}" for q in quoted)
    shown = " || ' / ' || ".join(f"cast(x.{q} as varchar)" for q in quoted)
    found = _sample_rule(con, loaded, _Rule(f"exists (select 1 from ({duplicated}) as d where {match})", shown))
    values = _unique_in_order(found.values)
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
    """Unknown ``account_id`` values, counted in the scan; if any, one grouped query gives the first ids and rows.

    Per unknown id: its first row and first few rows; hence the ids in order of first
    appearance, and the first few offending rows overall.
    """
    if not loaded.found.get("references"):
        return []
    n_rows, rule = int(loaded.found["references"]), loaded.rules["references"]
    n_ids, ids, rows = con.execute(
        f"select count(*), min_by(account_id, first_row, {SAMPLE_SIZE}), "
        f"list_sort(flatten(list(first_rows)))[1:{SAMPLE_SIZE}] "
        f"from (select x.account_id, min(_row) as first_row, min(_row, {SAMPLE_SIZE}) as first_rows "
        f"from {loaded.rows} as x where {rule.where} group by x.account_id) as u"
    ).fetchall()[0]
    ids = tuple(str(i) for i in ids)
    return [
        Problem(
            "error",
            loaded.file,
            "account_id",
            f"{n_ids:,} unknown account_id {'value' if n_ids == 1 else 'values'} not found in {accounts.file}: "
            f"{_quote_values(ids, n_ids > len(ids))}",
            f"every account_id to exist in {accounts.file}",
            n_rows,
            tuple(int(r) for r in rows),
            ids,
        )
    ]


def _check_order(loaded: _Loaded, later: str, earlier: str, strict: bool) -> Problem | None:
    """Rows where column ``later`` is before (or, if ``strict``, also equal to) column ``earlier``."""
    return _scanned_problem(
        loaded,
        f"order:{later}",
        later,
        "{values} " + ("not after " if strict else "before ") + earlier,
        f"{later} {'after' if strict else 'on or after'} {earlier}",
    )


def _check_not_after(loaded: _Loaded, as_of: dt.date) -> list[Problem]:
    problems = []
    for col in loaded.table.columns:
        problem = _scanned_problem(
            loaded,
            f"after:{col.name}",
            col.name,
            "{values} after as_of " + as_of.isoformat(),
            f"{col.name} on or before as_of {as_of.isoformat()} (analysis.as_of in {CONFIG_FILE})",
        )
        if problem:
            problems.append(problem)
    return problems


def _infer_as_of(
    con: duckdb.DuckDBPyConnection, tables: dict[str, _Loaded], today: dt.date
) -> tuple[dt.date | None, str, list[Problem]]:
    """``as_of`` when ``cskpi.toml`` does not set it: the latest date of the data that is no typo.

    The candidates are the dates of the ``not_after_as_of`` columns up to today (a later
    date is an error of its own, see :func:`_future_rules`): the latest
    :data:`AS_OF_OUTLIERS` + 1 of each column, counted in its scan. Among the latest
    candidates of the whole folder, the few (at most :data:`AS_OF_OUTLIERS`, and at most one
    date in ten) that lie more than :data:`AS_OF_GAP_DAYS` days after the next one, and more
    than :data:`AS_OF_GAP_SPACINGS` times the mean spacing of the dates below them, are
    outliers: each is an error naming its rows, and ``as_of`` is the latest date below them.

    Returns
    -------
    The date (None if the folder holds none), where it was found (``file, column c``), and
    the outlier errors.
    """
    candidates: list[tuple[dt.date, _Loaded, str]] = []
    earliest: list[dt.date] = []
    n_dates = 0
    for loaded in tables.values():
        for col in loaded.table.columns:
            if not col.not_after_as_of or col.name not in loaded.present:
                continue
            candidates += [(_as_date(d), loaded, col.name) for d in loaded.found[f"top:{col.name}"] or ()]
            n_dates += int(loaded.found[f"dates:{col.name}"])
            if loaded.found[f"first:{col.name}"] is not None:
                earliest.append(loaded.found[f"first:{col.name}"])
    if not candidates:
        return None, "", []
    candidates.sort(key=lambda c: c[0], reverse=True)
    latest = candidates[: AS_OF_OUTLIERS + 1]
    first = min(earliest)
    cut = 0
    for i in range(1, min(len(latest), max(1, n_dates // 10) + 1)):
        spacing = (latest[i][0] - first).days / max(n_dates - i, 1)
        if (latest[i - 1][0] - latest[i][0]).days > max(AS_OF_GAP_DAYS, AS_OF_GAP_SPACINGS * spacing):
            cut = i
    as_of, found_in, found_column = latest[cut]
    where = f"{found_in.file}, column {found_column}"
    problems = []
    for name, column in dict.fromkeys((loaded.table.name, column) for _, loaded, column in latest[:cut]):
        day = f"cast(x.{quote_identifier(column)} as date)"
        rule = _Rule(
            f"{day} > $as_of and x.{quote_identifier(column)} < $tomorrow",
            _as_written(column),
            {"as_of": as_of, "tomorrow": _tomorrow(today)},
        )
        problem = _problem(
            con,
            tables[name],
            column,
            rule,
            "{values} " + f"far after every other date of the data, the latest of which is {as_of.isoformat()} "
            f"({where}): a typo would become as_of",
            f"{column} within the period of the data: correct it, or set analysis.as_of in {CONFIG_FILE} "
            "if it is right",
        )
        if problem:
            problems.append(problem)
    return as_of, where, problems


def _analyst_warnings(
    con: duckdb.DuckDBPyConnection, tables: dict[str, _Loaded], config: AnalysisConfig, as_of: dt.date | None
) -> list[Problem]:
    problems: list[Problem | None] = []
    accounts, subscriptions = tables.get("accounts"), tables.get("subscriptions")
    if accounts and subscriptions and "account_id" in accounts.present and "account_id" in subscriptions.present:
        unused = _Rule(_account_not_in(subscriptions), "x.account_id")
        if _count(con, accounts, unused):
            problems.append(
                _problem(
                    con,
                    accounts,
                    "account_id",
                    unused,
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
    problems += _feature_warnings(tables.get("usage_events"), config)
    milestones = tables.get("milestones")
    if milestones and "milestone" in milestones.rules and not milestones.found["milestone"]:
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
    latest_end = subscriptions.found.get("latest:end_date") if subscriptions else None
    if subscriptions and as_of is not None and latest_end is not None and latest_end > as_of:
        problems.append(
            _problem(
                con,
                subscriptions,
                "end_date",
                _Rule("x.end_date > $as_of", _as_written("end_date"), {"as_of": as_of}),
                "{values} after as_of " + as_of.isoformat() + ": scheduled ends, counted as active at as_of",
                "end_date after as_of only for a scheduled end (informational)",
                severity="warning",
            )
        )
    return [p for p in problems if p is not None]


def _feature_warnings(usage: _Loaded | None, config: AnalysisConfig) -> list[Problem]:
    """Features named in the config that ``usage_events`` never shows (counted in its scan)."""
    wanted = [f for f in (*config.key_features, config.first_value_event) if f]
    if wanted and usage is None:
        return [
            Problem(
                "warning",
                "usage_events.csv",
                "feature",
                f"no usage_events file, so features {_quote_values(wanted)} named in {CONFIG_FILE} cannot be tracked",
                "usage_events.csv or usage_events.parquet",
            )
        ]
    if not wanted or usage is None or "feature" not in usage.present:
        return []
    missing = [f for f in wanted if not usage.found[f"feature:{f}"]]
    if not missing:
        return []
    return [
        Problem(
            "warning",
            usage.file,
            "feature",
            f"{'feature' if len(missing) == 1 else 'features'} named in {CONFIG_FILE} never used: "
            f"{_quote_values(missing)}",
            f"analysis.key_features and analysis.first_value_event to be values of {usage.file} feature",
            values=tuple(missing),
        )
    ]


# --------------------------------------------------------------------------- entry points


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

    today = _today() if config.as_of is None else None
    con = duckdb.connect(":memory:", config={"preserve_insertion_order": True})  # CSV rows numbered in file order
    try:
        tables = _load_tables(con, data_dir, config, problems, today)
        problems += _table_checks(con, tables, config)
        as_of, as_of_source = config.as_of, ""
        if today is not None:
            as_of, as_of_source, outliers = _infer_as_of(con, tables, today)
            problems += outliers
        problems += _analyst_warnings(con, tables, config, as_of)
        row_counts = {name: loaded.row_count for name, loaded in tables.items()}
    finally:
        con.close()
    ordered = tuple(sorted(problems, key=lambda p: p.severity != "error"))
    report = ValidationReport(
        data_dir, as_of, row_counts, ordered, as_of_from_config=config.as_of is not None, as_of_source=as_of_source
    )
    return dataclasses.replace(config, as_of=as_of), report


def _as_date(value: dt.date) -> dt.date:
    """The date of a date or timestamp value."""
    return value.date() if isinstance(value, dt.datetime) else value


def _tomorrow(today: dt.date | None) -> dt.date | None:
    """The day after ``today``: a value before it (midnight) is not after today."""
    return None if today is None else today + dt.timedelta(days=1)


def _today() -> dt.date:
    """Today's date: no date of the data may lie after it when ``as_of`` is inferred."""
    return dt.date.today()


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
