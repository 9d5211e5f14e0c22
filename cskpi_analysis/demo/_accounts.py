"""The accounts: signup days, segment, plan, firmographics, CSM owner and company names, and each account's
first subscription start, planted 30-day covariates (key-feature adoption, time to first value) and the
latent churn hazard they imply."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from cskpi_analysis.demo._arrays import (
    _account_ids,
    _add_months,
    _by_segment,
    _choice_by_row,
    _dates,
    _matrix,
    _strings,
    _table,
)
from cskpi_analysis.demo._parameters import (
    _ADJECTIVES,
    _NOUNS,
    _SUFFIXES,
    CHANNELS,
    CSM_OWNERS,
    INDUSTRIES,
    PARAMETERS,
    PLANS,
    REGIONS,
    SEGMENTS,
)


def _signup_days(rng: np.random.Generator, n: int, as_of_day: int) -> np.ndarray:
    history = PARAMETERS["history"]
    window_start = int(_add_months(np.array([as_of_day]), -12 * history["years_of_signups_before_as_of"])[0])
    span = as_of_day - window_start + 1
    growth = history["signup_growth_factor"]
    position = np.log1p(rng.random(n) * (growth - 1.0)) / np.log(growth)  # inverse CDF of an exponential ramp
    return np.sort(window_start + np.minimum(np.floor(position * span), span - 1).astype(np.int64))


def _company_names(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    combos = len(_ADJECTIVES) * len(_NOUNS) * len(_SUFFIXES)
    permutation = rng.permutation(combos)
    names, emails = [], []
    for i in range(n):
        k = int(permutation[i % combos])
        generation = i // combos
        adjective = _ADJECTIVES[k % len(_ADJECTIVES)]
        noun = _NOUNS[(k // len(_ADJECTIVES)) % len(_NOUNS)]
        suffix = _SUFFIXES[k // (len(_ADJECTIVES) * len(_NOUNS))]
        tail = f" {generation + 1}" if generation else ""
        names.append(f"{adjective} {noun} {suffix}{tail}")
        emails.append(f"ops@{adjective}-{noun}-{suffix}{tail.replace(' ', '-')}.example.com".lower())
    return names, emails


def _draw_accounts(
    rng: np.random.Generator, n: int, as_of_day: int
) -> tuple[pa.Table, np.ndarray, np.ndarray, np.ndarray]:
    """The accounts table, and its signup days, segment codes and plan tiers."""
    p = PARAMETERS
    signup = _signup_days(rng, n, as_of_day)
    segment = rng.choice(len(SEGMENTS), size=n, p=_by_segment(p["segment_share"]))
    plan_tier = _choice_by_row(rng, _matrix(p["plan_share_by_segment"], PLANS), segment)
    industry = rng.integers(0, len(INDUSTRIES), size=n)
    region = rng.choice(len(REGIONS), size=n, p=[p["region_share"][r] for r in REGIONS])
    channel = _choice_by_row(rng, _matrix(p["acquisition_channel_share_by_segment"], CHANNELS), segment)
    csm_names = tuple(name for s in SEGMENTS for name in CSM_OWNERS[s])
    csm = _choice_by_row(rng, _matrix(p["csm_owner_share_by_segment"], csm_names), segment)
    names, emails = _company_names(rng, n)
    accounts = _table(
        "accounts",
        {
            "account_id": _account_ids(np.arange(n), 0, n),
            "signup_date": _dates(signup),
            "segment": _strings(SEGMENTS, segment),
            "plan": _strings(PLANS, plan_tier),
            "industry": _strings(INDUSTRIES, industry),
            "region": _strings(REGIONS, region),
            "csm_owner": _strings(csm_names, csm),
            "acquisition_channel": _strings(CHANNELS, channel),
            "currency": _strings(("USD",), np.zeros(n, np.int64)),
            "name": pa.array(names, pa.string()),
            "email": pa.array(emails, pa.string()),
        },
    )
    return accounts, signup, segment, plan_tier


@dataclass(frozen=True)
class _Covariates:
    """The first start and the planted 30-day covariates of every account, and its latent hazard."""

    first_start: np.ndarray
    adopter: np.ndarray
    late_adoption_day: np.ndarray  # float day number; inf = never
    first_automation_fraction: np.ndarray  # where in its window an adopter's planted event falls
    ttfv_days: np.ndarray  # days from first start; inf = never
    slow_ttfv: np.ndarray
    log_hazard: np.ndarray  # log of the monthly hazard
    log_hazard_mean: float
    log_hazard_sd: float
    z: np.ndarray  # the standardised latent log-hazard (the risk the health score and NPS see)


def _draw_covariates(rng: np.random.Generator, signup: np.ndarray, segment: np.ndarray, as_of_day: int) -> _Covariates:
    """First start (0-5 days after signup), key-feature adoption, TTFV, and the hazard they imply."""
    n = len(signup)
    first_sub, covariates = PARAMETERS["first_subscription"], PARAMETERS["covariates"]
    low, high = first_sub["otherwise_delay_days_uniform"]
    delay = np.where(rng.random(n) < first_sub["share_starting_on_signup_day"], 0, rng.integers(low, high + 1, size=n))
    first_start = np.minimum(signup + delay, as_of_day)
    delay = first_start - signup
    landmark = covariates["landmark_days"]
    key = covariates["no_key_feature_30d"]
    adopter = rng.random(n) < _by_segment(key["adoption_probability_by_segment"])[segment]
    late = (~adopter) & (rng.random(n) < key["late_adoption_share_of_non_adopters"])
    extra_days = rng.exponential(key["late_adoption_extra_days_exponential_mean"], size=n)
    late_adoption_day = np.where(late, first_start + landmark + extra_days, np.inf)
    first_automation_fraction = rng.random(n)
    spec = covariates["slow_ttfv"]
    ttfv = np.exp(np.log(spec["ttfv_lognormal_median_days"]) + spec["ttfv_lognormal_sigma"] * rng.standard_normal(n))
    ttfv = np.where(rng.random(n) < spec["never_share"], np.inf, ttfv)
    slow = ttfv >= spec["threshold_days"]
    # keep a fast TTFV fast also when measured from signup_date
    ttfv = np.where((~slow) & (ttfv >= landmark - delay), ttfv * (landmark - delay) / landmark, ttfv)
    churn = PARAMETERS["churn"]
    ratios = churn["hazard_ratios"]
    log_hazard = (
        np.log(_by_segment(churn["base_monthly_hazard_by_segment"]))[segment]
        + np.log(ratios["no_key_feature_30d"]) * (~adopter)
        + np.log(ratios["slow_ttfv"]) * slow
    )
    mean, sd = float(log_hazard.mean()), float(log_hazard.std()) or 1.0
    return _Covariates(
        first_start,
        adopter,
        late_adoption_day,
        first_automation_fraction,
        ttfv,
        slow,
        log_hazard,
        mean,
        sd,
        (log_hazard - mean) / sd,
    )
