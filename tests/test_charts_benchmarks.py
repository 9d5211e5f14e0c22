"""Tests of the benchmarks chart and its text companions (cskpi_analysis/charts/benchmarks.py): specs, not pixels."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from cskpi_analysis.charts.benchmarks import (
    STATUS_COLOURS,
    benchmark_position_chart,
    comparison_labels,
    comparison_table,
    conversions_markdown,
    definition_warnings_markdown,
)

NAN = math.nan


@pytest.fixture
def comparison() -> pd.DataFrame:
    """Three rows as ``compare`` writes them: one with quartiles, one converted, one refused."""
    return pd.DataFrame(
        {
            "kpi": ["net_revenue_retention", "logo_churn_rate", "net_revenue_retention"],
            "our_period": ["annual", "monthly", "monthly"],
            "our_form": ["t12m", "monthly_rate", "monthly_rate"],
            "our_value": [0.97, 0.02, 0.995],
            "benchmark_kpi": ["net_revenue_retention", "logo_churn_rate", "net_revenue_retention"],
            "benchmark_period": ["annual", "annual", "annual"],
            "benchmark_form": ["t12m", "annual_rate", "t12m"],
            "benchmark_segment": ["ACV $25K-$50K", "All", "ACV $25K-$50K"],
            "compared_value": [0.97, 0.2153, NAN],
            "conversion": ["", "monthly logo churn 2% -> annual 21.53%: converted by compounding", ""],
            "benchmark_median": [1.03, 0.11, 1.03],
            "benchmark_p25": [0.95, NAN, NAN],
            "benchmark_p75": [1.08, NAN, NAN],
            "benchmark_mean": [NAN, NAN, NAN],
            "percentile_phrase": ["between the 25th percentile and the median", "", ""],
            "comparable": [True, True, False],
            "verdict": ["in line", "below market", None],
            "definition_warning": [
                "",
                "monthly vs annual: your value is monthly, the benchmark is annual",
                "monthly NRR is not T12M NRR and is never converted to it; not comparable, shown for context",
            ],
            "source": ["SaaS Capital survey", "KBCM survey", "SaaS Capital survey"],
            "publisher": ["SaaS Capital", "KeyBanc (KBCM)", "SaaS Capital"],
            "year": [2023, 2017, 2023],
            "reliability": ["medium", "high", "medium"],
        }
    )


def _rows(spec: dict) -> list[dict]:
    return next(iter(spec["datasets"].values()))


def test_chart_carries_our_value_and_every_benchmark_value(comparison):
    rows = _rows(benchmark_position_chart(comparison).to_dict())
    ours = sorted(r["value"] for r in rows if r["mark"] == "ours")
    # our compared value (0.97), the compounded churn (0.2153), and the refused monthly NRR as measured (0.995)
    assert ours == pytest.approx([0.2153, 0.97, 0.995])
    statistics = sorted((r["statistic"], r["value"]) for r in rows if r["mark"] == "statistic")
    assert statistics == [
        ("median", 0.11), ("median", 1.03), ("median", 1.03),
        ("quartiles (p25, p75)", 0.95), ("quartiles (p25, p75)", 1.08),
    ]  # fmt: skip
    band = [r for r in rows if r["mark"] == "range"]
    assert [(r["low"], r["high"]) for r in band] == [(0.95, 1.08)]  # a bar only where both quartiles exist


def test_chart_formats_rates_as_percentages(comparison):
    spec = benchmark_position_chart(comparison).to_dict()
    assert '"format": "%"' in json.dumps(spec)  # the axes
    tooltips = [
        t for layer in spec["spec"]["layer"] for t in layer["encoding"]["tooltip"] if t["type"] == "quantitative"
    ]
    assert {t["title"] for t in tooltips} == {"Value", "Our value as measured", "Our value on the benchmark's basis"}
    assert {t.get("format") for t in tooltips} == {".2%"}  # no rate shown as a plain number


def test_chart_tooltip_names_source_and_year(comparison):
    spec = benchmark_position_chart(comparison).to_dict()
    titles = {t["title"] for layer in spec["spec"]["layer"] for t in layer["encoding"]["tooltip"]}
    assert {"Source", "Publisher", "Year", "Reliability", "Definition warning"} <= titles


def test_not_comparable_rows_are_grey_and_labelled(comparison):
    spec = benchmark_position_chart(comparison).to_dict()
    refused = [r for r in _rows(spec) if not r["comparable"]]
    assert refused and {r["status"] for r in refused} == {"not comparable"}
    assert all(r["label"].endswith("[context]") for r in refused)
    fill = next(layer["encoding"]["fill"] for layer in spec["spec"]["layer"] if "fill" in layer["encoding"])
    colour = dict(zip(fill["scale"]["domain"], fill["scale"]["range"], strict=True))
    assert colour["not comparable"] == STATUS_COLOURS["not comparable"] == "#b0b0b0"
    assert colour["below market"] != colour["not comparable"] != colour["in line"]
    assert [r["status"] for r in _rows(spec) if r["mark"] == "ours"] == ["in line", "below market", "not comparable"]


def test_refused_complement_has_no_dot_that_would_look_compared(comparison):
    row = comparison.iloc[[2]].assign(
        kpi="gross_mrr_churn_rate", our_value=0.01, benchmark_kpi="gross_revenue_retention"
    )
    rows = _rows(benchmark_position_chart(row).to_dict())
    assert [r["mark"] for r in rows] == ["statistic"]  # the benchmark tick only, no 1% dot on a GRR axis


def test_chart_leaves_out_kpis_that_are_not_rates(comparison):
    nps = comparison.iloc[[0]].assign(kpi="nps", benchmark_kpi="nps", our_value=35.0, compared_value=35.0)
    rows = _rows(benchmark_position_chart(pd.concat([comparison, nps], ignore_index=True)).to_dict())
    assert all(r["value"] != 35.0 for r in rows if r["mark"] == "ours")
    assert len({r["label"] for r in rows}) == 3


def test_builder_and_text_helpers_do_not_mutate_their_input(comparison):
    before = comparison.copy()
    benchmark_position_chart(comparison)
    definition_warnings_markdown(comparison)
    conversions_markdown(comparison)
    comparison_labels(comparison)
    comparison_table(comparison)
    pd.testing.assert_frame_equal(comparison, before)


def test_repeated_labels_are_made_unique(comparison):
    labels = comparison_labels(pd.concat([comparison.iloc[[0]], comparison.iloc[[0]]], ignore_index=True))
    assert labels == [
        "T12M NRR vs SaaS Capital 2023 (ACV $25K-$50K)",
        "T12M NRR vs SaaS Capital 2023 (ACV $25K-$50K) #2",
    ]


def test_definition_warnings_list_only_rows_that_have_one(comparison):
    text = definition_warnings_markdown(comparison)
    assert text.count("\n- ") + text.startswith("- ") == 2
    assert "**T12M NRR" not in text  # the first row has no warning
    assert definition_warnings_markdown(comparison.iloc[[0]]) == ""


def test_conversions_separate_applied_from_refused(comparison):
    text = conversions_markdown(comparison)
    applied, refused = text.split("**Comparisons refused**")
    assert "converted by compounding" in applied and "monthly NRR" not in applied
    assert "never converted" in refused and "compounding" not in refused


def test_comparison_table_writes_rates_as_percentages_and_marks_refusals(comparison):
    table = comparison_table(comparison)
    assert table["Our value"].tolist() == ["97.0%", "2.00%", "99.5%"]
    assert table["Our value on the benchmark's basis"].tolist() == ["97.0%", "21.5%", "not comparable"]
    assert table["Statistics"].tolist() == ["median, p25, p75", "median", "median"]
    assert table["Verdict"].tolist() == ["in line", "below market", "not comparable"]
    assert table.loc[1, "Percentile position"] == "unknown: the source gives no quartiles"
