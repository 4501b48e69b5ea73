"""Damaged values in history rows give a message and the rest of the history, in every view
and export; exports are safe to open (CSV formulas neutralised, Markdown escaped, no raw
control characters); ``--since`` far in the past behaves."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from history_driver import DAILY_TOML, entry_for, record_session, write_routine

from backtimer.cli.main import main
from backtimer.core.progression import DEFAULT_SESSIONS
from backtimer.history import open_history
from backtimer.history import queries as q
from backtimer.history.export import csv_cell, write_csv, write_json
from backtimer.history.report import build_report, md
from backtimer.tui.screens.history import load

TZ = timezone(timedelta(hours=2))
DAY = date(2024, 4, 1)
NASTY = '=HYPERLINK("http://x")\x1b]0;pwned\x07\x9b31m'


@pytest.fixture
def data(tmp_path: Path) -> Path:
    routine = write_routine(tmp_path / "routines", DAILY_TOML, "daily")
    entry = entry_for(routine)
    folder = tmp_path / "data"
    with open_history(folder) as db:
        for i in range(5):
            record_session(
                db,
                entry,
                datetime(2024, 4, 1 + i, 7, 30, tzinfo=TZ),
                pain_at=3 if i == 4 else None,
                pain=("-lower back", 4, "~~sharp~~ &amp; |x| `y`\x1b[31m"),
            )
    return folder


def _damage(folder: Path) -> None:
    conn = sqlite3.connect(folder / "history.sqlite3", isolation_level=None)
    conn.executescript(
        """
        UPDATE sessions SET started_at = 'not a date' WHERE id = 2;
        UPDATE sessions SET utc_offset = 1000000000000 WHERE id = 3;
        UPDATE sessions SET active_seconds = 'lots', resume_step = '{broken' WHERE id = 4;
        UPDATE pain_events SET session_second = 'a while';
        """
    )
    conn.execute("UPDATE sessions SET routine = ? WHERE id = 1", (NASTY,))
    conn.execute("UPDATE sessions SET day = ? WHERE id = 5", ("2024-13-45",))
    conn.close()


def test_every_view_gives_a_message_and_the_rest(data: Path) -> None:
    _damage(data)
    with open_history(data, create=False) as db:
        sessions = q.list_sessions(db)
        assert [s.id for s in sessions] == [1]  # 2, 3, 4 and 5 are damaged
        assert len(db.notes) == 4
        assert any("started_at = 'not a date'" in n for n in db.notes)
        assert any("utc_offset" in n for n in db.notes)
        assert any("active_seconds = 'lots'" in n for n in db.notes)
        assert all("left out" in n and "\x1b" not in n for n in db.notes)
        q.minutes_per_day(db, DAY, DAY + timedelta(days=6))
        q.pain_days(db, DAY, DAY + timedelta(days=6))
        q.streak(db, DAY + timedelta(days=5))
        q.completion(db)
        assert q.pain_events(db) == []  # its session_second is damaged
        assert any("pain event" in n for n in db.notes)
        # The history screen's data.
        screen = load(db, DAY + timedelta(days=5))
        assert [s.id for s in screen.sessions] == [1]
        # The report: the rest, and the notes at the end.
        text = build_report(db, since=DAY, until=DAY + timedelta(days=6))
        assert "## Notes" in text and "damaged value" in text
        assert "\x1b" not in text and "\x9b" not in text
    # The exports keep every row, values as they are.
    with open_history(data, create=False) as db:
        out = io.StringIO()
        assert write_json(db, out) == 5
        rows = json.loads(out.getvalue())
        assert rows[3]["resume_step"] == "{broken"
        assert rows[0]["routine"] == NASTY  # the same value, escaped in the JSON text
        assert "\x1b" not in out.getvalue() and "\x9b" not in out.getvalue()
        out = io.StringIO()
        write_csv(db, out)
        assert "\x1b" not in out.getvalue() and "\x9b" not in out.getvalue()


def test_the_commands_show_the_rest_with_a_warning(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _damage(data)
    for argv in (
        ["history"],
        ["history", "--json"],
        ["history", "--csv"],
        ["report", "--since", "2024-04-01"],
    ):
        assert main([*argv, "--data-dir", str(data)]) == 0
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err
        assert "\x1b" not in captured.out + captured.err
        if argv == ["history"]:
            assert "damaged value" in captured.err
            assert captured.out.count("2024-04-0") == 1


def test_csv_cells_that_would_be_formulas_are_neutralised(data: Path) -> None:
    _damage(data)
    with open_history(data, create=False) as db:
        out = io.StringIO()
        write_csv(db, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    first = next(r for r in rows if r["session_id"] == "1")
    assert first["routine"].startswith("'=HYPERLINK")
    assert "\\x1b" in first["routine"] and "\\x9b" in first["routine"]
    pain = next(r for r in rows if r["record"] == "pain")
    assert pain["where"] == "'-lower back"
    # Numbers stay numbers: a negative offset is not text.
    assert csv_cell(-3600) == -3600
    for start in "=+-@":
        assert csv_cell(f"{start}1+1") == f"'{start}1+1"
    assert csv_cell("\t=1") == "'\\x09=1" and csv_cell("\r=1") == "'\\x0d=1"
    assert csv_cell("a\nb") == "a\nb"  # a line break in a note stays (the cell is quoted)


def test_the_markdown_report_escapes_user_text() -> None:
    assert md("~~a~~ &amp; |b| `c` <i>") == r"\~\~a\~\~ \&amp; \|b\| \`c\` \<i\>"
    assert md("x\x1b[31my") == "x [31my".replace("[", "\\[")


def test_since_the_first_year_and_the_terminal_screen(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "--since", "0001-01-01", "--data-dir", str(data)]) == 0
    assert capsys.readouterr().out.count("2024-04-0") == 5
    assert main(["report", "--since", "0001-01-01", "--data-dir", str(data)]) == 0
    text = capsys.readouterr().out
    assert "Period: 2024-04-01 to" in text  # from the first session, not from year 1
    assert text.count("| 0001-") == 0
    with open_history(data, create=False) as db:
        screen = load(db, DAY + timedelta(days=4), since=DAY + timedelta(days=3))
        assert [s.day for s in screen.sessions] == ["2024-04-05", "2024-04-04"]
        assert screen.total_sessions == 2 and screen.total_pains == 1


def test_damaged_stored_levels_are_passed_over(
    data: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from backtimer.history.levels import current_levels

    routine = data.parent / "routines" / "daily.toml"
    conn = sqlite3.connect(data / "history.sqlite3", isolation_level=None)
    conn.executemany(
        "INSERT INTO levels VALUES ('daily', ?, ?, ?, ?, ?, '2024-04-01T00:00:00.000Z')",
        [(0, "Knee to chest", "long", 3, 1), ("first", "Bridges", 20, "many", None)],
    )
    conn.close()
    with open_history(data, create=False) as db:
        levels = current_levels(db, entry_for(routine), DEFAULT_SESSIONS)
    assert levels[0].hold == 20  # the damaged hold is passed over: the low end of 20-30s
    monkeypatch.setenv("BACKTIMER_DATA_DIR", str(data))
    assert main(["plan", str(routine), "--level", "current"]) == 0
    assert "Traceback" not in capsys.readouterr().err
