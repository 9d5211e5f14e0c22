"""Serve a folder of reports on 127.0.0.1 so a browser can open them.

The reports load marimo's frontend as ES modules, which browsers refuse to load
from file:// URLs; this small server (Python's http.server, bound to the loopback
interface only, never to the network) serves them with the right content types.

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
    try:
        server = report_server(folder, port=args.port)
    except OSError as exc:
        raise CskpiError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}; try --port 0") from None
    host, port = server.server_address[:2]
    print(f"Serving {folder}/ at http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.server_close()
    return 0
