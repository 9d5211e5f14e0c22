"""The warehouse: the marts of one data folder, built once into a DuckDB file and read many times.

A :class:`Warehouse` owns a built DuckDB file, the :class:`~cskpi_analysis.config.AnalysisConfig`
it was built with and the bound build parameters (``as_of``, the KPI switches, the landmark and
horizon of the survival marts...). Every notebook, command and report opens the same file
read-only; nothing reads the source files again while it is up to date.

Build once
    :func:`open_warehouse` opens the folder's warehouse if it is up to date and builds it
    (validation, then every model and check) only when it is missing or stale. Up to date means
    the same *fingerprint*: the folder's files (name, size, modification time, and a content hash
    when size or time changed), ``cskpi.toml``, the build parameters and the code version (the
    package version and a hash of the SQL models, the contract and the validator).

Where the file lives
    ``--db FILE`` (or ``database=``) names it; by default it is
    ``<cache>/<folder name>-<hash of its absolute path>/warehouse.duckdb``, where ``<cache>`` is
    ``$CSKPI_CACHE_DIR``, else ``$XDG_CACHE_HOME/cskpi``, else ``~/.cache/cskpi``. The data
    folder itself is never written to.

Persist what is read
    Staging models over Parquet files are temporary views, the other staging and intermediate
    models temporary tables; only the marts and the few intermediates that the Python readers
    select from (:data:`cskpi_analysis.models.PERSISTED`) are written to the file.

Other parameters
    :meth:`Warehouse.with_parameters` returns another warehouse (its own file next to the main
    one, built once and reused) for, say, a day-60 landmark: only the models that read the changed
    parameters, and what depends on them, are rebuilt; the rest is read from the main file.

Derived results
    :meth:`Warehouse.cached` keeps a computed frame (the sensitivity table, the fitted worklist)
    beside the file, keyed by the fingerprint, so a control change in a notebook reads it instead
    of recomputing it.

Examples
--------
>>> from cskpi_analysis.warehouse import open_warehouse       # doctest: +SKIP
>>> wh = open_warehouse("data/demo")                          # builds on first use only
>>> wh.execute("select count(*) from mart_kpis_monthly").fetchone()
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from cskpi_analysis.config import AnalysisConfig
from cskpi_analysis.errors import AnalysisError, ConfigError, DataContractError

#: Default landmark (days after the first paid day) and outcome horizon of the survival marts.
DEFAULT_LANDMARK_DAYS = 30
DEFAULT_HORIZON_DAYS = 365

#: Environment variables: where warehouses are kept, and a switch that forbids validating or
#: building (a notebook or report then fails instead of silently rebuilding).
CACHE_ENV = "CSKPI_CACHE_DIR"
NO_BUILD_ENV = "CSKPI_NO_BUILD"
MEMORY_ENV = "CSKPI_MEMORY_LIMIT"

META_TABLE = "cskpi_meta"
PROFILE_TABLE = "cskpi_source_profile"
WAREHOUSE_FILE = "warehouse.duckdb"
FORMAT_VERSION = 1
_DUCKDB_MAGIC = b"DUCK"
_HASH_CHUNK = 1 << 22

_CODE_FILES = ("contract.py", "validate.py", "sources.py", "models.py", "warehouse.py", "config.py")


# --------------------------------------------------------------------------- parameters


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


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------- fingerprints


def _file_hash(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _listing(data_dir: Path) -> dict[str, tuple[int, int]]:
    """Every visible top-level file of the folder: name -> (size, mtime in ns)."""
    out = {}
    for path in sorted(data_dir.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        stat = path.stat()
        out[path.name] = (stat.st_size, stat.st_mtime_ns)
    return out


def _result_stem(name: str) -> str:
    """A file-name stem for a kept result: ``name`` itself when it is a plain word, else its word
    characters and a hash of the whole (so 'Mid-Market' and 'Mid Market' stay apart)."""
    if re.fullmatch(r"\w+", name, re.ASCII):
        return name
    words = re.sub(r"\W+", "_", name, flags=re.ASCII)[:40]
    return f"{words}_{hashlib.blake2b(name.encode(), digest_size=6).hexdigest()}"


def _module_digest(function: Callable[..., Any]) -> str:
    """A short hash of the code that defines ``function``: its module's file, or for a module of a
    subpackage (``survival/``, ``indicators/``) every module of that subpackage and ``stats.py``,
    which they share, so a change to a helper recomputes the results that use it."""
    function = getattr(function, "func", function)  # a functools.partial: the function it wraps
    module = sys.modules.get(getattr(function, "__module__", ""), None)
    source = getattr(module, "__file__", None)
    if not source or not Path(source).is_file():
        return "nosource"
    folder = Path(source).parent
    files = [Path(source)]
    if folder.name != "cskpi_analysis" and folder.parent.name == "cskpi_analysis":
        files = sorted(folder.glob("*.py")) + [folder.parent / "stats.py"]
    digest = hashlib.blake2b(digest_size=6)
    for file in files:
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def code_version() -> str:
    """The package version and a hash of the SQL models and the modules that shape a build."""
    from cskpi_analysis import __version__

    digest = hashlib.blake2b(digest_size=12)
    package = resources.files("cskpi_analysis")
    sql = package.joinpath("sql")
    names = sorted(p.name for p in sql.iterdir() if p.name.endswith(".sql"))
    names += sorted("checks/" + p.name for p in sql.joinpath("checks").iterdir() if p.name.endswith(".sql"))
    for name in names:
        digest.update(name.encode())
        digest.update(sql.joinpath(name).read_bytes())
    for name in _CODE_FILES:
        digest.update(name.encode())
        digest.update(package.joinpath(name).read_bytes())
    return f"{__version__}+{digest.hexdigest()}"


@dataclasses.dataclass(frozen=True)
class Inputs:
    """What a warehouse was built from: the folder's files, with size, time and content hash."""

    files: dict[str, tuple[int, int, str]]

    @classmethod
    def read(cls, data_dir: Path, known: Inputs | None = None) -> Inputs:
        """The folder's files; a hash is reused from ``known`` when size and time are unchanged."""
        files = {}
        for name, (size, mtime) in _listing(data_dir).items():
            previous = known.files.get(name) if known else None
            if previous and previous[0] == size and previous[1] == mtime:
                files[name] = previous
            else:
                files[name] = (size, mtime, _file_hash(data_dir / name))
        return cls(files)

    def same_content(self, other: Inputs) -> bool:
        """Same file names with the same sizes and hashes (times may differ)."""
        mine = {n: (s, h) for n, (s, _, h) in self.files.items()}
        theirs = {n: (s, h) for n, (s, _, h) in other.files.items()}
        return mine == theirs

    def unchanged_since(self, data_dir: Path) -> bool:
        """True when every file has the recorded size and time (no hashing)."""
        return {n: (s, m) for n, (s, m, _) in self.files.items()} == _listing(data_dir)

    def digest(self) -> str:
        text = json.dumps({n: [s, h] for n, (s, _, h) in sorted(self.files.items())})
        return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def fingerprint(inputs: Inputs, parameters: dict[str, Any], code: str) -> str:
    """One hash of the inputs' contents, the build parameters and the code version."""
    text = json.dumps({"inputs": inputs.digest(), "parameters": _jsonable(parameters), "code": code}, sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


# --------------------------------------------------------------------------- locations


def cache_root() -> Path:
    """Where warehouses are kept by default (see the module docstring)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "cskpi"
    return Path.home() / ".cache" / "cskpi"


def default_database(data_dir: str | Path) -> Path:
    """The default warehouse file of a data folder (outside the folder)."""
    resolved = Path(data_dir).resolve()
    key = hashlib.blake2b(str(resolved).encode(), digest_size=6).hexdigest()
    return cache_root() / f"{resolved.name or 'data'}-{key}" / WAREHOUSE_FILE


def _sidecar(database: Path) -> Path:
    """The folder beside a warehouse file for its variants and cached results."""
    return database.with_name(database.name + ".d")


def _check_target(database: Path, data_dir: Path) -> None:
    """Refuse to write a warehouse over anything that is not a warehouse (e.g. a source file)."""
    if database.is_dir():
        raise ConfigError(f"--db {database} is a folder; give a file name such as {database / WAREHOUSE_FILE}")
    if database.exists():
        with database.open("rb") as handle:
            head = handle.read(12)
        if head[8:12] != _DUCKDB_MAGIC:
            raise ConfigError(f"--db {database} exists and is not a DuckDB file; refusing to replace it")
    try:
        inside = database.resolve().is_relative_to(data_dir.resolve())
    except OSError:
        inside = False
    if inside:
        raise ConfigError(f"--db {database} is inside the data folder {data_dir}; the exports are never written to")


@contextlib.contextmanager
def _build_lock(database: Path) -> Iterator[None]:
    """One build of a given file at a time (a second waits, then finds it up to date)."""
    database.parent.mkdir(parents=True, exist_ok=True)
    lock = database.with_name(database.name + ".lock")
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"cskpi: another build is writing {database}; waiting for it", file=sys.stderr, flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _atomically(target: Path) -> Iterator[Path]:
    """A fresh path beside ``target``; moved onto it when the block succeeds, removed when it fails.

    A DuckDB file's write-ahead log (``<path>.wal``) is removed with it.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".building")
    os.close(handle)
    temporary = Path(name)
    temporary.unlink()  # DuckDB creates its own file
    try:
        yield temporary
        os.replace(temporary, target)  # atomic: the target appears only when complete
    finally:
        temporary.unlink(missing_ok=True)
        Path(str(temporary) + ".wal").unlink(missing_ok=True)


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


# --------------------------------------------------------------------------- the warehouse


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
                value = compute(self)
                stored = value.copy(deep=False)
                stored.attrs = {}  # attrs are not kept (parquet stores them as JSON, which a date breaks)
                with _atomically(store) as temporary:
                    stored.to_parquet(temporary, index=False)
                for stale in store.parent.glob(f"{stem}-*.parquet"):  # earlier data or code
                    if stale != store and stale.name[len(stem) + 1 :].count("-") == 1:
                        stale.unlink(missing_ok=True)
        self._memo[name] = value
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


# --------------------------------------------------------------------------- building


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


# --------------------------------------------------------------------------- opening


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
    from cskpi_analysis.validate import _validate

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


# --------------------------------------------------------------------------- variants


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
