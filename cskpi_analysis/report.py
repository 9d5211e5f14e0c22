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
   (:mod:`cskpi_analysis.static_report`: static SVG charts, plain tables, no script), checked
   like the page (personal data, network references); with ``pdf=True`` also ``NN_topic.pdf``.

The reports are written atomically: everything is built in a temporary folder
next to ``--out`` and swapped in at the end; on failure nothing partial remains.
The interactive reports use ES modules, which browsers refuse from ``file://``: open them
with ``cskpi serve reports``. The single files open anywhere (from disk, as an attachment).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from cskpi_analysis.errors import CskpiError

NOTEBOOK_GLOB = "[0-9][0-9]_*.py"
ASSETS_DIR = "assets"
MARKER_FILE = ".cskpi-reports"
"""Marks a folder written by :func:`build_reports`, so that a rebuild may replace it."""

CDN_PATTERN = re.compile(r"https://cdn\.jsdelivr\.net/npm/@marimo-team/frontend@[^/\"'\s]+/dist/")
_FRONTEND_ROOT_FILES = ("favicon.ico", "apple-touch-icon.png", "manifest.json")
_VEGA_MIMETYPE = re.compile(r"^application/vnd\.vega(?:lite)?\.v\d+\+json$")


class ReportError(CskpiError):
    """A notebook could not be exported as a clean, offline, privacy-safe report."""


@dataclass(frozen=True)
class Report:
    """One exported notebook.

    Attributes
    ----------
    notebook : the marimo source, ``notebooks/NN_topic.py``.
    file_name : the report's file name inside the output folder, ``NN_topic.html``.
    title : the notebook's first ``# `` heading (the file stem if it has none).
    question : the sentence after the title: the question the notebook answers.
    charts : number of Vega/Vega-Lite chart outputs in the report.
    seconds : wall time of the export.
    left_out : sections or items the notebook left out for lack of data (its "left out —"
        sentences); the index marks such a report.
    single_file : the self-contained copy, ``single-file/NN_topic.html`` ("" if none was written).
    pdf : its PDF, ``single-file/NN_topic.pdf`` ("" if none was printed).
    """

    notebook: Path
    file_name: str
    title: str
    question: str
    charts: int
    seconds: float
    left_out: int = 0
    single_file: str = ""
    pdf: str = ""


# --- discovery and the frontend bundle ---


def find_notebooks(folder: Path) -> list[Path]:
    """The marimo notebooks ``NN_topic.py`` in ``folder``: the executive summary (``NN_summary.py``)
    first, as a leader reads it, then the others in file-name order."""
    found = [p for p in Path(folder).glob(NOTEBOOK_GLOB) if p.is_file()]
    return sorted(found, key=lambda p: (not p.stem.endswith("_summary"), p.name))


def default_notebooks() -> Path:
    """The suite's notebooks, wherever cskpi is installed.

    A source checkout (an editable install) has them in ``notebooks/`` beside the package;
    ``pip install`` puts them in ``<prefix>/share/cskpi/notebooks``. The working directory
    plays no part.
    """
    checkout = Path(__file__).resolve().parents[1] / "notebooks"
    installed = Path(sys.prefix) / "share" / "cskpi" / "notebooks"
    for folder in (checkout, installed):
        if find_notebooks(folder):
            return folder
    raise ReportError(f"the cskpi notebooks are missing: neither {checkout} nor {installed} holds NN_topic.py files")


def frontend_dir() -> Path:
    """The frontend shipped inside the installed marimo wheel (``marimo/_static``)."""
    import marimo

    return Path(marimo.__file__).parent / "_static"


def copy_frontend(dest: Path) -> Path:
    """Copy marimo's frontend into ``dest/assets`` once, for every report to share.

    All of ``_static/assets`` is copied (about 27 MB): following the static and
    dynamic imports from the entry module reaches every one of its files, so any
    smaller subset would be a guess that breaks a lazily loaded chunk.

    Returns
    -------
    Path
        The ``assets`` folder.
    """
    static = frontend_dir()
    assets = Path(dest) / ASSETS_DIR
    shutil.copytree(static / "assets", assets)
    for name in _FRONTEND_ROOT_FILES:
        if (static / name).exists():
            shutil.copy2(static / name, assets / name)
    return assets


def make_offline(page: str, assets_url: str = ASSETS_DIR + "/") -> str:
    """Point an exported page's frontend URLs at the local ``assets/`` copy.

    ``https://cdn.jsdelivr.net/npm/@marimo-team/frontend@V/dist/assets/x.js``
    becomes ``assets/x.js`` and ``.../dist/favicon.ico`` becomes
    ``assets/favicon.ico``. Chunks that the entry module imports later are
    resolved against its own URL, so they load from ``assets/`` too.
    """
    page = re.sub(CDN_PATTERN.pattern + "assets/", assets_url, page)
    return CDN_PATTERN.sub(assets_url, page)


#: Attributes whose URL the browser fetches while rendering (``href`` too, except on links).
_FETCHED_ATTRIBUTES = frozenset(
    {"src", "srcset", "imagesrcset", "poster", "background", "data", "codebase", "lowsrc", "dynsrc",
     "href", "xlink:href", "action", "formaction", "manifest", "icon"}
)  # fmt: skip
_NAVIGATION_TAGS = frozenset({"a", "area"})
"""Tags whose ``href`` is only followed on a click: not fetched to render the page."""
_TAG = re.compile(r"""<([a-zA-Z][\w:.-]*)((?:[^<>"']++|"[^"]*+"|'[^']*+')*+)>""")
_ATTRIBUTE = re.compile(r"""([^\s"'<>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
_REMOTE_URL = re.compile(r"^(?:(?:https?|ftp|wss?):|[\\/]{2}(?=[^\\/\s]))", re.IGNORECASE)
_CSS_URL = re.compile(r"""(?:url\(\s*|@import\s+)["']?\s*((?:https?:)?[\\/]{2}[^"')\s]+)""", re.IGNORECASE)
_ANY_URL = re.compile(r"""(?:https?:)?//[^\s"'<>`\\)]+""", re.IGNORECASE)
_CDN_HOST = re.compile(r"""(?:https?:)?//cdn\.jsdelivr\.net[^"'\s)]*""")
_TABLE_URL = re.compile(r"https?://[^\s\"<>`{}|\\^]+")
_TABLE_IMAGE = re.compile(r"\.(?:png|jpe?g|gif|webp|svg|ico)(?:\?.*)?$|avatars\.githubusercontent\.com", re.IGNORECASE)
"""marimo's tables (0.25) show a URL in a cell's text as an ``<img>`` when it ends in an image
extension or is on ``avatars.githubusercontent.com``: fetched as soon as the row is displayed."""


def _attribute_value(raw: str) -> str:
    return raw[1:-1] if len(raw) > 1 and raw[0] in "\"'" and raw[-1] == raw[0] else raw


def _url_value(raw: str) -> str:
    # browsers strip surrounding spaces and drop tabs and newlines anywhere in a URL
    return re.sub(r"[\t\n\r]", "", _attribute_value(raw)).strip(" \f\x00")


def _fetched_urls(view: str) -> Iterator[str]:
    for tag, attributes in _TAG.findall(view):
        tag = tag.lower()
        for name, raw in _ATTRIBUTE.findall(attributes):
            name, value = name.lower(), _url_value(html.unescape(raw))
            if name == "href" and tag in _NAVIGATION_TAGS:
                continue
            if name in _FETCHED_ATTRIBUTES:
                candidates = [c.split()[0] for c in value.split(",") if c.split()] if "srcset" in name else [value]
                yield from (c for c in candidates if _REMOTE_URL.match(c))
            elif name.startswith("on") or name == "style" or (tag == "meta" and name == "content"):
                yield from _ANY_URL.findall(value)  # a handler's fetch(), a style's url(), a refresh
    yield from _CSS_URL.findall(view)
    for url in _TABLE_URL.findall(view):
        if _TABLE_IMAGE.search(url):
            yield url


def _markup_views(page: str, depth: int = 5) -> Iterator[str]:
    """``page`` and the payloads in it that a browser or marimo's frontend may parse as HTML.

    Like :func:`decoded_views` (JSON escapes, URL encoding, base64 runs), except for HTML
    entities: a browser decodes them in attribute values, which marimo's elements read as
    HTML or JSON, but in text they stay text. So ``data-label="&lt;img src=...&gt;"`` gives
    a view holding ``<img src=...>``, while ``<p>&lt;img src=...&gt;</p>`` (a name escaped
    by :func:`cskpi_analysis.narrative.user_text`, shown as text) gives none.
    """
    seen: set[str] = set()
    frontier = [page]
    for _ in range(depth):
        next_frontier = []
        for view in frontier:
            if view in seen:
                continue
            seen.add(view)
            yield view
            next_frontier.append(unquote(_json_unescape(view)))
            for _, attributes in _TAG.findall(view):
                next_frontier += [
                    html.unescape(_attribute_value(raw))
                    for _, raw in _ATTRIBUTE.findall(attributes)
                    if "&" in raw or "<" in raw
                ]
            next_frontier += _base64_texts(view)
        frontier = next_frontier


def remote_references(page: str) -> list[str]:
    """URLs the browser would fetch from the network to render ``page``.

    Looks at the page and at every payload in it that may be parsed as HTML
    (:func:`_markup_views`), so that an ``<img src="https://...">`` inside marimo's
    embedded JSON (quotes written ``\\"`` or ``\\u0022``, slashes ``\\/``) or inside an
    HTML-escaped attribute value (``&quot;``, ``&#34;``) is found as well as one in the
    page itself. Reports

    - URL-valued attributes that are fetched to render (``src``, ``srcset``, ``poster``,
      ``data``, ``href`` of anything but an ``<a>``/``<area>`` link...), CSS ``url()`` and
      ``@import``, and URLs inside ``on*=`` handlers, ``style=`` and ``<meta content>``:
      ``http(s):``, ``ftp:``, ``ws(s):`` and protocol-relative (``//``, ``\\\\``) URLs;
    - ``http(s)`` URLs of images anywhere in the text: marimo's tables show them as images;
    - any mention of the CDN host marimo loads its frontend from.

    Links (``<a href>``) are followed only on a click and are not reported; ``$schema``
    URLs inside chart specs are identifiers, never fetched, and are not reported either.
    """
    found: set[str] = set()
    for view in _markup_views(page):
        found.update(_fetched_urls(view))
        found.update(_CDN_HOST.findall(view))
    return sorted(found)


# --- what marimo serialised into the page ---


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


# --- privacy ---

_EMAIL = re.compile(
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
    r"\.(?!(?:png|jpe?g|gif|svg|webp|ico|js|mjs|css|json|woff2?|ttf|wasm|map)\b)[A-Za-z]{2,24}\b"
)
_PHONE = re.compile(
    r"(?<![\w+.:/-])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]\d{2,4}){1,4}"
    r"|\(\d{3}\) ?\d{3}-\d{4}|\d{3}-\d{3}-\d{4})(?![\w-])"
)
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{24,}={0,2}")


def _json_unescape(text: str) -> str:
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return re.sub(r"\\([\"\\/])", r"\1", text)


def decoded_views(text: str, depth: int = 4) -> Iterator[str]:
    """``text`` and what it decodes to: JSON escapes, HTML entities, URL encoding, base64.

    Each decoding is applied repeatedly (payloads are often escaped several
    times over); base64 runs that decode to UTF-8 text are decoded in turn.
    """
    seen: set[str] = set()
    frontier = [text]
    for _ in range(depth):
        next_frontier = []
        for view in frontier:
            if view in seen:
                continue
            seen.add(view)
            yield view
            next_frontier.append(unquote(html.unescape(_json_unescape(view))))
            next_frontier += _base64_texts(view)
        frontier = next_frontier


def _base64_texts(text: str) -> list[str]:
    """The runs of base64 in ``text`` that decode to UTF-8 text, decoded."""
    texts = []
    for run in _BASE64_RUN.findall(text):
        try:
            texts.append(base64.b64decode(run + "=" * (-len(run) % 4), validate=True).decode("utf-8"))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
    return texts


def _mask(value: str) -> str:
    if "@" in value:
        local, domain = value.split("@", 1)
        return f"{local[:1]}…@{domain}"
    digits = re.sub(r"\D", "", value)
    return f"…{digits[-2:]} ({len(digits)} digits)"


def find_personal_data(text: str) -> list[str]:
    """E-mail addresses and phone numbers in ``text`` or any payload it encodes, masked.

    Returns
    -------
    list of str
        Descriptions such as ``"e-mail address j…@example.com"``; empty when clean.
    """
    found: dict[str, None] = {}
    for view in decoded_views(text):
        for match in _EMAIL.findall(view):
            found[f"e-mail address {_mask(match)}"] = None
        for match in _PHONE.findall(view):
            if 8 <= len(re.sub(r"\D", "", match)) <= 15:
                found[f"phone number {_mask(match)}"] = None
    return list(found)


# --- export ---


def export_html(
    notebook: Path, data_dir: Path, output: Path, timeout: float = 1800, database: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``marimo export html --no-include-code`` on one notebook with ``-- --data DIR``.

    With ``database`` (a built warehouse) the notebook gets ``--db FILE`` and runs with
    ``CSKPI_NO_BUILD=1``: it only opens the warehouse, and fails rather than validate or build.
    """
    command = [
        sys.executable, "-m", "marimo", "export", "html", "--no-include-code", "--force",
        str(notebook), "-o", str(output), "--", "--data", str(data_dir),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if database is not None:
        command += ["--db", str(database)]
        env["CSKPI_NO_BUILD"] = "1"
    result = run_tracked(command, timeout, env)
    if result is None:
        raise ReportError(f"{notebook.name}: the export took longer than {timeout:.0f} s and was stopped")
    return result


def run_tracked(
    command: Sequence[str], timeout: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str] | None:
    """Run ``command`` in its own process group, ended with the report if it is interrupted.

    Returns
    -------
    subprocess.CompletedProcess or None
        The finished process, or ``None`` when it ran longer than ``timeout`` seconds (it and
        everything it started are then killed).
    """
    with subprocess.Popen(
        list(command),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
        start_new_session=True,  # its own process group: ended as a whole (see _end_children)
    ) as process:
        with _CHILDREN_LOCK:
            _CHILDREN.add(process)
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _end(process)
            process.communicate()
            return None
        finally:
            with _CHILDREN_LOCK:
                _CHILDREN.discard(process)
    return subprocess.CompletedProcess(list(command), process.returncode, stdout, stderr)


_CHILDREN: set[subprocess.Popen[str]] = set()
_CHILDREN_LOCK = threading.Lock()


def _end(process: subprocess.Popen[str]) -> None:
    """End an export and everything it started (its process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _end_children() -> None:
    """End every running export: called when the report is interrupted (Ctrl-C, SIGTERM) or fails."""
    with _CHILDREN_LOCK:
        running = list(_CHILDREN)
    for process in running:
        _end(process)


def check_page(page: str) -> list[str]:
    """Every reason an exported page may not be published (empty when it may)."""
    problems = cell_errors(page)
    problems += [f"the report would contain an {item}" for item in find_personal_data(page)]
    return problems


def _tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def export_report(
    notebook: Path,
    data_dir: Path,
    out_dir: Path,
    timeout: float = 1800,
    database: Path | None = None,
    *,
    single_file: bool = True,
    pdf_browser: str | None = None,
) -> Report:
    """Export one notebook into ``out_dir`` as a checked, offline page.

    With ``single_file`` (the default) the same export is also written as a self-contained
    page, ``out_dir/single-file/NN_topic.html`` (:func:`cskpi_analysis.static_report.single_file_page`;
    its nav bar is added by :func:`build_reports` once every report is known), checked for
    personal data and network references like the page; with ``pdf_browser`` (a Chromium
    executable) it is printed to ``NN_topic.pdf`` beside it.

    Raises
    ------
    ReportError
        A cell failed, a chart failed to display, the page holds personal data,
        or a network URL would remain; the message names the notebook.
    """
    started = time.monotonic()
    target = out_dir / f"{notebook.stem}.html"
    result = export_html(notebook, data_dir, target, timeout, database)
    if not target.exists():
        raise ReportError(f"{notebook.name}: marimo could not export the notebook:\n{_tail(result.stderr)}")
    page = target.read_text(encoding="utf-8")
    problems = cell_errors(page) + display_errors(result.stderr)
    if not problems and result.returncode != 0:
        problems = [f"marimo export failed:\n{_tail(result.stderr)}"]
    problems += [f"the report would contain an {item}" for item in find_personal_data(page)]
    if problems:
        target.unlink()
        raise ReportError(f"{notebook.name}: " + "; ".join(problems))
    page = make_offline(page)
    remote = remote_references(page)
    if remote:
        target.unlink()
        raise ReportError(f"{notebook.name}: the report would load {remote[0]} from the network")
    title, question = title_and_question(page, fallback=notebook.stem)
    page = re.sub(r"<title>.*?</title>", f"<title>{html.escape(title)}</title>", page, count=1, flags=re.S)
    target.write_text(page, encoding="utf-8")
    single, pdf = "", ""
    if single_file:
        single, pdf = _write_single_file(page, notebook, out_dir, title, pdf_browser)
    seconds = time.monotonic() - started
    return Report(notebook, target.name, title, question, chart_count(page), seconds, left_out_count(page), single, pdf)


def _write_single_file(
    page: str, notebook: Path, out_dir: Path, title: str, pdf_browser: str | None
) -> tuple[str, str]:
    """Write (and check) ``single-file/NN_topic.html`` and, with a browser, its PDF; their relative paths."""
    from cskpi_analysis import static_report

    folder = out_dir / static_report.SINGLE_FILE_DIR
    folder.mkdir(exist_ok=True)
    name = f"{notebook.stem}.html"
    try:
        single = static_report.single_file_page(page, title, notebook.stem, interactive_name=name)
    except ReportError as exc:
        raise ReportError(f"{notebook.name}: single file: {exc}") from None
    problems = static_report.check_single_file(single)
    if problems:
        raise ReportError(f"{notebook.name}: the single file would contain: " + "; ".join(problems))
    (folder / name).write_text(single, encoding="utf-8")
    pdf = ""
    if pdf_browser is not None:
        static_report.print_pdf(folder / name, folder / f"{notebook.stem}.pdf", pdf_browser)
        pdf = f"{static_report.SINGLE_FILE_DIR}/{notebook.stem}.pdf"
    return f"{static_report.SINGLE_FILE_DIR}/{name}", pdf


def _export_all(
    notebooks: list[Path],
    data_dir: Path,
    building: Path,
    timeout: float,
    database: Path | None,
    jobs: int | None,
    progress: Callable[[str], None],
    single_file: bool = True,
    pdf_browser: str | None = None,
) -> list[Report]:
    """Export every notebook, ``jobs`` at a time; the reports in notebook order, or the first failure."""
    workers = max(1, min(jobs or os.cpu_count() or 1, len(notebooks)))
    done: dict[Path, Report] = {}
    failures: dict[Path, ReportError] = {}
    pool = ThreadPoolExecutor(max_workers=workers)
    options = {"single_file": single_file, "pdf_browser": pdf_browser}
    try:
        futures = {
            pool.submit(export_report, n, data_dir, building, timeout, database, **options): n for n in notebooks
        }
        for number, future in enumerate(as_completed(futures), start=1):
            notebook = futures[future]
            try:
                done[notebook] = future.result()
                progress(f"[{number}/{len(notebooks)}] {notebook.stem} {done[notebook].seconds:.1f} s\n")
            except ReportError as exc:
                failures[notebook] = exc
                progress(f"[{number}/{len(notebooks)}] {notebook.stem} failed\n")
    except BaseException:  # interrupted: no export may outlive the command
        pool.shutdown(wait=False, cancel_futures=True)
        _end_children()
        raise
    pool.shutdown(wait=True)
    for notebook in notebooks:
        if notebook in failures:
            raise failures[notebook]
    return [done[n] for n in notebooks]


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


def _swap_in(built: Path, out: Path) -> None:
    if not out.exists():
        built.rename(out)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    retired.rmdir()
    out.rename(retired)
    built.rename(out)
    shutil.rmtree(retired, ignore_errors=True)


def _check_out(out: Path, data_dir: Path | None = None) -> None:
    if data_dir is not None and _inside(os.path.realpath(data_dir), str(out)):
        raise ReportError(f"--out {out} is inside the data folder {data_dir}; write the reports elsewhere")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER_FILE).exists())):
        raise ReportError(f"{out} exists and was not written by 'cskpi report'; choose another --out or remove it")


def _write_progress(text: str) -> None:
    print(text, end="", flush=True)


def build_reports(
    data_dir: Path,
    out: Path,
    notebooks: Sequence[Path],
    progress: Callable[[str], None] = _write_progress,
    timeout: float = 1800,
    *,
    database: Path | None = None,
    jobs: int | None = None,
    single_files: bool = True,
    pdf: bool = False,
) -> list[Report]:
    """Export ``notebooks`` into ``out`` atomically, with ``out/index.html`` and ``out/assets``.

    With ``single_files`` (the default) every report is also written as one self-contained file
    in ``out/single-file/`` (with its own ``index.html``), and with ``pdf`` printed to PDF there.

    Parameters
    ----------
    data_dir : data folder handed to every notebook (``-- --data DIR``).
    out : report folder; replaced as a whole on success, untouched on failure.
    notebooks : marimo notebooks to export, in order.
    progress : receives text as it happens: ``"[2/5] 01_kpi_overview ..."`` before a
        notebook, ``" 14.2 s\\n"`` after it (the default prints it).
    timeout : seconds one export may take.
    database : the folder's built warehouse: every notebook opens it read-only and none
        validates or builds (see :func:`export_html`).
    jobs : exports run at once (default: the machine's cores); each is its own process.
    single_files : also write ``out/single-file/NN_topic.html``, which open without a server.
    pdf : also print each single file to ``out/single-file/NN_topic.pdf`` (needs Chromium).

    Raises
    ------
    ReportError
        No notebook was given, ``out`` is a foreign folder, ``pdf`` without Chromium on PATH,
        or a notebook failed (see :func:`export_report`).
    """
    if not notebooks:
        raise ReportError("no notebooks to export (expected notebooks/NN_topic.py)")
    browser = None
    if pdf:
        browser = find_chromium()
        if browser is None:
            raise ReportError(
                "PDFs are printed with headless Chromium, and none is on PATH (chromium, chromium-browser, "
                "google-chrome): install it (apt-get install chromium) or leave out --pdf"
            )
        single_files = True
    out = Path(out)
    _check_out(out, Path(data_dir))
    out.parent.mkdir(parents=True, exist_ok=True)
    data_dir = Path(data_dir).resolve()
    building = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    building.chmod(0o755)  # mkdtemp makes it private; reports are meant to be read
    try:
        copy_frontend(building)
        reports = _export_all(
            [Path(n).resolve() for n in notebooks],
            data_dir,
            building,
            timeout,
            database,
            jobs,
            progress,
            single_file=single_files,
            pdf_browser=browser,
        )
        if single_files:
            _finish_single_files(building, reports, data_dir.name, pdf=browser is not None)
        (building / "index.html").write_text(index_page(reports, data_dir.name), encoding="utf-8")
        (building / MARKER_FILE).write_text("written by cskpi report; replaced as a whole on each run\n")
        _swap_in(building, out)
    finally:
        if building.exists():
            shutil.rmtree(building, ignore_errors=True)
    return reports


def _finish_single_files(building: Path, reports: Sequence[Report], data_name: str, pdf: bool) -> None:
    """Put the nav bar (every report is known now) in each single file and write their index."""
    from cskpi_analysis import static_report

    folder = building / static_report.SINGLE_FILE_DIR
    siblings = [
        Report(r.notebook, Path(r.single_file).name, r.title, r.question, r.charts, r.seconds, r.left_out)
        for r in reports
    ]
    for sibling in siblings:
        path = folder / sibling.file_name
        path.write_text(
            static_report.add_nav(path.read_text(encoding="utf-8"), siblings, sibling.file_name), encoding="utf-8"
        )
    (folder / "index.html").write_text(static_report.single_file_index(siblings, data_name, pdf), encoding="utf-8")


# --- serving ---

CONTENT_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".wasm": "application/wasm",
    ".json": "application/json",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".svg": "image/svg+xml",
    ".html": "text/html",
}


class _ReportServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: tuple[str, int]) -> None:
        """One line instead of socketserver's traceback; a client hanging up is not worth a word."""
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError | TimeoutError):
            print(f"cskpi serve: a request failed: {type(error).__name__}: {error}", file=sys.stderr)


def _inside(root: str, path: str) -> bool:
    """Whether ``path``, symbolic links resolved, is ``root`` or under it."""
    try:
        return os.path.commonpath([root, os.path.realpath(path)]) == root
    except ValueError:  # another drive (Windows)
        return False


def report_server(folder: Path, port: int = 8765) -> ThreadingHTTPServer:
    """An HTTP server for ``folder`` on 127.0.0.1 (``port=0`` picks a free port); not yet serving.

    Call ``serve_forever()`` on it (in a thread for tests) and ``shutdown()`` /
    ``server_close()`` to stop. Requests are not logged. Only files are served: a
    folder gives its ``index.html`` or 404 (never a listing), and a path that
    resolves outside ``folder`` (through a symbolic link) gives 404.

    Raises
    ------
    OSError
        The port is in use or may not be bound.
    OverflowError
        The port is outside 0-65535.
    """
    root = os.path.realpath(folder)

    class Handler(SimpleHTTPRequestHandler):
        extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **CONTENT_TYPES}

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=root, **kwargs)

        def send_head(self) -> Any:
            path = self.translate_path(self.path)
            if os.path.isdir(path):
                indexes = [os.path.join(path, name) for name in ("index.html", "index.htm")]
                path = next((index for index in indexes if os.path.isfile(index)), "")
            if not path or not _inside(root, path):
                self.send_error(HTTPStatus.NOT_FOUND, "File not found")
                return None
            return super().send_head()

        def list_directory(self, path: str | os.PathLike[str]) -> None:
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
            pass

    return _ReportServer(("127.0.0.1", port), Handler)


# --- checking a page as a browser renders it ---

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)
"""Headless Chromium with every host but 127.0.0.1 unresolvable: a page that needs the network renders blank."""


def find_chromium() -> str | None:
    """Path of a Chromium or Chrome executable on PATH, or ``None``."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def render_dom(
    url: str,
    browser: str,
    profile_dir: Path,
    budget_ms: int = 20000,
    timeout: float = 120,
    extra_flags: Sequence[str] = (),
) -> str:
    """The DOM of ``url`` after headless Chromium ran its scripts for ``budget_ms`` of virtual time.

    ``extra_flags`` go before the URL (e.g. ``--window-size=680,1000``).
    """
    command = [
        browser,
        *CHROMIUM_FLAGS,
        *extra_flags,
        f"--user-data-dir={profile_dir}",
        f"--virtual-time-budget={budget_ms}",
        "--dump-dom",
        url,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return result.stdout


def _without_scripts(dom: str) -> str:
    dom = re.sub(r"<script\b.*?</script>", "", dom, flags=re.S | re.I)
    return re.sub(r"<head\b.*?</head>", "", dom, flags=re.S | re.I)


def rendered_heading(dom: str, title: str) -> bool:
    """Whether the rendered page shows ``title`` as an ``<h1>`` (the data in ``<script>`` does not count)."""
    for match in re.finditer(r"<h1\b[^>]*>(.*?)</h1>", _without_scripts(dom), flags=re.S | re.I):
        if _text_of(match.group(1)) == title:
            return True
    return False


def rendered_charts(dom: str) -> int:
    """Number of charts Vega drew: ``<canvas class="marks">`` or ``<svg class="marks">`` elements."""
    return len(re.findall(r"<(?:canvas|svg)\b[^>]*\bclass=\"marks\"", _without_scripts(dom), flags=re.I))
