"""Leader formatting of a table: column headers, numbers, percentages, money, dates (:func:`format_table`)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cskpi_analysis.report._page import _text_of

_PERCENT_WORDS = frozenset({"rate", "share", "retention", "nrr", "grr", "churn", "adoption", "risk"})


_MONEY_WORDS = frozenset({"mrr", "arr", "amount", "revenue"})


_P_VALUE = re.compile(r"^p$|^p_|_p$|_p_value$")


_BOUND = re.compile(r"^(?:lower|upper)(?:_\d+)?$|_(?:low|high|lower|upper)(?:_\d+)?$")


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")


_DAY_NAMED = re.compile(r"(?:date|day)s?$")


_ROW_UNIT_COLUMN = re.compile(r"^(?:value|baseline)$|_value$| ")


_ROW_NAME_COLUMNS = ("label", "name", "kpi", "metric")


_MISSING_TEXT = frozenset({"nan", "inf", "+inf", "-inf", "infinity", "-infinity", "nat", "none", "null"})


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


NOT_AVAILABLE = "n/a"


_ACRONYMS = {
    "mrr": "MRR", "arr": "ARR", "nrr": "NRR", "grr": "GRR", "nps": "NPS", "csat": "CSAT", "ttfv": "TTFV",
    "cs": "CS", "auc": "AUC", "id": "ID", "kpi": "KPI", "qbr": "QBR", "qbrs": "QBRs", "acv": "ACV",
    "ph": "PH", "ci": "CI", "ltv": "LTV", "cac": "CAC", "sla": "SLA", "csm": "CSM", "pct": "%",
}  # fmt: skip


_WINDOW = re.compile(r"^t?\d+[dwmqy]$")


def _words(name: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", name.lower()))


def header_label(name: str) -> str:
    """A column name in plain words: ``mrr_share`` -> ``MRR share``, ``nrr_t12m`` -> ``NRR (T12M)``.

    Names that already read as words (a space or a capital letter in them) keep their wording
    and only get a capital first letter. Otherwise underscores become spaces, the acronyms
    MRR, ARR, NRR, GRR, NPS, CSAT, TTFV, CS, AUC, ID, KPI, QBR, ACV, CI, LTV, CAC, SLA, CSM
    are upper-case, a window (``t12m``, ``1m``, ``30d``) goes in brackets at the end, ``p_value``
    is ``p-value`` and ``p_holm`` is ``p (Holm)``, and ``lower_95`` is ``Lower 95%``.

    Examples
    --------
    >>> header_label("logo_churn_rate"), header_label("account_id"), header_label("p_value")
    ('Logo churn rate', 'Account ID', 'p-value')
    """
    if " " in name or name != name.lower() or not name:
        return name[:1].upper() + name[1:]
    tokens = [t for t in name.split("_") if t]
    if not tokens:
        return name
    if tokens[0] == "p" and len(tokens) > 1:
        rest = " ".join(tokens[1:])
        return "p-value" if rest == "value" else f"p ({rest.capitalize()})"
    windows = [t.upper() for t in tokens[1:] if _WINDOW.match(t)]
    words = [t for i, t in enumerate(tokens) if i == 0 or not _WINDOW.match(t)]
    shown = []
    for index, word in enumerate(words):
        if word in _ACRONYMS:
            shown.append(_ACRONYMS[word])
        elif word.isdigit() and index > 0 and words[index - 1] in ("lower", "upper"):
            shown.append(f"{word}%")
        else:
            shown.append(word.capitalize() if index == 0 else word)
    return " ".join(shown) + "".join(f" ({w})" for w in windows)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_missing(value: Any, numeric: bool) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and not math.isfinite(value):
        return True
    return numeric and isinstance(value, str) and value.strip().lower() in _MISSING_TEXT


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _decimals(numbers: Sequence[float]) -> int:
    if not numbers or all(float(n).is_integer() for n in numbers):
        return 0
    top = max(abs(n) for n in numbers)
    return 0 if top >= 100 else 1 if top >= 10 else 2 if top >= 1 else 3


def _no_negative_zero(text: str) -> str:
    return text[1:] if text.startswith("-") and not re.search(r"[1-9]", text) else text


def _number(value: float, decimals: int) -> str:
    return _no_negative_zero(f"{value:,.{decimals}f}")


def _percent(value: float) -> str:
    return _no_negative_zero(f"{value * 100:.1f}%")


def _money(value: float) -> str:
    text = f"${abs(value):,.0f}"
    return text if value >= 0 or text == "$0" else "-" + text


def _p_value(value: float) -> str:
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _points(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    text = _no_negative_zero(text)
    return ("+" if value > 0 and text != "0" else "") + text + " pp"


def _date(moment: datetime, month_only: bool) -> str:
    month = f"{_MONTHS[moment.month - 1]} {moment.year}"
    if month_only:
        return month
    clock = f" {moment:%H:%M}" if (moment.hour, moment.minute, moment.second) != (0, 0, 0) else ""
    return f"{moment.day} {month}{clock}"


def _column_kind(name: str, values: Sequence[Any], field_type: str | None) -> str:
    present = [v for v in values if not _is_missing(v, numeric=False)]
    if field_type == "boolean" or (present and all(isinstance(v, bool) for v in present)):
        return "bool"
    if field_type in ("date", "datetime") or (present and all(_as_datetime(v) for v in present)):
        return "date"
    numeric = field_type in ("integer", "number") or (present and all(_is_number(v) for v in present))
    if not numeric:
        return "text"
    numbers = [v for v in values if _is_number(v) and math.isfinite(v)]
    words, lower = _words(name), name.lower()
    if _P_VALUE.search(lower):
        return "p"
    if "pp" in words:
        return "pp"
    if words & _PERCENT_WORDS and field_type != "integer" and all(-10 <= v <= 10 for v in numbers):
        return "percent"
    if words & _MONEY_WORDS:
        return "money"
    if lower == "year" or lower.endswith("_year"):
        return "year"
    return "number"


@dataclass(frozen=True)
class FormattedTable:
    """A table as a leader reads it.

    Attributes
    ----------
    headers : column names in plain words (:func:`header_label`).
    numeric : whether each column holds numbers (right-aligned).
    cells : the formatted values, one list per row.
    """

    headers: list[str]
    numeric: list[bool]
    cells: list[list[str]] = field(repr=False)


def format_table(
    columns: Sequence[str], rows: Sequence[Mapping[str, Any]], field_types: Mapping[str, str] | None = None
) -> FormattedTable:
    """Format a table's values for a leader; every rule is here, the first that matches applies.

    ===  =========================================  ==============================  ======================
    #    column (name, type)                        condition                       shown as
    ===  =========================================  ==============================  ======================
    1    any                                        None, NaN, inf (also the text   ``n/a``
                                                    ``"inf"`` in a number column)
    2    booleans                                                                   ``yes`` / ``no``
    3    dates, timestamps (type ``date`` /         every value the 1st of a month  ``Jul 2026``
         ``datetime``, or ISO text)                 and the name not ``*date`` /
                                                    ``*day``
    4    dates, timestamps                          otherwise                       ``3 Jul 2026``
                                                                                    (``14:05`` if timed)
    5    p-value: ``p``, ``p_*``, ``*_p``,                                          ``< 0.001``, ``0.467``
         ``*_p_value``
    6    percentage points: a word ``pp``                                           ``-0.9 pp``
    7    rate: a word rate, share, retention, nrr,  not integer-typed, every value  ``97.1%``
         grr, churn, adoption or risk               within [-10, 10]
    8    money: a word mrr, arr, amount, revenue                                    ``$5,533``,
                                                                                    ``-$17,348``
    9    an interval bound (``lower_95``,           its own name matched none of    like that column
         ``*_low``, ``*_upper``...)                 5-8                             (rules 7-8)
    10   a KPI's value (``value``, ``baseline``,    the row's name (``label``,      ``97.1%`` (else
         ``*_value``, a name with spaces) in a      ``name``, ``kpi``; ``X_name``   rule 12)
         table with a name column                   for ``X_value``) says rate
                                                    (rule 7's words), value within
                                                    [-10, 10]
    11   ``year``, ``*_year``                                                       ``2023``
    12   other numbers                              decimals from the column's      ``1,970``, ``24.7``,
                                                    largest value: whole numbers    ``2.62``, ``0.971``
                                                    0; >= 100: 0; >= 10: 1; >= 1:
                                                    2; else 3
    13   text                                                                       as is
    ===  =========================================  ==============================  ======================

    It is a heuristic on names and values, meant for reading; the raw values go in the CSV.

    Parameters
    ----------
    columns : the columns to show, in order.
    rows : one mapping per row (column -> raw value, as marimo serialised it).
    field_types : column -> marimo's field type (``integer``, ``number``, ``string``,
        ``boolean``, ``date``, ``datetime``); guessed from the values where missing.

    Examples
    --------
    >>> table = format_table(["segment", "nrr_t12m", "mrr"], [{"segment": "SMB", "nrr_t12m": 0.9706, "mrr": 5532.558}])
    >>> table.headers, table.cells
    (['Segment', 'NRR (T12M)', 'MRR'], [['SMB', '97.1%', '$5,533']])
    """
    field_types = field_types or {}
    values = {c: [row.get(c) for row in rows] for c in columns}
    kinds = {c: _column_kind(c, values[c], field_types.get(c)) for c in columns}
    previous = None
    for column in columns:  # rule 9: a bound is formatted like the column it bounds
        if _BOUND.search(column.lower()):
            inherited = kinds.get(previous) if previous else None
            numbers = [v for v in values[column] if _is_number(v) and math.isfinite(v)]
            if kinds[column] == "number" and inherited == "money":
                kinds[column] = "money"
            elif kinds[column] == "number" and inherited == "percent" and all(-10 <= v <= 10 for v in numbers):
                kinds[column] = "percent"
        else:
            previous = column
    row_names: dict[str, str | None] = {}
    for column in columns:  # rule 10: a KPI's value takes its unit from the row's name
        if kinds[column] == "number" and _ROW_UNIT_COLUMN.search(column.lower()):
            own = column[: -len("_value")] + "_name" if column.lower().endswith("_value") else None
            candidates = [own] if own in values else [n for n in _ROW_NAME_COLUMNS if n in values]
            row_names[column] = candidates[0] if candidates else None

    def rate_row(column: str, row: Mapping[str, Any], value: Any) -> bool:
        name_column = row_names.get(column)
        if not name_column or not _is_number(value) or not -10 <= value <= 10:
            return False
        return bool(_words(str(row.get(name_column) or "")) & _PERCENT_WORDS)

    decimals = {}
    month_only = {}
    for column in columns:
        if kinds[column] == "number":
            numbers = [
                v
                for row, v in zip(rows, values[column], strict=True)
                if _is_number(v) and math.isfinite(v) and not rate_row(column, row, v)
            ]
            decimals[column] = _decimals(numbers)
        elif kinds[column] == "date":
            moments = [m for m in (_as_datetime(str(v)) for v in values[column]) if m is not None]
            month_only[column] = (
                bool(moments)
                and all((m.day, m.hour, m.minute, m.second) == (1, 0, 0, 0) for m in moments)
                and not _DAY_NAMED.search(column.lower())
            )

    def cell(column: str, row: Mapping[str, Any]) -> str:
        value, kind = row.get(column), kinds[column]
        if _is_missing(value, numeric=kind not in ("text", "bool")):
            return NOT_AVAILABLE
        if kind == "bool":
            return "yes" if value else "no"
        if kind == "date":
            moment = _as_datetime(str(value))
            return _date(moment, month_only[column]) if moment else str(value)
        if kind == "text" or not _is_number(value):
            return _cell_text(value)
        if kind == "p":
            return _p_value(value)
        if kind == "pp":
            return _points(value)
        if kind == "percent" or (kind == "number" and rate_row(column, row, value)):
            return _percent(value)
        if kind == "money":
            return _money(value)
        if kind == "year":
            return str(int(value)) if float(value).is_integer() else str(value)
        return _number(value, decimals[column])

    return FormattedTable(
        headers=[header_label(c) for c in columns],
        numeric=[kinds[c] not in ("text", "bool", "date") for c in columns],
        cells=[[cell(c, row) for c in columns] for row in rows],
    )


def _cell_text(value: Any) -> str:
    if isinstance(value, dict) and "_serialized_mime_bundle" in value:
        bundle = value["_serialized_mime_bundle"] or {}
        data = bundle.get("data", "")
        return _text_of(str(data)) if "html" in str(bundle.get("mimetype", "")) else str(data)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
