"""A render or an announcement that hangs never silences the rest of a session: it is
abandoned after a bound derived from its text (killed and reaped, with whatever it started),
the texts after it are rendered or said, a pain stop does not wait behind it, and at plan time
it leaves the estimates (the fallback for a voice that fails), never a hang or a traceback.

Every hang here is a real process that blocks for good (a helper that sleeps on one text, a
fork that blocks, a command that never exits); the bounds are injected: short for the text
that hangs, a minute for every other, so that no assertion depends on how fast this machine
is. Waits for a process's effect poll with bounds of tens of seconds."""

from __future__ import annotations

import os
import stat
import threading
import wave
from array import array
from collections.abc import Iterator
from pathlib import Path

import pytest

from backtimer.sound import lengths as lengths_module
from backtimer.sound import speech as speech_module
from backtimer.sound import voice
from backtimer.sound.lengths import SpeechLengths
from backtimer.sound.mixer import Mixer
from backtimer.sound.player import STOPPED_TEXT, SoundPlayer
from backtimer.sound.speech import SpeechPlayer
from backtimer.sound.voice import CommandRenderer, VoiceProcess
from tests.polling import wait_for
from tests.sound.test_parallel_lengths import fake_helper

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX process groups")

SHORT = 0.5  # seconds: the bound of a text that hangs (it never ends by itself)
LONG = 60.0  # seconds: every other text's (never reached)
PATIENCE = 30.0  # seconds a test waits for what must happen long before


def hangs(text: str) -> bool:
    return "HANG" in text or "BLOCK" in text


def bounds(text: str) -> float:
    return SHORT if hangs(text) else LONG


def running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not ended (a zombie has ended)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as status:
            return status.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # pragma: no cover - not Linux
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def gone(pid: int) -> bool:
    """Whether ``pid`` has ended and been reaped: no process, not even a zombie."""
    if os.path.isdir("/proc"):
        return not os.path.exists(f"/proc/{pid}")
    return not running(pid)  # pragma: no cover - not Linux


def pids(path: Path) -> list[int]:
    return [int(part) for part in path.read_text().split()] if path.exists() else []


def open_fds() -> int:
    """How many files this process has open (0 where that cannot be seen)."""
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0


def watches() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "backtimer-voice-watch"]


#: Snippets for the fake helper (tests/sound/test_parallel_lengths.py): run before it serves.
HANG_IN_HELPER = """
import os, time
def hanging(real):
    def answer(self, text, **options):
        if "HANG" in text:
            with open({pids!r}, "a") as out:
                out.write(f"{{os.getpid()}}\\n")
            time.sleep(1000)  # the helper itself blocks
        return real(self, text, **options)
    return answer
Engine.synthesize = hanging(Engine.synthesize)  # a render
Engine.measure = hanging(Engine.measure)  # a measure (lengths only)
"""

BLOCK_IN_FORK = """
import os, time
_run = Engine._run
def run(self, text):  # renders a text in the fork, for a render and for a measure
    if "BLOCK" in text:
        with open({pids!r}, "a") as out:
            out.write(f"{{os.getpid()}}\\n")
        time.sleep(1000)  # the fork that renders the text blocks; the helper waits for it
    return _run(self, text)
Engine._run = run
"""

NO_START = "import time\ntime.sleep(1000)\n"

HANG_ALWAYS = """
import time
def synthesize(self, text, **options):
    time.sleep(1000)
Engine.synthesize = Engine.measure = synthesize  # a render and a measure (lengths only)
"""


@pytest.fixture
def hung(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Helpers that block on texts with HANG (in the helper) or BLOCK (in its fork); the
    file where each records the pid that blocks. Every VoiceProcess gets the short bound
    for those texts, a long one for the others."""
    blocked = tmp_path / "blocked"
    snippet = HANG_IN_HELPER.format(pids=str(blocked)) + BLOCK_IN_FORK.format(pids=str(blocked))
    monkeypatch.setattr(voice.sys, "executable", fake_helper(tmp_path, snippet))
    monkeypatch.setattr(VoiceProcess, "render_timeout", lambda self, text: bounds(text))
    return blocked


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[VoiceProcess]]:
    """Every VoiceProcess made during the test; each is closed and stopped after it."""
    out: list[VoiceProcess] = []
    original = VoiceProcess.__init__

    def recording(self: VoiceProcess, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        out.append(self)

    monkeypatch.setattr(VoiceProcess, "__init__", recording)
    yield out
    for helper in out:
        helper.close()
    assert all(helper._proc is None for helper in out)
    assert wait_for(lambda: not watches())  # no watch left behind


def helper_pid(helper: VoiceProcess) -> int:
    assert helper._proc is not None
    return helper._proc.pid


# ---------------------------------------------------------------------- the voice's helper


@pytest.mark.parametrize("where", ["HANG", "BLOCK"])
def test_a_render_that_hangs_is_abandoned_and_the_next_text_is_rendered(
    where: str, hung: Path, made: list[VoiceProcess]
) -> None:
    """In the helper or in the fork it renders in: the text gives None (as a text that
    fails), the helper and the fork are killed and reaped, a new helper renders the rest;
    no pipe is left open."""
    open_files = open_fds()
    helper = VoiceProcess()
    assert helper.render("Before.") is not None
    first = helper_pid(helper)
    assert helper.render(f"{where} here.") is None
    assert helper.hangs == 1 and helper.error is None
    assert helper.problem and f"{where} here." in helper.problem
    blocked = pids(hung)
    assert len(blocked) == 1
    assert gone(first)  # the old helper: reaped by us
    if where == "BLOCK":
        assert blocked[0] != first
        assert wait_for(lambda: gone(blocked[0]))  # the fork: reaped by its helper
    else:
        assert blocked == [first]
    later = helper.render("Later.")
    assert later is not None and len(later) > 0, helper.error
    assert helper_pid(helper) != first  # a new helper
    assert helper.render("Before.") is not None  # kept from before
    helper.close()
    assert not watches()
    assert open_fds() <= open_files


def test_texts_that_hang_in_a_row_give_the_voice_up(hung: Path, made: list[VoiceProcess]) -> None:
    helper = VoiceProcess()
    for count in range(voice.MAX_HANGS):
        assert helper.error is None  # not yet: each starts a new helper
        assert helper.render(f"HANG {count}.") is None
    assert helper.error and "stopped answering" in helper.error
    assert helper.render("Fine.") is None  # given up: not tried again
    assert helper._proc is None
    assert len(pids(hung)) == voice.MAX_HANGS
    assert all(gone(pid) for pid in pids(hung))


def test_one_that_renders_between_hangs_keeps_the_voice(
    hung: Path, made: list[VoiceProcess]
) -> None:
    helper = VoiceProcess()
    for count in range(voice.MAX_HANGS + 1):
        assert helper.render(f"HANG {count}.") is None
        assert helper.render(f"Fine {count}.") is not None, helper.error
    assert helper.error is None and helper.hangs == voice.MAX_HANGS + 1


def test_a_measure_that_hangs_leaves_none_from_that_text_and_the_helper_restarts(
    hung: Path, made: list[VoiceProcess]
) -> None:
    helper = VoiceProcess()
    answers = helper.measure(["First.", "BLOCK this one.", "Third."])
    assert answers[0] is not None and answers[1] is None and answers[2] is None
    assert helper.hangs == 1 and helper.error is None
    again = helper.measure(["Third.", "Fourth."])
    assert all(answer is not None for answer in again), helper.error
    assert all(gone(pid) for pid in pids(hung))


def test_a_helper_that_never_starts_is_given_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, made: list[VoiceProcess]
) -> None:
    monkeypatch.setattr(voice.sys, "executable", fake_helper(tmp_path, NO_START))
    monkeypatch.setattr(voice, "START_TIMEOUT", SHORT)
    helper = VoiceProcess()
    assert helper.render("Hello.") is None
    assert helper.error and "no answer within" in helper.error
    assert helper.render("Hello.") is None  # tried once, not again and again


def test_hurry_ends_a_render_that_hangs_at_once(
    hung: Path, made: list[VoiceProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pain stop's word must not wait for a render's whole bound."""
    monkeypatch.setattr(VoiceProcess, "render_timeout", lambda self, text: 10 * PATIENCE)
    helper = VoiceProcess()
    assert helper.start()
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(helper.render("BLOCK it.")))
    thread.start()
    assert wait_for(lambda: len(pids(hung)) == 1)
    helper.hurry()
    thread.join(PATIENCE)
    assert not thread.is_alive() and result == [None]
    assert helper.hangs == 0 and helper.problem and "stopped with every sound" in helper.problem
    assert helper.error is None and helper.render("After.") is not None


def test_a_pain_stop_while_the_helper_starts_lets_it_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, made: list[VoiceProcess]
) -> None:
    """hurry() spares a helper that is starting (cut short, the voice would be given up)."""
    gate = tmp_path / "gate"
    waits = f"import os, time\nwhile not os.path.exists({str(gate)!r}):\n    time.sleep(0.01)\n"
    monkeypatch.setattr(voice.sys, "executable", fake_helper(tmp_path, waits))
    helper = VoiceProcess()
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(helper.render("Hello.")))
    thread.start()
    assert wait_for(lambda: helper._starting is not None)
    helper.hurry()
    gate.touch()
    thread.join(PATIENCE)
    assert not thread.is_alive() and result[0] is not None
    assert helper.error is None and helper.problem is None


def test_the_bound_grows_with_the_text() -> None:
    short, long = voice.render_timeout("Go."), voice.render_timeout("Breathe in slowly. " * 40)
    assert short == voice.RENDER_FLOOR
    assert long > 60  # a long text's render is not cut short by a fixed bound


# ---------------------------------------------------------------------- the player


def test_a_cue_after_one_whose_render_hung_is_said(hung: Path, made: list[VoiceProcess]) -> None:
    """The session's player: the cue whose render hung gives its tone only (as one whose
    render fails), and the cue after it is said."""
    mixer = Mixer()
    player = SoundPlayer(mixer, renderer=VoiceProcess())
    try:
        player.sound("go")
        player.say("BLOCK the hold.")
        player.say_next("Next: rest.")
        player.wait_idle(PATIENCE)
        mixer.render(mixer.sample_rate * 10)
        heard = [started.name for started in mixer.log]
        assert heard == ["go", "Next: rest."]
    finally:
        player.close()


def test_the_pain_stop_does_not_wait_behind_a_render_that_hangs(
    hung: Path, made: list[VoiceProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(VoiceProcess, "render_timeout", lambda self, text: 10 * PATIENCE)
    mixer = Mixer()
    player = SoundPlayer(mixer, renderer=VoiceProcess())
    try:
        player.prerender()  # as a session's player does: "Stopped." is ready
        player.say("BLOCK the hold.")
        player.say("Queued behind it.")
        assert wait_for(lambda: len(pids(hung)) == 1)
        player.pain_stop()
        player.wait_idle(PATIENCE)
        mixer.render(mixer.sample_rate * 5)
        assert [started.name for started in mixer.log] == ["stop", STOPPED_TEXT]
    finally:
        player.close()
    assert all(gone(pid) for pid in pids(hung))


class StartingRenderer:
    """A renderer whose helper is starting while ``BUSY`` texts are asked: their render waits
    until :attr:`started` is set, and :meth:`hurry` spares it (as VoiceProcess.hurry spares a
    helper that is starting: cut short, the voice would be given up). Other texts render at
    once."""

    engine, voice, rate, error = "fake", "test", 175, None

    def __init__(self) -> None:
        self.started = threading.Event()
        self.waiting = threading.Event()

    def render(self, text: str) -> array[int]:
        if "BUSY" in text:
            self.waiting.set()
            self.started.wait(PATIENCE)
        return array("h", [1000] * (len(text) * 400))

    def hurry(self) -> None:
        pass  # a helper that is starting is let start

    def close(self) -> None:
        self.started.set()


def test_the_pain_stop_says_stopped_while_the_helper_starts() -> None:
    """The voice's helper is starting again (after a render that hung, say: up to
    START_TIMEOUT on a busy machine) when the pain stop comes: its "Stopped.", ready since
    the session began, is said at once, not after the helper's start and the render that
    waited for it."""
    mixer = Mixer()
    renderer = StartingRenderer()
    player = SoundPlayer(mixer, renderer=renderer)  # type: ignore[arg-type]
    try:
        player.prerender()  # as a session's player does: "Stopped." is ready
        player.say("BUSY Breathe in.")
        assert renderer.waiting.wait(PATIENCE)
        player.pain_stop()
        heard = [sound.name for sound in mixer._sounds]
        assert heard == ["stop", STOPPED_TEXT]  # placed by pain_stop itself, before it returns
        assert mixer._sounds[1].start == mixer._sounds[0].end  # right after the stop sound
        player.say_next("Seek advice if the pain persists.")  # waits its turn, then follows
        renderer.started.set()
        assert wait_for(lambda: not player._pending)
        mixer.render(mixer.sample_rate * 10)
        assert [started.name for started in mixer.log] == [
            "stop",
            STOPPED_TEXT,
            "Seek advice if the pain persists.",
        ]
    finally:
        renderer.started.set()
        player.close()


# ---------------------------------------------------------------------- a system espeak-ng


def wav_bytes() -> bytes:
    import io

    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(22050)
        wav.writeframes(array("h", [4000, -4000] * 4000).tobytes())
    return out.getvalue()


def script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def test_a_command_render_that_hangs_is_killed_with_what_it_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sound, started = tmp_path / "sound.wav", tmp_path / "pids"
    sound.write_bytes(wav_bytes())
    engine = script(
        tmp_path / "espeak-ng",
        f'case "$*" in\n*HANG*) echo $$ >> "{started}"; sleep 1000 & echo $! >> "{started}";'
        f' wait;;\n*) cat "{sound}";;\nesac\n',
    )
    monkeypatch.setattr(CommandRenderer, "render_timeout", lambda self, text: bounds(text))
    renderer = CommandRenderer([str(engine)])
    assert renderer.render("HANG now.") is None
    assert renderer.error and "took over" in renderer.error
    shell, child = pids(started)
    assert gone(shell) and wait_for(lambda: gone(child))
    later = renderer.render("Later.")
    assert later is not None and len(later) > 0
    renderer.close()
    assert not watches()


# ---------------------------------------------------------------------- a speech command


@pytest.fixture
def never_ends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, Path]:
    """A speech command that records its pid and its text, then never exits (nor on
    SIGTERM); HANG texts are taken to hang after SHORT seconds, others after LONG."""
    started, said = tmp_path / "pids", tmp_path / "said"
    command = script(
        tmp_path / "say-forever",
        f'trap \'\' TERM\necho $$ >> "{started}"\nprintf \'%s\\n\' "$2" >> "{said}"\n'
        "while :; do sleep 1; done\n",
    )
    monkeypatch.setattr(speech_module, "speak_timeout", lambda text, rate=None: bounds(text))
    return command, started, said


def test_a_speech_command_that_never_exits_is_stopped_for_the_next_cue(
    never_ends: tuple[Path, Path, Path],
) -> None:
    command, started, said = never_ends
    player = SpeechPlayer(command=str(command))
    try:
        player.say("HANG Hold.")
        assert wait_for(lambda: len(pids(started)) == 1)
        first = pids(started)[0]
        player.say_next("Next: rest.")  # waits for it, but not for good
        assert wait_for(lambda: said.exists() and "Next: rest." in said.read_text())
        assert wait_for(lambda: not running(first))  # killed: it ignores SIGTERM
        assert said.read_text().splitlines() == ["HANG Hold.", "Next: rest."]
        second = pids(started)[1]
        assert running(second)  # within its bound: let speak
        player.silence()  # the pain stop: at once
        assert wait_for(lambda: not running(second))
    finally:
        player.close()


def test_the_speech_bound_grows_with_the_text() -> None:
    short = speech_module.speak_timeout("Go.", 175)
    assert short >= speech_module.SPEAK_FLOOR
    assert speech_module.speak_timeout("Breathe in slowly. " * 20, 175) > 2 * short
    # A command of the user's own may speak slower than the rate it is given.
    assert speech_module.speak_timeout("Breathe in slowly. " * 20, 80) > 60


# ---------------------------------------------------------------------- plan time


def test_a_measure_that_hangs_at_plan_time_leaves_the_estimates(
    hung: Path, made: list[VoiceProcess], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BACKTIMER_SPEECH_LENGTHS", raising=False)
    monkeypatch.setattr(
        lengths_module,
        "find_renderer",
        lambda command, rate, voice: VoiceProcess(rate=rate, voice=voice),
    )
    monkeypatch.setattr(lengths_module, "_helper_count", lambda texts: 2)
    texts = [f"Rep {n} of 40." for n in range(40)] + ["BLOCK Hold 30 seconds."]
    lengths = SpeechLengths(folder=tmp_path / "cache")
    try:
        lengths.prefetch(texts)
        assert not lengths.speech.measured  # the voice failed: estimated, as for any failure
        assert lengths("BLOCK Hold 30 seconds.") == lengths._estimate("BLOCK Hold 30 seconds.")
    finally:
        lengths.close()
    assert all(helper._proc is None for helper in made)
    assert all(gone(pid) for pid in pids(hung))


def test_backtimer_plan_with_a_voice_that_hangs_says_estimated(
    tmp_path: Path,
    made: list[VoiceProcess],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every text hangs: ``plan`` prints the plan fitted by estimates, and says so."""
    from backtimer.cli.main import main

    monkeypatch.delenv("BACKTIMER_SPEECH_LENGTHS", raising=False)
    monkeypatch.setenv("BACKTIMER_SPEECH_CACHE_DIR", str(tmp_path / "cache"))  # none known
    monkeypatch.setattr(voice.sys, "executable", fake_helper(tmp_path, HANG_ALWAYS))
    monkeypatch.setattr(VoiceProcess, "render_timeout", lambda self, text: SHORT)
    monkeypatch.setattr(
        lengths_module,
        "find_renderer",
        lambda command, rate, voice: VoiceProcess(rate=rate, voice=voice),
    )
    assert main(["plan", "desk-break"]) == 0
    out = capsys.readouterr().out
    assert "words per minute (estimated" in out
    assert made and all(helper.hangs >= 1 or helper._proc is None for helper in made)
