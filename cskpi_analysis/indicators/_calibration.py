"""Is the vendor health score calibrated? Observed churn by score band, a reliability curve, a backtest against a refit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.indicators._frame import _observed, _sources_of, shared_frame
from cskpi_analysis.indicators._refit import RefitModel, fit_refit_model
from cskpi_analysis.indicators._registry import HEALTH_BANDS, outcome_column
from cskpi_analysis.stats import (
    average_ranks,
    brier_score,
    concordance,
    risk_deciles,
    spearman,
    top_decile_lift,
    wilson_interval,
)
from cskpi_analysis.warehouse import Warehouse


def health_score_bands(
    frame: pd.DataFrame, horizon: int = 3, bands: Literal["fixed", "deciles"] = "fixed", outcome: str = "churn"
) -> pd.DataFrame:
    """Observed outcome rate by vendor health-score band, lowest score first.

    ``bands="fixed"`` uses :data:`HEALTH_BANDS` (0-20 ... 80-100); ``"deciles"`` uses the
    score's deciles over the observable rows (tied scores share a decile).

    Returns
    -------
    pandas.DataFrame
        ``band``, ``band_order`` (1 = lowest score), ``score_low``, ``score_high`` (observed
        range), ``n_rows``, ``n_events``, ``rate``, ``low``, ``high`` (Wilson 95%).
        Empty bands are dropped.
    """
    column = outcome_column(outcome, horizon)
    rows = _observed(frame, ["health_score"], column)
    score = rows["health_score"].to_numpy(dtype=float)
    if bands == "fixed":
        edges = [b[1] for b in HEALTH_BANDS][1:]
        order = np.searchsorted(edges, score, side="right") + 1
        labels = {i + 1: b[0] for i, b in enumerate(HEALTH_BANDS)}
    elif bands == "deciles":
        order = risk_deciles(score)
        labels = {i: f"decile {i}" for i in range(1, 11)}
    else:
        raise AnalysisError(f"bands must be 'fixed' or 'deciles', got {bands!r}")
    grouped = (
        pd.DataFrame({"band_order": order, "score": score, "event": rows[column].to_numpy(dtype=float)})
        .groupby("band_order")
        .agg(
            score_low=("score", "min"), score_high=("score", "max"), n_rows=("event", "size"), n_events=("event", "sum")
        )
        .reset_index()
    )
    grouped["band"] = grouped["band_order"].map(labels)
    grouped["rate"] = grouped["n_events"] / grouped["n_rows"]
    intervals = [wilson_interval(e, n) for e, n in zip(grouped["n_events"], grouped["n_rows"], strict=True)]
    grouped["low"] = [i[0] for i in intervals]
    grouped["high"] = [i[1] for i in intervals]
    grouped["n_events"] = grouped["n_events"].astype(int)
    return grouped[["band", "band_order", "score_low", "score_high", "n_rows", "n_events", "rate", "low", "high"]]


@dataclass(frozen=True)
class BandMonotonicity:
    """How well a score's bands order the observed risk.

    Attributes
    ----------
    spearman : rank correlation of band order and observed rate (-1 = risk falls
        perfectly as the score rises).
    inversions : adjacent bands where the observed rate rises with the score.
    separated_pairs : adjacent bands whose Wilson intervals do not overlap.
    pairs : adjacent band pairs.
    ratio_lowest_to_highest : observed rate in the lowest band / in the highest band.
    """

    spearman: float
    inversions: int
    separated_pairs: int
    pairs: int
    ratio_lowest_to_highest: float

    @property
    def is_monotonic(self) -> bool:
        return self.inversions == 0


def band_monotonicity(bands: pd.DataFrame) -> BandMonotonicity:
    """Monotonicity and separation of :func:`health_score_bands` (risk should fall as the score rises)."""
    ordered = bands.sort_values("band_order")
    rate = ordered["rate"].to_numpy(dtype=float)
    low, high = ordered["low"].to_numpy(dtype=float), ordered["high"].to_numpy(dtype=float)
    rho = spearman(ordered["band_order"], rate) if len(rate) > 2 else float("nan")
    inversions = int((np.diff(rate) > 0).sum())
    separated = int(((high[1:] < low[:-1]) | (low[1:] > high[:-1])).sum())
    ratio = float(rate[0] / rate[-1]) if len(rate) and rate[-1] > 0 else float("inf")
    return BandMonotonicity(rho, inversions, separated, max(len(rate) - 1, 0), ratio)


def _health_scored(frame: pd.DataFrame) -> pd.DataFrame:
    """The account-months with a vendor health score; a plain error when there is none at all."""
    scored = frame.dropna(subset=["health_score"])
    if scored.empty:
        reason = _sources_of(frame).needs(("health_scores",)) or "needs health scores dated in a paying month"
        raise AnalysisError(f"no account-month has a vendor health score: the calibration {reason}")
    return scored


def _time_split(frame: pd.DataFrame, column: str, horizon: int, test_months: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training rows whose outcome window ends before the test months start, and test rows."""
    rows = frame.dropna(subset=[column])
    if rows.empty:
        raise AnalysisError(f"no account-month has an observable {column} yet")
    last = int(rows["month_index"].max())
    test_start = last - test_months + 1
    test = rows[rows["month_index"] >= test_start]
    train = rows[rows["month_index"] + horizon < test_start]
    if train[column].sum() < 10 or test[column].sum() < 5:
        raise AnalysisError(
            f"too few events to backtest {column}: {int(train[column].sum())} in training, "
            f"{int(test[column].sum())} in the last {test_months} months"
        )
    return train, test


def _score_model(frame: pd.DataFrame, horizon: int) -> RefitModel:
    """Logistic recalibration of the vendor score: ``logit P(churn) = a + b * score``."""
    return fit_refit_model(frame.dropna(subset=["health_score"]), horizon, ("health_score",))


def reliability_curve(frame: pd.DataFrame, horizon: int = 3, test_months: int = 6, bins: int = 10) -> pd.DataFrame:
    """Predicted vs observed churn of the vendor score, recalibrated on earlier months.

    The score is mapped to a churn probability by a logistic fit on the training months
    (see :func:`refit_comparison` for the split); the held-out rows are grouped in
    ``bins`` quantile bins of predicted risk.

    Returns
    -------
    pandas.DataFrame
        ``bin``, ``predicted`` (mean predicted risk), ``observed`` (churn rate), ``low``,
        ``high`` (Wilson 95%), ``n_rows``, ``score_low``, ``score_high``.
    """
    column = outcome_column("churn", horizon)
    scored = _health_scored(frame)
    train, test = _time_split(scored, column, horizon, test_months)
    model = _score_model(train, horizon)
    predicted = model.predict(test)
    bin_of = np.clip(np.ceil(bins * average_ranks(predicted) / len(predicted) - 1e-9), 1, bins)
    table = (
        pd.DataFrame(
            {
                "bin": bin_of.astype(int),
                "predicted": predicted,
                "event": test[column].to_numpy(dtype=float),
                "score": test["health_score"].to_numpy(dtype=float),
            }
        )
        .groupby("bin")
        .agg(
            predicted=("predicted", "mean"),
            observed=("event", "mean"),
            n_events=("event", "sum"),
            n_rows=("event", "size"),
            score_low=("score", "min"),
            score_high=("score", "max"),
        )
        .reset_index()
    )
    intervals = [wilson_interval(e, n) for e, n in zip(table["n_events"], table["n_rows"], strict=True)]
    table["low"] = [i[0] for i in intervals]
    table["high"] = [i[1] for i in intervals]
    return table[["bin", "predicted", "observed", "low", "high", "n_rows", "score_low", "score_high"]]


def refit_comparison(frame: pd.DataFrame, horizon: int = 3, test_months: int = 6) -> pd.DataFrame:
    """Is the vendor score better than a simple refit on our own data? A time-ordered backtest.

    Test rows: the last ``test_months`` months whose ``horizon`` is observable. Training
    rows: earlier months whose outcome window closes before the test months start. Both
    models are logistic and fitted on the training rows only: the vendor score alone
    (recalibrated) and :data:`REFIT_FEATURES` (no vendor score). Compared on the test rows
    that have a vendor score, so both face the same accounts.

    Returns
    -------
    pandas.DataFrame
        One row per model: ``model``, ``auc``, ``brier`` (mean squared error of the
        probability, lower is better), ``lift`` (top decile), ``n_train``, ``n_test``,
        ``n_test_events``.
    """
    column = outcome_column("churn", horizon)
    scored = _health_scored(frame)
    train, test = _time_split(scored, column, horizon, test_months)
    y = test[column].to_numpy(dtype=float)
    models = {
        "Vendor health score (recalibrated)": _score_model(train, horizon),
        "Refit on our own indicators": fit_refit_model(train, horizon),
    }
    records = []
    for name, model in models.items():
        p = model.predict(test)
        records.append(
            {
                "model": name,
                "auc": concordance(p, y),
                "brier": brier_score(y, p),
                "lift": top_decile_lift(p, y),
                "n_train": len(train),
                "n_test": len(test),
                "n_test_events": int(y.sum()),
            }
        )
    return pd.DataFrame(records)


def health_score_calibration(wh: Warehouse, horizon: int = 3) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """:func:`health_score_bands`, :func:`reliability_curve` and :func:`refit_comparison` of the warehouse.

    Each is computed once per warehouse (from one :func:`indicator_frame`) and kept beside it
    (:meth:`~cskpi_analysis.warehouse.Warehouse.cached`). Needs health scores (see
    :func:`sections_left_out`): without them :class:`AnalysisError`, as the functions it reads.

    Returns
    -------
    (bands, reliability, comparison)
    """
    frames: list[pd.DataFrame] = []  # the mart, read at most once whatever has to be computed

    def on_frame(function: Callable[..., pd.DataFrame]) -> Callable[[Warehouse], pd.DataFrame]:
        def compute(wh: Warehouse) -> pd.DataFrame:
            if not frames:
                frames.append(shared_frame(wh))
            return function(frames[0], horizon=horizon)

        return compute

    return (
        wh.cached(f"health_score_bands_{horizon}m", on_frame(health_score_bands)),
        wh.cached(f"reliability_curve_{horizon}m", on_frame(reliability_curve)),
        wh.cached(f"refit_comparison_{horizon}m", on_frame(refit_comparison)),
    )


def calibration_sentence(bands: pd.DataFrame, comparison: pd.DataFrame, horizon: int = 3) -> str:
    """The verdict on the vendor score: ordered or not, and better than a refit or not."""
    summary = band_monotonicity(bands)
    ordered = bands.sort_values("band_order")
    low_band, high_band = ordered.iloc[0], ordered.iloc[-1]
    order_text = (
        "falls steadily as the score rises"
        if summary.inversions == 0
        else f"mostly falls as the score rises ({summary.inversions} inversion{'s' if summary.inversions > 1 else ''})"
        if summary.spearman < -0.5
        else "does not follow the score"
    )
    text = (
        f"Observed churn within {horizon} months {order_text}: {low_band['rate']:.1%} in the {low_band['band']} band "
        f"against {high_band['rate']:.1%} in the {high_band['band']} band "
        f"({summary.separated_pairs} of {summary.pairs} neighbouring bands clearly apart)."
    )
    if not comparison.empty:
        vendor, refit = comparison.iloc[0], comparison.iloc[1]
        better = refit["auc"] > vendor["auc"] + 0.01
        worse = refit["auc"] < vendor["auc"] - 0.01
        verdict = (
            "a simple refit on our own indicators beats it"
            if better
            else "it beats a simple refit on our own indicators"
            if worse
            else "a simple refit on our own indicators does about as well"
        )
        text += (
            f" On the last months, held out, {verdict} (AUC {refit['auc']:.2f} vs {vendor['auc']:.2f}, "
            f"Brier {refit['brier']:.3f} vs {vendor['brier']:.3f})."
        )
    return text
