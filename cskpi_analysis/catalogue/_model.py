"""The catalogue's vocabulary: stages, indicators, units, benchmark forms, and the records of a KPI
(:class:`KpiDefinition`, with its :class:`Pooling` and :class:`BenchmarkMapping`), a stage and a benchmark KPI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Stage = Literal["onboarding", "adoption", "retention", "expansion", "advocacy", "support"]
Indicator = Literal["leading", "lagging"]

STAGES: tuple[str, ...] = ("onboarding", "adoption", "retention", "expansion", "advocacy", "support")
INDICATORS: tuple[str, ...] = ("leading", "lagging")

#: The seeds' advice: five to eight KPIs across the team (three or four per CSM).
RECOMMENDED_KPIS = (5, 8)

#: Units of a KPI's value (how reports format it).
UNITS: tuple[str, ...] = ("rate", "money", "score", "days", "count", "ratio")

#: Forms of a published benchmark figure and of our value compared with it (``form`` of the benchmarks file).
BENCHMARK_FORMS: tuple[str, ...] = ("monthly_rate", "t12m", "annual_rate", "survey_score", "days")

#: The reporting fields of a KPI (optional), see :class:`KpiDefinition`.
_REPORTING = (
    "label",
    "short_label",
    "unit",
    "higher_is_better",
    "pooling",
    "headline",
    "scorecard",
    "scorecard_label",
    "benchmark",
)

_ALWAYS = ("id", "name", "stage", "indicator", "formula_words", "computable", "source")
_WHEN_COMPUTABLE = ("formula", "grain", "window", "edge_cases", "requires", "computed_by")
_KNOWN = (
    set(_ALWAYS)
    | set(_WHEN_COMPUTABLE)
    | {
        "aliases",
        "numerator",
        "denominator",
        "paired_with",
        "missing_data",
        "requires_config",
        *_REPORTING,
    }
)


class CatalogueError(ValueError):
    """``catalogue.toml`` breaks its own rules (a packaging bug, caught by the tests)."""


@dataclass(frozen=True)
class StageInfo:
    """A lifecycle stage: its order, title and the question its KPIs answer."""

    id: str
    order: int
    title: str
    question: str


@dataclass(frozen=True)
class Pooling:
    """How a KPI's monthly values combine over a window of months.

    Attributes
    ----------
    numerator, denominator : the mart columns summed over the window; the pooled value is
        ``sum(numerator) / sum(denominator)``, so a month with a larger base weighs more. Both
        ``""`` for a KPI that is not pooled (``pooling = "none"``): a level read at one month,
        such as trailing-twelve-month retention.
    """

    numerator: str = ""
    denominator: str = ""

    @property
    def pooled(self) -> bool:
        return bool(self.numerator)


@dataclass(frozen=True)
class BenchmarkMapping:
    """The published benchmark a KPI is compared with.

    Attributes
    ----------
    kpi : a benchmark KPI (:class:`BenchmarkKpi`), the ``kpi`` column of the benchmarks file.
    form : the form our value takes in the comparison, one of :data:`BENCHMARK_FORMS`.
    basis : what the KPI counts (``revenue``, ``logo``, ``survey``, ``duration``): comparing
        across bases is never exact.
    """

    kpi: str
    form: str
    basis: str


@dataclass(frozen=True)
class BenchmarkKpi:
    """A KPI of the benchmarks file (its ``kpi`` column), whatever the period and form of a figure.

    Attributes
    ----------
    id : the value of the ``kpi`` column, e.g. ``"logo_churn_rate"`` (monthly or annual).
    label : its name in sentences ("Your annual net revenue retention of 97%").
    short_label : its name in comparison labels ("T12M NRR vs ...").
    higher_is_better, basis, unit : those of the catalogue KPIs compared with it (they agree).
    kpis : the ids of those catalogue KPIs, in catalogue order.
    """

    id: str
    label: str
    short_label: str
    higher_is_better: bool
    basis: str
    unit: str
    kpis: tuple[str, ...]

    @property
    def panel_label(self) -> str:
        """The label capitalised: the name of its chart panel ("Net revenue retention")."""
        return self.label[:1].upper() + self.label[1:]


@dataclass(frozen=True)
class KpiDefinition:
    """One KPI of the catalogue.

    Attributes
    ----------
    id : snake_case identifier; the ``kpi_id`` of ``mart_stage_kpis_monthly``.
    name : name in business language; ``aliases`` are other names of the same KPI.
    stage : onboarding | adoption | retention | expansion | advocacy | support.
    indicator : ``leading`` (predicts, gives time to act) or ``lagging`` (keeps score).
    question : the stage's question.
    formula_words, formula : the definition in words and in symbols.
    numerator, denominator : of a rate ("" otherwise).
    grain, window, edge_cases : what one value describes, over which period, and the traps.
    requires : contract columns read, as ``table.column``.
    requires_config : analysis options needed, e.g. ``analysis.key_features``.
    computed_by : a dotted function path or ``mart_table.column``.
    paired_with : for a lagging KPI, the leading KPI that explains it.
    computable : the suite computes it from the contract.
    missing_data : for a KPI it cannot compute, the data that would be needed.
    source : where the KPI comes from ("cskpi", "seed 002", ...).
    label : the label of a report table (the headline); defaults to ``name``.
    short_label : the name in a chart legend or panel; defaults to ``label``.
    unit : one of :data:`UNITS` ("" when not stated).
    higher_is_better : whether a higher value is better for the company (None when not stated).
    pooling : how months combine (:class:`Pooling`); None when not stated.
    headline, scorecard : position in the headline table and in the executive summary's
        scorecard, from 1 (0 = not there); ``scorecard_label`` is its label in the scorecard.
    benchmark : the published benchmark it compares with (:class:`BenchmarkMapping`), or None.
    """

    id: str
    name: str
    stage: str
    indicator: str
    question: str
    formula_words: str
    computable: bool
    source: str
    aliases: tuple[str, ...] = ()
    formula: str = ""
    numerator: str = ""
    denominator: str = ""
    grain: str = ""
    window: str = ""
    edge_cases: str = ""
    requires: tuple[str, ...] = ()
    requires_config: tuple[str, ...] = ()
    computed_by: str = ""
    paired_with: str = ""
    missing_data: str = ""
    names: tuple[str, ...] = field(default=(), repr=False)
    label: str = ""
    short_label: str = ""
    unit: str = ""
    higher_is_better: bool | None = None
    pooling: Pooling | None = None
    headline: int = 0
    scorecard: int = 0
    scorecard_label: str = ""
    benchmark: BenchmarkMapping | None = None

    @property
    def required_tables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.split(".", 1)[0] for r in self.requires))

    @property
    def is_rate(self) -> bool:
        return bool(self.numerator and self.denominator)

    @property
    def mart_column(self) -> tuple[str, str] | None:
        """``(mart, column)`` when ``computed_by`` names a mart column, else None."""
        if not self.computed_by.startswith(("mart_", "int_")):
            return None
        table, _, column = self.computed_by.partition(".")
        return table, column
