"""Where warehouse files live and how they are written: locations, the build lock, atomic writes."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from cskpi_analysis.errors import ConfigError

#: Environment variable: where warehouses are kept (see :func:`cache_root`).
CACHE_ENV = "CSKPI_CACHE_DIR"

META_TABLE = "cskpi_meta"
PROFILE_TABLE = "cskpi_source_profile"
WAREHOUSE_FILE = "warehouse.duckdb"
FORMAT_VERSION = 1
_DUCKDB_MAGIC = b"DUCK"


def cache_root() -> Path:
    """Where warehouses are kept by default (see :mod:`cskpi_analysis.warehouse`)."""
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
def _build_lock(
    database: Path, *, waiting: str | None = "another build is writing {path}; waiting for it"
) -> Iterator[None]:
    """One build of a given file at a time (a second waits, then finds it up to date).

    Also one computation of a kept result at a time (``waiting=None``: wait without a word): the
    exports of ``cskpi report`` run in parallel and several notebooks read the same results.
    """
    database.parent.mkdir(parents=True, exist_ok=True)
    lock = database.with_name(database.name + ".lock")
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting:
                print(f"cskpi: {waiting.format(path=database)}", file=sys.stderr, flush=True)
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
