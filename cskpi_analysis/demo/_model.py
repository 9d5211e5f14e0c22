"""The account-level model (every account-level draw, from one generator, in a fixed order) and one shard's
view of it: the accounts and episodes whose event tables are drawn together."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from cskpi_analysis.demo._accounts import _Covariates, _draw_accounts, _draw_covariates
from cskpi_analysis.demo._arrays import _day_number
from cskpi_analysis.demo._parameters import _MONTH_DAYS, SEGMENTS, SHARD_ACCOUNTS
from cskpi_analysis.demo._subscriptions import _draw_episodes, _subscriptions
from cskpi_analysis.errors import CskpiError


@dataclass(frozen=True)
class _Model:
    """Every account-level draw, in memory for all accounts (a few arrays of length N)."""

    n_accounts: int
    as_of_day: int
    accounts: pa.Table
    subscriptions: pa.Table
    segment: np.ndarray
    signup: np.ndarray
    covariates: _Covariates
    episode_account: np.ndarray
    episode_start: np.ndarray
    episode_end: np.ndarray  # latent churn day (exclusive end), may lie after as_of
    shard_seeds: np.ndarray
    summary: dict[str, Any]


def _build_model(n: int, seed: int, as_of: dt.date) -> _Model:
    """Draw every account-level quantity from ``default_rng(seed)``, in a fixed order."""
    if n < 1:
        raise CskpiError(f"the number of accounts must be at least 1, got {n}")
    rng = np.random.default_rng(seed)
    as_of_day = _day_number(as_of)
    accounts, signup, segment, plan_tier = _draw_accounts(rng, n, as_of_day)
    covariates = _draw_covariates(rng, signup, segment, as_of_day)
    episodes = _draw_episodes(rng, segment, plan_tier, covariates, as_of_day)
    subscriptions = _subscriptions(rng, as_of_day, segment, episodes)
    shard_seeds = rng.integers(0, 2**63 - 1, size=-(-n // SHARD_ACCOUNTS), dtype=np.int64)

    first = episodes.number == 1
    active_at_as_of = np.zeros(n, bool)
    active_at_as_of[episodes.account[episodes.end > as_of_day]] = True
    summary = {
        "accounts": n,
        "accounts_by_segment": {s: int((segment == i).sum()) for i, s in enumerate(SEGMENTS)},
        "key_feature_adopters_30d": int(covariates.adopter.sum()),
        "slow_ttfv_accounts": int(covariates.slow_ttfv.sum()),
        "annual_first_subscriptions": int(episodes.annual[first].sum()),
        "accounts_churned_at_least_once": int((episodes.end[first] <= as_of_day).sum()),
        "accounts_reactivated": int((episodes.number == 2).sum()),
        "accounts_active_at_as_of": int(active_at_as_of.sum()),
        "latent_log_hazard_mean": covariates.log_hazard_mean,
        "latent_log_hazard_sd": covariates.log_hazard_sd,
    }
    return _Model(
        n_accounts=n,
        as_of_day=as_of_day,
        accounts=accounts,
        subscriptions=subscriptions,
        segment=segment,
        signup=signup,
        covariates=covariates,
        episode_account=episodes.account,
        episode_start=episodes.start,
        episode_end=episodes.end,
        shard_seeds=shard_seeds,
        summary=summary,
    )


@dataclass(frozen=True)
class _ShardAccounts:
    """The accounts [first, last) of one shard and their episodes (``local`` = account index - first)."""

    model: _Model
    first: int
    last: int
    episode_local: np.ndarray
    episode_start: np.ndarray
    episode_end: np.ndarray  # latent churn day
    observed_end: np.ndarray  # min(churn day, as_of): events happen before it
    episode_segment: np.ndarray
    first_episode_end: np.ndarray  # per account
    account_ids: list[str]

    @property
    def n_accounts(self) -> int:
        return self.last - self.first

    @property
    def accounts(self) -> np.ndarray:
        return np.arange(self.first, self.last)

    @property
    def observed_months(self) -> np.ndarray:
        return np.maximum(0, self.observed_end - self.episode_start) / _MONTH_DAYS

    @classmethod
    def select(cls, model: _Model, shard: int) -> _ShardAccounts:
        first = shard * SHARD_ACCOUNTS
        last = min(first + SHARD_ACCOUNTS, model.n_accounts)
        lo, hi = np.searchsorted(model.episode_account, [first, last])
        episode_account = model.episode_account[lo:hi]
        episode_end = model.episode_end[lo:hi]
        is_first = np.r_[True, episode_account[1:] != episode_account[:-1]]
        return cls(
            model=model,
            first=first,
            last=last,
            episode_local=episode_account - first,
            episode_start=model.episode_start[lo:hi],
            episode_end=episode_end,
            observed_end=np.minimum(episode_end, model.as_of_day),
            episode_segment=model.segment[episode_account],
            first_episode_end=episode_end[is_first],
            account_ids=[f"ACC-{i + 1:06d}" for i in range(first, last)],
        )
