"""Tests of the data-quality views (cskpi_analysis/quality.py)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cskpi_analysis.config import AnalysisConfig
from cskpi_analysis.quality import (
    accounts_without_usage,
    coverage_gaps,
    events_per_day,
    monthly_coverage,
    table_summary,
)
from cskpi_analysis.warehouse import build_marts
from tests.helpers import write_folder


def build_with_usage(tmp_path):
    folder = write_folder(tmp_path, [("A", "2024-01-01", None, 100, 1), ("B", "2024-01-01", None, 100, 1)])
    # usage in January and March only: February is a gap; B never uses the product
    pd.DataFrame(
        {
            "account_id": ["A", "A", "A"],
            "occurred_at": ["2024-01-05 10:00:00", "2024-01-05 11:00:00", "2024-03-02 09:00:00"],
            "feature": ["reports", "search", "reports"],
        }
    ).to_csv(folder / "usage_events.csv", index=False)
    return build_marts(folder, AnalysisConfig(as_of=dt.date(2024, 3, 31)))


def test_table_summary_counts_rows_accounts_and_dates(tmp_path):
    summary = table_summary(build_with_usage(tmp_path)).set_index("table")
    assert summary.loc["usage_events", "rows"] == 3 and summary.loc["usage_events", "accounts"] == 1
    assert summary.loc["usage_events", "last_date"] == dt.date(2024, 3, 2)
    assert summary.loc["nps_responses", "rows"] == 0  # absent optional table: zero rows, no error


def test_coverage_finds_the_empty_month_inside_a_tables_range(tmp_path):
    coverage = monthly_coverage(build_with_usage(tmp_path))
    usage = coverage[coverage["table"] == "usage_events"].set_index("month")["rows"]
    assert list(usage) == [2, 0, 1]
    gaps = coverage_gaps(coverage)
    assert list(zip(gaps["table"], gaps["month"], strict=True)) == [("usage_events", pd.Timestamp("2024-02-01"))]


def test_events_per_day_and_silent_accounts(tmp_path):
    con = build_with_usage(tmp_path)
    daily = events_per_day(con)
    assert list(daily["events"]) == [2, 1] and list(daily["active_accounts"]) == [1, 1]
    silent = accounts_without_usage(con).iloc[0]
    assert (silent["paying_accounts"], silent["accounts_without_usage"], silent["share_without_usage"]) == (2, 1, 0.5)
