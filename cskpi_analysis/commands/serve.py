"""Serve a folder of reports on 127.0.0.1 so a browser can open them.

The reports load marimo's frontend as ES modules, which browsers refuse to load
from file:// URLs; this small server (Python's http.server, bound to the loopback
interface only, never to the network) serves them with the right content types.
It serves files only: no folder listing, nothing outside FOLDER (a symbolic link
that leads out of it gives 404).

Example:

    cskpi serve reports --port 8765
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cskpi_analysis.errors import CskpiError

NAME = "serve"
HELP = "serve a report folder on http://127.0.0.1:PORT/ (browsers refuse the reports from file://)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", metavar="FOLDER", type=Path, nargs="?", default=Path("reports"),
                        help="report folder written by 'cskpi report' (default: %(default)s)")  # fmt: skip
    parser.add_argument(
        "--port", type=int, default=8765, help="port on 127.0.0.1 (default: %(default)s; 0 = any free port)"
    )


def run(args: argparse.Namespace) -> int:
    from cskpi_analysis.report import report_server

    folder: Path = args.folder
    if not folder.is_dir():
        raise CskpiError(f"{folder} is not a folder; build the reports first with 'cskpi report DIR --out {folder}'")
    if not 0 <= args.port <= 65535:
        raise CskpiError(f"--port {args.port} is not a port: give a number from 1 to 65535, or 0 for any free port")
    try:
        server = report_server(folder, port=args.port)
    except (OSError, OverflowError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise CskpiError(f"cannot listen on 127.0.0.1:{args.port}: {reason}; try another --port, or --port 0") from None
    host, port = server.server_address[:2]
    print(f"Serving {folder}/ at http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
    if not (folder / "index.html").is_file():
        print(f"{folder} has no index.html: open a report by its file name, e.g. http://{host}:{port}/NAME.html")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.server_close()
    return 0
