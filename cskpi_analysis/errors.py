"""Typed errors that speak the user's language.

Every error the command line can meet derives from :class:`CskpiError`; the CLI
prints its message (never a traceback) and exits with :attr:`CskpiError.exit_code`.
"""

from __future__ import annotations


class CskpiError(Exception):
    """Base class of every error cskpi reports to a user."""

    exit_code: int = 1


class ConfigError(CskpiError):
    """``cskpi.toml`` is unreadable or holds an unknown or badly typed option."""


class DataContractError(CskpiError):
    """The input folder breaks the data contract; the message lists each problem."""


class BuildCheckError(CskpiError):
    """A reconciliation identity or key check failed after the models were built."""


class AnalysisError(CskpiError):
    """An analysis was asked for something the data cannot support (e.g. a covariate
    observed after the landmark, or too few events to fit a model)."""
