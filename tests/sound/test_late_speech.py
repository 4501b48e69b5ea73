"""Speech that waited behind a render or an announcement that hung is not heard long after its
time: a text with a deadline (``at``) that could only start more than LATE seconds after it is
left out, as the cue layer leaves out a cue it finds due that late ("3, 2, 1" heard in the
hold, or "Hold." in the rest after it, would mislead). What has no deadline (the pain stop's
word, what is said on a key press) is always said, and a normal session leaves nothing out.

Time here is a sample position (the mixer's, moved on by the test, for the session's player)
or a fake session clock (the speech command's): no assertion depends on how fast this machine
is. A hang is a renderer that blocks until the test releases it, or a speech command that
never exits by itself; waits for what a thread does are bounded generously."""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from array import array
from collections.abc import Iterator
from pathlib import Path

import pytest

from backtimer.core.timeline import DEFAULT_RATE, LATE, command_estimate
from backtimer.sound import speech as speech_module
from backtimer.sound.mixer import Mixer
from backtimer.sound.player import STOPPED_TEXT, SoundPlayer
from backtimer.sound.speech import SpeechPlayer
from backtimer.sound.tones import SAMPLE_RATE
from tests.polling import wait_for
from tests.sound.helpers import FakeRenderer

PATIENCE = 30.0  # seconds a test waits for what a thread must do long before


def sample(seconds: float) -> int:
    return round(seconds * SAMPLE_RATE)


class FakeOutput:
    """The sound device as the player sees it: the session's clock time ``t`` is heard at
    sample ``t * SAMPLE_RATE`` (the mixer's position is moved on by the test)."""

    buffer_ms = 0

    def sample_at(self, when: float | None) -> int | None:
        return None if when is None else sample(when)

    def wait_running(self, timeout: float = 1.0) -> bool:
        return True

    def close(self) -> None:
        pass


class BlockingRenderer(FakeRenderer):
    """Renders as FakeRenderer does, but a text with HANG blocks until :attr:`release` is
    set, then gives None (abandoned, as a hung render is: see voice.render_timeout)."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def render(self, text: str) -> array[int] | None:
        if "HANG" in text:
            self.rendered.append(text)
            self.entered.set()
            self.release.wait(PATIENCE)
            return None
        return super().render(text)

    def hurry(self) -> None:
        self.release.set()


@contextlib.contextmanager
def behind_a_hang(text: str) -> Iterator[tuple[Mixer, BlockingRenderer, SoundPlayer]]:
    """A threaded player whose first text, ``text`` (due at 0 s, with HANG in it), hangs in
    its render until ``renderer.release`` is set: what the test queues then waits behind
    it. The player is closed at the end."""
    mixer = Mixer()
    renderer = BlockingRenderer()
    player = SoundPlayer(mixer, output=FakeOutput(), renderer=renderer)  # type: ignore[arg-type]
    try:
        player.say_next(text, at=0.0)
        assert renderer.entered.wait(PATIENCE)
        yield mixer, renderer, player
    finally:
        player.close()


class SlowRenderer(FakeRenderer):
    """Each render takes ``delays[text]`` seconds (default 0) of the device's time: the mixer
    plays on meanwhile (its position moves on), as a real device does."""

    def __init__(self, mixer: Mixer, delays: dict[str, float]) -> None:
        super().__init__()
        self.mixer = mixer
        self.delays = delays

    def render(self, text: str) -> array[int]:
        seconds = self.delays.get(text, 0.0)
        if seconds:
            self.mixer.render(sample(seconds))
        return super().render(text)


def played(mixer: Mixer) -> dict[str, int]:
    """Every sound scheduled (or already started), by name: its first sample."""
    out = {started.name: started.sample for started in mixer.log}
    out.update({sound.name: sound.start for sound in mixer._sounds})
    return out


def move_to(mixer: Mixer, seconds: float) -> None:
    """The device plays on to ``seconds`` (what is scheduled before it starts)."""
    mixer.render(sample(seconds) - mixer.position)


# ---------------------------------------------------------------------- the session's player


def test_texts_that_waited_behind_a_hung_render_are_left_out_when_too_late() -> None:
    """A sentence's render hangs for 4.5 s; the countdown queued behind it (due at 1, 2, 3 s)
    is not rendered at all; "Hold." (due at 4 s, 0.5 s late) is said, and what follows it
    (on time but for the hang) after it."""
    with behind_a_hang("HANG Breathe in, and hold it.") as (mixer, renderer, player):
        player.say_next("3", at=1.0)
        player.say_after_quiet("2", at=2.0, words=0.3)
        player.say_after_quiet("1", at=3.0, words=0.3)
        player.say_next("Hold.", at=4.0)
        player.say_next("Breathe.", at=4.3)
        move_to(mixer, 4.5)  # the render hung all this time
        renderer.release.set()
        assert wait_for(lambda: not player._pending)
        assert renderer.rendered == ["HANG Breathe in, and hold it.", "Hold.", "Breathe."]
        assert player.take_dropped() == ["3", "2", "1"]
        assert player.take_dropped() == []  # told once
        heard = played(mixer)
        assert list(heard) == ["Hold.", "Breathe."]
        assert heard["Hold."] == sample(4.5)
        assert heard["Breathe."] == sample(4.5) + len(renderer.render("Hold."))  # follows


@pytest.mark.parametrize(("at", "said"), [(3.5, True), (3.4999, False)])
def test_exactly_late_is_said_later_is_not(at: float, said: bool) -> None:
    """The rule is the cue layer's: left out when it could only start *more* than LATE
    seconds after its deadline."""
    mixer = Mixer()
    player = SoundPlayer(mixer, output=FakeOutput(), renderer=FakeRenderer(), threaded=False)  # type: ignore[arg-type]
    move_to(mixer, 3.5 + LATE)
    player.say_next("Hold.", at=at)
    assert (played(mixer) == {"Hold.": sample(3.5 + LATE)}) is said
    assert player.take_dropped() == ([] if said else ["Hold."])


def test_a_text_its_own_render_made_too_late_is_not_played() -> None:
    mixer = Mixer()
    renderer = SlowRenderer(mixer, {"A long instruction.": LATE + 0.5})
    player = SoundPlayer(mixer, output=FakeOutput(), renderer=renderer, threaded=False)  # type: ignore[arg-type]
    player.say_next("A long instruction.", at=0.0)
    assert renderer.rendered == ["A long instruction."]  # rendered: it was on time then
    assert played(mixer) == {}  # but not played: it could only start 1.5 s late
    player.say_next("Next.", at=2.0)  # due after the slow render: on time
    assert played(mixer) == {"Next.": sample(2.0)}
    assert player.take_dropped() == ["A long instruction."]
    # A text that cuts what is said (say) with a deadline is judged alike, and cuts nothing.
    player.say("Late too.", at=0.4)
    assert renderer.rendered[-1] == "Next."  # not rendered: already too late
    assert [sound.name for sound in mixer._sounds] == ["Next."]
    assert player.take_dropped() == ["Late too."]


def test_texts_without_a_deadline_are_said_however_late() -> None:
    """What is said on a key press ("Paused.", "Resuming.", more seconds, the pain stop's
    word and what follows it) has no deadline: never left out, even behind a hang."""
    with behind_a_hang("HANG Rest.") as (mixer, renderer, player):
        player.say("Paused.")
        move_to(mixer, 10.0)
        renderer.release.set()
        assert wait_for(lambda: not player._pending)
        assert played(mixer) == {"Paused.": sample(10.0)}
        move_to(mixer, 12.0)  # said in full
        player.say("Resuming.")
        player.say_next("5 more seconds.")
        assert wait_for(lambda: not player._pending)
        assert list(played(mixer)) == ["Paused.", "Resuming.", "5 more seconds."]
        assert player.take_dropped() == []
        player.pain_stop()
        player.say_next("Seek advice if the pain persists.")
        assert wait_for(lambda: not player._pending)
        assert list(played(mixer))[-3:] == [
            "stop",
            STOPPED_TEXT,
            "Seek advice if the pain persists.",
        ]
        assert player.take_dropped() == []


def test_a_normal_session_leaves_nothing_out() -> None:
    """A slow first render (15 ms), a sentence, then a count the timeline left room for
    (0.3 s of quiet after the sentence), then "Hold." with the go tone: every text is said,
    each on its deadline or right after what it follows."""
    mixer = Mixer()
    sentence = "Lie on your back."  # 0.85 s of speech from FakeRenderer
    renderer = SlowRenderer(mixer, {sentence: 0.015})
    player = SoundPlayer(mixer, output=FakeOutput(), renderer=renderer, threaded=False)  # type: ignore[arg-type]
    ends = 0.85 + 0.015
    timeline = [(0.0, sentence), (ends + 0.3, "3"), (ends + 1.3, "2"), (ends + 2.3, "1")]
    for at, text in timeline:
        move_to(mixer, max(at, mixer.position / SAMPLE_RATE))  # the cue layer plays it when due
        if text in ("2", "1"):
            player.say_after_quiet(text, at=at, words=0.05)
        else:
            player.say_next(text, at=at)
    move_to(mixer, ends + 3.3)
    player.sound("go", at=ends + 3.3)
    player.say_next("Hold.", at=ends + 3.3)
    assert player.take_dropped() == []
    heard = played(mixer)
    assert list(heard) == [sentence, "3", "2", "1", "go", "Hold."]
    assert heard[sentence] == sample(0.015)  # its render's 15 ms late
    for at, text in timeline[1:]:
        assert heard[text] == sample(at)  # each number on its second
    assert heard["go"] == sample(ends + 3.3)
    assert heard["Hold."] == heard["go"] + len(player._tone("go"))  # after the go tone


def test_the_tone_a_text_follows_is_not_counted_as_late() -> None:
    """Words that come with a tone are said after it (the timeline counts the tone in their
    time): a cue 0.6 s late whose words then follow a 0.9 s tone is not too late."""
    mixer = Mixer()
    player = SoundPlayer(mixer, output=FakeOutput(), renderer=FakeRenderer(), threaded=False)  # type: ignore[arg-type]
    move_to(mixer, 10.6)
    player.sound("session_done", at=10.0)
    player.say_next("Well done.", at=10.0)
    assert player.take_dropped() == []
    heard = played(mixer)
    assert heard["session_done"] == sample(10.6)
    assert heard["Well done."] == heard["session_done"] + len(player._tone("session_done"))


def test_without_a_clock_to_judge_by_nothing_is_left_out() -> None:
    """No sound device (the clock maps to no sample): a deadline cannot be judged, and the
    text is said as before."""
    mixer = Mixer()
    renderer = SlowRenderer(mixer, {"Slow.": 5.0})
    player = SoundPlayer(mixer, renderer=renderer, threaded=False)  # type: ignore[arg-type]
    player.say_next("Slow.", at=0.0)
    player.say_next("3", at=1.0)
    assert player.take_dropped() == []
    assert list(played(mixer)) == ["Slow.", "3"]


def test_silence_still_drops_what_waits_without_calling_it_late() -> None:
    with behind_a_hang("HANG Hold.") as (mixer, _renderer, player):
        player.say_next("3", at=0.5)
        player.silence()  # a pause: what waits is dropped, not "too late"
        assert wait_for(lambda: not player._pending)
        assert player.take_dropped() == []
        assert played(mixer) == {}


# ---------------------------------------------------------------------- a speech command


def script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, Path]:
    """A speech command that records its text; one with HANG waits until the gate file
    exists (it ignores SIGTERM, as a hung engine may). HANG texts are taken to hang after
    0.5 s unless the test says otherwise, every other text after a minute."""
    said, gate = tmp_path / "said", tmp_path / "gate"
    path = script(
        tmp_path / "speak",  # not "say": macOS say reads its text from stdin
        f"trap '' TERM\nprintf '%s\\n' \"$2\" >> \"{said}\"\n"
        f'case "$2" in *HANG*) while [ ! -e "{gate}" ]; do sleep 0.01; done;; esac\n',
    )
    monkeypatch.setattr(
        speech_module, "speak_timeout", lambda text, rate=None: 0.5 if "HANG" in text else 60.0
    )
    return path, said, gate


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX process groups")
@pytest.mark.parametrize("how", ["stopped", "ends late"])
def test_after_a_command_that_ran_long_late_texts_are_left_out(
    how: str, command: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Behind a command that hung (stopped at its bound) or that ran long and then ended, the
    follow-on texts more than LATE seconds past their deadline are not said; the rest are,
    in order, and a text without a deadline always."""
    path, said, gate = command
    if how == "ends late":
        monkeypatch.setattr(speech_module, "speak_timeout", lambda text, rate=None: 60.0)
    clock = Clock()
    player = SpeechPlayer(command=str(path), clock=clock)
    try:
        player.say_next("HANG Breathe in, and hold it.", at=0.0)
        assert wait_for(lambda: lines(said) == ["HANG Breathe in, and hold it."])
        # By the time the texts that follow could start, the session's clock stands at 4.5
        # (set first: the command may be stopped at its bound while they are queued).
        clock.t = 4.5
        player.say_next("3", at=1.0)
        player.say_after_quiet("2", 0.3, at=2.0)
        player.say_after_quiet("1", 0.3, at=3.0)
        player.say_next("Hold.", at=4.0)
        player.say_next("Always said.")
        if how == "ends late":
            gate.touch()
        assert wait_for(lambda: not player.speaking)
        assert lines(said) == ["HANG Breathe in, and hold it.", "Hold.", "Always said."]
        assert player.take_dropped() == ["3", "2", "1"]
    finally:
        gate.touch()
        player.close()


def test_a_command_is_not_started_for_a_text_already_too_late(
    command: tuple[Path, Path, Path],
) -> None:
    path, said, _ = command
    clock = Clock()
    clock.t = 10.0
    player = SpeechPlayer(command=str(path), clock=clock)
    try:
        player.say_next("3", at=10.0 - LATE - 0.5)
        assert not player.speaking
        player.say_after_quiet("On time.", 0.3, at=10.0 - LATE)  # exactly LATE: said
        assert wait_for(lambda: lines(said) == ["On time."])
        player.say("Resuming.")  # a key press: cuts what is said, has no deadline
        assert wait_for(lambda: not player.speaking)
        assert lines(said) == ["On time.", "Resuming."]
        assert player.take_dropped() == ["3"]
    finally:
        player.close()


def test_the_session_player_hands_a_command_the_deadline(
    command: tuple[Path, Path, Path],
) -> None:
    """A sound device and a speech command (no renderer): the deadline goes on to the
    command, which judges it on the session's clock; take_dropped tells what both left."""
    path, said, gate = command
    clock = Clock()
    speech = SpeechPlayer(command=str(path), clock=clock)
    player = SoundPlayer(Mixer(), output=FakeOutput(), speech=speech)  # type: ignore[arg-type]
    try:
        player.say_next("HANG Hold.", at=0.0)
        assert wait_for(lambda: lines(said) == ["HANG Hold."])
        clock.t = 3.5
        player.say_after_quiet("2", at=1.0, words=0.3)
        player.say_next("Release.", at=3.0)
        gate.touch()
        assert wait_for(lambda: not player.speaking)
        assert lines(said) == ["HANG Hold.", "Release."]
        assert player.take_dropped() == ["2"]
    finally:
        gate.touch()
        player.close()


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX process groups")
def test_a_command_slow_to_start_on_a_loaded_machine_drops_nothing(tmp_path: Path) -> None:
    """A normal session through a speech command on a loaded machine: each process takes
    0.35 s to start (its words then take what the timeline gave them, their command
    estimate), and the timeline put each text right after the one before. Every text
    starts 0.35 s later than the one before did, so the fifth is 1.4 s past its deadline;
    none waited behind a command that hung or ran longer than its words, and each is said,
    in order, as before the sound layer left out late texts."""
    said = tmp_path / "said"
    path = script(
        tmp_path / "speak",
        f'printf \'%s\\n\' "$2" >> "{said}"\n'
        f'while [ ! -e "{tmp_path}/go-$2" ]; do sleep 0.01; done\n',
    )
    texts = [
        "Lie on your back.",
        "Bend both knees.",
        "Feet flat on the floor.",
        "Breathe in.",
        "Hold.",
    ]
    startup = 0.35  # seconds a process takes to start here (the module's START_UP: 0.25)
    due = [0.0]
    for text in texts[:-1]:
        due.append(due[-1] + command_estimate(text, DEFAULT_RATE))  # back to back
    clock = Clock()
    player = SpeechPlayer(command=str(path), clock=clock)
    try:
        player.say_next(texts[0], at=due[0])
        assert wait_for(lambda: lines(said) == texts[:1])
        for text, at in zip(texts[1:], due[1:], strict=True):
            player.say_next(text, at=at)
        start = 0.0
        for number, text in enumerate(texts):
            clock.t = start + startup + command_estimate(text, DEFAULT_RATE)  # it ends
            (tmp_path / f"go-{text}").touch()
            if number + 1 < len(texts):
                # The next line is printed once the command for it started: its lateness has
                # been judged by then (waiting on the player's queue raced that judgement).
                assert wait_for(lambda n=number: len(lines(said)) > n + 1)
                start = clock.t
        assert wait_for(lambda: not player.speaking)
        assert lines(said) == texts
        assert player.take_dropped() == []
        assert start - due[-1] > LATE  # the last one was said that late, rightly
    finally:
        for text in texts:
            (tmp_path / f"go-{text}").touch()
        player.close()
