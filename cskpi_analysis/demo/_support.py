"""Support tickets (response, resolution, CSAT) and NPS responses; neither drives churn, NPS is weakly linked
to the latent risk."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cskpi_analysis.demo._arrays import _by_segment, _interval_uniform, _strings, _table, _timestamps
from cskpi_analysis.demo._model import _ShardAccounts
from cskpi_analysis.demo._parameters import _DAY_SECONDS, PARAMETERS


def _support_tickets(rng: np.random.Generator, shard: _ShardAccounts, ticket_offset: int) -> pa.Table:
    """Tickets at uniform times while active; response, resolution and CSAT independent of churn risk."""
    spec = PARAMETERS["support_tickets"]
    count = rng.poisson(_by_segment(spec["monthly_rate_by_segment"])[shard.episode_segment] * shard.observed_months)
    episode = np.repeat(np.arange(len(count)), count)
    k = len(episode)
    opened = _interval_uniform(
        rng, shard.episode_start[episode] * _DAY_SECONDS, shard.observed_end[episode] * _DAY_SECONDS
    )
    response_median = _by_segment(spec["first_response_hours_lognormal_median_by_segment"])
    response_hours = response_median[shard.episode_segment[episode]] * np.exp(
        spec["first_response_hours_sigma"] * rng.standard_normal(k)
    )
    responded = opened + np.floor(response_hours * 3600).astype(np.int64)
    resolution_hours = spec["resolution_hours_after_first_response_lognormal_median"] * np.exp(
        spec["resolution_hours_sigma"] * rng.standard_normal(k)
    )
    resolved = responded + np.floor(resolution_hours * 3600).astype(np.int64)
    cutoff = shard.model.as_of_day * _DAY_SECONDS
    no_response = responded >= cutoff
    unresolved = (rng.random(k) < spec["never_resolved_share"]) | no_response | (resolved >= cutoff)
    csat = 1 + rng.choice(5, size=k, p=spec["csat_probabilities_1_to_5"])
    no_csat = unresolved | (rng.random(k) >= spec["csat_response_share_of_resolved"])
    account = shard.episode_local[episode]
    order = np.lexsort((opened, account))
    return _table(
        "support_tickets",
        {
            "account_id": _strings(shard.account_ids, account[order]),
            "ticket_id": pa.array([f"T-{ticket_offset + i + 1:07d}" for i in range(k)], pa.string()),
            "opened_at": _timestamps(opened[order]),
            "first_response_at": _timestamps(np.where(no_response, 0, responded)[order], mask=no_response[order]),
            "resolved_at": _timestamps(np.where(unresolved, 0, resolved)[order], mask=unresolved[order]),
            "csat": pa.array(np.where(no_csat, 0, csat)[order].astype(np.int64), pa.int64(), mask=no_csat[order]),
        },
    )


def _nps_responses(rng: np.random.Generator, shard: _ShardAccounts) -> pa.Table:
    """About 1.5 responses per active year; the score is weakly linked to the latent risk z."""
    spec = PARAMETERS["nps"]
    count = rng.poisson(spec["responses_per_active_year"] * shard.observed_months / 12)
    episode = np.repeat(np.arange(len(count)), count)
    responded = _interval_uniform(
        rng, shard.episode_start[episode] * _DAY_SECONDS, shard.observed_end[episode] * _DAY_SECONDS
    )
    account = shard.episode_local[episode]
    z = shard.model.covariates.z[account + shard.first]
    score = np.clip(
        np.round(spec["intercept"] + spec["slope_on_z"] * z + spec["noise_sd"] * rng.standard_normal(len(episode))),
        0,
        10,
    ).astype(np.int64)
    order = np.lexsort((responded, account))
    return _table(
        "nps_responses",
        {
            "account_id": _strings(shard.account_ids, account[order]),
            "responded_at": _timestamps(responded[order]),
            "score": pa.array(score[order]),
        },
    )
