r"""Does day-30 behaviour predict month-12 churn? Landmark survival analysis.

The landmark method (Anderson, Cain & Gelber 1983; van Houwelingen 2007) answers
"does what an account did in its first :math:`L` days predict its churn later?"
without immortal-time bias:

1. day 0 is the account's first paid day; the landmark is day :math:`L` (30 by default);
2. the cohort is the accounts still paying on day :math:`L` (those that churned before
   cannot be classified by a 30-day behaviour they had no chance to complete);
3. covariates are measured only in :math:`[0, L)`;
4. the outcome is the first churn after the landmark, followed to a horizon :math:`H`
   (365 days by default: month 12), censored at ``as_of`` for younger accounts.

Every covariate is declared in a registry (:class:`Covariate`) with the day its
observation window ends; :func:`check_observation_windows` refuses any covariate whose
window ends after the landmark ("ever adopted", uncapped time to first value), which is
how immortal-time bias creeps in: an account that survived longer had more time to adopt.
Each covariate also declares the source data it needs; :func:`available_covariates` leaves
out, with one sentence saying what data would enable it, every covariate whose data are
missing (an optional table without rows, no first-value definition) or constant in the cohort.

The data come from the SQL models ``int_account_spells`` (paid spells), ``int_landmark_*``
and ``mart_account_landmark`` (one row per landmark-cohort account); this module fits the
models: Kaplan-Meier curves by behaviour band with log-rank tests (Holm-adjusted), a
stratified Cox model with its proportional-hazards check, a logistic model of churn by
the horizon with out-of-time validation, time to first value as a time-to-event outcome,
and a plain-language verdict per behaviour. This is prediction, not causation: a
behaviour that predicts churn is a candidate for an experiment, not a proven lever.

Examples
--------
>>> from cskpi_analysis.warehouse import open_warehouse
>>> from cskpi_analysis import survival
>>> wh = open_warehouse("data/demo")                               # doctest: +SKIP
>>> frame = survival.survival_frame(wh)                               # doctest: +SKIP
>>> covariates, left_out = survival.available_covariates(frame)        # doctest: +SKIP
>>> cox = survival.cox_model(frame, covariates)                        # doctest: +SKIP
>>> cox.hazard_ratios[["covariate", "hazard_ratio", "lower_95", "upper_95"]]  # doctest: +SKIP

Layout (private modules; the names below are the package's API):

* ``_frame``: the SQL reads (survival frame, landmark cohort, time to first value, first spells);
* ``_covariates``: the covariate registry, what each needs, the design matrix;
* ``_km``: behaviour bands, Kaplan-Meier curves and risk at the horizon, log-rank tests, lifetimes;
* ``_cox``: the stratified Cox model, its proportional-hazards check and refits;
* ``_validation``: the logistic model of churn by the horizon, in sample and out of time;
* ``_ttfv``: time to first value as a time-to-event outcome;
* ``_verdicts``: a plain-language verdict per behaviour;
* ``_kept``: results kept beside the warehouse, keyed by what they are computed from.

Generic statistics (concordance, Brier score, Wilson interval, Holm) are in :mod:`cskpi_analysis.stats`.
"""

from __future__ import annotations

from cskpi_analysis.stats import brier_score
from cskpi_analysis.survival._covariates import (
    Covariate,
    available_covariates,
    check_observation_windows,
    default_covariates,
    describe_left_out,
    first_value_left_out,
    nothing_to_fit,
    select_covariates,
)
from cskpi_analysis.survival._cox import DEFAULT_STRATA, CoxResult, cox_model, cox_with_ph_refits, describe_cox
from cskpi_analysis.survival._frame import (
    HORIZON_CHOICES,
    LANDMARK_CHOICES,
    describe_cohort,
    feature_slug,
    landmark_cohort,
    survival_frame,
    ttfv_frame,
)
from cskpi_analysis.survival._km import (
    Behaviour,
    behaviours,
    describe_logrank,
    describe_risk,
    kaplan_meier_curves,
    lifetime_summary,
    logrank_tests,
    risk_at_horizon,
    risk_table,
    ttfv_behaviour,
)
from cskpi_analysis.survival._ttfv import describe_ttfv, ttfv_curve, ttfv_quantiles
from cskpi_analysis.survival._validation import (
    LogisticResult,
    auc,
    calibration_table,
    describe_logistic,
    logistic_model,
)
from cskpi_analysis.survival._verdicts import verdicts

__all__ = [
    "HORIZON_CHOICES",
    "LANDMARK_CHOICES",
    "DEFAULT_STRATA",
    "Behaviour",
    "CoxResult",
    "Covariate",
    "LogisticResult",
    "auc",
    "available_covariates",
    "behaviours",
    "brier_score",
    "calibration_table",
    "check_observation_windows",
    "cox_model",
    "cox_with_ph_refits",
    "default_covariates",
    "describe_cohort",
    "describe_cox",
    "describe_left_out",
    "describe_logistic",
    "describe_logrank",
    "describe_risk",
    "describe_ttfv",
    "feature_slug",
    "first_value_left_out",
    "kaplan_meier_curves",
    "landmark_cohort",
    "lifetime_summary",
    "logistic_model",
    "logrank_tests",
    "nothing_to_fit",
    "risk_at_horizon",
    "risk_table",
    "select_covariates",
    "survival_frame",
    "ttfv_curve",
    "ttfv_frame",
    "ttfv_behaviour",
    "ttfv_quantiles",
    "verdicts",
]
