"""Single-file reports (cskpi_analysis/report/_single_file.py): leader formatting, marimo's elements made static,
and every demo report opened alone from disk, network off, in headless Chromium."""

from __future__ import annotations

import base64
import html
import json
import math
import re
import shutil
from pathlib import Path
from urllib.parse import unquote

import altair as alt
import marimo as mo
import pandas as pd
import pytest

from cskpi_analysis import cli
from cskpi_analysis.report import (
    NAV_PLACEHOLDER,
    SINGLE_FILE_DIR,
    ReportError,
    build_reports,
    check_single_file,
    control_text,
    format_table,
    header_label,
    print_pdf,
    remote_references,
    render_dom,
    rendered_heading,
    session_snapshot,
    static_html,
)
from tests.conftest import FIXTURE_DATA, FIXTURE_NOTEBOOKS, REAL_NOTEBOOKS


@pytest.fixture(autouse=True)
def _marimo_draws_the_charts():
    """Charts formatted as a marimo export formats them: altair's default renderer (a Vega-Lite spec).

    Outside marimo, ``charts.enable_theme()`` (called by other tests in the same process) switches
    altair to static SVG, which would make ``mo.hstack([chart]).text`` an image instead of a spec.
    """
    previous = alt.renderers.active
    alt.renderers.enable("default")
    yield
    alt.renderers.enable(previous)


# --- headers ---


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("mrr_share", "MRR share"),
        ("nrr_t12m", "NRR (T12M)"),
        ("logo_churn_rate", "Logo churn rate"),
        ("account_id", "Account ID"),
        ("mean_csat_90d", "Mean CSAT (90D)"),
        ("days_to_first_value", "Days to first value"),
        ("cs_check_ins", "CS check ins"),
        ("p_value", "p-value"),
        ("p_holm", "p (Holm)"),
        ("lower_95", "Lower 95%"),
        ("Our value", "Our value"),  # already words: kept
        ("snapshot at month start (pp)", "Snapshot at month start (pp)"),
    ],
)
def test_a_column_name_reads_as_plain_words(name: str, expected: str) -> None:
    assert header_label(name) == expected


# --- values (each expected string is worked out by hand beside it) ---


def _one_column(name: str, values: list, field_type: str | None = None) -> list[str]:
    table = format_table([name], [{name: v} for v in values], {name: field_type} if field_type else None)
    return [row[0] for row in table.cells]


def test_rates_and_shares_are_percentages_with_one_decimal() -> None:
    # 0.9706 -> 97.06% -> 97.1%; 0.0081 -> 0.81% -> 0.8%; 1.0004 (NRR above 100%) -> 100.04% -> 100.0%
    assert _one_column("nrr_t12m", [0.9706, 0.0081, 1.0004]) == ["97.1%", "0.8%", "100.0%"]
    assert _one_column("mrr_share", [0.024]) == ["2.4%"]
    assert _one_column("churn_risk", [0.367]) == ["36.7%"]


def test_a_rate_worded_column_outside_minus_ten_to_ten_is_not_a_percentage() -> None:
    # mrr_at_risk holds dollars (5532.558), although its name says "risk": money, no cents
    assert _one_column("mrr_at_risk", [5532.558, 78082.0]) == ["$5,533", "$78,082"]
    # a count of accounts at risk (integer-typed) is never a percentage, even when small
    assert _one_column("at_risk_at_horizon", [3, 7], "integer") == ["3", "7"]


def test_money_has_a_dollar_sign_thousands_separators_and_no_cents() -> None:
    assert _one_column("previous_mrr", [17348.0, 0.0, -17348.0, 1234.5]) == ["$17,348", "$0", "-$17,348", "$1,234"]


def test_counts_get_thousands_separators_and_years_do_not() -> None:
    assert _one_column("accounts", [2000, 13112], "integer") == ["2,000", "13,112"]
    assert _one_column("accounts_at_start", [1970.0, 195.0]) == ["1,970", "195"]  # whole floats: counts
    assert _one_column("year", [2017, 2023], "integer") == ["2017", "2023"]


def test_other_numbers_get_decimals_from_the_largest_value_of_their_column() -> None:
    assert _one_column("lift", [2.618, 3.104]) == ["2.62", "3.10"]  # largest 3.1: >= 1 -> 2 decimals
    assert _one_column("health_score", [24.7, 71.2025]) == ["24.7", "71.2"]  # largest 71: >= 10 -> 1
    assert _one_column("auc", [0.73, 0.7142]) == ["0.730", "0.714"]  # largest < 1 -> 3
    assert _one_column("test_statistic", [116.2, 0.53]) == ["116", "1"]  # largest >= 100 -> 0


def test_p_values_below_one_in_a_thousand_read_as_less_than() -> None:
    # 0.0 and 0.0004 are under 0.001; 0.4671 -> 3 decimals
    assert _one_column("p_value", [0.0, 0.0004, 0.4671, 0.001]) == ["< 0.001", "< 0.001", "0.467", "0.001"]
    assert _one_column("p", [0.05]) == ["0.050"]
    assert _one_column("p_holm", [0.0]) == ["< 0.001"]
    assert _one_column("logrank_p", [0.2]) == ["0.200"]


def test_month_starts_read_as_months_and_other_dates_as_days() -> None:
    # marimo serialises a datetime64 column as "2026-07-01 00:00:00"
    assert _one_column("month", ["2026-07-01 00:00:00", "2026-08-01 00:00:00"], "datetime") == ["Jul 2026", "Aug 2026"]
    assert _one_column("as_of_month", ["2026-09-01"]) == ["Sep 2026"]  # ISO text in an object column
    assert _one_column("renews_on", ["2026-07-03", "2026-08-01"]) == ["3 Jul 2026", "1 Aug 2026"]
    # a column named *date keeps the day, even on the 1st
    assert _one_column("first_date", ["2023-10-01"]) == ["1 Oct 2023"]
    assert _one_column("seen_at", ["2026-07-03T14:05:00"]) == ["3 Jul 2026 14:05"]


def test_missing_and_infinite_values_read_n_a() -> None:
    # marimo writes NaN as NaN, None as null, and an infinite float as the text "inf"
    assert _one_column("median_days", [21.0, math.nan, None, math.inf, "inf"], "number") == [
        "21",
        "n/a",
        "n/a",
        "n/a",
        "n/a",
    ]
    assert _one_column("paired_name", [None, "Activation rate", ""], "string") == ["n/a", "Activation rate", ""]


def test_percentage_points_are_signed() -> None:
    assert _one_column("snapshot at month start (pp)", [-0.9, 0.03, 0.0]) == ["-0.9 pp", "+0.03 pp", "0 pp"]


def test_booleans_read_yes_and_no() -> None:
    assert _one_column("significant", [True, False], "boolean") == ["yes", "no"]


def test_an_interval_bound_is_formatted_like_the_value_it_bounds() -> None:
    table = format_table(
        ["churn_risk", "lower_95", "upper_95", "auc", "auc_low"],
        [{"churn_risk": 0.245, "lower_95": 0.219, "upper_95": 0.274, "auc": 0.73, "auc_low": 0.714}],
    )
    assert table.cells == [["24.5%", "21.9%", "27.4%", "0.730", "0.714"]]


def test_a_kpi_value_takes_its_unit_from_the_row_s_name() -> None:
    # the KPI table of 01_kpi_overview: one row per KPI, the unit is in the label
    rows = [
        {"label": "NRR (trailing 12 months)", "value": 0.9706, "numerator": 1667622.0, "denominator": 1718171.0},
        {"label": "Customer health score", "value": 71.2025, "numerator": 96123.4, "denominator": 1350.0},
        {"label": "Customer downgrade rate", "value": 0.0072, "numerator": 10.0, "denominator": 1389.0},
    ]
    table = format_table(["label", "value", "numerator", "denominator"], rows)
    assert [row[1] for row in table.cells] == ["97.1%", "71.2", "0.7%"]
    assert [row[2] for row in table.cells] == ["1,667,622", "96,123", "10"]  # numerators stay numbers


def test_paired_values_take_their_unit_from_the_paired_name() -> None:
    rows = [
        {"name": "Logo churn rate", "paired_name": "Customer health score", "paired_value": 71.2025},
        {"name": "Contraction rate", "paired_name": "Feature adoption rate (ongoing)", "paired_value": 0.8606},
    ]
    table = format_table(["name", "paired_name", "paired_value"], rows)
    assert [row[2] for row in table.cells] == ["71.2", "86.1%"]


def test_formatting_never_changes_the_rows_it_reads() -> None:
    rows = [{"mrr": 1234.5, "month": "2026-07-01 00:00:00", "share": 0.5}]
    before = json.dumps(rows)
    format_table(["mrr", "month", "share"], rows)
    assert json.dumps(rows) == before


# --- controls and marimo elements (HTML produced by the installed marimo, so the format is real) ---


def _shown(fragment: str) -> list[str]:
    return [html.unescape(text) for text in re.findall(r'<p class="shown">(.*?)</p>', static_html(fragment))]


# copied verbatim from the demo export of notebooks/02_cohort_retention.py (marimo 0.25.2), ids shortened
SEGMENT_DROPDOWN = (
    "<marimo-ui-element object-id='vblA-0' random-id='f6f4'><marimo-dropdown data-initial-value='[&quot;All&quot;]' "
    "data-label='&quot;&#92;u003cspan class=&#92;&quot;markdown prose dark:prose-invert contents&#92;&quot;&#92;u003e"
    "&#92;u003cspan class=&#92;&quot;paragraph&#92;&quot;&#92;u003eSegment&#92;u003c/span&#92;u003e&#92;u003c/span"
    "&#92;u003e&quot;' data-options='[&quot;All&quot;,&quot;Enterprise&quot;,&quot;Mid-Market&quot;,&quot;SMB&quot;]' "
    "data-allow-select-none='false' data-searchable='false' data-full-width='false' data-disabled='false'>"
    "</marimo-dropdown></marimo-ui-element>"
)


def test_a_dropdown_becomes_a_sentence_saying_what_the_page_shows() -> None:
    assert static_html(SEGMENT_DROPDOWN) == '<p class="shown">Segment: All</p>'


@pytest.mark.parametrize(
    ("element", "expected"),
    [
        (lambda: mo.ui.radio(["Month", "Quarter"], value="Month", label="Cohort grain"), "Cohort grain: Month"),
        (lambda: mo.ui.slider(steps=[1, 5, 10], value=5, label="Top"), "Top: 5"),
        (lambda: mo.ui.slider(0, 100, value=30, label="Threshold"), "Threshold: 30"),
        (lambda: mo.ui.range_slider(0, 10, value=[2, 6], label="Months"), "Months: 2 to 6"),
        (lambda: mo.ui.switch(value=True, label="Show intervals"), "Show intervals: yes"),
        (lambda: mo.ui.checkbox(value=False, label="Include trials"), "Include trials: no"),
        (lambda: mo.ui.multiselect(["SMB", "Enterprise"], value=["SMB", "Enterprise"], label="Segments"),
         "Segments: SMB, Enterprise"),
        (lambda: mo.ui.multiselect(["SMB"], label="Segments"), "Segments: none"),
        (lambda: mo.ui.text(value="ACME", label="Account"), "Account: ACME"),
        (lambda: mo.ui.number(start=1, stop=24, value=12, label="Horizon"), "Horizon: 12"),
        (lambda: mo.ui.date(value="2026-09-30", label="As of"), "As of: 2026-09-30"),
        (lambda: mo.ui.dropdown(["A", "B"], value="B"), "Shown: B"),
    ],
    ids=lambda item: item if isinstance(item, str) else "",
)  # fmt: skip
def test_every_control_becomes_its_label_and_initial_value(element, expected: str) -> None:
    assert _shown(element().text) == [expected]


def test_no_form_control_script_or_marimo_element_survives() -> None:
    fragment = (
        '<div style="display: flex;flex-direction: row" onclick="alert(1)">'
        + mo.ui.run_button(label="Refresh").text
        + mo.ui.dropdown(["All", "SMB"], value="All", label="Segment").text
        + '<form><input name="q"><select><option>x</option></select><button>go</button><textarea>t</textarea></form>'
        + "<script>alert(1)</script><iframe src='x.html'></iframe><marimo-unknown-thing></marimo-unknown-thing></div>"
    )
    result = static_html(fragment)
    assert not re.search(r"<(?:input|select|button|form|textarea|script|iframe|marimo-)", result), result
    assert "onclick" not in result
    assert _shown(fragment) == ["Segment: All"]
    assert 'style="display: flex;flex-direction: row"' in result  # the layout of mo.hstack is kept
    assert "only in the interactive report" in result  # the unknown element says where it is


def test_tabs_show_every_tab_under_its_label_and_an_accordion_becomes_details() -> None:
    tabs = static_html(mo.ui.tabs({"Churn": mo.md("churn text"), "Expansion": mo.md("expansion text")}).text)
    assert re.findall(r'<h4 class="tab-label">(.*?)</h4>', tabs) == ["Churn", "Expansion"]
    assert "churn text" in tabs and "expansion text" in tabs
    chart = alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_bar().encode(x="x:Q")
    with_chart = static_html(mo.ui.tabs({"Chart": chart, "Text": mo.md("words")}).text)
    assert len(re.findall(r"<svg\b", with_chart)) == 1 and "report-chart-1.svg" in with_chart  # drawn once
    accordion = static_html(mo.accordion({"Method": mo.md("how it is computed")}).text)
    assert re.fullmatch(r"<details><summary>.*Method.*</summary>.*how it is computed.*</details>", accordion, re.S)


def test_markdown_keeps_its_html_and_details_keep_working() -> None:
    markdown = mo.md(
        "## Method\n\n- one\n- two\n\n/// details | Why\nBecause.\n///\n\n/// admonition | Note\nCareful.\n///"
    ).text
    result = static_html(markdown)
    for kept in ('<h2 id="method">Method</h2>', "<li>one</li>", "<details>", "<summary>Why</summary>", "admonition"):
        assert kept in result


def test_a_callout_and_a_stat_become_boxes() -> None:
    assert static_html(mo.callout(mo.md("careful"), kind="warn").text).startswith('<div class="callout callout-warn">')
    stat = static_html(mo.stat(value="97.1%", label="NRR", caption="T12M").text)
    assert stat == (
        '<div class="stat"><span class="stat-label">NRR</span><span class="stat-value">97.1%</span>'
        '<span class="stat-caption">T12M</span></div>'
    )


def _table_parts(result: str) -> tuple[list[str], list[list[str]], str]:
    headers = [html.unescape(h) for h in re.findall(r"<th\b[^>]*>(.*?)</th>", result)]
    rows = [
        [html.unescape(re.sub(r"<wbr>", "", c)) for c in re.findall(r"<td\b[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", result)
        if "<td" in row
    ]
    csv_uri = re.search(r'href="data:text/csv;charset=utf-8,([^"]*)"', result)
    return headers, rows, unquote(html.unescape(csv_uri.group(1))) if csv_uri else ""


def test_a_marimo_table_becomes_a_plain_table_with_leader_formatting_and_a_raw_csv() -> None:
    frame = pd.DataFrame(
        {"segment": ["SMB", "Enterprise"], "mrr_share": [0.024, 0.61], "mrr": [78082.0, 5532.558]},
        index=pd.Index([3, 7]),  # a filtered frame keeps its index: marimo sends it as a row header "Index0"
    )
    result = static_html(mo.ui.table(frame, selection=None).text)
    headers, rows, csv_text = _table_parts(result)
    assert headers == ["Segment", "MRR share", "MRR"]  # no dtype row, no unnamed index
    assert rows == [["SMB", "2.4%", "$78,082"], ["Enterprise", "61.0%", "$5,533"]]
    assert csv_text == "segment,mrr_share,mrr\nSMB,0.024,78082.0\nEnterprise,0.61,5532.558\n"  # raw values
    assert 'download="report-table-1.csv"' in result


def test_the_csv_download_quotes_text_a_spreadsheet_would_run_as_a_formula() -> None:
    frame = pd.DataFrame({"account_name": ['=HYPERLINK("http://x","y")', "-12.5"], "mrr": [-1200.5, 3.0]})
    _, rows, csv_text = _table_parts(static_html(mo.ui.table(frame, selection=None).text))
    # the same rule as `cskpi ... --format csv` (tests/test_escaping.py); a number stays a number
    assert csv_text == 'account_name,mrr\n"\'=HYPERLINK(""http://x"",""y"")",-1200.5\n-12.5,3.0\n'
    assert rows[0][0] == '=HYPERLINK("http://x","y")'  # shown as the text it is


def test_a_script_url_in_an_attribute_is_dropped() -> None:
    result = static_html('<a href=" javascript:alert(1)">x</a><a href="04_leading_indicators.html">y</a>')
    assert result == '<a>x</a><a href="04_leading_indicators.html">y</a>'


def test_a_paginated_table_says_it_shows_the_first_rows_only() -> None:
    frame = pd.DataFrame({"accounts": range(25)})
    result = static_html(mo.ui.table(frame, selection=None, page_size=10).text)
    _, rows, _ = _table_parts(result)
    assert len(rows) == 10
    assert "The first 10 of 25 rows" in result


def test_charts_nested_in_a_stack_or_an_altair_element_become_inline_svg() -> None:
    chart = alt.Chart(pd.DataFrame({"x": [1, 2, 3], "y": [2, 1, 3]})).mark_line().encode(x="x:Q", y="y:Q")
    for fragment in (mo.hstack([chart, mo.md("beside")]).text, mo.ui.altair_chart(chart).text):
        result = static_html(fragment)
        assert len(re.findall(r"<svg\b", result)) == 1, fragment[:80]
        assert re.search(r"<path\b", result)
        assert 'download="report-chart-1.svg" href="data:image/svg+xml;base64,' in result
        assert not re.search(r"<marimo-|https?://", result)  # the inline SVG has no namespace URLs either


def test_a_single_file_with_personal_data_in_a_download_is_refused() -> None:
    frame = pd.DataFrame({"owner": ["jane.doe@example.com"]})
    page = "<html><body>" + static_html(mo.ui.table(frame, selection=None).text) + "</body></html>"
    hidden = re.sub(r"<table>.*?</table>", "", page, flags=re.S)  # only the CSV download still has it
    assert "jane.doe" not in unquote(hidden).split("charset=utf-8,")[0]
    assert check_single_file(hidden) == ["e-mail address j…@example.com"]
    svg = base64.b64encode(b"<svg><text>call +44 20 7946 0958</text></svg>").decode()
    assert check_single_file(f'<a href="data:image/svg+xml;base64,{svg}">x</a>') == ["phone number …58 (12 digits)"]


def test_control_text_joins_a_selection_and_says_none_when_empty() -> None:
    assert control_text("marimo-multiselect", "Segments", []) == "Segments: none"
    assert control_text("marimo-dropdown", "<span>Segment</span>", ["All"]) == "Segment: All"


# --- the fixture report (built once per session by conftest) ---


def test_index_links_both_the_interactive_report_and_the_single_file(fixture_reports) -> None:
    out, reports = fixture_reports
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<a href="01_chart.html">Fixture: monthly MRR</a>' in index
    assert '<a href="single-file/01_chart.html">single file, to send</a>' in index
    assert '<a href="single-file/index.html">single files</a>' in index
    assert "cskpi serve" in index
    single_index = (out / SINGLE_FILE_DIR / "index.html").read_text(encoding="utf-8")
    assert '<a href="01_chart.html">Fixture: monthly MRR</a>' in single_index
    assert reports[0].single_file == "single-file/01_chart.html"


def test_each_single_file_has_a_nav_bar_to_its_siblings_and_the_index(fixture_reports) -> None:
    out, reports = fixture_reports
    page = (out / reports[0].single_file).read_text(encoding="utf-8")
    nav = re.search(r'<nav class="reports".*?</nav>', page, re.S).group(0)
    assert '<a href="index.html">All reports</a>' in nav
    assert '<a href="01_chart.html" aria-current="page">Fixture: monthly MRR</a>' in nav
    assert NAV_PLACEHOLDER not in page


# --- the demo reports (built once per session by conftest) ---

_VEGA = re.compile(r"application/vnd\.vega(?:lite)?\.v\d+\+json")


def _expected_charts(page: str) -> int:
    """Vega(-Lite) outputs in the export: top-level outputs plus charts nested in HTML outputs."""
    count = 0
    for cell in session_snapshot(page)["cells"]:
        for output in cell.get("outputs", []):
            for mime, data in (output.get("data") or {}).items():
                if _VEGA.fullmatch(mime):
                    count += 1
                elif isinstance(data, str):
                    nested = re.findall(r"<marimo-mime-renderer data-mime='([^']*)'", data)
                    count += sum(bool(_VEGA.search(html.unescape(m))) for m in nested)
                    count += len(re.findall(r"<marimo-vega\b", data))
    return count


def _expected_tables(page: str) -> int:
    outputs = [
        data
        for cell in session_snapshot(page)["cells"]
        for output in cell.get("outputs", [])
        for data in (output.get("data") or {}).values()
        if isinstance(data, str)
    ]
    return sum(len(re.findall(r"<marimo-table\b", data)) for data in outputs)


_NOTEBOOKS = pytest.mark.parametrize(
    "notebook",
    REAL_NOTEBOOKS or [pytest.param(None, marks=pytest.mark.skip(reason="no notebooks/NN_topic.py yet"))],
    ids=lambda notebook: notebook.stem if notebook else "none",
)


@pytest.mark.slow
@_NOTEBOOKS
def test_a_demo_single_file_holds_every_chart_and_table_and_nothing_remote(notebook, demo_reports) -> None:
    out, reports = demo_reports
    report = reports[notebook.stem]
    page = (out / report.file_name).read_text(encoding="utf-8")
    single = (out / report.single_file).read_text(encoding="utf-8")
    assert len(re.findall(r"<svg\b", single)) == _expected_charts(page)
    assert len(re.findall(r"<table\b", single)) == _expected_tables(page)
    assert single.count("Download CSV") == _expected_tables(page)
    assert single.count("Download SVG") == _expected_charts(page)
    assert not re.search(r"<(?:script|input|select|button|form|textarea|iframe|link|marimo-)", single, re.I)
    assert not re.search(r"https?://|//cdn", single), "a URL is left in the single file"
    assert remote_references(single) == []
    assert check_single_file(single) == []


def _alone(single_file: Path, folder: Path) -> Path:
    folder.mkdir()
    return Path(shutil.copy(single_file, folder / single_file.name))


_NETWORK_OFF = ("--proxy-server=http://127.0.0.1:9", "--hide-scrollbars")
"""On top of report.CHROMIUM_FLAGS (every host unresolvable): any request goes to a closed port."""


@pytest.mark.browser
@pytest.mark.slow
@_NOTEBOOKS
def test_a_demo_single_file_opened_alone_from_disk_renders_its_heading_and_charts(
    notebook, demo_reports, chromium, tmp_path: Path
) -> None:
    out, reports = demo_reports
    report = reports[notebook.stem]
    copy = _alone(out / report.single_file, tmp_path / "inbox")  # as an attachment arrives: on its own
    dom = render_dom(copy.as_uri(), chromium, tmp_path / "profile", budget_ms=3000, extra_flags=_NETWORK_OFF)
    assert rendered_heading(dom, report.title), f"{copy.name} renders blank from file://"
    charts = re.findall(r"<svg\b([^>]*)>(.*?)</svg>", dom, re.S)
    assert len(charts) == _expected_charts((out / report.file_name).read_text(encoding="utf-8"))
    for attributes, inside in charts:
        width, height = (float(re.search(rf'\b{a}="([\d.]+)"', attributes).group(1)) for a in ("width", "height"))
        assert width > 0 and height > 0
        assert re.search(r"<(?:path|rect|line|circle)\b", inside) and "<text" in inside, "a chart drew no marks"
    assert not re.search(r"<(?:input|select|button|form|textarea|marimo-)", dom, re.I)


_MEASURE = """<script>
const view = document.documentElement.clientWidth;
let widest = document.documentElement.scrollWidth, culprit = "";
for (const element of document.querySelectorAll("body *")) {
  const box = element.getBoundingClientRect();
  if (box.width && box.right > widest) { widest = Math.ceil(box.right); culprit = element.tagName + "." + element.className; }
}
const charts = [...document.querySelectorAll("svg")].map(s => [s.getBoundingClientRect().width, s.getBoundingClientRect().height]);
document.title = JSON.stringify({view, widest, culprit, charts});
</script></body>"""
"""Injected into a test copy only (the single files hold no script, and their CSP forbids one)."""

A4_PRINTABLE_PX = 680  # 210 mm - 2 x 15 mm margin = 180 mm = 180 / 25.4 * 96 CSS px = 680.3


@pytest.mark.browser
@pytest.mark.slow
@_NOTEBOOKS
def test_a_demo_single_file_fits_the_printable_width_of_an_a4_page(
    notebook, demo_reports, chromium, tmp_path: Path
) -> None:
    out, reports = demo_reports
    report = reports[notebook.stem]
    single = (out / report.single_file).read_text(encoding="utf-8")
    assert "@page { size: A4; margin: 15mm; }" in single
    probe = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", single)
    probe = probe.replace("@media print {", "@media all {").replace("</body>", _MEASURE)  # print rules, on screen
    copy = tmp_path / report.file_name
    copy.write_text(probe, encoding="utf-8")
    flags = (*_NETWORK_OFF, f"--window-size={A4_PRINTABLE_PX},1000")
    dom = render_dom(copy.as_uri(), chromium, tmp_path / "profile", budget_ms=3000, extra_flags=flags)
    measured = json.loads(html.unescape(re.search(r"<title>(.*?)</title>", dom, re.S).group(1)))
    assert measured["view"] == A4_PRINTABLE_PX
    assert measured["widest"] <= measured["view"], f"{measured['culprit']} is cut off at the right edge"
    assert len(measured["charts"]) == _expected_charts((out / report.file_name).read_text(encoding="utf-8"))
    assert all(w > 0 and h > 0 for w, h in measured["charts"]), "a chart is drawn with no area"


@pytest.mark.browser
@pytest.mark.slow
def test_a_single_file_prints_to_an_a4_pdf(demo_reports, chromium, tmp_path: Path) -> None:
    out, reports = demo_reports
    report = next(iter(reports.values()))
    copy = _alone(out / report.single_file, tmp_path / "alone")
    pdf = tmp_path / "report.pdf"
    print_pdf(copy, pdf, chromium)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    # A4 is 595.28 x 841.89 pt; Chromium rounds to its own units
    box = [float(v) for v in re.search(rb"/MediaBox \[([\d. ]+)\]", data).group(1).split()]
    assert box[2] == pytest.approx(595.28, abs=1.5) and box[3] == pytest.approx(841.89, abs=1.5)


@pytest.mark.browser
@pytest.mark.slow
def test_report_pdf_writes_a_pdf_per_report_and_the_index_links_it(chromium, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    reports = build_reports(FIXTURE_DATA, out, [FIXTURE_NOTEBOOKS / "01_chart.py"], progress=lambda _: None, pdf=True)
    assert reports[0].pdf == "single-file/01_chart.pdf"
    assert (out / reports[0].pdf).read_bytes().startswith(b"%PDF")
    assert '<a href="single-file/01_chart.pdf">PDF</a>' in (out / "index.html").read_text(encoding="utf-8")
    assert '(<a href="01_chart.pdf">PDF</a>)' in (out / SINGLE_FILE_DIR / "index.html").read_text(encoding="utf-8")


def test_report_pdf_without_chromium_fails_in_one_line_before_building_anything(
    monkeypatch, tmp_path: Path, capsys
) -> None:
    monkeypatch.setattr("cskpi_analysis.report.find_chromium", lambda: None)  # where the command looks it up
    monkeypatch.setattr("cskpi_analysis.report._export.find_chromium", lambda: None)  # where build_reports does
    out = tmp_path / "reports"
    assert cli.main(["report", str(FIXTURE_DATA), "--out", str(out), "--pdf"]) != 0
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and "Traceback" not in err
    assert "--pdf needs headless Chromium" in err
    assert not out.exists()
    with pytest.raises(ReportError, match="Chromium"):
        build_reports(FIXTURE_DATA, out, [FIXTURE_NOTEBOOKS / "01_chart.py"], progress=lambda _: None, pdf=True)
    assert list(tmp_path.iterdir()) == []
