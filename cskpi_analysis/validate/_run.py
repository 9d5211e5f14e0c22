"""The entry points: :func:`validate_dir`, :func:`require_valid`, :func:`resolve_as_of`."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import duckdb

from cskpi_analysis.config import CONFIG_FILE, AnalysisConfig, load_config
from cskpi_analysis.errors import ConfigError, DataContractError
from cskpi_analysis.validate._as_of import _infer_as_of
from cskpi_analysis.validate._checks import _analyst_warnings
from cskpi_analysis.validate._load import _load_tables, _table_checks
from cskpi_analysis.validate._read import _check_folder
from cskpi_analysis.validate._report import Problem, ValidationReport


def resolve_as_of(con: duckdb.DuckDBPyConnection, data_dir: str | Path, config: AnalysisConfig) -> dt.date | None:
    """The ``as_of`` date of an analysis, exactly as :func:`validate_dir` resolves it.

    Rule: ``config.as_of`` if set in ``cskpi.toml``; otherwise the latest date (a
    timestamp counts by its date) among the contract columns marked
    ``not_after_as_of`` — signups, subscription starts, events, tickets, responses,
    scores, activities, milestones — leaving out the dates the validation refuses as
    typos: dates after today, and the few latest dates lying far after all the others
    (see :func:`_infer_as_of`). ``subscriptions.end_date`` is deliberately not used:
    an end date may be scheduled in the future. Values that do not parse are ignored;
    None if the folder holds no such date.

    Parameters
    ----------
    con : unused (the validation runs on its own connection); kept for callers that pass one.
    data_dir : the data folder.
    config : the analysis options.
    """
    del con
    if config.as_of is not None:
        return config.as_of
    return _validate(Path(data_dir), config)[1].as_of


def _validate(data_dir: Path, config: AnalysisConfig | None) -> tuple[AnalysisConfig, ValidationReport]:
    problems: list[Problem] = []
    if not data_dir.exists() or not data_dir.is_dir():
        what = "data folder not found" if not data_dir.exists() else "is not a folder"
        problems.append(
            Problem(
                "error",
                str(data_dir),
                None,
                what,
                "a folder with one CSV or Parquet file per table (see 'cskpi contract')",
            )
        )
        return config or AnalysisConfig(), ValidationReport(data_dir, None, {}, tuple(problems))
    if config is None:
        try:
            config = load_config(data_dir)
        except ConfigError as exc:
            reason = str(exc).replace(f"{data_dir / CONFIG_FILE}: ", "")
            problems.append(
                Problem("error", CONFIG_FILE, None, reason, "valid options as documented in data/README.md")
            )
            config = AnalysisConfig()
    problems += _check_folder(data_dir)

    today = _today() if config.as_of is None else None
    con = duckdb.connect(":memory:", config={"preserve_insertion_order": True})  # CSV rows numbered in file order
    try:
        tables = _load_tables(con, data_dir, config, problems, today)
        problems += _table_checks(con, tables, config)
        as_of, as_of_source = config.as_of, ""
        if today is not None:
            as_of, as_of_source, outliers = _infer_as_of(con, tables, today)
            problems += outliers
        problems += _analyst_warnings(con, tables, config, as_of)
        row_counts = {name: loaded.row_count for name, loaded in tables.items()}
    finally:
        con.close()
    ordered = tuple(sorted(problems, key=lambda p: p.severity != "error"))
    report = ValidationReport(
        data_dir, as_of, row_counts, ordered, as_of_from_config=config.as_of is not None, as_of_source=as_of_source
    )
    return dataclasses.replace(config, as_of=as_of), report


def _today() -> dt.date:
    """Today's date: no date of the data may lie after it when ``as_of`` is inferred."""
    return dt.date.today()


def validate_dir(data_dir: str | Path, config: AnalysisConfig | None = None) -> ValidationReport:
    """Check a data folder against the contract; never raises for a problem in the data.

    Parameters
    ----------
    data_dir : folder with one CSV or Parquet file per contract table.
    config : analysis options; None reads ``cskpi.toml`` from ``data_dir`` (a bad file is
        reported as an error on ``cskpi.toml``, the defaults being used for the other checks).

    Returns
    -------
    ValidationReport
        Every problem found (errors first), the row count per table read and the resolved
        ``as_of``. The files are only read.
    """
    return _validate(Path(data_dir), config)[1]


def require_valid(data_dir: str | Path) -> tuple[AnalysisConfig, ValidationReport]:
    """Validate ``data_dir`` and return its config with ``as_of`` resolved; the first step of every command.

    Raises
    ------
    DataContractError
        If the folder has any error (the message is :meth:`ValidationReport.format`).
    """
    config, report = _validate(Path(data_dir), None)
    if not report.ok:
        raise DataContractError(f"{data_dir} breaks the data contract:\n{report.format()}")
    return config, report
