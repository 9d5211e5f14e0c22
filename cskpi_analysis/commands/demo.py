"""Write a synthetic demo dataset with a planted truth.

Writes every table of the data contract (CSV or Parquet) into --out, plus
cskpi.toml (the analysis options) and ground_truth.json (the generative model and
every planted parameter, e.g. the hazard ratios a survival analysis should recover).
The same --accounts, --seed and --as-of always give byte-identical files.

The folder is replaced atomically. A non-empty folder that is not a previous demo
output (it has no ground_truth.json) is refused.

Example:
  cskpi demo --accounts 2000 --seed 7 --out data/demo
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

NAME = "demo"
HELP = "write a synthetic demo dataset with a planted truth"


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--accounts", type=_positive, default=2000, help="number of accounts (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default: %(default)s)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write")
    parser.add_argument(
        "--format", choices=("csv", "parquet"), default="csv", help="file format of the tables (default: %(default)s)"
    )
    parser.add_argument(
        "--as-of",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="export date; nothing after it exists (default: the demo's fixed date, 2026-09-30)",
    )


def run(args: argparse.Namespace) -> int:
    from cskpi_analysis.demo import DEFAULT_AS_OF, write_demo  # NumPy, pandas, pyarrow: only when run

    args.as_of = args.as_of or DEFAULT_AS_OF
    summary = write_demo(args.out, args.accounts, args.seed, as_of=args.as_of, fmt=args.format)
    print(
        f"Wrote {args.accounts} demo accounts (seed {args.seed}, as of {args.as_of.isoformat()}) "
        f"to {summary.out_dir} in {summary.seconds:.1f} s:"
    )
    width = max(len(name) for name in summary.row_counts)
    for name, rows in summary.row_counts.items():
        print(f"  {name}.{summary.fmt:<{len('parquet')}}  {'':<{width - len(name)}}{rows:>12,} rows")
    print("  cskpi.toml, ground_truth.json")
    return 0
