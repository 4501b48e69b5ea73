"""Runs are recorded in the history, settings apply, and an interrupted session resumes."""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from snapshot_apps.common import SHORT, FakeClock, advance, build_app, write_routine

from backtimer.core.engine import State
from backtimer.core.progression import DEFAULT_SESSIONS
from backtimer.files.catalog import Entry
from backtimer.files.config import Config
from backtimer.history.db import open_history
from backtimer.history.queries import find_resumable
from backtimer.session.launch import describe_resume, find_resume, prepare
from backtimer.tui.app import BacktimerApp
from backtimer.tui.screens.confirm import ConfirmScreen
from backtimer.tui.screens.session import SessionScreen
from backtimer.tui.screens.summary import SummaryScreen

SIZE = (80, 24)


def sessions(data_dir: Path) -> list[tuple]:
    db = open_history(data_dir, create=False)
    try:
        with db.reading() as conn:
            return conn.execute("SELECT status, resume_index FROM sessions ORDER BY id").fetchall()
    finally:
        db.close()


def test_prepare_applies_settings_to_what_is_run_not_to_the_file(tmp_path: Path) -> None:
    entry = write_routine(tmp_path, 'name = "x"\n[[exercises]]\nname = "a"\nhold = 10\nreps = 2\n')
    launch = prepare(entry, config=Config(rest=0, get_ready=3), record=False)
    phases = [s.phase for s in launch.plan.steps]
    assert phases == ["get_ready", "hold", "hold"]  # rest 0 from the settings: no rest step
    assert launch.plan.steps[0].seconds - launch.plan.steps[0].added == 3  # the words add to it
    assert launch.entry.routine is entry.routine  # the file's own routine, untouched
    assert launch.recorder is None


async def test_the_app_records_a_session_in_the_history(tmp_path: Path) -> None:
    entry = write_routine(tmp_path, SHORT)
    data = tmp_path / "data"
    clock = FakeClock()
    app = build_app(entry, clock=clock, record=True, data_dir=data)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        total = app.session_screen.session.plan.total_seconds
        for _ in range(round(total / 0.25) + 8):
            if not app.session_screen or not app.session_screen.live:
                break
            advance(app, clock, 0.25)
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
    assert sessions(data) == [("completed", len(app.launches[0].plan.steps))]


def _interrupted_run(entry: Entry, data: Path) -> int:
    """A first run of ``entry`` interrupted a few steps in (get-ready lasts as long as its
    words need); the step it stopped at."""
    from backtimer.session.runner import SessionRunner

    launch = prepare(entry, config=Config(), data_dir=data)
    fake = FakeClock()
    runner = SessionRunner(launch.plan, clock=fake, listeners=[launch.recorder])
    runner.do("start")
    for _ in range(2000):
        fake.advance(0.5)
        runner.tick()
        if runner.session.index > 1:
            break
    index = runner.session.index
    launch.recorder.on_interrupted()
    launch.close()
    return index


async def test_the_app_offers_to_resume_an_interrupted_session(tmp_path: Path) -> None:
    entry = write_routine(tmp_path, SHORT)
    data = tmp_path / "data"
    index = _interrupted_run(entry, data)  # a first run, interrupted a few steps in
    assert index > 1
    found = find_resume(entry, data)
    assert found is not None and found.step_index == index

    app = build_app(entry, clock=FakeClock(), record=True, data_dir=data, offer_resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert describe_resume(found) in str(app.screen.query_one("#confirm-detail").render())
        await pilot.click("#yes")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        assert app.screen.session.index == index
        # The clock waits until the person is back in position, then space goes on.
        assert app.screen.session.state is State.PAUSED
        await pilot.press("space")
        await pilot.pause()
        assert app.screen.session.state is State.RUNNING


def _asked_to_resume(tmp_path: Path) -> tuple[Entry, Path, int, BacktimerApp]:
    """A routine interrupted a few steps in, and ``backtimer run`` of it, which asks."""
    entry = write_routine(tmp_path, SHORT)
    data = tmp_path / "data"
    index = _interrupted_run(entry, data)
    app = build_app(entry, clock=FakeClock(), record=True, data_dir=data, offer_resume=True)
    return entry, data, index, app


async def test_escape_on_the_resume_question_starts_nothing_and_leaves_run(
    tmp_path: Path,
) -> None:
    """Escape closes the question as on the level offer: under ``backtimer run`` no session
    starts (not "Start afresh"), the app ends, the interrupted session is still offered."""
    entry, data, index, app = _asked_to_resume(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.session_screen is None
        assert not app.launches
    assert app.return_code == 0
    assert [state for state, _ in sessions(data)] == ["interrupted"]
    found = find_resume(entry, data)
    assert found is not None and found.step_index == index


async def test_no_on_the_resume_question_starts_afresh(tmp_path: Path) -> None:
    _, _, _, app = _asked_to_resume(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        assert app.screen.session.index == 0


def test_plain_run_killed_then_resumed_at_the_same_step(tmp_path: Path) -> None:
    routine = tmp_path / "short.toml"
    routine.write_text(
        'name = "Short"\n[defaults]\nget_ready = 1\ntransition = 1\nrest = 1\nswitch = 1\n'
        '[[exercises]]\nname = "A"\nhold = 2\nsides = "both"\n'
        '[[exercises]]\nname = "B"\nhold = 2\n',
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "BACKTIMER_DATA_DIR": str(tmp_path / "data"),
        "BACKTIMER_CONFIG_DIR": str(tmp_path / "config"),
    }
    cmd = [sys.executable, "-m", "backtimer", "run", str(routine), "--plain", "--no-voice"]
    first = subprocess.Popen(
        [*cmd, "--no-bell"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True
    )
    try:
        deadline = time.monotonic() + 20
        seen = ""
        while "Left side" not in seen and time.monotonic() < deadline:
            seen += first.stdout.readline()
        assert "Left side" in seen
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    db = open_history(tmp_path / "data", create=False)
    try:
        found = find_resumable(db)
    finally:
        db.close()
    # The kill may land before the writer thread stored the newest step: at most that one
    # step is lost, so the session resumes at the switch or at the left hold.
    assert found is not None and found.step["side"] == "left"
    resumed_say = found.plan.steps[found.step_index].say

    second = subprocess.run(
        [*cmd, "--no-bell", "--resume"],
        input="",
        capture_output=True,
        env=env,
        text=True,
        timeout=30,
    )
    assert second.returncode == 0, second.stderr
    lines = [line for line in second.stdout.splitlines() if line.startswith("[")]
    # At the stored step, not from the beginning: its first words, said as it starts.
    first_words = {"switch_sides": "Switch sides.", "hold": "Hold"}
    assert lines[0].endswith(first_words[found.plan.steps[found.step_index].phase])
    assert "Resuming at A, left side, set 1 of 1, rep 1 of 1. Get into position." in second.stdout
    assert resumed_say in ("Switch to the left side.", "Left side. Hold 2 seconds.")
    assert "Traceback" not in second.stderr
    assert sessions(tmp_path / "data") == [("completed", 7)]
    summary = second.stdout.strip().splitlines()[-1]
    # Holds and reps, counted from the step it resumed at (as the app's summary counts).
    remaining = sum(1 for step in found.plan.steps[found.step_index :] if step.is_work)
    assert summary.startswith(
        f"Summary: Done {remaining} of {remaining} holds and reps; "
        f"Resumed at step {found.step_index + 1} of 7;"
    )
    assert "; Skipped 0;" in summary


async def test_ctrl_c_leaves_and_records_the_session_as_interrupted(tmp_path: Path) -> None:
    entry = write_routine(tmp_path, SHORT)
    data = tmp_path / "data"
    clock = FakeClock()
    app = build_app(entry, clock=clock, record=True, data_dir=data)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        advance(app, clock, 2.0)
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert app.return_code == 130
    assert [status for status, _ in sessions(data)] == ["interrupted"]


def test_a_routine_without_ranges_reads_no_history_for_its_levels(tmp_path: Path, monkeypatch):
    """Nothing in it can step up or down: its levels are the empty choices current_levels
    gives, and neither the offer nor the levels open the history (one open fewer before the
    first frame); a routine with ranges still reads them."""
    from backtimer.history import levels
    from backtimer.session import launch as launch_module

    fixed = write_routine(tmp_path, 'name = "x"\n[[exercises]]\nname = "a"\nhold = 10\nreps = 2\n')
    data = tmp_path / "data"
    db = open_history(data)
    try:
        expected = levels.current_levels(db, fixed, DEFAULT_SESSIONS)
    finally:
        db.close()
    opened: list[Path | None] = []
    real_open = launch_module.open_history

    def counting_open(*args, **kwargs):
        opened.append(args[0] if args else None)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(launch_module, "open_history", counting_open)
    assert launch_module.level_changes(fixed, Config(), data) == []
    assert launch_module.resolve_level(fixed, "current", data, [], DEFAULT_SESSIONS) == expected
    # Without an offer first (plain mode, plan --level current): worked out, not read, too.
    assert launch_module.resolve_level(fixed, "current", data, [], DEFAULT_SESSIONS) == expected
    assert opened == []

    ranged_dir = tmp_path / "ranged"
    ranged_dir.mkdir()
    ranged = write_routine(
        ranged_dir, 'name = "y"\n[[exercises]]\nname = "a"\nhold = "10-20s"\nreps = 2\n'
    )
    assert levels.fixed_levels(ranged) is None
    launch_module.level_changes(ranged, Config(), data)
    launch_module.resolve_level(ranged, "current", data, [], DEFAULT_SESSIONS)
    assert opened  # the history has its levels


def test_a_stored_step_up_keeps_the_history_open_until_the_session_records(
    tmp_path: Path,
) -> None:
    """Accepting a step-up writes it at once (another connection reads it) and keeps that
    connection open until the session's recorder has opened its own (closing the last one
    would sync the write-ahead file into the history between Start and the session); then
    it is closed. A session not recorded closes it too."""
    from backtimer.history.levels import current_levels
    from backtimer.session import launch as launch_module

    ranged = write_routine(
        tmp_path, 'name = "y"\n[[exercises]]\nname = "a"\nhold = "10-20s"\nreps = 2\n'
    )
    data = tmp_path / "data"
    for record in (True, False):
        changes = launch_module.level_changes(ranged, Config(progression_sessions=1), data)
        assert changes == []  # no history yet: nothing to offer; a step-up taken by hand:
        up = levels_change(ranged)
        assert launch_module.accept_levels(ranged, [up], data) is None
        key = launch_module._review_key(ranged, data)
        held = launch_module._HELD[key]
        with open_history(data, create=False) as other:
            assert current_levels(other, ranged, DEFAULT_SESSIONS)[0] == up.new  # written
        launch = prepare(ranged, level="current", config=Config(), data_dir=data, record=record)
        assert key not in launch_module._HELD
        with pytest.raises(sqlite3.ProgrammingError):  # closed
            held.conn.execute("SELECT 1")
        assert launch.level[0] == up.new
        assert (launch.recorder is not None) is record
        launch.close()


def levels_change(entry):
    """A step-up of the first exercise's hold to 15 s (as the offer would make it)."""
    from backtimer.core.routine import LevelChoice
    from backtimer.history.levels import LevelChange

    return LevelChange(
        0, "a", "up", LevelChoice(hold=10), LevelChoice(hold=15), "hold 10s -> 15s", ""
    )


def test_a_plan_compiled_ahead_is_used_only_for_its_levels_and_settings(tmp_path: Path) -> None:
    """The plan compiled while the offer is read (every step-up taken) is the session's when
    the offer is taken with those settings; a step-up declined, or other settings, and the
    session compiles its own, for the levels and settings it runs with."""
    from backtimer.core.routine import LevelChoice
    from backtimer.files.config import with_config_defaults
    from backtimer.session import launch as launch_module

    ranged = write_routine(
        tmp_path, 'name = "y"\n[[exercises]]\nname = "a"\nhold = "10-20s"\nreps = 2\n'
    )
    data = tmp_path / "data"
    key = launch_module._review_key(ranged, data)
    config = Config(voice=False)
    up = levels_change(ranged)

    def own_plan(level: dict, config: Config = config) -> object:
        assert ranged.routine is not None
        routine = with_config_defaults(ranged.routine, config)
        return launch_module.speech_plan(routine, level, config)

    # Taken: the plan compiled ahead is the one run.
    launch_module.level_changes(ranged, config, data)
    launch_module.plan_ahead(ranged, [up], config, data)
    ahead = launch_module._AHEAD[key]
    assert launch_module.accept_levels(ranged, [up], data) is None
    launch = prepare(ranged, level="current", config=config, data_dir=data, record=False)
    assert launch.level[0] == up.new
    assert ahead.plan is not None and launch.plan is ahead.plan
    launch.close()

    # Declined: the session runs at the stored level, with a plan of its own for it.
    higher = dataclasses.replace(up, old=up.new, new=LevelChoice(hold=20))
    launch_module.level_changes(ranged, config, data)
    launch_module.plan_ahead(ranged, [higher], config, data)
    ahead = launch_module._AHEAD[key]
    launch = prepare(ranged, level="current", config=config, data_dir=data, record=False)
    assert launch.level[0] == up.new
    assert launch.plan is not ahead.plan and launch.plan == own_plan(launch.level)
    assert key not in launch_module._AHEAD
    launch.close()

    # Other settings: compiled for them.
    launch_module.level_changes(ranged, config, data)
    launch_module.plan_ahead(ranged, [], config, data)
    ahead = launch_module._AHEAD[key]
    other = dataclasses.replace(config, countdown=config.countdown + 2)
    launch = prepare(ranged, level="current", config=other, data_dir=data, record=False)
    assert launch.plan is not ahead.plan and launch.plan == own_plan(launch.level, other)
    assert launch.plan != ahead.plan
    launch.close()
