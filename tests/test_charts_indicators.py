"""Tests of the leading-indicator chart builders (cskpi_analysis/charts/indicators.py), rendered by vl-convert."""

from __future__ import annotations

import re

import pandas as pd
import vl_convert as vlc

from cskpi_analysis.charts.indicators import matrix_dot_chart, matrix_heatmap


def _x_axis_range(chart) -> str:
    """Vega's own description of the rendered x axis, e.g. 'values from 0.5 to 0.8'."""
    svg = vlc.vegalite_to_svg(chart.to_dict())
    return re.search(r"X-axis[^\"]*values from ([0-9.]+) to ([0-9.]+)", svg).groups()


def _matrix(auc_high: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"label": ["Active days", "CS check-ins"], "kind": ["leading", "effort"], "auc": [0.70, 0.55],
         "auc_low": [0.65, 0.50], "auc_high": auc_high, "lift": [2.0, 1.0], "higher_means": ["less", "more"],
         "matches_expected": [True, False], "n_rows": [100, 100], "n_events": [10, 10]}
    )  # fmt: skip


def test_auc_dot_chart_keeps_its_zoomed_axis_with_the_reference_rule_drawn_first():
    # the 0.5 rule is the first layer; without the shared scale it widened the axis to 0.0-0.9
    assert _x_axis_range(matrix_dot_chart(_matrix([0.75, 0.60]), "AUC")) == ("0.5", "0.8")


def test_auc_dot_chart_widens_its_axis_for_an_interval_beyond_it():
    # an upper bound of 0.95 lies beyond the default 0.85 end: the axis reaches it
    assert _x_axis_range(matrix_dot_chart(_matrix([0.95, 0.60]), "AUC")) == ("0.5", "0.9")


def test_matrix_heatmap_columns_run_by_outcome_then_horizon():
    # rows arrive sorted by AUC (as indicator_outcome_matrix returns them): the columns must not follow that order
    matrix = pd.DataFrame(
        {
            "label": ["Active days"] * 4,
            "outcome": ["expansion", "churn", "churn", "expansion"],
            "horizon": [12, 6, 3, 3],
            "auc": [0.7, 0.65, 0.6, 0.55],
            "auc_low": [0.6] * 4,
            "auc_high": [0.8] * 4,
            "matches_expected": [True] * 4,
        }
    )
    spec = matrix_heatmap(matrix).to_dict()
    assert spec["layer"][0]["encoding"]["x"]["sort"] == [
        "Churn in 3 months",
        "Churn in 6 months",
        "Expansion in 3 months",
        "Expansion in 12 months",
    ]
