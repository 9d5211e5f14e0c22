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

Layout (private modules; the names below are the package's API):

* ``_parameters``: the bound parameters of the SQL models, their defaults, the optional tables present;
* ``_fingerprint``: the folder's files (:class:`Inputs`), the code version, the fingerprint, module digests;
* ``_files``: where warehouse files live, the build lock, atomic writes;
* ``_warehouse``: the :class:`Warehouse` class, results kept beside it (:func:`kept`), opening a built file;
* ``_build``: :func:`build_marts`, building into a file with its meta and source profile;
* ``_open``: :func:`open_warehouse`, :func:`connect`, the validation cache, variants for other parameters.
"""

from __future__ import annotations

from cskpi_analysis.warehouse._build import MEMORY_ENV, build_marts
from cskpi_analysis.warehouse._files import (
    CACHE_ENV,
    FORMAT_VERSION,
    META_TABLE,
    PROFILE_TABLE,
    WAREHOUSE_FILE,
    cache_root,
    default_database,
)
from cskpi_analysis.warehouse._fingerprint import Inputs, code_version, fingerprint
from cskpi_analysis.warehouse._open import NO_BUILD_ENV, connect, open_warehouse, validate_cached, validation_cache
from cskpi_analysis.warehouse._parameters import DEFAULT_HORIZON_DAYS, DEFAULT_LANDMARK_DAYS, model_parameters
from cskpi_analysis.warehouse._warehouse import Reader, Warehouse, kept

__all__ = [
    "CACHE_ENV",
    "DEFAULT_HORIZON_DAYS",
    "DEFAULT_LANDMARK_DAYS",
    "FORMAT_VERSION",
    "MEMORY_ENV",
    "META_TABLE",
    "NO_BUILD_ENV",
    "PROFILE_TABLE",
    "WAREHOUSE_FILE",
    "Inputs",
    "Reader",
    "Warehouse",
    "build_marts",
    "cache_root",
    "code_version",
    "connect",
    "default_database",
    "fingerprint",
    "kept",
    "model_parameters",
    "open_warehouse",
    "validate_cached",
    "validation_cache",
]
