"""Plain mode driven in-process: injected input and output, a fake clock, no waiting."""

from __future__ import annotations

import io
import os
import re
import select
import termios
from collections.abc import Sequence
from pathlib import Path

import pytest

from backtimer.core.durations import elapsed as clock_text
from backtimer.core.engine import Event, Session
from backtimer.core.plan import compile_plan
from backtimer.files.catalog import Entry
from backtimer.files.routine_load import validate_text
from backtimer.plain import (
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    KEY_CHOICE,
    KEY_MUCH,
    KEY_WHERE,
    KEY_WHERE_CHOICES,
    LINE_ANSWERS,
    LINE_CHOICE,
    SAFETY,
    Interrupted,
    KeyInput,
    LineInput,
    Printer,
    run_plain,
)
from backtimer.session.cues import RecordingPlayer

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
stop_if = "pain in the front of the hip"
[[exercises]]
name = "Bridge"
position = "Lie on your back"
hold = 20
sets = 2
set_rest = 3
"""

PACED = """
name = "Paced"
[[exercises]]
name = "Pelvic tilt"
user_paced = true
get_ready = 2
transition = 0
[[exercises]]
name = "Cat cow"
hold = 4
get_ready = 0
"""


def entry_of(text: str, key: str = "two") -> Entry:
    return Entry(key, Path(f"{key}.toml"), "path", validate_text(text, f"{key}.toml"))


class FakeClock:
    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


class Feed:
    """Lines of input that become available at given session times.

    ``wait(timeout)`` moves the fake clock on (never past the next line's time) and says
    whether a line may be read; after the last line, one more True lets plain mode see the
    end of input. The stream holds the same lines, in order.
    """

    def __init__(self, clock: FakeClock, schedule: Sequence[tuple[float, str]] = ()) -> None:
        self.clock = clock
        self.start = clock.t
        self.due = [self.start + at for at, _ in schedule]
        self.stdin = io.StringIO("".join(line + "\n" for _, line in schedule))
        self.eof_told = False
        self.waits: list[float] = []

    def wait(self, timeout: float) -> bool:
        assert 0 <= timeout <= 0.25 + 1e-9, timeout
        self.waits.append(timeout)
        assert len(self.waits) < 100_000, "the session never ended"
        if self.due and self.due[0] <= self.clock.t + 1e-9:
            self.due.pop(0)
            return True
        if not self.due and not self.eof_told:
            self.eof_told = True
            return True  # readline() now returns "": the end of input
        step = timeout if not self.due else min(timeout, self.due[0] - self.clock.t)
        self.clock.t += step
        if self.due and self.due[0] <= self.clock.t + 1e-9:
            self.due.pop(0)
            return True
        return False


def run(
    schedule: Sequence[tuple[float, str]] = (),
    text: str = TWO,
    player: RecordingPlayer | None = None,
    **options: object,
) -> tuple[int, list[str], RecordingPlayer, FakeClock]:
    clock = FakeClock()
    feed = Feed(clock, schedule)
    out = io.StringIO()
    player = RecordingPlayer() if player is None else player
    code = run_plain(
        entry_of(text),
        stdin=feed.stdin,
        stdout=out,
        clock=clock,
        wait=feed.wait,
        player=player,
        **options,  # type: ignore[arg-type]
    )
    return code, out.getvalue().splitlines(), player, clock


def timed(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("[")]


def test_a_full_run_prints_every_announcement_in_order() -> None:
    code, lines, player, clock = run()
    assert code == 0
    plan = compile_plan(validate_text(TWO, "two.toml"))
    says = [f"[{clock_text(plan.offset(s.index))}] {s.say}" for s in plan.steps]
    assert [line for line in timed(lines) if line[8:] not in ("3", "2", "1", "Halfway.")] == [
        *says,
        "[01:17] Session complete. Well done.",
    ]
    # The countdown of the first hold (3 to 8 s) and the halfway of the first bridge hold.
    assert timed(lines)[2:5] == ["[00:05] 3", "[00:06] 2", "[00:07] 1"]
    assert "[00:44] Halfway." in lines
    assert len([line for line in lines if line[8:] in ("3", "2", "1")]) == 18
    assert (
        lines[-1]
        == "Summary: Done 6 of 6 holds and reps; Skipped 0; Pain stops 0; Active time 1 min 17 s."
    )
    assert lines[0] == "Two (low level): 2 exercises, 13 steps, about 01:17."
    # The same words went to the cue layer, and the session ended on time.
    assert player.said[0] == plan.steps[0].say
    assert player.said[-1] == "Session complete. Well done."
    assert clock.t == pytest.approx(1077.0)
    assert player.closed


def test_the_countdown_length_comes_from_the_caller() -> None:
    _, lines, _, _ = run(countdown=0)
    assert not [line for line in lines if line[8:] in ("3", "2", "1")]
    _, lines, _, _ = run(countdown=1)
    assert len([line for line in lines if line[8:] == "1"]) == 6
    assert not [line for line in lines if line[8:] in ("3", "2")]


def test_the_waits_run_up_to_the_next_due_moment() -> None:
    clock = FakeClock()
    feed = Feed(clock)
    run_plain(
        entry_of(TWO),
        stdin=feed.stdin,
        stdout=io.StringIO(),
        clock=clock,
        wait=feed.wait,
        player=RecordingPlayer(),
    )
    # Never longer than a quarter second, and ticks land exactly on every due second.
    assert max(feed.waits) == pytest.approx(0.25)
    assert clock.t - 1000.0 == pytest.approx(77.0)


def test_end_of_input_alone_is_not_a_command() -> None:
    code, lines, _, _ = run([(0.5, "h")])  # one line, then the input ends
    assert code == 0
    assert any(line.startswith("Commands, one per line") for line in lines[2:])
    assert lines[-2] == "[01:17] Session complete. Well done."


#: What is said after "Stopped." and not already printed, from a pipe: the choices in words.
PIPE_CHOICES_SAID = (
    "[00:04] Type end to end, skip to skip this exercise, resume to resume, mistake if pressed "
    "by mistake."
)


def test_pain_then_resume_restarts_the_step() -> None:
    code, lines, player, clock = run([(4.0, "x"), (9.0, "resume")])
    assert code == 0
    pain = lines.index(
        "[00:04] Pain stop: Knee to chest, right side, set 1 of 1, rep 1 of 2 (hold), "
        "00:04 into the session."
    )
    assert lines[pain + 1 : pain + 5] == [
        SAFETY,
        "Stop if: pain in the front of the hip",
        PIPE_CHOICES_SAID,  # the rest of what is said after "Stopped.", once
        LINE_ANSWERS,
    ]
    assert lines[pain + 5 : pain + 7] == [
        "[00:04] Resuming.",
        "[00:04] Right side. Rep 1 of 2. Hold 5 seconds.",
    ]
    i = player.calls.index(("silence",))
    # The pain stop is heard (silence, bell, "Stopped.", then once what the screen says,
    # with the pipe's words), then the resume cuts those words off: the resumed step.
    assert player.calls[i + 1 : i + 7] == [
        ("bell",),
        ("say", "Stopped."),
        (
            "say",
            "If pain persists, seek advice from a physiotherapist or doctor. Stop if: pain in "
            "the front of the hip. Type end to end, skip to skip this exercise, resume to "
            "resume, mistake if pressed by mistake.",
        ),
        ("silence",),
        ("bell",),
        ("say", "Resuming. Right side. Rep 1 of 2. Hold 5 seconds."),
    ]
    # One second of the hold was done twice; the five seconds of the pain stop don't count.
    assert (
        lines[-1]
        == "Summary: Done 6 of 6 holds and reps; Skipped 0; Pain stops 1; Active time 1 min 18 s."
    )
    assert clock.t - 1000 == pytest.approx(83.0)


def test_pain_then_skip_goes_to_the_next_exercise() -> None:
    code, lines, _, _ = run([(4.0, "x"), (5.0, "s")])
    assert code == 0
    i = lines.index(LINE_ANSWERS)
    assert lines[i + 1] == "[00:04] Bridge. Lie on your back. Starting in 3 seconds."
    assert (
        lines[-1]
        == "Summary: Done 2 of 6 holds and reps; Skipped 4; Pain stops 1; Active time 50 s."
    )


@pytest.mark.parametrize("choice", ["end", "e", "", "q"])
def test_pain_then_end(choice: str) -> None:
    code, lines, _, clock = run([(4.0, "x"), (6.0, choice)])
    assert code == 0
    assert lines[-2] == "[00:04] Session ended."
    assert lines[-1] == (
        "Summary: Done 0 of 6 holds and reps; Skipped 0; Not reached 6; Pain stops 1; "
        "Active time 4 s."
    )
    assert clock.t - 1000 == pytest.approx(6.0)


def test_pain_then_skip_of_the_last_exercise_ends_the_session_calmly() -> None:
    """Nothing comes after the exercise skipped after a pain stop: the session ends as
    "end" would end it, and says so; no "Session complete. Well done." (it did not run as
    prescribed), in the lines and aloud alike."""
    # 40 s in: the first hold of the Bridge, the last exercise.
    code, lines, player, clock = run([(40.0, "x"), (42.0, "skip")])
    assert code == 0
    assert lines[-2] == "[00:40] That was the last exercise. Session ended."
    assert player.said[-1] == "That was the last exercise. Session ended."
    pain = next(i for i, line in enumerate(lines) if "Pain stop:" in line)
    assert not any("Well done" in line or "complete" in line for line in lines[pain:])
    stop = player.said.index("Stopped.")
    assert not any("Well done" in text for text in player.said[stop:])
    # No closing sound either: the choice cuts the pain stop's words off, then the words.
    assert player.calls[-2:] == [("silence",), ("say", player.said[-1])]
    assert lines[-1] == (
        "Summary: Done 4 of 6 holds and reps; Skipped 0; Not reached 2; Pain stops 1; "
        "Active time 40 s."
    )
    assert clock.t - 1000 == pytest.approx(42.0)


def test_pain_then_end_of_input_ends_the_session() -> None:
    code, lines, _, clock = run([(4.0, "x")])
    assert code == 0
    assert lines[-2] == "[00:04] Session ended."
    assert clock.t - 1000 == pytest.approx(4.0)


def test_an_unclear_choice_after_pain_asks_again() -> None:
    code, lines, _, _ = run([(4.0, "x"), (5.0, "maybe"), (6.0, "r")])
    assert code == 0
    # The prompt once, then the choices again in full for the unclear line.
    assert lines.count(LINE_ANSWERS) == 1
    assert lines.index(LINE_CHOICE) > lines.index(LINE_ANSWERS)
    assert lines.count(LINE_CHOICE) == 1
    assert "[00:04] Resuming." in lines


def test_pause_and_resume() -> None:
    code, lines, player, clock = run([(4.0, "p"), (10.0, "p")])
    assert code == 0
    i = lines.index("[00:04] Paused.")
    assert lines[i + 1] == "[00:04] Resuming."
    assert lines[i + 2] == "[00:05] 3"  # the clock stood still for six seconds
    assert ("say", "Paused.") in player.calls
    assert lines[-1].endswith("Active time 1 min 17 s.")
    assert clock.t - 1000 == pytest.approx(83.0)


def test_end_of_input_while_paused_resumes() -> None:
    code, lines, _, clock = run([(4.0, "pause")])
    assert code == 0
    i = lines.index("[00:04] Paused.")
    assert lines[i + 1 : i + 3] == ["Input has ended: resuming.", "[00:04] Resuming."]
    assert clock.t - 1000 == pytest.approx(77.0)


def test_quit_ends_the_session() -> None:
    code, lines, player, clock = run([(10.5, "q"), (11.0, "n")])
    assert code == 0
    assert lines[-2] == "[00:10] Session ended."
    assert lines[-1] == (
        "Summary: Done 1 of 6 holds and reps; Skipped 0; Not reached 5; Pain stops 0; "
        "Active time 10 s."
    )
    assert player.said[-1] == "Session ended."
    assert clock.t - 1000 == pytest.approx(10.5)


def test_skip_back_extend_and_unknown_commands() -> None:
    code, lines, _, _ = run(
        [(0.5, "n"), (1.0, "b"), (1.5, "n"), (4.0, "+"), (5.0, "-"), (6.0, "hello")]
    )
    assert code == 0
    intro = (
        "Knee to chest. Lie on your back. Pull one knee to your chest. "
        "Right side first. Starting in 3 seconds."
    )
    hold = "Right side. Rep 1 of 2. Hold 5 seconds."
    assert lines[2:13] == [
        f"[00:00] {intro}",
        f"[00:00] {hold}",  # n at 0.5
        f"[00:01] {intro}",  # b at 1.0, within 3 s of the hold's start: the previous step
        f"[00:01] {hold}",  # n at 1.5: the hold now ends at 6.5
        "[00:03] 3",
        "[00:04] 5 more seconds.",  # + at 4: ends at 11.5
        "[00:05] 5 seconds less.",  # - at 5: ends at 6.5 again; "3" is long gone
        "[00:05] 2",  # due at 4.5, announced at 5
        "[00:05] 1",
        "Unknown command 'hello': h for help.",
        "[00:06] Release. Rest 2 seconds.",
    ]
    # get ready was skipped twice (redone by back in between); the summary counts holds and
    # reps, as the app's does: all done. 75.5 active seconds are said as 1 min 16 s.
    assert lines[-1] == (
        "Summary: Done 6 of 6 holds and reps; Skipped 0; Pain stops 0; Active time 1 min 16 s."
    )


def test_a_user_paced_step_waits_for_enter() -> None:
    code, lines, _, clock = run([(1.0, "n"), (30.0, "")], text=PACED)
    assert code == 0
    assert lines[2:5] == [
        "[00:00] Pelvic tilt. Starting in 2 seconds.",
        "[00:01] Repeat as tolerated, at your own pace. Press enter when you are done.",
        "[00:30] Cat cow. Hold 4 seconds.",  # no get ready: the hold introduces it
    ]
    assert (
        lines[-1]
        == "Summary: Done 2 of 2 holds and reps; Skipped 0; Pain stops 0; Active time 34 s."
    )
    assert clock.t - 1000 == pytest.approx(34.0)


def test_enter_on_a_timed_step_is_ignored_quietly() -> None:
    code, lines, _, _ = run([(1.0, ""), (1.5, "a")])
    assert code == 0
    assert lines[3] == "[00:03] Right side. Rep 1 of 2. Hold 5 seconds."
    assert not any("Not possible" in line for line in lines)


def test_end_of_input_moves_a_user_paced_step_on() -> None:
    code, lines, _, clock = run([], text=PACED)
    assert code == 0
    i = lines.index("Input has ended: moving on.")
    assert lines[i - 1] == (
        "[00:02] Repeat as tolerated, at your own pace. Press enter when you are done."
    )
    assert lines[i + 1] == "[00:02] Cat cow. Hold 4 seconds."
    assert lines[-2] == "[00:06] Session complete. Well done."
    assert clock.t - 1000 == pytest.approx(6.0)


class Recorder:
    def __init__(self) -> None:
        self.batches: list[list[Event]] = []
        self.interrupted = 0

    def on_events(self, events: list[Event], session: Session) -> None:
        self.batches.append(list(events))

    def on_interrupted(self) -> None:
        self.interrupted += 1


@pytest.mark.parametrize(
    ("raised", "code"),
    [(KeyboardInterrupt(), EXIT_INTERRUPTED), (Interrupted(EXIT_TERMINATED), EXIT_TERMINATED)],
)
def test_an_interruption_stops_cleanly(raised: BaseException, code: int) -> None:
    clock = FakeClock()
    feed = Feed(clock)

    def wait(timeout: float) -> bool:
        if clock.t - 1000 >= 9.0:
            raise raised
        return feed.wait(timeout)

    out = io.StringIO()
    player = RecordingPlayer()
    recorder = Recorder()
    result = run_plain(
        entry_of(TWO),
        stdin=feed.stdin,
        stdout=out,
        clock=clock,
        wait=wait,
        player=player,
        listeners=[recorder],
    )
    assert result == code
    assert out.getvalue().splitlines()[-1] == "interrupted"
    assert "Summary" not in out.getvalue()
    assert recorder.interrupted == 1
    assert recorder.batches  # the extra listener saw the session's events
    assert player.calls[-1] == ("silence",)
    assert player.closed


def test_keys_from_a_terminal_in_cbreak_mode_and_restored() -> None:
    master, slave = os.openpty()
    stdin = os.fdopen(slave, "r")
    try:
        before = termios.tcgetattr(slave)
        assert before[3] & termios.ICANON
        clock = FakeClock()
        modes: list[int] = []

        class Watch:
            def on_events(self, events: list[Event], session: Session) -> None:
                modes.append(termios.tcgetattr(slave)[3])

        keys = iter([(4.0, b" "), (6.0, b" "), (8.5, b"x"), (9.0, b"r"), (12.0, b"q")])
        pending = next(keys)

        def wait(timeout: float) -> bool:
            nonlocal pending
            if pending and clock.t - 1000 >= pending[0] - 1e-9:
                os.write(master, pending[1])
                pending = next(keys, None)  # type: ignore[arg-type]
            ready, _, _ = select.select([slave], [], [], 0)
            if ready:
                return True
            clock.t += timeout
            return False

        out = io.StringIO()
        code = run_plain(
            entry_of(TWO),
            stdin=stdin,
            stdout=out,
            clock=clock,
            wait=wait,
            player=RecordingPlayer(),
            listeners=[Watch()],
        )
        lines = out.getvalue().splitlines()
        assert code == 0
        assert lines[1].startswith("Keys: space pause/resume")
        assert "[00:04] Paused." in lines
        assert "[00:04] Resuming." in lines
        assert any(line.startswith("[00:06] Pain stop:") for line in lines)
        assert lines[-2] == "[00:09] Session ended."  # 12 s, 2.5 of them stopped
        # No echo, no line editing while running; the terminal is as it was afterwards.
        assert modes and all(not (m & termios.ICANON) and not (m & termios.ECHO) for m in modes)
        assert termios.tcgetattr(slave) == before
    finally:
        stdin.close()
        os.close(master)


def test_the_routines_cautions_are_printed_first(tmp_path) -> None:
    import io

    from backtimer.files.catalog import load_entry
    from backtimer.session.cues import RecordingPlayer

    path = tmp_path / "c.toml"
    path.write_text(
        'name = "C"\ncautions = ["Stop if it hurts."]\n[[exercises]]\nname = "A"\nhold = 1\n'
        "get_ready = 0\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    clock = [0.0]

    def wait(timeout: float) -> bool:
        clock[0] += timeout
        return False

    code = run_plain(
        load_entry(path, "path"),
        stdin=io.StringIO(""),
        stdout=out,
        clock=lambda: clock[0],
        wait=wait,
        player=RecordingPlayer(),
    )
    assert code == 0
    lines = out.getvalue().splitlines()
    assert lines[1] == "Caution: Stop if it hurts."


# ------------------------------------------------------------------------ one session core


class Details:
    """A listener that keeps what a pain stop recorded (as the history recorder does)."""

    def __init__(self) -> None:
        self.details: list = []

    def on_events(self, events: list[Event], session: Session) -> None:
        pass

    def on_pain_details(self, details, session: Session) -> None:  # type: ignore[no-untyped-def]
        self.details.append(details)


def test_capital_n_on_a_pipe_skips_the_exercise_and_small_n_the_step() -> None:
    code, lines, _, _ = run([(4.0, "N")])
    assert code == 0
    assert "[00:04] Bridge. Lie on your back. Starting in 3 seconds." in lines
    assert not any("Left side" in line for line in lines)  # the whole exercise was skipped
    code, lines, _, _ = run([(4.0, "n")])
    assert code == 0
    assert "[00:04] Release. Rest 2 seconds." in lines  # only the hold was skipped


def test_a_pain_stop_from_a_pipe_records_where_how_much_and_a_note() -> None:
    details = Details()
    code, lines, _, _ = run(
        [
            (4.0, "x"),
            (4.5, "where back"),
            (5.0, "much 11"),
            (5.5, "how much 6"),
            (6.0, "note sharp when lifting"),
            (7.0, "resume"),
        ],
        listeners=[details],
    )
    assert code == 0
    assert "Where: lower back." in lines
    assert "How much: a number from 0 to 10." in lines
    assert "How much: 6/10." in lines
    assert "Note kept." in lines
    (said,) = details.details
    assert (said.choice, said.where, said.how_much, said.note) == (
        "resume",
        "lower back",
        6,
        "sharp when lifting",
    )
    assert said.event is not None and said.event.exercise == "Knee to chest"
    assert lines[-1].startswith("Summary: Done 6 of 6 holds and reps; Skipped 0; Pain stops 1;")


def test_answers_after_a_pain_stop_are_kept_when_the_input_ends() -> None:
    details = Details()
    code, lines, _, _ = run([(4.0, "x"), (4.5, "where 2")], listeners=[details])
    assert code == 0
    assert lines[-2] == "[00:04] Session ended."
    (said,) = details.details
    assert (said.choice, said.where, said.how_much, said.note) == ("end", "hip", None, "")


def test_an_unknown_place_says_the_choices() -> None:
    code, lines, _, _ = run([(4.0, "x"), (4.5, "where elbow"), (5.0, "end")])
    assert code == 0
    assert "Where: one of lower back, hip, leg, buttock, neck, other (or its number)." in lines


def terminal_run(keys: list[tuple[float, bytes]], **options: object) -> tuple[int, list[str]]:
    """Run with standard input a terminal (a pty) and these keys at these session times."""
    master, slave = os.openpty()
    stdin = os.fdopen(slave, "r")
    try:
        clock = FakeClock()
        pending = iter(keys)
        due = next(pending, None)

        def wait(timeout: float) -> bool:
            nonlocal due
            while due and clock.t - 1000 >= due[0] - 1e-9:
                os.write(master, due[1])
                due = next(pending, None)
            ready, _, _ = select.select([slave], [], [], 0)
            if ready:
                return True
            clock.t += timeout
            assert clock.t - 1000 < 600, "the session never ended"
            return False

        out = io.StringIO()
        player = options.pop("player", None) or RecordingPlayer()
        code = run_plain(
            entry_of(TWO),
            stdin=stdin,
            stdout=out,
            clock=clock,
            wait=wait,
            player=player,  # type: ignore[arg-type]
            **options,  # type: ignore[arg-type]
        )
        return code, out.getvalue().splitlines()
    finally:
        stdin.close()
        os.close(master)


def test_capital_n_on_a_terminal_skips_the_exercise() -> None:
    code, lines = terminal_run([(4.0, b"N"), (8.0, b"q")])
    assert code == 0
    assert "[00:04] Bridge. Lie on your back. Starting in 3 seconds." in lines
    assert not any("Left side" in line for line in lines)
    code, lines = terminal_run([(4.0, b"n"), (5.0, b"q")])
    assert code == 0
    assert "[00:04] Release. Rest 2 seconds." in lines


def test_a_pain_stop_on_a_terminal_asks_where_how_much_and_a_note() -> None:
    details = Details()
    code, lines = terminal_run(
        [(4.0, b"x"), (4.5, b"1"), (5.0, b"7\r"), (5.5, b"hurts\x7fs!\r"), (6.0, b"r")],
        listeners=[details],
    )
    assert code == 0
    i = next(n for n, line in enumerate(lines) if "Pain stop:" in line)
    assert lines[i + 1 : i + 5] == [
        SAFETY,
        "Stop if: pain in the front of the hip",
        "[00:04] Press E to end, S to skip this exercise, R to resume, M if pressed by mistake.",
        KEY_WHERE,
    ]
    assert lines[i + 5] == "Where: lower back."
    assert lines[i + 6] == KEY_MUCH
    (said,) = details.details
    assert (said.choice, said.where, said.how_much, said.note) == (
        "resume",
        "lower back",
        7,
        "hurts!",
    )
    assert "[00:04] Resuming." in lines


def test_on_a_terminal_the_choice_can_come_at_once_and_enter_skips_questions() -> None:
    details = Details()
    code, lines = terminal_run([(4.0, b"x"), (4.5, b"s")], listeners=[details])
    assert code == 0
    assert "[00:04] Bridge. Lie on your back. Starting in 3 seconds." in lines
    assert details.details[0].choice == "skip_exercise"
    details = Details()
    code, lines = terminal_run([(4.0, b"x"), (4.5, b"\r\r\r\r")], listeners=[details])
    assert code == 0
    assert lines[-2] == "[00:04] Session ended."
    assert details.details[0] == details.details[0].__class__(
        "end", None, None, "", details.details[0].event
    )
    assert KEY_CHOICE in lines


def test_a_keymap_moves_a_key_in_plain_mode_too() -> None:
    code, lines = terminal_run([(4.0, b"p"), (5.0, b"e")], keymap={"pain": "p"})
    assert code == 0
    assert any("Pain stop:" in line for line in lines)
    assert lines[1].startswith("Keys: space pause/resume")
    assert "p or esc pain stop" in lines[1]


def test_pain_pressed_by_mistake_goes_on_where_it_was() -> None:
    """The pipe word ``mistake``: no pain stop counted, the hold goes on where it was (the
    second of the hold already done is not done again), the stop is only a pause."""
    code, lines, _, clock = run([(4.0, "x"), (9.0, "mistake")])
    assert code == 0
    i = lines.index(LINE_ANSWERS)
    assert lines[i - 1] == PIPE_CHOICES_SAID
    assert "mistake" in PIPE_CHOICES_SAID
    assert lines[i + 1] == "[00:04] Pressed by mistake: no pain recorded. Going on where it was."
    assert not lines[i + 2].startswith("[00:04] Right side. Rep 1 of 2.")  # not restarted
    assert lines[-1] == (
        "Summary: Done 6 of 6 holds and reps; Skipped 0; Pain stops 0; Active time 1 min 17 s."
    )
    assert clock.t - 1000 == pytest.approx(82.0)


def test_pain_pressed_by_mistake_while_paused_stays_paused() -> None:
    """Paused, then a pain stop, then ``mistake``: still paused as it was; the hold goes on
    only when ``p`` resumes it."""
    code, lines, player, clock = run([(4.0, "p"), (6.0, "x"), (9.0, "mistake"), (20.0, "p")])
    assert code == 0
    i = lines.index("[00:04] Pressed by mistake: no pain recorded. Still paused, as it was.")
    assert lines[i + 1] == "[00:04] Resuming."  # only at the p, 16 s after the pause
    assert "Pain stops 0" in lines[-1]
    assert clock.t - 1000 == pytest.approx(77.0 + 16.0)
    after = player.said[player.said.index("Stopped.") :]
    assert [t for t in after if t in ("Paused.", "Resuming.")] == ["Paused.", "Resuming."]


def test_after_a_pain_stop_the_choices_are_said_with_the_words_of_a_pipe() -> None:
    _, _, player, _ = run([(4.0, "x"), (5.0, "where hip"), (6.0, "end")])
    i = player.said.index("Stopped.")
    assert player.said[i + 1] == (
        "If pain persists, seek advice from a physiotherapist or doctor. "
        "Stop if: pain in the front of the hip. "
        "Type end to end, skip to skip this exercise, resume to resume, mistake if pressed "
        "by mistake."
    )
    assert player.calls[player.calls.index(("say", player.said[i + 1])) + 1] == ("silence",)


def test_after_a_pain_stop_the_choices_are_said_with_the_keys_of_a_terminal() -> None:
    player = RecordingPlayer()
    code, _lines = terminal_run(
        [(4.0, b"x"), (5.0, b"2"), (6.0, b"e")], player=player, keymap={"pain_skip": "k"}
    )
    assert code == 0
    i = player.said.index("Stopped.")
    assert player.said[i + 1].endswith(
        "Press E to end, K to skip this exercise, R to resume, M if pressed by mistake."
    )
    assert player.said.count(player.said[i + 1]) == 1  # the questions do not repeat it


def test_pain_pressed_by_mistake_on_a_terminal_is_m() -> None:
    details = Details()
    code, lines = terminal_run([(4.0, b"x"), (4.5, b"m"), (30.0, b"q")], listeners=[details])
    assert code == 0
    assert "[00:04] Pressed by mistake: no pain recorded. Going on where it was." in lines
    assert details.details == []  # no pain reported to the listeners


# ------------------------------------------------------------------------ labels, once each


@pytest.mark.parametrize(
    ("stop_if", "shown"),
    [
        ("pain in the front of the hip", "Stop if: pain in the front of the hip"),
        # Routines that label the text themselves (the Norton routine's "Pain: ...").
        ("Pain: move only in a pain-free range.", "Stop if pain: move only in a pain-free range."),
        (
            "If you feel pain in the front of the hip, discontinue exercise.",
            "Stop: If you feel pain in the front of the hip, discontinue exercise.",
        ),
        ("Stop if:  sharp\n  pain", "Stop if: sharp pain"),
    ],
)
def test_a_pain_stop_shows_the_stop_if_under_one_label(stop_if: str, shown: str) -> None:
    text = TWO.replace('"pain in the front of the hip"', repr(stop_if).replace("'", '"'))
    text = 'cautions = ["Caution: go slowly."]\n' + text.lstrip()
    _, lines, _, _ = run([(4.0, "x"), (5.0, "end")], text=text)
    i = lines.index(SAFETY)
    assert lines[i + 1] == shown
    assert lines[1] == "Caution: go slowly."  # the routine's own label is not repeated
    for line in lines:
        for label in ("Stop if", "Caution"):
            assert line.count(label) <= 1 and line.lower().count(label.lower() + ":") <= 1, line


# ------------------------------------------------ what is said after "Stopped."


def test_the_words_said_after_stopped_are_printed_once_when_said() -> None:
    """Everything said after "Stopped." is in the transcript, once: the advice and the
    stop-if are the same words as the safety and stop-if lines (kept, not repeated); the
    choices, in other words than the typed prompt, get a line with the time they are said."""
    _, lines, player, _ = run([(4.0, "x"), (5.0, "where hip"), (5.5, "maybe"), (6.0, "end")])
    said = player.said[player.said.index("Stopped.") + 1]
    pain = next(n for n, line in enumerate(lines) if "Pain stop:" in line)
    assert lines[pain + 1 : pain + 5] == [
        SAFETY,
        "Stop if: pain in the front of the hip",
        PIPE_CHOICES_SAID,
        LINE_ANSWERS,
    ]
    # Nothing said is missing: the advice (after the "Stop." the app says as "Stopped."),
    # the stop-if and the choices are, in order, what was said.
    advice = SAFETY.removeprefix("Stop. ")
    assert said == f"{advice} Stop if: pain in the front of the hip. {PIPE_CHOICES_SAID[8:]}"
    # Once: an unclear answer asks again with the prompt, but the words are not said again.
    assert lines.count(PIPE_CHOICES_SAID) == 1
    assert lines.count(LINE_ANSWERS) == 1
    assert lines.count(LINE_CHOICE) == 1  # the unclear answer's
    assert sum(line.count("seek advice") for line in lines) == 1
    assert sum(line.count("front of the hip") for line in lines) == 1


def test_without_a_stop_if_the_advice_is_printed_once_and_the_choices_when_said() -> None:
    code, lines, player, _ = run([(1.0, "x"), (2.0, "end")], text=PACED)
    assert code == 0
    said = player.said[player.said.index("Stopped.") + 1]
    assert said == f"{SAFETY.removeprefix('Stop. ')} {PIPE_CHOICES_SAID[8:]}"
    pain = next(n for n, line in enumerate(lines) if "Pain stop:" in line)
    assert lines[pain + 1 : pain + 4] == [
        SAFETY,
        "[00:01]" + PIPE_CHOICES_SAID[7:],
        LINE_ANSWERS,
    ]


def test_the_words_after_stopped_are_printed_with_voice_off_as_every_cue_is() -> None:
    """Voice off: nothing is said, and --plain prints the same lines as with voice (as it
    prints every cue of the session), so its transcript does not depend on the sound."""
    _, with_voice, _, _ = run([(4.0, "x"), (6.0, "s")])
    _, without, player, _ = run([(4.0, "x"), (6.0, "s")], voice=False)
    assert player.said == []
    assert PIPE_CHOICES_SAID in without
    assert without == with_voice


@pytest.mark.parametrize("terminal", [False, True])
def test_after_a_pain_stop_the_choices_are_one_announcement_and_one_prompt(terminal) -> None:
    """A screen reader reads the lines after a pain stop one by one: the choices come once,
    in the line of what is said (with the keys or words that make them), then one prompt
    that asks for the optional answers without naming them again. The same words are said."""
    if terminal:
        code, lines = terminal_run([(4.0, b"x"), (4.5, b"r")])
        choices = (
            "[00:04] Press E to end, S to skip this exercise, R to resume, M if pressed by mistake."
        )
        prompt = KEY_WHERE
    else:
        code, lines, player, _ = run([(4.0, "x"), (5.0, "r")])
        choices, prompt = PIPE_CHOICES_SAID, LINE_ANSWERS
        said = player.said[player.said.index("Stopped.") + 1]
        assert said.endswith(choices[8:])  # still said aloud, whole
    assert code == 0
    pain = next(n for n, line in enumerate(lines) if "Pain stop:" in line)
    block = lines[pain + 1 : pain + 5]
    assert block == [SAFETY, "Stop if: pain in the front of the hip", choices, prompt]
    # Each choice is named in the announcement only; the prompt names none of them.
    asked = prompt.lower().replace("enter skips the question", "")
    assert not re.search(r"\b(end|e|s|r|m|skip|resume|mistake)\b", asked), prompt
    shown = "\n".join([*block[:3], asked])
    for word in ("skip", "resum", "mistake"):
        assert shown.lower().count(word) == choices.lower().count(word), word


@pytest.mark.parametrize("keys", [False, True])
def test_a_prompt_names_the_choices_itself_where_nothing_said_them(keys) -> None:
    """The printer alone (no cue layer told it what was said): its one prompt after a pain
    stop names every choice, so that none is missing from the transcript."""
    routine = validate_text(TWO, "two.toml")
    session = Session(compile_plan(routine))
    session.start(0.0)
    out = io.StringIO()
    Printer(routine, out, keys=keys).on_events(session.pain(4.0), session)
    lines = out.getvalue().splitlines()
    assert lines[-1] == (KEY_WHERE_CHOICES if keys else LINE_CHOICE)
    for word in ("end", "skip", "resume", "mistake"):
        assert word in lines[-1]


def test_a_pain_stop_names_the_side_in_the_exercises_own_words() -> None:
    """Issue 10: the side as the voice says it ("right knee up"), not a bare "right side"."""
    text = TWO.replace(
        'sides = "both"\n',
        'sides = "both"\nside_words = { right = "right knee [b]up[/b]", left = "left knee up" }\n',
    )
    code, lines, _, _ = run([(4.0, "x"), (9.0, "end")], text=text)
    assert code == 0
    pain = [line for line in lines if "Pain stop:" in line]
    assert len(pain) == 1
    assert "Pain stop: Knee to chest, right knee [b]up[/b], set 1 of 1, rep 1 of 2" in pain[0]
    assert "right side" not in pain[0]


def test_keys_pressed_close_together_on_a_terminal_are_each_read() -> None:
    """An arrow after space came in one read with it and was taken for escape (a false pain
    stop); x after an arrow was dropped with it (a pain stop lost)."""
    master, slave = os.openpty()
    stdin = os.fdopen(slave, "r")
    try:
        source = KeyInput(stdin)
        with source.cbreak():
            for sent, keys in (
                (b" \x1b[B", ["space"]),
                (b"\x1b[Ax", ["x"]),
                (b"\x1b", ["escape"]),
                (b"\x1bq", ["escape", "q"]),  # escape and q at once: the pain stop first
                (b"\x1b\x1b[6~", ["escape", "pagedown"]),
            ):
                os.write(master, sent)
                assert source.wait(5.0)
                assert source.read() == keys, sent
    finally:
        stdin.close()
        os.close(master)


def test_a_byte_order_mark_before_the_first_command_of_a_pipe_is_not_part_of_it() -> None:
    """A pipe from a Windows tool (PowerShell) can start with a BOM: the first line read as
    '\\ufeffx', an unknown command, so a pain stop sent first was lost."""
    code, lines, _, _ = run([(4.0, "\ufeffx"), (4.5, "end")])
    assert code == 0
    assert not any("Unknown command" in line for line in lines), lines
    assert "Pain stops 1" in lines[-1]
    read, write = os.pipe()
    with os.fdopen(read, "r") as stream:
        os.write(write, "\ufeffx\nend\n".encode())
        os.close(write)
        source = LineInput(stream)
        assert source.wait(5.0)
        assert source.read() == ["x", "end"]
