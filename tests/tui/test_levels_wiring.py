"""Levels follow pain-free sessions in real runs: offered before the next one, then used."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from snapshot_apps.common import (
    RANGED,
    FakeClock,
    build_app,
    safety_message_closes,
    screen_text,
    write_routine,
)
from textual.app import App
from textual.pilot import Pilot

from backtimer.core.engine import Command
from backtimer.core.routine import LevelChoice
from backtimer.files.config import Config
from backtimer.history.db import open_history
from backtimer.history.levels import store_level
from backtimer.session.launch import prepare
from backtimer.session.runner import SessionRunner
from backtimer.tui.screens.levels import LevelOfferScreen
from backtimer.tui.screens.session import SessionScreen


async def answer_offer(app: App, pilot: Pilot, *keys: str) -> None:
    """The level offer is open; ``keys`` answer it and the session starts."""
    await pilot.pause()
    assert isinstance(app.screen, LevelOfferScreen)
    await pilot.press(*keys)
    await pilot.pause()
    assert isinstance(app.screen, SessionScreen)


def run_session(entry, data: Path, *, pain: bool = False) -> None:
    """One whole session at the current level, recorded, on a fake clock."""
    launch = prepare(entry, level="current", config=Config(), data_dir=data)
    clock = FakeClock()
    launch.recorder.clock = clock
    runner = SessionRunner(launch.plan, clock=clock, listeners=[launch.recorder])
    runner.do(Command.START)
    if pain:
        clock.advance(2)
        runner.tick()
        runner.do(Command.PAIN)
        runner.do(Command.END)
    while not runner.session.over:
        clock.advance(0.5)
        runner.tick()
    launch.close()


def hold_of(plan) -> float:
    return next(s.seconds for s in plan.steps if s.phase == "hold")


def step_up_due(tmp_path: Path, toml: str = RANGED) -> tuple[Any, Path]:
    """A routine and a data folder with three pain-free sessions recorded: its next run at
    the current level is offered a step-up."""
    entry = write_routine(tmp_path, toml)
    data = tmp_path / "data"
    for _ in range(3):
        run_session(entry, data)
    return entry, data


def offer_app(entry, data: Path) -> Any:
    """`run` of ``entry`` at the current level, recorded in ``data`` (the offer first)."""
    return build_app(entry, clock=FakeClock(), record=True, data_dir=data, level="current")


async def test_three_pain_free_sessions_offer_a_step_up_that_the_next_session_uses(
    tmp_path: Path,
) -> None:
    entry, data = step_up_due(tmp_path)
    assert hold_of(prepare(entry, level="current", data_dir=data, record=False).plan) == 10

    app = offer_app(entry, data)
    async with app.run_test(size=(80, 24)) as pilot:
        await answer_offer(app, pilot, "s")  # start, with the step up ticked by default
        assert hold_of(app.screen.plan) == 15
    # Stored: the next session starts at the new level too.
    assert hold_of(prepare(entry, level="current", data_dir=data, record=False).plan) == 15


def test_plain_mode_steps_down_after_pain_and_says_so(tmp_path: Path) -> None:
    entry, data = step_up_due(tmp_path, RANGED.replace('"10-30s"', '"10-30s"\nreps = "2-3"'))
    # On a terminal the step up would be asked for; from a pipe it is offered, not taken.
    env = {**os.environ, "BACKTIMER_DATA_DIR": str(data), "BACKTIMER_CONFIG_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "backtimer", "run", str(entry.path), "--plain"]
    result = subprocess.run(
        [*command, "--no-voice", "--no-bell", "--no-resume"],
        input="q\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert "Step up offered, not taken" in result.stderr
    assert "Knee to chest: hold 10s -> 15s" in result.stderr
    # Taken (as the app would store it), then a pain stop at the new level.
    db = open_history(data)
    try:
        store_level(db, entry, 0, LevelChoice(hold=15))
    finally:
        db.close()
    assert hold_of(prepare(entry, level="current", data_dir=data, record=False).plan) == 15
    run_session(entry, data, pain=True)
    result = subprocess.run(
        [*command, "--no-voice", "--no-bell", "--no-resume"],
        input="q\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert "Traceback" not in result.stderr
    assert "Level down: Knee to chest: hold 15s -> 10s" in result.stderr
    low = prepare(entry, level="current", data_dir=data, record=False).plan
    assert hold_of(low) == 10


async def test_the_session_screen_shows_the_level_it_runs(tmp_path: Path) -> None:
    entry = write_routine(tmp_path, RANGED.replace('"10-30s"', '"10-30s"\nreps = "2-3"'))
    app = build_app(entry, clock=FakeClock(), level="high")
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        assert "Level: hold 30s (10-30s), 3 reps (2-3)" in screen_text(app)


async def test_the_levels_are_worked_out_once_before_a_session(tmp_path: Path, monkeypatch):
    """The offer reads the past sessions, in one query; starting after it does not read them
    again, and runs at the levels accepted (or stepped down)."""
    from backtimer.history import levels

    entry, data = step_up_due(tmp_path, RANGED.replace('"10-30s"', '"10-30s"\nreps = "2-3"'))
    reads: list[str] = []
    original = levels._outcome_rows  # the one query over the past sessions

    def counting(conn, key, *args):
        reads.append(key)
        return original(conn, key, *args)

    monkeypatch.setattr(levels, "_outcome_rows", counting)
    stored: list[str] = []  # the stored levels read (the session's are handed over)
    original_stored = levels.stored_levels

    def counting_stored(db, entry):
        stored.append(entry.key)
        return original_stored(db, entry)

    monkeypatch.setattr(levels, "stored_levels", counting_stored)
    app = offer_app(entry, data)
    async with app.run_test(size=(80, 24)) as pilot:
        await answer_offer(app, pilot, "s")
        assert hold_of(app.screen.plan) == 15
    assert reads == [entry.key]
    assert stored == [entry.key]
    # Without a review just before, the current levels are worked out from the sessions.
    assert hold_of(prepare(entry, level="current", data_dir=data, record=False).plan) == 15
    assert reads == [entry.key, entry.key]


async def test_a_declined_step_up_runs_the_session_at_the_level_it_had(tmp_path: Path) -> None:
    """Unticked, the step-up is not stored and the session runs as before (the levels
    handed over from the offer are what is stored)."""
    entry, data = step_up_due(tmp_path)
    app = offer_app(entry, data)
    async with app.run_test(size=(80, 24)) as pilot:
        # The list has the focus: untick the one offer, start.
        await answer_offer(app, pilot, "space", "s")
        assert hold_of(app.screen.plan) == 10
    assert hold_of(prepare(entry, level="current", data_dir=data, record=False).plan) == 10


async def test_n_runs_the_session_with_no_step_up(tmp_path: Path) -> None:
    entry, data = step_up_due(tmp_path)
    app = offer_app(entry, data)
    async with app.run_test(size=(80, 24)) as pilot:
        await answer_offer(app, pilot, "n")  # ticked, but declined all at once
        assert hold_of(app.screen.plan) == 10
    assert hold_of(prepare(entry, level="current", data_dir=data, record=False).plan) == 10


async def test_escape_on_runs_offer_closes_the_pain_message_then_leaves(tmp_path: Path) -> None:
    """`run`'s level offer is a dialog: x over it shows the safety message (no session: no
    pain recorded), escape closes that message (as its Close button), and escape on the
    offer starts nothing and leaves (nothing under it), never a pain stop."""
    from backtimer.tui.screens.pain import PainScreen

    entry, data = step_up_due(tmp_path)
    app = offer_app(entry, data)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LevelOfferScreen)
        await safety_message_closes(app, pilot, "escape", LevelOfferScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not any(isinstance(s, (PainScreen, SessionScreen)) for s in app.screen_stack)
    assert app.return_code == 0
    assert hold_of(prepare(entry, level="current", data_dir=data, record=False).plan) == 10


async def test_escape_on_the_offer_over_the_picker_goes_back_to_it(tmp_path: Path) -> None:
    from backtimer.files.catalog import load_entry
    from backtimer.tui.screens.picker import PickerScreen

    entry, data = step_up_due(tmp_path)
    app = build_app(
        None,
        clock=FakeClock(),
        record=True,
        data_dir=data,
        level="current",
        entries=lambda: [load_entry(entry.path, "path")],
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LevelOfferScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        assert app.session_screen is None and app.is_running
        # Nothing kept for a session that did not start: the levels worked out for the offer
        # and the plan compiled while it was read are let go (a later start reads the
        # history again, which may have changed by then).
        from backtimer.session import launch

        key = (str(entry.path), str(data))
        assert key not in launch._REVIEWED and key not in launch._AHEAD


@pytest.mark.parametrize("voice", [True, False])
async def test_the_plan_compiled_while_the_offer_is_read_is_the_sessions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, voice: bool
) -> None:
    """Start with the offer's default (every step-up taken) runs the plan compiled while the
    offer was read, with the voice on and off (--no-voice: the session's settings are a
    copy with the voice off, made again at the start)."""
    from backtimer.session import launch

    found: list[object] = []
    plan_for = launch._PlanAhead.plan_for

    def recording(self: Any, *args: Any) -> Any:
        plan = plan_for(self, *args)
        found.append(plan)
        return plan

    monkeypatch.setattr(launch._PlanAhead, "plan_for", recording)
    entry, data = step_up_due(tmp_path)
    app = build_app(
        entry, clock=FakeClock(), record=True, data_dir=data, level="current", voice=voice
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await answer_offer(app, pilot, "s")
        assert len(found) == 1 and found[0] is not None
        assert app.screen.plan is found[0]
