"""The market context in words: one sentence per KPI family (seed 003's "good numbers in a bad
market"), the scorecard's market position, and the reconciliation of sources that disagree."""

from __future__ import annotations

import math

import pandas as pd

from cskpi_analysis import catalogue
from cskpi_analysis.benchmarks._position import _pct
from cskpi_analysis.benchmarks._vocabulary import (
    _LABELS,
    _MATCH_RANK,
    _MEASURES,
    _PERIODLESS_FORMS,
    _RELIABILITY_RANK,
    BENCHMARK_OF,
    COMPOUNDING_NOTE,
    FACE_VALUE_LINES,
    HIGHER_IS_BETTER,
)
from cskpi_analysis.narrative import user_text

#: The families of measures (``[benchmark_kpis]`` ids) one sentence speaks to: a measure and its
#: complement, in any form (the catalogue KPIs ``logo_churn_rate``, ``logo_churn_rate_annual`` and
#: ``logo_retention_t12m`` are all of the logo family).
_SENTENCE_FAMILIES: tuple[tuple[str, ...], ...] = (
    ("net_revenue_retention",),
    ("gross_revenue_retention", "gross_mrr_churn_rate"),
    ("logo_retention", "logo_churn_rate"),
)


def _in_family(kpis: pd.Series, family: tuple[str, ...]) -> pd.Series:
    """Which catalogue ids of ``kpis`` are of a family of measures."""
    return kpis.map(lambda kpi: BENCHMARK_OF[kpi].kpi if kpi in BENCHMARK_OF else None).isin(family)


def _kpi_phrase(kpi: str, period: str, form: str) -> str:
    if form in _PERIODLESS_FORMS:
        return _LABELS[kpi]
    return f"{period} {_LABELS[kpi]}"


def _peer_phrase(row: pd.Series) -> str:
    if row["match"] == "segment":
        return f"{user_text(row['benchmark_segment'])} companies"
    if row["match"] == "acv_band":
        return f"companies with {user_text(row['benchmark_segment'])}"
    return "all companies surveyed"


def face_value_healthy(kpi: str, value: float) -> bool | None:
    """Whether the value of a catalogue KPI "looks healthy on its own" against :data:`FACE_VALUE_LINES`.

    Used only for wording; None when no face-value line exists for the KPI.
    """
    line = FACE_VALUE_LINES.get(kpi)
    if line is None or value is None or not math.isfinite(value):
        return None
    return bool(value >= line) if HIGHER_IS_BETTER[kpi] else bool(value <= line)


def _sentence(row: pd.Series) -> str:
    ours = f"Your {_kpi_phrase(row['kpi'], row['our_period'], row['our_form'])} of {_pct(row['our_value'])}"
    if row["conversion"]:
        compared_label = _kpi_phrase(row["benchmark_kpi"], row["benchmark_period"], row["benchmark_form"])
        article = "an" if compared_label[0] in "aeiou" else "a"
        ours += f" ({article} {compared_label} of {_pct(row['compared_value'])}"
        ours += f", {COMPOUNDING_NOTE})" if "compounding" in row["conversion"] else ")"
    statistic = "median" if math.isfinite(row["benchmark_median"]) else "average"
    central = row["benchmark_median"] if statistic == "median" else row["benchmark_mean"]
    bench_label = _kpi_phrase(row["benchmark_kpi"], row["benchmark_period"], row["benchmark_form"])
    market = f"the {statistic} {bench_label} for {_peer_phrase(row)} is {_pct(central)} ({user_text(row['publisher'])}, {row['year']})"
    position = f", {row['percentile_phrase']}" if row["percentile_phrase"] else ""
    healthy = face_value_healthy(row["kpi"], row["our_value"])
    verdict = row["verdict"]
    if healthy is True and verdict == "below market":
        return (
            f"{ours} looks healthy on its own, but {market}: below market{position}. "
            'This is "good numbers in a bad market": fine in isolation, behind its peers.'
        )
    if healthy is False and verdict == "above market":
        return (
            f"{ours} looks weak on its own, but {market}: above market{position}. "
            'This is "bad numbers in a good market": poor in isolation, ahead of its peers.'
        )
    return f"{ours} is {verdict}{position}: {market}."


def market_context_sentence(comparison: pd.DataFrame, limit: int | None = None) -> str:
    """Seed 003's point made concrete: your NRR, GRR and churn against the market.

    For each of NRR, GRR (or gross revenue churn) and logo churn (or logo retention),
    the comparable row with a verdict is chosen, preferring the closest peer group
    (segment, then ACV band, then All), then the most reliable source, then the most
    recent, then annual over monthly values. Each gives one sentence; a value that
    looks healthy on its own (:func:`face_value_healthy`) but is below market is named
    "good numbers in a bad market", one that looks weak but is above market "bad
    numbers in a good market". ``limit`` keeps the first ``limit`` sentences (NRR first).

    Examples
    --------
    "Your annual logo retention of 88% looks healthy on its own, but the median annual
    logo retention for SMB companies is 94% (...): below market. This is "good numbers
    in a bad market": fine in isolation, behind its peers."
    """
    usable = (
        comparison[comparison["comparable"] & comparison["verdict"].notna()] if not comparison.empty else comparison
    )
    sentences: list[str] = []
    for family in _SENTENCE_FAMILIES:
        rows = usable[_in_family(usable["kpi"], family)]
        if rows.empty:
            continue
        sentences.append(_sentence(_ranked(rows).iloc[0]))
        if limit is not None and len(sentences) >= limit:
            break
    if not sentences:
        return (
            "No benchmark in the file is comparable with these KPIs, so there is no market context: "
            "an absolute number alone says little about performance."
        )
    return " ".join(sentences)


def _ranked(rows: pd.DataFrame) -> pd.DataFrame:
    """Comparable rows in the order the market sentence picks from: closest peer group, most
    reliable source, most recent, annual before monthly."""
    return rows.assign(
        _match=rows["match"].map(_MATCH_RANK),
        _reliability=rows["reliability"].map(_RELIABILITY_RANK),
        _monthly=(rows["our_period"] == "monthly").astype(int),
    ).sort_values(["_match", "_reliability", "year", "_monthly"], ascending=[True, True, False, True], kind="stable")


#: The measures that speak to each KPI of the executive summary's scorecard (by catalogue id): the
#: sentence family of the measure it compares with (``benchmark`` in catalogue.toml).
SCORECARD_FAMILIES: dict[str, tuple[str, ...]] = {
    kpi.id: family
    for kpi in catalogue.scorecard()
    for family in _SENTENCE_FAMILIES
    if kpi.benchmark is not None and kpi.benchmark.kpi in family
}


def market_position(comparison: pd.DataFrame, kpi: str) -> str | None:
    """The market verdict on a scorecard KPI in a few words, from the row the market sentence uses.

    E.g. "behind market (median annual net revenue retention 103%, SaaS Capital 2023)"; ``None``
    when no comparable benchmark exists.
    """
    family = SCORECARD_FAMILIES.get(kpi)
    if family is None or comparison.empty:
        return None
    rows = comparison[comparison["comparable"] & comparison["verdict"].notna() & _in_family(comparison["kpi"], family)]
    if rows.empty:
        return None
    row = _ranked(rows).iloc[0]
    statistic = "median" if math.isfinite(row["benchmark_median"]) else "mean"
    central = row["benchmark_median"] if statistic == "median" else row["benchmark_mean"]
    bench_label = _kpi_phrase(row["benchmark_kpi"], row["benchmark_period"], row["benchmark_form"])
    # "ahead"/"behind" read right for churn too, where a lower value is the better one
    verdict = {"above market": "ahead of market", "below market": "behind market"}.get(row["verdict"], row["verdict"])
    return f"{verdict} ({statistic} {bench_label} {_pct(central)}, {row['publisher']} {row['year']})"


def reconciliation_sentences(comparison: pd.DataFrame) -> list[str]:
    """One sentence per KPI family whose comparable sources give opposite verdicts.

    E.g. "The sources disagree on logo churn: above market against Recurly (2019), below market
    against KBCM (2017). The verdict above follows KBCM (all companies surveyed, high reliability):
    the closest peer group, then the most reliable source; the others measure other peers or
    other definitions (see the definition warnings)."
    """
    if comparison.empty:
        return []
    usable = comparison[comparison["comparable"] & comparison["verdict"].isin(["above market", "below market"])]
    sentences = []
    for family in _SENTENCE_FAMILIES:
        rows = usable[_in_family(usable["kpi"], family)]
        if rows["verdict"].nunique() < 2:
            continue
        ranked = _ranked(rows)
        chosen = ranked.iloc[0]
        sides = "; ".join(
            f"{verdict} against "
            + ", ".join(dict.fromkeys(f"{user_text(r['publisher'])} ({r['year']})" for _, r in group.iterrows()))
            for verdict, group in ranked.groupby("verdict", sort=False)
        )
        label = _MEASURES[family[-1]].label
        sentences.append(
            f"The sources disagree on {label}: {sides}. The verdict above follows {user_text(chosen['publisher'])} "
            f"({_peer_phrase(chosen)}, {chosen['reliability']} reliability): the closest peer group, then the most "
            "reliable source; the others survey other peers or define the KPI differently (see the definition "
            "warnings)."
        )
    return sentences
