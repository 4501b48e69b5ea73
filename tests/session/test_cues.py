"""The cue layer: which bells and words a session produces, and the real speech player."""

from __future__ import annotations

import io
import os
import stat
import time
from pathlib import Path

import pytest

from backtimer.core.engine import Command, Countdown, PainStopped
from backtimer.core.plan import Plan, compile_plan
from backtimer.files.routine_load import validate_text
from backtimer.session.cues import (
    Cues,
    PlayerGroup,
    RecordingPlayer,
    SpeechPlayer,
    current_cues,
    default_player,
    extended_text,
    find_command,
    is_stale,
    terminal_bell,
)
from backtimer.session.runner import SessionRunner
from backtimer.sound.speech import QUIET_WAIT, START_UP
from tests.polling import wait_for

TWO = """
name = "Two"
[defaults]
get_ready = 3
transition = 2
rest = 2
switch = 2
[[exercises]]
name = "Knee to chest"
position = "Lie on your back"
steps = ["Pull one knee to your chest"]
hold = 5
reps = 2
sides = "both"
[[exercises]]
name = "Bridge"
position = "Lie on your back"
hold = 20
sets = 2
set_rest = 3
"""


def two_plan() -> Plan:
    return compile_plan(validate_text(TWO, "two.toml"))


class FakeClock:
    def __init__(self, t: float = 0.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def make(
    plan: Plan | None = None, *, sleep_gap: float | None = 5.0, **cue_options: bool
) -> tuple[SessionRunner, FakeClock, RecordingPlayer]:
    clock = FakeClock(100.0)
    player = RecordingPlayer()
    runner = SessionRunner(
        plan or two_plan(),
        clock=clock,
        listeners=[Cues(player, **cue_options)],
        sleep_gap=sleep_gap,
    )
    return runner, clock, player


def run_to(runner: SessionRunner, clock: FakeClock, until: float, step: float = 0.5) -> None:
    """Tick every ``step`` seconds of session time up to ``until`` (start is at 100)."""
    while clock.t < 100.0 + until - 1e-9:
        clock.t = min(clock.t + step, 100.0 + until)
        runner.tick()


BELL = ("bell",)


def announce(text: str) -> list[tuple[str, ...]]:
    return [BELL, ("say", text)]


def countdown() -> list[tuple[str, ...]]:
    return [BELL, ("say", "3"), BELL, ("say", "2"), BELL, ("say", "1")]


def test_a_whole_session_is_announced_in_order() -> None:
    runner, clock, player = make()
    runner.do(Command.START)
    run_to(runner, clock, 80)
    assert runner.session.over
    expected = [
        *announce(
            "Knee to chest. Lie on your back. Pull one knee to your chest. "
            "Right side first. Starting in 3 seconds."
        ),
        *announce("Right side. Rep 1 of 2. Hold 5 seconds."),
        *countdown(),
        *announce("Release. Rest 2 seconds."),
        *announce("Last one. Hold 5 seconds."),
        *countdown(),
        *announce("Switch to the left side."),
        *announce("Left side. Rep 1 of 2. Hold 5 seconds."),
        *countdown(),
        *announce("Release. Rest 2 seconds."),
        *announce("Last one. Hold 5 seconds."),
        *countdown(),
        *announce("Well done. Next: Bridge."),
        *announce("Bridge. Lie on your back. Starting in 3 seconds."),
        *announce("Set 1 of 2. Hold 20 seconds."),
        ("say", "Halfway."),
        *countdown(),
        *announce("Set 1 of 2 done. Rest 3 seconds."),
        *announce("Set 2 of 2. Hold 20 seconds."),
        ("say", "Halfway."),
        *countdown(),
        *announce("Session complete. Well done."),
    ]
    assert player.calls == expected


def test_every_cue_is_given_on_its_second() -> None:
    """The countdown of the first hold (3..8 s) falls on 5, 6 and 7 s."""
    runner, clock, player = make()
    runner.do(Command.START)
    seen: dict[float, list[tuple[str, ...]]] = {}
    while clock.t < 109:
        clock.t += 0.5
        before = len(player.calls)
        runner.tick()
        if len(player.calls) > before:
            seen[clock.t - 100] = player.calls[before:]
    assert seen == {
        3.0: announce("Right side. Rep 1 of 2. Hold 5 seconds."),
        5.0: [BELL, ("say", "3")],
        6.0: [BELL, ("say", "2")],
        7.0: [BELL, ("say", "1")],
        8.0: announce("Release. Rest 2 seconds."),
    }


def test_a_late_tick_announces_only_what_is_current() -> None:
    runner, clock, player = make()
    runner.do(Command.START)
    clock.t = 102.0
    runner.tick()
    player.calls.clear()
    # From 2 to 6.5 s in one tick: get ready ended, the hold began, its 3 and 2 are due.
    clock.t = 106.5
    runner.tick()
    assert player.calls == [BELL, ("say", "Right side. Rep 1 of 2. Hold 5 seconds. 2")]
    player.calls.clear()
    # From 6.5 to 10.5 s: the "1", the end of the hold, the whole rest, the next hold.
    clock.t = 110.5
    events = runner.tick()
    assert len([e for e in events if type(e).__name__ == "StepStarted"]) == 2
    assert player.calls == announce("Last one. Hold 5 seconds.")


def test_a_long_gap_without_sleep_detection_rings_once() -> None:
    runner, clock, player = make(sleep_gap=None)
    runner.do(Command.START)
    player.calls.clear()
    clock.t = 130.0  # nine steps, six countdown numbers, in one batch
    runner.tick()
    assert player.calls == announce("Well done. Next: Bridge.")


def test_a_long_gap_is_a_sleep_pause() -> None:
    runner, clock, player = make()
    runner.do(Command.START)
    run_to(runner, clock, 1)
    player.calls.clear()
    clock.t = 160.0
    runner.tick()
    assert player.calls == [("say", "Paused while the computer slept.")]


def test_pain_silences_at_once_then_rings_and_says_stopped() -> None:
    """Issue 11: a pain stop is heard: silence first, then the stop sound and "Stopped"."""
    runner, clock, player = make()
    runner.do(Command.START)
    run_to(runner, clock, 4)
    player.calls.clear()
    clock.t = 104.2
    runner.do(Command.PAIN)
    stopped = [("silence",), BELL, ("say", "Stopped.")]
    assert player.calls == stopped
    clock.t = 130.0
    runner.tick()  # nothing happens while pain-stopped
    assert player.calls == stopped
    runner.do(Command.RESUME)  # the interrupted hold starts again
    assert player.calls == [
        *stopped,
        BELL,
        ("say", "Resuming. Right side. Rep 1 of 2. Hold 5 seconds."),
    ]


def test_pain_after_a_late_tick_drops_the_steps_of_the_batch() -> None:
    runner, clock, player = make()
    runner.do(Command.START)
    player.calls.clear()
    clock.t = 104.0  # the hold began at 3 s but no tick has told anyone
    events = runner.do(Command.PAIN)
    assert [type(e).__name__ for e in events] == ["StepEnded", "StepStarted", "PainStopped"]
    assert player.calls == [("silence",), BELL, ("say", "Stopped.")]


def test_pause_resume_extend_end_and_refusals() -> None:
    runner, clock, player = make()
    runner.do(Command.START)
    run_to(runner, clock, 3.5)
    player.calls.clear()
    runner.do(Command.PAUSE)
    clock.t += 10
    runner.do(Command.RESUME)
    runner.do(Command.EXTEND, 5)
    runner.do(Command.EXTEND, -5)
    runner.do(Command.EXTEND, -5)  # a hold never goes below 5 seconds: refused
    runner.do(Command.ADVANCE)  # not a user-paced step: refused
    runner.do(Command.END)
    assert player.calls == [
        ("say", "Paused."),
        ("say", "Resuming."),
        ("say", "5 more seconds."),
        ("say", "5 seconds less."),
        ("say", "Session ended."),
    ]


def test_skip_and_back_announce_the_new_step() -> None:
    """Each first stops what the step left was saying (a listener heard the next step's
    "Hold" 4.7 s late, after the old sentence ran to its end), then announces the new one."""
    runner, clock, player = make()
    runner.do(Command.START)
    run_to(runner, clock, 1)
    player.calls.clear()
    runner.do(Command.SKIP_STEP)
    runner.do(Command.SKIP_EXERCISE)
    runner.do(Command.BACK)  # within 3 s of the start: the previous step
    assert player.calls == [
        ("silence",),
        *announce("Right side. Rep 1 of 2. Hold 5 seconds."),
        ("silence",),
        *announce("Bridge. Lie on your back. Starting in 3 seconds."),
        ("silence",),
        *announce("Well done. Next: Bridge."),
    ]


@pytest.mark.parametrize(
    ("options", "kinds"),
    [
        ({"bell": False}, {"say"}),
        ({"voice": False}, {"bell"}),
        ({"bell": False, "voice": False}, set()),
    ],
)
def test_bell_and_voice_can_be_turned_off(options: dict[str, bool], kinds: set[str]) -> None:
    runner, clock, player = make(**options)
    runner.do(Command.START)
    run_to(runner, clock, 10)
    assert {call[0] for call in player.calls} == kinds
    if "say" in kinds:
        assert "3" in player.said
    else:
        assert player.said == []
    if "bell" in kinds:
        assert player.calls.count(BELL) == 7  # 3 steps started, 3 counts, the rest
    clock.t += 0.5
    before = len(player.calls)
    runner.do(Command.PAIN)
    # Pain silences first even with the voice off: a bell-only player may still be speaking
    # through something else, and silence() costs nothing. Then the bell and "Stopped",
    # each only when it is on.
    expected = [("silence",)]
    expected += [BELL] if "bell" in kinds else []
    expected += [("say", "Stopped.")] if "say" in kinds else []
    assert player.calls[before:] == expected


def test_current_cues_keeps_the_last_countdown_only() -> None:
    runner, clock, _ = make()
    runner.do(Command.START)
    run_to(runner, clock, 4.5)
    clock.t = 106.5  # 3 and 2 of the running hold in one batch
    events = runner.session.tick(clock.t)
    assert [getattr(e, "number", None) for e in events] == [3, 2]
    assert [e.number for e in current_cues(events)] == [2]  # type: ignore[attr-defined]
    assert all(not isinstance(e, PainStopped) for e in current_cues(events))


def test_a_countdown_number_long_past_is_not_said() -> None:
    """Shortening a hold can leave numbers whose second has gone: they are dropped."""
    runner, clock, player = make()
    runner.do(Command.START)
    run_to(runner, clock, 5.0)  # the hold runs 3..8 s; "3" was said at 5 s
    runner.do(Command.EXTEND, 5)  # now 3..13 s: "3" will be said again at 10 s
    clock.t = 106.5
    runner.tick()
    player.calls.clear()
    runner.do(Command.EXTEND, -5)  # back to 3..8 s: 1.5 s left
    events = runner.tick()
    counts = [e for e in events if isinstance(e, Countdown)]
    assert [e.number for e in counts] == [3, 2]
    assert [is_stale(e, runner.session) for e in counts] == [True, False]
    assert player.calls == [("say", "5 seconds less."), BELL, ("say", "2")]
    assert not is_stale(counts[0], None)


def test_extended_words() -> None:
    assert extended_text(5) == "5 more seconds."
    assert extended_text(1) == "1 more second."
    assert extended_text(-5) == "5 seconds less."
    assert extended_text(-3.4) == "3 seconds less."
    assert extended_text(90) == "1 minute 30 seconds more."
    assert extended_text(0.2) == "1 more second."


# ------------------------------------------------------------------------ players


def test_player_group_and_default_player() -> None:
    rings: list[int] = []
    group = default_player(lambda: rings.append(1), voice=False)
    assert isinstance(group, PlayerGroup) and group.speech is None
    group.bell()
    group.say("nothing to hear")
    group.silence()
    group.close()
    assert rings == [1]
    quiet = default_player(lambda: rings.append(2), bell=False, voice=False)
    quiet.bell()
    assert rings == [1]

    def broken() -> None:
        raise RuntimeError("no terminal")

    default_player(broken, voice=False).bell()  # never raises
    missing = default_player(voice=True, command="/no/such/speech-command -s 150")
    assert missing.speech is None
    missing.say("silent")


def test_terminal_bell_rings_only_on_a_terminal() -> None:
    pipe = io.StringIO()
    terminal_bell(pipe)()
    assert pipe.getvalue() == ""

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    terminal_bell(tty)()
    assert tty.getvalue() == "\a"


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


Speaker = tuple[Path, Path, Path]


@pytest.fixture
def slow_speaker(tmp_path: Path) -> Speaker:
    """A fake speech command: records its pid, sleeps 5 s, then appends its text."""
    pids, said = tmp_path / "pids", tmp_path / "said"
    script = _script(
        tmp_path / "slow-say",
        f'echo $$ >> "{pids}"\nsleep 5\nprintf "%s\\n" "$1" >> "{said}"\n',
    )
    return script, pids, said


def _pids(path: Path) -> list[int]:
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def _group_alive(pgid: int) -> bool:
    """Whether any live (not zombie) process is in the process group ``pgid``."""
    proc = Path("/proc")
    if not proc.is_dir():  # pragma: no cover - not Linux
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            data = (entry / "stat").read_text()
        except OSError:
            continue
        fields = data.rsplit(")", 1)[1].split()
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state not in ("Z", "X"):
            return True
    return False


def test_a_new_announcement_stops_the_one_still_speaking(slow_speaker: Speaker) -> None:
    script, pids, said = slow_speaker
    player = SpeechPlayer(command=str(script))
    assert player.available
    try:
        started = time.perf_counter()
        player.say("first")
        took = time.perf_counter() - started
        assert took < 0.5  # never waits for the speech
        assert wait_for(lambda: len(_pids(pids)) == 1)
        first = _pids(pids)[0]
        assert player.speaking
        started = time.perf_counter()
        player.say("second")
        assert time.perf_counter() - started < 0.5
        assert wait_for(lambda: len(_pids(pids)) == 2)
        # The first one (and its sleep child) is gone, and reaped: no process at all.
        assert wait_for(lambda: not _group_alive(first))
        assert wait_for(lambda: not Path(f"/proc/{first}").exists())
        second = _pids(pids)[1]
        assert _group_alive(second)
        player.silence()
        assert wait_for(lambda: not _group_alive(second), timeout=1.0)
        assert not player.speaking
        assert not said.exists()  # neither one got to the end of its text
    finally:
        player.close()


def test_a_number_stops_the_one_before_after_a_moment_not_a_sentence(
    slow_speaker: Speaker,
) -> None:
    """A countdown number after a number whose words are over does not wait for that
    command's trailing quiet beyond a moment (the count drifted later by it every second);
    a timeline cue otherwise waits for what is being said to end."""
    script, pids, said = slow_speaker
    player = SpeechPlayer(command=str(script))
    try:
        player.say("3")
        assert wait_for(lambda: len(_pids(pids)) == 1)
        first = _pids(pids)[0]
        player.say_next("Hold")  # waits: the one before is never cut for it
        player.say_after_quiet("2", words=0.0)  # behind it: waits for it too
        # Longer than a number's start-up and wait: a stop for "2" would have come by now.
        time.sleep(START_UP + QUIET_WAIT + 0.3)
        assert len(_pids(pids)) == 1 and _group_alive(first) and player.speaking
        player.silence()
        player.say("3")
        assert wait_for(lambda: len(_pids(pids)) == 2)
        second = _pids(pids)[1]
        player.say_after_quiet("2", words=0.0)  # the words of "3" are over: its quiet
        assert wait_for(lambda: len(_pids(pids)) == 3)  # started after its start-up time
        assert wait_for(lambda: not _group_alive(second))  # the one before it stopped
        assert _group_alive(_pids(pids)[2])
        assert not said.exists()
    finally:
        player.close()


def test_close_stops_speech_and_nothing_is_said_afterwards(slow_speaker: Speaker) -> None:
    script, pids, _ = slow_speaker
    player = SpeechPlayer(command=[str(script)])
    player.say("one")
    assert wait_for(lambda: len(_pids(pids)) == 1)
    player.close()
    assert wait_for(lambda: not _group_alive(_pids(pids)[0]), timeout=1.0)
    player.say("after close")
    assert player._current is None  # nothing was started
    assert len(_pids(pids)) == 1


TRICKY = """He said "hold"; it's 30s & $HOME `id` | done. 50% \u2713 -v"""


def test_text_arrives_intact_as_one_argument(tmp_path: Path) -> None:
    out = tmp_path / "args"
    script = _script(tmp_path / "echo-say", f'printf "%s|%s|%s\\n" "$#" "$1" "$2" >> "{out}"\n')
    player = SpeechPlayer(command=str(script))
    player.say(TRICKY)
    assert wait_for(lambda: out.exists() and out.read_text().endswith("\n"))
    player.close()
    # One argument after "--", so that text starting with "-" is never an option.
    assert out.read_text() == f"2|--|{TRICKY}\n"


def test_a_configured_command_keeps_its_options(tmp_path: Path) -> None:
    out = tmp_path / "args"
    script = _script(
        tmp_path / "echo say",  # a space in the path: quoted in the configured command
        f'printf "%s|%s|%s|%s|%s\\n" "$#" "$1" "$2" "$3" "$4" >> "{out}"\n',
    )
    player = SpeechPlayer(command=f"'{script}' --rate 150")
    player.say(TRICKY)
    assert wait_for(lambda: out.exists() and out.read_text().endswith("\n"))
    assert player.wait_idle(2.0)
    player.close()
    assert out.read_text() == f"4|--rate|150|--|{TRICKY}\n"


def test_missing_or_broken_commands_are_silent(tmp_path: Path) -> None:
    for command in ("/no/such/speaker", "no-such-speech-command-xyz -s 150", "", "'unbalanced"):
        player = SpeechPlayer(command=command)
        assert not player.available
        player.say("nothing")
        player.silence()
        player.close()
    # Executable, but it cannot be started (its interpreter does not exist): still silent.
    broken = tmp_path / "broken-say"
    broken.write_text("#!/no/such/interpreter\n")
    broken.chmod(0o755)
    player = SpeechPlayer(command=str(broken))
    assert player.available
    player.say("nothing")
    assert not player.speaking
    player.close()


def test_the_first_speech_command_on_path_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    assert find_command() is None
    assert not SpeechPlayer().available
    _script(bin_dir / "say", "exit 0\n")
    assert find_command() == [str(bin_dir / "say")]
    _script(bin_dir / "spd-say", "exit 0\n")
    # spd-say only hands text to a daemon: -C cancels what it is still saying.
    assert find_command() == [str(bin_dir / "spd-say"), "-C"]
    _script(bin_dir / "espeak-ng", "exit 0\n")
    assert find_command() == [str(bin_dir / "espeak-ng")]
    assert find_command("espeak-ng -s 150 -v en") == [
        str(bin_dir / "espeak-ng"),
        "-s",
        "150",
        "-v",
        "en",
    ]


def test_spd_say_gets_percent_signs_escaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "args"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _script(bin_dir / "spd-say", f'printf "%s\\n" "$*" >> "{out}"\n')
    monkeypatch.setenv("PATH", str(bin_dir))
    player = SpeechPlayer()
    player.say("Hold at 50% effort.")
    assert wait_for(lambda: out.exists() and out.read_text().endswith("\n"))
    player.close()
    assert out.read_text() == "-C -- Hold at 50%% effort.\n"


def test_finished_announcements_are_reaped(tmp_path: Path) -> None:
    quick = _script(tmp_path / "quick-say", "exit 0\n")
    player = SpeechPlayer(command=str(quick))
    children = []
    for n in range(5):
        player.say(f"number {n}")
        proc = player._current
        assert proc is not None
        children.append(proc.pid)
        assert player.wait_idle(2.0)
    player.say("last")
    last = player._current
    assert last is not None
    children.append(last.pid)
    wait_for(lambda: last.poll() is not None)
    player.close()
    # Every child was waited for: none is left as a zombie.
    assert all(not Path(f"/proc/{pid}").exists() for pid in children)


def test_a_finished_announcement_is_reaped_without_another_call() -> None:
    """A speech command that has ended is reaped at once, not left a zombie until the next
    cue is said (a long hold's silence, the summary): nothing is asked of the player."""
    player = SpeechPlayer(command="true")  # ends at once (no script: never "text file busy")
    assert player.available
    try:
        player.say("Hold 30 seconds.")
        proc = player._current
        assert proc is not None
        assert wait_for(lambda: not Path(f"/proc/{proc.pid}").exists(), timeout=10.0)
        assert not player.speaking
    finally:
        player.close()


class BusyPlayer(RecordingPlayer):
    """A recording player whose latest announcement is still being spoken."""

    speaking = True


def test_a_countdown_never_cuts_off_an_announcement_still_speaking() -> None:
    clock = FakeClock(100.0)
    busy = BusyPlayer()
    runner = SessionRunner(two_plan(), clock=clock, listeners=[Cues(busy)])
    runner.do(Command.START)
    hold = runner.plan.steps[1]
    assert hold.phase == "hold" and hold.seconds == 5
    start = runner.plan.offset(1)
    run_to(runner, clock, start + 4.5)  # 4.5 s into the first 5 s hold
    said = [c[1] for c in busy.calls if c[0] == "say"]
    assert said[-1] == "Right side. Rep 1 of 2. Hold 5 seconds."  # not cut by "3", "2", "1"
    assert busy.calls[-3:] == [BELL, BELL, BELL]  # the seconds are still marked by the bell
    # A new step's announcement does cut in: it is the news.
    run_to(runner, clock, start + 5.5)
    assert [c[1] for c in busy.calls if c[0] == "say"][-1].startswith("Release. Rest")
