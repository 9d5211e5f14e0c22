"""Portfolio coverage: the share of paying accounts CS touched in 90 days, by segment or health band."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.indicators._frame import _latest_month, shared_frame
from cskpi_analysis.indicators._registry import HEALTH_BANDS
from cskpi_analysis.narrative import user_text
from cskpi_analysis.quality import LeftOut
from cskpi_analysis.stats import wilson_interval
from cskpi_analysis.warehouse import Warehouse


def _health_band(score: pd.Series) -> pd.Series:
    edges = [b[1] for b in HEALTH_BANDS][1:]
    order = np.searchsorted(edges, score.to_numpy(dtype=float), side="right")
    return pd.Series([HEALTH_BANDS[i][0] for i in order], index=score.index)


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
