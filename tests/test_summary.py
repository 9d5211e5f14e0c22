"""Tests of the executive summary (cskpi_analysis/summary.py): known answers on hand-made data, and
the summary's numbers read back from the marts of the demo data by independent queries."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from cskpi_analysis import summary
from cskpi_analysis.config import AnalysisConfig, ConfigError, load_config
from cskpi_analysis.warehouse import build_marts, open_warehouse
from tests.helpers import write_folder

AS_OF = dt.date(2024, 12, 31)


@pytest.fixture
def small(tmp_path):
    """Four monthly accounts and three annual ones, hand-counted below.

    A pays 100 all year; B 200 from Jan, churns 10 Jun (last paid month May); C 50 from Jan,
    expands to 150 on 1 Nov (new subscription); D starts 1 Dec at 300. Annual plans (billing 12):
    E started 2024-02-15 (renews 2025-02-15, 46 days after as_of), F started 2023-06-01 (renews
    2025-06-01: too far), G started 2024-03-20 with a known end on 2025-03-01 (renews 2025-03-20,
    79 days: notice given).
    """
    folder = write_folder(
        tmp_path / "data",
        [
            ("A", "2024-01-01", None, 100, 1),
            ("B", "2024-01-01", "2024-06-10", 200, 1),
            ("C", "2024-01-01", "2024-11-01", 50, 1),
            ("C", "2024-11-01", None, 150, 1),
            ("D", "2024-12-01", None, 300, 1),
            ("E", "2024-02-15", None, 120, 12),
            ("F", "2023-06-01", None, 80, 12),
            ("G", "2024-03-20", "2025-03-01", 60, 12),
        ],
    )
    return build_marts(folder, AnalysisConfig(as_of=AS_OF, targets=(("logo_churn_rate", 0.01),)))


def test_renewals_due_in_the_next_90_days(small):
    due = summary.renewals_due(small).set_index("account_id")
    assert sorted(due.index) == ["E", "G"]  # F renews in June 2025: beyond 90 days
    assert due.loc["E", "renewal_date"] == pd.Timestamp("2025-02-15")
    assert due.loc["E", "days_to_renewal"] == 46  # 31 Dec 2024 -> 15 Feb 2025
    assert due.loc["G", "days_to_renewal"] == 79  # 31 Dec 2024 -> 20 Mar 2025
    assert bool(due.loc["G", "ends_before_renewal"]) and not bool(due.loc["E", "ends_before_renewal"])


def test_scorecard_compares_with_last_month_and_a_year_ago(small):
    card = summary.scorecard(small, "month").set_index("kpi")
    mrr = card.loc["monthly_recurring_revenue"]
    # Dec: A 100 + C 150 + D 300 + E 120 + F 80 + G 60 = 810; Nov: 810 - 300 (D) = 510
    assert mrr["value"] == pytest.approx(810) and mrr["last month"] == pytest.approx(510)
    # Sep: A 100 + C 50 + E 120 + F 80 + G 60 = 410
    assert mrr["3 months ago"] == pytest.approx(410)
    assert mrr["a year ago"] == pytest.approx(80)  # Dec 2023: only F (annual since Jun 2023) paid
    assert mrr["status"] == "better"  # no MRR target set: 810 against 80 a year ago
    churn = card.loc["logo_churn_rate"]
    assert churn["value"] == pytest.approx(0.0) and churn["numerator"] == 0  # nobody churned in December
    assert churn["target"] == 0.01 and churn["status"] == "on target"  # 0% <= 1% target


def test_quarterly_churn_is_pooled_over_the_quarter(small):
    card = summary.scorecard(small, "quarter").set_index("kpi")
    churn = card.loc["logo_churn_rate"]
    # Oct-Dec 2024: no churn; accounts at the start of Oct, Nov, Dec: 5 (A C E F G) + 5 + 5 = 15
    assert churn["numerator"] == 0 and churn["denominator"] == 15
    # the quarter before (Jul-Sep): still no churn (B's churn was June)
    assert churn["last quarter"] == pytest.approx(0.0)


def test_status_without_a_target_is_against_a_year_ago():
    assert summary._status(0.9, None, 0.8, True) == "better"
    assert summary._status(0.03, None, 0.02, False) == "worse"
    assert summary._status(0.9, None, None, True) == "n/a"
    assert summary._status(1.02, 1.05, 0.9, True) == "off target"


def test_change_text_in_points_and_percent():
    rate = pd.Series({"value": 0.971, "unit": "rate", "a year ago": 0.880})
    money = pd.Series({"value": 3_227_066.0, "unit": "money", "a year ago": 1_718_171.0})
    assert summary.change_text(rate, "a year ago") == "+9.1 pp"
    assert summary.change_text(money, "a year ago") == "+87.8%"  # 3,227,066 / 1,718,171 - 1
    assert summary.change_text(pd.Series({"value": 0.5, "unit": "rate", "a year ago": None}), "a year ago") == "n/a"


def test_present_formats_for_leaders():
    frame = pd.DataFrame(
        {"account_name": ["Acme"], "month": [pd.Timestamp("2026-07-01")], "movement_mrr": [-14922.4],
         "churn_risk": [0.3671], "renewal_date": [pd.Timestamp("2026-10-03")], "mrr": [float("nan")]}
    )  # fmt: skip
    shown = summary.present(frame, list(frame.columns)).iloc[0].to_dict()
    assert shown == {
        "Account": "Acme",
        "Month": "Jul 2026",
        "Change in MRR": "-$14,922",
        "Churn risk (3 months)": "36.7%",
        "Renews on": "3 Oct 2026",
        "MRR": "n/a",
    }


def test_targets_are_read_from_the_config_and_checked(tmp_path):
    (tmp_path / "cskpi.toml").write_text("[targets]\nnet_revenue_retention_t12m = 1.05\nlogo_churn_rate = 0.02\n")
    assert load_config(tmp_path).targets == (("logo_churn_rate", 0.02), ("net_revenue_retention_t12m", 1.05))
    (tmp_path / "cskpi.toml").write_text("[targets]\nnrr = 1.05\n")
    with pytest.raises(ConfigError, match="targets.nrr is not a KPI of the catalogue"):
        load_config(tmp_path)
    (tmp_path / "cskpi.toml").write_text('[targets]\nlogo_churn_rate = "2%"\n')
    with pytest.raises(ConfigError, match="must be a number"):
        load_config(tmp_path)


@pytest.mark.slow
def test_the_summary_numbers_are_the_marts_numbers(repo_root):
    """Every scorecard number of the demo data, read back from the marts by its own query."""
    wh = open_warehouse(repo_root / "data" / "demo")
    card = summary.scorecard(wh, "month").set_index("kpi")
    month = card.attrs["month"]

    def mart(sql, **values):
        return wh.execute(sql, values).fetchone()[0]

    for label, back in (("value", 0), ("last month", 1), ("3 months ago", 3), ("a year ago", 12)):
        at = (pd.Timestamp(month) - pd.DateOffset(months=back)).date()
        mrr = mart("select mrr_end from mart_kpis_monthly where segment = 'All' and month = $m", m=at)
        assert card.loc["monthly_recurring_revenue", label] == pytest.approx(float(mrr))
        nrr = mart("select nrr_t12m from mart_retention_t12m where segment = 'All' and month = $m", m=at)
        assert card.loc["net_revenue_retention_t12m", label] == pytest.approx(nrr)
        rate = mart("select logo_churn_rate from mart_kpis_monthly where segment = 'All' and month = $m", m=at)
        assert card.loc["logo_churn_rate", label] == pytest.approx(rate)
    due = mart("select sum(mrr) from mart_renewals_due")
    assert summary.renewals_due(wh)["mrr"].sum() == pytest.approx(float(due))
    growth = summary.growth_sentence(summary.scorecard(wh, "month"))
    assert f"${card.loc['monthly_recurring_revenue', 'value']:,.0f}" in growth


def test_growth_sentences_agree_for_the_whole_base_and_its_only_segment(small):
    from cskpi_analysis.kpis import kpis_monthly

    # every account is SMB (write_folder's default): Dec 2024 810 against Dec 2023 80 = +912.5%
    expected = "MRR grew 912.5% in the year, from $80 to $810 (Dec 2023 to Dec 2024)."
    assert summary.growth_sentence(summary.scorecard(small)) == expected
    assert summary.monthly_growth_sentence(kpis_monthly(small, "SMB")) == expected


def test_the_cadence_comes_from_cskpi_report_period(monkeypatch):
    from cskpi_analysis.notebook import PERIOD_ENV, period

    monkeypatch.delenv(PERIOD_ENV, raising=False)
    assert period() == "month"
    monkeypatch.setenv(PERIOD_ENV, "quarter")  # what `cskpi report --period quarter` hands every notebook
    assert period() == "quarter"
    monkeypatch.setenv(PERIOD_ENV, "week")
    with pytest.raises(ConfigError, match="--period must be month or quarter"):
        period()


def test_without_any_risk_indicator_mrr_at_risk_is_not_computed(small):
    # the small folder has only accounts and subscriptions: no indicator of the risk model, so no
    # MRR at risk (the catalogue's mrr_at_risk needs usage events) and no at-risk list, not a base rate
    at_risk, base = summary.mrr_at_risk(small)
    assert math.isnan(at_risk) and base == 0.0
    assert summary.at_risk_list(small).empty
    card = summary.scorecard(small).set_index("kpi")
    assert pd.isna(card.loc["mrr_at_risk", "value"]) and card.loc["mrr_at_risk", "status"] == "n/a"
