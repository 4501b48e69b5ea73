"""The cue timeline's lengths are the voice's own (issue 11's CI check): a sentence the
wheel's voice synthesizes lasts exactly what the timeline expects, at any rate, and the
estimate used without a voice errs on the long side of it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from backtimer.core.plan import compile_plan
from backtimer.core.schema import validate_routine
from backtimer.core.timeline import estimate
from backtimer.sound.lengths import SpeechLengths
from backtimer.sound.tones import SAMPLE_RATE
from backtimer.sound.voice import VoiceProcess, loader_installed

needs_wheel = pytest.mark.skipif(
    not loader_installed(), reason="the espeakng-loader wheel exists for this platform only"
)

ROUTINE = validate_routine(
    {
        "name": "Lengths",
        "exercises": [
            {
                "name": "Knee to chest",
                "position": "Lie on your back",
                "steps": ["Pull one knee to your chest."],
                "stop_if": "pain in the front of the hip",
                "hold": 30,
                "reps": 3,
                "sides": "both",
            }
        ],
    }
)


@pytest.fixture(autouse=True)
def measuring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BACKTIMER_SPEECH_LENGTHS", raising=False)


@needs_wheel
@pytest.mark.parametrize("rate", [100, 175, 300])
def test_a_synthesized_sentence_lasts_what_the_timeline_expects(rate: int, tmp_path: Path) -> None:
    voice = VoiceProcess(rate=rate)
    try:
        lengths = SpeechLengths(rate=rate, folder=tmp_path, renderer=voice)
        assert lengths.measured and lengths.engine == "espeak-ng"
        plan = compile_plan(ROUTINE, length=lengths)
        spoken = [c for s in plan.steps for c in s.cues if c.say]
        assert len(spoken) > 10
        for cue in spoken:
            samples = voice.render(cue.say or "")
            assert samples is not None and len(samples) > 0
            assert cue.seconds == pytest.approx(len(samples) / SAMPLE_RATE, abs=1e-3)
            # Without a voice the estimate stands in: it must never be the shorter.
            assert estimate(cue.say or "", rate) >= cue.seconds, cue.say
    finally:
        voice.close()


@needs_wheel
def test_the_default_lengths_come_from_the_wheel_s_voice_and_are_cached(tmp_path: Path) -> None:
    lengths = SpeechLengths(rate=175, folder=tmp_path)
    try:
        assert isinstance(lengths.renderer, VoiceProcess) and lengths.measured
        first = lengths("Hold 30 seconds.")
    finally:
        lengths.close()
    assert 0.5 < first < estimate("Hold 30 seconds.", 175)
    again = SpeechLengths(rate=175, folder=tmp_path)
    try:
        assert again("Hold 30 seconds.") == first
        assert again.renderer is not None and again.renderer._proc is None  # from the cache
    finally:
        again.close()


@needs_wheel
def test_the_player_plays_exactly_the_measured_samples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session's player (its own voice helper, which has said other things first, in
    another order) plays each text with as many samples as were measured for it, through
    several helpers at once as the first plan measures: never a sample longer."""
    from backtimer.sound import lengths as lengths_module
    from backtimer.sound.player import open_sound

    plan = compile_plan(ROUTINE, length=lambda text: estimate(text, 140))
    texts = list(dict.fromkeys(c.say for s in plan.steps for c in s.cues if c.say))
    assert len(texts) > 10
    monkeypatch.setattr(lengths_module, "_helper_count", lambda count: 3)
    lengths = SpeechLengths(rate=140, folder=tmp_path)
    try:
        lengths.prefetch(texts)
        measured = {text: lengths._measured(text) for text in texts}
    finally:
        lengths.close()
    sampler = VoiceProcess(rate=140)
    try:
        counts = dict(zip(texts, sampler.measure(texts), strict=True))
    finally:
        sampler.close()
    player = open_sound(null_device=True, tones_on=False, bell=False, rate=140, threaded=False)
    try:
        assert player.mixer is not None and player.renderer is not None, player.status.notes
        played: dict[str, int] = {}
        schedule = player.mixer.schedule

        def recording(name, samples, at=None, *, channel="tone"):  # type: ignore[no-untyped-def]
            played[name] = len(samples)
            return schedule(name, samples, at, channel=channel)

        monkeypatch.setattr(player.mixer, "schedule", recording)
        for text in reversed(texts):
            player.say(text)
    finally:
        player.close()
    for text in texts:
        words = measured[text]
        count = counts[text]
        assert words is not None and count is not None, text
        assert played[text] == count[0], text
        assert words[0] == round(played[text] / SAMPLE_RATE, 4), text


def test_a_named_pipe_in_place_of_the_cache_is_no_cache(tmp_path: Path) -> None:
    """A FIFO where the lengths cache lives blocked a session's start (its read waited for
    a writer): it is taken for no cache."""
    from fifo_guard import outcome_within

    from backtimer.sound.lengths import CACHE_NAME

    os.mkfifo(tmp_path / CACHE_NAME)
    lengths = SpeechLengths(rate=175, folder=tmp_path, enabled=False)
    assert outcome_within(lengths._load, tmp_path / CACHE_NAME, "reading the lengths cache") == {}
    (tmp_path / CACHE_NAME).unlink()
    (tmp_path / CACHE_NAME).write_text('{"abc": 1.5}')
    assert SpeechLengths(rate=175, folder=tmp_path, enabled=False)._load() == {"abc": 1.5}


def _open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("kind", ["folder", "socket"])
def test_a_folder_or_a_socket_in_place_of_the_cache_is_no_cache_and_leaks_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """A folder where the lengths cache lives opens (a socket does not): it is taken for no
    cache, and the descriptor opened is closed again (it was left open, one a load)."""
    import socket

    from backtimer.sound.lengths import CACHE_NAME

    if kind == "folder":
        (tmp_path / CACHE_NAME).mkdir()
    else:
        monkeypatch.chdir(tmp_path)  # a socket's path is short (about 100 bytes at most)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(CACHE_NAME)
    before = _open_fds()
    for _ in range(5):
        assert SpeechLengths(rate=175, folder=tmp_path, enabled=False)._load() == {}
    assert _open_fds() == before
    if kind == "socket":
        server.close()
