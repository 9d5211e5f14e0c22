"""Kaplan-Meier curves by behaviour band, absolute risk at the horizon, log-rank tests, customer lifetimes."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from cskpi_analysis.narrative import user_text
from cskpi_analysis.stats import holm_adjusted
from cskpi_analysis.survival._covariates import ALPHA, available_covariates
from cskpi_analysis.survival._frame import _first_spells, _horizon_of, _landmark_of, feature_slug
from cskpi_analysis.survival._kept import _frame_inputs, _inputs_digest, _keep
from cskpi_analysis.warehouse import Reader

#: Small-sample thresholds of a band: fewer accounts or churns than this get a warning.
MIN_BAND_ACCOUNTS = 20
MIN_BAND_EVENTS = 5


@dataclass(frozen=True, eq=False)
class Behaviour:
    """A day-30 behaviour split into bands, for Kaplan-Meier curves and log-rank tests.

    Attributes
    ----------
    name : identifier (``adopted_automations``, ``active_days``, ``first_value``).
    label : business-language name.
    bands : band of every account (ordered categorical, aligned with the frame's index);
        the first category is the reference (the expected-best band).
    covariate : the Cox covariate that measures the same behaviour (for the verdict).
    """

    name: str
    label: str
    bands: pd.Series
    covariate: str


def _ordered(values: pd.Series, categories: list[str]) -> pd.Series:
    return pd.Series(pd.Categorical(values, categories=categories, ordered=True), index=values.index)


def _behaviour_inputs(behaviour: Behaviour) -> tuple[Any, ...]:
    return (behaviour.name, behaviour.label, behaviour.covariate, behaviour.bands.index, behaviour.bands)


def behaviours(frame: pd.DataFrame) -> list[Behaviour]:
    """The day-30 behaviours of the frame, banded.

    * one per key feature: used it by day :math:`L` vs not;
    * active days in :math:`[0, L)`: tertiles (``pd.qcut``; fewer bands when ties collapse them),
      highest first;
    * reached first value by day :math:`L` vs not;
    * time to first value within the window: days 0-6, 7-13, 14 to :math:`L-1`, not by day :math:`L`.

    A behaviour whose covariate is left out (:func:`available_covariates`: its data are missing, or
    it does not vary in the cohort) is not banded.
    """
    landmark = _landmark_of(frame)
    kept = {c.name for c in available_covariates(frame)[0]}
    out = []
    for feature in frame.attrs.get("key_features", ()):
        slug = feature_slug(feature)
        used = frame[f"adopted_{slug}"]
        labels = [f"Used {feature}", f"Did not use {feature}"]
        out.append(
            Behaviour(
                f"adopted_{slug}",
                f"Used {feature} by day {landmark}",
                _ordered(used.map({True: labels[0], False: labels[1]}), labels),
                f"not_adopted_{slug}",
            )
        )
    active = frame["active_days"]
    if active.nunique() >= 2:
        codes, edges = pd.qcut(active, 3, labels=False, retbins=True, duplicates="drop")
        names = []
        for i in range(len(edges) - 1):
            low = math.floor(edges[i]) + (0 if i == 0 else 1)
            high = math.floor(edges[i + 1])
            names.append(f"{low}-{high} active days")
        bands = codes.map(dict(enumerate(names)))
        out.append(
            Behaviour(
                "active_days",
                f"Active days in the first {landmark} days (tertiles)",
                _ordered(bands, names[::-1]),
                "active_days",
            )
        )
    reached = [f"Reached first value by day {landmark}", f"No first value by day {landmark}"]
    out.append(
        Behaviour(
            "first_value",
            f"Reached first value by day {landmark}",
            _ordered(frame["reached_first_value"].map({True: reached[0], False: reached[1]}), reached),
            "no_first_value",
        )
    )
    return [b for b in out if b.covariate in kept]


def ttfv_behaviour(frame: pd.DataFrame) -> Behaviour:
    """Time to first value within the window, in bands: the link between TTFV and churn."""
    landmark = _landmark_of(frame)
    edges = [0, 7, 14, landmark]
    names = [f"Days {edges[i]}-{edges[i + 1] - 1}" for i in range(len(edges) - 1) if edges[i] < edges[i + 1]]
    days = frame["days_to_first_value"].astype("Float64")
    bands = pd.Series(f"Not by day {landmark}", index=frame.index, dtype=object)
    for i, name in enumerate(names):
        inside = days.ge(edges[i]) & days.lt(edges[i + 1])
        bands[inside.fillna(False).astype(bool)] = name
    return Behaviour(
        "ttfv_band", "Time to first value", _ordered(bands, [*names, f"Not by day {landmark}"]), "no_first_value"
    )


def _kmf(durations: pd.Series, events: pd.Series, label: str) -> Any:
    from lifelines import KaplanMeierFitter

    return KaplanMeierFitter().fit(durations, events, label=label)


def _value_at(series: pd.Series | pd.DataFrame, t: float) -> Any:
    """Right-continuous step function value at ``t`` (last index <= t)."""
    return series.loc[series.index <= t].iloc[-1]


def kaplan_meier_curves(frame: pd.DataFrame, behaviour: Behaviour, *, keep: Reader | None = None) -> pd.DataFrame:
    r"""Kaplan-Meier survival curves, one per band, with 95% confidence bands.

    .. math:: \hat S(t) = \prod_{t_i \le t} \left(1 - \frac{d_i}{n_i}\right)

    with :math:`d_i` churns and :math:`n_i` accounts at risk at day :math:`t_i`; the
    band is lifelines' exponential Greenwood interval. Time is days since the first paid
    day; everyone is at risk from the landmark, so :math:`\hat S(t) = 1` before it.

    Parameters
    ----------
    frame : the survival frame.
    behaviour : the behaviour whose bands get a curve each.
    keep : the warehouse ``frame`` was read from (:func:`survival_frame`): the result is kept beside
        it (under a digest of the columns it is computed from) and read back on the next call, so
        a landmark or horizon seen once costs no refit. None (default): always computed.

    Returns
    -------
    DataFrame
        ``behaviour``, ``band``, ``day``, ``survival``, ``lower_95``, ``upper_95``,
        ``at_risk`` (accounts at risk just before the day), one row per event time per band.
    """
    if keep is not None:
        inputs = (*_frame_inputs(frame, ("duration_days", "churned")), *_behaviour_inputs(behaviour))
        return _keep(keep, "km_curves", _inputs_digest(*inputs), lambda _: kaplan_meier_curves(frame, behaviour))
    rows = []
    for band in behaviour.bands.cat.categories:
        mask = (behaviour.bands == band).to_numpy()
        if not mask.any():
            continue
        kmf = _kmf(frame.loc[mask, "duration_days"], frame.loc[mask, "churned"], str(band))
        ci = kmf.confidence_interval_survival_function_
        table = kmf.event_table
        curve = pd.DataFrame(
            {
                "behaviour": behaviour.label,
                "band": str(band),
                "day": kmf.survival_function_.index.to_numpy(dtype=float),
                "survival": kmf.survival_function_.iloc[:, 0].to_numpy(),
                "lower_95": ci.iloc[:, 0].to_numpy(),
                "upper_95": ci.iloc[:, 1].to_numpy(),
                "at_risk": table["at_risk"].reindex(kmf.survival_function_.index).fillna(0).to_numpy(dtype=int),
            }
        )
        rows.append(curve)
    return pd.concat(rows, ignore_index=True)


def risk_at_horizon(frame: pd.DataFrame, behaviour: Behaviour, *, keep: Reader | None = None) -> pd.DataFrame:
    r"""Absolute churn risk by the horizon per band, with 95% CI, counts and events.

    .. math:: \text{risk}(H) = 1 - \hat S(H), \quad
              [1 - \hat S_{upper}(H),\ 1 - \hat S_{lower}(H)]

    Parameters
    ----------
    frame : the survival frame (its horizon is ``attrs["horizon_days"]``).
    behaviour : the behaviour whose bands are compared.
    keep : the warehouse ``frame`` was read from (:func:`survival_frame`): the result is kept beside
        it (under a digest of the columns it is computed from) and read back on the next call, so
        a landmark or horizon seen once costs no refit. None (default): always computed.

    Returns
    -------
    DataFrame
        ``behaviour``, ``band``, ``accounts``, ``events`` (churns by the horizon),
        ``at_risk_at_horizon``, ``churn_risk``, ``lower_95``, ``upper_95``, ``warning``
        (small-sample note: fewer than 20 accounts or 5 events in the band).
    """
    horizon = _horizon_of(frame)
    if keep is not None:
        inputs = (horizon, *_frame_inputs(frame, ("duration_days", "churned")), *_behaviour_inputs(behaviour))
        return _keep(keep, "risk_at_horizon", _inputs_digest(*inputs), lambda _: risk_at_horizon(frame, behaviour))
    rows = []
    for band in behaviour.bands.cat.categories:
        mask = (behaviour.bands == band).to_numpy()
        sub = frame.loc[mask]
        if sub.empty:
            continue
        kmf = _kmf(sub["duration_days"], sub["churned"], str(band))
        survival = float(_value_at(kmf.survival_function_.iloc[:, 0], horizon))
        ci = _value_at(kmf.confidence_interval_survival_function_, horizon)
        events = int(sub["churned"].sum())
        warning = ""
        if len(sub) < MIN_BAND_ACCOUNTS or events < MIN_BAND_EVENTS:
            warning = f"small band ({len(sub)} accounts, {events} churns): treat with caution"
        rows.append(
            {
                "behaviour": behaviour.label,
                "band": str(band),
                "accounts": len(sub),
                "events": events,
                "at_risk_at_horizon": int((sub["duration_days"] >= horizon).sum()),
                "churn_risk": 1 - survival,
                "lower_95": 1 - float(ci.iloc[1]),
                "upper_95": 1 - float(ci.iloc[0]),
                "warning": warning,
            }
        )
    return pd.DataFrame(rows)


def risk_table(frame: pd.DataFrame, behaviour_list: Sequence[Behaviour], *, keep: Reader | None = None) -> pd.DataFrame:
    """:func:`risk_at_horizon` of every behaviour, stacked (empty, with the same columns, when there is none).

    ``keep``: the warehouse ``frame`` was read from, to keep each behaviour's risks beside it
    (see :func:`risk_at_horizon`).
    """
    parts = [risk_at_horizon(frame, b, keep=keep) for b in behaviour_list]
    if not parts:
        columns = ["behaviour", "band", "accounts", "events", "at_risk_at_horizon", "churn_risk", "lower_95",
                   "upper_95", "warning"]  # fmt: skip
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)


def logrank_tests(
    frame: pd.DataFrame, behaviour_list: Sequence[Behaviour], *, keep: Reader | None = None
) -> pd.DataFrame:
    r"""Log-rank test per behaviour, with Holm's correction across behaviours.

    The log-rank statistic compares observed and expected churns per band over all event
    times, :math:`\chi^2 = (O - E)^\top V^{-1} (O - E)` with :math:`k - 1` degrees of
    freedom for :math:`k` bands (lifelines ``multivariate_logrank_test``). Testing several
    behaviours inflates false positives; Holm's step-down adjustment
    (:func:`cskpi_analysis.stats.holm_adjusted`) controls the family-wise error rate at 5%.

    Parameters
    ----------
    frame : the survival frame.
    behaviour_list : the behaviours to test (:func:`behaviours`).
    keep : the warehouse ``frame`` was read from (:func:`survival_frame`): the result is kept beside
        it (under a digest of the columns it is computed from) and read back on the next call, so
        a landmark or horizon seen once costs no refit. None (default): always computed.

    Returns
    -------
    DataFrame
        ``behaviour``, ``bands``, ``test_statistic``, ``degrees_of_freedom``, ``p_value``,
        ``p_holm``, ``significant`` (``p_holm < 0.05``).
    """
    if keep is not None and behaviour_list:
        inputs = (
            *_frame_inputs(frame, ("duration_days", "churned")),
            *(part for behaviour in behaviour_list for part in _behaviour_inputs(behaviour)),
        )
        return _keep(keep, "logrank", _inputs_digest(*inputs), lambda _: logrank_tests(frame, behaviour_list))
    from lifelines.statistics import multivariate_logrank_test

    rows = []
    for behaviour in behaviour_list:
        present = behaviour.bands.dropna()
        if present.nunique() < 2:
            continue
        index = present.index
        result = multivariate_logrank_test(
            frame.loc[index, "duration_days"], present.astype(str), frame.loc[index, "churned"]
        )
        rows.append(
            {
                "behaviour": behaviour.label,
                "bands": int(present.nunique()),
                "test_statistic": float(result.test_statistic),
                "degrees_of_freedom": int(result.degrees_of_freedom),
                "p_value": float(result.p_value),
            }
        )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["p_holm"] = holm_adjusted(out["p_value"])
    out["significant"] = out["p_holm"] < ALPHA
    return out


def lifetime_summary(con: duckdb.DuckDBPyConnection, as_of: dt.date, horizon_months: int = 36) -> pd.DataFrame:
    r"""Average customer lifespan by segment, from the Kaplan-Meier curve of time to first churn.

    Each account is followed from its first paid day to the end of its first paid spell
    (``int_account_spells``, spell 1); an account still paying at ``as_of`` is censored there,
    never counted as churned. With :math:`\hat S(t)` the Kaplan-Meier estimate,

    .. math:: \text{RMST}(\tau) = \int_0^{\tau} \hat S(t)\,dt

    is the restricted mean lifetime over the first :math:`\tau` = ``horizon_months`` months
    (an unrestricted mean is not identified while most accounts are still paying), and the
    median lifetime is the first :math:`t` with :math:`\hat S(t) \le 0.5` (``None`` when the
    curve never falls that low: more than half the accounts outlive the data).

    Returns
    -------
    pd.DataFrame
        One row per segment and ``All``: ``segment``, ``accounts``, ``churned`` (events),
        ``median_lifetime_months``, ``restricted_mean_months`` and ``horizon_months``.
    """
    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time

    frame = _first_spells(con, as_of)
    days_per_month = 365.25 / 12
    frame["months"] = frame["days"] / days_per_month
    rows = []
    groups = [("All", frame)] + [(name, group) for name, group in frame.groupby("segment")]
    for segment, group in groups:
        if group.empty:
            continue
        fitter = KaplanMeierFitter().fit(group["months"], group["churned"])
        median = fitter.median_survival_time_
        rows.append(
            {
                "segment": segment,
                "accounts": len(group),
                "churned": int(group["churned"].sum()),
                "median_lifetime_months": None if not np.isfinite(median) else float(median),
                "restricted_mean_months": float(restricted_mean_survival_time(fitter, t=horizon_months)),
                "horizon_months": horizon_months,
            }
        )
    return pd.DataFrame(rows)


def describe_risk(risk: pd.DataFrame, horizon_days: int) -> str:
    """One sentence comparing the highest- and lowest-risk bands of a behaviour."""
    if risk.empty:
        return "No accounts to compare."
    hi, lo = risk.loc[risk["churn_risk"].idxmax()], risk.loc[risk["churn_risk"].idxmin()]
    return (
        f"{user_text(risk['behaviour'].iloc[0])}: by day {horizon_days}, {hi['churn_risk']:.0%} of "
        f"'{user_text(hi['band'])}' accounts had churned (95% CI {hi['lower_95']:.0%}-{hi['upper_95']:.0%}) against "
        f"{lo['churn_risk']:.0%} of '{user_text(lo['band'])}' ({lo['lower_95']:.0%}-{lo['upper_95']:.0%})."
    )


def describe_logrank(tests: pd.DataFrame) -> str:
    """One sentence on which behaviours separate the survival curves after Holm's correction."""
    if tests.empty:
        return "No behaviour had two bands to compare."
    significant = tests.loc[tests["significant"], "behaviour"].tolist()
    if not significant:
        return "No behaviour separates the survival curves after Holm's correction (all adjusted p >= 0.05)."
    return (
        f"After Holm's correction for {len(tests)} tests, {len(significant)} behaviour(s) separate the survival "
        f"curves: {'; '.join(user_text(s) for s in significant)}."
    )
