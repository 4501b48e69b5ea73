"""``history --json`` and ``--csv`` carry every recorded field."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta, timezone

import pytest
from history_driver import DAILY_TOML, entry_for, record_session, write_routine

from backtimer.cli.main import main
from backtimer.history import open_history
from backtimer.history.export import CSV_COLUMNS, csv_rows, write_csv, write_json

TZ = timezone(timedelta(hours=1))

SESSION_KEYS = {
    "id",
    "routine",
    "routine_key",
    "origin",
    "path",
    "sha256",
    "level",
    "started_at",
    "ended_at",
    "day",
    "utc_offset",
    "status",
    "recorded_status",
    "active_seconds",
    "plan_steps",
    "resume_index",
    "resume_step",
    "resumes",
    "steps",
    "pauses",
    "pain_events",
    "planned",
}


@pytest.fixture
def data_dir(tmp_path):
    entry = entry_for(write_routine(tmp_path / "routines", DAILY_TOML, "daily"))
    data = tmp_path / "data"
    with open_history(data) as db:
        start = datetime(2024, 3, 4, 18, 0, tzinfo=TZ)
        record_session(db, entry, start, pause_at=2)
        record_session(
            db,
            entry,
            start + timedelta(days=1),
            pain_at=9,
            pain=("hip", 4, 'pulls, "a bit"\nthen eases'),
        )
        record_session(db, entry, start + timedelta(days=2), interrupt_at=0)  # no step kept
    return data


def _columns(db, table: str) -> set[str]:
    return {row[1] for row in db.conn.execute(f"PRAGMA table_info({table})")}


def test_json_has_every_field_of_every_table(data_dir):
    out = io.StringIO()
    with open_history(data_dir) as db:
        count = write_json(db, out)
        sessions = json.loads(out.getvalue())
        assert count == len(sessions) == 3
        first, second, third = sessions
        assert set(first) == SESSION_KEYS
        # Every column of every table is there (renamed where SQL needs it).
        assert _columns(db, "sessions") - {"pid", "process", "status"} <= set(first)
        step_cols = {"set" if c == "set_no" else c for c in _columns(db, "steps")}
        step_cols = {"index" if c == "step_index" else c for c in step_cols}
        assert step_cols - {"id", "session_id"} == set(first["steps"][0])
        assert _columns(db, "pauses") - {"id", "session_id"} == set(first["pauses"][0])
        pain_cols = {
            {"set_no": "set", "location": "where"}.get(c, c) for c in _columns(db, "pain_events")
        }
        assert pain_cols - {"id", "session_id"} == set(second["pain_events"][0])
        assert _columns(db, "planned_work") - {"session_id"} == set(first["planned"][0])
        # The values are the stored ones.
        row = db.conn.execute(
            "SELECT step_index, phase, exercise_index, exercise, side, set_no, rep, "
            "planned_seconds, actual_seconds, status, started_at, ended_at FROM steps "
            "WHERE session_id = ? AND step_index = 1",
            (first["id"],),
        ).fetchone()
    step = first["steps"][1]
    assert tuple(step.values()) == row
    assert [s["index"] for s in first["steps"]] == list(range(30))
    assert first["status"] == "completed" and first["level"] == "low"
    assert first["started_at"] == "2024-03-04T17:00:00.000Z" and first["day"] == "2024-03-04"
    assert first["utc_offset"] == 3600
    assert first["pauses"][0]["reason"] == "user" and first["pauses"][0]["ended_at"]
    assert first["resume_step"] == {
        "phase": "hold",
        "exercise_index": 2,
        "exercise": "Cat-cow",
        "side": None,
        "set": 1,
        "rep": 2,
    }
    assert {p["side"]: p["reps"] for p in first["planned"] if p["exercise_index"] == 0} == {
        "right": 3,
        "left": 3,
    }
    pain = second["pain_events"][0]
    assert pain["where"] == "hip" and pain["severity"] == 4
    assert pain["note"] == 'pulls, "a bit"\nthen eases'
    assert (pain["exercise"], pain["side"], pain["set"], pain["rep"]) == (
        "Knee to chest",
        "left",
        1,
        2,
    )
    assert second["status"] == "pain_stopped"
    assert third["status"] == "interrupted" and third["steps"] == []


def test_csv_one_row_per_step_and_per_pain_event(data_dir):
    out = io.StringIO()
    with open_history(data_dir) as db:
        count = write_csv(db, out)
        steps = db.conn.execute("SELECT COUNT(*) FROM steps").fetchone()[0]
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert count == len(rows) == steps + 1 + 1  # + the pain event + the empty session
    kinds = [r["record"] for r in rows]
    assert kinds.count("step") == steps and kinds.count("pain") == 1
    assert kinds[-1] == "session"
    (pain,) = [r for r in rows if r["record"] == "pain"]
    assert pain["note"] == 'pulls, "a bit"\nthen eases'  # quoted, newline kept
    assert (pain["where"], pain["severity"], pain["side"], pain["rep"]) == ("hip", "4", "left", "2")
    assert pain["session_status"] == "pain_stopped" and pain["step_status"] == ""
    first = rows[0]
    assert first["session_id"] == "1" and first["routine"] == "Daily back care"
    assert first["step_index"] == "0" and first["phase"] == "get_ready"
    assert first["session_started_at"] == "2024-03-04T17:00:00.000Z"
    # The session's fields repeat on every one of its rows.
    same = [r for r in rows if r["session_id"] == "1"]
    assert len({(r["routine"], r["sha256"], r["session_status"]) for r in same}) == 1


def test_cli_exports_with_since(data_dir, capsys):
    assert main(["history", "--json", "--data-dir", str(data_dir), "--since", "2024-03-05"]) == 0
    sessions = json.loads(capsys.readouterr().out)
    assert [s["day"] for s in sessions] == ["2024-03-05", "2024-03-06"]
    assert main(["history", "--csv", "--data-dir", str(data_dir), "--since", "2024-03-06"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 2 and rows[1][0] == "session"


def test_empty_history_exports(tmp_path, capsys):
    assert main(["history", "--json", "--data-dir", str(tmp_path / "none")]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["history", "--csv", "--data-dir", str(tmp_path / "none")]) == 0
    assert capsys.readouterr().out.strip() == ",".join(CSV_COLUMNS)
    assert not (tmp_path / "none").exists()


def test_since_is_a_local_date(data_dir, capsys):
    main(["history", "--json", "--data-dir", str(data_dir), "--since", str(date(2024, 3, 6))])
    assert len(json.loads(capsys.readouterr().out)) == 1


def test_csv_fast_path_matches_the_csv_module_even_with_odd_text(data_dir):
    with open_history(data_dir) as db:
        db.conn.execute(
            "UPDATE steps SET exercise = 'Knee, \"to\"\nchest' WHERE session_id = 1"
        )  # a line break: that session takes the plain way
        db.conn.execute("UPDATE steps SET exercise = 'Cat, \"cow\"' WHERE session_id = 2")
        fast = io.StringIO()
        write_csv(db, fast)
        plain = io.StringIO()
        writer = csv.writer(plain, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows(csv_rows(db))
    assert fast.getvalue() == plain.getvalue()
    rows = list(csv.DictReader(io.StringIO(fast.getvalue())))
    assert rows[0]["exercise"] == 'Knee, "to"\nchest'
    assert {r["exercise"] for r in rows if r["session_id"] == "2"} >= {'Cat, "cow"'}


def test_per_exercise_levels_are_an_object_not_a_string_of_json(tmp_path):
    entry = entry_for(write_routine(tmp_path / "routines", DAILY_TOML, "daily"))
    data = tmp_path / "data"
    start = datetime(2024, 3, 4, 18, 0, tzinfo=TZ)
    with open_history(data) as db:
        record_session(db, entry, start, level={0: "high", 1: "low"})
        record_session(db, entry, start + timedelta(days=1))
        db.conn.execute("UPDATE sessions SET level = '{broken' WHERE id = 2")
        out = io.StringIO()
        write_json(db, out)
    first, second = json.loads(out.getvalue())
    assert first["level"] == {"0": "high", "1": "low"}
    assert second["level"] == "{broken"
