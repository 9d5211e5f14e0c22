"""The KPI models on Spark: the same SQL files, transpiled, run on a SparkSession.

``cskpi build DIR --engine spark --out OUT`` validates the folder exactly as the DuckDB build
does (the contract is one), then

1. reads each contract file with Spark (CSV as text, Parquet with its own types) and parses
   every column to its contract type by the validator's own expressions
   (:func:`cskpi_analysis.sources.source_projection`, transpiled);
2. runs every model of ``cskpi_analysis/sql/`` in dependency order, transpiled to Spark SQL
   (:func:`cskpi_analysis.dialects.transpile`), with the same bound parameters
   (``spark.sql(query, args=...)``); intermediates are cached in memory, marts written as
   Parquet under ``OUT/<mart>/`` and read back from there by the models above them;
3. runs the same build checks (``sql/checks/``); a failing identity leaves no output behind.

PySpark is an optional extra (``pip install 'cskpi[spark]'``, Java 17 from the OS). The
session is ``local[*]`` unless ``master`` is given, or a session already exists (under
``spark-submit``, whose ``--master`` and ``SPARK_*`` settings then apply).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cskpi_analysis.config import AnalysisConfig
from cskpi_analysis.errors import AnalysisError, BuildCheckError

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession

#: Spark settings the models rely on: timestamps without time zone (DuckDB's TIMESTAMP),
#: read and written in UTC, and exact (not approximate) results.
SESSION_CONFIG: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
    "spark.sql.ansi.enabled": "true",
}

#: Settings of a session this module starts (not applied to one it is given).
_STARTUP_CONFIG: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}


@dataclass(frozen=True)
class SparkBuild:
    """What a Spark build wrote: the folder, each mart's row count, and how long it took."""

    out: Path
    row_counts: dict[str, int]
    seconds: float
    master: str


def _require_pyspark() -> Any:
    try:
        import pyspark
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise AnalysisError(
            "the Spark engine needs PySpark: pip install 'cskpi[spark]' (and Java 17, e.g. apt-get install "
            "openjdk-17-jre-headless)"
        ) from exc
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise AnalysisError("the Spark engine needs Java 17 (java on PATH or JAVA_HOME), e.g. openjdk-17-jre-headless")
    return pyspark


def _master_given_outside() -> bool:
    """Under ``spark-submit`` (which starts Python with a gateway) or ``PYSPARK_SUBMIT_ARGS="--master ..."``."""
    return "PYSPARK_GATEWAY_PORT" in os.environ or "--master" in os.environ.get("PYSPARK_SUBMIT_ARGS", "")


def session(master: str | None = None, *, app_name: str = "cskpi") -> SparkSession:
    """A SparkSession with :data:`SESSION_CONFIG`: ``master`` or the existing session's, else ``local[*]``."""
    _require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        spark = active
    else:
        builder = SparkSession.builder.appName(app_name)
        if master is not None:
            builder = builder.master(master)
        elif not _master_given_outside():
            builder = builder.master("local[*]")
        builder = builder.config("spark.driver.memory", os.environ.get("CSKPI_SPARK_DRIVER_MEMORY", "2g"))
        for key, value in _STARTUP_CONFIG.items():
            builder = builder.config(key, value)
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("FATAL")  # failures reach Python as exceptions
    for key, value in SESSION_CONFIG.items():
        spark.conf.set(key, value)
    if spark.sparkContext.master.startswith("local"):
        # Spark's default of 200 shuffle partitions is for clusters; on one machine, one per core
        spark.conf.set("spark.sql.shuffle.partitions", str(max(2, spark.sparkContext.defaultParallelism)))
    return spark


def _spark_args(parameters: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """Bound values for ``spark.sql(args=...)``: lists become array literals."""
    from pyspark.sql import functions as F

    args: dict[str, Any] = {}
    for name in names:
        value = parameters[name]
        if isinstance(value, list | tuple):
            args[name] = F.array(*[F.lit(v) for v in value]) if value else F.array().cast("array<string>")
        else:
            args[name] = value
    return args


def _duckdb_types(path: Path) -> dict[str, str]:
    """Each column's DuckDB type as the DuckDB build sees it (text for a CSV), for the parse rules."""
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        if path.suffix == ".csv":
            rel = con.read_csv(str(path), header=True, all_varchar=True)
        else:
            rel = con.read_parquet(str(path))
        return {c: str(t) for c, t in zip(rel.columns, rel.types, strict=True)}
    finally:
        con.close()


def register_sources(spark: SparkSession, data_dir: Path, config: AnalysisConfig) -> dict[str, Path]:
    """A temporary view ``src_<table>`` per contract table, parsed as :func:`sources.register_sources` does."""
    from cskpi_analysis.contract import TABLES
    from cskpi_analysis.dialects import transpile
    from cskpi_analysis.sources import empty_projection, present_tables, source_projection

    files = present_tables(data_dir)
    for name, table in TABLES.items():
        path = files.get(name)
        raw = f"raw_{name}"
        if path is None:
            spark.sql(transpile(f"select {empty_projection(table)} where false", "spark")).createOrReplaceTempView(
                f"src_{name}"
            )
            continue
        if path.suffix == ".csv":
            frame = spark.read.csv(str(path), header=True, inferSchema=False, multiLine=True, escape='"')
        else:
            frame = spark.read.parquet(str(path))
        frame.createOrReplaceTempView(raw)
        projection = source_projection(table, _duckdb_types(path), config)
        spark.sql(transpile(f"select {projection} from {raw}", "spark")).createOrReplaceTempView(f"src_{name}")
    return files


@contextmanager
def _atomic_folder(out: Path) -> Iterator[Path]:
    """A temporary folder beside ``out`` that replaces it only when the block succeeds."""
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
    try:
        yield temporary
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
            temporary.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            temporary.rename(out)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def run_models(
    spark: SparkSession,
    parameters: dict[str, Any],
    out: Path,
    *,
    progress: Callable[[str, float], None] | None = None,
) -> dict[str, DataFrame]:
    """Every model in dependency order; marts written to ``out/<mart>/`` and read back from there."""
    from pyspark import StorageLevel

    from cskpi_analysis.dialects import transpile
    from cskpi_analysis.models import load_models, model_order

    models = load_models()
    frames: dict[str, DataFrame] = {}
    for name in model_order(models):
        model = models[name]
        started = time.perf_counter()
        try:
            frame = spark.sql(transpile(model.sql, "spark"), args=_spark_args(parameters, model.parameters))
        except Exception as exc:  # the engine's own error, named by model
            raise AnalysisError(f"model {name} failed on Spark: {_first_line(exc)}") from exc
        if model.layer == "mart":
            frame.write.mode("overwrite").parquet(str(out / name))
            frame = spark.read.parquet(str(out / name))
        else:
            frame = frame.persist(StorageLevel.MEMORY_AND_DISK)
        frame.createOrReplaceTempView(name)
        frames[name] = frame
        if progress is not None:
            progress(name, time.perf_counter() - started)
    return frames


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def run_checks(spark: SparkSession, parameters: dict[str, Any], *, show: int = 5) -> None:
    """The build checks of ``sql/checks/``, transpiled; raise :class:`BuildCheckError` on any failure."""
    from cskpi_analysis.dialects import transpile
    from cskpi_analysis.models import load_checks

    failures = []
    for check in load_checks():
        rows = spark.sql(transpile(check.sql, "spark"), args=_spark_args(parameters, check.parameters)).take(show + 1)
        if rows:
            examples = "; ".join(", ".join(f"{k}={v}" for k, v in row.asDict().items()) for row in rows[:show])
            failures.append(f"check {check.name} failed ({check.message}): e.g. {examples}")
    if failures:
        raise BuildCheckError("the Spark build did not reconcile:\n" + "\n".join(failures))


def build(
    data_dir: str | Path,
    out: str | Path,
    *,
    config: AnalysisConfig | None = None,
    master: str | None = None,
    spark: SparkSession | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> SparkBuild:
    """Validate ``data_dir``, build every model on Spark and write each mart as Parquet under ``out``.

    ``config`` (with ``as_of`` resolved) skips validation, for callers that validated already.
    """
    from cskpi_analysis.warehouse._parameters import _source_presence, model_parameters

    data_dir = Path(data_dir)
    out = Path(out)
    if config is None:
        from cskpi_analysis.validate import require_valid

        config, _ = require_valid(data_dir)
    parameters = model_parameters(config, _source_presence(data_dir, config))
    started = time.perf_counter()
    spark = spark or session(master)
    with _atomic_folder(out) as temporary:
        register_sources(spark, data_dir, config)
        frames = run_models(spark, parameters, temporary, progress=progress)
        run_checks(spark, parameters)
        counts = {name: frame.count() for name, frame in frames.items() if name.startswith("mart_")}
        for frame in frames.values():
            frame.unpersist()
    return SparkBuild(out, counts, time.perf_counter() - started, spark.sparkContext.master)
