"""Usage events (per user and week, declining before churn, with the planted key-feature event of every
adopter) and milestones (onboarding, and the planted time to first value)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cskpi_analysis.demo._arrays import _by_segment, _interval_uniform, _rank_within, _strings, _table, _timestamps
from cskpi_analysis.demo._model import _ShardAccounts
from cskpi_analysis.demo._parameters import _DAY_SECONDS, FEATURES, PARAMETERS


def _decline(days_to_churn: np.ndarray) -> np.ndarray:
    """Usage multiplier: 1 until 90 days before churn, then linearly down to the floor at churn."""
    usage = PARAMETERS["usage"]
    floor, lead = usage["decline_floor"], usage["decline_lead_days"]
    return np.clip(floor + (1 - floor) * days_to_churn / lead, floor, 1.0)


def _usage_events(rng: np.random.Generator, shard: _ShardAccounts) -> pa.Table:
    """Per user and week of an episode: active with probability propensity x decline x share of the week observed,
    then 1 + Poisson(0.5) events."""
    model, usage = shard.model, PARAMETERS["usage"]
    segment = model.segment[shard.first : shard.last]
    n_users = np.minimum(
        _by_segment(usage["users_base_by_segment"]).astype(np.int64)[segment]
        + rng.poisson(_by_segment(usage["users_extra_poisson_mean_by_segment"])[segment]),
        usage["users_max"],
    )
    user_offset = np.cumsum(n_users) - n_users
    propensity = rng.beta(*usage["user_activity_beta"], size=int(n_users.sum()))
    # one row per (episode, week), then per (episode, week, user)
    weeks = np.maximum(0, -(-(shard.observed_end - shard.episode_start) // 7))
    week_episode = np.repeat(np.arange(len(weeks)), weeks)
    week_start = (shard.episode_start[week_episode] + 7 * _rank_within(weeks)) * _DAY_SECONDS
    users = n_users[shard.episode_local[week_episode]]
    row_week = np.repeat(np.arange(len(week_episode)), users)
    row_user = _rank_within(users)
    row_episode = week_episode[row_week]
    row_account = shard.episode_local[row_episode]
    row_start = week_start[row_week]
    row_end = np.minimum(row_start + 7 * _DAY_SECONDS, shard.observed_end[row_episode] * _DAY_SECONDS)
    midpoint_day = (row_start + row_end) / 2 / _DAY_SECONDS
    # a week cut short (by a churn or by as_of) gets proportionally fewer events, not a week's worth squeezed in
    observed_share = (row_end - row_start) / (7 * _DAY_SECONDS)
    probability = (
        observed_share
        * propensity[user_offset[row_account] + row_user]
        * _decline(shard.episode_end[row_episode] - midpoint_day)
    )
    events = np.where(
        rng.random(len(row_week)) < probability,
        1 + rng.poisson(usage["extra_events_poisson_mean"], size=len(row_week)),
        0,
    )
    event_row = np.repeat(np.arange(len(row_week)), events)
    account = row_account[event_row]
    user = row_user[event_row]
    occurred = _interval_uniform(rng, row_start[event_row], row_end[event_row])
    feature = rng.choice(len(FEATURES), size=len(event_row), p=usage["feature_probabilities"])
    automations = FEATURES.index("automations")
    global_account = account + shard.first
    allowed = model.covariates.adopter[global_account] | (
        occurred >= model.covariates.late_adoption_day[global_account] * _DAY_SECONDS
    )
    feature = np.where((feature == automations) & ~allowed, FEATURES.index("dashboard"), feature)
    # planted: every adopter uses automations in [first start, min(signup + 30 days, first churn day))
    accounts = shard.accounts
    window_start = model.covariates.first_start[accounts] * _DAY_SECONDS
    window_end = (
        np.minimum(model.signup[accounts] + PARAMETERS["covariates"]["landmark_days"], shard.first_episode_end)
        * _DAY_SECONDS
    )
    planted_time = window_start + np.floor(
        model.covariates.first_automation_fraction[accounts] * (window_end - window_start)
    ).astype(np.int64)
    planted = model.covariates.adopter[accounts] & (planted_time < model.as_of_day * _DAY_SECONDS)
    n_planted = int(planted.sum())
    account = np.concatenate([account, np.flatnonzero(planted)])
    user = np.concatenate([user, np.zeros(n_planted, np.int64)])
    occurred = np.concatenate([occurred, planted_time[planted]])
    feature = np.concatenate([feature, np.full(n_planted, automations)])
    order = np.lexsort((feature, occurred, account))
    user_ids = [f"U-{shard.first + a + 1:06d}-{u + 1:02d}" for a in range(shard.n_accounts) for u in range(n_users[a])]
    return _table(
        "usage_events",
        {
            "account_id": _strings(shard.account_ids, account[order]),
            "occurred_at": _timestamps(occurred[order]),
            "feature": _strings(FEATURES, feature[order]),
            "user_id": _strings(user_ids, user_offset[account[order]] + user[order]),
        },
    )


def _milestones(rng: np.random.Generator, shard: _ShardAccounts) -> pa.Table:
    """``onboarding_complete`` and ``first_value`` (planted TTFV), if reached before the first churn and as_of."""
    model, spec = shard.model, PARAMETERS["milestones"]
    accounts, n = shard.accounts, shard.n_accounts
    start = model.covariates.first_start[accounts] * _DAY_SECONDS
    limit = np.minimum(shard.first_episode_end, model.as_of_day) * _DAY_SECONDS
    onboarding_days = np.exp(
        np.log(spec["onboarding_days_lognormal_median"]) + spec["onboarding_days_sigma"] * rng.standard_normal(n)
    )
    onboarding_time = start + np.floor(onboarding_days * _DAY_SECONDS).astype(np.int64)
    onboarded = (rng.random(n) < spec["onboarding_complete_share"]) & (onboarding_time < limit)
    ttfv = model.covariates.ttfv_days[accounts]
    value_time = start + np.floor(np.where(np.isfinite(ttfv), ttfv, 0) * _DAY_SECONDS).astype(np.int64)
    valued = np.isfinite(ttfv) & (value_time < limit)
    account = np.concatenate([np.flatnonzero(onboarded), np.flatnonzero(valued)])
    kind = np.concatenate([np.zeros(int(onboarded.sum()), np.int64), np.ones(int(valued.sum()), np.int64)])
    achieved = np.concatenate([onboarding_time[onboarded], value_time[valued]])
    order = np.lexsort((kind, account))
    return _table(
        "milestones",
        {
            "account_id": _strings(shard.account_ids, account[order]),
            "milestone": _strings(("onboarding_complete", "first_value"), kind[order]),
            "achieved_at": _timestamps(achieved[order]),
        },
    )
