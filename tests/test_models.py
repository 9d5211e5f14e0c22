"""Tests of the SQL model runner (cskpi_analysis/models.py) and the models' hygiene."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlglot

from cskpi_analysis.config import AnalysisConfig
from cskpi_analysis.errors import BuildCheckError
from cskpi_analysis.models import load_checks, load_models, model_order, referenced_tables, run_checks
from cskpi_analysis.warehouse import build_marts, model_parameters
from tests.test_kpis import write_folder

MODELS = load_models()


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_transpiles_to_spark_and_parses_back(name):
    spark = sqlglot.transpile(MODELS[name].sql, read="duckdb", write="spark")[0]
    assert sqlglot.parse_one(spark, read="spark") is not None


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
    assert MODELS["mart_account_months"].parameters == ("reactivation",)


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
