"""Time a Spark build of a folder beside the DuckDB build of the same folder, in the same run.

    python bench/spark_build.py data/demo --repeat 2

Each round runs, in a rotating order and each in a fresh process from an empty working directory,
``cskpi build DIR --db TMP --force`` (DuckDB) and ``cskpi build DIR --engine spark --out TMP``
(local[*]: JVM start, validation, every model, the checks and the Parquet marts). Prints a
Markdown table of wall seconds (best, median) and the ratio Spark / DuckDB within each round.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _run(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    data = args.data_dir.resolve()
    cskpi = str(Path(sys.executable).with_name("cskpi"))
    walls: dict[str, list[float]] = {"duckdb": [], "spark": []}
    ratios = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="cskpi-spark-bench-") as tmp:
        work = Path(tmp)
        for round_ in range(args.repeat):
            order = ["duckdb", "spark"] if round_ % 2 == 0 else ["spark", "duckdb"]
            seconds = {}
            for engine in order:
                out = work / f"{engine}-{round_}"
                if engine == "duckdb":
                    command = [cskpi, "build", str(data), "--db", str(out / "wh.duckdb"), "--force"]
                else:
                    command = [cskpi, "build", str(data), "--engine", "spark", "--out", str(out)]
                seconds[engine] = _run(command, work)
                walls[engine].append(seconds[engine])
                shutil.rmtree(out, ignore_errors=True)
            ratios.append(seconds["spark"] / seconds["duckdb"])
    import pyspark

    print(
        f"{os.cpu_count()} cores, Python {platform.python_version()}, pyspark {pyspark.__version__}, "
        f"{args.repeat} round(s) interleaved; 1-min load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
    )
    print()
    print("| engine | best s | median s |")
    print("| --- | --- | --- |")
    for engine, values in walls.items():
        print(f"| {engine} | {min(values):.1f} | {statistics.median(values):.1f} |")
    print()
    print(f"Spark / DuckDB, median of per-round ratios: {statistics.median(ratios):.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
