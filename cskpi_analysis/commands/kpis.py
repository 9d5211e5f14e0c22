"""Print the monthly KPI table: accounts and MRR movements, logo churn, gross and net
MRR churn, GRR, NRR, expansion and contraction rates, quick ratio and ARPA, each rate
beside its numerator and denominator. Definitions: docs/definitions.md.
"""

from __future__ import annotations

import argparse

from cskpi_analysis.commands._common import add_data_dir, add_format, open_warehouse_of, print_frame

NAME = "kpis"
HELP = "print the monthly KPI table (headline columns)"

COLUMNS = [
    "month", "segment", "accounts_start", "accounts_new", "accounts_churned", "accounts_reactivated", "accounts_end",
    "mrr_start", "mrr_new", "mrr_expansion", "mrr_contraction", "mrr_churned", "mrr_reactivation", "mrr_end",
    "logo_churn_rate", "gross_mrr_churn_rate", "net_mrr_churn_rate", "grr", "nrr", "expansion_rate",
    "contraction_rate", "quick_ratio", "arpa",
]  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser)
    parser.add_argument("--segment", default="All", help="segment to show (default: All)")
    parser.add_argument("--months", type=int, default=12, help="number of most recent months (default: 12; 0 = all)")
    parser.add_argument("--all-columns", action="store_true", help="also print every numerator and denominator")
    add_format(parser)


def run(args: argparse.Namespace) -> int:
    from cskpi_analysis.kpis import kpis_monthly

    with open_warehouse_of(args) as wh:
        frame = kpis_monthly(wh, segment=args.segment, months=args.months or None)
    if not args.all_columns:
        frame = frame[COLUMNS]
    if args.format == "table":
        frame = frame.round(4)
    print_frame(frame, args.format)
    return 0
