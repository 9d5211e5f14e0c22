"""Reading and checking ``catalogue.toml``, and the lookups every other module uses.

:func:`_load` reads the registry once (cached) and refuses it, naming every broken rule, when a
field is missing or malformed; the public functions below it select from the loaded registry.
"""

from __future__ import annotations

import importlib
import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any

from cskpi_analysis.catalogue._model import (
    _ALWAYS,
    _KNOWN,
    _WHEN_COMPUTABLE,
    BENCHMARK_FORMS,
    INDICATORS,
    STAGES,
    UNITS,
    BenchmarkKpi,
    BenchmarkMapping,
    CatalogueError,
    KpiDefinition,
    Pooling,
    StageInfo,
)
from cskpi_analysis.contract import TABLES


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
