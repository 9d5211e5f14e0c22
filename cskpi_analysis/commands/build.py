"""Validate a data folder and build its warehouse: every SQL model, then the reconciliation
checks (MRR and account bridges, 0 <= GRR <= 1, NRR >= GRR, unique keys).

The warehouse is built once and read by every notebook, report and command: they open it
read-only while it is up to date (same files, cskpi.toml and cskpi version) and rebuild it
only when it is missing or stale. Without --db it is kept outside the data folder, in
$CSKPI_CACHE_DIR (default ~/.cache/cskpi). The file is written atomically: it appears only
once every check has passed.
"""

from __future__ import annotations

import argparse
import time

from cskpi_analysis.commands._common import add_data_dir
from cskpi_analysis.sources import quote_identifier

NAME = "build"
HELP = "build the folder's warehouse (the KPI marts in a DuckDB file) if missing or stale"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser)
    parser.add_argument("--force", action="store_true", help="rebuild even if the warehouse is up to date")


def run(args: argparse.Namespace) -> int:
    from cskpi_analysis.warehouse import open_warehouse

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
    return 0
