"""The pain stop: from every phase, with each of the three choices, from every screen."""

from __future__ import annotations

import pytest
from snapshot_apps.common import advance, pain_stop_at, screen_text, start_of, started, until
from textual.widgets import Input, RadioButton

from backtimer.core.engine import State
from backtimer.session.cues import RecordingPlayer
from backtimer.tui.messages import PainDetails
from backtimer.tui.screens.confirm import ConfirmScreen
from backtimer.tui.screens.help import HelpScreen
from backtimer.tui.screens.pain import PainScreen
from backtimer.tui.screens.session import SessionScreen
from backtimer.tui.screens.summary import SummaryScreen
from backtimer.tui.widgets.text import SAFETY_MESSAGE

#: Seconds into the SHORT routine at which each phase is running, and its step index.
#: The step of each phase, and how far into it the pain stop comes (the steps' starts are
#: the plan's: a get-ready lasts as long as its introduction needs).
WHEN = {"hold": (1.0, 1), "rest": (1.0, 2), "switch_sides": (1.0, 4)}


class PainListener:
    """An extra runner listener, as the history recorder will be."""

    def __init__(self) -> None:
        self.details: list[PainDetails] = []
        self.batches = 0

    def on_events(self, events, session) -> None:
        self.batches += 1

    def on_pain_details(self, details: PainDetails, session) -> None:
        assert session.state is State.PAIN_STOPPED  # told before the choice is applied
        self.details.append(details)


@pytest.mark.parametrize("phase", ["hold", "rest", "switch_sides"])
@pytest.mark.parametrize("choice", ["end", "skip_exercise", "resume"])
async def test_pain_stop_from_each_phase_with_each_choice(short, phase, choice) -> None:
    player, listener = RecordingPlayer(), PainListener()
    key = "escape" if phase == "rest" else "x"
    async with started(short, player=player, listeners=[listener]) as (app, pilot, clock):
        session = app.session_screen.session
        into, index = WHEN[phase]
        advance(app, clock, start_of(app, index) + into)
        assert session.step.phase == phase and session.index == index
        left = session.remaining(clock())
        pressed_at = clock()

        await pilot.press(key)
        # The clock stopped on the key press itself, and the sound with it: silence first,
        # then the stop sound and the word "Stopped" (issue 11: the pain stop is heard),
        # then once what the pain screen says, with the app's keys.
        assert session.state is State.PAIN_STOPPED
        assert session.paused_at == pressed_at
        heard = [
            ("silence",),
            ("bell",),
            ("say", "Stopped."),
            (
                "say",
                "If pain persists, seek advice from a physiotherapist or doctor. Stop if: pain "
                "in the front of the hip. Press control E to end, control S to skip this "
                "exercise, control R to resume, control U if pressed by mistake.",
            ),
        ]
        assert player.calls[-4:] == heard
        await pilot.pause()
        assert isinstance(app.screen, PainScreen)
        text = screen_text(app)
        assert SAFETY_MESSAGE in text
        assert "Stop if: pain in the front of the hip" in text
        assert "End session" in text and "Skip exercise" in text and "Resume" in text

        advance(app, clock, 4.0)  # time passes: nothing moves
        assert session.state is State.PAIN_STOPPED
        assert session.remaining(clock()) == pytest.approx(left)
        assert player.calls[-4:] == heard  # and nothing after it

        if choice == "end":
            await pilot.press("enter")  # "End session" has the focus: the default
        else:
            await pilot.click(f"#{choice}")
        await pilot.pause()

        assert [d.choice for d in listener.details] == [choice]
        assert listener.details[0].event is not None
        assert listener.details[0].event.phase == phase
        if choice == "end":
            assert session.state is State.ENDED_EARLY
            assert isinstance(app.screen, SummaryScreen)
            text = screen_text(app)
            assert "ENDED EARLY" in text
            assert "Pain stops   1" in text
            assert "• Knee to chest" in text
        elif choice == "skip_exercise":
            assert session.state is State.RUNNING
            assert isinstance(app.screen, SessionScreen)
            assert session.step.exercise == "Pelvic tilt"
            assert session.step.phase == "get_ready"
            assert "GET READY" in screen_text(app)
        else:
            assert session.state is State.RUNNING
            assert isinstance(app.screen, SessionScreen)
            assert session.index == index  # the interrupted step starts again
            assert session.remaining(clock()) == pytest.approx(session.step.seconds)
            advance(app, clock, 0.5)
            assert session.remaining(clock()) == pytest.approx(session.step.seconds - 0.5)


async def test_pain_then_skip_of_the_last_exercise_ends_the_session_calmly(short) -> None:
    """Nothing comes after the exercise a pain stop interrupted: skipping it ends the
    session as "end" would, said so, with no "Well done" and no "SESSION COMPLETE"."""
    player = RecordingPlayer()
    async with started(short, player=player) as (app, pilot, clock):
        session = app.session_screen.session
        steps = session.plan.steps
        hold = next(s.index for s in steps if s.exercise == "Pelvic tilt" and s.is_work)
        await pain_stop_at(app, pilot, clock, start_of(app, hold) + 1.0)
        assert isinstance(app.screen, PainScreen)
        await pilot.click("#skip_exercise")
        await until(pilot, lambda: isinstance(app.screen, SummaryScreen), "the summary")
        assert session.state is State.ENDED_EARLY
        text = screen_text(app)
        assert "ENDED EARLY" in text and "SESSION COMPLETE" not in text
        assert "Pain stops   1" in text
        assert player.said[-1] == "That was the last exercise. Session ended."
        stop = player.said.index("Stopped.")
        assert not any("Well done" in said for said in player.said[stop:])


async def test_pain_details_reach_the_listeners_and_the_summary(short) -> None:
    listener = PainListener()
    async with started(short, listeners=[listener]) as (app, pilot, clock):
        await pain_stop_at(app, pilot, clock, start_of(app, 1) + 1.0)  # in the first hold
        await pilot.click(app.screen.query(RadioButton)[1])  # "hip"
        app.screen.query_one("#pain-how-much", Input).focus()
        await pilot.press("1", "1")  # 11 is out of range: refused, nothing recorded
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert isinstance(app.screen, PainScreen)
        assert listener.details == []
        how_much = app.screen.query_one("#pain-how-much", Input)
        how_much.value = ""
        how_much.focus()
        await pilot.press("6")
        app.screen.query_one("#pain-note", Input).focus()
        await pilot.press(*"sharp x")  # x types into the note: no second pain stop
        assert app.screen.query_one("#pain-note", Input).value == "sharp x"
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert len(listener.details) == 1
        details = listener.details[0]
        assert (details.choice, details.where, details.how_much, details.note) == (
            "end",
            "hip",
            6,
            "sharp x",
        )
        assert details.event.exercise == "Knee to chest"
        assert details.event.side == "right"
        assert (details.event.set, details.event.rep) == (1, 1)
        assert isinstance(app.screen, SummaryScreen)
        assert "hip, 6/10 — sharp x" in screen_text(app)


async def test_pain_from_help_or_a_question_over_a_session_stops_the_session(short) -> None:
    async with started(short) as (app, pilot, clock):
        session = app.session_screen.session
        advance(app, clock, 3.0)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("x")  # x: escape would close the help (issue 12)
        assert session.state is State.PAIN_STOPPED
        await pilot.pause()
        assert isinstance(app.screen, PainScreen)
        assert len(app.screen_stack) == 3  # default, session, pain: help is gone
        await pilot.click("#resume")
        await pilot.pause()
        assert session.state is State.RUNNING

        await pilot.press("q")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("x")
        assert session.state is State.PAIN_STOPPED
        await pilot.pause()
        assert isinstance(app.screen, PainScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert session.state is State.ENDED_EARLY
        assert isinstance(app.screen, SummaryScreen)


async def test_pain_while_paused_then_resume_restarts_the_step(short) -> None:
    async with started(short) as (app, pilot, clock):
        session = app.session_screen.session
        advance(app, clock, start_of(app, 1) + 2.0)  # in the first hold
        await pilot.press("space")
        assert session.state is State.PAUSED
        await pilot.press("x")
        assert session.state is State.PAIN_STOPPED
        await pilot.pause()
        await pilot.click("#resume")
        await pilot.pause()
        assert session.state is State.RUNNING
        assert session.remaining(clock()) == pytest.approx(3.0)


async def test_pain_keys_on_the_summary_show_the_safety_message(short) -> None:
    async with started(short) as (app, pilot, _):
        await pilot.press("q", "y")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, PainScreen)
        assert app.screen.event is None
        assert SAFETY_MESSAGE in screen_text(app)
        await pilot.press("enter")  # "Close" has the focus
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)


def test_where_stopped_has_no_dangling_comma_on_a_plain_step() -> None:
    from backtimer.core.engine import PainStopped
    from backtimer.core.plan import Step
    from backtimer.tui.screens.pain import where_stopped

    step = Step(0, "rep", 0, "Breathing", None, 1, 1, 1, 1, None, "Go.")
    event = PainStopped(0.0, step, "Breathing", 0, None, 1, 1, "rep", 3.0)
    text = where_stopped(event).plain
    assert not text.rstrip().endswith(",")
    assert text.startswith("Breathing")


class Interruption(PainListener):
    """Hears the pain details whenever they come (also at an interruption), and the
    interruption."""

    def on_pain_details(self, details: PainDetails, session) -> None:
        self.details.append(details)

    def on_interrupted(self) -> None:
        self.details.append("interrupted")  # type: ignore[arg-type]


async def test_answers_typed_after_a_pain_stop_are_kept_when_the_app_is_stopped(short) -> None:
    """Where it hurts, how much and a note typed into the pain screen, then SIGTERM, SIGHUP
    or ctrl+q before a choice: the pain stop was recorded without them."""
    listener = Interruption()
    async with started(short, listeners=[listener]) as (app, pilot, clock):
        await pain_stop_at(app, pilot, clock, start_of(app, 1) + 1.0)
        await pilot.click(app.screen.query(RadioButton)[1])  # "hip"
        await pilot.press("7")  # how much is one key away
        app.screen.query_one("#pain-note", Input).focus()
        await pilot.press(*"sharp")
        await pilot.pause()
        assert isinstance(app.screen, PainScreen)
        app.session_screen.interrupted()  # what the app does when it is stopped
    first = listener.details.index("interrupted")  # type: ignore[arg-type]
    details = listener.details[first - 1]  # told just before
    assert isinstance(details, PainDetails)
    assert (details.where, details.how_much, details.note) == ("hip", 7, "sharp")
