"""Write executed Jupyter copies of the marimo notebooks into notebooks/jupyter/.

For reviewers who work in Jupyter: each notebooks/NN_topic.py is exported with
'marimo export ipynb', given a first cell that points the kernel at the data
folder (environment variable CSKPI_DATA, default DIR) and static SVG charts,
executed in the python3 kernel, and written with its outputs, deterministically.
The copies are checked by 'pytest --nbval notebooks/jupyter --nbval-sanitize-with
nbval_sanitize.cfg'; re-run this command (make jupyter) after editing a notebook.

Example:

    cskpi jupyter data/demo
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from cskpi_analysis.commands._common import add_data_dir, open_warehouse_of

NAME = "jupyter"
HELP = "write executed Jupyter copies of the notebooks into notebooks/jupyter/"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser)
    parser.add_argument("--notebooks", type=Path, default=None,
                        help="folder of marimo notebooks NN_topic.py (default: the suite's own, found from any directory)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=None, help="folder of the copies (default: NOTEBOOKS/jupyter)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds one cell may take (default: %(default)s)")


def run(args: argparse.Namespace) -> int:
    from cskpi_analysis.jupyter import JupyterCopyError, build_copies
    from cskpi_analysis.notebook import DB_ENV
    from cskpi_analysis.report import default_notebooks, find_notebooks

    with open_warehouse_of(args) as wh:  # validated and built once; refuses a folder that breaks the contract
        if args.db is not None:
            os.environ[DB_ENV] = str(wh.path)  # the kernels inherit it (notebook.database)
    folder = args.notebooks if args.notebooks is not None else default_notebooks()
    notebooks = find_notebooks(folder)
    if not notebooks:
        raise JupyterCopyError(f"no notebooks NN_topic.py in {folder}/")
    out = args.out or folder / "jupyter"
    written = build_copies(args.data_dir, notebooks, out, timeout=args.timeout)
    print(f"{len(written)} Jupyter copie(s) in {out}/")
    return 0
