"""Results kept beside the warehouse, under a digest of the columns and arguments they are computed from."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cskpi_analysis.warehouse import Reader, kept


def _column_bytes(values: pd.Series | pd.Index) -> bytes:
    """The bytes a kept result depends on for one column (or index): its dtype and its values, in order."""
    if isinstance(values, pd.RangeIndex):
        return repr(("range", values.start, values.stop, values.step)).encode()
    dtype = values.dtype
    head = repr((getattr(values, "name", None), str(dtype))).encode()
    if isinstance(dtype, pd.CategoricalDtype):
        codes = values.cat.codes if isinstance(values, pd.Series) else values.codes
        return head + repr((list(dtype.categories), dtype.ordered)).encode() + np.asarray(codes).tobytes()
    if isinstance(dtype, np.dtype) and dtype.kind in "biufmM":
        return head + np.ascontiguousarray(values.to_numpy()).tobytes()
    return head + pd.util.hash_pandas_object(values, index=False).to_numpy().tobytes()


def _inputs_digest(*inputs: Any) -> str:
    """A short hash of everything a result is computed from: columns by their values, the rest by ``repr``."""
    digest = hashlib.blake2b(digest_size=10)
    for part in inputs:
        digest.update(b"\x1f")
        digest.update(_column_bytes(part) if isinstance(part, pd.Series | pd.Index) else repr(part).encode())
    return digest.hexdigest()


def _keep(keep: Reader | None, name: str, digest: str, compute: Callable[[Any], pd.DataFrame]) -> pd.DataFrame:
    """``compute(keep)``, kept beside the warehouse ``keep`` under ``digest``, that of its inputs (:func:`_inputs_digest`).

    The result is stored once per warehouse (:func:`cskpi_analysis.warehouse.kept`: keyed by the
    warehouse's fingerprint and the source of the module that defines ``compute``) and under the
    digest of the columns and arguments it is computed from, so other data never reads it back.
    ``compute`` is defined by the caller (a ``lambda _: ...`` in the module of the analysis), so a
    change to that module computes the result again. ``keep=None``: computed.
    """
    if keep is None:
        return compute(keep)
    value = kept(keep, f"{name}_{digest}", compute)
    return pd.DataFrame() if value.columns.empty else value.copy()


def _frame_inputs(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[Any, ...]:
    """The inputs of a kept result read from ``frame``: its index and the named columns it has."""
    return (frame.index, *(frame[c] for c in dict.fromkeys(columns) if c in frame.columns), tuple(columns))
