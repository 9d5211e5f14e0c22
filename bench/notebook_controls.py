"""Time the notebooks' controls and opening against the targets of the notebook-latency issue.

Targets: any control change in notebooks 01 and 02 at 100k accounts re-renders in at most 200 ms of cell
time, in 03 and 04 at most 1 s; opening a notebook on an up-to-date warehouse takes at most 5 s to first
output.

    .venv/bin/python bench/notebook_controls.py DATA_DIR [--db FILE] [--notebooks 01,02,03,04] [--repeat 3] [--json]

1. The warehouse of DATA_DIR is opened, and built first if needed, outside every timed region. The notebooks
   then run with CSKPI_DATA, CSKPI_DB and CSKPI_NO_BUILD=1 (only read), except those that build a variant
   warehouse for other parameters (03's landmark and horizon), which run without CSKPI_NO_BUILD.
2. Open: ``app.run()`` of the whole notebook in a fresh interpreter (this script with ``--open-only NN``), so
   every import counts, timed from the parent around the child process. That is the time to a fully run
   notebook: an upper bound of the time to first output. The child also reports when its setup cell (the
   imports and ``warehouse()``) and its first cell with an output finished, measured from the parent's start.
3. Control changes, in this process after one warm ``app.run()``: ``app.run(defs=overrides)`` where the
   overrides are every name the setup cell defines (from the warm run) and every control, replaced by a stub
   whose ``.value`` is the value under test for the control being changed and the default for the others.
   The cells defining the overridden names do not run; EVERY other cell does, including those that do not
   depend on the control (markdown, the charts of other controls): the "run s" figures are an upper bound
   of the re-render. Each cell is also timed on its own; "dependent s" sums the cells a marimo session would
   rerun (those reading the control, and their descendants): the re-render itself.
   For a control that builds a variant warehouse (03's landmark and horizon), "first s" is the first use of
   the value (the variant built, or opened from disk if an earlier run left it there: see the "first use"
   column and --fresh-variants) and "median/max s" the repeat uses.

   ``--skip-independent`` also overrides the definitions of the cells the change does not reach (kept from the
   warm run), so that only those cells and the cells without definitions (markdown, charts) rerun: a faster
   run and a tighter bound. ``--profile`` prints a cProfile of each notebook's slowest re-render to stderr.

Every value of every control is tried (a segment dropdown: every segment in the data). Verdicts are on the
worst run, first use included. With ``--json`` the records are printed as one line ``RESULT {json}`` (the
convention bench/run.py reads) instead of the tables. The warehouse is reopened (rebuilt if the SQL changed
meanwhile) before each notebook, outside the timed regions. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
NOTEBOOKS = REPO / "notebooks"

# the targets: seconds of cell time per control change, by notebook; seconds to first output on opening
CONTROL_TARGET_S = {"01": 0.2, "02": 0.2, "03": 1.0, "04": 1.0}
OPEN_TARGET_S = 5.0
TARGET_ACCOUNTS = 100_000

DATA_ENV, DB_ENV, NO_BUILD_ENV = "CSKPI_DATA", "CSKPI_DB", "CSKPI_NO_BUILD"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------- marimo


def notebook_file(number: str) -> Path:
    matches = sorted(NOTEBOOKS.glob(f"{number}_*.py"))
    if len(matches) != 1:
        raise SystemExit(f"expected one notebooks/{number}_*.py, found {len(matches)}")
    return matches[0]


def load_app(path: Path) -> Any:
    """The marimo App of a notebook file, imported as a module of its own."""
    spec = importlib.util.spec_from_file_location(f"cskpi_bench_nb_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


@dataclass
class CellTime:
    cell_id: str
    seconds: float
    ended: float  # time.time() when the cell finished
    has_output: bool


@contextmanager
def cell_timer() -> Iterator[list[CellTime]]:
    """Time every cell marimo's script runner evaluates (``app.run``) while the context is open."""
    from marimo._runtime.app import script_runner

    evaluator = script_runner.Evaluator
    original = evaluator.evaluate_sync
    times: list[CellTime] = []

    def timed(self: Any, cell: Any, glbls: Any) -> Any:
        start = time.perf_counter()
        result = original(self, cell, glbls)
        times.append(CellTime(str(cell.cell_id), time.perf_counter() - start, time.time(), result.output is not None))
        return result

    evaluator.evaluate_sync = timed  # type: ignore[method-assign]
    try:
        yield times
    finally:
        evaluator.evaluate_sync = original  # type: ignore[method-assign]


def graph_of(app: Any) -> tuple[Any, list[str]]:
    """The app's dataflow graph and its cell ids in notebook order."""
    from marimo._ast.app import InternalApp

    internal = InternalApp(app)
    return internal.graph, [str(cid) for cid in internal.cell_manager.cell_ids()]


def cell_label(graph: Any, cell_id: str) -> str:
    cell = graph.cells[cell_id]
    if cell.defs:
        return "defines " + ", ".join(sorted(cell.defs))
    first = next((line.strip() for line in cell.code.splitlines() if line.strip()), "")
    return first[:70]


class ControlStub:
    """What the cells read of a UI element: its ``.value`` (and ``.options``, for completeness)."""

    def __init__(self, value: Any, options: dict[str, Any]) -> None:
        self.value = value
        self.options = options

    def __repr__(self) -> str:
        return f"ControlStub({self.value!r})"


# ---------------------------------------------------------------------------------------------- records


@dataclass
class Record:
    """One measured thing: a notebook's opening, or one value of one control."""

    notebook: str
    kind: str  # "open" or "control"
    control: str = ""
    value: str = ""
    runs_s: list[float] = field(default_factory=list)  # app.run (control) or child wall (open), in order
    dependent_s: list[float] = field(default_factory=list)  # cells depending on the control, per run
    setup_done_s: float | None = None  # open: parent start -> setup cell finished (first run)
    first_output_s: float | None = None  # open: parent start -> first cell with an output finished (first run)
    first_use: str = ""  # variant controls: "built", "opened from disk" or "" (no variant needed)
    target_s: float | None = None
    note: str = ""
    error: str = ""

    @property
    def first(self) -> float | None:
        return self.runs_s[0] if self.runs_s else None

    @property
    def repeats(self) -> list[float]:
        return self.runs_s[1:] if len(self.runs_s) > 1 else self.runs_s

    @property
    def worst(self) -> float | None:
        return max(self.runs_s) if self.runs_s else None

    def verdict(self, values: list[float] | None = None) -> str:
        values = self.runs_s if values is None else values
        if self.error:
            return "FAILED"
        if self.target_s is None or not values:
            return "no target"
        return "met" if max(values) <= self.target_s else "NOT met"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(first_s=self.first, worst_s=self.worst, verdict=self.verdict())
        if self.kind == "control":
            data["dependent_verdict"] = self.verdict(self.dependent_s)
        return data


# ---------------------------------------------------------------------------------------------- opening


def open_child(number: str) -> int:
    """``--open-only NN``: run the notebook once and print when its cells finished (epoch seconds)."""
    started = time.time()
    path = notebook_file(number)
    try:
        app = load_app(path)
        with cell_timer() as times:
            app.run()
    except BaseException:  # noqa: BLE001 - reported to the parent
        print("OPEN " + json.dumps({"error": traceback.format_exc(limit=8)}), flush=True)
        return 1
    first_output = next((t.ended for t in times if t.has_output), None)
    setup = times[0].ended if times else None
    print(
        "OPEN "
        + json.dumps({"started": started, "setup_done": setup, "first_output": first_output, "ended": time.time()}),
        flush=True,
    )
    return 0


def sidecar_files(db: Path, kind: str) -> set[str]:
    """The variant warehouses (``variants``) or cached results (``results``) kept beside a warehouse file."""
    folder = db.with_name(db.name + ".d") / kind
    return (
        {p.name for p in folder.iterdir() if not p.name.endswith((".tmp", ".building"))} if folder.is_dir() else set()
    )


def open_once(number: str, env: dict[str, str], timeout: float) -> tuple[float, dict[str, Any], str]:
    """One fresh-process run of a notebook: (wall seconds, the child's report, error text or "")."""
    before = time.time()
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--open-only", number],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    wall = time.perf_counter() - start
    report = next((json.loads(line[5:]) for line in reversed(proc.stdout.splitlines()) if line.startswith("OPEN ")), {})
    if proc.returncode != 0 or not report or "error" in report:
        detail = report.get("error") or proc.stderr[-3000:] or proc.stdout[-3000:]
        return wall, report, f"exit {proc.returncode}: {detail.strip()}"
    report = {k: v - before if k in ("setup_done", "first_output") and v else v for k, v in report.items()}
    return wall, report, ""


def stale(error: str) -> bool:
    """The error of a read-only process meeting a warehouse that others' edits of the SQL made stale."""
    return f"{NO_BUILD_ENV}=1 forbids" in error


def measure_open(number: str, repeat: int, env: dict[str, str], timeout: float, db: Path) -> Record:
    record = Record(number, "open", target_s=OPEN_TARGET_S)
    for round_ in range(repeat):
        cached = sidecar_files(db, "results")
        wall, report, error = open_once(number, env, timeout)
        if error and stale(error):  # rebuild outside the timed region and try once more
            ensure_warehouse(Path(env[DATA_ENV]), db)
            record.note += f"open {round_ + 1}: the warehouse had gone stale (SQL edited meanwhile); rebuilt, retried. "
            cached = sidecar_files(db, "results")
            wall, report, error = open_once(number, env, timeout)
        if error:
            record.error = error
            return record
        record.runs_s.append(wall)
        if new := sorted(sidecar_files(db, "results") - cached):
            names = ", ".join(n.split("-", 1)[0] for n in new)
            record.note += f"open {round_ + 1} computed and stored the cached result(s) {names}. "
        if round_ == 0:
            record.setup_done_s = report["setup_done"]
            record.first_output_s = report["first_output"]
        log(f"  open {number} round {round_ + 1}/{repeat}: {wall:.2f} s")
    return record


# ---------------------------------------------------------------------------------------------- controls


@dataclass
class NotebookRun:
    records: list[Record]
    warm_s: float | None
    # per control, the slowest cells among those it reruns: (max seconds over its runs, cell label)
    slowest_dependent: dict[str, list[tuple[float, str]]] = field(default_factory=dict)
    # the slowest cells that do not depend on any control, rerun by every app.run(defs=...) all the same
    slowest_independent: list[tuple[float, str]] = field(default_factory=list)
    error: str = ""


def measure_controls(
    run: NotebookRun, number: str, repeat: int, db: Path, skip_independent: bool, profile: bool
) -> None:
    """Every value of every control of one notebook, in this process, after one warm run: filled into ``run``."""
    app = load_app(notebook_file(number))
    log(f"  {number}: warm run ...")
    for attempt in range(2):
        start = time.perf_counter()
        try:
            with cell_timer() as warm_times:
                _, defs = app.run()
            break
        except Exception:  # noqa: BLE001 - reported in the results
            error = traceback.format_exc(limit=8)
            if attempt or not stale(error):
                run.error = error
                return
            ensure_warehouse(Path(os.environ[DATA_ENV]), db)
    run.warm_s = warm = time.perf_counter() - start
    log(f"  {number}: warm run {warm:.2f} s")
    if not warm_times:
        log(f"  {number}: no cell was timed (async cells run outside evaluate_sync): the dependent times read 0")

    from marimo._plugins.ui._core.ui_element import UIElement

    graph, order = graph_of(app)
    setup_id = next(cid for cid in order if graph.cells[cid].defs)
    setup_defs = {name: defs[name] for name in graph.cells[setup_id].defs if name in defs}
    controls = {
        name: defs[name]
        for cid in order
        for name in sorted(graph.cells[cid].defs)
        if isinstance(defs.get(name), UIElement)
    }
    # a cell defining a control may define other names too: they must be overridden with it
    control_cells = {str(cid) for name in controls for cid in graph.get_defining_cells(name)}
    companions = {n: defs[n] for cid in control_cells for n in graph.cells[cid].defs if n not in controls}
    labels = {cid: cell_label(graph, cid) for cid in order}
    log(f"  {number}: controls {', '.join(controls)}; setup cell {labels[setup_id]}")

    def dependents(name: str) -> set[str]:
        readers = {str(cid) for cid, cell in graph.cells.items() if name in cell.refs}
        return readers | {str(d) for cid in readers for d in graph.descendants(cid)}

    reread = {name: dependents(name) - control_cells for name in controls}
    independent = set(order) - {setup_id} - control_cells - set().union(*reread.values())
    log(f"  {number}: {len(order)} cells; {len(independent)} depend on no control")

    def overrides(changed: str, value: Any, skip: bool) -> dict[str, Any]:
        stubs = {
            name: ControlStub(value if name == changed else element.value, dict(element.options))
            for name, element in controls.items()
        }
        kept: dict[str, Any] = {}
        if skip:  # keep the warm run's results of the cells the change does not reach (cells without defs rerun)
            for cid in set(order) - reread[changed] - control_cells - {setup_id}:
                names = graph.cells[cid].defs
                if names and all(n in defs for n in names):
                    kept.update({n: defs[n] for n in names})
        return {**kept, **setup_defs, **companions, **stubs}

    source = notebook_file(number).read_text(encoding="utf-8")
    target = CONTROL_TARGET_S.get(number)
    per_cell: dict[tuple[str, str], float] = {}
    worst: tuple[float, str, Any] | None = None  # the largest dependent time: what --profile looks at
    for name, element in controls.items():
        # only a control read by the cell that calls with_parameters builds a variant warehouse
        builds_variant = "with_parameters" in source and any(
            "with_parameters" in graph.cells[cid].code for cid in reread[name]
        )
        for value in dict(element.options).values():
            record = Record(number, "control", name, str(value), target_s=target)
            for round_ in range(repeat):
                before = sidecar_files(db, "variants") if builds_variant and round_ == 0 else None
                with cell_timer() as times:
                    start = time.perf_counter()
                    try:
                        app.run(defs=overrides(name, value, skip_independent))
                    except Exception:  # noqa: BLE001 - reported in the results
                        record.error = traceback.format_exc(limit=8)
                        break
                    elapsed = time.perf_counter() - start
                record.runs_s.append(elapsed)
                dependent = sum(t.seconds for t in times if t.cell_id in reread[name])
                record.dependent_s.append(dependent)
                for t in times:
                    key = (name if t.cell_id in reread[name] else "", t.cell_id)
                    per_cell[key] = max(per_cell.get(key, 0.0), t.seconds)
                if before is not None and value != element.value:  # the default reads the main file
                    record.first_use = "built" if sidecar_files(db, "variants") - before else "opened from disk"
                if worst is None or dependent > worst[0]:
                    worst = (dependent, name, value)
            log(
                f"    {name}={value}: runs {', '.join(fmt(s) for s in record.runs_s)} s; "
                f"dependent cells {', '.join(fmt(s) for s in record.dependent_s)} s"
                + (f"  ({record.first_use})" if record.first_use else "")
                + ("  FAILED" if record.error else "")
            )
            run.records.append(record)
    for (control, cid), seconds in sorted(per_cell.items(), key=lambda item: -item[1]):
        if control:
            run.slowest_dependent.setdefault(control, []).append((seconds, labels.get(cid, cid)))
    warm_of = {t.cell_id: t.seconds for t in warm_times}
    run.slowest_independent = sorted(((warm_of.get(cid, 0.0), labels[cid]) for cid in independent), reverse=True)
    if profile and worst is not None:
        run_profile(app, overrides(worst[1], worst[2], True), f"{number} {worst[1]}={worst[2]}")


def run_profile(app: Any, defs: dict[str, Any], what: str) -> None:
    """cProfile one ``app.run(defs=...)``: the functions with the most cumulative time, to stderr."""
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        app.run(defs=defs)
    finally:
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    out.write("cskpi_analysis functions by cumulative time:\n")
    stats.sort_stats("cumulative").print_stats(r"cskpi_analysis", 20)
    out.write("all functions by own time:\n")
    stats.sort_stats("tottime").print_stats(15)
    log(f"\n--- cProfile of one run with {what} (--skip-independent overrides) ---\n{out.getvalue()}")


# ---------------------------------------------------------------------------------------------- report


def fmt(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def tables(records: list[Record], runs: dict[str, NotebookRun], info: dict[str, Any]) -> str:
    accounts = info["accounts"]
    size = f"{accounts:,} accounts" if accounts else "unknown size"
    scope = "" if accounts == TARGET_ACCOUNTS else f" (the targets are stated for {TARGET_ACCOUNTS:,} accounts)"
    load = info["load_average"]
    lines = [
        f"Data: {info['data']} ({size}{scope}); warehouse {info['db']}; {info['repeat']} run(s) per measure; "
        f"{os.cpu_count()} cores, 1-min load average {load[0]:.2f} before, {load[1]:.2f} after.",
        "",
        "**Opening** (fresh interpreter, whole notebook run: an upper bound of the time to first output)",
        "",
        "| notebook | full run first s | median s | max s | setup cell done s | first output s | target | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in (r for r in records if r.kind == "open"):
        if r.error:
            lines.append(f"| {r.notebook} | FAILED | | | | | {fmt(r.target_s, 1)} s | FAILED |")
            continue
        first_output = r.first_output_s
        verdict = r.verdict()
        if verdict == "NOT met" and first_output is not None and r.target_s is not None:
            verdict += f" (full run); first output {'met' if first_output <= r.target_s else 'NOT met'}"
        lines.append(
            f"| {r.notebook} | {fmt(r.first, 2)} | {fmt(statistics.median(r.runs_s), 2)} | {fmt(r.worst, 2)} "
            f"| {fmt(r.setup_done_s, 2)} | {fmt(first_output, 2)} | {fmt(r.target_s, 1)} s | {verdict} |"
        )
    notes = [f"- {r.notebook}: {r.note.strip()}" for r in records if r.kind == "open" and r.note]
    lines += ["", *notes] if notes else []
    skipped = info["skip_independent"]
    lines += [
        "",
        '**Control changes** (in-process `app.run(defs=...)`; "run" reruns '
        + (
            "the cells the control reaches and the cells without definitions (markdown, charts), the others kept"
            " from the warm run (--skip-independent)"
            if skipped
            else "every cell but the setup and control cells"
        )
        + ', an upper bound of the re-render; "dependent" sums the cells that read the control and their'
        " descendants, what a marimo session reruns; median/max are over the repeat uses, after the first;"
        " a verdict is on the worst run, first use included)",
        "",
        "| notebook | control | value | first s | median s | max s | dependent s (median) "
        "| target | verdict (run) | verdict (dependent) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in (r for r in records if r.kind == "control"):
        if r.error:
            lines.append(f"| {r.notebook} | {r.control} | {r.value} | FAILED | | | | | FAILED | FAILED |")
            continue
        first = fmt(r.first) + (f" ({r.first_use})" if r.first_use else "")
        dependent = statistics.median(r.dependent_s[1:] or r.dependent_s)
        target = f"{fmt(r.target_s, 1)} s" if r.target_s is not None else "none"
        lines.append(
            f"| {r.notebook} | {r.control} | {r.value} | {first} | {fmt(statistics.median(r.repeats))} "
            f"| {fmt(max(r.repeats))} | {fmt(dependent)} | {target} | {r.verdict()} | {r.verdict(r.dependent_s)} |"
        )
    lines += ["", "**Slowest cells** (max seconds of one run)", ""]
    for number, run in runs.items():
        if run.warm_s is None:
            continue
        independent = "; ".join(f"{s:.3f} s `{label}`" for s, label in run.slowest_independent[:3] if s >= 0.01)
        lines.append(
            f"- {number}: warm full run {run.warm_s:.2f} s; cells depending on no control (warm run): "
            + (independent or "none above 0.01 s")
        )
        for control, cells in run.slowest_dependent.items():
            lines.append(f"  - {control} reruns: " + "; ".join(f"{s:.3f} s `{label}`" for s, label in cells[:3]))
    failures = [r for r in records if r.error]
    failures += [Record(n, "control", "(warm run)", error=run.error) for n, run in runs.items() if run.error]
    for r in failures:
        lines += ["", f"**{r.notebook} {r.kind} {r.control}={r.value} FAILED:**", "", "```", r.error.strip(), "```"]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- main


def ensure_warehouse(data: Path, db: Path | None) -> tuple[Path, int | None]:
    """Open the warehouse, building it first if missing or stale (a changed SQL model makes it stale)."""
    from cskpi_analysis.warehouse import open_warehouse

    start = time.perf_counter()
    wh = open_warehouse(data, database=db)
    path, accounts = Path(wh.path), account_count(wh)
    wh.close()
    elapsed = time.perf_counter() - start
    if elapsed > 1:
        log(f"warehouse {path} (re)built in {elapsed:.1f} s ({accounts or '?'} accounts)")
    return path, accounts


def account_count(wh: Any) -> int | None:
    try:
        return int(wh.validation.row_counts["accounts"])
    except Exception:  # noqa: BLE001 - only a label
        return None


@contextmanager
def environment(changes: dict[str, str | None]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in changes}

    def apply(values: dict[str, str | None]) -> None:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    apply(changes)
    try:
        yield
    finally:
        apply(saved)


def interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def measure_notebook(
    number: str,
    args: argparse.Namespace,
    data: Path,
    db: Path,
    base: dict[str, str],
    records: list[Record],
    runs: dict[str, NotebookRun],
) -> None:
    """Open one notebook in fresh processes, then time its controls here (into ``records`` and ``runs``)."""
    builds = "with_parameters" in notebook_file(number).read_text(encoding="utf-8")
    env_changes: dict[str, str | None] = {**base, NO_BUILD_ENV: None if builds else "1"}
    ensure_warehouse(data, db)  # others may have edited the SQL since: rebuild outside the timed region
    if not args.no_open:
        # the default landmark/horizon read the main file, so opening is checked read-only for every notebook
        child_env = {**os.environ, **base}
        try:
            records.append(measure_open(number, args.repeat, child_env, args.timeout, db))
        except subprocess.TimeoutExpired:
            records.append(Record(number, "open", target_s=OPEN_TARGET_S, error=f"timeout {args.timeout:g} s"))
    ensure_warehouse(data, db)
    runs[number] = run = NotebookRun([], None)
    with environment(env_changes):
        measure_controls(run, number, args.repeat, db, args.skip_independent, args.profile)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="?", type=Path, help="the data folder")
    parser.add_argument("--db", type=Path, help="the warehouse file (default: the folder's cache)")
    parser.add_argument("--notebooks", default="01,02,03,04", help="comma-separated numbers (01,02,03,04)")
    parser.add_argument("--repeat", type=int, default=3, help="fresh-process opens, and runs per control value (3)")
    parser.add_argument("--json", action="store_true", help="print the records as one line RESULT {json}")
    parser.add_argument(
        "--fresh-variants",
        action="store_true",
        help="delete the variant warehouses beside --db first, so 03's first uses build them",
    )
    parser.add_argument("--no-open", action="store_true", help="skip the fresh-process opening runs")
    parser.add_argument(
        "--skip-independent",
        action="store_true",
        help="also override the definitions of the cells a control change does not reach (faster, tighter bound)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile each notebook's slowest control change (dependent cells)"
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds one opening run may take (900)")
    parser.add_argument("--open-only", metavar="NN", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.open_only:
        return open_child(args.open_only)
    if args.data is None:
        parser.error("DATA_DIR is required")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    numbers = [n.strip().zfill(2) for n in args.notebooks.split(",") if n.strip()]
    for number in numbers:
        notebook_file(number)

    data = args.data.resolve()
    log(f"opening (building if needed) the warehouse of {data} ...")
    db, accounts = ensure_warehouse(data, args.db.resolve() if args.db else None)
    if args.fresh_variants:
        shutil.rmtree(db.with_name(db.name + ".d") / "variants", ignore_errors=True)

    load_before = os.getloadavg()[0]
    base = {DATA_ENV: str(data), DB_ENV: str(db), NO_BUILD_ENV: "1"}
    records: list[Record] = []
    runs: dict[str, NotebookRun] = {}
    signal.signal(signal.SIGTERM, interrupt)
    interrupted = ""
    for number in numbers:
        try:
            measure_notebook(number, args, data, db, base, records, runs)
        except KeyboardInterrupt:
            interrupted = f"Interrupted while measuring notebook {number}: the tables hold what was measured before."
            log(interrupted)
            break
    records += [r for run in runs.values() for r in run.records]

    info = {
        "data": str(data),
        "db": str(db),
        "accounts": accounts,
        "repeat": args.repeat,
        "skip_independent": args.skip_independent,
        "load_average": [load_before, os.getloadavg()[0]],
    }
    if args.json:
        payload = {
            **info,
            "records": [r.to_json() for r in records],
            "warm_run_s": {n: run.warm_s for n, run in runs.items()},
            "slowest_dependent_cells": {
                n: {c: v[:3] for c, v in run.slowest_dependent.items()} for n, run in runs.items()
            },
            "slowest_independent_cells": {n: run.slowest_independent[:3] for n, run in runs.items()},
            "errors": {n: run.error for n, run in runs.items() if run.error},
            "interrupted": interrupted,
            "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
        print("RESULT " + json.dumps(payload))
    else:
        print(tables(records, runs, info) + (f"\n\n**{interrupted}**" if interrupted else ""))
    failed = bool(interrupted) or any(r.error for r in records) or any(run.error for run in runs.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
