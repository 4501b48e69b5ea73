"""The app tells the person when recording falls behind (another program holds the history's
write lock), when it has caught up, and the summary never claims what the history does not
hold; the session is written in full once the lock is released."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from snapshot_apps.common import SHORT, FakeClock, advance, build_app, write_routine

from backtimer.history import open_history
from backtimer.history import queries as q
from backtimer.tui.screens.summary import SummaryScreen

SIZE = (80, 24)


def _messages(app) -> list[str]:  # type: ignore[no-untyped-def]
    """Toasts, and the lines the session screen shows instead of toasts while it runs."""
    said = [str(n.message) for n in app._notifications]
    session = app.current_session
    if session is not None:
        said += [str(notice[0]) for notice in session._notices]
    return said


async def test_recording_behind_is_shown_and_the_summary_says_so(tmp_path: Path) -> None:
    entry = write_routine(tmp_path, SHORT)
    data = tmp_path / "data"
    open_history(data).close()
    blocker = sqlite3.connect(data / "history.sqlite3", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
    clock = FakeClock()
    app = build_app(entry, clock=clock, record=True, data_dir=data)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            advance(app, clock, 3)
            recorder = app.launches[0].recorder
            started = time.monotonic()
            while not any(m.startswith("Recording is behind") for m in _messages(app)):
                assert time.monotonic() - started < 20, recorder.status()
                await asyncio.sleep(0.1)
            for _ in range(400):
                if not app.session_screen or not app.session_screen.live:
                    break
                advance(app, clock, 0.25)
            await pilot.pause()
            assert isinstance(app.screen, SummaryScreen)
            note = str(app.screen.query_one("#summary-recording").render())
            assert "Not all of this is in the history yet" in note
            blocker.execute("ROLLBACK")
            started = time.monotonic()
            while not any(m.startswith("History caught up") for m in _messages(app)):
                assert time.monotonic() - started < 20, recorder.status()
                await asyncio.sleep(0.1)
    finally:
        if blocker.in_transaction:
            blocker.execute("ROLLBACK")
        blocker.close()
    assert app.exit_notes == []  # everything was written: nothing to say at exit
    with open_history(data, create=False) as db:
        (session,) = q.list_sessions(db)
        assert session.status == "completed"
        assert session.resume_index == len(app.launches[0].plan.steps)
