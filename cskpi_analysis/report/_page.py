"""What an exported page holds: marimo's session snapshot, cell errors, charts, title and question."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from cskpi_analysis.report._notebooks import ReportError

_VEGA_MIMETYPE = re.compile(r"^application/vnd\.vega(?:lite)?\.v\d+\+json$")


def _embedded_json(page: str, key: str) -> Any:
    marker = f'"{key}": '
    start = page.find(marker)
    if start < 0:
        return None
    value, _ = json.JSONDecoder().raw_decode(page, start + len(marker))
    return value


def session_snapshot(page: str) -> dict[str, Any]:
    """The session snapshot (cells and their outputs) marimo embeds in an exported page.

    Raises
    ------
    ReportError
        The page holds no snapshot (not a marimo export).
    """
    session = _embedded_json(page, "session")
    if not isinstance(session, dict) or "cells" not in session:
        raise ReportError("the exported page holds no marimo session snapshot")
    return session


def _cell_labels(page: str) -> dict[str, str]:
    notebook = _embedded_json(page, "notebook") or {}
    labels = {}
    for number, cell in enumerate(notebook.get("cells", []), start=1):
        name = cell.get("name") or "_"
        labels[cell.get("id", "")] = f"cell {number}" + ("" if name == "_" else f" ({name})")
    return labels


def cell_errors(page: str) -> list[str]:
    """One line per failed cell in an exported page: ``"cell 3 (load): message"``.

    Errors are outputs of type ``error`` (marimo 0.25) or of mimetype
    ``application/vnd.marimo+error`` (older snapshots).
    """
    labels = _cell_labels(page)
    problems = []
    for cell in session_snapshot(page)["cells"]:
        label = labels.get(cell.get("id", ""), f"cell {cell.get('id')}")
        for output in cell.get("outputs", []):
            data = output.get("data") or {}
            if output.get("type") == "error":
                name = output.get("ename") or "error"
                detail = output.get("evalue") or name
                problems.append(f"{label}: {detail}" if name == "exception" else f"{label}: {name}: {detail}")
            elif "application/vnd.marimo+error" in data:
                problems.append(f"{label}: {_error_payload_text(data['application/vnd.marimo+error'])}")
    return problems


def _error_payload_text(payload: Any) -> str:
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except ValueError:
            return payload
    items = payload if isinstance(payload, list) else [payload]
    messages = [
        str(i.get("msg") or i.get("exception_string") or i.get("type") or i) for i in items if isinstance(i, dict)
    ]
    return "; ".join(messages) or str(payload)


_TRACEBACK_END = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Warning)?): (.+)$")


def display_errors(stderr: str) -> list[str]:
    """Failures marimo only logs: tracebacks and charts that could not be displayed.

    Returns the exception line of each traceback (``"altair.utils.data.MaxRowsError:
    The number of rows ..."``) and each ``Failed to get mimebundle`` warning.
    """
    problems = []
    lines = stderr.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            for follow in lines[index + 1 :]:
                match = _TRACEBACK_END.match(follow)
                if match and not follow.startswith(" "):
                    problems.append(f"{match.group(1)}: {match.group(2)}")
                    break
        elif "Failed to get mimebundle" in line:
            problems.append(
                "a chart failed to display: " + line.split("Failed to get mimebundle from chart:")[-1].strip()
            )
    return list(dict.fromkeys(problems))


def chart_count(page: str) -> int:
    """Number of Vega / Vega-Lite chart outputs in an exported page."""
    count = 0
    for cell in session_snapshot(page)["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data") or {}
            if any(_VEGA_MIMETYPE.match(mime) for mime in data):
                count += 1
            elif "application/vnd.marimo+mimebundle" in data:
                bundle = data["application/vnd.marimo+mimebundle"]
                bundle = json.loads(bundle) if isinstance(bundle, str) else bundle
                count += any(_VEGA_MIMETYPE.match(mime) for mime in bundle)
    return count


def _text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def title_and_question(page: str, fallback: str) -> tuple[str, str]:
    """The first ``# `` heading of the rendered notebook and the paragraph after it.

    Parameters
    ----------
    page : an exported page.
    fallback : title used when the notebook has no level-1 heading.
    """
    markdown = [
        output["data"]["text/markdown"]
        for cell in session_snapshot(page)["cells"]
        for output in cell.get("outputs", [])
        if "text/markdown" in (output.get("data") or {})
    ]
    for index, fragment in enumerate(markdown):
        match = re.search(r"<h1[^>]*>(.*?)</h1>(.*)", fragment, flags=re.S)
        if not match:
            continue
        title = _text_of(match.group(1))
        rest = [match.group(2), *markdown[index + 1 : index + 2]]
        for candidate in rest:
            paragraph = re.search(r"<(p|span class=\"paragraph\")[^>]*>(.*?)</(?:p|span)>", candidate, flags=re.S)
            if paragraph and _text_of(paragraph.group(2)):
                return title, _text_of(paragraph.group(2))
        return title, ""
    return fallback, ""


LEFT_OUT_MARK = "left out \u2014"
"""How every "X: left out — needs Y." sentence reads (quality.LeftOut.sentence)."""


def left_out_count(page: str) -> int:
    """How many items the exported page says are left out ("X: left out — needs Y.")."""
    try:
        snapshot = session_snapshot(page)
    except ReportError:
        return 0
    text = html.unescape(json.dumps(snapshot, ensure_ascii=False))
    # an output is stored in several forms (HTML, Markdown): count each left-out item once
    return len(set(re.findall(r"([^<>\"\n]{1,160}?): " + LEFT_OUT_MARK, text)))
