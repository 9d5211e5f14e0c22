"""List the KPI catalogue by lifecycle stage: each KPI's stage, leading/lagging tag, the
leading KPI paired with each lagging one, and whether it can be computed.

Without DIR, only the registry is read: "computable" means the suite computes the KPI
from the data contract. With DIR, the folder's files are checked too: a KPI whose
optional table or column is missing is "not computable here" (never an error), and the
table ends with one sentence per missing source naming the KPIs it would enable
("activation_rate, ...: left out — needs milestones.").
--values DIR adds each computable KPI's latest value (this builds the marts).
--format markdown prints docs/definitions.md (cskpi catalogue --format markdown >
docs/definitions.md regenerates it). Definitions: docs/definitions.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cskpi_analysis.commands._common import add_format, open_warehouse_of, print_frame

NAME = "catalogue"
HELP = "list the KPI catalogue by lifecycle stage, and what this dataset can compute"

STAGE_CHOICES = ("onboarding", "adoption", "retention", "expansion", "advocacy", "support")
TABLE_COLUMNS = ["stage", "kpi_id", "name", "indicator", "paired_with", "computable", "computable_here", "why_not"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "data_dir",
        metavar="DIR",
        type=Path,
        nargs="?",
        default=None,
        help="data folder to check (optional: without it, only the registry is listed)",
    )
    parser.add_argument("--db", type=Path, default=None, help="warehouse file for --values (default: the cache)")
    parser.add_argument("--stage", choices=STAGE_CHOICES, default=None, help="only this stage's KPIs")
    parser.add_argument(
        "--values",
        action="store_true",
        help="with DIR: build the marts and show each computable KPI's latest value (slower)",
    )
    parser.add_argument("--segment", default="All", help="segment for --values (default: All)")
    add_format(parser, ("table", "json", "csv", "markdown"))


def run(args: argparse.Namespace) -> int:
    from cskpi_analysis.catalogue import (
        available_columns_in_folder,
        catalogue_frame,
        definitions_markdown,
        left_out_here,
        left_out_sentences,
        too_many_kpis_note,
    )
    from cskpi_analysis.errors import ConfigError

    if args.format == "markdown":
        print(definitions_markdown(), end="")
        return 0
    config = None
    available = None
    if args.data_dir is not None:
        from cskpi_analysis.validate import require_valid

        # like every command given data: validate first, refuse on errors (missing optional
        # tables are not errors: their KPIs are simply "not computable here")
        config, _report = require_valid(args.data_dir)
        available = available_columns_in_folder(args.data_dir)
    frame = catalogue_frame(available_tables=available, config=config, stage=args.stage)
    if args.values:
        if args.data_dir is None:
            raise ConfigError("--values needs a data folder (DIR)")
        from cskpi_analysis.stage_kpis import stage_view

        with open_warehouse_of(args) as wh:
            stages = [args.stage] if args.stage else STAGE_CHOICES
            views = [stage_view(wh, s, args.segment)[["kpi_id", "month", "value"]] for s in stages]
        import pandas as pd

        views = [view for view in views if not view.empty]  # a stage with no value here adds nothing
        values = pd.concat(views) if views else pd.DataFrame(columns=["kpi_id", "month", "value"])
        frame = frame.merge(values, on="kpi_id", how="left")
    if args.format == "table":
        columns = TABLE_COLUMNS + (["month", "value"] if args.values else [])
        shown = frame.loc[:, columns].fillna("")
        print_frame(shown, "table")
        computable_here = int(frame["computable_here"].sum())
        print(f"\n{computable_here} of {len(frame)} KPIs computable here.")
        note = too_many_kpis_note(computable_here)
        if note:
            print(note)
        if available is not None:
            for sentence in left_out_sentences(left_out_here(available, config, stage=args.stage)):
                print(sentence)
    else:
        print_frame(frame, args.format)
    return 0
