"""Shared fixtures: paths, a loopback HTTP server, headless Chromium, reports exported once per session."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cskpi_analysis.report import Report, build_reports, export_server, find_chromium, find_notebooks, report_server

# helpers shared by the test modules (write_folder, build, benchmark_marts): tests/helpers.py; registered
# so that an assert in a helper reports its values as a test's own assert does
pytest.register_assert_rewrite("tests.helpers")

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / "tests" / "fixtures"
FIXTURE_NOTEBOOKS = FIXTURES / "notebooks"
FIXTURE_DATA = FIXTURES / "data"
DEMO_DATA = REPO_ROOT / "data" / "demo"
REAL_NOTEBOOKS = find_notebooks(REPO_ROOT / "notebooks")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of headless Chromium; skips without one, unless CSKPI_REQUIRE_BROWSER=1 (CI) makes that a failure."""
    browser = find_chromium()
    if browser is None:
        if os.environ.get("CSKPI_REQUIRE_BROWSER") == "1":
            pytest.fail("CSKPI_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install chromium)")
        pytest.skip("no chromium on PATH; set CSKPI_REQUIRE_BROWSER=1 to make this a failure")
    return browser


@pytest.fixture(scope="session")
def spark_session() -> Iterator[object]:
    """A local SparkSession shared by the Spark tests; skips without PySpark and Java, unless
    CSKPI_REQUIRE_SPARK=1 (CI) makes that a failure."""
    import shutil

    missing = []
    try:
        import pyspark  # noqa: F401
    except ImportError:
        missing.append("PySpark (pip install 'cskpi[spark]')")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        missing.append("Java 17 (apt-get install openjdk-17-jre-headless)")
    if missing:
        if os.environ.get("CSKPI_REQUIRE_SPARK") == "1":
            pytest.fail(f"CSKPI_REQUIRE_SPARK=1 but {' and '.join(missing)} missing")
        pytest.skip(f"{' and '.join(missing)} missing; set CSKPI_REQUIRE_SPARK=1 to make this a failure")
    from cskpi_analysis.spark import session

    spark = session("local[2]", app_name="cskpi-tests")
    yield spark
    spark.stop()


@pytest.fixture(scope="session")
def serve() -> Iterator[Callable[[Path], str]]:
    """Serve folders on 127.0.0.1 (a free port each); returns the base URL. All servers stop at session end."""
    servers = []

    def start(folder: Path) -> str:
        server = report_server(folder, port=0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        host, port = server.server_address[:2]
        return f"http://{host}:{port}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _quiet(_: str) -> None:
    pass


@pytest.fixture(scope="session")
def fixture_reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Report]]:
    """The fixture notebooks (tests/fixtures/notebooks/NN_*.py) exported once per session."""
    out = tmp_path_factory.mktemp("fixture-reports") / "reports"
    reports = build_reports(FIXTURE_DATA, out, find_notebooks(FIXTURE_NOTEBOOKS), progress=_quiet)
    return out, reports


@pytest.fixture(scope="session")
def demo_reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Report]]:
    """The real notebooks exported once per session with the demo data (skips without data/demo)."""
    if not DEMO_DATA.is_dir():
        pytest.skip(f"{DEMO_DATA.relative_to(REPO_ROOT)} is missing; 'make test' writes it first ('make demo')")
    out = tmp_path_factory.mktemp("demo-reports") / "reports"
    with export_server() as server:  # as cskpi report exports them
        reports = build_reports(DEMO_DATA, out, REAL_NOTEBOOKS, progress=_quiet, server=server)
    return out, {report.notebook.stem: report for report in reports}


@pytest.fixture(scope="session", autouse=True)
def _warehouse_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Warehouses built by the tests go to a temporary cache, never the user's ~/.cache/cskpi."""
    previous = os.environ.get("CSKPI_CACHE_DIR")
    os.environ["CSKPI_CACHE_DIR"] = str(tmp_path_factory.mktemp("cskpi-cache"))
    yield
    if previous is None:
        os.environ.pop("CSKPI_CACHE_DIR", None)
    else:
        os.environ["CSKPI_CACHE_DIR"] = previous


#: Session fixtures that take minutes (demo_reports exports every real notebook on data/demo): a test using
#: one must be marked slow, so that `pytest -m "not slow"` never waits for them (CI runs every test anyway).
SLOW_FIXTURES = frozenset({"demo_reports"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    unmarked = [
        item.nodeid
        for item in items
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) and item.get_closest_marker("slow") is None
    ]
    if unmarked:
        raise pytest.UsageError(
            f"mark these @pytest.mark.slow: they use {', '.join(sorted(SLOW_FIXTURES))}: {', '.join(unmarked)}"
        )
