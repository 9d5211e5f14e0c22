"""The single file of a report: one self-contained page, its nav bar and index, its checks, its PDF."""

from __future__ import annotations

import base64
import html
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

from cskpi_analysis.report._browser import CHROMIUM_FLAGS, run_tracked
from cskpi_analysis.report._notebooks import Report, ReportError
from cskpi_analysis.report._offline import remote_references
from cskpi_analysis.report._page import _embedded_json, session_snapshot
from cskpi_analysis.report._privacy import find_personal_data
from cskpi_analysis.report._static import _MIME_ORDER, _chart_svg, _Context, _render_mime

SINGLE_FILE_DIR = "single-file"
"""Folder of the single files inside the report folder."""


NAV_PLACEHOLDER = "<!-- cskpi:nav -->"
"""Where :func:`add_nav` puts the nav bar: the sibling reports are known once all are exported."""


def _cell_order(page: str, cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    notebook = _embedded_json(page, "notebook") or {}
    order = [cell.get("id") for cell in notebook.get("cells", [])]
    by_id = {cell.get("id"): cell for cell in cells}
    ordered = [by_id[i] for i in order if i in by_id]
    return ordered + [cell for cell in cells if cell.get("id") not in set(order)]


def _output_html(output: dict[str, Any], context: _Context) -> str:
    data = output.get("data") or {}
    if output.get("type") == "error" or not data:
        return ""
    mimes = sorted(data, key=lambda m: _MIME_ORDER.index(m) if m in _MIME_ORDER else len(_MIME_ORDER))
    return _render_mime(mimes[0], data[mimes[0]], context)


def single_file_page(
    page: str,
    title: str,
    stem: str,
    interactive_name: str | None = None,
    chart_svg: Callable[[str, Any], str] | None = None,
) -> str:
    """The self-contained HTML page of one exported notebook.

    Parameters
    ----------
    page : the page ``marimo export html`` wrote (it embeds the session snapshot).
    title : the report's title (``<title>``).
    stem : the notebook's name, ``NN_topic``: download file names start with it.
    interactive_name : file name of the interactive report, mentioned in the footer.
    chart_svg : renders ``(mimetype, spec)`` as SVG (default: vl-convert, offline).

    Returns
    -------
    str
        A complete HTML document with :data:`NAV_PLACEHOLDER` where the nav bar goes
        (:func:`add_nav`).

    Raises
    ------
    ReportError
        The page holds no snapshot, or a chart could not be drawn.
    """
    context = _Context(stem, chart_svg or _chart_svg)
    outputs = []
    for cell in _cell_order(page, session_snapshot(page)["cells"]):
        for output in cell.get("outputs", []):
            rendered = _output_html(output, context)
            if rendered.strip():
                outputs.append(f'<div class="output">{rendered}</div>')
    interactive = (
        f" The interactive version, <code>{html.escape(interactive_name)}</code> in the folder above,"
        " lets you change them (open it with <code>cskpi serve</code>)."
        if interactive_name
        else ""
    )
    body = "\n".join(outputs)
    return f"""{_head(title)}
<body>
{NAV_PLACEHOLDER}
<main>
{body}
</main>
<footer><p>A static copy of the report: every chart and table shows the choice printed above it.{interactive}</p></footer>
</body>
</html>
"""


def _head(title: str) -> str:
    """The start of a single file, to its ``</head>``: nothing may load from anywhere (CSP), styles inline."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{html.escape(title)}</title>
<style>{STYLESHEET}</style>
</head>"""


def nav_bar(reports: Sequence[Report], current: str | None) -> str:
    """Links to the index and to every single file, by relative file name."""
    links = ['<a href="index.html"' + (' aria-current="page"' if current is None else "") + ">All reports</a>"]
    for report in reports:
        here = ' aria-current="page"' if report.file_name == current else ""
        links.append(f'<a href="{html.escape(report.file_name)}"{here}>{html.escape(report.title)}</a>')
    return '<nav class="reports" aria-label="Reports">' + "".join(links) + "</nav>"


def add_nav(single_file: str, reports: Sequence[Report], current: str) -> str:
    """``single_file`` with the nav bar in place of :data:`NAV_PLACEHOLDER`."""
    return single_file.replace(NAV_PLACEHOLDER, nav_bar(reports, current), 1)


def single_file_index(reports: Sequence[Report], data_name: str, pdfs: bool = False) -> str:
    """``single-file/index.html``: the single files (and PDFs), to send or open from disk."""
    items = "\n".join(
        f'<li><a href="{html.escape(r.file_name)}">{html.escape(r.title)}</a>'
        + (f' (<a href="{html.escape(Path(r.file_name).stem)}.pdf">PDF</a>)' if pdfs else "")
        + (f"<p>{html.escape(r.question)}</p>" if r.question else "")
        + "</li>"
        for r in reports
    )
    return f"""{_head("Customer Success KPI reports (single files)")}
<body>
{nav_bar(reports, None)}
<main>
<h1>Customer Success KPI reports</h1>
<p>Data: {html.escape(data_name)}. Each report is one file that opens anywhere, without a server or network:
attach it to an e-mail or copy this folder. The links between reports work when the folder is copied whole.</p>
<ol class="index">
{items}
</ol>
</main>
</body>
</html>
"""


_DATA_URI = re.compile(r'(?<=href=")data:([^,"]*),([^"]*)(?=")')


def check_single_file(single_file: str) -> list[str]:
    """Every reason a single file may not be sent (empty when it may): personal data, network references.

    The downloads' data URIs are decoded and checked as text, like the rest of the page.
    (:func:`cskpi_analysis.report.find_personal_data` on a long base64 or percent-encoded run
    takes minutes: its e-mail pattern backtracks over a run of e-mail characters.)
    """
    payloads = []

    def decode(match: re.Match[str]) -> str:
        header, payload = match.group(1), html.unescape(match.group(2))
        try:
            raw = base64.b64decode(payload) if header.endswith(";base64") else unquote_to_bytes(payload)
            payloads.append(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            payloads.append(payload)
        return "data:"

    views = [_DATA_URI.sub(decode, single_file)]
    views += payloads
    problems: dict[str, None] = {}
    for view in views:
        problems.update((item, None) for item in find_personal_data(view))
        problems.update((f"a reference to {url}, fetched from the network", None) for url in remote_references(view))
    return list(problems)


PDF_FLAGS = (
    *(flag for flag in CHROMIUM_FLAGS if not flag.startswith("--host-resolver-rules")),
    "--no-pdf-header-footer",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://127.0.0.1:9",
)
"""Headless Chromium printing with the network off (every host unresolvable, a proxy to nowhere)."""


def print_pdf(single_file: Path, pdf: Path, browser: str, timeout: float = 180) -> None:
    """Print ``single_file`` to ``pdf`` (A4, from its print stylesheet) with headless Chromium.

    Raises
    ------
    ReportError
        Chromium failed, took longer than ``timeout`` seconds, or wrote no PDF.
    """
    with tempfile.TemporaryDirectory(prefix="cskpi-chromium-") as profile:
        command = [
            browser,
            *PDF_FLAGS,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={Path(pdf).resolve()}",
            Path(single_file).resolve().as_uri(),
        ]
        result = run_tracked(command, timeout)
    if result is None:
        raise ReportError(f"{Path(pdf).name}: printing took longer than {timeout:.0f} s and was stopped")
    if not Path(pdf).exists() or Path(pdf).read_bytes()[:4] != b"%PDF":
        detail = (result.stderr or "").strip().splitlines()[-1:] or [f"exit status {result.returncode}"]
        raise ReportError(f"{Path(pdf).name}: Chromium wrote no PDF ({detail[0]})")


STYLESHEET = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: #1f2328; line-height: 1.5; font-size: 16px;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
nav.reports { position: sticky; top: 0; z-index: 1; display: flex; flex-wrap: wrap; gap: .2rem 1.1rem;
  padding: .5rem max(1rem, calc((100% - 1000px) / 2)); background: #f6f8fa; border-bottom: 1px solid #d0d7de;
  font-size: .9rem; }
nav.reports a { color: #0b5cad; text-decoration: none; }
nav.reports a:hover { text-decoration: underline; }
nav.reports a[aria-current] { color: #1f2328; font-weight: 600; }
main { max-width: 1000px; margin: 0 auto; padding: 1.25rem 1rem 2rem; overflow-wrap: break-word; }
footer { max-width: 1000px; margin: 0 auto 2rem; padding: .5rem 1rem; border-top: 1px solid #d0d7de;
  color: #57606a; font-size: .85rem; }
h1 { font-size: 1.9rem; line-height: 1.25; margin: .5rem 0 .75rem; }
h2 { font-size: 1.4rem; margin: 2rem 0 .5rem; padding-bottom: .2rem; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 1.15rem; margin: 1.5rem 0 .4rem; }
h4 { font-size: 1rem; margin: 1.2rem 0 .3rem; }
p, span.paragraph { margin: .6rem 0; }
span.paragraph { display: block; }
a { color: #0b5cad; }
hr { border: 0; border-top: 1px solid #d0d7de; margin: 1.5rem 0; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .88em; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f8fa; padding: .6rem .8rem; border-radius: 4px; }
img { max-width: 100%; height: auto; }
.output { margin: .6rem 0; }
div[style*="display: flex"] { flex-wrap: wrap !important; }
div[style*="display: flex"] > * { min-width: 0; max-width: 100%; }
div[style*="display: flex"] > :has(> figure.chart) { min-width: min(100%, 400px); }
figure { margin: 1rem 0; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
figcaption { color: #57606a; font-size: .85rem; margin-top: .3rem; }
a.download { display: inline-block; padding: .05rem .5rem; border: 1px solid #d0d7de; border-radius: 4px;
  color: #0b5cad; text-decoration: none; font-size: .8rem; background: #f6f8fa; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-size: .875rem; font-variant-numeric: tabular-nums; }
th, td { padding: .3rem .6rem; text-align: left; vertical-align: top; border-bottom: 1px solid #d8dee4; }
thead th { background: #eef1f4; font-weight: 600; border-bottom: 2px solid #afb8c1; vertical-align: bottom; }
tbody tr:nth-child(even) { background: #f6f8fa; }
th.num, td.num { text-align: right; white-space: nowrap; }
td.mid { min-width: 8rem; } td.long { min-width: 15rem; }
table.wide { font-size: .8rem; } table.wide th, table.wide td { padding: .25rem .45rem; }
.table-label { font-weight: 600; margin: .3rem 0; }
.cards { display: none; }
dl.card { display: grid; grid-template-columns: repeat(auto-fill, minmax(8.5rem, 1fr)); gap: .15rem .8rem; margin: 0;
  padding: .35rem 0; border-bottom: 1px solid #d0d7de; }
dl.card .first, dl.card .long { grid-column: 1 / -1; }
dl.card .first dd { font-weight: 600; } dl.card .first dt { display: none; }
dl.card dt { color: #57606a; font-size: .85em; } dl.card dd { margin: 0; }
p.shown { display: inline-block; margin: .25rem .6rem .25rem 0; padding: .15rem .6rem; border: 1px solid #c8dcf0;
  border-radius: 4px; background: #eef5fc; font-size: .9rem; }
.interactive-only { color: #57606a; font-style: italic; }
.callout, .admonition { margin: 1rem 0; padding: .5rem 1rem; border-left: 4px solid #8c959f; background: #f6f8fa;
  border-radius: 0 4px 4px 0; }
.callout-warn, .admonition.warning, .admonition.attention, .admonition.caution { border-color: #bf8700; background: #fff8c5; }
.callout-danger, .admonition.danger, .admonition.error { border-color: #cf222e; background: #ffebe9; }
.callout-success, .admonition.tip, .admonition.hint { border-color: #1a7f37; background: #dafbe1; }
.callout-info, .admonition.note, .admonition.info { border-color: #0969da; background: #ddf4ff; }
.admonition-title { font-weight: 600; margin: .2rem 0; }
details { margin: 1rem 0; padding: .5rem .8rem; border: 1px solid #d0d7de; border-radius: 4px; }
summary { cursor: pointer; font-weight: 600; }
.tabs .tab { margin: 1rem 0; padding-left: .8rem; border-left: 3px solid #d0d7de; }
.stat { display: inline-flex; flex-direction: column; margin: .3rem .6rem .3rem 0; padding: .5rem .9rem;
  border: 1px solid #d0d7de; border-radius: 6px; }
.stat-value { font-size: 1.4rem; font-weight: 600; }
.stat-label, .stat-caption { color: #57606a; font-size: .85rem; }
ol.index li { margin: 0 0 1rem; } ol.index a { font-weight: 600; } ol.index p { margin: .2rem 0; color: #57606a; }
@page { size: A4; margin: 15mm; }
@media print {
  body { font-size: 10pt; }
  nav.reports, a.download { display: none; }
  main, footer { max-width: none; padding: 0; margin: 0; }
  main { overflow-wrap: anywhere; }
  h1, h2, h3, h4 { break-after: avoid; }
  .table-wrap { overflow: visible; }
  table, table.wide { width: 100%; font-size: 7.5pt; }
  th, td, table.wide th, table.wide td { padding: 2px 4px; overflow-wrap: break-word; }
  th.num, td.num { white-space: normal; }
  td.mid, td.long { min-width: 0; }
  .table-wrap.has-cards { display: none; }
  .cards { display: block; font-size: 8.5pt; }
  dl.card { break-inside: avoid; }
  thead { display: table-header-group; }
  tr, figure.chart, figure.chart svg, .callout, .stat, p.shown, img { break-inside: avoid; }
  figure.chart svg { max-width: 100%; height: auto; }
  div[style*="display: flex"] { gap: .5rem !important; }
  details::details-content { content-visibility: visible; display: contents; }
  pre { white-space: pre-wrap; }
}
"""
"""The single files' only stylesheet: readable width, system fonts, zebra tables with right-aligned
numbers, scalable SVG charts, and an A4 print layout in which nothing is cut off on the right."""
