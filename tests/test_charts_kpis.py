"""Tests of the chart builders (cskpi_analysis/charts/kpis.py): specs, not pixels."""

from __future__ import annotations

import json

import pandas as pd

from cskpi_analysis.charts.kpis import cohort_heatmap, daily_activity_chart, mrr_bridge_chart, rate_trend_chart


def test_rate_trend_chart_carries_numerator_and_denominator_in_the_tooltip():
    frame = pd.DataFrame(
        {"month": pd.to_datetime(["2024-01-01", "2024-02-01"]), "grr": [0.9, None], "grr_numerator": [90, 0],
         "grr_denominator": [100, 0]}
    )  # fmt: skip
    before = frame.copy()
    spec = rate_trend_chart(frame, {"grr": "GRR"}, "GRR by month", reference=1.0).to_dict()
    text = json.dumps(spec)
    assert '"title": "Numerator"' in text and '"title": "Denominator"' in text
    assert '"format": "%"' in text
    pd.testing.assert_frame_equal(frame, before)  # the builder does not mutate its input
    data = next(iter(spec["datasets"].values()))
    assert len(data) == 1 or any(row["value"] == 1.0 for row in data)  # the null month is not drawn as zero


def test_cohort_heatmap_masks_incomplete_cells_instead_of_colouring_them():
    cells = pd.DataFrame(
        {"cohort": pd.to_datetime(["2024-01-01", "2024-01-01"]), "months_since_start": [0, 1],
         "logo_retention": [1.0, 0.0], "accounts_at_start": [5, 5], "accounts_active": [5, 0],
         "is_complete": [True, False]}
    )  # fmt: skip
    spec = cohort_heatmap(cells, "logo_retention", "t").to_dict()
    rows = next(iter(spec["datasets"].values()))
    incomplete = next(r for r in rows if r["months_since_start"] == 1)
    assert incomplete["value"] is None  # no colour value: masked, never a zero
    assert any(layer.get("transform") == [{"filter": "!datum.is_complete"}] for layer in spec["layer"])


def test_mrr_bridge_chart_colours_gains_and_losses():
    bridge = pd.DataFrame(
        {"step": ["MRR at start", "New", "Churn", "MRR at end"], "amount": [100.0, 20.0, -30.0, 90.0],
         "start": [0.0, 100.0, 120.0, 0.0], "end": [100.0, 120.0, 90.0, 90.0]}
    )  # fmt: skip
    rows = next(iter(mrr_bridge_chart(bridge, "t").to_dict()["datasets"].values()))
    assert [r["kind"] for r in rows] == ["total", "gain", "loss", "total"]
    assert rows[2]["low"] == 90.0 and rows[2]["high"] == 120.0


def test_revenue_heatmap_scale_reaches_past_100_percent_and_quarters_are_named():
    # a quarterly cohort keeping 130% of its revenue: the colour scale must reach 1.3, not stop at 100%
    cells = pd.DataFrame(
        {
            "cohort_grain": ["quarter", "quarter"],
            "cohort": ["2023-10-01", "2023-10-01"],
            "months_since_start": [0, 3],
            "revenue_retention": [1.0, 1.3],
            "accounts_at_start": [10, 10],
            "accounts_active": [10, 9],
            "is_complete": [True, True],
        }
    )
    spec = cohort_heatmap(cells, "revenue_retention", "t").to_dict()
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"] == [0, 1.3]
    labels = {row["cohort_label"] for row in spec["datasets"][spec["data"]["name"]]}
    assert labels == {"2023 Q4"}  # not "2023-10", which reads as a month


def test_daily_activity_chart_draws_events_and_active_accounts():
    # the title promises both series: each gets its own panel over the same days
    daily = pd.DataFrame({"day": pd.to_datetime(["2024-01-01", "2024-01-02"]), "events": [50, 70],
                          "active_accounts": [4, 6]})  # fmt: skip
    spec = daily_activity_chart(daily).to_dict()
    plotted = [panel["encoding"]["y"]["field"] for panel in spec["vconcat"]]
    assert plotted == ["events", "active_accounts"]
