"""The KPI engine: build the marts over a data folder and read KPIs from them.

Every number comes from the SQL models in ``cskpi_analysis/sql/``, built once into a
:class:`~cskpi_analysis.warehouse.Warehouse`; this module only selects from its marts. Definitions (one per KPI, with formula, grain, window and edge cases) are in
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
>>> from cskpi_analysis.kpis import kpis_monthly
>>> from cskpi_analysis.warehouse import open_warehouse
>>> wh = open_warehouse("data/demo")                       # doctest: +SKIP
>>> kpis_monthly(wh, segment="SMB", months=12)             # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import duckdb
import pandas as pd

from cskpi_analysis import catalogue
from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.warehouse import Reader, Warehouse, kept

CohortGrain = Literal["month", "quarter"]


def _mart_column(kpi: catalogue.KpiDefinition) -> str:
    if kpi.mart_column is None:  # the catalogue refuses a headline KPI that is not a mart column
        raise AnalysisError(f"{kpi.id}: computed_by {kpi.computed_by!r} is not a mart column")
    return kpi.mart_column[1]


#: The headline KPIs, in reporting order: (id, mart column, label, higher is better), from the
#: catalogue (``headline``, ``computed_by``, ``label`` and ``higher_is_better`` in catalogue.toml).
HEADLINE: tuple[tuple[str, str, str, bool], ...] = tuple(
    (k.id, _mart_column(k), k.label, bool(k.higher_is_better)) for k in catalogue.headline()
)


@dataclass(frozen=True)
class Pooled:
    """A rate pooled over a window of months, with the counts behind it.

    Attributes
    ----------
    value : ``numerator / denominator``; None when the denominator is 0 (or not finite).
    numerator, denominator : the sums over the window.
    months : the number of months (rows) in the window.
    """

    value: float | None
    numerator: float
    denominator: float
    months: int


def pooled(window: pd.DataFrame, kpi: str) -> Pooled:
    """A KPI pooled over the months of ``window``: sum of numerators / sum of denominators.

    The columns are the KPI's pooling rule in the catalogue (``pooling`` in catalogue.toml, e.g.
    ``nrr_numerator`` and ``nrr_denominator`` for ``net_revenue_retention``), so a month with a
    larger base weighs more: the result is the average monthly rate of the window.

    Parameters
    ----------
    window : rows of the KPI's mart, one per month (already filtered to the segment and months).
    kpi : a catalogue id whose pooling names columns (not ``"none"``).

    Examples
    --------
    >>> frame = pd.DataFrame({"nrr_numerator": [99.0, 103.0], "nrr_denominator": [100.0, 100.0]})
    >>> pooled(frame, "net_revenue_retention")
    Pooled(value=1.01, numerator=202.0, denominator=200.0, months=2)
    """
    rule = catalogue.get_kpi(kpi).pooling
    if rule is None or not rule.pooled:
        raise AnalysisError(f"{kpi} is not pooled over months (its pooling is not numerator and denominator columns)")
    numerator = float(window[rule.numerator].sum())
    denominator = float(window[rule.denominator].sum())
    value = numerator / denominator if denominator and math.isfinite(denominator) else None
    return Pooled(value, numerator, denominator, len(window))


def _frame(con: Reader, sql: str, parameters: dict[str, Any] | None = None) -> pd.DataFrame:
    return con.execute(sql, parameters or {}).df()


def _segment_names(con: Reader) -> pd.DataFrame:
    return _frame(con, "select distinct segment from mart_kpis_monthly where segment <> 'All' order by segment")


def segments(con: Reader) -> list[str]:
    """Segments present in the data, 'All' first (kept beside a warehouse file: read once)."""
    return ["All", *kept(con, "segments", _segment_names)["segment"]]


def segment_hint(segment: object, known: Sequence[str]) -> str:
    """`` (did you mean 'SMB'?)`` when ``segment`` matches a known segment but for case and
    surrounding white space, else ""."""
    if not isinstance(segment, str):
        return ""
    wanted = segment.strip().casefold()
    matches = [name for name in known if name.casefold() == wanted and name != segment]
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def check_segment(con: Reader, segment: str) -> None:
    """Refuse a segment the data does not have: the one segment rule of every reader.

    Every reader that takes a ``segment`` (here, in :mod:`~cskpi_analysis.stage_kpis`,
    :mod:`~cskpi_analysis.overview`, :mod:`~cskpi_analysis.summary` and
    :func:`cskpi_analysis.indicators.worklist`) calls it first, so a misspelt segment is an
    error everywhere instead of an empty frame or NaN. ``'All'`` is always known; the others
    are :func:`segments` (the segments of ``mart_kpis_monthly``), matched exactly.

    Raises
    ------
    AnalysisError
        ``unknown segment 'Smb' (did you mean 'SMB'?); the data has All, Enterprise, SMB``:
        the segment, the case-insensitive match if there is one, and the known segments.
    """
    if segment == "All":
        return
    known = segments(con)
    if segment not in known:
        raise AnalysisError(
            f"unknown segment {segment!r}{segment_hint(segment, known)}; the data has {', '.join(known)}"
        )


def kpis_monthly(con: Reader, segment: str = "All", months: int | None = None) -> pd.DataFrame:
    """``mart_kpis_monthly`` for one segment, oldest month first; the last ``months`` if given."""
    check_segment(con, segment)
    frame = _frame(
        con,
        "select * from mart_kpis_monthly where segment = $segment order by month",
        {"segment": segment},
    )
    return frame.tail(months).reset_index(drop=True) if months else frame


def retention_t12m(con: Reader, segment: str = "All") -> pd.DataFrame:
    """``mart_retention_t12m`` for one segment, oldest month first."""
    check_segment(con, segment)
    return _frame(
        con, "select * from mart_retention_t12m where segment = $segment order by month", {"segment": segment}
    )


def cohort_retention(con: Reader, grain: CohortGrain = "month", segment: str = "All") -> pd.DataFrame:
    """``mart_cohort_retention`` for one cohort grain and segment."""
    if grain not in ("month", "quarter"):
        raise AnalysisError(f"cohort grain must be 'month' or 'quarter', got {grain!r}")
    check_segment(con, segment)
    return _frame(
        con,
        "select * from mart_cohort_retention where cohort_grain = $grain and segment = $segment "
        "order by cohort, months_since_start",
        {"grain": grain, "segment": segment},
    )


def average_retention_curve(con: Reader, grain: CohortGrain = "month", segment: str = "All") -> pd.DataFrame:
    """Retention by months since start, pooled over complete cohort cells (weighted by cohort size).

    ``logo_retention = sum(accounts_active) / sum(accounts_at_start)`` over the cohorts whose
    cell is complete, so large cohorts weigh more; ``revenue_retention`` likewise with MRR.
    """
    check_segment(con, segment)
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


def latest_complete_month(con: Reader) -> dt.date | None:
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


def headline_kpis(con: Reader, segment: str = "All") -> list[Kpi]:
    """The headline KPIs at the latest complete month.

    Trailing-twelve-month KPIs are read at that month. Monthly rates are pooled over the
    last 12 complete months: sum of numerators / sum of denominators (a month with a
    larger base weighs more), which is the average monthly rate of the year.
    """
    check_segment(con, segment)
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
    for kpi in catalogue.headline():
        higher = bool(kpi.higher_is_better)
        if kpi.pooling is not None and kpi.pooling.pooled:
            result = pooled(monthly, kpi.id)
            window = f"monthly, pooled over {result.months} months"
            out.append(
                Kpi(kpi.id, kpi.label, result.value, result.numerator, result.denominator, month, window, higher)
            )
            continue
        # not pooled: a trailing-twelve-month level, read at the month with its counts
        if t12m.empty:
            out.append(Kpi(kpi.id, kpi.label, None, 0.0, 0.0, month, "trailing 12 months", higher))
            continue
        column, row = _mart_column(kpi), t12m.iloc[0]
        num, den = float(row[f"{column}_numerator"]), float(row[f"{column}_denominator"])
        out.append(Kpi(kpi.id, kpi.label, num / den if den else None, num, den, month, "trailing 12 months", higher))
    return out


def headline_frame(con: Reader, segment: str = "All") -> pd.DataFrame:
    """:func:`headline_kpis` as a frame (one row per KPI)."""
    return pd.DataFrame([k.__dict__ for k in headline_kpis(con, segment)])


#: NRR components: (mart column of the amount, label, sign of its effect on NRR).
NRR_COMPONENTS: tuple[tuple[str, str, int], ...] = (
    ("mrr_expansion", "expansion", +1),
    ("mrr_contraction", "contraction", -1),
    ("mrr_churned", "churn", -1),
)


@dataclass(frozen=True, eq=False)
class NrrChange:
    """Pooled monthly NRR over two consecutive windows, and what changed it.

    Attributes
    ----------
    recent, before : NRR pooled over the last ``window`` complete months and the ``window`` before.
    recent_months, before_months : (first month, last month) of each window.
    contributions : one row per (``segment``, ``component``) with its ``contribution`` to the
        change, in NRR points as a fraction, smallest first; they add up to the change exactly.
    """

    recent: Pooled
    before: Pooled
    recent_months: tuple[Any, Any]
    before_months: tuple[Any, Any]
    contributions: pd.DataFrame

    @property
    def change(self) -> float:
        """Recent NRR minus the NRR before, as a fraction (-0.006 = down 0.6 points)."""
        if self.recent.value is None or self.before.value is None:  # windows are chosen with a base
            raise AnalysisError("NRR change over a window without MRR at the start of its months")
        return self.recent.value - self.before.value


def pooled_nrr_change(con: Reader, window: int = 3) -> NrrChange | None:
    """Pooled monthly NRR over the last ``window`` complete months vs the ``window`` before,
    with each (segment, component) contribution to the change.

    NRR over a window is :func:`pooled` ``net_revenue_retention`` of segment All: (sum MRR start +
    expansion - contraction - churn) / sum MRR start. The contribution of component c in segment
    s is ``sign_c * (amount_{c,s,recent} / start_recent - amount_{c,s,before} / start_before)``;
    contributions add up to the change in NRR exactly.
    Returns None when fewer than ``2 * window`` complete months with a base exist.
    """
    frame = _frame(con, "select * from mart_kpis_monthly where is_complete_month order by month")
    months = sorted(frame.loc[(frame["segment"] == "All") & (frame["mrr_start"] > 0), "month"].unique())
    if len(months) < 2 * window:
        return None
    recent, before = months[-window:], months[-2 * window : -window]
    everyone = frame[frame["segment"] == "All"]
    nrr_recent = pooled(everyone[everyone["month"].isin(recent)], "net_revenue_retention")
    nrr_before = pooled(everyone[everyone["month"].isin(before)], "net_revenue_retention")
    contributions = []
    for segment, group in frame[frame["segment"] != "All"].groupby("segment"):
        for column, label, sign in NRR_COMPONENTS:
            now = float(group[group["month"].isin(recent)][column].sum()) / nrr_recent.denominator
            then = float(group[group["month"].isin(before)][column].sum()) / nrr_before.denominator
            contributions.append({"segment": segment, "component": label, "contribution": sign * (now - then)})
    return NrrChange(
        recent=nrr_recent,
        before=nrr_before,
        recent_months=(recent[0], recent[-1]),
        before_months=(before[0], before[-1]),
        contributions=pd.DataFrame(contributions).sort_values("contribution"),
    )


def mrr_bridge(con: Reader, segment: str = "All", months: int = 12) -> pd.DataFrame:
    """The MRR bridge over the last ``months`` complete months, for a waterfall chart.

    Columns: ``step`` (MRR at start, New, Expansion, Reactivation, Contraction, Churn,
    MRR at end), ``amount`` (signed), ``start``/``end`` (running total before/after).
    """
    check_segment(con, segment)
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


#: The KPI marts the sensitivity table reads (built alone for each alternative).
_SENSITIVITY_MODELS = frozenset({"mart_kpis_monthly", "mart_retention_t12m", "int_months"})


def _headline_by_segment(con: Reader) -> pd.DataFrame:
    rows = []
    for segment in segments(con):
        rows += [
            {"segment": segment, "kpi": k.kpi, "label": k.label, "value": k.value} for k in headline_kpis(con, segment)
        ]
    return pd.DataFrame(rows, columns=["segment", "kpi", "label", "value"])


def _alternative_headlines(wh: Warehouse, changes: dict[str, Any]) -> pd.DataFrame:
    """Headline KPIs of every segment with some KPI switches changed (only the KPI marts are built)."""
    from cskpi_analysis.models import run_models
    from cskpi_analysis.sources import register_sources
    from cskpi_analysis.warehouse import model_parameters

    config = wh.config.with_kpis(**changes)
    con = duckdb.connect(":memory:")
    try:
        register_sources(con, wh.data_dir, config)
        run_models(con, model_parameters(config, _presence(wh)), targets=set(_SENSITIVITY_MODELS))
        return _headline_by_segment(con)
    finally:
        con.close()


def _presence(wh: Warehouse) -> dict[str, Any]:
    return {k: v for k, v in wh.parameters.items() if k.startswith("has_")}


def sensitivity_table(wh: Warehouse) -> pd.DataFrame:
    """The sensitivity table of every segment (column ``segment``), computed once per warehouse.

    See :func:`sensitivity`. Each alternative rebuilds only the KPI marts, in memory; the
    result is kept beside the warehouse (:meth:`~cskpi_analysis.warehouse.Warehouse.cached`),
    so a segment change only filters it.
    """

    def compute(wh: Warehouse) -> pd.DataFrame:
        base = _headline_by_segment(wh).rename(columns={"value": "baseline"})
        for label, changes in SENSITIVITY_ALTERNATIVES:
            other = _alternative_headlines(wh, changes)[["segment", "kpi", "value"]].rename(columns={"value": label})
            base = base.merge(other, on=["segment", "kpi"], how="left")
            base[f"{label} (pp)"] = [
                None if pd.isna(value) or pd.isna(start) else round(100 * (value - start), 2)
                for value, start in zip(base[label], base["baseline"], strict=True)
            ]
        return base

    return wh.cached("sensitivity", compute)


def sensitivity(wh: Warehouse, segment: str = "All") -> pd.DataFrame:
    """How much the headline KPIs of one segment move under each alternative definition.

    One row per headline KPI: the value under the configured definitions (``baseline``),
    under each alternative in :data:`SENSITIVITY_ALTERNATIVES`, and the change in
    percentage points (``<alternative> (pp)``). Computed once for all segments
    (:func:`sensitivity_table`).
    """
    check_segment(wh, segment)
    table = sensitivity_table(wh)
    out = table[table["segment"] == segment].drop(columns="segment").reset_index(drop=True)
    return out.astype({c: "float64" for c in out.columns if c not in ("kpi", "label")})
