"""Tests of the survival chart builders (cskpi_analysis/charts/survival.py), rendered by vl-convert."""

from __future__ import annotations

import pandas as pd
import vl_convert as vlc

from cskpi_analysis.charts.survival import forest_plot


def test_forest_plot_shows_each_behaviour_label_in_full():
    # a leader saw "Used reports by day 30 (..." cut at vega's default 180 px label limit
    label = "Used integrations by day 30"
    unit = "used vs not used"
    ratios = pd.DataFrame(
        {"label": [label], "unit": [unit], "hazard_ratio": [0.6], "lower_95": [0.5], "upper_95": [0.75],
         "p_holm": [0.001], "model": ["main"]}
    )  # fmt: skip
    svg = vlc.vegalite_to_svg(forest_plot(ratios).to_dict())
    assert f"{label} ({unit})" in svg
    assert "…" not in svg
