"""Notebook exports forked from one process that imported marimo and the notebooks' libraries once.

Every ``marimo export html`` used to be its own interpreter, and each spent 2-5 s of CPU
importing marimo, pandas, altair, lifelines and statsmodels before running a cell: on the
2-core machines the suite runs on, a third of ``cskpi report``. :class:`ExportServer` starts one
server process (:func:`serve`, in ``python -c``) that imports them while the
warehouse is validated and built, then forks one child per export. A child is a fresh process
with those modules already loaded: it runs marimo's own command line (``marimo export html
...``) with the job's arguments, environment and working directory, its output and errors
written to files, in its own session so that a timeout or an interruption ends it and
everything it started.

A report gets the same pages either way (``tests/test_report.py`` compares them). The server
is only an optimisation: where ``os.fork`` does not exist, or when the server is gone, an
export runs as its own process as before (:func:`~cskpi_analysis.report._browser.run_tracked`).

The protocol is one JSON object per line: the report sends
``{"id", "argv", "env", "cwd", "stdout", "stderr"}``; the server answers ``{"id", "pid"}``
once the child runs and ``{"id", "returncode"}`` when it ended. When the report closes the
server's input (or dies), the server ends every child still running and exits.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import json
import os
import queue
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from cskpi_analysis.report._browser import end_group, track_group, untrack_group

PRELOAD: tuple[str, ...] = (
    "marimo._cli.cli",
    "numpy",
    "pandas",
    "pyarrow",
    "duckdb",
    "altair",
    "scipy.stats",
    "statsmodels.api",
    "lifelines",
    "cskpi_analysis.notebook",
    "cskpi_analysis.kpis",
    "cskpi_analysis.narrative",
    "cskpi_analysis.charts",
    "cskpi_analysis.survival",
    "cskpi_analysis.indicators",
    "cskpi_analysis.quality",
    "cskpi_analysis.summary",
    "cskpi_analysis.overview",
    "cskpi_analysis.benchmarks",
)
"""What the server imports before its first fork: marimo's command line and what the notebooks import."""

_POLL_SECONDS = 0.05


class ServerGone(RuntimeError):
    """The export server ended (or never started): run the export as its own process instead."""


# --------------------------------------------------------------------------- the server process


def _preload(names: Sequence[str]) -> None:
    for name in names:
        with contextlib.suppress(Exception):  # an optional library missing: the child imports what it needs
            importlib.import_module(name)


def _run_child(job: dict[str, Any]) -> int:
    """In the forked child: marimo's command line with the job's arguments; its exit code."""
    os.setsid()  # its own process group: a timeout or an interruption ends it and what it started
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # over the server's input; dup2 makes fds 0-2 inheritable, as marimo's kernel process needs
    os.close(null)
    for fd, path in ((1, job["stdout"]), (2, job["stderr"])):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    os.environ.clear()
    os.environ.update(job["env"])
    os.chdir(job["cwd"])
    _reseed()
    _fork_kernels()
    from marimo._cli.cli import main

    sys.argv = [str(Path(sys.modules["marimo"].__file__ or "marimo").parent / "__main__.py"), *job["argv"]]
    try:
        main(args=list(job["argv"]), prog_name="marimo")
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    return 0


def _reseed() -> None:
    """Seed what a fresh interpreter seeds at import, which a fork inherits from the server.

    Python reseeds its global ``random`` after a fork, but not other generators: without this
    every forked export would draw the same marimo element ids and the same unseeded numpy numbers.
    """
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()
    element = sys.modules.get("marimo._plugins.ui._core.ui_element")
    generator = getattr(getattr(element, "UIElement", None), "_random_seed", None)
    if generator is not None:
        generator.seed()


def _fork_kernels() -> None:
    """Have marimo fork the notebook's kernel process from this child instead of spawning a new interpreter.

    ``marimo export html`` runs the notebook in a kernel process started with multiprocessing's
    ``"spawn"`` method: a fresh interpreter that imports everything again. Forked, it starts
    with this child's modules loaded. Where marimo's layout differs (another version), the
    kernel is spawned as marimo does it: slower, the same page.
    """
    import multiprocessing

    try:
        from marimo._session.managers import kernel, queue
    except ImportError:
        return
    fork = multiprocessing.get_context("fork")
    for module in (kernel, queue):
        spawn = getattr(module, "get_context", None)
        if spawn is None:
            continue

        def get_context(method: str | None = None, _default: Any = spawn) -> Any:
            return fork if method == "spawn" else _default(method)

        module.get_context = get_context  # type: ignore[attr-defined]


def _fork(job: dict[str, Any], reply_fd: int) -> int:
    """Fork the child that runs ``job``; its pid (in the server)."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        os.close(reply_fd)  # the server's input (fd 0) is replaced by /dev/null in _run_child
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        code = _run_child(job)
    except BaseException:  # a child must never return into the server's loop
        with contextlib.suppress(Exception):
            traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def serve(input_fd: int = 0, output_fd: int = 1, preload: Sequence[str] = PRELOAD) -> None:
    """The server's loop: fork a child per job line read from ``input_fd``, answer on ``output_fd``."""
    reply_fd = os.dup(output_fd)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, output_fd)  # a stray print of an imported library must not corrupt the answers
    os.close(null)
    _preload(preload)

    def reply(message: dict[str, Any]) -> None:
        os.write(reply_fd, (json.dumps(message) + "\n").encode())

    children: dict[int, int] = {}  # pid -> job id
    buffer = b""
    closed = False
    while not closed or children:
        if closed:  # the report is gone: nothing may outlive it
            for pid in children:
                end_group(pid)
        else:
            readable, _, _ = select.select([input_fd], [], [], _POLL_SECONDS)
            if readable:
                chunk = os.read(input_fd, 1 << 16)
                closed = not chunk
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    job = json.loads(line)
                    pid = _fork(job, reply_fd)
                    children[pid] = job["id"]
                    reply({"id": job["id"], "pid": pid})
        while children:
            pid, status = os.waitpid(-1, os.WNOHANG if not closed else 0)
            if pid == 0:
                break
            reply({"id": children.pop(pid), "returncode": os.waitstatus_to_exitcode(status)})


# --------------------------------------------------------------------------- the report's side


class ExportServer:
    """One server process that forks a child per export; used by several export threads at once."""

    def __init__(self, preload: Sequence[str] = PRELOAD) -> None:
        command = [
            sys.executable,
            "-c",
            "import sys; from cskpi_analysis.report._forkserver import serve; serve(preload=sys.argv[1:])",
            *preload,
        ]
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        track_group(self._process.pid)
        self._ids = itertools.count(1)
        self._pending: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._gone = False
        self._reader = threading.Thread(target=self._read, name="cskpi-export-server", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            message = json.loads(line)
            with self._lock:
                waiting = self._pending.get(message["id"])
            if waiting is not None:
                waiting.put(message)
        with self._lock:
            self._gone = True
            pending = list(self._pending.values())
        for waiting in pending:
            waiting.put({"gone": True})

    def _submit(self, job: dict[str, Any]) -> queue.Queue[dict[str, Any]]:
        answers: queue.Queue[dict[str, Any]] = queue.Queue()
        with self._lock:
            if self._gone:
                raise ServerGone("the export server ended")
            self._pending[job["id"]] = answers
            try:
                assert self._process.stdin is not None
                self._process.stdin.write((json.dumps(job) + "\n").encode())
                self._process.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                self._gone = True
                raise ServerGone("the export server ended") from None
        return answers

    def run(self, argv: Sequence[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str] | None:
        """Run ``marimo *argv`` in a forked child, as :func:`run_tracked` would run it as a process.

        Returns the finished run (exit code, output, errors), or ``None`` when it ran longer than
        ``timeout`` seconds (it and everything it started are then killed).

        Raises
        ------
        ServerGone
            The server ended before the export finished; nothing of the export is running.
        """
        deadline = time.monotonic() + timeout
        with tempfile.TemporaryDirectory(prefix="cskpi-export-") as folder:
            out, err = Path(folder) / "stdout", Path(folder) / "stderr"
            job_id = next(self._ids)
            job = {
                "id": job_id,
                "argv": list(argv),
                "env": dict(env),
                "cwd": os.getcwd(),
                "stdout": str(out),
                "stderr": str(err),
            }
            answers = self._submit(job)
            try:
                returncode = self._wait(answers, deadline)
            except _TimedOut:
                return None
            finally:
                with self._lock:
                    self._pending.pop(job_id, None)
            command = [sys.executable, "-m", "marimo", *argv]
            return subprocess.CompletedProcess(
                command,
                returncode,
                out.read_text(encoding="utf-8", errors="replace") if out.exists() else "",
                err.read_text(encoding="utf-8", errors="replace") if err.exists() else "",
            )

    def _wait(self, answers: queue.Queue[dict[str, Any]], deadline: float) -> int:
        pid: int | None = None
        try:
            while True:
                try:
                    message = answers.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    if pid is None:  # not forked yet: the server is still importing; end it all
                        self.close()
                        raise _TimedOut from None
                    end_group(pid)
                    answers.get()  # its exit code (or the server's end): nothing of it runs any more
                    raise _TimedOut from None
                if message.get("gone"):
                    if pid is not None:
                        end_group(pid)
                    raise ServerGone("the export server ended during an export")
                if "pid" in message:
                    pid = int(message["pid"])
                    track_group(pid)
                    continue
                return int(message["returncode"])
        finally:
            if pid is not None:
                untrack_group(pid)

    def close(self) -> None:
        """End the server and anything it still runs (nothing, after the last export returned)."""
        with self._lock:
            self._gone = True
        with contextlib.suppress(OSError, ValueError):
            assert self._process.stdin is not None
            self._process.stdin.close()
        end_group(self._process.pid)  # it may still be importing: no reason to wait for that
        self._process.wait()
        untrack_group(self._process.pid)
        if self._process.stdout is not None:
            self._process.stdout.close()


class _TimedOut(Exception):
    """An export ran out of time and was ended."""


@contextlib.contextmanager
def export_server() -> Iterator[ExportServer | None]:
    """An :class:`ExportServer` for the exports of one report, or ``None`` where processes cannot fork."""
    if not hasattr(os, "fork") or sys.platform != "linux":
        yield None
        return
    server = ExportServer()
    try:
        yield server
    finally:
        server.close()
