"""Child processes (marimo, Chromium) ended with the build, and headless Chromium: finding it, its flags, the rendered DOM."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path

from cskpi_analysis.report._page import _text_of


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
    if _ENDING.is_set():  # the report is being ended: start nothing more
        return None
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
            end_group(process.pid)
            process.communicate()
            return None
        finally:
            with _CHILDREN_LOCK:
                _CHILDREN.discard(process)
    return subprocess.CompletedProcess(list(command), process.returncode, stdout, stderr)


_CHILDREN: set[subprocess.Popen[str]] = set()


_CHILDREN_LOCK = threading.Lock()


_ENDING = threading.Event()
"""Set by :func:`_end_children`: no export starts any more (cleared when the next report starts)."""


def end_group(pid: int) -> None:
    """End ``pid``'s process group (what it started), and ``pid`` itself if it had not made its group yet."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


_GROUPS: set[int] = set()
"""Process groups started otherwise (the export server and its forked exports), ended like the children."""


def track_group(pid: int) -> None:
    """End ``pid``'s process group with the report if it is interrupted (see :func:`_end_children`)."""
    with _CHILDREN_LOCK:
        _GROUPS.add(pid)


def untrack_group(pid: int) -> None:
    with _CHILDREN_LOCK:
        _GROUPS.discard(pid)


def _end_children() -> None:
    """End every running export: called when the report is interrupted (Ctrl-C, SIGTERM) or fails."""
    _ENDING.set()
    with _CHILDREN_LOCK:
        running = list(_CHILDREN)
        groups = list(_GROUPS)
    for process in running:
        end_group(process.pid)
    for pid in groups:
        end_group(pid)


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
