"""Small messages passed between the app's screens, and what a pain stop records.

:class:`PainDetails` is plain data (no Textual) so that a runner listener such as the history
recorder can receive it: after the pain screen closes, the session screen calls
``listener.on_pain_details(details, session)`` on every runner listener that has that method,
*before* it applies the user's choice (end, skip exercise or resume) to the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from textual.message import Message

from backtimer.core.engine import PainStopped
from backtimer.files.catalog import Entry

PainChoice = Literal["end", "skip_exercise", "resume", "mistake"]


@dataclass(frozen=True)
class PainDetails:
    """What the user said on the pain screen (all optional) and what they chose next."""

    choice: PainChoice
    where: str | None = None  # one of the quick picks, e.g. "lower back"
    how_much: int | None = None  # 0-10
    note: str = ""
    event: PainStopped | None = None  # the engine's record: exercise, side, set, rep, second


@dataclass
class StartRoutine(Message):
    """The picker asks the app to start a session of this routine."""

    entry: Entry
