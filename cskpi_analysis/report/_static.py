"""Marimo's elements made static: parsed, and rendered as plain HTML with SVG charts and formatted tables."""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

from cskpi_analysis.commands._common import spreadsheet_safe
from cskpi_analysis.report._format import FormattedTable, _cell_text, _is_missing, _is_number, format_table
from cskpi_analysis.report._notebooks import ReportError
from cskpi_analysis.report._page import _text_of

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
