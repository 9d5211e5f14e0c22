"""Charts: one shared altair theme, and the chart builders of each report.

Every chart in the notebooks goes through :func:`enable_theme` first, so the
reports and the Jupyter copies look the same: readable type, a colour-blind-safe
categorical palette and a sensible default width.

Examples
--------
>>> from cskpi_analysis import charts
>>> from cskpi_analysis.charts import kpis as charts_kpis
>>> charts.enable_theme()  # doctest: +SKIP
>>> chart = charts_kpis.rate_trend_chart(t12m, ["grr_t12m"], "Retention")  # doctest: +SKIP

Layout (the names below are the package's API; each topic's builders are in a public submodule):

* ``_theme``: the ``cskpi`` altair theme, the Okabe-Ito palette, the reference rule and diagonal;
* ``kpis``: the retention core (KPI trends, the MRR bridge, cohorts, data coverage; notebooks 00-02);
* ``survival``: the landmark survival analysis (notebook 03);
* ``indicators``: the leading-indicator analysis (notebook 04);
* ``benchmarks``: our KPIs against the market (notebook 05).
"""

from __future__ import annotations

from cskpi_analysis.charts._theme import (
    BAD,
    CATEGORY_PALETTE,
    CHART_HEIGHT,
    CHART_WIDTH,
    FONT,
    GOOD,
    NEUTRAL,
    THEME_NAME,
    diagonal_line,
    enable_theme,
    reference_rule,
    theme_config,
)

__all__ = [
    "BAD",
    "CATEGORY_PALETTE",
    "CHART_HEIGHT",
    "CHART_WIDTH",
    "FONT",
    "GOOD",
    "NEUTRAL",
    "THEME_NAME",
    "diagonal_line",
    "enable_theme",
    "reference_rule",
    "theme_config",
]
