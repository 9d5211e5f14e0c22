"""The KPI registry (catalogue.toml): every label, direction, basis and order table is derived from it,
and a malformed reporting field is refused with a clear error.

The "before" tables below are the hand-written literals these tables replaced (kpis.HEADLINE,
summary.SCORECARD, benchmarks.HIGHER_IS_BETTER / KPI_BASIS / _LABELS / SCORECARD_FAMILIES,
charts_benchmarks._KPI_NAMES / _PANEL_NAMES / RATE_KPIS at commit c4933c9), copied verbatim: the
derived tables must equal them, so that no rendered label or order changes.
"""

from __future__ import annotations

import ast
import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from cskpi_analysis import benchmarks as bm
from cskpi_analysis import catalogue, kpis, summary
from cskpi_analysis.benchmarks import _vocabulary
from cskpi_analysis.catalogue import CatalogueError, get_kpi
from cskpi_analysis.catalogue import _registry as registry_module
from cskpi_analysis.charts import benchmarks as cb
from cskpi_analysis.charts import kpis as charts_kpis
from cskpi_analysis.config import AnalysisConfig
from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.warehouse import build_marts
from tests.helpers import benchmark_marts, write_folder

REPO_ROOT = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------- the tables before the registry

HEADLINE_BEFORE = (
    ("net_revenue_retention_t12m", "nrr_t12m", "NRR (trailing 12 months)", True),
    ("gross_revenue_retention_t12m", "grr_t12m", "GRR (trailing 12 months)", True),
    ("logo_retention_t12m", "logo_retention_t12m", "Logo retention (trailing 12 months)", True),
    ("logo_churn_rate", "logo_churn_rate", "Logo churn rate (monthly, last 12 months pooled)", False),
    ("gross_mrr_churn_rate", "gross_mrr_churn_rate", "Gross MRR churn rate (monthly, last 12 months pooled)", False),
    ("net_revenue_retention", "nrr", "NRR (monthly, last 12 months pooled)", True),
    ("gross_revenue_retention", "grr", "GRR (monthly, last 12 months pooled)", True),
    ("expansion_rate", "expansion_rate", "Expansion rate (monthly, last 12 months pooled)", True),
    ("contraction_rate", "contraction_rate", "Contraction rate (monthly, last 12 months pooled)", False),
)

SCORECARD_BEFORE = (
    ("monthly_recurring_revenue", "MRR", "money", True),
    ("net_revenue_retention_t12m", "NRR (T12M)", "rate", True),
    ("gross_revenue_retention_t12m", "GRR (T12M)", "rate", True),
    ("logo_churn_rate", "Logo churn (monthly)", "rate", False),
    ("mrr_at_risk", "MRR at risk (3 months)", "money", False),
)

HIGHER_IS_BETTER_BEFORE = {
    "net_revenue_retention": True,
    "gross_revenue_retention": True,
    "logo_churn_rate": False,
    "logo_retention": True,
    "gross_mrr_churn_rate": False,
    "nps": True,
    "time_to_first_value_days": False,
}

KPI_BASIS_BEFORE = {
    "net_revenue_retention": "revenue",
    "gross_revenue_retention": "revenue",
    "gross_mrr_churn_rate": "revenue",
    "logo_churn_rate": "logo",
    "logo_retention": "logo",
    "nps": "survey",
    "time_to_first_value_days": "duration",
}

LABELS_BEFORE = {
    "net_revenue_retention": "net revenue retention",
    "gross_revenue_retention": "gross revenue retention",
    "logo_churn_rate": "logo churn rate",
    "logo_retention": "logo retention",
    "gross_mrr_churn_rate": "gross revenue churn rate",
    "nps": "NPS",
    "time_to_first_value_days": "time to first value",
}

KPI_NAMES_BEFORE = {
    "net_revenue_retention": "NRR",
    "gross_revenue_retention": "GRR",
    "logo_churn_rate": "logo churn",
    "logo_retention": "logo retention",
    "gross_mrr_churn_rate": "gross revenue churn",
    "nps": "NPS",
    "time_to_first_value_days": "time to first value",
}

PANEL_NAMES_BEFORE = {
    "net_revenue_retention": "Net revenue retention",
    "gross_revenue_retention": "Gross revenue retention",
    "logo_churn_rate": "Logo churn rate",
    "logo_retention": "Logo retention",
    "gross_mrr_churn_rate": "Gross revenue churn rate",
    "nps": "NPS",
    "time_to_first_value_days": "Time to first value",
}

RATE_KPIS_BEFORE = frozenset(
    {"net_revenue_retention", "gross_revenue_retention", "logo_churn_rate", "logo_retention", "gross_mrr_churn_rate"}
)

SCORECARD_FAMILIES_BEFORE = {
    "net_revenue_retention_t12m": ("net_revenue_retention",),
    "gross_revenue_retention_t12m": ("gross_revenue_retention", "gross_mrr_churn_rate"),
    "logo_churn_rate": ("logo_retention", "logo_churn_rate"),
}


# --------------------------------------------------------------------------- derived tables


def test_the_headline_table_is_the_registry_headline_unchanged():
    assert kpis.HEADLINE == HEADLINE_BEFORE
    for position, (kpi_id, column, label, higher) in enumerate(kpis.HEADLINE, start=1):
        kpi = get_kpi(kpi_id)
        assert (kpi.headline, kpi.label, kpi.higher_is_better) == (position, label, higher)
        assert catalogue.labels()[kpi_id] == label
        assert kpi.mart_column is not None and kpi.mart_column[1] == column
    assert [k.id for k in catalogue.headline()] == [row[0] for row in HEADLINE_BEFORE]


def test_the_scorecard_is_the_registry_scorecard_unchanged():
    assert summary.SCORECARD == SCORECARD_BEFORE
    for position, (kpi_id, label, unit, higher) in enumerate(summary.SCORECARD, start=1):
        kpi = get_kpi(kpi_id)
        assert (kpi.scorecard, kpi.scorecard_label, kpi.unit, kpi.higher_is_better) == (position, label, unit, higher)


#: The catalogue id of each benchmarked KPI with its measure (the benchmarks file's ``kpi``): the tables
#: before were keyed by measure, they are keyed by catalogue id now, with the words of its measure.
MEASURE_OF = {
    "time_to_first_value_median": "time_to_first_value_days",
    "logo_churn_rate": "logo_churn_rate",
    "gross_mrr_churn_rate": "gross_mrr_churn_rate",
    "logo_churn_rate_annual": "logo_churn_rate",
    "gross_mrr_churn_rate_annual": "gross_mrr_churn_rate",
    "gross_revenue_retention": "gross_revenue_retention",
    "net_revenue_retention": "net_revenue_retention",
    "gross_revenue_retention_t12m": "gross_revenue_retention",
    "net_revenue_retention_t12m": "net_revenue_retention",
    "logo_retention_t12m": "logo_retention",
    "net_promoter_score": "nps",
}


def test_benchmark_labels_directions_and_bases_come_from_the_registry_unchanged():
    assert bm.KPI_IDS == tuple(MEASURE_OF)  # catalogue order: the order of error messages
    assert bm.MEASURES == tuple(HIGHER_IS_BETTER_BEFORE)
    assert {kpi: mapping.kpi for kpi, mapping in bm.BENCHMARK_OF.items()} == MEASURE_OF
    assert bm.HIGHER_IS_BETTER == {kpi: HIGHER_IS_BETTER_BEFORE[m] for kpi, m in MEASURE_OF.items()}
    assert bm.KPI_BASIS == {kpi: KPI_BASIS_BEFORE[m] for kpi, m in MEASURE_OF.items()}
    assert _vocabulary._LABELS == {kpi: LABELS_BEFORE[m] for kpi, m in MEASURE_OF.items()}
    assert cb._KPI_NAMES == {kpi: KPI_NAMES_BEFORE[m] for kpi, m in MEASURE_OF.items()}
    assert cb._PANEL_NAMES == {kpi: PANEL_NAMES_BEFORE[m] for kpi, m in MEASURE_OF.items()}
    assert cb.RATE_KPIS == {kpi for kpi, m in MEASURE_OF.items() if m in RATE_KPIS_BEFORE}
    assert bm.SCORECARD_FAMILIES == SCORECARD_FAMILIES_BEFORE
    assert bm.FORMS == catalogue.BENCHMARK_FORMS


def test_a_benchmark_kpi_has_the_direction_and_basis_of_every_catalogue_kpi_compared_with_it():
    for bench in catalogue.benchmark_kpis():
        assert bench.kpis, bench.id
        for kpi_id in bench.kpis:
            kpi = get_kpi(kpi_id)
            assert kpi.benchmark is not None and kpi.benchmark.kpi == bench.id
            assert (kpi.higher_is_better, kpi.benchmark.basis, kpi.unit) == (
                bm.HIGHER_IS_BETTER[kpi_id],
                bm.KPI_BASIS[kpi_id],
                bench.unit,
            ), kpi_id
            assert (bench.higher_is_better, bench.basis) == (bm.HIGHER_IS_BETTER[kpi_id], bm.KPI_BASIS[kpi_id])


def test_every_kpi_and_form_of_the_benchmarks_file_maps_to_the_registry():
    raw = pd.read_csv(REPO_ROOT / "cskpi_analysis" / "data" / "benchmarks.csv", dtype=str, keep_default_na=False)
    curated = bm.load_benchmarks()
    # `cut -d, -f2,4 cskpi_analysis/data/benchmarks.csv | sort -u`: six (kpi, form) pairs, each one catalogue KPI;
    # the annual churn rates are published figures cskpi does not compute (ours are monthly), compared by conversion
    mapped = dict(zip(zip(raw["kpi"], raw["form"], strict=True), curated["kpi"], strict=True))
    assert mapped == {
        ("gross_mrr_churn_rate", "annual_rate"): "gross_mrr_churn_rate_annual",
        ("gross_revenue_retention", "t12m"): "gross_revenue_retention_t12m",
        ("logo_churn_rate", "annual_rate"): "logo_churn_rate_annual",
        ("logo_churn_rate", "monthly_rate"): "logo_churn_rate",
        ("net_revenue_retention", "t12m"): "net_revenue_retention_t12m",
        ("nps", "survey_score"): "net_promoter_score",
    }
    for (measure, form), kpi_id in mapped.items():
        assert getattr(catalogue.kpi_for_benchmark(measure, form), "id", None) == kpi_id
        assert get_kpi(kpi_id).benchmark == catalogue.BenchmarkMapping(measure, form, bm.KPI_BASIS[kpi_id])
    assert not get_kpi("logo_churn_rate_annual").computable and not get_kpi("gross_mrr_churn_rate_annual").computable


def test_user_kpis_are_the_registry_benchmarked_kpis_in_the_order_they_had():
    # order of the pooled(...) calls then the T12M loop of user_kpis_from_marts before the registry
    found = bm.user_kpis_from_marts(*benchmark_marts())
    assert [(k.kpi, k.form) for k in found] == [
        ("logo_churn_rate", "monthly_rate"),
        ("gross_mrr_churn_rate", "monthly_rate"),
        ("gross_revenue_retention", "monthly_rate"),
        ("net_revenue_retention", "monthly_rate"),
        ("gross_revenue_retention_t12m", "t12m"),
        ("net_revenue_retention_t12m", "t12m"),
        ("logo_retention_t12m", "t12m"),
    ]
    annual_churn = bm.UserKpi("logo_churn_rate_annual", 0.2, "All", None, None, "2026-08-01")
    assert (annual_churn.period, annual_churn.form) == ("annual", "annual_rate")


def _charted_rates(notebook: Path) -> list[Any]:
    """The ``rates`` argument of each charts_kpis.rate_trend_chart call in a notebook, as a literal."""
    return [
        ast.literal_eval(node.args[1])
        for node in ast.walk(ast.parse(notebook.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "rate_trend_chart"
    ]


def _legend(columns: list[str]) -> list[str]:
    """The legend entries of a rate trend chart of ``columns``, in drawing order."""
    frame = pd.DataFrame({"month": pd.to_datetime(["2024-01-01"])})
    for column in columns:
        frame[[column, f"{column}_numerator", f"{column}_denominator"]] = [[0.5, 1.0, 2.0]]
    spec = charts_kpis.rate_trend_chart(frame, columns, "t").to_dict()
    rows = [row for data in spec["datasets"].values() for row in data]
    return list(dict.fromkeys(row["kpi"] for row in rows))


def test_the_kpi_overview_charts_take_their_legends_from_the_registry():
    # the notebook names mart columns only: no legend is spelled there (its Jupyter copy need not be kept in sync)
    rates = _charted_rates(REPO_ROOT / "notebooks" / "01_kpi_overview.py")
    assert len(rates) == 3
    assert all(isinstance(columns, list) and all(isinstance(c, str) for c in columns) for columns in rates), rates
    # the builder labels each column with its KPI's short label: unchanged for NRR (the label shown before)
    by_column = {k.mart_column[1]: k.short_label for k in catalogue.load_catalogue() if k.mart_column}
    for columns in rates:
        assert _legend(columns) == [by_column[c] for c in columns]
    assert charts_kpis.registry_legends(["nrr_t12m", "grr_t12m"]) == {"nrr_t12m": "NRR", "grr_t12m": "GRR"}
    assert get_kpi("net_revenue_retention_t12m").short_label == "NRR"


def test_a_chart_legend_follows_the_registry_short_label(monkeypatch):
    registry = catalogue.load_catalogue()
    renamed = [
        replace(k, short_label="Net revenue kept") if k.id == "net_revenue_retention_t12m" else k for k in registry
    ]
    monkeypatch.setattr(catalogue, "load_catalogue", lambda: renamed)
    assert _legend(["nrr_t12m", "grr_t12m"]) == ["Net revenue kept", "GRR"]
    with pytest.raises(KeyError, match="mrr_typo"):
        charts_kpis.registry_legends(["nrr_t12m", "mrr_typo"])


def test_pooling_and_level_columns_exist_in_the_marts(tmp_path):
    con = build_marts(
        write_folder(tmp_path, [("A", "2024-01-01", None, 100, 1)]), AnalysisConfig(as_of=dt.date(2024, 2, 29))
    )
    columns = {
        mart: {r[0] for r in con.execute(f"describe {mart}").fetchall()}
        for mart in ("mart_kpis_monthly", "mart_retention_t12m")
    }
    checked = 0
    for kpi in catalogue.load_catalogue():
        if kpi.pooling is None:
            continue
        assert kpi.mart_column is not None, kpi.id
        mart, column = kpi.mart_column
        if kpi.pooling.pooled:
            needed = {kpi.pooling.numerator, kpi.pooling.denominator}
        else:
            needed = {f"{column}_numerator", f"{column}_denominator"}
        assert needed <= columns[mart], (kpi.id, needed - columns[mart])
        checked += 1
    assert checked == 10  # the nine headline KPIs and net MRR churn


# --------------------------------------------------------------------------- pooled()


def test_pooled_divides_the_sums_and_returns_both_counts():
    window = pd.DataFrame({"logo_churn_rate_numerator": [2, 3, 0], "logo_churn_rate_denominator": [100, 100, 50]})
    result = kpis.pooled(window, "logo_churn_rate")
    # (2 + 3 + 0) / (100 + 100 + 50) = 5 / 250 = 0.02: the larger months weigh more than a mean of rates (0.0167)
    assert (result.numerator, result.denominator, result.months) == (5.0, 250.0, 3)
    assert result.value == pytest.approx(0.02)


def test_pooled_over_no_base_has_no_value_but_keeps_its_counts():
    window = pd.DataFrame({"nrr_numerator": [0.0, 0.0], "nrr_denominator": [0.0, 0.0]})
    result = kpis.pooled(window, "net_revenue_retention")
    assert (result.value, result.numerator, result.denominator, result.months) == (None, 0.0, 0.0, 2)


def test_pooled_refuses_a_kpi_that_is_not_pooled():
    with pytest.raises(AnalysisError, match="net_revenue_retention_t12m is not pooled"):
        kpis.pooled(pd.DataFrame({"nrr_t12m_numerator": [1.0]}), "net_revenue_retention_t12m")


# --------------------------------------------------------------------------- validation of the registry


def _entry(kpi_id: str, **fields: Any) -> dict[str, Any]:
    """A computable leading KPI that passes every rule but the reporting fields given."""
    return {
        "id": kpi_id, "name": kpi_id.capitalize(), "stage": "retention", "indicator": "leading",
        "formula_words": "x", "formula": "x", "grain": "month", "window": "one month", "edge_cases": "none",
        "requires": ["subscriptions.mrr"], "computed_by": f"mart_kpis_monthly.{kpi_id}", "computable": True,
        "source": "test", **fields,
    }  # fmt: skip


RATE = {"unit": "rate", "higher_is_better": True}


def _registry(*entries: dict[str, Any], benchmark_kpis: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "stages": {s: {"order": i, "title": s, "question": "?"} for i, s in enumerate(catalogue.STAGES)},
        "benchmark_kpis": {"churn": {"label": "churn", "short_label": "churn"}}
        if benchmark_kpis is None
        else benchmark_kpis,
        "kpi": list(entries),
    }


def _loaded(monkeypatch: pytest.MonkeyPatch, registry: dict[str, Any]) -> tuple[Any, ...]:
    """The registry's (stages, KPIs, benchmark KPIs), or the CatalogueError it raises."""
    monkeypatch.setattr(registry_module, "_read_toml", lambda: registry)
    registry_module._load.cache_clear()
    try:
        return registry_module._load()
    finally:
        monkeypatch.undo()
        registry_module._load.cache_clear()


def _refused(monkeypatch: pytest.MonkeyPatch, registry: dict[str, Any]) -> str:
    with pytest.raises(CatalogueError) as excinfo:
        _loaded(monkeypatch, registry)
    return str(excinfo.value)


VALID = (
    _entry("a", label="A (monthly)", short_label="A", pooling={"numerator": "a_n", "denominator": "a_d"}, headline=2,
           benchmark={"kpi": "churn", "form": "monthly_rate", "basis": "logo"}, **RATE),
    _entry("b", pooling="none", headline=1, scorecard=1, **RATE),
)  # fmt: skip


def test_a_well_formed_registry_gives_its_orders_labels_and_benchmark_kpis(monkeypatch):
    _, found, bench = _loaded(monkeypatch, _registry(*VALID))
    a, b = found
    assert sorted(found, key=lambda k: k.headline) == [b, a]
    assert (a.label, a.short_label, a.scorecard_label) == ("A (monthly)", "A", "A")
    assert (b.label, b.short_label, b.scorecard_label) == ("B", "B", "B")  # each defaults to the one before
    assert (a.pooling.pooled, b.pooling.pooled) == (True, False)
    assert bench == (catalogue.BenchmarkKpi("churn", "churn", "churn", True, "logo", "rate", ("a",)),)


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ((_entry("a", higher_is_better="yes"),), "a: higher_is_better must be true or false, got 'yes'"),
        ((_entry("a", unit="percent"),), "a: unit 'percent' is not one of rate, money"),
        ((_entry("a", label=""),), "a: label must be a non-empty string, got ''"),
        ((_entry("a", pooling={"numerator": "a_n"}),), 'a: pooling must be "none" or { numerator ='),
        ((_entry("a", pooling="sum"),), 'a: pooling must be "none" or { numerator ='),
        ((_entry("a", headline=0, pooling="none", **RATE),), "a: headline must be a whole number from 1"),
        ((_entry("a", headline=1, **RATE),), "a: a KPI with headline needs pooling"),
        ((_entry("a", headline=1, pooling="none", **RATE), _entry("b", headline=1, pooling="none", **RATE)),
         "headline position 1 is taken by a and b"),
        ((_entry("a", scorecard=1, higher_is_better=True),), "a: a KPI with scorecard needs unit"),
        ((_entry("a", scorecard_label="A"),), "a: scorecard_label without scorecard"),
        ((_entry("a", pooling="none", computed_by="cskpi_analysis.kpis.headline_kpis"),),
         "a: pooling and headline need computed_by to name a mart column"),
        ((_entry("a", benchmark={"kpi": "churn", "form": "monthly_rate"}, **RATE),),
         "a: benchmark must be { kpi = ..., form = ..., basis = ... }"),
        ((_entry("a", benchmark={"kpi": "churn", "form": "yearly", "basis": "logo"}, **RATE),),
         "a: benchmark form 'yearly' is not one of monthly_rate, t12m"),
        ((_entry("a", benchmark={"kpi": "nrr", "form": "t12m", "basis": "revenue"}, **RATE),),
         "a: benchmark kpi 'nrr' is not in [benchmark_kpis]"),
        ((_entry("a", benchmark={"kpi": "churn", "form": "t12m", "basis": "logo"}, **RATE),
          _entry("b", benchmark={"kpi": "churn", "form": "t12m", "basis": "logo"}, **RATE)),
         "b: benchmark churn as t12m is already the benchmark of a"),
        ((_entry("a", benchmark={"kpi": "churn", "form": "t12m", "basis": "logo"}, **RATE),
          _entry("b", benchmark={"kpi": "churn", "form": "monthly_rate", "basis": "logo"}, unit="rate",
                 higher_is_better=False)),
         "benchmark_kpis.churn: its KPIs a, b disagree on higher_is_better"),
        ((_entry("a", benchmark={"kpi": "churn", "form": "t12m", "basis": "logo"}, **RATE),
          _entry("b", benchmark={"kpi": "churn", "form": "monthly_rate", "basis": "revenue"}, **RATE)),
         "benchmark_kpis.churn: its KPIs a, b disagree on basis"),
        ((_entry("a"),), "benchmark_kpis.churn: no KPI of the catalogue compares with it"),
    ],
)  # fmt: skip
def test_a_malformed_reporting_field_is_refused_with_a_clear_error(monkeypatch, entries, expected):
    message = _refused(monkeypatch, _registry(*entries))
    assert expected in message


def test_a_malformed_benchmark_kpi_entry_is_refused(monkeypatch):
    entry = _entry("a", benchmark={"kpi": "churn", "form": "t12m", "basis": "logo"}, **RATE)
    message = _refused(monkeypatch, _registry(entry, benchmark_kpis={"churn": {"label": "churn", "colour": "red"}}))
    assert "benchmark_kpis.churn: unknown field(s) colour" in message
    assert "benchmark_kpis.churn: needs label and short_label" in message
