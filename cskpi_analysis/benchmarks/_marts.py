"""The company's KPIs to benchmark, read from the KPI engine's marts, and its ACV per account."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from cskpi_analysis import catalogue
from cskpi_analysis.benchmarks._vocabulary import UserKpi
from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.kpis import pooled, segment_hint


def _latest_complete(frame: pd.DataFrame, segment: str, name: str) -> pd.DataFrame:
    rows = frame[frame["segment"] == segment]
    if rows.empty:
        present = sorted(map(str, frame["segment"].unique()))
        raise AnalysisError(
            f"{name} has no rows for segment {segment!r}{segment_hint(segment, present)}; "
            f"segments present: {', '.join(present) or 'none'}"
        )
    complete = rows[rows["is_complete_month"].astype(bool)] if "is_complete_month" in rows else rows
    if complete.empty:
        raise AnalysisError(f"{name} has no complete month for segment {segment!r}")
    return complete.assign(month=pd.to_datetime(complete["month"])).sort_values("month")


def _ratio(numerator: float, denominator: float) -> float | None:
    if denominator is None or not math.isfinite(denominator) or denominator == 0:
        return None
    return float(numerator) / float(denominator)


def _measured() -> list[tuple[str, catalogue.Pooling, str]]:
    """The catalogue KPIs benchmarked from the KPI marts, in catalogue order, as (id, pooling, mart
    column): those with a benchmark and a pooling rule, pooled from ``mart_kpis_monthly`` or read at
    a month from ``mart_retention_t12m``."""
    out = []
    for kpi in catalogue.load_catalogue():
        if kpi.benchmark is None or kpi.pooling is None or kpi.mart_column is None:
            continue
        mart, column = kpi.mart_column
        if mart == ("mart_kpis_monthly" if kpi.pooling.pooled else "mart_retention_t12m"):
            out.append((kpi.id, kpi.pooling, column))
    return out


def user_kpis_from_marts(
    kpis_monthly: pd.DataFrame, retention_t12m: pd.DataFrame, segment: str = "All"
) -> list[UserKpi]:
    """The company's KPIs to benchmark, from the KPI engine's marts.

    The KPIs are the catalogue KPIs of these marts with a ``benchmark`` and a ``pooling`` rule,
    in catalogue order, each named by its catalogue id (its form and period follow from the
    registry's ``benchmark``). Measured at M, the latest complete month of
    ``mart_kpis_monthly`` for ``segment``:

    * monthly rates (logo churn, gross MRR churn, GRR, NRR), pooled over the last 12
      complete months up to M (fewer when the history is shorter) by
      :func:`cskpi_analysis.kpis.pooled`, the engine's headline definition: sum(numerator) /
      sum(denominator) of the catalogue's pooling columns;
    * T12M GRR, NRR and logo retention from ``mart_retention_t12m`` at month M.

    A KPI whose denominator is zero or whose T12M row is missing (less than a year of
    history) is left out. The inputs are not modified.

    Raises
    ------
    AnalysisError
        When the segment has no rows, or no complete month.
    """
    monthly = _latest_complete(kpis_monthly, segment, "mart_kpis_monthly")
    last_month = monthly["month"].iloc[-1]
    window = monthly.tail(12)
    as_of_month = last_month.date()
    t12m = retention_t12m[retention_t12m["segment"] == segment]
    t12m = t12m[pd.to_datetime(t12m["month"]) == last_month]
    kpis: list[UserKpi] = []
    for kpi_id, pooling, column in _measured():
        if pooling.pooled:
            result = pooled(window, kpi_id)
            numerator, denominator = result.numerator, result.denominator
        else:
            if t12m.empty:
                continue
            numerator, denominator = t12m.iloc[0][f"{column}_numerator"], t12m.iloc[0][f"{column}_denominator"]
            if pd.isna(numerator) or pd.isna(denominator):
                continue
            numerator, denominator = float(numerator), float(denominator)
        value = _ratio(numerator, denominator)
        if value is not None:
            kpis.append(UserKpi(kpi_id, value, segment, numerator, denominator, as_of_month))
    return kpis


def average_acv_from_marts(kpis_monthly: pd.DataFrame, segment: str = "All") -> float | None:
    """ACV per account at the latest complete month: ``12 * mrr_start / accounts_start``.

    None when there were no accounts at the start of that month.
    """
    monthly = _latest_complete(kpis_monthly, segment, "mart_kpis_monthly")
    last = monthly.iloc[-1]
    per_account = _ratio(float(last["mrr_start"]), float(last["accounts_start"]))
    return None if per_account is None else 12.0 * per_account


#: Columns of :func:`user_kpis_frame`, in order.
USER_KPI_COLUMNS: tuple[str, ...] = (
    "kpi", "period", "form", "segment", "value", "numerator", "denominator", "as_of_month",
)  # fmt: skip


def user_kpis_frame(user_kpis: Sequence[UserKpi]) -> pd.DataFrame:
    """The company's KPIs as a frame (:data:`USER_KPI_COLUMNS`): one row per KPI, keyed by its
    catalogue id (``kpi``), with the period and form the registry gives it."""
    return pd.DataFrame(
        [{c: getattr(k, c) for c in USER_KPI_COLUMNS} for k in user_kpis], columns=list(USER_KPI_COLUMNS)
    )
