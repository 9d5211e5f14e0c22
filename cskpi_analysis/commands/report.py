"""Export every notebook as an HTML report that opens offline.

Opens the folder's warehouse (validating and building it once if it is missing or
stale, as 'cskpi build' does), then runs each notebooks/NN_topic.py, as many at once
as there are cores, with 'marimo export html --no-include-code ... -- --data DIR
--db WAREHOUSE': every notebook only reads the warehouse. (On Linux the exports are
forked from one process that imported marimo and the notebooks' libraries while the
warehouse was built.) Each page is checked
(no failed cell, no chart that failed to display, no e-mail address or phone
number anywhere in the page) and made to load marimo's frontend from
OUT/assets/ instead of a CDN. OUT/index.html lists the reports.

Each report is also written as one self-contained file, OUT/single-file/NN_topic.html:
static SVG charts, plain formatted tables with a CSV download, the controls' choices as
text, no script and no network. These open anywhere (from disk, as an e-mail attachment,
printed on A4): they are the ones to send. With --pdf each is also printed to
OUT/single-file/NN_topic.pdf by headless Chromium.

OUT is replaced as a whole only when every notebook succeeded; on failure it is
left as it was. Open the interactive reports with 'cskpi serve OUT' (browsers refuse
their JavaScript modules from file://).

Example:

    cskpi report data/demo --out reports --pdf
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from cskpi_analysis.commands._common import add_data_dir, open_warehouse_of
from cskpi_analysis.notebook import PERIOD_ENV

NAME = "report"
HELP = "export every notebook as an offline HTML report into --out (with index.html)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser)
    parser.add_argument("--out", type=Path, default=Path("reports"), help="report folder (default: %(default)s)")
    parser.add_argument("--notebooks", type=Path, default=None,
                        help="folder of marimo notebooks NN_topic.py (default: the suite's own, found from any directory)")  # fmt: skip
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds one notebook may take (default: %(default)s)"
    )
    parser.add_argument(
        "--jobs", type=int, default=None, help="notebooks exported at once (default: the number of cores)"
    )
    parser.add_argument(
        "--period",
        choices=("month", "quarter"),
        default="month",
        help="the executive summary's cadence: this month against last month, 3 months and a year ago "
        "(month), or this quarter against last quarter and a year ago (quarter); default: month",
    )
    parser.add_argument(
        "--pdf",
        action="store_true",
        help="also print each single file to OUT/single-file/NN_topic.pdf (needs chromium on PATH)",
    )


def run(args: argparse.Namespace) -> int:
    from cskpi_analysis.report import (
        ReportError,
        build_reports,
        default_notebooks,
        export_server,
        find_chromium,
        find_notebooks,
    )

    if args.pdf and find_chromium() is None:  # before the warehouse is built or any notebook runs
        raise ReportError("--pdf needs headless Chromium on PATH (apt-get install chromium); nothing was written")
    folder = args.notebooks if args.notebooks is not None else default_notebooks()
    notebooks = find_notebooks(folder)
    if not notebooks:
        raise ReportError(f"no notebooks NN_topic.py in {folder}/")
    # the server imports marimo and the notebooks' libraries while the warehouse is built (a
    # build keeps about one core busy), then forks every export with them already loaded
    with export_server() as server:
        with open_warehouse_of(args) as wh:  # validated and built once (or opened, if up to date)
            database = wh.path
        os.environ[PERIOD_ENV] = args.period  # read by every notebook (cskpi_analysis.notebook.period)
        reports = build_reports(
            args.data_dir,
            args.out,
            notebooks,
            timeout=args.timeout,
            database=database,
            jobs=args.jobs,
            pdf=args.pdf,
            server=server,
        )
    pdfs = " and PDFs" if args.pdf else ""
    print(
        f"{len(reports)} report(s) in {args.out}/ (index.html).\n"
        f"To send: {args.out}/single-file/ (one self-contained HTML file{pdfs} per report; opens anywhere).\n"
        f"Interactive: cskpi serve {args.out}"
    )
    return 0
