"""Building the report folder: each notebook exported by marimo and checked, its single file, the atomic swap."""

from __future__ import annotations

import contextlib
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from cskpi_analysis.report._browser import _ENDING, _end_children, find_chromium, run_tracked
from cskpi_analysis.report._forkserver import ExportServer, ServerGone
from cskpi_analysis.report._index import index_page
from cskpi_analysis.report._notebooks import Report, ReportError
from cskpi_analysis.report._offline import copy_frontend, make_offline, remote_references
from cskpi_analysis.report._page import cell_errors, chart_count, display_errors, left_out_count, title_and_question
from cskpi_analysis.report._privacy import find_personal_data
from cskpi_analysis.report._serve import _inside
from cskpi_analysis.report._single_file import (
    SINGLE_FILE_DIR,
    add_nav,
    check_single_file,
    print_pdf,
    single_file_index,
    single_file_page,
)

MARKER_FILE = ".cskpi-reports"
"""Marks a folder written by :func:`build_reports`, so that a rebuild may replace it."""


def export_html(
    notebook: Path,
    data_dir: Path,
    output: Path,
    timeout: float = 1800,
    database: Path | None = None,
    server: ExportServer | None = None,
    *,
    notebook_arguments: Sequence[str] = (),
    may_build: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run ``marimo export html --no-include-code`` on one notebook with ``-- --data DIR``.

    With ``database`` (a built warehouse) the notebook gets ``--db FILE`` and, unless ``may_build``
    (warehouses for other parameters, :func:`warm_landmarks`), runs with ``CSKPI_NO_BUILD=1``: it
    only opens the warehouse, and fails rather than validate or build. ``notebook_arguments`` follow
    ``--data`` (e.g. ``--landmark 60``). With ``server`` the export is forked from it (see
    :mod:`._forkserver`), else it is its own process.
    """
    arguments = [
        "export", "html", "--no-include-code", "--force", str(notebook), "-o", str(output), "--",
        "--data", str(data_dir), *notebook_arguments,
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if database is not None:
        arguments += ["--db", str(database)]
        if not may_build:
            env["CSKPI_NO_BUILD"] = "1"
    result: subprocess.CompletedProcess[str] | None
    try:
        if server is None:
            raise ServerGone("no export server")
        result = server.run(arguments, env, timeout)
    except ServerGone:
        result = run_tracked([sys.executable, "-m", "marimo", *arguments], timeout, env)
    if result is None:
        raise ReportError(f"{notebook.name}: the export took longer than {timeout:.0f} s and was stopped")
    return result


def run_problems(page: str, result: subprocess.CompletedProcess[str]) -> list[str]:
    """Every sign that an export's run failed (empty when it ran): a failed cell, a chart that failed
    to display (only on marimo's stderr), or a failing exit with neither."""
    problems = cell_errors(page) + display_errors(result.stderr)
    if not problems and result.returncode != 0:
        problems = [f"marimo export failed:\n{_tail(result.stderr)}"]
    return problems


@contextlib.contextmanager
def export_pool(jobs: int | None, count: int) -> Iterator[ThreadPoolExecutor]:
    """Threads for ``count`` exports, ``jobs`` at a time (default: the cores); when the block fails or is
    interrupted, nothing it started keeps running (:func:`_end_children`)."""
    _ENDING.clear()
    pool = ThreadPoolExecutor(max_workers=max(1, min(jobs or os.cpu_count() or 1, count)))
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        _end_children()
        raise
    pool.shutdown(wait=True)


def _tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def export_report(
    notebook: Path,
    data_dir: Path,
    out_dir: Path,
    timeout: float = 1800,
    database: Path | None = None,
    *,
    single_file: bool = True,
    pdf_browser: str | None = None,
    server: ExportServer | None = None,
) -> Report:
    """Export one notebook into ``out_dir`` as a checked, offline page.

    With ``single_file`` (the default) the same export is also written as a self-contained
    page, ``out_dir/single-file/NN_topic.html`` (:func:`cskpi_analysis.single_file_page`;
    its nav bar is added by :func:`build_reports` once every report is known), checked for
    personal data and network references like the page; with ``pdf_browser`` (a Chromium
    executable) it is printed to ``NN_topic.pdf`` beside it. With ``server`` the export is
    forked from it (:func:`export_html`).

    Raises
    ------
    ReportError
        A cell failed, a chart failed to display, the page holds personal data,
        or a network URL would remain; the message names the notebook.
    """
    started = time.monotonic()
    target = out_dir / f"{notebook.stem}.html"
    result = export_html(notebook, data_dir, target, timeout, database, server)
    if not target.exists():
        raise ReportError(f"{notebook.name}: marimo could not export the notebook:\n{_tail(result.stderr)}")
    page = target.read_text(encoding="utf-8")
    problems = run_problems(page, result)
    problems += [f"the report would contain an {item}" for item in find_personal_data(page)]
    if problems:
        target.unlink()
        raise ReportError(f"{notebook.name}: " + "; ".join(problems))
    page = make_offline(page)
    remote = remote_references(page)
    if remote:
        target.unlink()
        raise ReportError(f"{notebook.name}: the report would load {remote[0]} from the network")
    title, question = title_and_question(page, fallback=notebook.stem)
    page = re.sub(r"<title>.*?</title>", f"<title>{html.escape(title)}</title>", page, count=1, flags=re.S)
    target.write_text(page, encoding="utf-8")
    single, pdf = "", ""
    if single_file:
        single, pdf = _write_single_file(page, notebook, out_dir, title, pdf_browser)
    seconds = time.monotonic() - started
    return Report(notebook, target.name, title, question, chart_count(page), seconds, left_out_count(page), single, pdf)


def _write_single_file(
    page: str, notebook: Path, out_dir: Path, title: str, pdf_browser: str | None
) -> tuple[str, str]:
    """Write (and check) ``single-file/NN_topic.html`` and, with a browser, its PDF; their relative paths."""
    folder = out_dir / SINGLE_FILE_DIR
    folder.mkdir(exist_ok=True)
    name = f"{notebook.stem}.html"
    try:
        single = single_file_page(page, title, notebook.stem, interactive_name=name)
    except ReportError as exc:
        raise ReportError(f"{notebook.name}: single file: {exc}") from None
    problems = check_single_file(single)
    if problems:
        raise ReportError(f"{notebook.name}: the single file would contain: " + "; ".join(problems))
    (folder / name).write_text(single, encoding="utf-8")
    pdf = ""
    if pdf_browser is not None:
        print_pdf(folder / name, folder / f"{notebook.stem}.pdf", pdf_browser)
        pdf = f"{SINGLE_FILE_DIR}/{notebook.stem}.pdf"
    return f"{SINGLE_FILE_DIR}/{name}", pdf


def _export_all(
    notebooks: list[Path],
    data_dir: Path,
    building: Path,
    timeout: float,
    database: Path | None,
    jobs: int | None,
    progress: Callable[[str], None],
    single_file: bool = True,
    pdf_browser: str | None = None,
    server: ExportServer | None = None,
) -> list[Report]:
    """Export every notebook, ``jobs`` at a time; the reports in notebook order, or the first failure."""
    done: dict[Path, Report] = {}
    failures: dict[Path, ReportError] = {}
    options = {"single_file": single_file, "pdf_browser": pdf_browser, "server": server}
    with export_pool(jobs, len(notebooks)) as pool:  # interrupted: no export may outlive the command
        futures = {
            pool.submit(export_report, n, data_dir, building, timeout, database, **options): n for n in notebooks
        }
        for number, future in enumerate(as_completed(futures), start=1):
            notebook = futures[future]
            try:
                done[notebook] = future.result()
                progress(f"[{number}/{len(notebooks)}] {notebook.stem} {done[notebook].seconds:.1f} s\n")
            except ReportError as exc:
                failures[notebook] = exc
                progress(f"[{number}/{len(notebooks)}] {notebook.stem} failed\n")
    for notebook in notebooks:
        if notebook in failures:
            raise failures[notebook]
    return [done[n] for n in notebooks]


def _swap_in(built: Path, out: Path) -> None:
    if not out.exists():
        built.rename(out)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    retired.rmdir()
    out.rename(retired)
    built.rename(out)
    shutil.rmtree(retired, ignore_errors=True)


def _check_out(out: Path, data_dir: Path | None = None) -> None:
    if data_dir is not None and _inside(os.path.realpath(data_dir), str(out)):
        raise ReportError(f"--out {out} is inside the data folder {data_dir}; write the reports elsewhere")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER_FILE).exists())):
        raise ReportError(f"{out} exists and was not written by 'cskpi report'; choose another --out or remove it")


def _write_progress(text: str) -> None:
    print(text, end="", flush=True)


def build_reports(
    data_dir: Path,
    out: Path,
    notebooks: Sequence[Path],
    progress: Callable[[str], None] = _write_progress,
    timeout: float = 1800,
    *,
    database: Path | None = None,
    jobs: int | None = None,
    single_files: bool = True,
    pdf: bool = False,
    server: ExportServer | None = None,
) -> list[Report]:
    """Export ``notebooks`` into ``out`` atomically, with ``out/index.html`` and ``out/assets``.

    With ``single_files`` (the default) every report is also written as one self-contained file
    in ``out/single-file/`` (with its own ``index.html``), and with ``pdf`` printed to PDF there.

    Parameters
    ----------
    data_dir : data folder handed to every notebook (``-- --data DIR``).
    out : report folder; replaced as a whole on success, untouched on failure.
    notebooks : marimo notebooks to export, in order.
    progress : receives text as it happens: ``"[2/5] 01_kpi_overview ..."`` before a
        notebook, ``" 14.2 s\\n"`` after it (the default prints it).
    timeout : seconds one export may take.
    database : the folder's built warehouse: every notebook opens it read-only and none
        validates or builds (see :func:`export_html`).
    jobs : exports run at once (default: the machine's cores); each is its own process.
    single_files : also write ``out/single-file/NN_topic.html``, which open without a server.
    pdf : also print each single file to ``out/single-file/NN_topic.pdf`` (needs Chromium).
    server : an :class:`ExportServer` to fork the exports from (:func:`export_server`), which
        saves each one the imports of marimo and the notebooks' libraries; else each export is
        its own process.

    Raises
    ------
    ReportError
        No notebook was given, ``out`` is a foreign folder, ``pdf`` without Chromium on PATH,
        or a notebook failed (see :func:`export_report`).
    """
    if not notebooks:
        raise ReportError("no notebooks to export (expected notebooks/NN_topic.py)")
    browser = None
    if pdf:
        browser = find_chromium()
        if browser is None:
            raise ReportError(
                "PDFs are printed with headless Chromium, and none is on PATH (chromium, chromium-browser, "
                "google-chrome): install it (apt-get install chromium) or leave out --pdf"
            )
        single_files = True
    out = Path(out)
    _check_out(out, Path(data_dir))
    out.parent.mkdir(parents=True, exist_ok=True)
    data_dir = Path(data_dir).resolve()
    building = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    building.chmod(0o755)  # mkdtemp makes it private; reports are meant to be read
    try:
        copy_frontend(building)
        reports = _export_all(
            [Path(n).resolve() for n in notebooks],
            data_dir,
            building,
            timeout,
            database,
            jobs,
            progress,
            single_file=single_files,
            pdf_browser=browser,
            server=server,
        )
        if single_files:
            _finish_single_files(building, reports, data_dir.name, pdf=browser is not None)
        (building / "index.html").write_text(index_page(reports, data_dir.name), encoding="utf-8")
        (building / MARKER_FILE).write_text("written by cskpi report; replaced as a whole on each run\n")
        _swap_in(building, out)
    finally:
        if building.exists():
            shutil.rmtree(building, ignore_errors=True)
    return reports


def _finish_single_files(building: Path, reports: Sequence[Report], data_name: str, pdf: bool) -> None:
    """Put the nav bar (every report is known now) in each single file and write their index."""
    folder = building / SINGLE_FILE_DIR
    siblings = [
        Report(r.notebook, Path(r.single_file).name, r.title, r.question, r.charts, r.seconds, r.left_out)
        for r in reports
    ]
    for sibling in siblings:
        path = folder / sibling.file_name
        path.write_text(add_nav(path.read_text(encoding="utf-8"), siblings, sibling.file_name), encoding="utf-8")
    (folder / "index.html").write_text(single_file_index(siblings, data_name, pdf), encoding="utf-8")
