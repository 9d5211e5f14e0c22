"""Offline HTML reports: failures, privacy, offline assets, atomic output, the index and the server."""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from cskpi_analysis import cli
from cskpi_analysis.report import (
    ExportServer,
    ReportError,
    build_reports,
    display_errors,
    export_server,
    find_personal_data,
    landmark_pairs,
    make_offline,
    remote_references,
    report_server,
    warm_landmarks,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FAILING = FIXTURES / "notebooks" / "failing"
DATA = FIXTURES / "data"


def _quiet(_: str) -> None:
    pass


# --- privacy scan (pure functions) ---


@pytest.mark.parametrize(
    "page",
    [
        "<td>jane.doe@example.com</td>",
        '{"text": "jane.doe\\u0040example.com"}',  # JSON-escaped
        "data-data='&quot;jane.doe&#64;example.com&quot;'",  # HTML entities
        "href=mailto%3Ajane.doe%40example.com",  # URL-encoded
        "src='data:text/csv;base64," + base64.b64encode(b"owner\njane.doe@example.com\n").decode() + "'",
    ],
    ids=["plain", "json-escaped", "html-entities", "url-encoded", "base64"],
)
def test_an_email_address_is_found_however_it_is_encoded(page: str) -> None:
    assert find_personal_data(page) == ["e-mail address j…@example.com"]


@pytest.mark.parametrize("phone", ["+44 20 7946 0958", "+1 415-555-0100", "(415) 555-0100"])
def test_a_phone_number_is_found(phone: str) -> None:
    assert [item.split(" …")[0] for item in find_personal_data(f"<p>call {phone}</p>")] == ["phone number"]


def test_dates_amounts_versions_and_asset_names_are_not_personal_data() -> None:
    page = (
        '{"as_of": "2026-09-30", "mrr": 1200.50, "rate": 1e+10, "marimo": "0.25.2", "sha": "frontend@0.25.2",'
        ' "icon": "logo@2x.png", "range": "2026-01-01 to 2026-03-31", "ids": [12345678, 20260930]}'
    )
    assert find_personal_data(page) == []


# --- offline rewrite and stderr parsing (pure functions) ---


def test_frontend_urls_are_rewritten_to_the_local_assets_folder() -> None:
    cdn = "https://cdn.jsdelivr.net/npm/@marimo-team/frontend@0.25.2/dist"
    page = f'<script type="module" src="{cdn}/assets/index-abc.js"></script><link rel="icon" href="{cdn}/favicon.ico">'
    offline = make_offline(page)
    assert (
        offline
        == '<script type="module" src="assets/index-abc.js"></script><link rel="icon" href="assets/favicon.ico">'
    )
    assert remote_references(offline) == []
    assert remote_references(page) != []


def test_a_traceback_marimo_only_logged_is_reported_by_its_exception_line() -> None:
    stderr = (
        "Traceback (most recent call last):\n"
        '  File "api.py", line 1, in to_dict\n'
        "altair.utils.data.MaxRowsError: The number of rows in your dataset (6000) is greater than 5000.\n"
        "[W 261125 22:13:53 altair_formatters:52] Failed to get mimebundle from chart: Object of type complex is not JSON serializable\n"
    )
    assert display_errors(stderr) == [
        "altair.utils.data.MaxRowsError: The number of rows in your dataset (6000) is greater than 5000.",
        "a chart failed to display: Object of type complex is not JSON serializable",
    ]


# --- the exported fixture report ---


def test_the_report_needs_no_network(fixture_reports) -> None:
    out, reports = fixture_reports
    page = (out / reports[0].file_name).read_text()
    assert "cdn.jsdelivr.net" not in page
    assert remote_references(page) == []
    referenced = set(re.findall(r'(?:src|href)="assets/([^"]+)"', page))
    assert referenced, "the report references no local assets"
    assert all((out / "assets" / name).is_file() for name in referenced)


def test_the_report_hides_code_and_is_titled_by_its_heading(fixture_reports) -> None:
    out, reports = fixture_reports
    page = (out / reports[0].file_name).read_text()
    assert "<title>Fixture: monthly MRR</title>" in page
    assert "read_csv" not in page  # --no-include-code


def test_the_index_lists_each_report_with_its_question(fixture_reports) -> None:
    out, reports = fixture_reports
    assert [(r.title, r.question, r.charts) for r in reports] == [
        ("Fixture: monthly MRR", "How does MRR move from month to month in the fixture folder?", 1)
    ]
    index = (out / "index.html").read_text()
    assert '<a href="01_chart.html">Fixture: monthly MRR</a>' in index
    assert "How does MRR move from month to month in the fixture folder?" in index


def test_the_notebook_reads_the_data_folder_given_on_the_command_line(fixture_reports) -> None:
    out, reports = fixture_reports
    assert "1350.25" in (out / reports[0].file_name).read_text()  # a value of tests/fixtures/data/mrr.csv


# --- failures ---


@pytest.mark.slow
@pytest.mark.parametrize(
    ("notebook", "expected"),
    [
        ("cell_error.py", r"cell_error\.py: cell 2: planted failure: churn rate above 100%"),
        (
            "too_many_rows.py",
            r"too_many_rows\.py: altair\.utils\.data\.MaxRowsError: The number of rows in your dataset \(25000\)",
        ),
        ("email.py", r"email\.py: the report would contain an e-mail address j…@example\.com"),
    ],
)
@pytest.mark.parametrize("forked", [False, True], ids=["own-process", "forked"])
def test_a_failing_notebook_fails_the_export_and_leaves_nothing_behind(
    notebook: str, expected: str, forked: bool, tmp_path: Path
) -> None:
    """Forked exports too: the display error of too_many_rows is only on the export's stderr."""
    out = tmp_path / "reports"
    with pytest.raises(ReportError, match=expected) as failure, export_server() as server:
        build_reports(DATA, out, [FAILING / notebook], progress=_quiet, server=server if forked else None)
    assert "jane.doe" not in str(failure.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_a_failed_rebuild_keeps_the_previous_reports(fixture_reports, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    build_reports(DATA, out, [FIXTURES / "notebooks" / "01_chart.py"], progress=_quiet)
    before = (out / "index.html").read_text()
    with pytest.raises(ReportError):
        build_reports(DATA, out, [FIXTURES / "notebooks" / "01_chart.py", FAILING / "cell_error.py"], progress=_quiet)
    assert (out / "index.html").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]


def test_a_folder_not_written_by_cskpi_report_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ReportError, match="was not written by 'cskpi report'"):
        build_reports(DATA, tmp_path, [FIXTURES / "notebooks" / "01_chart.py"], progress=_quiet)
    assert (tmp_path / "notes.txt").read_text() == "mine"


@pytest.mark.skipif(
    importlib.util.find_spec("cskpi_analysis.validate") is None, reason="cskpi_analysis.validate not written yet"
)
def test_the_report_command_validates_the_data_folder_before_exporting(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli.main(["report", str(empty), "--out", str(tmp_path / "reports")]) != 0
    assert "error" in capsys.readouterr().err
    assert not (tmp_path / "reports").exists()


# --- exports forked from one server (cskpi report) ---

PROBE = """
import marimo

app = marimo.App()


@app.cell
def _():
    import os
    import sys
    import time
    from pathlib import Path

    import marimo as mo

    import subprocess

    print("probe stderr marker", file=sys.stderr)
    if os.environ.get("PROBE_SLEEP"):  # something the notebook started, which must end with the export
        sleeper = subprocess.Popen(["sleep", os.environ["PROBE_SLEEP"]])
        Path(os.environ["PROBE_PID_FILE"]).write_text(str(sleeper.pid))
        time.sleep(float(os.environ["PROBE_SLEEP"]))
    slider = mo.ui.slider(1, 10)
    mo.vstack([mo.md(f"probe env={os.environ['PROBE_VALUE']} cwd={os.getcwd()} args={dict(mo.cli_args())}"), slider])
    return


if __name__ == "__main__":
    app.run()
"""


@pytest.fixture(scope="module")
def forkserver():
    """A server that preloads marimo's command line only (the suite's libraries are the children's to import)."""
    server = ExportServer(preload=("marimo._cli.cli",))
    yield server
    server.close()


def _probe(folder: Path, name: str = "probe.py") -> Path:
    notebook = folder / name
    notebook.write_text(PROBE)
    return notebook


def _export_probe(server, notebook: Path, out: Path, timeout: float = 120, **env: str):
    arguments = ["export", "html", "--no-include-code", "--force", str(notebook), "-o", str(out), "--", "--data", "d"]
    environment = {**os.environ, "PROBE_VALUE": "v", "PROBE_PID_FILE": str(out) + ".pid", **env}
    return server.run(arguments, environment, timeout)


def _running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie nobody reaped has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in {"Z", "X"}


@pytest.mark.skipif(sys.platform != "linux", reason="exports are forked on Linux only")
def test_a_forked_export_gets_the_reports_environment_directory_and_arguments(
    forkserver, tmp_path: Path, monkeypatch
) -> None:
    """The child runs with the job's environment and working directory, not the server's; stderr is captured."""
    monkeypatch.chdir(tmp_path)
    notebook = _probe(tmp_path)
    result = _export_probe(forkserver, notebook, tmp_path / "probe.html", PROBE_VALUE="from-the-report")
    assert result is not None and result.returncode == 0, result and result.stderr
    page = (tmp_path / "probe.html").read_text()
    assert "probe env=from-the-report" in page
    assert f"cwd={tmp_path}" in page
    assert "&#x27;data&#x27;: &#x27;d&#x27;" in page or "'data': 'd'" in page
    assert "probe stderr marker" in result.stderr


KERNEL_PROBE = """
import marimo

app = marimo.App()


@app.cell
def _():
    import sys

    import marimo as mo

    mo.md(f"preloaded in the kernel: {'json.tool' in sys.modules}")
    return


if __name__ == "__main__":
    app.run()
"""


@pytest.mark.skipif(sys.platform != "linux", reason="exports are forked on Linux only")
def test_the_notebooks_kernel_is_forked_with_the_servers_modules(tmp_path: Path) -> None:
    """marimo spawns its kernel; the child makes it fork (_fork_kernels), so what the server imported is loaded.

    json.tool is imported by nothing but this server's preload: a spawned kernel would not have it.
    """
    notebook = tmp_path / "kernel.py"
    notebook.write_text(KERNEL_PROBE)
    server = ExportServer(preload=("marimo._cli.cli", "json.tool"))
    try:
        arguments = ["export", "html", "--no-include-code", "--force", str(notebook), "-o", str(tmp_path / "k.html")]
        result = server.run(arguments, dict(os.environ), 120)
    finally:
        server.close()
    assert result is not None and result.returncode == 0, result and result.stderr
    assert "preloaded in the kernel: True" in (tmp_path / "k.html").read_text()


@pytest.mark.skipif(sys.platform != "linux", reason="exports are forked on Linux only")
def test_forked_exports_draw_their_own_element_ids(forkserver, tmp_path: Path) -> None:
    """Each fork reseeds marimo's element-id generator; without it every page had the server's same ids."""
    notebook = _probe(tmp_path)
    ids = []
    for name in ("a.html", "b.html"):
        result = _export_probe(forkserver, notebook, tmp_path / name)
        assert result is not None and result.returncode == 0, result and result.stderr
        ids.append(re.findall(r"random-id=.([0-9a-f-]{36})", (tmp_path / name).read_text()))
    assert ids[0] and ids[1] and set(ids[0]).isdisjoint(ids[1])


@pytest.mark.skipif(sys.platform != "linux", reason="exports are forked on Linux only")
def test_a_forked_export_that_runs_too_long_is_ended_with_what_it_started(forkserver, tmp_path: Path) -> None:
    notebook = _probe(tmp_path)
    out = tmp_path / "slow.html"
    started = time.monotonic()
    result = _export_probe(forkserver, notebook, out, timeout=15, PROBE_SLEEP="600")
    assert result is None
    assert time.monotonic() - started < 60
    started = int(Path(str(out) + ".pid").read_text())  # a process the notebook started, then slept
    deadline = time.monotonic() + 10
    while _running(started) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(started)
    assert not out.exists()


@pytest.mark.skipif(sys.platform != "linux", reason="exports are forked on Linux only")
def test_an_export_runs_as_its_own_process_when_the_server_is_gone(tmp_path: Path, monkeypatch) -> None:
    from cskpi_analysis.report._export import export_html

    monkeypatch.setenv("PROBE_VALUE", "fallback")
    monkeypatch.setenv("PROBE_PID_FILE", str(tmp_path / "pid"))
    server = ExportServer(preload=())
    server.close()
    result = export_html(_probe(tmp_path), DATA, tmp_path / "probe.html", timeout=120, server=server)
    assert result.returncode == 0, result.stderr
    assert "probe env=fallback" in (tmp_path / "probe.html").read_text()


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="exports are forked on Linux only")
def test_a_forked_report_is_the_report_of_exports_run_as_their_own_processes(tmp_path: Path) -> None:
    """Same pages, but for marimo's random element ids and vl-convert's gradient counter (per process)."""
    notebooks = [FIXTURES / "notebooks" / "01_chart.py"]
    build_reports(DATA, tmp_path / "own", notebooks, progress=_quiet)
    with export_server() as server:
        build_reports(DATA, tmp_path / "forked", notebooks, progress=_quiet, server=server)

    def normalised(path: Path) -> str:
        text = re.sub(r"random-id=(.)[0-9a-f-]{36}", r"random-id=\1ID", path.read_text())
        return re.sub(r"gradient_\d+", "gradient_N", text)

    pages = sorted(p.relative_to(tmp_path / "own") for p in (tmp_path / "own").rglob("*.html"))
    assert len(pages) >= 4  # the page, its single file, and both indexes
    for page in pages:
        assert normalised(tmp_path / "forked" / page) == normalised(tmp_path / "own" / page), page


# --- cskpi build --warm: notebook 03 run for every landmark and horizon ---


def test_every_landmark_and_horizon_notebook_03_offers_is_warmed_the_default_first() -> None:
    from cskpi_analysis.survival import HORIZON_CHOICES, LANDMARK_CHOICES

    pairs = landmark_pairs()
    assert pairs[0] == (30, 365)
    assert sorted(pairs) == sorted((a, b) for a in LANDMARK_CHOICES.values() for b in HORIZON_CHOICES.values())
    assert len(pairs) == 9


FAILS_AT_DAY_60 = """
import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo

    from cskpi_analysis.notebook import landmark_and_horizon

    _landmark, _horizon = landmark_and_horizon()
    if _landmark == "day 60" and _horizon == "6 months":
        raise ValueError("planted failure at day 60")
    mo.md(f"{_landmark}, {_horizon}")
    return


if __name__ == "__main__":
    app.run()
"""


@pytest.mark.slow
def test_a_failed_warm_run_names_its_landmark_and_horizon(tmp_path: Path) -> None:
    from cskpi_analysis.report._warm import WARM_NOTEBOOK

    (tmp_path / WARM_NOTEBOOK).write_text(FAILS_AT_DAY_60)
    with pytest.raises(ReportError, match=r"landmark 60 days, horizon 183 days.*planted failure at day 60"):
        warm_landmarks(DATA, tmp_path / "unused.duckdb", notebooks=tmp_path, progress=_quiet)


@pytest.mark.slow
def test_after_build_warm_every_landmark_and_horizon_reads_kept_models(tmp_path: Path, monkeypatch, capsys) -> None:
    """What the notebook does on a control change, with building and fitting forbidden: all of it is read back."""
    from lifelines import CoxPHFitter

    from cskpi_analysis import survival
    from cskpi_analysis.demo import write_demo
    from cskpi_analysis.warehouse import open_warehouse

    data = tmp_path / "data"
    write_demo(data, 400, 7)
    database = tmp_path / "warehouse.duckdb"
    assert cli.main(["build", str(data), "--db", str(database), "--warm"]) == 0
    assert "notebook 03's models kept for 9 pairs" in capsys.readouterr().out

    monkeypatch.setenv("CSKPI_NO_BUILD", "1")  # a missing variant warehouse would be an error
    monkeypatch.setattr(CoxPHFitter, "fit", lambda *a, **k: pytest.fail("a Cox model was fitted again"))
    with open_warehouse(data, database=database) as wh:
        fitted = 0
        for landmark, horizon in landmark_pairs():
            variant = wh.with_parameters(landmark_days=landmark, horizon_days=horizon)
            frame = survival.survival_frame(variant, landmark, horizon)
            covariates, _ = survival.available_covariates(frame)
            if covariates:
                cox, _ = survival.cox_with_ph_refits(frame, covariates, keep=variant)
                fitted += cox.fitter is None  # read back from where the warm run kept it
    assert fitted >= 6  # most pairs have churn to model on 400 accounts


# --- serving ---


def test_the_server_listens_on_loopback_and_serves_modules_with_a_javascript_type(tmp_path: Path) -> None:
    (tmp_path / "app.mjs").write_text("export {}")
    (tmp_path / "data.json").write_text(json.dumps({"a": 1}))
    server = report_server(tmp_path, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        with urllib.request.urlopen(f"http://{host}:{port}/app.mjs") as response:
            assert response.headers["Content-Type"].startswith("text/javascript")
        with urllib.request.urlopen(f"http://{host}:{port}/data.json") as response:
            assert response.headers["Content-Type"].startswith("application/json")
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow  # demo_reports exports every real notebook on data/demo: about a minute alone, 4 loaded
def test_demo_reports_never_contain_the_demo_accounts_email_addresses(demo_reports) -> None:
    """Issue 4: the exported HTML (and everything it embeds, decoded) holds no contact e-mail of the demo data."""
    import csv

    from cskpi_analysis.report import decoded_views
    from tests.conftest import DEMO_DATA

    with (DEMO_DATA / "accounts.csv").open(encoding="utf-8") as handle:
        emails = {row["email"].lower() for row in csv.DictReader(handle) if row.get("email")}
    assert len(emails) > 100  # the demo data has contact e-mails to leak
    out, reports = demo_reports
    for report in reports.values():
        page = (out / report.file_name).read_text(encoding="utf-8")
        for view in decoded_views(page):
            lowered = view.lower()
            leaked = [email for email in emails if email in lowered]
            assert not leaked, f"{report.file_name} contains {len(leaked)} demo e-mail address(es)"
