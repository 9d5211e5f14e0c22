"""The leader report's health, risk and action sections (notebook ``01_kpi_overview``).

Small aggregated frames and generated sentences; no chart code, no business numbers
typed by hand. Health bands on the vendor score are descriptive only here: whether the
score predicts churn is tested in ``04_leading_indicators``.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from cskpi_analysis.kpis import check_segment
from cskpi_analysis.narrative import percent, user_text
from cskpi_analysis.warehouse import Reader, kept

#: Vendor health score bands: (label, lower bound inclusive, upper bound exclusive).
HEALTH_BANDS: tuple[tuple[str, float, float], ...] = (
    ("At risk", 0.0, 40.0),
    ("Watch", 40.0, 70.0),
    ("Healthy", 70.0, 100.0001),
)


def health_distribution(con: duckdb.DuckDBPyConnection, segment: str = "All") -> pd.DataFrame:
    """Paying accounts at the latest complete month by band of their latest vendor health score.

    Columns: ``band``, ``accounts``, ``share`` (of scored accounts), ``mrr``, ``mrr_share``.
    Accounts with no score in the 92 days before the month end form the band ``No recent score``.
    """
    check_segment(con, segment)

    def distribution(con: Reader) -> pd.DataFrame:  # per segment: a segment change reads four rows back
        return _distribution(kept(con, "latest_health_scores", _latest_scores), segment)

    return kept(con, f"health_distribution_{segment}", distribution)


def _distribution(scored: pd.DataFrame, segment: str) -> pd.DataFrame:
    if segment != "All":
        scored = scored[scored["segment"] == segment]
    counted = scored.groupby("band", sort=False).agg(accounts=("account_id", "count"), mrr=("mrr", "sum"))
    order = [label for label, _, _ in HEALTH_BANDS] + ["No recent score"]
    out = counted.reindex(order).rename_axis("band").reset_index()
    out["accounts"] = out["accounts"].fillna(0).astype("int64")
    out["mrr"] = out["mrr"].fillna(0.0).astype("float64")
    scored = out.loc[out["band"] != "No recent score", "accounts"].sum()
    out["share"] = out["accounts"] / scored if scored else float("nan")
    out.loc[out["band"] == "No recent score", "share"] = float("nan")
    out["mrr_share"] = out["mrr"] / out["mrr"].sum() if out["mrr"].sum() else float("nan")
    return out[["band", "accounts", "share", "mrr", "mrr_share"]]


def _latest_scores(con: Reader) -> pd.DataFrame:
    """Every paying account at the latest complete month with its latest score's band (any segment).

    Columns ``account_id``, ``segment``, ``mrr``, ``band``; kept per warehouse, so a segment
    change only filters it.
    """
    bands = " union all ".join(
        f"select $label_{i} as band, $low_{i} as low, $high_{i} as high" for i in range(len(HEALTH_BANDS))
    )
    values: dict[str, object] = {}
    for i, (label, low, high) in enumerate(HEALTH_BANDS):
        values.update({f"label_{i}": label, f"low_{i}": low, f"high_{i}": high})
    return con.execute(
        f"""
        with latest_month as (
            select max(month) as month, max(month_end) as month_end from int_months where is_complete_month
        ),
        paying as (
            select account_months.account_id, account_months.segment, account_months.mrr
            from mart_account_months as account_months
            inner join latest_month on latest_month.month = account_months.month
            where account_months.mrr > 0
        ),
        scores as (
            select health.account_id, health.score,
                row_number() over (partition by health.account_id order by health.scored_at desc) as recency
            from stg_health_scores as health
            cross join latest_month
            where health.scored_at <= latest_month.month_end
                and health.scored_at > latest_month.month_end - interval 92 day
        ),
        bands as ({bands})
        select paying.account_id, paying.segment, paying.mrr, coalesce(bands.band, 'No recent score') as band
        from paying
        left join scores on scores.account_id = paying.account_id and scores.recency = 1
        left join bands on scores.score >= bands.low and scores.score < bands.high
        order by paying.account_id
        """,
        values,
    ).df()


def health_sentence(distribution: pd.DataFrame) -> str:
    """E.g. "214 paying accounts (15.2%, 9.8% of MRR) are at risk on the vendor score; ..."."""
    rows = distribution.set_index("band")
    if rows.loc[["At risk", "Watch", "Healthy"], "accounts"].sum() == 0:
        return "No vendor health score is available for the latest month."
    risk = rows.loc["At risk"]
    sentence = (
        f"{int(risk['accounts']):,} paying accounts ({percent(risk['share'])} of scored accounts, "
        f"{percent(risk['mrr_share'])} of MRR) are at risk on the vendor health score, "
        f"{int(rows.loc['Watch', 'accounts']):,} are on watch."
    )
    unscored = int(rows.loc["No recent score", "accounts"])
    if unscored:
        sentence += f" {unscored:,} paying accounts have no score in the last quarter: a blind spot."
    return sentence + " Whether this score predicts churn is tested in the leading-indicators report."


def largest_movements(
    con: duckdb.DuckDBPyConnection, movement: str, *, months: int = 3, segment: str = "All", limit: int = 10
) -> pd.DataFrame:
    """The largest MRR movements of one kind (``churn``, ``contraction``, ``expansion``) over the
    last ``months`` complete months: ``account_id``, ``account_name``, ``segment``, ``month``,
    ``previous_mrr``, ``mrr``, ``movement_mrr``. Names and ids only, never contact details.
    """
    if movement not in ("churn", "contraction", "expansion", "reactivation"):
        raise ValueError(f"unknown movement {movement!r}")
    check_segment(con, segment)

    def recent_movements(con: Reader) -> pd.DataFrame:  # a function of this module: its code keys the result
        return _recent_movements(con, months=months)

    recent = kept(con, f"recent_movements_{months}", recent_movements)
    chosen = recent[(recent["movement"] == movement) & ((segment == "All") | (recent["segment"] == segment))]
    largest = (
        chosen.assign(size=chosen["movement_mrr"].abs())
        .sort_values(["size", "account_id"], ascending=[False, True], kind="mergesort")
        .head(limit)
    )
    return largest.drop(columns=["movement", "size"]).reset_index(drop=True)


def _recent_movements(con: Reader, *, months: int) -> pd.DataFrame:
    """Every MRR movement but new business of the last ``months`` complete months, any segment."""
    return con.execute(
        """
        with window_months as (
            select month from int_months where is_complete_month order by month desc limit $months
        )
        select
            account_months.account_id,
            accounts.account_name,
            account_months.segment,
            account_months.month,
            account_months.previous_mrr,
            account_months.mrr,
            account_months.movement_mrr,
            account_months.movement
        from mart_account_months as account_months
        inner join window_months on window_months.month = account_months.month
        inner join stg_accounts as accounts on accounts.account_id = account_months.account_id
        where account_months.movement in ('churn', 'contraction', 'expansion', 'reactivation')
        order by account_months.account_id, account_months.month
        """,
        {"months": months},
    ).df()


def risk_sentence(churned: pd.DataFrame, contracted: pd.DataFrame, months: int = 3) -> str:
    """Concentration of recent losses: how much of the lost MRR the largest accounts explain."""
    if churned.empty and contracted.empty:
        return f"No churn or contraction in the last {months} complete months."
    parts = []
    if not churned.empty:
        top = churned.iloc[0]
        parts.append(
            f"the largest churn was {user_text(top['account_name'])} ({user_text(top['segment'])}, "
            f"${abs(top['movement_mrr']):,.0f} MRR "
            f"in {pd.Timestamp(top['month']):%b %Y})"
        )
    if not contracted.empty:
        parts.append(f"the ten largest contractions removed ${abs(contracted['movement_mrr'].sum()):,.0f} MRR")
    return f"Over the last {months} complete months, " + "; ".join(parts) + "."


def segment_headlines(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """T12M NRR and GRR and pooled monthly logo churn per segment at the latest complete month."""
    from cskpi_analysis.kpis import headline_frame, segments

    rows = []
    for segment in segments(con):
        headline = headline_frame(con, segment).set_index("kpi")["value"]
        rows.append(
            {
                "segment": segment,
                "nrr_t12m": headline.get("net_revenue_retention_t12m"),
                "grr_t12m": headline.get("gross_revenue_retention_t12m"),
                "logo_churn_rate": headline.get("logo_churn_rate"),
                "expansion_rate": headline.get("expansion_rate"),
                "contraction_rate": headline.get("contraction_rate"),
            }
        )
    return pd.DataFrame(rows)


def next_steps(by_segment: pd.DataFrame) -> list[str]:
    """Actions generated from the segment headlines: where GRR is weakest, where NRR hides a
    leak, where contraction runs ahead of expansion. Each names a segment and a number."""
    steps = []
    segments_only = by_segment[by_segment["segment"] != "All"].dropna(subset=["grr_t12m"])
    if segments_only.empty:
        return ["Collect twelve months of history to compute trailing-twelve-month retention by segment."]
    weakest = segments_only.loc[segments_only["grr_t12m"].idxmin()]
    steps.append(
        f"Start with {user_text(weakest['segment'])}: it keeps only {percent(weakest['grr_t12m'])} of revenue "
        "before expansion (T12M GRR), the lowest of any segment. "
        "Review its churned accounts with the day-30 survival report."
    )
    leaky = segments_only[(segments_only["nrr_t12m"] >= 1) & (segments_only["grr_t12m"] < 0.9)]
    for _, row in leaky.iterrows():
        steps.append(
            f"{user_text(row['segment'])} grows (NRR {percent(row['nrr_t12m'])}) "
            f"while leaking (GRR {percent(row['grr_t12m'])}): "
            "expansion is masking churn; keep a retention target beside the expansion target."
        )
    shrinking = segments_only[segments_only["contraction_rate"] > segments_only["expansion_rate"]]
    for _, row in shrinking.iterrows():
        steps.append(
            f"In {user_text(row['segment'])}, contraction ({percent(row['contraction_rate'], 2)} of MRR a month) "
            f"outruns expansion ({percent(row['expansion_rate'], 2)}): downgrades often precede churn, so review them."
        )
    steps.append("Work the at-risk list in the leading-indicators report this week, largest MRR first.")
    return steps
