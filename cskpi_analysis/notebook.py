"""Helpers every notebook calls, whichever program runs it.

The notebooks in ``notebooks/`` run in three places: the marimo editor or
``marimo export`` (the data folder comes from the command line,
``marimo export html notebooks/01_x.py -o out.html -- --data data/demo``),
a Jupyter kernel running the reviewers' copies in ``notebooks/jupyter/``
(no marimo runtime: the folder comes from the environment variable
``CSKPI_DATA``), and plain scripts or tests.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cskpi_analysis.errors import ConfigError

DATA_ENV = "CSKPI_DATA"
"""Environment variable naming the data folder outside marimo (Jupyter, scripts)."""

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
