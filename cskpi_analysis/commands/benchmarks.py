"""Compare your KPIs with curated category benchmarks (NRR, GRR, churn, NPS).

Builds the KPI marts over DIR, takes the latest complete month of the chosen
segment, and sets each KPI beside public benchmarks for the same peer group:
the named segment if a benchmark has it, else your ACV band (ACV = 12 x MRR
per account, or --acv), else all companies. Conversions are made only where
exact (monthly logo churn compounded to annual, retention to its churn
complement); anything else, such as monthly NRR against trailing-twelve-month
NRR, is shown for context without a verdict. Sources, dropped figures and
rules: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import math

from cskpi_analysis.commands._common import add_data_dir, add_format, open_warehouse_of, print_frame, print_json

NAME = "benchmarks"
HELP = "compare your KPIs with curated category benchmarks"

#: Columns of the table output, in order.
TABLE_COLUMNS: tuple[str, ...] = (
    "kpi",
    "our_form",
    "our_value",
    "compared_value",
    "match",
    "benchmark_segment",
    "benchmark_median",
    "benchmark_p25",
    "benchmark_p75",
    "benchmark_mean",
    "percentile_phrase",
    "verdict",
    "publisher",
    "year",
    "reliability",
    "definition_warning",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser)
    parser.add_argument("--segment", default="All", help="segment to benchmark (default: %(default)s)")
    parser.add_argument(
        "--acv",
        type=float,
        default=None,
        help="annual contract value per account in USD, for the ACV band "
        "(default: 12 x MRR per account at the latest complete month)",
    )
    add_format(parser, ("table", "json"))


def run(args: argparse.Namespace) -> int:
    from cskpi_analysis.benchmarks import (
        acv_band,
        average_acv_from_marts,
        compare,
        load_benchmarks,
        market_context_sentence,
        user_kpis_from_marts,
    )
    from cskpi_analysis.narrative import plain_text

    with open_warehouse_of(args) as wh:
        kpis_monthly = wh.df("select * from mart_kpis_monthly")
        retention_t12m = wh.df("select * from mart_retention_t12m")
    benchmarks = load_benchmarks()
    user_kpis = user_kpis_from_marts(kpis_monthly, retention_t12m, segment=args.segment)
    acv = args.acv if args.acv is not None else average_acv_from_marts(kpis_monthly, segment=args.segment)
    comparison = compare(user_kpis, benchmarks, acv=acv)
    sentence = plain_text(market_context_sentence(comparison))  # the sentence is Markdown for the notebooks
    band = acv_band(acv, benchmarks) if acv is not None else None
    as_of_month = str(user_kpis[0].as_of_month) if user_kpis else None

    if args.format == "json":
        records = json.loads(comparison.to_json(orient="records", date_format="iso"))
        print_json(
            {
                "segment": args.segment,
                "as_of_month": as_of_month,
                "acv": acv,
                "acv_band": band,
                "sentence": sentence,
                "comparison": records,
            }
        )
        return 0

    acv_text = "unknown" if acv is None or not math.isfinite(acv) else f"${acv:,.0f} ({band or 'no band'})"
    print(f"Segment {args.segment}, month {as_of_month}, ACV per account {acv_text}\n")
    table = comparison.loc[:, list(TABLE_COLUMNS)].copy()
    import pandas as pd

    numeric = [c for c in TABLE_COLUMNS if pd.api.types.is_float_dtype(table[c])]
    table[numeric] = table[numeric].round(4)
    print_frame(table, "table")
    print()
    print(sentence)
    return 0
