"""Spoken lengths measured through several voice helpers at once (the first plan of a big
routine): the same lengths, sample for sample, as one helper rendering one text at a time,
in any order; every helper stopped afterwards; a helper that fails leaves its texts to the
session's own voice, and a voice that fails leaves estimates, never a stopped plan.

Each test runs with a fake engine (a helper process whose synthesizer remembers what it
rendered before and lets that change the next text's length, as espeak-ng's does: only a
helper that renders every text afresh gives the same lengths in any order) and, where the
espeakng-loader wheel is installed, with the real espeak-ng too."""

from __future__ import annotations

import os
import random
import sys
import threading
from pathlib import Path

import pytest

from backtimer.sound import lengths as lengths_module
from backtimer.sound import voice
from backtimer.sound.lengths import SpeechLengths
from backtimer.sound.tones import SAMPLE_RATE
from backtimer.sound.voice import FRESH, VoiceProcess, loader_installed
from tests.python_child import python_output

ENGINES = ["fake", *(["espeak-ng"] if loader_installed() else [])]

TEXTS = [
    "Set 1 of 49. Right side. Rep 1 of 50. Hold 2 seconds.",
    "Set 2 of 49 done. Rest 1 second.",
    "Rep 7 of 50.",
    "Release and rest 0.3 seconds.",
    "Left side.",
    "3",
    "2",
    "1",
    "Hold",
    "Session complete. Well done.",
    *(f"Rep {n} of 49. Hold 0.1 seconds." for n in range(2, 40)),
]

#: A helper process like ``python -m backtimer.sound.voice_helper --serve`` (its real loop,
#: fork and all), with a synthesizer in place of libespeak-ng: a text's samples grow with
#: every text this synthesizer rendered before it, unless each is rendered in a fork of its
#: own.
FAKE_HELPER = """\
#!{python}
import sys
from backtimer.sound import voice_helper as voice

class Engine(voice.Espeak):
    def __init__(self):
        self.sample_rate, self.version, self.rendered = 22050, "fake", 0
        self._voice = self._rate = None
        self._sink = voice._ignore

    def _set(self, rate, voice_name):
        pass

    def _run(self, text):  # its samples handed over in two pieces, as espeak-ng's may be
        self.rendered += 1
        loud = (len(text) * 300 + 7 * self.rendered) * b"\\x10\\x27"
        self._sink(memoryview(loud).cast("h"))
        self._sink(memoryview(2000 * b"\\x00\\x00").cast("h"))

voice.Espeak = Engine
{fail}
sys.exit(voice.serve(sys.stdin.buffer, sys.stdout.buffer))
"""


def fake_helper(folder: Path, fail: str = "") -> str:
    script = folder / "fake-python"
    script.write_text(FAKE_HELPER.format(python=sys.executable, fail=fail), encoding="utf-8")
    script.chmod(0o755)
    return str(script)


@pytest.fixture(autouse=True)
def measuring(monkeypatch: pytest.MonkeyPatch) -> None:
    """Measured lengths, through the voice's helper (the fake one's where the wheel that
    makes it the default is not installed)."""
    monkeypatch.delenv("BACKTIMER_SPEECH_LENGTHS", raising=False)
    monkeypatch.setattr(
        lengths_module,
        "find_renderer",
        lambda command, rate, voice: VoiceProcess(rate=rate, voice=voice),
    )


@pytest.fixture
def engine(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The helper processes' engine: the fake one, or the wheel's espeak-ng."""
    if request.param == "fake":
        monkeypatch.setattr(voice.sys, "executable", fake_helper(tmp_path))
    return request.param


@pytest.fixture
def helpers(monkeypatch: pytest.MonkeyPatch) -> list[VoiceProcess]:
    """Every VoiceProcess made during the test."""
    made: list[VoiceProcess] = []
    original = VoiceProcess.__init__

    def recording(self: VoiceProcess, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(VoiceProcess, "__init__", recording)
    return made


def one_at_a_time(texts: list[str]) -> dict[str, tuple[float, float]]:
    """(the words, the whole) of each text, rendered one at a time through one helper and
    taken from its samples, as the session's player gets them."""
    helper = VoiceProcess()
    try:
        out = {}
        for text in texts:
            samples = helper.render(text)
            assert samples is not None, helper.error
            words = len(samples) / SAMPLE_RATE
            out[text] = (round(words, 4), round(words + helper.quiet(text), 4))
        return out
    finally:
        helper.close()


def measured(lengths: SpeechLengths, texts: list[str]) -> dict[str, tuple[float, float] | None]:
    """(the words, the whole) of each text as measured (kept in the cache)."""
    return {text: lengths._measured(text) for text in texts}


def stopped(made: list[VoiceProcess]) -> bool:
    return all(helper._proc is None for helper in made)


def measured_by_helpers(
    tmp_path: Path, made: list[VoiceProcess], count: int
) -> dict[str, tuple[float, float] | None]:
    """TEXTS prefetched through ``count`` helpers (``made`` records them), still measured
    (not estimated); what each is then measured as, every helper stopped after."""
    lengths = SpeechLengths(folder=tmp_path / "cache")
    try:
        lengths.prefetch(TEXTS)
        assert len(made) == count and lengths.speech.measured
        together = measured(lengths, TEXTS)
    finally:
        lengths.close()
    assert stopped(made)
    return together


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
def test_several_helpers_measure_what_one_renders_sample_for_sample(
    engine: str, helpers: list[VoiceProcess], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lengths_module, "_helper_count", lambda texts: 3)
    lengths = SpeechLengths(folder=tmp_path / "cache")
    try:
        lengths.prefetch(TEXTS)
        assert len(helpers) == 3 and lengths.speech.measured
        assert all(helper.fresh for helper in helpers)
        together = measured(lengths, TEXTS)
    finally:
        lengths.close()
    assert stopped(helpers)
    shuffled = list(TEXTS)
    random.Random(14).shuffle(shuffled)
    alone = one_at_a_time(shuffled)
    assert together == alone
    assert all(words > 0 and whole >= words for words, whole in together.values())
    # Kept: a later plan measures nothing and starts no helper.
    helpers.clear()
    again = SpeechLengths(folder=tmp_path / "cache")
    try:
        again.prefetch(TEXTS)
        assert measured(again, TEXTS) == together
        assert all(helper._proc is None and helper.startup_seconds is None for helper in helpers)
    finally:
        again.close()


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
def test_a_text_sounds_the_same_whatever_was_rendered_before(engine: str) -> None:
    first = one_at_a_time(TEXTS[:12])
    later = one_at_a_time(list(reversed(TEXTS[:12])))
    assert first == later


def test_without_fresh_renders_one_helper_measures_in_the_order_it_always_did(
    helpers: list[VoiceProcess], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(voice.sys, "executable", fake_helper(tmp_path, "voice.FRESH = False"))
    monkeypatch.setattr(lengths_module, "FRESH", False)
    monkeypatch.setattr(lengths_module, "_helper_count", lambda texts: 3)
    lengths = SpeechLengths(folder=tmp_path / "cache")
    try:
        assert not lengths.fresh
        lengths.prefetch(reversed(TEXTS))
        assert len(helpers) == 1 and not helpers[0].fresh
        together = measured(lengths, TEXTS)
    finally:
        lengths.close()
    assert stopped(helpers)
    # Sorted, through one helper: each text as long as it was rendered in that order.
    assert together == one_at_a_time(sorted(set(TEXTS)))
    assert together != one_at_a_time(list(reversed(sorted(set(TEXTS)))))


def test_a_helper_that_does_not_start_leaves_its_texts_to_the_voice(
    helpers: list[VoiceProcess], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(voice.sys, "executable", fake_helper(tmp_path))
    monkeypatch.setattr(lengths_module, "_helper_count", lambda texts: 3)
    original = VoiceProcess.start

    def start(self: VoiceProcess) -> bool:
        if self is not helpers[0]:
            self.error = "no room for another process"
            return False
        return original(self)

    monkeypatch.setattr(VoiceProcess, "start", start)
    together = measured_by_helpers(tmp_path, helpers, 3)
    monkeypatch.setattr(VoiceProcess, "start", original)
    assert together == one_at_a_time(TEXTS)


def test_a_helper_that_dies_leaves_the_rest_to_the_voice(
    helpers: list[VoiceProcess], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = fake_helper(tmp_path)
    dying = tmp_path / "dying"
    dying.mkdir()
    # The second helper started answers three requests, then its process ends.
    die = (
        "import os\n"
        "if os.environ.get('FAKE_DIES') == '1':\n"
        "    served = voice.serve\n"
        "    def serve(stdin, stdout):\n"
        "        lines = iter(stdin)\n"
        "        import itertools\n"
        "        return served(itertools.islice(lines, 3), stdout)\n"
        "    voice.serve = serve\n"
    )
    bad = fake_helper(dying, die)
    monkeypatch.setattr(voice.sys, "executable", good)
    monkeypatch.setattr(lengths_module, "_helper_count", lambda texts: 2)
    original = VoiceProcess._ensure
    one_at_once = threading.Lock()  # helpers start in threads: one program at a time

    def ensure(self: VoiceProcess) -> bool:
        with one_at_once:
            if self is not helpers[0]:
                monkeypatch.setenv("FAKE_DIES", "1")
                monkeypatch.setattr(voice.sys, "executable", bad)
            try:
                return original(self)
            finally:
                monkeypatch.setattr(voice.sys, "executable", good)
                monkeypatch.delenv("FAKE_DIES", raising=False)

    monkeypatch.setattr(VoiceProcess, "_ensure", ensure)
    together = measured_by_helpers(tmp_path, helpers, 2)
    assert helpers[1].error is not None  # it died, and said so
    monkeypatch.setattr(VoiceProcess, "_ensure", original)
    assert together == one_at_a_time(TEXTS)


def test_a_voice_that_cannot_start_gives_estimates(
    helpers: list[VoiceProcess], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(voice.sys, "executable", str(tmp_path / "no-such-python"))
    monkeypatch.setattr(lengths_module, "_helper_count", lambda texts: 3)
    lengths = SpeechLengths(folder=tmp_path / "cache")
    try:
        lengths.prefetch(TEXTS)
        assert not lengths.speech.measured  # estimated, from now on
        assert lengths(TEXTS[0]) == lengths._estimate(TEXTS[0]) > 0
    finally:
        lengths.close()
    assert helpers and stopped(helpers)


def test_helpers_started_ahead_are_stopped_when_nothing_is_measured(
    helpers: list[VoiceProcess], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(voice.sys, "executable", fake_helper(tmp_path))
    monkeypatch.setattr(lengths_module, "_helper_count", lambda texts: 2)
    lengths = SpeechLengths(folder=tmp_path / "cache")
    lengths.warm(100)
    for helper in helpers:
        assert helper.start()  # waits for its start in the background
    pids = [helper._proc.pid for helper in helpers if helper._proc is not None]
    assert len(pids) == 2
    lengths.close()
    assert stopped(helpers)
    for pid in pids:  # reaped: not even a zombie is left
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def test_the_helper_imports_little() -> None:
    """The helper forks for every text: threading (and subprocess, which imports it) would
    make each fork slower (its after-fork work), so the helper's module does without; nor
    does it import typing or the tones (dataclasses, inspect): a larger process forks
    slower, and the helper starts slower."""
    code = (
        "import sys, backtimer.sound.voice_helper\n"
        "unwanted = {'threading', 'subprocess', 'espeakng_loader', 'typing', 'dataclasses'}\n"
        "print(sorted((unwanted | {'backtimer.sound.tones'}) & set(sys.modules)))"
    )
    assert python_output(code).strip() == "[]"


def test_how_many_helpers() -> None:
    count = lengths_module._helper_count
    assert count(0) == count(5) == 1  # a few texts: the session's voice alone
    assert 1 <= count(10_000) <= lengths_module.MAX_HELPERS
    assert count(10_000) <= (os.cpu_count() or 1)
    assert hasattr(os, "fork") == FRESH


def test_a_helper_that_cannot_fork_still_speaks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """No process to spare: the text is rendered in the helper itself (its length may then
    differ a little with what it rendered before, as it always did), not left unsaid."""
    cannot = (
        "import os\ndef fork():\n    raise BlockingIOError('no process to spare')\nos.fork = fork\n"
    )
    monkeypatch.setattr(voice.sys, "executable", fake_helper(tmp_path, cannot))
    helper = VoiceProcess()
    try:
        samples = helper.render(TEXTS[0])
        assert samples is not None and len(samples) > 0, helper.error
        assert helper.measure([TEXTS[1]])[0] is not None and helper.error is None
    finally:
        helper.close()


def test_a_fork_that_fails_for_a_moment_is_tried_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fork refused for a moment (EAGAIN: no process to spare just then) is tried again
    rather than the text rendered in the helper itself: a text rendered there changes the
    state every later fork starts from, so every later text would differ from what was
    measured (with espeak-ng: 21 of 35 texts longer, by up to 13 ms, after a single one)."""
    once = (
        "import errno, os\nreal_fork, refused = os.fork, []\n"
        "def fork():\n"
        "    if not refused:\n"
        "        refused.append(1)\n"
        "        raise OSError(errno.EAGAIN, 'no process to spare just now')\n"
        "    return real_fork()\n"
        "os.fork = fork\n"
    )
    (tmp_path / "refused").mkdir()
    refused = fake_helper(tmp_path / "refused", once)  # both run by this Python
    monkeypatch.setattr(voice.sys, "executable", fake_helper(tmp_path))
    pristine = one_at_a_time(TEXTS[:6])
    monkeypatch.setattr(voice.sys, "executable", refused)
    assert one_at_a_time(TEXTS[:6]) == pristine


@pytest.mark.parametrize("engine_rate", [SAMPLE_RATE, 16_000])
def test_a_helper_measures_what_it_renders(
    engine_rate: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lengths a helper measures (counted in its fork, as the samples come; from the
    samples resampled where the engine renders at another rate) are those of the samples
    it renders: what the player plays."""
    at_rate = (
        "_init = Engine.__init__\n"
        "def init(self):\n"
        "    _init(self)\n"
        f"    self.sample_rate = {engine_rate}\n"
        "Engine.__init__ = init\n"
    )
    monkeypatch.setattr(voice.sys, "executable", fake_helper(tmp_path, at_rate))
    measuring, rendering = VoiceProcess(), VoiceProcess()
    try:
        measured = measuring.measure(TEXTS[:6])
        for text, lengths in zip(TEXTS[:6], measured, strict=True):
            samples = rendering.render(text)
            assert samples is not None, rendering.error
            assert lengths == (len(samples), rendering.quiet(text))
            assert len(samples) > 0 and rendering.quiet(text) > 0
        assert rendering.sample_rate == measuring.sample_rate == engine_rate
    finally:
        measuring.close()
        rendering.close()


@pytest.mark.skipif(not loader_installed(), reason="the espeakng-loader wheel is not installed")
def test_espeak_ng_s_samples_are_the_same_seen_either_way() -> None:
    """The helper sees espeak-ng's samples where they are, through CPython's
    PyMemoryView_FromMemory, or else through a ctypes array: the same samples and lengths."""
    code = (
        "import ctypes, json\n"
        "from backtimer.sound import voice_helper\n"
        "texts = ['Set 1 of 49. Right side. Rep 1 of 50. Hold 2 seconds.', '3', 'Hold']\n"
        "def heard():\n"
        "    engine = voice_helper.Espeak()\n"
        "    return [[engine.synthesize(t).hex(), engine.measure(t)] for t in texts]\n"
        "viewed = heard()\n"
        "del ctypes.pythonapi\n"
        "print(json.dumps([viewed == heard(), len(viewed[0][0]) > 1000]))\n"
    )
    assert python_output(code).strip() == "[true, true]"
