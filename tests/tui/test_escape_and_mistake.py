"""Escape closes what is open on top and is a pain stop only on the session itself; a pain
stop pressed by mistake records no pain, changes no level and goes on where it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from snapshot_apps.common import (
    RANGED,
    FakeClock,
    advance,
    pain_stop_at,
    safety_message_closes,
    screen_text,
    started,
    write_routine,
)

from backtimer.core.engine import Command, State
from backtimer.core.routine import LevelChoice
from backtimer.core.schema import validate_routine
from backtimer.files.config import Config
from backtimer.history.db import open_history
from backtimer.history.levels import store_level
from backtimer.session.launch import prepare
from backtimer.session.runner import SessionRunner
from backtimer.tui.screens.confirm import ConfirmScreen
from backtimer.tui.screens.help import HelpScreen
from backtimer.tui.screens.pain import PainScreen
from backtimer.tui.screens.session import SessionScreen


async def test_escape_closes_help_and_a_question_without_a_pain_stop(short) -> None:
    async with started(short) as (app, pilot, clock):
        session = app.session_screen.session
        advance(app, clock, 3.0)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        assert session.state is not State.PAIN_STOPPED
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")  # the question closes: keep going
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        assert session.state is State.RUNNING
        # On the session itself, escape is the pain stop (and the footer says so).
        assert "x/esc Pain stop" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert session.state is State.PAIN_STOPPED
        assert isinstance(app.screen, PainScreen)
        await pilot.press("escape")  # on the pain screen escape decides nothing
        await pilot.pause()
        assert isinstance(app.screen, PainScreen)
        assert session.state is State.PAIN_STOPPED


async def test_x_is_the_pain_stop_from_help_and_help_says_escape_closes(short) -> None:
    async with started(short, size=(80, 60)) as (app, pilot, clock):
        session = app.session_screen.session
        advance(app, clock, 3.0)
        await pilot.press("question_mark")
        await pilot.pause()
        text = screen_text(app)
        assert "x Pain stop" in text and "x/esc Pain stop" not in text
        await pilot.press("x")
        await pilot.pause()
        assert session.state is State.PAIN_STOPPED
        assert isinstance(app.screen, PainScreen)


async def test_a_stop_pressed_by_mistake_goes_on_where_it_was(short) -> None:
    async with started(short) as (app, pilot, clock):
        screen = app.session_screen
        session = screen.session
        advance(app, clock, 3.0)
        index, left = session.index, session.remaining(clock())
        length = session.step_seconds
        await pilot.press("x")
        await pilot.pause()
        clock.advance(20.0)  # a long look at the pain screen: it is a pause, not the hold
        await pilot.press("ctrl+u")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        assert session.state is State.RUNNING
        assert session.index == index
        # Where it was: only a step that lasts as long as its words need (this get-ready)
        # may be made longer, by whole seconds, for the sentence the stop cut off, said again.
        assert left is not None and length is not None and session.step_seconds is not None
        added = session.step_seconds - length
        assert added == int(added) >= 0
        assert added == 0 or session.step.phase_info.stretchable
        assert session.remaining(clock()) == pytest.approx(left + added)
        assert screen.tally.pains == []  # the summary reports no pain stop


def _count(data: Path, table: str) -> int:
    conn = sqlite3.connect(next(data.glob("*.sqlite3")))
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def hold_of(plan) -> float:
    return next(s.seconds for s in plan.steps if s.phase == "hold")


@pytest.mark.parametrize("button", ["#mistake", "#resume"])
async def test_a_mistaken_stop_records_no_pain_and_changes_no_level(
    tmp_path: Path, button: str
) -> None:
    entry = write_routine(tmp_path, RANGED)
    data = tmp_path / "data"
    with open_history(data) as db:
        store_level(db, entry, 0, LevelChoice(hold=15))
    async with started(entry, record=True, data_dir=data, level="current") as (app, pilot, clock):
        await pain_stop_at(app, pilot, clock, 2.0)  # in the hold
        await pilot.click(button)
        await pilot.pause()
        screen = app.session_screen
        assert screen.session.state is State.RUNNING
        advance(app, clock, 40.0)
        await pilot.pause()
    if button == "#mistake":
        assert _count(data, "pain_events") == 0
        assert _count(data, "pauses") == 1  # kept as a pause
        assert hold_of(prepare(entry, level="current", data_dir=data, record=False).plan) == 15
    else:  # the same stop, resumed: a pain event, and the level steps down
        assert _count(data, "pain_events") == 1
        launch = prepare(entry, level="current", config=Config(), data_dir=data, record=False)
        assert hold_of(launch.plan) == 10


def test_the_engine_takes_a_mistaken_stop_back() -> None:
    from backtimer.core.engine import PainWithdrawn

    routine = validate_routine(
        {"name": "R", "exercises": [{"name": "A", "hold": 30, "get_ready": 0}]}
    )
    from backtimer.core.plan import compile_plan

    clock = FakeClock()
    runner = SessionRunner(compile_plan(routine, "low"), clock=clock)
    runner.do(Command.START)
    for _ in range(20):  # ten seconds into the hold, ticking as the app does
        clock.advance(0.5)
        runner.tick()
    assert runner.session.state is State.RUNNING
    left = runner.session.remaining(clock())
    runner.do(Command.PAIN)
    clock.advance(7)  # the pain screen is read for 7 s
    events = runner.do(Command.MISTAKE)
    withdrawn = [e for e in events if isinstance(e, PainWithdrawn)]
    assert withdrawn and withdrawn[0].paused_seconds == pytest.approx(7)
    assert runner.session.remaining(clock()) == pytest.approx(left)
    assert runner.session.state is State.RUNNING and runner.session.index == 0


async def test_how_much_is_one_key_away_in_the_pain_dialog(short) -> None:
    async with started(short) as (app, pilot, clock):
        await pain_stop_at(app, pilot, clock, 3.0)
        assert app.screen.focused is not None and app.screen.focused.id == "end"
        await pilot.press("4")  # typed first: it goes into "how much"
        await pilot.pause()
        how_much = app.screen.query_one("#pain-how-much")
        assert how_much.value == "4" and how_much.has_focus
        await pilot.press("shift+tab", "shift+tab", "shift+tab", "shift+tab")
        await pilot.pause()
        app.screen.query_one("#end").focus()
        await pilot.pause()
        await pilot.press("tab")  # from the default button, one tab
        await pilot.pause()
        assert how_much.has_focus


async def test_a_stop_pressed_by_mistake_while_paused_stays_paused(short, tmp_path: Path) -> None:
    """Paused, then x, then "by mistake": back to the pause as it was (the clock does not
    start behind the person's back), and the history keeps that one pause, no pain."""
    data = tmp_path / "data"
    async with started(short, record=True, data_dir=data) as (app, pilot, clock):
        screen = app.session_screen
        session = screen.session
        advance(app, clock, 3.0)
        await pilot.press("space")
        await pilot.pause()
        assert session.state is State.PAUSED
        index, left = session.index, session.remaining(clock())
        length = session.step_seconds
        clock.advance(5.0)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, PainScreen)
        clock.advance(20.0)
        await pilot.press("ctrl+u")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        assert session.state is State.PAUSED
        assert "PAUSED" in screen_text(app)
        advance(app, clock, 30.0)
        await pilot.pause()
        assert (session.index, session.remaining(clock())) == (index, pytest.approx(left))
        assert screen.tally.pains == []
        await pilot.press("space")  # now it resumes, where the pause left it
        await pilot.pause()
        assert session.state is State.RUNNING
        # (a get-ready made longer, by whole seconds, for the sentence the pause cut off,
        # said again: it lasts as long as its words need)
        assert left is not None and length is not None and session.step_seconds is not None
        added = session.step_seconds - length
        assert added == int(added) >= 0
        assert added == 0 or session.step.phase_info.stretchable
        assert session.remaining(clock()) == pytest.approx(left + added)
        await pilot.pause()
    assert _count(data, "pain_events") == 0
    assert _count(data, "pauses") == 1  # the one pause, not a second one for the stop
    conn = sqlite3.connect(next(data.glob("*.sqlite3")))
    try:
        assert conn.execute("SELECT ended_at IS NOT NULL FROM pauses").fetchone() == (1,)
    finally:
        conn.close()


async def test_escape_closes_the_pain_message_without_a_session_from_help(short) -> None:
    """The safety message with no session behind it (x over help, here after the session
    ended) closes with escape, as with its Close button; after a real stop escape decides
    nothing (see above)."""
    async with started(short) as (app, pilot, clock):
        advance(app, clock, 3.0)
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")  # ended early: the summary, no session running
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await safety_message_closes(app, pilot, "escape", HelpScreen)
