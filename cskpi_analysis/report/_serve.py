"""Serving a report folder on localhost (``cskpi serve``)."""

from __future__ import annotations

import os
import sys
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

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
