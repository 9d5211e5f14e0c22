"""The ``cskpi`` command line.

Each subcommand lives in its own module under :mod:`cskpi_analysis.commands` and
defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``;
they are discovered here, so adding a command never edits this file.

Errors a user can meet (:class:`cskpi_analysis.errors.CskpiError`) are printed as
one message, never a traceback. Set ``CSKPI_DEBUG=1`` to see tracebacks of
unexpected errors.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import signal
import sys
import threading
from collections.abc import Sequence
from types import ModuleType

from cskpi_analysis import commands
from cskpi_analysis.errors import CskpiError


def _command_modules() -> list[ModuleType]:
    modules = [
        importlib.import_module(f"{commands.__name__}.{info.name}")
        for info in pkgutil.iter_modules(commands.__path__)
        if not info.name.startswith("_")
    ]
    return sorted(modules, key=lambda m: m.NAME)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cskpi",
        description="Customer Success KPI analysis from your own billing, CRM, usage and support exports.",
        epilog="Run 'cskpi COMMAND --help' for the options of a command.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _command_modules():
        doc = (module.__doc__ or module.HELP).strip()
        command_parser = sub.add_parser(
            module.NAME, help=module.HELP, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        module.add_arguments(command_parser)
        command_parser.set_defaults(_run=module.run)
    return parser


#: Set once SIGTERM or Ctrl-C arrived: an error raised while unwinding is the interruption, not a bug.
_INTERRUPTED = threading.Event()


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM and Ctrl-C unwind as ``KeyboardInterrupt`` (temporary files removed, child processes ended),
    remembered in :data:`_INTERRUPTED`."""
    _INTERRUPTED.set()
    raise KeyboardInterrupt


def _was_interrupted(exc: BaseException) -> bool:
    """A signal arrived, or DuckDB cancelled its query for one: DuckDB turns the ``KeyboardInterrupt``
    raised inside a running query into its own error ("Query interrupted"), which is not a bug."""
    return _INTERRUPTED.is_set() or type(exc).__name__ == "InterruptException" or "Query interrupted" in str(exc)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _INTERRUPTED.clear()  # a process may run several commands (tests, scripts): only this one's signals count
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, _terminate)
    try:
        return int(args._run(args) or 0)
    except CskpiError as exc:
        print(f"cskpi {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"cskpi {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # an unexpected error is a bug: say so without a wall of traceback
        if _was_interrupted(exc):
            print(f"cskpi {args.command}: interrupted", file=sys.stderr)
            return 130
        if os.environ.get("CSKPI_DEBUG"):
            raise
        print(
            f"cskpi {args.command}: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in cskpi; rerun with CSKPI_DEBUG=1 for the traceback and report it.",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
