"""Tests of the generated sentences (cskpi_analysis/narrative.py)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cskpi_analysis import narrative
from cskpi_analysis.config import AnalysisConfig
from cskpi_analysis.kpis import NrrChange, Pooled, headline_frame, pooled_nrr_change
from cskpi_analysis.narrative import (
    cohort_sentence,
    gap_sentence,
    nrr_change_sentence,
    nrr_change_text,
    percent,
    points,
    retention_level_sentence,
)
from cskpi_analysis.warehouse import build_marts
from tests.helpers import write_folder


def test_percent_and_points_format_with_sign_and_missing_values():
    assert percent(0.98123) == "98.1%"
    assert percent(None) == "n/a"
    assert points(-0.031) == "-3.1 points"


@pytest.fixture
def contraction_in_enterprise(tmp_path):
    # SMB account A: 100 flat. Enterprise account B: 1,000, contracts to 600 on 1 May.
    # as_of 31 Jul: complete months with a starting base are Feb..Jul (January has no start).
    # Before = Feb-Apr: start MRR 1100 x 3 = 3300, no movement -> NRR 1.
    # Recent = May-Jul: start May 1100 + Jun 700 + Jul 700 = 2500; contraction 400 in May -> NRR 2100/2500 = 0.84.
    folder = write_folder(
        tmp_path,
        [
            ("A", "2024-01-01", None, 100, 1),
            ("B", "2024-01-01", "2024-05-01", 1000, 12),
            ("B", "2024-05-01", None, 600, 12),
        ],
        segments={"A": "SMB", "B": "Enterprise"},
    )
    return build_marts(folder, AnalysisConfig(as_of=dt.date(2024, 7, 31)))


def test_nrr_change_contributions_add_up_to_the_change(contraction_in_enterprise):
    result = pooled_nrr_change(contraction_in_enterprise, window=3)
    assert result.before.value == pytest.approx(1.0)
    assert result.recent.value == pytest.approx(2100 / 2500)
    # both counts come back with the pooled value: 2100 kept of 2500 at the start (see the fixture)
    assert (result.recent.numerator, result.recent.denominator, result.recent.months) == (2100.0, 2500.0, 3)
    assert result.contributions["contribution"].sum() == pytest.approx(result.change)


def test_nrr_change_text_words_numbers_without_a_connection():
    # numbers of the contraction_in_enterprise fixture, typed here: NRR 1.0 (Feb-Apr) -> 0.84 (May-Jul),
    # the whole change being Enterprise contraction (-400 / 2500 = -0.16)
    change = NrrChange(
        recent=Pooled(0.84, 2100.0, 2500.0, 3),
        before=Pooled(1.0, 3300.0, 3300.0, 3),
        recent_months=(dt.date(2024, 5, 1), dt.date(2024, 7, 1)),
        before_months=(dt.date(2024, 2, 1), dt.date(2024, 4, 1)),
        contributions=pd.DataFrame([{"segment": "Enterprise", "component": "contraction", "contribution": -0.16}]),
    )
    assert nrr_change_text(change, window=3) == (
        "Monthly NRR averaged 84.0% over May 2024 to Jul 2024, down 16.0 points on the 3 months before, "
        "driven mostly by more contraction in Enterprise (-16.0 points)."
    )
    assert nrr_change_text(None, window=3).startswith("Not enough complete months")


def test_nrr_change_sentence_names_direction_driver_and_segment(contraction_in_enterprise):
    sentence = nrr_change_sentence(contraction_in_enterprise, window=3)
    # 1 - 0.84 = 16.0 points down
    assert "down 16.0 points" in sentence
    assert "more contraction in Enterprise" in sentence


def test_nrr_change_sentence_says_when_history_is_too_short(tmp_path):
    con = build_marts(
        write_folder(tmp_path, [("A", "2024-01-01", None, 100, 1)]), AnalysisConfig(as_of=dt.date(2024, 3, 31))
    )
    assert nrr_change_sentence(con).startswith("Not enough complete months")


def test_retention_sentences_quote_the_numbers_and_their_counts(tmp_path):
    # A keeps 100, B churns: T12M GRR = NRR = 100/200 = 50%; logo churn pooled 1 of 24 account-months
    folder = write_folder(tmp_path, [("A", "2024-01-01", None, 100, 1), ("B", "2024-01-01", "2024-06-15", 100, 1)])
    headline = headline_frame(build_marts(folder, AnalysisConfig(as_of=dt.date(2025, 1, 31))))
    sentence = retention_level_sentence(headline)
    assert "kept 50.0% of their revenue before expansion (GRR) and 50.0% after it (NRR)" in sentence
    assert "shrinks" in sentence
    assert "no net expansion" in gap_sentence(headline)


def cohort_cells(rows):
    return pd.DataFrame(
        rows,
        columns=["cohort", "months_since_start", "accounts_at_start", "accounts_active", "logo_retention",
                 "logo_retention_lower", "logo_retention_upper", "is_complete"],
    )  # fmt: skip


def test_cohort_sentence_compares_best_and_worst_with_the_weighted_average():
    cells = cohort_cells(
        [
            (pd.Timestamp("2024-01-01"), 6, 100, 90, 0.90, 0.83, 0.95, True),
            (pd.Timestamp("2024-02-01"), 6, 100, 70, 0.70, 0.60, 0.78, True),
            (pd.Timestamp("2024-03-01"), 6, 10, 10, 1.00, 0.72, 1.00, True),
            (pd.Timestamp("2024-04-01"), 6, 10, 0, 0.0, 0.0, 0.0, False),  # incomplete: ignored
        ]
    )
    sentence = cohort_sentence(cells, 6)
    # weighted average = (90 + 70 + 10) / 210 = 81.0%; best = Mar 2024 (+19.0), worst = Feb 2024 (-11.0)
    assert "3 cohorts average 81.0%" in sentence
    assert "Mar 2024, keeps 100.0% (+19.0 points) (within the noise of its size)" in sentence
    assert "Feb 2024, keeps 70.0% (-11.0 points)." in sentence


def test_markdown_text_escapes_dollars_so_amounts_are_not_read_as_math():
    from cskpi_analysis.narrative import markdown_text

    assert markdown_text("ACV $25K-$50K") == "ACV \\$25K-\\$50K"
    assert markdown_text(markdown_text("$5")) == "\\$5"  # idempotent: no double escaping


def test_plain_text_undoes_the_markdown_escapes_of_generated_sentences():
    # what a command prints is what the report shows: a hostile name and dollar amounts come back as typed
    name = "<Acme & (Co)> *a* `b` 100%"
    sentence = narrative.markdown_text(f"**{narrative.user_text(name)}** has ACV $25K-$50K")
    assert "&#" in sentence and "\\$" in sentence  # escaped for marimo's Markdown
    assert narrative.plain_text(sentence) == f"{name} has ACV $25K-$50K"
