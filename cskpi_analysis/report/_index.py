"""The index page of a report folder."""

from __future__ import annotations

import html
from collections.abc import Sequence

from cskpi_analysis.report._notebooks import Report


def index_page(reports: Sequence[Report], data_name: str) -> str:
    """The ``index.html`` that lists the reports: title, question, link, and a mark on those with
    sections left out for lack of data.

    Each report links to its interactive page (needs ``cskpi serve``) and, when written, to its
    single file (and PDF), which opens anywhere and is the one to send.
    """
    single_files = any(r.single_file for r in reports)
    items = "\n".join(
        f'    <li><a href="{html.escape(r.file_name)}">{html.escape(r.title)}</a>'
        + (
            f' <span class="kind">interactive</span> <span class="alt">· <a href="{html.escape(r.single_file)}">'
            f"single file, to send</a>" + (f' · <a href="{html.escape(r.pdf)}">PDF</a>' if r.pdf else "") + "</span>"
            if r.single_file
            else ""
        )
        + (f"<p>{html.escape(r.question)}</p>" if r.question else "")
        + (
            f'<p class="left-out">Some sections are left out: the data lacks what they need '
            f"({r.left_out} left out; the report says what would enable each).</p>"
            if r.left_out
            else ""
        )
        + "</li>"
        for r in reports
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>Customer Success KPI reports</title>
  <style>
    body {{ font-family: Helvetica, Arial, sans-serif; max-width: 48rem; margin: 3rem auto; padding: 0 1rem; color: #222; }}
    li {{ margin: 0 0 1.2rem; }} a {{ font-size: 1.15rem; font-weight: 600; color: #0072B2; }}
    p {{ margin: .25rem 0 0; color: #444; }} .left-out {{ color: #9a5b00; }}
    .kind {{ color: #666; font-size: .85rem; }} .alt a {{ font-size: 1rem; font-weight: 400; }}
    .how {{ margin: 1rem 0 2rem; }} .how li {{ margin: .3rem 0; }} .how a {{ font-size: inherit; }}
  </style>
</head>
<body>
  <h1>Customer Success KPI reports</h1>
  <p>Data: {html.escape(data_name)}</p>
{_index_how(single_files)}
  <ol>
{items}
  </ol>
</body>
</html>
"""


def _index_how(single_files: bool) -> str:
    if not single_files:
        return ""
    return """  <ul class="how">
    <li><strong>To send:</strong> the <a href="single-file/index.html">single files</a>
      (<code>single-file/NN_topic.html</code>) open anywhere: from disk, as an e-mail attachment, printed.
      They show each report as exported, with static charts and tables.</li>
    <li><strong>Interactive</strong> (the title links): controls and sortable tables; they need a server,
      <code>cskpi serve</code> on this folder, and stay blank when opened from disk.</li>
  </ul>"""
