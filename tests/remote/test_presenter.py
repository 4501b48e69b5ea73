"""The presenter preset: a wireless clicker's keys pause, resume and stop a session."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from snapshot_apps.common import SHORT, FakeClock, build_app, write_routine

from backtimer.files.config import parse_config
from backtimer.plain import KeyInput
from backtimer.session.commands import KEYMAP_PRESETS, binding_ids, plain_keymap, preset_toml
from backtimer.tui.screens.pain import PainScreen

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_preset_is_valid_settings_and_in_the_readme() -> None:
    text = preset_toml("presenter")
    config, problems = parse_config(text, "config.toml")
    assert problems == []
    assert dict(config.keymap) == KEYMAP_PRESETS["presenter"]
    assert set(tomllib.loads(text)["keymap"]) <= set(binding_ids())
    assert text in README.read_text(encoding="utf-8")


async def test_clicker_keys_pause_resume_and_stop(tmp_path: Path) -> None:
    entry = write_routine(tmp_path, SHORT)
    config, _ = parse_config(preset_toml("presenter"), "config.toml")
    app = build_app(entry, clock=FakeClock(), config=config)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.session_screen
        assert screen is not None and screen.session.state == "running"
        await pilot.press("pagedown")
        assert screen.session.state == "paused"
        await pilot.press("pageup")
        assert screen.session.state == "running"
        await pilot.press("pagedown")
        await pilot.press("pagedown")
        assert screen.session.state == "running"
        index = screen.session.index
        await pilot.press("backspace")  # back, moved from b
        assert screen.session.index <= index
        await pilot.press("b")  # the blank-screen button: pain stop
        await pilot.pause()
        assert screen.session.state == "pain_stopped"
        assert isinstance(app.screen, PainScreen)


async def test_f5_is_a_pain_stop_too(tmp_path: Path) -> None:
    entry = write_routine(tmp_path, SHORT)
    config, _ = parse_config(preset_toml("presenter"), "config.toml")
    app = build_app(entry, clock=FakeClock(), config=config)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f5")
        await pilot.pause()
        assert app.session_screen.session.state == "pain_stopped"


def test_plain_mode_on_a_terminal_reads_a_clickers_keys() -> None:
    master, slave = os.openpty()
    stdin = os.fdopen(slave, "r")
    try:
        source = KeyInput(stdin)
        with source.cbreak():  # single keys, as run_plain reads them
            keymap = KEYMAP_PRESETS["presenter"]
            running = plain_keymap("session", keymap) | plain_keymap("app", keymap)
            for sent, name, command in (
                (b"\x1b[6~", "pagedown", "pause"),
                (b"\x1b[5~", "pageup", "pause"),
                (b"\x1b[15~", "f5", "pain"),
                (b"b", "b", "pain"),
                (b".", "full_stop", "pain"),
                (b"\x7f", "backspace", "back"),
            ):
                os.write(master, sent)
                assert source.wait(5.0)
                assert source.read() == [name]
                assert running[name].plain == command, name
            os.write(master, b"\x1b[6~\x1b[6~")  # two presses in one read
            assert source.wait(5.0) and source.read() == ["pagedown", "pagedown"]
            os.write(master, b"\x1b[A")  # an arrow: nothing
            assert source.wait(5.0) and source.read() == []
    finally:
        stdin.close()
        os.close(master)
