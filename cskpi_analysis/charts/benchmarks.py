"""Chart builder and text companions for the benchmarks report: our KPIs against the market.

The input is the comparison frame of :func:`cskpi_analysis.benchmarks.compare`: one
row per (our KPI x benchmark source). Nothing here decides a verdict or converts a
value; it only draws and lists what :mod:`cskpi_analysis.benchmarks` computed.
The shared theme is set by :func:`cskpi_analysis.charts.enable_theme`.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from cskpi_analysis import catalogue
from cskpi_analysis.charts._theme import BAD, CATEGORY_PALETTE, GOOD, NEUTRAL
from cskpi_analysis.narrative import markdown_text, user_text

__all__ = [
    "CHART_COLUMNS",
    "RATE_KPIS",
    "STATUS_COLOURS",
    "benchmark_position_chart",
    "comparison_labels",
    "comparison_table",
    "conversions_markdown",
    "definition_warnings_markdown",
]

#: Columns of the comparison frame the chart reads (all produced by ``compare``).
CHART_COLUMNS: tuple[str, ...] = (
    "kpi",
    "our_form",
    "our_value",
    "benchmark_kpi",
    "benchmark_period",
    "benchmark_form",
    "benchmark_segment",
    "compared_value",
    "conversion",
    "benchmark_median",
    "benchmark_p25",
    "benchmark_p75",
    "benchmark_mean",
    "percentile_phrase",
    "comparable",
    "verdict",
    "definition_warning",
    "source",
    "publisher",
    "year",
    "reliability",
)

#: Each benchmarked catalogue KPI (the ``kpi`` and ``benchmark_kpi`` of a comparison) with its measure
#: (``[benchmark_kpis]`` of the catalogue), which gives its words: ``logo_churn_rate_annual`` is a logo churn.
_MEASURE_OF: dict[str, catalogue.BenchmarkKpi] = {kpi: b for b in catalogue.benchmark_kpis() for kpi in b.kpis}

#: Benchmarked catalogue KPIs that are rates (fractions, ``unit = "rate"`` in the catalogue), drawn on a
#: percent axis. NPS and days are not.
RATE_KPIS: frozenset[str] = frozenset(kpi for kpi, b in _MEASURE_OF.items() if b.unit == "rate")

NOT_COMPARABLE_STATUS = "not comparable"

#: Colour of our value by verdict; "not comparable" rows are grey.
STATUS_COLOURS: dict[str, str] = {
    "above market": GOOD,
    "in line": CATEGORY_PALETTE[0],
    "below market": BAD,
    NOT_COMPARABLE_STATUS: "#b0b0b0",
}

_STATISTIC_COLOURS: dict[str, str] = {
    "median": "#000000",
    "mean": NEUTRAL,
    "quartiles (p25, p75)": CATEGORY_PALETTE[4],
}

#: A KPI's name in comparison labels, by catalogue id (``short_label`` of its measure in ``[benchmark_kpis]``).
_KPI_NAMES: dict[str, str] = {kpi: b.short_label for kpi, b in _MEASURE_OF.items()}

#: A KPI's chart panel name, by catalogue id (the ``label`` of its measure, capitalised).
_PANEL_NAMES: dict[str, str] = {kpi: b.panel_label for kpi, b in _MEASURE_OF.items()}

_FORM_NAMES: dict[str, str] = {
    "monthly_rate": "monthly",
    "t12m": "T12M",
    "annual_rate": "annual",
    "survey_score": "",
    "days": "",
}


def comparison_labels(comparison: pd.DataFrame) -> list[str]:
    """A short, unique label per comparison row: our KPI, the source and the peer group.

    ``"T12M NRR vs SaaS Capital 2023 (ACV $25K-$50K)"``; a row that is not comparable
    ends with ``" [context]"``. Labels that would repeat get ``" #2"``, ``" #3"``.

    Parameters
    ----------
    comparison : rows of :func:`cskpi_analysis.benchmarks.compare` (``kpi``, ``our_form``,
        ``publisher``, ``year``, ``benchmark_segment``, ``comparable``); not modified.
    """
    labels: list[str] = []
    seen: dict[str, int] = {}
    for row in comparison.itertuples(index=False):
        ours = " ".join(
            part for part in (_FORM_NAMES.get(row.our_form, row.our_form), _KPI_NAMES.get(row.kpi, row.kpi)) if part
        )
        label = f"{ours} vs {row.publisher} {row.year} ({row.benchmark_segment})"
        if not bool(row.comparable):
            label += " [context]"
        seen[label] = seen.get(label, 0) + 1
        labels.append(label if seen[label] == 1 else f"{label} #{seen[label]}")
    return labels


def _panel(benchmark_kpi: str, benchmark_period: str, benchmark_form: str) -> str:
    name = _PANEL_NAMES.get(benchmark_kpi, benchmark_kpi)
    detail = "annual, T12M" if benchmark_form == "t12m" else benchmark_period
    return f"{name} ({detail})"


def _same_measure(kpi: str, benchmark_kpi: str) -> bool:
    """Whether two catalogue KPIs are one measure in two forms (``logo_churn_rate`` and ``logo_churn_rate_annual``)."""
    ours, theirs = _MEASURE_OF.get(kpi), _MEASURE_OF.get(benchmark_kpi)
    return ours is not None and theirs is not None and ours.id == theirs.id


def _status(comparable: bool, verdict: object) -> str:
    if not comparable or verdict is None or (isinstance(verdict, float) and math.isnan(verdict)):
        return NOT_COMPARABLE_STATUS
    return str(verdict)


def _tidy(comparison: pd.DataFrame) -> pd.DataFrame:
    """One row per mark: ``mark`` = ours | statistic | range, with the row's context columns."""
    rows = comparison.loc[comparison["benchmark_kpi"].isin(RATE_KPIS), list(CHART_COLUMNS)].reset_index(drop=True)
    labels = comparison_labels(rows)
    records: list[dict[str, object]] = []
    for label, row in zip(labels, rows.to_dict("records"), strict=True):
        comparable = bool(row["comparable"])
        context = {
            "label": label,
            "panel": _panel(row["benchmark_kpi"], row["benchmark_period"], row["benchmark_form"]),
            "status": _status(comparable, row["verdict"]),
            "comparable": comparable,
            "our_value": row["our_value"],
            "compared_value": row["compared_value"],
            "conversion": row["conversion"] or "none",
            "position": row["percentile_phrase"] or "not known (no quartiles)",
            "warning": row["definition_warning"] or "none",
            "source": row["source"],
            "publisher": row["publisher"],
            "year": int(row["year"]),
            "peer_group": row["benchmark_segment"],
            "reliability": row["reliability"],
        }
        # Our point: on the benchmark's basis when comparable; else as measured, and only
        # when it is the same measure (a complement would look like a comparison it is not).
        if comparable:
            ours = row["compared_value"]
        elif _same_measure(row["kpi"], row["benchmark_kpi"]):
            ours = row["our_value"]
        else:
            ours = math.nan
        if ours is not None and math.isfinite(ours):
            records.append({**context, "mark": "ours", "statistic": "our value", "value": float(ours)})
        for column, statistic in (
            ("benchmark_median", "median"),
            ("benchmark_mean", "mean"),
            ("benchmark_p25", "quartiles (p25, p75)"),
            ("benchmark_p75", "quartiles (p25, p75)"),
        ):
            value = row[column]
            if value is not None and math.isfinite(value):
                records.append({**context, "mark": "statistic", "statistic": statistic, "value": float(value)})
        low, high = row["benchmark_p25"], row["benchmark_p75"]
        if all(v is not None and math.isfinite(v) for v in (low, high)):
            records.append({**context, "mark": "range", "statistic": "interquartile range", "low": float(low),
                            "high": float(high)})  # fmt: skip
    columns = ["label", "panel", "status", "comparable", "mark", "statistic", "value", "low", "high", "our_value",
               "compared_value", "conversion", "position", "warning", "source", "publisher", "year", "peer_group",
               "reliability"]  # fmt: skip
    return pd.DataFrame.from_records(records, columns=columns)


def benchmark_position_chart(
    comparison: pd.DataFrame, title: str = "Where our KPIs sit against published benchmarks"
) -> alt.Chart:
    """Each KPI comparison as a row: our value as a dot, the benchmark's statistics as ticks.

    Parameters
    ----------
    comparison : the frame of :func:`cskpi_analysis.benchmarks.compare`, with at least
        :data:`CHART_COLUMNS`: ``kpi`` and ``our_form`` (our KPI), ``our_value`` (as
        measured, a fraction), ``compared_value`` (on the benchmark's basis, NaN when not
        comparable), ``benchmark_kpi``, ``benchmark_period``, ``benchmark_form``,
        ``benchmark_segment``, ``benchmark_median``, ``benchmark_p25``, ``benchmark_p75``,
        ``benchmark_mean`` (NaN where the source gives none), ``comparable``, ``verdict``,
        ``percentile_phrase``, ``conversion``, ``definition_warning``, ``source``,
        ``publisher``, ``year``, ``reliability``. Not modified.
    title : the chart title.

    Returns
    -------
    alt.Chart
        One panel per benchmark KPI and period (independent percent axes), one line per
        comparison. Our dot is coloured by verdict (above market, in line, below market);
        on rows that are not comparable it is grey, drawn as measured (and only when the
        benchmark is the same measure), and the benchmark ticks are faded. A grey bar spans
        p25 to p75 where a source gives both. Tooltips carry source, publisher, year,
        peer group, reliability, conversion and definition warning; values as percents.
        Only rate KPIs are drawn (NPS and time to first value are not rates).
    """
    tidy = _tidy(comparison)
    panels = list(dict.fromkeys(tidy["panel"]))
    tooltip = [
        alt.Tooltip("label:N", title="Comparison"),
        alt.Tooltip("statistic:N", title="Mark"),
        alt.Tooltip("value:Q", title="Value", format=".2%"),
        alt.Tooltip("our_value:Q", title="Our value as measured", format=".2%"),
        alt.Tooltip("compared_value:Q", title="Our value on the benchmark's basis", format=".2%"),
        alt.Tooltip("status:N", title="Verdict"),
        alt.Tooltip("position:N", title="Percentile position"),
        alt.Tooltip("source:N", title="Source"),
        alt.Tooltip("publisher:N", title="Publisher"),
        alt.Tooltip("year:O", title="Year"),
        alt.Tooltip("peer_group:N", title="Peer group"),
        alt.Tooltip("reliability:N", title="Reliability"),
        alt.Tooltip("conversion:N", title="Conversion"),
        alt.Tooltip("warning:N", title="Definition warning"),
    ]
    y = alt.Y("label:N", title=None, sort=None, axis=alt.Axis(labelLimit=520))
    x = alt.X("value:Q", title=None, axis=alt.Axis(format="%"), scale=alt.Scale(zero=False, padding=14))
    base = alt.Chart().encode(y=y)
    band = (
        base.transform_filter("datum.mark === 'range'")
        .mark_bar(height=10, color="#dddddd")
        .encode(
            x=alt.X("low:Q", title=None, axis=alt.Axis(format="%"), scale=alt.Scale(zero=False, padding=14)),
            x2="high:Q",
            tooltip=tooltip,
        )
    )
    ticks = (
        base.transform_filter("datum.mark === 'statistic'")
        .mark_tick(thickness=3, size=18)
        .encode(
            x=x,
            color=alt.Color(
                "statistic:N",
                title="Benchmark",
                scale=alt.Scale(domain=list(_STATISTIC_COLOURS), range=list(_STATISTIC_COLOURS.values())),
            ),
            opacity=alt.condition("datum.comparable", alt.value(1.0), alt.value(0.35)),
            tooltip=tooltip,
        )
    )
    ours = (
        base.transform_filter("datum.mark === 'ours'")
        .mark_point(filled=True, size=140, opacity=1, stroke="#333333", strokeWidth=0.5)
        .encode(
            x=x,
            fill=alt.Fill(
                "status:N",
                title="Our value",
                scale=alt.Scale(domain=list(STATUS_COLOURS), range=list(STATUS_COLOURS.values())),
            ),
            tooltip=tooltip,
        )
    )
    return (
        alt.layer(band, ticks, ours, data=tidy)
        .properties(width=400, height=alt.Step(26))
        .facet(
            row=alt.Row(
                "panel:N",
                title=None,
                sort=panels,
                header=alt.Header(
                    labelAngle=0, labelAlign="left", labelAnchor="start", labelOrient="top", labelFontWeight="bold"
                ),
            )
        )
        .resolve_scale(x="independent", y="independent")
        .properties(
            title=alt.TitleParams(
                title,
                subtitle=[
                    "Dot: our value on the benchmark's basis, coloured by verdict. Ticks: the benchmark's median "
                    "(black), mean (grey), quartiles (light blue, joined by a grey bar).",
                    "Grey dot, faded ticks, [context]: not comparable (different period or form), shown for context only.",
                ],
            )
        )
    )


def definition_warnings_markdown(comparison: pd.DataFrame) -> str:
    """The definition warnings of a comparison as a Markdown list, one comparison a line.

    Rows without a warning are left out; ``""`` when no row has one. ``comparison`` is
    not modified. Warnings are split on ``"; "`` (how ``compare`` joins them).
    """
    lines = []
    for label, warning in zip(comparison_labels(comparison), comparison["definition_warning"], strict=True):
        if isinstance(warning, str) and warning:
            lines.append(f"- **{user_text(label)}**: " + "; ".join(part.strip() for part in warning.split("; ")))
    return markdown_text("\n".join(lines))


def conversions_markdown(comparison: pd.DataFrame) -> str:
    """The conversions ``compare`` applied, then the comparisons it refused, as Markdown lists.

    A conversion is one of the exact ones (monthly logo churn compounded to annual, a
    retention rate to its churn complement); a refusal is a row with ``comparable`` false,
    with the reason taken from its definition warning. ``comparison`` is not modified.
    """
    labels = comparison_labels(comparison)
    applied = [
        f"- **{user_text(label)}**: {conversion}"
        for label, conversion in zip(labels, comparison["conversion"], strict=True)
        if isinstance(conversion, str) and conversion
    ]
    refused = []
    for label, comparable, warning in zip(
        labels, comparison["comparable"], comparison["definition_warning"], strict=True
    ):
        if not bool(comparable):
            reasons = [part for part in str(warning).split("; ") if "no exact conversion" in part
                       or "never converted" in part or "different forms" in part]  # fmt: skip
            reason = reasons[0] if reasons else "not comparable, shown for context"
            refused.append(f"- **{user_text(label)}**: {reason}")
    parts = ["**Conversions applied** (exact only):", "\n".join(applied) if applied else "- none"]
    parts += ["**Comparisons refused** (no exact conversion; shown for context, no verdict):",
              "\n".join(refused) if refused else "- none"]  # fmt: skip
    return markdown_text("\n\n".join(parts))


def _rate_text(value: object) -> str:
    """A fraction as a percent for reading: two decimals under 10 % (2.60%), one above (97.1%)."""
    if value is None or not isinstance(value, int | float) or not math.isfinite(value):
        return ""
    return f"{value:.2%}" if abs(value) < 0.1 else f"{value:.1%}"


def comparison_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """The comparison as a table to read: one row per comparison, business column names.

    Rates are written as percent text (``"97.1%"``, ``"2.60%"``; empty where the source
    gives no such statistic); ``Statistics`` names those the source gives. Columns:
    Comparison, Our value, Our value on the benchmark's basis, Conversion, Peer group,
    Statistics, Median, 25th percentile, 75th percentile, Mean, Percentile position,
    Verdict, Definition warning, Source, Publisher, Year, Reliability. NPS and days are
    shown as numbers. ``comparison`` is not modified.
    """
    records = []
    for label, row in zip(comparison_labels(comparison), comparison.to_dict("records"), strict=True):
        is_rate = row["benchmark_kpi"] in RATE_KPIS

        def shown(value: object, is_rate: bool = is_rate) -> str:
            if is_rate:
                return _rate_text(value)
            return "" if value is None or not math.isfinite(float(value)) else f"{float(value):g}"  # type: ignore[arg-type]

        given = [name for column, name in (("benchmark_median", "median"), ("benchmark_p25", "p25"),
                                            ("benchmark_p75", "p75"), ("benchmark_mean", "mean"))
                 if math.isfinite(row[column])]  # fmt: skip
        records.append({
            "Comparison": label,
            "Our value": shown(row["our_value"], row["kpi"] in RATE_KPIS),
            "Our value on the benchmark's basis": shown(row["compared_value"]) or "not comparable",
            "Conversion": row["conversion"],
            "Peer group": f"{row['benchmark_segment']} ({row['match']})" if "match" in row else row["benchmark_segment"],
            "Statistics": ", ".join(given),
            "Median": shown(row["benchmark_median"]),
            "25th percentile": shown(row["benchmark_p25"]),
            "75th percentile": shown(row["benchmark_p75"]),
            "Mean": shown(row["benchmark_mean"]),
            "Percentile position": row["percentile_phrase"] or ("unknown: the source gives no quartiles"
                                                                if bool(row["comparable"]) else ""),
            "Verdict": _status(bool(row["comparable"]), row["verdict"]),
            "Definition warning": row["definition_warning"],
            "Source": row["source"],
            "Publisher": row["publisher"],
            "Year": int(row["year"]),
            "Reliability": row["reliability"],
        })  # fmt: skip
    return pd.DataFrame.from_records(records)
