"""Offline HTML reports: every notebook exported by marimo, checked, and made to render without network.

``cskpi report DIR --out reports/`` runs :func:`build_reports`, which for each
``notebooks/NN_topic.py``

1. runs ``marimo export html --no-include-code NN_topic.py -o ... -- --data DIR``
   (the notebook reads the folder with :func:`cskpi_analysis.notebook.data_dir`);
2. fails if a cell failed. ``marimo export html`` exits 1 when a cell raises, but
   exits 0 when a chart fails *at display time* (altair's ``MaxRowsError``, a frame
   that cannot be serialised): marimo logs the traceback and shows an empty output
   or a degraded chart. Both the serialised cell errors (``"type": "error"`` in the
   session snapshot embedded in the HTML) and the tracebacks marimo logs on stderr
   fail the export (:func:`cell_errors`, :func:`display_errors`);
3. fails if the HTML holds an e-mail address or a phone number, also inside
   JSON-escaped, HTML-escaped, URL-encoded or base64 payloads (:func:`find_personal_data`);
4. rewrites the frontend URLs (marimo loads its JavaScript and CSS from a CDN,
   marimo issue #575) to the copy of the wheel's frontend in ``reports/assets/``
   (:func:`make_offline`). Lazy chunks (vega, vega-lite, vega-embed, fonts) are
   imported relative to the entry module, so they follow;
5. fails if the page would still fetch anything from the network when opened, also
   from HTML inside marimo's embedded JSON or HTML-escaped attribute values
   (:func:`remote_references`).

6. writes a single self-contained file, ``single-file/NN_topic.html``, from the same export
   (see below: static SVG charts, plain tables, no script), checked
   like the page (personal data, network references); with ``pdf=True`` also ``NN_topic.pdf``.

The reports are written atomically: everything is built in a temporary folder
next to ``--out`` and swapped in at the end; on failure nothing partial remains.
The interactive reports use ES modules, which browsers refuse from ``file://``: open them
with ``cskpi serve reports``. The single files open anywhere (from disk, as an attachment).

Single files
------------
Single-file reports: each exported notebook as one self-contained HTML page that opens anywhere.

The interactive reports (:func:`build_reports`) need marimo's JavaScript
frontend, which browsers refuse to load from ``file://``: a report sent as an e-mail attachment
or opened from disk is a blank page. ``cskpi report`` therefore also writes
``OUT/single-file/NN_topic.html``: plain HTML and inline CSS, no script, no request of any kind,
built from the marimo export that was already produced (the notebook is not run again).

:func:`single_file_page` reads the session snapshot marimo embeds in the exported page and
renders each cell's output in notebook order:

================================================  ===============================================
marimo output                                     in the single file
================================================  ===============================================
``text/markdown``, ``text/html``                  the same HTML (headings, lists, admonitions,
                                                  ``<details>``), marimo elements replaced below
Vega-Lite / Vega chart (also nested in a          inline SVG drawn by vl-convert, offline, with a
``<marimo-mime-renderer>`` or ``<marimo-vega>``)  "Download SVG" link
``<marimo-table>``, ``<marimo-data-editor>``      a plain ``<table>`` with leader formatting
                                                  (:func:`format_table`) and a "Download CSV" link
a control (dropdown, radio, slider, switch, ...)  ``<p class="shown">Segment: All</p>``: what the
                                                  page shows, from its label and initial value
``<marimo-tabs>``, ``<marimo-accordion>``         every tab under its label; ``<details>``
``<marimo-callout-output>``, ``<marimo-stat>``    a styled box
buttons, progress bars, file pickers              left out (they show no data)
any other ``marimo-*`` element                    its content, or a sentence saying the part is
                                                  only in the interactive report
``<script>``, ``<input>``, ``<select>``,          removed
``<button>``, ``<iframe>``, ``<link>``...
================================================  ===============================================

A nav bar links the sibling reports by relative file name (it works when the folder is copied
together) and a print stylesheet lays the page out on A4 (:data:`STYLESHEET`).
:func:`print_pdf` prints a single file to PDF with headless Chromium (``cskpi report --pdf``).

Layout (private modules; the names below are the package's API):

* ``_notebooks``: the notebooks (:func:`find_notebooks`), :class:`Report`, :class:`ReportError`;
* ``_export``: :func:`build_reports` and its export workers, the atomic swap of the folder;
* ``_warm``: :func:`warm_landmarks` (``cskpi build --warm``), notebook 03 run for every landmark and horizon;
* ``_forkserver``: :func:`export_server`, one process that imports marimo and the notebooks' libraries
  once and forks every export from there;
* ``_page``: what an exported page holds (session snapshot, cell errors, charts, title);
* ``_offline``: marimo's frontend copied beside the pages, remote references;
* ``_privacy``: personal data in a page, also inside encoded payloads;
* ``_index``: the index page;
* ``_serve``: :func:`report_server` (``cskpi serve``);
* ``_browser``: child processes, :func:`find_chromium` and the Chromium flags, the rendered DOM;
* ``_format``: leader formatting of tables (:func:`format_table`);
* ``_static``: marimo's elements made static (:func:`static_html`);
* ``_single_file``: the single file, its nav bar, index, checks and PDF.
"""

from __future__ import annotations

from cskpi_analysis.report._browser import find_chromium, render_dom, rendered_charts, rendered_heading
from cskpi_analysis.report._export import build_reports
from cskpi_analysis.report._forkserver import ExportServer, export_server
from cskpi_analysis.report._format import FormattedTable, format_table, header_label
from cskpi_analysis.report._index import index_page
from cskpi_analysis.report._notebooks import Report, ReportError, default_notebooks, find_notebooks
from cskpi_analysis.report._offline import make_offline, remote_references
from cskpi_analysis.report._page import display_errors, left_out_count, session_snapshot
from cskpi_analysis.report._privacy import decoded_views, find_personal_data
from cskpi_analysis.report._serve import report_server
from cskpi_analysis.report._single_file import (
    NAV_PLACEHOLDER,
    SINGLE_FILE_DIR,
    STYLESHEET,
    add_nav,
    check_single_file,
    print_pdf,
    single_file_index,
    single_file_page,
)
from cskpi_analysis.report._static import control_text, static_html
from cskpi_analysis.report._warm import WarmRun, landmark_pairs, warm_landmarks

__all__ = [
    "NAV_PLACEHOLDER",
    "SINGLE_FILE_DIR",
    "STYLESHEET",
    "ExportServer",
    "FormattedTable",
    "Report",
    "ReportError",
    "WarmRun",
    "add_nav",
    "build_reports",
    "check_single_file",
    "control_text",
    "decoded_views",
    "default_notebooks",
    "display_errors",
    "export_server",
    "find_chromium",
    "find_notebooks",
    "find_personal_data",
    "format_table",
    "header_label",
    "index_page",
    "landmark_pairs",
    "left_out_count",
    "make_offline",
    "print_pdf",
    "remote_references",
    "render_dom",
    "rendered_charts",
    "rendered_heading",
    "report_server",
    "session_snapshot",
    "single_file_index",
    "single_file_page",
    "static_html",
    "warm_landmarks",
]
