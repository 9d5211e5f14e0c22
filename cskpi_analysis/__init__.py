"""cskpi: Customer Success KPI analysis from a company's own exports.

The public API is re-exported here, lazily: ``import cskpi_analysis`` imports nothing heavy
(no pandas, SciPy, statsmodels or lifelines) until a name is used, so the command line starts
fast. (``cskpi_analysis.stage_kpis`` is the module of stage KPI readers; the catalogue's
function of that name is ``cskpi_analysis.catalogue.stage_kpis``.) Every KPI's definition is in ``docs/definitions.md`` (generated from
``cskpi_analysis/catalogue.toml``). Heavier analysis modules (:mod:`cskpi_analysis.survival`,
:mod:`cskpi_analysis.indicators`, :mod:`cskpi_analysis.benchmarks`) are imported on their own.

Examples
--------
>>> from cskpi_analysis import open_warehouse, headline_kpis  # doctest: +SKIP
>>> wh = open_warehouse("data/demo")                          # doctest: +SKIP
>>> headline_kpis(wh, segment="SMB")                          # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("cskpi")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

#: Public name -> the module that defines it.
_EXPORTS: dict[str, str] = {
    "load_catalogue": "catalogue",
    "AnalysisConfig": "config",
    "KpiOptions": "config",
    "load_config": "config",
    "TABLES": "contract",
    "generate_demo": "demo",
    "write_demo": "demo",
    "AnalysisError": "errors",
    "BuildCheckError": "errors",
    "ConfigError": "errors",
    "CskpiError": "errors",
    "DataContractError": "errors",
    "average_retention_curve": "kpis",
    "cohort_retention": "kpis",
    "headline_kpis": "kpis",
    "kpis_monthly": "kpis",
    "mrr_bridge": "kpis",
    "retention_t12m": "kpis",
    "sensitivity": "kpis",
    "stage_view": "stage_kpis",
    "Problem": "validate",
    "ValidationReport": "validate",
    "require_valid": "validate",
    "validate_dir": "validate",
    "Warehouse": "warehouse",
    "build_marts": "warehouse",
    "connect": "warehouse",
    "open_warehouse": "warehouse",
}

__all__ = [
    "AnalysisConfig",
    "AnalysisError",
    "BuildCheckError",
    "ConfigError",
    "CskpiError",
    "DataContractError",
    "KpiOptions",
    "Problem",
    "TABLES",
    "ValidationReport",
    "Warehouse",
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
    "open_warehouse",
    "require_valid",
    "retention_t12m",
    "sensitivity",
    "stage_view",
    "validate_dir",
    "write_demo",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cskpi_analysis' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"cskpi_analysis.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from cskpi_analysis.catalogue import load_catalogue
    from cskpi_analysis.config import AnalysisConfig, KpiOptions, load_config
    from cskpi_analysis.contract import TABLES
    from cskpi_analysis.demo import generate_demo, write_demo
    from cskpi_analysis.errors import AnalysisError, BuildCheckError, ConfigError, CskpiError, DataContractError
    from cskpi_analysis.kpis import (
        average_retention_curve,
        cohort_retention,
        headline_kpis,
        kpis_monthly,
        mrr_bridge,
        retention_t12m,
        sensitivity,
    )
    from cskpi_analysis.stage_kpis import stage_view
    from cskpi_analysis.validate import Problem, ValidationReport, require_valid, validate_dir
    from cskpi_analysis.warehouse import Warehouse, build_marts, connect, open_warehouse
