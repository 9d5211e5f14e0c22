"""Helpers every notebook calls, whichever program runs it.

The notebooks in ``notebooks/`` run in three places: the marimo editor or
``marimo export`` (the data folder comes from the command line,
``marimo export html notebooks/01_x.py -o out.html -- --data data/demo``),
a Jupyter kernel running the reviewers' copies in ``notebooks/jupyter/``
(no marimo runtime: the folder comes from the environment variable
``CSKPI_DATA``), and plain scripts or tests.

Every notebook opens the folder's :class:`~cskpi_analysis.warehouse.Warehouse` with
:func:`warehouse`: the marts are built once (``cskpi build``, or the first notebook that
finds them missing or stale) and every later kernel only opens the file read-only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cskpi_analysis.errors import ConfigError

if TYPE_CHECKING:
    from cskpi_analysis.warehouse import Warehouse

DATA_ENV = "CSKPI_DATA"
"""Environment variable naming the data folder outside marimo (Jupyter, scripts)."""

DB_ENV = "CSKPI_DB"
"""Environment variable naming the warehouse file outside marimo (default: the per-folder cache)."""

DEFAULT_DATA = "data/demo"


def _marimo_cli_args() -> dict[str, Any]:
    """The notebook's command-line arguments under marimo; ``{}`` anywhere else.

    ``mo.cli_args()`` raises when no marimo runtime context exists (a Jupyter
    kernel, a plain ``import``); that simply means "no arguments".
    """
    try:
        import marimo as mo

        return dict(mo.cli_args())
    except Exception:  # ContextNotInitializedError, or marimo missing: not under marimo
        return {}


def data_dir(default: str = DEFAULT_DATA) -> Path:
    """The data folder this notebook analyses.

    Looked up in order:

    1. ``--data DIR`` after ``--`` on the marimo command line
       (``marimo edit|run|export ... notebook.py -- --data DIR``);
    2. the environment variable ``CSKPI_DATA`` (set by ``cskpi jupyter`` for
       the Jupyter copies, or by you before starting Jupyter);
    3. ``default`` (``data/demo``, relative to the working directory).

    Parameters
    ----------
    default : folder used when neither the command line nor the environment names one.

    Returns
    -------
    Path
        The folder as given (not resolved, not checked for existence: the
        loaders report a missing folder in the user's words).

    Raises
    ------
    ConfigError
        ``--data`` was given more than once, or without a value.

    Examples
    --------
    >>> import os
    >>> os.environ["CSKPI_DATA"] = "data/acme"
    >>> str(data_dir())
    'data/acme'
    >>> del os.environ["CSKPI_DATA"]
    >>> str(data_dir())
    'data/demo'
    """
    value = _marimo_cli_args().get("data")
    if isinstance(value, list):
        raise ConfigError(f"--data was given {len(value)} times; give one data folder")
    if value == "":
        raise ConfigError("--data needs a folder, e.g. -- --data data/demo")
    if value is None:
        value = os.environ.get(DATA_ENV) or default
    return Path(str(value))


def database() -> Path | None:
    """The warehouse file: ``--db FILE`` on the marimo command line, else ``$CSKPI_DB``, else None (the cache)."""
    value = _marimo_cli_args().get("db")
    if isinstance(value, list):
        raise ConfigError(f"--db was given {len(value)} times; give one warehouse file")
    if value in (None, ""):
        value = os.environ.get(DB_ENV) or None
    return Path(str(value)) if value else None


def warehouse() -> Warehouse:
    """The notebook's warehouse: opened read-only if up to date, else validated and built once.

    With ``CSKPI_NO_BUILD=1`` a missing or stale warehouse is an error instead (reports and
    tests use it to prove a notebook only reads).
    """
    from cskpi_analysis.warehouse import open_warehouse

    return open_warehouse(data_dir(), database=database())


PERIOD_ENV = "CSKPI_PERIOD"
"""Environment variable naming the reporting cadence (``month`` or ``quarter``) outside marimo."""


def period() -> str:
    """The reporting cadence: ``--period month|quarter`` on the marimo command line, else ``$CSKPI_PERIOD``,
    else ``month`` (what ``cskpi report --period`` hands the executive summary)."""
    value = _marimo_cli_args().get("period") or os.environ.get(PERIOD_ENV) or "month"
    if value not in ("month", "quarter"):
        raise ConfigError(f"--period must be month or quarter, got {value!r}")
    return str(value)


def landmark_and_horizon() -> tuple[str, str]:
    """The landmark and horizon notebook 03 opens on: labels of ``survival.LANDMARK_CHOICES`` and ``HORIZON_CHOICES``.

    ``--landmark DAYS --horizon DAYS`` on the marimo command line (``cskpi build --warm`` runs
    the notebook once per pair, so that each pair's models are fitted and kept), else day 30
    and 12 months.

    Raises
    ------
    ConfigError
        A value that is not one of the choices (the message lists them).
    """
    from cskpi_analysis.survival import HORIZON_CHOICES, LANDMARK_CHOICES
    from cskpi_analysis.warehouse import DEFAULT_HORIZON_DAYS, DEFAULT_LANDMARK_DAYS

    arguments = _marimo_cli_args()
    labels = []
    for name, choices, default in (
        ("landmark", LANDMARK_CHOICES, DEFAULT_LANDMARK_DAYS),
        ("horizon", HORIZON_CHOICES, DEFAULT_HORIZON_DAYS),
    ):
        value = arguments.get(name, default)
        by_days = {str(days): label for label, days in choices.items()}
        if str(value) not in by_days:
            raise ConfigError(f"--{name} must be one of {', '.join(by_days)} (days), got {value!r}")
        labels.append(by_days[str(value)])
    return labels[0], labels[1]
