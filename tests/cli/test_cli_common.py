"""Every command answers --help and --version, and refuses unknown options with exit 2."""

from __future__ import annotations

import pytest

from backtimer import __version__
from backtimer.cli.main import build_parser, main

COMMANDS = sorted(
    next(a for a in build_parser()._actions if a.dest == "command").choices  # type: ignore[union-attr]
)


def test_every_documented_command_exists() -> None:
    expected = {"run", "check", "plan", "list", "new", "edit", "history", "report", "schema"}
    assert expected <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_and_version(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_help:
        main([command, "--help"])
    assert exit_help.value.code == 0
    assert f"backtimer {command}" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_version:
        main([command, "--version"])
    assert exit_version.value.code == 0
    assert capsys.readouterr().out.strip() == f"backtimer {__version__}"


@pytest.mark.parametrize("command", COMMANDS)
def test_unknown_option_is_a_usage_error(command: str, capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "some-routine", "--no-such-option"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err
