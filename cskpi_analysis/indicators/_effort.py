"""CS effort vs outcome: the association of a CS activity with later churn, raw and with health held fixed."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.indicators._frame import _observed, shared_frame
from cskpi_analysis.indicators._registry import indicator, outcome_column
from cskpi_analysis.stats import mantel_haenszel_risk_ratio
from cskpi_analysis.warehouse import Warehouse

#: Width, in score points, of the health bands the effort comparison holds fixed.
EFFORT_BAND_WIDTH = 10


def _fine_band(score: pd.Series, width: int = EFFORT_BAND_WIDTH) -> pd.Series:
    lower = np.clip(np.floor(score.to_numpy(dtype=float) / width) * width, 0, 100 - width).astype(int)
    return pd.Series([f"{low}-{low + width}" for low in lower], index=score.index)


def _risk_ratio(table: pd.DataFrame) -> float:
    """:func:`cskpi_analysis.stats.mantel_haenszel_risk_ratio` over the strata rows of an :func:`effort_by_health_band` table."""
    return mantel_haenszel_risk_ratio(
        table["events_with"], table["n_with"], table["events_without"], table["n_without"]
    )


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
        raw_risk_ratio=_risk_ratio(overall),
        adjusted_risk_ratio=_risk_ratio(bands),
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
