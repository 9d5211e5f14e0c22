"""Does day-30 behaviour predict churn by month 12? Fit the landmark Cox model.

Takes the accounts still paying on the landmark day (30 days after their first paid
day), measures their behaviour in those first days only, and prints, per covariate, the
hazard ratio of first churn by the horizon with its 95% CI, raw and Holm-adjusted
p-values, the proportional-hazards (Schoenfeld) test, and the model's concordance.
The model is stratified by billing period and segment. Method: docs/survival.md.

A covariate whose data the folder lacks (no usage_events, no support_tickets, no
first-value milestone...) or that does not vary in the cohort is left out, with one
sentence saying what data would enable it ("Active days by day 30: left out — needs
usage_events."). --covariates a,b fits only those. With nothing left to fit, the command
says so and exits 0. JSON: {"hazard_ratios": [...], "left_out": [...]}.
"""

from __future__ import annotations

import argparse
import json
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
    parser.add_argument(
        "--covariates",
        default=None,
        metavar="A,B",
        help="comma-separated covariates to fit (default: every covariate the data support)",
    )
    add_format(parser, ("table", "json"))


def hazard_ratio_table(
    data_dir: str | Path,
    landmark_days: int = 30,
    horizon_months: int = 12,
    database: Path | None = None,
    covariates: list[str] | None = None,
) -> pd.DataFrame:
    """The command's output: one row per fitted covariate of the main Cox model (see ``COLUMNS``).

    ``attrs["left_out"]`` lists the covariates left out (:func:`cskpi_analysis.survival.available_covariates`),
    ``attrs["warnings"]`` the model's small-sample notes; with no covariate left to fit the
    table is empty.
    """
    import pandas as pd

    from cskpi_analysis import survival
    from cskpi_analysis.warehouse import open_warehouse

    with open_warehouse(data_dir, database=database) as wh:
        frame = survival.survival_frame(wh, landmark_days, horizon_days_of(horizon_months))
    kept, left_out = survival.available_covariates(frame, covariates)
    if not kept:
        table = pd.DataFrame({column: [] for column in COLUMNS})
        table.attrs.update(left_out=left_out, warnings=(), empty=survival.nothing_to_fit(left_out))
        return table
    result = survival.cox_model(frame, kept)
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
    table = table[COLUMNS]
    table.attrs.update(left_out=left_out, warnings=result.warnings)
    return table


def run(args: argparse.Namespace) -> int:
    names = args.covariates.split(",") if args.covariates is not None else None
    table = hazard_ratio_table(args.data_dir, args.landmark_days, args.horizon_months, args.db, names)
    left_out = table.attrs.get("left_out", [])
    if args.format == "json":
        records = json.loads(table.to_json(orient="records", date_format="iso", double_precision=15))
        print(json.dumps({"hazard_ratios": records, "left_out": [item.to_dict() for item in left_out]}, indent=2))
        return 0
    if table.empty:
        print(table.attrs["empty"])
    else:
        shown = table.drop(columns=["concordance", "accounts", "events", "landmark_days", "horizon_days"]).round(4)
        print_frame(shown, "table")
        first = table.iloc[0]
        print(
            f"\nConcordance {first['concordance']:.3f} on {first['accounts']} accounts, {first['events']} churns "
            f"(landmark day {first['landmark_days']}, horizon {first['horizon_days']} days; strata: billing period "
            "x segment)."
        )
        failing = table.loc[table["violates_ph"], "covariate"].tolist()
        print(
            "Proportional hazards: "
            + (f"violated for {', '.join(failing)} (p < 0.05)" if failing else "no violation (p >= 0.05)")
        )
        for warning in table.attrs.get("warnings", ()):
            print(f"Warning: {warning}")
    for item in left_out:
        print(item.sentence)
    return 0
