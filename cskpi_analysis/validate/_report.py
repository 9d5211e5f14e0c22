"""What a validation found: :class:`Problem`, :class:`ValidationReport` and the phrasing of values."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Severity = Literal["error", "warning"]


#: How many offending rows and values a problem shows.
SAMPLE_SIZE = 5


@dataclass(frozen=True)
class Problem:
    """One way a data folder breaks (error) or strains (warning) the contract.

    Attributes
    ----------
    severity : ``"error"`` (the data cannot be analysed) or ``"warning"`` (it can, but look).
    file : file name as the user knows it (the expected name if the file is missing).
    column : the column concerned, if any.
    message : what is wrong, with the first few bad values.
    expected : what was expected instead.
    row_count : how many rows have the problem (0 = a file-level problem).
    rows : the first few such rows (at most :data:`SAMPLE_SIZE`), 1-based data rows.
    values : the first few bad values, as text.
    """

    severity: Severity
    file: str
    column: str | None
    message: str
    expected: str
    row_count: int = 0
    rows: tuple[int, ...] = ()
    values: tuple[str, ...] = ()

    def __str__(self) -> str:
        location = self.file
        if self.row_count == 1 and self.rows:
            location += f" row {self.rows[0]}"
        elif self.row_count >= 1:
            first = f" (first: {', '.join(str(r) for r in self.rows)})" if self.rows else ""
            location += f" {self.row_count:,} {'row' if self.row_count == 1 else 'rows'}{first}"
        if self.column:
            location += f", column {self.column}"
        text = f"{self.severity}: {location}: {self.message}"
        return f"{text}; expected {self.expected}" if self.expected else text


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of :func:`validate_dir`.

    Attributes
    ----------
    data_dir : the folder validated.
    as_of : the resolved ``as_of`` (see :func:`resolve_as_of`); None if no date was found.
    row_counts : rows per table that could be read.
    problems : every problem, errors first.
    as_of_from_config : True if ``as_of`` was set in ``cskpi.toml``.
    as_of_source : where an inferred ``as_of`` was found (``usage_events.csv, column occurred_at``).
    """

    data_dir: Path
    as_of: dt.date | None
    row_counts: dict[str, int]
    problems: tuple[Problem, ...]
    as_of_from_config: bool = False
    as_of_source: str = ""

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings alone are fine)."""
        return not self.errors

    def summary(self) -> str:
        """One line: ``3 errors, 1 warning in 5 tables (12,345 rows); as_of ...``."""
        n_err, n_warn = len(self.errors), len(self.warnings)
        n_tables = len(self.row_counts)
        text = (
            f"{n_err} {'error' if n_err == 1 else 'errors'}, {n_warn} {'warning' if n_warn == 1 else 'warnings'} "
            f"in {n_tables} {'table' if n_tables == 1 else 'tables'} ({sum(self.row_counts.values()):,} rows)"
        )
        if self.as_of is not None:
            if self.as_of_from_config:
                source = "from cskpi.toml"
            else:
                source = "latest date in the data" + (f": {self.as_of_source}" if self.as_of_source else "")
            text += f"; as_of {self.as_of.isoformat()} ({source})"
        return text

    def format(self) -> str:
        """Every problem on its own line, then the summary line."""
        lines = [str(p) for p in self.problems]
        if any(p.rows for p in self.problems):
            lines.append("(row N is the N-th data row: line N + 1 of a CSV file, whose line 1 is the header)")
        return "\n".join([*lines, self.summary()])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (``cskpi validate --format json``)."""
        return {
            "data_dir": str(self.data_dir),
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "as_of_from_config": self.as_of_from_config,
            "as_of_source": self.as_of_source,
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "row_counts": dict(self.row_counts),
            "problems": [dataclasses.asdict(p) for p in self.problems],
            "summary": self.summary(),
        }


def _quote_values(values: Sequence[str], more: bool = False) -> str:
    """``'a', 'b', ...``: values quoted for a message."""
    return ", ".join(f"'{v}'" for v in values) + (", ..." if more else "")


def _values_phrase(values: Sequence[str], more: bool = False) -> str:
    """``value 'x' is`` / ``values 'x', 'y' are``: the subject of a message about bad values."""
    if len(values) == 1 and not more:
        return f"value '{values[0]}' is"
    return f"values {_quote_values(values, more)} are"


def _shorten(value: str, limit: int = 60) -> str:
    """A bad value as shown in a message: at most ``limit`` characters, on one line."""
    value = value.replace("\n", " ").replace("\r", " ")
    return value if len(value) <= limit else value[: limit - 3] + "..."


def _unique_in_order(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _short_reason(exc: BaseException, limit: int = 240) -> str:
    """DuckDB's explanation of a failed read, in one short line."""
    text = str(exc)
    for prefix in ("Invalid Input Error: ", "IO Error: ", "Conversion Error: ", "Binder Error: "):
        text = text.replace(prefix, "")
    paragraph = text.strip().split("\n\n")[0]
    line = "; ".join(part.strip() for part in paragraph.splitlines() if part.strip())
    return line if len(line) <= limit else line[: limit - 3] + "..."
