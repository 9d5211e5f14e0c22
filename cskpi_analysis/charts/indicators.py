"""Chart builders for the leading-indicator analysis (notebook 04).

Each builder takes a tidy, already aggregated frame from :mod:`cskpi_analysis.indicators`
(columns documented there and below) and returns an ``alt.Chart`` with a
business-language title and tooltips. The shared theme is set by
:func:`cskpi_analysis.charts.enable_theme`.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from cskpi_analysis.charts._theme import BAD, CATEGORY_PALETTE, diagonal_line, reference_rule

__all__ = [
    "activity_share_chart",
    "calibration_bands_chart",
    "coverage_chart",
    "effort_chart",
    "lead_time_chart",
    "matrix_dot_chart",
    "matrix_heatmap",
    "reliability_chart",
]


def matrix_dot_chart(matrix: pd.DataFrame, title: str) -> alt.Chart:
    """Ranked dot plot of discrimination with 95% intervals, one outcome and horizon.

    Parameters
    ----------
    matrix : rows of :func:`~cskpi_analysis.indicators.indicator_outcome_matrix` for one
        outcome and horizon: ``label``, ``kind``, ``auc``, ``auc_low``, ``auc_high``, ``lift``,
        ``higher_means``, ``matches_expected``, ``n_rows``, ``n_events``.
    """
    tidy = matrix.assign(
        direction=matrix["matches_expected"].map({True: "as expected", False: "opposite to expected"}),
        kind_label=matrix["kind"].map({"leading": "Leading indicator", "effort": "CS effort"}),
    )[["label", "kind_label", "auc", "auc_low", "auc_high", "lift", "higher_means", "direction", "n_rows", "n_events"]]
    order = tidy.sort_values("auc", ascending=False)["label"].tolist()
    y = alt.Y("label:N", sort=order, title=None)
    # 0.45-0.85 shows the differences that matter; widened when an interval reaches beyond
    scale = alt.Scale(
        domain=[min(0.45, float(tidy["auc_low"].min())), max(0.85, float(tidy["auc_high"].max()))], nice=False
    )
    bars = (
        alt.Chart(tidy)
        .mark_rule(strokeWidth=2, opacity=0.6)
        .encode(
            y=y,
            x=alt.X("auc_low:Q", title="Discrimination (AUC: 0.5 = none, 1 = perfect)", scale=scale),
            x2="auc_high:Q",
            color=alt.Color(
                "kind_label:N", title=None, scale=alt.Scale(range=[CATEGORY_PALETTE[0], CATEGORY_PALETTE[1]])
            ),
        )
    )
    points = (
        alt.Chart(tidy)
        .mark_point(filled=True, size=90)
        .encode(
            y=y,
            x="auc:Q",
            color="kind_label:N",
            shape=alt.Shape("direction:N", title="Direction", scale=alt.Scale(range=["circle", "triangle-down"])),
            tooltip=[
                alt.Tooltip("label:N", title="Indicator"),
                alt.Tooltip("auc:Q", title="AUC", format=".3f"),
                alt.Tooltip("auc_low:Q", title="95% CI low", format=".3f"),
                alt.Tooltip("auc_high:Q", title="95% CI high", format=".3f"),
                alt.Tooltip("lift:Q", title="Lift, riskiest decile", format=".2f"),
                alt.Tooltip("higher_means:N", title="Higher value means ... outcome"),
                alt.Tooltip("direction:N", title="Direction"),
                alt.Tooltip("n_rows:Q", title="Account-months", format=","),
                alt.Tooltip("n_events:Q", title="Events", format=","),
            ],
        )
    )
    return (reference_rule("x", 0.5, scale) + bars + points).properties(title=title, height=alt.Step(24))


def matrix_heatmap(
    matrix: pd.DataFrame, title: str = "Discrimination of every indicator, by outcome and horizon"
) -> alt.Chart:
    """Heatmap of AUC: indicators x (outcome, horizon).

    Parameters
    ----------
    matrix : :func:`~cskpi_analysis.indicators.indicator_outcome_matrix`: ``label``, ``outcome``,
        ``horizon``, ``auc``, ``auc_low``, ``auc_high``, ``matches_expected``.
    """
    tidy = matrix.assign(
        column=matrix["outcome"].str.capitalize() + " in " + matrix["horizon"].astype(str) + " months",
        mark=matrix["matches_expected"].map({True: "", False: "!"}),
    )[["label", "column", "auc", "auc_low", "auc_high", "mark"]]
    order = tidy.groupby("label")["auc"].mean().sort_values(ascending=False).index.tolist()
    # columns by outcome (churn, contraction, expansion), then horizon ascending, whatever the rows' order
    outcomes = {"churn": 0, "contraction": 1, "expansion": 2}
    pairs = sorted(
        {(o, int(h)) for o, h in zip(matrix["outcome"], matrix["horizon"], strict=True)},
        key=lambda pair: (outcomes.get(pair[0], len(outcomes)), pair[0], pair[1]),
    )
    columns = [f"{o.capitalize()} in {h} months" for o, h in pairs]
    base = alt.Chart(tidy).encode(
        y=alt.Y("label:N", sort=order, title=None),
        x=alt.X("column:N", title=None, sort=columns, axis=alt.Axis(labelAngle=-40, labelLimit=200)),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("auc:Q", title="AUC", scale=alt.Scale(scheme="blues", domain=[0.5, 0.8])),
        tooltip=[
            alt.Tooltip("label:N", title="Indicator"),
            alt.Tooltip("column:N", title="Outcome"),
            alt.Tooltip("auc:Q", title="AUC", format=".3f"),
            alt.Tooltip("auc_low:Q", title="95% CI low", format=".3f"),
            alt.Tooltip("auc_high:Q", title="95% CI high", format=".3f"),
        ],
    )
    text = base.mark_text(fontSize=11).encode(text=alt.Text("auc:Q", format=".2f"))
    return (cells + text).properties(
        title=alt.Title(title, subtitle="Cells are AUC (0.5 = no signal)."), height=alt.Step(22), width=alt.Step(52)
    )


def lead_time_chart(curves: pd.DataFrame, title: str, unit: str = "") -> alt.Chart:
    """Indicator mean by months before churn, churners vs matched accounts that stayed.

    Parameters
    ----------
    curves : :func:`~cskpi_analysis.indicators.event_aligned_curves`: ``months_before``,
        ``group``, ``mean``, ``low``, ``high``, ``n``.
    """
    tidy = curves[["months_before", "group", "mean", "low", "high", "n"]]
    x = alt.X(
        "months_before:Q", title="Months before churn", scale=alt.Scale(reverse=True), axis=alt.Axis(tickMinStep=1)
    )
    color = alt.Color("group:N", title=None, scale=alt.Scale(range=[BAD, CATEGORY_PALETTE[0]]))
    band = alt.Chart(tidy).mark_area(opacity=0.2).encode(x=x, y="low:Q", y2="high:Q", color=color)
    line = (
        alt.Chart(tidy)
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y("mean:Q", title=unit or None, scale=alt.Scale(zero=False)),
            color=color,
            tooltip=[
                alt.Tooltip("group:N", title="Group"),
                alt.Tooltip("months_before:Q", title="Months before churn"),
                alt.Tooltip("mean:Q", title="Mean", format=".2f"),
                alt.Tooltip("low:Q", title="95% CI low", format=".2f"),
                alt.Tooltip("high:Q", title="95% CI high", format=".2f"),
                alt.Tooltip("n:Q", title="Account-months", format=","),
            ],
        )
    )
    return (band + line).properties(title=title)


def calibration_bands_chart(bands: pd.DataFrame, title: str) -> alt.Chart:
    """Observed churn rate by health-score band, with Wilson 95% intervals.

    Parameters
    ----------
    bands : :func:`~cskpi_analysis.indicators.health_score_bands`: ``band``, ``band_order``,
        ``rate``, ``low``, ``high``, ``n_rows``, ``n_events``, ``score_low``, ``score_high``.
    """
    tidy = bands[["band", "band_order", "rate", "low", "high", "n_rows", "n_events", "score_low", "score_high"]]
    x = alt.X("band:N", sort=alt.EncodingSortField("band_order"), title="Vendor health score band (low to high)")
    bars = (
        alt.Chart(tidy)
        .mark_bar(color=CATEGORY_PALETTE[0], opacity=0.8)
        .encode(
            x=x,
            y=alt.Y("rate:Q", title="Observed churn rate", axis=alt.Axis(format="%")),
            tooltip=[
                alt.Tooltip("band:N", title="Band"),
                alt.Tooltip("rate:Q", title="Churn rate", format=".1%"),
                alt.Tooltip("low:Q", title="95% CI low", format=".1%"),
                alt.Tooltip("high:Q", title="95% CI high", format=".1%"),
                alt.Tooltip("n_events:Q", title="Churned", format=","),
                alt.Tooltip("n_rows:Q", title="Account-months", format=","),
                alt.Tooltip("score_low:Q", title="Lowest score", format=".1f"),
                alt.Tooltip("score_high:Q", title="Highest score", format=".1f"),
            ],
        )
    )
    errors = alt.Chart(tidy).mark_rule(color="black").encode(x=x, y="low:Q", y2="high:Q")
    return (bars + errors).properties(title=title)


def reliability_chart(curve: pd.DataFrame, title: str) -> alt.Chart:
    """Predicted vs observed churn by decile of predicted risk, with the diagonal of perfect calibration.

    Parameters
    ----------
    curve : :func:`~cskpi_analysis.indicators.reliability_curve`: ``bin``, ``predicted``,
        ``observed``, ``low``, ``high``, ``n_rows``, ``score_low``, ``score_high``.
    """
    tidy = curve[["bin", "predicted", "observed", "low", "high", "n_rows", "score_low", "score_high"]]
    top = float(max(tidy["high"].max(), tidy["predicted"].max())) * 1.05
    axis = alt.Axis(format="%")
    x = alt.X(
        "predicted:Q",
        title="Predicted churn risk (score recalibrated on earlier months)",
        axis=axis,
        scale=alt.Scale(domain=[0, top]),
    )
    errors = alt.Chart(tidy).mark_rule(color=CATEGORY_PALETTE[0]).encode(x=x, y="low:Q", y2="high:Q")
    points = (
        alt.Chart(tidy)
        .mark_point(filled=True, size=80, color=CATEGORY_PALETTE[0])
        .encode(
            x=x,
            y=alt.Y(
                "observed:Q", title="Observed churn (held-out months)", axis=axis, scale=alt.Scale(domain=[0, top])
            ),
            tooltip=[
                alt.Tooltip("bin:Q", title="Risk decile"),
                alt.Tooltip("predicted:Q", title="Predicted", format=".1%"),
                alt.Tooltip("observed:Q", title="Observed", format=".1%"),
                alt.Tooltip("low:Q", title="95% CI low", format=".1%"),
                alt.Tooltip("high:Q", title="95% CI high", format=".1%"),
                alt.Tooltip("n_rows:Q", title="Account-months", format=","),
                alt.Tooltip("score_low:Q", title="Lowest score", format=".1f"),
                alt.Tooltip("score_high:Q", title="Highest score", format=".1f"),
            ],
        )
    )
    return (diagonal_line(top) + errors + points).properties(title=title, width=420, height=320)


def effort_chart(table: pd.DataFrame, title: str) -> alt.Chart:
    """Churn rate with and without CS activity across health bands, one panel per segment.

    Parameters
    ----------
    table : :func:`~cskpi_analysis.indicators.effort_by_health_band`: ``segment``,
        ``health_band``, ``band_order``, ``rate_with``, ``rate_without``, ``n_with``, ``n_without``.
    """
    bands = table[table["health_band"] != "All"]
    tidy = pd.concat(
        [
            bands.assign(group="With CS activity", rate=bands["rate_with"], n=bands["n_with"]),
            bands.assign(group="Without", rate=bands["rate_without"], n=bands["n_without"]),
        ]
    )[["segment", "health_band", "band_order", "group", "rate", "n"]]
    tidy = tidy[tidy["n"] >= 20]  # a rate on fewer than 20 account-months is not drawn
    return (
        alt.Chart(tidy)
        .mark_line(point=True)
        .encode(
            x=alt.X("health_band:N", sort=alt.EncodingSortField("band_order"), title="Health score that month"),
            y=alt.Y("rate:Q", title="Churn within 3 months", axis=alt.Axis(format="%")),
            color=alt.Color("group:N", title=None, scale=alt.Scale(range=[CATEGORY_PALETTE[1], CATEGORY_PALETTE[0]])),
            tooltip=[
                alt.Tooltip("segment:N", title="Segment"),
                alt.Tooltip("health_band:N", title="Health band"),
                alt.Tooltip("group:N", title="Group"),
                alt.Tooltip("rate:Q", title="Churn rate", format=".1%"),
                alt.Tooltip("n:Q", title="Account-months", format=","),
            ],
        )
        .properties(width=200, height=220)
        .facet(column=alt.Column("segment:N", title=None))
        .properties(title=title)
    )


def activity_share_chart(table: pd.DataFrame, title: str) -> alt.Chart:
    """Share of account-months with CS activity by health band, one line per segment.

    Parameters
    ----------
    table : :func:`~cskpi_analysis.indicators.effort_by_health_band`: ``segment``,
        ``health_band``, ``band_order``, ``activity_share``, ``n_rows``.
    """
    tidy = table[(table["health_band"] != "All") & (table["n_rows"] >= 20)][
        ["segment", "health_band", "band_order", "activity_share", "n_rows"]
    ]
    return (
        alt.Chart(tidy)
        .mark_line(point=True)
        .encode(
            x=alt.X("health_band:N", sort=alt.EncodingSortField("band_order"), title="Health score that month"),
            y=alt.Y("activity_share:Q", title="Account-months with CS activity", axis=alt.Axis(format="%")),
            color=alt.Color("segment:N", title="Segment"),
            tooltip=[
                alt.Tooltip("segment:N", title="Segment"),
                alt.Tooltip("health_band:N", title="Health band"),
                alt.Tooltip("activity_share:Q", title="With activity", format=".1%"),
                alt.Tooltip("n_rows:Q", title="Account-months", format=","),
            ],
        )
        .properties(title=title)
    )


def coverage_chart(coverage: pd.DataFrame, title: str) -> alt.Chart:
    """Portfolio coverage (share of accounts touched by CS) by group, with Wilson intervals.

    Parameters
    ----------
    coverage : :func:`~cskpi_analysis.indicators.portfolio_coverage`: ``group``, ``accounts``,
        ``covered``, ``coverage``, ``low``, ``high``, ``mrr``.
    """
    tidy = coverage[["group", "accounts", "covered", "coverage", "low", "high", "mrr"]]
    y = alt.Y("group:N", sort=None, title=None)
    bars = (
        alt.Chart(tidy)
        .mark_bar(color=CATEGORY_PALETTE[0], opacity=0.8)
        .encode(
            y=y,
            x=alt.X(
                "coverage:Q",
                title="Accounts with any CS activity in 90 days",
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            tooltip=[
                alt.Tooltip("group:N", title="Group"),
                alt.Tooltip("coverage:Q", title="Coverage", format=".1%"),
                alt.Tooltip("low:Q", title="95% CI low", format=".1%"),
                alt.Tooltip("high:Q", title="95% CI high", format=".1%"),
                alt.Tooltip("covered:Q", title="Accounts touched", format=","),
                alt.Tooltip("accounts:Q", title="Paying accounts", format=","),
                alt.Tooltip("mrr:Q", title="MRR", format=",.0f"),
            ],
        )
    )
    errors = alt.Chart(tidy).mark_rule(color="black").encode(y=y, x="low:Q", x2="high:Q")
    # narrow enough for two side by side in a report column, labels included
    return (bars + errors).properties(title=title, height=alt.Step(28), width=240)
