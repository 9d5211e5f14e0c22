"""The benchmarks' vocabulary, derived from the registry (``catalogue.toml``), and :class:`UserKpi`.

A KPI is named by its catalogue id everywhere (``net_revenue_retention_t12m``): in a benchmarks frame,
in a :class:`UserKpi` and in a comparison. The registry's ``benchmark`` of each catalogue KPI says
which *measure* it is (a ``[benchmark_kpis]`` id, the benchmarks file's ``kpi`` column: an annual and
a monthly logo churn are both the measure ``logo_churn_rate``), in which form and on which basis.
Measures only group KPIs that can be compared (same measure, or its exact complement).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cskpi_analysis import catalogue
from cskpi_analysis.errors import AnalysisError

_BENCHMARKED = tuple(k for k in catalogue.load_catalogue() if k.benchmark is not None)
_MEASURES = {b.id: b for b in catalogue.benchmark_kpis()}

#: The catalogue KPIs compared with published benchmarks (those with a ``benchmark`` in the registry),
#: in catalogue order: the ids of the ``kpi`` column of a benchmarks frame and of a comparison.
KPI_IDS: tuple[str, ...] = tuple(k.id for k in _BENCHMARKED)

#: Each such KPI's registry mapping: its measure (the file's ``kpi``), its form and its basis.
BENCHMARK_OF: dict[str, catalogue.BenchmarkMapping] = {
    k.id: k.benchmark for k in _BENCHMARKED if k.benchmark is not None
}

#: The measures of the benchmarks file (its ``kpi`` column, ``[benchmark_kpis]`` of the registry).
MEASURES: tuple[str, ...] = tuple(_MEASURES)

#: Whether a higher value is better for the company, by catalogue id.
HIGHER_IS_BETTER: dict[str, bool] = {k.id: bool(k.higher_is_better) for k in _BENCHMARKED}

#: What each KPI counts (the registry's ``benchmark.basis``): comparing across bases (logos vs
#: revenue) is never exact.
KPI_BASIS: dict[str, str] = {kpi: mapping.basis for kpi, mapping in BENCHMARK_OF.items()}

#: Exact complements between measures on the same base and period: value = 1 - complement.
COMPLEMENTS: dict[str, str] = {
    "logo_retention": "logo_churn_rate",
    "logo_churn_rate": "logo_retention",
    "gross_revenue_retention": "gross_mrr_churn_rate",
    "gross_mrr_churn_rate": "gross_revenue_retention",
}

PERIODS: tuple[str, ...] = ("monthly", "annual")
FORMS: tuple[str, ...] = catalogue.BENCHMARK_FORMS
SEGMENT_KINDS: tuple[str, ...] = ("all", "segment", "acv_band")
STATISTICS: tuple[str, ...] = ("median", "mean", "p10", "p25", "p75", "p90")
RELIABILITIES: tuple[str, ...] = ("high", "medium", "low")

#: Forms whose period does not matter for a comparison (a score, a duration).
_PERIODLESS_FORMS = frozenset({"survey_score", "days"})

#: The period of our value in each form it is measured in (a T12M figure is annual; a score or a
#: duration has none).
_FORM_PERIODS: dict[str, str] = {"monthly_rate": "monthly", "t12m": "annual", "annual_rate": "annual"}

#: Each KPI's words in sentences: the ``label`` of its measure in ``[benchmark_kpis]``.
_LABELS: dict[str, str] = {kpi: _MEASURES[mapping.kpi].label for kpi, mapping in BENCHMARK_OF.items()}

#: Face-value lines, used ONLY to word :func:`market_context_sentence` ("looks healthy
#: on its own"), never for a verdict: catalogue id -> line (in the KPI's direction).
#: Provenance (rows of the shared source list): NRR 100% = the base grows on its own
#: (seed 003; row 136 Gainsight ">100%"); GRR 90% = rows 20 and 25 ("for Enterprise
#: SaaS 90%", Bessemer ">90%"); logo retention 80% = row 91 (two thirds of companies
#: "retain 80%+ of logos"), annual logo churn 20% its complement; monthly logo churn
#: 2% = row 32 (ChartMogul: "target a customer churn rate of <2% per month").
FACE_VALUE_LINES: dict[str, float] = {
    "net_revenue_retention_t12m": 1.00,
    "net_revenue_retention": 1.00,
    "gross_revenue_retention_t12m": 0.90,
    "logo_retention_t12m": 0.80,
    "logo_churn_rate_annual": 0.20,
    "logo_churn_rate": 0.02,
}

COMPOUNDING_NOTE = "converted by compounding; assumes a constant monthly rate"
NOT_COMPARABLE = "not comparable, shown for context"

_RELIABILITY_RANK = {"high": 0, "medium": 1, "low": 2}
_MATCH_RANK = {"segment": 0, "acv_band": 1, "all": 2}


def _measure(kpi: str) -> str:
    """The measure of a benchmarked catalogue KPI (``logo_churn_rate_annual`` -> ``logo_churn_rate``)."""
    return BENCHMARK_OF[kpi].kpi


@dataclass(frozen=True)
class UserKpi:
    """One of the company's own KPI values, as measured by the KPI engine.

    Attributes
    ----------
    kpi : its catalogue id, one of :data:`KPI_IDS`, e.g. ``"logo_churn_rate"`` (monthly) or
        ``"net_revenue_retention_t12m"``; its form and period follow from the registry.
    value : the value; rates as fractions (0.035 for 3.5 %/month, 1.02 for 102 % NRR).
    segment : the company's segment the value is for (``"All"`` for the whole base).
    numerator, denominator : the counts or amounts behind a rate (``value = numerator / denominator``).
    as_of_month : the month the value is measured at (first day), date or ISO string.

    Raises
    ------
    AnalysisError
        When ``kpi`` is not a catalogue KPI compared with a benchmark.
    """

    kpi: str
    value: float
    segment: str
    numerator: float | None
    denominator: float | None
    as_of_month: dt.date | str

    def __post_init__(self) -> None:
        if self.kpi not in BENCHMARK_OF:
            raise AnalysisError(
                f"unknown KPI id {self.kpi!r}; expected a catalogue KPI with a benchmark: {', '.join(KPI_IDS)}"
            )

    @property
    def form(self) -> str:
        """The form of the value (the registry's ``benchmark.form``): one of :data:`FORMS`:
        ``"monthly_rate"``, ``"t12m"`` (trailing twelve months, an annual cohort form),
        ``"annual_rate"``, ``"survey_score"``, ``"days"``."""
        return BENCHMARK_OF[self.kpi].form

    @property
    def period(self) -> str:
        """``"monthly"`` or ``"annual"`` by its form; ``""`` for a score or a duration."""
        return _FORM_PERIODS.get(self.form, "")
