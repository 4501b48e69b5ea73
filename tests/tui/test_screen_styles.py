"""Each screen's rules join the app's stylesheet when it is first shown, not at the start:
the dialogs' (parsing them all was about a twentieth of the work before a session's first
frame), the picker's and the session's (at a first start ever, with nothing parsed kept,
the picker parsed the session's rules and a session the picker's)."""

from __future__ import annotations

from pathlib import Path

from snapshot_apps.common import SHORT, build_app, started
from textual.color import Color

import backtimer.tui
from backtimer.files import catalog
from backtimer.tui.screens.confirm import ConfirmScreen
from backtimer.tui.screens.help import HelpScreen
from backtimer.tui.screens.pain import PainScreen
from backtimer.tui.screens.picker import PickerScreen
from backtimer.tui.screens.remote import RemoteScreen
from backtimer.tui.screens.session import SessionScreen
from backtimer.tui.screens.summary import SummaryScreen

SESSION_TCSS = Path(backtimer.tui.__file__).parent / "screens" / "session.tcss"
PICKER_TCSS = SESSION_TCSS.with_name("picker.tcss")
DIALOGS = (PainScreen, ConfirmScreen, HelpScreen, SummaryScreen, RemoteScreen)


def app_colour(name: str) -> str:
    """A colour variable of the session's rules: ``$stopped: #a8322d;`` -> ``#a8322d``."""
    for line in SESSION_TCSS.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"${name}:"):
            return line.split(":", 1)[1].strip().rstrip(";")
    raise AssertionError(name)


def sources(app) -> set[str]:
    return {name for _, name in app.stylesheet.source}


def files(app) -> set[str]:
    """The files of rules in the app's stylesheet."""
    return {path for path, name in app.stylesheet.source if not name}


async def test_a_session_starts_without_the_dialogs_rules(short) -> None:
    async with started(short) as (app, _pilot, _clock):
        assert type(app.screen).__name__ == "SessionScreen"
        assert not sources(app) & {f"{dialog.__name__}.STYLES" for dialog in DIALOGS}
        # The session's own rules are there from the start (screens/session.tcss), and
        # not the picker's.
        assert str(SESSION_TCSS) in files(app)
        assert str(PICKER_TCSS) not in files(app)
        assert app.screen.query_one("#phase-band").styles.height is not None


async def test_a_dialog_is_styled_when_it_is_first_shown(short) -> None:
    async with started(short) as (app, pilot, _clock):
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, PainScreen)
        assert "PainScreen.STYLES" in sources(app)
        dialog = app.screen.query_one("#pain-dialog")
        assert dialog.styles.width is not None and dialog.styles.width.value == 76
        # Its own $stopped: the colour of the session's stopped phase.
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


async def test_the_picker_starts_without_the_sessions_rules_which_come_with_a_session(
    user_routines: Path,
) -> None:
    (user_routines / "short.toml").write_text(SHORT, encoding="utf-8")
    app = build_app(None, entries=catalog.user)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        assert str(PICKER_TCSS) in files(app)
        assert str(SESSION_TCSS) not in files(app)
        routines = app.screen.query_one("#routines")
        assert routines.styles.width is not None and routines.styles.width.value == 40
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        assert str(SESSION_TCSS) in files(app)
        # Styled by them as a session started alone is (app.tcss had them all).
        band = app.screen.query_one("#phase-band")
        assert band.styles.background == Color.parse(app_colour("get-ready"))
        phase = app.screen.query_one("#phase")
        assert phase.styles.height is not None and phase.styles.height.value == 3
        # Added once, however many sessions are shown.
        added = app.stylesheet.source[(str(SESSION_TCSS), "")]
        count = len(files(app))
        await pilot.press("q", "y")
        await pilot.pause()
        await pilot.press("enter")  # the summary closes: the picker again
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        assert app.stylesheet.source[(str(SESSION_TCSS), "")] is added
        assert len(files(app)) == count


def looks(screen) -> dict[str, tuple[object, ...]]:
    """What the rules give each widget of ``screen`` with an id."""
    return {
        widget.id: (
            widget.styles.background,
            widget.styles.color,
            widget.styles.height,
            widget.styles.margin,
            widget.styles.padding,
            widget.styles.display,
        )
        for widget in screen.query("*")
        if widget.id
    }


async def test_a_theme_changed_in_the_picker_styles_the_session_as_at_start(
    user_routines: Path,
) -> None:
    """The settings screen's theme, saved in the picker (Textual parses every source again
    with the new colours), then a session: its rules join with the new colours, as when
    the app starts with that theme."""
    from backtimer.files.config import Config

    (user_routines / "short.toml").write_text(SHORT, encoding="utf-8")
    seen = []
    for changed in (True, False):
        config = Config() if changed else Config(theme="nord")
        app = build_app(None, entries=catalog.user, config=config)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            if changed:
                app.apply_settings(Config(theme="nord"))
                await pilot.pause()
            assert app.theme == "nord"
            picker = looks(app.screen)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, SessionScreen)
            seen.append((picker, looks(app.screen)))
    assert seen[0] == seen[1]
    assert seen[0][1]["top"][0] != Color.parse("#000000")  # styled: the theme's $panel
