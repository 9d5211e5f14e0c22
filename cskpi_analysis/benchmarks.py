"""Put your KPIs in market context: curated category benchmarks and the comparison logic.

An absolute number says little on its own: 88% annual logo retention is weak when
peers keep 94% and strong when they keep 80% (seed 003, "The Context Problem: Good
Numbers in a Bad Market"). This module compares a company's KPIs with public
category benchmarks, and refuses comparisons that would mislead.

The benchmarks are a curated file, ``cskpi_analysis/data/benchmarks.csv``: one
published figure a row, with its source, year, definition, reliability and the row of
the raw source list it came from. ``docs/benchmarks.md`` says where every row comes
from and what was dropped.

Its ``kpi`` column names a benchmark KPI (``[benchmark_kpis]`` of the catalogue), whatever
the period and form of the figure; each catalogue KPI that is benchmarked names the
benchmark KPI and form it compares with (``benchmark`` in catalogue.toml), so
``("net_revenue_retention", "t12m")`` is the catalogue's ``net_revenue_retention_t12m``
(:func:`cskpi_analysis.catalogue.kpi_for_benchmark`, :attr:`UserKpi.kpi_id`). The labels,
directions and bases below are derived from the catalogue.

Matching, per user KPI
----------------------
1. Benchmarks of the same KPI, or of its exact complement on the same base
   (logo retention = 1 - logo churn; GRR = 1 - gross MRR churn).
2. Peer group: rows for the user's named segment (``SMB``, ...) if any; else the
   ACV band holding ``acv`` (ACV = 12 x MRR per account); else rows for ``All``.
3. One output row per benchmark source (its median, p25, p75 and mean side by side).

Conversions, and only where exact
---------------------------------
* monthly logo churn -> annual by compounding, ``1 - (1 - m)**12`` (assumes a
  constant monthly rate; the comparison is flagged);
* a retention rate -> its churn complement, ``1 - r`` (an identity on the same base).

Everything else that differs in period or form is "not comparable, shown for
context" and gets no verdict: monthly NRR is never turned into trailing-twelve-month
NRR (expansion compounds on a base that changes every month), nor monthly GRR or
monthly revenue churn into annual ones.

Examples
--------
>>> from cskpi_analysis.benchmarks import UserKpi, compare, load_benchmarks
>>> ours = [UserKpi("net_revenue_retention", 0.97, "annual", "t12m", "All", 970.0, 1000.0, "2026-08-01")]
>>> comparison = compare(ours, load_benchmarks(), acv=18_000)
>>> comparison[["benchmark_segment", "benchmark_median", "verdict"]].to_dict("records")
[{'benchmark_segment': 'ACV $12K-$25K', 'benchmark_median': 1.02, 'verdict': 'below market'}]
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from cskpi_analysis import catalogue
from cskpi_analysis.errors import AnalysisError, DataContractError
from cskpi_analysis.kpis import pooled, segment_hint
from cskpi_analysis.narrative import user_text

#: Columns of the benchmarks file, in order.
BENCHMARK_COLUMNS: tuple[str, ...] = (
    "benchmark_id",
    "kpi",
    "period",
    "form",
    "segment_kind",
    "segment",
    "acv_min",
    "acv_max",
    "statistic",
    "value",
    "source",
    "publisher",
    "year",
    "sample",
    "definition",
    "citation",
    "reliability",
    "source_row",
    "notes",
)

#: Columns that must never be empty.
REQUIRED_COLUMNS: tuple[str, ...] = (
    "benchmark_id",
    "kpi",
    "period",
    "form",
    "segment_kind",
    "segment",
    "statistic",
    "value",
    "source",
    "year",
    "definition",
    "reliability",
)

_BENCHMARK_KPIS = catalogue.benchmark_kpis()

#: The benchmark KPIs (the ``kpi`` column of the file), with whether a higher value is better for
#: the company: the direction of the catalogue KPIs that compare with each.
HIGHER_IS_BETTER: dict[str, bool] = {b.id: b.higher_is_better for b in _BENCHMARK_KPIS}
KPI_IDS: tuple[str, ...] = tuple(HIGHER_IS_BETTER)

#: What each benchmark KPI counts (the catalogue's ``benchmark.basis``): comparing across bases
#: (logos vs revenue) is never exact.
KPI_BASIS: dict[str, str] = {b.id: b.basis for b in _BENCHMARK_KPIS}

#: Exact complements on the same base and period: value = 1 - complement.
COMPLEMENTS: dict[str, str] = {
    "logo_retention": "logo_churn_rate",
    "logo_churn_rate": "logo_retention",
    "gross_revenue_retention": "gross_mrr_churn_rate",
    "gross_mrr_churn_rate": "gross_revenue_retention",
}

PERIODS: tuple[str, ...] = ("monthly", "annual")
FORMS: tuple[str, ...] = catalogue.BENCHMARK_FORMS
SEGMENT_KINDS: tuple[str, ...] = ("all", "segment", "acv_band")
STATISTICS: tuple[str, ...] = ("median", "mean", "p10", "p25", "p75", "p90")
RELIABILITIES: tuple[str, ...] = ("high", "medium", "low")

#: Forms whose period does not matter for a comparison (a score, a duration).
_PERIODLESS_FORMS = frozenset({"survey_score", "days"})

#: The period of our value in each form it is measured in (a T12M figure is annual).
_FORM_PERIODS: dict[str, str] = {"monthly_rate": "monthly", "t12m": "annual", "annual_rate": "annual"}

#: Each benchmark KPI's words in sentences (``label`` of ``[benchmark_kpis]`` in the catalogue).
_LABELS: dict[str, str] = {b.id: b.label for b in _BENCHMARK_KPIS}

#: Face-value lines, used ONLY to word :func:`market_context_sentence` ("looks healthy
#: on its own"), never for a verdict: (kpi, period) -> (line, higher is better).
#: Provenance (rows of the shared source list): NRR 100% = the base grows on its own
#: (seed 003; row 136 Gainsight ">100%"); GRR 90% = rows 20 and 25 ("for Enterprise
#: SaaS 90%", Bessemer ">90%"); logo retention 80% = row 91 (two thirds of companies
#: "retain 80%+ of logos"), annual logo churn 20% its complement; monthly logo churn
#: 2% = row 32 (ChartMogul: "target a customer churn rate of <2% per month").
FACE_VALUE_LINES: dict[tuple[str, str], float] = {
    ("net_revenue_retention", "annual"): 1.00,
    ("net_revenue_retention", "monthly"): 1.00,
    ("gross_revenue_retention", "annual"): 0.90,
    ("logo_retention", "annual"): 0.80,
    ("logo_churn_rate", "annual"): 0.20,
    ("logo_churn_rate", "monthly"): 0.02,
}

COMPOUNDING_NOTE = "converted by compounding; assumes a constant monthly rate"
NOT_COMPARABLE = "not comparable, shown for context"

_RELIABILITY_RANK = {"high": 0, "medium": 1, "low": 2}
_MATCH_RANK = {"segment": 0, "acv_band": 1, "all": 2}


@dataclass(frozen=True)
class UserKpi:
    """One of the company's own KPI values, as measured by the KPI engine.

    Attributes
    ----------
    kpi : a benchmark KPI of :data:`KPI_IDS` (the benchmarks file's vocabulary), e.g.
        ``"logo_churn_rate"``; with ``form`` it names one catalogue KPI, :attr:`kpi_id`.
    value : the value; rates as fractions (0.035 for 3.5 %/month, 1.02 for 102 % NRR).
    period : ``"monthly"`` or ``"annual"``.
    form : one of :data:`FORMS`: ``"monthly_rate"``, ``"t12m"`` (trailing twelve
        months, an annual cohort form), ``"annual_rate"``, ``"survey_score"``, ``"days"``.
    segment : the company's segment the value is for (``"All"`` for the whole base).
    numerator, denominator : the counts or amounts behind a rate (``value = numerator / denominator``).
    as_of_month : the month the value is measured at (first day), date or ISO string.
    """

    kpi: str
    value: float
    period: str
    form: str
    segment: str
    numerator: float | None
    denominator: float | None
    as_of_month: dt.date | str

    @property
    def kpi_id(self) -> str | None:
        """The catalogue id of this KPI (``net_revenue_retention`` as ``t12m`` is
        ``net_revenue_retention_t12m``); None for a form no catalogue KPI takes."""
        found = catalogue.kpi_for_benchmark(self.kpi, self.form)
        return None if found is None else found.id


# --------------------------------------------------------------------------- loading


def _fail(path: str, problems: list[str]) -> DataContractError:
    listed = "\n".join(f"  - {p}" for p in problems)
    return DataContractError(f"{path}: the benchmarks file breaks its contract:\n{listed}")


def load_benchmarks(path: str | Path | None = None) -> pd.DataFrame:
    """Read and validate a benchmarks file: the curated one bundled with cskpi by default.

    Parameters
    ----------
    path : a CSV with :data:`BENCHMARK_COLUMNS` (e.g. your own paid benchmark data);
        ``None`` reads ``cskpi_analysis/data/benchmarks.csv`` via ``importlib.resources``.

    Returns
    -------
    One row per published figure; ``value``, ``acv_min``, ``acv_max`` as floats (NaN
    = open band end), ``year`` and ``source_row`` as integers (``source_row`` may be NA
    in a user file), the other columns as strings.

    Raises
    ------
    DataContractError
        Listing every problem with its file row (row 1 = first data row): a missing
        column, an empty required value (source, year, definition, ...), an unknown KPI
        id, period, form, segment kind, statistic or reliability, a non-numeric value,
        an ACV band without bounds, or a duplicate ``benchmark_id``.
    """
    if path is None:
        resource = resources.files("cskpi_analysis").joinpath("data", "benchmarks.csv")
        shown = "cskpi_analysis/data/benchmarks.csv"
        with resource.open("r", encoding="utf-8") as handle:
            raw = pd.read_csv(handle, dtype=str, keep_default_na=False)
    else:
        shown = str(path)
        try:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise DataContractError(f"{shown}: cannot read the benchmarks file ({exc})") from None
    return validate_benchmarks(raw, shown)


def validate_benchmarks(raw: pd.DataFrame, name: str = "benchmarks") -> pd.DataFrame:
    """Check a benchmarks frame read as text and return it typed (see :func:`load_benchmarks`).

    ``raw`` is not modified. ``name`` is used in error messages.
    """
    missing = [c for c in BENCHMARK_COLUMNS if c not in raw.columns]
    if missing:
        raise _fail(name, [f"missing column(s): {', '.join(missing)}"])
    frame = raw.loc[:, list(BENCHMARK_COLUMNS)].astype(str).apply(lambda col: col.str.strip())
    problems: list[str] = []
    allowed = {
        "kpi": KPI_IDS,
        "period": PERIODS,
        "form": FORMS,
        "segment_kind": SEGMENT_KINDS,
        "statistic": STATISTICS,
        "reliability": RELIABILITIES,
    }
    for position, record in enumerate(frame.to_dict("records"), start=1):
        where = f"row {position} ({record['benchmark_id'] or 'no benchmark_id'})"
        for column in REQUIRED_COLUMNS:
            if record[column] == "":
                problems.append(f"{where}: column {column} is empty")
        for column, values in allowed.items():
            if record[column] != "" and record[column] not in values:
                problems.append(f"{where}: column {column} is {record[column]!r}, expected one of {', '.join(values)}")
        for column in ("value", "acv_min", "acv_max"):
            if record[column] != "" and not _is_number(record[column]):
                problems.append(f"{where}: column {column} is {record[column]!r}, expected a number")
        for column in ("year", "source_row"):
            if record[column] != "" and not record[column].isdigit():
                problems.append(f"{where}: column {column} is {record[column]!r}, expected a whole number")
        if record["segment_kind"] == "acv_band" and record["acv_min"] == "" and record["acv_max"] == "":
            problems.append(f"{where}: an acv_band row needs acv_min or acv_max")
        if record["segment_kind"] == "all" and record["segment"] not in ("", "All"):
            problems.append(f"{where}: segment_kind all needs segment 'All', got {record['segment']!r}")
    duplicated = sorted(
        set(frame.loc[frame["benchmark_id"].duplicated() & (frame["benchmark_id"] != ""), "benchmark_id"])
    )
    if duplicated:
        problems.append(f"duplicate benchmark_id: {', '.join(duplicated)}")
    if problems:
        raise _fail(name, problems)
    typed = frame.copy()
    for column in ("value", "acv_min", "acv_max"):
        typed[column] = pd.to_numeric(typed[column].replace("", None), errors="raise").astype(float)
    typed["year"] = typed["year"].astype(int)
    typed["source_row"] = pd.to_numeric(typed["source_row"].replace("", None)).astype("Int64")
    return typed


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


# --------------------------------------------------------------------------- pure pieces


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


def definition_warnings(user: UserKpi, benchmark_kpi: str, period: str, form: str, statistic: str) -> list[str]:
    """Every way a user KPI's definition differs from a benchmark's, in plain words.

    Covers: logo vs revenue basis, monthly vs annual period, trailing-twelve-month
    cohort vs annual or monthly rate, a complement (retention vs churn), and a mean
    benchmark (pulled by outliers) compared with a single company's value.
    """
    warnings: list[str] = []
    user_basis, bench_basis = KPI_BASIS.get(user.kpi), KPI_BASIS.get(benchmark_kpi)
    if user_basis != bench_basis:
        warnings.append(
            f"{user_basis} vs {bench_basis}: your KPI counts {user_basis}s, the benchmark counts {bench_basis}"
        )
    periodless = user.form in _PERIODLESS_FORMS and form in _PERIODLESS_FORMS
    if user.period != period and not periodless:
        warnings.append(f"{user.period} vs {period}: your value is {user.period}, the benchmark is {period}")
    if user.form != form and not periodless:
        if "t12m" in (user.form, form) and "monthly_rate" in (user.form, form) and user.kpi == benchmark_kpi:
            warnings.append(
                f"T12M vs monthly {_LABELS[user.kpi]}: a trailing-twelve-month cohort figure is not a monthly rate"
            )
        elif {user.form, form} == {"t12m", "annual_rate"}:
            warnings.append("T12M cohort vs annual rate: equal only when both count the base of 12 months ago")
    if benchmark_kpi != user.kpi and COMPLEMENTS.get(user.kpi) == benchmark_kpi:
        warnings.append(
            f"compared as 1 - your {_LABELS[user.kpi]} = {_LABELS[benchmark_kpi]} (identity on the same base)"
        )
    if statistic == "mean":
        warnings.append("mean vs median: the benchmark is an average across companies, pulled by outliers")
    return warnings


def _convert(user: UserKpi, benchmark_kpi: str, period: str, form: str) -> tuple[float | None, str, str]:
    """The user's value on the benchmark's basis: (value or None, conversion done, refusal reason)."""
    value = float(user.value)
    conversion = ""
    periodless = user.form in _PERIODLESS_FORMS and form in _PERIODLESS_FORMS
    if not periodless and user.period != period:
        if user.kpi == "logo_churn_rate" and user.period == "monthly" and period == "annual":
            value = compound_monthly_churn(value)
            conversion = f"monthly logo churn {_pct(user.value)} -> annual {_pct(value)}: {COMPOUNDING_NOTE}"
        else:
            reason = f"{user.period} {_LABELS[user.kpi]} vs {period} benchmark: no exact conversion; {NOT_COMPARABLE}"
            if user.kpi == "net_revenue_retention":
                reason = f"monthly NRR is not T12M NRR and is never converted to it; {NOT_COMPARABLE}"
            return None, "", reason
    elif not periodless and user.form != form and {user.form, form} != {"t12m", "annual_rate"}:
        return None, "", f"{user.form} vs {form}: different forms of {_LABELS[user.kpi]}; {NOT_COMPARABLE}"
    if benchmark_kpi != user.kpi:
        complement = 1.0 - value
        step = f"1 - {_pct(value)} = {_pct(complement)} {_LABELS[benchmark_kpi]}"
        conversion = f"{conversion}; {step}" if conversion else step
        value = complement
    return value, conversion, ""


def _pct(fraction: float) -> str:
    """A fraction as a percentage: two decimals under 10 % (5.15%), one above (88.5%), none when whole."""
    percent = round(fraction * 100, 2 if abs(fraction) < 0.1 else 1)
    return f"{percent:g}%"


def _select_peer_rows(candidates: pd.DataFrame, segment: str, band: str | None) -> tuple[pd.DataFrame, str]:
    """Named segment, else ACV band, else All: the first level with rows."""
    if segment and segment.casefold() != "all":
        named = candidates[
            (candidates["segment_kind"] == "segment") & (candidates["segment"].str.casefold() == segment.casefold())
        ]
        if not named.empty:
            return named, "segment"
    if band is not None:
        banded = candidates[(candidates["segment_kind"] == "acv_band") & (candidates["segment"] == band)]
        if not banded.empty:
            return banded, "acv_band"
    return candidates[candidates["segment_kind"] == "all"], "all"


_GROUP_KEYS = ["kpi", "period", "form", "segment_kind", "segment", "source", "publisher", "year"]

COMPARISON_COLUMNS: tuple[str, ...] = (
    "kpi",
    "our_period",
    "our_form",
    "segment",
    "as_of_month",
    "our_value",
    "our_numerator",
    "our_denominator",
    "benchmark_kpi",
    "benchmark_period",
    "benchmark_form",
    "match",
    "benchmark_segment",
    "compared_value",
    "conversion",
    "benchmark_median",
    "benchmark_p25",
    "benchmark_p75",
    "benchmark_mean",
    "percentile",
    "percentile_phrase",
    "higher_is_better",
    "comparable",
    "verdict",
    "definition_warning",
    "source",
    "publisher",
    "year",
    "reliability",
    "definition",
    "citation",
    "benchmark_ids",
)


def compare(
    user_kpis: Sequence[UserKpi], benchmarks: pd.DataFrame, *, acv: float | None = None, tolerance: float = 0.02
) -> pd.DataFrame:
    """Compare the company's KPIs with the matching benchmarks.

    Parameters
    ----------
    user_kpis : the company's values (see :func:`user_kpis_from_marts`).
    benchmarks : a validated benchmarks frame (:func:`load_benchmarks`); not modified.
    acv : the company's annual contract value per account, USD (12 x MRR per account),
        used to pick an ACV band when no row matches the named segment.
    tolerance : relative band around a lone median (or mean) read as "in line".

    Returns
    -------
    One row per user KPI x benchmark source (:data:`COMPARISON_COLUMNS`), with:
    ``our_value`` as measured and ``compared_value`` on the benchmark's basis (after
    an exact conversion, listed in ``conversion``; NaN when not comparable);
    ``match`` = segment | acv_band | all; the benchmark's median, p25, p75, mean
    where given; ``percentile`` and ``percentile_phrase`` where both quartiles exist;
    ``higher_is_better`` for the benchmark's KPI; ``verdict`` (above market / in line
    / below market, None when not comparable); and ``definition_warning`` naming
    every definitional difference ("" when none).

    Edge cases
    ----------
    A user KPI with no matching benchmark produces no row. Monthly NRR against T12M
    NRR (or any other non-exact period change) is kept, marked "not comparable,
    shown for context", with no verdict.
    """
    band = acv_band(acv, benchmarks) if acv is not None else None
    records: list[dict[str, object]] = []
    for user in user_kpis:
        if user.kpi not in HIGHER_IS_BETTER:
            raise AnalysisError(f"unknown KPI id {user.kpi!r}; expected one of {', '.join(KPI_IDS)}")
        family = {user.kpi, COMPLEMENTS.get(user.kpi, user.kpi)}
        candidates = benchmarks[benchmarks["kpi"].isin(family)]
        peers, match = _select_peer_rows(candidates, user.segment, band)
        if peers.empty:
            continue
        for keys, group in peers.groupby(_GROUP_KEYS, sort=False, dropna=False):
            key = dict(zip(_GROUP_KEYS, keys, strict=True))
            stats = {s: float(group.loc[group["statistic"] == s, "value"].iloc[0]) for s in group["statistic"].unique()}
            median, p25, p75, mean = (stats.get(s, math.nan) for s in ("median", "p25", "p75", "mean"))
            compared, conversion, refusal = _convert(user, key["kpi"], key["period"], key["form"])
            central_statistic = "median" if "median" in stats else "mean" if "mean" in stats else "other"
            warnings = definition_warnings(user, key["kpi"], key["period"], key["form"], central_statistic)
            if conversion.startswith("monthly logo churn"):
                warnings.append(f"monthly logo churn {COMPOUNDING_NOTE}")
            if refusal:
                # no comparison was made, so an identity used to compare would be misleading
                warnings = [w for w in warnings if not w.startswith("compared as 1 - your")]
                warnings.append(refusal)
            higher_is_better = HIGHER_IS_BETTER[key["kpi"]]
            percentile, phrase = (None, "")
            verdict = None
            if compared is not None:
                percentile, phrase = percentile_position(compared, p25, median, p75)
                verdict = verdict_from_benchmark(
                    compared,
                    higher_is_better=higher_is_better,
                    median=median,
                    p25=p25,
                    p75=p75,
                    mean=mean,
                    tolerance=tolerance,
                )
            first = group.iloc[0]
            records.append(
                {
                    "kpi": user.kpi,
                    "our_period": user.period,
                    "our_form": user.form,
                    "segment": user.segment,
                    "as_of_month": str(user.as_of_month),
                    "our_value": float(user.value),
                    "our_numerator": user.numerator,
                    "our_denominator": user.denominator,
                    "benchmark_kpi": key["kpi"],
                    "benchmark_period": key["period"],
                    "benchmark_form": key["form"],
                    "match": match,
                    "benchmark_segment": key["segment"],
                    "compared_value": math.nan if compared is None else compared,
                    "conversion": conversion,
                    "benchmark_median": median,
                    "benchmark_p25": p25,
                    "benchmark_p75": p75,
                    "benchmark_mean": mean,
                    "percentile": math.nan if percentile is None else percentile,
                    "percentile_phrase": phrase,
                    "higher_is_better": higher_is_better,
                    "comparable": compared is not None,
                    "verdict": verdict,
                    "definition_warning": "; ".join(warnings),
                    "source": key["source"],
                    "publisher": key["publisher"],
                    "year": int(key["year"]),
                    "reliability": _worst_reliability(group["reliability"]),
                    "definition": str(first["definition"]),
                    "citation": str(first["citation"]),
                    "benchmark_ids": ",".join(group["benchmark_id"]),
                }
            )
    return pd.DataFrame.from_records(records, columns=list(COMPARISON_COLUMNS))


def _worst_reliability(values: pd.Series) -> str:
    return max(values, key=lambda r: _RELIABILITY_RANK.get(r, 3))


# --------------------------------------------------------------------------- the sentence

_SENTENCE_FAMILIES: tuple[tuple[str, ...], ...] = (
    ("net_revenue_retention",),
    ("gross_revenue_retention", "gross_mrr_churn_rate"),
    ("logo_retention", "logo_churn_rate"),
)


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


def face_value_healthy(kpi: str, period: str, value: float) -> bool | None:
    """Whether a value "looks healthy on its own" against :data:`FACE_VALUE_LINES`.

    Used only for wording; None when no face-value line exists for the KPI and period.
    """
    line = FACE_VALUE_LINES.get((kpi, period))
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
    healthy = face_value_healthy(row["kpi"], row["our_period"], row["our_value"])
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
        rows = usable[usable["kpi"].isin(family)]
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


#: The benchmark KPIs that speak to each KPI of the executive summary's scorecard (catalogue ids):
#: the sentence family of the benchmark KPI it compares with (``benchmark`` in catalogue.toml).
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
    rows = comparison[comparison["comparable"] & comparison["verdict"].notna() & comparison["kpi"].isin(family)]
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
        rows = usable[usable["kpi"].isin(family)]
        if rows["verdict"].nunique() < 2:
            continue
        ranked = _ranked(rows)
        chosen = ranked.iloc[0]
        sides = "; ".join(
            f"{verdict} against "
            + ", ".join(dict.fromkeys(f"{user_text(r['publisher'])} ({r['year']})" for _, r in group.iterrows()))
            for verdict, group in ranked.groupby("verdict", sort=False)
        )
        label = _LABELS[family[-1]] if family[-1] in _LABELS else family[-1].replace("_", " ")
        sentences.append(
            f"The sources disagree on {label}: {sides}. The verdict above follows {user_text(chosen['publisher'])} "
            f"({_peer_phrase(chosen)}, {chosen['reliability']} reliability): the closest peer group, then the most "
            "reliable source; the others survey other peers or define the KPI differently (see the definition "
            "warnings)."
        )
    return sentences


# --------------------------------------------------------------------------- from the marts


def _latest_complete(frame: pd.DataFrame, segment: str, name: str) -> pd.DataFrame:
    rows = frame[frame["segment"] == segment]
    if rows.empty:
        present = sorted(map(str, frame["segment"].unique()))
        raise AnalysisError(
            f"{name} has no rows for segment {segment!r}{segment_hint(segment, present)}; "
            f"segments present: {', '.join(present) or 'none'}"
        )
    complete = rows[rows["is_complete_month"].astype(bool)] if "is_complete_month" in rows else rows
    if complete.empty:
        raise AnalysisError(f"{name} has no complete month for segment {segment!r}")
    return complete.assign(month=pd.to_datetime(complete["month"])).sort_values("month")


def _ratio(numerator: float, denominator: float) -> float | None:
    if denominator is None or not math.isfinite(denominator) or denominator == 0:
        return None
    return float(numerator) / float(denominator)


def _measured() -> list[tuple[str, catalogue.BenchmarkMapping, catalogue.Pooling, str]]:
    """The catalogue KPIs benchmarked from the KPI marts, in catalogue order, as (id, benchmark,
    pooling, mart column): those with a benchmark and a pooling rule, pooled from
    ``mart_kpis_monthly`` or read at a month from ``mart_retention_t12m``."""
    out = []
    for kpi in catalogue.load_catalogue():
        if kpi.benchmark is None or kpi.pooling is None or kpi.mart_column is None:
            continue
        mart, column = kpi.mart_column
        if mart == ("mart_kpis_monthly" if kpi.pooling.pooled else "mart_retention_t12m"):
            out.append((kpi.id, kpi.benchmark, kpi.pooling, column))
    return out


def user_kpis_from_marts(
    kpis_monthly: pd.DataFrame, retention_t12m: pd.DataFrame, segment: str = "All"
) -> list[UserKpi]:
    """The company's KPIs to benchmark, from the KPI engine's marts.

    The KPIs are the catalogue KPIs of these marts with a ``benchmark`` and a ``pooling`` rule,
    in catalogue order, each as the benchmark KPI and form its ``benchmark`` names (the
    catalogue id is :attr:`UserKpi.kpi_id`). Measured at M, the latest complete month of
    ``mart_kpis_monthly`` for ``segment``:

    * monthly rates (logo churn, gross MRR churn, GRR, NRR), pooled over the last 12
      complete months up to M (fewer when the history is shorter) by
      :func:`cskpi_analysis.kpis.pooled`, the engine's headline definition: sum(numerator) /
      sum(denominator) of the catalogue's pooling columns;
    * T12M GRR, NRR and logo retention from ``mart_retention_t12m`` at month M.

    A KPI whose denominator is zero or whose T12M row is missing (less than a year of
    history) is left out. The inputs are not modified.

    Raises
    ------
    AnalysisError
        When the segment has no rows, or no complete month.
    """
    monthly = _latest_complete(kpis_monthly, segment, "mart_kpis_monthly")
    last_month = monthly["month"].iloc[-1]
    window = monthly.tail(12)
    as_of_month = last_month.date()
    t12m = retention_t12m[retention_t12m["segment"] == segment]
    t12m = t12m[pd.to_datetime(t12m["month"]) == last_month]
    kpis: list[UserKpi] = []
    for kpi_id, benchmark, pooling, column in _measured():
        if pooling.pooled:
            result = pooled(window, kpi_id)
            numerator, denominator = result.numerator, result.denominator
        else:
            if t12m.empty:
                continue
            numerator, denominator = t12m.iloc[0][f"{column}_numerator"], t12m.iloc[0][f"{column}_denominator"]
            if pd.isna(numerator) or pd.isna(denominator):
                continue
            numerator, denominator = float(numerator), float(denominator)
        value = _ratio(numerator, denominator)
        if value is not None:
            kpis.append(
                UserKpi(benchmark.kpi, value, _FORM_PERIODS[benchmark.form], benchmark.form, segment, numerator,
                        denominator, as_of_month)
            )  # fmt: skip
    return kpis


def average_acv_from_marts(kpis_monthly: pd.DataFrame, segment: str = "All") -> float | None:
    """ACV per account at the latest complete month: ``12 * mrr_start / accounts_start``.

    None when there were no accounts at the start of that month.
    """
    monthly = _latest_complete(kpis_monthly, segment, "mart_kpis_monthly")
    last = monthly.iloc[-1]
    per_account = _ratio(float(last["mrr_start"]), float(last["accounts_start"]))
    return None if per_account is None else 12.0 * per_account
