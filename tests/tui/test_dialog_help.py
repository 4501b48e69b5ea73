"""``?`` opens the help from a dialog too: a modal screen keeps the app's own keys from the
app, so each dialog binds it again (the command table's "dialogs" section)."""

from __future__ import annotations

import pytest
from snapshot_apps.common import SHORT, FakeClock, build_app, write_routine
from textual.widgets import Input

from backtimer.core.routine import LevelChoice
from backtimer.history.levels import LevelChange
from backtimer.tui.screens.confirm import ConfirmScreen
from backtimer.tui.screens.help import HelpScreen
from backtimer.tui.screens.levels import LevelOfferScreen
from backtimer.tui.screens.pain import PainScreen

UP = LevelChange(
    0, "Knee to chest", "up", LevelChoice(hold=10), LevelChoice(hold=15), "hold 10s -> 15s", "x"
)


@pytest.mark.parametrize("dialog", ["levels", "confirm", "pain"])
async def test_question_mark_opens_help_over_a_dialog(tmp_path, dialog: str) -> None:
    entry = write_routine(tmp_path, SHORT)
    app = build_app(entry, clock=FakeClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        if dialog == "levels":
            app.push_screen(LevelOfferScreen([UP]))
            kind: type = LevelOfferScreen
        elif dialog == "confirm":
            await pilot.press("q")  # "End the session?"
            kind = ConfirmScreen
        else:
            await pilot.press("x")
            kind = PainScreen
        await pilot.pause()
        assert isinstance(app.screen, kind)
        app.screen.set_focus(None)  # a text field would take the "?" as text
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")  # help's own ? closes it
        await pilot.pause()
        assert isinstance(app.screen, kind)


async def test_a_question_mark_typed_in_a_dialogs_text_field_is_text(tmp_path) -> None:
    entry = write_routine(tmp_path, SHORT)
    app = build_app(entry, clock=FakeClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        note = app.screen.query_one("#pain-note", Input)
        note.focus()
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, PainScreen)
        assert note.value == "?"
