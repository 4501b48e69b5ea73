"""Small messages passed between the app's screens (Textual messages, plain dataclasses).

Screens never call the app or each other by name: they post one of these and the app, which
built them, decides what comes next. :class:`PainDetails` (what a pain stop records) is plain
data from :mod:`backtimer.session.safety`, re-exported here for the screens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from backtimer.files.catalog import Entry
from backtimer.session.safety import PainChoice as PainChoice
from backtimer.session.safety import PainDetails as PainDetails

if TYPE_CHECKING:
    from backtimer.files.config import Config
    from backtimer.session.tally import Tally


@dataclass
class StartRoutine(Message):
    """The picker asks the app to start a session of this routine (``remote``: with the
    phone remote)."""

    entry: Entry
    remote: bool = False


@dataclass
class SessionOver(Message):
    """A session finished or ended early: the app shows its summary."""

    tally: Tally
    routine_name: str
    entry: Entry | None


@dataclass
class SummaryClosed(Message):
    """The summary is done with: back to the routines (if the session came from them), or
    quit."""


@dataclass
class SettingsSaved(Message):
    """The settings screen saved these settings: the app applies them."""

    config: Config
