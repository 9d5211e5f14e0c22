"""Validate a data folder and build its warehouse: every SQL model, then the reconciliation
checks (MRR and account bridges, 0 <= GRR <= 1, NRR >= GRR, unique keys).

The warehouse is built once and read by every notebook, report and command: they open it
read-only while it is up to date (same files, cskpi.toml and cskpi version) and rebuild it
only when it is missing or stale. Without --db it is kept outside the data folder, in
$CSKPI_CACHE_DIR (default ~/.cache/cskpi). The file is written atomically: it appears only
once every check has passed.

With --engine spark the same SQL models, transpiled to Spark SQL, run on a SparkSession
(local[*] by default; --master URL, or spark-submit's settings, for a cluster) and each mart
is written as Parquet under OUT/<mart>/ (needs: pip install 'cskpi[spark]' and Java 17).
The folder is validated first, by the same contract; OUT appears only once every check passed.

With --warm, notebook 03 then runs once for every landmark and horizon it offers (day 14, 30,
60 x 6, 12, 24 months), building the warehouse for each and fitting its models, which are kept
beside the warehouse: changing the landmark or horizon in the notebook then reads them instead
of fitting (under a second at 100k accounts, against 14-21 s for a pair never chosen). It
takes about as long as nine first choices, split over the cores.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path
from typing import Any

from cskpi_analysis.commands._common import add_data_dir
from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.sources import quote_identifier

NAME = "build"
HELP = "build the folder's warehouse (the KPI marts in a DuckDB file) if missing or stale"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser)
    parser.add_argument("--force", action="store_true", help="rebuild even if the warehouse is up to date")
    parser.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        default="duckdb",
        help="duckdb: the warehouse file the notebooks read (default); spark: Parquet marts under --out",
    )
    parser.add_argument("--out", type=Path, default=None, help="with --engine spark: folder of the Parquet marts")
    parser.add_argument("--master", default=None, help="with --engine spark: Spark master URL (default local[*])")
    parser.add_argument(
        "--warm",
        action="store_true",
        help="also run notebook 03 for every landmark and horizon it offers, so that changing them reads kept models",
    )


def run(args: argparse.Namespace) -> int:
    if args.engine == "spark":
        return _run_spark(args)
    if args.out is not None or args.master is not None:
        raise AnalysisError("--out and --master go with --engine spark")
    from cskpi_analysis.warehouse import open_warehouse

    if args.warm:  # its server imports the notebooks' libraries while the warehouse is built
        from cskpi_analysis.report import export_server

        server_context: Any = export_server()
    else:
        server_context = contextlib.nullcontext()
    with server_context as server:
        started = time.perf_counter()
        with open_warehouse(args.data_dir, database=args.db, rebuild=args.force) as wh:
            tables = wh.execute(
                "select table_name from duckdb_tables() where table_name like 'mart_%' order by table_name"
            ).fetchall()
            for (table,) in tables:
                count = wh.execute(f"select count(*) from {quote_identifier(table)}").fetchone()[0]
                print(f"{table:32s} {count:>12,} rows")
            seconds = time.perf_counter() - started
            print(f"warehouse {wh.path} (as_of {wh.config.as_of}); all reconciliation checks passed; {seconds:.1f} s")
            database = wh.path
        if args.warm:
            from cskpi_analysis.report import landmark_pairs, warm_landmarks

            started = time.perf_counter()
            print(f"warming notebook 03 for {len(landmark_pairs())} landmark and horizon pairs:", flush=True)
            assert database is not None  # open_warehouse writes a file
            runs = warm_landmarks(args.data_dir, database, server=server)
            print(f"notebook 03's models kept for {len(runs)} pairs; {time.perf_counter() - started:.1f} s")
    return 0


def _run_spark(args: argparse.Namespace) -> int:
    from cskpi_analysis import spark

    if args.warm:
        raise AnalysisError(
            "--warm fits notebook 03's models on the DuckDB warehouse; leave it out with --engine spark"
        )

    if args.out is None:
        raise AnalysisError("--engine spark writes Parquet marts: give the folder with --out OUT")
    if args.db is not None:
        raise AnalysisError("--db is the DuckDB warehouse file; with --engine spark give --out OUT")
    result = spark.build(args.data_dir, args.out, master=args.master)
    for table, count in sorted(result.row_counts.items()):
        print(f"{table:32s} {count:>12,} rows")
    print(
        f"Parquet marts in {result.out} (Spark {result.master}); all reconciliation checks passed; "
        f"{result.seconds:.1f} s"
    )
    return 0
