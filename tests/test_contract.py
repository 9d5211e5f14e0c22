"""Tests of the data contract (cskpi_analysis/contract.py) and its agreement with the staging models."""

from __future__ import annotations

import re

from cskpi_analysis.contract import REQUIRED_TABLES, TABLES, contract_markdown
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
