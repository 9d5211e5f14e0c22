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
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Literal

import duckdb
import numpy as np
import pandas as pd

from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.narrative import user_text
from cskpi_analysis.quality import (
    FIRST_VALUE,
    KEY_FEATURES,
    LeftOut,
    Sources,
    describe_left_out,
    needs_any,
    sources,
)
from cskpi_analysis.warehouse import Warehouse

if TYPE_CHECKING:
    from scipy import sparse


def _scipy_stats() -> ModuleType:
    """``scipy.stats``, imported when a statistic is computed (it takes about a second to import)."""
    from scipy import stats

    return stats


__all__ = [
    "HORIZONS",
    "INDICATORS",
    "OUTCOMES",
    "SEED",
    "BandMonotonicity",
    "EffortConfounding",
    "Indicator",
    "at_risk_worklist",
    "available_indicators",
    "portfolio_risk",
    "worklist",
    "band_monotonicity",
    "calibration_sentence",
    "concordance",
    "coverage_sentence",
    "effort_by_health_band",
    "effort_comparison",
    "effort_confounding",
    "effort_sentence",
    "describe_indicators_left_out",
    "event_aligned_curves",
    "fit_refit_model",
    "health_score_bands",
    "health_score_calibration",
    "indicator",
    "indicator_frame",
    "indicator_curves",
    "indicator_outcome_matrix",
    "lead_indicator_choice",
    "lead_time_months",
    "lead_time_sentence",
    "lead_time_curves",
    "lead_time_table",
    "lead_times_from_curves",
    "moves_from_months",
    "outcome_matrix",
    "matrix_sentence",
    "portfolio_coverage",
    "refit_comparison",
    "refit_features",
    "reliability_curve",
    "risk_deciles",
    "sections_left_out",
    "top_decile_lift",
    "wilson_interval",
    "worklist_sentence",
]

#: The one seed of the bootstraps.
SEED = 20260930
#: Outcome horizons of the mart, in months.
HORIZONS: tuple[int, ...] = (3, 6, 12)
#: Outcomes of the mart; churn and contraction are adverse, expansion is good.
OUTCOMES: tuple[str, ...] = ("churn", "contraction", "expansion")
_ADVERSE = {"churn": True, "contraction": True, "expansion": False}

Kind = Literal["leading", "effort"]
Direction = Literal["healthier", "riskier"]


@dataclass(frozen=True)
class Indicator:
    """One indicator of ``mart_indicator_outcomes``.

    Attributes
    ----------
    id : column of the mart.
    label : name in business language.
    kind : ``"leading"`` (the customer's behaviour or sentiment) or ``"effort"`` (what CS did).
    higher_is : what a higher value is expected to mean: ``"healthier"`` or ``"riskier"``.
    unit : unit of the value.
    window : the period the value is measured over.
    claim : the seed claim the indicator tests.
    needs : the source data it is measured from, as :class:`cskpi_analysis.quality.Sources`
        requirements; without them it is left out (:func:`available_indicators`).
    """

    id: str
    label: str
    kind: Kind
    higher_is: Direction
    unit: str
    window: str
    claim: str
    needs: tuple[str, ...] = ()


_SEED_001 = "seed 001: leading indicators (health, adoption, time-to-value) are where CS can still act"
_SEED_003_TTFV = "seed 003: time to first value predicts churn better than most health scores"
_SEED_003_HEALTH = "seed 003: an uncalibrated health score is an opinion dressed up as a number"
_SEED_003_NPS = "seed 003: NPS and CSAT are diagnostic inputs, not core KPIs"
_SEED_003_EFFORT = "seed 003: activity metrics (check-ins, QBRs) measure effort, not outcomes"

#: The registry of indicators, in reporting order.
INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "health_score",
        "Vendor health score",
        "leading",
        "healthier",
        "points (0-100)",
        "latest score in the month",
        _SEED_003_HEALTH,
        needs=("health_scores",),
    ),
    Indicator(
        "key_feature_adoption",
        "Key-feature adoption",
        "leading",
        "healthier",
        "share of key features",
        "month",
        "seed 001: adoption of key features, not raw logins",
        needs=("usage_events", KEY_FEATURES),
    ),
    Indicator("active_days", "Active days", "leading", "healthier", "days", "month", _SEED_001, ("usage_events",)),
    Indicator(
        "active_users", "Active users", "leading", "healthier", "users", "month", _SEED_001, ("usage_events.user_id",)
    ),
    Indicator(
        "feature_breadth",
        "Feature breadth",
        "leading",
        "healthier",
        "distinct features",
        "month",
        "seed 001: an account using only the surface of the product stays fragile",
        needs=("usage_events",),
    ),
    Indicator(
        "active_days_change_3m",
        "Usage trend (active days vs 3 months before)",
        "leading",
        "healthier",
        "days",
        "month vs month - 3",
        _SEED_001,
        needs=("usage_events",),
    ),
    Indicator(
        "days_to_first_value",
        "Days to first value",
        "leading",
        "riskier",
        "days",
        "since the first paid day (so far, if not reached)",
        _SEED_003_TTFV,
        needs=(FIRST_VALUE,),
    ),
    Indicator(
        "latest_nps",
        "Latest NPS response",
        "leading",
        "healthier",
        "score (0-10)",
        "365 days",
        _SEED_003_NPS,
        needs=("nps_responses",),
    ),
    Indicator(
        "mean_csat_90d",
        "Mean CSAT",
        "leading",
        "healthier",
        "rating (1-5)",
        "90 days",
        _SEED_003_NPS,
        needs=("support_tickets.csat",),
    ),
    Indicator(
        "tickets_90d",
        "Support tickets",
        "leading",
        "riskier",
        "tickets",
        "90 days",
        "support volume is a common health-score input",
        needs=("support_tickets",),
    ),
    Indicator(
        "median_first_response_hours",
        "Median first response time",
        "leading",
        "riskier",
        "hours",
        "90 days",
        "support responsiveness is a common health-score input",
        needs=("support_tickets.first_response_at",),
    ),
    Indicator(
        "check_ins", "CS check-ins", "effort", "healthier", "check-ins", "month", _SEED_003_EFFORT, ("cs_activities",)
    ),
    Indicator("qbrs", "QBRs", "effort", "healthier", "QBRs", "month", _SEED_003_EFFORT, ("cs_activities",)),
)
_BY_ID = {item.id: item for item in INDICATORS}

#: Fixed health-score bands: (label, lower bound inclusive, upper bound exclusive; the last includes 100).
HEALTH_BANDS: tuple[tuple[str, float, float], ...] = (
    ("0-20", 0.0, 20.0),
    ("20-40", 20.0, 40.0),
    ("40-60", 40.0, 60.0),
    ("60-80", 60.0, 80.0),
    ("80-100", 80.0, 100.0),
)

#: Components of the refit model (the vendor score is deliberately not one of them).
REFIT_FEATURES: tuple[str, ...] = (
    "key_feature_adoption",
    "active_days",
    "active_days_change_3m",
    "feature_breadth",
    "tickets_90d",
    "mean_csat_90d",
    "latest_nps",
    "days_to_first_value",
)


def indicator(indicator_id: str) -> Indicator:
    """The registry entry of ``indicator_id``; :class:`AnalysisError` if unknown."""
    try:
        return _BY_ID[indicator_id]
    except KeyError:
        raise AnalysisError(f"unknown indicator {indicator_id!r}; expected one of {', '.join(_BY_ID)}") from None


def indicator_frame(con: Warehouse | duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``mart_indicator_outcomes`` as a frame, ordered by account and month.

    Integer outcome columns come back as floats with ``NaN`` for a censored (unobservable)
    outcome, so that ``NaN`` never reads as "no event". ``frame.attrs["sources"]`` says what the
    folder provided (:func:`cskpi_analysis.quality.sources`): :func:`available_indicators` leaves
    out the indicators whose data are missing.
    """
    frame = con.execute("select * from mart_indicator_outcomes order by account_id, month").df()
    for outcome in OUTCOMES:
        for horizon in HORIZONS:
            column = outcome_column(outcome, horizon)
            frame[column] = frame[column].astype("float64")
    for column in ("months_to_churn", *(item.id for item in INDICATORS), "health_score_previous_month", "mrr"):
        frame[column] = frame[column].astype("float64")
    frame.attrs["sources"] = sources(con).to_dict()
    return frame


def shared_frame(wh: Warehouse | duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """:func:`indicator_frame`, read once per open warehouse for every result computed from it."""
    from cskpi_analysis.warehouse import Warehouse

    return wh.remember("indicator_frame", indicator_frame) if isinstance(wh, Warehouse) else indicator_frame(wh)


def _sources_of(frame: pd.DataFrame) -> Sources:
    return Sources.of(frame)


def available_indicators(
    data: pd.DataFrame | Warehouse | duckdb.DuckDBPyConnection, candidates: Sequence[Indicator] = INDICATORS
) -> tuple[tuple[Indicator, ...], list[LeftOut]]:
    """The indicators this data can assess, and those left out with what would enable them.

    An indicator is left out when the data it is measured from are missing (its ``needs``: an
    optional table without rows, a column without values, no first value under the configured
    rule, no key features in ``cskpi.toml``) or when it has a single value in every account-month
    (it separates nothing: its AUC would be 0.500 by construction). Never a tenure proxy: without
    first-value data, ``days_to_first_value`` (elapsed days "so far") is left out.

    Parameters
    ----------
    data : :func:`indicator_frame` (its ``attrs["sources"]`` say what the folder provided;
        without them every source is assumed present), or a warehouse.
    candidates : the registry entries to consider.

    Returns
    -------
    (kept, left_out)
        The assessable indicators in registry order, and one
        :class:`~cskpi_analysis.quality.LeftOut` per indicator left out
        ("Active days: left out — needs usage_events.").
    """
    frame = data if isinstance(data, pd.DataFrame) else indicator_frame(data)
    provided = _sources_of(frame)
    kept, left_out = [], []
    for item in candidates:
        reason = provided.needs(item.needs) or _constant_reason(frame, item.id)
        if reason:
            left_out.append(LeftOut(item.id, item.label, reason))
        else:
            kept.append(item)
    return tuple(kept), left_out


def _constant_reason(frame: pd.DataFrame, column: str) -> str | None:
    """Why an indicator separates nothing, or None when it takes two values or more."""
    if frame.empty:
        return "needs a complete month in which an account pays"
    values = frame[column].dropna()
    if values.empty:
        return "has no value in any account-month"
    if values.nunique() >= 2:
        return None
    return f"does not vary in the data (every account-month: {float(values.iloc[0]):g})"


def describe_indicators_left_out(left_out: Sequence[LeftOut], sections: dict[str, LeftOut] | None = None) -> str:
    """The indicators (and report sections) left out, one sentence each, or a sentence that none is."""
    items = [*left_out, *(sections or {}).values()]
    return describe_left_out(items, "Every indicator has the data it needs and varies in the data.")


def _what_would_enable(left_out: Sequence[LeftOut]) -> str:
    """``needs one of A or B`` from the reasons of indicators left out for lack of data."""
    return needs_any(left_out, "needs an indicator that varies in the data")


#: Sections of the leading-indicator report that read one source directly: label, requirements.
SECTION_NEEDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "calibration": ("Health-score calibration", ("health_scores",)),
    "effort": ("CS effort vs outcome", ("cs_activities", "health_scores")),
    "coverage": ("Portfolio coverage", ("cs_activities",)),
    "coverage_by_health": ("Coverage by health-score band", ("cs_activities", "health_scores")),
}


def sections_left_out(frame: pd.DataFrame) -> dict[str, LeftOut]:
    """The sections of the leading-indicator report this data cannot support, with what would enable them.

    Keys: ``matrix`` and ``lead_times`` (no indicator to assess), ``calibration`` (no vendor
    health score), ``effort`` (no CS activities or health score, or no check-in), ``coverage``
    and ``coverage_by_health`` (no CS activities, no health score), ``worklist`` (no indicator
    of the refit model). Empty when every section can be computed.
    """
    provided = _sources_of(frame)
    kept, left_out = available_indicators(frame)
    out: dict[str, LeftOut] = {}
    if not kept:
        reason = _what_would_enable(left_out)
        out["matrix"] = LeftOut("matrix", "Indicator x outcome matrix", reason)
        out["lead_times"] = LeftOut("lead_times", "Lead times", reason)
    for key, (label, needs) in SECTION_NEEDS.items():
        reason = provided.needs(needs)
        if reason is None and key == "effort":
            reason = next((i.reason for i in left_out if i.name == "check_ins"), None)
        if reason:
            out[key] = LeftOut(key, label, reason)
    if not refit_features(frame):
        refit_left_out = [i for i in left_out if i.name in REFIT_FEATURES]
        out["worklist"] = LeftOut("worklist", "Accounts to handle this week", _what_would_enable(refit_left_out))
    return out


def availability(wh: Warehouse) -> tuple[tuple[Indicator, ...], list[LeftOut], dict[str, LeftOut]]:
    """:func:`available_indicators` and :func:`sections_left_out` of a warehouse, computed once per build.

    The verdicts are kept beside the warehouse (:meth:`~cskpi_analysis.warehouse.Warehouse.cached`)
    as a small table, so that opening the report does not read the indicator mart to say what it covers.
    """

    def compute(wh: Warehouse) -> pd.DataFrame:
        frame = _extremes_frame(wh)
        kept, left_out = available_indicators(frame)
        rows = [("kept", item.id, item.label, "") for item in kept]
        rows += [("indicator", *item) for item in left_out]
        rows += [("section", key, item.label, item.reason) for key, item in sections_left_out(frame).items()]
        return pd.DataFrame(rows, columns=["kind", "name", "label", "reason"], dtype="object")

    table = wh.cached("indicator_availability", compute)
    kept = tuple(indicator(name) for name in table.loc[table["kind"] == "kept", "name"])
    left_out = [LeftOut(r.name, r.label, r.reason) for r in table[table["kind"] == "indicator"].itertuples()]
    sections = {r.name: LeftOut(r.name, r.label, r.reason) for r in table[table["kind"] == "section"].itertuples()}
    return kept, left_out, sections


def _extremes_frame(con: Warehouse | duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Two rows standing in for :func:`indicator_frame` where only "does each indicator have values,
    and do they vary" matters: each indicator's smallest and largest value (none when the mart is empty).

    An indicator has no value, one value or several exactly when its two extremes are null, equal or
    not: :func:`available_indicators` and :func:`sections_left_out` read the same verdicts from it
    without reading the whole mart.
    """
    columns = [item.id for item in INDICATORS]
    lows = ", ".join(f"cast(min({c}) as double) as {c}" for c in columns)
    highs = ", ".join(f"cast(max({c}) as double) as {c}" for c in columns)
    # the column names come from the registry, not from the data
    frame = con.execute(
        f"select {lows} from mart_indicator_outcomes having count(*) > 0 "
        f"union all select {highs} from mart_indicator_outcomes having count(*) > 0"
    ).df()
    frame = frame.astype("float64")
    frame.attrs["sources"] = sources(con).to_dict()
    return frame


def coverage_tables(wh: Warehouse, sections: dict[str, LeftOut]) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """:func:`portfolio_coverage` by segment and by health band (``None`` for a section left out),
    computed once per build and kept beside the warehouse."""

    def compute(wh: Warehouse) -> pd.DataFrame:
        frame = shared_frame(wh)
        parts = []
        for by, key in (("segment", "coverage"), ("health_band", "coverage_by_health")):
            if key not in sections:
                part = portfolio_coverage(frame, by=by)
                # the month rides along as a column: a kept frame loses its attrs
                parts.append(part.assign(by=by, coverage_month=pd.Timestamp(part.attrs["month"])))
                part.attrs.clear()
        if not parts:
            return pd.DataFrame({"by": pd.Series(dtype="object")})
        table = pd.concat(parts, ignore_index=True)
        table.attrs.clear()
        return table

    table = wh.cached("portfolio_coverage", compute)

    def part(by: str, key: str) -> pd.DataFrame | None:
        if key in sections:
            return None
        rows = table[table["by"] == by]
        out = rows.drop(columns=["by", "coverage_month"]).reset_index(drop=True)
        out.attrs["month"] = rows["coverage_month"].iloc[0] if len(rows) else None
        return out

    return part("segment", "coverage"), part("health_band", "coverage_by_health")


def lead_indicator_choice(
    kept: Sequence[Indicator], preferred: str = "active_days"
) -> tuple[dict[str, str], str | None]:
    """Options (label -> id) of the lead-time picker, and its default label (``preferred`` when kept)."""
    options = {item.label: item.id for item in kept}
    default = next((item.label for item in kept if item.id == preferred), next(iter(options), None))
    return options, default


def outcome_column(outcome: str, horizon: int) -> str:
    """Column of ``outcome`` within ``horizon`` months, e.g. ``churn_6m``."""
    if outcome not in OUTCOMES:
        raise AnalysisError(f"unknown outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}")
    if horizon not in HORIZONS:
        raise AnalysisError(f"horizon must be one of {', '.join(map(str, HORIZONS))} months, got {horizon}")
    return f"{outcome}_{horizon}m"


def _observed(frame: pd.DataFrame, columns: Sequence[str], outcome_col: str) -> pd.DataFrame:
    """Rows whose outcome is observable and whose ``columns`` are all known."""
    return frame.dropna(subset=[*columns, outcome_col])


# --- discrimination, deciles, lift ---


def concordance(values: np.ndarray | pd.Series, events: np.ndarray | pd.Series) -> float:
    """Raw AUC: the probability that a row with the event has a higher value than one without.

    ``AUC = (R1 - n1 (n1 + 1) / 2) / (n1 n0)`` with ``R1`` the sum of the (average) ranks
    of the event rows: the Mann-Whitney U statistic over ``n1 n0``, ties counting one half.
    0.5 = no discrimination; below 0.5, *lower* values go with the event.

    Returns ``nan`` when either class is empty.

    Examples
    --------
    >>> concordance([1, 2, 3, 4], [0, 0, 1, 1])
    1.0
    >>> concordance([1, 2, 3, 4], [1, 1, 0, 0])
    0.0
    """
    x = np.asarray(values, dtype=float)
    y = np.asarray(events, dtype=float) > 0
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = _scipy_stats().rankdata(x, method="average")
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def risk_deciles(risk: np.ndarray | pd.Series) -> np.ndarray:
    """Decile 1 (safest) to 10 (riskiest) of a risk-oriented value (higher = riskier).

    ``decile = ceil(10 * average_rank / n)``: rows with equal values share their average
    rank, hence a decile, so a heavily tied indicator can leave the top decile empty
    rather than split identical accounts at random.

    Examples
    --------
    >>> risk_deciles(np.arange(1, 21)).tolist()
    [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10]
    """
    r = np.asarray(risk, dtype=float)
    if len(r) == 0:
        return np.array([], dtype=int)
    ranks = _scipy_stats().rankdata(r, method="average")
    return np.clip(np.ceil(10 * ranks / len(r) - 1e-9), 1, 10).astype(int)


def top_decile_lift(risk: np.ndarray | pd.Series, events: np.ndarray | pd.Series) -> float:
    """Outcome rate in the riskiest decile (see :func:`risk_deciles`) / overall outcome rate.

    1 = the decile is no riskier than average; ``nan`` when there is no event or the top
    decile is empty.

    Examples
    --------
    >>> top_decile_lift(np.arange(10), [0] * 9 + [1])   # the only event is in the top decile
    10.0
    """
    y = np.asarray(events, dtype=float)
    top = risk_deciles(risk) == 10
    overall = y.mean() if len(y) else float("nan")
    if not top.any() or not overall > 0:
        return float("nan")
    return float(y[top].mean() / overall)


def _group_auc(g1: np.ndarray, gw: np.ndarray) -> np.ndarray:
    """Raw AUC of each replicate from its weighted counts per distinct value.

    Parameters
    ----------
    g1, gw : (replicates x values) weighted event rows and weighted rows at each distinct
        value of the indicator, lowest value first.

    Returns
    -------
    numpy.ndarray
        ``U / (n1 n0)`` per replicate, ties counting one half; ``nan`` or ``inf`` when a
        replicate has no event or no non-event. With integer weights every sum is an exact
        integer (or half-integer), so unit weights give :func:`concordance` to the last bit.
    """
    g0 = gw - g1
    n1, n0 = g1.sum(axis=1), g0.sum(axis=1)
    below0 = np.cumsum(g0, axis=1) - g0
    with np.errstate(invalid="ignore", divide="ignore"):
        return (g1 * (below0 + 0.5 * g0)).sum(axis=1) / (n1 * n0)


def _group_top_decile(g1: np.ndarray, gw: np.ndarray, risky_high: bool) -> tuple[np.ndarray, np.ndarray]:
    """Outcome rate in the riskiest decile, and its lift, of each replicate (see :func:`_group_auc`).

    Deciles as :func:`risk_deciles` (tied values share their average rank, hence a decile);
    ``risky_high`` says whether the highest values are the riskiest. With unit weights the
    rate is ``y[top].mean()`` and the lift :func:`top_decile_lift`, to the last bit; ``nan``
    when the top decile is empty.

    Returns
    -------
    (top_rate, lift)
        One value per replicate each.
    """
    n1 = g1.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        if not risky_high:  # ascending risk = descending value
            g1, gw = g1[:, ::-1], gw[:, ::-1]
        total = gw.sum(axis=1, keepdims=True)
        average_rank = np.cumsum(gw, axis=1) - gw + (gw + 1) / 2
        top = (np.ceil(10 * average_rank / total - 1e-9) >= 10) & (gw > 0)
        top_rate = (g1 * top).sum(axis=1) / (gw * top).sum(axis=1)
        lift = top_rate / (n1 / total[:, 0])
    return top_rate, lift


def _bootstrap_counts(accounts: np.ndarray, n_boot: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Account codes of the rows, and a (n_boot x n_accounts) matrix of draw multiplicities."""
    codes, uniques = pd.factorize(accounts)
    rng = np.random.default_rng(seed)
    n = len(uniques)
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot) if n and n_boot else np.zeros((n_boot, n))
    return codes, counts.astype(np.float64)


def _percentile_ci(values: np.ndarray, confidence: float) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return float("nan"), float("nan")
    alpha = (1 - confidence) / 2
    return float(np.quantile(finite, alpha)), float(np.quantile(finite, 1 - alpha))


@dataclass(frozen=True)
class _ValueGroups:
    """Rows sorted by value then account, cut into distinct values and (value, account) pairs.

    Attributes
    ----------
    starts : first row of each distinct value (lowest value first).
    pair_starts : first row of each (value, account) pair.
    pair_group : the distinct value (index into ``starts``) of each pair.
    pair_account : the account code of each pair.
    n_rows : rows in all.
    """

    starts: np.ndarray
    pair_starts: np.ndarray
    pair_group: np.ndarray
    pair_account: np.ndarray
    n_rows: int

    @property
    def n_groups(self) -> int:
        return len(self.starts)

    def sums(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` (one per row, in the sorted order) over each distinct value."""
        return np.add.reduceat(values, self.starts) if self.n_rows else np.zeros(0)

    def by_account(self, values: np.ndarray, n_accounts: int) -> sparse.csr_array:
        """(distinct values x accounts) sums of ``values`` over each pair's rows, zeros left out."""
        sums = np.add.reduceat(values, self.pair_starts) if self.n_rows else np.zeros(0)
        nonzero = sums != 0
        group = self.pair_group[nonzero]
        indptr = np.r_[0, np.cumsum(np.bincount(group, minlength=self.n_groups))]
        from scipy import sparse

        return sparse.csr_array((sums[nonzero], self.pair_account[nonzero], indptr), (self.n_groups, n_accounts))


def _sorted_rows(values: np.ndarray, known: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Positions of the ``known`` rows, ordered by value, then by account code."""
    rows = np.flatnonzero(known)
    return rows[np.lexsort((codes[rows], values[rows]))]


def _value_groups(values: np.ndarray, codes: np.ndarray) -> _ValueGroups:
    """:class:`_ValueGroups` of rows already sorted by value, then account code (:func:`_sorted_rows`)."""
    new_value = np.r_[True, values[1:] != values[:-1]] if len(values) else np.zeros(0, dtype=bool)
    new_pair = new_value | np.r_[True, codes[1:] != codes[:-1]] if len(values) else new_value
    pair_starts = np.flatnonzero(new_pair)
    return _ValueGroups(
        starts=np.flatnonzero(new_value),
        pair_starts=pair_starts,
        pair_group=np.cumsum(new_value)[pair_starts] - 1,
        pair_account=codes[pair_starts],
        n_rows=len(values),
    )


def _replicate_blocks(counts: np.ndarray, size: int = 50) -> list[np.ndarray]:
    """(n_accounts x replicates) blocks of at most ``size`` replicates of the draw multiplicities."""
    return [np.ascontiguousarray(counts[start : start + size].T) for start in range(0, len(counts), size)]


def _observability_classes(
    frame: pd.DataFrame, cells: Sequence[tuple[str, int]]
) -> list[tuple[np.ndarray, list[tuple[str, int]]]]:
    """The (outcome, horizon) cells grouped by the rows where the outcome is observable, in order.

    Returns
    -------
    list of (observable, cells)
        The rows' mask, and the cells observable on exactly those rows (e.g. every outcome of
        one horizon: their censoring is the same).
    """
    classes: dict[bytes, tuple[np.ndarray, list[tuple[str, int]]]] = {}
    for outcome, horizon in cells:
        observable = frame[outcome_column(outcome, horizon)].notna().to_numpy()
        classes.setdefault(np.packbits(observable).tobytes(), (observable, []))[1].append((outcome, horizon))
    return list(classes.values())


def indicator_outcome_matrix(
    frame: pd.DataFrame,
    horizons: Sequence[int] = HORIZONS,
    outcomes: Sequence[str] = OUTCOMES,
    *,
    indicators: Sequence[Indicator] | None = None,
    n_boot: int = 200,
    seed: int = SEED,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """How well each indicator anticipates each outcome at each horizon, strongest first.

    For each indicator x outcome x horizon, over the rows whose horizon is observable and
    whose indicator is known:

    * ``auc_raw`` (:func:`concordance`): above 0.5, higher values go with the outcome;
      ``auc`` = ``max(auc_raw, 1 - auc_raw)`` (0.5 = none), with ``auc_low``/``auc_high``.
    * ``higher_means``: ``"more"`` or ``"less"`` outcome as the value rises (observed);
      ``expected_higher_means`` from the registry (a healthier indicator is expected to
      mean less churn and contraction, more expansion); ``matches_expected``.
    * ``lift`` (:func:`top_decile_lift`) in the decile the observed direction calls riskiest
      (for expansion: most likely to expand), ``lift_low``/``lift_high``, ``top_decile_rate``.
    * ``n_rows``, ``n_accounts``, ``n_events``, ``event_rate``.

    Confidence intervals come from a cluster bootstrap: ``n_boot`` resamples of accounts
    (one draw shared by every cell), so the months of one account move together.

    The rows of a cell are first collapsed to (distinct value, account) pairs: every row of
    an account has the account's bootstrap weight, so the weighted counts of each distinct
    value, for every replicate at once, are a sparse (values x accounts) matrix times the
    (accounts x replicates) draw multiplicities. The counts are exact integers, so the
    statistics are those of the row-by-row computation (a dense replicates x rows pass, kept in
    ``tests/test_indicators.py`` as the reference; :func:`concordance`, :func:`top_decile_lift`) to the last bit.

    Parameters
    ----------
    frame : :func:`indicator_frame`.
    horizons, outcomes : subsets of :data:`HORIZONS` and :data:`OUTCOMES`.
    indicators : registry entries to evaluate (default: those the data support,
        :func:`available_indicators`).
    n_boot : bootstrap resamples (0 = no intervals).
    seed : seed of the bootstrap.
    confidence : level of the percentile intervals.

    Returns
    -------
    pandas.DataFrame
        One row per cell with fewer than two classes dropped; sorted by ``auc`` descending.
    """
    if indicators is None:
        indicators = available_indicators(frame)[0]
    cells = [(outcome, horizon) for outcome in outcomes for horizon in horizons]
    for outcome, horizon in cells:
        outcome_column(outcome, horizon)  # unknown outcomes and horizons are refused first
    codes_all, counts = _bootstrap_counts(frame["account_id"].to_numpy(), n_boot, seed)
    n_accounts_all = counts.shape[1]
    blocks = _replicate_blocks(counts)  # the draws, transposed: (accounts x replicates) blocks
    del counts
    classes = _observability_classes(frame, cells)
    records: dict[tuple[str, int, str], dict[str, object]] = {}
    for item in indicators:
        values_all = frame[item.id].to_numpy(dtype=float)
        order = _sorted_rows(values_all, frame[item.id].notna().to_numpy(), codes_all)
        for observable, same_rows in classes:
            rows = order[observable[order]]  # the class's rows, by value then account
            codes = codes_all[rows]
            groups = _value_groups(values_all[rows], codes)
            n_accounts = int(np.count_nonzero(np.bincount(codes, minlength=n_accounts_all)))
            counts_by_value = groups.sums(np.ones(len(rows)))[np.newaxis]
            assessed = []  # (y, risky_high, record) of the cells with both classes
            for outcome, horizon in same_rows:
                y = frame[outcome_column(outcome, horizon)].to_numpy(dtype=float)[rows]
                n_events = int(y.sum())
                if n_events == 0 or n_events == len(y):
                    continue
                events_by_value = groups.sums(y)[np.newaxis]
                auc_raw = float(_group_auc(events_by_value, counts_by_value)[0])
                risky_high = auc_raw >= 0.5
                top_rate, lift = _group_top_decile(events_by_value, counts_by_value, risky_high)
                expected_more = (item.higher_is == "riskier") == _ADVERSE[outcome]
                record = {
                    "indicator": item.id,
                    "label": item.label,
                    "kind": item.kind,
                    "outcome": outcome,
                    "horizon": horizon,
                    "auc": max(auc_raw, 1 - auc_raw),
                    "auc_low": float("nan"),
                    "auc_high": float("nan"),
                    "auc_raw": auc_raw,
                    "higher_means": "more" if risky_high else "less",
                    "expected_higher_means": "more" if expected_more else "less",
                    "matches_expected": bool(risky_high == expected_more),
                    "lift": float(lift[0]),
                    "lift_low": float("nan"),
                    "lift_high": float("nan"),
                    "top_decile_rate": float(top_rate[0]),
                    "event_rate": float(y.mean()),
                    "n_rows": int(len(y)),
                    "n_accounts": n_accounts,
                    "n_events": n_events,
                }
                records[(outcome, horizon, item.id)] = record
                assessed.append((y, risky_high, record))
            if n_boot and assessed:
                _bootstrap_cells(groups, assessed, blocks, n_accounts_all, confidence)
    ordered = [records[key] for o, h in cells for i in indicators if (key := (o, h, i.id)) in records]
    matrix = pd.DataFrame(ordered, columns=_MATRIX_COLUMNS)
    if matrix.empty:
        return matrix
    return matrix.sort_values(["auc", "indicator"], ascending=[False, True], ignore_index=True)


def _bootstrap_cells(
    groups: _ValueGroups,
    assessed: Sequence[tuple[np.ndarray, bool, dict[str, object]]],
    blocks: Sequence[np.ndarray],
    n_accounts: int,
    confidence: float,
) -> None:
    """Fill the bootstrap intervals of the cells sharing ``groups``' rows (their records, in place).

    Each block of replicates weighs the rows once (values x replicates) for every cell, and
    the events of each cell; the cells differ only by their outcome ``y`` and direction.
    """
    rows_by_account = groups.by_account(np.ones(groups.n_rows), n_accounts)
    events_by_account = [groups.by_account(y, n_accounts) for y, _, _ in assessed]
    boot_auc: list[list[np.ndarray]] = [[] for _ in assessed]
    boot_lift: list[list[np.ndarray]] = [[] for _ in assessed]
    for block in blocks:
        weighted_rows = (rows_by_account @ block).T
        for index, (_, risky_high, _) in enumerate(assessed):
            weighted_events = (events_by_account[index] @ block).T
            boot_auc[index].append(_group_auc(weighted_events, weighted_rows))
            boot_lift[index].append(_group_top_decile(weighted_events, weighted_rows, risky_high)[1])
    for index, (_, risky_high, record) in enumerate(assessed):
        oriented = np.concatenate(boot_auc[index])
        oriented = oriented if risky_high else 1 - oriented
        record["auc_low"], record["auc_high"] = _percentile_ci(oriented, confidence)
        record["lift_low"], record["lift_high"] = _percentile_ci(np.concatenate(boot_lift[index]), confidence)


_MATRIX_COLUMNS = [
    "indicator", "label", "kind", "outcome", "horizon", "auc", "auc_low", "auc_high", "auc_raw", "higher_means",
    "expected_higher_means", "matches_expected", "lift", "lift_low", "lift_high", "top_decile_rate", "event_rate",
    "n_rows", "n_accounts", "n_events",
]  # fmt: skip


def outcome_matrix(wh: Warehouse, *, n_boot: int = 200, seed: int = SEED) -> pd.DataFrame:
    """:func:`indicator_outcome_matrix` of every indicator the warehouse supports, computed once per warehouse.

    The matrix of :func:`indicator_frame` over the indicators of :func:`available_indicators`,
    every outcome and horizon, kept beside the warehouse
    (:meth:`~cskpi_analysis.warehouse.Warehouse.cached`, keyed by ``n_boot`` and ``seed``):
    a report reads it instead of bootstrapping again.
    """

    def compute(wh: Warehouse) -> pd.DataFrame:
        frame = shared_frame(wh)
        kept = available_indicators(frame)[0]
        return indicator_outcome_matrix(frame, indicators=kept, n_boot=n_boot, seed=seed)

    return wh.cached(f"indicator_outcome_matrix_boot{n_boot}_seed{seed}", compute)


def _risky_end(item: Indicator, higher_means_more: bool, outcome: str) -> str:
    """Which end of the indicator is riskiest, in words (e.g. 'bottom')."""
    del item
    wanted_high = higher_means_more if _ADVERSE[outcome] else not higher_means_more
    return "top" if wanted_high else "bottom"


def matrix_sentence(matrix: pd.DataFrame, outcome: str = "churn", horizon: int = 6) -> str:
    """The strongest leading indicator, and where the effort indicators rank.

    E.g. "Active days is the strongest signal: accounts in the bottom decile churn 3.1x
    more often within 6 months (AUC 0.68, 95% CI 0.64-0.71). CS check-ins rank 12th of 13
    and point the wrong way: CSMs visit accounts that are already at risk."
    """
    cell = matrix[(matrix["outcome"] == outcome) & (matrix["horizon"] == horizon)].sort_values("auc", ascending=False)
    if cell.empty:
        return f"No indicator can be assessed against {outcome} within {horizon} months: no observable outcome yet."
    leading = cell[cell["kind"] == "leading"]
    best = (leading if not leading.empty else cell).iloc[0]
    verb = {"churn": "churn", "contraction": "contract", "expansion": "expand"}[outcome]
    end = _risky_end(indicator(best["indicator"]), best["higher_means"] == "more", outcome)
    ci = f", 95% CI {best['auc_low']:.2f}-{best['auc_high']:.2f}" if np.isfinite(best["auc_low"]) else ""
    lift = (
        f"accounts in the {end} decile {verb} {best['lift']:.1f}x as often as average within {horizon} months"
        if np.isfinite(best["lift"])
        else f"it separates accounts that {verb} within {horizon} months"
    )
    text = f"{best['label']} is the strongest signal: {lift} (AUC {best['auc']:.2f}{ci})."
    ranks = {row.indicator: position for position, row in enumerate(cell.itertuples(), start=1)}
    for row in cell[cell["kind"] == "effort"].itertuples():
        rank = f"{_ordinal(ranks[row.indicator])} of {len(cell)}"
        if not row.matches_expected and _ADVERSE[outcome]:
            text += (
                f" {row.label} rank {rank} and point the wrong way (more of them, more {outcome}): "
                "CSMs visit accounts that are already at risk."
            )
        else:
            text += f" {row.label} rank {rank}."
    return text


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# --- lead time ---

CHURNED, STAYED = "Accounts that churned", "Matched accounts that stayed"


def event_aligned_curves(
    frame: pd.DataFrame, indicator_id: str, months_before: int = 12, *, confidence: float = 0.95
) -> pd.DataFrame:
    """Mean of an indicator by months before churn, churners vs matched accounts that stayed.

    Churners: rows with ``months_to_churn = k`` (``1 <= k <= months_before``): the indicator
    over the month ``k`` months before the churn month (k = 1 is the last paid month).
    Baseline: rows with no churn in the next 12 months (observable), matched on segment and
    tenure months: at each ``k`` the baseline mean is ``sum_s p_s mean_s`` over strata
    ``s = (segment, tenure)``, ``p_s`` the churners' share in ``s``; its variance is
    ``sum_s p_s^2 var_s / n_s``. Churner rows of a stratum without baseline rows are dropped.
    Intervals are normal: ``mean +- z se``.

    Returns
    -------
    pandas.DataFrame
        ``indicator``, ``months_before``, ``group`` ("Accounts that churned", "Matched
        accounts that stayed"), ``mean``, ``low``, ``high``, ``n``.
    """
    indicator(indicator_id)
    if months_before < 1 or months_before > 12:
        raise AnalysisError(f"months_before must be between 1 and 12, got {months_before}")
    z = _scipy_stats().norm.ppf(0.5 + confidence / 2)
    strata = ["segment", "tenure_months"]
    known = frame[[*strata, "months_to_churn", "churn_12m", indicator_id]].dropna(subset=[indicator_id])
    churners = known[known["months_to_churn"].between(1, months_before)]
    baseline = known[known["churn_12m"] == 0]
    by_stratum = baseline.groupby(strata)[indicator_id].agg(["mean", "var", "count"])
    records = []
    for k in range(1, months_before + 1):
        rows = churners[churners["months_to_churn"] == k]
        keys = pd.MultiIndex.from_frame(rows[strata])
        rows = rows[keys.isin(by_stratum.index)]
        n = len(rows)
        if n == 0:
            continue
        values = rows[indicator_id].to_numpy(dtype=float)
        mean = float(values.mean())
        se = float(values.std(ddof=1) / math.sqrt(n)) if n > 1 else float("nan")
        records.append(
            {"months_before": k, "group": CHURNED, "mean": mean, "low": mean - z * se, "high": mean + z * se, "n": n}
        )
        share = rows.groupby(strata).size() / n
        cells = by_stratum.loc[share.index]
        base_mean = float((share * cells["mean"]).sum())
        base_se = math.sqrt(float((share**2 * cells["var"].fillna(0) / cells["count"]).sum()))
        records.append(
            {
                "months_before": k,
                "group": STAYED,
                "mean": base_mean,
                "low": base_mean - z * base_se,
                "high": base_mean + z * base_se,
                "n": int(cells["count"].sum()),
            }
        )
    out = pd.DataFrame(records, columns=["months_before", "group", "mean", "low", "high", "n"])
    out.insert(0, "indicator", indicator_id)
    return out


def lead_time_months(curves: pd.DataFrame) -> int:
    """Months before churn over which churners stay apart from the matched baseline.

    The largest ``k`` such that, at every month ``1..k`` before churn, the churners' and the
    baseline's intervals do not overlap; 0 when they overlap already one month before churn.

    Examples
    --------
    >>> curves = pd.DataFrame({
    ...     "months_before": [1, 1, 2, 2, 3, 3],
    ...     "group": [CHURNED, STAYED] * 3,
    ...     "low": [1, 5, 2, 5, 4, 5], "high": [2, 6, 3, 6, 6, 6]})
    >>> lead_time_months(curves)
    2
    """
    if curves.empty:
        return 0
    wide = curves.pivot(index="months_before", columns="group", values=["low", "high"]).sort_index()
    lead = 0
    for k in wide.index:
        if k != lead + 1:
            break
        apart = (wide.loc[k, ("high", CHURNED)] < wide.loc[k, ("low", STAYED)]) or (
            wide.loc[k, ("low", CHURNED)] > wide.loc[k, ("high", STAYED)]
        )
        if not apart:
            break
        lead = int(k)
    return lead


def moves_from_months(curves: pd.DataFrame) -> int:
    """Months before churn from which churners move away from their own earlier level.

    The largest ``k`` such that at every month ``1..k`` the churners' interval does not
    overlap their interval at the earliest month of the curves (their own baseline): a
    standing difference from non-churners is not a move; a decline before churn is.
    0 when the churners in the last month before churn are where they were a year before.
    """
    churned = curves[curves["group"] == CHURNED].set_index("months_before").sort_index()
    if len(churned) < 2:
        return 0
    reference = churned.iloc[-1]
    moved = 0
    for k, row in churned.iloc[:-1].iterrows():
        if k != moved + 1 or not (row["high"] < reference["low"] or row["low"] > reference["high"]):
            break
        moved = int(k)
    return moved


def lead_time_table(
    frame: pd.DataFrame, indicators: Sequence[Indicator] | None = None, months_before: int = 12
) -> pd.DataFrame:
    """Lead time of every indicator (default: those the data support, :func:`available_indicators`), longest first.

    Columns: ``indicator``, ``label``, ``kind``, ``lead_time_months`` (:func:`lead_time_months`),
    ``moves_from_months`` (:func:`moves_from_months`),
    ``churner_mean_1m`` and ``baseline_mean_1m`` (one month before churn), ``relative_gap_1m``
    (churners / baseline - 1). On a warehouse, :func:`lead_time_curves` and
    :func:`lead_times_from_curves` give the same table from curves computed once.
    """
    if indicators is None:
        indicators = available_indicators(frame)[0]
    curves = {item.id: event_aligned_curves(frame, item.id, months_before) for item in indicators}
    return _lead_time_summary(curves, indicators)


def _lead_time_summary(curves: dict[str, pd.DataFrame], indicators: Sequence[Indicator]) -> pd.DataFrame:
    """:func:`lead_time_table` from each indicator's :func:`event_aligned_curves`."""
    records = []
    for item in indicators:
        last = curves[item.id]
        last = last[last["months_before"] == 1].set_index("group")["mean"]
        churned = float(last.get(CHURNED, float("nan")))
        stayed = float(last.get(STAYED, float("nan")))
        records.append(
            {
                "indicator": item.id,
                "label": item.label,
                "kind": item.kind,
                "lead_time_months": lead_time_months(curves[item.id]),
                "moves_from_months": moves_from_months(curves[item.id]),
                "churner_mean_1m": churned,
                "baseline_mean_1m": stayed,
                "relative_gap_1m": churned / stayed - 1 if stayed else float("nan"),
            }
        )
    columns = [
        "indicator", "label", "kind", "lead_time_months", "moves_from_months", "churner_mean_1m",
        "baseline_mean_1m", "relative_gap_1m",
    ]  # fmt: skip
    return pd.DataFrame(records, columns=columns).sort_values(
        ["lead_time_months", "indicator"], ascending=[False, True], ignore_index=True
    )


#: Columns of :func:`event_aligned_curves`, and their types.
_CURVE_DTYPES = {
    "indicator": "object", "months_before": "int64", "group": "object", "mean": "float64", "low": "float64",
    "high": "float64", "n": "int64",
}  # fmt: skip


def lead_time_curves(wh: Warehouse, months_before: int = 12) -> pd.DataFrame:
    """:func:`event_aligned_curves` of every indicator the warehouse supports, in one frame.

    Computed once per warehouse from :func:`indicator_frame` (indicators of
    :func:`available_indicators`, in registry order) and kept beside it
    (:meth:`~cskpi_analysis.warehouse.Warehouse.cached`): choosing another indicator only
    filters it (:func:`indicator_curves`).

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`event_aligned_curves`, one block of rows per indicator.
    """

    def compute(wh: Warehouse) -> pd.DataFrame:
        frame = shared_frame(wh)
        parts = [event_aligned_curves(frame, item.id, months_before) for item in available_indicators(frame)[0]]
        return _stack_curves(parts)

    return wh.cached(f"lead_time_curves_{months_before}m", compute)


def _stack_curves(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The curves of several indicators in one frame (indicators without a curve add no row)."""
    parts = [part for part in parts if not part.empty]
    if not parts:
        return pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in _CURVE_DTYPES.items()})
    return pd.concat(parts, ignore_index=True)


def indicator_curves(curves: pd.DataFrame, indicator_id: str) -> pd.DataFrame:
    """One indicator's rows of :func:`lead_time_curves`, as :func:`event_aligned_curves` gives them."""
    indicator(indicator_id)
    return curves[curves["indicator"] == indicator_id].reset_index(drop=True)


def lead_times_from_curves(curves: pd.DataFrame, indicators: Sequence[Indicator]) -> pd.DataFrame:
    """:func:`lead_time_table` of ``indicators`` from :func:`lead_time_curves` (no pass over the mart)."""
    return _lead_time_summary({item.id: indicator_curves(curves, item.id) for item in indicators}, indicators)


def lead_time_sentence(table: pd.DataFrame) -> str:
    """E.g. "Days to first value sets churners apart earliest: 5 months before churn (...). Active days
    is the first to move: churners' usage falls away from its own level 2 months before churn."
    """
    leading = table[(table["kind"] == "leading") & (table["lead_time_months"] > 0)]
    if leading.empty:
        return "No leading indicator separates churners from matched accounts before churn."
    best = leading.iloc[0]
    months = int(best["lead_time_months"])
    text = (
        f"{best['label']} sets churners apart earliest: {months} month{'s' if months != 1 else ''} before churn "
        f"({best['churner_mean_1m']:.1f} vs {best['baseline_mean_1m']:.1f} for matched accounts that stayed, "
        "in the last month)."
    )
    others = ", ".join(f"{row.label.lower()} {row.lead_time_months}" for row in leading.iloc[1:4].itertuples())
    if others:
        text += f" Then (months of warning): {others}."
    moving = table[(table["kind"] == "leading") & (table["moves_from_months"] > 0)]
    if not moving.empty:
        mover = moving.sort_values(["moves_from_months", "lead_time_months"], ascending=False).iloc[0]
        text += (
            f" {mover['label']} is the first to move: churners fall away from their own earlier level "
            f"{int(mover['moves_from_months'])} months before churn."
        )
    return text


# --- health-score calibration ---


def wilson_interval(events: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion ``events / n``; ``(nan, nan)`` when ``n = 0``."""
    if n <= 0:
        return float("nan"), float("nan")
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(events, n, alpha=1 - confidence, method="wilson")
    return float(low), float(high)


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
    spearman = float(_scipy_stats().spearmanr(ordered["band_order"], rate).statistic) if len(rate) > 2 else float("nan")
    inversions = int((np.diff(rate) > 0).sum())
    separated = int(((high[1:] < low[:-1]) | (low[1:] > high[:-1])).sum())
    ratio = float(rate[0] / rate[-1]) if len(rate) and rate[-1] > 0 else float("inf")
    return BandMonotonicity(spearman, inversions, separated, max(len(rate) - 1, 0), ratio)


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


def refit_features(frame: pd.DataFrame) -> tuple[str, ...]:
    """The :data:`REFIT_FEATURES` this data supports (:func:`available_indicators`), in that order."""
    kept = {item.id for item in available_indicators(frame, [indicator(f) for f in REFIT_FEATURES])[0]}
    return tuple(f for f in REFIT_FEATURES if f in kept)


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
    bin_of = np.clip(
        np.ceil(bins * _scipy_stats().rankdata(predicted, method="average") / len(predicted) - 1e-9), 1, bins
    )
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
                "brier": float(np.mean((p - y) ** 2)),
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


# --- effort vs outcome ---

#: Width, in score points, of the health bands the effort comparison holds fixed.
EFFORT_BAND_WIDTH = 10


def _health_band(score: pd.Series) -> pd.Series:
    edges = [b[1] for b in HEALTH_BANDS][1:]
    order = np.searchsorted(edges, score.to_numpy(dtype=float), side="right")
    return pd.Series([HEALTH_BANDS[i][0] for i in order], index=score.index)


def _fine_band(score: pd.Series, width: int = EFFORT_BAND_WIDTH) -> pd.Series:
    lower = np.clip(np.floor(score.to_numpy(dtype=float) / width) * width, 0, 100 - width).astype(int)
    return pd.Series([f"{low}-{low + width}" for low in lower], index=score.index)


def _mantel_haenszel_risk_ratio(table: pd.DataFrame) -> float:
    """``sum_k a_k n0_k / N_k / sum_k c_k n1_k / N_k`` over strata rows of ``table``."""
    numerator = (table["events_with"] * table["n_without"] / table["n_rows"]).sum()
    denominator = (table["events_without"] * table["n_with"] / table["n_rows"]).sum()
    return float(numerator / denominator) if denominator > 0 else float("nan")


def effort_by_health_band(
    frame: pd.DataFrame, activity: str = "check_ins", outcome: str = "churn", horizon: int = 3
) -> pd.DataFrame:
    """Outcome rate with and without a CS activity, by segment and health-score band.

    The band (``EFFORT_BAND_WIDTH`` points: 0-10, ..., 90-100) is the vendor score of the
    same month: CSMs react to it. Segments are kept apart because coverage models differ
    (digital for small accounts, high-touch for large ones), which would otherwise mix a
    segment effect into the comparison. A row is "with activity" when ``activity >= 1``.

    Returns
    -------
    pandas.DataFrame
        ``segment``, ``health_band`` ("All" first within each segment, then bands from the
        lowest score), ``band_order`` (0 for "All"), ``n_rows``, ``activity_share``,
        ``rate_with``, ``rate_without``, ``risk_ratio`` (rate_with / rate_without),
        ``n_with``, ``n_without``, ``events_with``, ``events_without``.
    """
    item = indicator(activity)
    column = outcome_column(outcome, horizon)
    rows = _observed(frame, ["health_score", item.id], column)
    data = pd.DataFrame(
        {
            "segment": rows["segment"].to_numpy(),
            "health_band": _fine_band(rows["health_score"]).to_numpy(),
            "with": rows[item.id].to_numpy(dtype=float) >= 1,
            "event": rows[column].to_numpy(dtype=float),
        }
    )
    records = []
    for segment in sorted(data["segment"].unique()):
        in_segment = data[data["segment"] == segment]
        bands = sorted(in_segment["health_band"].unique(), key=lambda b: int(b.split("-")[0]))
        for order, (band, part) in enumerate(
            [("All", in_segment)] + [(b, in_segment[in_segment["health_band"] == b]) for b in bands]
        ):
            with_, without = part[part["with"]], part[~part["with"]]
            rate_with = float(with_["event"].mean()) if len(with_) else float("nan")
            rate_without = float(without["event"].mean()) if len(without) else float("nan")
            records.append(
                {
                    "segment": segment,
                    "health_band": band,
                    "band_order": order,
                    "n_rows": len(part),
                    "activity_share": float(part["with"].mean()),
                    "rate_with": rate_with,
                    "rate_without": rate_without,
                    "risk_ratio": rate_with / rate_without if rate_without > 0 else float("nan"),
                    "n_with": len(with_),
                    "n_without": len(without),
                    "events_with": int(with_["event"].sum()),
                    "events_without": int(without["event"].sum()),
                }
            )
    return pd.DataFrame(records)


@dataclass(frozen=True)
class EffortConfounding:
    """Raw and health-adjusted association of a CS activity with an outcome.

    Attributes
    ----------
    activity, outcome, horizon : what was compared.
    raw_risk_ratio : outcome rate with activity / without, within segment (Mantel-Haenszel
        over segments: ``sum_k a_k n0_k / N_k / sum_k c_k n1_k / N_k``, with a, c the events
        with / without activity, n1, n0 the rows with / without, N the rows of stratum k).
    adjusted_risk_ratio : the same over segment x health band strata.
    activity_share_low_health, activity_share_high_health : share of account-months with the
        activity when the score is below 40 / at least 80, averaged over segments with the
        segments' weights in all rows (so the segment mix does not drive the comparison).
    """

    activity: str
    outcome: str
    horizon: int
    raw_risk_ratio: float
    adjusted_risk_ratio: float
    activity_share_low_health: float
    activity_share_high_health: float

    @property
    def shrinks(self) -> bool:
        """The association moves toward 1 (or reverses) once health is held fixed."""
        raw, adjusted = self.raw_risk_ratio, self.adjusted_risk_ratio
        return (adjusted - 1) * (raw - 1) < 0 or abs(math.log(adjusted)) < abs(math.log(raw))


def effort_confounding(
    frame: pd.DataFrame, activity: str = "check_ins", outcome: str = "churn", horizon: int = 3
) -> EffortConfounding:
    """Summarise :func:`effort_by_health_band`: within-segment vs within-health-band risk ratio."""
    return _effort_summary(effort_by_health_band(frame, activity, outcome, horizon), activity, outcome, horizon)


def _effort_summary(table: pd.DataFrame, activity: str, outcome: str, horizon: int) -> EffortConfounding:
    """:func:`effort_confounding` from its :func:`effort_by_health_band` table."""
    if table.empty:
        raise AnalysisError(f"no account-month has both a health score and an observable {outcome} yet")
    overall = table[table["health_band"] == "All"]
    bands = table[table["health_band"] != "All"]
    weights = overall.set_index("segment")["n_rows"] / overall["n_rows"].sum()
    low = bands["health_band"].map(lambda b: int(b.split("-")[0]) < 40)
    high = bands["health_band"].map(lambda b: int(b.split("-")[0]) >= 80)

    def share(part: pd.DataFrame) -> float:
        by_segment = part.groupby("segment").apply(
            lambda g: (g["activity_share"] * g["n_rows"]).sum() / g["n_rows"].sum(), include_groups=False
        )
        present = by_segment.index.intersection(weights.index)
        return (
            float((by_segment[present] * weights[present]).sum() / weights[present].sum())
            if len(present)
            else float("nan")
        )

    return EffortConfounding(
        activity=activity,
        outcome=outcome,
        horizon=horizon,
        raw_risk_ratio=_mantel_haenszel_risk_ratio(overall),
        adjusted_risk_ratio=_mantel_haenszel_risk_ratio(bands),
        activity_share_low_health=share(bands[low]),
        activity_share_high_health=share(bands[high]),
    )


def effort_comparison(
    wh: Warehouse, activity: str = "check_ins", outcome: str = "churn", horizon: int = 3
) -> tuple[pd.DataFrame, EffortConfounding]:
    """:func:`effort_by_health_band` and :func:`effort_confounding` of the warehouse, the table computed once.

    The table is kept beside the warehouse (:meth:`~cskpi_analysis.warehouse.Warehouse.cached`),
    the summary is read from it: opening a report does not pass over the mart again.
    """

    def compute(wh: Warehouse) -> pd.DataFrame:
        return effort_by_health_band(shared_frame(wh), activity, outcome, horizon)

    table = wh.cached(f"effort_by_health_band_{activity}_{outcome}_{horizon}m", compute)
    return table, _effort_summary(table, activity, outcome, horizon)


def effort_sentence(result: EffortConfounding) -> str:
    """E.g. "Account-months with CS check-ins churn 1.45x as often ...; within the same health band 1.2x."""
    label = indicator(result.activity).label
    verb = {"churn": "churn", "contraction": "contract", "expansion": "expand"}[result.outcome]
    text = (
        f"Within a segment, account-months with {label} {verb} {result.raw_risk_ratio:.2f}x as often within "
        f"{result.horizon} months as those without; within the same health band the ratio is "
        f"{result.adjusted_risk_ratio:.2f}x."
    )
    if result.activity_share_low_health > result.activity_share_high_health:
        text += (
            f" CSMs go where the score is low ({result.activity_share_low_health:.0%} of account-months scoring "
            f"under 40 get one, against {result.activity_share_high_health:.0%} of those scoring 80 or more), so "
            "the raw association measures who gets visited, not what visits achieve."
        )
    if result.shrinks:
        text += " Holding health fixed, the association shrinks: activity counts measure effort, not outcomes."
    return text


# --- portfolio coverage and the at-risk worklist ---


def _latest_month(frame: pd.DataFrame) -> pd.Timestamp:
    if frame.empty:
        raise AnalysisError("no account pays in a complete month yet")
    return pd.Timestamp(frame["month"].max())


def portfolio_coverage(frame: pd.DataFrame, month: pd.Timestamp | None = None, by: str = "segment") -> pd.DataFrame:
    """Share of paying accounts with any CS activity in the 90 days ending at ``month``'s end.

    Parameters
    ----------
    month : the month (default: the latest complete month in the frame).
    by : ``"segment"`` or ``"health_band"``.

    Returns
    -------
    pandas.DataFrame
        ``group`` ("All" first), ``accounts``, ``covered``, ``coverage``, ``low``, ``high``
        (Wilson 95%), ``mrr`` (of the group).
    """
    month = _latest_month(frame) if month is None else pd.Timestamp(month)
    rows = frame[frame["month"] == month].copy()
    if by == "health_band":
        rows = rows.dropna(subset=["health_score"])
        rows["group"] = _health_band(rows["health_score"])
    elif by == "segment":
        rows["group"] = rows["segment"]
    else:
        raise AnalysisError(f"coverage can be split by 'segment' or 'health_band', got {by!r}")
    rows["covered"] = rows["cs_touches_90d"] > 0
    parts = [("All", rows)] + [(g, rows[rows["group"] == g]) for g in sorted(rows["group"].unique())]
    records = []
    for group, part in parts:
        covered = int(part["covered"].sum())
        low, high = wilson_interval(covered, len(part))
        records.append(
            {
                "group": group,
                "accounts": len(part),
                "covered": covered,
                "coverage": covered / len(part) if len(part) else float("nan"),
                "low": low,
                "high": high,
                "mrr": float(part["mrr"].sum()),
            }
        )
    out = pd.DataFrame(records)
    out.attrs["month"] = month
    return out


def coverage_sentence(coverage: pd.DataFrame) -> str:
    """E.g. "In Sep 2026, CS touched 62% of paying accounts in 90 days; lowest: SMB (41%)."""
    overall = coverage.iloc[0]
    parts = coverage.iloc[1:]
    month = coverage.attrs.get("month")
    when = f"In the 90 days to the end of {pd.Timestamp(month):%b %Y}, " if month is not None else ""
    text = f"{when}CS touched {overall['coverage']:.0%} of the {overall['accounts']:,} paying accounts."
    if len(parts) > 1:
        lowest = parts.sort_values("coverage").iloc[0]
        silent = int(lowest["accounts"] - lowest["covered"])
        text += (
            f" Lowest coverage: {user_text(lowest['group'])} ({lowest['coverage']:.0%}, {silent:,} silent accounts)."
        )
    return text


#: Indicators whose drop against the account's own recent baseline names a cause.
CAUSE_INDICATORS: tuple[str, ...] = (
    "active_days",
    "active_users",
    "key_feature_adoption",
    "feature_breadth",
    "health_score",
    "latest_nps",
    "mean_csat_90d",
    "tickets_90d",
)


_WORKLIST_COLUMNS = [
    "rank", "account_id", "account_name", "segment", "mrr", "churn_risk", "mrr_at_risk", "health_score", "cause"
]  # fmt: skip


def _score(current: pd.DataFrame, model: RefitModel) -> pd.DataFrame:
    """``current`` with ``churn_risk`` and ``mrr_at_risk``, highest MRR at risk first."""
    out = current.copy()
    out["churn_risk"] = model.predict(out)
    out["mrr_at_risk"] = out["churn_risk"] * out["mrr"]
    return out.sort_values(["mrr_at_risk", "account_id"], ascending=[False, True])


def _explain(
    current: pd.DataFrame,
    history: pd.DataFrame,
    spread: pd.Series,
    baseline_months: int,
    provided: Sources | None = None,
) -> pd.DataFrame:
    """The ranked worklist: each account's cause, from its history against the spread across accounts.

    ``provided`` (what the folder provided) keeps a standing cause from naming data that is absent.
    """
    current = current.copy()
    baseline = history.groupby("account_id")[list(CAUSE_INDICATORS)].mean()
    causes = []
    for row in current.itertuples():
        best, best_z = "", 0.5  # a drop smaller than half a spread is not a cause
        for feature in CAUSE_INDICATORS:
            now = getattr(row, feature)
            before = baseline.loc[row.account_id, feature] if row.account_id in baseline.index else float("nan")
            if not (np.isfinite(now) and np.isfinite(before)) or not spread[feature] > 0:
                continue
            sign = 1 if _BY_ID[feature].higher_is == "healthier" else -1
            z = sign * (before - now) / spread[feature]
            if z > best_z:
                change = f" ({(now - before) / before:+.0%})" if before else ""
                label = _BY_ID[feature].label
                best, best_z = (
                    (
                        f"{label[0].lower() + label[1:]} {'fell' if now < before else 'rose'} to {now:.3g} from a "
                        f"{baseline_months}-month average of {before:.3g}{change}"
                    ),
                    z,
                )
        if not best:
            best = _standing_cause(row, provided or Sources.everything())
        causes.append(best)
    current["cause"] = causes
    current["rank"] = range(1, len(current) + 1)
    return current[_WORKLIST_COLUMNS].reset_index(drop=True)


def at_risk_worklist(
    frame: pd.DataFrame,
    model: RefitModel | None = None,
    *,
    month: pd.Timestamp | None = None,
    top: int = 25,
    baseline_months: int = 3,
) -> pd.DataFrame:
    """Accounts to handle this week: highest churn risk x MRR in the latest complete month.

    Risk is the refit model's probability of churn within its horizon (default: fitted on
    every observable row of ``frame``, 3 months). The cause is the indicator with the
    largest adverse change against the account's own mean over the previous
    ``baseline_months`` months, in units of the indicator's spread across accounts; an
    account without a clear drop is labelled by its weakest standing instead. On a
    warehouse, :func:`worklist` gives the same list without reading the whole mart.

    Returns
    -------
    pandas.DataFrame
        ``rank``, ``account_id``, ``account_name``, ``segment``, ``mrr``, ``churn_risk``,
        ``mrr_at_risk`` (risk x MRR), ``health_score``, ``cause``. Never a contact column.
    """
    model = fit_refit_model(frame, 3) if model is None else model
    month = _latest_month(frame) if month is None else pd.Timestamp(month)
    current = frame[frame["month"] == month]
    if current.empty:
        raise AnalysisError(f"no paying account in {month:%b %Y}")
    current = _score(current, model).head(top)
    month_index = int(current["month_index"].iloc[0])
    history = frame[
        frame["account_id"].isin(current["account_id"])
        & frame["month_index"].between(month_index - baseline_months, month_index - 1)
    ]
    return _explain(current, history, frame[list(CAUSE_INDICATORS)].std(), baseline_months, _sources_of(frame))


def portfolio_risk(wh: Warehouse) -> pd.DataFrame:
    """Every paying account of the latest complete month, scored for churn within 3 months.

    The refit model (:func:`fit_refit_model`) is fitted once per warehouse on the whole
    portfolio, every segment together, and the scores are kept beside the warehouse
    (:meth:`~cskpi_analysis.warehouse.Warehouse.cached`): a segment filter never refits it,
    so an account has the same risk in every report. The frame's ``attrs`` are not kept;
    the indicator spreads used for causes ride along as ``spread_<indicator>`` columns.
    """

    def compute(wh: Warehouse) -> pd.DataFrame:
        frame = shared_frame(wh)
        month = _latest_month(frame)
        scored = _score(frame[frame["month"] == month], fit_refit_model(frame, 3))
        spread = frame[list(CAUSE_INDICATORS)].std()
        for feature in CAUSE_INDICATORS:
            scored[f"spread_{feature}"] = spread[feature]
        return scored.reset_index(drop=True)

    return wh.cached("portfolio_risk", compute)


def worklist(wh: Warehouse, segment: str = "All", *, top: int = 25, baseline_months: int = 3) -> pd.DataFrame:
    """The at-risk worklist of one segment (see :func:`at_risk_worklist`), from :func:`portfolio_risk`.

    Only the listed accounts' recent months are read from the mart, in SQL; the list of each
    segment is kept beside the warehouse, so a segment change reads it back.
    """

    def compute(wh: Warehouse) -> pd.DataFrame:
        scores = portfolio_risk(wh)
        if segment != "All":
            if segment not in set(scores["segment"]):
                known = ", ".join(["All", *sorted(scores["segment"].unique())])
                raise AnalysisError(f"unknown segment {segment!r}; the data has {known}")
            scores = scores[scores["segment"] == segment]
        return _worklist_of(wh, scores, top, baseline_months)

    return wh.cached(f"worklist_{segment}_top{top}_baseline{baseline_months}", compute)


def _worklist_of(wh: Warehouse, scores: pd.DataFrame, top: int, baseline_months: int) -> pd.DataFrame:
    current = scores.head(top)
    if current.empty:
        return pd.DataFrame(columns=_WORKLIST_COLUMNS)
    month_index = int(current["month_index"].iloc[0])
    history = wh.execute(
        f"select account_id, {', '.join(CAUSE_INDICATORS)} from mart_indicator_outcomes "
        "where account_id in (select unnest($accounts)) and month_index between $first and $last",
        {"accounts": list(current["account_id"]), "first": month_index - baseline_months, "last": month_index - 1},
    ).df()
    history[list(CAUSE_INDICATORS)] = history[list(CAUSE_INDICATORS)].astype("float64")
    spread = pd.Series({f: float(current[f"spread_{f}"].iloc[0]) for f in CAUSE_INDICATORS})
    return _explain(current, history, spread, baseline_months, sources(wh))


#: Below this many days since the first paid day, a missing first value is youth, not a cause.
NEW_ACCOUNT_DAYS = 30


def _standing_cause(row: object, provided: Sources) -> str:
    first_value = provided.has(FIRST_VALUE)
    if first_value and not getattr(row, "has_first_value", True):
        days = float(getattr(row, "days_to_first_value", float("nan")))
        if np.isfinite(days) and days < NEW_ACCOUNT_DAYS:  # too early for a missing first value to be a cause
            return f"new account ({days:.0f} days since its first paid day): first value not reached yet"
        return f"no first value yet after {days:.0f} days"
    adoption = getattr(row, "key_feature_adoption", float("nan"))
    if provided.has("usage_events") and np.isfinite(adoption) and adoption < 0.5:
        return f"low key-feature adoption ({adoption:.0%}); no recent drop"
    profile = [
        name
        for name, present in (
            ("usage", provided.has("usage_events")),
            ("support", provided.has("support_tickets")),
            ("time to value", first_value),
        )
        if present
    ]
    return "no recent drop: high risk from its profile" + (f" ({', '.join(profile)})" if profile else "")


def worklist_sentence(worklist: pd.DataFrame) -> str:
    """E.g. "25 accounts carry $41,200 of MRR at an expected risk of $9,800 within 3 months."""
    if worklist.empty:
        return "No paying account to review."
    first = worklist.iloc[0]
    return (
        f"The {len(worklist)} accounts below hold {worklist['mrr'].sum():,.0f} of MRR, of which "
        f"{worklist['mrr_at_risk'].sum():,.0f} is expected to churn within 3 months if nothing changes. "
        f"Start with {user_text(first['account_name'])} ({first['churn_risk']:.0%} risk): {first['cause']}."
    )
