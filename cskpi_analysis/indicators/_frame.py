"""The indicator mart read from the warehouse, and what this data can assess: indicators and report sections."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.indicators._registry import (
    HORIZONS,
    INDICATORS,
    OUTCOMES,
    REFIT_FEATURES,
    Indicator,
    indicator,
    outcome_column,
)
from cskpi_analysis.quality import LeftOut, Sources, describe_left_out, needs_any, sources
from cskpi_analysis.warehouse import Warehouse


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
    return wh.remember("indicator_frame", indicator_frame) if isinstance(wh, Warehouse) else indicator_frame(wh)


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


def _observed(frame: pd.DataFrame, columns: Sequence[str], outcome_col: str) -> pd.DataFrame:
    """Rows whose outcome is observable and whose ``columns`` are all known."""
    return frame.dropna(subset=[*columns, outcome_col])


def _latest_month(frame: pd.DataFrame) -> pd.Timestamp:
    if frame.empty:
        raise AnalysisError("no account pays in a complete month yet")
    return pd.Timestamp(frame["month"].max())


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
    return _sources_of(frame).split(
        candidates, lambda item: (item.id, item.label), lambda item: _constant_reason(frame, item.id)
    )


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


def refit_features(frame: pd.DataFrame) -> tuple[str, ...]:
    """The :data:`REFIT_FEATURES` this data supports (:func:`available_indicators`), in that order."""
    kept = {item.id for item in available_indicators(frame, [indicator(f) for f in REFIT_FEATURES])[0]}
    return tuple(f for f in REFIT_FEATURES if f in kept)


def describe_indicators_left_out(left_out: Sequence[LeftOut], sections: dict[str, LeftOut] | None = None) -> str:
    """The indicators (and report sections) left out, one sentence each, or a sentence that none is."""
    items = [*left_out, *(sections or {}).values()]
    return describe_left_out(items, "Every indicator has the data it needs and varies in the data.")
