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
from pathlib import Path

from cskpi_analysis.commands._common import add_data_dir

NAME = "jupyter"
HELP = "write executed Jupyter copies of the notebooks into notebooks/jupyter/"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser)
    parser.add_argument("--notebooks", type=Path, default=Path("notebooks"),
                        help="folder of marimo notebooks NN_topic.py (default: %(default)s)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=None, help="folder of the copies (default: NOTEBOOKS/jupyter)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds one cell may take (default: %(default)s)")


def run(args: argparse.Namespace) -> int:
    from cskpi_analysis.jupyter import JupyterCopyError, build_copies
    from cskpi_analysis.report import find_notebooks
    from cskpi_analysis.validate import require_valid

    require_valid(args.data_dir)  # refuse to run the notebooks on a folder that breaks the contract
    notebooks = find_notebooks(args.notebooks)
    if not notebooks:
        raise JupyterCopyError(f"no notebooks NN_topic.py in {args.notebooks}/")
    out = args.out or args.notebooks / "jupyter"
    written = build_copies(args.data_dir, notebooks, out, timeout=args.timeout)
    print(f"{len(written)} Jupyter copie(s) in {out}/")
    return 0
