"""The at-risk worklist: accounts to handle this week, by churn risk x MRR, each with its likely cause."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.indicators._frame import _latest_month, _sources_of, shared_frame
from cskpi_analysis.indicators._refit import RefitModel, fit_refit_model
from cskpi_analysis.indicators._registry import _BY_ID
from cskpi_analysis.kpis import check_segment
from cskpi_analysis.narrative import user_text
from cskpi_analysis.quality import FIRST_VALUE, Sources, sources
from cskpi_analysis.warehouse import Warehouse

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
    segment is kept beside the warehouse, so a segment change reads it back. A segment of the
    data with no paying account at the latest complete month has an empty list.
    """
    check_segment(wh, segment)

    def compute(wh: Warehouse) -> pd.DataFrame:
        scores = portfolio_risk(wh)
        if segment != "All":
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
