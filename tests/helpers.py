"""Helpers shared by the test modules: tiny data folders written by hand, built into a warehouse.

Import them as ``from tests.helpers import write_folder``; ``tests/conftest.py`` registers this
module for pytest's assertion rewriting. Fixtures (paths, servers, exported reports) stay in
``tests/conftest.py``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from cskpi_analysis.config import AnalysisConfig, KpiOptions
from cskpi_analysis.warehouse import Warehouse, build_marts


def write_folder(folder: Path, subscriptions: list[tuple], segments: dict[str, str] | None = None) -> Path:
    """Write accounts.csv and subscriptions.csv; subscriptions are (account, start, end|None, mrr, billing)."""
    folder.mkdir(parents=True, exist_ok=True)
    accounts = sorted({s[0] for s in subscriptions} | set(segments or {}))
    pd.DataFrame(
        {
            "account_id": accounts,
            "signup_date": [min((s[1] for s in subscriptions if s[0] == a), default="2024-01-01") for a in accounts],
            "segment": [(segments or {}).get(a, "SMB") for a in accounts],
        }
    ).to_csv(folder / "accounts.csv", index=False)
    pd.DataFrame(
        [
            {"account_id": a, "start_date": start, "end_date": end or "", "mrr": mrr, "billing_period_months": billing}
            for a, start, end, mrr, billing in subscriptions
        ]
    ).to_csv(folder / "subscriptions.csv", index=False)
    return folder


def build(folder: Path, as_of: dt.date, **kpi_options) -> Warehouse:
    """The in-memory warehouse of ``folder`` at ``as_of``, with KPI switches (``KpiOptions``) changed."""
    return build_marts(folder, AnalysisConfig(as_of=as_of, kpis=KpiOptions(**kpi_options)))


def benchmark_marts() -> tuple[pd.DataFrame, pd.DataFrame]:
    """14 months of an 'All' segment: 13 complete, the last (2026-09) incomplete."""
    months = pd.date_range("2025-08-01", periods=14, freq="MS")
    kpis_monthly = pd.DataFrame(
        {
            "month": months.date,
            "segment": "All",
            "accounts_start": 100,
            "logo_churn_rate_numerator": [9]
            + [2] * 11
            + [3, 50],  # churned accounts; the first and the incomplete last month fall outside the window
            "logo_churn_rate_denominator": 100,
            "mrr_start": 10_000.0,
            "gross_mrr_churn_rate_numerator": 100.0,
            "gross_mrr_churn_rate_denominator": 10_000.0,
            "grr_numerator": 9_900.0,
            "grr_denominator": 10_000.0,
            "nrr_numerator": 10_050.0,
            "nrr_denominator": 10_000.0,
            "is_complete_month": [True] * 13 + [False],
        }
    )
    retention_t12m = pd.DataFrame(
        {
            "month": [dt.date(2026, 8, 1), dt.date(2026, 9, 1)],
            "segment": "All",
            "grr_t12m_numerator": [9_000.0, 1.0],
            "grr_t12m_denominator": [10_000.0, 1.0],
            "nrr_t12m_numerator": [10_300.0, 1.0],
            "nrr_t12m_denominator": [10_000.0, 1.0],
            "logo_retention_t12m_numerator": [88.0, 1.0],
            "logo_retention_t12m_denominator": [100.0, 1.0],
        }
    )
    return kpis_monthly, retention_t12m
