"""The history of sessions: a SQLite file in the data dir, written as a session goes.

- :func:`open_history` opens (creates, migrates) it, or raises :class:`HistoryUnavailable`
  with a message for the user; the file is then left exactly as it is.
- :class:`Recorder` is the runner listener that writes a session; :class:`NullRecorder` has
  the same methods and writes nothing; :func:`start_recorder` gives one or the other.
- :func:`find_resumable` finds an interrupted session to offer to resume.
"""

from __future__ import annotations

from backtimer.history.db import (
    SCHEMA_VERSION,
    HistoryDB,
    HistoryUnavailable,
    history_path,
    open_history,
)
from backtimer.history.queries import Resumable, find_resumable
from backtimer.history.recorder import NullRecorder, Recorder, start_recorder

__all__ = [
    "SCHEMA_VERSION",
    "HistoryDB",
    "HistoryUnavailable",
    "NullRecorder",
    "Recorder",
    "Resumable",
    "find_resumable",
    "history_path",
    "open_history",
    "start_recorder",
]
