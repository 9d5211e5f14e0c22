"""Print the SQL models in another engine's dialect, to run the same definitions in your own
warehouse (Spark SQL, Snowflake, BigQuery or PostgreSQL).

Each model is one SELECT, printed in dependency order as 'create or replace view NAME as ...'
(or the bare SELECT with --select-only). Staging models read src_<table> relations: create
those over your tables first, with the contract's column names and types (data/README.md).
Parameters stay named markers (:as_of in Spark and Snowflake, @as_of in BigQuery, %(as_of)s
in PostgreSQL); bind them as your engine does, with the values 'cskpi build' records (as_of,
snapshot, grace_days, reactivation, landmark_days, horizon_days, key_features, ... and
has_<table> for each optional table). docs/spark.md shows the whole run on Spark.
"""

from __future__ import annotations

import argparse

from cskpi_analysis.dialects import DIALECTS

NAME = "sql"
HELP = "print the SQL models transpiled to spark, snowflake, bigquery or postgres"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dialect", choices=DIALECTS, required=True, help="target SQL dialect")
    parser.add_argument(
        "--model", action="append", default=None, metavar="NAME", help="only this model (repeatable; default: all)"
    )
    parser.add_argument("--select-only", action="store_true", help="print each model's SELECT without CREATE VIEW")


def run(args: argparse.Namespace) -> int:
    from cskpi_analysis.dialects import transpile
    from cskpi_analysis.errors import AnalysisError
    from cskpi_analysis.models import load_models, model_order

    models = load_models()
    names = model_order(models)
    if args.model:
        unknown = sorted(set(args.model) - set(models))
        if unknown:
            raise AnalysisError(f"unknown model(s): {', '.join(unknown)}; see cskpi_analysis/sql/ for the names")
        names = [name for name in names if name in set(args.model)]
    for name in names:
        body = transpile(models[name].sql, args.dialect)
        print(f"-- {name} ({models[name].layer}); reads: {', '.join(models[name].depends_on) or 'sources'}")
        print(body + ";" if args.select_only else f"create or replace view {name} as\n{body};")
        print()
    return 0
