"""Every parameter of the generative model: the export date, the vocabularies (segments, plans, features,
names), :data:`PARAMETERS` (written to ``ground_truth.json``, documented in ``docs/demo_data.md``) and the
one-paragraph summary of the model."""

from __future__ import annotations

import datetime as dt
from typing import Any

#: Default export date of the demo data.
DEFAULT_AS_OF = dt.date(2026, 9, 30)
#: File (beside the tables) holding the planted truth; its presence marks a demo folder.
GROUND_TRUTH_FILE = "ground_truth.json"
#: Key features written to ``cskpi.toml``.
KEY_FEATURES: tuple[str, ...] = ("reports", "integrations", "automations")
#: Accounts per event shard (each shard has its own generator seeded from the main one).
SHARD_ACCOUNTS = 1000
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
