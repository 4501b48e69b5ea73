"""The current levels of a routine are the same wherever they are shown or used, with the
user's ``progression_sessions`` setting (not the default of 3): the picker's preview,
``backtimer plan --level current`` and the levels ``run`` offers its steps from (and runs
at, when the step-ups are declined). A pain step-down of the last session applies in all
three; a step-up after 2 sessions is offered with the setting at 2."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from snapshot_apps.common import build_app

from backtimer.cli.main import main
from backtimer.core.routine import LevelChoice
from backtimer.files import catalog
from backtimer.files.catalog import Entry, load_entry
from backtimer.files.config import with_config_defaults
from backtimer.history import open_history
from backtimer.history.levels import current_levels, current_levels_of, store_level
from backtimer.session.launch import settings, speech_plan
from backtimer.tui.screens.levels import LevelOfferScreen
from backtimer.tui.screens.picker import PickerScreen
from tests.history.test_levels import BREATHS, BRIDGES, KNEE, ROUTINE, add_session

SIZE = (100, 30)
SESSIONS = 2  # progression_sessions: not the default


@pytest.fixture
def setup(isolated_dirs: dict[str, Path], user_routines: Path) -> tuple[Entry, Path]:
    """``levels.toml`` among the user's routines, progression_sessions = 2, and a history of
    two clean sessions of it but a pain stop on Bridges (at 12 reps) in the last."""
    (isolated_dirs["config"] / "config.toml").write_text(
        f"progression_sessions = {SESSIONS}\n", encoding="utf-8"
    )
    path = user_routines / "levels.toml"
    path.write_text(ROUTINE, encoding="utf-8")
    entry = load_entry(path, "user")
    assert entry.routine is not None
    data = isolated_dirs["data"]
    with open_history(data) as db:
        store_level(db, entry, BRIDGES, LevelChoice(reps=12, sets=1))
        level = current_levels(db, entry, SESSIONS)
        add_session(db, entry, level=level)
        add_session(db, entry, {BRIDGES: "pain"}, level=level)
    return entry, data


def expected_levels(entry: Entry, data: Path) -> dict[int, LevelChoice]:
    with open_history(data, create=False) as db:
        levels = current_levels(db, entry, SESSIONS)
        assert current_levels_of(db, [entry], SESSIONS) == [levels]
    assert levels[KNEE] == LevelChoice(hold=10)  # no step-up until it is taken
    assert levels[BRIDGES] == LevelChoice(reps=11, sets=1)  # the pain step-down
    return levels


async def test_the_picker_plan_and_run_agree_on_the_levels(
    setup: tuple[Entry, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    entry, data = setup
    config = settings()
    assert config.progression_sessions == SESSIONS
    expected = expected_levels(entry, data)

    # The picker's preview.
    app = build_app(None, entries=catalog.user, data_dir=data, config=config)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(5):
            await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        assert picker.level_of(picker.entries[0]) == expected

    # backtimer plan --level current.
    assert (
        main(["plan", str(entry.path), "--level", "current", "--data-dir", str(data), "--json"])
        == 0
    )
    printed = json.loads(capsys.readouterr().out)
    assert entry.routine is not None
    routine = with_config_defaults(entry.routine, config)
    assert printed == json.loads(json.dumps(speech_plan(routine, expected, config).to_json()))

    # run: the offer (step-ups after 2 sessions, the step-down said), declined.
    app = build_app(entry, level="current", record=True, data_dir=data, config=config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        offer = app.screen
        assert isinstance(offer, LevelOfferScreen)
        assert {(c.exercise_index, c.change) for c in offer.changes} == {
            (KNEE, "up"),
            (BREATHS, "up"),
            (BRIDGES, "down"),
        }
        offer.dismiss([])
        for _ in range(3):
            await pilot.pause()
        assert app.launches and app.launches[0].level == expected
        app.exit()
    assert expected_levels(entry, data) == expected  # the step-down, stored now, is the same


def _recording_plans(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict, Any]]:
    """(thread, levels, plan) of every plan launch.speech_plan compiles."""
    from backtimer.session import launch as launch_module

    calls: list[tuple[str, dict, Any]] = []
    real = launch_module.speech_plan

    def recording(routine: Any, level: Any, config: Any, lengths: Any = None) -> Any:
        plan = real(routine, level, config, lengths)
        calls.append((threading.current_thread().name, dict(level), plan))
        return plan

    monkeypatch.setattr(launch_module, "speech_plan", recording)
    return calls


@pytest.mark.parametrize("take", [True, False])
async def test_the_session_s_plan_is_compiled_while_the_offer_is_read(
    setup: tuple[Entry, Path], monkeypatch: pytest.MonkeyPatch, take: bool
) -> None:
    """After the offer's first frame, the plan for every step-up taken (the offer's
    default) is compiled in a thread; Start with them all runs that plan, the same as one
    compiled then. With the step-ups declined, the session's own levels are compiled."""
    entry, data = setup
    config = settings()
    before = expected_levels(entry, data)
    calls = _recording_plans(monkeypatch)
    app = build_app(entry, level="current", record=True, data_dir=data, config=config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        offer = app.screen
        assert isinstance(offer, LevelOfferScreen)
        if take:
            await pilot.press("s")
        else:
            offer.dismiss([])
        for _ in range(3):
            await pilot.pause()
        launch = app.launches[0]
        app.exit()
    ahead = [levels for name, levels, _ in calls if name == "plan-ahead"]
    ups = {c.exercise_index: c.new for c in offer.changes if c.change == "up"}
    assert len(ahead) == 1 and ahead[0] == before | ups
    assert launch.level == (ahead[0] if take else before)
    if take:
        assert len(calls) == 1 and launch.plan is calls[0][2]  # compiled once, ahead
    else:
        assert calls[-1][0] == threading.current_thread().name and launch.plan is calls[-1][2]
    assert entry.routine is not None
    fresh = speech_plan(with_config_defaults(entry.routine, config), launch.level, config)
    assert launch.plan.to_json() == fresh.to_json()
