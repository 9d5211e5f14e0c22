"""The SQL models in other engines' dialects: one SQL text, transpiled by sqlglot.

The models in ``cskpi_analysis/sql/`` are written in a portable subset of DuckDB's SQL.
:func:`transpile` turns one into Spark SQL, Snowflake, BigQuery or PostgreSQL, refusing
(``unsupported_level=RAISE``) anything the target cannot express, so a team can run the same
definitions in its own warehouse (``cskpi sql --dialect spark``).

Where DuckDB and a target differ in *meaning* rather than spelling, the model is written so
that one text means the same in both (month differences as ``year * 12 + month`` arithmetic,
not ``date_diff('month', ...)``, which counts boundaries in DuckDB and whole months in Spark).
What remains is a short list of rewrites, each with its reason, in :data:`SHIMS`.

Parameters stay bound: DuckDB's ``$name`` becomes the target's named marker (``:name`` in
Spark SQL, whose ``spark.sql(query, args=...)`` binds it).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

#: Dialects ``cskpi sql --dialect`` offers; every model must transpile to each (a test checks it).
DIALECTS: tuple[str, ...] = ("spark", "snowflake", "bigquery", "postgres")


def _isfinite_is_true(node: exp.Expression) -> exp.Expression:
    """``isfinite(x)`` -> ``TRUE``.

    DuckDB has infinite DATE/TIMESTAMP/DOUBLE values, Spark has none; the validator (always
    run before a build) refuses every non-finite value, so on validated input ``isfinite(x)``
    holds wherever ``x`` is not NULL, and the CASE around it already yields NULL for NULL.
    """
    if isinstance(node, exp.Anonymous) and node.name.lower() == "isfinite":
        return exp.true()
    return node


def _computed_interval_is_date_add(node: exp.Expression) -> exp.Expression:
    """``d + interval (n) month`` and ``d + to_months(n)`` -> ``DateAdd(d, n, MONTH)``.

    sqlglot writes a computed interval literally, which Snowflake and PostgreSQL cannot read
    (it even drops the quantity: ``d + INTERVAL MONTH``); as a date addition each dialect gets
    its own spelling (``ADD_MONTHS``, ``DATEADD``, ``DATE_ADD(d, INTERVAL n MONTH)``, ...).
    """
    if not isinstance(node, exp.Add):
        return node
    amount = node.expression
    if isinstance(amount, exp.Interval) and amount.unit is not None and not isinstance(amount.this, exp.Literal):
        quantity = amount.this.unnest() if isinstance(amount.this, exp.Paren) else amount.this
        return exp.DateAdd(this=node.this, expression=quantity, unit=exp.var(amount.unit.name.upper()))
    if isinstance(amount, exp.Anonymous) and amount.name.lower() == "to_months" and len(amount.expressions) == 1:
        return exp.DateAdd(this=node.this, expression=amount.expressions[0], unit=exp.var("MONTH"))
    return node


def _boundary_date_diff(node: exp.Expression) -> exp.Expression:
    """``date_diff(unit, a, b)`` counts unit *boundaries* crossed in DuckDB, *whole* units in Spark.

    Jan 31 -> Feb 1 is 1 month in DuckDB and 0 in Spark; 10:00:59 -> 10:01:00 is 1 minute and
    0. Truncating both ends to the unit first makes Spark count boundaries too.
    """
    if not isinstance(node, exp.DateDiff) or node.args.get("truncated"):
        return node
    unit = (node.unit.name if node.unit is not None else "DAY").upper()
    if unit == "DAY" and all(_is_date_cast(side) for side in (node.this, node.expression)):
        return node  # whole days between dates are boundaries already
    truncated = [exp.TimestampTrunc(this=side.copy(), unit=exp.var(unit)) for side in (node.this, node.expression)]
    return exp.DateDiff(this=truncated[0], expression=truncated[1], unit=exp.var(unit), truncated=True)


def _is_date_cast(node: exp.Expression) -> bool:
    return isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.DATE)


def _exact_percentile(node: exp.Expression) -> exp.Expression:
    """``percentile_cont(p) within group (order by x)`` -> Spark's exact ``PERCENTILE(x, p)``.

    sqlglot writes Spark's ``PERCENTILE_APPROX``, an approximation; ``PERCENTILE`` interpolates
    linearly between the closest ranks as ``percentile_cont`` does.
    """
    if not (isinstance(node, exp.WithinGroup) and isinstance(node.this, exp.PercentileCont)):
        return node
    ordered = node.expression.expressions
    if len(ordered) != 1:
        return node
    value = ordered[0].this.copy()
    fraction = node.this.this.copy()
    if ordered[0].args.get("desc"):
        fraction = exp.Sub(this=exp.Literal.number(1), expression=fraction)
    return exp.Anonymous(this="PERCENTILE", expressions=[value, fraction])


def _float_division(node: exp.Expression) -> exp.Expression:
    """``a / b`` -> ``CAST(a AS DOUBLE) / b``: DuckDB's ``/`` always divides in floating point.

    Spark divides two DECIMALs (``count / 60.0``) as DECIMAL, rounded to 6 decimals;
    DuckDB returns a DOUBLE. Integer division is written ``//`` in the models.
    """
    if isinstance(node, exp.Div) and not node.args.get("floating"):
        numerator = exp.Cast(this=node.this.copy(), to=exp.DataType.build("DOUBLE"))
        return exp.Div(this=numerator, expression=node.expression.copy(), floating=True)
    return node


def _timestamptz_is_ltz(node: exp.Expression) -> exp.Expression:
    """DuckDB's ``TIMESTAMPTZ`` (an instant) -> Spark's ``TIMESTAMP_LTZ``.

    sqlglot writes plain ``TIMESTAMP``, which the Spark engine's session reads as
    ``TIMESTAMP_NTZ`` (``spark.sql.timestampType``, set so that DuckDB's ``TIMESTAMP`` means the
    same): a UTC offset in ``'2024-02-01T01:30:00+02:00'`` would then be dropped.
    """
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.TIMESTAMPTZ:
        return exp.DataType(this=exp.DataType.Type.TIMESTAMPLTZ)
    return node


#: Rewrites applied to the parsed DuckDB SQL before it is written in a dialect:
#: ``(dialects, transform)``; each transform's docstring says why it is needed.
SHIMS: tuple[tuple[tuple[str, ...], Callable[[exp.Expression], exp.Expression]], ...] = (
    (DIALECTS, _computed_interval_is_date_add),
    (("spark",), _isfinite_is_true),
    (("spark",), _boundary_date_diff),
    (("spark",), _exact_percentile),
    (("spark",), _float_division),
    (("spark",), _timestamptz_is_ltz),
)


def transpile(sql: str, dialect: str, *, pretty: bool = True) -> str:
    """``sql`` (DuckDB) written in ``dialect``; raises ``sqlglot.errors.UnsupportedError`` if it cannot be."""
    if dialect not in DIALECTS and dialect != "duckdb":
        raise ValueError(f"unknown dialect {dialect!r}; expected one of {', '.join(DIALECTS)}")
    tree = sqlglot.parse_one(sql, read="duckdb")
    for targets, shim in SHIMS:
        if dialect in targets:
            tree = tree.transform(shim)
    return tree.sql(dialect=dialect, pretty=pretty, unsupported_level=ErrorLevel.RAISE)
