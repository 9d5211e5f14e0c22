"""The per-row rules of a table (columns, bounds, order, references, usage, ``as_of``), counted in one scan."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import duckdb

from cskpi_analysis.config import AnalysisConfig
from cskpi_analysis.contract import Table
from cskpi_analysis.sources import quote_identifier
from cskpi_analysis.validate._read import _as_written, _ColumnRead, _RowSample
from cskpi_analysis.validate._report import SAMPLE_SIZE, _shorten

#: Order rules, table by table: (later column, earlier column, strictly after).
_ORDER_RULES: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "subscriptions": (("end_date", "start_date", True),),
    "support_tickets": (("first_response_at", "opened_at", False), ("resolved_at", "opened_at", False)),
}


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


def _tomorrow(today: dt.date | None) -> dt.date | None:
    """The day after ``today``: a value before it (midnight) is not after today."""
    return None if today is None else today + dt.timedelta(days=1)
