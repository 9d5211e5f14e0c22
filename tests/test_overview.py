"""Tests of the leader report's health, risk and action sections (cskpi_analysis/overview.py)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cskpi_analysis.config import AnalysisConfig
from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.overview import health_distribution, health_sentence, largest_movements, next_steps
from cskpi_analysis.warehouse import build_marts, open_warehouse
from tests.helpers import write_folder


@pytest.fixture
def con(tmp_path):
    folder = write_folder(
        tmp_path,
        [
            ("A", "2024-01-01", None, 100, 1),
            ("B", "2024-01-01", None, 300, 1),
            ("C", "2024-01-01", "2024-03-10", 500, 1),
            ("D", "2024-01-01", None, 50, 1),
        ],
    )
    # scores in March (latest complete month): A 20 (at risk), B 55 (watch); B's older 90 is superseded; D unscored
    pd.DataFrame(
        {"account_id": ["A", "B", "B"], "scored_at": ["2024-03-05", "2024-01-05", "2024-03-05"], "score": [20, 90, 55]}
    ).to_csv(folder / "health_scores.csv", index=False)
    (folder / "accounts.csv").write_text(
        "account_id,signup_date,segment,name\nA,2024-01-01,SMB,Alpha\nB,2024-01-01,SMB,Beta\n"
        "C,2024-01-01,SMB,Gamma\nD,2024-01-01,SMB,Delta\n"
    )
    return build_marts(folder, AnalysisConfig(as_of=dt.date(2024, 4, 15)))


def test_health_distribution_uses_each_accounts_latest_score(con):
    bands = health_distribution(con).set_index("band")
    assert list(bands["accounts"]) == [1, 1, 0, 1]  # At risk A, Watch B, Healthy none, No recent score D
    assert bands.loc["At risk", "share"] == pytest.approx(0.5)  # of the 2 scored accounts
    assert bands.loc["At risk", "mrr_share"] == pytest.approx(100 / 450)
    assert "1 paying accounts have no score" in health_sentence(health_distribution(con))


def test_largest_movements_lists_names_never_contact_details(con):
    churned = largest_movements(con, "churn", months=3)
    assert list(churned["account_name"]) == ["Gamma"]
    assert churned.iloc[0]["movement_mrr"] == -500
    assert not any("mail" in column for column in churned.columns)


def test_a_segment_change_filters_frames_kept_per_warehouse(con, tmp_path_factory, monkeypatch):
    """On a warehouse file the segment-independent frames are computed once and kept: a segment
    change (or a second opening) only filters them, with the same result as computing directly."""
    (con.data_dir / "cskpi.toml").write_text("[analysis]\nas_of = 2024-04-15\n")  # the fixture's config
    database = tmp_path_factory.mktemp("warehouse") / "wh.duckdb"
    built = open_warehouse(con.data_dir, database=database)
    expected = {
        segment: (health_distribution(con, segment), largest_movements(con, "churn", segment=segment))
        for segment in ("All", "SMB")
    }
    for segment, (health, churned) in expected.items():
        pd.testing.assert_frame_equal(health_distribution(built, segment), health)
        pd.testing.assert_frame_equal(largest_movements(built, "churn", segment=segment), churned)
    built.close()

    def refuse(*args, **kwargs):
        raise AssertionError("queried the warehouse instead of reading the kept frame")

    reopened = open_warehouse(con.data_dir, database=database)
    monkeypatch.setattr(reopened, "execute", refuse)
    for segment, (health, churned) in expected.items():
        pd.testing.assert_frame_equal(health_distribution(reopened, segment), health)
        pd.testing.assert_frame_equal(largest_movements(reopened, "churn", segment=segment), churned)
    # every account is SMB: another segment is refused (kpis.check_segment), from the kept segments, no query
    with pytest.raises(AnalysisError, match="unknown segment 'Enterprise'; the data has All, SMB"):
        health_distribution(reopened, "Enterprise")
    reopened.close()


def test_next_steps_start_with_the_weakest_segment():
    by_segment = pd.DataFrame(
        {
            "segment": ["All", "SMB", "Enterprise"],
            "nrr_t12m": [0.95, 0.80, 1.08],
            "grr_t12m": [0.85, 0.75, 0.88],
            "logo_churn_rate": [0.02, 0.03, 0.01],
            "expansion_rate": [0.01, 0.002, 0.02],
            "contraction_rate": [0.003, 0.004, 0.001],
        }
    )
    steps = next_steps(by_segment)
    assert steps[0].startswith("Start with SMB: it keeps only 75.0%")
    assert any("Enterprise grows (NRR 108.0%) while leaking (GRR 88.0%)" in s for s in steps)
    assert any("In SMB, contraction" in s for s in steps)
