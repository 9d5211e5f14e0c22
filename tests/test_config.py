"""Tests of cskpi.toml loading (cskpi_analysis/config.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from cskpi_analysis.config import AnalysisConfig, KpiOptions, config_toml, load_config
from cskpi_analysis.errors import ConfigError


def test_defaults_apply_when_the_file_is_absent(tmp_path):
    config = load_config(tmp_path)
    assert config == AnalysisConfig()
    assert (config.kpis.snapshot, config.kpis.resignup_grace_days, config.kpis.reactivation) == ("end", 0, "separate")


def test_options_are_read_and_typed(tmp_path):
    (tmp_path / "cskpi.toml").write_text(
        '[analysis]\nas_of = 2026-03-31\nkey_features = ["a", "b"]\n[kpis]\nsnapshot = "start"\nresignup_grace_days = 14\n'
    )
    config = load_config(tmp_path)
    assert config.as_of == dt.date(2026, 3, 31)
    assert config.key_features == ("a", "b")
    assert config.kpis == KpiOptions(snapshot="start", resignup_grace_days=14)


def test_a_typo_in_an_option_is_an_error_not_a_silent_default(tmp_path):
    (tmp_path / "cskpi.toml").write_text('[kpis]\nsnapshop = "start"\n')
    with pytest.raises(ConfigError, match=r"unknown option\(s\) kpis.snapshop"):
        load_config(tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[analysis]\nas_of = "31/03/2026"\n', "as_of must be a date"),
        ('[kpis]\nsnapshot = "middle"\n', "snapshot must be 'end' or 'start'"),
        ("[kpis]\nresignup_grace_days = -1\n", "resignup_grace_days must be a whole number"),
        ("[analysis\n", "not valid TOML"),
        ('[analysis]\nkey_features = "reports"\n', "key_features must be a list"),
    ],
)
def test_bad_values_name_the_file_and_the_option(tmp_path, text, message):
    (tmp_path / "cskpi.toml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path)


def test_rendered_toml_reads_back_to_the_same_config(tmp_path):
    config = AnalysisConfig(
        as_of=dt.date(2026, 9, 30), key_features=("reports",), kpis=KpiOptions(resignup_grace_days=7)
    )
    (tmp_path / "cskpi.toml").write_text(config_toml(config))
    assert load_config(tmp_path) == config


def test_with_kpis_returns_a_copy_and_leaves_the_original_unchanged():
    config = AnalysisConfig()
    changed = config.with_kpis(snapshot="start")
    assert changed.kpis.snapshot == "start" and config.kpis.snapshot == "end"


def test_a_cskpi_toml_that_is_a_folder_is_a_config_error(tmp_path):
    (tmp_path / "cskpi.toml").mkdir()
    with pytest.raises(ConfigError, match=r"cskpi.toml: is a folder, not a file"):
        load_config(tmp_path)


@pytest.mark.parametrize("column", ["email", "user_id", "contact_email", "first_name"])
def test_personal_data_is_refused_as_the_segment_column(tmp_path, column):
    (tmp_path / "cskpi.toml").write_text(f'[analysis]\nsegment_column = "{column}"\n')
    with pytest.raises(ConfigError, match=rf"cskpi.toml: analysis.segment_column '{column}' names personal data"):
        load_config(tmp_path)


def test_errors_of_the_kpi_switches_name_the_file(tmp_path):
    (tmp_path / "cskpi.toml").write_text('[kpis]\nsnapshot = "middle"\n')
    with pytest.raises(ConfigError, match=r"cskpi.toml: kpis.snapshot must be 'end' or 'start'"):
        load_config(tmp_path)
