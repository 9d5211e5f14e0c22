"""Building: every model and check over a folder, into memory or atomically into a file with its meta and profile."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from cskpi_analysis.config import AnalysisConfig
from cskpi_analysis.warehouse._files import FORMAT_VERSION, META_TABLE, PROFILE_TABLE, _atomically, _check_target
from cskpi_analysis.warehouse._fingerprint import Inputs, code_version, fingerprint
from cskpi_analysis.warehouse._parameters import _jsonable, _source_presence, model_parameters
from cskpi_analysis.warehouse._warehouse import Warehouse, _open_file

#: Environment variable: DuckDB's memory limit for a build (see :func:`_memory_limit`).
MEMORY_ENV = "CSKPI_MEMORY_LIMIT"


def _run_build(
    con: duckdb.DuckDBPyConnection,
    data_dir: Path,
    config: AnalysisConfig,
    parameters: dict[str, Any],
    *,
    persist_all: bool,
) -> None:
    """Register the sources, run every model and the checks on ``con``."""
    from cskpi_analysis.models import materialisation, run_checks, run_models
    from cskpi_analysis.sources import register_sources

    files = register_sources(con, data_dir, config)
    formats = {name: path.suffix for name, path in files.items()}
    how = None if persist_all else materialisation(formats)
    run_models(con, parameters, materialise=how)
    run_checks(con, parameters)


def _write_meta(
    con: duckdb.DuckDBPyConnection,
    *,
    data_dir: Path,
    config: AnalysisConfig,
    parameters: dict[str, Any],
    inputs: Inputs | None,
    print_: str,
    validation: dict[str, Any] | None,
    seconds: float,
    base: dict[str, Any] | None = None,
) -> None:
    meta = {
        "format": FORMAT_VERSION,
        "fingerprint": print_,
        "code": code_version(),
        "data_dir": str(data_dir.resolve()),
        "config": _jsonable(dataclasses.asdict(config)),
        "parameters": _jsonable(parameters),
        "inputs": {n: list(v) for n, v in (inputs.files if inputs else {}).items()},
        "validation": validation,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "build_seconds": round(seconds, 3),
        "base": base,
    }
    con.execute(f"create or replace table {META_TABLE} (key varchar, value json)")
    con.executemany(
        f"insert into {META_TABLE} values (?, ?)", [[k, json.dumps(v, default=str)] for k, v in meta.items()]
    )


def _write_profile(con: duckdb.DuckDBPyConnection) -> None:
    """Rows and non-empty values per source column (what the catalogue says is computable)."""
    from cskpi_analysis.contract import TABLES

    parts = []
    for name, table in TABLES.items():
        counts = ", ".join(f'count("{c.name}")' for c in table.columns)
        row = con.execute(f"select count(*), {counts} from src_{name}").fetchone()
        assert row is not None
        parts += [(name, c.name, int(row[0]), int(n)) for c, n in zip(table.columns, row[1:], strict=True)]
    con.execute(
        f"create or replace table {PROFILE_TABLE} (table_name varchar, column_name varchar, rows bigint, "
        "non_empty bigint)"
    )
    con.executemany(f"insert into {PROFILE_TABLE} values (?, ?, ?, ?)", parts)


def _drop_sources(con: duckdb.DuckDBPyConnection) -> None:
    from cskpi_analysis.contract import TABLES

    for name in TABLES:
        con.execute(f"drop view if exists src_{name}")


def build_marts(
    data_dir: str | Path,
    config: AnalysisConfig,
    *,
    database: str | Path = ":memory:",
    parameters: dict[str, Any] | None = None,
) -> Warehouse:
    """Build every model over ``data_dir`` (not validated) and run the reconciliation checks.

    ``database`` is ``":memory:"`` (everything kept, for tests and scripts) or a DuckDB file,
    written atomically and opened read-only. ``parameters`` override single bound parameters
    (:func:`model_parameters`); the ``has_<table>`` parameters are counted from the folder, as
    :func:`open_warehouse` does. A failing identity raises
    :class:`~cskpi_analysis.errors.BuildCheckError` and, for a file, leaves nothing behind.
    """
    data_dir = Path(data_dir)
    parameters = model_parameters(config, {**_source_presence(data_dir, config), **(parameters or {})})
    if str(database) == ":memory:":
        con = duckdb.connect(":memory:")
        try:
            _run_build(con, data_dir, config, parameters, persist_all=True)
        except BaseException:
            con.close()
            raise
        return Warehouse(con, path=None, data_dir=data_dir, config=config, parameters=parameters)
    return _build_file(data_dir, config, Path(database), parameters, validation=None, inputs=None)


def _build_file(
    data_dir: Path,
    config: AnalysisConfig,
    database: Path,
    parameters: dict[str, Any],
    *,
    validation: dict[str, Any] | None,
    inputs: Inputs | None,
) -> Warehouse:
    """Build into a temporary file beside ``database`` and swap it in when every check passed."""
    _check_target(database, data_dir)
    database.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    print_ = fingerprint(inputs, parameters, code_version()) if inputs is not None else ""
    spill = Path(tempfile.mkdtemp(dir=database.parent, prefix=database.name + ".", suffix=".spill"))
    try:
        with _atomically(database) as temporary:
            con = duckdb.connect(str(temporary), config=_duckdb_config(spill))
            try:
                _run_build(con, data_dir, config, parameters, persist_all=False)
                _write_profile(con)
                _drop_sources(con)
                _write_meta(
                    con,
                    data_dir=data_dir,
                    config=config,
                    parameters=parameters,
                    inputs=inputs,
                    print_=print_,
                    validation=validation,
                    seconds=time.perf_counter() - started,
                )
                con.execute("checkpoint")
            finally:
                con.close()
    finally:
        _remove_tree(spill)
    return _open_file(database)


def _remove_tree(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def _duckdb_config(spill: Path | None = None) -> dict[str, str]:
    """A build's DuckDB settings: a memory limit, and where to spill beyond it."""
    config = {"memory_limit": _memory_limit()}
    if spill is not None:
        config["temp_directory"] = str(spill)
    return config


def _memory_limit() -> str:
    """DuckDB's memory limit for a build: ``$CSKPI_MEMORY_LIMIT``, else half the machine, at most 3 GB."""
    if os.environ.get(MEMORY_ENV):
        return os.environ[MEMORY_ENV]
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        total = 4 << 30
    return f"{max(256, min(3072, total // 2 // (1 << 20)))}MB"
