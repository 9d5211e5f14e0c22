"""Arguments and output helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import json
import re
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


#: A text cell starting with one of these is read as a formula by spreadsheets (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def spreadsheet_safe(value: Any) -> Any:
    """``'=HYPERLINK(...)`` for ``=HYPERLINK(...)``: a text cell a spreadsheet would run as a
    formula gets a leading ``'``. Numbers, and text that is just a number (``"-12.5"``), are kept."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with :func:`spreadsheet_safe` applied to every text cell (and text column name)."""
    import pandas as pd

    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column)):
            out.isetitem(position, column.astype(object).map(spreadsheet_safe))
    if not isinstance(out.columns, pd.MultiIndex):
        out.columns = [spreadsheet_safe(name) for name in out.columns]
    return out


def print_frame(frame: pd.DataFrame, fmt: str) -> None:
    """Print a frame as an aligned table, CSV (safe to open in a spreadsheet) or JSON records."""
    import pandas as pd

    if fmt == "csv":
        csv_safe_frame(frame).to_csv(sys.stdout, index=False)
    elif fmt == "json":
        print(frame.to_json(orient="records", date_format="iso", indent=2, double_precision=15))
    else:
        with pd.option_context("display.max_rows", 500, "display.max_columns", 50, "display.width", 200):
            print(frame.to_string(index=False))


def print_json(payload: Any) -> None:
    print(json.dumps(payload, indent=2, default=str))
