"""Comparing the company's KPIs with the matching benchmarks: peer group, exact conversions only,
definition warnings, one row per KPI and benchmark source (:func:`compare`)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from cskpi_analysis.benchmarks._position import (
    _pct,
    acv_band,
    compound_monthly_churn,
    percentile_position,
    verdict_from_benchmark,
)
from cskpi_analysis.benchmarks._vocabulary import (
    _LABELS,
    _PERIODLESS_FORMS,
    _RELIABILITY_RANK,
    BENCHMARK_OF,
    COMPLEMENTS,
    COMPOUNDING_NOTE,
    HIGHER_IS_BETTER,
    KPI_BASIS,
    KPI_IDS,
    NOT_COMPARABLE,
    UserKpi,
    _measure,
)
from cskpi_analysis.errors import AnalysisError


def definition_warnings(user: UserKpi, benchmark_kpi: str, period: str, form: str, statistic: str) -> list[str]:
    """Every way a user KPI's definition differs from a benchmark's, in plain words.

    ``benchmark_kpi`` is the catalogue id of the benchmark figure (the ``kpi`` of a benchmarks
    frame), ``period`` and ``form`` its published period and form.

    Covers: logo vs revenue basis, monthly vs annual period, trailing-twelve-month
    cohort vs annual or monthly rate, a complement (retention vs churn), and a mean
    benchmark (pulled by outliers) compared with a single company's value.
    """
    warnings: list[str] = []
    ours, theirs = _measure(user.kpi), _measure(benchmark_kpi)
    user_basis, bench_basis = KPI_BASIS.get(user.kpi), KPI_BASIS.get(benchmark_kpi)
    if user_basis != bench_basis:
        warnings.append(
            f"{user_basis} vs {bench_basis}: your KPI counts {user_basis}s, the benchmark counts {bench_basis}"
        )
    periodless = user.form in _PERIODLESS_FORMS and form in _PERIODLESS_FORMS
    if user.period != period and not periodless:
        warnings.append(f"{user.period} vs {period}: your value is {user.period}, the benchmark is {period}")
    if user.form != form and not periodless:
        if "t12m" in (user.form, form) and "monthly_rate" in (user.form, form) and ours == theirs:
            warnings.append(
                f"T12M vs monthly {_LABELS[user.kpi]}: a trailing-twelve-month cohort figure is not a monthly rate"
            )
        elif {user.form, form} == {"t12m", "annual_rate"}:
            warnings.append("T12M cohort vs annual rate: equal only when both count the base of 12 months ago")
    if theirs != ours and COMPLEMENTS.get(ours) == theirs:
        warnings.append(
            f"compared as 1 - your {_LABELS[user.kpi]} = {_LABELS[benchmark_kpi]} (identity on the same base)"
        )
    if statistic == "mean":
        warnings.append("mean vs median: the benchmark is an average across companies, pulled by outliers")
    return warnings


def _convert(user: UserKpi, benchmark_kpi: str, period: str, form: str) -> tuple[float | None, str, str]:
    """The user's value on the benchmark's basis: (value or None, conversion done, refusal reason)."""
    value = float(user.value)
    conversion = ""
    ours, theirs = _measure(user.kpi), _measure(benchmark_kpi)
    periodless = user.form in _PERIODLESS_FORMS and form in _PERIODLESS_FORMS
    if not periodless and user.period != period:
        if ours == "logo_churn_rate" and user.period == "monthly" and period == "annual":
            value = compound_monthly_churn(value)
            conversion = f"monthly logo churn {_pct(user.value)} -> annual {_pct(value)}: {COMPOUNDING_NOTE}"
        else:
            reason = f"{user.period} {_LABELS[user.kpi]} vs {period} benchmark: no exact conversion; {NOT_COMPARABLE}"
            if ours == "net_revenue_retention":
                reason = f"monthly NRR is not T12M NRR and is never converted to it; {NOT_COMPARABLE}"
            return None, "", reason
    elif not periodless and user.form != form and {user.form, form} != {"t12m", "annual_rate"}:
        return None, "", f"{user.form} vs {form}: different forms of {_LABELS[user.kpi]}; {NOT_COMPARABLE}"
    if theirs != ours:
        complement = 1.0 - value
        step = f"1 - {_pct(value)} = {_pct(complement)} {_LABELS[benchmark_kpi]}"
        conversion = f"{conversion}; {step}" if conversion else step
        value = complement
    return value, conversion, ""


def _select_peer_rows(candidates: pd.DataFrame, segment: str, band: str | None) -> tuple[pd.DataFrame, str]:
    """Named segment, else ACV band, else All: the first level with rows."""
    if segment and segment.casefold() != "all":
        named = candidates[
            (candidates["segment_kind"] == "segment") & (candidates["segment"].str.casefold() == segment.casefold())
        ]
        if not named.empty:
            return named, "segment"
    if band is not None:
        banded = candidates[(candidates["segment_kind"] == "acv_band") & (candidates["segment"] == band)]
        if not banded.empty:
            return banded, "acv_band"
    return candidates[candidates["segment_kind"] == "all"], "all"


_GROUP_KEYS = ["kpi", "period", "form", "segment_kind", "segment", "source", "publisher", "year"]

COMPARISON_COLUMNS: tuple[str, ...] = (
    "kpi",
    "our_period",
    "our_form",
    "segment",
    "as_of_month",
    "our_value",
    "our_numerator",
    "our_denominator",
    "benchmark_kpi",
    "benchmark_period",
    "benchmark_form",
    "match",
    "benchmark_segment",
    "compared_value",
    "conversion",
    "benchmark_median",
    "benchmark_p25",
    "benchmark_p75",
    "benchmark_mean",
    "percentile",
    "percentile_phrase",
    "higher_is_better",
    "comparable",
    "verdict",
    "definition_warning",
    "source",
    "publisher",
    "year",
    "reliability",
    "definition",
    "citation",
    "benchmark_ids",
)


def compare(
    user_kpis: Sequence[UserKpi], benchmarks: pd.DataFrame, *, acv: float | None = None, tolerance: float = 0.02
) -> pd.DataFrame:
    """Compare the company's KPIs with the matching benchmarks.

    Parameters
    ----------
    user_kpis : the company's values (see :func:`user_kpis_from_marts`).
    benchmarks : a validated benchmarks frame (:func:`load_benchmarks`, ``kpi`` = catalogue ids); not modified.
    acv : the company's annual contract value per account, USD (12 x MRR per account),
        used to pick an ACV band when no row matches the named segment.
    tolerance : relative band around a lone median (or mean) read as "in line".

    Returns
    -------
    One row per user KPI x benchmark source (:data:`COMPARISON_COLUMNS`), with:
    ``kpi`` our catalogue id and ``benchmark_kpi`` the catalogue id of the benchmark figure
    (the same measure in another form, e.g. ``logo_churn_rate_annual``, or its complement);
    ``our_value`` as measured and ``compared_value`` on the benchmark's basis (after
    an exact conversion, listed in ``conversion``; NaN when not comparable);
    ``match`` = segment | acv_band | all; the benchmark's median, p25, p75, mean
    where given; ``percentile`` and ``percentile_phrase`` where both quartiles exist;
    ``higher_is_better`` for the benchmark's KPI; ``verdict`` (above market / in line
    / below market, None when not comparable); and ``definition_warning`` naming
    every definitional difference ("" when none).

    Edge cases
    ----------
    A user KPI with no matching benchmark produces no row. Monthly NRR against T12M
    NRR (or any other non-exact period change) is kept, marked "not comparable,
    shown for context", with no verdict.
    """
    band = acv_band(acv, benchmarks) if acv is not None else None
    records: list[dict[str, object]] = []
    for user in user_kpis:
        if user.kpi not in HIGHER_IS_BETTER:
            raise AnalysisError(f"unknown KPI id {user.kpi!r}; expected one of {', '.join(KPI_IDS)}")
        ours = _measure(user.kpi)
        family = {ours, COMPLEMENTS.get(ours, ours)}  # measures: same measure in any form, or its complement
        measures = benchmarks["kpi"].map(lambda kpi: BENCHMARK_OF[kpi].kpi if kpi in BENCHMARK_OF else None)
        candidates = benchmarks[measures.isin(family)]
        peers, match = _select_peer_rows(candidates, user.segment, band)
        if peers.empty:
            continue
        for keys, group in peers.groupby(_GROUP_KEYS, sort=False, dropna=False):
            key = dict(zip(_GROUP_KEYS, keys, strict=True))
            stats = {s: float(group.loc[group["statistic"] == s, "value"].iloc[0]) for s in group["statistic"].unique()}
            median, p25, p75, mean = (stats.get(s, math.nan) for s in ("median", "p25", "p75", "mean"))
            compared, conversion, refusal = _convert(user, key["kpi"], key["period"], key["form"])
            central_statistic = "median" if "median" in stats else "mean" if "mean" in stats else "other"
            warnings = definition_warnings(user, key["kpi"], key["period"], key["form"], central_statistic)
            if conversion.startswith("monthly logo churn"):
                warnings.append(f"monthly logo churn {COMPOUNDING_NOTE}")
            if refusal:
                # no comparison was made, so an identity used to compare would be misleading
                warnings = [w for w in warnings if not w.startswith("compared as 1 - your")]
                warnings.append(refusal)
            higher_is_better = HIGHER_IS_BETTER[key["kpi"]]
            percentile, phrase = (None, "")
            verdict = None
            if compared is not None:
                percentile, phrase = percentile_position(compared, p25, median, p75)
                verdict = verdict_from_benchmark(
                    compared,
                    higher_is_better=higher_is_better,
                    median=median,
                    p25=p25,
                    p75=p75,
                    mean=mean,
                    tolerance=tolerance,
                )
            first = group.iloc[0]
            records.append(
                {
                    "kpi": user.kpi,
                    "our_period": user.period,
                    "our_form": user.form,
                    "segment": user.segment,
                    "as_of_month": str(user.as_of_month),
                    "our_value": float(user.value),
                    "our_numerator": user.numerator,
                    "our_denominator": user.denominator,
                    "benchmark_kpi": key["kpi"],
                    "benchmark_period": key["period"],
                    "benchmark_form": key["form"],
                    "match": match,
                    "benchmark_segment": key["segment"],
                    "compared_value": math.nan if compared is None else compared,
                    "conversion": conversion,
                    "benchmark_median": median,
                    "benchmark_p25": p25,
                    "benchmark_p75": p75,
                    "benchmark_mean": mean,
                    "percentile": math.nan if percentile is None else percentile,
                    "percentile_phrase": phrase,
                    "higher_is_better": higher_is_better,
                    "comparable": compared is not None,
                    "verdict": verdict,
                    "definition_warning": "; ".join(warnings),
                    "source": key["source"],
                    "publisher": key["publisher"],
                    "year": int(key["year"]),
                    "reliability": _worst_reliability(group["reliability"]),
                    "definition": str(first["definition"]),
                    "citation": str(first["citation"]),
                    "benchmark_ids": ",".join(group["benchmark_id"]),
                }
            )
    return pd.DataFrame.from_records(records, columns=list(COMPARISON_COLUMNS))


def _worst_reliability(values: pd.Series) -> str:
    return max(values, key=lambda r: _RELIABILITY_RANK.get(r, 3))
