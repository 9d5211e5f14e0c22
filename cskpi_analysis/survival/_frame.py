"""The data of the landmark analysis, read from the warehouse: the survival frame, the cohort, first value, first spells."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.quality import sources
from cskpi_analysis.warehouse import DEFAULT_HORIZON_DAYS, DEFAULT_LANDMARK_DAYS, Warehouse, kept

LANDMARK_CHOICES: dict[str, int] = {"day 14": 14, "day 30": 30, "day 60": 60}
"""The landmarks notebook 03 offers (label: days after the first paid day); ``cskpi build --warm`` fits each."""

HORIZON_CHOICES: dict[str, int] = {"6 months": 183, "12 months": 365, "24 months": 730}
"""The horizons notebook 03 offers (label: days after the landmark); ``cskpi build --warm`` fits each."""


def feature_slug(feature: str) -> str:
    """A column-safe name for a feature (``"Saved views" -> "saved_views"``)."""
    return re.sub(r"[^0-9a-z]+", "_", feature.lower()).strip("_") or "feature"


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
    """The landmark cohort: ``mart_account_landmark`` plus derived analysis columns.

    One row per account paying on day ``landmark_days`` after its first paid day
    (landmark on or before ``as_of``). When the warehouse was built with another
    landmark or horizon, the frame is read from the warehouse for those parameters
    (:meth:`~cskpi_analysis.warehouse.Warehouse.with_parameters`: built once, beside the
    main one, then reused); the caller's warehouse is never changed.

    Added columns: ``adopted_<feature>`` / ``not_adopted_<feature>`` (one per key
    feature, from ``int_landmark_key_features``), ``no_first_value`` (not
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
        frame = reader.execute("select * from mart_account_landmark order by start_date, account_id").df()
        adoption = reader.execute("select account_id, feature, adopted from int_landmark_key_features").df()
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
        from int_landmark_cohort
        """
    ).fetchone()
    outcome = con.execute(
        """
        select
            count(case when observable_to_horizon then 1 end),
            count(case when churned then 1 end),
            count(case when not churned and not observable_to_horizon then 1 end)
        from mart_account_landmark
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
        from int_landmark_first_value as first_value
        inner join stg_accounts as accounts
            on accounts.account_id = first_value.account_id
        order by first_value.account_id
        """
    ).df()


def _first_spells(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """Each account's first paid spell: ``account_id``, ``segment``, ``days`` (first paid day to the end
    of the spell, or to ``as_of`` while still paying) and ``churned`` (1 when the spell has ended)."""
    return con.execute(
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
