"""``run --remote`` in a virtualenv made before the remote's libraries were dependencies: a
clear message naming what is missing and how to reinstall, a non-zero exit, no traceback.
The missing library is simulated (``None`` in ``sys.modules`` makes its import fail)."""

from __future__ import annotations

import sys

import pytest

from backtimer.cli.main import main
from backtimer.remote import unavailable


def forget(monkeypatch: pytest.MonkeyPatch, *missing: str) -> None:
    """As if ``missing`` were not installed: the remote's modules are imported afresh and
    find them gone."""
    for name in list(sys.modules):
        if name.startswith("backtimer.remote.") or name == "backtimer.tui.remote":
            monkeypatch.delitem(sys.modules, name)
    for name in missing:
        for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            monkeypatch.delitem(sys.modules, loaded)
        monkeypatch.setitem(sys.modules, name, None)


@pytest.mark.parametrize("plain", [True, False])
@pytest.mark.parametrize("missing", [("segno",), ("aiohttp",), ("segno", "aiohttp")])
def test_run_remote_without_its_libraries_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    plain: bool,
    missing: tuple[str, ...],
) -> None:
    forget(monkeypatch, *missing)
    argv = ["run", "desk-break", "--remote", "--no-resume"] + (["--plain"] if plain else [])
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in err and out == ""
    assert err.count("\n") <= 2, err  # a sentence, not a dump
    for name in missing:
        assert name in err
    assert "pip install -e ." in err and sys.executable in err
    assert err.startswith("backtimer: the phone remote needs ")


def test_with_its_libraries_the_remote_is_available() -> None:
    assert unavailable() is None


def test_a_library_of_a_library_is_named_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """aiohttp there, but one of its own dependencies gone: that one is named."""
    forget(monkeypatch, "multidict")
    for name in [m for m in sys.modules if m.split(".")[0] in ("aiohttp", "yarl")]:
        monkeypatch.delitem(sys.modules, name)
    problem = unavailable()
    assert problem is not None
    assert "aiohttp (its multidict)" in problem and "segno" not in problem


async def test_the_pickers_remote_key_without_its_libraries_says_so(
    monkeypatch: pytest.MonkeyPatch, user_routines
) -> None:
    """The picker's remote key: a notice with the same words, the picker stays (no crash)."""
    from snapshot_apps.common import SHORT, build_app

    from backtimer.files import catalog
    from backtimer.tui.screens.picker import PickerScreen

    (user_routines / "short.toml").write_text(SHORT)
    forget(monkeypatch, "segno")
    app = build_app(None, entries=catalog.user)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        assert not app.remotes
        [notice] = [n.message for n in app._notifications]
        assert notice.startswith("The phone remote needs segno") and "pip install -e ." in notice
