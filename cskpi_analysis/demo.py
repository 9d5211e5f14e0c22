"""Synthetic demo data with a planted truth, written in the data contract.

:func:`generate_demo` builds every contract table in memory; :func:`write_demo`
writes the same data to a folder (CSV or Parquet) together with ``cskpi.toml`` and
``ground_truth.json``, generating the event tables in shards of accounts so that a
million accounts fit in memory. The generative model and every parameter are
documented in ``docs/demo_data.md`` and written to ``ground_truth.json``; the
parameters live in :data:`PARAMETERS`, the single source of both.

Generative model, in short
--------------------------
Each account has a latent churn time, exponential from its first subscription
start, with monthly hazard

.. math:: h = h_0[\\text{segment}] \\cdot 2.0^{\\text{no\\_key\\_feature\\_30d}} \\cdot 1.6^{\\text{slow\\_ttfv}}

where ``no_key_feature_30d`` means no ``automations`` event in days [0, 30) and
``slow_ttfv`` means no ``first_value`` milestone within 30 days. Monthly plans
churn on that day; annual plans at the first renewal anniversary on or after it;
a churn after ``as_of`` is censored (empty ``end_date``). Usage declines over the
3 months before churn; the vendor health score is partly informative; CSMs
contact low-health accounts more (confounding); early support tickets and CSAT
are pure noise.

Reproducibility: one ``numpy.random.default_rng(seed)`` draws every account-level
quantity, then one seed per shard of :data:`SHARD_ACCOUNTS` accounts, so the data
depend only on ``(n_accounts, seed, as_of)`` and not on how they are written.

Examples
--------
>>> from cskpi_analysis.demo import generate_demo
>>> demo = generate_demo(200, seed=1)
>>> sorted(demo.tables) == sorted(["accounts", "subscriptions", "usage_events", "support_tickets",
...     "nps_responses", "health_scores", "cs_activities", "milestones"])
True
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pacompute
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from cskpi_analysis.config import CONFIG_FILE, AnalysisConfig, config_toml
from cskpi_analysis.contract import TABLES
from cskpi_analysis.errors import CskpiError
from cskpi_analysis.stats import spearman

__all__ = [
    "DEFAULT_AS_OF",
    "GROUND_TRUTH_FILE",
    "KEY_FEATURES",
    "PARAMETERS",
    "DemoData",
    "DemoSummary",
    "generate_demo",
    "write_demo",
]

#: Default export date of the demo data.
DEFAULT_AS_OF = dt.date(2026, 9, 30)
#: File (beside the tables) holding the planted truth; its presence marks a demo folder.
GROUND_TRUTH_FILE = "ground_truth.json"
#: Key features written to ``cskpi.toml``.
KEY_FEATURES: tuple[str, ...] = ("reports", "integrations", "automations")
#: Accounts per event shard (each shard has its own generator seeded from the main one).
SHARD_ACCOUNTS = 1000
_WRITE_BATCH_SHARDS = 10
_DAY_SECONDS = 86_400
_MONTH_DAYS = 365.25 / 12

SEGMENTS: tuple[str, ...] = ("SMB", "Mid-Market", "Enterprise")
PLANS: tuple[str, ...] = ("Starter", "Growth", "Scale", "Enterprise")
FEATURES: tuple[str, ...] = ("dashboard", "reports", "search", "integrations", "automations", "export", "settings")
ADD_ON_PLAN = "Add-on"
INDUSTRIES: tuple[str, ...] = (
    "Software", "Financial Services", "Healthcare", "Retail", "Manufacturing", "Education", "Media",
    "Logistics", "Professional Services", "Real Estate",
)  # fmt: skip
REGIONS: tuple[str, ...] = ("NA", "EMEA", "APAC", "LATAM")
CHANNELS: tuple[str, ...] = ("Inbound", "Outbound", "Partner", "Self-serve", "Event")
CSM_OWNERS: dict[str, tuple[str, ...]] = {
    "SMB": ("Digital CS", "Priya Natarajan", "Tom Becker"),
    "Mid-Market": ("Alex Romero", "Hannah Schmidt", "Kwame Mensah", "Lucia Ferraro"),
    "Enterprise": ("Daniel Okafor", "Sofia Lindqvist", "Mei Chen"),
}
ACTIVITY_TYPES: tuple[str, ...] = ("check_in", "email", "call", "qbr")
_ADJECTIVES = (
    "Bright", "Blue", "Silver", "Quiet", "Rapid", "Northern", "Golden", "Clever", "Bold", "Green", "Iron",
    "Lunar", "Solar", "Crimson", "Swift", "Urban", "Coastal", "Summit", "Prime", "Nimble", "Sunny", "Maple",
    "Cedar", "Polar", "Amber", "Velvet", "Copper", "Crystal", "Granite", "Harbor", "Misty", "Noble", "Open",
    "Pioneer", "Royal", "Sable", "True", "Vivid", "Wild", "Zen",
)  # fmt: skip
_NOUNS = (
    "Harbor", "Falcon", "Pine", "River", "Beacon", "Orbit", "Canyon", "Lantern", "Meadow", "Anchor", "Bridge",
    "Comet", "Delta", "Ember", "Forge", "Grove", "Horizon", "Island", "Jetty", "Kite", "Ledger", "Mosaic",
    "Nexus", "Oak", "Pixel", "Quarry", "Ridge", "Signal", "Tide", "Vertex", "Willow", "Yard", "Atlas",
    "Cobalt", "Fjord", "Glacier", "Heron", "Junction", "Kestrel", "Lotus",
)  # fmt: skip
_SUFFIXES = (
    "Labs", "Systems", "Group", "Technologies", "Partners", "Works", "Analytics", "Software", "Solutions",
    "Holdings",
)  # fmt: skip

#: Every parameter of the generative model (written to ``ground_truth.json``).
PARAMETERS: dict[str, Any] = {
    "history": {
        "years_of_signups_before_as_of": 3,
        "signup_growth_factor": 3.0,
        "signup_growth_note": "signup intensity grows exponentially over the window; the last day has 3.0x "
        "the rate of the first",
    },
    "segment_share": {"SMB": 0.60, "Mid-Market": 0.30, "Enterprise": 0.10},
    "plan_share_by_segment": {
        "SMB": {"Starter": 0.75, "Growth": 0.25, "Scale": 0.0, "Enterprise": 0.0},
        "Mid-Market": {"Starter": 0.0, "Growth": 0.60, "Scale": 0.40, "Enterprise": 0.0},
        "Enterprise": {"Starter": 0.0, "Growth": 0.0, "Scale": 0.30, "Enterprise": 0.70},
    },
    "region_share": {"NA": 0.45, "EMEA": 0.30, "APAC": 0.15, "LATAM": 0.10},
    "acquisition_channel_share_by_segment": {
        "SMB": {"Inbound": 0.35, "Outbound": 0.10, "Partner": 0.10, "Self-serve": 0.40, "Event": 0.05},
        "Mid-Market": {"Inbound": 0.35, "Outbound": 0.30, "Partner": 0.15, "Self-serve": 0.05, "Event": 0.15},
        "Enterprise": {"Inbound": 0.20, "Outbound": 0.45, "Partner": 0.20, "Self-serve": 0.0, "Event": 0.15},
    },
    "csm_owner_share_by_segment": {
        "SMB": {"Digital CS": 0.80, "Priya Natarajan": 0.10, "Tom Becker": 0.10},
        "Mid-Market": {"Alex Romero": 0.25, "Hannah Schmidt": 0.25, "Kwame Mensah": 0.25, "Lucia Ferraro": 0.25},
        "Enterprise": {"Daniel Okafor": 0.34, "Sofia Lindqvist": 0.33, "Mei Chen": 0.33},
    },
    "first_subscription": {
        "share_starting_on_signup_day": 0.60,
        "otherwise_delay_days_uniform": [1, 5],
        "annual_share_by_segment": {"SMB": 0.15, "Mid-Market": 0.40, "Enterprise": 0.70},
        "mrr_lognormal_median_usd": {"SMB": 300.0, "Mid-Market": 1500.0, "Enterprise": 8000.0},
        "mrr_lognormal_sigma": 0.6,
        "mrr_rounding": "whole dollars, at least 1",
    },
    "churn": {
        "time_origin": "start_date of the account's first subscription (day 0); a reactivated account's new "
        "episode restarts the clock at its own first start with the same hazard",
        "distribution": "exponential (constant hazard) in continuous time",
        "hazard_unit": "per month, month = 365.25/12 days",
        "base_monthly_hazard_by_segment": {"SMB": 0.025, "Mid-Market": 0.012, "Enterprise": 0.006},
        "base_hazard_reference_group": "adopters of the key feature with fast time to first value",
        "hazard_ratios": {"no_key_feature_30d": 2.0, "slow_ttfv": 1.6, "early_ticket_count": 1.0, "early_csat": 1.0},
        "monthly_plan_churn_day": "first subscription start + ceil(latent days), at least 1 day",
        "annual_plan_churn_day": "first renewal anniversary (start + 12k calendar months, k >= 1) on or after "
        "the latent churn time",
        "censoring": "a churn day after as_of means still active: empty end_date",
        "observed_vs_latent": "annual plans churn at the renewal after the latent time, so hazards of OBSERVED churn "
        "are lower for segments with more annual plans: a Cox model on observed churn finds segment ratios near "
        "Mid-Market 0.4 and Enterprise 0.2 (latent 0.48 and 0.24) while the covariate ratios stay near 2.0 and 1.6",
    },
    "covariates": {
        "landmark_days": 30,
        "window": "[first subscription start, first subscription start + 30 days); because the first start is "
        "at most 5 days after signup_date, the flags are the same with signup_date as the origin",
        "no_key_feature_30d": {
            "key_feature": "automations",
            "definition": "no usage_events row with feature = 'automations' and occurred_at in the 30-day window",
            "adoption_probability_by_segment": {"SMB": 0.45, "Mid-Market": 0.60, "Enterprise": 0.70},
            "adopter_first_event": "uniform in [first start, min(signup_date + 30 days, churn day))",
            "late_adoption_share_of_non_adopters": 0.30,
            "late_adoption_delay_days": "30 + exponential(mean 90) days after first start",
            "late_adoption_extra_days_exponential_mean": 90.0,
        },
        "slow_ttfv": {
            "milestone": "first_value",
            "threshold_days": 30,
            "definition": "no milestones row with milestone = 'first_value' and achieved_at before first start "
            "+ 30 days (reached late, or never)",
            "never_share": 0.10,
            "ttfv_lognormal_median_days": 20.0,
            "ttfv_lognormal_sigma": 0.6,
            "fast_pulled_into_signup_window": "a fast TTFV that would land on or after signup_date + 30 days is "
            "scaled by (30 - delay)/30",
        },
        "early_ticket_count": {"definition": "support_tickets opened in the 30-day window", "effect": "none"},
        "early_csat": {"definition": "mean csat of tickets opened in the 30-day window", "effect": "none"},
    },
    "revenue_changes": {
        "monthly_expansion_probability_by_segment": {"SMB": 0.010, "Mid-Market": 0.020, "Enterprise": 0.030},
        "monthly_contraction_probability_by_segment": {"SMB": 0.008, "Mid-Market": 0.010, "Enterprise": 0.010},
        "monthly_plans": "changes are a Poisson process with the sum of both monthly rates, on any day",
        "annual_plans": "a change only at a renewal anniversary, with probability 1 - (1 - p_exp - p_con)^12",
        "expansion_factor": "1 + lognormal(median 0.30, sigma 0.5)",
        "expansion_increase_lognormal_median": 0.30,
        "expansion_increase_lognormal_sigma": 0.5,
        "contraction_factor": "1 - uniform(0.10, 0.40)",
        "contraction_decrease_uniform": [0.10, 0.40],
        "plan_upgrade_probability_on_expansion": 0.30,
        "plan_downgrade_probability_on_contraction": 0.30,
        "representation": "the running subscription ends and a new one (new mrr, maybe new plan) starts the same day",
        "add_on_monthly_rate_by_segment": {"SMB": 0.003, "Mid-Market": 0.008, "Enterprise": 0.015},
        "add_on": "at most one per episode: an overlapping subscription with plan 'Add-on', mrr = "
        "uniform(0.10, 0.30) x the episode's first mrr; ends with the episode, or (monthly plans, 30%) earlier",
        "add_on_early_removal_share": 0.30,
        "add_on_mrr_share_uniform": [0.10, 0.30],
    },
    "reactivation": {
        "probability_after_churn": 0.15,
        "quick_return_share": 0.25,
        "quick_return_gap_days_uniform": [10, 20],
        "gap_days_uniform_otherwise": [30, 243],
        "note": "at most one reactivation; the new episode draws a new billing period and mrr",
    },
    "usage": {
        "features": list(FEATURES),
        "feature_probabilities": [0.30, 0.18, 0.15, 0.10, 0.12, 0.08, 0.07],
        "users_by_segment": {
            "SMB": "1 + Poisson(1.5)",
            "Mid-Market": "2 + Poisson(4)",
            "Enterprise": "5 + Poisson(12)",
        },
        "users_base_by_segment": {"SMB": 1, "Mid-Market": 2, "Enterprise": 5},
        "users_extra_poisson_mean_by_segment": {"SMB": 1.5, "Mid-Market": 4.0, "Enterprise": 12.0},
        "users_max": 99,
        "user_weekly_activity_probability": "Beta(2, 3) per user, times the decline multiplier",
        "user_activity_beta": [2.0, 3.0],
        "events_per_active_user_week": "1 + Poisson(0.5)",
        "extra_events_poisson_mean": 0.5,
        "automations_not_allowed": "events drawn as 'automations' become 'dashboard' for a non-adopter before "
        "its late adoption (never, for 70%)",
        "decline_lead_months": 3,
        "decline_lead_days": 90,
        "decline_floor": 0.10,
        "decline_multiplier": "max(floor, min(1, floor + (1 - floor) * days_to_churn / 90)), days_to_churn "
        "counted to the (latent, possibly after as_of) churn day of the episode",
    },
    "health_score": {
        "formula": "score = 100 * sigmoid(a - b * z - c * decline + account_noise + monthly_noise), rounded to 0.1",
        "a": 1.0,
        "b": 0.5,
        "c": 2.0,
        "account_noise_sd": 0.6,
        "monthly_noise_sd": 0.6,
        "account_noise": "one normal draw per account, constant over time: what the vendor's model weighs that "
        "does not matter for churn",
        "z": "standardised latent log-hazard (sample mean and sd, see summary)",
        "decline": "max(0, 1 - days_to_churn / 90) on the scoring date",
        "schedule": "the 1st of every month on which the account holds an active subscription",
        "interpretation": "partly informative (latent risk and pre-churn decline), partly noise",
    },
    "cs_activities": {
        "monthly_rate_by_segment": {"SMB": 0.3, "Mid-Market": 1.0, "Enterprise": 2.0},
        "low_health_threshold": 50.0,
        "low_health_rate_multiplier": 2.5,
        "confounding_rule": "in each scored month, activities ~ Poisson(rate[segment] x 2.5 if that month's "
        "health score < 50 else rate[segment]); activities have NO effect on churn, so a naive analysis finds "
        "more CS activity among churners",
        "type_probabilities": {"check_in": 0.35, "email": 0.40, "call": 0.25},
        "qbr": "Enterprise only: one 'qbr' every 3rd scored month of an episode (months 0, 3, 6, ...)",
        "qbr_every_months": 3,
    },
    "support_tickets": {
        "monthly_rate_by_segment": {"SMB": 0.25, "Mid-Market": 0.5, "Enterprise": 1.0},
        "first_response_hours_lognormal_median_by_segment": {"SMB": 10.0, "Mid-Market": 5.0, "Enterprise": 2.0},
        "first_response_hours_sigma": 0.9,
        "resolution_hours_after_first_response_lognormal_median": 20.0,
        "resolution_hours_sigma": 1.2,
        "never_resolved_share": 0.08,
        "csat_response_share_of_resolved": 0.55,
        "csat_probabilities_1_to_5": [0.06, 0.08, 0.16, 0.32, 0.38],
        "link_to_risk": "none (tickets and CSAT are independent of churn)",
    },
    "nps": {
        "responses_per_active_year": 1.5,
        "score": "clip(round(8.3 - 0.8 * z + normal(0, 1.8)), 0, 10): weakly linked to risk",
        "intercept": 8.3,
        "slope_on_z": -0.8,
        "noise_sd": 1.8,
    },
    "milestones": {
        "onboarding_complete_share": 0.90,
        "onboarding_days_lognormal_median": 10.0,
        "onboarding_days_sigma": 0.5,
        "recorded_if": "reached before the first episode's churn day and before as_of",
    },
    "timestamps": "every event timestamp lies before midnight at the start of as_of; dates are at most as_of",
}

_GENERATIVE_MODEL = (
    "Accounts sign up over the 3 years before as_of with exponentially growing intensity (3x). Each account's "
    "first subscription starts on the signup day or 1-5 days later. From that start, a latent churn time is "
    "exponential with monthly hazard base_monthly_hazard[segment] * 2.0^no_key_feature_30d * 1.6^slow_ttfv, "
    "where no_key_feature_30d = no 'automations' usage event in days [0, 30) of the first subscription and "
    "slow_ttfv = no 'first_value' milestone within 30 days. Early ticket count and early CSAT have no effect. "
    "Monthly plans churn that day; annual plans at the first renewal anniversary on or after it; a churn day "
    "after as_of is censored (empty end_date). 15% of churned accounts return once after a 10-20 day or 1-8 month "
    "gap, with the same hazard. Within an episode, expansions and contractions end the running subscription "
    "and start a new one the same day (annual plans only at anniversaries); some episodes get an overlapping "
    "add-on. Usage declines linearly over the 90 days before churn to 10%. The vendor health score is "
    "100*sigmoid(1.0 - 0.5*z - 2.0*decline + account noise N(0, 0.6) + monthly noise N(0, 0.6)) with z the standardised latent log-hazard. CSMs contact "
    "accounts whose health score is below 50 2.5x as often; CS activity has no effect on churn (confounding). "
    "NPS is weakly linked to z."
)


@dataclass(frozen=True)
class DemoData:
    """A generated demo dataset.

    Attributes
    ----------
    tables : every contract table, columns in contract order; dates and timestamps as
        ``datetime64``, empty values as missing.
    ground_truth : the planted parameters and a summary of this sample (``ground_truth.json``).
    config : the analysis options written to ``cskpi.toml``.
    """

    tables: dict[str, pd.DataFrame]
    ground_truth: dict[str, Any]
    config: AnalysisConfig


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`write_demo` wrote.

    Attributes
    ----------
    out_dir : the folder written.
    fmt : ``"csv"`` or ``"parquet"``.
    row_counts : rows per table.
    ground_truth : the content of ``ground_truth.json``.
    config : the analysis options written to ``cskpi.toml``.
    seconds : wall-clock time taken (informational; never written to a file).
    """

    out_dir: Path
    fmt: str
    row_counts: dict[str, int]
    ground_truth: dict[str, Any]
    config: AnalysisConfig
    seconds: float


# --------------------------------------------------------------------------------------------------------------
# small vectorised helpers (days are integers since 1970-01-01, times are integer seconds since then)


def _day_number(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


def _add_months(days: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """Add calendar months to day numbers; a day past the target month's end becomes its last day."""
    as_date = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    month = as_date.astype("datetime64[M]")
    day_in_month = (as_date - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.asarray(months, dtype=np.int64)
    target_first = target.astype("datetime64[D]")
    month_length = ((target + 1).astype("datetime64[D]") - target_first).astype(np.int64)
    return target_first.astype(np.int64) + np.minimum(day_in_month, month_length - 1)


def _month_index(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _first_day_of_month(month_index: np.ndarray) -> np.ndarray:
    return np.asarray(month_index, dtype=np.int64).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _rank_within(counts: np.ndarray) -> np.ndarray:
    """0, 1, ..., c-1 for each group of size c, concatenated."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)


def _choice_by_row(rng: np.random.Generator, probabilities: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One categorical draw per element of ``rows``, with probabilities ``probabilities[row]``."""
    cumulative = np.cumsum(probabilities, axis=1)[rows]
    u = rng.random(len(rows))
    return np.minimum((u[:, None] >= cumulative).sum(axis=1), probabilities.shape[1] - 1)


def _by_segment(values: dict[str, float]) -> np.ndarray:
    return np.array([values[s] for s in SEGMENTS], dtype=float)


def _matrix(shares: dict[str, dict[str, float]], categories: tuple[str, ...]) -> np.ndarray:
    return np.array([[shares[s].get(c, 0.0) for c in categories] for s in SEGMENTS], dtype=float)


def _interval_uniform(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Integer seconds uniform in [low, high) (high > low)."""
    return low + np.floor(rng.random(len(low)) * (high - low)).astype(np.int64)


# --------------------------------------------------------------------------------------------------------------
# account-level model


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


def _signup_days(rng: np.random.Generator, n: int, as_of_day: int) -> np.ndarray:
    history = PARAMETERS["history"]
    window_start = int(_add_months(np.array([as_of_day]), -12 * history["years_of_signups_before_as_of"])[0])
    span = as_of_day - window_start + 1
    growth = history["signup_growth_factor"]
    position = np.log1p(rng.random(n) * (growth - 1.0)) / np.log(growth)  # inverse CDF of an exponential ramp
    return np.sort(window_start + np.minimum(np.floor(position * span), span - 1).astype(np.int64))


def _churn_day(start: np.ndarray, latent_days: np.ndarray, annual: np.ndarray) -> np.ndarray:
    """Monthly plans churn ceil(latent) days after start; annual plans at the first anniversary on or after it."""
    monthly_end = start + np.maximum(1, np.ceil(latent_days)).astype(np.int64)
    target = start + latent_days
    years = np.maximum(1, np.ceil(latent_days / 365.25)).astype(np.int64)
    years = years + (_add_months(start, 12 * years) < target)
    years = years - ((years > 1) & (_add_months(start, 12 * (years - 1)) >= target))
    return np.where(annual, _add_months(start, 12 * years), monthly_end)


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


def _strings(vocabulary: list[str] | tuple[str, ...], codes: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    array = pa.array(list(vocabulary), pa.string()).take(pa.array(np.asarray(codes, dtype=np.int64)))
    if mask is not None and mask.any():
        array = pacompute.if_else(pa.array(mask), pa.nulls(len(array), pa.string()), array)
    return array


def _dates(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(days, dtype=np.int64).astype("datetime64[D]"), pa.date32(), mask=mask)


def _timestamps(seconds: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(seconds, dtype=np.int64).astype("datetime64[s]"), pa.timestamp("s"), mask=mask)


def _account_ids(indices: np.ndarray, first: int, count: int) -> pa.Array:
    """Account ids ``ACC-000001`` ... for 0-based account indices in [first, first + count)."""
    vocabulary = [f"ACC-{i + 1:06d}" for i in range(first, first + count)]
    return _strings(vocabulary, np.asarray(indices, dtype=np.int64) - first)


_ARROW_TYPES = {
    "string": pa.string(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("s"),
    "decimal": pa.float64(),
    "integer": pa.int64(),
}


def _schema(table: str) -> pa.Schema:
    return pa.schema([pa.field(c.name, _ARROW_TYPES[c.type]) for c in TABLES[table].columns])


def _table(name: str, columns: dict[str, pa.Array]) -> pa.Table:
    schema = _schema(name)
    return pa.Table.from_arrays([columns[f.name].cast(f.type) for f in schema], schema=schema)


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


# --------------------------------------------------------------------------------------------------------------
# event tables, one shard of accounts at a time


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


@dataclass(frozen=True)
class _Shard:
    tables: dict[str, pa.Table]
    health_sum: np.ndarray  # per account of the shard, for the ground-truth summary
    health_count: np.ndarray


def _shard(model: _Model, shard_number: int, ticket_offset: int) -> _Shard:
    """Every event table for one shard of accounts, drawn from the shard's own generator."""
    rng = np.random.default_rng(int(model.shard_seeds[shard_number]))
    shard = _ShardAccounts.select(model, shard_number)
    usage = _usage_events(rng, shard)
    milestones = _milestones(rng, shard)
    tickets = _support_tickets(rng, shard, ticket_offset)
    nps = _nps_responses(rng, shard)
    months = _health_scores(rng, shard)
    account = shard.episode_local[months.episode]
    health = _table(
        "health_scores",
        {
            "account_id": _strings(shard.account_ids, account),
            "scored_at": _dates(months.scored_day),
            "score": pa.array(months.score, pa.float64()),
        },
    )
    activities = _cs_activities(rng, shard, months)
    return _Shard(
        tables={
            "usage_events": usage,
            "support_tickets": tickets,
            "nps_responses": nps,
            "health_scores": health,
            "cs_activities": activities,
            "milestones": milestones,
        },
        health_sum=np.bincount(account, weights=months.score, minlength=shard.n_accounts),
        health_count=np.bincount(account, minlength=shard.n_accounts),
    )


def _shards(model: _Model) -> Iterator[_Shard]:
    ticket_offset = 0
    for shard in range(len(model.shard_seeds)):
        result = _shard(model, shard, ticket_offset)
        ticket_offset += result.tables["support_tickets"].num_rows
        yield result


def _ground_truth(
    model: _Model, seed: int, as_of: dt.date, health_sum: np.ndarray, health_count: np.ndarray
) -> dict[str, Any]:
    scored = health_count > 0
    mean_score = health_sum[scored] / health_count[scored]
    rho = spearman(mean_score, model.covariates.log_hazard[scored]) if scored.sum() > 2 else None
    summary = dict(model.summary)
    summary["health_score_spearman_account_mean_score_vs_latent_log_hazard"] = rho
    return {
        "generator": "cskpi_analysis.demo",
        "seed": seed,
        "n_accounts": model.n_accounts,
        "as_of": as_of.isoformat(),
        "generative_model": _GENERATIVE_MODEL,
        "parameters": PARAMETERS,
        "summary": summary,
    }


def _config(as_of: dt.date) -> AnalysisConfig:
    return AnalysisConfig(as_of=as_of, key_features=KEY_FEATURES)


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(
        date_as_object=False, coerce_temporal_nanoseconds=True, types_mapper={pa.int64(): pd.Int64Dtype()}.get
    )


def generate_demo(n_accounts: int, seed: int, as_of: dt.date = DEFAULT_AS_OF) -> DemoData:
    """Generate the demo dataset in memory.

    Parameters
    ----------
    n_accounts : number of accounts (at least 1).
    seed : seed of the one ``numpy.random.default_rng`` every draw derives from.
    as_of : export date; nothing after it exists.

    Returns
    -------
    DemoData
        Every contract table (columns in contract order), the planted truth and the config.
        The same arguments always give identical frames.

    Examples
    --------
    >>> demo = generate_demo(100, seed=3)
    >>> demo.tables["accounts"]["account_id"].iloc[0]
    'ACC-000001'
    """
    model = _build_model(n_accounts, seed, as_of)
    health_sum = np.zeros(n_accounts)
    health_count = np.zeros(n_accounts, np.int64)
    pieces: dict[str, list[pa.Table]] = {}
    for index, shard in enumerate(_shards(model)):
        first = index * SHARD_ACCOUNTS
        health_sum[first : first + len(shard.health_sum)] = shard.health_sum
        health_count[first : first + len(shard.health_count)] = shard.health_count
        for name, table in shard.tables.items():
            pieces.setdefault(name, []).append(table)
    arrow_tables = {"accounts": model.accounts, "subscriptions": model.subscriptions}
    arrow_tables |= {name: pa.concat_tables(parts) for name, parts in pieces.items()}
    tables = {name: _to_pandas(arrow_tables[name]) for name in TABLES}
    return DemoData(tables, _ground_truth(model, seed, as_of, health_sum, health_count), _config(as_of))


class _TableWriter:
    """Appends arrow tables to one CSV or Parquet file."""

    def __init__(self, path: Path, schema: pa.Schema, fmt: str) -> None:
        self.fmt = fmt
        self.rows = 0
        if fmt == "parquet":
            self._parquet = pq.ParquetWriter(path, schema, compression="zstd")
        else:
            self._file = open(path, "wb")  # noqa: SIM115 - closed in close()
            self._file.write((",".join(schema.names) + "\n").encode())
            options = pacsv.WriteOptions(include_header=False, quoting_style="none")
            self._csv = pacsv.CSVWriter(self._file, schema, write_options=options)

    def write(self, table: pa.Table) -> None:
        self.rows += table.num_rows
        if self.fmt == "parquet":
            self._parquet.write_table(table)
        else:
            self._csv.write_table(table)

    def close(self) -> None:
        if self.fmt == "parquet":
            self._parquet.close()
        else:
            self._csv.close()
            self._file.close()


def _check_out_dir(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise CskpiError(f"{out} exists and is not a folder; choose another --out")
    if out.is_dir() and any(out.iterdir()) and not (out / GROUND_TRUTH_FILE).is_file():
        raise CskpiError(
            f"{out} is not empty and is not a previous demo output (no {GROUND_TRUTH_FILE}); "
            "refusing to replace it. Choose an empty or new folder for --out."
        )


def write_demo(
    out_dir: str | Path,
    n_accounts: int,
    seed: int,
    as_of: dt.date = DEFAULT_AS_OF,
    fmt: Literal["csv", "parquet"] = "csv",
) -> DemoSummary:
    """Write the demo dataset to ``out_dir``, atomically.

    Every contract table is written as ``<table>.csv`` or ``<table>.parquet``, plus
    ``cskpi.toml`` and ``ground_truth.json``. Data are written into a temporary
    folder beside ``out_dir``, which then replaces it, so a reader never sees half a
    dataset. Event tables are generated and appended shard by shard, so memory stays
    bounded for a million accounts. The data are those of :func:`generate_demo` with
    the same arguments.

    Parameters
    ----------
    out_dir : target folder; must be absent, empty, or a previous demo output
        (it holds ``ground_truth.json``), which is replaced.
    n_accounts, seed, as_of : as in :func:`generate_demo`.
    fmt : ``"csv"`` (timestamps ``YYYY-MM-DD HH:MM:SS``, dates ``YYYY-MM-DD``, empty
        field for a missing value) or ``"parquet"`` (native date/timestamp types).

    Raises
    ------
    CskpiError
        ``out_dir`` is a file, or a non-empty folder that is not a demo output.
    """
    if fmt not in ("csv", "parquet"):
        raise CskpiError(f"format must be 'csv' or 'parquet', got {fmt!r}")
    began = time.perf_counter()
    out = Path(out_dir)
    _check_out_dir(out)
    model = _build_model(n_accounts, seed, as_of)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        writers = {name: _TableWriter(staging / f"{name}.{fmt}", _schema(name), fmt) for name in TABLES}
        writers["accounts"].write(model.accounts)
        writers["subscriptions"].write(model.subscriptions)
        health_sum = np.zeros(n_accounts)
        health_count = np.zeros(n_accounts, np.int64)
        batch: dict[str, list[pa.Table]] = {}

        def flush() -> None:
            for name, parts in batch.items():
                writers[name].write(pa.concat_tables(parts))
            batch.clear()

        for index, shard in enumerate(_shards(model)):
            first = index * SHARD_ACCOUNTS
            health_sum[first : first + len(shard.health_sum)] = shard.health_sum
            health_count[first : first + len(shard.health_count)] = shard.health_count
            for name, table in shard.tables.items():
                batch.setdefault(name, []).append(table)
            if (index + 1) % _WRITE_BATCH_SHARDS == 0:
                flush()
        flush()
        for writer in writers.values():
            writer.close()
        truth = _ground_truth(model, seed, as_of, health_sum, health_count)
        config = _config(as_of)
        (staging / GROUND_TRUTH_FILE).write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
        (staging / CONFIG_FILE).write_text(config_toml(config), encoding="utf-8")
        os.chmod(staging, 0o755)
        _check_out_dir(out)  # again: the folder may have changed while we generated
        if out.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
            os.replace(out, retired / out.name)
            os.replace(staging, out)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    row_counts = {name: writer.rows for name, writer in writers.items()}
    return DemoSummary(out, fmt, row_counts, truth, config, time.perf_counter() - began)
