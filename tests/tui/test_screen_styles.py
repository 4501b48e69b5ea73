"""Each dialog's rules join the app's stylesheet when it is first shown, not at the start
(parsing them all was about a twentieth of the work before a session's first frame)."""

from __future__ import annotations

from pathlib import Path

from snapshot_apps.common import started
from textual.color import Color

import backtimer.tui
from backtimer.tui.screens.confirm import ConfirmScreen
from backtimer.tui.screens.help import HelpScreen
from backtimer.tui.screens.pain import PainScreen
from backtimer.tui.screens.remote import RemoteScreen
from backtimer.tui.screens.summary import SummaryScreen

APP_TCSS = Path(backtimer.tui.__file__).parent / "app.tcss"
DIALOGS = (PainScreen, ConfirmScreen, HelpScreen, SummaryScreen, RemoteScreen)


def app_colour(name: str) -> str:
    """A colour variable of app.tcss: ``$stopped: #a8322d;`` -> ``#a8322d``."""
    for line in APP_TCSS.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"${name}:"):
            return line.split(":", 1)[1].strip().rstrip(";")
    raise AssertionError(name)


def sources(app) -> set[str]:
    return {name for _, name in app.stylesheet.source}


async def test_a_session_starts_without_the_dialogs_rules(short) -> None:
    async with started(short) as (app, _pilot, _clock):
        assert type(app.screen).__name__ == "SessionScreen"
        assert not sources(app) & {f"{dialog.__name__}.STYLES" for dialog in DIALOGS}
        # The session's own rules are there from the start (app.tcss).
        assert app.screen.query_one("#phase-band").styles.height is not None


async def test_a_dialog_is_styled_when_it_is_first_shown(short) -> None:
    async with started(short) as (app, pilot, _clock):
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, PainScreen)
        assert "PainScreen.STYLES" in sources(app)
        dialog = app.screen.query_one("#pain-dialog")
        assert dialog.styles.width is not None and dialog.styles.width.value == 76
        # Its own $stopped: the colour of the session's stopped phase in app.tcss.
        assert dialog.styles.border_top[1] == Color.parse(app_colour("stopped"))
        # Added once, however often it is shown.
        count = len(app.stylesheet.source)
        app.pop_screen()
        await pilot.press("x")
        await pilot.pause()
        assert len(app.stylesheet.source) == count


def test_every_dialog_has_its_rules() -> None:
    for dialog in DIALOGS:
        assert dialog.STYLES.strip(), dialog.__name__
