"""Print the indicator x outcome matrix: for each leading indicator (health score, adoption,
usage, time to first value, support, NPS) and CS effort metric (check-ins, QBRs), how well it
anticipates churn, contraction and expansion within the horizon: AUC with a 95% cluster-bootstrap
interval, the observed vs expected direction, and the lift in the riskiest decile. Strongest
first. Method: docs/indicators.md.
"""

from __future__ import annotations

import argparse

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
    from cskpi_analysis.indicators import OUTCOMES, SEED, indicator_frame, indicator_outcome_matrix, matrix_sentence

    if args.bootstrap < 0:
        raise AnalysisError(f"--bootstrap must be 0 or more, got {args.bootstrap}")
    outcomes = OUTCOMES if args.outcome == "all" else (args.outcome,)
    with open_warehouse_of(args) as wh:
        frame = indicator_frame(wh)
    matrix = indicator_outcome_matrix(frame, (args.horizon,), outcomes, n_boot=args.bootstrap, seed=SEED)
    if matrix.empty:
        raise AnalysisError(f"no outcome is observable {args.horizon} months ahead yet: try a shorter --horizon")
    frame = matrix[COLUMNS]
    if args.format == "table":
        print_frame(frame.round(3), "table")
        print()
        print(matrix_sentence(matrix, outcomes[0], args.horizon))
    else:
        print_frame(frame, "json")
    return 0
