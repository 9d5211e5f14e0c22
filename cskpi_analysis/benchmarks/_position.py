"""Pure pieces of a comparison: the ACV band of a contract value, compounding a monthly churn rate,
the percentile position in a benchmark's distribution, the verdict, and how a rate is written."""

from __future__ import annotations

import math

import pandas as pd


def acv_band(annual_contract_value: float, benchmarks: pd.DataFrame) -> str | None:
    """The ACV band of the benchmarks file that holds an annual contract value.

    Bands are half-open, ``acv_min <= ACV < acv_max`` in USD per year, an empty bound
    being open. ACV is 12 x MRR per account (``12 * mrr_start / accounts_start``).

    Returns
    -------
    The band's ``segment`` label (e.g. ``"ACV $12K-$25K"``), or None when the value is
    missing, negative or in no band. When sources band differently and several bands
    hold the value, the narrowest is returned.

    Examples
    --------
    >>> acv_band(12 * 1_500, load_benchmarks())
    'ACV $12K-$25K'
    """
    if annual_contract_value is None or not math.isfinite(annual_contract_value) or annual_contract_value < 0:
        return None
    bands = benchmarks.loc[
        benchmarks["segment_kind"] == "acv_band", ["segment", "acv_min", "acv_max"]
    ].drop_duplicates()
    lower = bands["acv_min"].fillna(-math.inf)
    upper = bands["acv_max"].fillna(math.inf)
    holding = bands[(lower <= annual_contract_value) & (annual_contract_value < upper)]
    if holding.empty:
        return None
    width = (upper - lower)[holding.index]
    return str(holding.loc[width.idxmin(), "segment"])


def compound_monthly_churn(monthly_rate: float) -> float:
    """Annual churn implied by a constant monthly churn rate: ``1 - (1 - m)**12``.

    Exact only if the monthly rate is the same every month (the share of the
    starting accounts still there after 12 months is ``(1 - m)**12``). Not for revenue
    rates: expansion and contraction change the base every month.

    >>> round(compound_monthly_churn(0.02), 4)
    0.2153
    """
    return 1.0 - (1.0 - monthly_rate) ** 12


def percentile_position(value: float, p25: float, median: float, p75: float) -> tuple[float | None, str]:
    """Where a value sits in a benchmark's distribution, by linear interpolation.

    Between two known quantiles the position is interpolated linearly:
    ``25 + 25 * (v - p25) / (median - p25)`` below the median,
    ``50 + 25 * (v - median) / (p75 - median)`` above it. Outside [p25, p75] nothing
    is known about the tails, so no number is given (None), only the side.

    The position is in the distribution of the KPI itself: for churn, the 75th
    percentile is a *high* churn (see :func:`verdict_from_benchmark` for good vs bad).

    Returns
    -------
    (percentile or None, phrase), e.g. ``(37.5, "between the 25th percentile and the median")``.
    """
    if any(x is None or not math.isfinite(x) for x in (value, p25, median, p75)) or not p25 <= median <= p75:
        return None, ""
    tolerance = 1e-12
    if math.isclose(value, median, abs_tol=tolerance):
        return 50.0, "at the median"
    if math.isclose(value, p25, abs_tol=tolerance):
        return 25.0, "at the 25th percentile"
    if math.isclose(value, p75, abs_tol=tolerance):
        return 75.0, "at the 75th percentile"
    if value < p25:
        return None, "below the 25th percentile"
    if value > p75:
        return None, "above the 75th percentile"
    if value < median:
        return 25.0 + 25.0 * (value - p25) / (median - p25), "between the 25th percentile and the median"
    return 50.0 + 25.0 * (value - median) / (p75 - median), "between the median and the 75th percentile"


def verdict_from_benchmark(
    value: float,
    *,
    higher_is_better: bool,
    median: float | None = None,
    p25: float | None = None,
    p75: float | None = None,
    mean: float | None = None,
    tolerance: float = 0.02,
) -> str | None:
    """Above market, in line or below market, from the company's point of view.

    * With both quartiles: better than the better quartile (p75 when higher is better,
      p25 for churn) is "above market", worse than the worse quartile is "below
      market", inside the interquartile range is "in line".
    * With a median (else a mean) only: within ``tolerance`` (relative, 2 % by
      default: 1.02 +/- 0.0204 for a 102 % NRR median) it is "in line"; otherwise above
      or below according to ``higher_is_better`` (for churn, lower is better).
    * None when there is nothing to compare with.
    """
    if value is None or not math.isfinite(value):
        return None

    def known(x: float | None) -> bool:
        return x is not None and math.isfinite(x)

    if known(p25) and known(p75):
        better_line, worse_line = (p75, p25) if higher_is_better else (p25, p75)
        is_better = (value > better_line) if higher_is_better else (value < better_line)
        is_worse = (value < worse_line) if higher_is_better else (value > worse_line)
        return "above market" if is_better else "below market" if is_worse else "in line"
    central = median if known(median) else mean if known(mean) else None
    if central is None:
        return None
    if abs(value - central) <= tolerance * abs(central):
        return "in line"
    return "above market" if (value > central) == higher_is_better else "below market"


def _pct(fraction: float) -> str:
    """A fraction as a percentage: two decimals under 10 % (5.15%), one above (88.5%), none when whole."""
    percent = round(fraction * 100, 2 if abs(fraction) < 0.1 else 1)
    return f"{percent:g}%"
