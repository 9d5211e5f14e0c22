"""Tests of the SQL model runner (cskpi_analysis/models.py) and the models' hygiene."""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import pytest

from cskpi_analysis.config import AnalysisConfig
from cskpi_analysis.errors import BuildCheckError
from cskpi_analysis.models import (
    load_checks,
    load_models,
    model_order,
    referenced_relations,
    referenced_tables,
    run_checks,
)
from cskpi_analysis.warehouse import build_marts, model_parameters
from tests.helpers import write_folder

MODELS = load_models()


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_ends_with_select_star_from_final(name):
    assert re.search(r"select \* from final\s*$", MODELS[name].sql), f"{name}.sql must end with `select * from final`"


def test_layers_only_read_downwards():
    # stg_ reads one source view; int_ reads stg_/int_; mart_ reads stg_/int_/mart_
    for model in MODELS.values():
        reads = referenced_tables(model.sql)
        if model.layer == "stg":
            assert reads == {"src_" + model.name.removeprefix("stg_")}, model.name
        else:
            allowed = {"stg", "int"} | ({"mart"} if model.layer == "mart" else set())
            assert all(r.split("_", 1)[0] in allowed for r in reads), (model.name, reads)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_fast_dependency_scan_agrees_with_sqlglot_on_every_model(name):
    # the build reads dependencies with a word scan (models.referenced_relations); sqlglot's parse is the oracle
    assert set(MODELS[name].depends_on) == referenced_tables(MODELS[name].sql) & set(MODELS), name


def test_the_dependency_scan_skips_comments_strings_and_cte_names():
    sql = (
        "-- reads int_months? no: this is a comment naming int_months and it's not read\n"
        "with int_account_spells as (select * from stg_accounts where note <> 'from mart_kpis_monthly --')\n"
        "select * from int_account_spells join int_months_x using (m) join mart_account_months using (m)"
    )
    names = ["int_months", "int_account_spells", "stg_accounts", "mart_kpis_monthly", "mart_account_months"]
    assert referenced_relations(sql, names) == {"stg_accounts", "mart_account_months"}


def test_dependency_order_puts_every_model_after_what_it_reads():
    order = model_order(MODELS)
    position = {name: i for i, name in enumerate(order)}
    for model in MODELS.values():
        assert all(position[dep] < position[model.name] for dep in model.depends_on), model.name


def test_models_bind_their_parameters_instead_of_pasting_values():
    # no date literal may appear in a model: dates arrive as $as_of
    for model in MODELS.values():
        assert not re.search(r"'\d{4}-\d{2}-\d{2}'", model.sql), model.name
    assert set(MODELS["int_months"].parameters) == {"as_of", "snapshot"}
    assert MODELS["int_account_movements"].parameters == ("reactivation",)
    assert MODELS["mart_account_months"].parameters == ()


def test_a_broken_identity_stops_the_build_with_a_clear_message(tmp_path):
    folder = write_folder(tmp_path, [("A", "2024-01-01", None, 100, 1), ("B", "2024-01-01", "2024-02-10", 50, 1)])
    config = AnalysisConfig(as_of=dt.date(2024, 3, 31))
    con = build_marts(folder, config)
    con.execute("update mart_kpis_monthly set mrr_end = mrr_end + 1 where segment = 'All'")
    with pytest.raises(BuildCheckError, match="mrr_bridge_reconciles"):
        run_checks(con, model_parameters(config))


def test_every_check_has_a_message():
    assert all(check.message and not check.message.endswith(".sql") for check in load_checks())


def test_parameters_named_only_in_comments_are_not_bound():
    from cskpi_analysis.models import parameters_of

    sql = "-- uses $as_of in prose only\nselect 1 as x where $snapshot = 'end' -- and $grace_days\n"
    assert parameters_of(sql) == ("snapshot",)


def test_first_value_is_one_rule_the_configured_event_replaces_the_milestone(tmp_path):
    import pandas as pd

    folder = write_folder(tmp_path, [("A", "2024-01-01", None, 100, 1), ("B", "2024-01-01", None, 100, 1)])
    # A: milestone on 10 Jan, first 'reports' use on 5 Jan; B: milestone only (no 'reports' use)
    pd.DataFrame({"account_id": ["A", "B"], "milestone": ["first_value", "first_value"],
                  "achieved_at": ["2024-01-10 09:00:00", "2024-01-12 09:00:00"]}).to_csv(folder / "milestones.csv", index=False)  # fmt: skip
    pd.DataFrame({"account_id": ["A"], "occurred_at": ["2024-01-05 09:00:00"], "feature": ["reports"]}).to_csv(
        folder / "usage_events.csv", index=False
    )

    def first_values(**options):
        con = build_marts(folder, AnalysisConfig(as_of=dt.date(2024, 2, 29), **options))
        return dict(con.execute("select account_id, first_value_date from int_account_first_value").fetchall())

    # default: the milestone, for both accounts
    assert first_values() == {"A": dt.date(2024, 1, 10), "B": dt.date(2024, 1, 12)}
    # configured event: its first use, instead of the milestone (B has none: no first value)
    assert first_values(first_value_event="reports") == {"A": dt.date(2024, 1, 5)}

    # days counted once, from the first paid day (both start 1 Jan): A 10 Jan - 1 Jan = 9, B 12 Jan - 1 Jan = 11
    con = build_marts(folder, AnalysisConfig(as_of=dt.date(2024, 2, 29)))
    days = dict(con.execute("select account_id, days_to_first_value from int_account_first_value").fetchall())
    assert days == {"A": 9, "B": 11}


# ---------------------------------------------------------------- a contract per mart (sql/checks/mart_*.sql)

#: Each mart's unique key (None: it has none), a column that must never be null, and per categorical column
#: a value its check must refuse with the problem it names.
MART_CONTRACTS: dict[str, tuple[tuple[str, ...] | None, str, dict[str, tuple[object, str]]]] = {
    "mart_account_landmark": (("account_id",), "churned", {"segment": ("Nowhere", "unaccepted segment")}),
    "mart_account_months": (
        ("account_id", "month"),
        "mrr",
        {"movement": ("upgrade", "unaccepted movement"), "segment": ("Nowhere", "unaccepted segment")},
    ),
    "mart_accounts_without_usage": (("segment",), "paying_accounts", {"segment": ("Nowhere", "unaccepted segment")}),
    "mart_cohort_retention": (
        ("cohort_grain", "cohort", "segment", "months_since_start"),
        "accounts_at_start",
        {"cohort_grain": ("week", "unaccepted cohort_grain"), "segment": ("Nowhere", "unaccepted segment")},
    ),
    "mart_indicator_outcomes": (
        ("account_id", "month"),
        "mrr",
        {"churn_3m": (2, "unaccepted churn_3m"), "segment": ("Nowhere", "unaccepted segment")},
    ),
    "mart_kpis_monthly": (("month", "segment"), "accounts_end", {"segment": ("Nowhere", "unaccepted segment")}),
    "mart_renewals_due": (None, "account_id", {"segment": ("Nowhere", "unaccepted segment")}),
    "mart_retention_t12m": (("month", "segment"), "accounts_base", {"segment": ("Nowhere", "unaccepted segment")}),
    "mart_source_coverage": (("table_name", "month"), "row_count", {"table_name": ("crm", "unaccepted table_name")}),
    "mart_source_tables": (("table_name",), "row_count", {"table_name": ("crm", "unaccepted table_name")}),
    "mart_stage_feature_adoption": (
        ("month", "segment", "feature"),
        "early_adoption_rate_denominator",
        {"feature": ("teleport", "unaccepted feature"), "segment": ("Nowhere", "unaccepted segment")},
    ),
    "mart_stage_kpis_monthly": (
        ("month", "segment", "kpi_id"),
        "is_complete_month",
        {"kpi_id": ("happiness_index", "unaccepted kpi_id"), "segment": ("Nowhere", "unaccepted segment")},
    ),
    "mart_stage_nps": (
        ("period_grain", "period", "segment"),
        "responses",
        {"period_grain": ("week", "unaccepted period_grain"), "segment": ("Nowhere", "unaccepted segment")},
    ),
    "mart_usage_daily": (("day",), "events", {}),
}
CHECKS = {check.name: check for check in load_checks()}


def test_every_mart_has_a_contract_and_its_check_reads_it():
    marts = sorted(name for name, model in MODELS.items() if model.layer == "mart")
    assert sorted(MART_CONTRACTS) == marts
    for mart in marts:
        assert mart in CHECKS, f"sql/checks/contracts.toml has no [{mart}]"
        # its own mart, and the accounts' segments for an accepted-values rule
        assert mart in referenced_tables(CHECKS[mart].sql) <= {mart, "stg_accounts"}, mart


def test_a_contract_becomes_a_check_returning_each_broken_rule_with_its_row():
    # hand-built: key (1,'a') twice, a null key part, a null 'n', an unknown kind, a segment no account has,
    # and 'All' (accepted: the roll-up). Expected rows written out by hand, one per broken rule.
    from cskpi_analysis.models import MartContract, contract_sql

    contract = MartContract(
        "mart_t",
        "t",
        key=("k", "segment"),
        not_null=("n",),
        segment="accounts or All",
        accepted=(("kind", ("x", "y")),),
    )
    con = duckdb.connect()
    con.execute("create table stg_accounts as select 'a' as segment")
    con.execute(
        "create table mart_t as select * from (values "
        "(1, 'a', 5, 'x'), (1, 'a', 5, 'y'), (2, null, 5, 'x'), (3, 'a', null, 'x'), (4, 'a', 5, 'z'), "
        "(5, 'b', 5, 'x'), (6, 'All', 5, 'y')) as v (k, segment, n, kind)"
    )
    found = sorted(con.execute(contract_sql(contract)).fetchall(), key=str)
    assert found == sorted(
        [
            ("duplicate key", 1, "a", "2"),
            ("null key", 2, None, "segment"),
            ("null value", 3, "a", "n"),
            ("unaccepted kind", 4, "a", "z"),
            ("unaccepted segment", 5, "b", "b"),
        ],
        key=str,
    )


def test_a_mart_without_a_unique_key_is_checked_for_nulls_only():
    from cskpi_analysis.models import MartContract, contract_sql

    sql = contract_sql(MartContract("mart_t", "t", key=("a", "b"), unique=False, not_null=("a",)))
    con = duckdb.connect()
    con.execute("create table mart_t as select * from (values (1, 1), (1, 1), (null, 2)) as v (a, b)")
    assert con.execute(sql).fetchall() == [("null value", None, 2, "a")]  # the duplicate is allowed


def test_a_malformed_contract_is_refused(monkeypatch):
    from cskpi_analysis import models

    class Folder:
        def joinpath(self, *parts):
            return self

        def read_text(self, encoding):
            return '[mart_t]\ndescription = "t"\nkey = ["k"]\nsegment = "everyone"\n'

    monkeypatch.setattr(models, "_sql_dir", lambda: Folder())
    with pytest.raises(ValueError, match=r"contracts.toml \[mart_t\]"):
        models.load_contracts()


def test_every_mart_states_its_grain_on_its_first_line():
    for name, model in MODELS.items():
        if model.layer == "mart":
            assert re.match(r"-- One row per ", model.sql), name


@pytest.fixture(scope="module")
def small_build(tmp_path_factory):
    """A small demo build: every mart has rows."""
    from cskpi_analysis.demo import write_demo
    from cskpi_analysis.validate import require_valid

    folder = tmp_path_factory.mktemp("contracts") / "demo"
    write_demo(folder, 40, 3)
    config, _ = require_valid(folder)
    wh = build_marts(folder, config)
    yield wh
    wh.close()


def _run_check_on(small_build, mart: str, plant: str | None) -> tuple[dict[str, object], list[tuple]]:
    """One real row of ``mart`` as the whole table ``mart`` of a fresh connection, ``plant`` applied to it;
    return the (first) row, by column, and the rows the mart's check returns."""
    row = small_build.sql(f"select * from {mart} order by all limit 1").to_arrow_table()
    accounts = small_build.sql("select * from stg_accounts").to_arrow_table()
    con = duckdb.connect()
    try:
        con.register("planted_row", row)
        con.register("planted_accounts", accounts)
        con.execute(f"create table {mart} as select * from planted_row")
        con.execute("create table stg_accounts as select * from planted_accounts")
        if plant:
            con.execute(plant.format(mart=mart))
        result = con.execute(f"select * from {mart} limit 1")
        values = dict(zip([d[0] for d in result.description], result.fetchall()[0], strict=True))
        check = CHECKS[mart]
        found = con.execute(check.sql, {p: small_build.parameters[p] for p in check.parameters}).fetchall()
    finally:
        con.close()
    return values, found


@pytest.mark.parametrize("mart", sorted(MART_CONTRACTS))
def test_each_mart_check_passes_a_real_row_and_returns_each_planted_defect(small_build, mart):
    key, not_null, categorical = MART_CONTRACTS[mart]
    assert _run_check_on(small_build, mart, None)[1] == []

    def problems(plant: str) -> set[str]:
        return {row[0] for row in _run_check_on(small_build, mart, plant)[1]}

    if key:
        # the row twice: its key, with the 2 rows sharing it
        values, found = _run_check_on(small_build, mart, "insert into {mart} select * from {mart}")
        assert ("duplicate key", *(values[column] for column in key), "2") in found
        for column in key:
            assert "null key" in problems(f"update {{mart}} set {column} = null"), column
    assert "null value" in problems(f"update {{mart}} set {not_null} = null")
    for column, (value, problem) in categorical.items():
        literal = f"'{value}'" if isinstance(value, str) else str(value)
        found = _run_check_on(small_build, mart, f"update {{mart}} set {column} = {literal}")[1]
        assert problem in {row[0] for row in found}, (column, found)
        if isinstance(value, str):
            assert (problem, value) in {(row[0], row[-1]) for row in found}


def test_the_stage_mart_check_accepts_exactly_the_kpis_the_stage_models_write():
    from cskpi_analysis.catalogue import load_catalogue

    accepted_list = CHECKS["mart_stage_kpis_monthly"].sql.split("kpi_id not in (", 1)[1].split(")", 1)[0]
    accepted = set(re.findall(r"'([a-z0-9_]+)'", accepted_list))
    stages = [n for n in MODELS["mart_stage_kpis_monthly"].depends_on if n.startswith("int_stage_")]
    stage_sql = "".join(MODELS[n].sql for n in ["mart_stage_kpis_monthly", *stages])
    written = {kpi.id for kpi in load_catalogue() if f"'{kpi.id}'" in stage_sql}
    assert accepted == written
