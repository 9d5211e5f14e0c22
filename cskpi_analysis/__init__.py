"""cskpi: Customer Success KPI analysis from a company's own exports.

The public API is re-exported here; see ``docs/definitions.md`` for every KPI.
"""

from __future__ import annotations

from cskpi_analysis.config import AnalysisConfig, KpiOptions, load_config
from cskpi_analysis.contract import TABLES
from cskpi_analysis.errors import (
    AnalysisError,
    BuildCheckError,
    ConfigError,
    CskpiError,
    DataContractError,
)

__all__ = [
    "TABLES",
    "AnalysisConfig",
    "AnalysisError",
    "BuildCheckError",
    "ConfigError",
    "CskpiError",
    "DataContractError",
    "KpiOptions",
    "load_config",
]

__version__ = "0.1.0"
