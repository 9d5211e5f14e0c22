"""Check a data folder against the input data contract ('cskpi contract') without changing it.

Prints one line per problem (file, row or count and first rows, column, the bad values,
what was expected), then a summary such as "3 errors, 1 warning in 5 tables (12,345 rows)".
Row N is the N-th data row: line N + 1 of a CSV file, whose line 1 is the header.

Errors make the data unusable and exit with status 1; warnings (unknown columns, accounts
without a subscription, key features never used, scheduled subscription ends...) are worth
a look but exit with status 0. Every other command runs these checks first.
"""

from __future__ import annotations

import argparse

from cskpi_analysis.commands._common import add_data_dir, add_format, print_json

NAME = "validate"
HELP = "check a data folder against the data contract"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser, warehouse=False)
    add_format(parser, ("text", "json"))


def run(args: argparse.Namespace) -> int:
    from cskpi_analysis.validate import validate_dir

    report = validate_dir(args.data_dir)
    if args.format == "json":
        print_json(report.to_dict())
    else:
        print(report.format())
    return 0 if report.ok else 1
