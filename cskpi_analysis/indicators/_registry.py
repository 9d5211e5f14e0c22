"""The registry of indicators, the outcomes and horizons of the mart, the fixed health-score bands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.quality import FIRST_VALUE, KEY_FEATURES

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


def outcome_column(outcome: str, horizon: int) -> str:
    """Column of ``outcome`` within ``horizon`` months, e.g. ``churn_6m``."""
    if outcome not in OUTCOMES:
        raise AnalysisError(f"unknown outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}")
    if horizon not in HORIZONS:
        raise AnalysisError(f"horizon must be one of {', '.join(map(str, HORIZONS))} months, got {horizon}")
    return f"{outcome}_{horizon}m"
