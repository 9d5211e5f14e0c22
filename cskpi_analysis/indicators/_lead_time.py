"""Lead time: how many months before churn each indicator sets churners apart from matched accounts that stayed."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.indicators._frame import available_indicators, shared_frame
from cskpi_analysis.indicators._registry import Indicator, indicator
from cskpi_analysis.stats import normal_quantile
from cskpi_analysis.warehouse import Warehouse

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
    z = normal_quantile(0.5 + confidence / 2)
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


def lead_indicator_choice(
    kept: Sequence[Indicator], preferred: str = "active_days"
) -> tuple[dict[str, str], str | None]:
    """Options (label -> id) of the lead-time picker, and its default label (``preferred`` when kept)."""
    options = {item.label: item.id for item in kept}
    default = next((item.label for item in kept if item.id == preferred), next(iter(options), None))
    return options, default


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
