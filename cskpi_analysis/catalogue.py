"""The KPI catalogue: one registry of definitions, by lifecycle stage.

Every KPI the suite computes, and every KPI of the reference catalogue it cannot
compute, is defined once in ``cskpi_analysis/catalogue.toml``: its stage
(onboarding, adoption, retention, expansion, advocacy, and support as the
operational family), whether it is a leading or a lagging indicator, the stage's
question, its formula in words and symbols, numerator and denominator, grain,
window, edge cases, the contract columns it reads, and where it is computed. Each
lagging KPI names the leading KPI that explains it (``paired_with``).

The registry is also the one place a KPI's identity in the reports lives: its label and short
label, unit, direction (``higher_is_better``), pooling rule, position in the headline table and
the scorecard, and the published benchmark it compares with. The tables the other modules use
(``kpis.HEADLINE``, ``summary.SCORECARD``, ``benchmarks.HIGHER_IS_BETTER``, ...) are derived from
:func:`headline`, :func:`scorecard` and :func:`benchmark_kpis`.

``docs/definitions.md`` is :func:`definitions_markdown` verbatim
(``cskpi catalogue --format markdown > docs/definitions.md``); a test keeps them equal.

Examples
--------
>>> from cskpi_analysis.catalogue import load_catalogue, stage_kpis
>>> [k.id for k in stage_kpis("onboarding") if k.computable][:2]
['time_to_first_value_median', 'time_to_first_value_p90']
>>> too_many_kpis_note(6) is None
True
>>> [k.id for k in headline()][:2]
['net_revenue_retention_t12m', 'gross_revenue_retention_t12m']
>>> get_kpi("logo_churn_rate").higher_is_better
False
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

#: Units of a KPI's value (how reports format it).
UNITS: tuple[str, ...] = ("rate", "money", "score", "days", "count", "ratio")

#: Forms of a published benchmark figure and of our value compared with it (``form`` of the benchmarks file).
BENCHMARK_FORMS: tuple[str, ...] = ("monthly_rate", "t12m", "annual_rate", "survey_score", "days")

#: The reporting fields of a KPI (optional), see :class:`KpiDefinition`.
_REPORTING = (
    "label",
    "short_label",
    "unit",
    "higher_is_better",
    "pooling",
    "headline",
    "scorecard",
    "scorecard_label",
    "benchmark",
)

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
        *_REPORTING,
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
class Pooling:
    """How a KPI's monthly values combine over a window of months.

    Attributes
    ----------
    numerator, denominator : the mart columns summed over the window; the pooled value is
        ``sum(numerator) / sum(denominator)``, so a month with a larger base weighs more. Both
        ``""`` for a KPI that is not pooled (``pooling = "none"``): a level read at one month,
        such as trailing-twelve-month retention.
    """

    numerator: str = ""
    denominator: str = ""

    @property
    def pooled(self) -> bool:
        return bool(self.numerator)


@dataclass(frozen=True)
class BenchmarkMapping:
    """The published benchmark a KPI is compared with.

    Attributes
    ----------
    kpi : a benchmark KPI (:class:`BenchmarkKpi`), the ``kpi`` column of the benchmarks file.
    form : the form our value takes in the comparison, one of :data:`BENCHMARK_FORMS`.
    basis : what the KPI counts (``revenue``, ``logo``, ``survey``, ``duration``): comparing
        across bases is never exact.
    """

    kpi: str
    form: str
    basis: str


@dataclass(frozen=True)
class BenchmarkKpi:
    """A KPI of the benchmarks file (its ``kpi`` column), whatever the period and form of a figure.

    Attributes
    ----------
    id : the value of the ``kpi`` column, e.g. ``"logo_churn_rate"`` (monthly or annual).
    label : its name in sentences ("Your annual net revenue retention of 97%").
    short_label : its name in comparison labels ("T12M NRR vs ...").
    higher_is_better, basis, unit : those of the catalogue KPIs compared with it (they agree).
    kpis : the ids of those catalogue KPIs, in catalogue order.
    """

    id: str
    label: str
    short_label: str
    higher_is_better: bool
    basis: str
    unit: str
    kpis: tuple[str, ...]

    @property
    def panel_label(self) -> str:
        """The label capitalised: the name of its chart panel ("Net revenue retention")."""
        return self.label[:1].upper() + self.label[1:]


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
    label : the label of a report table (the headline); defaults to ``name``.
    short_label : the name in a chart legend or panel; defaults to ``label``.
    unit : one of :data:`UNITS` ("" when not stated).
    higher_is_better : whether a higher value is better for the company (None when not stated).
    pooling : how months combine (:class:`Pooling`); None when not stated.
    headline, scorecard : position in the headline table and in the executive summary's
        scorecard, from 1 (0 = not there); ``scorecard_label`` is its label in the scorecard.
    benchmark : the published benchmark it compares with (:class:`BenchmarkMapping`), or None.
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
    label: str = ""
    short_label: str = ""
    unit: str = ""
    higher_is_better: bool | None = None
    pooling: Pooling | None = None
    headline: int = 0
    scorecard: int = 0
    scorecard_label: str = ""
    benchmark: BenchmarkMapping | None = None

    @property
    def required_tables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.split(".", 1)[0] for r in self.requires))

    @property
    def is_rate(self) -> bool:
        return bool(self.numerator and self.denominator)

    @property
    def mart_column(self) -> tuple[str, str] | None:
        """``(mart, column)`` when ``computed_by`` names a mart column, else None."""
        if not self.computed_by.startswith(("mart_", "int_")):
            return None
        table, _, column = self.computed_by.partition(".")
        return table, column


def _read_toml() -> dict[str, Any]:
    text = resources.files("cskpi_analysis").joinpath("catalogue.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@lru_cache(maxsize=1)
def _load() -> tuple[dict[str, StageInfo], tuple[KpiDefinition, ...], tuple[BenchmarkKpi, ...]]:
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
        reporting = _reporting(entry, label, problems)
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
                **reporting,
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
    for position in ("headline", "scorecard"):
        _check_positions(kpis, position, problems)
    benchmark_kpis = _benchmark_kpis(raw.get("benchmark_kpis", {}), kpis, problems)
    if problems:
        raise CatalogueError("catalogue.toml:\n" + "\n".join(problems))
    return stages, tuple(kpis), benchmark_kpis


def _text(entry: dict[str, Any], key: str, where: str, problems: list[str]) -> str:
    """An optional non-empty string field (``""`` when absent or wrong, with the problem noted)."""
    value = entry.get(key, "")
    if key in entry and (not isinstance(value, str) or not value.strip()):
        problems.append(f"{where}: {key} must be a non-empty string, got {value!r}")
        return ""
    return value


def _position(entry: dict[str, Any], key: str, where: str, problems: list[str]) -> int:
    value = entry.get(key, 0)
    if key in entry and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        problems.append(f"{where}: {key} must be a whole number from 1 (a position), got {value!r}")
        return 0
    return value


def _pooling(value: Any, where: str, problems: list[str]) -> Pooling | None:
    if value is None or value == "none":
        return None if value is None else Pooling()
    if isinstance(value, dict) and set(value) == {"numerator", "denominator"}:
        if all(isinstance(v, str) and v.strip() for v in value.values()):
            return Pooling(value["numerator"], value["denominator"])
    problems.append(
        f'{where}: pooling must be "none" or {{ numerator = "<mart column>", denominator = "<mart column>" }}, '
        f"got {value!r}"
    )
    return None


def _mapping(value: Any, where: str, problems: list[str]) -> BenchmarkMapping | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"kpi", "form", "basis"}:
        problems.append(f"{where}: benchmark must be {{ kpi = ..., form = ..., basis = ... }}, got {value!r}")
        return None
    if not all(isinstance(v, str) and v.strip() for v in value.values()):
        problems.append(f"{where}: benchmark kpi, form and basis must be non-empty strings, got {value!r}")
        return None
    if value["form"] not in BENCHMARK_FORMS:
        problems.append(f"{where}: benchmark form {value['form']!r} is not one of {', '.join(BENCHMARK_FORMS)}")
        return None
    return BenchmarkMapping(value["kpi"], value["form"], value["basis"])


def _reporting(entry: dict[str, Any], where: str, problems: list[str]) -> dict[str, Any]:
    """The reporting fields of one ``[[kpi]]`` entry, checked, as :class:`KpiDefinition` keywords."""
    label = _text(entry, "label", where, problems) or entry["name"]
    short_label = _text(entry, "short_label", where, problems) or label
    unit = _text(entry, "unit", where, problems)
    if unit and unit not in UNITS:
        problems.append(f"{where}: unit {unit!r} is not one of {', '.join(UNITS)}")
    higher = entry.get("higher_is_better")
    if higher is not None and not isinstance(higher, bool):
        problems.append(f"{where}: higher_is_better must be true or false, got {higher!r}")
        higher = None
    fields = {
        "label": label,
        "short_label": short_label,
        "unit": unit,
        "higher_is_better": higher,
        "pooling": _pooling(entry.get("pooling"), where, problems),
        "headline": _position(entry, "headline", where, problems),
        "scorecard": _position(entry, "scorecard", where, problems),
        "scorecard_label": _text(entry, "scorecard_label", where, problems) or short_label,
        "benchmark": _mapping(entry.get("benchmark"), where, problems),
    }
    needs = {
        "headline": ("higher_is_better", "pooling"),
        "scorecard": ("unit", "higher_is_better"),
        "benchmark": ("unit", "higher_is_better"),
    }
    for key, required in needs.items():
        lacking = [f for f in required if f not in entry]
        if key in entry and lacking:
            problems.append(f"{where}: a KPI with {key} needs {' and '.join(lacking)}")
    if "scorecard_label" in entry and "scorecard" not in entry:
        problems.append(f"{where}: scorecard_label without scorecard (its position in the scorecard)")
    computed_by = str(entry.get("computed_by", ""))
    if ("pooling" in entry or "headline" in entry) and not computed_by.startswith("mart_"):
        problems.append(f"{where}: pooling and headline need computed_by to name a mart column, got {computed_by!r}")
    return fields


def _check_positions(kpis: list[KpiDefinition], key: str, problems: list[str]) -> None:
    """Each headline or scorecard position is taken by one KPI only."""
    taken: dict[int, list[str]] = {}
    for kpi in kpis:
        if getattr(kpi, key):
            taken.setdefault(getattr(kpi, key), []).append(kpi.id)
    for position, ids in sorted(taken.items()):
        if len(ids) > 1:
            problems.append(f"{key} position {position} is taken by {' and '.join(ids)}")


def _benchmark_kpis(raw: Any, kpis: list[KpiDefinition], problems: list[str]) -> tuple[BenchmarkKpi, ...]:
    """The ``[benchmark_kpis]`` entries, each with the direction, basis and unit of its catalogue KPIs."""
    mapped: dict[str, list[tuple[KpiDefinition, BenchmarkMapping]]] = {}
    forms: dict[tuple[str, str], str] = {}
    for kpi in kpis:
        if kpi.benchmark is None:
            continue
        key = (kpi.benchmark.kpi, kpi.benchmark.form)
        if key in forms:
            problems.append(f"{kpi.id}: benchmark {key[0]} as {key[1]} is already the benchmark of {forms[key]}")
        forms[key] = kpi.id
        mapped.setdefault(kpi.benchmark.kpi, []).append((kpi, kpi.benchmark))
        if raw.get(kpi.benchmark.kpi) is None:
            problems.append(f"{kpi.id}: benchmark kpi {kpi.benchmark.kpi!r} is not in [benchmark_kpis]")
    out = []
    for bench_id, words in raw.items():
        where = f"benchmark_kpis.{bench_id}"
        if not isinstance(words, dict):
            problems.append(f"{where}: must be a table with label and short_label")
            continue
        unknown = sorted(set(words) - {"label", "short_label"})
        if unknown:
            problems.append(f"{where}: unknown field(s) {', '.join(unknown)}")
        label, short_label = (_text(words, key, where, problems) for key in ("label", "short_label"))
        if not label or not short_label:
            problems.append(f"{where}: needs label and short_label")
        users = mapped.get(bench_id, [])
        if not users:
            problems.append(f"{where}: no KPI of the catalogue compares with it (benchmark = {{ kpi = {bench_id!r} }})")
            continue
        for attribute, values in (
            ("higher_is_better", {k.higher_is_better for k, _ in users}),
            ("unit", {k.unit for k, _ in users}),
            ("basis", {m.basis for _, m in users}),
        ):
            if len(values) > 1:
                problems.append(f"{where}: its KPIs {', '.join(k.id for k, _ in users)} disagree on {attribute}")
        first, mapping = users[0]
        out.append(
            BenchmarkKpi(
                id=bench_id,
                label=label,
                short_label=short_label,
                higher_is_better=bool(first.higher_is_better),
                basis=mapping.basis,
                unit=first.unit,
                kpis=tuple(k.id for k, _ in users),
            )
        )
    return tuple(out)


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


def labels() -> dict[str, str]:
    """Every KPI's report label by id (``label``, which defaults to the name)."""
    return {kpi.id: kpi.label for kpi in _load()[1]}


def headline() -> list[KpiDefinition]:
    """The KPIs of the headline table (:func:`cskpi_analysis.kpis.headline_kpis`), in its order."""
    return sorted((k for k in _load()[1] if k.headline), key=lambda k: k.headline)


def scorecard() -> list[KpiDefinition]:
    """The KPIs of the executive summary's scorecard (:func:`cskpi_analysis.summary.scorecard`), in its order."""
    return sorted((k for k in _load()[1] if k.scorecard), key=lambda k: k.scorecard)


def benchmark_kpis() -> list[BenchmarkKpi]:
    """The KPIs of the benchmarks file (``[benchmark_kpis]``), in file order."""
    return list(_load()[2])


def kpi_for_benchmark(benchmark_kpi: str, form: str) -> KpiDefinition | None:
    """The catalogue KPI compared with a benchmark KPI in a form (``("net_revenue_retention", "t12m")``
    is ``net_revenue_retention_t12m``); None when no catalogue KPI takes that form (an annual logo churn)."""
    for kpi in _load()[1]:
        if kpi.benchmark is not None and (kpi.benchmark.kpi, kpi.benchmark.form) == (benchmark_kpi, form):
            return kpi
    return None


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
