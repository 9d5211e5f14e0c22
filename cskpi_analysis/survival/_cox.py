"""The stratified Cox model of first churn after the landmark, its proportional-hazards check and refits."""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.narrative import user_text
from cskpi_analysis.stats import holm_adjusted
from cskpi_analysis.survival._covariates import ALPHA, Covariate, _design, check_observation_windows
from cskpi_analysis.survival._frame import _landmark_of
from cskpi_analysis.survival._kept import _frame_inputs, _inputs_digest, _keep
from cskpi_analysis.warehouse import Reader

#: Strata of the Cox model: annual plans churn only at renewal, and segments have their
#: own base hazard, so neither is forced into one proportional baseline.
DEFAULT_STRATA: tuple[str, ...] = ("billing_period", "segment")
#: Small-sample threshold (Peduzzi et al. 1996): fewer churns per covariate get a warning.
MIN_EVENTS_PER_COVARIATE = 10


@dataclass(frozen=True, eq=False)
class CoxResult:
    """A fitted Cox model and what the notebook shows of it.

    Attributes
    ----------
    hazard_ratios : one row per covariate: ``covariate``, ``label``, ``unit``,
        ``hazard_ratio``, ``lower_95``, ``upper_95``, ``p_value``, ``p_holm``, ``model``.
    concordance : Harrell's C on the fitting data.
    ph_test : Schoenfeld-residual test per covariate: ``covariate``, ``test_statistic``,
        ``p_value``, ``violates_ph`` (p < 0.05).
    events, accounts : counts used.
    strata : strata of the baseline hazard.
    warnings : small-sample notes.
    fitter : the lifelines ``CoxPHFitter``, fitted with the strata numbered in one column
        (``__stratum__``, see :func:`_one_stratum_column`); None for a result read back from
        where it was kept (:func:`cox_with_ph_refits` with ``keep``).
    """

    hazard_ratios: pd.DataFrame
    concordance: float
    ph_test: pd.DataFrame
    events: int
    accounts: int
    strata: tuple[str, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)
    fitter: Any = None


_STRATUM_COLUMN = "__stratum__"


def _one_stratum_column(data: pd.DataFrame, strata: Sequence[str]) -> tuple[pd.DataFrame, str | None]:
    """The Cox data with its strata numbered in one integer column, and the ``strata`` argument for lifelines.

    lifelines selects each stratum with ``.loc`` on a MultiIndex at every Newton step and again
    for the residuals (seconds at 100k accounts). Numbering the combinations of the strata in
    their sorted order keeps the same sort of the rows, the same strata in the same order, and so
    the same fit to the last bit, through a plain integer index.

    Returns
    -------
    (data, strata)
        ``data`` without the strata columns and with ``__stratum__``; ``strata`` is
        ``"__stratum__"``, or ``(data, None)`` unchanged without strata.
    """
    if not strata:
        return data, None
    out = data.drop(columns=list(strata))
    out[_STRATUM_COLUMN] = data.groupby(list(strata), sort=True).ngroup().astype(np.int64)
    return out, _STRATUM_COLUMN


def _scaled_schoenfeld(fitter: Any, data: pd.DataFrame) -> pd.DataFrame:
    r"""Scaled Schoenfeld residuals of a fitted ``CoxPHFitter``, the same numbers as lifelines', vectorised.

    lifelines (``compute_residuals(data, "scaled_schoenfeld")``) walks the accounts one by one and
    grows its result with ``np.append`` (quadratic: seconds per fit at 100k accounts). This walks
    the distinct event times instead and repeats each floating-point operation in lifelines'
    order: risk-set sums accumulated from the latest time backwards (``cumsum`` adds in sequence),
    Efron's tie correction

    .. math:: \bar x_k = \sum_{l=0}^{d_k-1} \frac{R^x_k - \tfrac{l}{d_k} D^x_k}{d_k\,(R_k - \tfrac{l}{d_k} D_k)}

    summed over :math:`l` in sequence, the residual :math:`x_i - \bar x_k` of each churn, scaled as
    lifelines does: :math:`d\,(x_i - \bar x_k)\,V` with :math:`d` the churns and :math:`V` the variance matrix.
    ``tests/test_survival.py`` checks the result equals lifelines' exactly.

    Parameters
    ----------
    fitter : a ``CoxPHFitter`` fitted on ``data`` (Breslow baseline, no entry column).
    data : the frame it was fitted on.

    Returns
    -------
    DataFrame
        One row per churn (index: the account's row label), one column per covariate.
    """
    model = fitter._model
    x_all, durations, events, weights, _, index, _ = model._preprocess_dataframe(data)
    params = model.params_.to_numpy()
    t_all, e_all, w_all = durations.to_numpy(), events.to_numpy(), weights.to_numpy()
    n, d = x_all.shape
    residuals = np.zeros((n, d))
    if model.strata is None:
        blocks = [(x_all.to_numpy(), np.arange(n))]
    else:
        grouped = x_all.groupby(model.strata)
        blocks = [(x.to_numpy(), grouped.indices[key]) for key, x in grouped]
    for x, positions in blocks:
        t, e, w = t_all[positions], e_all[positions], w_all[positions]
        if not e.any():
            continue
        scores = w * np.exp(np.dot(x, params))
        phi_x = scores[:, None] * x
        risk_phi = np.cumsum(scores[::-1])[::-1]
        risk_phi_x = np.cumsum(phi_x[::-1], axis=0)[::-1]
        starts = np.flatnonzero(np.r_[True, t[1:] != t[:-1]])
        out = np.zeros_like(x)
        for start, stop in zip(starts, np.r_[starts[1:], len(t)], strict=True):
            churned = np.flatnonzero(e[start:stop]) + start
            ties = len(churned)
            if not ties:
                continue
            latest_first = churned[::-1]
            tie_phi = np.cumsum(scores[latest_first])[-1]
            tie_phi_x = np.cumsum(phi_x[latest_first], axis=0)[-1]
            share = np.arange(ties)[:, None]
            numer = risk_phi_x[start] - share * tie_phi_x / ties
            denom = risk_phi[start] - share[:, 0] * tie_phi / ties
            terms = np.vstack([np.zeros((1, d)), numer / (denom * ties)[:, None]])
            out[churned] = x[churned] - np.cumsum(terms, axis=0)[-1]
        residuals[positions] = out
    frame = pd.DataFrame(residuals[e_all, :], columns=model.params_.index, index=index[e_all])
    scaled = e_all.sum() * frame.dot(model.variance_matrix_)
    scaled.columns = model.params_.index
    return scaled


def cox_model(
    frame: pd.DataFrame,
    covariates: Sequence[Covariate],
    strata: Sequence[str] = DEFAULT_STRATA,
    *,
    model: str = "main",
) -> CoxResult:
    r"""Stratified Cox proportional-hazards model of first churn after the landmark.

    .. math:: h_k(t \mid x) = h_{0k}(t) \exp(\beta^\top x)

    with a separate baseline hazard :math:`h_{0k}` per stratum :math:`k` (billing period x
    segment by default: annual plans churn only at renewal, and segments differ in base
    hazard) and one set of coefficients. :math:`\exp(\beta_j \cdot \text{per}_j)` is the
    hazard ratio for ``per`` units of covariate :math:`j` (e.g. 5 active days). Ties by
    Efron's method (lifelines ``CoxPHFitter``). All accounts enter at the landmark, so
    the time origin (day 0) does not change the risk sets. Harrell's concordance and the
    proportional-hazards test (scaled Schoenfeld residuals against rank of time,
    lifelines ``proportional_hazard_test``) are reported.

    Raises
    ------
    AnalysisError
        A covariate observed after the landmark, missing values, or no churn at all.
    """
    from lifelines import CoxPHFitter
    from lifelines.statistics import proportional_hazard_test

    check_observation_windows(covariates, _landmark_of(frame))
    data = _design(frame, covariates)
    data["duration_days"] = frame["duration_days"].astype(float)
    data["churned"] = frame["churned"].astype(bool)
    for s in strata:
        data[s] = frame[s].astype(str)
    events = int(data["churned"].sum())
    if events == 0:
        raise AnalysisError("no churn after the landmark in the data: a Cox model cannot be fitted")
    notes = []
    if events < MIN_EVENTS_PER_COVARIATE * len(covariates):
        notes.append(
            f"only {events} churns for {len(covariates)} covariates (fewer than {MIN_EVENTS_PER_COVARIATE} per "
            "covariate): hazard ratios may be unstable"
        )
    constant = [c.name for c in covariates if data[c.name].nunique() < 2]
    if constant:
        raise AnalysisError(
            f"covariate(s) {', '.join(constant)} do not vary in the cohort: leave them out "
            "(survival.available_covariates does)"
        )
    fitter = CoxPHFitter()
    fit_data, fit_strata = _one_stratum_column(data, strata)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter.fit(fit_data, duration_col="duration_days", event_col="churned", strata=fit_strata)
        # the test of the fitted model, on residuals computed as lifelines does, in a fraction of the time
        residuals = _scaled_schoenfeld(fitter, fit_data)
        ph = proportional_hazard_test(fitter, fit_data, time_transform="rank", precomputed_residuals=residuals).summary
    summary = fitter.summary
    hazard_ratios = pd.DataFrame(
        {
            "covariate": [c.name for c in covariates],
            "label": [c.label for c in covariates],
            "unit": [c.unit for c in covariates],
            "hazard_ratio": [float(summary.loc[c.name, "exp(coef)"]) for c in covariates],
            "lower_95": [float(summary.loc[c.name, "exp(coef) lower 95%"]) for c in covariates],
            "upper_95": [float(summary.loc[c.name, "exp(coef) upper 95%"]) for c in covariates],
            "p_value": [float(summary.loc[c.name, "p"]) for c in covariates],
        }
    )
    hazard_ratios["p_holm"] = holm_adjusted(hazard_ratios["p_value"])
    hazard_ratios["model"] = model
    ph_test = pd.DataFrame(
        {
            "covariate": [str(i) for i in ph.index],
            "test_statistic": ph["test_statistic"].to_numpy(dtype=float),
            "p_value": ph["p"].to_numpy(dtype=float),
        }
    )
    ph_test["violates_ph"] = ph_test["p_value"] < ALPHA
    ph_test["model"] = model
    return CoxResult(
        hazard_ratios, float(fitter.concordance_index_), ph_test, events, len(data), tuple(strata), tuple(notes), fitter
    )


def cox_with_ph_refits(
    frame: pd.DataFrame,
    covariates: Sequence[Covariate],
    strata: Sequence[str] = DEFAULT_STRATA,
    *,
    keep: Reader | None = None,
) -> tuple[CoxResult, list[CoxResult]]:
    """The main Cox model and, for each covariate failing the PH test, a refit stratified on it.

    A binary covariate that fails is moved into the strata (its own baseline hazard, no
    hazard ratio); a count or continuous one is stratified on its tertiles. Both fits are
    returned so the notebook shows how much the other hazard ratios move.

    Parameters
    ----------
    frame : the survival frame.
    covariates : the covariates of the main model (:func:`available_covariates`).
    strata : strata of the baseline hazard.
    keep : the warehouse ``frame`` was read from (:func:`survival_frame`): the hazard ratios, the
        proportional-hazards tests and the fit statistics of every model are kept beside it (under
        a digest of the columns and covariates they are computed from) and read back on the next
        call; the results then have no ``fitter``. None (default): always fitted.
    """
    if keep is not None:
        return _kept_cox(keep, frame, covariates, strata)
    main = cox_model(frame, covariates, strata)
    refits = []
    for name in main.ph_test.loc[main.ph_test["violates_ph"], "covariate"]:
        covariate = next((c for c in covariates if c.name == name), None)
        if covariate is None:
            continue
        work = frame.copy()
        stratum = f"{name}_stratum"
        if covariate.kind == "binary":
            work[stratum] = work[name].astype(str)
        else:
            work[stratum] = pd.qcut(work[name], 3, labels=False, duplicates="drop").astype(str)
        others = [c for c in covariates if c.name != name]
        refits.append(cox_model(work, others, (*strata, stratum), model=f"stratified on {name}"))
    return main, refits


def _kept_cox(
    keep: Reader, frame: pd.DataFrame, covariates: Sequence[Covariate], strata: Sequence[str]
) -> tuple[CoxResult, list[CoxResult]]:
    """:func:`cox_with_ph_refits`, its frames kept beside ``keep`` and the results rebuilt from them."""
    columns = ("duration_days", "churned", *(c.name for c in covariates), *strata)
    digest = _inputs_digest(_landmark_of(frame), tuple(covariates), tuple(strata), *_frame_inputs(frame, columns))
    fitted: list[CoxResult] = []

    def models() -> list[CoxResult]:
        if not fitted:
            main, refits = cox_with_ph_refits(frame, covariates, strata)
            fitted.extend([main, *refits])
        return fitted

    summary = _keep(
        keep,
        "cox_models",
        digest,
        lambda _: pd.DataFrame(
            {
                "model": [str(r.hazard_ratios["model"].iloc[0]) if len(r.hazard_ratios) else "" for r in models()],
                "concordance": [r.concordance for r in models()],
                "events": [r.events for r in models()],
                "accounts": [r.accounts for r in models()],
                "strata": [json.dumps(list(r.strata)) for r in models()],
                "warnings": [json.dumps(list(r.warnings)) for r in models()],
            }
        ),
    )
    hazard_ratios = _keep(
        keep, "cox_hazard_ratios", digest, lambda _: pd.concat([r.hazard_ratios for r in models()], ignore_index=True)
    )
    ph_tests = _keep(
        keep, "cox_ph_tests", digest, lambda _: pd.concat([r.ph_test for r in models()], ignore_index=True)
    )
    results = [
        CoxResult(
            hazard_ratios[hazard_ratios["model"] == row.model].reset_index(drop=True),
            float(row.concordance),
            ph_tests[ph_tests["model"] == row.model].reset_index(drop=True),
            int(row.events),
            int(row.accounts),
            tuple(json.loads(row.strata)),
            tuple(json.loads(row.warnings)),
        )
        for row in summary.itertuples(index=False)
    ]
    return results[0], results[1:]


def describe_cox(result: CoxResult) -> str:
    """One sentence: the strongest significant hazard ratio, concordance and the PH check."""
    hr = result.hazard_ratios
    significant = hr[hr["p_holm"] < ALPHA]
    failing = result.ph_test.loc[result.ph_test["violates_ph"], "covariate"].tolist()
    if significant.empty:
        lead = "No covariate has a hazard ratio distinguishable from 1 after Holm's correction"
    else:
        top = significant.loc[(np.log(significant["hazard_ratio"]).abs()).idxmax()]
        lead = (
            f"Strongest signal: {user_text(top['label'].lower())} ({user_text(top['unit'])}) multiplies the churn hazard by "
            f"{top['hazard_ratio']:.2f} (95% CI {top['lower_95']:.2f}-{top['upper_95']:.2f})"
        )
    ph = (
        f"the proportional-hazards check flags {', '.join(failing)} (refit stratified below)"
        if failing
        else "no covariate fails the proportional-hazards check"
    )
    return f"{lead}; concordance {result.concordance:.2f} on {result.accounts:,} accounts and {result.events:,} churns; {ph}."
