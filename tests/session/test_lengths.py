"""Spoken lengths: measured with the engine where it renders audio, cached, else estimated."""

from __future__ import annotations

import os
import stat
import struct
from pathlib import Path

import pytest

from backtimer.core.timeline import command_estimate, estimate
from backtimer.sound.lengths import CACHE_NAME, SpeechLengths, audible_seconds

RATE = 22050


def wav(sound: float, quiet: float) -> bytes:
    """A 16-bit mono WAV: ``sound`` seconds of a loud square wave, then ``quiet`` of silence,
    with espeak-ng's streaming placeholder as the data size."""
    frames = [8000 if (i // 20) % 2 else -8000 for i in range(int(sound * RATE))]
    frames += [0] * int(quiet * RATE)
    body = struct.pack(f"<{len(frames)}h", *frames)
    header = b"RIFF" + struct.pack("<I", 0x7FFFFFFF) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 1, RATE, RATE * 2, 2, 16)
    return header + b"data" + struct.pack("<I", 0x7FFFFFFF) + body


def test_the_audible_length_leaves_out_trailing_silence() -> None:
    assert audible_seconds(wav(1.5, 0.4)) == pytest.approx(1.5, abs=0.01)
    assert audible_seconds(b"not a wav") is None
    assert audible_seconds(wav(0.0, 0.3)) == 0.0


@pytest.fixture(autouse=True)
def measuring(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests measure (the other tests estimate, see conftest)."""
    monkeypatch.delenv("BACKTIMER_SPEECH_LENGTHS", raising=False)


@pytest.fixture
def fake_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An ``espeak-ng`` on PATH that writes a WAV as long as its text has letters (0.1 s
    each) and logs every call (the speech_command "espeak-ng" renders with it)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    log = tmp_path / "calls.log"
    sample = tmp_path / "letter.wav"
    sample.write_bytes(wav(0.1, 0.0))
    script = folder / "espeak-ng"
    script.write_text(
        "#!/usr/bin/env python3\n"
        "import sys, struct\n"
        f"open({str(log)!r}, 'a').write(repr(sys.argv[1:]) + '\\n')\n"
        "text = sys.argv[-1]\n"
        f"one = open({str(sample)!r}, 'rb').read()[44:]\n"
        "letters = sum(c.isalpha() for c in text)\n"
        "head = b'RIFF' + struct.pack('<I', 0x7FFFFFFF) + b'WAVEfmt '\n"
        f"head += struct.pack('<IHHIIHH', 16, 1, 1, {RATE}, {RATE * 2}, 2, 16)\n"
        "sys.stdout.buffer.write(head + b'data' + struct.pack('<I', 0x7FFFFFFF) + one * letters)\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return log


def test_an_engine_that_renders_is_measured_once_per_text_and_cached(
    fake_engine: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    lengths = SpeechLengths("espeak-ng", rate=140, voice="en-us", folder=cache)
    assert lengths.engine == "espeak-ng" and lengths.measured
    assert lengths("Hold") == pytest.approx(0.4, abs=0.01)
    assert lengths("Hold") == pytest.approx(0.4, abs=0.01)
    calls = fake_engine.read_text().splitlines()
    assert len(calls) == 1
    assert all(part in calls[0] for part in ("'-s', '140'", "'-v', 'en-us'", "'--stdout'"))
    assert calls[0].endswith("'--', 'Hold']")  # the text is never read as an option
    lengths.save()
    assert (cache / CACHE_NAME).is_file()
    again = SpeechLengths("espeak-ng", rate=140, voice="en-us", folder=cache)
    assert again("Hold") == pytest.approx(0.4, abs=0.01)
    assert len(fake_engine.read_text().splitlines()) == 1  # from the cache
    other_rate = SpeechLengths("espeak-ng", rate=200, voice="en-us", folder=cache)
    other_rate("Hold")
    assert len(fake_engine.read_text().splitlines()) == 2  # the rate is part of the key
    assert again.speech.measured and again.speech.rate == 140


def test_a_command_that_cannot_render_is_estimated(tmp_path: Path) -> None:
    lengths = SpeechLengths(["cat"], rate=120, folder=tmp_path)
    assert lengths.engine == "cat" and not lengths.measured
    text = "Right leg. Rep 2 of 3. Hold 8 seconds."
    # Its process outlasts the words: the estimate covers the whole utterance.
    assert lengths(text) == command_estimate(text, 120) > estimate(text, 120)
    assert lengths.speech.engine == "cat" and not lengths.speech.measured
    silent = SpeechLengths(None, rate=150, enabled=False, folder=tmp_path)
    # Voice off: nothing is said, so nothing takes time (the routine's own times).
    assert silent.engine is None and silent(text) == 0.0 and not silent.speech.measured


def test_a_broken_engine_falls_back_to_estimates(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "bin"
    folder.mkdir()
    broken = folder / "espeak-ng"
    broken.write_text("#!/bin/sh\nexit 3\n", encoding="utf-8")
    broken.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    lengths = SpeechLengths("espeak-ng", rate=175, folder=tmp_path / "cache")
    assert lengths("Hold") == command_estimate("Hold", 175)  # a speech command: the whole of it
    assert not lengths.speech.measured


def test_a_corrupt_cache_is_ignored_and_replaced(fake_engine: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / CACHE_NAME).write_text("{not json", encoding="utf-8")
    lengths = SpeechLengths("espeak-ng", folder=cache)
    assert lengths("Go") == pytest.approx(0.2, abs=0.01)
    lengths.save()
    assert SpeechLengths("espeak-ng", folder=cache)("Go") == pytest.approx(0.2, abs=0.01)


# ------------------------------------------------------------------ a plan's lengths


def _fitting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the plans compiled by launch.speech_plan (one entry each)."""
    from backtimer.session import launch

    compiled: list[int] = []
    real = launch.compile_plan

    def counted(*args: object, **kwargs: object) -> object:
        compiled.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(launch, "compile_plan", counted)
    return compiled


@pytest.mark.parametrize(
    ("fresh", "first_fits"),
    [
        # A text's length the same in any order: the texts the fit at hand asked for are
        # measured together, and the plan fitted with them.
        (True, 2),
        # Lengths that depend on what the engine rendered before: the texts a fit by
        # estimates asks for are measured together, as they always were.
        (False, 3),
    ],
)
def test_a_plan_whose_texts_were_measured_before_is_fitted_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh: bool, first_fits: int
) -> None:
    """Every text in the cache: one fit with the measured lengths, nothing rendered; the plan
    is the one fitted when the texts were measured (estimated first, measured together, then
    fitted with them)."""
    monkeypatch.setattr(SpeechLengths, "fresh", property(lambda self: fresh))
    from backtimer.files.config import Config, with_config_defaults
    from backtimer.files.routine_load import load_routine
    from backtimer.session.launch import speech_plan
    from tests.sound.helpers import FakeRenderer

    routine_path = Path(__file__).resolve().parents[2] / "routines" / "sutter-strength.toml"
    config = Config()
    routine = with_config_defaults(load_routine(routine_path), config)
    compiled = _fitting(monkeypatch)
    renderer = FakeRenderer()
    first = speech_plan(
        routine,
        "low",
        config,
        SpeechLengths(folder=tmp_path, renderer=renderer),  # type: ignore[arg-type]
    )
    assert first.speech is not None and first.speech.measured
    # By what was at hand (and, not fresh, by estimates), then measured.
    assert renderer.rendered and len(compiled) == first_fits
    measured = len(renderer.rendered)
    compiled.clear()
    again = speech_plan(
        routine,
        "low",
        config,
        SpeechLengths(folder=tmp_path, renderer=renderer),  # type: ignore[arg-type]
    )
    assert len(compiled) == 1 and len(renderer.rendered) == measured
    assert again.to_json() == first.to_json()
    assert [step.added for step in again.steps] == [step.added for step in first.steps]


def test_a_first_plan_builds_its_steps_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Fitted twice (by the lengths at hand, then with the texts measured), a first plan
    builds the routine's steps once, and is the plan fitted from the routine itself."""
    from backtimer.core import plan as plan_module
    from backtimer.files.config import Config, with_config_defaults
    from backtimer.files.routine_load import load_routine
    from backtimer.session import launch
    from tests.sound.helpers import FakeRenderer

    routine_path = Path(__file__).resolve().parents[2] / "routines" / "sutter-strength.toml"
    config = Config()
    routine = with_config_defaults(load_routine(routine_path), config)
    built: list[int] = []
    real = plan_module.plan_steps

    def counted(*args: object, **kwargs: object) -> object:
        built.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(plan_module, "plan_steps", counted)
    monkeypatch.setattr(launch, "plan_steps", counted)
    compiled = _fitting(monkeypatch)
    lengths = SpeechLengths(folder=tmp_path, renderer=FakeRenderer())  # type: ignore[arg-type]
    first = launch.speech_plan(routine, "low", config, lengths)
    assert len(compiled) == 2 and len(built) == 1
    fitted = plan_module.compile_plan(
        routine,
        "low",
        length=lengths,
        countdown=config.countdown,
        detail=config.voice_detail,
        closing_sound=first.closing - lengths(plan_module.CLOSING_TEXT),
        count_length=lengths.count_words,
    )
    assert fitted.steps == first.steps and fitted.closing == first.closing
