"""Validate a data folder, build every SQL model into a DuckDB database and run the
reconciliation checks (MRR and account bridges, 0 <= GRR <= 1, NRR >= GRR, unique keys).

The database is written atomically: it appears only once every check has passed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cskpi_analysis.commands._common import add_data_dir
from cskpi_analysis.sources import quote_identifier

NAME = "build"
HELP = "build the KPI marts into a DuckDB file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser)
    parser.add_argument("--db", type=Path, required=True, help="DuckDB file to write (replaced if it exists)")


def run(args: argparse.Namespace) -> int:
    from cskpi_analysis.kpis import connect

    con, config = connect(args.data_dir, database=args.db)
    tables = con.execute(
        "select table_name from information_schema.tables where table_name like 'mart_%' order by table_name"
    ).fetchall()
    for (table,) in tables:
        count = con.execute(f"select count(*) from {quote_identifier(table)}").fetchone()[0]
        print(f"{table:28s} {count:>10,} rows")
    con.close()
    print(f"built {args.db} (as_of {config.as_of}); all reconciliation checks passed")
    return 0
