"""Speed benchmarks: demo generation, validation and the KPI build, side by side in one run.

Machines are noisy, so the figures that matter are ratios measured in the same run:
CSV vs Parquet input for validation and build, and DuckDB validation vs a plain pandas
load of the same files. Absolute seconds are printed for orientation only.

    .venv/bin/python bench/run.py                       # 10k and 50k accounts (a few minutes)
    .venv/bin/python bench/run.py --accounts 1000000 --formats parquet   # the 1M-account run

Results are appended to bench/RESULTS.md with the date, machine and versions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from cskpi_analysis.demo import write_demo
from cskpi_analysis.kpis import build_marts
from cskpi_analysis.validate import require_valid

RESULTS = Path(__file__).with_name("RESULTS.md")


def timed(action: Callable[[], object], repeat: int = 1) -> float:
    """Best wall-clock seconds of ``repeat`` runs (the minimum is the least noisy estimate)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def folder_size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.iterdir()) / 1e6


def markdown_table(table: pd.DataFrame) -> str:
    """A frame as a GitHub Markdown table (no extra dependency)."""
    cells = table.astype(object).where(table.notna(), "")
    cells = cells.map(lambda v: int(v) if isinstance(v, float) and v.is_integer() and v > 1000 else v)
    lines = ["| " + " | ".join(map(str, table.columns)) + " |", "|" + " --- |" * len(table.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in cells.itertuples(index=False)]
    return "\n".join(lines)


PEAK_MEMORY_SCRIPT = """
import sys
from pathlib import Path
folder = Path(sys.argv[2])
if sys.argv[1] == "validate":
    from cskpi_analysis.validate import require_valid
    require_valid(folder)
elif sys.argv[1] == "build":
    from cskpi_analysis.kpis import connect
    connect(folder)[0].close()
else:
    import pandas as pd
    frames = [pd.read_csv(p) if p.suffix == ".csv" else pd.read_parquet(p) for p in folder.iterdir()
              if p.suffix in (".csv", ".parquet")]
# VmHWM is this address space's peak (ru_maxrss would carry over the parent's peak across exec)
print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")))
"""


def peak_memory_mb(action: str, folder: Path) -> float:
    """Peak resident memory (MB) of a fresh Python process doing ``action`` on ``folder``."""
    out = subprocess.run(
        [sys.executable, "-c", PEAK_MEMORY_SCRIPT, action, str(folder)], check=True, capture_output=True, text=True
    ).stdout
    return round(int(out.strip().splitlines()[-1]) / 1024, 0)  # VmHWM is in kB


def pandas_load(folder: Path) -> None:
    for path in folder.iterdir():
        if path.suffix == ".csv":
            pd.read_csv(path)
        elif path.suffix == ".parquet":
            pd.read_parquet(path)


def bench(accounts: int, formats: list[str], repeat: int, workdir: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for fmt in formats:
        folder = workdir / f"demo_{accounts}_{fmt}"
        generate = timed(lambda folder=folder, fmt=fmt: write_demo(folder, accounts, 7, fmt=fmt))
        events = sum(1 for _ in open(folder / "usage_events.csv")) - 1 if fmt == "csv" else None
        config, _ = require_valid(folder)
        validate = timed(lambda folder=folder: require_valid(folder), repeat)
        build = timed(lambda folder=folder, config=config: build_marts(folder, config).close(), repeat)
        row = {
            "accounts": accounts,
            "format": fmt,
            "size_mb": round(folder_size_mb(folder), 1),
            "generate_s": round(generate, 2),
            "validate_s": round(validate, 2),
            "build_s": round(build, 2),
        }
        row["validate_peak_mb"] = peak_memory_mb("validate", folder)
        row["build_peak_mb"] = peak_memory_mb("build", folder)
        if accounts <= 50_000:
            row["pandas_load_s"] = round(timed(lambda folder=folder: pandas_load(folder)), 2)
            row["pandas_load_peak_mb"] = peak_memory_mb("pandas", folder)
        if events is not None:
            row["usage_events"] = events
        rows.append(row)
        print(row, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", default="10000,50000", help="comma-separated dataset sizes")
    parser.add_argument("--formats", default="csv,parquet", help="comma-separated input formats")
    parser.add_argument("--repeat", type=int, default=2, help="runs per measurement (best is kept)")
    parser.add_argument("--no-write", action="store_true", help="print only; do not append to bench/RESULTS.md")
    args = parser.parse_args()
    sizes = [int(n) for n in args.accounts.split(",")]
    formats = args.formats.split(",")
    workdir = Path(tempfile.mkdtemp(prefix="cskpi-bench-"))
    try:
        rows = [row for n in sizes for row in bench(n, formats, args.repeat, workdir)]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    table = pd.DataFrame(rows)
    lines = [
        f"## {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, duckdb {version('duckdb')}",
        "",
        markdown_table(table),
        "",
    ]
    by = {(r["accounts"], r["format"]): r for r in rows}
    for n in sizes:
        csv, parquet = by.get((n, "csv")), by.get((n, "parquet"))
        if csv and parquet:
            lines.append(
                f"- {n:,} accounts: build from Parquet is {csv['build_s'] / parquet['build_s']:.1f}x faster than from "
                f"CSV; validation {csv['validate_s'] / parquet['validate_s']:.1f}x."
            )
        for row in (csv, parquet):
            if row and "pandas_load_s" in row:
                lines.append(
                    f"- {n:,} accounts, {row['format']}: DuckDB validation takes {row['validate_s'] / row['pandas_load_s']:.2f}x "
                    f"the time of merely loading the files into pandas (which checks nothing), and "
                    f"{row['validate_peak_mb'] / row['pandas_load_peak_mb']:.2f}x its peak memory."
                )
    report = "\n".join(lines) + "\n"
    print(report)
    if not args.no_write:
        with RESULTS.open("a", encoding="utf-8") as handle:
            handle.write(report + "\n")


if __name__ == "__main__":
    main()
