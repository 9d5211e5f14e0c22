"""The untuned DuckDB base that shared/perf/kpi_duckdb_tuned.py imports, written by us: NOT the reference authors'.

shared/perf/kpi_duckdb.py was missing: the shared folder shipped without it, yet ``kpi_duckdb_tuned.py`` does
``import kpi_duckdb as base`` and reuses four names from it (``EVENT_TYPES``, ``setup``, ``step_movements``,
``step_survival``), so the tuned reference could not run at all. This file supplies exactly those four names so
that it can. They are written from the semantics of ``shared/perf/kpi_pandas.py`` (``load``, ``step_movements``,
``step_survival``, ``EVENT_TYPES``) and return the same frames (columns, grain, order); ``bench/run.py`` puts
this folder on the child's ``PYTHONPATH`` only while the perf folder has no ``kpi_duckdb.py`` of its own.

What the tuned module expects from them:

- ``setup(con, d, native)`` exposes ``d``'s gen.py output as ``accounts`` (account_id, signup_date, segment,
  plan, region), ``subscriptions`` (account_id, month, mrr) and ``events`` (account_id, ts, event_type), with
  the Parquet files' own types (date32 dates, timestamp[us] ts). With ``native=False`` (what ``bench_one.py``
  uses) they are TEMP VIEWs over ``read_parquet``: every step scans the files itself, so the layout on disk
  (e.g. clustered by account) reaches the queries and nothing is copied up front. With ``native=True`` they
  are TEMP TABLEs: the files are read once into DuckDB's native storage, inside ``setup`` (timed as "load").
  That reading of ``native`` is ours: the original file is not available. Both give the same results.
- ``step_movements(con)`` and ``step_survival(con)`` read the ``sub_lag`` temp table of the tuned ``step_lag``
  (account_id, mi, mrr, segment, cohort_mi, prev_mi, prev_mrr, next_mi, mrr_12); ``step_survival`` runs after
  the tuned ``step_features`` and joins its ``features`` temp table, as kpi_pandas joins ``st["features"]``.
  The horizon (last month index) is ``max(mi)`` of ``sub_lag``, the same value kpi_pandas takes from its
  lagged frame and the tuned ``step_lag`` stores in the ``horizon`` variable.
"""

from __future__ import annotations

import duckdb
import pandas as pd

EVENT_TYPES = [
    "login",
    "view_dashboard",
    "api_call",
    "create_report",
    "export",
    "invite_user",
    "integration_connect",
    "support_ticket",
]

TABLES = ("accounts", "subscriptions", "events")

# a subscription month is a churn when the account is not active the next month, except in the last month
IS_CHURN = "(l.next_mi IS NULL OR l.next_mi > l.mi + 1) AND l.mi < h.horizon"


def setup(con: duckdb.DuckDBPyConnection, d: str, native: bool = False) -> None:
    """``accounts``, ``subscriptions``, ``events`` over ``d``'s Parquet files: temp views, or temp tables if native."""
    kind = "TABLE" if native else "VIEW"
    for name in TABLES:
        path = f"{d}/{name}.parquet".replace("'", "''")
        con.execute(f"CREATE OR REPLACE TEMP {kind} {name} AS SELECT * FROM read_parquet('{path}')")


def step_movements(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """MRR movements by month: mi, movement, n_accounts, mrr_delta (kpi_pandas.step_movements).

    new (first month), reactivation (after a gap), expansion, contraction (MRR up or down; unchanged months
    are no movement); churn lands in the month after the last active one, as minus that month's MRR.
    ``fsum`` (compensated, like pandas' groupby sum) rather than ``sum``: a plain parallel sum of doubles
    changes in the last bits from run to run with the thread schedule (up to ~1e-8 on these totals).
    """
    return con.sql(f"""
    WITH h AS (SELECT max(mi) AS horizon FROM sub_lag),
    mv AS (
      SELECT mi,
             CASE WHEN prev_mi IS NULL THEN 'new'
                  WHEN prev_mi < mi - 1 THEN 'reactivation'
                  WHEN mrr > prev_mrr THEN 'expansion'
                  WHEN mrr < prev_mrr THEN 'contraction' END AS movement,
             CASE WHEN prev_mi IS NULL OR prev_mi < mi - 1 THEN mrr ELSE mrr - prev_mrr END AS delta
      FROM sub_lag
      UNION ALL
      SELECT l.mi + 1 AS mi, 'churn' AS movement, -l.mrr AS delta
      FROM sub_lag l CROSS JOIN h
      WHERE {IS_CHURN}
    )
    SELECT mi, movement, count(*) AS n_accounts, fsum(delta) AS mrr_delta
    FROM mv
    WHERE movement IS NOT NULL
    GROUP BY mi, movement
    ORDER BY mi, movement
    """).df()


def step_survival(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per account with a subscription, joined to its day-30 features (kpi_pandas.step_survival).

    initial_mrr is the first month's MRR; churn_mi the month after the first churn; churned 1/0;
    duration_months = (churn_mi, or horizon + 1 when never churned) - signup month. Accounts missing from
    ``features`` drop out (inner join), as in pandas.
    """
    return con.sql(f"""
    WITH h AS (SELECT max(mi) AS horizon FROM sub_lag),
    fc AS (
      SELECT l.account_id, min(l.mi) + 1 AS churn_mi
      FROM sub_lag l CROSS JOIN h
      WHERE {IS_CHURN}
      GROUP BY l.account_id
    ),
    fr AS (SELECT account_id, mrr AS initial_mrr FROM sub_lag WHERE prev_mi IS NULL)
    SELECT account_id, a.segment, a.plan, a.region, fr.initial_mrr,
           CAST(fc.churn_mi IS NOT NULL AS INTEGER) AS churned,
           CAST(coalesce(fc.churn_mi, h.horizon + 1)
                - (year(a.signup_date) * 12 + month(a.signup_date) - 1) AS BIGINT) AS duration_months,
           f.* EXCLUDE (account_id)
    FROM accounts a
    JOIN fr USING (account_id)
    LEFT JOIN fc USING (account_id)
    JOIN features f USING (account_id)
    CROSS JOIN h
    ORDER BY account_id
    """).df()
