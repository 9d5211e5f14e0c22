"""A small runner for the layered SQL models in ``cskpi_analysis/sql/``.

One relation per file, file name = relation name, layered ``stg_`` (rename and cast
one source) -> ``int_`` (transform) -> ``mart_`` (business grain, documented). Each
model is materialised as a table in dependency order, found by parsing the SQL with
sqlglot. Parameters are bound (``$as_of``), never pasted into SQL: a model receives
exactly the parameters it references.

Checks live in ``sql/checks/``: each is a query that returns the rows breaking an
identity (dbt's singular tests); its first comment line is the message.
"""

from __future__ import annotations

import graphlib
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from cskpi_analysis.errors import BuildCheckError

_PARAMETER = re.compile(r"\$([a-z_][a-z0-9_]*)")
_LINE_COMMENT = re.compile(r"--[^\n]*")
LAYERS: tuple[str, ...] = ("stg", "int", "mart")


@dataclass(frozen=True)
class Model:
    """One SQL model: a ``select`` whose result is materialised as table ``name``."""

    name: str
    sql: str
    depends_on: tuple[str, ...]
    parameters: tuple[str, ...]

    @property
    def layer(self) -> str:
        return self.name.split("_", 1)[0]

    @property
    def description(self) -> str:
        """The model's leading comment block (its grain and definitions)."""
        lines = []
        for line in self.sql.splitlines():
            if not line.startswith("--"):
                break
            lines.append(line[2:].strip())
        return "\n".join(lines)


@dataclass(frozen=True)
class Check:
    """A query returning the rows that break an identity; no rows = pass."""

    name: str
    sql: str
    message: str
    parameters: tuple[str, ...]


def _sql_dir() -> Any:
    return resources.files("cskpi_analysis").joinpath("sql")


def referenced_tables(sql: str) -> set[str]:
    """Names of the tables and views a query reads, CTE names excluded."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return {table.name for table in tree.find_all(exp.Table) if table.name and table.name not in ctes}


def parameters_of(sql: str) -> tuple[str, ...]:
    """Bound parameter names a query uses, in order of first use (comments may name others)."""
    return tuple(dict.fromkeys(_PARAMETER.findall(_LINE_COMMENT.sub("", sql))))


def load_models() -> dict[str, Model]:
    """Every model in ``cskpi_analysis/sql/``, keyed by name."""
    files = sorted(p for p in _sql_dir().iterdir() if p.name.endswith(".sql"))
    sources = {f.name[: -len(".sql")]: f.read_text(encoding="utf-8") for f in files}
    models = {}
    for name, sql in sources.items():
        if name.split("_", 1)[0] not in LAYERS:
            raise ValueError(f"model {name}.sql must start with one of {', '.join(p + '_' for p in LAYERS)}")
        depends_on = tuple(sorted(t for t in referenced_tables(sql) if t in sources))
        models[name] = Model(name, sql, depends_on, parameters_of(sql))
    return models


def load_checks() -> list[Check]:
    """Every check in ``cskpi_analysis/sql/checks/``."""
    checks = []
    for path in sorted(p for p in _sql_dir().joinpath("checks").iterdir() if p.name.endswith(".sql")):
        sql = path.read_text(encoding="utf-8")
        first = sql.splitlines()[0] if sql else ""
        message = first[2:].strip() if first.startswith("--") else path.name
        checks.append(Check(path.name[: -len(".sql")], sql, message, parameters_of(sql)))
    return checks


def model_order(models: dict[str, Model]) -> list[str]:
    """Model names in an order where every model comes after what it reads."""
    sorter = graphlib.TopologicalSorter({name: set(m.depends_on) for name, m in models.items()})
    return list(sorter.static_order())


def run_models(
    con: duckdb.DuckDBPyConnection, parameters: dict[str, Any], *, only: set[str] | None = None
) -> list[str]:
    """Materialise every model as a table, in dependency order; return the models run.

    The ``src_<table>`` views must exist (see :func:`cskpi_analysis.sources.register_sources`).
    ``only`` rebuilds just those models and everything downstream of them (their inputs
    must already exist), e.g. to recompute the survival mart at another landmark.
    """
    models = load_models()
    order = model_order(models)
    if only is not None:
        unknown = only - set(models)
        if unknown:
            raise ValueError(f"unknown model(s): {', '.join(sorted(unknown))}")
        selected = set(only)
        for name in order:  # downstream closure, in order
            if set(models[name].depends_on) & selected:
                selected.add(name)
        order = [name for name in order if name in selected]
    for name in order:
        model = models[name]
        missing = [p for p in model.parameters if p not in parameters]
        if missing:
            raise ValueError(f"model {name} needs parameter(s) {', '.join(missing)}")
        # the model name and SQL come from the package's own files; values are bound
        con.execute(f"create or replace table {name} as {model.sql}", {p: parameters[p] for p in model.parameters})
    return order


def run_checks(con: duckdb.DuckDBPyConnection, parameters: dict[str, Any], *, show: int = 5) -> None:
    """Run every check; raise :class:`BuildCheckError` naming each failure and example rows."""
    failures = []
    for check in load_checks():
        rel = con.execute(check.sql, {p: parameters[p] for p in check.parameters})
        columns = [d[0] for d in rel.description]
        rows = rel.fetchall()
        if rows:
            examples = "; ".join(
                ", ".join(f"{c}={v}" for c, v in zip(columns, row, strict=True)) for row in rows[:show]
            )
            failures.append(f"check {check.name} failed ({check.message}): {len(rows)} row(s), e.g. {examples}")
    if failures:
        raise BuildCheckError("the KPI build did not reconcile:\n" + "\n".join(failures))
