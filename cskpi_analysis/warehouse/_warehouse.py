"""The :class:`Warehouse`: a built DuckDB file open read-only, its results kept beside it, and how a
built file is opened as one."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from cskpi_analysis.config import AnalysisConfig
from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.warehouse._files import META_TABLE, _atomically, _build_lock, _sidecar
from cskpi_analysis.warehouse._fingerprint import _module_digest
from cskpi_analysis.warehouse._parameters import _jsonable, model_parameters


class Warehouse:
    """A built warehouse, open read-only (or an in-memory one built for a test or a script).

    Readers (``kpis.kpis_monthly``, ``survival.survival_frame``...) take a warehouse and call
    :meth:`execute`, exactly like a DuckDB connection.

    Attributes
    ----------
    path : the DuckDB file, or None for an in-memory warehouse.
    data_dir : the folder it was built from.
    config : the analysis options, ``as_of`` resolved.
    parameters : the bound build parameters.
    fingerprint : what the warehouse was built from (see :func:`fingerprint`); "" in memory.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        path: Path | None,
        data_dir: Path,
        config: AnalysisConfig,
        parameters: dict[str, Any],
        fingerprint: str = "",
        validation: dict[str, Any] | None = None,
    ) -> None:
        self.con = con
        self.path = path
        self.data_dir = data_dir
        self.config = config
        self.parameters = parameters
        self.fingerprint = fingerprint
        self._validation = validation
        self._variants: dict[str, Warehouse] = {}
        self._memo: dict[str, Any] = {}

    # -- reading

    def execute(self, sql: str, parameters: Any = None) -> duckdb.DuckDBPyConnection:
        """Run a query on the warehouse (bound parameters, as :meth:`duckdb.DuckDBPyConnection.execute`)."""
        return self.con.execute(sql, parameters) if parameters is not None else self.con.execute(sql)

    def sql(self, query: str) -> duckdb.DuckDBPyRelation:
        return self.con.sql(query)

    def df(self, sql: str, parameters: Any = None) -> Any:
        """A query's result as a pandas frame."""
        return self.execute(sql, parameters).df()

    def tables(self) -> list[str]:
        """The relations a reader can select from."""
        rows = self.con.execute("select table_name from information_schema.tables order by table_name").fetchall()
        return [r[0] for r in rows]

    @property
    def validation(self) -> Any:
        """The :class:`~cskpi_analysis.validate.ValidationReport` the build was preceded by (None if not validated)."""
        return None if self._validation is None else _report_from_dict(self._validation)

    # -- other parameters and derived results

    def with_parameters(self, **changes: Any) -> Warehouse:
        """The warehouse for other build parameters (e.g. ``landmark_days=60``), built once and reused.

        Only the models that read a changed parameter, and what depends on them, are rebuilt.
        """
        parameters = model_parameters(self.config, {**self.parameters, **changes})
        if parameters == self.parameters:
            return self
        changed = {name for name, value in parameters.items() if self.parameters.get(name) != value}
        differences = {name: parameters[name] for name in sorted(changed)}
        key = hashlib.blake2b(json.dumps(_jsonable(differences)).encode(), digest_size=8).hexdigest()
        if key in self._variants:
            return self._variants[key]
        from cskpi_analysis.warehouse._build import build_marts  # both import this module
        from cskpi_analysis.warehouse._open import _open_variant

        if self.path is None:
            variant = build_marts(self.data_dir, self.config, parameters=parameters)
        else:
            variant = _open_variant(self, parameters, changed, key)
        self._variants[key] = variant
        return variant

    def cached(self, name: str, compute: Callable[[Warehouse], Any]) -> Any:
        """``compute(self)``, computed once per warehouse and kept beside its file (a pandas frame).

        The kept result is keyed by the warehouse's fingerprint and by the source of the module
        that defines ``compute``, so changing that code computes it again. ``name`` may hold any
        text (a segment's name): the file name is made safe from it.
        """
        if name in self._memo:
            return self._memo[name]
        import pandas as pd

        if self.path is None or not self.fingerprint:
            value = compute(self)
        else:
            key = f"{self.fingerprint}-{_module_digest(compute)}"
            stem = _result_stem(name)
            store = _sidecar(self.path) / "results" / f"{stem}-{key}.parquet"
            if store.is_file():
                value = pd.read_parquet(store)
            else:
                # one process computes it; another asking meanwhile (a parallel report export) waits and reads it
                with _build_lock(_sidecar(self.path) / "locks" / stem, waiting=None):
                    if store.is_file():
                        value = pd.read_parquet(store)
                    else:
                        value = self._compute_and_keep(compute, store, stem)
        self._memo[name] = value
        return value

    def _compute_and_keep(self, compute: Callable[[Warehouse], Any], store: Path, stem: str) -> Any:
        value = compute(self)
        stored = value.copy(deep=False)
        stored.attrs = {}  # attrs are not kept (parquet stores them as JSON, which a date breaks)
        with _atomically(store) as temporary:
            stored.to_parquet(temporary, index=False)
        for stale in store.parent.glob(f"{stem}-*.parquet"):  # earlier data or code
            if stale != store and stale.name[len(stem) + 1 :].count("-") == 1:
                stale.unlink(missing_ok=True)
        return value

    def remember(self, name: str, compute: Callable[[Warehouse], Any]) -> Any:
        """``compute(self)`` once per open warehouse, kept in memory only (any value, e.g. a large
        frame several kept results are computed from)."""
        key = f"remembered:{name}"
        if key not in self._memo:
            self._memo[key] = compute(self)
        return self._memo[key]

    def close(self) -> None:
        for variant in self._variants.values():
            variant.close()
        with contextlib.suppress(Exception):
            self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = str(self.path) if self.path else ":memory:"
        return f"Warehouse({where}, data_dir={str(self.data_dir)!r}, as_of={self.config.as_of})"


Reader = Warehouse | duckdb.DuckDBPyConnection
"""What the readers select from: a warehouse, or a connection holding the marts (tests, scripts)."""


def kept(reader: Reader, name: str, compute: Callable[[Any], Any]) -> Any:
    """``compute(reader)``, kept per warehouse (:meth:`Warehouse.cached`) when ``reader`` is one.

    For a plain connection (tests, scripts) it is simply computed. Use it for a frame that does
    not depend on a control, so that a control change only filters it.
    """
    if isinstance(reader, Warehouse):
        return reader.cached(name, compute)
    return compute(reader)


def _result_stem(name: str) -> str:
    """A file-name stem for a kept result: ``name`` itself when it is a plain word, else its word
    characters and a hash of the whole (so 'Mid-Market' and 'Mid Market' stay apart)."""
    if re.fullmatch(r"\w+", name, re.ASCII):
        return name
    words = re.sub(r"\W+", "_", name, flags=re.ASCII)[:40]
    return f"{words}_{hashlib.blake2b(name.encode(), digest_size=6).hexdigest()}"


def _read_meta(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    try:
        rows = con.execute(f"select key, value from {META_TABLE}").fetchall()
    except duckdb.Error:
        return {}
    return {key: json.loads(value) for key, value in rows}


def _config_from(meta: dict[str, Any]) -> AnalysisConfig:
    from cskpi_analysis.config import KpiOptions

    data = dict(meta["config"])
    kpis = KpiOptions(**data.pop("kpis"))
    data["as_of"] = dt.date.fromisoformat(data["as_of"]) if data.get("as_of") else None
    data["key_features"] = tuple(data.get("key_features") or ())
    data["targets"] = tuple((str(k), float(v)) for k, v in data.get("targets") or ())
    return AnalysisConfig(**data, kpis=kpis)


def _report_from_dict(data: dict[str, Any]) -> Any:
    """A :class:`~cskpi_analysis.validate.ValidationReport` from its ``to_dict()`` form."""
    from cskpi_analysis.validate import Problem, ValidationReport

    problems = tuple(Problem(**{**p, "rows": tuple(p.get("rows") or ())}) for p in data.get("problems", []))
    as_of = dt.date.fromisoformat(data["as_of"]) if data.get("as_of") else None
    return ValidationReport(
        Path(data["data_dir"]),
        as_of,
        dict(data["row_counts"]),
        problems,
        bool(data["as_of_from_config"]),
        as_of_source=data.get("as_of_source", ""),
    )


def _parameters_from(meta: dict[str, Any]) -> dict[str, Any]:
    stored = dict(meta["parameters"])
    stored["as_of"] = dt.date.fromisoformat(stored["as_of"])
    return stored


def _open_file(database: Path) -> Warehouse:
    """Open a built warehouse file read-only."""
    con = duckdb.connect(str(database), read_only=True)
    meta = _read_meta(con)
    if not meta:
        con.close()
        raise AnalysisError(f"{database} is not a cskpi warehouse (no {META_TABLE} table); rebuild it")
    if meta.get("base"):
        _attach_base(con, Path(meta["base"]["path"]))
    config = _config_from(meta)
    return Warehouse(
        con,
        path=database,
        data_dir=Path(meta["data_dir"]),
        config=config,
        parameters=_parameters_from(meta),
        fingerprint=meta.get("fingerprint", ""),
        validation=meta.get("validation"),
    )


def _attach_base(con: duckdb.DuckDBPyConnection, base: Path) -> None:
    """Make the base warehouse's relations visible in a variant (temporary views)."""
    con.execute("attach $path as cskpi_base (read_only)", {"path": str(base)})
    own = {
        r[0]
        for r in con.execute("select table_name from duckdb_tables() where database_name <> 'cskpi_base'").fetchall()
    }
    rows = con.execute("select table_name from duckdb_tables() where database_name = 'cskpi_base'").fetchall()
    for (name,) in rows:
        if name not in own and name not in (META_TABLE,):
            con.execute(f'create or replace temp view "{name}" as select * from cskpi_base.main."{name}"')
