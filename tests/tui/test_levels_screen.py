"""The level offer before a session: step-ups to accept or decline, step-downs to read."""

from __future__ import annotations

from typing import Any

from snapshot_apps.common import screen_text
from textual.app import App
from textual.widgets import Button, Checkbox

from backtimer.core.routine import LevelChoice
from backtimer.history.levels import LevelChange
from backtimer.tui.screens.levels import LevelOfferScreen

KNEE_UP = LevelChange(
    0,
    "Knee to chest",
    "up",
    LevelChoice(hold=10),
    LevelChoice(hold=15),
    "hold 10s -> 15s",
    "after 3 sessions in a row without pain",
)
TILT_UP = LevelChange(
    2,
    "Pelvic [bold]tilt[/bold]",
    "up",
    LevelChoice(reps=2),
    LevelChoice(reps=3),
    "2 reps -> 3 reps",
    "after 4 sessions in a row without pain",
)
BRIDGES_DOWN = LevelChange(
    1,
    "Bridges",
    "down",
    LevelChoice(reps=12),
    LevelChoice(reps=11),
    "12 reps -> 11 reps",
    "after a pain stop in the last session",
)


class Host(App[None]):
    def __init__(self, changes: list[LevelChange]) -> None:
        super().__init__()
        self.changes = changes
        self.results: list[Any] = []

    def on_mount(self) -> None:
        self.push_screen(LevelOfferScreen(self.changes), self.results.append)


async def test_step_ups_are_accepted_by_default() -> None:
    app = Host([KNEE_UP, BRIDGES_DOWN, TILT_UP])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "Knee to chest: hold 10s -> 15s" in text
        assert "after 3 sessions in a row without pain" in text
        assert "Pelvic [bold]tilt[/bold]: 2 reps -> 3 reps" in text  # literally
        assert "Stepped down" in text
        assert "Bridges: 12 reps -> 11 reps, after a pain stop in the last session" in text
        assert all(box.value for box in app.screen.query(Checkbox))
        await pilot.press("s")
        await pilot.pause()
    assert app.results == [[KNEE_UP, TILT_UP]]  # the step-down is not the user's choice


async def test_a_step_up_can_be_declined() -> None:
    app = Host([KNEE_UP, TILT_UP])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.click("#levels-up-0")
        await pilot.pause()
        assert app.screen.query_one("#levels-up-0", Checkbox).value is False
        await pilot.press("s")
        await pilot.pause()
    assert app.results == [[TILT_UP]]


async def test_the_start_button_starts() -> None:
    app = Host([KNEE_UP])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.click("#levels-start")
        await pilot.pause()
    assert app.results == [[KNEE_UP]]


async def test_keyboard_only_untick_and_start() -> None:
    app = Host([KNEE_UP, TILT_UP])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.focused, Button)  # Start is focused: enter starts
        await pilot.press("tab", "tab", "space")  # to the second checkbox, untick it
        await pilot.pause()
        assert app.screen.query_one("#levels-up-1", Checkbox).value is False
        await pilot.press("s")
        await pilot.pause()
    assert app.results == [[KNEE_UP]]


async def test_only_step_downs_start_with_nothing_to_store() -> None:
    app = Host([BRIDGES_DOWN])
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        assert not app.screen.query(Checkbox)
        assert "Bridges: 12 reps -> 11 reps" in screen_text(app)
        await pilot.press("enter")  # on the focused Start button
        await pilot.pause()
    assert app.results == [[]]
