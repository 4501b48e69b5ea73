"""The settings screen's "Test sound" (issue 11, item 3): like ``backtimer sound``, it plays
each of the app's sounds and a spoken sentence, and shows the engine, voice, rate, output
device and the measured start-up delay. Played here through miniaudio's null device (real
timing, no sound card) or, without a device, through the speech command and the bell."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from textual.app import App

from backtimer.sound import tones
from backtimer.tui.screens import settings as settings_module
from backtimer.tui.screens.settings import SettingsScreen


class Host(App[None]):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.notes: list[tuple[str, str | None, str]] = []

    def on_mount(self) -> None:
        self.push_screen(SettingsScreen(self.path, themes=["textual-dark"], binding_ids=[]))

    def notify(self, message: str, *, title: str = "", severity: Any = "information", **kw: Any):  # type: ignore[no-untyped-def,override]
        self.notes.append((message, title, severity))
        return super().notify(message, title=title, severity=severity, **kw)


class Spy:
    """The player the screen makes (the real one), with what was asked of it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.players: list[Any] = []
        self.calls: list[tuple[str, str]] = []
        real = settings_module.default_player

        def make(*args: Any, **kwargs: Any) -> Any:
            player = real(*args, **kwargs)
            for method in ("sound", "say", "measure_delay", "bell"):
                original = getattr(player, method, None)
                if original is not None:
                    setattr(player, method, self._recording(method, original))
            self.players.append(player)
            return player

        monkeypatch.setattr(settings_module, "default_player", make)
        # The gaps between the tones are not waited for (the sounds still all play).
        monkeypatch.setattr(settings_module, "time", SimpleNamespace(sleep=lambda s: None))

    def _recording(self, method: str, original: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((method, str(args[0]) if args else ""))
            return original(*args, **kwargs)

        return call


async def press_test_sound(app: Host) -> None:
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        button = app.screen.query_one("#settings-test-sound")
        button.focus()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()


async def test_test_sound_plays_every_sound_and_a_sentence_on_the_null_device(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKTIMER_AUDIO", "null")
    spy = Spy(monkeypatch)
    app = Host(tmp_path / "config.toml")
    await press_test_sound(app)

    [player] = spy.players
    # Each of the app's sounds, in the table's order, then the sentence.
    sounds = [name for method, name in spy.calls if method == "sound"]
    assert sounds == list(tones.SOUNDS)
    spoken = [text for method, text in spy.calls if method in ("say", "measure_delay")]
    assert spoken and spoken[0].startswith("This is the voice of backtimer")
    # They reached the output: the mixer started each tone, and the speech.
    started = {entry.name for entry in player.mixer.log}
    assert set(tones.SOUNDS) <= started
    assert any(entry.channel == "speech" for entry in player.mixer.log)

    [(message, _, severity)] = [note for note in app.notes if note[1] == "Test sound"]
    status = player.status
    assert status.engine  # the voice that installs with pip (espeakng-loader)
    lines = message.splitlines()
    assert f"speech engine: {status.engine}" in lines
    assert f"voice: {status.voice or 'default'}" in lines
    assert any(line.startswith("rate: ") for line in lines)
    assert "output: null device" in lines
    assert "volume: 80" in lines
    [delay] = [line for line in lines if line.startswith("start-up delay of the speech: ")]
    assert delay.endswith(" ms (cue to sound)")
    assert severity == "information"


async def test_test_sound_without_a_device_uses_the_speech_command_and_the_bell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKTIMER_AUDIO", "none")
    path = tmp_path / "config.toml"
    path.write_text('speech_command = "/no/such/speech"\n', encoding="utf-8")
    spy = Spy(monkeypatch)
    app = Host(path)
    await press_test_sound(app)

    [(message, _, severity)] = [note for note in app.notes if note[1] == "Test sound"]
    lines = message.splitlines()
    assert "speech engine: none found" in lines
    assert "output: none (speech command and terminal bell)" in lines
    assert "start-up delay of the speech: not measurable with a speech command" in lines
    # No tones to play: the bell rings in their place, as `backtimer sound` does.
    assert ("bell", "") in spy.calls
    assert severity == "warning"  # nothing can speak: said, never silence without a word
