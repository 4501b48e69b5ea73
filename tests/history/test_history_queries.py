"""Reading the history: minutes per day, streak, completion, sessions, and resume."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from history_driver import DAILY_TOML, FakeTime, entry_for, record_session, write_routine

from backtimer.core.plan import compile_plan
from backtimer.history import Recorder, find_resumable, open_history
from backtimer.history import queries as q
from backtimer.session.runner import SessionRunner

TZ = timezone(timedelta(hours=-5))
DAY = date(2024, 6, 10)


def at(day: date, hour: int = 8, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


@pytest.fixture
def routine_path(tmp_path):
    return write_routine(tmp_path / "routines", DAILY_TOML, "daily")


@pytest.fixture
def entry(routine_path):
    return entry_for(routine_path)


@pytest.fixture
def db(tmp_path):
    with open_history(tmp_path / "data") as opened:
        yield opened


def test_streak_counts_days_in_a_row_up_to_today_or_yesterday(db, entry):
    for back in (0, 1, 2, 4):
        record_session(db, entry, at(DAY - timedelta(days=back)))
    assert q.streak(db, DAY) == 3
    # Nothing yet today: the streak still stands, up to yesterday.
    assert q.streak(db, DAY + timedelta(days=1)) == 3
    # A day missed breaks it.
    assert q.streak(db, DAY + timedelta(days=2)) == 0
    assert q.streak(db, DAY - timedelta(days=3)) == 1  # the day before, on its own
    assert q.streak(db, DAY - timedelta(days=4)) == 1
    assert q.streak(db, DAY - timedelta(days=5)) == 0


def test_a_session_without_any_hold_done_does_not_count(db, entry):
    record_session(db, entry, at(DAY - timedelta(days=1)))
    record_session(db, entry, at(DAY), end_at=1)  # ended in the first hold
    assert q.streak(db, DAY) == 1
    assert q.active_days(db) == {DAY - timedelta(days=1)}


def test_minutes_per_day_and_pain_days(db, entry):
    plan = compile_plan(entry.routine, "low")
    record_session(db, entry, at(DAY, 7))
    record_session(db, entry, at(DAY, 19), pain_at=10)
    record_session(db, entry, at(DAY - timedelta(days=2)))
    minutes = q.minutes_per_day(db, DAY - timedelta(days=3), DAY)
    assert list(minutes) == [DAY - timedelta(days=n) for n in (3, 2, 1, 0)]
    full = plan.total_seconds / 60
    second = (plan.offset(10) + 1.0) / 60
    assert minutes[DAY] == pytest.approx(full + second)
    assert minutes[DAY - timedelta(days=2)] == pytest.approx(full)
    assert minutes[DAY - timedelta(days=1)] == 0
    assert q.pain_days(db, DAY - timedelta(days=3), DAY) == {DAY: 1}


def test_late_evening_sessions_count_on_their_local_day(db, entry):
    record_session(db, entry, at(DAY, 23, 30))  # 04:30 UTC the next day
    (s,) = q.list_sessions(db)
    assert s.day == DAY.isoformat() and s.started_at.startswith("2024-06-11T04:30")
    assert q.minutes_per_day(db, DAY, DAY)[DAY] > 0


def test_completion_per_exercise_and_side(db, entry):
    plan = compile_plan(entry.routine, "low")
    record_session(db, entry, at(DAY - timedelta(days=1)))
    # Skip the second right-side hold, end in Bridges.
    right_holds = [s.index for s in plan.steps if s.side == "right" and s.is_work]
    bridges = [s.index for s in plan.steps if s.exercise == "Bridges" and s.is_work]
    record_session(db, entry, at(DAY), skip=(right_holds[1],), end_at=bridges[4])
    rows = {(c.exercise, c.side): c for c in q.completion(db)}
    assert list(rows) == [
        ("Knee to chest", "right"),
        ("Knee to chest", "left"),
        ("Bridges", None),
        ("Cat-cow", None),
    ]
    right = rows[("Knee to chest", "right")]
    assert (right.planned, right.done, right.skipped, right.sessions) == (6, 5, 1, 2)
    assert right.percent == pytest.approx(500 / 6)
    assert (rows[("Knee to chest", "left")].done, rows[("Knee to chest", "left")].planned) == (6, 6)
    b = rows[("Bridges", None)]
    assert (b.planned, b.done, b.skipped) == (12, 6 + 4, 1)
    c = rows[("Cat-cow", None)]
    assert (c.planned, c.done, c.skipped) == (4, 2, 0)
    # Only the first day.
    only = {(c.exercise, c.side): c.done for c in q.completion(db, until=DAY - timedelta(days=1))}
    assert only[("Knee to chest", "right")] == 3


def test_list_sessions_newest_first_with_limit_and_since(db, entry):
    for back in range(5):
        record_session(db, entry, at(DAY - timedelta(days=back)))
    days = [s.day for s in q.list_sessions(db, limit=3)]
    assert days == ["2024-06-10", "2024-06-09", "2024-06-08"]
    days = [s.day for s in q.list_sessions(db, since=DAY - timedelta(days=1), newest_first=False)]
    assert days == ["2024-06-09", "2024-06-10"]
    assert q.count_sessions(db) == 5


# ------------------------------------------------------------------------ resume


def test_an_interrupted_session_is_offered_at_the_same_step(db, entry):
    plan = compile_plan(entry.routine, "low")
    record_session(db, entry, at(DAY, 8), interrupt_at=12)
    now = at(DAY, 9)
    changes = db.conn.total_changes
    found = find_resumable(db, now)
    assert found is not None
    assert found.step_index == 12 and found.same_file
    step = plan.steps[12]
    assert found.step == {
        "phase": step.phase,
        "exercise_index": step.exercise_index,
        "exercise": step.exercise,
        "side": step.side,
        "set": step.set,
        "rep": step.rep,
    }
    assert found.plan.steps[12] == step and found.entry.path == entry.path
    assert found.level == "low" and found.routine == "Daily back care"
    # Declining is doing nothing: looking wrote nothing.
    assert db.conn.total_changes == changes
    assert q.list_sessions(db)[0].status == "interrupted"


def test_resuming_continues_the_same_session_to_the_end(db, entry):
    plan = compile_plan(entry.routine, "low")
    record_session(db, entry, at(DAY, 8), interrupt_at=12)
    before = q.list_sessions(db)[0].active_seconds
    found = find_resumable(db, at(DAY, 8, 30))
    assert found is not None
    fake = FakeTime(at(DAY, 8, 30))
    recorder = Recorder(db, found.entry, found.plan, found.level, resume=found, clock=fake,
                        wall=fake.wall)  # fmt: skip
    runner = SessionRunner(
        found.plan, clock=fake, start_index=found.step_index, listeners=[recorder], sleep_gap=None
    )
    runner.do("start")
    while not runner.session.over:
        fake.now = runner.session.deadline
        runner.tick()
    recorder.close()
    (s,) = q.list_sessions(db)
    assert s.status == "completed" and s.resumes == 1
    assert s.work_done == s.work_planned
    steps = [r[0] for r in db.conn.execute("SELECT step_index FROM steps ORDER BY step_index")]
    assert steps == list(range(len(plan.steps)))
    assert s.active_seconds == pytest.approx(before + plan.total_seconds - plan.offset(12))
    assert find_resumable(db, at(DAY, 9)) is None


def test_an_edited_routine_resumes_if_the_step_is_still_there(db, entry, routine_path):
    record_session(db, entry, at(DAY, 8), interrupt_at=12)
    routine_path.write_text(DAILY_TOML.replace('title = "Test routine"', 'title = "Edited"'))
    found = find_resumable(db, at(DAY, 9))
    assert found is not None and not found.same_file and found.step_index == 12
    # Fewer reps on the first exercise: step 12 is now something else.
    routine_path.write_text(DAILY_TOML.replace("reps = 3", "reps = 2"))
    assert find_resumable(db, at(DAY, 9)) is None
    routine_path.unlink()
    assert find_resumable(db, at(DAY, 9)) is None


def test_nothing_to_resume(db, entry):
    assert find_resumable(db, at(DAY, 9)) is None
    record_session(db, entry, at(DAY, 8), interrupt_at=12)
    # More than a day later.
    assert find_resumable(db, at(DAY + timedelta(days=1), 8, 1)) is None
    assert find_resumable(db, at(DAY + timedelta(days=1), 7, 59)) is not None
    # Interrupted in its very first step: nothing to resume.
    record_session(db, entry, at(DAY, 10), interrupt_at=0)
    assert find_resumable(db, at(DAY, 11)) is None
    # A newer session that completed: the older interruption is not offered again.
    record_session(db, entry, at(DAY, 12), interrupt_at=5)
    assert find_resumable(db, at(DAY, 13)) is not None
    record_session(db, entry, at(DAY, 14))
    assert find_resumable(db, at(DAY, 15)) is None
    for status in ("completed", "ended_early", "pain_stopped"):
        db.conn.execute("UPDATE sessions SET status = ?", (status,))
        assert find_resumable(db, at(DAY, 15)) is None


def test_a_routine_file_whose_name_is_not_utf8_is_offered_to_resume(db, tmp_path):
    """Its path is stored with the byte written out (bad\\xffname.toml: SQLite takes only
    UTF-8), which named no file: the interrupted session was never offered ("its routine
    file ... does not load now")."""
    import os

    path = write_routine(tmp_path / "routines", DAILY_TOML, os.fsdecode(b"bad\xffname"))
    entry = entry_for(path)
    record_session(db, entry, at(DAY, 8), interrupt_at=12)
    reasons: list[str] = []
    found = find_resumable(db, at(DAY, 9), reasons=reasons)
    assert found is not None, reasons
    assert found.step_index == 12 and found.same_file
    assert found.entry.path == entry.path
