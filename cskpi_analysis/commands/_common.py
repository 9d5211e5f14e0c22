"""Arguments and output helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def add_data_dir(parser: argparse.ArgumentParser, *, warehouse: bool = True) -> None:
    """The data folder argument and, for commands that read the marts, ``--db``."""
    parser.add_argument(
        "data_dir", metavar="DIR", type=Path, help="folder of exports (CSV or Parquet, one file per table)"
    )
    if warehouse:
        parser.add_argument(
            "--db",
            type=Path,
            default=None,
            help="warehouse file: opened if up to date, else built (default: a per-folder file in ~/.cache/cskpi)",
        )


def open_warehouse_of(args: argparse.Namespace) -> Any:
    """The up-to-date warehouse of ``args.data_dir`` (validated and built only if missing or stale)."""
    from cskpi_analysis.warehouse import open_warehouse

    return open_warehouse(args.data_dir, database=getattr(args, "db", None))


def add_format(parser: argparse.ArgumentParser, choices: tuple[str, ...] = ("table", "csv", "json")) -> None:
    parser.add_argument("--format", choices=choices, default=choices[0], help="output format (default: %(default)s)")


def print_frame(frame: pd.DataFrame, fmt: str) -> None:
    """Print a frame as an aligned table, CSV or JSON records."""
    import pandas as pd

    if fmt == "csv":
        frame.to_csv(sys.stdout, index=False)
    elif fmt == "json":
        print(frame.to_json(orient="records", date_format="iso", indent=2, double_precision=15))
    else:
        with pd.option_context("display.max_rows", 500, "display.max_columns", 50, "display.width", 200):
            print(frame.to_string(index=False))


def print_json(payload: Any) -> None:
    print(json.dumps(payload, indent=2, default=str))
