"""Transpiling the models: every model and check in every offered dialect, and each shim's rewrite.

What the rewritten SQL *means* on Spark is tested in test_spark.py (against DuckDB, on data).
"""

from __future__ import annotations

import re

import pytest
import sqlglot
from sqlglot.errors import UnsupportedError

from cskpi_analysis.cli import main
from cskpi_analysis.dialects import DIALECTS, transpile
from cskpi_analysis.models import load_checks, load_models, referenced_tables

MODELS = load_models()
CHECKS = {check.name: check for check in load_checks()}

# sqlglot writes `d + interval (n) month` as `d + INTERVAL MONTH` for Snowflake and PostgreSQL
# without raising: the quantity silently disappears. No output may contain an interval without one.
_BARE_INTERVAL = re.compile(r"INTERVAL\s+(YEAR|QUARTER|MONTH|WEEK|DAY|HOUR|MINUTE|SECOND)\b", re.IGNORECASE)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_transpiles_to_every_dialect_and_parses_back(name, dialect):
    # unsupported_level=RAISE inside transpile: a construct the target cannot express fails here
    text = transpile(MODELS[name].sql, dialect)
    assert not _BARE_INTERVAL.search(text), text
    tree = sqlglot.parse_one(text, read=dialect)
    # the same relations are read in the target as in DuckDB (no table lost or invented)
    read = {t.name for t in tree.find_all(sqlglot.exp.Table)} - {
        c.alias_or_name for c in tree.find_all(sqlglot.exp.CTE)
    }
    assert read == set(MODELS[name].depends_on) | {r for r in read if r.startswith("src_")}
    # every bound parameter is still a named marker, none pasted in as a value
    for parameter in MODELS[name].parameters:
        assert re.search(rf"[:@$]{parameter}\b|%\({parameter}\)s", text), (parameter, dialect)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", sorted(CHECKS))
def test_every_check_transpiles_to_every_dialect(name, dialect):
    text = transpile(CHECKS[name].sql, dialect)
    assert not _BARE_INTERVAL.search(text)
    # the check reads the same relations in the target as in DuckDB
    assert _reads(sqlglot.parse_one(text, read=dialect)) == referenced_tables(CHECKS[name].sql)


def _reads(tree: sqlglot.exp.Expression) -> set[str]:
    ctes = {c.alias_or_name for c in tree.find_all(sqlglot.exp.CTE)}
    return {t.name for t in tree.find_all(sqlglot.exp.Table)} - ctes


def test_an_unsupported_construct_raises_instead_of_writing_wrong_sql():
    # BigQuery has no NULLS LAST inside a window's MAX ordering; sqlglot would drop it silently
    sql = "select max(x) over (partition by a order by b nulls last) from t"
    with pytest.raises(UnsupportedError):
        transpile(sql, "bigquery")


def test_unknown_dialect_is_refused():
    with pytest.raises(ValueError, match="unknown dialect 'oracle'"):
        transpile("select 1", "oracle")


def _one_line(sql: str, dialect: str) -> str:
    return transpile(sql, dialect, pretty=False)


def test_computed_month_interval_becomes_each_dialects_date_addition():
    sql = "select cast(d + interval (n - 1) month as date), cast(d + to_months(cast(12 * k as integer)) as date) from t"
    assert _one_line(sql, "spark") == (
        "SELECT CAST(ADD_MONTHS(d, n - 1) AS DATE), CAST(ADD_MONTHS(d, CAST(12 * k AS INT)) AS DATE) FROM t"
    )
    assert "DATEADD(MONTH, n - 1, d)" in _one_line(sql, "snowflake")
    assert "DATE_ADD(d, INTERVAL (n - 1) MONTH)" in _one_line(sql, "bigquery")
    assert "d + (INTERVAL '1 MONTH' * (n - 1))" in _one_line(sql, "postgres")
    # DuckDB keeps its own spelling (the shims are for other engines)
    assert "INTERVAL (n - 1) MONTH" in _one_line(sql, "duckdb")


def test_spark_date_diff_counts_boundaries_like_duckdb():
    out = _one_line("select date_diff('month', a, b), date_diff('minute', s, e) from t", "spark")
    assert out == (
        "SELECT DATEDIFF(MONTH, DATE_TRUNC('MONTH', a), DATE_TRUNC('MONTH', b)), "
        "DATEDIFF(MINUTE, DATE_TRUNC('MINUTE', s), DATE_TRUNC('MINUTE', e)) FROM t"
    )
    # whole days between two dates are boundaries already: left as written
    assert _one_line("select date_diff('day', cast(a as date), cast(b as date)) from t", "spark") == (
        "SELECT DATEDIFF(DAY, CAST(a AS DATE), CAST(b AS DATE)) FROM t"
    )


def test_spark_percentile_is_exact_not_approximate():
    out = _one_line("select percentile_cont(0.9) within group (order by x) from t", "spark")
    assert out == "SELECT PERCENTILE(x, 0.9) FROM t"
    assert "APPROX" not in out
    # a descending order is the mirrored fraction
    assert _one_line("select percentile_cont(0.9) within group (order by x desc) from t", "spark") == (
        "SELECT PERCENTILE(x, 1 - 0.9) FROM t"
    )


def test_spark_division_is_floating_point_as_in_duckdb():
    assert _one_line("select a / 60.0, a // 12 from t", "spark") == "SELECT CAST(a AS DOUBLE) / 60.0, a DIV 12 FROM t"


def test_spark_instants_are_local_timestamps_not_wall_times():
    out = _one_line("select cast(try_cast(x as timestamptz) at time zone 'UTC' as timestamp) from t", "spark")
    assert "AS TIMESTAMP_LTZ)" in out and out.endswith("AS TIMESTAMP_NTZ) FROM t")


def test_spark_isfinite_is_true_on_validated_input():
    assert _one_line("select case when isfinite(x) then x end from t", "spark") == (
        "SELECT CASE WHEN TRUE THEN x END FROM t"
    )


def test_sql_command_prints_one_create_view_per_model_in_dependency_order(capsys):
    assert main(["sql", "--dialect", "spark"]) == 0
    out = capsys.readouterr().out
    created = re.findall(r"^create or replace view (\w+) as$", out, re.MULTILINE)
    assert sorted(created) == sorted(MODELS)
    position = {name: i for i, name in enumerate(created)}
    for model in MODELS.values():
        assert all(position[dep] < position[model.name] for dep in model.depends_on), model.name
    assert ":as_of" in out and "$as_of" not in out


def test_sql_command_prints_one_model_and_refuses_an_unknown_one(capsys):
    assert main(["sql", "--dialect", "postgres", "--model", "mart_renewals_due", "--select-only"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("-- mart_renewals_due (mart); reads: int_subscription_coverage, stg_accounts")
    assert "create or replace view" not in out
    assert "%(as_of)s" in out
    assert main(["sql", "--dialect", "spark", "--model", "mart_nope"]) == 1
    assert "unknown model(s): mart_nope" in capsys.readouterr().err
