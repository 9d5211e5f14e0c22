"""The vendor health score on the 1st of every active month, and the CS activities it drives (more contact
below a score of 50: the planted confounding), with Enterprise QBRs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from cskpi_analysis.demo._arrays import (
    _by_segment,
    _first_day_of_month,
    _interval_uniform,
    _month_index,
    _rank_within,
    _strings,
    _table,
    _timestamps,
)
from cskpi_analysis.demo._model import _ShardAccounts
from cskpi_analysis.demo._parameters import _DAY_SECONDS, ACTIVITY_TYPES, PARAMETERS, SEGMENTS


@dataclass(frozen=True)
class _ScoredMonths:
    """One row per account per scored month: the health score and the month's active window (days)."""

    episode: np.ndarray
    month_number: np.ndarray  # 0 for an episode's first scored month
    scored_day: np.ndarray
    window_end_day: np.ndarray
    score: np.ndarray


def _health_scores(rng: np.random.Generator, shard: _ShardAccounts) -> _ScoredMonths:
    """On the 1st of each active month: 100 * sigmoid(a - b z - c decline + account noise + monthly noise)."""
    spec = PARAMETERS["health_score"]
    start_month = _month_index(shard.episode_start)
    first_month = start_month + (_first_day_of_month(start_month) != shard.episode_start)
    last_month = _month_index(np.minimum(shard.episode_end - 1, shard.model.as_of_day))
    months = np.maximum(0, last_month - first_month + 1)
    episode = np.repeat(np.arange(len(months)), months)
    month_number = _rank_within(months)
    scored_day = _first_day_of_month(first_month[episode] + month_number)
    window_end_day = np.minimum(
        _first_day_of_month(first_month[episode] + month_number + 1), shard.observed_end[episode]
    )
    decline = np.maximum(0.0, 1 - (shard.episode_end[episode] - scored_day) / PARAMETERS["usage"]["decline_lead_days"])
    account_noise = spec["account_noise_sd"] * rng.standard_normal(shard.n_accounts)
    account = shard.episode_local[episode]
    logit = (
        spec["a"]
        - spec["b"] * shard.model.covariates.z[account + shard.first]
        - spec["c"] * decline
        + account_noise[account]
        + spec["monthly_noise_sd"] * rng.standard_normal(len(episode))
    )
    score = np.round(100 / (1 + np.exp(-logit)), 1)
    return _ScoredMonths(episode, month_number, scored_day, window_end_day, score)


def _cs_activities(rng: np.random.Generator, shard: _ShardAccounts, months: _ScoredMonths) -> pa.Table:
    """Poisson activities per scored month, 2.5x as many below a health score of 50 (the confounding); QBRs."""
    spec = PARAMETERS["cs_activities"]
    segment = shard.episode_segment[months.episode]
    rate = _by_segment(spec["monthly_rate_by_segment"])[segment] * np.where(
        months.score < spec["low_health_threshold"], spec["low_health_rate_multiplier"], 1.0
    )
    has_window = months.window_end_day > months.scored_day
    count = np.where(has_window, rng.poisson(rate), 0)
    qbr = has_window & (segment == SEGMENTS.index("Enterprise")) & (months.month_number % spec["qbr_every_months"] == 0)
    row = np.concatenate([np.repeat(np.arange(len(count)), count), np.flatnonzero(qbr)])
    type_probabilities = [spec["type_probabilities"][t] for t in ACTIVITY_TYPES[:3]]
    kind = np.concatenate(
        [
            rng.choice(3, size=int(count.sum()), p=type_probabilities),
            np.full(int(qbr.sum()), ACTIVITY_TYPES.index("qbr")),
        ]
    )
    occurred = _interval_uniform(rng, months.scored_day[row] * _DAY_SECONDS, months.window_end_day[row] * _DAY_SECONDS)
    account = shard.episode_local[months.episode[row]]
    order = np.lexsort((kind, occurred, account))
    return _table(
        "cs_activities",
        {
            "account_id": _strings(shard.account_ids, account[order]),
            "occurred_at": _timestamps(occurred[order]),
            "activity_type": _strings(ACTIVITY_TYPES, kind[order]),
        },
    )
