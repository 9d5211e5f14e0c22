"""Tests for cskpi_analysis.benchmarks: the curated file, matching, conversions, verdicts, the sentence."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from cskpi_analysis import benchmarks as bm
from cskpi_analysis import catalogue
from cskpi_analysis.benchmarks import (
    UserKpi,
    acv_band,
    average_acv_from_marts,
    compare,
    compound_monthly_churn,
    definition_warnings,
    load_benchmarks,
    market_context_sentence,
    percentile_position,
    user_kpis_from_marts,
    validate_benchmarks,
    verdict_from_benchmark,
)
from cskpi_analysis.errors import AnalysisError, DataContractError
from tests.helpers import benchmark_marts, write_folder

MONTH = "2026-08-01"
REPO_ROOT = Path(__file__).resolve().parents[1]


def _row(benchmark_id: str, kpi: str, value: float, **overrides: object) -> dict[str, str]:
    """One benchmark row as text, annual T12M median for All unless overridden."""
    row = {
        "benchmark_id": benchmark_id,
        "kpi": kpi,
        "period": "annual",
        "form": "t12m",
        "segment_kind": "all",
        "segment": "All",
        "acv_min": "",
        "acv_max": "",
        "statistic": "median",
        "value": str(value),
        "source": f"Source of {benchmark_id}",
        "publisher": "Pub",
        "year": "2024",
        "sample": "",
        "definition": "a definition",
        "citation": "a citation",
        "reliability": "medium",
        "source_row": "1",
        "notes": "",
    }
    row.update({key: str(value) for key, value in overrides.items()})
    return row


def _frame(*rows: dict[str, str]) -> pd.DataFrame:
    return validate_benchmarks(pd.DataFrame(list(rows)), "test")


def _kpi(kpi: str, value: float, segment: str = "All") -> UserKpi:
    """One of our KPIs, by catalogue id (its period and form come from the registry)."""
    return UserKpi(kpi, value, segment, None, None, MONTH)


# --------------------------------------------------------------------------- the curated file


def test_every_curated_row_has_a_source_year_definition_and_reliability():
    curated = load_benchmarks()
    assert len(curated) > 0
    for column in ("source", "publisher", "definition", "citation", "reliability"):
        assert (curated[column].str.len() > 0).all(), column
    assert curated["year"].between(2010, 2030).all()
    assert curated["reliability"].isin(["high", "medium", "low"]).all()
    assert curated["kpi"].isin(bm.KPI_IDS).all()


def test_every_curated_row_names_a_distinct_row_of_the_shared_source_list():
    curated = load_benchmarks()
    assert curated["source_row"].notna().all()
    assert curated["source_row"].is_unique
    assert curated["source_row"].between(1, 138).all()  # the shared list has 138 data rows


def test_sources_tagged_low_reliability_in_the_source_list_are_not_kept():
    sources = " ".join(load_benchmarks()["source"])
    for dropped in ("Optifai", "GTMStack", "Omega Point", "Atlas Rosetta", "Insivia"):
        assert dropped not in sources


def test_curated_rates_are_fractions_not_percentages():
    curated = load_benchmarks()
    rates = curated[curated["form"].isin(["t12m", "annual_rate", "monthly_rate"])]
    assert rates["value"].between(0, 2).all()


def test_a_row_without_a_definition_is_refused_with_its_row_number(tmp_path):
    path = tmp_path / "mine.csv"
    pd.DataFrame([_row("ok", "nps", 40), _row("bad", "nps", 40, definition="")]).to_csv(path, index=False)
    with pytest.raises(DataContractError, match=r"row 2 \(bad\): column definition is empty"):
        load_benchmarks(path)


def test_an_unknown_kpi_id_is_refused():
    with pytest.raises(DataContractError, match="column kpi is 'churn'"):
        _frame(_row("bad", "churn", 0.1))


def test_every_curated_row_maps_to_exactly_one_registry_kpi():
    raw = pd.read_csv(REPO_ROOT / "cskpi_analysis" / "data" / "benchmarks.csv", dtype=str, keep_default_na=False)
    curated = load_benchmarks()
    assert curated["benchmark_id"].tolist() == raw["benchmark_id"].tolist()  # one typed row per file row
    for (measure, form), kpi_id in zip(zip(raw["kpi"], raw["form"], strict=True), curated["kpi"], strict=True):
        takers = [
            k.id
            for k in catalogue.load_catalogue()
            if k.benchmark and (k.benchmark.kpi, k.benchmark.form) == (measure, form)
        ]
        assert takers == [kpi_id], (measure, form, takers)
        assert catalogue.get_kpi(kpi_id).benchmark.kpi == measure
    assert set(curated["kpi"]) <= set(bm.KPI_IDS)
    assert dict(zip(raw["benchmark_id"], curated["kpi"], strict=True))["saascapital_2023_nrr_acv_12k_25k"] == (
        "net_revenue_retention_t12m"
    )


def test_a_kpi_and_form_no_registry_kpi_takes_is_refused_naming_file_row_and_columns(tmp_path):
    path = tmp_path / "mine.csv"
    rows = [_row("ok", "net_revenue_retention", 1.02), _row("odd", "logo_churn_rate", 0.2, form="t12m")]
    pd.DataFrame(rows).to_csv(path, index=False)
    with pytest.raises(DataContractError) as excinfo:
        load_benchmarks(path)
    message = str(excinfo.value)
    assert message.startswith(f"{path}: the benchmarks file breaks its contract")
    assert "row 2 (odd): columns kpi and form are 'logo_churn_rate' as 't12m', which no KPI of the registry takes" in (
        message
    )
    assert "logo_churn_rate is benchmarked as monthly_rate, annual_rate" in message
    assert "row 1" not in message


def test_the_benchmarks_frame_is_keyed_by_catalogue_id():
    frame = _frame(
        _row("t12m", "net_revenue_retention", 1.02),
        _row("monthly", "logo_churn_rate", 0.03, period="monthly", form="monthly_rate"),
        _row("annual", "logo_churn_rate", 0.2, form="annual_rate"),
        _row("nps", "nps", 40, form="survey_score"),
    )
    assert frame["kpi"].tolist() == [
        "net_revenue_retention_t12m", "logo_churn_rate", "logo_churn_rate_annual", "net_promoter_score",
    ]  # fmt: skip
    assert frame["form"].tolist() == ["t12m", "monthly_rate", "annual_rate", "survey_score"]


def test_a_user_kpi_is_a_catalogue_kpi_with_a_benchmark():
    ours = UserKpi("net_revenue_retention_t12m", 0.97, "All", 970.0, 1000.0, MONTH)
    assert (ours.period, ours.form) == ("annual", "t12m")
    with pytest.raises(AnalysisError, match="unknown KPI id 'net_revenue_retention_annual'"):
        UserKpi("net_revenue_retention_annual", 0.97, "All", None, None, MONTH)
    with pytest.raises(AnalysisError, match="unknown KPI id 'monthly_recurring_revenue'"):  # no benchmark
        UserKpi("monthly_recurring_revenue", 1.0, "All", None, None, MONTH)
    frame = bm.user_kpis_frame([ours])
    assert frame.to_dict("records") == [
        {"kpi": "net_revenue_retention_t12m", "period": "annual", "form": "t12m", "segment": "All",
         "value": 0.97, "numerator": 970.0, "denominator": 1000.0, "as_of_month": MONTH}
    ]  # fmt: skip


def test_a_missing_year_is_refused():
    with pytest.raises(DataContractError, match="column year is empty"):
        _frame(_row("bad", "nps", 40, year=""))


# --------------------------------------------------------------------------- ACV bands


def test_acv_band_is_found_from_twelve_times_mrr_per_account():
    curated = load_benchmarks()
    assert acv_band(12 * 1_500, curated) == "ACV $12K-$25K"  # 12 x $1,500 MRR = $18,000 ACV
    assert acv_band(11_999, curated) == "ACV <$12K"
    assert acv_band(12_000, curated) == "ACV $12K-$25K"  # bands are [min, max)
    assert acv_band(1_000_000, curated) == "ACV >$250K"
    assert acv_band(math.nan, curated) is None


# --------------------------------------------------------------------------- matching


SEGMENTED = (
    _row("all", "net_revenue_retention", 1.02),
    _row("smb", "net_revenue_retention", 0.97, segment_kind="segment", segment="SMB"),
    _row("band_low", "net_revenue_retention", 1.00, segment_kind="acv_band", segment="ACV <$12K", acv_max=12000),
    _row(
        "band_mid",
        "net_revenue_retention",
        1.05,
        segment_kind="acv_band",
        segment="ACV $12K-$50K",
        acv_min=12000,
        acv_max=50000,
    ),
)


def test_an_exact_segment_match_is_preferred():
    result = compare([_kpi("net_revenue_retention_t12m", 1.0, segment="SMB")], _frame(*SEGMENTED), acv=30_000)
    assert result["benchmark_ids"].tolist() == ["smb"]
    assert result["match"].tolist() == ["segment"]


def test_the_acv_band_is_used_when_no_row_has_the_segment():
    result = compare(
        [_kpi("net_revenue_retention_t12m", 1.0, segment="Mid-Market")], _frame(*SEGMENTED), acv=12 * 2_500
    )
    assert result["benchmark_ids"].tolist() == ["band_mid"]  # 12 x $2,500 MRR = $30,000 ACV
    assert result["match"].tolist() == ["acv_band"]


def test_all_is_the_fallback_without_segment_or_acv():
    result = compare([_kpi("net_revenue_retention_t12m", 1.0, segment="Mid-Market")], _frame(*SEGMENTED))
    assert result["benchmark_ids"].tolist() == ["all"]
    assert result["match"].tolist() == ["all"]


def test_one_output_row_per_user_kpi_and_benchmark_source():
    frame = _frame(
        _row("a_p25", "logo_churn_rate", 0.08, period="annual", form="annual_rate", statistic="p25", source="A"),
        _row("a_med", "logo_churn_rate", 0.11, period="annual", form="annual_rate", source="A"),
        _row("a_p75", "logo_churn_rate", 0.15, period="annual", form="annual_rate", statistic="p75", source="A"),
        _row("b_med", "logo_churn_rate", 0.10, period="annual", form="annual_rate", source="Another source"),
    )
    result = compare([_kpi("logo_churn_rate_annual", 0.12)], frame)
    assert len(result) == 2
    first = result.iloc[0]
    assert (first["benchmark_p25"], first["benchmark_median"], first["benchmark_p75"]) == (0.08, 0.11, 0.15)


def test_compare_does_not_modify_the_benchmarks():
    frame = _frame(*SEGMENTED)
    before = frame.copy()
    compare([_kpi("net_revenue_retention_t12m", 1.0)], frame, acv=5_000)
    pd.testing.assert_frame_equal(frame, before)


# --------------------------------------------------------------------------- conversions


def test_compounding_two_percent_a_month_gives_the_known_annual_rate():
    # python -c "print(1 - 0.98**12)"  ->  0.21528327626520016
    assert_allclose(compound_monthly_churn(0.02), 0.2152832763, rtol=1e-9)


def test_monthly_logo_churn_against_an_annual_benchmark_is_compounded_and_flagged():
    frame = _frame(_row("annual", "logo_churn_rate", 0.11, period="annual", form="annual_rate"))
    result = compare([_kpi("logo_churn_rate", 0.02)], frame).iloc[0]
    assert result["comparable"]
    assert_allclose(result["compared_value"], 1 - 0.98**12, rtol=1e-12)
    assert "converted by compounding; assumes a constant monthly rate" in result["definition_warning"]
    assert "monthly vs annual" in result["definition_warning"]
    assert result["verdict"] == "below market"  # 21.5 % a year against a median of 11 %: lower is better


def test_monthly_nrr_against_t12m_nrr_is_not_comparable_and_has_no_verdict():
    frame = _frame(_row("t12m", "net_revenue_retention", 1.02))
    result = compare([_kpi("net_revenue_retention", 1.01)], frame).iloc[0]
    assert not result["comparable"]
    assert result["verdict"] is None
    assert math.isnan(result["compared_value"])
    assert "not comparable, shown for context" in result["definition_warning"]
    assert "T12M vs monthly" in result["definition_warning"]


def test_monthly_revenue_churn_is_never_compounded():
    frame = _frame(_row("annual", "gross_mrr_churn_rate", 0.13, period="annual", form="annual_rate"))
    result = compare([_kpi("gross_mrr_churn_rate", 0.01)], frame).iloc[0]
    assert not result["comparable"]
    assert result["verdict"] is None


def test_logo_retention_is_compared_with_annual_logo_churn_as_its_complement():
    frame = _frame(_row("churn", "logo_churn_rate", 0.11, period="annual", form="annual_rate"))
    result = compare([_kpi("logo_retention_t12m", 0.88)], frame).iloc[0]
    assert_allclose(result["compared_value"], 0.12, rtol=1e-12)  # 1 - 0.88
    assert "compared as 1 - your logo retention" in result["definition_warning"]
    assert result["verdict"] == "below market"


def test_logo_against_revenue_and_mean_against_median_are_warned():
    warnings = definition_warnings(
        _kpi("logo_churn_rate_annual", 0.1), "gross_mrr_churn_rate_annual", "annual", "annual_rate", "mean"
    )
    assert any(w.startswith("logo vs revenue") for w in warnings)
    assert any(w.startswith("mean vs median") for w in warnings)


# --------------------------------------------------------------------------- percentiles and verdicts


def test_percentile_is_interpolated_linearly_between_the_quartiles():
    # p25 = 0.90, median = 1.00, p75 = 1.10
    assert percentile_position(0.95, 0.90, 1.00, 1.10) == pytest.approx(
        (37.5, "between the 25th percentile and the median")
    )  # 25 + 25 * 0.05 / 0.10
    position, phrase = percentile_position(1.06, 0.90, 1.00, 1.10)
    assert position == pytest.approx(65.0)  # 50 + 25 * 0.06 / 0.10
    assert phrase == "between the median and the 75th percentile"
    assert percentile_position(1.00, 0.90, 1.00, 1.10) == (50.0, "at the median")
    assert percentile_position(0.80, 0.90, 1.00, 1.10) == (None, "below the 25th percentile")
    assert percentile_position(1.20, 0.90, 1.00, 1.10) == (None, "above the 75th percentile")


def test_no_percentile_is_given_without_both_quartiles():
    assert percentile_position(0.95, math.nan, 1.00, math.nan) == (None, "")


def test_low_churn_below_the_25th_percentile_is_above_market():
    assert verdict_from_benchmark(0.05, higher_is_better=False, median=0.11, p25=0.08, p75=0.15) == "above market"
    assert verdict_from_benchmark(0.20, higher_is_better=False, median=0.11, p25=0.08, p75=0.15) == "below market"
    assert verdict_from_benchmark(0.10, higher_is_better=False, median=0.11, p25=0.08, p75=0.15) == "in line"


def test_a_value_within_two_percent_of_a_lone_median_is_in_line():
    assert verdict_from_benchmark(1.01, higher_is_better=True, median=1.02) == "in line"  # |1.01-1.02| <= 0.0204
    assert verdict_from_benchmark(0.97, higher_is_better=True, median=1.02) == "below market"


def test_curated_file_places_a_18k_acv_company_in_the_saas_capital_band():
    result = compare([_kpi("net_revenue_retention_t12m", 0.97)], load_benchmarks(), acv=12 * 1_500)
    assert result["benchmark_ids"].tolist() == ["saascapital_2023_nrr_acv_12k_25k"]
    assert result["benchmark_median"].tolist() == [1.02]
    assert result["verdict"].tolist() == ["below market"]


# --------------------------------------------------------------------------- the sentence


def test_sentence_says_below_for_nrr_under_the_median():
    frame = _frame(_row("nrr", "net_revenue_retention", 1.02))
    sentence = market_context_sentence(compare([_kpi("net_revenue_retention_t12m", 0.95)], frame))
    assert "net revenue retention of 95%" in sentence
    assert "below market" in sentence
    assert "102%" in sentence


def test_sentence_treats_churn_above_the_median_as_below_market():
    frame = _frame(_row("churn", "logo_churn_rate", 0.0515, period="monthly", form="monthly_rate"))
    user = _kpi("logo_churn_rate", 0.07)
    sentence = market_context_sentence(compare([user], frame))
    assert "below market" in sentence
    assert "of 7% is below market" in sentence
    assert "5.15%" in sentence


def test_sentence_names_good_numbers_in_a_bad_market():
    # seed 003: "A business that retains 88% of its customers ... If the category average is 94%, it's underperforming"
    frame = _frame(_row("smb", "logo_retention", 0.94, segment_kind="segment", segment="SMB"))
    sentence = market_context_sentence(compare([_kpi("logo_retention_t12m", 0.88, segment="SMB")], frame))
    assert sentence.startswith("Your annual logo retention of 88% looks healthy on its own, but the median")
    assert "SMB companies is 94%" in sentence
    assert "below market" in sentence
    assert "good numbers in a bad market" in sentence


def test_sentence_names_bad_numbers_in_a_good_market():
    frame = _frame(_row("nrr", "net_revenue_retention", 0.90))
    sentence = market_context_sentence(compare([_kpi("net_revenue_retention_t12m", 0.98)], frame))
    assert "looks weak on its own" in sentence
    assert "above market" in sentence
    assert "bad numbers in a good market" in sentence


def test_sentence_skips_comparisons_without_a_verdict():
    frame = _frame(_row("t12m", "net_revenue_retention", 1.02))
    user = _kpi("net_revenue_retention", 0.9)
    assert market_context_sentence(compare([user], frame)).startswith("No benchmark in the file is comparable")


# --------------------------------------------------------------------------- from the marts


def test_user_kpis_come_from_the_latest_complete_month_with_pooled_monthly_churn():
    kpis = {k.kpi: k for k in user_kpis_from_marts(*benchmark_marts())}
    churn = kpis["logo_churn_rate"]
    # window 2025-09 .. 2026-08: 10 months of 2 + 2026-07 = 2 + 2026-08 = 3 -> 2*11 + 3 = 25 churned of 12*100 = 1200
    assert (churn.numerator, churn.denominator) == (25.0, 1200.0)
    assert_allclose(churn.value, 25 / 1200, rtol=1e-12)
    assert churn.as_of_month == dt.date(2026, 8, 1)
    assert_allclose(kpis["logo_retention_t12m"].value, 0.88, rtol=1e-12)  # 88 / 100 at 2026-08
    assert_allclose(kpis["net_revenue_retention_t12m"].value, 1.03, rtol=1e-12)  # 10300 / 10000
    assert_allclose(kpis["net_revenue_retention"].value, 1.005, rtol=1e-12)  # 12*10050 / 12*10000
    assert (kpis["gross_revenue_retention_t12m"].period, kpis["gross_revenue_retention_t12m"].form) == (
        "annual",
        "t12m",
    )
    assert (churn.period, churn.form) == ("monthly", "monthly_rate")


def test_user_kpis_leave_out_t12m_kpis_without_a_year_of_history():
    kpis_monthly, retention_t12m = benchmark_marts()
    kpis = user_kpis_from_marts(kpis_monthly, retention_t12m.iloc[1:])
    assert {k.form for k in kpis} == {"monthly_rate"}


def test_user_kpis_from_marts_refuse_an_unknown_segment():
    with pytest.raises(AnalysisError, match="segments present: All"):
        user_kpis_from_marts(*benchmark_marts(), segment="Enterprise")


def test_user_kpis_from_marts_do_not_modify_the_marts():
    kpis_monthly, retention_t12m = benchmark_marts()
    before = kpis_monthly.copy()
    user_kpis_from_marts(kpis_monthly, retention_t12m)
    pd.testing.assert_frame_equal(kpis_monthly, before)


def test_average_acv_is_twelve_times_mrr_per_account():
    assert average_acv_from_marts(benchmark_marts()[0]) == pytest.approx(1_200.0)  # 12 * 10,000 / 100


# --------------------------------------------------------------------------- the command


def test_the_benchmarks_command_benchmarks_the_chosen_segment_at_the_given_acv(tmp_path, capsys):
    from cskpi_analysis.cli import main

    # SMB: A and B pay 100 a month from Jan 2024 and never leave; Enterprise: C pays 1,000 and churns in Jun 2024
    folder = write_folder(
        tmp_path / "exports",
        [
            ("A", "2024-01-01", None, 100, 1),
            ("B", "2024-01-01", None, 100, 1),
            ("C", "2024-01-01", "2024-06-10", 1000, 1),
        ],
        segments={"C": "Enterprise"},
    )
    (folder / "cskpi.toml").write_text("[analysis]\nas_of = 2025-01-31\n")
    assert main(["benchmarks", str(folder), "--segment", "SMB", "--format", "json", "--acv", "18000"]) == 0
    payload = json.loads(capsys.readouterr().out)
    # as_of 31 Jan 2025 completes January; --acv wins over the marts' 12 x 200 / 2 = 1,200, and 18,000 is in
    # 'ACV $12K-$25K' (acv_band's docstring example: 12 x 1,500)
    assert (payload["segment"], payload["as_of_month"]) == ("SMB", "2025-01-01")
    assert (payload["acv"], payload["acv_band"]) == (18000.0, "ACV $12K-$25K")
    ours = {row["kpi"]: row["our_value"] for row in payload["comparison"]}
    # SMB keeps all of its 200 MRR and both logos: T12M NRR = GRR = 200 / 200, monthly logo churn 0 / 24
    assert ours["net_revenue_retention_t12m"] == pytest.approx(1.0)
    assert ours["gross_revenue_retention_t12m"] == pytest.approx(1.0)
    assert ours["logo_churn_rate"] == 0.0
    assert main(["benchmarks", str(folder), "--format", "json"]) == 0  # segment All, C's churn included
    everyone = {row["kpi"]: row["our_value"] for row in json.loads(capsys.readouterr().out)["comparison"]}
    # T12M NRR over the 1,200 MRR paying at end of Jan 2024: 200 / 1,200
    assert everyone["net_revenue_retention_t12m"] == pytest.approx(200 / 1200)
    assert main(["benchmarks", str(folder), "--segment", "Smb"]) == 1
    assert "no rows for segment 'Smb' (did you mean 'SMB'?); segments present: All, Enterprise, SMB" in (
        capsys.readouterr().err
    )


def test_a_refused_comparison_does_not_claim_an_identity_was_used():
    # monthly gross MRR churn against an annual GRR benchmark: refused, so no "compared as 1 - ..." note
    user = UserKpi("gross_mrr_churn_rate", 0.01, "All", 10.0, 1000.0, "2026-09")
    out = compare([user], load_benchmarks())
    refused = out[out["benchmark_kpi"] == "gross_revenue_retention_t12m"]
    assert not refused.empty
    assert refused["definition_warning"].str.contains("not comparable").all()
    assert not refused["definition_warning"].str.contains("compared as 1 - your").any()


def test_opposite_verdicts_of_two_sources_are_reconciled_in_one_sentence():
    # monthly logo churn of 3%: above the 5% median of source A (high reliability), below the 1% median of B
    frame = _frame(
        _row("a", "logo_churn_rate", 0.05, period="monthly", form="monthly_rate", publisher="Alpha",
             source="Alpha survey", reliability="high", year="2017"),
        _row("b", "logo_churn_rate", 0.01, period="monthly", form="monthly_rate", publisher="Beta",
             source="Beta report", reliability="medium", year="2019"),
    )  # fmt: skip
    comparison = compare([_kpi("logo_churn_rate", 0.03)], frame)
    assert set(comparison["verdict"]) == {"above market", "below market"}
    (sentence,) = bm.reconciliation_sentences(comparison)
    assert "above market against Alpha (2017)" in sentence and "below market against Beta (2019)" in sentence
    assert "follows Alpha" in sentence  # the more reliable source, as in the market sentence
    assert "Alpha" in market_context_sentence(comparison, limit=1)
    # one source only: nothing to reconcile
    alone = _frame(_row("a", "logo_churn_rate", 0.05, period="monthly", form="monthly_rate", publisher="Alpha"))
    assert bm.reconciliation_sentences(compare([_kpi("logo_churn_rate", 0.03)], alone)) == []


def test_market_position_words_the_verdict_of_the_chosen_source():
    frame = _frame(_row("nrr", "net_revenue_retention", 1.03, publisher="SaaS Capital", year="2023"))
    comparison = compare([_kpi("net_revenue_retention_t12m", 0.971)], frame)
    # 97.1% under a 103% median: behind the market, with the benchmark's own basis and source
    assert bm.market_position(comparison, "net_revenue_retention_t12m") == (
        "behind market (median annual net revenue retention 103%, SaaS Capital 2023)"
    )
    assert bm.market_position(comparison, "logo_churn_rate") is None  # no logo benchmark in this file
    assert bm.market_position(comparison, "monthly_recurring_revenue") is None
