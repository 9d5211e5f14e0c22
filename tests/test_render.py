"""The exported reports render in a real browser with every host but 127.0.0.1 blocked."""

from __future__ import annotations

from pathlib import Path

import pytest

from cskpi_analysis.report import find_notebooks, render_dom, rendered_charts, rendered_heading

REAL_NOTEBOOKS = find_notebooks(Path(__file__).resolve().parents[1] / "notebooks")

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_fixture_report_renders_offline_with_its_chart(fixture_reports, serve, chromium, tmp_path: Path) -> None:
    out, reports = fixture_reports
    report = reports[0]
    assert report.charts == 1
    dom = render_dom(serve(out) + report.file_name, chromium, tmp_path / "profile")
    assert rendered_heading(dom, report.title), "blank page: the notebook's heading was not rendered"
    assert rendered_charts(dom) >= report.charts, "a chart did not render"


def test_index_page_renders_a_link_to_each_report(fixture_reports, serve, chromium, tmp_path: Path) -> None:
    out, reports = fixture_reports
    dom = render_dom(serve(out) + "index.html", chromium, tmp_path / "profile", budget_ms=2000)
    for report in reports:
        assert f'href="{report.file_name}"' in dom


@pytest.mark.parametrize(
    "notebook",
    REAL_NOTEBOOKS or [pytest.param(None, marks=pytest.mark.skip(reason="no notebooks/NN_topic.py yet"))],
    ids=lambda notebook: notebook.stem if notebook else "none",
)
def test_real_notebook_renders_offline_with_every_chart(
    notebook, demo_reports, serve, chromium, tmp_path: Path
) -> None:
    out, reports = demo_reports
    report = reports[notebook.stem]
    dom = render_dom(serve(out) + report.file_name, chromium, tmp_path / "profile")
    assert rendered_heading(dom, report.title), f"{report.file_name} renders blank (no heading {report.title!r})"
    assert rendered_charts(dom) >= report.charts, (
        f"{report.file_name}: {rendered_charts(dom)} chart(s) drawn, {report.charts} in the notebook"
    )
