"""A small runner for the layered SQL models in ``cskpi_analysis/sql/``.

One relation per file, file name = relation name, layered ``stg_`` (rename and cast
one source) -> ``int_`` (transform) -> ``mart_`` (business grain, documented). Each
model is materialised in dependency order (a table, or in a warehouse file a temporary
table or view unless something reads it: :func:`materialisation`), found by scanning the SQL for
the names of the other models (:func:`referenced_relations`; sqlglot's full parse, :func:`referenced_tables`,
is its test oracle). Parameters are bound (``$as_of``), never pasted into SQL: a model receives
exactly the parameters it references.

Checks live in ``sql/checks/``: each is a query that returns the rows breaking an
identity (dbt's singular tests); its first comment line is the message.
"""

from __future__ import annotations

import functools
import graphlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import duckdb

from cskpi_analysis.errors import BuildCheckError

_PARAMETER = re.compile(r"\$([a-z_][a-z0-9_]*)")
_LINE_COMMENT = re.compile(r"--[^\n]*")
_MATERIALIZATION = re.compile(r"^materialization:\s*(view|table)\s*$", re.MULTILINE)
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
    def declared_materialization(self) -> str | None:
        """``view`` or ``table`` when the header says ``-- materialization: view|table``."""
        match = _MATERIALIZATION.search(self.description)
        return match.group(1) if match else None

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
    """Names of the tables and views a query reads, CTE names excluded (parsed by sqlglot)."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="duckdb")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return {table.name for table in tree.find_all(exp.Table) if table.name and table.name not in ctes}


_COMMENT_OR_STRING = re.compile(r"--[^\n]*|'(?:[^']|'')*'")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CTE_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s+as\s*\(", re.IGNORECASE)


def referenced_relations(sql: str, names: Iterable[str]) -> set[str]:
    """Which of ``names`` (the models) a query reads: every word of its text, outside comments and string
    literals, that is one of them and not the name of one of its CTEs.

    The same answer as :func:`referenced_tables` for our models (``tests/test_models.py`` compares them on
    every model and check), at a tiny fraction of the cost: parsing the 45 models with sqlglot took
    0.6 s of every build and every variant warehouse.
    """
    text = _COMMENT_OR_STRING.sub(" ", sql)
    ctes = set(_CTE_NAME.findall(text))
    wanted = set(names)
    return {word for word in _WORD.findall(text) if word in wanted and word not in ctes}


def parameters_of(sql: str) -> tuple[str, ...]:
    """Bound parameter names a query uses, in order of first use (comments may name others)."""
    return tuple(dict.fromkeys(_PARAMETER.findall(_LINE_COMMENT.sub("", sql))))


@functools.cache
def _load_models() -> dict[str, Model]:
    files = sorted(p for p in _sql_dir().iterdir() if p.name.endswith(".sql"))
    sources = {f.name[: -len(".sql")]: f.read_text(encoding="utf-8") for f in files}
    models = {}
    for name, sql in sources.items():
        if name.split("_", 1)[0] not in LAYERS:
            raise ValueError(f"model {name}.sql must start with one of {', '.join(p + '_' for p in LAYERS)}")
        depends_on = tuple(sorted(referenced_relations(sql, sources)))
        models[name] = Model(name, sql, depends_on, parameters_of(sql))
    return models


def load_models() -> dict[str, Model]:
    """Every model in ``cskpi_analysis/sql/``, keyed by name (parsed once per process)."""
    return dict(_load_models())


@dataclass(frozen=True)
class MartContract:
    """A mart's generic contract (``sql/checks/contracts.toml``): dbt's unique, not_null, accepted_values."""

    mart: str
    description: str
    key: tuple[str, ...]
    unique: bool = True
    not_null: tuple[str, ...] = ()
    segment: str | None = None
    accepted: tuple[tuple[str, tuple[str | int, ...]], ...] = ()


_SEGMENT_RULES = ("accounts", "accounts or All")


def load_contracts() -> dict[str, MartContract]:
    """Every mart's contract in ``sql/checks/contracts.toml``, keyed by mart."""
    import tomllib

    raw = tomllib.loads(_sql_dir().joinpath("checks", "contracts.toml").read_text(encoding="utf-8"))
    contracts = {}
    for mart, entry in raw.items():
        unknown = set(entry) - {"description", "key", "unique", "not_null", "segment", "accepted"}
        if unknown or not entry.get("key") or entry.get("segment", "accounts") not in _SEGMENT_RULES:
            raise ValueError(f"contracts.toml [{mart}]: needs description and key; segment one of {_SEGMENT_RULES}")
        contracts[mart] = MartContract(
            mart,
            entry["description"],
            tuple(entry["key"]),
            bool(entry.get("unique", True)),
            tuple(entry.get("not_null", ())),
            entry.get("segment"),
            tuple((column, tuple(values)) for column, values in entry.get("accepted", {}).items()),
        )
    return contracts


def _first_null(columns: tuple[str, ...]) -> str:
    cases = " ".join(f"when {c} is null then '{c}'" for c in columns)
    return f"case {cases} end"


def _literal(value: str | int) -> str:
    return "'" + value.replace("'", "''") + "'" if isinstance(value, str) else str(int(value))


def contract_sql(contract: MartContract) -> str:
    """The check query of a contract: the rows breaking it, as ``problem, <key columns>, value``."""
    mart, key = contract.mart, ", ".join(contract.key)
    parts = []
    if contract.unique:
        parts.append(
            f"select 'duplicate key' as problem, {key}, cast(count(*) as varchar) as value\n"
            f"from {mart}\ngroup by {key}\nhaving count(*) > 1"
        )
        parts.append(
            f"select 'null key' as problem, {key}, {_first_null(contract.key)} as value\n"
            f"from {mart}\nwhere {' or '.join(f'{c} is null' for c in contract.key)}"
        )
    if contract.not_null:
        parts.append(
            f"select 'null value' as problem, {key}, {_first_null(contract.not_null)} as value\n"
            f"from {mart}\nwhere {' or '.join(f'{c} is null' for c in contract.not_null)}"
        )
    if contract.segment is not None:
        roll_up = "segment <> 'All' and " if contract.segment == "accounts or All" else ""
        parts.append(
            f"select 'unaccepted segment' as problem, {key}, segment as value\nfrom {mart}\n"
            f"where {roll_up}not exists (select 1 from stg_accounts where stg_accounts.segment = {mart}.segment)"
        )
    for column, values in contract.accepted:
        parts.append(
            f"select 'unaccepted {column}' as problem, {key}, cast({column} as varchar) as value\nfrom {mart}\n"
            f"where {column} not in ({', '.join(_literal(v) for v in values)})"
        )
    return "\nunion all\n".join(parts) + "\n"


def load_checks() -> list[Check]:
    """Every check: one per mart (its contract in ``contracts.toml``, with ``checks/<mart>.sql`` added to
    it when that file holds more of its identities), and the other files of ``sql/checks/``."""
    folder = _sql_dir().joinpath("checks")
    files = {p.name[: -len(".sql")]: p.read_text(encoding="utf-8") for p in folder.iterdir() if p.name.endswith(".sql")}
    contracts = load_contracts()
    checks = []
    for name in sorted(set(files) | set(contracts)):
        sql = files.get(name, "")
        if name in contracts:
            own = "\n".join(line for line in sql.splitlines() if not line.startswith("--")).strip()
            sql = contract_sql(contracts[name]) + (f"union all\n{own}\n" if own else "")
            message = contracts[name].description
        else:
            first = sql.splitlines()[0] if sql else ""
            message = first[2:].strip() if first.startswith("--") else name
        checks.append(Check(name, sql, message, parameters_of(sql)))
    return checks


def model_order(models: dict[str, Model]) -> list[str]:
    """Model names in an order where every model comes after what it reads."""
    sorter = graphlib.TopologicalSorter({name: set(m.depends_on) for name, m in models.items()})
    return list(sorter.static_order())


#: Intermediate and staging models that the Python readers select from: written to the warehouse
#: file with the marts. Every other ``stg_``/``int_`` model is temporary (a view or a temp table).
PERSISTED: frozenset[str] = frozenset(
    {
        "stg_accounts",
        "stg_health_scores",
        "int_months",
        "int_account_spells",
        "int_landmark_cohort",
        "int_landmark_first_value",
        "int_landmark_key_features",
    }
)

Materialise = Callable[[Model], str]
"""How a model is stored: ``"table"``, ``"temp table"`` or ``"temp view"``."""


def materialisation(source_formats: dict[str, str]) -> Materialise:
    """The storage of each model in a warehouse file: persist what is read, nothing else.

    Marts and :data:`PERSISTED` models are tables in the file. A model whose header says
    ``-- materialization: view`` (a thin union read once) is a temporary view. A staging model over a Parquet
    file (or an absent table) is a temporary view, read in place by the models above it; over a
    CSV file it is a temporary table, so the text is parsed once. Other intermediates are
    temporary tables.

    Parameters
    ----------
    source_formats : file suffix (``".csv"``/``".parquet"``) of each contract table present.
    """

    def how(model: Model) -> str:
        if model.layer == "mart" or model.name in PERSISTED:
            return "table"
        if model.declared_materialization == "view":
            return "temp view"
        if model.layer == "stg":
            return "temp table" if source_formats.get(model.name[len("stg_") :]) == ".csv" else "temp view"
        return "temp table"

    return how


def _closure(models: dict[str, Model], order: list[str], only: set[str]) -> set[str]:
    """``only`` and every model downstream of it."""
    selected = set(only)
    for name in order:
        if set(models[name].depends_on) & selected:
            selected.add(name)
    return selected


def _inputs(models: dict[str, Model], selected: set[str], available: set[str]) -> tuple[set[str], set[str]]:
    """What the selected models read from outside the selection: (reused from ``available``, recomputed)."""
    reused: set[str] = set()
    recomputed: set[str] = set()
    stack = [d for name in selected for d in models[name].depends_on]
    while stack:
        name = stack.pop()
        if name in selected or name in reused or name in recomputed:
            continue
        if name in available:
            reused.add(name)
        else:
            recomputed.add(name)
            stack.extend(models[name].depends_on)
    return reused, recomputed


def run_models(
    con: duckdb.DuckDBPyConnection,
    parameters: dict[str, Any],
    *,
    only: set[str] | None = None,
    targets: set[str] | None = None,
    materialise: Materialise | None = None,
    available: set[str] | None = None,
    reuse: Callable[[str], str] | None = None,
) -> list[str]:
    """Materialise the models in dependency order; return the relations created.

    The ``src_<table>`` views must exist (see :func:`cskpi_analysis.sources.register_sources`).

    Parameters
    ----------
    con : the connection to build on.
    parameters : bound parameters; a model receives exactly those its SQL references.
    only : rebuild just these models and everything downstream of them.
    targets : build just these models and what they read (e.g. the KPI marts alone).
    materialise : storage per model (see :func:`materialisation`); default: every model a table.
    available : with ``only``, relations that exist elsewhere and are read through ``reuse``
        (a ``select`` returning the relation, e.g. from an attached base warehouse) instead of
        being rebuilt; inputs neither selected nor available are recomputed as temporary tables.
        Without ``available``, the inputs of ``only`` must already exist on ``con``.
    """
    models = load_models()
    order = model_order(models)
    reused: set[str] = set()
    recomputed: set[str] = set()
    if only is not None:
        unknown = only - set(models)
        if unknown:
            raise ValueError(f"unknown model(s): {', '.join(sorted(unknown))}")
        selected = _closure(models, order, only)
        if available is not None:
            reused, recomputed = _inputs(models, selected, available)
    elif targets is not None:
        selected = set(targets)
        stack = [d for name in targets for d in models[name].depends_on]
        while stack:
            name = stack.pop()
            if name not in selected:
                selected.add(name)
                stack.extend(models[name].depends_on)
    else:
        selected = set(models)
    created = []
    for name in order:
        if name not in selected and name not in reused and name not in recomputed:
            continue
        if name in reused:
            assert reuse is not None, "run_models(available=...) needs reuse="
            con.execute(f"create or replace temp view {name} as {reuse(name)}")
            created.append(name)
            continue
        model = models[name]
        missing = [p for p in model.parameters if p not in parameters]
        if missing:
            raise ValueError(f"model {name} needs parameter(s) {', '.join(missing)}")
        kind = materialise(model) if materialise else "table"
        if name in recomputed and kind == "table":
            kind = "temp table"
        # the model name and SQL come from the package's own files; values are bound
        con.execute(f"create or replace {kind} {name} as {model.sql}", {p: parameters[p] for p in model.parameters})
        created.append(name)
    return created


def run_checks(
    con: duckdb.DuckDBPyConnection,
    parameters: dict[str, Any],
    *,
    show: int = 5,
    only_tables: Iterable[str] | None = None,
) -> None:
    """Run every check; raise :class:`BuildCheckError` naming each failure and example rows.

    ``only_tables`` runs just the checks that read nothing but those relations (a partial build).
    """
    failures = []
    allowed = set(only_tables) if only_tables is not None else None
    for check in load_checks():
        if allowed is not None and not referenced_tables(check.sql) <= allowed:
            continue
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
