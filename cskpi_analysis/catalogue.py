"""The KPI catalogue: one registry of definitions, by lifecycle stage.

Every KPI the suite computes, and every KPI of the reference catalogue it cannot
compute, is defined once in ``cskpi_analysis/catalogue.toml``: its stage
(onboarding, adoption, retention, expansion, advocacy, and support as the
operational family), whether it is a leading or a lagging indicator, the stage's
question, its formula in words and symbols, numerator and denominator, grain,
window, edge cases, the contract columns it reads, and where it is computed. Each
lagging KPI names the leading KPI that explains it (``paired_with``).

``docs/definitions.md`` is :func:`definitions_markdown` verbatim
(``cskpi catalogue --format markdown > docs/definitions.md``); a test keeps them equal.

Examples
--------
>>> from cskpi_analysis.catalogue import load_catalogue, stage_kpis
>>> [k.id for k in stage_kpis("onboarding") if k.computable][:2]
['time_to_first_value_median', 'time_to_first_value_p90']
>>> too_many_kpis_note(6) is None
True
"""

from __future__ import annotations

import importlib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal

import duckdb
import pandas as pd

from cskpi_analysis.contract import TABLES

if TYPE_CHECKING:
    from cskpi_analysis.quality import LeftOut

Stage = Literal["onboarding", "adoption", "retention", "expansion", "advocacy", "support"]
Indicator = Literal["leading", "lagging"]

STAGES: tuple[str, ...] = ("onboarding", "adoption", "retention", "expansion", "advocacy", "support")
INDICATORS: tuple[str, ...] = ("leading", "lagging")

#: The seeds' advice: five to eight KPIs across the team (three or four per CSM).
RECOMMENDED_KPIS = (5, 8)

_ALWAYS = ("id", "name", "stage", "indicator", "formula_words", "computable", "source")
_WHEN_COMPUTABLE = ("formula", "grain", "window", "edge_cases", "requires", "computed_by")
_KNOWN = (
    set(_ALWAYS)
    | set(_WHEN_COMPUTABLE)
    | {
        "aliases",
        "numerator",
        "denominator",
        "paired_with",
        "missing_data",
        "requires_config",
    }
)


class CatalogueError(ValueError):
    """``catalogue.toml`` breaks its own rules (a packaging bug, caught by the tests)."""


@dataclass(frozen=True)
class StageInfo:
    """A lifecycle stage: its order, title and the question its KPIs answer."""

    id: str
    order: int
    title: str
    question: str


@dataclass(frozen=True)
class KpiDefinition:
    """One KPI of the catalogue.

    Attributes
    ----------
    id : snake_case identifier; the ``kpi_id`` of ``mart_stage_kpis_monthly``.
    name : name in business language; ``aliases`` are other names of the same KPI.
    stage : onboarding | adoption | retention | expansion | advocacy | support.
    indicator : ``leading`` (predicts, gives time to act) or ``lagging`` (keeps score).
    question : the stage's question.
    formula_words, formula : the definition in words and in symbols.
    numerator, denominator : of a rate ("" otherwise).
    grain, window, edge_cases : what one value describes, over which period, and the traps.
    requires : contract columns read, as ``table.column``.
    requires_config : analysis options needed, e.g. ``analysis.key_features``.
    computed_by : a dotted function path or ``mart_table.column``.
    paired_with : for a lagging KPI, the leading KPI that explains it.
    computable : the suite computes it from the contract.
    missing_data : for a KPI it cannot compute, the data that would be needed.
    source : where the KPI comes from ("cskpi", "seed 002", ...).
    """

    id: str
    name: str
    stage: str
    indicator: str
    question: str
    formula_words: str
    computable: bool
    source: str
    aliases: tuple[str, ...] = ()
    formula: str = ""
    numerator: str = ""
    denominator: str = ""
    grain: str = ""
    window: str = ""
    edge_cases: str = ""
    requires: tuple[str, ...] = ()
    requires_config: tuple[str, ...] = ()
    computed_by: str = ""
    paired_with: str = ""
    missing_data: str = ""
    names: tuple[str, ...] = field(default=(), repr=False)

    @property
    def required_tables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.split(".", 1)[0] for r in self.requires))

    @property
    def is_rate(self) -> bool:
        return bool(self.numerator and self.denominator)


def _read_toml() -> dict[str, Any]:
    text = resources.files("cskpi_analysis").joinpath("catalogue.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@lru_cache(maxsize=1)
def _load() -> tuple[dict[str, StageInfo], tuple[KpiDefinition, ...]]:
    raw = _read_toml()
    stages = {
        stage_id: StageInfo(stage_id, int(info["order"]), str(info["title"]), str(info["question"]))
        for stage_id, info in raw.get("stages", {}).items()
    }
    if set(stages) != set(STAGES):
        raise CatalogueError(f"catalogue stages must be {', '.join(STAGES)}; got {', '.join(stages)}")
    problems: list[str] = []
    kpis: list[KpiDefinition] = []
    for position, entry in enumerate(raw.get("kpi", []), start=1):
        label = entry.get("id", f"entry #{position}")
        unknown = sorted(set(entry) - _KNOWN)
        missing = [f for f in _ALWAYS if f not in entry or entry[f] in ("", None)]
        if entry.get("computable"):
            missing += [f for f in _WHEN_COMPUTABLE if not entry.get(f)]
        elif not entry.get("missing_data"):
            missing.append("missing_data")
        if unknown:
            problems.append(f"{label}: unknown field(s) {', '.join(unknown)}")
        if missing:
            problems.append(f"{label}: missing {', '.join(missing)}")
            continue
        if entry["stage"] not in STAGES:
            problems.append(f"{label}: stage {entry['stage']!r} is not one of {', '.join(STAGES)}")
            continue
        if entry["indicator"] not in INDICATORS:
            problems.append(f"{label}: indicator {entry['indicator']!r} is not leading or lagging")
        for requirement in entry.get("requires", []):
            table, _, column = requirement.partition(".")
            if table not in TABLES or column not in {c.name for c in TABLES[table].columns}:
                problems.append(f"{label}: requires {requirement!r}, which is not a contract column")
        aliases = tuple(entry.get("aliases", ()))
        kpis.append(
            KpiDefinition(
                id=entry["id"],
                name=entry["name"],
                stage=entry["stage"],
                indicator=entry["indicator"],
                question=stages[entry["stage"]].question,
                formula_words=entry["formula_words"],
                computable=bool(entry["computable"]),
                source=entry["source"],
                aliases=aliases,
                formula=entry.get("formula", ""),
                numerator=entry.get("numerator", ""),
                denominator=entry.get("denominator", ""),
                grain=entry.get("grain", ""),
                window=entry.get("window", ""),
                edge_cases=entry.get("edge_cases", ""),
                requires=tuple(entry.get("requires", ())),
                requires_config=tuple(entry.get("requires_config", ())),
                computed_by=entry.get("computed_by", ""),
                paired_with=entry.get("paired_with", ""),
                missing_data=entry.get("missing_data", ""),
                names=(entry["name"], *aliases),
            )
        )
    by_id: dict[str, KpiDefinition] = {}
    for kpi in kpis:
        if kpi.id in by_id:
            problems.append(f"{kpi.id}: duplicate id")
        by_id[kpi.id] = kpi
    for kpi in kpis:
        if kpi.indicator == "lagging" and not kpi.paired_with:
            problems.append(f"{kpi.id}: a lagging KPI must name the leading KPI that explains it (paired_with)")
        if kpi.paired_with:
            partner = by_id.get(kpi.paired_with)
            if partner is None:
                problems.append(f"{kpi.id}: paired_with {kpi.paired_with!r} is not a KPI of the catalogue")
            elif partner.indicator != "leading":
                problems.append(f"{kpi.id}: paired_with {kpi.paired_with!r} must be a leading KPI")
    if problems:
        raise CatalogueError("catalogue.toml:\n" + "\n".join(problems))
    return stages, tuple(kpis)


def load_catalogue() -> list[KpiDefinition]:
    """Every KPI of the registry, validated, in file order (grouped by stage).

    Raises :class:`CatalogueError` naming each broken rule: a missing field, a duplicate
    id, an unknown stage or indicator, a ``requires`` that is not a contract column, a
    lagging KPI without a pairing, or a pairing that is not an existing leading KPI.
    """
    return list(_load()[1])


def stages() -> list[StageInfo]:
    """The lifecycle stages, in order."""
    return sorted(_load()[0].values(), key=lambda s: s.order)


def get_kpi(kpi_id: str) -> KpiDefinition:
    """The definition of one KPI; ``KeyError`` naming the id when unknown."""
    for kpi in _load()[1]:
        if kpi.id == kpi_id:
            return kpi
    raise KeyError(f"no KPI {kpi_id!r} in the catalogue")


def stage_kpis(stage: str) -> list[KpiDefinition]:
    """The KPIs of one stage, computable ones first, leading before lagging."""
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {', '.join(STAGES)}, got {stage!r}")
    chosen = [k for k in _load()[1] if k.stage == stage]
    return sorted(chosen, key=lambda k: (not k.computable, INDICATORS.index(k.indicator)))


def resolve_computed_by(kpi: KpiDefinition) -> Any:
    """Import the function named by ``computed_by`` (mart columns return their ``(table, column)``)."""
    target = kpi.computed_by
    if target.startswith(("mart_", "int_")):
        table, _, column = target.partition(".")
        return table, column
    module_name, _, attribute = target.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


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


def catalogue_frame(
    con: duckdb.DuckDBPyConnection | None = None,
    available_tables: AvailableColumns | Iterable[str] | None = None,
    *,
    config: Any = None,
    stage: str | None = None,
) -> pd.DataFrame:
    """The registry as a frame, one row per KPI, with ``computable_here`` and ``why_not``.

    With ``con`` (a built connection) the available data are the ``src_`` views with rows;
    with ``available_tables`` (table names, or table -> columns) those; with neither,
    ``computable_here`` is just ``computable`` (the registry alone).
    """
    if con is not None and available_tables is None:
        available_tables = available_columns_in_connection(con)  # None when unknown: the registry alone
    rows = []
    kpis = stage_kpis(stage) if stage else load_catalogue()
    for kpi in kpis:
        if available_tables is None:
            here, why = kpi.computable, ("" if kpi.computable else f"not computable: {kpi.missing_data}")
        else:
            here, why = computable_here(kpi, available_tables, config)
        rows.append(
            {
                "kpi_id": kpi.id,
                "name": kpi.name,
                "stage": kpi.stage,
                "indicator": kpi.indicator,
                "question": kpi.question,
                "paired_with": kpi.paired_with or None,
                "computable": kpi.computable,
                "computable_here": here,
                "why_not": why or None,
                "computed_by": kpi.computed_by or None,
                "grain": kpi.grain or None,
                "window": kpi.window or None,
                "formula": kpi.formula or None,
                "aliases": ", ".join(kpi.aliases) or None,
                "source": kpi.source,
            }
        )
    return pd.DataFrame(rows)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def definitions_markdown() -> str:
    """The user docs' definitions page (``docs/definitions.md``), generated from the registry.

    One table per stage of the KPIs the suite computes (KPI, leading/lagging, formula,
    numerator/denominator, grain, window, edge cases, paired leading KPI), then the
    catalogue KPIs it cannot compute and the data each would need.
    """
    kpis = load_catalogue()
    names = {k.id: k.name for k in kpis}
    lines = [
        "# KPI definitions",
        "",
        "<!-- Generated from cskpi_analysis/catalogue.toml by `cskpi catalogue --format markdown`;"
        " do not edit by hand. -->",
        "",
        "One definition per KPI, grouped by lifecycle stage. Each stage answers one question; leading",
        "KPIs predict where things are heading and give time to act, lagging KPIs keep the score, and",
        "each lagging KPI is paired with the leading KPI that explains it. Rates are reported with their",
        "numerator and denominator; a rate whose denominator is 0 is empty, never 0.",
        "",
        f"Track five to eight KPIs across the team (three or four per CSM): {len(kpis)} are defined",
        "here so that everyone uses the same words, not so that all of them are reported.",
        "",
    ]
    for stage in stages():
        chosen = [k for k in stage_kpis(stage.id) if k.computable]
        lines += [f"## {stage.title}: {stage.question}", ""]
        lines += [
            "| KPI | leading/lagging | formula | grain | window | edge cases | paired with |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for k in chosen:
            formula = f"{k.formula_words}<br>`{k.formula}`"
            if k.is_rate:
                formula += f"<br>numerator: {k.numerator}; denominator: {k.denominator}"
            also = f" (also: {', '.join(k.aliases)})" if k.aliases else ""
            lines.append(
                f"| **{_cell(k.name)}**{_cell(also)}<br>`{k.id}` | {k.indicator} | {_cell(formula)} | {_cell(k.grain)} "
                f"| {_cell(k.window)} | {_cell(k.edge_cases)} | {_cell(names.get(k.paired_with, '—'))} |"
            )
        lines.append("")
    lines += [
        "## Catalogue KPIs cskpi does not compute",
        "",
        "KPIs of the reference catalogue that the data contract cannot support (or that cskpi does",
        "not implement yet), and the data each would need.",
        "",
        "| KPI | stage | leading/lagging | definition | data needed |",
        "| --- | --- | --- | --- | --- |",
    ]
    for stage in stages():
        for k in stage_kpis(stage.id):
            if not k.computable:
                lines.append(
                    f"| {_cell(k.name)} | {stage.id} | {k.indicator} | {_cell(k.formula_words)} | {_cell(k.missing_data)} |"
                )
    lines.append("")
    return "\n".join(lines)


def too_many_kpis_note(n: int) -> str | None:
    """A note when more KPIs are tracked than the recommended five to eight; else None."""
    low, high = RECOMMENDED_KPIS
    if n <= high:
        return None
    return (
        f"{n} KPIs are tracked: the recommendation is {low} to {high} across the team (three or four per CSM). "
        "Track the rest in the background, but report and act on a small set, starting with the stage most "
        "of your accounts are in."
    )
