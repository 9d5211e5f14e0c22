"""Time to first value as a time-to-event outcome: the share that reached value by day t, its median and p90."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cskpi_analysis.narrative import user_text
from cskpi_analysis.survival._kept import _frame_inputs, _inputs_digest, _keep
from cskpi_analysis.survival._km import _kmf
from cskpi_analysis.warehouse import Reader

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
        return _keep(keep, "ttfv_curve", digest, lambda _: ttfv_curve(ttfv))
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
        return _keep(keep, "ttfv_quantiles", digest, lambda _: ttfv_quantiles(ttfv))
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
