"""Tests of the command line (cskpi_analysis/cli.py)."""

from __future__ import annotations

import pytest

from cskpi_analysis import cli

COMMANDS = [module.NAME for module in cli._command_modules()]


def test_the_documented_commands_exist():
    assert {"demo", "validate", "build", "kpis", "sensitivity", "report", "serve", "jupyter", "benchmarks"} <= set(
        COMMANDS
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_prints_useful_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: cskpi {command}" in out
    # the description (module docstring) says more than the one-line help
    assert len(out.splitlines()) > 4


def test_a_user_error_is_one_line_without_a_traceback(tmp_path, capsys):
    code = cli.main(["kpis", str(tmp_path / "no-such-folder")])
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err
    assert "no-such-folder" in err


def test_an_unexpected_error_is_reported_as_a_bug_without_a_traceback(monkeypatch, capsys):
    import cskpi_analysis.commands.kpis as kpis_command

    def explode(args):
        raise RuntimeError("boom")

    monkeypatch.setattr(kpis_command, "run", explode)
    code = cli.main(["kpis", "somewhere"])
    err = capsys.readouterr().err
    assert code == 2 and "internal error: RuntimeError: boom" in err and "Traceback" not in err


def test_a_build_stopped_by_sigterm_says_interrupted_not_bug(monkeypatch, capsys):
    # DuckDB turns the KeyboardInterrupt raised by our SIGTERM handler inside a running query into
    # "RuntimeError: Query interrupted" (seen on a 100k build killed mid-model); that is the stop
    # the user asked for, not an internal error.
    import signal

    import cskpi_analysis.commands.build as build_command

    def killed_mid_query(args):
        try:
            cli._terminate(signal.SIGTERM, None)
        except KeyboardInterrupt:
            raise RuntimeError("Query interrupted") from None

    monkeypatch.setattr(build_command, "run", killed_mid_query)
    code = cli.main(["build", "somewhere"])
    err = capsys.readouterr().err
    assert code == 130 and err.strip() == "cskpi build: interrupted"

    # the next command in the same process starts afresh: its unexpected error is a bug again
    def explode(args):
        raise RuntimeError("boom")

    monkeypatch.setattr(build_command, "run", explode)
    assert cli.main(["build", "somewhere"]) == 2
    assert "internal error: RuntimeError: boom" in capsys.readouterr().err


VALID = __import__("pathlib").Path(__file__).parent / "fixtures" / "contract" / "valid"


def test_benchmarks_prints_its_sentence_as_plain_text(capsys):
    # the market sentence is Markdown for the notebooks (publisher names escaped as HTML entities, dollars
    # as \$); a terminal must read "KeyBanc (KBCM)", not "KeyBanc &#40;KBCM&#41;" (what it printed before)
    assert cli.main(["benchmarks", str(VALID), "--acv", "30000"]) == 0
    out = capsys.readouterr().out
    assert "(KeyBanc (KBCM), 2017)" in out
    assert "&#" not in out and "\\$" not in out and "**" not in out


def test_build_writes_a_database_with_every_mart(tmp_path, capsys):
    import duckdb

    target = tmp_path / "kpis.duckdb"
    assert cli.main(["build", str(VALID), "--db", str(target)]) == 0
    assert "all reconciliation checks passed" in capsys.readouterr().out
    con = duckdb.connect(str(target), read_only=True)
    marts = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert {"mart_account_months", "mart_kpis_monthly", "mart_retention_t12m", "mart_cohort_retention"} <= marts


def test_kpis_prints_every_rate_with_what_it_is_computed_from(capsys):
    import json

    assert cli.main(["kpis", str(VALID), "--format", "json", "--all-columns", "--months", "0"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(r["segment"] == "All" for r in rows)
    for row in rows:
        if row["logo_churn_rate_denominator"]:
            expected = row["logo_churn_rate_numerator"] / row["logo_churn_rate_denominator"]
            assert row["logo_churn_rate"] == pytest.approx(expected, rel=1e-12)  # JSON keeps 15 digits


def test_sensitivity_lists_each_alternative_definition(capsys):
    assert cli.main(["sensitivity", str(VALID), "--format", "csv"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    for alternative in ("snapshot at month start", "re-signup grace gap of 31 days", "reactivation counted as new"):
        assert alternative in header


@pytest.mark.parametrize(
    "arguments",
    [
        ["kpis"], ["build", "--db", "{tmp}/out.duckdb"], ["sensitivity"], ["survival"], ["indicators"],
        ["benchmarks"], ["catalogue"], ["report", "--out", "{tmp}/reports"], ["jupyter", "--out", "{tmp}/copies"],
    ],
    ids=lambda arguments: arguments[0],
)  # fmt: skip
def test_every_command_given_data_refuses_a_folder_that_breaks_the_contract(tmp_path, capsys, arguments):
    broken = tmp_path / "exports"
    broken.mkdir()
    (broken / "accounts.csv").write_text("account_id,signup_date\nA,2024-01-01\n")  # no subscriptions.csv
    command, *options = arguments
    assert cli.main([command, str(broken), *(o.format(tmp=tmp_path) for o in options)]) == 1
    err = capsys.readouterr().err
    assert "subscriptions" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exports"]  # nothing written
