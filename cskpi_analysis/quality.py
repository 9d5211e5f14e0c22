"""Data-quality views of a loaded folder: what was loaded, coverage, gaps.

Every function reads a small data-quality mart of the warehouse (``mart_source_tables``,
``mart_source_coverage``, ``mart_usage_daily``, ``mart_accounts_without_usage``, built with
the KPI marts) and returns an aggregated frame: the first look an analyst takes at their own
exports (notebook ``00_data_quality``).

It also says what the folder provided (:func:`sources`): which optional tables have rows, which
columns have values, whether any account reached first value. Every analysis declares what it
needs and is left out, with one sentence saying what data would enable it (:class:`LeftOut`),
when that is missing: a number computed from absent data would look like a finding.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, TypeVar

import duckdb
import pandas as pd

from cskpi_analysis.contract import TABLES
from cskpi_analysis.narrative import user_text
from cskpi_analysis.warehouse import Reader


class _Needs(Protocol):
    @property
    def needs(self) -> Sequence[str]: ...


_Item = TypeVar("_Item", bound=_Needs)


def table_summary(con: Reader) -> pd.DataFrame:
    """One row per contract table: rows, distinct accounts, first and last date (``mart_source_tables``).

    Columns: ``table``, ``required``, ``rows``, ``accounts``, ``first_date``, ``last_date``.
    An optional table that is absent has 0 rows.
    """
    rows = con.execute(
        "select table_name, row_count, accounts, first_date, last_date from mart_source_tables order by position"
    ).fetchall()
    records = [
        {"table": name, "required": TABLES[name].required, "rows": count, "accounts": accounts,
         "first_date": first, "last_date": last}
        for name, count, accounts, first, last in rows
    ]  # fmt: skip
    return pd.DataFrame(records)


def monthly_coverage(con: Reader) -> pd.DataFrame:
    """Rows per table per calendar month (tidy: ``table``, ``month``, ``rows``), within the KPI calendar.

    A month with no rows for a table that has rows elsewhere is a gap in the export.
    """
    return con.execute(
        'select table_name as "table", month, row_count as rows from mart_source_coverage order by 1, 2'
    ).df()


def coverage_gaps(coverage: pd.DataFrame) -> pd.DataFrame:
    """Months with no rows for a table that has rows both before and after them."""
    gaps = []
    for table, group in coverage.groupby("table"):
        nonzero = group.loc[group["rows"] > 0, "month"]
        if nonzero.empty:
            continue
        inside = group[(group["month"] > nonzero.min()) & (group["month"] < nonzero.max()) & (group["rows"] == 0)]
        gaps += [{"table": table, "month": m} for m in inside["month"]]
    return pd.DataFrame(gaps, columns=["table", "month"])


def events_per_day(con: Reader) -> pd.DataFrame:
    """Usage events and active accounts per day (``day``, ``events``, ``active_accounts``)."""
    return con.execute("select day, events, active_accounts from mart_usage_daily order by day").df()


def accounts_without_usage(con: Reader) -> pd.DataFrame:
    """Paying accounts with no usage event at all, by segment (numerator and denominator)."""
    return con.execute(
        "select segment, paying_accounts, accounts_without_usage, share_without_usage "
        "from mart_accounts_without_usage order by segment"
    ).df()


def date_range_sentence(summary: pd.DataFrame, as_of: object) -> str:
    """One sentence on what the folder spans and the analysis date."""
    present = summary[summary["rows"] > 0]
    first, last = present["first_date"].min(), present["last_date"].max()
    optional_missing = summary[(~summary["required"]) & (summary["rows"] == 0)]["table"].tolist()
    sentence = (
        f"The exports span {first:%d %b %Y} to {last:%d %b %Y}; every KPI is computed as of {as_of:%d %b %Y} "
        f"(nothing after that day exists for the analysis)."
    )
    if optional_missing:
        sentence += (
            f" Optional tables not provided: {', '.join(optional_missing)} (the analyses that need them are skipped)."
        )
    return sentence


# --------------------------------------------------------------------------- what the folder provided

#: Requirement names that are not contract columns: ``first_value`` (some account reached first
#: value under the configured rule) and analysis options that must be set in ``cskpi.toml``.
FIRST_VALUE = "first_value"
KEY_FEATURES = "analysis.key_features"


@dataclass(frozen=True)
class Sources:
    """What a folder provided: the tables with rows and, for each, the columns with a value.

    An analysis declares what it needs as requirements: a table (``"usage_events"``), a column of
    a table (``"support_tickets.csat"``: the table has rows and the column at least one value),
    :data:`FIRST_VALUE` (some account reached first value under the configured rule) or
    :data:`KEY_FEATURES` (key features are named in ``cskpi.toml``); :meth:`needs` says, in plain
    words, what is missing.

    Attributes
    ----------
    columns : table -> its non-empty columns, for the tables with at least one row.
    first_value_reason : why no account has a first value ("needs milestones ..."), or None when some have.
    options : the analysis options that are set (e.g. ``analysis.key_features``).
    """

    columns: Mapping[str, frozenset[str]]
    first_value_reason: str | None = None
    options: frozenset[str] = frozenset({KEY_FEATURES})

    @classmethod
    def everything(cls) -> Sources:
        """Every contract table and column present (what is assumed when nothing is known)."""
        return cls({name: frozenset(c.name for c in table.columns) for name, table in TABLES.items()})

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (a frame keeps them in ``attrs``, which Parquet stores as JSON)."""
        return {
            "columns": {table: sorted(columns) for table, columns in self.columns.items()},
            "first_value_reason": self.first_value_reason,
            "options": sorted(self.options),
        }

    @classmethod
    def of(cls, frame: pd.DataFrame) -> Sources:
        """What a frame's ``attrs["sources"]`` (:meth:`to_dict`) say; everything when they say nothing."""
        data = frame.attrs.get("sources")
        if isinstance(data, Sources):
            return data
        if not data:
            return cls.everything()
        return cls(
            {table: frozenset(columns) for table, columns in data["columns"].items()},
            data.get("first_value_reason"),
            frozenset(data.get("options", ())),
        )

    def has(self, requirement: str) -> bool:
        """Whether one requirement is met (see the class docstring)."""
        return self.needs((requirement,)) is None

    def needs(self, requirements: Iterable[str]) -> str | None:
        """What is missing for ``requirements``, as a phrase ("needs usage_events"); None when nothing is."""
        tables: list[str] = []
        empty: list[str] = []
        others: list[str] = []
        for requirement in requirements:
            if requirement == FIRST_VALUE:
                if self.first_value_reason:
                    others.append(self.first_value_reason)
                continue
            if requirement.startswith("analysis."):
                if requirement not in self.options:
                    others.append(f"needs {requirement.split('.', 1)[1]} in cskpi.toml")
                continue
            table, _, column = requirement.partition(".")
            if table not in self.columns:
                tables.append(table)
            elif column and column not in self.columns[table]:
                empty.append(requirement)
        parts = []
        if tables:
            parts.append("needs " + _join(list(dict.fromkeys(tables))))
        if empty:
            parts.append("needs values in " + _join(list(dict.fromkeys(empty))))
        parts += list(dict.fromkeys(others))
        return "; ".join(parts) or None

    def split(
        self,
        items: Iterable[_Item],
        name: Callable[[_Item], tuple[str, str]],
        other_reason: Callable[[_Item], str | None],
    ) -> tuple[tuple[_Item, ...], list[LeftOut]]:
        """``items`` this data can support, and the others as :class:`LeftOut` with the reason.

        An item (an indicator, a covariate) is left out when a source it ``needs`` is missing, else
        when ``other_reason(item)`` gives one (e.g. it takes a single value). ``name(item)`` is its
        (id, label).
        """
        kept: list[_Item] = []
        left_out: list[LeftOut] = []
        for item in items:
            reason = self.needs(item.needs) or other_reason(item)
            if reason:
                left_out.append(LeftOut(*name(item), reason))
            else:
                kept.append(item)
        return tuple(kept), left_out


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


class LeftOut(NamedTuple):
    """An analysis (a covariate, an indicator, a section) left out, and why.

    ``reason`` says what data would enable it ("needs usage_events"); :attr:`sentence` is the
    plain sentence the commands and notebooks show.
    """

    name: str
    label: str
    reason: str

    @property
    def sentence(self) -> str:
        """E.g. "Active days by day 30: left out — needs usage_events."."""
        return f"{self.label}: left out — {self.reason}."

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "label": self.label, "reason": self.reason, "sentence": self.sentence}


def describe_left_out(left_out: Sequence[LeftOut], everything: str = "Nothing is left out.") -> str:
    """The left-out sentences as a Markdown list (``everything`` when nothing is left out)."""
    if not left_out:
        return everything
    return "\n".join(f"- {user_text(item.sentence)}" for item in left_out)


def needs_any(left_out: Sequence[LeftOut], otherwise: str = "needs data that varies") -> str:
    """``needs one of A, B or C``: what would enable at least one of the items left out for lack of data.

    Items left out for another reason (a constant) are not counted; ``otherwise`` when none is left.
    """
    wanted = [r.removeprefix("needs ") for r in dict.fromkeys(i.reason for i in left_out) if r.startswith("needs ")]
    if not wanted:
        return otherwise
    if len(wanted) == 1:
        return f"needs {wanted[0]}"
    return f"needs one of {', '.join(wanted[:-1])} or {wanted[-1]}"


def source_columns(con: Reader) -> dict[str, set[str]] | None:
    """Tables with rows in a built warehouse, and their non-empty columns; None if unknown.

    Read from the source profile a warehouse file keeps (``cskpi_source_profile``), or from the
    ``src_`` views of an in-memory build; a warehouse's ``has_<table>`` parameters, when set,
    say which optional tables have rows.
    """
    from cskpi_analysis.warehouse import PROFILE_TABLE

    relations = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    out: dict[str, set[str]] = {}
    if PROFILE_TABLE in relations:
        rows = con.execute(f"select table_name, column_name from {PROFILE_TABLE} where rows > 0 and non_empty > 0")
        for table, column in rows.fetchall():
            out.setdefault(table, set()).add(column)
    elif all(f"src_{name}" in relations for name in TABLES):
        for name, table in TABLES.items():
            counts = ", ".join(f'count("{c.name}")' for c in table.columns)
            # names come from the contract, not from the user
            row = con.execute(f"select count(*), {counts} from src_{name}").fetchone()
            if row and row[0]:
                out[name] = {c.name for c, n in zip(table.columns, row[1:], strict=True) if n}
    else:
        return None
    parameters = getattr(con, "parameters", None) or {}
    for name in list(out):
        if parameters.get(f"has_{name}") is False:
            del out[name]
    return out


def first_value_reason(con: Reader, columns: Mapping[str, Iterable[str]] | None = None) -> str | None:
    """Why no account has a first value, in plain words; None when some account reached it.

    First value is the first use of ``analysis.first_value_event`` when set, else the first
    ``analysis.first_value_milestone`` milestone (``int_account_first_value``).
    """
    try:
        row = con.execute("select count(first_value_date) from int_landmark_first_value").fetchone()
    except duckdb.Error:
        return None  # not built here: nothing known, nothing claimed
    if row and row[0]:
        return None
    config = getattr(con, "config", None)
    event = getattr(config, "first_value_event", "")
    milestone = getattr(config, "first_value_milestone", "first_value")
    present = set(columns) if columns is not None else set(TABLES)
    if event:
        if "usage_events" not in present:
            return f"needs usage_events (first value is the first use of '{event}', analysis.first_value_event)"
        return f"needs usage events of feature '{event}' (analysis.first_value_event); the data has none"
    if "milestones" not in present:
        return f"needs milestones (a '{milestone}' milestone marks first value)"
    return f"needs '{milestone}' milestones (analysis.first_value_milestone); the milestones table has none"


def sources(con: Reader) -> Sources:
    """What the folder behind ``con`` provided (:class:`Sources`); everything when nothing is known."""
    columns = source_columns(con)
    config = getattr(con, "config", None)
    options = frozenset({KEY_FEATURES}) if config is None or config.key_features else frozenset()
    if columns is None:
        return dataclasses.replace(Sources.everything(), first_value_reason=first_value_reason(con), options=options)
    return Sources(
        {table: frozenset(cols) for table, cols in columns.items()},
        first_value_reason(con, columns),
        options,
    )


def silent_accounts_sentence(silent: pd.DataFrame, provided: Sources | None = None) -> str:
    """One sentence on the paying accounts without any usage event (:func:`accounts_without_usage`).

    Without a usage_events table nothing says whether an account uses the product, so no
    account is counted as silent.
    """
    if provided is not None and not provided.has("usage_events"):
        return (
            "Silent accounts: left out — needs usage_events (no usage_events table was provided, so nothing "
            "says whether an account uses the product)."
        )
    total = silent["accounts_without_usage"].sum()
    paying = silent["paying_accounts"].sum()
    return (
        f"{int(total):,} of {int(paying):,} accounts that ever paid "
        f"({total / max(paying, 1):.1%}) have no usage event at all."
    )
