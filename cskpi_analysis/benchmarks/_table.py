"""The benchmarks file: its columns, reading and validating it, and giving each row its catalogue id.

The file (the curated ``cskpi_analysis/data/benchmarks.csv``, or a user's own with the same columns)
describes a published figure by its measure (``kpi``, a ``[benchmark_kpis]`` id of the registry) and
its ``form``. At load, that pair is mapped once, through the registry's ``benchmark`` mapping
(:func:`cskpi_analysis.catalogue.kpi_for_benchmark`), to the one catalogue KPI it is: the ``kpi``
column of the frame returned is that catalogue id (``net_revenue_retention`` as ``t12m`` is
``net_revenue_retention_t12m``). A pair no catalogue KPI takes is refused, naming file, row and columns.
"""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path

import pandas as pd

from cskpi_analysis import catalogue
from cskpi_analysis.benchmarks._vocabulary import FORMS, MEASURES, PERIODS, RELIABILITIES, SEGMENT_KINDS, STATISTICS
from cskpi_analysis.errors import DataContractError

#: Columns of the benchmarks file, in order. ``kpi`` names the measure (a ``[benchmark_kpis]`` id of the
#: registry, e.g. ``logo_churn_rate`` for a monthly or an annual figure); in the frame returned by
#: :func:`load_benchmarks` it holds the catalogue id that ``kpi`` and ``form`` map to.
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
    One row per published figure; ``kpi`` is the catalogue id of the figure (its ``kpi`` and
    ``form`` mapped through the registry: ``logo_churn_rate`` as ``annual_rate`` is
    ``logo_churn_rate_annual``); ``value``, ``acv_min``, ``acv_max`` as floats (NaN = open
    band end), ``year`` and ``source_row`` as integers (``source_row`` may be NA in a user
    file), the other columns as strings.

    Raises
    ------
    DataContractError
        Listing every problem with its file row (row 1 = first data row): a missing
        column, an empty required value (source, year, definition, ...), an unknown measure
        (``kpi``), period, form, segment kind, statistic or reliability, a ``kpi`` and ``form``
        that no catalogue KPI takes, a non-numeric value, an ACV band without bounds, or a
        duplicate ``benchmark_id``.
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

    ``raw`` is not modified. ``name`` (the file) is used in error messages. Each row's ``kpi`` and
    ``form`` are mapped here, once, to the catalogue id the returned ``kpi`` column holds.
    """
    missing = [c for c in BENCHMARK_COLUMNS if c not in raw.columns]
    if missing:
        raise _fail(name, [f"missing column(s): {', '.join(missing)}"])
    frame = raw.loc[:, list(BENCHMARK_COLUMNS)].astype(str).apply(lambda col: col.str.strip())
    problems: list[str] = []
    allowed = {
        "kpi": MEASURES,
        "period": PERIODS,
        "form": FORMS,
        "segment_kind": SEGMENT_KINDS,
        "statistic": STATISTICS,
        "reliability": RELIABILITIES,
    }
    ids: list[str] = []
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
        ids.append(_catalogue_id(record["kpi"], record["form"], where, problems))
    duplicated = sorted(
        set(frame.loc[frame["benchmark_id"].duplicated() & (frame["benchmark_id"] != ""), "benchmark_id"])
    )
    if duplicated:
        problems.append(f"duplicate benchmark_id: {', '.join(duplicated)}")
    if problems:
        raise _fail(name, problems)
    typed = frame.copy()
    typed["kpi"] = ids
    for column in ("value", "acv_min", "acv_max"):
        typed[column] = pd.to_numeric(typed[column].replace("", None), errors="raise").astype(float)
    typed["year"] = typed["year"].astype(int)
    typed["source_row"] = pd.to_numeric(typed["source_row"].replace("", None)).astype("Int64")
    return typed


def _catalogue_id(measure: str, form: str, where: str, problems: list[str]) -> str:
    """The catalogue KPI a figure is (its ``kpi`` and ``form`` through the registry), or ``""``
    with the problem noted when no catalogue KPI takes the pair (a bad measure or form is noted already)."""
    if measure not in MEASURES or form not in FORMS:
        return ""
    found = catalogue.kpi_for_benchmark(measure, form)
    if found is not None:
        return found.id
    known = [m.form for k in catalogue.load_catalogue() if (m := k.benchmark) is not None and m.kpi == measure]
    problems.append(
        f"{where}: columns kpi and form are {measure!r} as {form!r}, which no KPI of the registry takes "
        f"(benchmark in catalogue.toml); {measure} is benchmarked as {', '.join(known)}"
    )
    return ""


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False
