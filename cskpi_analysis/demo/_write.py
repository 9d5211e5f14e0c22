"""Writing the demo dataset to a folder, atomically: the event tables appended shard by shard to CSV or
Parquet files, then ``cskpi.toml`` and ``ground_truth.json``; :func:`write_demo`."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from cskpi_analysis.config import CONFIG_FILE, AnalysisConfig, config_toml
from cskpi_analysis.contract import TABLES
from cskpi_analysis.demo._arrays import _schema
from cskpi_analysis.demo._generate import _config, _ground_truth, _shards
from cskpi_analysis.demo._model import _build_model
from cskpi_analysis.demo._parameters import DEFAULT_AS_OF, GROUND_TRUTH_FILE, SHARD_ACCOUNTS
from cskpi_analysis.errors import CskpiError

_WRITE_BATCH_SHARDS = 10


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`write_demo` wrote.

    Attributes
    ----------
    out_dir : the folder written.
    fmt : ``"csv"`` or ``"parquet"``.
    row_counts : rows per table.
    ground_truth : the content of ``ground_truth.json``.
    config : the analysis options written to ``cskpi.toml``.
    seconds : wall-clock time taken (informational; never written to a file).
    """

    out_dir: Path
    fmt: str
    row_counts: dict[str, int]
    ground_truth: dict[str, Any]
    config: AnalysisConfig
    seconds: float


class _TableWriter:
    """Appends arrow tables to one CSV or Parquet file."""

    def __init__(self, path: Path, schema: pa.Schema, fmt: str) -> None:
        self.fmt = fmt
        self.rows = 0
        if fmt == "parquet":
            self._parquet = pq.ParquetWriter(path, schema, compression="zstd")
        else:
            self._file = open(path, "wb")  # noqa: SIM115 - closed in close()
            self._file.write((",".join(schema.names) + "\n").encode())
            options = pacsv.WriteOptions(include_header=False, quoting_style="none")
            self._csv = pacsv.CSVWriter(self._file, schema, write_options=options)

    def write(self, table: pa.Table) -> None:
        self.rows += table.num_rows
        if self.fmt == "parquet":
            self._parquet.write_table(table)
        else:
            self._csv.write_table(table)

    def close(self) -> None:
        if self.fmt == "parquet":
            self._parquet.close()
        else:
            self._csv.close()
            self._file.close()


def _check_out_dir(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise CskpiError(f"{out} exists and is not a folder; choose another --out")
    if out.is_dir() and any(out.iterdir()) and not (out / GROUND_TRUTH_FILE).is_file():
        raise CskpiError(
            f"{out} is not empty and is not a previous demo output (no {GROUND_TRUTH_FILE}); "
            "refusing to replace it. Choose an empty or new folder for --out."
        )


def write_demo(
    out_dir: str | Path,
    n_accounts: int,
    seed: int,
    as_of: dt.date = DEFAULT_AS_OF,
    fmt: Literal["csv", "parquet"] = "csv",
) -> DemoSummary:
    """Write the demo dataset to ``out_dir``, atomically.

    Every contract table is written as ``<table>.csv`` or ``<table>.parquet``, plus
    ``cskpi.toml`` and ``ground_truth.json``. Data are written into a temporary
    folder beside ``out_dir``, which then replaces it, so a reader never sees half a
    dataset. Event tables are generated and appended shard by shard, so memory stays
    bounded for a million accounts. The data are those of :func:`generate_demo` with
    the same arguments.

    Parameters
    ----------
    out_dir : target folder; must be absent, empty, or a previous demo output
        (it holds ``ground_truth.json``), which is replaced.
    n_accounts, seed, as_of : as in :func:`generate_demo`.
    fmt : ``"csv"`` (timestamps ``YYYY-MM-DD HH:MM:SS``, dates ``YYYY-MM-DD``, empty
        field for a missing value) or ``"parquet"`` (native date/timestamp types).

    Raises
    ------
    CskpiError
        ``out_dir`` is a file, or a non-empty folder that is not a demo output.
    """
    if fmt not in ("csv", "parquet"):
        raise CskpiError(f"format must be 'csv' or 'parquet', got {fmt!r}")
    began = time.perf_counter()
    out = Path(out_dir)
    _check_out_dir(out)
    model = _build_model(n_accounts, seed, as_of)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        writers = {name: _TableWriter(staging / f"{name}.{fmt}", _schema(name), fmt) for name in TABLES}
        writers["accounts"].write(model.accounts)
        writers["subscriptions"].write(model.subscriptions)
        health_sum = np.zeros(n_accounts)
        health_count = np.zeros(n_accounts, np.int64)
        batch: dict[str, list[pa.Table]] = {}

        def flush() -> None:
            for name, parts in batch.items():
                writers[name].write(pa.concat_tables(parts))
            batch.clear()

        for index, shard in enumerate(_shards(model)):
            first = index * SHARD_ACCOUNTS
            health_sum[first : first + len(shard.health_sum)] = shard.health_sum
            health_count[first : first + len(shard.health_count)] = shard.health_count
            for name, table in shard.tables.items():
                batch.setdefault(name, []).append(table)
            if (index + 1) % _WRITE_BATCH_SHARDS == 0:
                flush()
        flush()
        for writer in writers.values():
            writer.close()
        truth = _ground_truth(model, seed, as_of, health_sum, health_count)
        config = _config(as_of)
        (staging / GROUND_TRUTH_FILE).write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
        (staging / CONFIG_FILE).write_text(config_toml(config), encoding="utf-8")
        os.chmod(staging, 0o755)
        _check_out_dir(out)  # again: the folder may have changed while we generated
        if out.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
            os.replace(out, retired / out.name)
            os.replace(staging, out)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    row_counts = {name: writer.rows for name, writer in writers.items()}
    return DemoSummary(out, fmt, row_counts, truth, config, time.perf_counter() - began)
