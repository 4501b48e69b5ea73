"""The current levels of a routine are the same wherever they are shown or used, with the
user's ``progression_sessions`` setting (not the default of 3): the picker's preview,
``backtimer plan --level current`` and the levels ``run`` offers its steps from (and runs
at, when the step-ups are declined). A pain step-down of the last session applies in all
three; a step-up after 2 sessions is offered with the setting at 2."""

from __future__ import annotations

import json
from pathlib import Path

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
