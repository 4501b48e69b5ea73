"""The history screen over fixed synthetic data, with a fixed "today" (for the SVG snapshot).

Three weeks of March 2024 written through the real recorder (fake clock, UTC+1): most days
a completed session, a pain stop, an early end, an interruption, a few days missed.
"""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from history_driver import DAILY_TOML, entry_for, record_session, write_routine
from textual.app import App

from backtimer.history import open_history
from backtimer.tui.screens.history import HistoryScreen

TODAY = date(2024, 3, 28)
TZ = timezone(timedelta(hours=1))
SCHEDULE = {
    0: {},
    1: {},
    2: {},
    4: {"pain_at": 20, "pain": ("lower back", 6, "sharp when lifting")},
    5: {},
    6: {"end_at": 14},
    8: {},
    9: {"pause_at": 3},
    11: {"pain_at": 5, "pain": ("hip", 3, None), "after_pain": "resume"},
    12: {},
    14: {"interrupt_at": 8},
    15: {},
    16: {},
    17: {},
}


def build(folder: Path):
    entry = entry_for(write_routine(folder / "routines", DAILY_TOML, "daily"))
    db = open_history(folder / "data")
    first = TODAY - timedelta(days=17)
    for offset, options in SCHEDULE.items():
        day = first + timedelta(days=offset)
        start = datetime(day.year, day.month, day.day, 7, 30 + offset, tzinfo=TZ)
        record_session(db, entry, start, **options)
    return db


class HistorySnapshotApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        folder = Path(tempfile.mkdtemp(prefix="bt-history-snap-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        self.db = build(folder)

    def on_mount(self) -> None:
        self.push_screen(HistoryScreen(db=self.db, today=TODAY))


app = HistorySnapshotApp()


if __name__ == "__main__":
    app.run()
