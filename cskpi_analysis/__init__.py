"""cskpi: Customer Success KPI analysis from a company's own exports.

The public API is re-exported here; every KPI's definition is in ``docs/definitions.md``
(generated from ``cskpi_analysis/catalogue.toml``). Heavier analysis modules
(:mod:`cskpi_analysis.survival`, :mod:`cskpi_analysis.indicators`,
:mod:`cskpi_analysis.benchmarks`) are imported on their own.

Examples
--------
>>> from cskpi_analysis import connect, headline_kpis      # doctest: +SKIP
>>> con, config = connect("data/demo")                     # doctest: +SKIP
>>> headline_kpis(con, segment="SMB")                      # doctest: +SKIP
"""

from __future__ import annotations

from cskpi_analysis.catalogue import load_catalogue, stage_kpis
from cskpi_analysis.config import AnalysisConfig, KpiOptions, load_config
from cskpi_analysis.contract import TABLES
from cskpi_analysis.demo import generate_demo, write_demo
from cskpi_analysis.errors import (
    AnalysisError,
    BuildCheckError,
    ConfigError,
    CskpiError,
    DataContractError,
)
from cskpi_analysis.kpis import (
    average_retention_curve,
    build_marts,
    cohort_retention,
    connect,
    headline_kpis,
    kpis_monthly,
    mrr_bridge,
    retention_t12m,
    sensitivity,
)
from cskpi_analysis.stage_kpis import stage_view
from cskpi_analysis.validate import Problem, ValidationReport, require_valid, validate_dir

__all__ = [
    "TABLES",
    "AnalysisConfig",
    "AnalysisError",
    "BuildCheckError",
    "ConfigError",
    "CskpiError",
    "DataContractError",
    "KpiOptions",
    "Problem",
    "ValidationReport",
    "average_retention_curve",
    "build_marts",
    "cohort_retention",
    "connect",
    "generate_demo",
    "headline_kpis",
    "kpis_monthly",
    "load_catalogue",
    "load_config",
    "mrr_bridge",
    "require_valid",
    "retention_t12m",
    "sensitivity",
    "stage_kpis",
    "stage_view",
    "validate_dir",
    "write_demo",
]

__version__ = "0.1.0"
