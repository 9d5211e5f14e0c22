"""The notebooks a report folder is built from, and what was built from each (:class:`Report`)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from cskpi_analysis.errors import CskpiError

NOTEBOOK_GLOB = "[0-9][0-9]_*.py"


class ReportError(CskpiError):
    """A notebook could not be exported as a clean, offline, privacy-safe report."""


@dataclass(frozen=True)
class Report:
    """One exported notebook.

    Attributes
    ----------
    notebook : the marimo source, ``notebooks/NN_topic.py``.
    file_name : the report's file name inside the output folder, ``NN_topic.html``.
    title : the notebook's first ``# `` heading (the file stem if it has none).
    question : the sentence after the title: the question the notebook answers.
    charts : number of Vega/Vega-Lite chart outputs in the report.
    seconds : wall time of the export.
    left_out : sections or items the notebook left out for lack of data (its "left out —"
        sentences); the index marks such a report.
    single_file : the self-contained copy, ``single-file/NN_topic.html`` ("" if none was written).
    pdf : its PDF, ``single-file/NN_topic.pdf`` ("" if none was printed).
    """

    notebook: Path
    file_name: str
    title: str
    question: str
    charts: int
    seconds: float
    left_out: int = 0
    single_file: str = ""
    pdf: str = ""


def find_notebooks(folder: Path) -> list[Path]:
    """The marimo notebooks ``NN_topic.py`` in ``folder``: the executive summary (``NN_summary.py``)
    first, as a leader reads it, then the others in file-name order."""
    found = [p for p in Path(folder).glob(NOTEBOOK_GLOB) if p.is_file()]
    return sorted(found, key=lambda p: (not p.stem.endswith("_summary"), p.name))


def default_notebooks() -> Path:
    """The suite's notebooks, wherever cskpi is installed.

    A source checkout (an editable install) has them in ``notebooks/`` beside the package;
    ``pip install`` puts them in ``<prefix>/share/cskpi/notebooks``. The working directory
    plays no part.
    """
    checkout = Path(__file__).resolve().parents[2] / "notebooks"  # <repo>/cskpi_analysis/report/_notebooks.py
    installed = Path(sys.prefix) / "share" / "cskpi" / "notebooks"
    for folder in (checkout, installed):
        if find_notebooks(folder):
            return folder
    raise ReportError(f"the cskpi notebooks are missing: neither {checkout} nor {installed} holds NN_topic.py files")
