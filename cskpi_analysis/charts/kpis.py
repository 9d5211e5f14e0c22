"""Chart builders for the retention core: KPI trends, the MRR bridge, cohorts, data coverage.

Each builder takes a tidy frame with the documented columns (as returned by
:mod:`cskpi_analysis.kpis` or :mod:`cskpi_analysis.quality`), never raw event rows,
and returns an ``alt.Chart`` with a business-language title and tooltips. The shared
theme is set by :func:`cskpi_analysis.charts.enable_theme`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import altair as alt
import pandas as pd

from cskpi_analysis import catalogue
from cskpi_analysis.charts._theme import BAD, CATEGORY_PALETTE, GOOD, reference_rule


def registry_legends(columns: Iterable[str]) -> dict[str, str]:
    """The legend of each mart column: the ``short_label`` of the KPI it computes in the registry.

    ``columns`` are mart columns named by a KPI's ``computed_by`` in ``catalogue.toml``
    (e.g. ``"nrr_t12m"`` -> ``"NRR"``); a column no KPI computes raises ``KeyError`` naming it.
    """
    columns = list(columns)
    by_column = {kpi.mart_column[1]: kpi.short_label for kpi in catalogue.load_catalogue() if kpi.mart_column}
    unknown = [column for column in columns if column not in by_column]
    if unknown:
        raise KeyError(f"no KPI of the catalogue is computed by the mart column(s) {', '.join(unknown)}")
    return {column: by_column[column] for column in columns}


def rate_trend_chart(
    frame: pd.DataFrame,
    rates: Mapping[str, str] | Iterable[str],
    title: str,
    *,
    reference: float | None = None,
    subtitle: str = "",
) -> alt.Chart:
    """Monthly rates as lines, with numerator and denominator in the tooltip.

    Parameters
    ----------
    frame : ``mart_kpis_monthly`` or ``mart_retention_t12m`` rows of one segment: ``month`` and,
        for each rate column ``r`` in ``rates``, ``r``, ``r_numerator`` and ``r_denominator``.
    rates : the mart columns to draw, in legend order; each is labelled with its KPI's short label in
        the registry (:func:`registry_legends`). A mapping (mart column -> label) sets the labels instead.
    reference : draw a dashed rule at this value (e.g. 1.0 for 100% retention).
    """
    if isinstance(rates, str):
        raise TypeError(f"rates must be mart columns or a mapping of column -> label, not the string {rates!r}")
    legends = dict(rates) if isinstance(rates, Mapping) else registry_legends(rates)
    records = []
    for column, label in legends.items():
        part = frame[["month", column, f"{column}_numerator", f"{column}_denominator"]].copy()
        part.columns = ["month", "value", "numerator", "denominator"]
        part["kpi"] = label
        records.append(part)
    tidy = pd.concat(records, ignore_index=True).dropna(subset=["value"])
    tidy["numerator"] = tidy["numerator"].astype(float).round(2)
    tidy["denominator"] = tidy["denominator"].astype(float).round(2)
    lines = (
        alt.Chart(tidy)
        .mark_line(point=True)
        .encode(
            x=alt.X("month:T", title=None, axis=alt.Axis(format="%b %Y")),
            y=alt.Y("value:Q", title=None, axis=alt.Axis(format="%"), scale=alt.Scale(zero=False)),
            color=alt.Color("kpi:N", title=None, scale=alt.Scale(range=list(CATEGORY_PALETTE))),
            tooltip=[
                alt.Tooltip("kpi:N", title="KPI"),
                alt.Tooltip("month:T", title="Month", format="%b %Y"),
                alt.Tooltip("value:Q", title="Value", format=".2%"),
                alt.Tooltip("numerator:Q", title="Numerator", format=",.2f"),
                alt.Tooltip("denominator:Q", title="Denominator", format=",.2f"),
            ],
        )
    )
    layers: list[alt.Chart] = [lines]
    if reference is not None:
        layers.append(reference_rule("y", reference))
    return alt.layer(*layers).properties(title=alt.TitleParams(title, subtitle=subtitle or alt.Undefined))


def mrr_movements_chart(frame: pd.DataFrame, title: str = "Where MRR came from and went, month by month") -> alt.Chart:
    """Stacked monthly MRR movements: gains above zero, losses below.

    ``frame``: ``mart_kpis_monthly`` rows of one segment (``month``, ``mrr_new``, ``mrr_expansion``,
    ``mrr_reactivation``, ``mrr_contraction``, ``mrr_churned``).
    """
    movements = {
        "mrr_new": ("New", 1, CATEGORY_PALETTE[0]),
        "mrr_expansion": ("Expansion", 1, GOOD),
        "mrr_reactivation": ("Reactivation", 1, CATEGORY_PALETTE[4]),
        "mrr_contraction": ("Contraction", -1, CATEGORY_PALETTE[1]),
        "mrr_churned": ("Churn", -1, BAD),
    }
    tidy = pd.concat(
        [
            pd.DataFrame({"month": frame["month"], "movement": label, "mrr": sign * frame[col].astype(float)})
            for col, (label, sign, _) in movements.items()
        ],
        ignore_index=True,
    )
    return (
        alt.Chart(tidy)
        .mark_bar()
        .encode(
            x=alt.X("month:T", title=None, axis=alt.Axis(format="%b %Y")),
            y=alt.Y("sum(mrr):Q", title="MRR", axis=alt.Axis(format="$,.0f")),
            color=alt.Color(
                "movement:N",
                title=None,
                sort=[v[0] for v in movements.values()],
                scale=alt.Scale(domain=[v[0] for v in movements.values()], range=[v[2] for v in movements.values()]),
            ),
            tooltip=[
                alt.Tooltip("month:T", title="Month", format="%b %Y"),
                alt.Tooltip("movement:N", title="Movement"),
                alt.Tooltip("sum(mrr):Q", title="MRR", format="$,.0f"),
            ],
        )
        .properties(title=title)
    )


def mrr_bridge_chart(bridge: pd.DataFrame, title: str) -> alt.Chart:
    """Waterfall of the MRR bridge from :func:`cskpi_analysis.kpis.mrr_bridge`
    (``step``, ``amount``, ``start``, ``end``)."""
    data = bridge.copy()
    data["kind"] = [
        "total" if step in ("MRR at start", "MRR at end") else "gain" if amount >= 0 else "loss"
        for step, amount in zip(data["step"], data["amount"], strict=True)
    ]
    data["low"] = data[["start", "end"]].min(axis=1)
    data["high"] = data[["start", "end"]].max(axis=1)
    order = list(data["step"])
    # the data sits on the layer, not on each part: altair would hash the frame to hoist it
    base = alt.Chart().encode(x=alt.X("step:N", sort=order, title=None, axis=alt.Axis(labelAngle=0)))
    bars = base.mark_bar(size=60).encode(
        y=alt.Y("low:Q", title="MRR", axis=alt.Axis(format="$,.0f")),
        y2="high:Q",
        color=alt.Color(
            "kind:N",
            legend=None,
            scale=alt.Scale(domain=["total", "gain", "loss"], range=[CATEGORY_PALETTE[0], GOOD, BAD]),
        ),
        tooltip=[alt.Tooltip("step:N", title="Step"), alt.Tooltip("amount:Q", title="Amount", format="$,.0f")],
    )
    labels = base.mark_text(dy=-8).encode(y="high:Q", text=alt.Text("amount:Q", format="$.3s"))
    return alt.layer(bars, labels, data=data).properties(title=title, width=640)


def cohort_labels(cells: pd.DataFrame) -> pd.Series:
    """``2024-07`` for a monthly cohort, ``2024 Q3`` for a quarterly one (``cohort_grain``)."""
    start = pd.to_datetime(cells["cohort"])
    monthly = start.dt.strftime("%Y-%m")
    if "cohort_grain" not in cells:
        return monthly
    quarterly = start.dt.year.astype(str) + " Q" + start.dt.quarter.astype(str)
    return quarterly.where(cells["cohort_grain"] == "quarter", monthly)


def cohort_heatmap(cells: pd.DataFrame, metric: str, title: str) -> alt.Chart:
    """Cohort x months-since-start heatmap of ``metric`` (``logo_retention`` or ``revenue_retention``).

    ``cells``: rows of ``mart_cohort_retention`` for one grain and segment. Incomplete cells
    (``is_complete`` false) are drawn hatched-grey with no colour value: masked, never zero.
    Unobservable cells have no row and stay blank.
    """
    data = cells.copy()
    data["cohort_label"] = cohort_labels(data)
    data["value"] = data[metric].where(data["is_complete"])
    # revenue retention passes 100% when expansion outweighs losses: the scale must show it
    top = max(1.0, float(data["value"].max())) if data["value"].notna().any() else 1.0
    base = alt.Chart(data).encode(
        x=alt.X("months_since_start:O", title="Months since start"),
        y=alt.Y("cohort_label:O", title="Start cohort"),
        tooltip=[
            alt.Tooltip("cohort_label:O", title="Cohort"),
            alt.Tooltip("months_since_start:O", title="Months since start"),
            alt.Tooltip(f"{metric}:Q", title="Retention", format=".1%"),
            alt.Tooltip("accounts_at_start:Q", title="Accounts at start"),
            alt.Tooltip("accounts_active:Q", title="Accounts active"),
            alt.Tooltip("is_complete:N", title="Month complete"),
        ],
    )
    complete = base.transform_filter("datum.is_complete").mark_rect().encode(
        color=alt.Color("value:Q", title="Retention", scale=alt.Scale(scheme="blues", domain=[0, top]),
                        legend=alt.Legend(format="%"))
    )  # fmt: skip
    masked = base.transform_filter("!datum.is_complete").mark_rect(color="#eeeeee", stroke="#bbbbbb", strokeDash=[2, 2])
    return alt.layer(complete, masked).properties(title=title, height=alt.Step(12))


def retention_curves_chart(cells: pd.DataFrame, average: pd.DataFrame, metric: str, title: str) -> alt.Chart:
    """Retention curves by cohort (thin lines), the size-weighted average (thick), and for
    logo retention the Wilson 95% band of each cohort (light area).

    ``cells``: complete rows of ``mart_cohort_retention``; ``average``: from
    :func:`cskpi_analysis.kpis.average_retention_curve`.
    """
    data = cells[cells["is_complete"]].copy()
    data["cohort_label"] = cohort_labels(data)
    x = alt.X("months_since_start:Q", title="Months since start")
    layers: list[alt.Chart] = []
    if metric == "logo_retention":
        layers.append(
            alt.Chart(data)
            .mark_area(opacity=0.06)
            .encode(x=x, y="logo_retention_lower:Q", y2="logo_retention_upper:Q", detail="cohort_label:N")
        )
    layers.append(
        alt.Chart(data)
        .mark_line(strokeWidth=1, opacity=0.45)
        .encode(
            x=x,
            y=alt.Y(f"{metric}:Q", title="Retention", axis=alt.Axis(format="%")),
            color=alt.Color("cohort_label:N", title="Cohort", legend=None),
            tooltip=[
                alt.Tooltip("cohort_label:N", title="Cohort"),
                alt.Tooltip("months_since_start:Q", title="Months since start"),
                alt.Tooltip(f"{metric}:Q", title="Retention", format=".1%"),
                alt.Tooltip("accounts_at_start:Q", title="Accounts at start"),
            ],
        )
    )
    layers.append(
        alt.Chart(average)
        .mark_line(strokeWidth=4, color="#000000")
        .encode(
            x=x,
            y=f"{metric}:Q",
            tooltip=[
                alt.Tooltip("months_since_start:Q", title="Months since start"),
                alt.Tooltip(f"{metric}:Q", title="Weighted average", format=".1%"),
                alt.Tooltip("accounts_at_start:Q", title="Accounts in the average"),
            ],
        )
    )
    return alt.layer(*layers).properties(
        title=alt.TitleParams(title, subtitle="Thin lines: cohorts; black: average weighted by cohort size")
    )


def coverage_heatmap(coverage: pd.DataFrame, title: str = "Rows per table and month") -> alt.Chart:
    """Rows per table per month (``table``, ``month``, ``rows``); empty months stand out in grey."""
    return (
        alt.Chart(coverage)
        .mark_rect()
        .encode(
            x=alt.X("month:T", title=None, timeUnit="yearmonth", axis=alt.Axis(format="%b %Y")),
            y=alt.Y("table:N", title=None, axis=alt.Axis(labelLimit=240)),
            color=alt.condition(
                "datum.rows > 0",
                alt.Color("rows:Q", title="Rows", scale=alt.Scale(scheme="greens", type="symlog")),
                alt.value("#dddddd"),
            ),
            tooltip=[
                alt.Tooltip("table:N", title="Table"),
                alt.Tooltip("month:T", title="Month", format="%b %Y"),
                alt.Tooltip("rows:Q", title="Rows", format=","),
            ],
        )
        .properties(title=title, height=alt.Step(22), width=640)
    )


def daily_activity_chart(daily: pd.DataFrame, title: str = "Usage events and active accounts per day") -> alt.Chart:
    """Two panels sharing the day axis: events per day, and accounts with at least one event that day.

    ``daily``: ``day``, ``events``, ``active_accounts`` (:func:`cskpi_analysis.quality.events_per_day`).
    """
    base = (
        alt.Chart()
        .mark_line(strokeWidth=1)
        .encode(
            x=alt.X("day:T", title=None),
            tooltip=[
                alt.Tooltip("day:T", title="Day"),
                alt.Tooltip("events:Q", title="Events", format=","),
                alt.Tooltip("active_accounts:Q", title="Active accounts", format=","),
            ],
        )
        .properties(height=140, width=640)
    )
    return alt.vconcat(
        base.encode(y=alt.Y("events:Q", title="Events")),
        base.encode(y=alt.Y("active_accounts:Q", title="Active accounts")).mark_line(strokeWidth=1, color=GOOD),
        data=daily,
    ).properties(title=title)


def segment_bars_chart(frame: pd.DataFrame, value: str, title: str, *, value_format: str = ".1%") -> alt.Chart:
    """One horizontal bar per segment (``segment`` and ``value`` columns; more columns go in the tooltip)."""
    tooltip = [
        alt.Tooltip(f"{c}:Q", format=value_format if c == value else ",") for c in frame.columns if c != "segment"
    ]
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("segment:N", title=None, sort="-x"),
            x=alt.X(f"{value}:Q", title=None, axis=alt.Axis(format=value_format)),
            tooltip=[alt.Tooltip("segment:N", title="Segment"), *tooltip],
        )
        .properties(title=title, height=alt.Step(28))
    )
