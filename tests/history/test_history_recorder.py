"""The recorder: what each event writes, the session's status, and a writer that never blocks."""

from __future__ import annotations

import hashlib
import itertools
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from history_driver import DAILY_TOML, FakeTime, entry_for, record_session, write_routine

from backtimer.core.plan import compile_plan
from backtimer.history import NullRecorder, Recorder, open_history, start_recorder
from backtimer.history import queries as q
from backtimer.history.recorder import utc_iso
from backtimer.session.runner import SessionRunner

TZ = timezone(timedelta(hours=2))
START = datetime(2024, 4, 1, 7, 30, tzinfo=TZ)


@pytest.fixture
def entry(tmp_path):
    return entry_for(write_routine(tmp_path / "routines", DAILY_TOML, "daily"))


@pytest.fixture
def db(tmp_path):
    with open_history(tmp_path / "data") as opened:
        yield opened


def _steps(db):
    return db.conn.execute(
        "SELECT step_index, phase, exercise_index, exercise, side, set_no, rep, planned_seconds, "
        "actual_seconds, status, started_at, ended_at FROM steps ORDER BY step_index"
    ).fetchall()


def _session(db):
    return q.list_sessions(db)[0]


def test_a_completed_session_records_every_step(db, entry):
    plan = compile_plan(entry.routine, "low")
    record_session(db, entry, START)
    s = _session(db)
    assert (s.status, s.stored_status) == ("completed", "completed")
    assert s.routine == "Daily back care" and s.routine_key == "daily" and s.origin == "path"
    assert Path(s.path) == entry.path.absolute()
    assert s.sha256 == hashlib.sha256(entry.path.read_bytes()).hexdigest()
    assert s.level == "low"
    assert s.plan_steps == len(plan.steps) and s.resume_index == len(plan.steps)
    assert s.started_at == "2024-04-01T05:30:00.000Z"  # UTC
    assert s.day == "2024-04-01" and s.utc_offset == 7200
    assert s.started_local.strftime("%H:%M") == "07:30"
    assert s.active_seconds == pytest.approx(plan.total_seconds)
    assert s.ended_at == utc_iso(START + timedelta(seconds=plan.total_seconds))
    work = [st for st in plan.steps if st.is_work]
    assert (s.work_done, s.work_skipped, s.work_planned) == (len(work), 0, len(work))
    rows = _steps(db)
    assert [r[0] for r in rows] == list(range(len(plan.steps)))
    for row, step in zip(rows, plan.steps, strict=True):
        assert row[1:7] == (
            step.phase,
            step.exercise_index,
            step.exercise,
            step.side,
            step.set,
            step.rep,
        )
        assert row[7] == step.seconds and row[8] == pytest.approx(step.seconds)
        assert row[9] == "done"
        assert row[10] <= row[11]
    # Step times follow each other without gaps.
    assert all(a[11] == b[10] for a, b in itertools.pairwise(rows))
    planned = db.conn.execute(
        "SELECT exercise_index, exercise, side, reps FROM planned_work ORDER BY rowid"
    ).fetchall()
    assert planned == [
        (0, "Knee to chest", "right", 3),
        (0, "Knee to chest", "left", 3),
        (1, "Bridges", None, 6),
        (2, "Cat-cow", None, 2),
    ]
    assert db.conn.execute("SELECT pid FROM sessions").fetchone()[0] > 0


def test_pause_is_recorded_with_its_end(db, entry):
    record_session(db, entry, START, pause_at=3)
    pauses = db.conn.execute("SELECT started_at, ended_at, reason FROM pauses").fetchall()
    assert len(pauses) == 1
    started, ended, reason = pauses[0]
    assert reason == "user"
    gap = q.parse_utc(ended) - q.parse_utc(started)
    assert gap == timedelta(seconds=10)
    plan = compile_plan(entry.routine, "low")
    assert _session(db).active_seconds == pytest.approx(plan.total_seconds)


def _pauses(db):
    rows = db.conn.execute("SELECT started_at, ended_at, reason FROM pauses ORDER BY id")
    return [
        (q.parse_utc(started), q.parse_utc(ended) if ended else None, reason)
        for started, ended, reason in rows.fetchall()
    ]


def _started(db, entry):
    """A session of ``entry`` at its low level started at START on a fake clock, recorded in
    ``db``: its plan, the clock, the recorder and the runner."""
    plan = compile_plan(entry.routine, "low")
    fake = FakeTime(START)
    recorder = Recorder(db, entry, plan, "low", clock=fake, wall=fake.wall)
    runner = SessionRunner(plan, clock=fake, listeners=[recorder], sleep_gap=None)
    runner.do("start")
    return plan, fake, recorder, runner


def _paused_run(db, entry, *, after: float, start_index: int = 0):
    """A recorded session on a fake clock, started at ``start_index`` and paused ``after``
    seconds in: (clock, recorder, runner)."""
    plan = compile_plan(entry.routine, "low")
    fake = FakeTime(START)
    recorder = Recorder(db, entry, plan, "low", clock=fake, wall=fake.wall)
    runner = SessionRunner(
        plan, clock=fake, listeners=[recorder], sleep_gap=None, start_index=start_index
    )
    runner.do("start")
    fake.now += after
    runner.tick()
    runner.do("pause")
    return fake, recorder, runner


@pytest.mark.parametrize("choice", ["skip_exercise", "resume", "end"])
def test_a_pain_stop_during_a_pause_closes_the_pause_when_the_clock_runs_again(db, entry, choice):
    """Paused 2 s into the first hold, a pain stop 5 s later, the choice 20 s after that:
    the pause row ends at the choice, when the clock really starts again (skip this
    exercise, resume), 25 s long, not at the session's end; after "end" the clock never
    runs again, and the pause ends with the session, when the person ended it (the
    active time still stops where the clock stopped)."""
    # Paused 2 s into the first hold (after 10 s of getting ready).
    fake, recorder, runner = _paused_run(db, entry, after=12.0)
    fake.now += 5.0
    runner.do("pain")
    recorder.on_pain_details("hip", 4, None)
    fake.now += 20.0
    runner.do(choice)
    if choice != "end":
        fake.now += 3.0
        runner.tick()
        fake.now += 30.0  # the session ends much later: the pause must not run on to it
        runner.tick()
        runner.do("end")
    recorder.close()
    ((started, ended, reason),) = _pauses(db)
    s = _session(db)
    assert reason == "user"
    assert started == START + timedelta(seconds=12)
    if choice == "end":
        # Ended when the person ended it (25 s into the pause), not at the pause's start.
        assert ended == q.parse_utc(s.ended_at) == START + timedelta(seconds=37)
        assert ended - started == timedelta(seconds=25)
        assert s.active_seconds == pytest.approx(12.0)
    else:
        assert ended == START + timedelta(seconds=37)
        assert ended - started == timedelta(seconds=25)
        assert s.active_seconds == pytest.approx(12.0 + 33.0)
        wall = q.parse_utc(s.ended_at) - q.parse_utc(s.started_at)
        # Every second of the session is either active or in the one pause.
        assert wall == timedelta(seconds=s.active_seconds) + (ended - started)
    assert s.pain_count == 1


@pytest.mark.parametrize("pain", [True, False], ids=["pain_stop", "no_pain_stop"])
def test_end_after_a_pause_ends_the_session_when_the_person_ended_it(db, entry, pain):
    """Paused 2 s into the first hold, (a pain stop 5 s later,) "end" 25 s after the pause
    began: the session's record ends when the person ended it, not where its clock stopped
    (the pause's start), so every pause and pain event lies within the session as recorded
    (a report for a physio must never show a pain event after the session ended). The
    open pause ends with the session; the active time (exercising, pauses and stops
    excluded) is still the 12 s before the pause, and wall time = active + pause."""
    import json
    from io import StringIO

    from backtimer.history.export import write_json

    # Paused 2 s into the first hold (after 10 s of getting ready).
    fake, recorder, runner = _paused_run(db, entry, after=12.0)
    fake.now += 5.0
    if pain:
        runner.do("pain")
        recorder.on_pain_details("hip", 4, None)
    fake.now += 20.0
    runner.do("end")
    recorder.close()
    s = _session(db)
    started, ended = q.parse_utc(s.started_at), q.parse_utc(s.ended_at)
    assert ended == START + timedelta(seconds=37)  # when "end" was pressed
    ((pause_start, pause_end, reason),) = _pauses(db)
    assert reason == "user"
    assert pause_start == START + timedelta(seconds=12)
    assert pause_end == ended  # the pause lasted until the session ended
    assert s.active_seconds == pytest.approx(12.0)  # as before: the pause is not exercise
    assert ended - started == timedelta(seconds=s.active_seconds) + (pause_end - pause_start)
    pains = [q.parse_utc(at) for (at,) in db.conn.execute("SELECT at FROM pain_events")]
    assert pains == ([START + timedelta(seconds=17)] if pain else [])
    assert s.status == ("pain_stopped" if pain else "ended_early")
    # The export (what a physio's tools read) says the same: everything within the session.
    out = StringIO()
    write_json(db, out)
    (exported,) = json.loads(out.getvalue())
    first, last = q.parse_utc(exported["started_at"]), q.parse_utc(exported["ended_at"])
    assert (first, last) == (started, ended)
    assert exported["active_seconds"] == pytest.approx(12.0)
    moments = [q.parse_utc(p["at"]) for p in exported["pain_events"]]
    for row in [*exported["steps"], *exported["pauses"]]:
        moments += [q.parse_utc(row["started_at"]), q.parse_utc(row["ended_at"])]
    assert moments and all(first <= moment <= last for moment in moments)
    # The report for a physio: the pain event 12 s into the session (active time, the
    # same the session's record has), within the session.
    from backtimer.history.report import build_report

    report = build_report(db, since=START.date(), until=START.date(), now=START)
    assert f"- Pain events: {int(pain)}" in report
    assert ("| 0:12 |" in report) is pain


def test_skipping_the_last_step_while_paused_ends_the_record_when_it_was_skipped(db, entry):
    """Paused 2 s into the last step, then that step skipped 25 s later: the session is
    complete, and its record ends when the person skipped (the pause lies within it, and
    ends with it), not at the pause's start where the clock stopped; the active time is
    still the clock's."""
    last = len(compile_plan(entry.routine, "low").steps) - 1
    fake, recorder, runner = _paused_run(db, entry, after=2.0, start_index=last)
    fake.now += 25.0
    runner.do("skip_step")
    recorder.close()
    s = _session(db)
    assert s.status == "completed"
    started, ended = q.parse_utc(s.started_at), q.parse_utc(s.ended_at)
    assert ended == START + timedelta(seconds=27)  # when the last step was skipped
    ((pause_start, pause_end, reason),) = _pauses(db)
    assert reason == "user"
    assert (pause_start, pause_end) == (START + timedelta(seconds=2), ended)
    assert s.active_seconds == pytest.approx(2.0)
    assert ended - started == timedelta(seconds=s.active_seconds) + (pause_end - pause_start)


def test_pain_stop_then_end_records_the_event_and_pain_stopped(db, entry):
    plan = compile_plan(entry.routine, "low")
    index = 20
    record_session(db, entry, START, pain_at=index, pain=("lower back", 7, "sharp\x1b[31m"))
    s = _session(db)
    assert s.status == "pain_stopped" and s.pain_count == 1
    assert s.resume_index == index
    (pain,) = q.pain_events(db)
    step = plan.steps[index]
    assert (pain.exercise, pain.exercise_index, pain.side, pain.set, pain.rep, pain.phase) == (
        step.exercise,
        step.exercise_index,
        step.side,
        step.set,
        step.rep,
        step.phase,
    )
    assert pain.step_index == index
    assert pain.session_second == pytest.approx(plan.offset(index) + 1.0)
    assert (pain.where, pain.severity) == ("lower back", 7)
    assert pain.note == "sharp [31m"  # control characters are not stored
    assert pain.at == utc_iso(START + timedelta(seconds=plan.offset(index) + 1.0))
    assert pain.local_at == START + timedelta(seconds=plan.offset(index) + 1.0)
    # The step in progress is recorded as skipped, with the time spent in it.
    last = _steps(db)[-1]
    assert last[0] == index and last[9] == "skipped" and last[8] == pytest.approx(1.0)


def test_pain_then_resume_goes_on_and_completes(db, entry):
    record_session(db, entry, START, pain_at=5, pain=("hip", 3, None), after_pain="resume")
    s = _session(db)
    assert s.status == "completed" and s.pain_count == 1
    assert s.work_done == s.work_planned
    (pain,) = q.pain_events(db)
    assert (pain.where, pain.severity, pain.note) == ("hip", 3, None)


def test_pain_then_skip_of_the_last_exercise_is_pain_stopped(db, entry):
    plan = compile_plan(entry.routine, "low")
    last_ex = plan.steps[-1].exercise_index
    index = plan.exercise_start(last_ex) + 1
    record_session(db, entry, START, pain_at=index, after_pain="skip_exercise")
    s = _session(db)
    assert s.status == "pain_stopped"
    # Nothing came after the exercise: the session ended at the stopped step, as "end"
    # there records it (a session stopped for pain is never offered to resume).
    assert s.resume_index == index


def test_pain_then_skip_of_the_last_exercise_is_recorded_as_pain_then_end(tmp_path, entry):
    """Skipping, after a pain stop, an exercise that nothing follows ends the session: the
    history holds the same as for "end" at that moment (it did not complete as prescribed)."""
    plan = compile_plan(entry.routine, "low")
    index = plan.exercise_start(plan.steps[-1].exercise_index) + 1
    rows = {}
    for choice in ("end", "skip_exercise"):
        with open_history(tmp_path / choice) as db:
            record_session(db, entry, START, pain_at=index, after_pain=choice)
            s = _session(db)
            rows[choice] = (
                s.status,
                s.stored_status,
                s.resume_index,
                s.active_seconds,
                s.ended_at,
                s.work_done,
                s.pain_count,
                _steps(db),
            )
    assert rows["skip_exercise"] == rows["end"]
    assert rows["end"][0] == "pain_stopped"


def test_pain_then_skip_exercise_and_finishing_later_is_completed(db, entry):
    record_session(db, entry, START, pain_at=3, after_pain="skip_exercise")
    s = _session(db)
    assert s.status == "completed" and s.pain_count == 1
    assert s.work_done < s.work_planned


def test_ended_early_and_skipped_steps(db, entry):
    plan = compile_plan(entry.routine, "low")
    record_session(db, entry, START, skip=(2, 4), end_at=20)
    s = _session(db)
    assert s.status == "ended_early" and s.resume_index == 20
    statuses = {r[0]: r[9] for r in _steps(db)}
    assert statuses[2] == statuses[4] == statuses[20] == "skipped"
    assert sorted(statuses) == list(range(21))
    work_skipped = sum(1 for i in (2, 4, 20) if plan.steps[i].is_work)
    assert s.work_skipped == work_skipped


def test_back_runs_a_step_again_in_one_row(db, entry):
    plan, fake, recorder, runner = _started(db, entry)
    fake.now = runner.session.deadline
    runner.tick()  # step 0 done, step 1 (a hold) begins
    fake.now += 2.0
    runner.do("back")  # within the grace: back to step 0, step 1 left as skipped
    fake.now = runner.session.deadline
    runner.tick()  # step 0 done again
    fake.now = runner.session.deadline
    runner.tick()  # step 1 done
    runner.do("end")
    recorder.close()
    rows = {r[0]: r for r in _steps(db)}
    assert sorted(rows) == [0, 1, 2]
    assert rows[0][9] == "done" and rows[0][8] == pytest.approx(2 * plan.steps[0].seconds)
    assert rows[1][9] == "done" and rows[1][8] == pytest.approx(2.0 + plan.steps[1].seconds)
    assert rows[2][9] == "skipped"


def test_on_interrupted_marks_the_session_and_keeps_the_step(db, entry):
    record_session(db, entry, START, interrupt_at=12)
    s = _session(db)
    assert (s.status, s.stored_status) == ("interrupted", "interrupted")
    assert s.resume_index == 12 and s.ended_at is not None
    assert [r[0] for r in _steps(db)] == list(range(12))


def test_on_interrupted_after_the_end_changes_nothing(db, entry):
    recorder = record_session(db, entry, START)
    recorder.closed = False  # as if the app called it late
    recorder.on_interrupted()
    assert _session(db).status == "completed"


def test_a_running_session_whose_process_is_gone_reads_as_interrupted(db, entry):
    _plan, _fake, recorder, _runner = _started(db, entry)
    recorder.close()
    assert _session(db).status == "running"  # this process is alive
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    db.conn.execute("UPDATE sessions SET pid = ?", (gone.pid,))
    s = _session(db)
    assert (s.status, s.stored_status) == ("interrupted", "running")


def test_nothing_is_recorded_for_a_session_never_started(db, entry):
    plan = compile_plan(entry.routine, "low")
    recorder = Recorder(db, entry, plan, "low")
    runner = SessionRunner(plan, listeners=[recorder])
    runner.do("end")  # from READY
    recorder.close()
    assert q.count_sessions(db) == 0


def test_severity_must_be_0_to_10(db, entry):
    recorder = Recorder(db, entry, compile_plan(entry.routine, "low"), "low")
    try:
        with pytest.raises(ValueError):
            recorder.on_pain_details("hip", 11, None)
    finally:
        recorder.close()


def test_pain_details_from_the_app_object(db, entry):
    class Details:  # the shape of backtimer.tui.messages.PainDetails
        where, how_much, note = "neck", 2, "stiff"

    _plan, _fake, recorder, runner = _started(db, entry)
    runner.do("pain")
    recorder.on_pain_details(Details(), runner.session)
    runner.do("end")
    recorder.close()
    (pain,) = q.pain_events(db)
    assert (pain.where, pain.severity, pain.note) == ("neck", 2, "stiff")
    assert _session(db).status == "pain_stopped"


def test_on_events_never_waits_for_the_disk(tmp_path, entry):
    db = open_history(tmp_path / "data")
    plan = compile_plan(entry.routine, "low")
    fake = FakeTime(START)
    recorder = Recorder(db, entry, plan, "low", clock=fake, wall=fake.wall)
    runner = SessionRunner(plan, clock=fake, listeners=[recorder], sleep_gap=None)
    blocker = open_history(tmp_path / "data")
    blocker.conn.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        started = time.perf_counter()
        runner.do("start")
        for _ in range(10):
            fake.now = runner.session.deadline
            runner.tick()
        elapsed = time.perf_counter() - started
        assert elapsed < 0.2  # the writer thread waits, not the clock
        assert not recorder.flush(timeout=0.3)  # still waiting for the lock
    finally:
        blocker.conn.execute("ROLLBACK")
        blocker.close()
    assert recorder.flush(timeout=10)
    recorder.close()
    assert [r[0] for r in _steps(db)] == list(range(10))
    assert recorder.problem is None
    db.close()


def test_a_write_that_fails_is_reported_and_the_session_goes_on(db, entry):
    db.conn.execute(
        "CREATE TRIGGER no_steps BEFORE INSERT ON steps BEGIN SELECT RAISE(ABORT, 'nope'); END"
    )
    seen = []
    plan = compile_plan(entry.routine, "low")
    fake = FakeTime(START)
    recorder = Recorder(db, entry, plan, "low", clock=fake, wall=fake.wall, on_problem=seen.append)
    runner = SessionRunner(plan, clock=fake, listeners=[recorder], sleep_gap=None)
    runner.do("start")
    fake.now = runner.session.deadline
    runner.tick()
    runner.do("end")
    recorder.close()
    assert runner.session.over
    assert recorder.problem is not None and recorder.problem.startswith("history not saved")
    assert seen == [recorder.problem]
    # What could be written was: the session row, and its end.
    assert _session(db).status == "ended_early"


def test_start_recorder_falls_back_to_a_null_recorder(tmp_path, entry):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    recorder = start_recorder(entry, compile_plan(entry.routine, "low"), data_dir=blocker)
    assert isinstance(recorder, NullRecorder)
    assert recorder.problem and "cannot create the history" in recorder.problem
    # It takes every call a Recorder takes, and the session runs.
    runner = SessionRunner(compile_plan(entry.routine, "low"), listeners=[recorder])
    runner.do("start")
    runner.do("pain")
    recorder.on_pain_details("hip", 3, "x")
    recorder.on_interrupted()
    assert recorder.flush()
    recorder.close()
    assert recorder.closed and runner.session.state == "pain_stopped"


def test_start_recorder_owns_its_database(tmp_path, entry):
    recorder = start_recorder(entry, compile_plan(entry.routine, "low"), data_dir=tmp_path)
    assert isinstance(recorder, Recorder)
    runner = SessionRunner(compile_plan(entry.routine, "low"), listeners=[recorder])
    runner.do("start")
    runner.do("end")
    recorder.close()
    with open_history(tmp_path) as db:
        assert _session(db).status == "ended_early"


def test_a_process_number_given_to_another_process_does_not_look_alive(db, entry):
    from backtimer.history.db import process_identity

    record_session(db, entry, START, interrupt_at=5)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        identity = process_identity(other.pid)
        db.conn.execute("UPDATE sessions SET status = 'running', pid = ?, process = ?",
                        (other.pid, identity))  # fmt: skip
        assert _session(db).status == "running"  # that process is the writer, alive
        assert (identity is not None) == sys.platform.startswith("linux")
        # The same number, but not the same process (a reboot, a wrap-around).
        db.conn.execute("UPDATE sessions SET process = 'another-boot:123'")
        expected = "interrupted" if identity is not None else "running"
        assert _session(db).status == expected
    finally:
        other.kill()
        other.wait()
    assert _session(db).status == "interrupted"


def test_interrupted_in_the_pain_dialog_is_pain_stopped(db, entry):
    _plan, fake, recorder, runner = _started(db, entry)
    fake.now = runner.session.deadline
    runner.tick()
    runner.do("pain")
    recorder.on_interrupted()  # SIGTERM while the pain dialog is open
    recorder.close()
    assert _session(db).status == "pain_stopped"
    assert q.find_resumable(db, START + timedelta(minutes=5)) is None


def _sessions_on_disk(data: Path) -> list[tuple[str, str]]:
    """(routine, stored status) of every session, read by a connection of its own."""
    with open_history(data, create=False) as other:
        return other.conn.execute("SELECT routine, status FROM sessions").fetchall()


def test_a_held_recorder_writes_nothing_until_released_then_everything_in_order(tmp_path, entry):
    """The app holds a session's records while its first frame is drawn: nothing reaches
    the disk (no writer thread even), then the session row and what came meanwhile."""
    data = tmp_path / "data"
    plan = compile_plan(entry.routine, "low")
    fake = FakeTime(START)
    recorder = start_recorder(entry, plan, "low", data_dir=data, clock=fake, hold=True)
    assert isinstance(recorder, Recorder) and recorder.held
    recorder.wall = fake.wall
    runner = SessionRunner(plan, clock=fake, listeners=[recorder], sleep_gap=None)
    runner.do("start")
    fake.now = runner.session.deadline
    runner.tick()  # step 0 done
    assert not recorder._thread.is_alive()
    assert _sessions_on_disk(data) == []
    recorder.release()
    assert not recorder.held
    assert recorder.flush(10)
    assert _sessions_on_disk(data) == [("Daily back care", "running")]
    recorder.release()  # again: nothing
    recorder.close()
    with open_history(data, create=False) as reopened:
        assert [row[0] for row in _steps(reopened)] == [0]


@pytest.mark.parametrize("how", ["flush", "close", "interrupted", "close_now"])
def test_a_held_recorder_is_released_by_flush_close_and_a_signal(tmp_path, entry, how):
    """A signal before the first frame (the app's deadline thread calls on_interrupted and
    close_now, or flush) or the end of the app (close) still writes the session: never
    dropped."""
    data = tmp_path / "data"
    plan = compile_plan(entry.routine, "low")
    fake = FakeTime(START)
    recorder = start_recorder(entry, plan, "low", data_dir=data, clock=fake, hold=True)
    assert isinstance(recorder, Recorder)
    recorder.wall = fake.wall
    runner = SessionRunner(plan, clock=fake, listeners=[recorder], sleep_gap=None)
    runner.do("start")
    if how == "flush":
        assert recorder.flush(10)
        assert _sessions_on_disk(data) == [("Daily back care", "running")]
    elif how == "interrupted":
        recorder.on_interrupted()
        assert recorder.flush(10)
        assert _sessions_on_disk(data) == [("Daily back care", "interrupted")]
    elif how == "close_now":  # as the app's deadline thread does: written when it returns
        recorder.on_interrupted()
        assert recorder.close_now(5.0) is None
        assert _sessions_on_disk(data) == [("Daily back care", "interrupted")]
    recorder.close()
    assert not recorder.held
    assert len(_sessions_on_disk(data)) == 1


def test_a_routine_file_whose_name_is_not_utf8_is_recorded(db, tmp_path):
    """A file name with a byte that is not UTF-8 (bad<0xff>name.toml, which Python reads
    with surrogateescape) crashed the history's writer thread with a traceback on the
    session's first record: nothing of the session was recorded."""
    name = os.fsdecode(b"bad\xffname")
    path = write_routine(tmp_path / "routines", DAILY_TOML, name)
    entry = entry_for(path)
    recorder = record_session(db, entry, START)
    assert recorder.problem is None and recorder.exit_message is None
    s = _session(db)
    assert s.status == "completed"
    assert s.routine_key == "bad\\xffname"  # the byte, written out
    assert s.path.endswith("bad\\xffname.toml")
    assert s.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()  # of the real file
    assert len(_steps(db)) == len(compile_plan(entry.routine, "low").steps)


def test_an_unexpected_error_in_one_record_never_stops_the_writer(db, entry, monkeypatch):
    """Only SQLite and OS errors were caught: any other exception in one record (a value
    SQLite cannot take) ended the writer thread with a traceback, and every later record
    of the session was lost. Now that record is refused (kept for the journal) and the
    others are written."""
    from backtimer.history.writer import Writer

    def broken(self, conn, values):
        raise UnicodeEncodeError("utf-8", "\udcff", 0, 1, "surrogates not allowed")

    monkeypatch.setattr(Writer, "_w_pause", broken)
    recorder = record_session(db, entry, START, pause_at=2)
    assert recorder.problem is not None and "history not saved" in recorder.problem
    s = _session(db)
    assert s.status == "completed"
    plan = compile_plan(entry.routine, "low")
    assert len(_steps(db)) == len(plan.steps)  # every step after the refused pause too


@pytest.mark.parametrize("going_on", ["resume", "skip_exercise", "mistake"])
def test_a_session_waiting_at_a_pain_stop_is_stored_as_stopped_for_pain(db, entry, going_on):
    """From the pain stop until a choice the session's row says pain_stopped (a process
    killed meanwhile leaves it so, as a signal there records it); going on makes it running
    again, and the session completes as before."""
    _plan, fake, recorder, runner = _started(db, entry)
    for _ in range(3):
        fake.now = runner.session.deadline
        runner.tick()
    fake.now += 1.0
    runner.do("pain")
    assert recorder.flush()
    assert _session(db).stored_status == "pain_stopped"
    fake.now += 5.0
    runner.do(going_on)
    assert recorder.flush()
    assert _session(db).stored_status == "running"
    while not runner.session.over:
        if runner.session.deadline is None:  # a step at the person's own pace
            fake.now += 5.0
            runner.do("advance")
        else:
            fake.now = runner.session.deadline
            runner.tick()
    recorder.close()
    s = _session(db)
    assert s.status == "completed"
    assert s.pain_count == (0 if going_on == "mistake" else 1)


def test_a_signal_at_a_pain_stop_ends_the_record_there(db, entry):
    _plan, fake, recorder, runner = _started(db, entry)
    fake.now = runner.session.deadline
    runner.tick()
    fake.now += 1.0
    runner.do("pain")
    fake.now += 30.0
    recorder.on_interrupted()
    recorder.close()
    s = _session(db)
    assert (s.status, s.stored_status) == ("pain_stopped", "pain_stopped")
    assert s.ended_at is not None  # when the signal came, 30 s after the stop
    assert s.resume_index == 1


def test_a_pain_stop_while_behind_is_kept_before_the_next_attempt(db, entry, monkeypatch):
    """Recording is behind (the history cannot be opened, as under another program's lock):
    a pain stop that comes then is kept in the live journal before the next attempt, which
    may wait for the lock (here: until the test lets it go), not only after it failed too."""
    import threading

    from backtimer.history.db import HistoryUnavailable
    from backtimer.history.writer import journal_paths

    mode = {"now": "fail"}
    gate = threading.Event()
    real_connect = db.connect

    def connect(*, busy_ms: int = 10_000):
        if mode["now"] == "block":
            gate.wait(20)  # the lock wait
        if mode["now"] != "ok":
            raise HistoryUnavailable("the history is locked by another program")
        return real_connect(busy_ms=busy_ms)

    monkeypatch.setattr(db, "connect", connect)
    plan = compile_plan(entry.routine, "low")
    fake = FakeTime(START)
    recorder = Recorder(db, entry, plan, "low", clock=fake, wall=fake.wall)
    runner = SessionRunner(plan, clock=fake, listeners=[recorder], sleep_gap=None)
    try:
        runner.do("start")
        fake.now = runner.session.deadline
        runner.tick()
        deadline = time.monotonic() + 20
        while not recorder.status().behind:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert journal_paths(db.path) == []  # no pain stop: kept in memory and retried
        mode["now"] = "block"
        fake.now += 0.01
        runner.do("pain")
        deadline = time.monotonic() + 10
        while not journal_paths(db.path):  # before fix: only after the blocked attempt
            assert time.monotonic() < deadline, "the pain stop was not kept while waiting"
            time.sleep(0.01)
    finally:
        mode["now"] = "ok"
        gate.set()
    assert recorder.flush(20)
    assert journal_paths(db.path) == []  # written, once, and the journal removed
    fake.now += 5.0
    runner.do("end")
    recorder.close()
    assert len(q.pain_events(db)) == 1
    assert _session(db).status == "pain_stopped"


def test_closing_that_cannot_keep_the_rest_says_the_pain_stop_is_kept(db, entry, monkeypatch):
    """The history cannot be opened all session, a pain stop is kept in the live journal,
    and at the end the journal of the rest cannot be written either: the exit message said
    the records were not kept at all; the pain stop's are, in the live journal, and the next
    start adds them."""
    import backtimer.history.recorder as recorder_module
    from backtimer.history.db import HistoryUnavailable
    from backtimer.history.writer import journal_paths, merge_pending

    def locked(*, busy_ms: int = 10_000):
        raise HistoryUnavailable("the history is locked by another program")

    real_write_journal = recorder_module.write_journal

    def write_journal(*args, **kwargs):
        if not kwargs.get("live"):
            raise OSError(28, "No space left on device")
        return real_write_journal(*args, **kwargs)

    monkeypatch.setattr(db, "connect", locked)
    monkeypatch.setattr(recorder_module, "write_journal", write_journal)
    plan = compile_plan(entry.routine, "low")
    fake = FakeTime(START)
    recorder = Recorder(db, entry, plan, "low", clock=fake, wall=fake.wall, close_wait=0.2)
    runner = SessionRunner(plan, clock=fake, listeners=[recorder], sleep_gap=None)
    runner.do("start")
    fake.now = runner.session.deadline
    runner.tick()
    fake.now += 0.01
    runner.do("pain")
    deadline = time.monotonic() + 20
    while not journal_paths(db.path):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    (live,) = journal_paths(db.path)
    fake.now += 5.0
    runner.do("end")
    recorder.close()
    message = recorder.exit_message
    assert message is not None and "nor all kept" in message and "No space left" in message
    assert f"some are kept in {live}" in message
    monkeypatch.undo()
    db.close()
    # The next start, in another process once this one has gone: its journal is added.
    import json

    data = json.loads(live.read_text(encoding="utf-8"))
    assert any(name == "pain" for batch in data["batches"] for name, _ in batch)
    gone = subprocess.Popen([sys.executable, "-c", ""])
    gone.wait()
    data["live"]["pid"] = gone.pid
    live.write_text(json.dumps(data), encoding="utf-8")
    (note,) = merge_pending(db.path.parent)
    assert note.startswith("added a ses"), note
    assert journal_paths(db.path) == []
    with open_history(db.path.parent) as again:
        assert len(q.pain_events(again)) == 1
