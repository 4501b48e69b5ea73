"""Keeping the holds changed during a session (+/-) from the summary screen."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from snapshot_apps.common import FakeClock, advance, build_app, screen_text, until
from textual.app import App

from backtimer.core.plan import compile_plan
from backtimer.core.progression import DEFAULT_SESSIONS
from backtimer.core.routine import LevelChoice
from backtimer.files.catalog import load_entry
from backtimer.files.routine_load import validate_text
from backtimer.history import open_history
from backtimer.history.levels import current_levels
from backtimer.tui.screens.session import SessionScreen
from backtimer.tui.screens.summary import SummaryScreen, Tally, hold_changes

# Steps: get ready, hold, rest, hold, transition, get ready, hold (the gaps as long as their
# words need).
COMMENTED = """\
# From my physio, May (this comment must survive)
name = "Keep test"

[defaults]
get_ready = 2
rest = 2
transition = 2

[[exercises]]
name = "Knee to chest"  # both knees
hold = "10s"   # the physio said 10
reps = 2

[[exercises]]
name = "Bridge"
hold = 3
"""


@pytest.fixture
def routine_file(user_routines: Path) -> Path:
    path = user_routines / "keep.toml"
    path.write_text(COMMENTED, encoding="utf-8")
    return path


async def run_session(
    app, clock: FakeClock, pilot, presses: dict[tuple[int, float], list[str]]
) -> None:
    """Run to the end, pressing keys at (step index, seconds into that step). The clock moves
    only once the session has started (its screen mounted: on a loaded machine that may
    take more than a frame, and a clock moved before would start it late, the keys landing
    on another step); the summary is waited for, not assumed after one frame."""
    started = lambda: (  # noqa: E731
        isinstance(app.screen, SessionScreen) and app.screen.session.state == "running"
    )
    await until(pilot, started, "the session running")
    session = app.session_screen.session
    for index, into in sorted(presses):
        while session.index < index:
            advance(app, clock, 0.25)
        advance(app, clock, into)
        await pilot.press(*presses[(index, into)])
        await pilot.pause()
    advance(app, clock, session.plan.total_seconds + 120)
    await until(pilot, lambda: isinstance(app.screen, SummaryScreen), "the summary")
    # Its footer comes a frame or more later (the keys it shows depend on what it holds).
    await until(pilot, lambda: "Close" in screen_text(app).splitlines()[-1], "its footer")


async def test_plus_twice_then_keep_writes_the_hold_and_keeps_the_comments(
    routine_file: Path,
) -> None:
    clock = FakeClock()
    app = build_app(load_entry(routine_file, "user"), clock=clock)
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        await run_session(app, clock, pilot, {(1, 1.0): ["plus", "plus"]})
        text = screen_text(app)
        assert "Keep the changed holds in the routine file?" in text
        assert "Knee to chest: hold 10s -> 20s" in text
        assert "Keep holds" in text  # the key is in the footer
        await pilot.press("k")
        summary = app.screen
        # Kept at once; the footer drops the key once its bindings are refreshed.
        await until(
            pilot,
            lambda: summary.kept is not None and "Keep holds" not in screen_text(app),
            "the holds kept and the key gone",
        )
        text = screen_text(app)
        # The lines as one, whatever the wrapping: the file's path (as long as the machine's
        # temporary folder makes it) may break a word at the end of a line.
        joined = "".join(line.strip() for line in text.splitlines())
        assert "Kept." in joined and "saved" in joined and "keep.toml.bak" in joined
        assert "Keep holds" not in text  # done: the key is gone
    new = routine_file.read_text(encoding="utf-8")
    assert new == COMMENTED.replace('hold = "10s"   #', 'hold = "20s"   #')
    assert routine_file.with_name("keep.toml.bak").read_text(encoding="utf-8") == COMMENTED
    assert validate_text(new, "keep.toml").exercises[0].hold is not None


async def test_holds_changed_differently_keep_the_last_change_and_say_so(routine_file: Path):
    clock = FakeClock()
    app = build_app(load_entry(routine_file, "user"), clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        # rep 1: +10 s (to 20 s), rep 2: +5 s, the last change.
        await run_session(app, clock, pilot, {(1, 1.0): ["plus", "plus"], (3, 1.0): ["plus"]})
        text = " ".join(screen_text(app).split())  # as one line, whatever the wrapping
        assert "Knee to chest: hold 10s -> 15s" in text
        assert "2 holds were changed differently; the last change is the one kept" in text
        await pilot.press("k")
        await pilot.pause()
    assert 'hold = "15s"   # the physio said 10' in routine_file.read_text(encoding="utf-8")


async def test_minus_shortens_and_enter_closes_without_keeping(routine_file: Path) -> None:
    clock = FakeClock()
    app = build_app(load_entry(routine_file, "user"), clock=clock)
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        await run_session(app, clock, pilot, {(1, 1.0): ["minus"]})
        assert "Knee to chest: hold 10s -> 5s" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
    assert routine_file.read_text(encoding="utf-8") == COMMENTED
    assert not routine_file.with_name("keep.toml.bak").exists()


async def test_no_change_no_offer(routine_file: Path) -> None:
    clock = FakeClock()
    app = build_app(load_entry(routine_file, "user"), clock=clock)
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        await run_session(app, clock, pilot, {})
        text = screen_text(app)
        assert "Keep the changed holds" not in text
        assert "Keep holds" not in text
        await pilot.press("k")  # nothing to keep: nothing happens
        await pilot.pause()
        assert app.screen.kept is None
    assert routine_file.read_text(encoding="utf-8") == COMMENTED


async def test_a_bundled_routine_is_copied_to_the_user_folder_first(
    tmp_path: Path, user_routines: Path
) -> None:
    bundled = tmp_path / "bundled" / "keep.toml"
    bundled.parent.mkdir()
    bundled.write_text(COMMENTED, encoding="utf-8")
    clock = FakeClock()
    app = build_app(load_entry(bundled, "bundled"), clock=clock)
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        await run_session(app, clock, pilot, {(1, 1.0): ["plus"]})
        assert "keep them in your copy of it" in screen_text(app)
        await pilot.press("k")
        await pilot.pause()
        assert "is a bundled routine" in screen_text(app)
    assert bundled.read_text(encoding="utf-8") == COMMENTED
    copy = user_routines / "keep.toml"
    assert 'hold = "15s"   # the physio said 10' in copy.read_text(encoding="utf-8")
    assert "this comment must survive" in copy.read_text(encoding="utf-8")


async def test_a_range_becomes_the_current_level_and_the_file_keeps_it(
    user_routines: Path, tmp_path: Path
) -> None:
    path = user_routines / "ranged.toml"
    text = COMMENTED.replace('hold = "10s"', 'hold = "10-30s"')
    path.write_text(text, encoding="utf-8")
    data = tmp_path / "data"
    clock = FakeClock()
    app = build_app(load_entry(path, "user"), clock=clock)
    app.data_dir = data
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await run_session(app, clock, pilot, {(1, 1.0): ["plus", "plus"]})
        assert "kept as your current level" in screen_text(app)
        await pilot.press("k")
        await pilot.pause()
        assert "Stored as the current level" in screen_text(app)
    assert path.read_text(encoding="utf-8") == text  # the range stays
    with open_history(data, create=False) as db:
        levels = current_levels(db, load_entry(path, "user"), DEFAULT_SESSIONS)
        assert levels[0] == LevelChoice(hold=20)


async def test_a_file_changed_meanwhile_is_not_written(routine_file: Path) -> None:
    clock = FakeClock()
    app = build_app(load_entry(routine_file, "user"), clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await run_session(app, clock, pilot, {(1, 1.0): ["plus"]})
        edited = COMMENTED.replace("hold = 3", "hold = 4")
        routine_file.write_text(edited, encoding="utf-8")
        await pilot.press("k")
        await pilot.pause()
        assert "Not kept:" in screen_text(app)
        assert "changed since the session started" in app.screen.keep_error
    assert routine_file.read_text(encoding="utf-8") == edited


def test_hold_changes_in_breaths_use_the_files_breath_length() -> None:
    text = (
        'name = "B"\n[defaults]\nbreath = 5\n[[exercises]]\nname = "Breathe"\nhold = "6 breaths"\n'
    )
    routine = validate_text(text, "b.toml")
    # The session ran with 4 s breaths (from the settings): 6 breaths = 24 s; +8 s = 8 breaths.
    run = dataclasses.replace(routine, defaults=dataclasses.replace(routine.defaults, breath=4.0))
    plan = compile_plan(run, "low")
    hold = next(s for s in plan.steps if s.phase == "hold")
    assert hold.breaths == 6 and hold.seconds == 24
    (change,) = hold_changes(plan, {hold.index: 8.0}, routine)
    assert (change.before, change.after) == ("6 breaths", "8 breaths")
    assert change.seconds == 40  # 8 breaths at the file's 5 s
    assert hold_changes(plan, {hold.index: 1.0}, routine) == []  # still 6 breaths


async def test_the_summary_takes_the_entry_as_an_argument(routine_file: Path) -> None:
    entry = load_entry(routine_file, "user")
    plan = compile_plan(entry.routine, "low")
    tally = Tally(plan)
    tally.outcome = "finished"
    hold = next(s for s in plan.steps if s.phase == "hold")
    tally.extensions[hold.index] = 5.0
    screen = SummaryScreen(tally, "Keep test", entry)

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(screen)

    app = Host()
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        assert "Knee to chest: hold 10s -> 15s" in screen_text(app)
        await pilot.press("k")
        await pilot.pause()
    assert 'hold = "15s"' in routine_file.read_text(encoding="utf-8")


def test_a_range_offers_what_it_keeps_within_its_bounds() -> None:
    """Held 13 s on an 8-12 s range: the offer is 12 s (what is kept), never 13 s."""
    routine = validate_text('name = "R"\n[[exercises]]\nname = "Hold"\nhold = "8-12s"\n', "r.toml")
    plan = compile_plan(routine, "low")
    hold = next(s for s in plan.steps if s.phase == "hold")
    assert hold.seconds == 8
    (change,) = hold_changes(plan, {hold.index: 5.0}, routine)
    assert (change.before, change.after, change.seconds) == ("8s", "12s", 12)
    # Below the range's bottom: the bottom, which it was at already, so nothing to offer.
    assert hold_changes(plan, {hold.index: -3.0}, routine) == []
