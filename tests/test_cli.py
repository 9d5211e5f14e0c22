"""Tests of the command line (cskpi_analysis/cli.py)."""

from __future__ import annotations

import pytest

from cskpi_analysis import cli

COMMANDS = [module.NAME for module in cli._command_modules()]


def test_the_documented_commands_exist():
    assert {"demo", "validate", "build", "kpis", "sensitivity", "report", "serve", "jupyter", "benchmarks"} <= set(COMMANDS)


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
