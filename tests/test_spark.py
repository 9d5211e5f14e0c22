"""The Spark engine: the same models, transpiled, give the same marts as DuckDB.

Oracle: the DuckDB build of the same folder (itself checked against hand-counted known answers
in test_kpis.py and an independent pandas pipeline in bench/). Every mart must have the same
columns and the same rows, numbers within 1e-9 (relative or absolute).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cskpi_analysis import spark as spark_engine
from cskpi_analysis.cli import main
from cskpi_analysis.dialects import transpile
from cskpi_analysis.errors import BuildCheckError
from cskpi_analysis.models import Check
from cskpi_analysis.validate import require_valid
from cskpi_analysis.warehouse import Warehouse, build_marts
from tests.conftest import DEMO_DATA

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _value(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _rows(frame: pd.DataFrame) -> list[tuple]:
    rows = [tuple(_value(v) for v in row) for row in frame.itertuples(index=False, name=None)]
    return sorted(rows, key=lambda row: tuple((v is None, str(v)) for v in row))


def _same(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    if hasattr(a, "as_integer_ratio") or hasattr(b, "as_integer_ratio"):  # Decimal against float
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def mart_differences(duck: Warehouse, out: Path) -> dict[str, str]:
    """Each mart whose Spark Parquet differs from the DuckDB table, with the first difference."""
    marts = [
        name
        for (name,) in duck.execute("select table_name from duckdb_tables() where table_name like 'mart_%'").fetchall()
    ]
    differences = {}
    for name in sorted(marts):
        ours = duck.execute(f"select * from {name}").df()
        theirs = duckdb.connect().execute(f"select * from read_parquet('{out / name}/*.parquet')").df()
        if list(ours.columns) != list(theirs.columns):
            differences[name] = f"columns {list(ours.columns)} vs {list(theirs.columns)}"
            continue
        a, b = _rows(ours), _rows(theirs)
        if len(a) != len(b):
            differences[name] = f"{len(a)} rows vs {len(b)}"
            continue
        for row_a, row_b in zip(a, b, strict=True):
            bad = [c for c, x, y in zip(ours.columns, row_a, row_b, strict=True) if not _same(x, y)]
            if bad:
                differences[name] = f"first differing row: {row_a} vs {row_b} (columns {bad})"
                break
    return differences


def _both_engines(folder: Path, out: Path, spark) -> tuple[Warehouse, spark_engine.SparkBuild]:
    config, _ = require_valid(folder)
    duck = build_marts(folder, config)
    result = spark_engine.build(folder, out, config=config, spark=spark)
    return duck, result


# --------------------------------------------------------------------------- semantics, one at a time


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # DuckDB counts month boundaries: Jan 31 -> Feb 1 is 1 month (Spark alone says 0)
        ("date_diff('month', cast('2024-01-31' as date), cast('2024-02-01' as date))", 1),
        ("date_diff('month', cast('2024-02-01' as date), cast('2024-01-31' as date))", -1),
        # and minute boundaries: 10:00:59 -> 10:01:00 is 1 minute
        ("date_diff('minute', cast('2024-01-01 10:00:59' as timestamp), cast('2024-01-01 10:01:00' as timestamp))", 1),
        ("date_diff('day', cast('2024-02-28' as date), cast('2024-03-01' as date))", 2),  # leap year
        # month arithmetic clamps to the month's end in both: Jan 31 + 1 month = Feb 29 (2024)
        ("cast(cast('2024-01-31' as date) + to_months(cast(1 as integer)) as date) = cast('2024-02-29' as date)", True),
        ("cast(cast('2023-03-31' as date) + interval (11) month as date) = cast('2024-02-29' as date)", True),
        # percentile_cont interpolates: median of 1, 2, 3, 10 is 2.5 (not an observed value)
        ("(select percentile_cont(0.5) within group (order by x) from (values (1), (2), (3), (10)) as v (x))", 2.5),
        # division is in floating point: 1 / 60.0 to 1e-9, not rounded to 6 decimals
        ("cast(1 as bigint) / 60.0", 1 / 60),
        ("7 // 2", 3),
        ("bit_count(cast(1 as bigint) << 40 | 5)", 3),
    ],
)
def test_each_rewritten_construct_means_the_same_on_spark_as_on_duckdb(spark_session, expression, expected):
    sql = f"select {expression} as value"
    duck = duckdb.connect().execute(sql).fetchone()[0]
    on_spark = spark_session.sql(transpile(sql, "spark")).collect()[0]["value"]
    assert _same(duck, expected), duck
    assert _same(on_spark, expected), on_spark


def test_timestamps_with_offsets_parse_to_the_same_utc_wall_time(spark_session, tmp_path):
    # the validator's parse rules, transpiled: "+02:00" and "Z" become UTC, blank becomes NULL
    from cskpi_analysis.config import AnalysisConfig
    from cskpi_analysis.contract import TABLES
    from cskpi_analysis.sources import source_projection

    table = TABLES["milestones"]
    csv = tmp_path / "m.csv"
    csv.write_text(
        "account_id,milestone,achieved_at\n"
        "A,first_value, 2024-02-01T01:30:00+02:00 \n"
        "B,first_value,2024-02-01 10:00:00Z\n"
        "C,first_value,2024-02-01\n"
    )
    types = {c.name: "VARCHAR" for c in table.columns}
    projection = source_projection(table, types, AnalysisConfig())
    con = duckdb.connect()
    duck = con.execute(f"select {projection} from read_csv('{csv}', all_varchar = true) order by 1").fetchall()
    spark_session.read.csv(str(csv), header=True).createOrReplaceTempView("raw_m")
    rows = spark_session.sql(transpile(f"select {projection} from raw_m order by 1", "spark")).collect()
    assert duck == [
        ("A", "first_value", dt.datetime(2024, 1, 31, 23, 30)),
        ("B", "first_value", dt.datetime(2024, 2, 1, 10, 0)),
        ("C", "first_value", dt.datetime(2024, 2, 1, 0, 0)),
    ]
    assert [tuple(r) for r in rows] == duck


# --------------------------------------------------------------------------- whole builds


def edge_case_folder(folder: Path) -> Path:
    """Hand-made folder of the cases engines disagree on: reactivations, annual plans, month-end
    starts, mid-month ends, a leap day, as_of mid-month, subscriptions as Parquet with native types."""
    folder.mkdir(parents=True)
    (folder / "cskpi.toml").write_text(
        '[analysis]\nas_of = 2025-03-14\nkey_features = ["reports", "alerts"]\nfirst_value_milestone = "first_value"\n'
    )
    accounts = ["A", "B", "C", "D", "E", "F", "G"]
    pd.DataFrame(
        {
            "account_id": accounts,
            "signup_date": [
                "2024-01-15",
                "2023-03-31",
                "2024-01-31",
                "2024-02-29",
                "2023-12-01",
                "2024-01-01",
                "2025-03-01",
            ],
            "segment": ["SMB", "Enterprise", "SMB", "Mid-Market", "SMB", "Enterprise", "SMB"],
        }
    ).to_csv(folder / "accounts.csv", index=False)
    subscriptions = pd.DataFrame(
        [
            # A: monthly, ends mid-month, comes back months later (a reactivation)
            ("A", "2024-01-15", "2024-05-20", 100.0, 1),
            ("A", "2024-08-01", None, 120.0, 1),
            # B: annual from a month's last day (anniversaries on Feb 29 / Mar 31 clamp)
            ("B", "2023-03-31", None, 1000.0, 12),
            # C: month-end start, upgraded the next month
            ("C", "2024-01-31", "2024-02-29", 50.0, 1),
            ("C", "2024-02-29", None, 80.0, 1),
            # D: annual from a leap day, ends a year later
            ("D", "2024-02-29", "2025-02-28", 400.0, 12),
            # E: ends mid-month and comes back early the next month (churn at March's end, then reactivation)
            ("E", "2023-12-01", "2024-03-15", 200.0, 1),
            ("E", "2024-04-05", None, 200.0, 1),
            # F: contraction (the cheaper plan starts the day the first ends), then churn in as_of's
            # own month before as_of
            ("F", "2024-01-01", "2024-06-30", 300.0, 1),
            ("F", "2024-06-30", "2025-03-10", 150.0, 1),
            # G: starts in as_of's month
            ("G", "2025-03-01", None, 75.0, 1),
        ],
        columns=["account_id", "start_date", "end_date", "mrr", "billing_period_months"],
    )
    for column in ("start_date", "end_date"):
        subscriptions[column] = pd.to_datetime(subscriptions[column]).dt.date
    subscriptions.to_parquet(folder / "subscriptions.parquet", index=False)
    pd.DataFrame(
        [
            ("A", "2024-01-20 10:00:00", "reports"),
            # in UTC on Jan 31st, by wall time on Feb 1st: the offset moves it across a month
            ("A", "2024-02-01T01:30:00+02:00", "alerts"),
            ("A", "2024-02-01 00:10:00Z", "reports"),
            ("B", "2024-02-29 12:00:00", "reports"),
            ("C", "2024-02-10 08:00:00", "search"),
            ("E", "2024-04-06 09:00:00", "alerts"),
            ("G", "2025-03-02 09:00:00", "reports"),
        ],
        columns=["account_id", "occurred_at", "feature"],
    ).to_csv(folder / "usage_events.csv", index=False)
    pd.DataFrame(
        [
            # first responses just across a minute boundary, and a day later
            ("A", "T1", "2024-02-01 10:00:59", "2024-02-01 10:01:00", "2024-02-02 10:00:00", 5),
            ("B", "T2", "2024-03-31 23:59:00", "2024-04-01 00:30:00", "", ""),
            ("C", "T3", "2024-02-15 09:00:00", "", "", 2),
        ],
        columns=["account_id", "ticket_id", "opened_at", "first_response_at", "resolved_at", "csat"],
    ).to_csv(folder / "support_tickets.csv", index=False)
    pd.DataFrame(
        [("A", "first_value", "2024-01-25 00:00:00"), ("B", "first_value", "2023-04-10 00:00:00")],
        columns=["account_id", "milestone", "achieved_at"],
    ).to_csv(folder / "milestones.csv", index=False)
    pd.DataFrame(
        [("A", "2024-06-01 00:00:00", 9), ("B", "2024-06-01 00:00:00", 6), ("E", "2024-12-31 23:00:00", 8)],
        columns=["account_id", "responded_at", "score"],
    ).to_csv(folder / "nps_responses.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def demo_builds(spark_session, tmp_path_factory):
    if not DEMO_DATA.is_dir():
        pytest.skip("data/demo is missing; 'make test' writes it first")
    return _both_engines(DEMO_DATA, tmp_path_factory.mktemp("spark") / "marts", spark_session)


def test_demo_data_gives_the_same_marts_on_both_engines(demo_builds):
    duck, result = demo_builds
    assert mart_differences(duck, result.out) == {}
    marts = {
        name
        for (name,) in duck.execute("select table_name from duckdb_tables() where table_name like 'mart_%'").fetchall()
    }
    assert set(result.row_counts) == marts
    assert all(count > 0 for count in result.row_counts.values())


def test_a_failing_check_leaves_no_output(spark_session, tmp_path, monkeypatch):
    # the staging models and one mart are enough to reach the checks (a whole build is tested above)
    from cskpi_analysis import models

    folder = edge_case_folder(tmp_path / "edge")
    out = tmp_path / "marts"
    everything = models.load_models()
    subset = {name: model for name, model in everything.items() if name.startswith("stg_")}
    subset["mart_usage_daily"] = everything["mart_usage_daily"]
    failing = Check("always_fails", "select * from mart_usage_daily", "planted failure", ())
    monkeypatch.setattr(models, "load_models", lambda: subset)
    monkeypatch.setattr(models, "load_checks", lambda: [failing])
    with pytest.raises(BuildCheckError, match="check always_fails failed \\(planted failure\\)"):
        spark_engine.build(folder, out, spark=spark_session)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [tmp_path / "edge"]  # no temporary folder left either


def test_build_command_with_spark_engine_writes_the_marts_duckdb_writes(spark_session, tmp_path, capsys):
    # the command line end to end: validation, the Spark build, the printed counts, equal marts
    folder = edge_case_folder(tmp_path / "edge")
    out = tmp_path / "marts"
    assert main(["build", str(folder), "--engine", "spark", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "all reconciliation checks passed" in printed
    config, _ = require_valid(folder)
    duck = build_marts(folder, config)
    assert mart_differences(duck, out) == {}
    movements = dict(duck.execute("select movement, count(*) from mart_account_months group by all").fetchall())
    assert movements.get("reactivation", 0) >= 2 and movements.get("churn", 0) >= 2
    assert movements.get("contraction", 0) >= 1 and movements.get("expansion", 0) >= 1
    for (name,) in duck.execute("select table_name from duckdb_tables() where table_name like 'mart_%'").fetchall():
        count = duck.execute(f"select count(*) from {name}").fetchone()[0]
        assert re.search(rf"^{name} +{count:,} rows$", printed, re.MULTILINE), name


def test_build_command_refuses_spark_without_out(tmp_path, capsys):
    assert main(["build", str(tmp_path), "--engine", "spark"]) == 1
    assert "--out" in capsys.readouterr().err
