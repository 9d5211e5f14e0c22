"""Tests of the data contract (cskpi_analysis/contract/) and its agreement with the staging models."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from cskpi_analysis.contract import (
    REQUIRED_TABLES,
    TABLES,
    WHITESPACE,
    Column,
    contract_markdown,
    is_personal,
    parse_sql,
    storable_range,
)
from cskpi_analysis.models import load_models


def test_accounts_and_subscriptions_are_the_required_tables():
    assert set(REQUIRED_TABLES) == {"accounts", "subscriptions"}


def test_every_table_has_a_staging_model_that_reads_only_its_source():
    models = load_models()
    for name in TABLES:
        assert f"stg_{name}" in models
        assert models[f"stg_{name}"].depends_on == ()


def test_staging_models_cast_every_contract_column_except_contact_details():
    models = load_models()
    for name, table in TABLES.items():
        sql = models[f"stg_{name}"].sql
        for column in table.columns:
            if column.name == "email":
                assert "email" not in re.sub(r"--.*", "", sql), "contact e-mail must not be staged"
                continue
            assert re.search(rf"\b{column.name}\b", sql), f"stg_{name} does not stage {column.name}"


def test_markdown_lists_every_table_and_column():
    text = contract_markdown()
    for name, table in TABLES.items():
        assert f"### `{name}`" in text
        assert all(f"`{c.name}`" in text for c in table.columns)
    assert "≥ 0" in text  # bounds are rendered (mrr >= 0)


# --------------------------------------------------------------------------- one parse for validator and build


def test_every_staging_cast_is_the_type_the_contract_parses_to():
    """The stg models cast each column to the type ``parse_sql`` produces: the cast never fails on a parsed value."""
    models = load_models()
    for name, table in TABLES.items():
        tree = sqlglot.parse_one(models[f"stg_{name}"].sql, read="duckdb")
        casts = {c.this.name: c.to.sql("duckdb") for c in tree.find_all(exp.Cast) if isinstance(c.this, exp.Column)}
        for column in table.columns:
            if column.name == "email":
                continue
            expected = exp.DataType.build(column.sql_type, dialect="duckdb").sql("duckdb")
            assert casts.get(column.name) == expected, f"stg_{name} casts {column.name} to {casts.get(column.name)}"


def test_white_space_is_every_unicode_space_and_the_invisible_ones():
    spaces = {chr(c) for c in range(0x110000) if chr(c).isspace()}
    assert set(WHITESPACE) == spaces | {"\u200b", "\ufeff"}


def parsed(column: Column, text: str | None) -> tuple:
    """A text value through the contract's SQL: (typed value, what the validator says of it)."""
    parse = parse_sql(column, "v")
    assert parse is not None
    verdict = (
        f"case when {parse.blank} then 'blank' when {parse.value} is not null then 'ok' "
        f"when {parse.overflow or 'false'} then 'out of range' else 'not of the type' end"
    )
    with duckdb.connect() as con:
        row = con.execute(f"select {parse.value}, {verdict} from (select $v::varchar as v)", {"v": text}).fetchone()
    assert row is not None
    return row


MRR = TABLES["subscriptions"].column("mrr")
PERIOD = TABLES["subscriptions"].column("billing_period_months")
OCCURRED = TABLES["usage_events"].column("occurred_at")
SIGNUP = TABLES["accounts"].column("signup_date")


@pytest.mark.parametrize(
    ("column", "text", "expected"),
    [
        (MRR, "12.5\u00a0", (Decimal("12.50"), "ok")),
        (MRR, "\ufeff 1e3\t", (Decimal("1000.00"), "ok")),
        (MRR, "1e17", (None, "out of range")),
        (MRR, "9999999999999999.99", (Decimal("9999999999999999.99"), "ok")),
        (MRR, "1,5", (None, "not of the type")),
        (MRR, "1_000", (None, "not of the type")),
        (MRR, "nan", (None, "not of the type")),
        (MRR, "\u3000\u00a0", (None, "blank")),
        (MRR, None, (None, "blank")),
        (PERIOD, "12\u202f", (12, "ok")),
        (PERIOD, "9999999999", (None, "out of range")),
        (PERIOD, "1.0", (None, "not of the type")),
        (SIGNUP, "2024-02-29\u00a0", (dt.date(2024, 2, 29), "ok")),
        (SIGNUP, "2023-02-29", (None, "not of the type")),
        (SIGNUP, "infinity", (None, "not of the type")),
        (OCCURRED, "2024-06-01T10:00:00+14:00", (dt.datetime(2024, 5, 31, 20, 0), "ok")),
        (OCCURRED, "2024-06-01 10:00:00Z", (dt.datetime(2024, 6, 1, 10, 0), "ok")),
        (OCCURRED, "2024-06-01 10:00:00-0530", (dt.datetime(2024, 6, 1, 15, 30), "ok")),
        (OCCURRED, "2024-06-01 10:00:00.5 UTC", (dt.datetime(2024, 6, 1, 10, 0, 0, 500000), "ok")),
        (OCCURRED, "2024-06-01", (dt.datetime(2024, 6, 1), "ok")),
        (OCCURRED, "2024-06-01 10:00:00 America/New_York", (None, "not of the type")),
        (OCCURRED, "infinity", (None, "not of the type")),
        (OCCURRED, "epoch", (None, "not of the type")),
    ],
)
def test_one_parse_per_type(column: Column, text: str | None, expected: tuple) -> None:
    assert parsed(column, text) == expected


def test_offsets_are_converted_to_utc_whatever_the_session_time_zone():
    con = duckdb.connect()
    con.execute("set TimeZone = 'America/New_York'")
    parse = parse_sql(OCCURRED, "v")
    assert parse is not None
    value = con.execute(f"select {parse.value} from (select '2024-06-01T10:00:00+02:00' as v)").fetchall()
    assert value == [(dt.datetime(2024, 6, 1, 8, 0),)]
    native = parse_sql(OCCURRED, "v", "TIMESTAMP WITH TIME ZONE")
    assert native is not None
    value = con.execute(f"select {native.value} from (select timestamptz '2024-06-01 10:00:00+02' as v)").fetchall()
    assert value == [(dt.datetime(2024, 6, 1, 8, 0),)]


def test_a_native_type_that_cannot_hold_the_contract_type_has_no_parse():
    assert parse_sql(MRR, "v", "BOOLEAN") is None
    assert parse_sql(SIGNUP, "v", "INTEGER") is None


def test_the_storable_range_of_each_number_column():
    assert storable_range(MRR) == ("-9999999999999999.99", "9999999999999999.99")
    assert storable_range(PERIOD) == ("-2147483648", "2147483647")
    assert storable_range(SIGNUP) is None


def test_personal_columns_are_marked_and_recognised():
    assert {c.name for t in TABLES.values() for c in t.columns if c.personal} == {"email", "user_id"}
    for name in ("email", "E-mail", "contact_email", "user_id", "first_name", "Phone"):
        assert is_personal(name), name
    for name in ("segment", "tier", "name", "csm_owner", "region", "plan", "zip", "contact_type", "ip_region"):
        assert not is_personal(name), name
