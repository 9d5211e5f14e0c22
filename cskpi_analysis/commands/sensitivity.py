"""Show how much the headline KPIs move under each alternative definition: MRR snapshot
at month start instead of month end, a 31-day re-signup grace gap, and reactivations
counted as new. Differences are in percentage points against the configured definitions.
"""

from __future__ import annotations

import argparse

from cskpi_analysis.commands._common import add_data_dir, add_format, open_warehouse_of, print_frame

NAME = "sensitivity"
HELP = "how headline KPIs move under alternative definitions"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser)
    parser.add_argument("--segment", default="All", help="segment (default: All)")
    add_format(parser)


def run(args: argparse.Namespace) -> int:
    from cskpi_analysis.kpis import sensitivity

    with open_warehouse_of(args) as wh:
        frame = sensitivity(wh, segment=args.segment)
    print_frame(frame.round(4) if args.format == "table" else frame, args.format)
    return 0
