"""Does day-30 behaviour predict churn by month 12? Fit the landmark Cox model.

Takes the accounts still paying on the landmark day (30 days after their first paid
day), measures their behaviour in those first days only, and prints, per covariate, the
hazard ratio of first churn by the horizon with its 95% CI, raw and Holm-adjusted
p-values, the proportional-hazards (Schoenfeld) test, and the model's concordance.
The model is stratified by billing period and segment. Method: docs/survival.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from cskpi_analysis.commands._common import add_data_dir, add_format, print_frame

if TYPE_CHECKING:
    import pandas as pd

NAME = "survival"
HELP = "day-30 behaviour vs month-12 churn: Cox hazard ratios, concordance, PH test"

COLUMNS = [
    "covariate", "label", "unit", "hazard_ratio", "lower_95", "upper_95", "p_value", "p_holm",
    "ph_test_statistic", "ph_p_value", "violates_ph", "concordance", "accounts", "events",
    "landmark_days", "horizon_days",
]  # fmt: skip


def horizon_days_of(months: int) -> int:
    """Days of a horizon given in months (12 months = 365 days)."""
    return int(months * 365 / 12 + 0.5)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser)
    parser.add_argument(
        "--landmark-days", type=int, default=30, help="landmark, days after the first paid day (default: 30)"
    )
    parser.add_argument("--horizon-months", type=int, default=12, help="outcome horizon in months (default: 12)")
    add_format(parser, ("table", "json"))


def hazard_ratio_table(
    data_dir: str | Path, landmark_days: int = 30, horizon_months: int = 12, database: Path | None = None
) -> pd.DataFrame:
    """The command's output: one row per covariate of the main Cox model (see ``COLUMNS``)."""
    from cskpi_analysis import survival
    from cskpi_analysis.warehouse import open_warehouse

    with open_warehouse(data_dir, database=database) as wh:
        frame = survival.survival_frame(wh, landmark_days, horizon_days_of(horizon_months))
    result = survival.cox_model(frame, survival.default_covariates(frame))
    ph = result.ph_test.set_index("covariate")
    table = result.hazard_ratios.copy()
    table["ph_test_statistic"] = table["covariate"].map(ph["test_statistic"])
    table["ph_p_value"] = table["covariate"].map(ph["p_value"])
    table["violates_ph"] = table["covariate"].map(ph["violates_ph"]).astype(bool)
    table["concordance"] = result.concordance
    table["accounts"] = result.accounts
    table["events"] = result.events
    table["landmark_days"] = landmark_days
    table["horizon_days"] = horizon_days_of(horizon_months)
    table.attrs["warnings"] = result.warnings
    return table[COLUMNS]


def run(args: argparse.Namespace) -> int:
    table = hazard_ratio_table(args.data_dir, args.landmark_days, args.horizon_months, args.db)
    if args.format == "json":
        print_frame(table, "json")
        return 0
    shown = table.drop(columns=["concordance", "accounts", "events", "landmark_days", "horizon_days"]).round(4)
    print_frame(shown, "table")
    first = table.iloc[0]
    print(
        f"\nConcordance {first['concordance']:.3f} on {first['accounts']} accounts, {first['events']} churns "
        f"(landmark day {first['landmark_days']}, horizon {first['horizon_days']} days; strata: billing period x segment)."
    )
    failing = table.loc[table["violates_ph"], "covariate"].tolist()
    print(
        "Proportional hazards: "
        + (f"violated for {', '.join(failing)} (p < 0.05)" if failing else "no violation (p >= 0.05)")
    )
    for warning in table.attrs.get("warnings", ()):
        print(f"Warning: {warning}")
    return 0
