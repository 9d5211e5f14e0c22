"""A plain-language verdict per day-30 behaviour: predictive or not, how strongly, how sure."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from cskpi_analysis.narrative import user_text
from cskpi_analysis.survival._covariates import ALPHA
from cskpi_analysis.survival._cox import CoxResult
from cskpi_analysis.survival._frame import _horizon_of
from cskpi_analysis.survival._km import Behaviour, risk_at_horizon
from cskpi_analysis.warehouse import Reader


def _strength(hr: float) -> str:
    size = abs(math.log(hr))
    if size >= math.log(1.5):
        return "strongly"
    if size >= math.log(1.2):
        return "moderately"
    return "weakly"


def verdicts(
    frame: pd.DataFrame,
    cox: CoxResult,
    behaviour_list: Sequence[Behaviour],
    logrank: pd.DataFrame,
    *,
    keep: Reader | None = None,
) -> pd.DataFrame:
    """A plain-language verdict per behaviour: predictive or not, how strongly, how sure.

    A behaviour is called predictive when its Cox hazard ratio differs from 1 after
    Holm's correction (adjusted for the other covariates and stratified); the absolute
    risk difference at the horizon comes from the Kaplan-Meier bands (unadjusted).
    Small-sample warnings follow :data:`MIN_EVENTS_PER_COVARIATE`,
    :data:`MIN_BAND_ACCOUNTS` and :data:`MIN_BAND_EVENTS`. ``keep``: the warehouse ``frame`` was
    read from, where the risks by band are kept (:func:`risk_at_horizon`).

    Returns
    -------
    DataFrame
        ``behaviour``, ``predictive`` (bool), ``hazard_ratio``, ``lower_95``, ``upper_95``,
        ``p_holm``, ``risk_difference`` (worst minus best band, at the horizon),
        ``verdict`` (sentences), ``warning``.
    """
    horizon = _horizon_of(frame)
    hr = cox.hazard_ratios.set_index("covariate")
    p_logrank = dict(zip(logrank.get("behaviour", []), logrank.get("p_holm", []), strict=False))
    rows = []
    for behaviour in behaviour_list:
        risk = risk_at_horizon(frame, behaviour, keep=keep)
        difference = float(risk["churn_risk"].max() - risk["churn_risk"].min()) if len(risk) > 1 else float("nan")
        warnings_ = [w for w in risk["warning"] if w]
        warnings_ += list(cox.warnings)
        if behaviour.covariate not in hr.index:
            continue
        row = hr.loc[behaviour.covariate]
        predictive = bool(row["p_holm"] < ALPHA)
        hi, lo = risk.loc[risk["churn_risk"].idxmax()], risk.loc[risk["churn_risk"].idxmin()]
        absolute = (
            f"By day {horizon}, {hi['churn_risk']:.0%} of '{user_text(hi['band'])}' churned vs "
            f"{lo['churn_risk']:.0%} of '{user_text(lo['band'])}' ({100 * difference:.0f} points apart, unadjusted)."
        )
        ratio = (
            f"hazard ratio {row['hazard_ratio']:.2f} per {row['unit']} (95% CI {row['lower_95']:.2f}-"
            f"{row['upper_95']:.2f}, Holm-adjusted p {row['p_holm']:.3g}; log-rank adjusted p "
            f"{p_logrank.get(behaviour.label, float('nan')):.3g})"
        )
        unadjusted_only = not predictive and p_logrank.get(behaviour.label, 1.0) < ALPHA
        if predictive:
            direction = "more" if row["hazard_ratio"] > 1 else "less"
            text = (
                f"Predictive ({_strength(row['hazard_ratio'])}): {user_text(row['label'].lower())} goes with {direction} churn, "
                f"{ratio}. {absolute} Next: check it holds by segment and in later cohorts, then test an "
                "intervention (an onboarding experiment) before treating it as a lever: this is association, "
                "not causation."
            )
        elif unadjusted_only:
            text = (
                f"Not predictive once the other behaviours are accounted for: {ratio}. {absolute} The raw gap is "
                "explained by the covariates it travels with (accounts that use it also do the predictive things); "
                "do not target it on its own."
            )
        else:
            text = (
                f"Not shown to be predictive: {ratio}. {absolute} The interval is what the data can rule out; "
                "collect more cohorts before drawing a conclusion, and do not build a health score on it yet."
            )
        rows.append(
            {
                "behaviour": behaviour.label,
                "predictive": predictive,
                "hazard_ratio": float(row["hazard_ratio"]),
                "lower_95": float(row["lower_95"]),
                "upper_95": float(row["upper_95"]),
                "p_holm": float(row["p_holm"]),
                "risk_difference": difference,
                "verdict": text,
                "warning": "; ".join(dict.fromkeys(warnings_)),
            }
        )
    return pd.DataFrame(rows)
