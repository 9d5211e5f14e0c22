"""Print the input data contract: every table (one file per table, CSV or Parquet, file
stem = table name), its grain and unique key, and every column with its type, whether it
is required, its meaning, unit and bounds. data/README.md holds the same tables.
"""

from __future__ import annotations

import argparse

from cskpi_analysis.contract import TABLES, column_bounds, contract_markdown

NAME = "contract"
HELP = "print the input data contract (tables, columns, types)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables (as in data/README.md)")


def contract_text() -> str:
    """The contract as aligned plain text, one block per table."""
    blocks = []
    for table in TABLES.values():
        lines = [f"{table.name} ({'required' if table.required else 'optional'}): {table.grain}"]
        if table.unique_key:
            lines.append(f"  unique key: {', '.join(table.unique_key)}")
        width = max(len(c.name) for c in table.columns)
        for col in table.columns:
            bounds = column_bounds(col, markdown=False)
            extra = f" [{'; '.join(bounds)}]" if bounds else ""
            flag = "required" if col.required else "optional"
            lines.append(f"  {col.name:<{width}}  {col.type:<9}  {flag:<8}  {col.description}{extra}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def run(args: argparse.Namespace) -> int:
    print(contract_markdown() if args.markdown else contract_text())
    return 0
