"""Episodes and the subscriptions table: latent churn days (monthly plans on the day, annual plans at a
renewal anniversary), at most one reactivation, MRR, expansions and contractions, and add-ons."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from cskpi_analysis.demo._accounts import _Covariates
from cskpi_analysis.demo._arrays import (
    _account_ids,
    _add_months,
    _by_segment,
    _choice_by_row,
    _dates,
    _interval_uniform,
    _matrix,
    _strings,
    _table,
)
from cskpi_analysis.demo._parameters import _MONTH_DAYS, ADD_ON_PLAN, PARAMETERS, PLANS


@dataclass(frozen=True)
class _Episodes:
    """Uninterrupted runs of subscriptions, sorted by account: the first, and at most one reactivation."""

    account: np.ndarray
    number: np.ndarray  # 1 or 2
    start: np.ndarray
    end: np.ndarray  # latent churn day (exclusive end), may lie after as_of
    annual: np.ndarray
    mrr: np.ndarray  # MRR at the start, before rounding
    plan_tier: np.ndarray


def _churn_day(start: np.ndarray, latent_days: np.ndarray, annual: np.ndarray) -> np.ndarray:
    """Monthly plans churn ceil(latent) days after start; annual plans at the first anniversary on or after it."""
    monthly_end = start + np.maximum(1, np.ceil(latent_days)).astype(np.int64)
    target = start + latent_days
    years = np.maximum(1, np.ceil(latent_days / 365.25)).astype(np.int64)
    years = years + (_add_months(start, 12 * years) < target)
    years = years - ((years > 1) & (_add_months(start, 12 * (years - 1)) >= target))
    return np.where(annual, _add_months(start, 12 * years), monthly_end)


def _draw_episodes(
    rng: np.random.Generator, segment: np.ndarray, plan_tier: np.ndarray, covariates: _Covariates, as_of_day: int
) -> _Episodes:
    """Latent churn days (exponential hazard; annual plans at a renewal anniversary) and reactivations."""
    n = len(segment)
    first_sub, react = PARAMETERS["first_subscription"], PARAMETERS["reactivation"]
    daily_hazard = np.exp(covariates.log_hazard) / _MONTH_DAYS
    annual_share = _by_segment(first_sub["annual_share_by_segment"])[segment]
    annual_1 = rng.random(n) < annual_share
    end_1 = _churn_day(covariates.first_start, rng.exponential(1.0 / daily_hazard), annual_1)
    quick_low, quick_high = react["quick_return_gap_days_uniform"]
    low, high = react["gap_days_uniform_otherwise"]
    gap = np.where(
        rng.random(n) < react["quick_return_share"],
        rng.integers(quick_low, quick_high + 1, size=n),
        rng.integers(low, high + 1, size=n),
    )
    start_2 = end_1 + gap
    returns = (end_1 <= as_of_day) & (rng.random(n) < react["probability_after_churn"]) & (start_2 <= as_of_day)
    annual_2 = rng.random(n) < annual_share
    end_2 = _churn_day(start_2, rng.exponential(1.0 / daily_hazard), annual_2)
    mrr_median = _by_segment(first_sub["mrr_lognormal_median_usd"])[segment]
    sigma = first_sub["mrr_lognormal_sigma"]
    mrr_1 = mrr_median * np.exp(sigma * rng.standard_normal(n))
    mrr_2 = mrr_median * np.exp(sigma * rng.standard_normal(n))
    tier_2 = _choice_by_row(rng, _matrix(PARAMETERS["plan_share_by_segment"], PLANS), segment)

    returning = np.flatnonzero(returns)
    account = np.concatenate([np.arange(n), returning])
    order = np.argsort(account, kind="stable")
    return _Episodes(
        account=account[order],
        number=np.concatenate([np.ones(n, np.int64), np.full(len(returning), 2)])[order],
        start=np.concatenate([covariates.first_start, start_2[returning]])[order],
        end=np.concatenate([end_1, end_2[returning]])[order],
        annual=np.concatenate([annual_1, annual_2[returning]])[order],
        mrr=np.concatenate([mrr_1, mrr_2[returning]])[order],
        plan_tier=np.concatenate([plan_tier, tier_2[returning]])[order],
    )


def _subscriptions(rng: np.random.Generator, as_of_day: int, segment: np.ndarray, episodes: _Episodes) -> pa.Table:
    """Split each episode at expansion/contraction days and add overlapping add-ons."""
    changes = PARAMETERS["revenue_changes"]
    ep_account, ep_start, ep_end = episodes.account, episodes.start, episodes.end
    ep_annual, ep_mrr, ep_tier = episodes.annual, episodes.mrr, episodes.plan_tier
    n_ep = len(ep_start)
    ep_segment = segment[ep_account]
    p_exp = _by_segment(changes["monthly_expansion_probability_by_segment"])[ep_segment]
    p_con = _by_segment(changes["monthly_contraction_probability_by_segment"])[ep_segment]
    interior_low = ep_start + 1
    interior_high = np.minimum(ep_end - 1, as_of_day)  # inclusive; a change may start on as_of
    observed_months = np.maximum(0, np.minimum(ep_end, as_of_day) - ep_start) / _MONTH_DAYS

    # monthly plans: Poisson number of change days anywhere inside the episode
    monthly = (~ep_annual) & (interior_high >= interior_low)
    count = np.where(monthly, rng.poisson((p_exp + p_con) * observed_months), 0)
    change_ep = np.repeat(np.arange(n_ep), count)
    change_day = _interval_uniform(rng, interior_low[change_ep], interior_high[change_ep] + 1)
    # annual plans: a change only at renewal anniversaries inside the episode
    p_annual = 1 - (1 - p_exp - p_con) ** 12
    max_years = int(np.max((np.minimum(ep_end, as_of_day) - ep_start) // 365, initial=0)) + 1
    annual_eps, annual_days = [], []
    for k in range(1, max_years + 1):
        anniversary = _add_months(ep_start, 12 * k)
        hit = ep_annual & (anniversary < ep_end) & (anniversary <= as_of_day) & (rng.random(n_ep) < p_annual)
        annual_eps.append(np.flatnonzero(hit))
        annual_days.append(anniversary[hit])
    change_ep = np.concatenate([change_ep, *annual_eps])
    change_day = np.concatenate([change_day, *annual_days])
    order = np.lexsort((change_day, change_ep))
    change_ep, change_day = change_ep[order], change_day[order]
    keep = np.ones(len(change_ep), bool)
    keep[1:] = (change_ep[1:] != change_ep[:-1]) | (change_day[1:] != change_day[:-1])
    change_ep, change_day = change_ep[keep], change_day[keep]
    m = len(change_ep)
    expansion = rng.random(m) < p_exp[change_ep] / (p_exp[change_ep] + p_con[change_ep])
    increase = np.exp(
        np.log(changes["expansion_increase_lognormal_median"])
        + changes["expansion_increase_lognormal_sigma"] * rng.standard_normal(m)
    )
    factor = np.where(expansion, 1 + increase, 1 - rng.uniform(*changes["contraction_decrease_uniform"], size=m))
    move = rng.random(m)
    tier_delta = np.where(
        expansion & (move < changes["plan_upgrade_probability_on_expansion"]),
        1,
        np.where(~expansion & (move < changes["plan_downgrade_probability_on_contraction"]), -1, 0),
    )

    # one row per piece: episode start plus each change day
    row_ep = np.concatenate([np.arange(n_ep), change_ep])
    row_start = np.concatenate([ep_start, change_day])
    row_log_factor = np.concatenate([np.zeros(n_ep), np.log(factor)])
    row_tier_delta = np.concatenate([np.zeros(n_ep, np.int64), tier_delta])
    order = np.lexsort((row_start, row_ep))
    row_ep, row_start = row_ep[order], row_start[order]
    row_log_factor, row_tier_delta = row_log_factor[order], row_tier_delta[order]
    group_first = np.r_[True, row_ep[1:] != row_ep[:-1]]
    sizes = np.diff(np.r_[np.flatnonzero(group_first), len(row_ep)])
    cum_factor = np.cumsum(row_log_factor)
    cum_factor -= np.repeat(cum_factor[group_first] - row_log_factor[group_first], sizes)
    cum_tier = np.cumsum(row_tier_delta)
    cum_tier -= np.repeat(cum_tier[group_first] - row_tier_delta[group_first], sizes)
    row_end = np.r_[row_start[1:], 0]
    last = np.r_[group_first[1:], True]  # last piece of each episode
    row_end = np.where(last, ep_end[row_ep], row_end)
    row_mrr = np.maximum(1.0, np.round(ep_mrr[row_ep] * np.exp(cum_factor)))
    row_tier = np.clip(ep_tier[row_ep] + cum_tier, 0, len(PLANS) - 1)
    row_billing = np.where(ep_annual[row_ep], 12, 1)
    row_plan = row_tier

    # add-ons: at most one per episode, overlapping the main subscription
    addon_rate = _by_segment(changes["add_on_monthly_rate_by_segment"])[ep_segment]
    has_addon = (rng.random(n_ep) < 1 - np.exp(-addon_rate * observed_months)) & (interior_high >= interior_low)
    addon_start = interior_low + np.floor(rng.random(n_ep) * (interior_high - interior_low + 1)).astype(np.int64)
    removal_room = ep_end - addon_start - 1
    removed = (~ep_annual) & (rng.random(n_ep) < changes["add_on_early_removal_share"]) & (removal_room >= 1)
    removal_day = addon_start + 1 + np.floor(rng.random(n_ep) * np.maximum(removal_room, 1)).astype(np.int64)
    addon_end = np.where(removed, removal_day, ep_end)
    addon_mrr = np.maximum(1.0, np.round(ep_mrr * rng.uniform(*changes["add_on_mrr_share_uniform"], size=n_ep)))
    addon = np.flatnonzero(has_addon)

    account = np.concatenate([ep_account[row_ep], ep_account[addon]])
    start = np.concatenate([row_start, addon_start[addon]])
    end = np.concatenate([row_end, addon_end[addon]])
    mrr = np.concatenate([row_mrr, addon_mrr[addon]])
    plan = np.concatenate([row_plan, np.full(len(addon), len(PLANS))])
    billing = np.concatenate([row_billing, np.where(ep_annual[addon], 12, 1)])
    order = np.lexsort((plan, start, account))
    account, start, end, mrr, plan, billing = (a[order] for a in (account, start, end, mrr, plan, billing))
    censored = end > as_of_day
    return _table(
        "subscriptions",
        {
            "account_id": _account_ids(account, 0, len(segment)),
            "start_date": _dates(start),
            "end_date": _dates(np.where(censored, 0, end), mask=censored),
            "mrr": pa.array(mrr, pa.float64()),
            "plan": _strings((*PLANS, ADD_ON_PLAN), plan),
            "billing_period_months": pa.array(billing.astype(np.int64)),
        },
    )
