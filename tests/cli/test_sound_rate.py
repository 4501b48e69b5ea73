"""`backtimer sound` times a custom speech command's sentence and says when its real rate is
more than 15 % from `speech_rate` (the cue timeline is fitted for `speech_rate`: a slower
command makes the cues wait their turn and come late). A fake command takes a set time."""

from __future__ import annotations

from pathlib import Path

import pytest

from backtimer.cli.main import main
from backtimer.cli.sound import RATE_SENTENCE
from backtimer.core.timeline import spoken_words

RATE = 450  # speech_rate: the fastest there is, so that the fake command is quick
WORDS = spoken_words(RATE_SENTENCE)


def fake_command(tmp_path: Path, config_dir: Path, seconds: float) -> None:
    """A speech command that "speaks" for ``seconds``, set in config.toml."""
    script = tmp_path / "speak.sh"
    script.write_text(f"#!/bin/sh\nsleep {seconds}\n", encoding="utf-8")
    script.chmod(0o755)
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text(
        f'speech_command = "{script}"\nspeech_rate = {RATE}\n', encoding="utf-8"
    )


def sound(capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["sound", "--no-tones"]) == 0
    return capsys.readouterr().out


def test_a_command_at_speech_rate_is_not_reported(
    tmp_path: Path, isolated_dirs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    fake_command(tmp_path, isolated_dirs["config"], WORDS * 60 / RATE)
    out = sound(capsys)
    assert f"saying: {RATE_SENTENCE}" in out
    line = next(x for x in out.splitlines() if x.startswith("measured rate: about "))
    measured = int(line.split()[3])
    assert measured <= RATE  # never faster than the command (starting it takes a moment)
    assert f"speech_rate = {RATE}" in line
    # (A machine too busy to start the command within 15 % of its time reports it: no
    # timed assertion here, the note follows the number measured.)
    assert ("note: your speech_command" in out) == (measured < 0.85 * RATE)


def test_the_note_follows_the_rate_measured() -> None:
    from backtimer.cli.sound import rate_lines

    assert rate_lines(24 * 60 / 175, 175, 24) == [
        "measured rate: about 175 words per minute (speech_rate = 175)"
    ]
    assert len(rate_lines(24 * 60 / 150, 175, 24)) == 1  # 14 % off: close enough
    slow = rate_lines(24 * 60 / 140, 175, 24)
    assert slow[0] == "measured rate: about 140 words per minute (speech_rate = 175)"
    assert "about 140 words per minute" in slow[1] and "come late" in slow[1]
    assert "Set speech_rate = 140" in slow[1]
    fast = rate_lines(24 * 60 / 210, 175, 24)
    assert "longer pauses" in fast[1] and "Set speech_rate = 210" in fast[1]
    assert rate_lines(None, 175, 24)[0].startswith("measured rate: not measurable")


def test_a_slower_command_is_reported_with_the_rate_to_set(
    tmp_path: Path, isolated_dirs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    fake_command(tmp_path, isolated_dirs["config"], WORDS * 60 / 300)  # 300 words a minute
    out = sound(capsys)
    line = next(x for x in out.splitlines() if x.startswith("note: your speech_command"))
    measured = int(line.split()[6])
    assert measured <= 300  # (a busy machine only makes it slower)
    assert "come late" in line
    assert f"Set speech_rate = {measured}" in line


def test_a_faster_command_is_reported(
    tmp_path: Path, isolated_dirs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    fake_command(tmp_path, isolated_dirs["config"], WORDS * 60 / 1800)
    out = sound(capsys)
    line = next(x for x in out.splitlines() if x.startswith("note: your speech_command"))
    assert int(line.split()[6]) > RATE * 1.15  # 1800 words a minute (or somewhat fewer)
    assert "longer pauses" in line


def test_a_command_that_returns_at_once_cannot_be_measured(
    tmp_path: Path, isolated_dirs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    fake_command(tmp_path, isolated_dirs["config"], 0)
    out = sound(capsys)
    assert "measured rate: not measurable" in out
    assert "note: your speech_command" not in out


def test_without_a_custom_command_nothing_is_timed(capsys: pytest.CaptureFixture[str]) -> None:
    out = sound(capsys)
    assert "measured rate" not in out
