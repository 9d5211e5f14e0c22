"""Known-answer tests of the KPI engine (cskpi_analysis/kpis.py and the SQL marts).

Each test builds a tiny data folder by hand; the expected numbers are computed in the
comments beside them from the definitions in docs/definitions.md (snapshot at month
end unless said otherwise).
"""

from __future__ import annotations

import datetime as dt
import inspect

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from cskpi_analysis import indicators, kpis, overview, stage_kpis, summary
from cskpi_analysis.config import AnalysisConfig
from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.kpis import (
    average_retention_curve,
    cohort_retention,
    headline_kpis,
    kpis_monthly,
    mrr_bridge,
    retention_t12m,
    sensitivity,
)
from cskpi_analysis.warehouse import build_marts
from tests.helpers import build, write_folder

D = dt.date


def movements(con, account: str) -> list[tuple[str, float, str]]:
    rows = con.execute(
        "select strftime(month, '%Y-%m'), mrr, movement from mart_account_months where account_id = $a order by month",
        {"a": account},
    ).fetchall()
    return [(m, float(mrr), movement) for m, mrr, movement in rows]


def month_row(con, month: str, segment: str = "All") -> pd.Series:
    frame = kpis_monthly(con, segment)
    return frame[frame["month"] == pd.Timestamp(month)].iloc[0]


def test_mid_month_start_and_end_are_measured_at_month_end(tmp_path):
    # starts 15 Jan (covered on 31 Jan: new), ends 15 Mar (not covered on 31 Mar: churn in March)
    con = build(write_folder(tmp_path, [("A", "2024-01-15", "2024-03-15", 100, 1)]), D(2024, 4, 30))
    assert movements(con, "A") == [
        ("2024-01", 100.0, "new"),
        ("2024-02", 100.0, "retained"),
        ("2024-03", 0.0, "churn"),
        ("2024-04", 0.0, "inactive"),
    ]


def test_subscription_starting_and_ending_in_the_same_month_is_never_counted(tmp_path):
    # 3 Feb to 25 Feb covers no month-end snapshot: B never pays at a snapshot, so it never appears
    folder = write_folder(tmp_path, [("A", "2024-01-01", None, 100, 1), ("B", "2024-02-03", "2024-02-25", 50, 1)])
    con = build(folder, D(2024, 3, 31))
    assert movements(con, "B") == []
    assert month_row(con, "2024-02-01")["accounts_new"] == 0


def test_overlapping_subscriptions_add_up(tmp_path):
    # base 100 from 1 Jan; add-on 50 from 10 Feb to 5 Apr -> Jan 100, Feb 150 (+50), Mar 150, Apr 100 (-50)
    folder = write_folder(tmp_path, [("A", "2024-01-01", None, 100, 1), ("A", "2024-02-10", "2024-04-05", 50, 1)])
    con = build(folder, D(2024, 4, 30))
    assert movements(con, "A") == [
        ("2024-01", 100.0, "new"),
        ("2024-02", 150.0, "expansion"),
        ("2024-03", 150.0, "retained"),
        ("2024-04", 100.0, "contraction"),
    ]
    april = month_row(con, "2024-04-01")
    # contraction rate = 50 / 150; GRR = (150 - 50 - 0) / 150 = 0.6667; NRR = GRR (no expansion)
    assert april["contraction_rate"] == pytest.approx(50 / 150)
    assert april["grr"] == pytest.approx(100 / 150)
    assert april["nrr"] == pytest.approx(100 / 150)


def test_annual_plan_pays_monthly_normalised_mrr_until_its_renewal(tmp_path):
    # 1,200/year = 100 MRR from 1 Jan 2024 to 1 Jan 2025 (exclusive): paid through Dec, churn in Jan 2025
    folder = write_folder(tmp_path, [("A", "2024-01-01", "2025-01-01", 100, 12), ("B", "2024-01-01", None, 100, 1)])
    con = build(folder, D(2025, 1, 31))
    assert movements(con, "A")[-2:] == [("2024-12", 100.0, "retained"), ("2025-01", 0.0, "churn")]
    january = month_row(con, "2025-01-01")
    # logo churn = 1 churned / 2 paying at end of Dec; gross MRR churn = 100 / 200
    assert (january["logo_churn_rate_numerator"], january["logo_churn_rate_denominator"]) == (1, 2)
    assert january["logo_churn_rate"] == pytest.approx(0.5)
    assert january["gross_mrr_churn_rate"] == pytest.approx(0.5)


def test_contraction_to_a_lower_plan(tmp_path):
    # 300 until 1 Mar, 200 from 1 Mar: March contraction of 100; GRR = NRR = (300 - 100) / 300
    folder = write_folder(tmp_path, [("A", "2024-01-01", "2024-03-01", 300, 1), ("A", "2024-03-01", None, 200, 1)])
    con = build(folder, D(2024, 3, 31))
    march = month_row(con, "2024-03-01")
    assert (march["accounts_contracted"], march["mrr_contraction"]) == (1, 100)
    assert march["grr"] == pytest.approx(2 / 3)
    assert march["net_mrr_churn_rate"] == pytest.approx(1 / 3)


def test_reactivation_after_a_gap_is_reported_separately_by_default(tmp_path):
    # paid Jan, ends 10 Feb (Feb churn), back 5 Apr (Apr reactivation, not new)
    folder = write_folder(tmp_path, [("A", "2024-01-01", "2024-02-10", 100, 1), ("A", "2024-04-05", None, 120, 1)])
    con = build(folder, D(2024, 4, 30))
    assert [m[2] for m in movements(con, "A")] == ["new", "churn", "inactive", "reactivation"]
    april = month_row(con, "2024-04-01")
    assert (april["accounts_new"], april["accounts_reactivated"], april["mrr_reactivation"]) == (0, 1, 120)
    # reactivations are outside the GRR/NRR base (nobody paid at end of March): rates are null
    assert pd.isna(april["nrr"])


def test_reactivation_counted_as_new_when_switched(tmp_path):
    folder = write_folder(tmp_path, [("A", "2024-01-01", "2024-02-10", 100, 1), ("A", "2024-04-05", None, 120, 1)])
    con = build(folder, D(2024, 4, 30), reactivation="new")
    april = month_row(con, "2024-04-01")
    assert (april["accounts_new"], april["accounts_reactivated"], april["mrr_new"]) == (1, 0, 120)


def test_gap_within_the_grace_period_is_not_churn(tmp_path):
    # ends 20 Feb, restarts 10 Mar: a 19-day gap across the 29 Feb snapshot
    folder = write_folder(tmp_path, [("A", "2024-01-01", "2024-02-20", 100, 1), ("A", "2024-03-10", None, 130, 1)])
    billing_truth = build(folder, D(2024, 3, 31))
    assert [m[2] for m in movements(billing_truth, "A")] == ["new", "churn", "reactivation"]
    with_grace = build(folder, D(2024, 3, 31), resignup_grace_days=31)
    # through the gap the account pays its last MRR (100); March shows the new price as expansion
    assert movements(with_grace, "A") == [
        ("2024-01", 100.0, "new"),
        ("2024-02", 100.0, "retained"),
        ("2024-03", 130.0, "expansion"),
    ]


def test_gap_longer_than_the_grace_period_is_still_churn(tmp_path):
    # ends 20 Feb, restarts 1 Apr: 41 days > 31
    folder = write_folder(tmp_path, [("A", "2024-01-01", "2024-02-20", 100, 1), ("A", "2024-04-01", None, 100, 1)])
    con = build(folder, D(2024, 4, 30), resignup_grace_days=31)
    assert [m[2] for m in movements(con, "A")] == ["new", "churn", "inactive", "reactivation"]


def test_account_still_paying_at_as_of_never_gets_a_churn_row(tmp_path):
    # the mrr-playbook end-of-data bug: A is ongoing, B ends 25 May, after as_of (20 May).
    # May's snapshot is as_of itself, so both pay in May and no month after May exists.
    folder = write_folder(tmp_path, [("A", "2024-01-01", None, 100, 1), ("B", "2024-01-01", "2024-05-25", 100, 1)])
    con = build(folder, D(2024, 5, 20))
    assert movements(con, "B")[-1] == ("2024-05", 100.0, "retained")
    assert con.execute("select count(*) from mart_account_months where movement = 'churn'").fetchone()[0] == 0
    assert con.execute("select max(month) from mart_account_months").fetchone()[0] == D(2024, 5, 1)
    may = month_row(con, "2024-05-01")
    assert not may["is_complete_month"]


def test_month_with_no_paying_accounts_gives_null_rates_not_errors(tmp_path):
    # A pays Jan only (churn Feb); B starts in April: March has nobody at start or end
    folder = write_folder(tmp_path, [("A", "2024-01-01", "2024-02-01", 100, 1), ("B", "2024-04-01", None, 100, 1)])
    con = build(folder, D(2024, 4, 30))
    march = month_row(con, "2024-03-01")
    assert (march["accounts_start"], march["accounts_end"]) == (0, 0)
    assert pd.isna(march["logo_churn_rate"]) and pd.isna(march["grr"]) and pd.isna(march["quick_ratio"])


def test_segment_filter_counts_only_that_segment(tmp_path):
    folder = write_folder(
        tmp_path,
        [
            ("A", "2024-01-01", None, 100, 1),
            ("B", "2024-01-01", "2024-02-15", 1000, 12),
            ("C", "2024-01-01", None, 50, 1),
        ],
        segments={"A": "SMB", "B": "Enterprise", "C": "SMB"},
    )
    con = build(folder, D(2024, 2, 29))
    smb, enterprise, everyone = (month_row(con, "2024-02-01", s) for s in ("SMB", "Enterprise", "All"))
    assert (smb["accounts_start"], smb["accounts_churned"], smb["mrr_end"]) == (2, 0, 150)
    assert (enterprise["accounts_start"], enterprise["accounts_churned"]) == (1, 1)
    # All = SMB + Enterprise: 3 at start, 1 churned -> 1/3
    assert everyone["logo_churn_rate"] == pytest.approx(1 / 3)


def test_snapshot_at_month_start_moves_a_mid_month_start_to_the_next_month(tmp_path):
    # starts 15 Jan: not covered on 1 Jan, covered on 1 Feb -> new in February
    folder = write_folder(tmp_path, [("A", "2024-01-15", None, 100, 1), ("B", "2024-01-01", None, 100, 1)])
    con = build(folder, D(2024, 2, 29), snapshot="start")
    assert movements(con, "A") == [("2024-02", 100.0, "new")]


def test_trailing_twelve_month_retention(tmp_path):
    # Base = accounts paying at end of Jan 2024: A 100, B 200, C 300.
    # At end of Jan 2025: A expanded to 150, B contracted to 50, C churned (Jun 2024).
    # GRR t12m = (min(150,100) + min(50,200) + 0) / 600 = 150/600 = 0.25
    # NRR t12m = (150 + 50 + 0) / 600 = 1/3; logo retention = 2/3. D starts later: not in the base.
    folder = write_folder(
        tmp_path,
        [
            ("A", "2024-01-01", "2024-06-01", 100, 1),
            ("A", "2024-06-01", None, 150, 1),
            ("B", "2024-01-01", "2024-09-01", 200, 1),
            ("B", "2024-09-01", None, 50, 1),
            ("C", "2024-01-01", "2024-06-10", 300, 1),
            ("D", "2024-05-01", None, 999, 1),
        ],
    )
    con = build(folder, D(2025, 1, 31))
    t12m = retention_t12m(con)
    assert list(t12m["month"]) == [pd.Timestamp("2025-01-01")]  # only months with an M-12 in the data
    row = t12m.iloc[0]
    assert (row["grr_t12m_numerator"], row["grr_t12m_denominator"]) == (150, 600)
    assert row["grr_t12m"] == pytest.approx(0.25)
    assert row["nrr_t12m"] == pytest.approx(200 / 600)
    assert (row["logo_retention_t12m_numerator"], row["logo_retention_t12m_denominator"]) == (2, 3)


def test_cohort_cells_have_wilson_intervals_and_unobserved_cells_are_absent(tmp_path):
    # January cohort: A (stays) and B (churns in March). March cohort: C.
    # as_of 20 May: Jan cohort observable for k = 0..4 (k = 4 is May, incomplete); Mar cohort k = 0..2.
    folder = write_folder(
        tmp_path,
        [
            ("A", "2024-01-10", None, 100, 1),
            ("B", "2024-01-20", "2024-03-15", 1000, 1),
            ("C", "2024-03-01", None, 80, 1),
        ],
    )
    con = build(folder, D(2024, 5, 20))
    cells = cohort_retention(con, "month", "All")
    january = cells[cells["cohort"] == pd.Timestamp("2024-01-01")].set_index("months_since_start")
    assert list(january.index) == [0, 1, 2, 3, 4]
    assert list(january["is_complete"]) == [True, True, True, True, False]
    assert january.loc[2, "accounts_active"] == 1 and january.loc[2, "logo_retention"] == pytest.approx(0.5)
    # revenue retention at k=2 = 100 / 1100
    assert january.loc[2, "revenue_retention"] == pytest.approx(100 / 1100)
    # Wilson interval for 1 of 2: statsmodels proportion_confint(1, 2, method="wilson") = (0.0945, 0.9055)
    low, high = proportion_confint(1, 2, alpha=0.05, method="wilson")
    assert january.loc[2, "logo_retention_lower"] == pytest.approx(low, rel=1e-6)
    assert january.loc[2, "logo_retention_upper"] == pytest.approx(high, rel=1e-6)
    march = cells[cells["cohort"] == pd.Timestamp("2024-03-01")]
    assert list(march["months_since_start"]) == [0, 1, 2]


def test_quarter_cohorts_count_months_from_each_accounts_own_start(tmp_path):
    # Q1 cohort = A (Jan) and C (Mar). At k = 1: A in Feb, C in Apr, both paying -> 2 of 2.
    # Observable while C's k is in the data: as_of 30 Apr -> k <= 1 (C: Mar + 1 = Apr).
    folder = write_folder(tmp_path, [("A", "2024-01-01", None, 100, 1), ("C", "2024-03-01", None, 80, 1)])
    con = build(folder, D(2024, 4, 30))
    cells = cohort_retention(con, "quarter", "All")
    assert list(cells["months_since_start"]) == [0, 1]
    assert list(cells["accounts_active"]) == [2, 2]


def test_average_curve_is_weighted_by_cohort_size(tmp_path):
    # Jan cohort: 3 accounts, 1 churns in Feb (k=1: 2/3). Feb cohort: 1 account, stays (k=1: 1/1).
    # Pooled at k=1: (2 + 1) / (3 + 1) = 0.75, not the mean of rates (0.8333).
    folder = write_folder(
        tmp_path,
        [
            ("A", "2024-01-01", None, 10, 1),
            ("B", "2024-01-01", None, 10, 1),
            ("C", "2024-01-01", "2024-02-10", 10, 1),
            ("D", "2024-02-01", None, 10, 1),
        ],
    )
    con = build(folder, D(2024, 4, 30))
    curve = average_retention_curve(con, "month", "All").set_index("months_since_start")
    assert curve.loc[1, "logo_retention"] == pytest.approx(0.75)


def test_headline_kpis_pool_the_last_twelve_complete_months(tmp_path):
    # 4 accounts from Jan 2024; one churns in Mar 2024 and one in Jan 2025; as_of 15 Feb 2025.
    # Latest complete month = Jan 2025. Window Feb 2024..Jan 2025: churned 1 (Mar) + 1 (Jan) = 2;
    # accounts at start: Feb 4, Mar 4, Apr..Dec 3 (9 months), Jan 3 -> 4 + 4 + 27 + 3 = 38. Rate = 2/38.
    folder = write_folder(
        tmp_path,
        [
            ("A", "2024-01-01", None, 100, 1),
            ("B", "2024-01-01", None, 100, 1),
            ("C", "2024-01-01", "2024-03-05", 100, 1),
            ("D", "2024-01-01", "2025-01-05", 100, 1),
        ],
    )
    con = build(folder, D(2025, 2, 15))
    kpis = {k.kpi: k for k in headline_kpis(con)}
    churn = kpis["logo_churn_rate"]
    assert churn.month == D(2025, 1, 1)
    assert (churn.numerator, churn.denominator) == (2, 38)
    assert churn.value == pytest.approx(2 / 38)
    # T12M at Jan 2025 over the 4 accounts paying at end of Jan 2024: A, B paying -> NRR = 200/400
    assert kpis["net_revenue_retention_t12m"].value == pytest.approx(0.5)


def test_mrr_bridge_steps_add_up(tmp_path):
    folder = write_folder(
        tmp_path,
        [
            ("A", "2024-01-01", "2024-03-01", 100, 1),
            ("A", "2024-03-01", None, 150, 1),
            ("B", "2024-01-01", "2024-04-10", 80, 1),
        ],
    )
    con = build(folder, D(2024, 5, 31))
    bridge = mrr_bridge(con, months=12).set_index("step")
    # start of window (Jan, first complete month) = 0; new 180; expansion 50; churn 80; end 150
    assert bridge.loc["New", "amount"] == 180 and bridge.loc["Expansion", "amount"] == 50
    assert bridge.loc["Churn", "amount"] == -80
    assert bridge.loc["Churn", "end"] == pytest.approx(bridge.loc["MRR at end", "amount"])


def test_sensitivity_table_shows_each_alternative(tmp_path):
    # B's 19-day gap is churn under billing truth and not under a 31-day grace gap
    folder = write_folder(
        tmp_path,
        [
            ("A", "2024-01-01", None, 100, 1),
            ("B", "2024-01-01", "2024-02-20", 100, 1),
            ("B", "2024-03-10", None, 100, 1),
        ],
    )
    table = sensitivity(build_marts(folder, AnalysisConfig(as_of=D(2024, 4, 30)))).set_index("kpi")
    churn = table.loc["logo_churn_rate"]
    # baseline: Feb..Apr churned 1 of (2 + 1 + 2) = 1/5; with grace: 0/6
    assert churn["baseline"] == pytest.approx(1 / 5)
    assert churn["re-signup grace gap of 31 days"] == pytest.approx(0.0)
    assert churn["re-signup grace gap of 31 days (pp)"] == pytest.approx(-20.0)


def test_build_to_a_file_is_atomic_and_readable(tmp_path):
    folder = write_folder(tmp_path / "data", [("A", "2024-01-01", None, 100, 1)])
    target = tmp_path / "out" / "kpis.duckdb"
    con = build_marts(folder, AnalysisConfig(as_of=D(2024, 2, 29)), database=target)
    assert con.execute("select count(*) from mart_account_months").fetchone()[0] == 2
    con.close()
    assert target.exists() and not list(target.parent.glob("*.building"))


def test_build_does_not_modify_the_source_files(tmp_path):
    folder = write_folder(tmp_path, [("A", "2024-01-01", None, 100, 1)])
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    build(folder, D(2024, 2, 29))
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_on_demo_data_the_identities_hold_and_the_planted_segment_differences_show(tmp_path):
    """build_marts runs every reconciliation check (a failure raises); the demo plants monthly churn
    hazards of 2.5% (SMB) > 1.2% (Mid-Market) > 0.6% (Enterprise) and more expansion in Enterprise
    (docs/demo_data.md), so pooled monthly logo churn must be ordered the same way."""
    from cskpi_analysis.demo import write_demo
    from cskpi_analysis.validate import require_valid

    folder = tmp_path / "demo"
    write_demo(folder, 1500, 5)
    config, _ = require_valid(folder)
    con = build_marts(folder, config)
    churn = {
        s: {k.kpi: k for k in headline_kpis(con, s)}["logo_churn_rate"].value
        for s in ("SMB", "Mid-Market", "Enterprise")
    }
    assert churn["SMB"] > churn["Mid-Market"] > churn["Enterprise"]
    expansion = {s: {k.kpi: k for k in headline_kpis(con, s)}["expansion_rate"].value for s in ("SMB", "Enterprise")}
    assert expansion["Enterprise"] > expansion["SMB"]


# --------------------------------------------------------------------------- one segment rule for every reader

JAN_2025 = pd.Timestamp("2025-01-01")

#: Every reader that takes a segment, each reduced to one number (most of them differ by segment).
SEGMENT_READERS = {
    "kpis.kpis_monthly": lambda con, s: int(kpis.kpis_monthly(con, s).set_index("month").loc[JAN_2025, "accounts_end"]),
    "kpis.retention_t12m": lambda con, s: float(
        kpis.retention_t12m(con, s).set_index("month").loc[JAN_2025, "nrr_t12m"]
    ),
    "kpis.cohort_retention": lambda con, s: int(
        kpis.cohort_retention(con, "month", s)
        .set_index(["cohort", "months_since_start"])
        .loc[(pd.Timestamp("2024-01-01"), 0), "accounts_at_start"]
    ),
    "kpis.average_retention_curve": lambda con, s: float(
        kpis.average_retention_curve(con, "month", s).set_index("months_since_start").loc[6, "logo_retention"]
    ),
    "kpis.headline_kpis": lambda con, s: {k.kpi: k for k in kpis.headline_kpis(con, s)}["logo_churn_rate"].numerator,
    "kpis.headline_frame": lambda con, s: float(
        kpis.headline_frame(con, s).set_index("kpi").loc["logo_churn_rate", "denominator"]
    ),
    "kpis.mrr_bridge": lambda con, s: float(kpis.mrr_bridge(con, s).set_index("step").loc["MRR at end", "amount"]),
    "kpis.sensitivity": lambda con, s: float(
        kpis.sensitivity(con, s).set_index("kpi").loc["logo_churn_rate", "baseline"]
    ),
    "stage_kpis.stage_kpis_monthly": lambda con, s: int(
        (stage_kpis.stage_kpis_monthly(con, "retention", s).query("kpi_id == 'logo_churn_rate'")["numerator"] > 0).sum()
    ),
    "stage_kpis.onboarding_kpis": lambda con, s: len(stage_kpis.onboarding_kpis(con, s)),
    "stage_kpis.net_promoter_score": lambda con, s: len(stage_kpis.net_promoter_score(con, s)),
    "stage_kpis.feature_adoption": lambda con, s: len(stage_kpis.feature_adoption(con, s)),
    "stage_kpis.stage_view": lambda con, s: float(
        stage_kpis.stage_view(con, "retention", s).set_index("kpi_id").loc["customer_retention_rate", "denominator"]
    ),
    "overview.health_distribution": lambda con, s: int(
        overview.health_distribution(con, s).set_index("band").loc["No recent score", "accounts"]
    ),
    "overview.largest_movements": lambda con, s: len(overview.largest_movements(con, "churn", months=12, segment=s)),
    "summary.renewals_due": lambda con, s: len(summary.renewals_due(con, s)),
    "indicators.worklist": lambda con, s: len(indicators.worklist(con, s)),
}

#: (All, SMB, Enterprise) for each reader on the `segmented` warehouse, by hand. As of 15 Feb 2025 the
#: latest complete month is Jan 2025 and the pooling window Feb 2024..Jan 2025. Paying at its end: A, C, D.
SEGMENT_ANSWERS = {
    "kpis.kpis_monthly": (3, 1, 2),  # accounts paying at end of Jan 2025: A | A | C, D
    # T12M NRR at Jan 2025 over the accounts paying at end of Jan 2024 (A 100, B 100, C 1,000): 1,100 / 1,200;
    # SMB 100 / 200; Enterprise 1,000 / 1,000 (D starts later: not in the base)
    "kpis.retention_t12m": (1100 / 1200, 0.5, 1.0),
    "kpis.cohort_retention": (3, 2, 1),  # the Jan 2024 cohort: A, B, C
    # k = 6 (complete cells): Jan cohort 2 of 3 (B left in June), Apr cohort (D) 1 of 1 -> (2 + 1) / (3 + 1)
    "kpis.average_retention_curve": (0.75, 0.5, 1.0),
    "kpis.headline_kpis": (1, 1, 0),  # accounts churned in the window: B (June 2024), an SMB account
    # accounts at the start of each window month: Feb-Apr 3 (A, B, C), May-Jun 4 (+ D), Jul-Jan 3 (B gone) x 7
    # = 38; SMB 2 x 5 + 1 x 7 = 17; Enterprise 1 x 3 + 2 x 9 = 21
    "kpis.headline_frame": (38.0, 17.0, 21.0),
    "kpis.mrr_bridge": (1600.0, 100.0, 1500.0),  # MRR at end of Jan 2025: A 100 + C 1,000 + D 500
    "kpis.sensitivity": (1 / 38, 1 / 17, 0.0),  # baseline pooled logo churn: the two lines above
    "stage_kpis.stage_kpis_monthly": (1, 1, 0),  # months with a churned logo: June 2024 (B)
    "stage_kpis.onboarding_kpis": (14, 14, 14),  # one row a month, Jan 2024..Feb 2025, whatever the segment
    "stage_kpis.net_promoter_score": (0, 0, 0),  # no nps_responses: empty for a known segment, not an error
    "stage_kpis.feature_adoption": (0, 0, 0),  # no usage_events: likewise
    "stage_kpis.stage_view": (3.0, 1.0, 2.0),  # customer retention base of Jan 2025 = paying at end of Dec
    "overview.health_distribution": (3, 1, 2),  # no health_scores: every paying account has no recent score
    "overview.largest_movements": (1, 1, 0),  # churns in the last 12 complete months: B
    "summary.renewals_due": (1, 0, 1),  # D's annual plan renews on 1 Apr 2025, 45 days after as_of; C's in 2026
    "indicators.worklist": (3, 1, 2),  # every paying account of Jan 2025 (fewer than the top 25)
}


@pytest.fixture(scope="module")
def segmented(tmp_path_factory):
    # A, B SMB monthly (B ends 10 Jun 2024); C, D Enterprise annual (C from Jan 2024, D from Apr 2024)
    folder = write_folder(
        tmp_path_factory.mktemp("segmented"),
        [
            ("A", "2024-01-01", None, 100, 1),
            ("B", "2024-01-01", "2024-06-10", 100, 1),
            ("C", "2024-01-01", None, 1000, 12),
            ("D", "2024-04-01", None, 500, 12),
        ],
        segments={"C": "Enterprise", "D": "Enterprise"},
    )
    return build(folder, D(2025, 2, 15))


STAGE_READERS = ("adoption", "retention", "expansion", "advocacy", "support")


def test_the_segment_readers_above_are_every_public_function_taking_a_segment():
    # a new reader with a `segment` argument must call kpis.check_segment and be listed above
    found = set()
    for module in (kpis, stage_kpis, overview, summary, indicators):
        for name, function in vars(module).items():
            if (
                inspect.isfunction(function)
                and not name.startswith("_")
                and function.__module__.startswith(module.__name__)
                and "segment" in inspect.signature(function).parameters
            ):
                found.add(f"{module.__name__.removeprefix('cskpi_analysis.')}.{name}")
    # check_segment and segment_hint are the rule itself; the other stage readers are tested below
    rule = {"kpis.check_segment", "kpis.segment_hint"}
    assert found == set(SEGMENT_READERS) | rule | {f"stage_kpis.{stage}_kpis" for stage in STAGE_READERS}


@pytest.mark.parametrize("reader", sorted(SEGMENT_READERS))
@pytest.mark.parametrize(
    ("segment", "hint"),
    [("Smb", " (did you mean 'SMB'?)"), (" enterprise ", " (did you mean 'Enterprise'?)"), ("Galactic", "")],
)
def test_every_segment_reader_refuses_an_unknown_segment_by_name(segmented, reader, segment, hint):
    message = f"unknown segment {segment!r}{hint}; the data has All, Enterprise, SMB"
    with pytest.raises(AnalysisError) as refused:
        SEGMENT_READERS[reader](segmented, segment)
    assert str(refused.value) == message


@pytest.mark.parametrize("reader", sorted(SEGMENT_READERS))
def test_every_segment_reader_reads_all_and_each_segment(segmented, reader):
    read = SEGMENT_READERS[reader]
    answers = tuple(read(segmented, segment) for segment in ("All", "SMB", "Enterprise"))
    assert answers == pytest.approx(SEGMENT_ANSWERS[reader])


@pytest.mark.parametrize("stage", STAGE_READERS)
def test_the_other_stage_readers_refuse_an_unknown_segment_too(segmented, stage):
    with pytest.raises(AnalysisError, match=r"unknown segment 'Smb' \(did you mean 'SMB'\?\)"):
        getattr(stage_kpis, f"{stage}_kpis")(segmented, "Smb")


def test_a_misspelt_segment_is_refused_even_where_the_mart_has_no_row_for_any_segment(segmented):
    # before the shared rule, these returned an empty frame (no NPS responses at all) or NaN
    with pytest.raises(AnalysisError, match="unknown segment 'smb'"):
        stage_kpis.net_promoter_score(segmented, "smb")
    with pytest.raises(AnalysisError, match="unknown segment 'smb'"):
        kpis.retention_t12m(segmented, "smb")
