"""The session's player: tones and speech on one mixer; a pain stop is heard, in order."""

from __future__ import annotations

import sys
import time
from array import array

import pytest

from backtimer.core.engine import Command
from backtimer.core.plan import compile_plan
from backtimer.files.routine_load import validate_text
from backtimer.session.cues import Cues
from backtimer.session.runner import SessionRunner
from backtimer.sound import tones
from backtimer.sound.mixer import Mixer
from backtimer.sound.player import STOPPED_TEXT, SoundPlayer, SoundStatus, open_sound
from tests.sound.helpers import FakeRenderer

ROUTINE = """
name = "One"
[defaults]
get_ready = 3
[[exercises]]
name = "Knee to chest"
position = "Lie on your back"
hold = 30
"""

HUNDRED_MS = tones.SAMPLE_RATE // 10


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def bare_player(**options: object) -> tuple[SoundPlayer, Mixer, FakeRenderer]:
    mixer = Mixer()
    renderer = FakeRenderer()
    player = SoundPlayer(mixer, renderer=renderer, threaded=False, **options)  # type: ignore[arg-type]
    return player, mixer, renderer


def test_pain_stop_silence_then_the_stop_sound_then_the_word() -> None:
    """The order is pinned: all sound stops at once, the stop sound starts within 100 ms of
    the key (at the next buffer), and "Stopped" follows the sound."""
    player, mixer, renderer = bare_player(volume=100)
    clock = Clock()
    runner = SessionRunner(
        compile_plan(validate_text(ROUTINE, "one.toml")), clock=clock, listeners=[Cues(player)]
    )
    runner.do(Command.START)
    clock.t = 103.0
    runner.tick()  # the hold starts: "go" and its announcement
    mixer.render(441 * 5)
    assert mixer.busy("speech")  # still speaking
    key = mixer.position
    runner.do(Command.PAIN)
    after = mixer.render(tones.SAMPLE_RATE)  # the next second, buffer by buffer as a device would
    names = [(s.name, s.sample) for s in mixer.log if s.sample >= key]
    stop = tones.render("stop", volume=1.0)
    assert names == [("stop", key), (STOPPED_TEXT, key + len(stop))]
    assert names[0][1] - key <= HUNDRED_MS
    assert names[1][1] - key <= HUNDRED_MS  # the word too, right after the short sound
    # Nothing of what was playing is left: the buffer is the stop sound, then the word.
    assert after[: len(stop)] == stop
    word = renderer.render(STOPPED_TEXT)
    assert after[len(stop) : len(stop) + len(word)] == word


def test_tones_off_ring_the_bell_and_voice_off_says_nothing() -> None:
    rings: list[int] = []
    player, mixer, _ = bare_player(tones_on=False, voice=False, bell_fn=lambda: rings.append(1))
    player.sound("go")
    player.say("Hello")
    assert rings == [1]
    assert not mixer.busy()


def test_prerender_makes_the_tones_only_where_they_can_play() -> None:
    """Without a sound device (or with the tones off) the bell rings instead of a tone:
    none is rendered ahead (they took a third of the start-up of ``run`` for nothing)."""
    for player in (
        SoundPlayer(None, threaded=False),
        bare_player(tones_on=False)[0],
    ):
        player.prerender(texts=())
        assert player._tones == {}
    player, _, _ = bare_player()
    player.prerender(texts=())
    assert set(player._tones) == set(tones.SOUNDS)


def test_speech_after_a_tone_waits_for_it_and_a_new_sentence_cuts_the_old() -> None:
    player, mixer, _ = bare_player()
    player.sound("go")
    player.say("first sentence")
    go = len(tones.render("go"))
    assert [(s.name, s.start) for s in mixer._sounds] == [("go", 0), ("first sentence", go)]
    mixer.render(go + 100)
    player.say("second")
    assert [s.name for s in mixer._sounds] == ["second"]
    assert player.speaking
    mixer.render(tones.SAMPLE_RATE * 2)
    assert not player.speaking


def test_pause_stops_every_sound_at_once() -> None:
    player, mixer, _ = bare_player()
    clock = Clock()
    runner = SessionRunner(
        compile_plan(validate_text(ROUTINE, "one.toml")), clock=clock, listeners=[Cues(player)]
    )
    runner.do(Command.START)
    mixer.render(441)
    runner.do(Command.PAUSE)
    assert [s.name for s in mixer._sounds] == ["Paused."]


def test_status_words() -> None:
    silent = SoundStatus(voice_on=True, notes=["no speech engine"])
    assert silent.silent_voice
    assert "No voice" in (silent.warning() or "") and "backtimer sound" in (silent.warning() or "")
    assert SoundStatus(voice_on=False).warning() is None
    ok = SoundStatus(engine="espeak-ng 1.52.0", voice="en", rate=175, device="null device")
    assert ok.warning() is None
    lines = ok.lines()
    assert "speech engine: espeak-ng 1.52.0" in lines and "output: null device" in lines


miniaudio = pytest.importorskip("miniaudio") if sys.platform != "linux" else None


def test_playback_on_the_null_device_and_stop_within_one_buffer() -> None:
    """Real playback through miniaudio's null backend: no sound card needed."""
    player = open_sound(null_device=True, voice=False, bell=False)
    try:
        assert player.status.device == "null device", player.status.notes
        assert player.output is not None and player.mixer is not None
        assert player.output.wait_running(5.0)
        player.sound("session_done")
        deadline = time.monotonic() + 5
        while not player.mixer.log and time.monotonic() < deadline:
            time.sleep(0.005)
        assert [s.name for s in player.mixer.log] == ["session_done"]
        player.say("not spoken: the voice is off")
        player.silence()
        position = player.mixer.position
        assert not player.mixer.busy()
        # Every buffer rendered after the stop is silent.
        assert not any(player.mixer.render(441))
        assert player.mixer.position >= position
    finally:
        player.close()


def test_a_sound_for_a_deadline_lands_on_the_deadline_sample() -> None:
    player = open_sound(null_device=True, voice=False, bell=False)
    try:
        assert player.output is not None and player.mixer is not None
        assert player.output.wait_running(5.0)
        when = time.monotonic() + 0.3
        expected = player.output.sample_at(when)
        player.sound("tick", at=when)
        deadline = time.monotonic() + 5
        while not player.mixer.log and time.monotonic() < deadline:
            time.sleep(0.005)
        assert expected is not None
        assert player.mixer.log[0].sample == expected
    finally:
        player.close()


def test_no_device_falls_back_to_the_speech_command_and_the_bell(monkeypatch) -> None:
    monkeypatch.setattr(
        "backtimer.sound.player.open_output",
        lambda mixer, null=False, clock=None: (None, "no device here"),
    )
    rings: list[int] = []
    player = open_sound(voice=True, command="/no/such/speech", bell_fn=lambda: rings.append(1))
    try:
        assert player.mixer is None and player.status.device is None
        assert player.status.silent_voice
        assert "no device here" in player.status.notes[0]
        assert player.status.fallback() == (
            "No sound device (no device here): the terminal bell for the tones."
        )
        player.sound("go")
        assert rings == [1]
    finally:
        player.close()


def test_fake_renderer_is_deterministic() -> None:
    assert FakeRenderer().render("ab") == FakeRenderer().render("ab")
    assert isinstance(FakeRenderer().render("ab"), array)


class SpeechCalls:
    """Stands in for a SpeechPlayer: records what the SoundPlayer asked of it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def say(self, text: str) -> None:
        self.calls.append(("say", text))

    def say_next(self, text: str, at: float | None = None) -> None:
        self.calls.append(("say_next", text) if at is None else ("say_next", text, str(at)))

    def say_after_quiet(self, text: str, words: float = 0.0, at: float | None = None) -> None:
        call = ("say_after_quiet", text, str(words))
        self.calls.append(call if at is None else (*call, str(at)))


def test_a_number_after_a_number_goes_to_the_speech_command_with_its_words() -> None:
    """Played by a speech command: say_after_quiet hands the words' seconds on (its quiet is
    not waited for beyond a moment), with the voice off nothing; played by the voice, it
    follows what is being said, as say_next (the voice's renders end with their words)."""
    speech = SpeechCalls()
    player = SoundPlayer(None, speech=speech, threaded=False)  # type: ignore[arg-type]
    player.say_after_quiet("2", words=0.6)
    player.say_next("1")
    player.say("Hold")
    player.say_after_quiet("  ", words=0.6)  # nothing to say
    assert speech.calls == [("say_after_quiet", "2", "0.6"), ("say_next", "1"), ("say", "Hold")]
    # Each with its deadline, by which the speech command judges it too late (see speech).
    player.say_after_quiet("2", at=12.0, words=0.6)
    player.say_next("1", at=13.0)
    assert speech.calls[3:] == [("say_after_quiet", "2", "0.6", "12.0"), ("say_next", "1", "13.0")]
    player.voice = False
    player.say_after_quiet("1", words=0.6)
    assert len(speech.calls) == 5
    voiced, mixer, _ = bare_player()
    voiced.say("three")
    voiced.say_after_quiet("two", words=0.6)
    assert [s.name for s in mixer._sounds] == ["three", "two"]  # not cut: it follows
