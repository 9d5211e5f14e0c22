"""The executive summary (notebook ``00_executive_summary``): the answer first, in seed 002's structure.

Executive summary, key metrics and trends, customer health highlights, churn and expansion
risks, actions and next steps, wins and learnings: a page a VP reads in two minutes. Every
number is read from the marts (or from a kept model result); this module only selects,
compares and words them. The cadence is a month or a quarter:

=========  ==========================================  =========================================
cadence    current period                              compared with
=========  ==========================================  =========================================
month      the latest complete month M                 M-1 (last month), M-3, M-12 (a year ago)
quarter    the three complete months ending at M       the three months ending at M-3, at M-12
=========  ==========================================  =========================================

Levels (MRR, trailing-twelve-month NRR and GRR) are read at the period's last month; the
logo churn rate is pooled over the period's months (churned / accounts at the start, summed).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pandas as pd

from cskpi_analysis import catalogue
from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.kpis import check_segment
from cskpi_analysis.narrative import percent, user_text
from cskpi_analysis.warehouse import Reader, Warehouse

Cadence = Literal["month", "quarter"]

#: The scorecard, in reporting order: (catalogue id, label, unit, higher is better), from the
#: catalogue (``scorecard``, ``scorecard_label``, ``unit``, ``higher_is_better``). Five KPIs,
#: within the five to eight a leadership page should carry (seed 002).
SCORECARD: tuple[tuple[str, str, str, bool], ...] = tuple(
    (k.id, k.scorecard_label, k.unit, bool(k.higher_is_better)) for k in catalogue.scorecard()
)

#: Months back for each comparison column, per cadence.
COMPARISONS: dict[str, tuple[tuple[str, int], ...]] = {
    "month": (("last month", 1), ("3 months ago", 3), ("a year ago", 12)),
    "quarter": (("last quarter", 3), ("a year ago", 12)),
}

RENEWAL_DAYS = 90


def _months(cadence: str) -> int:
    if cadence not in COMPARISONS:
        raise AnalysisError(f"cadence must be 'month' or 'quarter', got {cadence!r}")
    return 1 if cadence == "month" else 3


def latest_month(con: Reader) -> dt.date:
    """The latest complete month (the scorecard's month); an error when there is none."""
    row = con.execute("select max(month) from int_months where is_complete_month").fetchone()
    if row is None or row[0] is None:
        raise AnalysisError("no complete month in the data: the summary needs at least one")
    return row[0]


def _shift(month: dt.date, months: int) -> dt.date:
    return (pd.Timestamp(month) - pd.DateOffset(months=months)).date()


def _levels(con: Reader, months: list[dt.date]) -> pd.DataFrame:
    """MRR and T12M NRR/GRR (with counts) of segment All at each month (missing months absent)."""
    return con.execute(
        """
        select
            kpis.month,
            cast(kpis.mrr_end as double) as mrr,
            t12m.nrr_t12m, cast(t12m.nrr_t12m_numerator as double) as nrr_t12m_numerator,
            cast(t12m.nrr_t12m_denominator as double) as nrr_t12m_denominator,
            t12m.grr_t12m, cast(t12m.grr_t12m_numerator as double) as grr_t12m_numerator,
            cast(t12m.grr_t12m_denominator as double) as grr_t12m_denominator
        from mart_kpis_monthly as kpis
        left join mart_retention_t12m as t12m
            on t12m.month = kpis.month and t12m.segment = kpis.segment
        where kpis.segment = 'All' and kpis.month in (select unnest($months))
        """,
        {"months": months},
    ).df()


def _churn(con: Reader, last: dt.date, months: int) -> tuple[float | None, float, float]:
    """Logo churn pooled over the ``months`` complete months ending at ``last``: (rate, churned, base)."""
    row = con.execute(
        """
        select sum(logo_churn_rate_numerator), sum(logo_churn_rate_denominator), count(*)
        from mart_kpis_monthly
        where segment = 'All' and is_complete_month
            and month > $last - to_months(cast($months as integer)) and month <= $last
        """,
        {"last": last, "months": months},
    ).fetchone()
    if row is None or not row[2] or row[2] < months:
        return None, 0.0, 0.0
    numerator, denominator = float(row[0] or 0), float(row[1] or 0)
    return (numerator / denominator if denominator else None), numerator, denominator


def mrr_at_risk(wh: Warehouse) -> tuple[float, float]:
    """Expected MRR to churn within 3 months (sum of MRR x churn risk over paying accounts), and the MRR.

    The risks come from :func:`cskpi_analysis.indicators.portfolio_risk` (fitted once per
    warehouse on the whole portfolio), scored at the latest complete month only. Without any
    indicator of the risk model (no usage, support or first-value data) it is not computed: NaN,
    as the catalogue says (``mrr_at_risk`` needs usage events), rather than a base rate dressed up as a risk.
    """
    from cskpi_analysis.indicators import availability, portfolio_risk

    if "worklist" in availability(wh)[2]:
        return float("nan"), 0.0
    scores = portfolio_risk(wh)
    if scores.empty:
        return float("nan"), 0.0
    return float((scores["mrr"] * scores["churn_risk"]).sum()), float(scores["mrr"].sum())


def at_risk_list(wh: Warehouse, top: int = 10) -> pd.DataFrame:
    """The top of the at-risk worklist (:func:`cskpi_analysis.indicators.worklist`), or an empty frame
    when the data hold no indicator of the risk model (the leading-indicators report says why)."""
    from cskpi_analysis.indicators import availability, worklist

    if "worklist" in availability(wh)[2]:
        return pd.DataFrame(columns=["account_id", "account_name", "segment", "mrr", "churn_risk", "mrr_at_risk"])
    return worklist(wh, "All", top=top)


def scorecard(wh: Warehouse, cadence: Cadence = "month") -> pd.DataFrame:
    """The headline KPIs of the period, against earlier periods and the targets of ``cskpi.toml``.

    One row per :data:`SCORECARD` KPI: ``kpi``, ``label``, ``unit``, ``higher_is_better``,
    ``value``, ``numerator``, ``denominator``, one column per comparison of
    :data:`COMPARISONS` (the value then; ``None`` when the data does not reach back), ``target``
    (``[targets]`` in ``cskpi.toml``, else ``None``), ``market`` (the verdict against the closest
    curated benchmark, :func:`cskpi_analysis.benchmarks.market_position`) and ``status``: ``on target`` / ``off
    target`` against the target; without one, ``better`` / ``worse`` / ``unchanged`` than a
    year ago; ``n/a`` when neither can be said. MRR at risk is a model output at the latest
    month only: it has no earlier values.
    """
    months_in_period = _months(cadence)
    month = latest_month(wh)
    back = [(label, _shift(month, n)) for label, n in COMPARISONS[cadence]]
    levels = _levels(wh, [month] + [m for _, m in back]).set_index("month")

    def level(column: str, at: dt.date) -> float | None:
        stamp = pd.Timestamp(at)
        if stamp not in levels.index:
            return None
        value = levels.loc[stamp, column]
        return None if pd.isna(value) else float(value)

    from cskpi_analysis.benchmarks import market_position

    targets = dict(wh.config.targets)
    risk, risk_base = mrr_at_risk(wh)
    comparison = market_comparison(wh)
    rows = []
    for kpi, label, unit, higher in SCORECARD:
        earlier: dict[str, float | None] = {}
        if kpi == "monthly_recurring_revenue":
            value, numerator, denominator = level("mrr", month), level("mrr", month), None
            earlier = {name: level("mrr", at) for name, at in back}
        elif kpi in ("net_revenue_retention_t12m", "gross_revenue_retention_t12m"):
            column = "nrr_t12m" if kpi.startswith("net") else "grr_t12m"
            value = level(column, month)
            numerator, denominator = level(f"{column}_numerator", month), level(f"{column}_denominator", month)
            earlier = {name: level(column, at) for name, at in back}
        elif kpi == "logo_churn_rate":
            value, numerator, denominator = _churn(wh, month, months_in_period)
            earlier = {name: _churn(wh, at, months_in_period)[0] for name, at in back}
        else:  # mrr_at_risk
            value = None if pd.isna(risk) else risk
            numerator, denominator = value, risk_base
            earlier = {name: None for name, _ in back}
        target = targets.get(kpi)
        rows.append(
            {
                "kpi": kpi,
                "label": label,
                "unit": unit,
                "higher_is_better": higher,
                "value": value,
                "numerator": numerator,
                "denominator": denominator,
                **earlier,
                "target": target,
                "market": market_position(comparison, kpi),
                "status": _status(value, target, earlier.get("a year ago"), higher),
            }
        )
    frame = pd.DataFrame(rows)
    frame.attrs.update(month=month, cadence=cadence)
    return frame


def _status(value: float | None, target: float | None, year_ago: float | None, higher: bool) -> str:
    if value is None:
        return "n/a"
    if target is not None:
        return "on target" if (value >= target if higher else value <= target) else "off target"
    if year_ago is None:
        return "n/a"
    if value == year_ago:
        return "unchanged"
    return "better" if (value > year_ago) == higher else "worse"


def change_text(row: pd.Series, column: str) -> str:
    """The change of a scorecard row against one comparison column, in words a leader reads.

    Money as a relative change (``+88.0%``), rates in percentage points (``-1.2 pp``); ``n/a``
    when either value is missing.
    """
    value, then = row["value"], row[column]
    if value is None or then is None or pd.isna(value) or pd.isna(then):
        return "n/a"
    if row["unit"] == "money":
        return f"{(value - then) / then:+.1%}" if then else "n/a"
    change = round(100 * (value - then), 1)
    return "0.0 pp" if change == 0 else f"{change:+.1f} pp"


def value_text(value: float | None, unit: str) -> str:
    """``$3,230,000`` for money, ``97.1%`` for a rate, ``n/a`` for a missing value (the rules of :func:`present`)."""
    return _shown(value, "money" if unit == "money" else "rate")


def scorecard_table(card: pd.DataFrame) -> pd.DataFrame:
    """The scorecard formatted for reading: one row per KPI, values and changes as text."""
    comparisons = [c for c in card.columns if c in {name for pairs in COMPARISONS.values() for name, _ in pairs}]
    rows = []
    for _, row in card.iterrows():
        out = {"KPI": row["label"], "Now": value_text(row["value"], row["unit"])}
        for column in comparisons:
            out[f"vs {column}"] = change_text(row, column)
        out["Target"] = value_text(row["target"], row["unit"]) if row["target"] is not None else "none set"
        out["Market"] = row["market"] or "no comparable benchmark"
        out["Status"] = row["status"]
        rows.append(out)
    return pd.DataFrame(rows)


def growth_sentence(card: pd.DataFrame) -> str:
    """E.g. "MRR grew 87.8% in the year, from $1,718,171 to $3,227,066 (Sep 2025 to Sep 2026)."."""
    mrr = card.set_index("kpi").loc["monthly_recurring_revenue"]
    return mrr_growth_sentence(mrr["value"], mrr["a year ago"], card.attrs["month"])


def monthly_growth_sentence(monthly: pd.DataFrame) -> str:
    """:func:`mrr_growth_sentence` from one segment's ``mart_kpis_monthly`` rows (its latest complete month)."""
    complete = monthly[monthly["is_complete_month"]].set_index("month")
    if complete.empty:
        return "No complete month yet: MRR growth cannot be measured."
    month = complete.index.max()
    year_ago = month - pd.DateOffset(months=12)
    then = float(complete.loc[year_ago, "mrr_end"]) if year_ago in complete.index else None
    return mrr_growth_sentence(float(complete.loc[month, "mrr_end"]), then, month.date())


def mrr_growth_sentence(now: float | None, year_ago: float | None, month: dt.date) -> str:
    """MRR now against twelve months earlier, in one sentence (a relative change)."""
    if now is None or pd.isna(now):
        return f"MRR cannot be measured at {month:%b %Y}."
    if year_ago is None or pd.isna(year_ago) or not year_ago:
        return f"MRR is {value_text(now, 'money')} at {month:%b %Y}; the data does not reach a year back."
    change = (now - year_ago) / year_ago
    verb = "grew" if change > 0 else "shrank" if change < 0 else "held"
    return (
        f"MRR {verb} {abs(change):.1%} in the year, from {value_text(year_ago, 'money')} to "
        f"{value_text(now, 'money')} ({_shift(month, 12):%b %Y} to {month:%b %Y})."
    )


def segment_sentence(by_segment: pd.DataFrame) -> str:
    """Where revenue is kept best and worst: the segment split of T12M NRR and GRR."""
    segments = by_segment[by_segment["segment"] != "All"].dropna(subset=["grr_t12m", "nrr_t12m"])
    if segments.empty:
        return "Trailing-twelve-month retention by segment needs twelve months of history."
    weakest = segments.loc[segments["grr_t12m"].idxmin()]
    strongest = segments.loc[segments["nrr_t12m"].idxmax()]
    if weakest["segment"] == strongest["segment"]:
        return (
            f"{user_text(weakest['segment'])} is the only segment: it keeps {percent(weakest['grr_t12m'])} of "
            f"revenue before expansion and {percent(weakest['nrr_t12m'])} with it (T12M)."
        )
    return (
        f"{user_text(strongest['segment'])} grows its base (T12M NRR {percent(strongest['nrr_t12m'])}) while "
        f"{user_text(weakest['segment'])} keeps only {percent(weakest['grr_t12m'])} of its revenue before "
        "expansion (T12M GRR), the weakest segment."
    )


def risk_sentence(at_risk: float, base: float, renewals: pd.DataFrame) -> str:
    """The top risk: expected MRR loss within 3 months, and renewals coming due."""
    parts = []
    if base and not pd.isna(at_risk):
        parts.append(
            f"{value_text(at_risk, 'money')} of MRR ({at_risk / base:.1%} of {value_text(base, 'money')}) is "
            "expected to churn within 3 months if nothing changes"
        )
    if not renewals.empty:
        parts.append(
            f"{len(renewals):,} annual renewals worth {value_text(float(renewals['mrr'].sum()), 'money')} of MRR "
            f"come due in the next {RENEWAL_DAYS} days"
        )
    if not parts:
        return "No churn risk could be scored and no annual renewal is due soon."
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def market_comparison(con: Reader) -> pd.DataFrame:
    """The whole base's KPIs against the curated benchmarks (:func:`cskpi_analysis.benchmarks.compare`),
    once per open warehouse: the scorecard and the market sentence read the same comparison."""
    from cskpi_analysis import benchmarks
    from cskpi_analysis.kpis import kpis_monthly, retention_t12m

    def compare(con: Reader) -> pd.DataFrame:
        table = benchmarks.load_benchmarks()
        monthly, t12m = kpis_monthly(con, "All"), retention_t12m(con, "All")
        acv = benchmarks.average_acv_from_marts(monthly, segment="All")
        return benchmarks.compare(benchmarks.user_kpis_from_marts(monthly, t12m, segment="All"), table, acv=acv)

    return con.remember("market_comparison", compare) if isinstance(con, Warehouse) else compare(con)


def market_sentence(con: Reader) -> str:
    """The market verdict on NRR (else GRR, else logo churn), one family of
    :func:`cskpi_analysis.benchmarks.market_context_sentence`, for the whole base."""
    from cskpi_analysis import benchmarks

    return benchmarks.market_context_sentence(market_comparison(con), limit=1)


def renewals_due(con: Reader, segment: str = "All", limit: int | None = None) -> pd.DataFrame:
    """Annual subscriptions renewing in the next 90 days (``mart_renewals_due``), largest MRR first."""
    check_segment(con, segment)
    frame = con.execute(
        """
        select account_id, account_name, segment, plan, renewal_date, days_to_renewal,
            cast(mrr as double) as mrr, ends_before_renewal
        from mart_renewals_due
        where $segment = 'All' or segment = $segment
        order by mrr desc, account_id
        """,
        {"segment": segment},
    ).df()
    return frame.head(limit) if limit is not None else frame


def wins_and_learnings(card: pd.DataFrame, expanded: pd.DataFrame) -> tuple[list[str], list[str]]:
    """What went well (KPIs better than a year ago, the largest expansion) and what did not."""
    wins, learnings = [], []
    for _, row in card.iterrows():
        if row["kpi"] == "mrr_at_risk" or row["status"] not in ("better", "worse", "on target", "off target"):
            continue
        then = row["a year ago"]
        if then is None or pd.isna(then) or row["value"] is None:
            continue
        text = (
            f"{row['label']} is {value_text(row['value'], row['unit'])}, "
            f"{change_text(row, 'a year ago')} on a year ago."
        )
        better = (row["value"] > then) == row["higher_is_better"] and row["value"] != then
        (wins if better else learnings).append(text)
    if not expanded.empty:
        top = expanded.iloc[0]
        wins.append(
            f"Largest expansion: {user_text(top['account_name'])} ({user_text(top['segment'])}), "
            f"+{value_text(float(top['movement_mrr']), 'money')} MRR in {pd.Timestamp(top['month']):%b %Y}."
        )
    return wins, learnings


def actions(
    card: pd.DataFrame, by_segment_steps: list[str], worklist: pd.DataFrame, renewals: pd.DataFrame,
    contracted: pd.DataFrame,
) -> pd.DataFrame:  # fmt: skip
    """Actions and next steps, each with the MRR at stake (``action``, ``mrr_at_stake``, ``report``)."""
    rows = []
    if not worklist.empty:
        rows.append(
            {
                "action": f"Call the {len(worklist)} accounts at the top of the at-risk list this week, "
                f"starting with {user_text(worklist.iloc[0]['account_name'])}.",
                "mrr_at_stake": float(worklist["mrr"].sum()),
                "report": "04_leading_indicators",
            }
        )
    if not renewals.empty:
        cancelling = int(renewals["ends_before_renewal"].sum())
        rows.append(
            {
                "action": f"Secure the {len(renewals)} annual renewals due in the next {RENEWAL_DAYS} days"
                + (f" ({cancelling} already gave notice)." if cancelling else "."),
                "mrr_at_stake": float(renewals["mrr"].sum()),
                "report": "00_summary",
            }
        )
    if not contracted.empty:
        rows.append(
            {
                "action": "Review the largest recent contractions: downgrades often precede churn.",
                "mrr_at_stake": float(-contracted["movement_mrr"].sum()),
                "report": "01_kpi_overview",
            }
        )
    if by_segment_steps:
        rows.append({"action": by_segment_steps[0], "mrr_at_stake": None, "report": "03_day30_survival"})
    return pd.DataFrame(rows, columns=["action", "mrr_at_stake", "report"])


#: How a column is shown to a leader: (heading, kind) with kind money, rate, date, month, int or text.
_PRESENTATION: dict[str, tuple[str, str]] = {
    "account_id": ("Account id", "text"),
    "account_name": ("Account", "text"),
    "segment": ("Segment", "text"),
    "plan": ("Plan", "text"),
    "month": ("Month", "month"),
    "previous_mrr": ("MRR before", "money"),
    "mrr": ("MRR", "money"),
    "movement_mrr": ("Change in MRR", "money"),
    "renewal_date": ("Renews on", "date"),
    "days_to_renewal": ("In days", "int"),
    "ends_before_renewal": ("Notice given", "text"),
    "churn_risk": ("Churn risk (3 months)", "rate"),
    "mrr_at_risk": ("MRR at risk", "money"),
    "cause": ("Why", "text"),
    "action": ("Action", "text"),
    "mrr_at_stake": ("MRR at stake", "money"),
    "report": ("Details in", "text"),
}


def _shown(value: object, kind: str) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[arg-type]
        return "n/a"
    if kind == "money":
        amount = float(value)  # type: ignore[arg-type]
        return f"-${-amount:,.0f}" if amount < 0 else f"${amount:,.0f}"
    if kind == "rate":
        return percent(float(value))  # type: ignore[arg-type]
    if kind == "month":
        return f"{pd.Timestamp(value):%b %Y}"  # type: ignore[arg-type]
    if kind == "date":
        return f"{pd.Timestamp(value):%-d %b %Y}"  # type: ignore[arg-type]
    if kind == "int":
        return f"{int(value):,}"  # type: ignore[call-overload]
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def present(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``columns`` of ``frame`` as text a leader reads: plain headings, money as ``$12,345``,
    rates as ``12.3%``, months as ``Jul 2026``, missing values as ``n/a``."""
    out = pd.DataFrame(index=frame.index)
    for column in columns:
        heading, kind = _PRESENTATION.get(column, (column.replace("_", " ").capitalize(), "text"))
        out[heading] = [_shown(value, kind) for value in frame[column]]
    return out.reset_index(drop=True)
