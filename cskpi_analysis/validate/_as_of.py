"""``as_of`` when ``cskpi.toml`` does not set it: date profiles and the latest date of the data that is no typo."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import duckdb

from cskpi_analysis.config import CONFIG_FILE
from cskpi_analysis.sources import quote_identifier
from cskpi_analysis.validate._checks import _problem
from cskpi_analysis.validate._read import _as_written
from cskpi_analysis.validate._report import Problem
from cskpi_analysis.validate._rules import _Loaded, _Rule, _tomorrow

#: Without ``as_of`` in ``cskpi.toml``: at most this many of the latest dates can be outliers (and at
#: most one date in ten)...
AS_OF_OUTLIERS = 50


#: ... each lying more than this many days after the rest of the dates ...
AS_OF_GAP_DAYS = 180


#: ... and more than this many times the dates' mean spacing (sparse data has wide gaps).
AS_OF_GAP_SPACINGS = 20


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


def _as_date(value: dt.date) -> dt.date:
    """The date of a date or timestamp value."""
    return value.date() if isinstance(value, dt.datetime) else value
