"""Do our leading indicators lead? Indicators against later churn, contraction and expansion.

Every function reads the frame of ``mart_indicator_outcomes`` (one row per account per
complete month M while paying at M's snapshot: indicators over M, outcomes over the next
3, 6 and 12 months, null when the horizon is not complete yet) and returns a tidy frame or
a small result object; the ``*_sentence`` functions turn those numbers into one sentence.

Methods (fight-churn's definitions, "Fighting Churn with Data", ch. 5-9):

=======================  ==================================================================
discrimination (AUC)     ``P(x_event > x_no_event) + 0.5 P(tie)`` over rows whose outcome
                         is observable (the Mann-Whitney U statistic / n1 n0). ``auc_raw``
                         > 0.5: higher values go with the outcome. ``auc`` is oriented,
                         ``max(auc_raw, 1 - auc_raw)``, so 0.5 = no signal, 1 = perfect.
risk deciles             rows ranked by the indicator in its risky direction; decile
                         ``ceil(10 * average rank / n)``: tied values share a decile.
lift (top decile)        outcome rate in the riskiest decile / overall outcome rate.
cluster bootstrap        accounts (not rows) resampled with replacement; every row of a
                         drawn account enters with the account's multiplicity. 95% CIs are
                         percentile intervals.
lead time                months before churn over which churners' mean stays separated
                         (non-overlapping 95% CIs) from non-churners of the same tenure.
calibration              observed churn by score band, Wilson 95% CIs; monotonic when the
                         observed rate never rises as the score rises.
refit backtest           logistic model on our own indicators, trained on earlier months,
                         scored on the last months (time-ordered: no outcome of the training
                         rows overlaps the test period).
=======================  ==================================================================

Examples
--------
>>> from cskpi_analysis.warehouse import open_warehouse
>>> from cskpi_analysis.indicators import indicator_frame, indicator_outcome_matrix
>>> wh = open_warehouse("data/demo")                       # doctest: +SKIP
>>> matrix = indicator_outcome_matrix(indicator_frame(wh))  # doctest: +SKIP

Layout (private modules; the names below are the package's API):

* ``_registry``: the indicators, outcomes, horizons and health-score bands;
* ``_frame``: the mart read from the warehouse, and what this data can assess;
* ``_matrix``: the indicator x outcome matrix (AUC, lift, cluster bootstrap);
* ``_lead_time``: event-aligned curves and lead times;
* ``_refit``: the logistic refit model on our own indicators;
* ``_calibration``: health-score bands, reliability curve, backtest against the refit;
* ``_effort``: CS effort vs outcome (Mantel-Haenszel);
* ``_coverage``: portfolio coverage;
* ``_worklist``: the at-risk worklist.

Generic statistics (concordance, deciles and lift, bootstrap, Wilson interval, Mantel-Haenszel) are
in :mod:`cskpi_analysis.stats`; ``concordance``, ``risk_deciles``, ``top_decile_lift`` and
``wilson_interval`` are re-exported here as before.
"""

from __future__ import annotations

from cskpi_analysis.indicators._calibration import (
    BandMonotonicity,
    band_monotonicity,
    calibration_sentence,
    health_score_bands,
    health_score_calibration,
    refit_comparison,
    reliability_curve,
)
from cskpi_analysis.indicators._coverage import coverage_sentence, coverage_tables, portfolio_coverage
from cskpi_analysis.indicators._effort import (
    EffortConfounding,
    effort_by_health_band,
    effort_comparison,
    effort_confounding,
    effort_sentence,
)
from cskpi_analysis.indicators._frame import (
    availability,
    available_indicators,
    describe_indicators_left_out,
    indicator_frame,
    refit_features,
    sections_left_out,
)
from cskpi_analysis.indicators._lead_time import (
    CHURNED,
    STAYED,
    event_aligned_curves,
    indicator_curves,
    lead_indicator_choice,
    lead_time_curves,
    lead_time_months,
    lead_time_sentence,
    lead_time_table,
    lead_times_from_curves,
    moves_from_months,
)
from cskpi_analysis.indicators._matrix import indicator_outcome_matrix, matrix_sentence, outcome_matrix
from cskpi_analysis.indicators._refit import fit_refit_model
from cskpi_analysis.indicators._registry import (
    HORIZONS,
    INDICATORS,
    OUTCOMES,
    SEED,
    Indicator,
    indicator,
    outcome_column,
)
from cskpi_analysis.indicators._worklist import at_risk_worklist, portfolio_risk, worklist, worklist_sentence
from cskpi_analysis.stats import concordance, risk_deciles, top_decile_lift, wilson_interval

__all__ = [
    "CHURNED",
    "HORIZONS",
    "INDICATORS",
    "OUTCOMES",
    "SEED",
    "STAYED",
    "BandMonotonicity",
    "EffortConfounding",
    "Indicator",
    "at_risk_worklist",
    "availability",
    "available_indicators",
    "band_monotonicity",
    "calibration_sentence",
    "concordance",
    "coverage_sentence",
    "coverage_tables",
    "describe_indicators_left_out",
    "effort_by_health_band",
    "effort_comparison",
    "effort_confounding",
    "effort_sentence",
    "event_aligned_curves",
    "fit_refit_model",
    "health_score_bands",
    "health_score_calibration",
    "indicator",
    "indicator_curves",
    "indicator_frame",
    "indicator_outcome_matrix",
    "lead_indicator_choice",
    "lead_time_curves",
    "lead_time_months",
    "lead_time_sentence",
    "lead_time_table",
    "lead_times_from_curves",
    "matrix_sentence",
    "moves_from_months",
    "outcome_column",
    "outcome_matrix",
    "portfolio_coverage",
    "portfolio_risk",
    "refit_comparison",
    "refit_features",
    "reliability_curve",
    "risk_deciles",
    "sections_left_out",
    "top_decile_lift",
    "wilson_interval",
    "worklist",
    "worklist_sentence",
]
