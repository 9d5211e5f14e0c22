"""Charts of the landmark survival analysis (see :mod:`cskpi_analysis.survival`).

Each builder takes a tidy frame produced by a function of ``cskpi_analysis.survival``
(already aggregated: one row per curve step, covariate or decile) and returns an
``alt.Chart`` with business-language titles and tooltips.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from cskpi_analysis.charts._theme import diagonal_line, reference_rule

__all__ = ["calibration_chart", "forest_plot", "km_chart", "ttfv_chart"]


def km_chart(curves: pd.DataFrame, horizon_days: int, title: str | None = None) -> alt.Chart:
    """Share of accounts still paying by day since the first paid day, one curve per band.

    Parameters
    ----------
    curves : :func:`cskpi_analysis.survival.kaplan_meier_curves` output: ``behaviour``,
        ``band``, ``day``, ``survival``, ``lower_95``, ``upper_95``, ``at_risk``.
    horizon_days : the horizon, marked by a rule.
    """
    data = curves.sort_values(["band", "day"])
    label = title or str(data["behaviour"].iloc[0])
    # the data sits on the layer, not on each part: altair would hash the frame (its repr) to hoist it
    base = alt.Chart().encode(
        x=alt.X("day:Q", title="Days since first paid day", scale=alt.Scale(domain=[0, horizon_days])),
        color=alt.Color("band:N", title=None, sort=list(dict.fromkeys(data["band"]))),
    )
    band = base.mark_area(opacity=0.18, interpolate="step-after").encode(
        y=alt.Y("lower_95:Q", title="Share still paying", axis=alt.Axis(format="%"), scale=alt.Scale(zero=False)),
        y2="upper_95:Q",
    )
    line = base.mark_line(interpolate="step-after").encode(
        y="survival:Q",
        tooltip=[
            alt.Tooltip("band:N", title="Band"),
            alt.Tooltip("day:Q", title="Day"),
            alt.Tooltip("survival:Q", title="Still paying", format=".1%"),
            alt.Tooltip("lower_95:Q", title="95% CI low", format=".1%"),
            alt.Tooltip("upper_95:Q", title="95% CI high", format=".1%"),
            alt.Tooltip("at_risk:Q", title="Accounts at risk"),
        ],
    )
    return (alt.layer(band, line, data=data) + reference_rule("x", horizon_days)).properties(
        title=alt.Title(f"Retention after day-30 behaviour: {label}", subtitle="Shaded: 95% confidence band")
    )


def forest_plot(hazard_ratios: pd.DataFrame, title: str = "Which day-30 behaviours predict churn?") -> alt.Chart:
    """Hazard ratios with 95% CIs on a log scale, one row per covariate (and per model).

    Parameters
    ----------
    hazard_ratios : :attr:`cskpi_analysis.survival.CoxResult.hazard_ratios` (possibly several
        models concatenated): ``label``, ``unit``, ``hazard_ratio``, ``lower_95``,
        ``upper_95``, ``p_holm``, ``model``.
    """
    data = hazard_ratios.assign(row=hazard_ratios["label"] + " (" + hazard_ratios["unit"] + ")")
    order = list(dict.fromkeys(data["row"]))
    low = float(min(data["lower_95"].min(), 0.5))
    high = float(max(data["upper_95"].max(), 2.0))
    # the data sits on the layer, not on each part: altair would hash the frame (its repr) to hoist it
    base = alt.Chart().encode(
        # labels in full ("Used reports by day 30 (used vs not used)"): vega cuts them at 180 px by default
        y=alt.Y("row:N", title=None, sort=order, axis=alt.Axis(labelLimit=360)),
        yOffset=alt.YOffset("model:N"),
        color=alt.Color("model:N", title="Model"),
    )
    tooltip = [
        alt.Tooltip("label:N", title="Behaviour"),
        alt.Tooltip("unit:N", title="Per"),
        alt.Tooltip("model:N", title="Model"),
        alt.Tooltip("hazard_ratio:Q", title="Hazard ratio", format=".2f"),
        alt.Tooltip("lower_95:Q", title="95% CI low", format=".2f"),
        alt.Tooltip("upper_95:Q", title="95% CI high", format=".2f"),
        alt.Tooltip("p_holm:Q", title="p (Holm)", format=".3g"),
    ]
    x_scale = alt.Scale(type="log", domain=[low * 0.9, high * 1.1])
    bars = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("lower_95:Q", title="Hazard ratio (log scale; > 1 = more churn)", scale=x_scale), x2="upper_95:Q"
    )
    points = base.mark_point(filled=True, size=70).encode(x=alt.X("hazard_ratio:Q", scale=x_scale), tooltip=tooltip)
    return (alt.layer(bars, points, data=data) + reference_rule("x", 1.0)).properties(
        title=alt.Title(title, subtitle="Cox model stratified by billing period and segment; bars: 95% CI"),
        width=320,
    )


def calibration_chart(calibration: pd.DataFrame, title: str = "Predicted vs observed churn by month 12") -> alt.Chart:
    """Observed churn rate (with 95% CI) against mean predicted risk, by decile; diagonal = perfect.

    Parameters
    ----------
    calibration : :func:`cskpi_analysis.survival.calibration_table` output, optionally with a
        ``sample`` column (e.g. "in sample", "later cohorts") to colour by.
    """
    data = calibration if "sample" in calibration.columns else calibration.assign(sample="in sample")
    top = float(max(data["predicted"].max(), data["observed_upper_95"].max(), 0.1))
    scale = alt.Scale(domain=[0, top])
    base = alt.Chart(data).encode(
        x=alt.X("predicted:Q", title="Predicted churn risk (decile mean)", axis=alt.Axis(format="%"), scale=scale),
        color=alt.Color("sample:N", title=None),
    )
    bars = base.mark_rule().encode(y=alt.Y("observed_lower_95:Q", scale=scale), y2="observed_upper_95:Q")
    points = base.mark_point(filled=True, size=60).encode(
        y=alt.Y("observed:Q", title="Observed churn rate", axis=alt.Axis(format="%"), scale=scale),
        tooltip=[
            alt.Tooltip("sample:N", title="Sample"),
            alt.Tooltip("decile:Q", title="Decile"),
            alt.Tooltip("accounts:Q", title="Accounts"),
            alt.Tooltip("predicted:Q", title="Predicted", format=".1%"),
            alt.Tooltip("observed:Q", title="Observed", format=".1%"),
        ],
    )
    return (diagonal_line(top) + bars + points).properties(
        title=alt.Title(title, subtitle="Diagonal: perfect calibration")
    )


def ttfv_chart(curve: pd.DataFrame, max_days: int = 120) -> alt.Chart:
    """Share of accounts that reached first value by day since the first paid day, per segment.

    Parameters
    ----------
    curve : :func:`cskpi_analysis.survival.ttfv_curve` output: ``segment``, ``day``,
        ``reached``, ``lower_95``, ``upper_95``.
    max_days : last day shown.
    """
    data = curve.loc[curve["day"] <= max_days]
    # the data sits on the layer, not on each part: altair would hash the frame (its repr) to hoist it
    base = alt.Chart().encode(
        x=alt.X("day:Q", title="Days since first paid day", scale=alt.Scale(domain=[0, max_days])),
        color=alt.Color("segment:N", title="Segment"),
    )
    band = base.mark_area(opacity=0.15, interpolate="step-after").encode(
        y=alt.Y("lower_95:Q", title="Share that reached first value", axis=alt.Axis(format="%")), y2="upper_95:Q"
    )
    line = base.mark_line(interpolate="step-after").encode(
        y="reached:Q",
        tooltip=[
            alt.Tooltip("segment:N", title="Segment"),
            alt.Tooltip("day:Q", title="Day"),
            alt.Tooltip("reached:Q", title="Reached first value", format=".1%"),
        ],
    )
    return alt.layer(band, line, data=data).properties(
        title=alt.Title(
            "Time to first value", subtitle="Kaplan-Meier: accounts without value are censored, not 'never'"
        )
    )
