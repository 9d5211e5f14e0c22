"""Opening: the folder's up-to-date warehouse (validated and built only when needed), and its variants."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path
from typing import Any

import duckdb

from cskpi_analysis.config import AnalysisConfig
from cskpi_analysis.errors import AnalysisError, DataContractError
from cskpi_analysis.warehouse._build import _build_file, _drop_sources, _duckdb_config, _write_meta
from cskpi_analysis.warehouse._files import (
    FORMAT_VERSION,
    _atomically,
    _build_lock,
    _check_target,
    _sidecar,
    default_database,
)
from cskpi_analysis.warehouse._fingerprint import Inputs, code_version, fingerprint
from cskpi_analysis.warehouse._parameters import _jsonable, _presence_parameters, model_parameters
from cskpi_analysis.warehouse._warehouse import Warehouse, _config_from, _open_file, _read_meta, _report_from_dict

#: Environment variable: ``1`` forbids validating or building (a notebook or report then fails
#: instead of silently rebuilding).
NO_BUILD_ENV = "CSKPI_NO_BUILD"


def _stored_meta(database: Path) -> dict[str, Any]:
    if not database.is_file():
        return {}
    try:
        con = duckdb.connect(str(database), read_only=True)
    except duckdb.Error:
        return {}
    try:
        return _read_meta(con)
    finally:
        con.close()


def _is_current(meta: dict[str, Any], data_dir: Path, overrides: dict[str, Any] | None) -> Inputs | None:
    """The stored inputs if the warehouse described by ``meta`` is up to date, else None."""
    if not meta or meta.get("format") != FORMAT_VERSION or meta.get("code") != code_version():
        return None
    if meta.get("data_dir") != str(data_dir.resolve()):
        return None
    stored = Inputs({n: (int(v[0]), int(v[1]), str(v[2])) for n, v in meta.get("inputs", {}).items()})
    if not stored.unchanged_since(data_dir):
        current = Inputs.read(data_dir, stored)
        if not current.same_content(stored):
            return None
    if overrides:
        params = meta.get("parameters", {})
        if any(_jsonable(v) != params.get(k) for k, v in overrides.items()):
            return None
    return stored


def validation_cache(database: Path) -> Path:
    return _sidecar(database) / "validation.json"


def validate_cached(data_dir: Path, database: Path, inputs: Inputs) -> tuple[AnalysisConfig, Any]:
    """Validate the folder once per input fingerprint (the result is kept beside the warehouse)."""
    from cskpi_analysis.validate._run import _validate

    key = fingerprint(inputs, {}, code_version())
    store = validation_cache(database)
    if store.is_file():
        try:
            saved = json.loads(store.read_text())
        except (OSError, ValueError):
            saved = {}
        if saved.get("key") == key:
            return _config_from({"config": saved["config"]}), _report_from_dict(saved["report"])
    _forbid("validate")
    config, report = _validate(data_dir, None)
    if not report.ok:
        return config, report  # nothing is written for a folder that breaks the contract
    payload = {"key": key, "config": _jsonable(dataclasses.asdict(config)), "report": report.to_dict()}
    with _atomically(store) as temporary:
        temporary.write_text(json.dumps(payload, default=str))
    return config, report


def _forbid(what: str) -> None:
    if os.environ.get(NO_BUILD_ENV) == "1":
        raise AnalysisError(f"{NO_BUILD_ENV}=1 forbids this process to {what}; build the warehouse first (cskpi build)")


def open_warehouse(
    data_dir: str | Path,
    *,
    database: str | Path | None = None,
    parameters: dict[str, Any] | None = None,
    rebuild: bool = False,
) -> Warehouse:
    """The up-to-date warehouse of ``data_dir``: opened if current, else validated and built.

    Parameters
    ----------
    data_dir : the folder of exports.
    database : the warehouse file (default :func:`default_database`).
    parameters : build parameters other than the defaults (e.g. ``{"landmark_days": 60}``).
    rebuild : build even if the file is up to date.

    Raises
    ------
    DataContractError
        The folder breaks the data contract (nothing is built).
    BuildCheckError
        A reconciliation identity failed (nothing is written).
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataContractError(
            f"{data_dir}: data folder not found; expected a folder with one CSV or Parquet file per table"
        )
    target = Path(database) if database is not None else default_database(data_dir)
    if not rebuild and _is_current(_stored_meta(target), data_dir, parameters) is not None:
        return _open_file(target)
    _check_target(target, data_dir)
    inputs = Inputs.read(data_dir)
    config, report = validate_cached(data_dir, target, inputs)  # refuses before anything is written
    if not report.ok:
        raise DataContractError(f"{data_dir} breaks the data contract:\n{report.format()}")
    with _build_lock(target):
        meta = _stored_meta(target)  # another process may have built it while we waited
        if not rebuild and _is_current(meta, data_dir, parameters) is not None:
            return _open_file(target)
        _forbid("build")
        full = model_parameters(config, {**_presence_parameters(report.row_counts), **(parameters or {})})
        return _build_file(data_dir, config, target, full, validation=report.to_dict(), inputs=inputs)


def connect(data_dir: str | Path, *, database: str | Path | None = None) -> tuple[Warehouse, AnalysisConfig]:
    """Open the folder's warehouse (building it if needed); returns it and its config."""
    wh = open_warehouse(data_dir, database=None if str(database) == ":memory:" else database)
    return wh, wh.config


def _open_variant(base: Warehouse, parameters: dict[str, Any], changed: set[str], key: str) -> Warehouse:
    """A warehouse for other parameters: the models reading ``changed`` rebuilt over the base file."""
    assert base.path is not None
    folder = _sidecar(base.path) / "variants"
    target = folder / f"{key}-{base.fingerprint or 'nofp'}.duckdb"
    if target.is_file():
        try:
            return _open_file(target)
        except (AnalysisError, duckdb.Error):
            target.unlink(missing_ok=True)
    from cskpi_analysis.models import load_models, materialisation, run_checks, run_models
    from cskpi_analysis.sources import register_sources

    _forbid("build")
    models = load_models()
    rebuilt = {name for name, model in models.items() if set(model.parameters) & changed}
    started = time.perf_counter()
    with _build_lock(target):
        if target.is_file():  # another process built it while this one waited
            return _open_file(target)
        with _atomically(target) as temporary:
            con = duckdb.connect(str(temporary), config=_duckdb_config())
            try:
                files = register_sources(con, base.data_dir, base.config)
                con.execute("attach $path as cskpi_base (read_only)", {"path": str(base.path)})
                in_base = {
                    r[0]
                    for r in con.execute(
                        "select table_name from duckdb_tables() where database_name = 'cskpi_base'"
                    ).fetchall()
                }
                ran = run_models(
                    con,
                    parameters,
                    only=rebuilt,
                    materialise=materialisation({n: p.suffix for n, p in files.items()}),
                    available={n for n in in_base if n in models},
                    reuse=lambda n: f"select * from cskpi_base.main.{n}",
                )
                run_checks(con, parameters, only_tables=ran)
                _drop_sources(con)  # the temporary views over the base vanish with the connection
                con.execute("detach cskpi_base")
                _write_meta(
                    con,
                    data_dir=base.data_dir,
                    config=base.config,
                    parameters=parameters,
                    inputs=None,
                    print_=f"{base.fingerprint}-{key}",
                    validation=base._validation,
                    seconds=time.perf_counter() - started,
                    base={"path": str(base.path), "fingerprint": base.fingerprint},
                )
            finally:
                con.close()
    return _open_file(target)
