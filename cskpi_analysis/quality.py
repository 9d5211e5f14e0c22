"""Data-quality views of a loaded folder: what was loaded, coverage, gaps.

Every function reads a small data-quality mart of the warehouse (``mart_source_tables``,
``mart_source_coverage``, ``mart_usage_daily``, ``mart_accounts_without_usage``, built with
the KPI marts) and returns an aggregated frame: the first look an analyst takes at their own
exports (notebook ``00_data_quality``).
"""

from __future__ import annotations

import pandas as pd

from cskpi_analysis.contract import TABLES
from cskpi_analysis.warehouse import Reader


def table_summary(con: Reader) -> pd.DataFrame:
    """One row per contract table: rows, distinct accounts, first and last date (``mart_source_tables``).

    Columns: ``table``, ``required``, ``rows``, ``accounts``, ``first_date``, ``last_date``.
    An optional table that is absent has 0 rows.
    """
    rows = con.execute(
        "select table_name, row_count, accounts, first_date, last_date from mart_source_tables order by position"
    ).fetchall()
    records = [
        {"table": name, "required": TABLES[name].required, "rows": count, "accounts": accounts,
         "first_date": first, "last_date": last}
        for name, count, accounts, first, last in rows
    ]  # fmt: skip
    return pd.DataFrame(records)


def monthly_coverage(con: Reader) -> pd.DataFrame:
    """Rows per table per calendar month (tidy: ``table``, ``month``, ``rows``), within the KPI calendar.

    A month with no rows for a table that has rows elsewhere is a gap in the export.
    """
    return con.execute(
        'select table_name as "table", month, row_count as rows from mart_source_coverage order by 1, 2'
    ).df()


def coverage_gaps(coverage: pd.DataFrame) -> pd.DataFrame:
    """Months with no rows for a table that has rows both before and after them."""
    gaps = []
    for table, group in coverage.groupby("table"):
        nonzero = group.loc[group["rows"] > 0, "month"]
        if nonzero.empty:
            continue
        inside = group[(group["month"] > nonzero.min()) & (group["month"] < nonzero.max()) & (group["rows"] == 0)]
        gaps += [{"table": table, "month": m} for m in inside["month"]]
    return pd.DataFrame(gaps, columns=["table", "month"])


def events_per_day(con: Reader) -> pd.DataFrame:
    """Usage events and active accounts per day (``day``, ``events``, ``active_accounts``)."""
    return con.execute("select day, events, active_accounts from mart_usage_daily order by day").df()


def accounts_without_usage(con: Reader) -> pd.DataFrame:
    """Paying accounts with no usage event at all, by segment (numerator and denominator)."""
    return con.execute(
        "select segment, paying_accounts, accounts_without_usage, share_without_usage "
        "from mart_accounts_without_usage order by segment"
    ).df()


def date_range_sentence(summary: pd.DataFrame, as_of: object) -> str:
    """One sentence on what the folder spans and the analysis date."""
    present = summary[summary["rows"] > 0]
    first, last = present["first_date"].min(), present["last_date"].max()
    optional_missing = summary[(~summary["required"]) & (summary["rows"] == 0)]["table"].tolist()
    sentence = (
        f"The exports span {first:%d %b %Y} to {last:%d %b %Y}; every KPI is computed as of {as_of:%d %b %Y} "
        f"(nothing after that day exists for the analysis)."
    )
    if optional_missing:
        sentence += (
            f" Optional tables not provided: {', '.join(optional_missing)} (the analyses that need them are skipped)."
        )
    return sentence
