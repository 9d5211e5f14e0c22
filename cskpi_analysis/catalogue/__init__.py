"""The KPI catalogue: one registry of definitions, by lifecycle stage.

Every KPI the suite computes, and every KPI of the reference catalogue it cannot
compute, is defined once in ``cskpi_analysis/catalogue.toml``: its stage
(onboarding, adoption, retention, expansion, advocacy, and support as the
operational family), whether it is a leading or a lagging indicator, the stage's
question, its formula in words and symbols, numerator and denominator, grain,
window, edge cases, the contract columns it reads, and where it is computed. Each
lagging KPI names the leading KPI that explains it (``paired_with``).

The registry is also the one place a KPI's identity in the reports lives: its label and short
label, unit, direction (``higher_is_better``), pooling rule, position in the headline table and
the scorecard, and the published benchmark it compares with. The tables the other modules use
(``kpis.HEADLINE``, ``summary.SCORECARD``, ``benchmarks.HIGHER_IS_BETTER``, ...) are derived from
:func:`headline`, :func:`scorecard` and :func:`benchmark_kpis`.

``docs/definitions.md`` is :func:`definitions_markdown` verbatim
(``cskpi catalogue --format markdown > docs/definitions.md``); a test keeps them equal.

Examples
--------
>>> from cskpi_analysis.catalogue import load_catalogue, stage_kpis
>>> [k.id for k in stage_kpis("onboarding") if k.computable][:2]
['time_to_first_value_median', 'time_to_first_value_p90']
>>> too_many_kpis_note(6) is None
True
>>> [k.id for k in headline()][:2]
['net_revenue_retention_t12m', 'gross_revenue_retention_t12m']
>>> get_kpi("logo_churn_rate").higher_is_better
False

Layout (private modules; the names below are the package's API):

* ``_model``: the vocabulary (stages, indicators, units, benchmark forms) and the records
  (:class:`KpiDefinition`, :class:`Pooling`, :class:`BenchmarkMapping`, :class:`BenchmarkKpi`);
* ``_registry``: reading and checking ``catalogue.toml`` (cached), and the lookups
  (:func:`load_catalogue`, :func:`get_kpi`, :func:`headline`, :func:`kpi_for_benchmark`, ...);
* ``_availability``: what a folder or a warehouse can compute, and what each missing source leaves out;
* ``_docs``: the registry as a frame, ``docs/definitions.md``, and the too-many-KPIs note.

``catalogue.toml`` stays at the top of the package data (``cskpi_analysis/catalogue.toml``), read
with ``importlib.resources``.
"""

from __future__ import annotations

from cskpi_analysis.catalogue._availability import (
    EMPTY_IS_A_VALUE,
    AvailableColumns,
    available_columns_in_connection,
    available_columns_in_folder,
    computable_here,
    left_out_here,
    left_out_sentences,
)
from cskpi_analysis.catalogue._docs import catalogue_frame, definitions_markdown, too_many_kpis_note
from cskpi_analysis.catalogue._model import (
    BENCHMARK_FORMS,
    INDICATORS,
    RECOMMENDED_KPIS,
    STAGES,
    UNITS,
    BenchmarkKpi,
    BenchmarkMapping,
    CatalogueError,
    Indicator,
    KpiDefinition,
    Pooling,
    Stage,
    StageInfo,
)
from cskpi_analysis.catalogue._registry import (
    benchmark_kpis,
    get_kpi,
    headline,
    kpi_for_benchmark,
    labels,
    load_catalogue,
    resolve_computed_by,
    scorecard,
    stage_kpis,
    stages,
)

__all__ = [
    "BENCHMARK_FORMS",
    "EMPTY_IS_A_VALUE",
    "INDICATORS",
    "RECOMMENDED_KPIS",
    "STAGES",
    "UNITS",
    "AvailableColumns",
    "BenchmarkKpi",
    "BenchmarkMapping",
    "CatalogueError",
    "Indicator",
    "KpiDefinition",
    "Pooling",
    "Stage",
    "StageInfo",
    "available_columns_in_connection",
    "available_columns_in_folder",
    "benchmark_kpis",
    "catalogue_frame",
    "computable_here",
    "definitions_markdown",
    "get_kpi",
    "headline",
    "kpi_for_benchmark",
    "labels",
    "left_out_here",
    "left_out_sentences",
    "load_catalogue",
    "resolve_computed_by",
    "scorecard",
    "stage_kpis",
    "stages",
    "too_many_kpis_note",
]
