"""The registry as a frame (``cskpi catalogue``), as the definitions page (``docs/definitions.md``),
and the note on tracking too many KPIs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import duckdb
import pandas as pd

from cskpi_analysis.catalogue._availability import AvailableColumns, available_columns_in_connection, computable_here
from cskpi_analysis.catalogue._model import RECOMMENDED_KPIS
from cskpi_analysis.catalogue._registry import load_catalogue, stage_kpis, stages


def catalogue_frame(
    con: duckdb.DuckDBPyConnection | None = None,
    available_tables: AvailableColumns | Iterable[str] | None = None,
    *,
    config: Any = None,
    stage: str | None = None,
) -> pd.DataFrame:
    """The registry as a frame, one row per KPI, with ``computable_here`` and ``why_not``.

    With ``con`` (a built connection) the available data are the ``src_`` views with rows;
    with ``available_tables`` (table names, or table -> columns) those; with neither,
    ``computable_here`` is just ``computable`` (the registry alone).
    """
    if con is not None and available_tables is None:
        available_tables = available_columns_in_connection(con)  # None when unknown: the registry alone
    rows = []
    kpis = stage_kpis(stage) if stage else load_catalogue()
    for kpi in kpis:
        if available_tables is None:
            here, why = kpi.computable, ("" if kpi.computable else f"not computable: {kpi.missing_data}")
        else:
            here, why = computable_here(kpi, available_tables, config)
        rows.append(
            {
                "kpi_id": kpi.id,
                "name": kpi.name,
                "stage": kpi.stage,
                "indicator": kpi.indicator,
                "question": kpi.question,
                "paired_with": kpi.paired_with or None,
                "computable": kpi.computable,
                "computable_here": here,
                "why_not": why or None,
                "computed_by": kpi.computed_by or None,
                "grain": kpi.grain or None,
                "window": kpi.window or None,
                "formula": kpi.formula or None,
                "aliases": ", ".join(kpi.aliases) or None,
                "source": kpi.source,
            }
        )
    return pd.DataFrame(rows)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def definitions_markdown() -> str:
    """The user docs' definitions page (``docs/definitions.md``), generated from the registry.

    One table per stage of the KPIs the suite computes (KPI, leading/lagging, formula,
    numerator/denominator, grain, window, edge cases, paired leading KPI), then the
    catalogue KPIs it cannot compute and the data each would need.
    """
    kpis = load_catalogue()
    names = {k.id: k.name for k in kpis}
    lines = [
        "# KPI definitions",
        "",
        "<!-- Generated from cskpi_analysis/catalogue.toml by `cskpi catalogue --format markdown`;"
        " do not edit by hand. -->",
        "",
        "One definition per KPI, grouped by lifecycle stage. Each stage answers one question; leading",
        "KPIs predict where things are heading and give time to act, lagging KPIs keep the score, and",
        "each lagging KPI is paired with the leading KPI that explains it. Rates are reported with their",
        "numerator and denominator; a rate whose denominator is 0 is empty, never 0.",
        "",
        f"Track five to eight KPIs across the team (three or four per CSM): {len(kpis)} are defined",
        "here so that everyone uses the same words, not so that all of them are reported.",
        "",
    ]
    for stage in stages():
        chosen = [k for k in stage_kpis(stage.id) if k.computable]
        lines += [f"## {stage.title}: {stage.question}", ""]
        lines += [
            "| KPI | leading/lagging | formula | grain | window | edge cases | paired with |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for k in chosen:
            formula = f"{k.formula_words}<br>`{k.formula}`"
            if k.is_rate:
                formula += f"<br>numerator: {k.numerator}; denominator: {k.denominator}"
            also = f" (also: {', '.join(k.aliases)})" if k.aliases else ""
            lines.append(
                f"| **{_cell(k.name)}**{_cell(also)}<br>`{k.id}` | {k.indicator} | {_cell(formula)} | {_cell(k.grain)} "
                f"| {_cell(k.window)} | {_cell(k.edge_cases)} | {_cell(names.get(k.paired_with, '—'))} |"
            )
        lines.append("")
    lines += [
        "## Catalogue KPIs cskpi does not compute",
        "",
        "KPIs of the reference catalogue that the data contract cannot support (or that cskpi does",
        "not implement yet), and the data each would need.",
        "",
        "| KPI | stage | leading/lagging | definition | data needed |",
        "| --- | --- | --- | --- | --- |",
    ]
    for stage in stages():
        for k in stage_kpis(stage.id):
            if not k.computable:
                lines.append(
                    f"| {_cell(k.name)} | {stage.id} | {k.indicator} | {_cell(k.formula_words)} | {_cell(k.missing_data)} |"
                )
    lines.append("")
    return "\n".join(lines)


def too_many_kpis_note(n: int) -> str | None:
    """A note when more KPIs are tracked than the recommended five to eight; else None."""
    low, high = RECOMMENDED_KPIS
    if n <= high:
        return None
    return (
        f"{n} KPIs are tracked: the recommendation is {low} to {high} across the team (three or four per CSM). "
        "Track the rest in the background, but report and act on a small set, starting with the stage most "
        "of your accounts are in."
    )
