"""Benchmark cskpi against the reference pipelines of shared/perf, side by side in one run.

For each dataset size, the reference data is generated once with shared/perf's ``gen.py`` and mapped onto
cskpi's input contract with ``to_contract.py`` (reused when already in the work folder). Then, round by
round and in a rotating order, every step runs in a fresh process:

- ``pandas``, ``duckdb_tuned``: ``bench_one.py ENGINE RAW`` (one refresh of the reference pipeline);
- ``cskpi-build``: ``cskpi build DATA --db SCRATCH/kpis.duckdb`` (validation + every mart + the checks);
- ``cskpi-validate``: ``cskpi validate DATA``.

Each run records the wall time around the subprocess and the child's peak resident memory (``ru_maxrss``
from ``os.wait4``); for the references, also their internal ``timings.total``. cskpi runs with its working
directory set to an empty temporary folder, which proves it does not depend on it.

Machines are noisy and shared: the figures to compare across runs are the RATIOS measured in the same run
(cskpi build / pandas, cskpi build / tuned DuckDB, cskpi validate / pandas), not absolute seconds.

    .venv/bin/python bench/run.py                                   # 100k accounts / 5M events, 3 rounds
    .venv/bin/python bench/run.py --accounts 1000000 --write        # the 1M / 50M run, appended to RESULTS.md
    .venv/bin/python bench/run.py --accounts 10000 --repeat 1       # a quick smoke run
    .venv/bin/python bench/run.py --with cskpi-report                # also time an optional step (see OPTIONAL_STEPS)
    .venv/bin/python bench/run.py --step 'kpis={cskpi} kpis {data}'  # also time an ad-hoc command

Adding a timed step is adding one ``Step(name, argv)`` to ``STEPS`` (always run) or ``OPTIONAL_STEPS``
(run with ``--with NAME``); argv may use the placeholders listed in ``PLACEHOLDERS``.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import json
import os
import platform
import resource
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "RESULTS.md"
DEFAULT_PERF = REPO.parent / "shared" / "perf"
DEFAULT_WORK = BENCH / ".work"  # git-ignored by bench/.gitignore
# kpi_duckdb_tuned.py imports kpi_duckdb, which shared/perf shipped without: bench/refs/kpi_duckdb.py is our
# stand-in (written from kpi_pandas.py), put first on PYTHONPATH of these steps while the perf folder lacks one.
REFS = BENCH / "refs"
NEEDS_DUCKDB_BASE = {"duckdb_tuned"}
EARLIER_HEADING = "## Earlier (demo data only)"

PLACEHOLDERS = {
    "python": "this interpreter (the project's virtualenv)",
    "cskpi": "the cskpi entry point of the same virtualenv",
    "perf": "the shared/perf folder (read-only)",
    "repo": "this repository",
    "raw": "gen.py output for this size (accounts/subscriptions/events.parquet): what the references read",
    "data": "the same data on cskpi's input contract (with cskpi.toml)",
    "scratch": "a fresh empty temporary folder for this run, deleted afterwards",
    "db": "{scratch}/kpis.duckdb",
}


@dataclass(frozen=True)
class Step:
    """One timed command, run in a fresh process once per round.

    ``argv`` and ``cwd`` are formatted with the ``PLACEHOLDERS``. cskpi steps keep the default ``cwd``
    (an empty temporary folder); the references need the perf folder so that their imports resolve.
    """

    name: str
    argv: tuple[str, ...]
    cwd: str = "{scratch}"


STEPS: list[Step] = [
    Step("pandas", ("{python}", "{perf}/bench_one.py", "pandas", "{raw}"), cwd="{perf}"),
    Step("duckdb_tuned", ("{python}", "{perf}/bench_one.py", "duckdb_tuned", "{raw}"), cwd="{perf}"),
    Step("cskpi-build", ("{cskpi}", "build", "{data}", "--db", "{db}")),
    Step("cskpi-validate", ("{cskpi}", "validate", "{data}")),
]

# Timed only when asked for with --with NAME (or --with all).
OPTIONAL_STEPS: list[Step] = [
    Step("cskpi-kpis", ("{cskpi}", "kpis", "{data}")),
    Step(
        "cskpi-report", ("{cskpi}", "report", "{data}", "--out", "{scratch}/reports", "--notebooks", "{repo}/notebooks")
    ),
    # the references' fixed cost: a fresh interpreter importing pandas, numpy, pyarrow and duckdb
    Step("refs-import", ("{python}", "{perf}/bench_one.py", "noop", "{raw}"), cwd="{perf}"),
    # notebook opening and control re-render times against their targets (prints RESULT {json} of the records);
    # --skip-independent: without it, every control value reruns 04's bootstrap matrix (~11 min at 100k)
    Step(
        "notebook-controls",
        ("{python}", "{repo}/bench/notebook_controls.py", "{data}", "--db", "{db}", "--repeat", "1")
        + ("--skip-independent", "--json"),
    ),
]

# (numerator, denominator): the figures to compare across runs.
RATIOS: list[tuple[str, str]] = [
    ("cskpi-build", "pandas"),
    ("cskpi-build", "duckdb_tuned"),
    ("cskpi-validate", "pandas"),
]


@dataclass(frozen=True)
class Target:
    """A goal stated in RESULTS.md, checked when a run has the matching size."""

    accounts: int
    events_per_account: float
    text: str
    kind: str  # "ratio" (best-of-N wall ratio), "wall_s" (best wall) or "peak_mb" (highest peak)
    subject: str | tuple[str, str]
    limit: float


TARGETS: list[Target] = [
    Target(100_000, 50, "cskpi build <= 0.5x pandas", "ratio", ("cskpi-build", "pandas"), 0.5),
    Target(100_000, 50, "cskpi build <= 1.5x tuned DuckDB", "ratio", ("cskpi-build", "duckdb_tuned"), 1.5),
    Target(1_000_000, 50, "cskpi build <= 60 s wall", "wall_s", "cskpi-build", 60.0),
    Target(1_000_000, 50, "cskpi build <= 4 GB peak", "peak_mb", "cskpi-build", 4096.0),
]


@dataclass
class Run:
    """One execution of one step."""

    step: str
    round: int
    wall_s: float
    peak_mb: float
    exit_code: int
    internal_s: float | None = None  # the reference's own timings.total, when it prints RESULT {json}
    self_peak_mb: float | None = None  # the reference's own ru_maxrss_mb (a cross-check of peak_mb)
    stderr_tail: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


@dataclass
class Dataset:
    """The reference data of one size, in both shapes."""

    accounts: int
    events_per_account: float
    seed: int
    raw: Path
    data: Path
    stats: dict[str, object] = field(default_factory=dict)


@dataclass
class SizeResult:
    dataset: Dataset
    steps: list[str]
    runs: list[Run]
    load_before: float
    load_after: float
    wall_s: float

    def of(self, step: str) -> list[Run]:
        return [r for r in self.runs if r.step == step]

    def ok(self, step: str) -> list[Run]:
        return [r for r in self.of(step) if r.ok]


# ---------------------------------------------------------------------------------------------- processes


def peak_mb(rusage: os.struct_rusage | None) -> float:
    """ru_maxrss in MiB (Linux reports KiB, macOS bytes)."""
    if rusage is None:
        return float("nan")
    return rusage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)


def run_measured(
    argv: Sequence[str], cwd: Path | str, timeout: float, env: dict[str, str] | None = None
) -> tuple[int, float, float, bytes, bytes]:
    """Run ``argv`` in a fresh process: (exit code, wall seconds, child peak MiB, stdout, stderr).

    ``env`` is the child's environment (default: this one's).

    The child's peak RSS comes from ``os.wait4`` (its own ``ru_maxrss``, which includes its waited-for
    descendants). On Linux a child's ru_maxrss is at least the RSS of this runner when it forked, so the
    runner stays small: it imports nothing heavier than the standard library.
    A child still running after ``timeout`` seconds is killed with its process group (exit code -9).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(
                list(argv), cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True
            )
        except OSError as exc:
            return 127, 0.0, float("nan"), b"", f"could not start {argv[0]}: {exc}".encode()
        timer = threading.Timer(timeout, _kill_group, (proc.pid,))
        timer.start()
        try:
            _, status, rusage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen from waiting again
        out.seek(0)
        err.seek(0)
        return code, wall, peak_mb(rusage), out.read(), err.read()


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def tail(text: bytes, lines: int = 12) -> str:
    return "\n".join(text.decode(errors="replace").rstrip().splitlines()[-lines:])


def parse_result(stdout: bytes) -> dict[str, object] | None:
    """The ``RESULT {json}`` line of a reference run (the last one), if any."""
    for line in reversed(stdout.decode(errors="replace").splitlines()):
        if line.startswith("RESULT "):
            try:
                return json.loads(line[len("RESULT ") :])
            except json.JSONDecodeError:
                return None
    return None


# ---------------------------------------------------------------------------------------------- data


def prepare(work: Path, perf: Path, accounts: int, events_per_account: float, seed: int, timeout: float) -> Dataset:
    """Generate (or reuse) the reference data of one size: ``raw/`` from gen.py, ``contract/`` from to_contract.py.

    A folder counts as complete only once both scripts succeeded (``dataset.json`` is written last).
    """
    base = work / f"n{accounts}_e{events_per_account:g}_s{seed}"
    raw, data, marker = base / "raw", base / "contract", base / "dataset.json"
    dataset = Dataset(accounts, events_per_account, seed, raw, data)
    if marker.exists():
        dataset.stats = json.loads(marker.read_text())
        print(f"reusing {base}", flush=True)
        return dataset
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    python = sys.executable
    print(f"generating {accounts:,} accounts x {events_per_account:g} events into {base} ...", flush=True)
    stats: dict[str, object] = {}
    for label, argv in (
        ("gen.py", [python, str(perf / "gen.py"), str(accounts), f"{events_per_account:g}", str(raw), str(seed)]),
        ("to_contract.py", [python, str(perf / "to_contract.py"), str(raw), str(data)]),
    ):
        code, wall, peak, out, err = run_measured(argv, perf, timeout)
        if code != 0:
            raise SystemExit(f"{label} failed (exit {code}) for {accounts:,} accounts:\n{tail(err)}")
        stats[f"{label}_s"] = round(wall, 2)
        text = out.decode(errors="replace").strip().splitlines()
        if label == "gen.py" and text:
            gen = ast.literal_eval(text[-1])  # gen.py prints a dict repr
            stats.update({k: gen[k] for k in ("n_accounts", "n_subscription_rows", "n_events") if k in gen})
        else:  # to_contract.py prints "table rows bytes" lines, then "convert_s S"
            for line in text:
                parts = line.split()
                if len(parts) == 3 and parts[1].isdigit():
                    stats[f"contract_{parts[0]}_rows"] = int(parts[1])
    stats["generated"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    marker.write_text(json.dumps(stats, indent=1) + "\n")
    dataset.stats = stats
    return dataset


# ---------------------------------------------------------------------------------------------- runs


def placeholders(perf: Path, dataset: Dataset, scratch: Path) -> dict[str, str]:
    return {
        "python": sys.executable,
        "cskpi": str(Path(sys.executable).parent / "cskpi"),
        "perf": str(perf),
        "repo": str(REPO),
        "raw": str(dataset.raw),
        "data": str(dataset.data),
        "scratch": str(scratch),
        "db": str(scratch / "kpis.duckdb"),
    }


def uses_refs_base(perf: Path) -> bool:
    """True when the perf folder has no kpi_duckdb.py, so the tuned reference imports ours from bench/refs."""
    return not (perf / "kpi_duckdb.py").is_file()


def child_env(step: Step, perf: Path) -> dict[str, str] | None:
    """This environment with bench/refs prepended to PYTHONPATH, for a step that needs it (else None)."""
    if step.name not in NEEDS_DUCKDB_BASE or not uses_refs_base(perf):
        return None
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REFS), env.get("PYTHONPATH")) if p)
    return env


def run_step(step: Step, round_: int, perf: Path, dataset: Dataset, timeout: float) -> Run:
    scratch = Path(tempfile.mkdtemp(prefix=f"cskpi-bench-{step.name}-"))
    try:
        values = placeholders(perf, dataset, scratch)
        argv = [arg.format(**values) for arg in step.argv]
        code, wall, peak, out, err = run_measured(argv, step.cwd.format(**values), timeout, child_env(step, perf))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    run = Run(step.name, round_, wall, peak, code)
    if code != 0:
        run.stderr_tail = tail(err) or tail(out) or "(no output)"
        if code == -signal.SIGKILL and wall >= timeout:
            run.stderr_tail += f"\n(killed after the {timeout:g} s timeout)"
    result = parse_result(out)
    if result is not None:
        timings = result.get("timings")
        if isinstance(timings, dict) and isinstance(timings.get("total"), int | float):
            run.internal_s = float(timings["total"])
        if isinstance(result.get("ru_maxrss_mb"), int | float):
            run.self_peak_mb = float(result["ru_maxrss_mb"])  # type: ignore[arg-type]
    return run


def bench_size(dataset: Dataset, steps: list[Step], repeat: int, perf: Path, timeout: float) -> SizeResult:
    """Every step once per round, in an order rotated by one each round, each in a fresh process."""
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    runs: list[Run] = []
    width = max(len(s.name) for s in steps)
    for r in range(repeat):
        shift = r % len(steps)
        for step in steps[shift:] + steps[:shift]:
            run = run_step(step, r + 1, perf, dataset, timeout)
            runs.append(run)
            status = "" if run.ok else f"   FAILED (exit {run.exit_code})"
            inner = f"   (internal {run.internal_s:.2f} s)" if run.internal_s is not None else ""
            print(
                f"  round {r + 1}/{repeat}  {step.name:<{width}}  {run.wall_s:8.2f} s  {run.peak_mb:7.0f} MB{inner}{status}",
                flush=True,
            )
            if not run.ok:
                print("    " + run.stderr_tail.replace("\n", "\n    "), flush=True)
    return SizeResult(
        dataset, [s.name for s in steps], runs, load_before, os.getloadavg()[0], time.perf_counter() - start
    )


# ---------------------------------------------------------------------------------------------- report


def fmt(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None or value != value else f"{value:.{digits}f}"


def best(runs: list[Run]) -> float | None:
    return min((r.wall_s for r in runs), default=None)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def ratio_figures(result: SizeResult, num: str, den: str) -> tuple[float | None, float | None, float | None]:
    """(best-of-N ratio, median of the per-round paired ratios, ratio of the highest peaks)."""
    a, b = result.ok(num), result.ok(den)
    best_a, best_b = best(a), best(b)
    best_ratio = best_a / best_b if best_a is not None and best_b else None
    by_round = {r.round: r.wall_s for r in b}
    paired = [r.wall_s / by_round[r.round] for r in a if by_round.get(r.round)]
    peak_a, peak_b = max((r.peak_mb for r in a), default=None), max((r.peak_mb for r in b), default=None)
    peak_ratio = peak_a / peak_b if peak_a is not None and peak_b else None
    return best_ratio, median(paired), peak_ratio


def target_lines(result: SizeResult) -> list[str]:
    ds = result.dataset
    lines = []
    for target in TARGETS:
        if (target.accounts, target.events_per_account) != (ds.accounts, ds.events_per_account):
            continue
        value: float | None
        if target.kind == "ratio":
            assert isinstance(target.subject, tuple)
            value, unit = ratio_figures(result, *target.subject)[0], "x"
        elif target.kind == "wall_s":
            value, unit = best(result.ok(str(target.subject))), " s"
        else:
            peaks = [r.peak_mb for r in result.ok(str(target.subject))]
            value, unit = (max(peaks) if peaks else None), " MB"
        verdict = "n/a (step failed)" if value is None else ("met" if value <= target.limit else "NOT met")
        lines.append(f"- target {target.text}: **{verdict}** ({fmt(value)}{unit})")
    return lines


def size_section(result: SizeResult) -> str:
    ds = result.dataset
    events = ds.stats.get("n_events")
    spells = ds.stats.get("contract_subscriptions_rows")
    head = f"### {ds.accounts:,} accounts"
    if isinstance(events, int):
        head += f", {events:,} events"
    if isinstance(spells, int):
        head += f", {spells:,} subscription spells"
    repeat = max((r.round for r in result.runs), default=0)
    lines = [
        head,
        "",
        f"{repeat} round(s), steps interleaved in a rotating order; seed {ds.seed}; "
        f"1-min load average {result.load_before:.2f} before, {result.load_after:.2f} after; "
        f"{result.wall_s:.0f} s in all.",
        "",
        "| step | ok runs | best s | median s | internal best s | peak MB (highest) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name in result.steps:
        ok = result.ok(name)
        internal = [r.internal_s for r in ok if r.internal_s is not None]
        peaks = [r.peak_mb for r in ok]
        lines.append(
            f"| {name} | {len(ok)}/{len(result.of(name))} | {fmt(best(ok))} | {fmt(median([r.wall_s for r in ok]))} "
            f"| {fmt(min(internal)) if internal else ''} | {fmt(max(peaks), 0) if peaks else 'n/a'} |"
        )
    lines += ["", "| ratio (wall) | best-of-N | median of per-round | peak MB ratio |", "| --- | --- | --- | --- |"]
    for num, den in RATIOS:
        if num in result.steps and den in result.steps:
            b, m, p = ratio_figures(result, num, den)
            lines.append(f"| {num} / {den} | {fmt(b)} | {fmt(m)} | {fmt(p)} |")
    lines += [""] + target_lines(result)
    for run in result.runs:
        if not run.ok:
            lines += [
                f"- **{run.step} FAILED** in round {run.round} (exit {run.exit_code}), last lines of stderr:",
                "",
                "  ```",
                *("  " + line for line in run.stderr_tail.splitlines()),
                "  ```",
            ]
    return "\n".join(lines).rstrip() + "\n"


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def git_revision() -> str:
    """The repository's commit, marked when the work tree differs from it (read-only git commands)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "--no-optional-locks", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown commit"
    return f"commit {head}" + (" + uncommitted changes" if dirty else "")


def machine() -> str:
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory_gb:.0f} GB memory, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, duckdb {package_version('duckdb')}, pandas {package_version('pandas')}, "
        f"pyarrow {package_version('pyarrow')}, cskpi {package_version('cskpi')} ({git_revision()})"
    )


def report(results: list[SizeResult], started: dt.datetime, notes: Sequence[str] = ()) -> str:
    runner_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    lines = [
        f"## {started:%Y-%m-%d %H:%M} UTC",
        "",
        machine(),
        "",
        f"Peak MB is each child's ru_maxrss, which cannot go below this runner's own peak ({runner_mb:.0f} MB).",
        "",
        *(line for note in notes for line in (note, "")),
    ]
    for result in results:
        lines += [size_section(result)]
    return "\n".join(lines)


def write_results(section: str) -> None:
    """Add ``section`` after the latest run in RESULTS.md (before the 'Earlier (demo data only)' part)."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    at = text.find("\n" + EARLIER_HEADING)
    if at < 0:
        text = text.rstrip() + "\n\n" + section
    else:
        text = text[:at].rstrip() + "\n\n" + section.rstrip() + "\n\n" + text[at + 1 :]
    RESULTS.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------------- main


def parse_step(spec: str) -> Step:
    """``NAME=COMMAND`` (COMMAND split like a shell would, placeholders allowed) as a Step run in scratch."""
    name, sep, command = spec.partition("=")
    if not sep or not name.strip() or not command.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=COMMAND, got {spec!r}")
    return Step(name.strip(), tuple(shlex.split(command)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", default="100000", help="comma-separated dataset sizes (default: 100000)")
    parser.add_argument("--events-per-account", type=float, default=50, help="mean usage events per account (50)")
    parser.add_argument("--seed", type=int, default=42, help="gen.py seed (42)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; each runs every step once (3)")
    parser.add_argument(
        "--work", type=Path, default=DEFAULT_WORK, help=f"data folder, reused (default: {DEFAULT_WORK})"
    )
    parser.add_argument("--perf", type=Path, default=DEFAULT_PERF, help=f"reference scripts (default: {DEFAULT_PERF})")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds one run may take before it is killed")
    parser.add_argument(
        "--with",
        dest="optional",
        default="",
        help=f"comma-separated optional steps to time as well, or 'all': {', '.join(s.name for s in OPTIONAL_STEPS)}",
    )
    parser.add_argument(
        "--step",
        dest="extra",
        type=parse_step,
        action="append",
        default=[],
        metavar="NAME=COMMAND",
        help="also time COMMAND (placeholders: " + ", ".join("{" + p + "}" for p in PLACEHOLDERS) + ")",
    )
    parser.add_argument("--write", action="store_true", help="add the results to bench/RESULTS.md")
    args = parser.parse_args(argv)

    perf, work = args.perf.resolve(), args.work.resolve()
    if not (perf / "bench_one.py").is_file():
        parser.error(f"no bench_one.py in {perf} (give --perf)")
    if work.is_relative_to(perf):
        parser.error("--work must be outside the (read-only) perf folder")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    cskpi = Path(sys.executable).parent / "cskpi"
    if not cskpi.exists():
        parser.error(f"no cskpi entry point next to {sys.executable}: run with the project's virtualenv")
    wanted = {n.strip() for n in args.optional.split(",") if n.strip()}
    known = {s.name: s for s in OPTIONAL_STEPS}
    if "all" in wanted:
        wanted = set(known)
    if unknown := wanted - set(known):
        parser.error(f"unknown optional step(s): {', '.join(sorted(unknown))}")
    steps = STEPS + [s for s in OPTIONAL_STEPS if s.name in wanted] + args.extra
    if len({s.name for s in steps}) != len(steps):
        parser.error("step names must be unique")
    sizes = [int(n.replace("_", "")) for n in args.accounts.split(",")]

    started = dt.datetime.now(dt.UTC)
    print(machine(), flush=True)
    results = []
    for accounts in sizes:
        dataset = prepare(work, perf, accounts, args.events_per_account, args.seed, args.timeout)
        print(f"{accounts:,} accounts: {args.repeat} round(s) of {', '.join(s.name for s in steps)}", flush=True)
        results.append(bench_size(dataset, steps, args.repeat, perf, args.timeout))
    notes = []
    if uses_refs_base(perf) and any(s.name in NEEDS_DUCKDB_BASE for s in steps):
        notes.append(
            f"duckdb_tuned: {perf.parent.name}/{perf.name}/kpi_duckdb.py is missing; its untuned base steps "
            "(setup, movements, survival) come from bench/refs/kpi_duckdb.py, ours, written from kpi_pandas.py."
        )
    section = report(results, started, notes)
    print()
    print(section)
    if args.write:
        write_results(section)
        print(f"added to {RESULTS}")
    failed = sum(not r.ok for result in results for r in result.runs)
    if failed:
        print(f"{failed} run(s) failed: see above", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
