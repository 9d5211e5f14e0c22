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

The data come from the SQL models ``int_account_spells`` (paid spells), ``int_day30_*``
and ``mart_account_day30`` (one row per landmark-cohort account); this module fits the
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
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import duckdb
import numpy as np
import pandas as pd

from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.narrative import user_text
from cskpi_analysis.quality import FIRST_VALUE, LeftOut, Sources, needs_any, sources
from cskpi_analysis.quality import describe_left_out as _describe_left_out
from cskpi_analysis.warehouse import DEFAULT_HORIZON_DAYS, DEFAULT_LANDMARK_DAYS, Reader, Warehouse, kept

__all__ = [
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

#: Strata of the Cox model: annual plans churn only at renewal, and segments have their
#: own base hazard, so neither is forced into one proportional baseline.
DEFAULT_STRATA: tuple[str, ...] = ("billing_period", "segment")
#: Small-sample thresholds (Peduzzi et al. 1996 for events per covariate).
MIN_EVENTS_PER_COVARIATE = 10
MIN_BAND_ACCOUNTS = 20
MIN_BAND_EVENTS = 5
ALPHA = 0.05

CovariateKind = Literal["binary", "continuous", "count"]


# --------------------------------------------------------------------------- registry


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


def feature_slug(feature: str) -> str:
    """A column-safe name for a feature (``"Saved views" -> "saved_views"``)."""
    return re.sub(r"[^0-9a-z]+", "_", feature.lower()).strip("_") or "feature"


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
    provided = Sources.of(frame)
    kept, left_out = [], []
    for covariate in chosen:
        reason = provided.needs(covariate.needs) or _constant_reason(frame, covariate)
        if reason:
            left_out.append(LeftOut(covariate.name, covariate.label, reason))
        else:
            kept.append(covariate)
    return tuple(kept), left_out


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


def describe_left_out(left_out: Sequence[LeftOut]) -> str:
    """The covariates left out, one sentence each (Markdown list), or a sentence that none is."""
    return _describe_left_out(left_out, "Every day-30 covariate has the data it needs and varies in the cohort.")


def nothing_to_fit(left_out: Sequence[LeftOut]) -> str:
    """One sentence when no covariate can be fitted: what data would enable one."""
    if not left_out:
        return "No day-30 covariate was chosen, so there is nothing to fit."
    return f"No day-30 covariate can be fitted on this data: it {needs_any(left_out, 'needs a covariate that varies')}."


# --------------------------------------------------------------------------- kept results


def _column_bytes(values: pd.Series | pd.Index) -> bytes:
    """The bytes a kept result depends on for one column (or index): its dtype and its values, in order."""
    if isinstance(values, pd.RangeIndex):
        return repr(("range", values.start, values.stop, values.step)).encode()
    dtype = values.dtype
    head = repr((getattr(values, "name", None), str(dtype))).encode()
    if isinstance(dtype, pd.CategoricalDtype):
        codes = values.cat.codes if isinstance(values, pd.Series) else values.codes
        return head + repr((list(dtype.categories), dtype.ordered)).encode() + np.asarray(codes).tobytes()
    if isinstance(dtype, np.dtype) and dtype.kind in "biufmM":
        return head + np.ascontiguousarray(values.to_numpy()).tobytes()
    return head + pd.util.hash_pandas_object(values, index=False).to_numpy().tobytes()


def _inputs_digest(*inputs: Any) -> str:
    """A short hash of everything a result is computed from: columns by their values, the rest by ``repr``."""
    digest = hashlib.blake2b(digest_size=10)
    for part in inputs:
        digest.update(b"\x1f")
        digest.update(_column_bytes(part) if isinstance(part, pd.Series | pd.Index) else repr(part).encode())
    return digest.hexdigest()


def _keep(keep: Reader | None, name: str, digest: str, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """``compute()``, kept beside the warehouse ``keep`` under ``digest``, that of its inputs (:func:`_inputs_digest`).

    The result is stored once per warehouse (:func:`cskpi_analysis.warehouse.kept`: keyed by the
    warehouse's fingerprint and this module's source) and under the digest of the columns and
    arguments it is computed from, so other data never reads it back. ``keep=None``: computed.
    """
    if keep is None:
        return compute()
    value = kept(keep, f"{name}_{digest}", lambda _: compute())
    return pd.DataFrame() if value.columns.empty else value.copy()


def _frame_inputs(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[Any, ...]:
    """The inputs of a kept result read from ``frame``: its index and the named columns it has."""
    return (frame.index, *(frame[c] for c in dict.fromkeys(columns) if c in frame.columns), tuple(columns))


def _behaviour_inputs(behaviour: Behaviour) -> tuple[Any, ...]:
    return (behaviour.name, behaviour.label, behaviour.covariate, behaviour.bands.index, behaviour.bands)


# --------------------------------------------------------------------------- data


def _landmark_of(frame: pd.DataFrame) -> int:
    if "landmark_days" in frame.attrs:
        return int(frame.attrs["landmark_days"])
    if "landmark_days" in frame.columns and len(frame):
        return int(frame["landmark_days"].iloc[0])
    return DEFAULT_LANDMARK_DAYS


def _horizon_of(frame: pd.DataFrame) -> int:
    if "horizon_days" in frame.attrs:
        return int(frame.attrs["horizon_days"])
    if "horizon_days" in frame.columns and len(frame):
        return int(frame["horizon_days"].iloc[0])
    return DEFAULT_HORIZON_DAYS


def survival_frame(
    wh: Warehouse,
    landmark_days: int = DEFAULT_LANDMARK_DAYS,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    *,
    config: Any = None,
) -> pd.DataFrame:
    """The landmark cohort: ``mart_account_day30`` plus derived analysis columns.

    One row per account paying on day ``landmark_days`` after its first paid day
    (landmark on or before ``as_of``). When the warehouse was built with another
    landmark or horizon, the frame is read from the warehouse for those parameters
    (:meth:`~cskpi_analysis.warehouse.Warehouse.with_parameters`: built once, beside the
    main one, then reused); the caller's warehouse is never changed.

    Added columns: ``adopted_<feature>`` / ``not_adopted_<feature>`` (one per key
    feature, from ``int_day30_key_features``), ``no_first_value`` (not
    ``reached_first_value``), ``low_csat`` (mean CSAT below 4; False when unrated),
    ``billing_period`` (``"annual"``, ``"monthly"`` or ``"<n> months"``) and
    ``start_month``. ``frame.attrs`` holds ``landmark_days``, ``horizon_days``,
    ``key_features`` and ``sources`` (what the folder provided, :func:`cskpi_analysis.quality.sources`:
    :func:`available_covariates` leaves out the covariates whose data are missing).

    Parameters
    ----------
    wh : the warehouse (:func:`cskpi_analysis.warehouse.open_warehouse`).
    landmark_days : the landmark :math:`L`, days after the first paid day.
    horizon_days : the horizon :math:`H` (365 = month 12), days after the first paid day.
    config : unused; the warehouse knows its config (kept for old callers).
    """
    if landmark_days < 1 or horizon_days <= landmark_days:
        raise AnalysisError(
            f"the landmark must be at least day 1 and before the horizon; got landmark {landmark_days}, "
            f"horizon {horizon_days} days"
        )
    source = wh.with_parameters(landmark_days=landmark_days, horizon_days=horizon_days)
    key_features = tuple(source.config.key_features)

    def compute(reader: Warehouse) -> pd.DataFrame:
        frame = reader.execute("select * from mart_account_day30 order by start_date, account_id").df()
        adoption = reader.execute("select account_id, feature, adopted from int_day30_key_features").df()
        return _derive(frame, adoption, key_features)

    # kept beside the warehouse of these parameters: a landmark seen once is read back, not derived again
    out = kept(source, f"survival_frame_{landmark_days}_{horizon_days}", compute).copy()
    out.attrs = {
        "landmark_days": landmark_days,
        "horizon_days": horizon_days,
        "key_features": key_features,
        "sources": sources(source).to_dict(),
    }
    return out


def _derive(frame: pd.DataFrame, adoption: pd.DataFrame, key_features: tuple[str, ...]) -> pd.DataFrame:
    """The analysis columns of the survival frame (see :func:`survival_frame`), without ``attrs``."""
    out = frame.copy()
    for feature in key_features:
        used = adoption.loc[(adoption["feature"] == feature) & adoption["adopted"].astype(bool), "account_id"]
        adopted = out["account_id"].isin(used)
        out[f"adopted_{feature_slug(feature)}"] = adopted
        out[f"not_adopted_{feature_slug(feature)}"] = ~adopted
    for column in ("reached_first_value", "churned", "observable_to_horizon"):
        out[column] = out[column].astype(bool)
    out["no_first_value"] = ~out["reached_first_value"]
    out["low_csat"] = out["mean_csat"].lt(4).fillna(False).astype(bool)
    months = out["billing_period_months"].fillna(1).astype(int)
    out["billing_period"] = np.select(
        [months == 12, months == 1], ["annual", "monthly"], months.astype(str) + " months"
    )
    out["start_month"] = pd.to_datetime(out["start_date"]).dt.to_period("M").dt.to_timestamp()
    for column in (
        "active_days",
        "features_used",
        "key_features_adopted",
        "active_users",
        "tickets_opened",
        "duration_days",
        "days_to_first_value_capped",
    ):
        out[column] = out[column].astype(float)
    return out


def landmark_cohort(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Who is in the landmark cohort and who is excluded, and why (counts).

    Rows: every account with a paid spell; excluded because it churned before the
    landmark (it could not complete the day-30 behaviour); excluded because its landmark
    is after ``as_of`` (too young); the cohort; of which observable to the horizon, churned
    by the horizon, and censored before the horizon (still paying at ``as_of``).
    """
    counts = con.execute(
        """
        select
            count(*) as accounts,
            count(case when exclusion_reason = 'churned before the landmark' then 1 end) as churned_before,
            count(case when exclusion_reason = 'landmark after as_of' then 1 end) as too_young,
            count(case when in_cohort then 1 end) as cohort
        from int_day30_landmarks
        """
    ).fetchone()
    outcome = con.execute(
        """
        select
            count(case when observable_to_horizon then 1 end),
            count(case when churned then 1 end),
            count(case when not churned and not observable_to_horizon then 1 end)
        from mart_account_day30
        """
    ).fetchone()
    assert counts is not None and outcome is not None
    rows = [
        ("Accounts with a paid subscription", counts[0], "all accounts that ever paid"),
        ("Excluded: churned before the landmark", counts[1], "not paying on the landmark day"),
        ("Excluded: landmark after as_of", counts[2], "too young to have reached the landmark"),
        ("Landmark cohort", counts[3], "paying on the landmark day; analysed"),
        ("  observable to the horizon", outcome[0], "first paid day + horizon on or before as_of"),
        ("  churned by the horizon", outcome[1], "first churn after the landmark, by the horizon"),
        ("  censored before the horizon", outcome[2], "still paying at as_of, younger than the horizon"),
    ]
    return pd.DataFrame(rows, columns=["group", "accounts", "meaning"])


def describe_cohort(cohort: pd.DataFrame, frame: pd.DataFrame) -> str:
    """One sentence on the cohort table of :func:`landmark_cohort`."""
    n = dict(zip(cohort["group"], cohort["accounts"], strict=True))
    total = n["Accounts with a paid subscription"] or 1
    return (
        f"{n['Landmark cohort']:,} of {total:,} paying accounts reached day {_landmark_of(frame)} and are analysed; "
        f"{n['Excluded: churned before the landmark']:,} churned before it and "
        f"{n['Excluded: landmark after as_of']:,} are too young. {n['  churned by the horizon']:,} churned by day "
        f"{_horizon_of(frame)}."
    )


# --------------------------------------------------------------------------- behaviours and KM


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
        return _keep(keep, "km_curves", _inputs_digest(*inputs), lambda: kaplan_meier_curves(frame, behaviour))
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
        return _keep(keep, "risk_at_horizon", _inputs_digest(*inputs), lambda: risk_at_horizon(frame, behaviour))
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


def logrank_tests(
    frame: pd.DataFrame, behaviour_list: Sequence[Behaviour], *, keep: Reader | None = None
) -> pd.DataFrame:
    r"""Log-rank test per behaviour, with Holm's correction across behaviours.

    The log-rank statistic compares observed and expected churns per band over all event
    times, :math:`\chi^2 = (O - E)^\top V^{-1} (O - E)` with :math:`k - 1` degrees of
    freedom for :math:`k` bands (lifelines ``multivariate_logrank_test``). Testing several
    behaviours inflates false positives; Holm's step-down adjustment (statsmodels
    ``multipletests``) controls the family-wise error rate at 5%.

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
        return _keep(keep, "logrank", _inputs_digest(*inputs), lambda: logrank_tests(frame, behaviour_list))
    from lifelines.statistics import multivariate_logrank_test
    from statsmodels.stats.multitest import multipletests

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
    out["p_holm"] = multipletests(out["p_value"], alpha=ALPHA, method="holm")[1]
    out["significant"] = out["p_holm"] < ALPHA
    return out


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


# --------------------------------------------------------------------------- Cox


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


def _design(frame: pd.DataFrame, covariates: Sequence[Covariate]) -> pd.DataFrame:
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
    from statsmodels.stats.multitest import multipletests

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
    hazard_ratios["p_holm"] = multipletests(hazard_ratios["p_value"], method="holm")[1]
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
        lambda: pd.DataFrame(
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
        keep, "cox_hazard_ratios", digest, lambda: pd.concat([r.hazard_ratios for r in models()], ignore_index=True)
    )
    ph_tests = _keep(keep, "cox_ph_tests", digest, lambda: pd.concat([r.ph_test for r in models()], ignore_index=True))
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


# --------------------------------------------------------------------------- logistic


def auc(y_true: np.ndarray | pd.Series, score: np.ndarray | pd.Series) -> float:
    r"""Area under the ROC curve by the Mann-Whitney rank formula.

    .. math:: \text{AUC} = \frac{R_1 - n_1(n_1 + 1)/2}{n_1 n_0}

    with :math:`R_1` the sum of the ranks (mid-ranks for ties) of the positives' scores.
    The probability that a random churner is scored above a random non-churner; the
    suite's one implementation is :func:`cskpi_analysis.indicators.concordance`.
    """
    # imported here: cskpi_analysis.indicators (scipy.stats) would add a second to opening a notebook
    from cskpi_analysis.indicators import concordance

    return concordance(score, y_true)


def brier_score(y_true: np.ndarray | pd.Series, probability: np.ndarray | pd.Series) -> float:
    r"""Mean squared error of predicted probabilities, :math:`\frac1n\sum_i (p_i - y_i)^2`."""
    y = np.asarray(y_true, dtype=float)
    return float(np.mean((np.asarray(probability, dtype=float) - y) ** 2))


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
    from statsmodels.stats.proportion import proportion_confint

    data = pd.DataFrame({"y": np.asarray(y_true, dtype=float), "p": np.asarray(probability, dtype=float)})
    data["decile"] = pd.qcut(data["p"].rank(method="first"), bins, labels=False) + 1
    grouped = data.groupby("decile").agg(accounts=("y", "size"), predicted=("p", "mean"), churned=("y", "sum"))
    grouped["observed"] = grouped["churned"] / grouped["accounts"]
    lower, upper = proportion_confint(grouped["churned"], grouped["accounts"], method="wilson")
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
    (:func:`auc`), Brier score (:func:`brier_score`) and calibration by decile; then an
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

    def statistics() -> pd.DataFrame:
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

    def calibrations() -> pd.DataFrame:
        parts = [model().calibration.assign(_sample="in sample")]
        if not model().out_of_time_calibration.empty:
            parts.append(model().out_of_time_calibration.assign(_sample="out of time"))
        return pd.concat(parts, ignore_index=True)

    summary = _keep(keep, "logistic_statistics", digest, statistics).iloc[0]
    odds = _keep(keep, "logistic_odds_ratios", digest, lambda: model().odds_ratios)
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


# --------------------------------------------------------------------------- time to first value


def ttfv_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Time to first value as a time-to-event outcome, one row per account with a paid spell.

    Columns: ``account_id``, ``segment``, ``ttfv_duration_days`` (days to first value, or
    to the first churn / ``as_of`` when not reached: censored), ``reached_value``.
    """
    return con.execute(
        """
        select
            first_value.account_id,
            accounts.segment,
            cast(first_value.ttfv_duration_days as double) as ttfv_duration_days,
            first_value.reached_value
        from int_day30_first_value as first_value
        inner join stg_accounts as accounts
            on accounts.account_id = first_value.account_id
        order by first_value.account_id
        """
    ).df()


_TTFV_COLUMNS = ("segment", "ttfv_duration_days", "reached_value")


def ttfv_curve(ttfv: pd.DataFrame, *, keep: Reader | None = None) -> pd.DataFrame:
    r"""Share of accounts that reached first value by day :math:`t`, per segment and overall.

    Kaplan-Meier on time to first value, accounts without value censored at their first
    churn or at ``as_of``: :math:`1 - \hat S(t)` is the share reached by day :math:`t`.

    Parameters
    ----------
    ttfv : :func:`ttfv_frame` output.
    keep : the warehouse ``ttfv`` was read from: the curve is kept beside it (under a digest of
        the columns it is computed from) and read back on the next call. None (default): computed.

    Returns
    -------
    DataFrame
        ``segment`` (and ``All``), ``day``, ``reached`` (share), ``lower_95``, ``upper_95``.
    """
    if keep is not None:
        digest = _inputs_digest(*_frame_inputs(ttfv, _TTFV_COLUMNS))
        return _keep(keep, "ttfv_curve", digest, lambda: ttfv_curve(ttfv))
    parts = []
    for segment, sub in [("All", ttfv), *sorted(ttfv.groupby("segment"))]:
        kmf = _kmf(sub["ttfv_duration_days"], sub["reached_value"], str(segment))
        ci = kmf.confidence_interval_survival_function_
        parts.append(
            pd.DataFrame(
                {
                    "segment": str(segment),
                    "day": kmf.survival_function_.index.to_numpy(dtype=float),
                    "reached": 1 - kmf.survival_function_.iloc[:, 0].to_numpy(),
                    "lower_95": 1 - ci.iloc[:, 1].to_numpy(),
                    "upper_95": 1 - ci.iloc[:, 0].to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def ttfv_quantiles(ttfv: pd.DataFrame, *, keep: Reader | None = None) -> pd.DataFrame:
    """Median and 90th percentile time to first value per segment (Kaplan-Meier), with 95% CIs.

    The p-th percentile is the first day where :math:`1 - \\hat S(t) \\ge p`; its interval is
    read off the pointwise band (lifelines ``qth_survival_times``). ``inf`` means the
    share never reaches p in the follow-up (e.g. 10% never reach value).

    Parameters
    ----------
    ttfv : :func:`ttfv_frame` output.
    keep : the warehouse ``ttfv`` was read from: the table is kept beside it (under a digest of
        the columns it is computed from) and read back on the next call. None (default): computed.

    Returns
    -------
    DataFrame
        ``segment``, ``accounts``, ``reached``, ``median_days``, ``median_lower_95``,
        ``median_upper_95``, ``p90_days``, ``p90_lower_95``, ``p90_upper_95``.
    """
    if keep is not None:
        digest = _inputs_digest(*_frame_inputs(ttfv, _TTFV_COLUMNS))
        return _keep(keep, "ttfv_quantiles", digest, lambda: ttfv_quantiles(ttfv))
    from lifelines.utils import qth_survival_times

    rows = []
    for segment, sub in [("All", ttfv), *sorted(ttfv.groupby("segment"))]:
        kmf = _kmf(sub["ttfv_duration_days"], sub["reached_value"], str(segment))
        ci = kmf.confidence_interval_survival_function_
        row: dict[str, Any] = {
            "segment": str(segment),
            "accounts": len(sub),
            "reached": int(sub["reached_value"].sum()),
        }
        for name, q in (("median", 0.5), ("p90", 0.1)):
            bounds = qth_survival_times(q, ci)
            row[f"{name}_days"] = float(qth_survival_times(q, kmf.survival_function_))
            # the upper survival band reaches q later: it bounds the percentile from above
            row[f"{name}_lower_95"] = float(np.asarray(bounds).ravel()[0])
            row[f"{name}_upper_95"] = float(np.asarray(bounds).ravel()[1])
        rows.append(row)
    return pd.DataFrame(rows)


def describe_ttfv(quantiles: pd.DataFrame) -> str:
    """One sentence on the overall median and p90 time to first value."""
    overall = quantiles.loc[quantiles["segment"] == "All"].iloc[0]

    def days(x: float) -> str:
        return "not reached in the follow-up" if not np.isfinite(x) else f"{x:.0f} days"

    slowest = quantiles.loc[quantiles["segment"] != "All"].sort_values("median_days").iloc[-1:]
    p90 = overall["p90_days"]
    text = (
        f"Half of the accounts reach first value by {days(overall['median_days'])} "
        f"(95% CI {overall['median_lower_95']:.0f}-{overall['median_upper_95']:.0f}); "
        + (f"90% by {p90:.0f} days" if np.isfinite(p90) else "fewer than 90% ever reach it in the follow-up")
    )
    if not slowest.empty:
        text += f"; slowest segment: {user_text(slowest['segment'].iloc[0])} (median {days(slowest['median_days'].iloc[0])})"
    return text + "."


# --------------------------------------------------------------------------- verdicts


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

    frame = con.execute(
        """
        select
            spells.account_id,
            accounts.segment,
            date_diff('day', spells.spell_start_date, coalesce(spells.spell_end_date, cast($as_of as date))) as days,
            case when spells.spell_end_date is null then 0 else 1 end as churned
        from int_account_spells as spells
        inner join stg_accounts as accounts on accounts.account_id = spells.account_id
        where spells.spell_number = 1
        """,
        {"as_of": as_of},
    ).df()
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
