"""Single-file reports: each exported notebook as one self-contained HTML page that opens anywhere.

The interactive reports (:func:`cskpi_analysis.report.build_reports`) need marimo's JavaScript
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
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_to_bytes

from cskpi_analysis.report import CHROMIUM_FLAGS, Report, ReportError, _embedded_json, _text_of, session_snapshot

SINGLE_FILE_DIR = "single-file"
"""Folder of the single files inside the report folder."""
NAV_PLACEHOLDER = "<!-- cskpi:nav -->"
"""Where :func:`add_nav` puts the nav bar: the sibling reports are known once all are exported."""

__all__ = [
    "NAV_PLACEHOLDER",
    "SINGLE_FILE_DIR",
    "STYLESHEET",
    "FormattedTable",
    "add_nav",
    "check_single_file",
    "control_text",
    "format_table",
    "header_label",
    "print_pdf",
    "single_file_index",
    "single_file_page",
    "static_html",
]

# --- leader formatting ---

_PERCENT_WORDS = frozenset({"rate", "share", "retention", "nrr", "grr", "churn", "adoption", "risk"})
_MONEY_WORDS = frozenset({"mrr", "arr", "amount", "revenue"})
_P_VALUE = re.compile(r"^p$|^p_|_p$|_p_value$")
_BOUND = re.compile(r"^(?:lower|upper)(?:_\d+)?$|_(?:low|high|lower|upper)(?:_\d+)?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DAY_NAMED = re.compile(r"(?:date|day)s?$")
_ROW_UNIT_COLUMN = re.compile(r"^(?:value|baseline)$|_value$| ")
_ROW_NAME_COLUMNS = ("label", "name", "kpi", "metric")
_MISSING_TEXT = frozenset({"nan", "inf", "+inf", "-inf", "infinity", "-infinity", "nat", "none", "null"})
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
NOT_AVAILABLE = "n/a"

_ACRONYMS = {
    "mrr": "MRR", "arr": "ARR", "nrr": "NRR", "grr": "GRR", "nps": "NPS", "csat": "CSAT", "ttfv": "TTFV",
    "cs": "CS", "auc": "AUC", "id": "ID", "kpi": "KPI", "qbr": "QBR", "qbrs": "QBRs", "acv": "ACV",
    "ph": "PH", "ci": "CI", "ltv": "LTV", "cac": "CAC", "sla": "SLA", "csm": "CSM", "pct": "%",
}  # fmt: skip
_WINDOW = re.compile(r"^t?\d+[dwmqy]$")


def _words(name: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", name.lower()))


def header_label(name: str) -> str:
    """A column name in plain words: ``mrr_share`` -> ``MRR share``, ``nrr_t12m`` -> ``NRR (T12M)``.

    Names that already read as words (a space or a capital letter in them) keep their wording
    and only get a capital first letter. Otherwise underscores become spaces, the acronyms
    MRR, ARR, NRR, GRR, NPS, CSAT, TTFV, CS, AUC, ID, KPI, QBR, ACV, CI, LTV, CAC, SLA, CSM
    are upper-case, a window (``t12m``, ``1m``, ``30d``) goes in brackets at the end, ``p_value``
    is ``p-value`` and ``p_holm`` is ``p (Holm)``, and ``lower_95`` is ``Lower 95%``.

    Examples
    --------
    >>> header_label("logo_churn_rate"), header_label("account_id"), header_label("p_value")
    ('Logo churn rate', 'Account ID', 'p-value')
    """
    if " " in name or name != name.lower() or not name:
        return name[:1].upper() + name[1:]
    tokens = [t for t in name.split("_") if t]
    if not tokens:
        return name
    if tokens[0] == "p" and len(tokens) > 1:
        rest = " ".join(tokens[1:])
        return "p-value" if rest == "value" else f"p ({rest.capitalize()})"
    windows = [t.upper() for t in tokens[1:] if _WINDOW.match(t)]
    words = [t for i, t in enumerate(tokens) if i == 0 or not _WINDOW.match(t)]
    shown = []
    for index, word in enumerate(words):
        if word in _ACRONYMS:
            shown.append(_ACRONYMS[word])
        elif word.isdigit() and index > 0 and words[index - 1] in ("lower", "upper"):
            shown.append(f"{word}%")
        else:
            shown.append(word.capitalize() if index == 0 else word)
    return " ".join(shown) + "".join(f" ({w})" for w in windows)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_missing(value: Any, numeric: bool) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and not math.isfinite(value):
        return True
    return numeric and isinstance(value, str) and value.strip().lower() in _MISSING_TEXT


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _decimals(numbers: Sequence[float]) -> int:
    if not numbers or all(float(n).is_integer() for n in numbers):
        return 0
    top = max(abs(n) for n in numbers)
    return 0 if top >= 100 else 1 if top >= 10 else 2 if top >= 1 else 3


def _no_negative_zero(text: str) -> str:
    return text[1:] if text.startswith("-") and not re.search(r"[1-9]", text) else text


def _number(value: float, decimals: int) -> str:
    return _no_negative_zero(f"{value:,.{decimals}f}")


def _percent(value: float) -> str:
    return _no_negative_zero(f"{value * 100:.1f}%")


def _money(value: float) -> str:
    text = f"${abs(value):,.0f}"
    return text if value >= 0 or text == "$0" else "-" + text


def _p_value(value: float) -> str:
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _points(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    text = _no_negative_zero(text)
    return ("+" if value > 0 and text != "0" else "") + text + " pp"


def _date(moment: datetime, month_only: bool) -> str:
    month = f"{_MONTHS[moment.month - 1]} {moment.year}"
    if month_only:
        return month
    clock = f" {moment:%H:%M}" if (moment.hour, moment.minute, moment.second) != (0, 0, 0) else ""
    return f"{moment.day} {month}{clock}"


def _column_kind(name: str, values: Sequence[Any], field_type: str | None) -> str:
    present = [v for v in values if not _is_missing(v, numeric=False)]
    if field_type == "boolean" or (present and all(isinstance(v, bool) for v in present)):
        return "bool"
    if field_type in ("date", "datetime") or (present and all(_as_datetime(v) for v in present)):
        return "date"
    numeric = field_type in ("integer", "number") or (present and all(_is_number(v) for v in present))
    if not numeric:
        return "text"
    numbers = [v for v in values if _is_number(v) and math.isfinite(v)]
    words, lower = _words(name), name.lower()
    if _P_VALUE.search(lower):
        return "p"
    if "pp" in words:
        return "pp"
    if words & _PERCENT_WORDS and field_type != "integer" and all(-10 <= v <= 10 for v in numbers):
        return "percent"
    if words & _MONEY_WORDS:
        return "money"
    if lower == "year" or lower.endswith("_year"):
        return "year"
    return "number"


@dataclass(frozen=True)
class FormattedTable:
    """A table as a leader reads it.

    Attributes
    ----------
    headers : column names in plain words (:func:`header_label`).
    numeric : whether each column holds numbers (right-aligned).
    cells : the formatted values, one list per row.
    """

    headers: list[str]
    numeric: list[bool]
    cells: list[list[str]] = field(repr=False)


def format_table(
    columns: Sequence[str], rows: Sequence[Mapping[str, Any]], field_types: Mapping[str, str] | None = None
) -> FormattedTable:
    """Format a table's values for a leader; every rule is here, the first that matches applies.

    ===  =========================================  ==============================  ======================
    #    column (name, type)                        condition                       shown as
    ===  =========================================  ==============================  ======================
    1    any                                        None, NaN, inf (also the text   ``n/a``
                                                    ``"inf"`` in a number column)
    2    booleans                                                                   ``yes`` / ``no``
    3    dates, timestamps (type ``date`` /         every value the 1st of a month  ``Jul 2026``
         ``datetime``, or ISO text)                 and the name not ``*date`` /
                                                    ``*day``
    4    dates, timestamps                          otherwise                       ``3 Jul 2026``
                                                                                    (``14:05`` if timed)
    5    p-value: ``p``, ``p_*``, ``*_p``,                                          ``< 0.001``, ``0.467``
         ``*_p_value``
    6    percentage points: a word ``pp``                                           ``-0.9 pp``
    7    rate: a word rate, share, retention, nrr,  not integer-typed, every value  ``97.1%``
         grr, churn, adoption or risk               within [-10, 10]
    8    money: a word mrr, arr, amount, revenue                                    ``$5,533``,
                                                                                    ``-$17,348``
    9    an interval bound (``lower_95``,           its own name matched none of    like that column
         ``*_low``, ``*_upper``...)                 5-8                             (rules 7-8)
    10   a KPI's value (``value``, ``baseline``,    the row's name (``label``,      ``97.1%`` (else
         ``*_value``, a name with spaces) in a      ``name``, ``kpi``; ``X_name``   rule 12)
         table with a name column                   for ``X_value``) says rate
                                                    (rule 7's words), value within
                                                    [-10, 10]
    11   ``year``, ``*_year``                                                       ``2023``
    12   other numbers                              decimals from the column's      ``1,970``, ``24.7``,
                                                    largest value: whole numbers    ``2.62``, ``0.971``
                                                    0; >= 100: 0; >= 10: 1; >= 1:
                                                    2; else 3
    13   text                                                                       as is
    ===  =========================================  ==============================  ======================

    It is a heuristic on names and values, meant for reading; the raw values go in the CSV.

    Parameters
    ----------
    columns : the columns to show, in order.
    rows : one mapping per row (column -> raw value, as marimo serialised it).
    field_types : column -> marimo's field type (``integer``, ``number``, ``string``,
        ``boolean``, ``date``, ``datetime``); guessed from the values where missing.

    Examples
    --------
    >>> table = format_table(["segment", "nrr_t12m", "mrr"], [{"segment": "SMB", "nrr_t12m": 0.9706, "mrr": 5532.558}])
    >>> table.headers, table.cells
    (['Segment', 'NRR (T12M)', 'MRR'], [['SMB', '97.1%', '$5,533']])
    """
    field_types = field_types or {}
    values = {c: [row.get(c) for row in rows] for c in columns}
    kinds = {c: _column_kind(c, values[c], field_types.get(c)) for c in columns}
    previous = None
    for column in columns:  # rule 9: a bound is formatted like the column it bounds
        if _BOUND.search(column.lower()):
            inherited = kinds.get(previous) if previous else None
            numbers = [v for v in values[column] if _is_number(v) and math.isfinite(v)]
            if kinds[column] == "number" and inherited == "money":
                kinds[column] = "money"
            elif kinds[column] == "number" and inherited == "percent" and all(-10 <= v <= 10 for v in numbers):
                kinds[column] = "percent"
        else:
            previous = column
    row_names: dict[str, str | None] = {}
    for column in columns:  # rule 10: a KPI's value takes its unit from the row's name
        if kinds[column] == "number" and _ROW_UNIT_COLUMN.search(column.lower()):
            own = column[: -len("_value")] + "_name" if column.lower().endswith("_value") else None
            candidates = [own] if own in values else [n for n in _ROW_NAME_COLUMNS if n in values]
            row_names[column] = candidates[0] if candidates else None

    def rate_row(column: str, row: Mapping[str, Any], value: Any) -> bool:
        name_column = row_names.get(column)
        if not name_column or not _is_number(value) or not -10 <= value <= 10:
            return False
        return bool(_words(str(row.get(name_column) or "")) & _PERCENT_WORDS)

    decimals = {}
    month_only = {}
    for column in columns:
        if kinds[column] == "number":
            numbers = [
                v
                for row, v in zip(rows, values[column], strict=True)
                if _is_number(v) and math.isfinite(v) and not rate_row(column, row, v)
            ]
            decimals[column] = _decimals(numbers)
        elif kinds[column] == "date":
            moments = [m for m in (_as_datetime(str(v)) for v in values[column]) if m is not None]
            month_only[column] = (
                bool(moments)
                and all((m.day, m.hour, m.minute, m.second) == (1, 0, 0, 0) for m in moments)
                and not _DAY_NAMED.search(column.lower())
            )

    def cell(column: str, row: Mapping[str, Any]) -> str:
        value, kind = row.get(column), kinds[column]
        if _is_missing(value, numeric=kind not in ("text", "bool")):
            return NOT_AVAILABLE
        if kind == "bool":
            return "yes" if value else "no"
        if kind == "date":
            moment = _as_datetime(str(value))
            return _date(moment, month_only[column]) if moment else str(value)
        if kind == "text" or not _is_number(value):
            return _cell_text(value)
        if kind == "p":
            return _p_value(value)
        if kind == "pp":
            return _points(value)
        if kind == "percent" or (kind == "number" and rate_row(column, row, value)):
            return _percent(value)
        if kind == "money":
            return _money(value)
        if kind == "year":
            return str(int(value)) if float(value).is_integer() else str(value)
        return _number(value, decimals[column])

    return FormattedTable(
        headers=[header_label(c) for c in columns],
        numeric=[kinds[c] not in ("text", "bool", "date") for c in columns],
        cells=[[cell(c, row) for c in columns] for row in rows],
    )


def _cell_text(value: Any) -> str:
    if isinstance(value, dict) and "_serialized_mime_bundle" in value:
        bundle = value["_serialized_mime_bundle"] or {}
        data = bundle.get("data", "")
        return _text_of(str(data)) if "html" in str(bundle.get("mimetype", "")) else str(data)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# --- marimo's HTML as a tree ---

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
_DROPPED = frozenset(
    {"script", "style", "iframe", "object", "embed", "link", "meta", "base", "input", "select", "textarea",
     "button", "template", "noscript", "frame", "frameset", "applet", "audio", "video", "source", "track"}
)  # fmt: skip
"""Removed with their content: scripts, form controls, and anything that loads a resource."""
_UNWRAPPED = frozenset({"form", "marimo-ui-element", "marimo-dict", "marimo-array", "marimo-batch", "marimo-carousel"})
_SVG_NAMES = {
    name.lower(): name
    for name in (
        "viewBox", "preserveAspectRatio", "gradientUnits", "gradientTransform", "patternUnits", "clipPath",
        "clipPathUnits", "linearGradient", "radialGradient", "foreignObject", "textPath", "markerWidth",
        "markerHeight", "refX", "refY", "stdDeviation", "textLength", "lengthAdjust", "startOffset",
        "markerUnits", "patternContentUnits", "patternTransform", "spreadMethod", "maskUnits", "feGaussianBlur",
    )
}  # fmt: skip
"""HTML parsing lower-cases names; SVG needs these back in camel case."""

_SCRIPT_URL = re.compile(r"(?i)(?:javascript|vbscript):")
"""An attribute value a browser would run (``href="javascript:..."``): the attribute is dropped."""
_CONTROLS = {
    "marimo-dropdown", "marimo-radio", "marimo-slider", "marimo-range-slider", "marimo-switch",
    "marimo-checkbox", "marimo-multiselect", "marimo-text", "marimo-text-area", "marimo-number",
    "marimo-date", "marimo-datetime", "marimo-date-range", "marimo-code-editor", "marimo-matrix",
}  # fmt: skip
_NO_DATA = {
    "marimo-button", "marimo-refresh", "marimo-progress", "marimo-microphone", "marimo-file",
    "marimo-file-browser", "marimo-chatbot",
}  # fmt: skip
"""Elements that show no result of the notebook: left out of the single file."""


@dataclass
class _Element:
    tag: str
    attrs: list[tuple[str, str | None]]
    children: list[_Element | str] = field(default_factory=list)

    def attr(self, name: str) -> str | None:
        return next((value for key, value in self.attrs if key == name), None)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Element("#root", [])
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = _Element(tag, attrs)
        self.stack[-1].children.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(_Element(tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def _parse(fragment: str) -> _Element:
    builder = _TreeBuilder()
    builder.feed(fragment)
    builder.close()
    return builder.root


def _json_attr(element: _Element, name: str, default: Any = None) -> Any:
    """A marimo ``data-*`` attribute: JSON (the HTML entities are already decoded by the parser)."""
    raw = element.attr(name)
    if raw is None:
        return default
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def control_text(tag: str, label_html: str, value: Any, steps: Sequence[Any] = ()) -> str:
    """What a control shows, as ``"Segment: All"``: its label in plain text and its initial value.

    Lists (a dropdown's or multiselect's selection, a range) are joined with ", " (a range
    with " to "); an empty selection is "none"; booleans are "yes"/"no"; a slider with ``steps``
    shows the step its value indexes.

    Examples
    --------
    >>> control_text("marimo-dropdown", "<span class='paragraph'>Segment</span>", ["All"])
    'Segment: All'
    """
    label = _text_of(label_html or "").rstrip(":")
    if steps and tag in ("marimo-slider", "marimo-range-slider"):
        indexes = value if isinstance(value, list) else [value]
        value = [steps[int(i)] if _is_number(i) and 0 <= int(i) < len(steps) else i for i in indexes]
        value = value if tag == "marimo-range-slider" else value[0]
    if isinstance(value, bool):
        shown = "yes" if value else "no"
    elif isinstance(value, list):
        joiner = " to " if tag in ("marimo-range-slider", "marimo-date-range") else ", "
        shown = joiner.join(_plain(v) for v in value) or "none"
    elif value is None or value == "":
        shown = "none"
    else:
        shown = _plain(value)
    return f"{label}: {shown}" if label else f"Shown: {shown}"


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# --- rendering ---


@dataclass
class _Context:
    """What rendering one report needs: its name (for download file names) and the chart renderer."""

    stem: str
    chart_svg: Callable[[str, Any], str]
    charts: int = 0
    tables: int = 0


def _chart_svg(mime: str, spec: Any) -> str:
    """A chart drawn as SVG by vl-convert; data may come only from the spec or a ``data:`` URL, never the network."""
    import vl_convert

    spec = json.loads(spec) if isinstance(spec, str) else spec
    if "vegalite" in mime:
        return vl_convert.vegalite_to_svg(spec, allowed_base_urls=["data:"])
    return vl_convert.vega_to_svg(spec, allowed_base_urls=["data:"])


def _chart_figure(mime: str, spec: Any, context: _Context) -> str:
    try:
        svg = context.chart_svg(mime, spec)
    except (ValueError, RuntimeError) as exc:
        raise ReportError(f"a chart could not be drawn as SVG: {str(exc).splitlines()[0]}") from None
    context.charts += 1
    number = context.charts
    standalone = re.sub(r"^<\?xml[^>]*>\s*", "", svg.strip())
    inline = re.sub(r'\s(?:xmlns(?::\w+)?|version)="[^"]*"', "", standalone.split(">", 1)[0]) + ">"
    inline += standalone.split(">", 1)[1]
    # ids (gradients, clip paths) must be unique in the page that holds every chart
    prefix = f"c{number}-"
    inline = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', inline)
    inline = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", inline)
    inline = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', inline)
    inline = inline.replace("<svg", '<svg role="img"', 1)
    download = "data:image/svg+xml;base64," + base64.b64encode(standalone.encode("utf-8")).decode("ascii")
    name = f"{context.stem}-chart-{number}.svg"
    return (
        f'<figure class="chart">{inline}<figcaption><a class="download" download="{name}" '
        f'href="{download}">Download SVG</a></figcaption></figure>'
    )


def _table_rows(element: _Element) -> list[dict[str, Any]] | None:
    data = _json_attr(element, "data-data")
    if isinstance(data, str) and data.startswith("data:"):
        header, _, payload = data.partition(",")
        text = base64.b64decode(payload).decode("utf-8") if ";base64" in header else payload
        if "csv" in header:
            return list(csv.DictReader(io.StringIO(text)))
        data = text
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return None
    if isinstance(data, list) and all(isinstance(row, dict) for row in data):
        return data
    return None


def _csv_uri(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    """The rows as CSV in a data URI: raw values, missing ones empty, and text a spreadsheet would run
    as a formula quoted (:func:`cskpi_analysis.commands._common.spreadsheet_safe`)."""
    from cskpi_analysis.commands._common import spreadsheet_safe

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([spreadsheet_safe(c) for c in columns])
    for row in rows:
        values = [row.get(c) for c in columns]
        writer.writerow(
            [
                "" if _is_missing(v, numeric=False) else v if _is_number(v) else spreadsheet_safe(_cell_text(v))
                for v in values
            ]
        )
    return "data:text/csv;charset=utf-8," + quote(buffer.getvalue(), safe="")


def _table_figure(element: _Element, context: _Context) -> str:
    rows = _table_rows(element)
    if rows is None:
        return _interactive_only("a table")
    field_types = {name: kinds[0] for name, kinds in _json_attr(element, "data-field-types", []) or []}
    hidden = set(_json_attr(element, "data-hidden-columns", []) or [])
    named_index = [
        name
        for name, _ in _json_attr(element, "data-row-headers", []) or []
        if name and not re.fullmatch(r"(?i)index\d*|level_\d+", name)
    ]
    columns = list(field_types) or [c for c in (rows[0] if rows else {}) if c not in dict.fromkeys(named_index)]
    columns = [c for c in named_index if c not in columns] + [c for c in columns if c not in hidden]
    table = format_table(columns, rows, field_types)
    context.tables += 1
    head = "".join(
        f"<th{' class=num' if numeric else ''} scope=col>{html.escape(h)}</th>"
        for h, numeric in zip(table.headers, table.numeric, strict=True)
    )
    body = "\n".join(
        "<tr>" + "".join(_td(value, numeric) for value, numeric in zip(cells, table.numeric, strict=True)) + "</tr>"
        for cells in table.cells
    )
    total = _json_attr(element, "data-total-rows")
    notes = []
    if _is_number(total) and total > len(rows):
        notes.append(
            f"The first {len(rows):,} of {int(total):,} rows; the interactive report pages through all of them."
        )
    name = f"{context.stem}-table-{context.tables}.csv"
    notes.append(f'<a class="download" download="{name}" href="{_csv_uri(columns, rows)}">Download CSV</a>')
    label = _json_attr(element, "data-label")
    caption = f'<p class="table-label">{html.escape(_text_of(label))}</p>' if isinstance(label, str) and label else ""
    wide = ' class="wide"' if len(columns) > 8 else ""
    cards = ""
    if _print_width(table) > PRINT_WIDTH_PX:  # on paper, one card per row instead of a table cut off
        cards = '<div class="cards">' + "".join(_card(table.headers, cells) for cells in table.cells) + "</div>"
    return (
        f'<figure class="table">{caption}<div class="table-wrap{" has-cards" if cards else ""}"><table{wide}>'
        f"<thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table></div>{cards}"
        f"<figcaption>{' '.join(notes)}</figcaption></figure>"
    )


PRINT_WIDTH_PX = 640
"""Width a printed table may take: A4 less 15 mm margins is 180 mm, 680 CSS pixels, less some slack."""
_PRINT_CHAR_PX = 5.6
"""Average width of a character of the printed tables (7.5 pt system sans-serif, bold headers)."""
_PRINT_CELL_PADDING_PX = 9


def _print_width(table: FormattedTable) -> float:
    """Narrowest width the table can be printed at without breaking a word: the sum, over columns, of
    the longest word (at most 18 characters: longer ones get break opportunities, see :func:`_breakable`)."""
    width = 0.0
    for index, header in enumerate(table.headers):
        texts = [header, *(row[index] for row in table.cells)]
        longest = max((min(len(word), 18) for text in texts for word in text.split()), default=0)
        width += longest * _PRINT_CHAR_PX + _PRINT_CELL_PADDING_PX
    return width


def _card(headers: Sequence[str], cells: Sequence[str]) -> str:
    """One row on paper: its first value as a title, then label-over-value items, several to a line."""
    items = "".join(
        f'<div class="{"first" if index == 0 else "long" if len(value) > 30 else "item"}">'
        f"<dt>{html.escape(header)}</dt><dd>{_breakable(value)}</dd></div>"
        for index, (header, value) in enumerate(zip(headers, cells, strict=True))
        if value
    )
    return f'<dl class="card">{items}</dl>'


def _breakable(text: str) -> str:
    """``text`` escaped, with a line-break opportunity after ``_ / - .`` inside words longer than 18 characters."""
    parts = []
    for word in re.split(r"(\s+)", text):
        escaped = html.escape(word)
        if len(word) > 18:
            escaped = re.sub(r"([_/.-])", r"\1<wbr>", escaped)
        parts.append(escaped)
    return "".join(parts)


def _td(value: str, numeric: bool) -> str:
    """A cell; long text gets a minimum width so that a wide table scrolls instead of wrapping it word by word."""
    if numeric:
        return f"<td class=num>{html.escape(value)}</td>"
    size = " class=long" if len(value) > 40 else " class=mid" if len(value) > 14 else ""
    return f"<td{size}>{_breakable(value)}</td>"


def _interactive_only(what: str) -> str:
    return f'<p class="interactive-only">{html.escape(what.capitalize())} is only in the interactive report.</p>'


_MIME_ORDER = (
    "application/vnd.vegalite.v6+json", "application/vnd.vegalite.v5+json", "application/vnd.vega.v6+json",
    "application/vnd.vega.v5+json", "text/html", "text/markdown", "image/svg+xml", "image/png", "image/jpeg",
    "image/gif", "application/json", "text/plain",
)  # fmt: skip
_VEGA = re.compile(r"^application/vnd\.vega(?:lite)?\.v\d+\+json$")


def _render_mime(mime: str, data: Any, context: _Context) -> str:
    if _VEGA.match(mime):
        return _chart_figure(mime, data, context)
    if mime == "application/vnd.marimo+mimebundle":
        bundle = json.loads(data) if isinstance(data, str) else data or {}
        best = sorted(bundle, key=lambda m: _MIME_ORDER.index(m) if m in _MIME_ORDER else len(_MIME_ORDER))
        return _render_mime(best[0], bundle[best[0]], context) if best else ""
    if mime in ("text/html", "text/markdown", "image/svg+xml"):
        return static_html(str(data), context)
    if mime.startswith("image/"):
        source = str(data)
        if not source.startswith("data:"):
            source = f"data:{mime};base64,{source}"
        return f'<img alt="" src="{html.escape(source)}">'
    if mime == "application/json":
        text = data if isinstance(data, str) else json.dumps(data, indent=2, ensure_ascii=False)
        return f"<pre>{html.escape(text)}</pre>"
    if mime == "text/plain":
        return f"<pre>{html.escape(str(data))}</pre>" if str(data).strip() else ""
    return _interactive_only(f"an output of type {mime}")


def _render(node: _Element | str, context: _Context) -> str:
    if isinstance(node, str):
        return html.escape(node, quote=False)
    tag = node.tag

    def inner() -> str:  # rendered only where kept: a chart inside is drawn (and numbered) once
        return "".join(_render(child, context) for child in node.children)

    if tag == "#root" or tag in _UNWRAPPED:
        return inner()
    if tag in _DROPPED or tag in _NO_DATA:
        return ""
    if tag in ("marimo-table", "marimo-data-editor"):
        return _table_figure(node, context)
    if tag in _CONTROLS:
        steps = _json_attr(node, "data-steps", []) or []
        text = control_text(tag, _json_attr(node, "data-label") or "", _json_attr(node, "data-initial-value"), steps)
        return f'<p class="shown">{html.escape(text)}</p>'
    if tag == "marimo-mime-renderer":
        return _render_mime(str(_json_attr(node, "data-mime", "")), _json_attr(node, "data-data"), context)
    if tag == "marimo-vega":
        spec = _json_attr(node, "data-spec")
        mime = "application/vnd.vega.v5+json" if _json_attr(node, "data-spec-type") == "vega" else "vegalite"
        return _chart_figure(mime, spec, context)
    if tag == "marimo-callout-output":
        kind = re.sub(r"[^a-z-]", "", str(_json_attr(node, "data-kind", "neutral")))
        return (
            f'<div class="callout callout-{kind}">{static_html(str(_json_attr(node, "data-html", "")), context)}</div>'
        )
    if tag == "marimo-tabs":
        labels = _json_attr(node, "data-tabs", []) or []
        tabs = [c for c in node.children if isinstance(c, _Element)]
        parts = []
        for index, tab in enumerate(tabs):
            label = _text_of(labels[index]) if index < len(labels) else f"Tab {index + 1}"
            body = "".join(_render(child, context) for child in tab.children)
            parts.append(f'<section class="tab"><h4 class="tab-label">{html.escape(label)}</h4>{body}</section>')
        return f'<div class="tabs">{"".join(parts)}</div>'
    if tag == "marimo-accordion":
        labels = _json_attr(node, "data-labels", []) or []
        expanded = {str(i) for i in _json_attr(node, "data-expanded", []) or []}
        items = [c for c in node.children if isinstance(c, _Element)]
        return "".join(
            f"<details{' open' if str(index) in expanded else ''}><summary>"
            f"{static_html(labels[index], context) if index < len(labels) else f'Item {index + 1}'}</summary>"
            + "".join(_render(child, context) for child in item.children)
            + "</details>"
            for index, item in enumerate(items)
        )
    if tag == "marimo-json-output":
        data = _json_attr(node, "data-json-data")
        return f"<pre>{html.escape(json.dumps(data, indent=2, ensure_ascii=False))}</pre>"
    if tag == "marimo-tex":
        return f'<span class="tex">{inner()}</span>'
    if tag == "marimo-stat":
        parts = [
            f'<span class="stat-{part}">{html.escape(_text_of(str(value)))}</span>'
            for part in ("label", "value", "caption")
            if (value := _json_attr(node, f"data-{part}")) not in (None, "")
        ]
        return f'<div class="stat">{"".join(parts)}</div>'
    if tag.startswith("marimo-"):
        content = inner()
        return content if content.strip() else _interactive_only(f"an interactive part ({tag.removeprefix('marimo-')})")
    name = _SVG_NAMES.get(tag, tag)
    attributes = "".join(
        f" {_SVG_NAMES.get(key, key)}" + ("" if value is None else f'="{html.escape(value)}"')
        for key, value in node.attrs
        if not key.startswith("on")
        and re.fullmatch(r"[a-z_:][\w:.-]*", key)
        and not _SCRIPT_URL.match(re.sub(r"[\x00-\x20]", "", value or ""))
    )
    if tag in _VOID:
        return f"<{name}{attributes}>"
    return f"<{name}{attributes}>{inner()}</{name}>"


def static_html(fragment: str, context: _Context | None = None) -> str:
    """``fragment`` (marimo's HTML for a cell output) without JavaScript, controls or marimo elements.

    Tables become ``<table>``, charts inline SVG, controls a ``<p class="shown">`` sentence
    (see the module docstring for every element kind). Event handlers (``on*=``) are dropped.

    Examples
    --------
    >>> static_html("<marimo-radio data-initial-value='&quot;Month&quot;' data-label='&quot;Grain&quot;'></marimo-radio>")
    '<p class="shown">Grain: Month</p>'
    """
    return _render(_parse(fragment), context or _Context("report", _chart_svg))


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


# --- checks ---

_DATA_URI = re.compile(r'(?<=href=")data:([^,"]*),([^"]*)(?=")')


def check_single_file(single_file: str) -> list[str]:
    """Every reason a single file may not be sent (empty when it may): personal data, network references.

    The downloads' data URIs are decoded and checked as text, like the rest of the page.
    (:func:`cskpi_analysis.report.find_personal_data` on a long base64 or percent-encoded run
    takes minutes: its e-mail pattern backtracks over a run of e-mail characters.)
    """
    from cskpi_analysis.report import find_personal_data, remote_references

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


# --- PDF ---

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
    from cskpi_analysis.report import run_tracked

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


# --- the stylesheet ---

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
