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


@pytest.mark.parametrize("full_screen", [True, False])
def test_run_installs_the_method_store_once_on_each_path(monkeypatch, full_screen) -> None:
    """run installs the compiled-method store once, after the precheck child on the
    full-screen path, before reading the routine on the others."""
    import argparse

    from backtimer.cli import run as run_module
    from backtimer.files import catalog, precheck

    calls: list[str] = []

    class Stop(Exception):
        pass

    def resolve(name):
        calls.append("resolve")
        raise Stop

    monkeypatch.setattr(run_module, "_full_screen", lambda args: full_screen)
    monkeypatch.setattr(run_module, "store_methods", lambda: calls.append("store"))
    monkeypatch.setattr(precheck, "start_for", lambda routine: calls.append("child"))
    monkeypatch.setattr(catalog, "resolve", resolve)
    args = argparse.Namespace(
        routine="x", plain=not full_screen, remote=False, port=None, lan=False
    )
    with pytest.raises(Stop):
        run_module.run(args)
    assert calls == (["child", "store", "resolve"] if full_screen else ["store", "resolve"])
