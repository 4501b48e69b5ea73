"""The report names a bundled routine (not a path inside the installed package) and says
"current (per exercise)" for a session at the person's own levels."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from backtimer.history.db import open_history
from backtimer.history.report import build_report

ROUTINES = Path(__file__).resolve().parents[2] / "routines"


def test_a_bundled_routine_is_named_and_its_level_said_in_words(tmp_path: Path) -> None:
    path = ROUTINES / "desk-break.toml"
    with open_history(tmp_path) as db:
        db.conn.execute(
            "INSERT INTO sessions (routine, routine_key, origin, path, sha256, level, "
            "started_at, day, utc_offset, status, plan_steps, active_seconds) VALUES "
            "('Desk break', 'desk-break', 'bundled', ?, '', '{\"0\": {\"hold\": 20}}', "
            "'2024-01-02T08:00:00.000Z', '2024-01-02', 0, 'completed', 3, 60)",
            (str(path),),
        )
        text = build_report(
            db,
            since=date(2024, 1, 1),
            until=date(2024, 1, 31),
            now=datetime(2024, 1, 31, 20, 0, tzinfo=UTC),
        )
    assert "File: bundled routine desk-break · 1 session" in text
    assert "level: current (per exercise)" in text
    assert "custom" not in text and "site-packages" not in text and str(ROUTINES) not in text
