"""The history screen: Pilot tests and an SVG snapshot at 80x24."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import DataTable, Static, TabbedContent

from backtimer.history import open_history
from backtimer.tui.screens.history import HistoryScreen, chart

SNAPSHOT_APP = Path(__file__).resolve().parent.parent / "snapshot_apps" / "history_app.py"


def _import_snapshot_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("history_app", SNAPSHOT_APP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Host(App[None]):
    def __init__(self, screen: HistoryScreen) -> None:
        super().__init__()
        self.history = screen
        self.closed = False

    def on_mount(self) -> None:
        def done(_: None) -> None:
            self.closed = True

        self.push_screen(self.history, callback=done)


def _text(widget: Static) -> str:
    return str(widget.render())


async def test_the_screen_shows_the_history(tmp_path):
    module = _import_snapshot_module()
    db = module.build(tmp_path)
    host = Host(HistoryScreen(db=db, today=module.TODAY))
    async with host.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = host.screen
        assert isinstance(screen, HistoryScreen)
        summary = _text(screen.query_one("#history-summary", Static))
        assert "14 sessions" in summary and "streak 4 days" in summary
        assert "2 pain events" in summary
        box = screen.query_one("#history-chart", Static)
        assert box.border_title == "Minutes per day, last 4 weeks"
        sessions = screen.query_one("#history-sessions", DataTable)
        assert sessions.row_count == 14 and sessions.has_focus
        newest = [str(c) for c in sessions.get_row_at(0)]
        assert newest[:4] == ["2024-03-28", "07:47", "Daily back care", "completed"]
        statuses = {str(sessions.get_row_at(i)[3]) for i in range(14)}
        assert statuses == {"completed", "pain stop", "ended early", "interrupted"}

        await pilot.press("p")
        await pilot.pause()
        assert screen.query_one(TabbedContent).active == "tab-pain"
        pain = screen.query_one("#history-pain", DataTable)
        assert pain.row_count == 2 and pain.has_focus
        first = [str(c) for c in pain.get_row_at(0)]
        assert first[1:5] == ["Knee to chest", "right 1·3", "hip", "3/10"]
        assert first[0].startswith("2024-03-22 07:")
        second = [str(c) for c in pain.get_row_at(1)]
        assert second[2:6] == ["- 2·1", "lower back", "6/10", "sharp when lifting"]

        await pilot.press("e")
        await pilot.pause()
        exercises = screen.query_one("#history-exercises", DataTable)
        rows = [[str(c) for c in exercises.get_row_at(i)] for i in range(exercises.row_count)]
        assert [r[0] for r in rows] == ["Knee to chest", "Bridges", "Cat-cow"]
        assert rows[0][1] == "42/42 100%" and rows[0][2] == "40/42  95%"
        assert rows[1][1:3] == ["-", "-"]

        await pilot.press("escape")
        await pilot.pause()
        assert host.closed and not isinstance(host.screen, HistoryScreen)
    db.close()


async def test_an_empty_history(tmp_path):
    host = Host(HistoryScreen(data_dir=tmp_path / "none", today=date(2024, 1, 1)))
    async with host.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = host.screen
        assert "0 sessions" in _text(screen.query_one("#history-summary", Static))
        assert screen.query_one("#history-sessions", DataTable).row_count == 0
        notes = [_text(s) for s in screen.query(".history-note").results(Static)]
        assert any("No sessions yet" in n for n in notes)
    assert not (tmp_path / "none").exists()


async def test_an_unavailable_history_says_why(tmp_path):
    path = tmp_path / "history.sqlite3"
    junk = os.urandom(512)
    path.write_bytes(junk)
    host = Host(HistoryScreen(data_dir=tmp_path))
    async with host.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        message = _text(host.screen.query_one("#history-problem", Static))
        assert "cannot be shown" in message and "not a SQLite database" in message
        await pilot.press("escape")
        await pilot.pause()
        assert host.closed
    assert path.read_bytes() == junk


async def test_routine_text_is_shown_literally(tmp_path):
    with open_history(tmp_path) as db:
        db.conn.execute(
            "INSERT INTO sessions (routine, routine_key, origin, path, sha256, level, "
            "started_at, day, utc_offset, status, plan_steps, active_seconds) VALUES "
            "('[bold red]x[/] \x1b[2J', 'k', 'path', '/x', '', 'low', "
            "'2024-01-01T08:00:00.000Z', '2024-01-01', 0, 'completed', 3, 60)"
        )
    host = Host(HistoryScreen(data_dir=tmp_path, today=date(2024, 1, 1)))
    async with host.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        cell = host.screen.query_one("#history-sessions", DataTable).get_row_at(0)[2]
        assert str(cell) == "[bold red]x[/] \\x1b[2J"


def test_chart_bars_pain_marks_and_labels():
    today = date(2024, 3, 28)
    days = [(today - timedelta(days=27 - i), 0.0, 0) for i in range(28)]
    days[27] = (today, 10.0, 0)  # the scale's top
    days[20] = (days[20][0], 5.0, 2)
    days[0] = (days[0][0], 0.1, 0)
    lines = chart(days, today).plain.splitlines()
    assert len(lines) == 7
    assert lines[0].startswith("10 │") and lines[4].startswith(" 0 │")
    col = lambda i: 4 + 2 * i  # noqa: E731 - after "10 │"
    assert [line[col(27)] for line in lines[:5]] == ["█"] * 5
    assert [line[col(20)] for line in lines[:5]] == [" ", " ", "▄", "█", "█"]
    assert lines[4][col(0)] == "▁"  # a short session still shows
    assert lines[4][col(1)] == " "
    assert lines[5][col(20)] == "!" and lines[5].count("!") == 1
    assert lines[6][col(0) :].startswith("Mar 01") and lines[6].rstrip().endswith("today")


def test_snapshot_80x24(snap_compare):
    assert snap_compare(SNAPSHOT_APP, terminal_size=(80, 24))


@pytest.mark.parametrize("size", [(120, 40), (60, 20)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_sizes(snap_compare, size):
    """The chart fills the box at every width (today at the right end)."""
    assert snap_compare(SNAPSHOT_APP, terminal_size=size)


@pytest.mark.parametrize("size", [(120, 40), (80, 24), (60, 20)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_pain_tab(snap_compare, size):
    """Pain events with their notes whole (wrapped), the highlighted one in full below."""
    assert snap_compare(SNAPSHOT_APP, terminal_size=size, press=["p"])


@pytest.mark.parametrize("width", [56, 60, 76, 116])
def test_the_chart_fills_its_width(width):
    today = date(2024, 3, 28)
    days = [(today - timedelta(days=27 - i), 10.0, 0) for i in range(28)]
    lines = chart(days, today, width).plain.splitlines()
    assert all(len(line) <= width for line in lines)
    bars = lines[0]
    # Today's bar ends within two columns of the right edge; the dates end with "today".
    assert len(bars.rstrip()) >= width - 2
    assert lines[-1].rstrip().endswith("today") and len(lines[-1].rstrip()) >= width - 3
    assert lines[-1].lstrip().startswith("Mar 01")
    assert bars.count("█") >= 28  # every day drawn, none lost in the axis
