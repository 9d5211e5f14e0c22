"""Churn by the horizon as a logistic model, checked in sample and out of time: AUC, Brier score, calibration."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.stats import brier_score, concordance, wilson_intervals
from cskpi_analysis.survival._covariates import Covariate, _design, check_observation_windows
from cskpi_analysis.survival._frame import _horizon_of, _landmark_of
from cskpi_analysis.survival._kept import _frame_inputs, _inputs_digest, _keep
from cskpi_analysis.warehouse import Reader


def auc(y_true: np.ndarray | pd.Series, score: np.ndarray | pd.Series) -> float:
    r"""Area under the ROC curve by the Mann-Whitney rank formula.

    .. math:: \text{AUC} = \frac{R_1 - n_1(n_1 + 1)/2}{n_1 n_0}

    with :math:`R_1` the sum of the ranks (mid-ranks for ties) of the positives' scores.
    The probability that a random churner is scored above a random non-churner; the
    suite's one implementation is :func:`cskpi_analysis.stats.concordance`.
    """
    return concordance(score, y_true)


def calibration_table(
    y_true: np.ndarray | pd.Series, probability: np.ndarray | pd.Series, bins: int = 10
) -> pd.DataFrame:
    """Predicted vs observed churn by decile of predicted risk (Wilson 95% CI on the observed).

    Returns
    -------
    DataFrame
        ``decile`` (1 = lowest risk), ``accounts``, ``predicted`` (mean probability),
        ``observed`` (churn rate), ``observed_lower_95``, ``observed_upper_95``.
    """
    data = pd.DataFrame({"y": np.asarray(y_true, dtype=float), "p": np.asarray(probability, dtype=float)})
    data["decile"] = pd.qcut(data["p"].rank(method="first"), bins, labels=False) + 1
    grouped = data.groupby("decile").agg(accounts=("y", "size"), predicted=("p", "mean"), churned=("y", "sum"))
    grouped["observed"] = grouped["churned"] / grouped["accounts"]
    lower, upper = wilson_intervals(grouped["churned"], grouped["accounts"])
    grouped["observed_lower_95"], grouped["observed_upper_95"] = lower, upper
    return grouped.drop(columns="churned").reset_index()


@dataclass(frozen=True, eq=False)
class LogisticResult:
    """Logistic model of churn by the horizon, with in-sample and out-of-time checks.

    Attributes
    ----------
    odds_ratios : ``term``, ``label``, ``odds_ratio``, ``lower_95``, ``upper_95``, ``p_value``.
    auc, brier : in-sample discrimination and accuracy (all observable accounts).
    calibration : in-sample calibration by decile (:func:`calibration_table`).
    out_of_time : ``auc``, ``brier``, ``base_rate`` of the model fitted on the earlier
        cohorts and scored on the later ones, with ``train_accounts``, ``test_accounts`` and
        ``split_month`` (first month of the test cohorts); empty if too few accounts.
    out_of_time_calibration : calibration on the held-out later cohorts.
    accounts, events : counts used.
    """

    odds_ratios: pd.DataFrame
    auc: float
    brier: float
    calibration: pd.DataFrame
    out_of_time: dict[str, Any]
    out_of_time_calibration: pd.DataFrame
    accounts: int
    events: int


def _logit_design(frame: pd.DataFrame, covariates: Sequence[Covariate], levels: dict[str, list[str]]) -> pd.DataFrame:
    design = _design(frame, covariates)
    for column, values in levels.items():
        for value in values[1:]:
            design[f"{column}[{value}]"] = (frame[column].astype(str) == value).astype(float)
    design.insert(0, "const", 1.0)
    return design


def _fit_logit(y: pd.Series, design: pd.DataFrame) -> Any:
    # statsmodels.api.Logit, imported without the rest of statsmodels.api (a second on a cold start)
    from statsmodels.discrete.discrete_model import Logit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Logit(y.astype(float), design).fit(disp=0, maxiter=200)


def logistic_model(
    frame: pd.DataFrame,
    covariates: Sequence[Covariate],
    adjust_for: Sequence[str] = ("segment", "billing_period"),
    *,
    train_share: float = 0.7,
    keep: Reader | None = None,
) -> LogisticResult:
    r"""Logistic regression of churn by the horizon among accounts observable to it.

    .. math:: \Pr(\text{churn by } H \mid x) = \operatorname{logit}^{-1}(\alpha + \beta^\top x + \gamma^\top z)

    over accounts with first paid day + :math:`H` on or before ``as_of`` (no censoring
    inside the horizon), :math:`z` indicator columns of ``adjust_for`` (first level is the
    reference). :math:`\exp(\beta_j \cdot \text{per}_j)` is an odds ratio. Reported: AUC
    (:func:`auc`), Brier score (:func:`cskpi_analysis.stats.brier_score`) and calibration by decile; then an
    out-of-time check: fit on the earliest ``train_share`` of start months, score the later
    cohorts (does the model hold on accounts it has not seen, later in time?).

    ``keep``: the warehouse ``frame`` was read from (:func:`survival_frame`); the odds ratios,
    calibration tables and statistics are kept beside it (under a digest of the columns and
    arguments they are computed from) and read back on the next call. None (default): fitted.

    Raises
    ------
    AnalysisError
        A covariate observed after the landmark, or no account observable to the horizon
        with both outcomes.
    """
    if keep is not None:
        return _kept_logistic(keep, frame, covariates, adjust_for, train_share)
    check_observation_windows(covariates, _landmark_of(frame))
    data = frame.loc[frame["observable_to_horizon"]].reset_index(drop=True)
    y = data["churned"].astype(bool)
    if y.nunique() < 2:
        raise AnalysisError(
            f"{len(data)} account(s) are observable to day {_horizon_of(frame)} and they do not include both churned "
            "and retained accounts: the logistic model needs more history"
        )
    levels = {
        c: sorted(data[c].astype(str).unique(), key=lambda v: (-(data[c].astype(str) == v).sum(), v))
        for c in adjust_for
    }
    levels = {c: v for c, v in levels.items() if len(v) > 1}
    design = _logit_design(data, covariates, levels)
    fit = _fit_logit(y, design)
    ci = np.exp(fit.conf_int())
    labels = {c.name: f"{c.label} ({c.unit})" for c in covariates}
    terms = [t for t in design.columns if t != "const"]
    odds = pd.DataFrame(
        {
            "term": terms,
            "label": [labels.get(t, t) for t in terms],
            "odds_ratio": [float(np.exp(fit.params[t])) for t in terms],
            "lower_95": [float(ci.loc[t, 0]) for t in terms],
            "upper_95": [float(ci.loc[t, 1]) for t in terms],
            "p_value": [float(fit.pvalues[t]) for t in terms],
        }
    )
    probability = fit.predict(design)
    out_of_time: dict[str, Any] = {}
    oot_calibration = pd.DataFrame()
    months = sorted(data["start_month"].unique())
    if len(months) >= 4:
        split = months[int(len(months) * train_share)]
        train, test = data["start_month"] < split, data["start_month"] >= split
        if y[train].nunique() == 2 and y[test].nunique() == 2 and test.sum() >= 20:
            train_fit = _fit_logit(y[train], design.loc[train])
            predicted = train_fit.predict(design.loc[test])
            out_of_time = {
                "split_month": pd.Timestamp(split).date(),
                "train_accounts": int(train.sum()),
                "test_accounts": int(test.sum()),
                "auc": auc(y[test], predicted),
                "brier": brier_score(y[test], predicted),
                "base_rate": float(y[test].mean()),
            }
            oot_calibration = calibration_table(y[test], predicted, bins=min(10, max(2, int(test.sum()) // 20)))
    return LogisticResult(
        odds,
        auc(y, probability),
        brier_score(y, probability),
        calibration_table(y, probability, bins=min(10, max(2, len(data) // 20))),
        out_of_time,
        oot_calibration,
        len(data),
        int(y.sum()),
    )


def _kept_logistic(
    keep: Reader, frame: pd.DataFrame, covariates: Sequence[Covariate], adjust_for: Sequence[str], train_share: float
) -> LogisticResult:
    """:func:`logistic_model`, its frames kept beside ``keep`` and the result rebuilt from them."""
    columns = ("observable_to_horizon", "churned", "start_month", *(c.name for c in covariates), *adjust_for)
    digest = _inputs_digest(
        _landmark_of(frame),
        _horizon_of(frame),
        tuple(covariates),
        tuple(adjust_for),
        train_share,
        *_frame_inputs(frame, columns),
    )
    fitted: list[LogisticResult] = []

    def model() -> LogisticResult:
        if not fitted:
            fitted.append(logistic_model(frame, covariates, adjust_for, train_share=train_share))
        return fitted[0]

    def statistics(_: Reader) -> pd.DataFrame:
        oot = dict(model().out_of_time)
        if oot:
            oot["split_month"] = oot["split_month"].isoformat()
        return pd.DataFrame(
            {
                "auc": [model().auc],
                "brier": [model().brier],
                "accounts": [model().accounts],
                "events": [model().events],
                "out_of_time": [json.dumps(oot)],
            }
        )

    def calibrations(_: Reader) -> pd.DataFrame:
        parts = [model().calibration.assign(_sample="in sample")]
        if not model().out_of_time_calibration.empty:
            parts.append(model().out_of_time_calibration.assign(_sample="out of time"))
        return pd.concat(parts, ignore_index=True)

    summary = _keep(keep, "logistic_statistics", digest, statistics).iloc[0]
    odds = _keep(keep, "logistic_odds_ratios", digest, lambda _: model().odds_ratios)
    calibration = _keep(keep, "logistic_calibration", digest, calibrations)
    out_of_time = json.loads(summary["out_of_time"])
    if out_of_time:
        out_of_time["split_month"] = dt.date.fromisoformat(out_of_time["split_month"])
    held_out = calibration[calibration["_sample"] == "out of time"].drop(columns="_sample").reset_index(drop=True)
    return LogisticResult(
        odds,
        float(summary["auc"]),
        float(summary["brier"]),
        calibration[calibration["_sample"] == "in sample"].drop(columns="_sample").reset_index(drop=True),
        out_of_time,
        held_out if len(held_out) else pd.DataFrame(),
        int(summary["accounts"]),
        int(summary["events"]),
    )


def describe_logistic(result: LogisticResult) -> str:
    """One sentence: in-sample and out-of-time discrimination and accuracy."""
    text = (
        f"On {result.accounts:,} accounts observable to the horizon ({result.events:,} churned), the model ranks a "
        f"churner above a retained account {result.auc:.0%} of the time (AUC {result.auc:.2f}; Brier {result.brier:.3f})"
    )
    oot = result.out_of_time
    if oot:
        text += (
            f"; fitted on cohorts before {oot['split_month']:%b %Y} and tested on the {oot['test_accounts']:,} later "
            f"ones, AUC {oot['auc']:.2f} and Brier {oot['brier']:.3f}"
        )
    else:
        text += "; too few later cohorts for an out-of-time check"
    return text + " (AUC 0.5 is a coin toss)."
