"""Put your KPIs in market context: curated category benchmarks and the comparison logic.

An absolute number says little on its own: 88% annual logo retention is weak when
peers keep 94% and strong when they keep 80% (seed 003, "The Context Problem: Good
Numbers in a Bad Market"). This module compares a company's KPIs with public
category benchmarks, and refuses comparisons that would mislead.

The benchmarks are a curated file, ``cskpi_analysis/data/benchmarks.csv``: one
published figure a row, with its source, year, definition, reliability and the row of
the raw source list it came from. ``docs/benchmarks.md`` says where every row comes
from and what was dropped.

One identity per KPI: its catalogue id (``net_revenue_retention_t12m``), in the ``kpi`` column
of every frame here and in :class:`UserKpi`. The file's own ``kpi`` column names a *measure*
(``[benchmark_kpis]`` of the catalogue) whatever the period and form of the figure; each
catalogue KPI that is benchmarked names the measure and form it is (``benchmark`` in
catalogue.toml), and :func:`load_benchmarks` maps each row's ``kpi`` and ``form`` to that
catalogue id once, at load (``("net_revenue_retention", "t12m")`` is
``net_revenue_retention_t12m``; a pair no catalogue KPI takes is refused). The labels,
directions and bases below are derived from the catalogue.

Matching, per user KPI
----------------------
1. Benchmarks of the same measure, in any form, or of its exact complement on the same base
   (logo retention = 1 - logo churn; GRR = 1 - gross MRR churn).
2. Peer group: rows for the user's named segment (``SMB``, ...) if any; else the
   ACV band holding ``acv`` (ACV = 12 x MRR per account); else rows for ``All``.
3. One output row per benchmark source (its median, p25, p75 and mean side by side).

Conversions, and only where exact
---------------------------------
* monthly logo churn -> annual by compounding, ``1 - (1 - m)**12`` (assumes a
  constant monthly rate; the comparison is flagged);
* a retention rate -> its churn complement, ``1 - r`` (an identity on the same base).

Everything else that differs in period or form is "not comparable, shown for
context" and gets no verdict: monthly NRR is never turned into trailing-twelve-month
NRR (expansion compounds on a base that changes every month), nor monthly GRR or
monthly revenue churn into annual ones.

Examples
--------
>>> from cskpi_analysis.benchmarks import UserKpi, compare, load_benchmarks
>>> ours = [UserKpi("net_revenue_retention_t12m", 0.97, "All", 970.0, 1000.0, "2026-08-01")]
>>> comparison = compare(ours, load_benchmarks(), acv=18_000)
>>> comparison[["benchmark_segment", "benchmark_median", "verdict"]].to_dict("records")
[{'benchmark_segment': 'ACV $12K-$25K', 'benchmark_median': 1.02, 'verdict': 'below market'}]

Layout (private modules; the names below are the package's API):

* ``_vocabulary``: the tables derived from the registry (ids, directions, bases, labels),
  the constants of the file, and :class:`UserKpi`;
* ``_table``: reading and validating a benchmarks file, each row mapped to its catalogue id;
* ``_position``: the ACV band, compounding, the percentile position and the verdict;
* ``_compare``: definition warnings, exact conversions and :func:`compare`;
* ``_sentences``: the market context sentence, the scorecard's market position, the reconciliation;
* ``_marts``: the company's KPIs and ACV from the KPI engine's marts.
"""

from __future__ import annotations

from cskpi_analysis.benchmarks._compare import COMPARISON_COLUMNS, compare, definition_warnings
from cskpi_analysis.benchmarks._marts import (
    USER_KPI_COLUMNS,
    average_acv_from_marts,
    user_kpis_frame,
    user_kpis_from_marts,
)
from cskpi_analysis.benchmarks._position import (
    acv_band,
    compound_monthly_churn,
    percentile_position,
    verdict_from_benchmark,
)
from cskpi_analysis.benchmarks._sentences import (
    SCORECARD_FAMILIES,
    face_value_healthy,
    market_context_sentence,
    market_position,
    reconciliation_sentences,
)
from cskpi_analysis.benchmarks._table import BENCHMARK_COLUMNS, REQUIRED_COLUMNS, load_benchmarks, validate_benchmarks
from cskpi_analysis.benchmarks._vocabulary import (
    BENCHMARK_OF,
    COMPLEMENTS,
    COMPOUNDING_NOTE,
    FACE_VALUE_LINES,
    FORMS,
    HIGHER_IS_BETTER,
    KPI_BASIS,
    KPI_IDS,
    MEASURES,
    NOT_COMPARABLE,
    PERIODS,
    RELIABILITIES,
    SEGMENT_KINDS,
    STATISTICS,
    UserKpi,
)

__all__ = [
    "BENCHMARK_COLUMNS",
    "BENCHMARK_OF",
    "COMPARISON_COLUMNS",
    "COMPLEMENTS",
    "COMPOUNDING_NOTE",
    "FACE_VALUE_LINES",
    "FORMS",
    "HIGHER_IS_BETTER",
    "KPI_BASIS",
    "KPI_IDS",
    "MEASURES",
    "NOT_COMPARABLE",
    "PERIODS",
    "RELIABILITIES",
    "REQUIRED_COLUMNS",
    "SCORECARD_FAMILIES",
    "SEGMENT_KINDS",
    "STATISTICS",
    "USER_KPI_COLUMNS",
    "UserKpi",
    "acv_band",
    "average_acv_from_marts",
    "compare",
    "compound_monthly_churn",
    "definition_warnings",
    "face_value_healthy",
    "load_benchmarks",
    "market_context_sentence",
    "market_position",
    "percentile_position",
    "reconciliation_sentences",
    "user_kpis_frame",
    "user_kpis_from_marts",
    "validate_benchmarks",
    "verdict_from_benchmark",
]
