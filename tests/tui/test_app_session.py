"""The session screen, driven by Pilot with a fake clock and a recording cue player."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from snapshot_apps.common import (
    MARKUP,
    SHORT,
    FakeClock,
    advance,
    build_app,
    screen_text,
    start_of,
    write_routine,
)
from textual.widgets import Static

from backtimer.core.engine import Command, State
from backtimer.files.catalog import Entry
from backtimer.session.cues import RecordingPlayer
from backtimer.tui.screens.confirm import ConfirmScreen
from backtimer.tui.screens.session import SessionScreen
from backtimer.tui.screens.summary import SummaryScreen
from backtimer.tui.widgets.bigtext import BigText

SIZE = (80, 24)


def phase_text(app) -> str:
    return str(app.session_screen.query_one("#phase", Static).content)


def countdown(app) -> str:
    return app.session_screen.query_one("#countdown", BigText).value


async def test_a_short_routine_from_start_to_summary(short) -> None:
    clock, player = FakeClock(), RecordingPlayer()
    app = build_app(short, clock=clock, player=player)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.session_screen
        assert isinstance(app.screen, SessionScreen)
        assert screen.session.state is State.RUNNING
        seen: list[str] = []
        for _ in range(round(screen.session.plan.total_seconds / 0.25) + 8):
            if not screen.live:
                break
            advance(app, clock, 0.25)
            if screen.live:
                word = phase_text(app)
                if not seen or seen[-1] != word:
                    seen.append(word)
        await pilot.pause()
        assert seen == [
            "GET READY",
            "HOLD · RIGHT SIDE",
            "REST",
            "HOLD · RIGHT SIDE",
            "SWITCH SIDES → LEFT",
            "HOLD · LEFT SIDE",
            "REST",
            "HOLD · LEFT SIDE",
            "NEXT EXERCISE",
            "GET READY",
            "HOLD",
            "REST",
            "HOLD",
        ]
        assert isinstance(app.screen, SummaryScreen)
        text = screen_text(app)
        assert "SESSION COMPLETE" in text
        assert "6 of 6 holds and reps" in text
        # The routine's 30 s and what its words need (the closing words come after the
        # session's clock stops: the plan's total has them, the active time does not).
        total = screen.session.plan.steps_seconds
        assert total > 30
        assert f"Active time  {round(total) // 60} min {round(total) % 60:02d} s" in text or (
            f"Active time  {round(total)} s" in text
        )
    said = [c[1] for c in player.calls if c[0] == "say"]
    # Said one at a time, on the timeline: the introduction first, the whole of it.
    assert said[:3] == ["Knee to chest.", "Lie on your back.", "Pull one knee towards your chest."]
    assert "Stop if you feel pain in the front of the hip." in said
    assert "Switch sides." in said and "Left side. Rep 1 of 2." in said
    assert said[-1].startswith("Session complete")
    assert ("bell",) in player.calls


async def test_a_long_routine_name_ends_in_an_ellipsis_apart_from_the_count(tmp_path) -> None:
    """A name longer than the top line is cut with an ellipsis, two cells before the
    exercise count (it ran straight into "exercise 1 of 2": "...andexercise")."""
    long_name = "One stretch to relieve back pain, part 2: strength and stability (Sutter)"
    entry = write_routine(tmp_path, SHORT.replace('"Short test"', f'"{long_name}"', 1))
    app = build_app(entry, clock=FakeClock())
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        top = screen_text(app).splitlines()[0]
        assert top.rstrip().endswith("…  exercise 1 of 2"), top
        assert top.startswith(" One stretch to relieve back pain"), top


async def test_the_screen_shows_exercise_side_reps_steps_and_next(short) -> None:
    clock = FakeClock()
    app = build_app(short, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "GET READY" in text
        assert "Short test" in text and "exercise 1 of 2" in text
        assert "1. Pull one knee towards your chest." in text
        assert "Caution: Go gently; never bounce." in text
        assert "Stop if: pain in the front of the hip" in text
        assert "Next: Hold · right side · rep 1 of 2 · 3 s" in text
        total = app.session_screen.session.plan.steps_seconds  # (the closing words: after)
        assert f"{round(total) // 60}:{round(total) % 60:02d} left" in text
        advance(app, clock, start_of(app, 1))
        await pilot.pause()
        text = screen_text(app)
        assert "HOLD · RIGHT SIDE" in text
        assert "Knee to chest · Right side · rep 1 of 2" in text
        assert countdown(app) == "3"
        left = round(total - start_of(app, 1))
        assert f"{left // 60}:{left % 60:02d} left" in text
        assert "x/esc Pain stop" in text


async def test_pause_and_resume_keep_the_remaining_time(short) -> None:
    clock = FakeClock()
    app = build_app(short, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        session = app.session_screen.session
        advance(app, clock, start_of(app, 1) + 1.0)  # 1 s into the first hold
        before = session.remaining(clock())
        assert before == pytest.approx(2.0)
        await pilot.press("space")
        assert session.state is State.PAUSED
        assert phase_text(app) == "PAUSED · HOLD · RIGHT SIDE"
        advance(app, clock, 20.0)
        await pilot.pause()
        assert session.state is State.PAUSED
        assert session.remaining(clock()) == pytest.approx(before)
        assert countdown(app) == "2"
        await pilot.press("space")
        assert session.state is State.RUNNING
        assert session.remaining(clock()) == pytest.approx(before)
        assert phase_text(app) == "HOLD · RIGHT SIDE"
        advance(app, clock, 1.0)
        assert session.remaining(clock()) == pytest.approx(before - 1.0)


async def test_skip_step_skip_exercise_and_back(short) -> None:
    clock = FakeClock()
    app = build_app(short, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        session = app.session_screen.session
        assert session.index == 0
        await pilot.press("n")
        assert session.index == 1 and session.step.phase == "hold"
        assert phase_text(app) == "HOLD · RIGHT SIDE"
        await pilot.press("b")  # at the start of a step: back to the previous one
        assert session.index == 0
        advance(app, clock, 1.0)
        await pilot.press("n")
        await pilot.press("plus")  # an 8 s hold
        advance(app, clock, 3.5)  # past the 3 s grace: b restarts this step
        await pilot.press("b")
        assert session.index == 1
        assert session.remaining(clock()) == pytest.approx(8.0)
        await pilot.press("N")
        assert session.step.exercise == "Pelvic tilt"
        assert session.step.phase == "get_ready"
        assert "exercise 2 of 2" in screen_text(app)


async def test_plus_and_minus_change_the_current_hold(short) -> None:
    clock = FakeClock()
    app = build_app(short, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        session = app.session_screen.session
        await pilot.press("plus")  # not a hold: refused, nothing changes
        assert session.step.phase == "get_ready"
        assert session.remaining(clock()) == pytest.approx(start_of(app, 1))
        advance(app, clock, start_of(app, 1))
        assert session.step.phase == "hold"
        await pilot.press("plus")
        assert session.remaining(clock()) == pytest.approx(8.0)
        assert countdown(app) == "8"
        await pilot.press("minus")  # never below the 5 s minimum hold
        assert session.step_seconds == pytest.approx(5.0)
        assert countdown(app) == "5"
        await pilot.press("equals_sign")  # "=" is "+" without shift
        assert session.step_seconds == pytest.approx(10.0)


async def test_quit_asks_first_and_counts_as_ended_early(short) -> None:
    clock = FakeClock()
    app = build_app(short, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        session = app.session_screen.session
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmScreen)
        assert "End the session now?" in screen_text(app)
        # The clock waits while the question is on screen.
        assert session.state is State.PAUSED
        left = session.remaining(clock())
        clock.advance(4.0)
        assert session.remaining(clock()) == left
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        assert session.state is State.RUNNING
        assert session.remaining(clock()) == left
        advance(app, clock, 3.0)
        await pilot.press("q")
        await pilot.press("y")
        await pilot.pause()
        assert session.state is State.ENDED_EARLY
        assert isinstance(app.screen, SummaryScreen)
        text = screen_text(app)
        assert "ENDED EARLY" in text
        assert "Not reached" in text
        await pilot.press("enter")  # started without the picker: closing quits
        await pilot.pause()
    assert app.return_code == 0


async def test_the_display_changes_only_when_the_seconds_do(short) -> None:
    clock = FakeClock()
    app = build_app(short, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.session_screen
        advance(app, clock, start_of(app, 1))
        start = screen.redraws
        advance(app, clock, 0.2, step=0.05)  # 4 ticks inside one second: no change shown
        assert screen.redraws == start
        advance(app, clock, 1.0, step=0.25)  # the next second: one redraw
        assert screen.redraws == start + 1
        # Paused: ticks change nothing shown.
        await pilot.press("space")
        paused = screen.redraws
        advance(app, clock, 10.0)
        assert screen.redraws == paused


async def test_routine_text_is_shown_literally(tmp_path: Path) -> None:
    entry = write_routine(tmp_path, MARKUP)
    clock = FakeClock()
    app = build_app(entry, clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "[bold red]Danger[/] routine" in text
        assert "[blink]Flash[/blink] stretch" in text
        assert "[reverse]lie down" in text
        assert "1. [bold red]Do not[/] bounce" in text
        assert "2. Hold :smile: [link=http://x]here[/link]" in text
        assert "Caution: [i]careful[/i]" in text
        assert "Stop if: [b]sharp[/b] pain" in text


async def test_at_60x20_the_screen_still_shows_everything_that_matters(short) -> None:
    clock = FakeClock()
    app = build_app(short, clock=clock)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        advance(app, clock, start_of(app, 1))
        await pilot.pause()
        text = screen_text(app)
        for words in (
            "HOLD · RIGHT SIDE",
            "Knee to chest",
            "rep 1 of 2",
            "1. Pull one knee",
            "Stop if:",
            "Next: Rest",
            "left",
            "x/esc Pain stop",
        ):
            assert words in text, words
        assert app.session_screen.query_one("#countdown").display


async def test_in_a_tiny_terminal_the_digits_give_way_to_text(short) -> None:
    clock = FakeClock()
    app = build_app(short, clock=clock)
    async with app.run_test(size=(60, 16)) as pilot:
        await pilot.pause()
        advance(app, clock, start_of(app, 1))
        await pilot.pause()
        screen = app.session_screen
        assert screen.has_class("-tiny")
        assert screen.query_one("#countdown").styles.display == "none"
        assert "3 seconds" in screen_text(app)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not screen.has_class("-tiny")
        assert screen.query_one("#countdown").styles.display == "block"


async def test_no_color_keeps_the_phase_in_words(short, monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    clock = FakeClock()
    app = build_app(short, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.no_color
        advance(app, clock, start_of(app, 1))
        await pilot.pause()
        assert "HOLD · RIGHT SIDE" in screen_text(app)


async def test_a_step_at_your_own_pace_waits_for_enter(tmp_path: Path) -> None:
    entry = write_routine(
        tmp_path,
        'name = "Paced"\n[[exercises]]\nname = "Cat and camel"\nuser_paced = true\nget_ready = 1\n',
    )
    clock = FakeClock()
    app = build_app(entry, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        session = app.session_screen.session
        advance(app, clock, start_of(app, 1))
        await pilot.pause()
        assert session.step.user_paced
        text = screen_text(app)
        assert "AT YOUR OWN PACE" in text  # not "REPS" with what looks like a countdown
        assert "press enter when you are done" in text
        assert "enter Done" in text
        advance(app, clock, 65.0)  # counts up while waiting
        await pilot.pause()
        assert countdown(app) == "1:05"
        await pilot.press("enter")
        await pilot.pause()
        assert session.state is State.FINISHED
        assert isinstance(app.screen, SummaryScreen)
        assert "1 of 1 hold or rep" in screen_text(app)


async def test_closing_the_app_mid_session_tells_the_listeners(short) -> None:
    class Recorder:
        interrupted = 0

        def on_events(self, events, session) -> None:
            pass

        def on_interrupted(self) -> None:
            self.interrupted += 1

    recorder, player = Recorder(), RecordingPlayer()
    clock = FakeClock()
    app = build_app(short, clock=clock, player=player, listeners=[recorder])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        advance(app, clock, 3.0)
        app.exit(return_code=143)  # what SIGTERM does
        await pilot.pause()
    assert recorder.interrupted == 1
    assert ("silence",) in player.calls
    assert player.closed
    assert app.return_code == 143


async def test_escape_codes_never_reach_the_terminal(short) -> None:
    # Validation rejects control characters; the widgets must be safe even so.
    routine = dataclasses.replace(short.routine, name="Evil\x1b[2J\x07 routine\u202e")
    entry = Entry(short.key, short.path, "path", routine)
    app = build_app(entry, clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "Evil\\x1b[2J\\x07 routine\\u202e" in text
        assert "\x1b" not in text and "\x07" not in text


async def test_the_screen_wakes_when_the_countdown_next_changes(short) -> None:
    """No fixed-rate polling: the next tick is due at the countdown's next whole second."""
    clock = FakeClock()
    app = build_app(short, clock=clock, tick_interval=1.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.session_screen
        screen.tick()
        clock.advance(0.7)  # 2.3 s of a 3 s step left: "3" shows until 2.0 s are left
        screen.tick()
        screen._schedule()
        assert screen._timer is not None
        assert screen.wake_delay == pytest.approx(0.3 + 0.01, abs=1e-6)
        screen.do(Command.PAUSE)  # paused: nothing changes, so only the slow wake
        assert screen._timer is not None
        assert screen.wake_delay == pytest.approx(1.0 + 0.01, abs=1e-6)


async def test_the_routines_cautions_are_shown_at_the_start(tmp_path: Path) -> None:
    entry = write_routine(
        tmp_path,
        'name = "C"\ncautions = ["Stop if it hurts [bold]now[/bold]."]\n'
        '[[exercises]]\nname = "A"\nhold = 5\n',
    )
    app = build_app(entry, clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        # In the session screen's own layout (no toast over it), literally.
        assert not app._notifications
        assert "Stop if it hurts [bold]now[/bold]." in screen_text(app)


async def test_a_long_hold_repaints_the_step_meter_only_when_a_cell_changes(
    tmp_path: Path,
) -> None:
    """A 5-minute hold on an 80-column bar moves it a cell every few seconds: the step meter
    is not repainted in between, while the countdown changes every second."""
    from backtimer.tui.widgets.meter import Meter

    entry = write_routine(
        tmp_path,
        'name = "Long"\n[[exercises]]\nname = "Long hold"\nhold = "5m"\nget_ready = 0\n',
    )
    clock = FakeClock()
    app = build_app(entry, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.session_screen
        meter = screen.query_one("#step-meter", Meter)
        advance(app, clock, start_of(app, 1) + 1.0)  # a second into the hold
        await pilot.pause()
        paints, redraws = meter.paints, screen.redraws
        cells = []
        for _ in range(20):
            advance(app, clock, 1.0)
            await pilot.pause()
            cells.append(meter.painted[1])
        assert screen.redraws == redraws + 20  # the countdown: every second
        changes = len(set(cells))
        assert 3 <= changes <= 10  # a cell every few seconds (300 s over about 70 cells)
        assert meter.paints - paints <= changes + 1
        # The session meter's label ("4:39 left") changes every second: it repaints.
        session_meter = screen.query_one("#session-meter", Meter)
        before = session_meter.paints
        advance(app, clock, 1.0)
        await pilot.pause()
        assert session_meter.paints == before + 1


async def test_a_second_of_a_long_hold_repaints_only_what_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The countdown and the session meter's label change every second; nothing else asks to
    be drawn again (a repaint of a hidden widget, the clock line, made Textual lay the whole
    screen out again)."""
    from textual.widget import Widget

    entry = write_routine(
        tmp_path,
        'name = "Long"\n[[exercises]]\nname = "Long hold"\nhold = "5m"\nget_ready = 0\n',
    )
    clock = FakeClock()
    app = build_app(entry, clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        advance(app, clock, 1.0)
        await pilot.pause()
        asked: list[str] = []
        refresh = Widget.refresh

        def counting(self: Widget, *regions: object, **kwargs: object) -> object:
            asked.append(self.id or type(self).__name__)
            return refresh(self, *regions, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(Widget, "refresh", counting)
        for _ in range(3):
            advance(app, clock, 1.0)
            await pilot.pause()
        assert asked.count("countdown") == 3 and asked.count("session-meter") == 3
        assert set(asked) <= {"countdown", "session-meter", "step-meter"}, asked


async def test_the_clock_line_shows_the_time_when_the_terminal_becomes_tiny(short) -> None:
    clock = FakeClock()
    app = build_app(short, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        advance(app, clock, start_of(app, 1))
        await pilot.pause()  # the clock line is hidden: it keeps the time without a repaint
        await pilot.resize_terminal(60, 16)
        await pilot.pause()
        assert app.session_screen.has_class("-tiny")
        assert "3 seconds" in screen_text(app)
