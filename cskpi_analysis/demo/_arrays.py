"""Small vectorised helpers: day arithmetic (days are integers since 1970-01-01, times are integer seconds
since then), categorical and uniform draws, and Arrow columns and tables in the contract's schema."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pacompute

from cskpi_analysis.contract import TABLES
from cskpi_analysis.demo._parameters import SEGMENTS


def _day_number(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


def _add_months(days: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """Add calendar months to day numbers; a day past the target month's end becomes its last day."""
    as_date = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    month = as_date.astype("datetime64[M]")
    day_in_month = (as_date - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.asarray(months, dtype=np.int64)
    target_first = target.astype("datetime64[D]")
    month_length = ((target + 1).astype("datetime64[D]") - target_first).astype(np.int64)
    return target_first.astype(np.int64) + np.minimum(day_in_month, month_length - 1)


def _month_index(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _first_day_of_month(month_index: np.ndarray) -> np.ndarray:
    return np.asarray(month_index, dtype=np.int64).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _rank_within(counts: np.ndarray) -> np.ndarray:
    """0, 1, ..., c-1 for each group of size c, concatenated."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)


def _choice_by_row(rng: np.random.Generator, probabilities: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One categorical draw per element of ``rows``, with probabilities ``probabilities[row]``."""
    cumulative = np.cumsum(probabilities, axis=1)[rows]
    u = rng.random(len(rows))
    return np.minimum((u[:, None] >= cumulative).sum(axis=1), probabilities.shape[1] - 1)


def _by_segment(values: dict[str, float]) -> np.ndarray:
    return np.array([values[s] for s in SEGMENTS], dtype=float)


def _matrix(shares: dict[str, dict[str, float]], categories: tuple[str, ...]) -> np.ndarray:
    return np.array([[shares[s].get(c, 0.0) for c in categories] for s in SEGMENTS], dtype=float)


def _interval_uniform(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Integer seconds uniform in [low, high) (high > low)."""
    return low + np.floor(rng.random(len(low)) * (high - low)).astype(np.int64)


def _strings(vocabulary: list[str] | tuple[str, ...], codes: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    array = pa.array(list(vocabulary), pa.string()).take(pa.array(np.asarray(codes, dtype=np.int64)))
    if mask is not None and mask.any():
        array = pacompute.if_else(pa.array(mask), pa.nulls(len(array), pa.string()), array)
    return array


def _dates(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(days, dtype=np.int64).astype("datetime64[D]"), pa.date32(), mask=mask)


def _timestamps(seconds: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(seconds, dtype=np.int64).astype("datetime64[s]"), pa.timestamp("s"), mask=mask)


def _account_ids(indices: np.ndarray, first: int, count: int) -> pa.Array:
    """Account ids ``ACC-000001`` ... for 0-based account indices in [first, first + count)."""
    vocabulary = [f"ACC-{i + 1:06d}" for i in range(first, first + count)]
    return _strings(vocabulary, np.asarray(indices, dtype=np.int64) - first)


_ARROW_TYPES = {
    "string": pa.string(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("s"),
    "decimal": pa.float64(),
    "integer": pa.int64(),
}


def _schema(table: str) -> pa.Schema:
    return pa.schema([pa.field(c.name, _ARROW_TYPES[c.type]) for c in TABLES[table].columns])


def _table(name: str, columns: dict[str, pa.Array]) -> pa.Table:
    schema = _schema(name)
    return pa.Table.from_arrays([columns[f.name].cast(f.type) for f in schema], schema=schema)


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(
        date_as_object=False, coerce_temporal_nanoseconds=True, types_mapper={pa.int64(): pd.Int64Dtype()}.get
    )
