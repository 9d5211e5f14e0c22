"""Tests of cskpi_analysis.validate and the 'cskpi validate' / 'cskpi contract' commands.

Every test copies tests/fixtures/contract/valid (a minimal folder that satisfies the
whole contract, see its README) to tmp_path and breaks one thing. Row numbers in the
expected messages are counted by hand in those CSV files (row N = line N + 1).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cskpi_analysis.cli import main
from cskpi_analysis.config import AnalysisConfig
from cskpi_analysis.contract import TABLES, contract_markdown
from cskpi_analysis.errors import DataContractError
from cskpi_analysis.validate import Problem, ValidationReport, _run, require_valid, resolve_as_of, validate_dir

REPO = Path(__file__).resolve().parents[1]
VALID = REPO / "tests" / "fixtures" / "contract" / "valid"


# --------------------------------------------------------------------------- builders


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A fresh copy of the valid fixture folder."""
    target = tmp_path / "data"
    shutil.copytree(VALID, target)
    return target


def replace_in(path: Path, old: str, new: str) -> None:
    """Replace the first ``old`` in a file by ``new`` (the text must be there)."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def append_rows(path: Path, *lines: str) -> None:
    with path.open("a") as handle:
        handle.writelines(line + "\n" for line in lines)


def to_parquet(folder: Path, table: str, select: str = "*") -> Path:
    """Convert ``folder/table.csv`` to Parquet (types sniffed by DuckDB) and delete the CSV."""
    csv, parquet = folder / f"{table}.csv", folder / f"{table}.parquet"
    duckdb.read_csv(str(csv), header=True).select(select).write_parquet(str(parquet))
    csv.unlink()
    return parquet


def only_problem(report: ValidationReport) -> Problem:
    assert len(report.problems) == 1, report.format()
    return report.problems[0]


def folder_digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


# --------------------------------------------------------------------------- a valid folder


def test_the_valid_fixture_validates_without_any_problem() -> None:
    report = validate_dir(VALID)
    assert report.problems == ()
    assert report.ok
    # rows counted in the fixture files
    assert report.row_counts == {
        "accounts": 3, "subscriptions": 3, "usage_events": 4, "support_tickets": 3,
        "nps_responses": 2, "health_scores": 2, "cs_activities": 2, "milestones": 3,
    }  # fmt: skip
    assert report.as_of == dt.date(2024, 6, 30)
    assert report.format() == "0 errors, 0 warnings in 8 tables (22 rows); as_of 2024-06-30 (from cskpi.toml)"


def test_only_the_required_tables_are_needed(data_dir: Path) -> None:
    for name, table in TABLES.items():
        if not table.required:
            (data_dir / f"{name}.csv").unlink()
    (data_dir / "cskpi.toml").write_text("[analysis]\nas_of = 2024-06-30\n")
    report = validate_dir(data_dir)
    assert report.problems == ()
    assert set(report.row_counts) == {"accounts", "subscriptions"}


def test_as_of_defaults_to_the_latest_date_but_never_to_a_scheduled_end_date(data_dir: Path) -> None:
    (data_dir / "cskpi.toml").unlink()
    replace_in(data_dir / "subscriptions.csv", "2024-06-01", "2025-01-01")
    report = validate_dir(data_dir)
    # latest not_after_as_of value: usage_events row 4, 2024-06-04 10:00:00
    assert report.as_of == dt.date(2024, 6, 4)
    assert not report.as_of_from_config
    assert resolve_as_of(duckdb.connect(), data_dir, AnalysisConfig()) == dt.date(2024, 6, 4)
    warning = only_problem(report)
    assert str(warning) == (
        "warning: subscriptions.csv row 2, column end_date: value '2025-01-01' is after as_of 2024-06-04: "
        "scheduled ends, counted as active at as_of; expected end_date after as_of only for a scheduled end "
        "(informational)"
    )


def test_resolve_as_of_returns_the_configured_date_unchanged() -> None:
    config = AnalysisConfig(as_of=dt.date(2030, 1, 1))
    assert resolve_as_of(duckdb.connect(), VALID, config) == dt.date(2030, 1, 1)


def test_an_inferred_as_of_says_where_it_was_found(data_dir: Path) -> None:
    (data_dir / "cskpi.toml").unlink()
    report = validate_dir(data_dir)
    assert report.as_of_source == "usage_events.csv, column occurred_at"
    assert report.summary().endswith("as_of 2024-06-04 (latest date in the data: usage_events.csv, column occurred_at)")
    assert report.to_dict()["as_of_source"] == "usage_events.csv, column occurred_at"


def test_without_as_of_a_date_after_today_is_an_error_and_not_as_of(data_dir: Path, monkeypatch) -> None:
    (data_dir / "cskpi.toml").unlink()
    monkeypatch.setattr(_run, "_today", lambda: dt.date(2024, 6, 2))
    report = validate_dir(data_dir)
    # usage_events rows 3 and 4 (2024-06-03, 2024-06-04) lie after that "today"
    assert [str(p) for p in report.problems] == [
        "error: usage_events.csv 2 rows (first: 3, 4), column occurred_at: values '2024-06-03 09:15:00', "
        "'2024-06-04 10:00:00' are after today, 2024-06-02; expected occurred_at on or before today (2024-06-02): "
        "without analysis.as_of in cskpi.toml, as_of is the latest date in the data"
    ]
    assert report.as_of == dt.date(2024, 6, 1)


def test_with_as_of_set_no_date_is_compared_with_today(data_dir: Path, monkeypatch) -> None:
    monkeypatch.setattr(_run, "_today", lambda: dt.date(2000, 1, 1))
    assert validate_dir(data_dir).problems == ()


def test_a_few_dates_far_after_the_rest_are_typos_not_as_of(data_dir: Path) -> None:
    (data_dir / "cskpi.toml").unlink()
    replace_in(data_dir / "cs_activities.csv", "2024-03-01 10:00:00", "2025-03-01 10:00:00")
    replace_in(data_dir / "health_scores.csv", "2024-05-01", "2025-05-01")
    report = validate_dir(data_dir)
    assert [(p.file, p.column, p.rows, p.values) for p in report.errors] == [
        ("health_scores.csv", "scored_at", (2,), ("2025-05-01",)),
        ("cs_activities.csv", "occurred_at", (2,), ("2025-03-01 10:00:00",)),
    ]
    assert "far after every other date of the data, the latest of which is 2024-06-04" in report.errors[0].message
    assert report.as_of == dt.date(2024, 6, 4)
    assert resolve_as_of(duckdb.connect(), data_dir, AnalysisConfig()) == dt.date(2024, 6, 4)


def test_sparse_data_with_a_long_gap_is_not_an_outlier(data_dir: Path) -> None:
    # three accounts and subscriptions a year apart: a 366-day gap, but dates are that sparse
    for name, table in TABLES.items():
        if not table.required:
            (data_dir / f"{name}.csv").unlink()
    (data_dir / "cskpi.toml").unlink()
    (data_dir / "accounts.csv").write_text("account_id,signup_date\nA-1,2019-01-01\nA-2,2020-01-01\nA-3,2021-01-01\n")
    (data_dir / "subscriptions.csv").write_text(
        "account_id,start_date,mrr\nA-1,2019-01-01,10\nA-2,2020-01-01,10\nA-3,2021-01-01,10\n"
    )
    report = validate_dir(data_dir)
    assert report.problems == ()
    assert report.as_of == dt.date(2021, 1, 1)


def test_an_inferred_as_of_still_reads_each_table_once(data_dir: Path, executed: list[str]) -> None:
    (data_dir / "cskpi.toml").write_text('[analysis]\nkey_features = ["reports", "integrations", "automations"]\n')
    assert validate_dir(data_dir).problems == ()
    assert {name: len(reads_of(executed, name)) for name in TABLES} == {name: 1 for name in TABLES} | {"accounts": 2}


# --------------------------------------------------------------------------- folder and files


def test_a_missing_folder_is_one_error_not_an_exception(tmp_path: Path) -> None:
    problem = only_problem(validate_dir(tmp_path / "nowhere"))
    assert problem.severity == "error"
    assert "nowhere: data folder not found" in str(problem)


def test_a_missing_required_file_is_an_error_naming_the_file(data_dir: Path) -> None:
    (data_dir / "subscriptions.csv").unlink()
    problem = only_problem(validate_dir(data_dir))
    assert str(problem).startswith("error: subscriptions.csv: required file is missing; expected subscriptions.csv or")


def test_a_table_stored_twice_warns_that_the_parquet_file_is_used(data_dir: Path) -> None:
    shutil.copy(data_dir / "nps_responses.csv", data_dir / "keep.csv")
    to_parquet(data_dir, "nps_responses")
    shutil.move(data_dir / "keep.csv", data_dir / "nps_responses.csv")
    problem = only_problem(validate_dir(data_dir))
    assert str(problem) == (
        "warning: nps_responses.csv: ignored: nps_responses.parquet is also present and is the one used; "
        "expected one file per table"
    )


def test_a_misspelt_file_name_is_warned_about_with_a_suggestion(data_dir: Path) -> None:
    shutil.move(data_dir / "milestones.csv", data_dir / "milestone.csv")
    problem = only_problem(validate_dir(data_dir))
    assert "warning: milestone.csv: not a contract table; ignored (did you mean milestones.csv?)" in str(problem)


def test_an_empty_file_is_an_error(data_dir: Path) -> None:
    (data_dir / "cs_activities.csv").write_text("")
    problem = only_problem(validate_dir(data_dir))
    assert str(problem).startswith("error: cs_activities.csv: file is empty (no header row)")


def test_a_row_with_too_many_fields_is_reported_with_its_row(data_dir: Path) -> None:
    # "1,000" splits the mrr of row 1 into two fields: 7 fields under a 6-column header
    replace_in(data_dir / "subscriptions.csv", "A-1,2024-01-01,,100,", "A-1,2024-01-01,,1,000,")
    problem = only_problem(validate_dir(data_dir))
    assert str(problem).startswith(
        "error: subscriptions.csv row 1: cannot be read: Expected Number of Columns: 6 Found: 7"
    )


def test_a_file_that_is_not_utf8_cannot_be_read_and_says_why(data_dir: Path) -> None:
    path = data_dir / "nps_responses.csv"
    path.write_bytes(path.read_bytes().replace(b"A-2", b"A-\xff"))
    problem = only_problem(validate_dir(data_dir))
    assert problem.file == "nps_responses.csv"
    # the second data row holds the byte that is not UTF-8
    assert problem.rows == (2,)
    assert "cannot be read" in problem.message and "utf-8" in problem.message.lower()
    assert "\n" not in str(problem)


def test_a_required_table_with_a_header_only_is_an_error(data_dir: Path) -> None:
    (data_dir / "subscriptions.csv").write_text("account_id,start_date,end_date,mrr\n")
    report = validate_dir(data_dir)
    assert "error: subscriptions.csv: has a header but no data rows; expected at least one row" in report.format()


# --------------------------------------------------------------------------- columns


def test_a_missing_required_column_is_an_error_with_a_case_hint(data_dir: Path) -> None:
    replace_in(data_dir / "nps_responses.csv", "responded_at", "Responded_At")
    report = validate_dir(data_dir)
    assert len(report.errors) == 1 and len(report.warnings) == 1
    assert str(report.errors[0]).startswith(
        "error: nps_responses.csv, column responded_at: required column is missing "
        "(found 'Responded_At': column names are case-sensitive)"
    )


def test_an_extra_column_is_a_warning_and_the_command_exits_zero(data_dir: Path, capsys) -> None:
    path = data_dir / "health_scores.csv"
    path.write_text(
        "\n".join(line + (",notes" if i == 0 else ",x") for i, line in enumerate(path.read_text().splitlines())) + "\n"
    )
    problem = only_problem(validate_dir(data_dir))
    assert str(problem) == (
        "warning: health_scores.csv: unknown column ignored: 'notes'; "
        "expected only the contract columns of health_scores (see 'cskpi contract')"
    )
    assert main(["validate", str(data_dir)]) == 0
    assert "0 errors, 1 warning in 8 tables" in capsys.readouterr().out


def test_an_empty_required_value_is_an_error_with_its_row(data_dir: Path) -> None:
    replace_in(data_dir / "usage_events.csv", "A-3,2024-06-03 09:15:00,reports", "A-3,2024-06-03 09:15:00,")
    problem = only_problem(validate_dir(data_dir))
    assert str(problem) == (
        "error: usage_events.csv row 3, column feature: required value is empty; expected a value on every row (string)"
    )


def test_the_configured_segment_column_is_not_an_unknown_column(data_dir: Path) -> None:
    replace_in(data_dir / "accounts.csv", "segment", "tier")
    append_rows(data_dir / "cskpi.toml", 'segment_column = "tier"')
    assert validate_dir(data_dir).problems == ()


# --------------------------------------------------------------------------- types


def test_a_date_not_written_yyyy_mm_dd_is_an_error_with_row_and_value(data_dir: Path) -> None:
    replace_in(data_dir / "accounts.csv", "A-2,2024-02-01", "A-2,01/02/2024")
    problem = only_problem(validate_dir(data_dir))
    assert str(problem) == (
        "error: accounts.csv row 2, column signup_date: value '01/02/2024' is not a date YYYY-MM-DD; "
        "expected a date YYYY-MM-DD"
    )


def test_an_unparseable_timestamp_is_an_error(data_dir: Path) -> None:
    replace_in(data_dir / "cs_activities.csv", "2024-03-01 10:00:00", "yesterday")
    problem = only_problem(validate_dir(data_dir))
    assert (problem.file, problem.column, problem.rows, problem.values) == (
        "cs_activities.csv",
        "occurred_at",
        (2,),
        ("yesterday",),
    )


def test_a_non_numeric_mrr_is_an_error_with_the_value(data_dir: Path) -> None:
    replace_in(data_dir / "subscriptions.csv", ",50.5,", ",50.5 EUR,")
    problem = only_problem(validate_dir(data_dir))
    assert str(problem).startswith(
        "error: subscriptions.csv row 3, column mrr: value '50.5 EUR' is not a number with '.' as decimal separator"
    )


def test_a_long_bad_value_is_shortened_to_keep_the_message_on_one_line(data_dir: Path) -> None:
    replace_in(data_dir / "subscriptions.csv", ",50.5,", ',"50.5 per month\n' + "x" * 100 + '",')
    problem = only_problem(validate_dir(data_dir))
    assert problem.values == ("50.5 per month " + "x" * 42 + "...",)
    assert "\n" not in str(problem)


def test_not_a_number_and_infinity_are_not_numbers(data_dir: Path) -> None:
    replace_in(data_dir / "subscriptions.csv", ",50.5,", ",nan,")
    replace_in(data_dir / "subscriptions.csv", ",100,", ",inf,")
    problem = only_problem(validate_dir(data_dir))
    assert (problem.row_count, problem.rows, problem.values) == (2, (1, 3), ("inf", "nan"))
    assert "2 rows (first: 1, 3), column mrr: values 'inf', 'nan' are not a number" in str(problem)


def test_a_fractional_integer_is_an_error(data_dir: Path) -> None:
    replace_in(data_dir / "subscriptions.csv", "basic,1\nA-2", "basic,1.5\nA-2")
    problem = only_problem(validate_dir(data_dir))
    assert str(problem).startswith(
        "error: subscriptions.csv row 1, column billing_period_months: value '1.5' is not a whole number"
    )


# --------------------------------------------------------------------------- bounds, keys, references, order


def test_a_negative_mrr_is_reported_with_row_column_value_and_bound(data_dir: Path) -> None:
    replace_in(data_dir / "subscriptions.csv", ",50.5,", ",-5,")
    problem = only_problem(validate_dir(data_dir))
    assert str(problem) == "error: subscriptions.csv row 3, column mrr: value '-5' is negative; expected mrr >= 0"


def test_a_csat_out_of_range_is_an_error(data_dir: Path) -> None:
    replace_in(data_dir / "support_tickets.csv", ",5\n", ",7\n")
    problem = only_problem(validate_dir(data_dir))
    assert (
        str(problem)
        == "error: support_tickets.csv row 1, column csat: value '7' is out of range; expected 1 <= csat <= 5"
    )


def test_a_duplicate_ticket_id_lists_the_rows_and_the_key(data_dir: Path) -> None:
    replace_in(data_dir / "support_tickets.csv", "A-3,T-3", "A-3,T-1")
    problem = only_problem(validate_dir(data_dir))
    assert str(problem) == (
        "error: support_tickets.csv 2 rows (first: 1, 3), column ticket_id: 1 duplicated ticket_id value: 'T-1'; "
        "expected each ticket_id to appear once"
    )


def test_a_duplicate_composite_key_shows_both_parts(data_dir: Path) -> None:
    append_rows(data_dir / "health_scores.csv", "A-1,2024-06-01,81")
    problem = only_problem(validate_dir(data_dir))
    assert problem.column == "account_id, scored_at"
    assert problem.rows == (1, 3) and problem.values == ("A-1 / 2024-06-01",)


def test_orphan_account_ids_are_counted_with_the_first_ids(data_dir: Path) -> None:
    append_rows(
        data_dir / "usage_events.csv",
        "A-9,2024-06-01 10:00:00,reports,u9",
        "A-9,2024-06-02 10:00:00,reports,u9",
        "A-8,2024-06-02 10:00:00,reports,u8",
    )
    problem = only_problem(validate_dir(data_dir))
    # rows 5-7 are the three appended rows; two distinct unknown ids
    assert str(problem) == (
        "error: usage_events.csv 3 rows (first: 5, 6, 7), column account_id: 2 unknown account_id values not found "
        "in accounts.csv: 'A-9', 'A-8'; expected every account_id to exist in accounts.csv"
    )


def test_an_end_date_not_after_the_start_date_is_an_error(data_dir: Path) -> None:
    replace_in(data_dir / "subscriptions.csv", "2024-06-01", "2024-02-01")
    problem = only_problem(validate_dir(data_dir))
    assert str(problem) == (
        "error: subscriptions.csv row 2, column end_date: value '2024-02-01 (start_date 2024-02-01)' is not after "
        "start_date; expected end_date after start_date"
    )


def test_a_first_response_before_the_ticket_was_opened_is_an_error(data_dir: Path) -> None:
    replace_in(data_dir / "support_tickets.csv", "2024-05-03 09:30:00", "2024-05-02 09:30:00")
    problem = only_problem(validate_dir(data_dir))
    assert (problem.file, problem.column, problem.rows) == ("support_tickets.csv", "first_response_at", (2,))
    assert "before opened_at" in problem.message


def test_a_timestamp_after_the_configured_as_of_is_an_error(data_dir: Path) -> None:
    append_rows(data_dir / "usage_events.csv", "A-1,2024-07-01 08:00:00,reports,u1")
    problem = only_problem(validate_dir(data_dir))
    assert str(problem) == (
        "error: usage_events.csv row 5, column occurred_at: value '2024-07-01 08:00:00' is after as_of 2024-06-30; "
        "expected occurred_at on or before as_of 2024-06-30 (analysis.as_of in cskpi.toml)"
    )


def test_a_timestamp_during_the_as_of_day_is_not_after_as_of(data_dir: Path) -> None:
    append_rows(data_dir / "usage_events.csv", "A-1,2024-06-30 23:59:59,reports,u1")
    assert validate_dir(data_dir).problems == ()


# --------------------------------------------------------------------------- config and analyst warnings


def test_a_bad_cskpi_toml_is_an_error_line_not_a_traceback(data_dir: Path, capsys) -> None:
    append_rows(data_dir / "cskpi.toml", "as_off = 2024-06-30")
    problem = only_problem(validate_dir(data_dir))
    assert problem.file == "cskpi.toml"
    assert str(problem).startswith("error: cskpi.toml: unknown option(s) analysis.as_off")
    assert main(["validate", str(data_dir)]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err


def test_helpful_warnings_for_unused_accounts_features_and_milestones(data_dir: Path) -> None:
    append_rows(data_dir / "accounts.csv", "A-4,2024-04-01,SMB,basic,Umbrella")
    replace_in(data_dir / "cskpi.toml", '"automations"]', '"automations", "exports"]')
    replace_in(data_dir / "milestones.csv", "A-1,first_value", "A-1,kickoff")
    replace_in(data_dir / "milestones.csv", "A-2,first_value", "A-2,kickoff")
    report = validate_dir(data_dir)
    assert report.ok and len(report.warnings) == 3
    text = report.format()
    assert "warning: accounts.csv row 4, column account_id: value 'A-4' is without any subscription" in text
    assert "warning: usage_events.csv, column feature: feature named in cskpi.toml never used: 'exports'" in text
    assert "warning: milestones.csv, column milestone: first-value milestone 'first_value' never appears" in text


# --------------------------------------------------------------------------- Parquet


def test_parquet_files_with_native_types_validate_clean(data_dir: Path) -> None:
    for name in TABLES:
        to_parquet(data_dir, name)
    report = validate_dir(data_dir)
    assert report.problems == ()
    assert sum(report.row_counts.values()) == 22


def test_parquet_rows_are_checked_like_csv_rows(data_dir: Path) -> None:
    replace_in(data_dir / "subscriptions.csv", ",50.5,", ",-5,")
    to_parquet(data_dir, "subscriptions")
    problem = only_problem(validate_dir(data_dir))
    assert str(problem) == "error: subscriptions.parquet row 3, column mrr: value '-5' is negative; expected mrr >= 0"


def test_a_parquet_column_of_an_uncastable_type_is_an_error(data_dir: Path) -> None:
    to_parquet(data_dir, "subscriptions", select="* replace (start_date > date '2024-01-15' as mrr)")
    problem = only_problem(validate_dir(data_dir))
    assert str(problem).startswith(
        "error: subscriptions.parquet, column mrr: Parquet type BOOLEAN cannot be read as decimal"
    )


# --------------------------------------------------------------------------- entry points and the command line


def test_a_corrupt_parquet_file_cannot_be_read_and_says_so(data_dir: Path) -> None:
    (data_dir / "milestones.csv").unlink()
    (data_dir / "milestones.parquet").write_bytes(b"PAR1 this is not parquet")
    problem = only_problem(validate_dir(data_dir))
    assert str(problem).startswith("error: milestones.parquet: cannot be read: ")
    assert str(problem).endswith("; expected a valid Parquet file")


def test_require_valid_returns_the_config_with_as_of_resolved(data_dir: Path) -> None:
    (data_dir / "cskpi.toml").unlink()
    config, report = require_valid(data_dir)
    assert config.as_of == dt.date(2024, 6, 4) == report.as_of


def test_require_valid_raises_a_data_contract_error_listing_the_problems(data_dir: Path) -> None:
    replace_in(data_dir / "subscriptions.csv", ",50.5,", ",-5,")
    with pytest.raises(DataContractError, match=r"subscriptions.csv row 3, column mrr: value '-5' is negative"):
        require_valid(data_dir)


def test_validation_never_changes_the_input_files(data_dir: Path) -> None:
    replace_in(data_dir / "subscriptions.csv", ",50.5,", ",-5,")
    to_parquet(data_dir, "usage_events")
    before = folder_digest(data_dir)
    validate_dir(data_dir)
    assert main(["validate", str(data_dir)]) == 1
    assert folder_digest(data_dir) == before


def test_the_command_exits_one_on_errors_and_zero_when_clean(data_dir: Path, capsys) -> None:
    assert main(["validate", str(data_dir)]) == 0
    assert capsys.readouterr().out.strip() == validate_dir(data_dir).format()
    (data_dir / "accounts.csv").unlink()
    assert main(["validate", str(data_dir)]) == 1
    out = capsys.readouterr().out
    assert "error: accounts.csv: required file is missing" in out
    assert out.strip().splitlines()[-1].startswith("1 error, 0 warnings in 7 tables (19 rows)")


def test_the_command_reports_a_missing_folder_without_a_traceback(tmp_path: Path, capsys) -> None:
    assert main(["validate", str(tmp_path / "nowhere")]) == 1
    captured = capsys.readouterr()
    assert "data folder not found" in captured.out and "Traceback" not in captured.err


def test_the_json_format_carries_every_problem(data_dir: Path, capsys) -> None:
    replace_in(data_dir / "subscriptions.csv", ",50.5,", ",-5,")
    assert main(["validate", str(data_dir), "--format", "json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is False and payload["errors"] == 1 and payload["as_of"] == "2024-06-30"
    assert payload["problems"][0] == {
        "severity": "error", "file": "subscriptions.csv", "column": "mrr", "message": "value '-5' is negative",
        "expected": "mrr >= 0", "row_count": 1, "rows": [3], "values": ["-5"],
    }  # fmt: skip


def test_a_problem_on_many_rows_names_the_count_and_the_first_rows() -> None:
    problem = Problem(
        "error",
        "usage_events.csv",
        "account_id",
        "values 'A-9', 'A-8' are unknown",
        "account_id in accounts.csv",
        row_count=12,
        rows=(4, 9, 17),
        values=("A-9", "A-8"),
    )
    assert str(problem) == (
        "error: usage_events.csv 12 rows (first: 4, 9, 17), column account_id: values 'A-9', 'A-8' are unknown; "
        "expected account_id in accounts.csv"
    )


def test_problems_and_reports_are_immutable() -> None:
    report = validate_dir(VALID)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.as_of = None  # type: ignore[misc]


def test_a_large_usage_table_is_validated_with_exact_row_numbers(data_dir: Path) -> None:
    # 300,000 events; rows 123,457 and 299,999 carry an unknown account and a bad timestamp
    path = data_dir / "usage_events.csv"
    duckdb.execute(
        f"""copy (
            select
                case when i = 123457 then 'A-404' else 'A-' || (i % 3 + 1) end as account_id,
                case when i = 299999 then 'not a time'
                     else strftime(timestamp '2024-01-01' + i * interval 1 minute, '%Y-%m-%d %H:%M:%S') end
                    as occurred_at,
                'reports' as feature,
                'u' || (i % 50) as user_id
            from range(1, 300001) as t(i)
        ) to '{path}' (header)"""
    )
    (data_dir / "cskpi.toml").write_text('[analysis]\nkey_features = ["reports"]\n')
    report = validate_dir(data_dir)
    assert report.row_counts["usage_events"] == 300_000
    assert [(p.column, p.rows, p.values) for p in report.problems] == [
        ("occurred_at", (299_999,), ("not a time",)),
        ("account_id", (123_457,), ("A-404",)),
    ]
    # latest valid event: i = 300,000 minutes after 2024-01-01 = 2024-07-27 08:00
    assert report.as_of == dt.date(2024, 7, 27)


# --------------------------------------------------------------------------- one pass per table


class RecordingConnection:
    """A DuckDB connection that records every SQL statement it executes."""

    def __init__(self, con: duckdb.DuckDBPyConnection, log: list[str]) -> None:
        self._con, self._log = con, log

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        self._log.append(sql)
        return self._con.execute(sql, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


@pytest.fixture
def executed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL statements run by the validation connections of the test."""
    log: list[str] = []
    connect = duckdb.connect
    monkeypatch.setattr(_run.duckdb, "connect", lambda *a, **k: RecordingConnection(connect(*a, **k), log))
    return log


def reads_of(log: list[str], table: str) -> list[str]:
    """The queries that pass over ``table`` row by row (its typed view, aliased x)."""
    return [sql for sql in log if f"_{table} as x" in sql]


def test_a_clean_folder_is_read_in_one_pass_per_table(data_dir: Path, executed: list[str]) -> None:
    to_parquet(data_dir, "usage_events")
    assert validate_dir(data_dir).problems == ()
    # one scan per table checks every row rule (references to accounts included); accounts
    # alone is read once more, to find accounts without a subscription once that table is read
    assert {name: len(reads_of(executed, name)) for name in TABLES} == {name: 1 for name in TABLES} | {"accounts": 2}


def test_several_rules_broken_in_one_table_are_counted_in_one_scan_and_sampled_in_one_more(
    data_dir: Path, executed: list[str]
) -> None:
    path = data_dir / "subscriptions.csv"
    replace_in(path, "A-1,2024-01-01,,100,basic,1", "A-1,2024-01-01,,-5,basic,1")  # row 1: negative mrr
    replace_in(path, "A-2,2024-02-01,2024-06-01,500,pro,12", "A-2,2024-02-01,2024-01-31,500,pro,0")  # row 2: two rules
    replace_in(path, "A-3,2024-03-01,,50.5,basic,1", "A-3,2024-03-01,,50.5,basic,x")  # row 3: not a number
    report = validate_dir(data_dir)
    assert [str(p) for p in report.problems] == [
        "error: subscriptions.csv row 3, column billing_period_months: value 'x' is not a whole number; "
        "expected a whole number",
        "error: subscriptions.csv row 1, column mrr: value '-5' is negative; expected mrr >= 0",
        "error: subscriptions.csv row 2, column billing_period_months: value '0' is below 1; "
        "expected billing_period_months >= 1",
        "error: subscriptions.csv row 2, column end_date: value '2024-01-31 (start_date 2024-02-01)' is not after "
        "start_date; expected end_date after start_date",
    ]
    # one scan counts every rule; one more pass fetches the first rows of the four broken ones
    assert len(reads_of(executed, "subscriptions")) == 2


def test_native_parquet_and_csv_text_report_the_same_problems(tmp_path: Path) -> None:
    reports = {}
    for fmt in ("csv", "parquet"):
        folder = tmp_path / fmt
        shutil.copytree(VALID, folder)
        replace_in(folder / "subscriptions.csv", "A-1,2024-01-01,,100,", "A-1,,,-5.5,")  # no start_date; mrr < 0
        replace_in(folder / "subscriptions.csv", "2024-06-01", "2024-01-15")  # row 2 ends before it starts
        replace_in(folder / "subscriptions.csv", ",50.5,", ",nan,")  # row 3: not a finite number
        replace_in(folder / "usage_events.csv", "09:15:00,reports", "09:15:00,  ")  # row 3: blank feature
        append_rows(folder / "usage_events.csv", "A-1,2024-07-01 08:00:00,reports,u1")  # row 5: after as_of
        if fmt == "parquet":
            for table in ("subscriptions", "usage_events"):
                to_parquet(folder, table)
            assert [str(t) for t in duckdb.read_parquet(str(folder / "subscriptions.parquet")).types][1:4] == [
                "DATE",
                "DATE",
                "DOUBLE",
            ]
            assert str(duckdb.read_parquet(str(folder / "usage_events.parquet")).types[1]) == "TIMESTAMP"
        reports[fmt] = validate_dir(folder)
    assert [str(p) for p in reports["csv"].problems] == [
        "error: subscriptions.csv row 1, column start_date: required value is empty; expected a value on every row "
        "(date)",
        "error: subscriptions.csv row 3, column mrr: value 'nan' is not a number with '.' as decimal separator and "
        "no thousands separator; expected a number with '.' as decimal separator and no thousands separator",
        "error: usage_events.csv row 3, column feature: required value is empty; expected a value on every row "
        "(string)",
        "error: subscriptions.csv row 1, column mrr: value '-5.5' is negative; expected mrr >= 0",
        "error: subscriptions.csv row 2, column end_date: value '2024-01-15 (start_date 2024-02-01)' is not after "
        "start_date; expected end_date after start_date",
        "error: usage_events.csv row 5, column occurred_at: value '2024-07-01 08:00:00' is after as_of 2024-06-30; "
        "expected occurred_at on or before as_of 2024-06-30 (analysis.as_of in cskpi.toml)",
    ]
    assert [str(p).replace(".parquet", ".csv") for p in reports["parquet"].problems] == [
        str(p) for p in reports["csv"].problems
    ]


def test_parquet_rows_are_numbered_by_the_file_across_row_groups(data_dir: Path) -> None:
    # 200,000 events in row groups of 10,000 read by several threads; rows 123,457 and 199,999 are bad
    (data_dir / "usage_events.csv").unlink()
    path = data_dir / "usage_events.parquet"
    duckdb.execute(
        f"""copy (
            select
                case when i = 123457 then 'A-404' else 'A-' || (i % 3 + 1) end as account_id,
                case when i <> 199999 then timestamp '2024-01-01' + i * interval 1 minute end as occurred_at,
                'reports' as feature
            from range(1, 200001) as t(i) order by i
        ) to '{path}' (format parquet, row_group_size 10000)"""
    )
    (data_dir / "cskpi.toml").write_text('[analysis]\nkey_features = ["reports"]\n')
    report = validate_dir(data_dir)
    assert [(p.column, p.rows, p.message) for p in report.problems] == [
        ("occurred_at", (199_999,), "required value is empty"),
        ("account_id", (123_457,), "1 unknown account_id value not found in accounts.csv: 'A-404'"),
    ]


def test_a_parquet_file_with_its_own_file_row_number_column_is_numbered_all_the_same(data_dir: Path) -> None:
    replace_in(data_dir / "subscriptions.csv", ",50.5,", ",-5,")
    to_parquet(data_dir, "subscriptions", select="*, 7 as file_row_number")
    report = validate_dir(data_dir)
    assert [str(p) for p in report.errors] == [
        "error: subscriptions.parquet row 3, column mrr: value '-5' is negative; expected mrr >= 0"
    ]


# --------------------------------------------------------------------------- contract documentation


def test_data_readme_contains_the_generated_contract_verbatim() -> None:
    readme = (REPO / "data" / "README.md").read_text(encoding="utf-8")
    assert contract_markdown() in readme, "regenerate the tables with: cskpi contract --markdown"


def test_the_contract_command_prints_markdown_and_text(capsys) -> None:
    assert main(["contract", "--markdown"]) == 0
    assert capsys.readouterr().out == contract_markdown() + "\n"
    assert main(["contract"]) == 0
    text = capsys.readouterr().out
    assert "subscriptions (required)" in text and "mrr" in text and ">= 0" in text
