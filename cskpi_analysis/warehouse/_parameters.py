"""The bound parameters of the SQL models: defaults, overrides and the presence of the optional tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb

from cskpi_analysis.config import AnalysisConfig
from cskpi_analysis.errors import AnalysisError

#: Default landmark (days after the first paid day) and outcome horizon of the survival marts.
DEFAULT_LANDMARK_DAYS = 30
DEFAULT_HORIZON_DAYS = 365


def model_parameters(config: AnalysisConfig, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The bound parameters of the SQL models, from a config with ``as_of`` resolved.

    ``overrides`` replace single parameters (e.g. ``{"landmark_days": 60}``).
    """
    if config.as_of is None:
        raise AnalysisError("as_of is not set: validate the folder first (cskpi_analysis.validate.require_valid)")
    parameters = {
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
    unknown = set(overrides or {}) - set(parameters) - {f"has_{t}" for t in _optional_tables()}
    if unknown:
        raise AnalysisError(f"unknown build parameter(s): {', '.join(sorted(unknown))}")
    return {**parameters, **(overrides or {})}


def _optional_tables() -> tuple[str, ...]:
    from cskpi_analysis.contract import TABLES

    return tuple(name for name, table in TABLES.items() if not table.required)


def _presence_parameters(row_counts: dict[str, int]) -> dict[str, bool]:
    """``has_<table>`` for every optional table: a file with at least one row."""
    return {f"has_{name}": bool(row_counts.get(name)) for name in _optional_tables()}


def _source_presence(data_dir: Path, config: AnalysisConfig) -> dict[str, bool]:
    """``has_<table>`` for every optional table, counted from the folder's files (no validation)."""
    from cskpi_analysis.sources import register_sources

    con = duckdb.connect(":memory:")
    try:
        register_sources(con, data_dir, config)
        counts = {}
        for name in _optional_tables():
            row = con.execute(f"select count(*) from src_{name}").fetchone()  # names come from the contract
            counts[name] = int(row[0]) if row else 0
    finally:
        con.close()
    return _presence_parameters(counts)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value
