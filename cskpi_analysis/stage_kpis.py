"""KPIs by lifecycle stage: onboarding, adoption, retention, expansion, advocacy, support.

Every number comes from the SQL marts (built once into the warehouse, :mod:`cskpi_analysis.warehouse`):

``mart_stage_kpis_monthly``
    One row per month x segment (and 'All') x KPI, long format: ``month``,
    ``is_complete_month``, ``segment``, ``kpi_id`` (the id in ``catalogue.toml``),
    ``value``, ``numerator``, ``denominator``, ``value_lower``, ``value_upper``.
    ``value`` is numerator / denominator for rates and means; for medians and
    percentiles it is the statistic itself (numerator empty, denominator = the
    accounts or tickets it is taken over); for totals (ticket volume, ARR) the
    total (denominator empty). "Month" is the start cohort month for the onboarding
    KPIs, early adoption, activation-to-expansion and time to first expansion; the
    anniversary month for renewal rate; the event's month otherwise.
``mart_stage_feature_adoption``
    Early and ongoing adoption of each key feature (and '(any key feature)').
``mart_stage_nps``
    NPS by month and by quarter with promoter, passive and detractor counts and a 95% interval.

Definitions (formula, grain, window, edge cases): ``docs/definitions.md``, generated
from ``cskpi_analysis/catalogue.toml``; this module only selects from the marts.

Examples
--------
>>> from cskpi_analysis.warehouse import open_warehouse
>>> from cskpi_analysis.stage_kpis import stage_view
>>> wh = open_warehouse("data/demo")                       # doctest: +SKIP
>>> stage_view(wh, "onboarding", segment="SMB")              # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import duckdb
import pandas as pd

from cskpi_analysis.catalogue import STAGES, stage_kpis
from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.kpis import check_segment

PeriodGrain = Literal["month", "quarter"]

#: Columns of :func:`stage_view`, in order.
STAGE_VIEW_COLUMNS: tuple[str, ...] = (
    "kpi_id", "name", "indicator", "month", "value", "numerator", "denominator", "value_lower", "value_upper",
    "paired_with", "paired_name", "paired_value", "question", "computed_by",
)  # fmt: skip


def _check_stage(stage: str) -> None:
    if stage not in STAGES:
        raise AnalysisError(f"stage must be one of {', '.join(STAGES)}, got {stage!r}")


def stage_kpis_monthly(con: duckdb.DuckDBPyConnection, stage: str | None = None, segment: str = "All") -> pd.DataFrame:
    """``mart_stage_kpis_monthly`` for one segment (and one stage's KPIs), long format, oldest first."""
    check_segment(con, segment)
    frame = con.execute(
        "select * from mart_stage_kpis_monthly where segment = $segment order by kpi_id, month", {"segment": segment}
    ).df()
    if stage is not None:
        _check_stage(stage)
        frame = frame[frame["kpi_id"].isin([k.id for k in stage_kpis(stage)])].reset_index(drop=True)
    return frame


def _wide(con: duckdb.DuckDBPyConnection, stage: str, segment: str) -> pd.DataFrame:
    """One row per month: each KPI of the stage as ``<id>``, ``<id>_numerator``, ``<id>_denominator``."""
    long = stage_kpis_monthly(con, stage, segment)
    months = con.execute("select month, is_complete_month from int_months order by month").df()
    out = months.copy()
    for kpi_id in [k.id for k in stage_kpis(stage)]:
        part = long[long["kpi_id"] == kpi_id]
        if part.empty:
            continue
        part = part.set_index("month")
        out[kpi_id] = out["month"].map(part["value"])
        out[f"{kpi_id}_numerator"] = out["month"].map(part["numerator"])
        out[f"{kpi_id}_denominator"] = out["month"].map(part["denominator"])
        if part["value_lower"].notna().any():
            out[f"{kpi_id}_lower"] = out["month"].map(part["value_lower"])
            out[f"{kpi_id}_upper"] = out["month"].map(part["value_upper"])
    return out


def onboarding_kpis(con: duckdb.DuckDBPyConnection, segment: str = "All") -> pd.DataFrame:
    """Onboarding KPIs by start cohort month: time to first value (median, p90, days),
    activation rate (first value within 30 days) and onboarding completion rate (within 90 days).

    One row per month; each KPI with ``_numerator`` and ``_denominator`` columns. A KPI whose
    data is absent (no milestones) has no columns.
    """
    return _wide(con, "onboarding", segment)


def adoption_kpis(con: duckdb.DuckDBPyConnection, segment: str = "All") -> pd.DataFrame:
    """Adoption KPIs by month: feature adoption early (by start cohort) and ongoing, breadth of
    use, share of accounts with 3+ active users, engagement score (0-100)."""
    return _wide(con, "adoption", segment)


def retention_kpis(con: duckdb.DuckDBPyConnection, segment: str = "All") -> pd.DataFrame:
    """Retention KPIs by month: customer retention rate, downgrade rate, annual renewal rate,
    and the core retention rates copied from ``mart_kpis_monthly`` / ``mart_retention_t12m``."""
    return _wide(con, "retention", segment)


def expansion_kpis(con: duckdb.DuckDBPyConnection, segment: str = "All") -> pd.DataFrame:
    """Expansion KPIs by month: expansion rate, expansion revenue rate, quick ratio, ARPA, ARR,
    average revenue per expansion account; by start cohort: activation-to-expansion rate and
    time to first expansion (median days)."""
    return _wide(con, "expansion", segment)


def advocacy_kpis(con: duckdb.DuckDBPyConnection, segment: str = "All") -> pd.DataFrame:
    """Advocacy KPIs by month: NPS with its 95% interval (``net_promoter_score_lower``/``_upper``)."""
    return _wide(con, "advocacy", segment)


def support_kpis(con: duckdb.DuckDBPyConnection, segment: str = "All") -> pd.DataFrame:
    """Support KPIs by month: average resolution time and median first response time (hours),
    CSAT (mean and share rated 4-5), ticket volume."""
    return _wide(con, "support", segment)


def net_promoter_score(
    con: duckdb.DuckDBPyConnection, segment: str = "All", grain: PeriodGrain = "month"
) -> pd.DataFrame:
    """NPS by month or quarter: promoters, passives, detractors, responses, ``nps`` and its 95% interval.

    ``nps = 100 * (promoters - detractors) / responses`` over each account's latest response
    in the period; interval ``nps ± 100 * 1.96 * sqrt((p + d - (p - d)^2) / n)``, clipped to [-100, 100].
    """
    if grain not in ("month", "quarter"):
        raise AnalysisError(f"NPS grain must be 'month' or 'quarter', got {grain!r}")
    check_segment(con, segment)
    return con.execute(
        "select * from mart_stage_nps where period_grain = $grain and segment = $segment order by period",
        {"grain": grain, "segment": segment},
    ).df()


def feature_adoption(con: duckdb.DuckDBPyConnection, segment: str = "All", feature: str | None = None) -> pd.DataFrame:
    """``mart_stage_feature_adoption`` for one segment (and one feature), oldest month first."""
    check_segment(con, segment)
    frame = con.execute(
        "select * from mart_stage_feature_adoption where segment = $segment order by feature, month",
        {"segment": segment},
    ).df()
    if feature is not None:
        frame = frame[frame["feature"] == feature].reset_index(drop=True)
    return frame


def _latest_complete_month(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    row = con.execute("select max(month) from int_months where is_complete_month").fetchone()
    return row[0] if row else None


def stage_view(con: duckdb.DuckDBPyConnection, stage: str, segment: str = "All") -> pd.DataFrame:
    """The stage's computable KPIs at the latest complete month, leading beside lagging.

    For each KPI, the latest complete month with a value (cohort KPIs such as the
    activation rate need their 30 or 90 days observed, so their latest value is older);
    ``month`` says which. Leading KPIs come first, then lagging ones, each lagging KPI
    with the value of the leading KPI paired with it (``paired_name``, ``paired_value``).
    KPIs computed elsewhere (cohorts, health score, survival) are listed with an empty
    value and their ``computed_by``.

    Columns: :data:`STAGE_VIEW_COLUMNS`.
    """
    _check_stage(stage)
    check_segment(con, segment)
    latest = _latest_complete_month(con)
    values = con.execute(
        """
        select kpi_id, month, value, numerator, denominator, value_lower, value_upper
        from mart_stage_kpis_monthly
        where segment = $segment and is_complete_month and value is not null
        qualify row_number() over (partition by kpi_id order by month desc) = 1
        """,
        {"segment": segment},
    ).df()
    by_id = values.set_index("kpi_id") if not values.empty else pd.DataFrame()
    rows = []
    for kpi in stage_kpis(stage):
        if not kpi.computable:
            continue
        found = kpi.id in by_id.index
        record = by_id.loc[kpi.id] if found else None
        rows.append(
            {
                "kpi_id": kpi.id,
                "name": kpi.name,
                "indicator": kpi.indicator,
                "month": record["month"] if found else latest,
                "value": float(record["value"]) if found else None,
                "numerator": record["numerator"] if found else None,
                "denominator": record["denominator"] if found else None,
                "value_lower": record["value_lower"] if found else None,
                "value_upper": record["value_upper"] if found else None,
                "paired_with": kpi.paired_with or None,
                "question": kpi.question,
                "computed_by": kpi.computed_by,
            }
        )
    frame = pd.DataFrame(rows, columns=[c for c in STAGE_VIEW_COLUMNS if c not in ("paired_name", "paired_value")])
    from cskpi_analysis.catalogue import load_catalogue

    names = {k.id: k.name for k in load_catalogue()}
    all_values = by_id["value"] if not values.empty else pd.Series(dtype=float)
    frame["paired_name"] = frame["paired_with"].map(lambda p: names.get(p) if p else None)
    frame["paired_value"] = frame["paired_with"].map(lambda p: all_values.get(p) if p else None)
    frame["month"] = pd.to_datetime(frame["month"]).dt.date  # one type, whichever source it came from
    return frame.loc[:, list(STAGE_VIEW_COLUMNS)]
