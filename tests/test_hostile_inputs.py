"""Hostile inputs: validation and build agree by construction (issue 12).

Each case copies tests/fixtures/contract/valid (see tests/test_validate.py) and breaks it the
way real exports do: Unicode white space around values, numbers beyond what the build stores,
time-zone offsets and names, text-typed Parquet with '' for "no value", typos that would move
``as_of``, a repeated header, a folder named like a file, UTF-16 text, personal data as the
segment. For every case:

* ``cskpi validate`` exits 1 (refused, the message naming file, row, column and value) or 0
  (handled);
* ``cskpi build`` never exits 2 (an internal error): it exits 0 when validation passed, 1 when
  it refused;
* the source files are byte-identical afterwards.

Row numbers in the expected messages are data rows of the fixture files (row N = line N + 1).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cskpi_analysis.cli import main
from cskpi_analysis.config import AnalysisConfig, load_config
from cskpi_analysis.errors import ConfigError
from cskpi_analysis.sources import register_sources
from cskpi_analysis.validate import validate_dir

REPO = Path(__file__).resolve().parents[1]
VALID = REPO / "tests" / "fixtures" / "contract" / "valid"

NBSP, NNBSP, IDEOGRAPHIC, BOM, ZWSP = "\u00a0", "\u202f", "\u3000", "\ufeff", "\u200b"


# --------------------------------------------------------------------------- building a case


def replace_in(path: Path, old: str, new: str) -> None:
    """Replace the first ``old`` in a file by ``new`` (the text must be there)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def append_rows(path: Path, *lines: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.writelines(line + "\n" for line in lines)


def no_as_of(folder: Path) -> None:
    """Drop analysis.as_of: it is inferred from the data (key features kept)."""
    (folder / "cskpi.toml").write_text('[analysis]\nkey_features = ["reports", "integrations", "automations"]\n')


def to_parquet(folder: Path, table: str, select: str = "*", *, text: bool = False) -> Path:
    """``folder/table.csv`` as Parquet (native types sniffed, or every column text if ``text``); the CSV is removed."""
    csv, parquet = folder / f"{table}.csv", folder / f"{table}.parquet"
    with duckdb.connect() as con:  # its own connection: the default one may hold another test's result
        con.read_csv(str(csv), header=True, all_varchar=text).select(select).write_parquet(str(parquet))
    csv.unlink()
    return parquet


def tree_digest(folder: Path) -> dict[str, str]:
    """A hash of every file under ``folder`` (folders named like tables included)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --------------------------------------------------------------------------- the cases


@dataclass(frozen=True)
class Case:
    """A hostile folder: how to make it, the exit status of ``cskpi validate``, what its output must say."""

    id: str
    make: Callable[[Path], None]
    exit: int
    expect: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()


def _nbsp_everywhere(folder: Path) -> None:
    """Spreadsheet exports: no-break and other Unicode spaces around dates, timestamps and numbers."""
    subs = folder / "subscriptions.csv"
    replace_in(subs, "A-1,2024-01-01,,100,basic,1", f"A-1,2024-01-01{NBSP},{NBSP},100{NBSP},basic,1{NNBSP}")
    replace_in(subs, "2024-06-01,500", f"{IDEOGRAPHIC}2024-06-01{NBSP},{BOM}500{ZWSP}")
    replace_in(folder / "accounts.csv", "A-2,2024-02-01", f"A-2,2024-02-01{NBSP}")
    replace_in(folder / "usage_events.csv", "2024-06-03 09:15:00", f"2024-06-03 09:15:00{NBSP}")
    replace_in(folder / "health_scores.csv", "45.5", f"\t45.5{NBSP}")
    replace_in(folder / "support_tickets.csv", ",5\n", f",5{NBSP}\n")
    replace_in(folder / "nps_responses.csv", "12:00:00,9", f"12:00:00{NNBSP},{NBSP}9")


def _blank_optional_csv(folder: Path) -> None:
    """Optional typed values that are only white space: no value, as in the validator."""
    replace_in(folder / "subscriptions.csv", "A-1,2024-01-01,,100,basic,1", f"A-1,2024-01-01,   ,100,basic,{NBSP}")
    replace_in(folder / "support_tickets.csv", "09:30:00,,", f"09:30:00,{NBSP} ,  ")


def _text_parquet_with_empty_strings(folder: Path) -> None:
    """Every table as text-typed Parquet, '' where the CSV had no value (end_date, csat, user_id...)."""
    replace_in(folder / "usage_events.csv", "reports,u3", "reports,")
    for table in ("accounts", "subscriptions", "support_tickets", "usage_events"):
        to_parquet(folder, table, "coalesce(columns(*), '')", text=True)


def _offsets(folder: Path) -> None:
    """UTC offsets in every timestamp table: converted to UTC (2024-06-01T10:00:00+14:00 is 2024-05-31 20:00)."""
    events = folder / "usage_events.csv"
    replace_in(events, "2024-06-01 10:00:00", "2024-06-01T10:00:00+14:00")
    replace_in(events, "2024-05-02 11:30:00", "2024-05-02T11:30:00Z")
    replace_in(events, "2024-06-03 09:15:00", "2024-06-03 09:15:00-0500")
    replace_in(folder / "support_tickets.csv", "2024-05-01 10:00:00", "2024-05-01T12:00:00+02")
    replace_in(folder / "milestones.csv", "2024-01-20 00:00:00", "2024-01-20T00:00:00.250+01:00")


def _iso_variants(folder: Path) -> None:
    """ISO 8601 forms the contract allows: T, minutes only, nanoseconds, a date alone; CRLF line ends."""
    events = folder / "usage_events.csv"
    replace_in(events, "2024-06-01 10:00:00", "2024-06-01T10:00")
    replace_in(events, "2024-05-02 11:30:00", "2024-05-02 11:30:00.123456789")
    replace_in(events, "2024-06-03 09:15:00", "2024-06-03")
    activities = folder / "cs_activities.csv"
    activities.write_bytes(activities.read_bytes().replace(b"\n", b"\r\n"))


def _utf8_bom(folder: Path) -> None:
    path = folder / "accounts.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())


def _numbers_in_range(folder: Path) -> None:
    """The largest MRR the build stores, scientific notation, a leading plus sign."""
    subs = folder / "subscriptions.csv"
    replace_in(subs, ",100,basic", ",9999999999999999.99,basic")
    replace_in(subs, ",50.5,", ",5.05e1,")
    replace_in(subs, ",500,pro,12", ",+500,pro,12")


def _scheduled_far_end(folder: Path) -> None:
    """A subscription 'ending' 9999-12-31 (an export's way of saying never): a scheduled end, warned about."""
    replace_in(folder / "subscriptions.csv", "A-1,2024-01-01,,100", "A-1,2024-01-01,9999-12-31,100")


def _year_one(folder: Path) -> None:
    """Dates from year 1 (a valid YYYY-MM-DD): month series from there to as_of, but no failure."""
    replace_in(folder / "accounts.csv", "A-1,2024-01-01", "A-1,0001-01-01")
    replace_in(folder / "subscriptions.csv", "A-1,2024-01-01,,100", "A-1,0001-01-01,,100")


def _largest_billing_period(folder: Path) -> None:
    replace_in(folder / "subscriptions.csv", "basic,1\nA-2", "basic,2147483647\nA-2")


def _native_timestamptz(folder: Path) -> None:
    """Parquet timestamps with a time zone (instants): read in UTC, whatever the session time zone."""
    to_parquet(folder, "usage_events", "* replace (timezone('UTC', occurred_at) as occurred_at)")


def _as_of_inferred(folder: Path) -> None:
    no_as_of(folder)


def _repeated_unknown_header(folder: Path) -> None:
    path = folder / "health_scores.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0] + ",notes,notes", *(line + ",a,b" for line in lines[1:])]) + "\n")


def _folder_beside_the_file(folder: Path) -> None:
    (folder / "usage_events.parquet").mkdir()
    (folder / "usage_events.parquet" / "part-0.parquet").write_bytes(b"PAR1")


def _mrr(value: str) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        replace_in(folder / "subscriptions.csv", ",100,basic", f",{value},basic")

    return make


def _billing_period_huge(folder: Path) -> None:
    replace_in(folder / "subscriptions.csv", "basic,1\nA-2", "basic,9999999999\nA-2")


def _csat_huge(folder: Path) -> None:
    replace_in(folder / "support_tickets.csv", ",5\n", ",99999999999999999999\n")


def _native_parquet_out_of_range(folder: Path) -> None:
    """Native Parquet numbers beyond the stored types: a DOUBLE mrr of 1e17, a BIGINT billing period."""
    to_parquet(
        folder,
        "subscriptions",
        "* replace (case when account_id = 'A-1' then 1e17 else mrr end as mrr, "
        "case when account_id = 'A-3' then 9999999999 else billing_period_months end as billing_period_months)",
    )


def _zone_name(folder: Path) -> None:
    replace_in(folder / "usage_events.csv", "2024-06-01 10:00:00", "2024-06-01 10:00:00 America/New_York")


def _infinity_timestamp(folder: Path) -> None:
    no_as_of(folder)
    replace_in(folder / "usage_events.csv", "2024-06-03 09:15:00", "infinity")


def _infinity_parquet(folder: Path) -> None:
    no_as_of(folder)
    to_parquet(
        folder,
        "usage_events",
        "* replace (case when account_id = 'A-3' then 'infinity'::timestamp else occurred_at end as occurred_at)",
    )


def _signup_in_2205(folder: Path) -> None:
    no_as_of(folder)
    replace_in(folder / "accounts.csv", "A-3,2024-03-01", "A-3,2205-03-01")


def _year_typo_before_today(folder: Path) -> None:
    """A 2025 typo for 2024 in a folder that ends 2024-06-04: before today, yet 545 days after the rest."""
    no_as_of(folder)
    replace_in(folder / "nps_responses.csv", "2024-04-02 12:00:00", "2025-12-01 12:00:00")


def _duplicated_mrr(folder: Path) -> None:
    path = folder / "subscriptions.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0] + ",mrr", *(line + ",7" for line in lines[1:])]) + "\n")


def _duplicated_parquet_column(folder: Path) -> None:
    csv = folder / "health_scores.csv"
    with duckdb.connect() as con:
        rows = con.read_csv(str(csv)).fetchall()
    columns = [pa.array([r[i] for r in rows]) for i in range(3)]
    pq.write_table(pa.Table.from_arrays([*columns, columns[2]], ["account_id", "scored_at", "score", "score"]),
                   folder / "health_scores.parquet")  # fmt: skip
    csv.unlink()


def _accounts_folder(folder: Path) -> None:
    (folder / "accounts.csv").unlink()
    (folder / "accounts.csv").mkdir()


def _utf16(bom: bool) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        path = folder / "nps_responses.csv"
        path.write_bytes(path.read_text().encode("utf-16" if bom else "utf-16-le"))

    return make


def _config_folder(folder: Path) -> None:
    (folder / "cskpi.toml").unlink()
    (folder / "cskpi.toml").mkdir()


def _segment_is_email(folder: Path) -> None:
    path = folder / "accounts.csv"
    lines = path.read_text().splitlines()
    emails = ["email", "ann@acme.example", "bob@globex.example", "cy@initech.example"]
    path.write_text("\n".join(f"{line},{e}" for line, e in zip(lines, emails, strict=True)) + "\n")
    append_rows(folder / "cskpi.toml", 'segment_column = "email"')


CASES = [
    # ---- handled: validate exits 0 and the build succeeds
    Case("unicode-white-space-around-values", _nbsp_everywhere, 0, ("0 errors, 0 warnings",)),
    Case("blank-optional-values", _blank_optional_csv, 0, ("0 errors, 0 warnings",)),
    Case("text-parquet-with-empty-strings", _text_parquet_with_empty_strings, 0, ("0 errors, 0 warnings",)),
    Case("utc-offsets-converted", _offsets, 0, ("0 errors, 0 warnings",)),
    Case("iso-8601-variants-and-crlf", _iso_variants, 0, ("0 errors, 0 warnings",)),
    Case("utf-8-byte-order-mark", _utf8_bom, 0, ("0 errors, 0 warnings",)),
    Case("numbers-at-the-edge-of-the-range", _numbers_in_range, 0, ("0 errors, 0 warnings",)),
    Case("dates-from-year-1", _year_one, 0, ("0 errors, 0 warnings",)),
    Case("largest-integer-billing-period", _largest_billing_period, 0, ("0 errors, 0 warnings",)),
    Case("native-parquet-timestamptz", _native_timestamptz, 0, ("0 errors, 0 warnings",)),
    Case(
        "end-date-9999-12-31",
        _scheduled_far_end,
        0,
        ("warning: subscriptions.csv row 1, column end_date: value '9999-12-31' is after as_of 2024-06-30",),
    ),
    Case(
        "as-of-inferred-names-its-source",
        _as_of_inferred,
        0,
        ("as_of 2024-06-04 (latest date in the data: usage_events.csv, column occurred_at)",),
    ),
    Case(
        "repeated-unknown-column",
        _repeated_unknown_header,
        0,
        ("warning: health_scores.csv: unknown column ignored: 'notes'; expected only the contract columns",),
        ("notes_1", "error:"),
    ),
    Case(
        "folder-beside-the-table-file",
        _folder_beside_the_file,
        0,
        ("warning: usage_events.parquet: is a folder, not a file; ignored: usage_events.csv is the one used",),
    ),
    # ---- refused: validate exits 1 naming file, row, column and value; the build refuses too
    Case(
        "mrr-1e17",
        _mrr("1e17"),
        1,
        (
            "error: subscriptions.csv row 1, column mrr: value '1e17' is out of the range cskpi can store; "
            "expected 0 <= mrr <= 9999999999999999.99 (mrr is stored as DECIMAL(18, 2))",
        ),
    ),
    Case(
        "mrr-40-digits",
        _mrr("1" * 40),
        1,
        (f"error: subscriptions.csv row 1, column mrr: value '{'1' * 40}' is out of the range cskpi can store",),
    ),
    Case(
        "mrr-1e16-rounds-out-of-range",
        _mrr("9999999999999999.995"),
        1,
        ("error: subscriptions.csv row 1, column mrr: value '9999999999999999.995' is out of the range",),
    ),
    Case(
        "mrr-beyond-double",
        _mrr("1e400"),
        1,
        ("error: subscriptions.csv row 1, column mrr: value '1e400' is out of the range cskpi can store",),
    ),
    Case(
        "billing-period-9999999999",
        _billing_period_huge,
        1,
        (
            "error: subscriptions.csv row 1, column billing_period_months: value '9999999999' is out of the range "
            "cskpi can store; expected 1 <= billing_period_months <= 2147483647",
        ),
    ),
    Case(
        "csat-20-digits",
        _csat_huge,
        1,
        ("error: support_tickets.csv row 1, column csat: value '99999999999999999999' is out of the range",),
    ),
    Case(
        "native-parquet-numbers-out-of-range",
        _native_parquet_out_of_range,
        1,
        (
            "error: subscriptions.parquet row 1, column mrr: value '1e+17' is out of the range cskpi can store",
            "error: subscriptions.parquet row 3, column billing_period_months: value '9999999999' is out of the "
            "range cskpi can store",
        ),
    ),
    Case(
        "time-zone-name",
        _zone_name,
        1,
        (
            "error: usage_events.csv row 1, column occurred_at: value '2024-06-01 10:00:00 America/New_York' "
            "is not a timestamp",
            "not a zone name",
        ),
    ),
    Case(
        "infinity-timestamp",
        _infinity_timestamp,
        1,
        ("error: usage_events.csv row 3, column occurred_at: value 'infinity' is not a timestamp",),
    ),
    Case(
        "infinity-in-native-parquet",
        _infinity_parquet,
        1,
        ("error: usage_events.parquet row 3, column occurred_at: value 'infinity' is not a timestamp",),
    ),
    Case(
        "signup-in-2205",
        _signup_in_2205,
        1,
        (
            "error: accounts.csv row 3, column signup_date: value '2205-03-01' is after today",
            "as_of 2024-06-04 (latest date in the data: usage_events.csv, column occurred_at)",
        ),
    ),
    Case(
        "year-typo-far-after-the-data",
        _year_typo_before_today,
        1,
        (
            "error: nps_responses.csv row 2, column responded_at: value '2025-12-01 12:00:00' is far after every "
            "other date of the data, the latest of which is 2024-06-04 (usage_events.csv, column occurred_at)",
        ),
    ),
    Case(
        "duplicated-mrr-header",
        _duplicated_mrr,
        1,
        ("error: subscriptions.csv, column mrr: column named 2 times in the header",),
        ("mrr_1",),
    ),
    Case(
        "duplicated-parquet-column",
        _duplicated_parquet_column,
        1,
        ("error: health_scores.parquet, column score: column named 2 times in the header",),
        ("score_1",),
    ),
    Case(
        "accounts-csv-is-a-folder",
        _accounts_folder,
        1,
        ("error: accounts.csv: is a folder, not a file",),
        ("missing",),
    ),
    Case(
        "utf-16-with-bom",
        _utf16(bom=True),
        1,
        ("error: nps_responses.csv: not UTF-8 (the file looks UTF-16-encoded): save it as UTF-8",),
        ("Number of Columns",),
    ),
    Case(
        "utf-16-without-bom",
        _utf16(bom=False),
        1,
        ("error: nps_responses.csv: not UTF-8", "save it as UTF-8"),
        ("Number of Columns",),
    ),
    Case("cskpi-toml-is-a-folder", _config_folder, 1, ("error: cskpi.toml: is a folder, not a file",)),
    Case(
        "segment-column-is-email",
        _segment_is_email,
        1,
        ("error: cskpi.toml: analysis.segment_column 'email' names personal data",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.setenv("CSKPI_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "data"
    shutil.copytree(VALID, folder)
    case.make(folder)
    before = tree_digest(folder)

    status = main(["validate", str(folder)])
    out = capsys.readouterr().out
    assert status == case.exit, out
    for text in case.expect:
        assert text in out, out
    for text in case.absent:
        assert text not in out, out

    status = main(["build", str(folder), "--db", str(tmp_path / "x.duckdb")])
    captured = capsys.readouterr()
    assert status == case.exit, captured.out + captured.err  # 0 built, 1 refused: never 2 (internal error)
    assert "internal error" not in captured.err
    assert tree_digest(folder) == before


# --------------------------------------------------------------------------- what the build stages


def staged(folder: Path, sql: str) -> list[tuple]:
    """Rows of ``sql`` over the ``src_`` views of ``folder`` (what the staging models read)."""
    con = duckdb.connect()
    try:
        register_sources(con, folder, load_config(folder))
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_offsets_are_converted_to_utc_where_the_build_stages_them(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    shutil.copytree(VALID, folder)
    _offsets(folder)
    assert staged(folder, "select occurred_at from src_usage_events") == [
        (dt.datetime(2024, 5, 31, 20, 0),),
        (dt.datetime(2024, 5, 2, 11, 30),),
        (dt.datetime(2024, 6, 3, 14, 15),),
        (dt.datetime(2024, 6, 4, 10, 0),),
    ]
    assert staged(folder, "select first_response_at from src_support_tickets where ticket_id = 'T-1'") == [
        (dt.datetime(2024, 5, 1, 10, 0),)
    ]
    # the validator reads the same UTC values: the event at 2024-06-01 10:00 +14:00 is on 31 May
    no_as_of(folder)
    assert validate_dir(folder).as_of == dt.date(2024, 6, 4)


def test_white_space_and_empty_strings_are_no_value_where_the_build_stages_them(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    shutil.copytree(VALID, folder)
    _nbsp_everywhere(folder)
    assert staged(folder, "select start_date, end_date, mrr, billing_period_months from src_subscriptions") == [
        (dt.date(2024, 1, 1), None, 100, 1),
        (dt.date(2024, 2, 1), dt.date(2024, 6, 1), 500, 12),
        (dt.date(2024, 3, 1), None, 50.5, 1),
    ]
    text = tmp_path / "text"
    shutil.copytree(VALID, text)
    _text_parquet_with_empty_strings(text)
    assert staged(text, "select end_date, billing_period_months from src_subscriptions where account_id = 'A-1'") == [
        (None, 1)
    ]
    assert staged(text, "select count(user_id) from src_usage_events") == [(3,)]  # row 3 had ''
    assert staged(text, "select count(csat), count(resolved_at) from src_support_tickets") == [(1, 1)]


def test_a_validated_value_is_staged_with_the_validators_type(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    shutil.copytree(VALID, folder)
    types = dict(staged(folder, "select column_name, data_type from information_schema.columns "
                                "where table_name = 'src_subscriptions'"))  # fmt: skip
    assert types["mrr"] == "DECIMAL(18,2)" and types["billing_period_months"] == "INTEGER"


def test_native_instants_are_staged_in_utc_whatever_the_session_time_zone(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    shutil.copytree(VALID, folder)
    _native_timestamptz(folder)
    con = duckdb.connect()
    assert str(con.read_parquet(str(folder / "usage_events.parquet")).types[1]) == "TIMESTAMP WITH TIME ZONE"
    con.execute("set TimeZone = 'Asia/Tokyo'")
    register_sources(con, folder, load_config(folder))
    assert con.execute("select min(occurred_at) from src_usage_events").fetchall() == [
        (dt.datetime(2024, 5, 2, 11, 30),)
    ]


def test_personal_data_is_never_a_segment() -> None:
    for column in ("email", "user_id", "Contact E-mail", "first_name", "phone"):
        with pytest.raises(ConfigError, match="names personal data"):
            AnalysisConfig(segment_column=column)
    assert AnalysisConfig(segment_column="tier").segment_column == "tier"
    assert AnalysisConfig(segment_column="csm_owner").segment_column == "csm_owner"
