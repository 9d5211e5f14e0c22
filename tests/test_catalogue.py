"""Tests of the KPI catalogue (the package cskpi_analysis/catalogue/, catalogue.toml) and the
`cskpi catalogue` command: registry, code and docs must agree."""

from __future__ import annotations

import importlib
import json
import re
import shutil
from pathlib import Path

import pytest

from cskpi_analysis import catalogue
from cskpi_analysis.catalogue import (
    CatalogueError,
    _registry,
    catalogue_frame,
    computable_here,
    definitions_markdown,
    get_kpi,
    load_catalogue,
    stage_kpis,
    too_many_kpis_note,
)
from cskpi_analysis.cli import main
from cskpi_analysis.models import load_models
from cskpi_analysis.warehouse import connect

REPO_ROOT = Path(__file__).resolve().parents[1]
FULL_FIXTURE = REPO_ROOT / "tests" / "fixtures" / "contract" / "valid"

#: Every KPI named in seed 002's tables ("Focus Areas and Top KPIs", "Other Related KPIs").
SEED_002_KPIS = (
    # Focus Areas and Top KPIs
    "Customer Retention Rate", "Net Revenue Churn", "Customer Churn Rate", "Churn Risk Score",
    "Customer Downgrade Rate", "Customer Health Score", "Customer Engagement Score", "Onboarding Completion Rate",
    "Activation Rate", "Feature Adoption Rate (Ongoing)", "Expansion Revenue Growth Rate",
    "Expansion Opportunity Score", "Activation-to-Expansion Rate", "Expansion Revenue Rate",
    "Expansion Activation Rate", "Net Promoter Score", "Referral Program Participation Rate",
    "Referral Conversion Rate", "Referral-Driven Expansion Revenue", "Referral Opportunity Pipeline Contribution Rate",
    "Average Resolution Time", "Cost Per Ticket", "Check-In Impact Score", "First Contact Resolution",
    "Customer Satisfaction Score",
    # Other Related KPIs
    "Activated-to-Follow-Up Engagement Rate", "Active Feature Usage Rate", "Advocate Re-Engagement Rate",
    "Average Customer Lifespan", "Average Purchase Frequency", "Average Returning Revenue",
    "Average Revenue Per Expansion Account", "Breadth of Use", "CLTV for Referred Users",
    "Cohort Retention Analysis", "Community Growth Rate", "Contract Renewal Rate", "Converted PQL Lifetime Value",
    "Cross-Sell Conversion Rate", "Customer Feedback Retention Score", "Customer Feedback Score (Post-activation)",
    "Customer Renewal Rate", "Downgrade to Churn Conversion Rate", "Drop-Off Rate",
    "Exit Reason Frequency (Segmented)", "Expansion Feature Usage Frequency", "Expansion Intent Signal Rate",
    "Expansion Readiness Index", "Feature Adoption Rate (Early)", "Gross Revenue Churn Rate", "Lead Response Time",
    "Lead Response Time (Post-Onboarding)", "Onboarding Satisfaction Score (OSS)",
    "Percent of Accounts Completing Key Activation Milestones", "Percent of Accounts with 3+ Activated Users",
    "Percent of Accounts with Multi-Role Engagement", "Percent of Retained Feature Users",
    "Post-Renewal Engagement Rate", "QBR Engagement Rate", "Referral Churn Rate",
    "Referral Incentive Conversion Rate", "Referral Intent Identified in QBRs", "Referral Prompt Acceptance Rate",
    "Referral Prompt Interaction Rate", "Referral Readiness Score", "Referral Retention Rate",
    "Referral-Ready Account Rate", "Referred Account Net Revenue Retention (NRR)", "Relationship Depth Score",
    "Repeat Purchase Rate", "Revenue Churn Rate", "Sentiment Analysis (Sales + Social)",
    "Strategic Referral Win Rate", "Time Between Logins (Post-Activation)", "Time to Exceed Value",
    "Time to Expansion Signal", "Time to First Contact", "Time to First Habitual Action",
    "Time to First Key Action", "Time to Value (Expansion Features)", "Warm Introduction Offer Rate",
)  # fmt: skip

#: computed_by targets in modules other helpers are writing (survival, leading indicators).
#: The lead empties this set once the names are settled; any other unresolved target fails.
AWAITING_OTHER_MODULES: set[str] = set()


@pytest.fixture(scope="module")
def full_con():
    con, _config = connect(FULL_FIXTURE)
    yield con
    con.close()


# ---------------------------------------------------------------- the registry


def test_registry_loads_with_unique_ids_and_valid_tags():
    kpis = load_catalogue()
    ids = [k.id for k in kpis]
    assert len(ids) == len(set(ids))
    assert {k.stage for k in kpis} == set(catalogue.STAGES)
    assert {k.indicator for k in kpis} == {"leading", "lagging"}


def test_every_seed_002_kpi_appears_marked_computable_or_not():
    names = {name for k in load_catalogue() for name in k.names}
    assert [n for n in SEED_002_KPIS if n not in names] == []


def test_every_lagging_kpi_is_paired_with_a_leading_kpi():
    for kpi in load_catalogue():
        if kpi.indicator == "lagging":
            assert get_kpi(kpi.paired_with).indicator == "leading", kpi.id


def test_kpis_not_computable_say_what_data_they_need():
    for kpi in load_catalogue():
        assert kpi.computable or kpi.missing_data, kpi.id
    assert "referral program data" in get_kpi("referral_program_participation_rate").missing_data.lower()


def test_a_broken_registry_is_refused_with_every_problem_named(monkeypatch):
    broken = {
        "stages": {s: {"order": i, "title": s, "question": "?"} for i, s in enumerate(catalogue.STAGES)},
        "kpi": [
            {"id": "a", "name": "A", "stage": "retention", "indicator": "lagging", "formula_words": "x",
             "computable": False, "missing_data": "y", "source": "test"},
            {"id": "a", "name": "A again", "stage": "delight", "indicator": "leading", "formula_words": "x",
             "computable": False, "missing_data": "y", "source": "test"},
            {"id": "b", "name": "B", "stage": "adoption", "indicator": "leading", "formula_words": "x",
             "computable": True, "source": "test"},
        ],
    }  # fmt: skip
    monkeypatch.setattr(_registry, "_read_toml", lambda: broken)
    _registry._load.cache_clear()
    try:
        with pytest.raises(CatalogueError) as excinfo:
            load_catalogue()
    finally:
        monkeypatch.undo()
        _registry._load.cache_clear()
    message = str(excinfo.value)
    assert "stage 'delight'" in message
    assert "b: missing formula, grain, window, edge_cases, requires, computed_by" in message
    assert "a: a lagging KPI must name the leading KPI" in message


def test_stage_kpis_lists_computable_leading_kpis_first():
    kpis = stage_kpis("onboarding")
    assert [k.id for k in kpis][:3] == ["time_to_first_value_median", "time_to_first_value_p90", "activation_rate"]
    assert all(k.stage == "onboarding" for k in kpis)
    computable = [k.computable for k in kpis]
    assert computable == sorted(computable, reverse=True)


# ---------------------------------------------------------------- registry, code and marts agree


def test_every_computed_by_function_resolves():
    unresolved = set()
    for kpi in load_catalogue():
        if not kpi.computable or kpi.computed_by.startswith("mart_"):
            continue
        module_name, _, attribute = kpi.computed_by.rpartition(".")
        try:
            assert callable(getattr(importlib.import_module(module_name), attribute))
        except (ImportError, AttributeError):
            unresolved.add(kpi.computed_by)
    assert unresolved <= AWAITING_OTHER_MODULES, unresolved - AWAITING_OTHER_MODULES


def test_every_computed_by_mart_column_exists_after_a_build(full_con):
    for kpi in load_catalogue():
        if kpi.computable and kpi.computed_by.startswith("mart_"):
            table, column = catalogue.resolve_computed_by(kpi)
            columns = {row[0] for row in full_con.execute(f"describe {table}").fetchall()}
            assert column in columns, kpi.computed_by


def test_every_rate_of_mart_kpis_monthly_has_a_registry_entry(full_con):
    columns = {row[0] for row in full_con.execute("describe mart_kpis_monthly").fetchall()}
    rates = {c.removesuffix("_numerator") for c in columns if c.endswith("_numerator")}
    registered = {k.computed_by for k in load_catalogue()}
    assert sorted(r for r in rates if f"mart_kpis_monthly.{r}" not in registered) == []


def test_every_kpi_computed_by_a_stage_function_has_its_id_in_the_stage_mart():
    # the stage mart and the int_stage_<stage>_kpis models it unions
    models = load_models()
    stages = [n for n in models["mart_stage_kpis_monthly"].depends_on if n.startswith("int_stage_")]
    sql = "".join(models[n].sql for n in ["mart_stage_kpis_monthly", *stages])
    for kpi in load_catalogue():
        if kpi.computed_by.startswith("cskpi_analysis.stage_kpis.") and kpi.id != "net_promoter_score":
            assert f"'{kpi.id}'" in sql, kpi.id
    assert "'net_promoter_score'" in sql


def test_measured_stage_kpis_on_the_full_fixture_are_registered_and_computable(full_con):
    measured = {r[0] for r in full_con.execute("select distinct kpi_id from mart_stage_kpis_monthly").fetchall()}
    assert measured
    for kpi_id in measured:
        assert get_kpi(kpi_id).computable


# ---------------------------------------------------------------- computable here


def test_optional_tables_missing_make_kpis_not_computable_here_never_an_error():
    frame = catalogue_frame(available_tables=["accounts", "subscriptions"]).set_index("kpi_id")
    assert frame.loc["logo_churn_rate", "computable_here"]
    assert not frame.loc["activation_rate", "computable_here"]
    assert "not computable here: missing table milestones" in frame.loc["activation_rate", "why_not"]
    assert not frame.loc["cost_per_ticket", "computable_here"]


def test_a_missing_optional_column_or_option_is_reported():
    kpi = get_kpi("accounts_with_3_plus_active_users_rate")
    available = {"accounts": {"account_id"}, "subscriptions": {"start_date", "mrr"},
                 "usage_events": {"account_id", "occurred_at", "feature"}}  # fmt: skip
    assert computable_here(kpi, available) == (
        False, "not computable here: missing column usage_events.user_id",
    )  # fmt: skip
    from cskpi_analysis.config import AnalysisConfig

    early = get_kpi("feature_adoption_rate_early")
    assert "analysis.key_features" in computable_here(early, available, AnalysisConfig())[1]


def test_catalogue_frame_from_a_connection_reads_the_tables_with_rows(full_con):
    frame = catalogue_frame(full_con).set_index("kpi_id")
    assert frame.loc["net_promoter_score", "computable_here"]
    assert frame["computable_here"].sum() == sum(k.computable for k in load_catalogue())


# ---------------------------------------------------------------- docs


def test_docs_definitions_page_is_generated_from_the_registry():
    assert (REPO_ROOT / "docs" / "definitions.md").read_text(encoding="utf-8") == definitions_markdown(), (
        "docs/definitions.md is stale: run `cskpi catalogue --format markdown > docs/definitions.md`"
    )


def test_definitions_page_defines_every_kpi_with_the_registry_words():
    page = definitions_markdown()
    for kpi in load_catalogue():
        assert kpi.name in page, kpi.id
        assert kpi.formula_words in page, kpi.id
        if kpi.computable:
            assert kpi.edge_cases in page, kpi.id
        else:
            assert kpi.missing_data.replace("|", "\\|") in page, kpi.id


def test_too_many_kpis_note_appears_above_eight():
    assert too_many_kpis_note(5) is None
    assert too_many_kpis_note(8) is None
    assert "5 to 8" in too_many_kpis_note(9)


# ---------------------------------------------------------------- the command


def test_catalogue_command_without_a_folder_lists_the_registry(capsys):
    assert main(["catalogue", "--stage", "advocacy", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["stage"] for r in rows} == {"advocacy"}
    assert next(r for r in rows if r["kpi_id"] == "net_promoter_score")["computable_here"] is True


def test_catalogue_command_on_required_tables_only_says_not_computable_here(tmp_path, capsys):
    folder = tmp_path / "required_only"
    folder.mkdir()
    for table in ("accounts", "subscriptions"):
        shutil.copy(FULL_FIXTURE / f"{table}.csv", folder / f"{table}.csv")
    assert main(["catalogue", str(folder), "--stage", "onboarding"]) == 0
    out = capsys.readouterr().out
    assert "not computable here: missing table milestones" in out
    assert main(["catalogue", str(folder), "--format", "json"]) == 0
    rows = {r["kpi_id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["customer_retention_rate"]["computable_here"] is True
    assert rows["net_promoter_score"]["computable_here"] is False


def test_catalogue_command_on_a_full_fixture_can_compute_every_computable_kpi(capsys):
    assert main(["catalogue", str(FULL_FIXTURE), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert all(r["computable_here"] == r["computable"] for r in rows)


def test_catalogue_command_prints_the_definitions_page(capsys):
    assert main(["catalogue", "--format", "markdown"]) == 0
    assert capsys.readouterr().out == definitions_markdown()


def test_catalogue_command_with_values_on_demo_data_gives_a_value_for_every_monthly_kpi(tmp_path, capsys):
    """Issue 7: the catalogue on the demo data; every computable KPI that lives in the monthly stage
    mart gets a value (the rest are account-level models shown in the survival and indicators reports)."""
    from cskpi_analysis.demo import write_demo

    folder = tmp_path / "demo"
    write_demo(folder, 300, 3)
    assert main(["catalogue", str(folder), "--values", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert all(r["computable_here"] == r["computable"] for r in rows)
    sql_dir = Path(__file__).resolve().parents[1] / "cskpi_analysis" / "sql"
    mart_sql = "".join(
        p.read_text() for p in (sql_dir / "mart_stage_kpis_monthly.sql", *sorted(sql_dir.glob("int_stage_*_kpis.sql")))
    )
    in_mart = [r for r in rows if r["computable"] and re.search(rf"'{r['kpi_id']}'", mart_sql)]
    assert len(in_mart) >= 20
    missing = [r["kpi_id"] for r in in_mart if r.get("value") is None]
    assert not missing, f"no value on the demo data for {missing}"
