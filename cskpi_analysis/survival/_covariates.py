"""The registry of day-30 covariates: what each measures, when its window ends, what data it needs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.quality import FIRST_VALUE, LeftOut, Sources, needs_any, sources
from cskpi_analysis.quality import describe_left_out as _describe_left_out
from cskpi_analysis.survival._frame import _landmark_of, feature_slug, survival_frame
from cskpi_analysis.warehouse import Reader, Warehouse

#: The level of every test of the analysis (log-rank, Cox, proportional hazards, verdicts).
ALPHA = 0.05

CovariateKind = Literal["binary", "continuous", "count"]


@dataclass(frozen=True)
class Covariate:
    """A day-30 covariate, declared with its observation window.

    Attributes
    ----------
    name : column of the survival frame.
    label : what it means, in business language ("Did not use automations by day 30").
    description : how it is measured.
    window_end_days : day (after the first paid day) on which its observation window
        ends; ``math.inf`` for a quantity that keeps changing ("ever adopted"). It must
        not exceed the landmark (see :func:`check_observation_windows`).
    kind : ``binary``, ``continuous`` or ``count``.
    unit : the unit one hazard/odds ratio refers to ("5 active days"); for binary
        covariates, the comparison ("yes vs no").
    per : the ratio is reported per ``per`` units of the column (coefficient x per).
    needs : the source data it is measured from, as :class:`cskpi_analysis.quality.Sources`
        requirements (``"usage_events"``, ``"support_tickets.csat"``, ``"first_value"``); without
        them the covariate is left out (:func:`available_covariates`).
    """

    name: str
    label: str
    description: str
    window_end_days: float
    kind: CovariateKind
    unit: str
    per: float = 1.0
    needs: tuple[str, ...] = ()


def check_observation_windows(covariates: Sequence[Covariate], landmark_days: int) -> None:
    """Refuse covariates observed after the landmark (the immortal-time guard).

    A covariate whose observation window ends after day :math:`L` uses information
    from the follow-up period: accounts that survive longer have more time to adopt a
    feature or reach value, so "ever adopted" looks protective even if it does nothing
    (immortal-time bias, Suissa 2008). Only windows ending on or before :math:`L` are
    allowed.

    Raises
    ------
    AnalysisError
        Naming every offending covariate and its window end.
    """
    late = [c for c in covariates if not c.window_end_days <= landmark_days]
    if late:
        names = ", ".join(f"{c.name!r} (window ends on day {c.window_end_days:g})" for c in late)
        raise AnalysisError(
            f"covariate(s) {names} are observed after the landmark (day {landmark_days}): "
            "using them would bias the analysis (immortal time). Measure them in the first "
            f"{landmark_days} days only, e.g. cap time to first value at the landmark."
        )


def default_covariates(frame: pd.DataFrame) -> tuple[Covariate, ...]:
    """The registry of day-30 covariates for a survival frame.

    Risk flags point towards churn (a hazard ratio above 1 means more churn), so
    ``not_adopted_<feature>`` and ``no_first_value`` read as risk factors. Continuous
    covariates are reported on interpretable units: per 5 active days, per ticket.
    """
    landmark = _landmark_of(frame)
    covariates = [
        Covariate(
            f"not_adopted_{feature_slug(feature)}",
            f"Did not use {feature} by day {landmark}",
            f"no '{feature}' usage event in days [0, {landmark})",
            landmark,
            "binary",
            "not used vs used",
            needs=("usage_events",),
        )
        for feature in frame.attrs.get("key_features", ())
    ]
    covariates += [
        Covariate(
            "no_first_value",
            f"No first value by day {landmark}",
            f"first value milestone not reached in days [0, {landmark})",
            landmark,
            "binary",
            "not reached vs reached",
            needs=(FIRST_VALUE,),
        ),
        Covariate(
            "active_days",
            f"Active days by day {landmark}",
            f"distinct days with a usage event in days [0, {landmark})",
            landmark,
            "count",
            "5 more active days",
            per=5.0,
            needs=("usage_events",),
        ),
        Covariate(
            "tickets_opened",
            "Support tickets opened early",
            f"support tickets opened in days [0, {landmark})",
            landmark,
            "count",
            "1 more ticket",
            needs=("support_tickets",),
        ),
        Covariate(
            "low_csat",
            "Rated support below 4/5 early",
            f"mean CSAT below 4 on tickets opened and resolved in days [0, {landmark})",
            landmark,
            "binary",
            "rated below 4 vs not",
            needs=("support_tickets.csat",),
        ),
    ]
    return tuple(covariates)


def select_covariates(registry: Sequence[Covariate], names: Sequence[str]) -> tuple[Covariate, ...]:
    """The covariates of ``registry`` named in ``names``, in that order.

    Raises
    ------
    AnalysisError
        A name is not in the registry (the message lists the valid names), or no name is given.
    """
    by_name = {c.name: c for c in registry}
    wanted = list(dict.fromkeys(n.strip() for n in names if n.strip()))
    unknown = [n for n in wanted if n not in by_name]
    if unknown or not wanted:
        given = f"unknown covariate(s) {', '.join(unknown)}" if unknown else "no covariate given"
        raise AnalysisError(f"{given}; choose from {', '.join(by_name)}")
    return tuple(by_name[n] for n in wanted)


def available_covariates(
    data: pd.DataFrame | Warehouse, names: Sequence[str] | None = None
) -> tuple[tuple[Covariate, ...], list[LeftOut]]:
    """The covariates that can be fitted on this data, and those left out with what would enable them.

    A covariate of the registry (:func:`default_covariates`, or the ones in ``names``) is left
    out when the data it is measured from are missing (its ``needs``: an optional table without
    rows, a column without values, no first value under the configured rule) or when it does not
    vary in the landmark cohort (a constant carries no information, and the Cox fit would fail).
    Never a tenure proxy: without first-value data, ``no_first_value`` is left out.

    Parameters
    ----------
    data : a survival frame (:func:`survival_frame`; its ``attrs["sources"]`` say what the folder
        provided; without them every source is assumed present) or a warehouse.
    names : the covariates to consider (default: the whole registry).

    Returns
    -------
    (kept, left_out)
        The fittable covariates in registry (or ``names``) order, and one
        :class:`~cskpi_analysis.quality.LeftOut` per covariate left out (``sentence`` is e.g.
        "Active days by day 30: left out — needs usage_events.").

    Raises
    ------
    AnalysisError
        ``names`` holds a name that is not a covariate (the message lists the valid names).
    """
    frame = data if isinstance(data, pd.DataFrame) else survival_frame(data)
    registry = default_covariates(frame)
    chosen = registry if names is None else select_covariates(registry, names)
    return Sources.of(frame).split(
        chosen,
        lambda covariate: (covariate.name, covariate.label),
        lambda covariate: _constant_reason(frame, covariate),
    )


def _constant_reason(frame: pd.DataFrame, covariate: Covariate) -> str | None:
    """Why a covariate carries no information in the cohort, or None when it varies."""
    if frame.empty:
        return "needs accounts in the landmark cohort (none has reached the landmark yet)"
    if covariate.name not in frame.columns:
        return "is not measured in this survival frame"
    values = frame[covariate.name]
    if values.nunique(dropna=False) >= 2:
        return None
    value = values.iloc[0]
    shown = ("yes" if bool(value) else "no") if covariate.kind == "binary" else f"{float(value):g}"
    return f"does not vary in the cohort (all {len(frame):,} accounts: {shown})"


def first_value_left_out(data: pd.DataFrame | Reader) -> LeftOut | None:
    """Time to first value left out, with what would enable it; None when some account reached value.

    Without a first value (no milestones, no milestone of the configured name, or a
    ``first_value_event`` that never occurs), a "time to first value" would only be tenure.

    Parameters
    ----------
    data : a survival frame (what its ``attrs["sources"]`` say) or the warehouse itself. First value
        does not depend on the landmark, so a notebook can ask the warehouse and leave its time to
        first value alone when the landmark changes.
    """
    provided = Sources.of(data) if isinstance(data, pd.DataFrame) else sources(data)
    reason = provided.needs((FIRST_VALUE,))
    return LeftOut("time_to_first_value", "Time to first value", reason) if reason else None


def _design(frame: pd.DataFrame, covariates: Sequence[Covariate]) -> pd.DataFrame:
    """The covariates as model columns (the Cox and logistic designs), each divided by its ``per``.

    Raises
    ------
    AnalysisError
        A covariate is not a column of the frame, or has missing values.
    """
    data = pd.DataFrame(index=frame.index)
    for c in covariates:
        if c.name not in frame.columns:
            raise AnalysisError(f"covariate {c.name!r} is not a column of the survival frame")
        values = frame[c.name].astype(float)
        if values.isna().any():
            raise AnalysisError(
                f"covariate {c.name!r} has {int(values.isna().sum())} missing value(s): "
                "derive a complete covariate (e.g. a flag) before modelling"
            )
        data[c.name] = values / c.per
    return data


def describe_left_out(left_out: Sequence[LeftOut]) -> str:
    """The covariates left out, one sentence each (Markdown list), or a sentence that none is."""
    return _describe_left_out(left_out, "Every day-30 covariate has the data it needs and varies in the cohort.")


def nothing_to_fit(left_out: Sequence[LeftOut]) -> str:
    """One sentence when no covariate can be fitted: what data would enable one."""
    if not left_out:
        return "No day-30 covariate was chosen, so there is nothing to fit."
    return f"No day-30 covariate can be fitted on this data: it {needs_any(left_out, 'needs a covariate that varies')}."
