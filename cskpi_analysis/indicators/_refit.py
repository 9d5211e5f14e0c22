"""The refit model: a logistic churn model on our own indicators (the vendor health score is not one of them)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cskpi_analysis.indicators._frame import refit_features
from cskpi_analysis.indicators._registry import outcome_column


def _logistic(x_train: np.ndarray, y_train: np.ndarray):  # noqa: ANN202 - statsmodels results object
    import statsmodels.api as sm

    design = sm.add_constant(x_train, has_constant="add")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return sm.Logit(y_train, design).fit(disp=0, maxiter=200)
        except Exception:  # perfect separation or singular matrix: a lightly penalised fit
            return sm.Logit(y_train, design).fit_regularized(disp=0, alpha=1.0)


@dataclass(frozen=True)
class RefitModel:
    """A logistic churn model on our own indicators (see :func:`fit_refit_model`)."""

    features: tuple[str, ...]
    fill: dict[str, float]
    center: dict[str, float]
    scale: dict[str, float]
    params: np.ndarray
    horizon: int

    def design(self, frame: pd.DataFrame) -> np.ndarray:
        """Standardised features, missing values filled with the training mean, plus missing flags."""
        columns = []
        for feature in self.features:
            values = frame[feature].to_numpy(dtype=float)
            if feature in ("days_to_first_value", "tickets_90d", "median_first_response_hours"):
                values = np.log1p(np.clip(values, 0, None))
            missing = np.isnan(values)
            values = np.where(missing, self.fill[feature], values)
            columns.append((values - self.center[feature]) / self.scale[feature])
            if f"{feature}__missing" in self.center:
                columns.append(missing.astype(float))
        return np.column_stack(columns) if columns else np.empty((len(frame), 0))

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Predicted probability of churn within :attr:`horizon` months."""
        design = self.design(frame)
        linear = self.params[0] + design @ self.params[1:]
        return 1 / (1 + np.exp(-linear))


def fit_refit_model(frame: pd.DataFrame, horizon: int = 3, features: Sequence[str] | None = None) -> RefitModel:
    """Fit ``logit P(churn within horizon) = b0 + sum_j b_j x_j`` on the observable rows of ``frame``.

    Features (default: :func:`refit_features`, the :data:`REFIT_FEATURES` the data support) are
    standardised (``days_to_first_value``, ``tickets_90d`` after ``log1p``); a feature with
    missing values is filled with its training mean and gets a missing flag. Features with no
    variance are dropped.
    """
    if features is None:
        features = refit_features(frame)
    column = outcome_column("churn", horizon)
    rows = frame.dropna(subset=[column])
    fill, center, scale, kept = {}, {}, {}, []
    for feature in features:
        values = rows[feature].to_numpy(dtype=float)
        if feature in ("days_to_first_value", "tickets_90d", "median_first_response_hours"):
            values = np.log1p(np.clip(values, 0, None))
        known = values[~np.isnan(values)]
        if len(known) < 2 or known.std() == 0:
            continue
        kept.append(feature)
        fill[feature] = center[feature] = float(known.mean())
        scale[feature] = float(known.std())
        if np.isnan(values).any():
            center[f"{feature}__missing"] = 0.0
    model = RefitModel(tuple(kept), fill, center, scale, np.zeros(1), horizon)
    result = _logistic(model.design(rows), rows[column].to_numpy(dtype=float))
    return RefitModel(tuple(kept), fill, center, scale, np.asarray(result.params, dtype=float), horizon)
