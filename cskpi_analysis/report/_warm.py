"""Notebook 03 run once per landmark and horizon it offers, so that changing them in the notebook reads kept results.

A landmark or horizon nobody chose before costs notebook 03 a warehouse for those parameters
and the fits of every model on it (at 100k accounts: 14-21 s, most of it the stratified Cox
model and its refits). Those results are kept beside the warehouse, so the second choice of
the same pair takes under a second. ``cskpi build --warm`` makes every choice a second one:
it runs the notebook itself (``marimo export html ... -- --landmark DAYS --horizon DAYS``,
forked like the report's exports, as many at once as there are cores) for every pair of
:data:`~cskpi_analysis.survival.LANDMARK_CHOICES` x :data:`~cskpi_analysis.survival.HORIZON_CHOICES`,
and throws the pages away. What is fitted is what the notebook fits, by the notebook's own
cells: nothing here knows which models those are.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cskpi_analysis.report._export import _tail, export_html, export_pool, run_problems
from cskpi_analysis.report._forkserver import ExportServer, export_server
from cskpi_analysis.report._notebooks import ReportError, default_notebooks

WARM_NOTEBOOK = "03_day30_survival.py"
"""The notebook whose controls build warehouses and fit models: the one :func:`warm_landmarks` runs."""


@dataclass(frozen=True)
class WarmRun:
    """One run of the notebook: its landmark and horizon (days) and how long it took (s)."""

    landmark_days: int
    horizon_days: int
    seconds: float


def landmark_pairs() -> list[tuple[int, int]]:
    """Every (landmark, horizon) notebook 03 offers, the default pair first."""
    from cskpi_analysis.survival import HORIZON_CHOICES, LANDMARK_CHOICES
    from cskpi_analysis.warehouse import DEFAULT_HORIZON_DAYS, DEFAULT_LANDMARK_DAYS

    pairs = [(landmark, horizon) for landmark in LANDMARK_CHOICES.values() for horizon in HORIZON_CHOICES.values()]
    return sorted(pairs, key=lambda pair: pair != (DEFAULT_LANDMARK_DAYS, DEFAULT_HORIZON_DAYS))


def warm_landmarks(
    data_dir: Path,
    database: Path,
    *,
    notebooks: Path | None = None,
    jobs: int | None = None,
    timeout: float = 1800,
    progress: Callable[[str], None] = lambda text: print(text, end="", flush=True),
    server: ExportServer | None = None,
) -> list[WarmRun]:
    """Run notebook 03 on ``database`` for every landmark and horizon (:func:`landmark_pairs`).

    Parameters
    ----------
    data_dir, database : the folder and its built, up-to-date warehouse (``cskpi build``).
    notebooks : the folder holding ``03_day30_survival.py`` (default: the suite's own).
    jobs : runs at once (default: the machine's cores).
    timeout : seconds one run may take.
    progress : receives a line per finished run.
    server : the export server to fork the runs from (started before the build, it imports while the
        warehouse is built); default: one started here.

    Raises
    ------
    ReportError
        The notebook is missing, or a run failed (a cell raised, a chart failed to display,
        or marimo exited with an error: :func:`run_problems`); the message names the landmark
        and horizon.
    """
    notebook = (notebooks or default_notebooks()) / WARM_NOTEBOOK
    if not notebook.is_file():
        raise ReportError(f"{notebook} is missing: cskpi build --warm runs it")
    pairs = landmark_pairs()
    own_server = export_server() if server is None else contextlib.nullcontext(server)
    with tempfile.TemporaryDirectory(prefix="cskpi-warm-") as folder, own_server as server:

        def run(pair: tuple[int, int]) -> WarmRun:
            landmark, horizon = pair
            started = time.monotonic()
            page = Path(folder) / f"{landmark}-{horizon}.html"
            arguments = ["--landmark", str(landmark), "--horizon", str(horizon)]
            result = export_html(
                notebook, data_dir, page, timeout, database, server, notebook_arguments=arguments, may_build=True
            )
            where = f"landmark {landmark} days, horizon {horizon} days"
            if not page.is_file():
                raise ReportError(f"{notebook.name} ({where}) did not run:\n{_tail(result.stderr)}")
            problems = run_problems(page.read_text(encoding="utf-8"), result)
            if problems:
                raise ReportError(f"{notebook.name} ({where}): " + "; ".join(problems))
            done = WarmRun(landmark, horizon, time.monotonic() - started)
            progress(f"  landmark {landmark:>3} days, horizon {horizon:>3} days: {done.seconds:.1f} s\n")
            return done

        with export_pool(jobs, len(pairs)) as pool:  # a failure or an interruption: nothing keeps running
            runs = list(pool.map(run, pairs))
    return runs
