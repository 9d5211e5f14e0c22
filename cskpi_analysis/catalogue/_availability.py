"""What a data folder or a built warehouse can compute: the KPIs each missing table, column or
option leaves out, and why (one sentence per missing source)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import duckdb

from cskpi_analysis.catalogue._model import KpiDefinition
from cskpi_analysis.catalogue._registry import load_catalogue, stage_kpis

if TYPE_CHECKING:
    from cskpi_analysis.quality import LeftOut

AvailableColumns = Mapping[str, Iterable[str]]


def available_columns_in_folder(data_dir: Any) -> dict[str, set[str]]:
    """The contract tables with at least one row in a data folder, with the columns that hold a value.

    A file with a header and no row is a table not provided; a column present in the header
    but empty in every row is a column not provided (see :data:`EMPTY_IS_A_VALUE` for the
    columns whose emptiness is a fact).
    """
    from cskpi_analysis.sources import present_tables, quote_identifier, raw_relation

    con = duckdb.connect()
    try:
        out = {}
        for name, path in present_tables(data_dir).items():
            relation = raw_relation(con, path)
            columns = [c for c in relation.columns if c != "_row"]
            counts = ", ".join(f"count({quote_identifier(c)})" for c in columns)
            row = relation.aggregate(f"count(*){', ' + counts if counts else ''}").fetchall()[0]
            if row and row[0]:
                out[name] = {c for c, n in zip(columns, row[1:], strict=True) if n}
        return out
    finally:
        con.close()


def available_columns_in_connection(con: Any) -> dict[str, set[str]] | None:
    """Tables with rows in a built warehouse, and their non-empty columns (None when unknown).

    Read from the source profile a warehouse file keeps (``cskpi_source_profile``), or from
    the ``src_`` views of an in-memory build (:func:`cskpi_analysis.quality.source_columns`).
    """
    from cskpi_analysis.quality import source_columns

    return source_columns(con)


def _normalise(available: AvailableColumns | Iterable[str]) -> dict[str, set[str] | None]:
    if isinstance(available, Mapping):
        return {t: set(cols) for t, cols in available.items()}
    return {t: None for t in available}  # table names only: columns assumed present


#: Optional columns whose empty value is a fact, not a gap: absent from the file or empty in every
#: row, the KPIs that read them are still computable (no subscription has ended: every one is ongoing).
EMPTY_IS_A_VALUE: frozenset[str] = frozenset({"subscriptions.end_date"})


def _missing(kpi: KpiDefinition, tables: dict[str, set[str] | None], config: Any) -> list[str]:
    """What ``kpi`` lacks: ``table X``, ``column t.c`` or ``option o in cskpi.toml``."""
    missing: list[str] = []
    for requirement in kpi.requires:
        table, _, column = requirement.partition(".")
        if table not in tables:
            missing.append(f"table {table}")
        elif tables[table] is not None and column not in tables[table] and requirement not in EMPTY_IS_A_VALUE:
            missing.append(f"column {requirement}")
    if config is not None:
        for option in kpi.requires_config:
            if not getattr(config, option.split(".", 1)[1], None):
                missing.append(f"option {option} in cskpi.toml")
    return list(dict.fromkeys(missing))


def computable_here(
    kpi: KpiDefinition, available: AvailableColumns | Iterable[str], config: Any = None
) -> tuple[bool, str]:
    """Whether ``kpi`` can be computed from the available tables (and columns), and why not.

    ``available`` maps table name to its columns, or is just the table names. ``config``
    (an :class:`~cskpi_analysis.config.AnalysisConfig`) is checked for ``requires_config``.
    A missing optional table makes a KPI "not computable here", never an error; a column of
    :data:`EMPTY_IS_A_VALUE` may be absent (read as empty in every row).
    """
    if not kpi.computable:
        return False, f"not computable: {kpi.missing_data}"
    missing = _missing(kpi, _normalise(available), config)
    if missing:
        return False, "not computable here: missing " + ", ".join(missing)
    return True, ""


def left_out_here(
    available: AvailableColumns | Iterable[str], config: Any = None, *, stage: str | None = None
) -> list[LeftOut]:
    """The KPIs the suite computes but this folder cannot, each with what data would enable it."""
    from cskpi_analysis.quality import LeftOut

    tables = _normalise(available)
    out = []
    for kpi in stage_kpis(stage) if stage else load_catalogue():
        missing = _missing(kpi, tables, config) if kpi.computable else []
        if missing:
            words = [m.split(" ", 1)[1] for m in missing]
            out.append(LeftOut(kpi.id, kpi.name, "needs " + _join_words(words)))
    return out


def left_out_sentences(left_out: Iterable[LeftOut]) -> list[str]:
    """One sentence per missing source: the KPIs it would enable (``<ids>: left out — needs X.``)."""
    groups: dict[str, list[str]] = {}
    for item in left_out:
        groups.setdefault(item.reason, []).append(item.name)
    return [f"{', '.join(ids)}: left out — {reason}." for reason, ids in groups.items()]


def _join_words(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
