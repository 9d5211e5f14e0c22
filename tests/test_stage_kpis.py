"""Known-answer tests of the lifecycle-stage KPIs (cskpi_analysis/stage_kpis.py and the
mart_stage_* SQL models).

Each test writes a tiny data folder by hand; the expected numbers are computed in the
comments beside them from the definitions in docs/definitions.md.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd
import pytest

from cskpi_analysis.catalogue import get_kpi
from cskpi_analysis.config import AnalysisConfig
from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.stage_kpis import (
    STAGE_VIEW_COLUMNS,
    adoption_kpis,
    feature_adoption,
    net_promoter_score,
    onboarding_kpis,
    stage_kpis_monthly,
    stage_view,
)
from cskpi_analysis.warehouse import build_marts
from tests.helpers import write_folder

D = dt.date


def write_table(folder: Path, table: str, rows: list[dict]) -> None:
    pd.DataFrame(rows).to_csv(folder / f"{table}.csv", index=False)


def kpi(con, kpi_id: str, month: str, segment: str = "All") -> pd.Series:
    frame = stage_kpis_monthly(con, segment=segment)
    rows = frame[(frame["kpi_id"] == kpi_id) & (frame["month"] == pd.Timestamp(month))]
    assert len(rows) == 1, f"{kpi_id} {month}: {len(rows)} rows"
    return rows.iloc[0]


def fraction(row: pd.Series) -> tuple[float, float]:
    return float(row["numerator"]), float(row["denominator"])


# ---------------------------------------------------------------- onboarding


@pytest.fixture(scope="module")
def onboarding_con(tmp_path_factory):
    folder = tmp_path_factory.mktemp("onboarding")
    # January cohort A-E (observed 181 days at 30 June); F starts 15 June (15 days observed);
    # G starts 1 Feb but reached first value on 25 Jan, in a trial
    write_folder(
        folder,
        [(a, "2024-01-01", None, 100, 1) for a in "ABCDE"]
        + [("F", "2024-06-15", None, 100, 1), ("G", "2024-02-01", None, 100, 1)],
    )
    milestones = [
        ("A", "first_value", "2024-01-06"),  # day 5
        ("B", "first_value", "2024-01-11"),  # day 10
        ("C", "first_value", "2024-01-21"),  # day 20
        ("D", "first_value", "2024-02-10"),  # day 40
        ("F", "first_value", "2024-06-20"),  # day 5
        ("G", "first_value", "2024-01-25"),  # before the first paid day: day 0
        ("A", "onboarding_complete", "2024-01-31"),  # day 30
        ("B", "onboarding_complete", "2024-04-10"),  # day 100
    ]
    write_table(folder, "milestones", [{"account_id": a, "milestone": m, "achieved_at": t} for a, m, t in milestones])
    con = build_marts(folder, AnalysisConfig(as_of=D(2024, 6, 30)))
    yield con
    con.close()


def test_time_to_first_value_median_and_p90_are_over_accounts_that_reached_it(onboarding_con):
    # January: days 5, 10, 20, 40 (E never): median = (10 + 20) / 2 = 15
    # p90 = percentile_cont(0.9): rank (4 - 1) * 0.9 = 2.7 -> 20 + 0.7 * (40 - 20) = 34
    median = kpi(onboarding_con, "time_to_first_value_median", "2024-01-01")
    assert median["value"] == pytest.approx(15)
    assert median["denominator"] == 4 and pd.isna(median["numerator"])
    assert kpi(onboarding_con, "time_to_first_value_p90", "2024-01-01")["value"] == pytest.approx(34)


def test_first_value_during_a_trial_counts_as_day_zero(onboarding_con):
    assert kpi(onboarding_con, "time_to_first_value_median", "2024-02-01")["value"] == 0


def test_activation_rate_counts_first_value_within_30_days_over_observable_accounts(onboarding_con):
    # January: A, B, C within 30 days; D at 40; E never -> 3 / 5
    row = kpi(onboarding_con, "activation_rate", "2024-01-01")
    assert fraction(row) == (3, 5)
    assert row["value"] == pytest.approx(0.6)


def test_accounts_whose_30_days_are_not_over_are_not_in_the_activation_base(onboarding_con):
    # F started 15 June: 15 days observed at 30 June -> no denominator, no value (not 100%)
    june = kpi(onboarding_con, "activation_rate", "2024-06-01")
    assert pd.isna(june["value"])
    # ... and neither is its time to first value: a cohort is reported only once every member has had
    # 90 days, otherwise the fast reachers of a young cohort would make onboarding look faster than it is
    assert pd.isna(kpi(onboarding_con, "time_to_first_value_median", "2024-06-01")["value"])


def test_onboarding_completion_rate_counts_completion_within_90_days(onboarding_con):
    # January: A at day 30 (yes), B at day 100 (too late), C D E never -> 1 / 5
    assert fraction(kpi(onboarding_con, "onboarding_completion_rate", "2024-01-01")) == (1, 5)


def test_onboarding_kpis_are_one_row_per_month_with_numerator_and_denominator(onboarding_con):
    frame = onboarding_kpis(onboarding_con)
    assert list(frame["month"].dt.strftime("%Y-%m")) == [
        "2024-01",
        "2024-02",
        "2024-03",
        "2024-04",
        "2024-05",
        "2024-06",
    ]
    january = frame.iloc[0]
    assert (january["activation_rate_numerator"], january["activation_rate_denominator"]) == (3, 5)


# ---------------------------------------------------------------- adoption


@pytest.fixture(scope="module")
def adoption_con(tmp_path_factory):
    folder = tmp_path_factory.mktemp("adoption")
    write_folder(folder, [(a, "2024-03-01", None, 100, 1) for a in "ABCD"])
    events = [
        ("A", "2024-03-02 10:00:00", "reports", "u1"),
        ("A", "2024-03-03 10:00:00", "automations", "u2"),
        ("A", "2024-03-04 10:00:00", "exports", "u3"),
        ("B", "2024-03-10 10:00:00", "exports", "u1"),
        # C: no events
        ("D", "2024-03-31 09:00:00", "reports", "u1"),  # day 30: still within 30 days
        ("D", "2024-03-31 10:00:00", "reports", "u2"),
    ]
    write_table(
        folder,
        "usage_events",
        [{"account_id": a, "occurred_at": t, "feature": f, "user_id": u} for a, t, f, u in events],
    )
    con = build_marts(folder, AnalysisConfig(as_of=D(2024, 3, 31), key_features=("reports", "automations")))
    yield con
    con.close()


def test_early_feature_adoption_is_any_key_feature_within_30_days(adoption_con):
    # March cohort A B C D, all with 30 days observed: A (reports, automations) and D (reports) -> 2 / 4
    assert fraction(kpi(adoption_con, "feature_adoption_rate_early", "2024-03-01")) == (2, 4)
    by_feature = feature_adoption(adoption_con).set_index("feature")
    # reports: A and D -> 2 / 4; automations: A -> 1 / 4
    assert by_feature.loc["reports", "early_adoption_rate"] == pytest.approx(0.5)
    assert by_feature.loc["automations", "early_adoption_rate"] == pytest.approx(0.25)


def test_ongoing_feature_adoption_is_over_paying_accounts(adoption_con):
    # paying at end of March: A B C D; used a key feature in March: A, D -> 2 / 4
    assert fraction(kpi(adoption_con, "feature_adoption_rate_ongoing", "2024-03-01")) == (2, 4)


def test_breadth_of_use_is_the_mean_distinct_features_per_active_account(adoption_con):
    # active (paying with an event): A 3 features, B 1, D 1 -> 5 / 3; C has no events and is left out
    row = kpi(adoption_con, "breadth_of_use", "2024-03-01")
    assert fraction(row) == (5, 3)


def test_share_of_accounts_with_3_plus_active_users(adoption_con):
    # A has u1 u2 u3; D has 2 users; B 1; C 0 -> 1 / 4
    assert fraction(kpi(adoption_con, "accounts_with_3_plus_active_users_rate", "2024-03-01")) == (1, 4)


def test_engagement_score_follows_its_documented_formula(adoption_con):
    # min(days / 20, 1) * 50 + min(features / 5, 1) * 30 + key_used / 2 * 20
    # A: 3 days, 3 features, 2 keys -> 7.5 + 18 + 20 = 45.5
    # B: 1 day, 1 feature, 0 keys   -> 2.5 + 6 + 0   = 8.5
    # C: nothing                    -> 0
    # D: 1 day, 1 feature, 1 key    -> 2.5 + 6 + 10  = 18.5
    # mean = 72.5 / 4 = 18.125
    row = kpi(adoption_con, "engagement_score", "2024-03-01")
    assert row["numerator"] == pytest.approx(72.5)
    assert row["value"] == pytest.approx(18.125)
    assert adoption_kpis(adoption_con)["engagement_score"].iloc[-1] == pytest.approx(18.125)


# ---------------------------------------------------------------- retention and expansion


@pytest.fixture(scope="module")
def retention_con(tmp_path_factory):
    folder = tmp_path_factory.mktemp("retention")
    subscriptions = [
        ("A", "2024-01-01", "2024-03-15", 100, 1),  # churns in March
        ("B", "2024-01-01", "2024-03-01", 300, 1),  # downgrades in March
        ("B", "2024-03-01", None, 200, 1),
        ("C", "2024-01-01", None, 100, 1),
        ("D", "2024-01-01", None, 100, 1),
        ("E", "2024-01-01", "2025-01-01", 100, 12),  # annual, not renewed
        ("F", "2024-01-01", "2025-01-01", 100, 12),  # annual, renewed as a new row
        ("F", "2025-01-01", None, 100, 12),
        ("G", "2024-01-15", None, 100, 12),  # annual, continues past 15 Jan 2025
        ("H", "2024-01-10", "2024-06-10", 100, 12),  # cancelled before its anniversary
    ]
    write_folder(folder, subscriptions)
    con = build_marts(folder, AnalysisConfig(as_of=D(2025, 3, 31)))
    yield con
    con.close()


def test_customer_retention_rate_is_accounts_kept_over_accounts_at_start(retention_con):
    # paying at end of February: A..H = 8; March: A churned -> 7 / 8
    assert fraction(kpi(retention_con, "customer_retention_rate", "2024-03-01")) == (7, 8)


def test_downgrade_rate_counts_contracted_accounts_over_accounts_at_start(retention_con):
    # March: B went from 300 to 200 -> 1 / 8 (A's cancellation is churn, not a downgrade)
    assert fraction(kpi(retention_con, "customer_downgrade_rate", "2024-03-01")) == (1, 8)


def test_renewal_rate_counts_annual_anniversaries_that_continue(retention_con):
    # January 2025 anniversaries: E (ends on it: not renewed), F (new row: renewed), G (continues: renewed)
    # H was cancelled in June 2024, before its anniversary: not in the base -> 2 / 3
    assert fraction(kpi(retention_con, "renewal_rate", "2025-01-01")) == (2, 3)


def test_core_rates_in_the_stage_mart_are_copied_from_mart_kpis_monthly(retention_con):
    core = retention_con.execute(
        "select logo_churn_rate from mart_kpis_monthly where segment = 'All' and month = date '2024-03-01'"
    ).fetchone()[0]
    assert kpi(retention_con, "logo_churn_rate", "2024-03-01")["value"] == pytest.approx(core)


@pytest.fixture(scope="module")
def expansion_con(tmp_path_factory):
    folder = tmp_path_factory.mktemp("expansion")
    subscriptions = [
        ("A", "2024-01-01", None, 100, 1),
        ("A", "2024-06-10", None, 50, 1),  # expands in June 2024 (5 months after start)
        ("B", "2024-01-01", None, 100, 1),
        ("B", "2025-02-10", None, 50, 1),  # expands in Feb 2025 (13 months after start: too late)
        ("C", "2024-01-01", None, 100, 1),
        ("C", "2024-03-10", None, 50, 1),  # expands in March 2024 but was never activated
    ]
    write_folder(folder, subscriptions)
    write_table(
        folder,
        "milestones",
        [
            {"account_id": "A", "milestone": "first_value", "achieved_at": "2024-01-10"},
            {"account_id": "B", "milestone": "first_value", "achieved_at": "2024-01-20"},
        ],
    )
    con = build_marts(folder, AnalysisConfig(as_of=D(2025, 3, 31)))
    yield con
    con.close()


def test_activation_to_expansion_rate_counts_activated_accounts_expanding_within_12_months(expansion_con):
    # activated in January 2024: A (expanded in month 5) and B (month 13) -> 1 / 2; C is not activated
    assert fraction(kpi(expansion_con, "activation_to_expansion_rate", "2024-01-01")) == (1, 2)


def test_time_to_first_expansion_is_the_median_days_to_the_first_expansion_snapshot(expansion_con):
    # C: 31 Mar 2024 - 1 Jan 2024 = 90; A: 30 Jun 2024 - 1 Jan = 181; B: 28 Feb 2025 - 1 Jan 2024 = 424
    assert kpi(expansion_con, "time_to_first_expansion_median", "2024-01-01")["value"] == 181


def test_expansion_revenue_rate_is_expansion_over_all_mrr_gained(expansion_con):
    # March 2024: C adds 50 of expansion, no new MRR -> 50 / 50
    assert fraction(kpi(expansion_con, "expansion_revenue_rate", "2024-03-01")) == (50, 50)


# ---------------------------------------------------------------- advocacy


@pytest.fixture(scope="module")
def nps_con(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nps")
    accounts = [f"A{i}" for i in range(10)]
    write_folder(folder, [(a, "2024-01-01", None, 100, 1) for a in accounts])
    scores = [9, 10, 9, 10, 9, 7, 8, 7, 0, 6]
    responses = [
        {"account_id": a, "responded_at": "2024-03-15 12:00:00", "score": s}
        for a, s in zip(accounts, scores, strict=True)
    ]
    # A0 had answered 0 earlier in March: its latest answer (9) is the one that counts
    responses.append({"account_id": "A0", "responded_at": "2024-03-01 12:00:00", "score": 0})
    write_table(folder, "nps_responses", responses)
    con = build_marts(folder, AnalysisConfig(as_of=D(2024, 3, 31)))
    yield con
    con.close()


def test_nps_is_promoters_minus_detractors_with_its_95_percent_interval(nps_con):
    # 5 promoters, 3 passives, 2 detractors: NPS = 100 * (5 - 2) / 10 = 30
    # p = 0.5, d = 0.2: var = (0.5 + 0.2 - 0.3^2) / 10 = 0.061; se = 0.24698
    # margin = 100 * 1.959964 * 0.24698 = 48.407 -> [-18.407, 78.407]
    row = net_promoter_score(nps_con).iloc[0]
    assert (row["promoters"], row["passives"], row["detractors"], row["responses"]) == (5, 3, 2, 10)
    assert row["nps"] == pytest.approx(30)
    margin = 100 * 1.959963984540054 * math.sqrt(0.061)
    assert margin == pytest.approx(48.407, abs=1e-3)
    assert (row["nps_lower"], row["nps_upper"]) == (pytest.approx(30 - margin), pytest.approx(30 + margin))
    monthly = kpi(nps_con, "net_promoter_score", "2024-03-01")
    assert fraction(monthly) == (3, 10)
    assert monthly["value_lower"] == pytest.approx(30 - margin)


def test_nps_by_quarter_counts_each_account_once(nps_con):
    quarter = net_promoter_score(nps_con, grain="quarter").iloc[0]
    assert (quarter["period"], quarter["responses"], quarter["nps"]) == (pd.Timestamp("2024-01-01"), 10, 30)


# ---------------------------------------------------------------- support


@pytest.fixture(scope="module")
def support_con(tmp_path_factory):
    folder = tmp_path_factory.mktemp("support")
    write_folder(folder, [("A", "2024-01-01", None, 100, 1)])
    tickets = [
        # id, opened, first response, resolved, csat
        ("T1", "2024-03-01 09:00:00", "2024-03-01 10:00:00", "2024-03-02 09:00:00", 5),  # 1 h, 24 h
        ("T2", "2024-03-03 09:00:00", "2024-03-03 09:30:00", "2024-03-03 21:00:00", 3),  # 0.5 h, 12 h
        ("T3", "2024-03-04 09:00:00", "2024-03-04 12:00:00", "", ""),  # 3 h, open
        ("T4", "2024-03-05 09:00:00", "", "", 4),  # no response yet, rated
    ]
    write_table(
        folder,
        "support_tickets",
        [
            {"account_id": "A", "ticket_id": t, "opened_at": o, "first_response_at": f, "resolved_at": r, "csat": c}
            for t, o, f, r, c in tickets
        ],
    )
    con = build_marts(folder, AnalysisConfig(as_of=D(2024, 3, 31)))
    yield con
    con.close()


def test_average_resolution_time_is_over_tickets_resolved_in_the_month(support_con):
    # T1 24 h, T2 12 h -> 36 / 2 = 18 h; open tickets are not in it
    row = kpi(support_con, "average_resolution_time_hours", "2024-03-01")
    assert fraction(row) == (36, 2)
    assert row["value"] == pytest.approx(18)


def test_first_response_time_is_the_median_over_answered_tickets(support_con):
    # 1, 0.5, 3 hours -> median 1
    assert kpi(support_con, "first_response_time_median_hours", "2024-03-01")["value"] == pytest.approx(1)


def test_csat_mean_and_satisfied_share_are_over_rated_tickets(support_con):
    # ratings 5, 3, 4 -> mean 12 / 3 = 4; rated 4-5: 2 / 3
    assert fraction(kpi(support_con, "csat_average", "2024-03-01")) == (12, 3)
    assert fraction(kpi(support_con, "csat_satisfied_rate", "2024-03-01")) == (2, 3)
    assert kpi(support_con, "ticket_volume", "2024-03-01")["value"] == 4


# ---------------------------------------------------------------- the stage models behind the mart


@pytest.mark.parametrize(
    ("fixture", "stage"),
    [
        ("onboarding_con", "onboarding"),
        ("adoption_con", "adoption"),
        ("retention_con", "retention"),
        ("expansion_con", "expansion"),
        ("support_con", "support"),
    ],
)
def test_each_stage_model_writes_its_stages_kpis_and_the_mart_carries_them_unchanged(request, fixture, stage):
    con = request.getfixturevalue(fixture)
    written = {r[0] for r in con.execute(f"select distinct kpi_id from int_stage_{stage}_kpis").fetchall()}
    assert written
    assert {get_kpi(kpi_id).stage for kpi_id in written} == {stage}
    # every measured row is in mart_stage_kpis_monthly, with the same numbers
    differing = con.execute(
        f"""
        select measured.month, measured.segment, measured.kpi_id
        from int_stage_{stage}_kpis as measured
        left join mart_stage_kpis_monthly as mart
            on mart.month = measured.month
            and mart.segment = measured.segment
            and mart.kpi_id = measured.kpi_id
        where mart.kpi_id is null
            or mart.numerator is distinct from measured.numerator
            or mart.denominator is distinct from measured.denominator
            or (measured.statistic is not null and mart.value is distinct from measured.statistic)
        """
    ).fetchall()
    assert differing == []


# ---------------------------------------------------------------- missing data and the stage view


def test_kpis_without_their_optional_data_have_no_rows(retention_con):
    # retention_con has only accounts and subscriptions
    measured = set(retention_con.execute("select distinct kpi_id from mart_stage_kpis_monthly").df()["kpi_id"])
    assert {"customer_retention_rate", "renewal_rate", "logo_churn_rate"} <= measured
    assert not measured & {"activation_rate", "engagement_score", "net_promoter_score", "ticket_volume"}


def test_stage_view_puts_leading_kpis_before_lagging_ones_with_their_pairs(onboarding_con):
    view = stage_view(onboarding_con, "retention")
    assert list(view.columns) == list(STAGE_VIEW_COLUMNS)
    indicators = list(view["indicator"])
    assert indicators == sorted(indicators, key=["leading", "lagging"].index)
    retention = view.set_index("kpi_id").loc["customer_retention_rate"]
    # June 2024: A-E and G paid at end of May and still pay (F is new in June) -> 6 / 6
    assert (retention["numerator"], retention["denominator"], retention["value"]) == (6, 6, 1.0)
    assert retention["paired_with"] == "customer_health_score"
    assert retention["month"] == D(2024, 6, 1)


def test_stage_view_reads_each_kpi_at_its_latest_month_with_a_value(onboarding_con):
    view = stage_view(onboarding_con, "onboarding").set_index("kpi_id")
    # the January cohort is the last one whose 30 days are observed with a starter (Feb: G, 1 / 1)
    assert view.loc["activation_rate", "month"] == D(2024, 2, 1)
    # time to first value needs a cohort observed for 90 days (cohorts up to March at as_of 30 June);
    # the latest such cohort with a starter is February (G)
    assert view.loc["time_to_first_value_median", "month"] == D(2024, 2, 1)


def test_unknown_stage_or_segment_is_a_typed_error(onboarding_con):
    with pytest.raises(AnalysisError, match="stage must be one of"):
        stage_view(onboarding_con, "delight")
    with pytest.raises(AnalysisError, match="unknown segment"):
        stage_view(onboarding_con, "onboarding", segment="Galactic")


def test_customer_health_score_is_the_mean_latest_score_of_scored_paying_accounts(tmp_path):
    from tests.helpers import write_folder

    folder = write_folder(
        tmp_path,
        [
            ("A", "2024-01-01", None, 100, 1),
            ("B", "2024-01-01", None, 100, 1),
            ("C", "2024-01-01", "2024-02-10", 100, 1),
        ],
    )
    # February: A scored 40 then 60 (latest 60 counts), B scored 90, C scored 10 but churned in February (not paying)
    pd.DataFrame(
        {"account_id": ["A", "A", "B", "C"], "scored_at": ["2024-02-03", "2024-02-20", "2024-02-05", "2024-02-05"],
         "score": [40, 60, 90, 10]}
    ).to_csv(folder / "health_scores.csv", index=False)  # fmt: skip
    con = build_marts(folder, AnalysisConfig(as_of=D(2024, 2, 29)))
    row = kpi(con, "customer_health_score", "2024-02-01")
    # (60 + 90) / 2 = 75
    assert (row["numerator"], row["denominator"], row["value"]) == (150, 2, 75)
