"""Data-quality views of a loaded folder: what was loaded, coverage, gaps.

Every function reads the staged tables of a connection built by
:func:`cskpi_analysis.kpis.connect` and returns a small, aggregated frame: the
first look an analyst takes at their own exports (notebook ``00_data_quality``).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from cskpi_analysis.contract import TABLES

#: For each table, the column that dates its rows (used for coverage by month).
DATE_COLUMNS: dict[str, str] = {
    "accounts": "signup_date",
    "subscriptions": "start_date",
    "usage_events": "occurred_at",
    "support_tickets": "opened_at",
    "nps_responses": "responded_at",
    "health_scores": "scored_at",
    "cs_activities": "occurred_at",
    "milestones": "achieved_at",
}


def table_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per contract table: rows, distinct accounts, first and last date.

    Columns: ``table``, ``required``, ``rows``, ``accounts``, ``first_date``, ``last_date``.
    An optional table that is absent has 0 rows.
    """
    records = []
    for name, table in TABLES.items():
        column = DATE_COLUMNS[name]
        # table and column names come from the contract, not from user input
        rows, accounts, first, last = con.execute(
            f"select count(*), count(distinct account_id), cast(min({column}) as date), cast(max({column}) as date) "
            f"from stg_{name}"
        ).fetchone()
        records.append(
            {"table": name, "required": table.required, "rows": rows, "accounts": accounts,
             "first_date": first, "last_date": last}
        )  # fmt: skip
    return pd.DataFrame(records)


def monthly_coverage(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Rows per table per calendar month (tidy: ``table``, ``month``, ``rows``), within the KPI calendar.

    A month with no rows for a table that has rows elsewhere is a gap in the export.
    """
    parts = [
        f"select '{name}' as table_name, cast(date_trunc('month', {column}) as date) as month from stg_{name}"
        for name, column in DATE_COLUMNS.items()
    ]
    return con.execute(
        f"""
        with dated as ({" union all ".join(parts)}),
        tables as (select distinct table_name from dated),
        grid as (select tables.table_name, int_months.month from tables cross join int_months),
        counted as (select table_name, month, count(*) as row_count from dated group by table_name, month)
        select grid.table_name as "table", grid.month, coalesce(counted.row_count, 0) as rows
        from grid
        left join counted on counted.table_name = grid.table_name and counted.month = grid.month
        order by 1, 2
        """
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


def events_per_day(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Usage events and active accounts per day (``day``, ``events``, ``active_accounts``)."""
    return con.execute(
        """
        select cast(occurred_at as date) as day, count(*) as events, count(distinct account_id) as active_accounts
        from stg_usage_events
        group by 1
        order by 1
        """
    ).df()


def accounts_without_usage(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Paying accounts with no usage event at all, by segment (numerator and denominator)."""
    return con.execute(
        """
        with paying as (
            select distinct account_id, segment from mart_account_months where mrr > 0
        ),
        used as (select distinct account_id from stg_usage_events)
        select
            paying.segment,
            count(*) as paying_accounts,
            count(case when used.account_id is null then 1 end) as accounts_without_usage,
            cast(count(case when used.account_id is null then 1 end) as double) / count(*) as share_without_usage
        from paying
        left join used on used.account_id = paying.account_id
        group by paying.segment
        order by paying.segment
        """
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
