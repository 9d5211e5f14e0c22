"""Tests of the generic statistics (cskpi_analysis/stats.py).

Known answers on examples small enough to check by hand; the derivation of each expected number
is written beside it. Where a library defines the statistic (SciPy, statsmodels), it is called
directly as a second witness.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from cskpi_analysis import stats

#: The standard normal 97.5% quantile (tables: 1.959964).
Z95 = 1.959963984540054


# --------------------------------------------------------------------------- ranks and quantiles


def test_average_ranks_share_the_rank_of_ties():
    # 10 -> 1; the two 20s take ranks 2 and 3, each 2.5; 30 -> 4
    assert stats.average_ranks([10, 20, 20, 30]).tolist() == [1.0, 2.5, 2.5, 4.0]


def test_normal_quantile_and_spearman_known_values():
    assert stats.normal_quantile(0.975) == pytest.approx(1.959964, abs=1e-6)
    assert stats.normal_quantile(0.5) == 0.0
    # same order: rho 1; reversed: -1; one swap among 4 (d = 1, -1): 1 - 6 * 2 / (4 * 15) = 0.8
    assert stats.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert stats.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert stats.spearman([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)


# --------------------------------------------------------------------------- discrimination


def test_a_perfectly_separating_value_has_concordance_one_and_a_reversed_one_zero():
    assert stats.concordance([1, 2, 3, 4], [0, 0, 1, 1]) == 1.0
    assert stats.concordance([1, 2, 3, 4], [1, 1, 0, 0]) == 0.0


def test_concordance_of_a_hand_ranked_example_counts_ties_one_half():
    # events at 0.35 and 0.8, non-events at 0.1 and 0.4: of the 4 (event, non-event) pairs,
    # 0.35 > 0.1, 0.35 < 0.4, 0.8 > 0.1, 0.8 > 0.4 -> 3 concordant of 4 = 0.75
    assert stats.concordance([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75
    # events at 2 and 3, non-events at 1 and 2: (2, 1) yes, (2, 2) tie = 1/2, (3, 1) yes, (3, 2) yes -> 3.5 / 4
    assert stats.concordance([1, 2, 2, 3], [0, 1, 0, 1]) == 0.875
    assert stats.concordance([5, 5, 5, 5], [0, 1, 0, 1]) == 0.5  # all tied: no information
    assert math.isnan(stats.concordance([1, 2, 3], [0, 0, 0]))  # no event: undefined


def test_concordance_is_the_mann_whitney_statistic_over_n1_n0():
    rng = np.random.default_rng(1)
    x, y = rng.integers(0, 6, 300), rng.integers(0, 2, 300)
    # U / (n1 n0) with scipy's U of the event group
    u = scipy_stats.mannwhitneyu(x[y == 1], x[y == 0]).statistic
    assert stats.concordance(x, y) == pytest.approx(u / ((y == 1).sum() * (y == 0).sum()))


def test_group_auc_from_counts_per_value_is_the_concordance():
    # the hand example above, by distinct value 1, 2, 3: events (0, 1, 1), rows (1, 2, 1)
    # U = 1 x (1 + 0.5 x 1) [the event at 2] + 1 x (2) [the event at 3] = 3.5; n1 n0 = 4
    g1, gw = np.array([[0.0, 1.0, 1.0]]), np.array([[1.0, 2.0, 1.0]])
    assert stats.group_auc(g1, gw).tolist() == [0.875]
    # weight 2 on every row is the same data twice: U = 14, n1 n0 = 16 -> unchanged
    assert stats.group_auc(2 * g1, 2 * gw).tolist() == [0.875]
    # a replicate without a non-event: 0/0
    assert np.isnan(stats.group_auc(np.array([[1.0, 1.0]]), np.array([[1.0, 1.0]]))[0])


def test_deciles_split_ranks_evenly_and_tied_values_share_a_decile():
    assert stats.risk_deciles(np.arange(1, 21)).tolist() == [d for d in range(1, 11) for _ in range(2)]
    # ten values, the top five tied: average rank 8 -> decile ceil(10 * 8 / 10) = 8
    assert stats.risk_deciles([1, 2, 3, 4, 5, 9, 9, 9, 9, 9]).tolist() == [1, 2, 3, 4, 5, 8, 8, 8, 8, 8]
    assert stats.risk_deciles([]).tolist() == []


def test_lift_is_the_top_decile_rate_over_the_overall_rate():
    # 20 rows, events at the two riskiest and at two others: top decile rate 2/2, overall 4/20 -> lift 5
    risk = np.arange(20)
    events = np.zeros(20)
    events[[0, 5, 18, 19]] = 1
    assert stats.top_decile_lift(risk, events) == pytest.approx(5.0)
    assert np.isnan(stats.top_decile_lift(risk, np.zeros(20)))


def test_group_top_decile_of_a_hand_example_and_of_the_reversed_direction():
    # ten distinct values, one row each, the only event at the highest value:
    # riskiest decile = the highest value, rate 1/1, overall 1/10 -> lift 10
    g1 = np.zeros((1, 10))
    g1[0, -1] = 1
    gw = np.ones((1, 10))
    rate, lift = stats.group_top_decile(g1, gw, risky_high=True)
    assert (rate.tolist(), lift.tolist()) == ([1.0], [10.0])
    # lowest values riskiest: the top decile is the lowest value, which has no event
    rate, lift = stats.group_top_decile(g1, gw, risky_high=False)
    assert (rate.tolist(), lift.tolist()) == ([0.0], [0.0])


def test_brier_score_of_a_hand_example():
    # ((0.1 - 0)^2 + (0.4 - 0)^2 + (0.35 - 1)^2 + (0.8 - 1)^2) / 4 = (0.01 + 0.16 + 0.4225 + 0.04) / 4
    assert stats.brier_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.158125)
    assert stats.brier_score([0, 1], [0.0, 1.0]) == 0.0


# --------------------------------------------------------------------------- cluster bootstrap


def test_bootstrap_counts_code_clusters_in_order_of_appearance_and_draw_each_replicate_in_full():
    codes, counts = stats.bootstrap_counts(np.array(["b", "a", "b", "c"]), 5, seed=7)
    assert codes.tolist() == [0, 1, 0, 2]  # b, a, c: first appearance
    assert counts.shape == (5, 3) and counts.dtype == np.float64
    assert counts.sum(axis=1).tolist() == [3.0] * 5  # each replicate draws as many clusters as there are
    assert np.array_equal(counts, np.round(counts))
    np.testing.assert_array_equal(stats.bootstrap_counts(np.array(["b", "a", "b", "c"]), 5, seed=7)[1], counts)
    assert stats.bootstrap_counts(np.array(["b", "a"]), 0, seed=7)[1].shape == (0, 2)


def test_replicates_come_in_contiguous_blocks():
    counts = np.arange(12.0).reshape(4, 3)
    blocks = stats.replicate_blocks(counts, size=3)
    assert [b.shape for b in blocks] == [(3, 3), (3, 1)] and all(b.flags.c_contiguous for b in blocks)
    np.testing.assert_array_equal(np.hstack(blocks).T, counts)


def test_percentile_interval_ignores_non_finite_replicates():
    # 0..100: the 5% and 95% quantiles fall on 5 and 95 (positions 0.05 x 100 and 0.95 x 100; the
    # level (1 - 0.9) / 2 is 0.05 to the last bit or so); nan and inf are left out, not ranked
    values = np.r_[np.arange(101.0), np.nan, np.inf]
    assert stats.percentile_interval(values, 0.90) == pytest.approx((5.0, 95.0), rel=1e-12)
    low, high = stats.percentile_interval(np.array([np.nan, np.inf]), 0.95)
    assert math.isnan(low) and math.isnan(high)


# --------------------------------------------------------------------------- proportions and tests


def test_wilson_interval_of_3_in_10_by_hand():
    # p = 0.3, n = 10, z = 1.959964, z^2 = 3.841459:
    # centre = (p + z^2 / 2n) / (1 + z^2 / n) = 0.492073 / 1.384146 = 0.355507
    # half   = z sqrt(p (1 - p) / n + z^2 / 4n^2) / (1 + z^2 / n) = 1.959964 x sqrt(0.030604) / 1.384146 = 0.247715
    # -> (0.107791, 0.603222)
    low, high = stats.wilson_interval(3, 10)
    assert (low, high) == pytest.approx((0.107791, 0.603222), abs=1e-6)
    assert (low, high) == pytest.approx(proportion_confint(3, 10, alpha=0.05, method="wilson"), rel=1e-12)


def test_wilson_interval_at_zero_events_and_without_rows():
    # 0 of 5: lower bound 0, upper bound z^2 / (n + z^2) = 3.841459 / 8.841459 = 0.434482
    low, high = stats.wilson_interval(0, 5)
    assert low == 0.0 and high == pytest.approx(Z95**2 / (5 + Z95**2), rel=1e-12)
    assert all(math.isnan(v) for v in stats.wilson_interval(0, 0))


def test_wilson_intervals_are_statsmodels_at_the_level_given():
    low, high = stats.wilson_intervals(np.array([3, 0]), np.array([10, 5]))
    expected = proportion_confint(np.array([3, 0]), np.array([10, 5]), alpha=0.05, method="wilson")
    np.testing.assert_array_equal(low, expected[0])
    np.testing.assert_array_equal(high, expected[1])
    assert low.tolist() == pytest.approx([0.107791, 0.0], abs=1e-6)


def test_holm_adjusted_p_values_by_hand():
    # sorted 0.01, 0.03, 0.04 times 3, 2, 1 = 0.03, 0.06, 0.04; running maximum 0.03, 0.06, 0.06;
    # back in the order given (0.01, 0.04, 0.03)
    adjusted = stats.holm_adjusted([0.01, 0.04, 0.03])
    assert adjusted.tolist() == pytest.approx([0.03, 0.06, 0.06])
    np.testing.assert_array_equal(adjusted, multipletests([0.01, 0.04, 0.03], method="holm")[1])
    # 0.6 x 2 = 1.2; 0.9 x 1 = 0.9 is raised to the running maximum 1.2; both are capped at 1
    assert stats.holm_adjusted([0.6, 0.9]).tolist() == [1.0, 1.0]


def test_mantel_haenszel_risk_ratio_by_hand():
    # one stratum: 10 of 50 with, 5 of 50 without -> (10 x 50 / 100) / (5 x 50 / 100) = 5 / 2.5 = 2 = 0.2 / 0.1
    assert stats.mantel_haenszel_risk_ratio([10], [50], [5], [50]) == 2.0
    # a confounded pair of strata: within each, the same rate with and without (RR 1):
    # low band 24/80 with, 6/20 without; high band 1/20 with, 4/80 without
    # numerator 24 x 20 / 100 + 1 x 80 / 100 = 5.6; denominator 6 x 80 / 100 + 4 x 20 / 100 = 5.6 -> 1
    # (pooled without strata: 25/100 vs 10/100 = 2.5)
    assert stats.mantel_haenszel_risk_ratio([24, 1], [80, 20], [6, 4], [20, 80]) == pytest.approx(1.0)
    # no event without the activity: undefined
    assert math.isnan(stats.mantel_haenszel_risk_ratio([3], [10], [0], [10]))
