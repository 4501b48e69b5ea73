"""A session with the voice on and nothing to speak says so at its start; the settings
carry the sound settings; `backtimer sound` reports what it found."""

from __future__ import annotations

import io

import pytest

from backtimer.cli.main import main
from backtimer.files.catalog import Entry
from backtimer.files.config import Config, parse_config
from backtimer.files.routine_load import validate_text
from backtimer.plain import run_plain
from backtimer.session.cues import RecordingPlayer, default_player
from backtimer.sound.player import SoundStatus

ROUTINE = """
name = "Short"
[defaults]
get_ready = 2
[[exercises]]
name = "Knee to chest"
position = "Lie on your back"
hold = 3
"""


def plain_lines(status: SoundStatus | None) -> list[str]:
    from pathlib import Path

    player = RecordingPlayer()
    player.status = status  # type: ignore[attr-defined]
    routine = validate_text(ROUTINE, "short.toml")
    entry = Entry(key="short", path=Path("short.toml"), origin="user", routine=routine)
    now = [0.0]

    def wait(timeout: float) -> bool:
        now[0] += timeout
        return False

    out = io.StringIO()
    run_plain(
        entry, stdin=io.StringIO(""), stdout=out, clock=lambda: now[0], wait=wait, player=player
    )
    return out.getvalue().splitlines()


def test_plain_mode_says_at_its_start_that_nothing_can_speak() -> None:
    silent = SoundStatus(voice_on=True, notes=["no speech engine"])
    lines = plain_lines(silent)
    warning = [line for line in lines[:4] if "No voice" in line]
    assert warning and "backtimer sound" in warning[0]
    assert not any("No voice" in line for line in plain_lines(SoundStatus(engine="espeak-ng")))
    assert not any("No voice" in line for line in plain_lines(None))


def test_the_fallback_player_has_a_status(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKTIMER_AUDIO", "none")
    player = default_player(lambda: None, voice=True, command="/no/such/speech")
    try:
        assert player.status.silent_voice and player.status.warning()
    finally:
        player.close()
    quiet = default_player(lambda: None, voice=False)
    assert quiet.status.warning() is None


def test_sound_settings_in_config_toml() -> None:
    config, warnings = parse_config("volume = 40\ntones = false\n", "config.toml")
    assert warnings == [] and (config.volume, config.tones) == (40, False)
    assert Config().volume == 80 and Config().tones
    _, warnings = parse_config("volume = 101\n", "config.toml")
    assert warnings == [
        "config.toml:1: volume: expected a whole number from 0 to 100, got 101 (using the default)"
    ]


def test_backtimer_sound_on_the_null_device(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BACKTIMER_AUDIO", "null")
    monkeypatch.setattr("time.sleep", lambda seconds: None)  # the tones need not be waited for
    code = main(["sound", "--no-voice"])
    out = capsys.readouterr().out
    assert code == 0
    assert "output: null device" in out and "speech engine: off" in out
    for name in ("tick", "go", "release", "switch", "tempo", "set_done", "session_done", "stop"):
        assert f"  {name}" in out


def test_backtimer_sound_says_when_nothing_can_speak(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], isolated_dirs
) -> None:
    monkeypatch.setenv("BACKTIMER_AUDIO", "none")
    config = isolated_dirs["config"]
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text('speech_command = "/no/such/speech"\n', encoding="utf-8")
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    assert main(["sound", "--no-tones"]) == 1
    captured = capsys.readouterr()
    assert "speech engine: none found" in captured.out
    assert "No voice" in captured.err
