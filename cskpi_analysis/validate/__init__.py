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

Layout (private modules; the names below are the package's API):

* ``_report``: :class:`Problem`, :class:`ValidationReport` and the phrasing of bad values;
* ``_read``: reading a file in place: file relations, column reads and typed views; the folder,
  header, encoding and ragged-row checks;
* ``_rules``: the per-row rules of a table (columns, bounds, order, references, usage, ``as_of``);
* ``_as_of``: ``as_of`` inferred from the data: date profiles, outlying latest dates;
* ``_load``: opening and scanning each table once, header and column problems;
* ``_checks``: problems from the scans and across tables (unique keys, references, warnings);
* ``_run``: the entry points :func:`validate_dir`, :func:`require_valid` and :func:`resolve_as_of`.
"""

from __future__ import annotations

from cskpi_analysis.validate._as_of import AS_OF_GAP_DAYS, AS_OF_GAP_SPACINGS, AS_OF_OUTLIERS
from cskpi_analysis.validate._report import SAMPLE_SIZE, Problem, Severity, ValidationReport
from cskpi_analysis.validate._run import require_valid, resolve_as_of, validate_dir

__all__ = [
    "AS_OF_GAP_DAYS",
    "AS_OF_GAP_SPACINGS",
    "AS_OF_OUTLIERS",
    "SAMPLE_SIZE",
    "Problem",
    "Severity",
    "ValidationReport",
    "require_valid",
    "resolve_as_of",
    "validate_dir",
]
