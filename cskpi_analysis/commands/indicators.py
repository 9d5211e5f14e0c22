"""Print the indicator x outcome matrix: for each leading indicator (health score, adoption,
usage, time to first value, support, NPS) and CS effort metric (check-ins, QBRs), how well it
anticipates churn, contraction and expansion within the horizon: AUC with a 95% cluster-bootstrap
interval, the observed vs expected direction, and the lift in the riskiest decile. Strongest
first. Method: docs/indicators.md.

An indicator whose data the folder lacks (no health_scores, no usage_events, no first-value
milestone...) or that takes a single value in every account-month is left out, with one
sentence saying what data would enable it ("Active days: left out — needs usage_events.").
With no indicator left, the command says so and exits 0.
JSON: {"matrix": [...], "left_out": [...]}.
"""

from __future__ import annotations

import argparse
import json

from cskpi_analysis.commands._common import add_data_dir, add_format, open_warehouse_of, print_frame

NAME = "indicators"
HELP = "do the leading indicators lead? print the indicator x outcome matrix"

COLUMNS = [
    "indicator", "kind", "outcome", "horizon", "auc", "auc_low", "auc_high", "higher_means", "matches_expected",
    "lift", "lift_low", "lift_high", "event_rate", "n_rows", "n_accounts", "n_events",
]  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser)
    parser.add_argument("--horizon", type=int, choices=(3, 6, 12), default=6, help="months ahead (default: 6)")
    parser.add_argument(
        "--outcome",
        choices=("churn", "contraction", "expansion", "all"),
        default="all",
        help="outcome to assess (default: all)",
    )
    parser.add_argument("--bootstrap", type=int, default=200, help="bootstrap resamples of accounts (default: 200)")
    add_format(parser, ("table", "json"))


def run(args: argparse.Namespace) -> int:
    from cskpi_analysis.errors import AnalysisError
    from cskpi_analysis.indicators import (
        OUTCOMES,
        SEED,
        available_indicators,
        indicator_frame,
        indicator_outcome_matrix,
        matrix_sentence,
        sections_left_out,
    )

    if args.bootstrap < 0:
        raise AnalysisError(f"--bootstrap must be 0 or more, got {args.bootstrap}")
    outcomes = OUTCOMES if args.outcome == "all" else (args.outcome,)
    with open_warehouse_of(args) as wh:
        frame = indicator_frame(wh)
    kept, left_out = available_indicators(frame)
    matrix = indicator_outcome_matrix(
        frame, (args.horizon,), outcomes, indicators=kept, n_boot=args.bootstrap, seed=SEED
    )
    if matrix.empty and kept:
        raise AnalysisError(f"no outcome is observable {args.horizon} months ahead yet: try a shorter --horizon")
    table = matrix[COLUMNS]
    if args.format == "json":
        records = json.loads(table.to_json(orient="records", date_format="iso", double_precision=15))
        print(json.dumps({"matrix": records, "left_out": [item.to_dict() for item in left_out]}, indent=2))
        return 0
    if kept:
        print_frame(table.round(3), "table")
        print()
        print(matrix_sentence(matrix, outcomes[0], args.horizon))
    else:
        empty = sections_left_out(frame)["matrix"]
        print(f"No indicator can be assessed on this data: the matrix {empty.reason}.")
    for item in left_out:
        print(item.sentence)
    return 0
