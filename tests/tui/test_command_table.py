"""Every screen's bindings come from the command table (backtimer.session.commands)."""

from __future__ import annotations

from textual.binding import Binding

from backtimer.session.commands import commands
from backtimer.tui.app import BacktimerApp
from backtimer.tui.screens.confirm import ConfirmScreen
from backtimer.tui.screens.help import HelpScreen, sections
from backtimer.tui.screens.history import HistoryScreen
from backtimer.tui.screens.levels import LevelOfferScreen, OfferList
from backtimer.tui.screens.pain import PainScreen
from backtimer.tui.screens.picker import NewRoutineScreen, PickerScreen, RoutineList
from backtimer.tui.screens.remote import RemoteScreen
from backtimer.tui.screens.session import SessionScreen
from backtimer.tui.screens.settings import SettingsScreen, known_binding_ids
from backtimer.tui.screens.summary import SummaryScreen

SCREENS = {
    "app": BacktimerApp,
    "session": SessionScreen,
    "picker": PickerScreen,
    "routine_list": RoutineList,
    "pain": PainScreen,
    "summary": SummaryScreen,
    "new_routine": NewRoutineScreen,
    "levels": LevelOfferScreen,
    "levels_list": OfferList,
    "remote": RemoteScreen,
    "history": HistoryScreen,
    "settings": SettingsScreen,
    "confirm": ConfirmScreen,
    "help": HelpScreen,
}


#: The modal screens: the app's own keys do not reach the app from them.
DIALOGS = ("pain", "levels", "remote", "confirm", "new_routine")


def test_every_screens_bindings_are_the_tables() -> None:
    seen = set()
    for where, cls in SCREENS.items():
        bound = [b for b in cls.BINDINGS if isinstance(b, Binding)]
        table = commands(where)
        if where in DIALOGS:  # a modal screen: the dialogs' own keys (help) come after its own
            table = (*table, *commands("dialogs"))
        assert [(b.id, b.key, b.action, b.tooltip) for b in bound] == [
            (k.id, k.keys, k.action, k.description) for k in table
        ], where
        seen |= {b.id for b in bound}
    assert seen == known_binding_ids()


def test_help_lists_the_table_without_importing_screens() -> None:
    titles = [title for title, _ in sections()]
    assert titles[:2] == ["Everywhere", "During a session"]
    assert sum(len(b) for _, b in sections()) >= 30
