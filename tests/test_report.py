"""Offline HTML reports: failures, privacy, offline assets, atomic output, the index and the server."""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import threading
import urllib.request
from pathlib import Path

import pytest

from cskpi_analysis import cli
from cskpi_analysis.report import (
    ReportError,
    build_reports,
    display_errors,
    find_personal_data,
    make_offline,
    remote_references,
    report_server,
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
def test_a_failing_notebook_fails_the_export_and_leaves_nothing_behind(
    notebook: str, expected: str, tmp_path: Path
) -> None:
    out = tmp_path / "reports"
    with pytest.raises(ReportError, match=expected) as failure:
        build_reports(DATA, out, [FAILING / notebook], progress=_quiet)
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
