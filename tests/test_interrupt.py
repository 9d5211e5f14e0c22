"""An interrupted report leaves nothing behind: no temporary folder, no running export.

``cskpi report`` exports notebooks in child processes (``marimo export``), forked from an export
server or each its own process. SIGTERM (what a scheduler or ``kill`` sends) unwinds the command
like Ctrl-C (cli._terminate): the children and the server are ended as process groups and the
half-built report folder is removed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cskpi_analysis.report import default_notebooks, find_notebooks

SLEEPING_NOTEBOOK = textwrap.dedent(
    """
    import marimo

    app = marimo.App()


    @app.cell
    def _():
        import os
        import time
        from pathlib import Path

        Path(os.environ["SLEEP_MARKER"]).touch()
        time.sleep(120)
        return


    if __name__ == "__main__":
        app.run()
    """
)

DRIVER = textwrap.dedent(
    """
    import signal, sys
    from pathlib import Path
    from cskpi_analysis import cli
    from cskpi_analysis.report import build_reports, export_server

    signal.signal(signal.SIGTERM, cli._terminate)
    try:
        with export_server() as server:
            forked = server if sys.argv[4] == "forked" else None
            build_reports(Path(sys.argv[1]), Path(sys.argv[2]), [Path(sys.argv[3])], jobs=1, server=forked)
    except KeyboardInterrupt:
        sys.exit(130)
    """
)


def _children(pid: int) -> list[int]:
    """Every process whose command line mentions the sleeping notebook or the export server (a fork keeps it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        mentions = b"00_sleep.py" in command or b"cskpi_analysis.report._forkserver" in command
        if mentions and int(entry.name) != pid:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to find child processes")
@pytest.mark.parametrize("how", ["forked", "own-process"])
def test_sigterm_ends_the_exports_and_removes_the_half_built_report(tmp_path, how):
    notebook = tmp_path / "notebooks" / "00_sleep.py"
    notebook.parent.mkdir()
    notebook.write_text(SLEEPING_NOTEBOOK)
    out = tmp_path / "site" / "reports"
    data = tmp_path / "data"
    data.mkdir()
    marker = tmp_path / "sleeping"
    driver = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(data), str(out), str(notebook), how],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env={**os.environ, "SLEEP_MARKER": str(marker)},
    )
    deadline = time.monotonic() + 90
    while not marker.exists() and time.monotonic() < deadline and driver.poll() is None:
        time.sleep(0.2)  # wait for the notebook to run
    assert marker.exists(), f"the export never started: {driver.stderr.read().decode()[-500:]}"
    assert _children(driver.pid)
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".reports.building-")]
    os.kill(driver.pid, signal.SIGTERM)
    assert driver.wait(timeout=30) == 130
    deadline = time.monotonic() + 15  # killed processes take a moment to go (a loaded machine tears down slowly)
    while _children(driver.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _children(driver.pid) == []  # no orphaned marimo export
    assert list(out.parent.iterdir()) == []  # neither the half-built folder nor a report


def test_the_suites_notebooks_are_found_from_any_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = default_notebooks()
    # the executive summary first, then the detail reports in number order
    assert [p.name for p in find_notebooks(folder)][:3] == ["00_summary.py", "00_data_quality.py", "01_kpi_overview.py"]
    assert folder.is_absolute()
