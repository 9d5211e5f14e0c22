"""The shared altair theme, palette and reference marks of every chart.

Every chart in the notebooks goes through :func:`enable_theme` first, so the
reports and the Jupyter copies look the same: readable type, a colour-blind-safe
categorical palette and a sensible default width.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

# --- theme ---

THEME_NAME = "cskpi"

CATEGORY_PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)
"""Okabe & Ito (2008) palette: distinguishable with the common colour-vision deficiencies."""

GOOD, BAD, NEUTRAL = CATEGORY_PALETTE[2], CATEGORY_PALETTE[5], "#7f7f7f"
"""Gains and better-than-market (bluish green), losses and worse (vermillion), reference marks (grey)."""

FONT = "Helvetica Neue, Helvetica, Arial, sans-serif"
CHART_WIDTH = 640
CHART_HEIGHT = 320


def theme_config() -> dict[str, Any]:
    """The ``cskpi`` theme as a Vega-Lite ``config`` (a new dict on each call).

    Returns
    -------
    dict
        ``{"config": {...}}`` with fonts of at least 12 px, titles of 16 px
        anchored left, the Okabe-Ito categorical palette and a 640 x 320 view.
    """
    return {
        "config": {
            "font": FONT,
            "view": {"continuousWidth": CHART_WIDTH, "continuousHeight": CHART_HEIGHT, "stroke": None},
            "title": {"fontSize": 16, "fontWeight": 600, "anchor": "start", "offset": 10, "subtitleFontSize": 13},
            "axis": {"labelFontSize": 12, "titleFontSize": 13, "titleFontWeight": 500, "gridColor": "#e6e6e6"},
            "legend": {"labelFontSize": 12, "titleFontSize": 13, "orient": "right"},
            "header": {"labelFontSize": 12, "titleFontSize": 13},
            "range": {"category": list(CATEGORY_PALETTE)},
            "mark": {"color": CATEGORY_PALETTE[0]},
        }
    }


@alt.theme.register(THEME_NAME, enable=False)
def _cskpi_theme() -> alt.theme.ThemeConfig:
    return theme_config()  # type: ignore[return-value]


def _under_marimo() -> bool:
    try:
        import marimo as mo

        return bool(mo.running_in_notebook())
    except Exception:
        return False


def enable_theme() -> None:
    """Switch altair to the ``cskpi`` theme; safe to call any number of times.

    Under marimo the default renderer is kept (marimo draws interactive
    Vega-Lite charts itself). Anywhere else (a Jupyter kernel, a script) the
    ``svg`` renderer is enabled: charts are rendered to static SVG by
    vl-convert, offline, so the Jupyter copies carry their charts without
    JavaScript or network.
    """
    alt.theme.enable(THEME_NAME)
    if not _under_marimo() and alt.renderers.active != "svg":
        alt.renderers.enable("svg")


# --- reference marks shared by the chart builders ---


def reference_rule(channel: str, value: float, scale: alt.Scale | None = None) -> alt.Chart:
    """A dashed grey rule at ``value`` on the ``"x"`` or ``"y"`` channel (e.g. AUC 0.5, HR 1, 100%).

    Pass the chart's ``scale`` when it sets a domain and the rule is not the last layer:
    the layers share one scale, and a rule without the domain widens it to include zero.
    """
    encoding = (alt.X if channel == "x" else alt.Y)("reference:Q", scale=alt.Undefined if scale is None else scale)
    return (
        alt.Chart(pd.DataFrame({"reference": [value]}))
        .mark_rule(strokeDash=[4, 4], color=NEUTRAL)
        .encode(**{channel: encoding})
    )


def diagonal_line(top: float) -> alt.Chart:
    """The dashed grey diagonal from (0, 0) to (top, top): perfect calibration."""
    return (
        alt.Chart(pd.DataFrame({"x": [0.0, top], "y": [0.0, top]}))
        .mark_line(strokeDash=[4, 4], color=NEUTRAL)
        .encode(x="x:Q", y="y:Q")
    )
