r"""Generic statistics shared by the analyses: pure functions on arrays, no SQL, no prose.

The landmark survival analysis (:mod:`cskpi_analysis.survival`) and the leading-indicator
analysis (:mod:`cskpi_analysis.indicators`) compute these the same way; each is defined once here.

=======================  ==================================================================
concordance (AUC)        ``P(x_event > x_no_event) + 0.5 P(tie)``: the Mann-Whitney U
                         statistic over :math:`n_1 n_0` (:func:`concordance`), also from
                         weighted counts per distinct value (:func:`group_auc`).
risk deciles, lift       decile ``ceil(10 * average rank / n)`` (tied values share a decile);
                         lift = outcome rate in the riskiest decile / overall rate.
cluster bootstrap        clusters (accounts) drawn with replacement, as a matrix of draw
                         multiplicities (:func:`bootstrap_counts`); percentile intervals.
Wilson interval          score interval of a binomial proportion (statsmodels).
Brier score              mean squared error of predicted probabilities.
Holm adjustment          step-down Bonferroni adjusted p-values (statsmodels).
Mantel-Haenszel          risk ratio pooled over strata.
=======================  ==================================================================

SciPy and statsmodels are imported when a statistic is computed, not with this module: they
take about a second to import, and opening a notebook should not wait for them.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pandas as pd

__all__ = [
    "average_ranks",
    "bootstrap_counts",
    "brier_score",
    "concordance",
    "group_auc",
    "group_top_decile",
    "holm_adjusted",
    "mantel_haenszel_risk_ratio",
    "normal_quantile",
    "percentile_interval",
    "replicate_blocks",
    "risk_deciles",
    "spearman",
    "top_decile_lift",
    "wilson_interval",
    "wilson_intervals",
]

ArrayLike = np.ndarray | pd.Series | pd.Index | list[float] | list[int] | list[bool]


def _scipy_stats() -> ModuleType:
    """``scipy.stats``, imported when a statistic is computed (it takes about a second to import)."""
    from scipy import stats

    return stats


# --------------------------------------------------------------------------- ranks and quantiles


def average_ranks(values: ArrayLike) -> np.ndarray:
    """Ranks 1..n of ``values``, tied values sharing their average rank (``scipy.stats.rankdata``)."""
    return _scipy_stats().rankdata(values, method="average")


def normal_quantile(p: float) -> float:
    """The standard normal quantile of ``p`` (``scipy.stats.norm.ppf``): 1.96 for 0.975."""
    return float(_scipy_stats().norm.ppf(p))


def spearman(x: ArrayLike, y: ArrayLike) -> float:
    """Spearman's rank correlation of ``x`` and ``y`` (``scipy.stats.spearmanr``)."""
    return float(_scipy_stats().spearmanr(x, y).statistic)


# --------------------------------------------------------------------------- discrimination


def concordance(values: ArrayLike, events: ArrayLike) -> float:
    """Raw AUC: the probability that a row with the event has a higher value than one without.

    ``AUC = (R1 - n1 (n1 + 1) / 2) / (n1 n0)`` with ``R1`` the sum of the (average) ranks
    of the event rows: the Mann-Whitney U statistic over ``n1 n0``, ties counting one half.
    0.5 = no discrimination; below 0.5, *lower* values go with the event. This is also
    Harrell's C-index of a risk score against a binary outcome.

    Returns ``nan`` when either class is empty.

    Examples
    --------
    >>> concordance([1, 2, 3, 4], [0, 0, 1, 1])
    1.0
    >>> concordance([1, 2, 3, 4], [1, 1, 0, 0])
    0.0
    """
    x = np.asarray(values, dtype=float)
    y = np.asarray(events, dtype=float) > 0
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = average_ranks(x)
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def group_auc(g1: np.ndarray, gw: np.ndarray) -> np.ndarray:
    """Raw AUC of each replicate from its weighted counts per distinct value.

    Parameters
    ----------
    g1, gw : (replicates x values) weighted event rows and weighted rows at each distinct
        value of the indicator, lowest value first.

    Returns
    -------
    numpy.ndarray
        ``U / (n1 n0)`` per replicate, ties counting one half; ``nan`` or ``inf`` when a
        replicate has no event or no non-event. With integer weights every sum is an exact
        integer (or half-integer), so unit weights give :func:`concordance` to the last bit.
    """
    g0 = gw - g1
    n1, n0 = g1.sum(axis=1), g0.sum(axis=1)
    below0 = np.cumsum(g0, axis=1) - g0
    with np.errstate(invalid="ignore", divide="ignore"):
        return (g1 * (below0 + 0.5 * g0)).sum(axis=1) / (n1 * n0)


def risk_deciles(risk: ArrayLike) -> np.ndarray:
    """Decile 1 (safest) to 10 (riskiest) of a risk-oriented value (higher = riskier).

    ``decile = ceil(10 * average_rank / n)``: rows with equal values share their average
    rank, hence a decile, so a heavily tied indicator can leave the top decile empty
    rather than split identical accounts at random.

    Examples
    --------
    >>> risk_deciles(np.arange(1, 21)).tolist()
    [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10]
    """
    r = np.asarray(risk, dtype=float)
    if len(r) == 0:
        return np.array([], dtype=int)
    ranks = average_ranks(r)
    return np.clip(np.ceil(10 * ranks / len(r) - 1e-9), 1, 10).astype(int)


def top_decile_lift(risk: ArrayLike, events: ArrayLike) -> float:
    """Outcome rate in the riskiest decile (see :func:`risk_deciles`) / overall outcome rate.

    1 = the decile is no riskier than average; ``nan`` when there is no event or the top
    decile is empty.

    Examples
    --------
    >>> top_decile_lift(np.arange(10), [0] * 9 + [1])   # the only event is in the top decile
    10.0
    """
    y = np.asarray(events, dtype=float)
    top = risk_deciles(risk) == 10
    overall = y.mean() if len(y) else float("nan")
    if not top.any() or not overall > 0:
        return float("nan")
    return float(y[top].mean() / overall)


def group_top_decile(g1: np.ndarray, gw: np.ndarray, risky_high: bool) -> tuple[np.ndarray, np.ndarray]:
    """Outcome rate in the riskiest decile, and its lift, of each replicate (see :func:`group_auc`).

    Deciles as :func:`risk_deciles` (tied values share their average rank, hence a decile);
    ``risky_high`` says whether the highest values are the riskiest. With unit weights the
    rate is ``y[top].mean()`` and the lift :func:`top_decile_lift`, to the last bit; ``nan``
    when the top decile is empty.

    Returns
    -------
    (top_rate, lift)
        One value per replicate each.
    """
    n1 = g1.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        if not risky_high:  # ascending risk = descending value
            g1, gw = g1[:, ::-1], gw[:, ::-1]
        total = gw.sum(axis=1, keepdims=True)
        average_rank = np.cumsum(gw, axis=1) - gw + (gw + 1) / 2
        top = (np.ceil(10 * average_rank / total - 1e-9) >= 10) & (gw > 0)
        top_rate = (g1 * top).sum(axis=1) / (gw * top).sum(axis=1)
        lift = top_rate / (n1 / total[:, 0])
    return top_rate, lift


def brier_score(y_true: ArrayLike, probability: ArrayLike) -> float:
    r"""Mean squared error of predicted probabilities, :math:`\frac1n\sum_i (p_i - y_i)^2`."""
    y = np.asarray(y_true, dtype=float)
    return float(np.mean((np.asarray(probability, dtype=float) - y) ** 2))


# --------------------------------------------------------------------------- cluster bootstrap


def bootstrap_counts(clusters: ArrayLike, n_boot: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Cluster codes of the rows, and a (n_boot x n_clusters) matrix of draw multiplicities.

    Clusters are coded in order of first appearance (``pandas.factorize``); each replicate
    draws as many clusters as there are, with replacement (one multinomial draw per
    replicate from ``numpy.random.default_rng(seed)``), so each row of the matrix sums to
    the number of clusters. A row of the data enters a replicate with its cluster's multiplicity.
    """
    codes, uniques = pd.factorize(np.asarray(clusters))
    rng = np.random.default_rng(seed)
    n = len(uniques)
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot) if n and n_boot else np.zeros((n_boot, n))
    return codes, counts.astype(np.float64)


def replicate_blocks(counts: np.ndarray, size: int = 50) -> list[np.ndarray]:
    """(n_clusters x replicates) blocks of at most ``size`` replicates of the draw multiplicities."""
    return [np.ascontiguousarray(counts[start : start + size].T) for start in range(0, len(counts), size)]


def percentile_interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    """Percentile interval of the finite ``values`` (bootstrap replicates); ``(nan, nan)`` without any."""
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return float("nan"), float("nan")
    alpha = (1 - confidence) / 2
    return float(np.quantile(finite, alpha)), float(np.quantile(finite, 1 - alpha))


# --------------------------------------------------------------------------- proportions and tests


def wilson_interval(events: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    r"""Wilson score interval of a proportion ``events / n``; ``(nan, nan)`` when ``n = 0``.

    .. math:: \frac{\hat p + \frac{z^2}{2n} \pm z \sqrt{\frac{\hat p (1 - \hat p)}{n} + \frac{z^2}{4n^2}}}{1 + \frac{z^2}{n}}

    with :math:`z` the normal quantile of :math:`1 - \alpha/2`, :math:`\alpha = 1 -` ``confidence``
    (statsmodels ``proportion_confint(method="wilson")``).
    """
    if n <= 0:
        return float("nan"), float("nan")
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(events, n, alpha=1 - confidence, method="wilson")
    return float(low), float(high)


def wilson_intervals(events: ArrayLike, n: ArrayLike, *, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """:func:`wilson_interval` of many proportions at once (every ``n`` positive), at level ``alpha``.

    ``alpha`` is passed as given: :func:`wilson_interval` passes ``1 - confidence``, which for
    0.95 differs from 0.05 in the last bit, and so does the critical value. Each caller keeps
    the one it has always used, so that no interval moves.

    Returns
    -------
    (low, high)
        One bound per proportion each, in the order given.
    """
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(events, n, alpha=alpha, method="wilson")
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)


def holm_adjusted(p_values: ArrayLike) -> np.ndarray:
    """Holm's step-down adjusted p-values (statsmodels ``multipletests(method="holm")``).

    The adjusted p-values do not depend on the level: compare them with the level of the test.
    """
    from statsmodels.stats.multitest import multipletests

    return multipletests(p_values, method="holm")[1]


def mantel_haenszel_risk_ratio(
    events_with: ArrayLike, n_with: ArrayLike, events_without: ArrayLike, n_without: ArrayLike
) -> float:
    r"""Mantel-Haenszel risk ratio pooled over strata (one value per stratum in each argument).

    .. math:: RR_{MH} = \frac{\sum_k a_k n_{0k} / N_k}{\sum_k c_k n_{1k} / N_k}

    with :math:`a_k, c_k` the events with / without the exposure in stratum :math:`k`,
    :math:`n_{1k}, n_{0k}` the rows with / without, :math:`N_k = n_{1k} + n_{0k}`. ``nan``
    when the denominator is 0 (no event without the exposure in a stratum that has exposed rows).
    """
    a, n1 = np.asarray(events_with, dtype=float), np.asarray(n_with, dtype=float)
    c, n0 = np.asarray(events_without, dtype=float), np.asarray(n_without, dtype=float)
    total = n1 + n0
    numerator = (a * n0 / total).sum()
    denominator = (c * n1 / total).sum()
    return float(numerator / denominator) if denominator > 0 else float("nan")
