"""A rendered utterance ends a short tail after its words: the quiet an engine writes after
them (espeak-ng's ``--stdout``: 0.55 s at 120 words per minute) is trimmed in the renderer's
``render()``, which both the player and the spoken lengths use, so a measured length is
exactly what is played, and a countdown number, said in a second, keeps its words at slow
rates with the built-in voice or a system espeak-ng."""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
from array import array
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backtimer.core.plan import compile_plan
from backtimer.core.timeline import COUNT_ROOM, SOUND_SECONDS, estimate
from backtimer.files.routine_load import load_routine
from backtimer.sound import voice_helper
from backtimer.sound.lengths import CACHE_NAME, SpeechLengths
from backtimer.sound.mixer import Mixer
from backtimer.sound.player import SoundPlayer
from backtimer.sound.tones import SAMPLE_RATE
from backtimer.sound.voice import (
    SILENCE,
    TAIL,
    CommandRenderer,
    VoiceProcess,
    audible_end,
    loader_installed,
    trim_quiet,
)

ROUTINES = sorted((Path(__file__).resolve().parents[2] / "routines").glob("*.toml"))
LOUD = 6000
ENGINE_RATE = 16_000  # a fake engine's own sample rate: resampled to SAMPLE_RATE


class QuietEngine(CommandRenderer):
    """A renderer whose engine writes ``words(text)`` seconds of speech, then ``quiet``
    seconds of silence (as espeak-ng's ``--stdout`` does: 0.55 s at 120 words per minute);
    ``render()`` is the real one. Counts the texts it is asked for."""

    def __init__(
        self,
        words: dict[str, float] | None = None,
        *,
        rate: int = 120,
        engine_rate: int = ENGINE_RATE,
    ) -> None:
        super().__init__(["espeak-ng"], rate=rate)
        self.words = words or {}
        self.engine_rate = engine_rate
        self.quiet_seconds = 0.55 * 120 / rate
        self.asked: list[str] = []

    def speech_seconds(self, text: str) -> float:
        # espeak-ng's words are shorter than the estimate, which errs on the long side
        return self.words.get(text, 0.85 * estimate(text, self.rate))

    def _synthesize(self, text: str) -> tuple[bytes, int]:
        self.asked.append(text)
        loud = round(self.speech_seconds(text) * self.engine_rate)
        quiet = round(self.quiet_seconds * self.engine_rate)
        # a voice: loud, then a decay below the threshold of silence, then zeros
        samples = array("h", [LOUD, -LOUD]) * (loud // 2)
        decay = quiet // 4
        samples += array("h", [SILENCE // 2] * decay) + array("h", [0] * (quiet - decay))
        return samples.tobytes(), self.engine_rate


def test_trimming_keeps_the_words_and_a_short_tail() -> None:
    loud = array("h", [LOUD, -LOUD] * 500)
    quiet = array("h", [0] * SAMPLE_RATE)
    trimmed = trim_quiet(loud + quiet)
    assert len(trimmed) == len(loud) + round(TAIL * SAMPLE_RATE)
    assert trimmed[: len(loud)] == loud
    assert audible_end(loud + quiet) == len(loud)
    assert trim_quiet(loud) is loud  # nothing to trim
    # A shorter quiet than the tail is kept whole; all quiet is nothing to play.
    short = loud + array("h", [0] * 100)
    assert trim_quiet(short) == short
    assert len(trim_quiet(array("h", [SILENCE - 1, 1 - SILENCE] * 3000))) == 0
    assert len(trim_quiet(array("h"))) == 0
    # A quiet sample inside the words is not their end.
    inner = loud + array("h", [0] * 5000) + loud
    assert trim_quiet(inner + quiet)[: len(inner)] == inner


#: Runs of one sample value: loud or quiet, at and around SILENCE, long and short.
RUNS = st.lists(
    st.tuples(
        st.sampled_from([0, 1, SILENCE - 1, SILENCE, -SILENCE, 1 - SILENCE, LOUD, -LOUD]),
        st.integers(0, 1500),
    ),
    max_size=8,
)


@given(runs=RUNS, cuts=st.lists(st.integers(0, 12_000), max_size=4))
def test_samples_counted_piece_by_piece_are_trimmed_as_the_whole(runs, cuts) -> None:
    """The voice's helper measures a text's samples a piece at a time as espeak-ng hands
    them over (none kept): the same lengths as the whole, trimmed, that the player plays."""
    whole = array("h", [value for value, count in runs for _ in range(count)])
    bounds = sorted({0, len(whole), *(cut for cut in cuts if cut < len(whole))})
    tally = voice_helper._Tally()
    for start, stop in itertools.pairwise(bounds):
        tally.add(memoryview(whole[start:stop]).cast("B").cast("h"))
    assert tally.count == len(whole)
    assert tally.end == audible_end(whole)
    assert voice_helper._played(tally.count, tally.end) == len(trim_quiet(whole))


def test_the_render_is_trimmed_and_is_what_plays_and_what_is_measured(tmp_path: Path) -> None:
    engine = QuietEngine({"Hold": 0.5})
    samples = engine.render("Hold")
    assert samples is not None
    # 0.5 s of words, then TAIL of the 0.55 s of quiet (resampled: within a sample or two)
    assert len(samples) / SAMPLE_RATE == pytest.approx(0.5 + TAIL, abs=2 / SAMPLE_RATE)
    assert engine.quiet("Hold") == pytest.approx(0.55 - TAIL, abs=2 / SAMPLE_RATE)
    assert engine.render("Hold") is samples and engine.asked == ["Hold"]  # kept
    # The spoken length is the samples played, to the sample.
    lengths = SpeechLengths(rate=120, renderer=engine, folder=tmp_path)
    assert lengths.measured
    assert lengths("Hold") == round(len(samples) / SAMPLE_RATE, 4)
    assert lengths.count_words("Hold") == lengths("Hold")
    # The player puts exactly these samples on the mixer.
    mixer = Mixer()
    player = SoundPlayer(mixer, renderer=engine, threaded=False, volume=100)  # type: ignore[arg-type]
    player.say("Hold")
    assert mixer.channel_until("speech") - mixer.position == len(samples)
    assert lengths("Hold") == pytest.approx(mixer.channel_until("speech") / SAMPLE_RATE, abs=1e-4)


def test_a_speech_command_s_length_is_its_whole_process_and_its_words_apart(
    tmp_path: Path,
) -> None:
    # The user's own espeak-ng as speech_command is played as its process where no sound
    # device opens (which plays the quiet too): fitted by its whole length; a countdown
    # number and a tempo part by their words (count_length).
    engine = QuietEngine({"3": 0.47})
    lengths = SpeechLengths("espeak-ng", rate=120, renderer=engine, folder=tmp_path)
    words = lengths.count_words("3")
    assert words == pytest.approx(0.47 + TAIL, abs=1e-3)
    assert lengths("3") == pytest.approx(0.47 + 0.55, abs=1e-3)
    assert engine.asked == ["3"]  # one render for both


def test_lengths_cached_before_the_trim_are_measured_again(tmp_path: Path) -> None:
    engine = QuietEngine({"Hold": 0.5})
    # A cache written before: the whole render under the key of engine, voice, rate, text.
    identity = " ".join(engine.argv)
    old = hashlib.sha256("\0".join((identity, "", "120", "Hold")).encode()).hexdigest()[:32]
    (tmp_path / CACHE_NAME).write_text(json.dumps({old: 1.05}), encoding="utf-8")
    lengths = SpeechLengths(rate=120, renderer=engine, folder=tmp_path)
    assert lengths("Hold") == pytest.approx(0.5 + TAIL, abs=1e-3)
    assert engine.asked == ["Hold"]
    lengths.save()
    again = SpeechLengths(rate=120, renderer=QuietEngine(), folder=tmp_path)
    assert again("Hold") == lengths("Hold")  # the new measurement is cached
    saved = json.loads((tmp_path / CACHE_NAME).read_text(encoding="utf-8"))
    assert saved[old] == 1.05 and len(saved) == 3  # (the old entry ages out with the rest)


@pytest.mark.parametrize("path", ROUTINES, ids=lambda p: p.stem)
def test_at_120_wpm_the_countdown_says_its_numbers(path: Path, tmp_path: Path) -> None:
    # espeak-ng 1.51's words at 120 wpm ("3": 0.47 s, 1.02 s with its quiet); every other
    # text 0.85 of its estimate, each with 0.55 s of quiet after it.
    numbers = {"1": 0.49, "2": 0.49, "3": 0.47}
    engine = QuietEngine(numbers, rate=120, engine_rate=SAMPLE_RATE)  # (quick: no resampling)
    lengths = SpeechLengths(rate=120, renderer=engine, folder=tmp_path)
    plan = compile_plan(load_routine(path), "low", length=lengths, count_length=lengths.count_words)
    counts = [c for s in plan.steps for c in s.cues if c.kind == "count"]
    assert counts and all(c.say for c in counts), [c for c in counts if not c.say][:3]
    for cue in counts:
        assert cue.lead + cue.seconds <= COUNT_ROOM
    # Counted with their quiet, as every sample rendered was, a number had no room.
    whole = lengths.count_words("3") + engine.quiet("3")
    assert SOUND_SECONDS["tick"] + whole > COUNT_ROOM


needs_wheel = pytest.mark.skipif(
    not loader_installed(), reason="the espeakng-loader wheel exists for this platform only"
)


@needs_wheel
def test_the_built_in_voice_ends_a_short_tail_after_its_words() -> None:
    voice = VoiceProcess(rate=120)
    try:
        for text in ("3", "Hold", "Back to the middle."):
            samples = voice.render(text)
            assert samples is not None and len(samples) > 0
            assert len(samples) - audible_end(samples) <= round(TAIL * SAMPLE_RATE)
            assert voice.quiet(text) >= 0.0
    finally:
        voice.close()


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed here")
def test_a_system_espeak_ng_at_120_wpm_says_3_within_its_second(tmp_path: Path) -> None:
    renderer = CommandRenderer([shutil.which("espeak-ng") or "espeak-ng"], rate=120)
    samples = renderer.render("3")
    assert samples is not None
    assert len(samples) - audible_end(samples) <= round(TAIL * SAMPLE_RATE)
    assert renderer.quiet("3") > 0.3  # its --stdout ends in about half a second of quiet
    lengths = SpeechLengths(rate=120, renderer=renderer, folder=tmp_path)
    assert SOUND_SECONDS["tick"] + lengths.count_words("3") <= COUNT_ROOM
