"""The contract rendered as the Markdown tables of ``data/README.md`` (``cskpi contract --markdown``)."""

from __future__ import annotations

import re

from cskpi_analysis.contract._schema import Column
from cskpi_analysis.contract._tables import TABLES


def _storage_note(col: Column) -> str | None:
    """What the stored type adds to a column's documented bounds (a declared ``stored_as`` only)."""
    if col.stored_as is None:
        return None
    decimal = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", col.stored_as)
    if decimal:
        precision, scale = int(decimal.group(1)), int(decimal.group(2))
        return f"at most {precision - scale} digits before the decimal point; rounded to {scale} decimals"
    return f"stored as {col.stored_as}"


def column_bounds(col: Column, *, markdown: bool) -> list[str]:
    """A column's documented limits in words: its minimum and maximum, what its stored type adds
    (Markdown only, :func:`_storage_note`) and "not after as_of"; ``≥``/``≤`` and code quotes in
    Markdown, ``>=``/``<=`` for a terminal (``cskpi contract``)."""
    at_least, at_most, as_of = ("≥", "≤", "`as_of`") if markdown else (">=", "<=", "as_of")
    bounds = []
    if col.minimum is not None:
        bounds.append(f"{at_least} {col.minimum:g}")
    if col.maximum is not None:
        bounds.append(f"{at_most} {col.maximum:g}")
    note = _storage_note(col) if markdown else None
    if note:
        bounds.append(note)
    if col.not_after_as_of:
        bounds.append(f"not after {as_of}")
    return bounds


def contract_markdown() -> str:
    """Render the contract as the Markdown tables of ``data/README.md``."""
    lines: list[str] = []
    for table in TABLES.values():
        status = "required" if table.required else "optional"
        lines += [f"### `{table.name}` ({status})", "", table.grain, ""]
        if table.unique_key:
            lines += [f"Unique key: `{', '.join(table.unique_key)}`.", ""]
        lines += ["| column | type | required | meaning |", "| --- | --- | --- | --- |"]
        for col in table.columns:
            bounds = column_bounds(col, markdown=True)
            extra = f" ({'; '.join(bounds)})" if bounds else ""
            req = "**yes**" if col.required else "no"
            lines.append(f"| `{col.name}` | {col.type} | {req} | {col.description}{extra} |")
        lines.append("")
    return "\n".join(lines)
