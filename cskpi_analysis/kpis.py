"""The KPI engine: build the marts over a data folder and read KPIs from them.

Every number comes from the SQL models in ``cskpi_analysis/sql/``; this module only
binds parameters, runs the models and the reconciliation checks, and selects from the
marts. Definitions (one per KPI, with formula, grain, window and edge cases) are in
``cskpi_analysis/catalogue.toml`` and ``docs/definitions.md``; the defaults are:

=====================  =======================================================================
MRR of month M         sum of ``mrr`` of the account's subscriptions covering the snapshot day
                       (last day of M, or ``as_of`` in ``as_of``'s month): ``start_date <= day``
                       and (no ``end_date`` or ``end_date > day``).
new                    first month the account pays.
churn                  paid at end of M-1, pays nothing at end of M.
reactivation           paid nothing at end of M-1, pays at end of M, paid before.
expansion/contraction  paid both months, more / less now.
logo churn rate(M)     accounts churned in M / accounts paying at end of M-1.
GRR(M)                 (MRR start - contraction - churn) / MRR start, accounts paying at end of M-1.
NRR(M)                 (MRR start + expansion - contraction - churn) / MRR start, same base.
T12M GRR / NRR         sum(min(MRR_M, MRR_M-12)) / sum(MRR_M-12), sum(MRR_M) / sum(MRR_M-12),
                       over accounts paying at end of M-12.
=====================  =======================================================================

Examples
--------
>>> from cskpi_analysis.kpis import connect, kpis_monthly
>>> con, config = connect("data/demo")                     # doctest: +SKIP
>>> kpis_monthly(con, segment="SMB", months=12)            # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd

from cskpi_analysis.config import AnalysisConfig
from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.models import run_checks, run_models
from cskpi_analysis.sources import register_sources

CohortGrain = Literal["month", "quarter"]

#: Default landmark (days after the first paid day) and outcome horizon of the survival marts.
DEFAULT_LANDMARK_DAYS = 30
DEFAULT_HORIZON_DAYS = 365

#: The headline KPIs, in reporting order: (id, mart column, label, higher is better).
HEADLINE: tuple[tuple[str, str, str, bool], ...] = (
    ("net_revenue_retention_t12m", "nrr_t12m", "NRR (trailing 12 months)", True),
    ("gross_revenue_retention_t12m", "grr_t12m", "GRR (trailing 12 months)", True),
    ("logo_retention_t12m", "logo_retention_t12m", "Logo retention (trailing 12 months)", True),
    ("logo_churn_rate", "logo_churn_rate", "Logo churn rate (monthly, last 12 months pooled)", False),
    ("gross_mrr_churn_rate", "gross_mrr_churn_rate", "Gross MRR churn rate (monthly, last 12 months pooled)", False),
    ("net_revenue_retention", "nrr", "NRR (monthly, last 12 months pooled)", True),
    ("gross_revenue_retention", "grr", "GRR (monthly, last 12 months pooled)", True),
    ("expansion_rate", "expansion_rate", "Expansion rate (monthly, last 12 months pooled)", True),
    ("contraction_rate", "contraction_rate", "Contraction rate (monthly, last 12 months pooled)", False),
)


def model_parameters(config: AnalysisConfig) -> dict[str, Any]:
    """The bound parameters of the SQL models, from an analysis config with ``as_of`` resolved."""
    if config.as_of is None:
        raise AnalysisError("as_of is not set: validate the folder first (cskpi_analysis.validate.require_valid)")
    return {
        "as_of": config.as_of,
        "snapshot": config.kpis.snapshot,
        "grace_days": config.kpis.resignup_grace_days,
        "reactivation": config.kpis.reactivation,
        # analysis marts (landmark survival, leading indicators)
        "landmark_days": DEFAULT_LANDMARK_DAYS,
        "horizon_days": DEFAULT_HORIZON_DAYS,
        "key_features": list(config.key_features),
        "first_value_milestone": config.first_value_milestone,
        "first_value_event": config.first_value_event,
    }


def build_marts(
    data_dir: str | Path,
    config: AnalysisConfig,
    *,
    database: str | Path = ":memory:",
    parameters: dict[str, Any] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Build every model over ``data_dir`` and run the reconciliation checks.

    The folder is not validated here (see :func:`connect`). ``database`` is a DuckDB
    file to write the marts to, or ``":memory:"``. ``parameters`` override the bound
    parameters of :func:`model_parameters` (e.g. ``{"landmark_days": 60}``). A failing
    identity raises :class:`~cskpi_analysis.errors.BuildCheckError` and, for a file
    database, leaves nothing behind.
    """
    target = str(database)
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        temporary = Path(target + ".building")
        temporary.unlink(missing_ok=True)
        con = duckdb.connect(str(temporary))
    else:
        con = duckdb.connect(":memory:")
    try:
        register_sources(con, data_dir, config)
        parameters = {**model_parameters(config), **(parameters or {})}
        run_models(con, parameters)
        run_checks(con, parameters)
    except BaseException:
        con.close()
        if target != ":memory:":
            Path(target + ".building").unlink(missing_ok=True)
        raise
    if target == ":memory:":
        return con
    con.close()
    Path(target + ".building").replace(target)  # atomic: the file appears only when complete
    return duckdb.connect(target)


def connect(
    data_dir: str | Path, *, database: str | Path = ":memory:"
) -> tuple[duckdb.DuckDBPyConnection, AnalysisConfig]:
    """Validate ``data_dir`` (refusing on errors) and build the marts; the usual entry point."""
    from cskpi_analysis.validate import require_valid

    config, _report = require_valid(data_dir)
    return build_marts(data_dir, config, database=database), config


def _frame(con: duckdb.DuckDBPyConnection, sql: str, parameters: dict[str, Any] | None = None) -> pd.DataFrame:
    return con.execute(sql, parameters or {}).df()


def segments(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Segments present in the data, 'All' first."""
    rows = con.execute("select distinct segment from mart_kpis_monthly where segment <> 'All' order by segment")
    return ["All", *(r[0] for r in rows.fetchall())]


def kpis_monthly(con: duckdb.DuckDBPyConnection, segment: str = "All", months: int | None = None) -> pd.DataFrame:
    """``mart_kpis_monthly`` for one segment, oldest month first; the last ``months`` if given."""
    frame = _frame(
        con,
        "select * from mart_kpis_monthly where segment = $segment order by month",
        {"segment": segment},
    )
    if frame.empty and segment not in segments(con):
        raise AnalysisError(f"unknown segment {segment!r}; the data has {', '.join(segments(con))}")
    return frame.tail(months).reset_index(drop=True) if months else frame


def retention_t12m(con: duckdb.DuckDBPyConnection, segment: str = "All") -> pd.DataFrame:
    """``mart_retention_t12m`` for one segment, oldest month first."""
    return _frame(
        con, "select * from mart_retention_t12m where segment = $segment order by month", {"segment": segment}
    )


def cohort_retention(
    con: duckdb.DuckDBPyConnection, grain: CohortGrain = "month", segment: str = "All"
) -> pd.DataFrame:
    """``mart_cohort_retention`` for one cohort grain and segment."""
    if grain not in ("month", "quarter"):
        raise AnalysisError(f"cohort grain must be 'month' or 'quarter', got {grain!r}")
    return _frame(
        con,
        "select * from mart_cohort_retention where cohort_grain = $grain and segment = $segment "
        "order by cohort, months_since_start",
        {"grain": grain, "segment": segment},
    )


def average_retention_curve(
    con: duckdb.DuckDBPyConnection, grain: CohortGrain = "month", segment: str = "All"
) -> pd.DataFrame:
    """Retention by months since start, pooled over complete cohort cells (weighted by cohort size).

    ``logo_retention = sum(accounts_active) / sum(accounts_at_start)`` over the cohorts whose
    cell is complete, so large cohorts weigh more; ``revenue_retention`` likewise with MRR.
    """
    return _frame(
        con,
        """
        select
            months_since_start,
            count(*) as cohorts,
            sum(accounts_at_start) as accounts_at_start,
            sum(accounts_active) as accounts_active,
            cast(sum(accounts_active) as double) / sum(accounts_at_start) as logo_retention,
            cast(sum(mrr_active) as double) / cast(sum(mrr_at_start) as double) as revenue_retention
        from mart_cohort_retention
        where cohort_grain = $grain and segment = $segment and is_complete
        group by months_since_start
        order by months_since_start
        """,
        {"grain": grain, "segment": segment},
    )


def latest_complete_month(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The last month whose last day is on or before ``as_of`` (the headline month)."""
    row = con.execute("select max(month) from int_months where is_complete_month").fetchone()
    return row[0] if row else None


@dataclass(frozen=True)
class Kpi:
    """A KPI value with the counts behind it."""

    kpi: str
    label: str
    value: float | None
    numerator: float
    denominator: float
    month: dt.date | None
    window: str
    higher_is_better: bool


def headline_kpis(con: duckdb.DuckDBPyConnection, segment: str = "All") -> list[Kpi]:
    """The headline KPIs at the latest complete month.

    Trailing-twelve-month KPIs are read at that month. Monthly rates are pooled over the
    last 12 complete months: sum of numerators / sum of denominators (a month with a
    larger base weighs more), which is the average monthly rate of the year.
    """
    month = latest_complete_month(con)
    if month is None:
        return []
    t12m = _frame(
        con,
        "select * from mart_retention_t12m where segment = $segment and month = $month",
        {"segment": segment, "month": month},
    )
    monthly = _frame(
        con,
        """
        select * from mart_kpis_monthly
        where segment = $segment and is_complete_month and month > $month - interval 12 month and month <= $month
        """,
        {"segment": segment, "month": month},
    )
    out = []
    for kpi_id, column, label, higher in HEADLINE:
        if column.endswith("_t12m"):
            if t12m.empty:
                out.append(Kpi(kpi_id, label, None, 0.0, 0.0, month, "trailing 12 months", higher))
                continue
            row = t12m.iloc[0]
            num, den = float(row[f"{column}_numerator"]), float(row[f"{column}_denominator"])
            window = "trailing 12 months"
        else:
            num = float(monthly[f"{column}_numerator"].sum())
            den = float(monthly[f"{column}_denominator"].sum())
            window = f"monthly, pooled over {len(monthly)} months"
        out.append(Kpi(kpi_id, label, num / den if den else None, num, den, month, window, higher))
    return out


def headline_frame(con: duckdb.DuckDBPyConnection, segment: str = "All") -> pd.DataFrame:
    """:func:`headline_kpis` as a frame (one row per KPI)."""
    return pd.DataFrame([k.__dict__ for k in headline_kpis(con, segment)])


def mrr_bridge(con: duckdb.DuckDBPyConnection, segment: str = "All", months: int = 12) -> pd.DataFrame:
    """The MRR bridge over the last ``months`` complete months, for a waterfall chart.

    Columns: ``step`` (MRR at start, New, Expansion, Reactivation, Contraction, Churn,
    MRR at end), ``amount`` (signed), ``start``/``end`` (running total before/after).
    """
    frame = _frame(
        con,
        """
        with window_months as (
            select * from mart_kpis_monthly
            where segment = $segment and is_complete_month
            order by month desc
            limit $months
        )
        select
            min(month) as first_month,
            max(month) as last_month,
            sum(case when month = (select min(month) from window_months) then mrr_start else 0 end) as mrr_start,
            sum(mrr_new) as mrr_new,
            sum(mrr_expansion) as mrr_expansion,
            sum(mrr_reactivation) as mrr_reactivation,
            sum(mrr_contraction) as mrr_contraction,
            sum(mrr_churned) as mrr_churned,
            sum(case when month = (select max(month) from window_months) then mrr_end else 0 end) as mrr_end
        from window_months
        """,
        {"segment": segment, "months": months},
    )
    row = frame.iloc[0]
    steps = [
        ("MRR at start", float(row.mrr_start)),
        ("New", float(row.mrr_new)),
        ("Expansion", float(row.mrr_expansion)),
        ("Reactivation", float(row.mrr_reactivation)),
        ("Contraction", -float(row.mrr_contraction) or 0.0),
        ("Churn", -float(row.mrr_churned) or 0.0),
    ]
    records, running = [], 0.0
    for step, amount in steps:
        start = 0.0 if step == "MRR at start" else running
        running = start + amount
        records.append({"step": step, "amount": amount, "start": start, "end": running})
    records.append({"step": "MRR at end", "amount": float(row.mrr_end), "start": 0.0, "end": float(row.mrr_end)})
    out = pd.DataFrame(records)
    out.attrs["first_month"], out.attrs["last_month"] = row.first_month, row.last_month
    return out


#: Alternatives shown by the sensitivity table: (label, KPI switches).
SENSITIVITY_ALTERNATIVES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("snapshot at month start", {"snapshot": "start"}),
    ("re-signup grace gap of 31 days", {"resignup_grace_days": 31}),
    ("reactivation counted as new", {"reactivation": "new"}),
)


def sensitivity(data_dir: str | Path, config: AnalysisConfig, segment: str = "All") -> pd.DataFrame:
    """How much the headline KPIs move under each alternative definition.

    One row per headline KPI: the value under the configured definitions (``baseline``),
    under each alternative in :data:`SENSITIVITY_ALTERNATIVES`, and the change in
    percentage points (``<alternative> (pp)``).
    """
    variants = [("baseline", config)] + [
        (label, config.with_kpis(**changes)) for label, changes in SENSITIVITY_ALTERNATIVES
    ]
    table: dict[str, dict[str, float | None]] = {}
    labels: dict[str, str] = {}
    for label, variant in variants:
        con = build_marts(data_dir, variant)
        try:
            for kpi in headline_kpis(con, segment):
                table.setdefault(kpi.kpi, {})[label] = kpi.value
                labels[kpi.kpi] = kpi.label
        finally:
            con.close()
    rows = []
    for kpi_id, values in table.items():
        row: dict[str, Any] = {"kpi": kpi_id, "label": labels[kpi_id], "baseline": values.get("baseline")}
        for label, _ in SENSITIVITY_ALTERNATIVES:
            value = values.get(label)
            row[label] = value
            base = values.get("baseline")
            row[f"{label} (pp)"] = None if value is None or base is None else round(100 * (value - base), 2)
        rows.append(row)
    return pd.DataFrame(rows)
