"""Problems from a table's scan and across tables: bounds, unique keys, references, order, warnings."""

from __future__ import annotations

import datetime as dt

import duckdb

from cskpi_analysis.config import CONFIG_FILE, AnalysisConfig
from cskpi_analysis.sources import quote_identifier
from cskpi_analysis.validate._read import _as_written, _RowSample, _sample
from cskpi_analysis.validate._report import (
    SAMPLE_SIZE,
    Problem,
    Severity,
    _quote_values,
    _unique_in_order,
    _values_phrase,
)
from cskpi_analysis.validate._rules import _account_not_in, _Loaded, _Rule


def _future_problems(loaded: _Loaded, today: dt.date | None) -> list[Problem]:
    """Dates after today (counted in the scan when ``as_of`` is inferred)."""
    if today is None:
        return []
    return _dates_after(
        loaded,
        "future",
        "{values} after today, " + today.isoformat(),
        f"on or before today ({today.isoformat()}): without analysis.as_of in {CONFIG_FILE}, "
        "as_of is the latest date in the data",
    )


def _dates_after(loaded: _Loaded, kind: str, message: str, expected: str) -> list[Problem]:
    """A problem for each column whose dates the scan counted under ``<kind>:<column>`` (``expected``
    follows the column's name)."""
    problems = []
    for col in loaded.table.columns:
        problem = _scanned_problem(loaded, f"{kind}:{col.name}", col.name, message, f"{col.name} {expected}")
        if problem:
            problems.append(problem)
    return problems


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
    return _dates_after(
        loaded,
        "after",
        "{values} after as_of " + as_of.isoformat(),
        f"on or before as_of {as_of.isoformat()} (analysis.as_of in {CONFIG_FILE})",
    )


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
