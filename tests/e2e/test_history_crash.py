"""Real processes: SIGKILL at random moments, SIGTERM/SIGHUP, two writers, resume after a kill.

Each run is ``tests/history_driver.py``: a SessionRunner with the real clock and a Recorder,
over a routine of 21 steps of 0.05-0.15 s (about 2 s in all).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from history_driver import TINY_TOML, entry_for, write_routine

from backtimer.core.plan import compile_plan
from backtimer.history import open_history
from backtimer.history import queries as q

DRIVER = Path(__file__).resolve().parent.parent / "history_driver.py"


def spawn(data_dir: Path, routine: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, str(DRIVER), str(data_dir), str(routine), *extra],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_for(proc: subprocess.Popen[str], word: str, timeout: float = 30.0) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith(word):
            return line.strip()
    raise AssertionError(f"no {word!r} from the driver; stderr: {proc.stderr.read()}")  # type: ignore[union-attr]


def integrity(data_dir: Path) -> str:
    conn = sqlite3.connect(data_dir / "history.sqlite3")
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def check_consistent(data_dir: Path, plan, *, pid: int | None = None) -> str | None:
    """The history holds at most one session; its steps are a prefix of the plan, all done;
    it says which step was in progress. Returns its status (None: nothing recorded)."""
    if not (data_dir / "history.sqlite3").exists():
        return None
    assert integrity(data_dir) == "ok"
    with open_history(data_dir) as db:
        sessions = q.list_sessions(db)
        assert len(sessions) <= 1
        if not sessions:
            return None
        (s,) = sessions
        rows = db.conn.execute(
            "SELECT step_index, phase, exercise_index, side, set_no, rep, status FROM steps "
            "ORDER BY step_index"
        ).fetchall()
        k = len(rows)
        assert [r[0] for r in rows] == list(range(k))
        for row, step in zip(rows, plan.steps, strict=False):
            assert row[1:6] == (step.phase, step.exercise_index, step.side, step.set, step.rep)
            assert row[6] == "done"
        planned = db.conn.execute("SELECT SUM(reps) FROM planned_work").fetchone()[0]
        assert planned == sum(1 for step in plan.steps if step.is_work)
        if pid is not None:
            assert db.conn.execute("SELECT pid FROM sessions").fetchone()[0] == pid
        if s.status == "completed":
            assert k == len(plan.steps) and s.resume_index == k
        else:
            assert s.status == "interrupted"
            assert s.resume_index == k  # the step in progress, not recorded yet
        return s.status


@pytest.fixture
def routine(tmp_path):
    return write_routine(tmp_path / "routines")


@pytest.fixture
def plan(routine):
    return compile_plan(entry_for(routine).routine, "low")


#: The tiny routine, then a step at the person's own pace that no one ends: a session killed
#: after it started is always killed in the middle, however late a loaded machine lets the
#: kill come (the timed steps could otherwise all be over first, and the session completed).
UNENDING_TOML = (
    TINY_TOML
    + """\
[[exercises]]
name = "Rest until told"
user_paced = true
"""
)


def test_sigkill_at_a_dozen_random_moments(tmp_path):
    routine = write_routine(tmp_path / "routines", UNENDING_TOML, name="unending")
    plan = compile_plan(entry_for(routine).routine, "low")
    assert plan.steps[-1].user_paced and plan.total_seconds > 1.5
    rng = random.Random(20240501)
    runs = []
    for i in range(12):
        data_dir = tmp_path / f"kill{i}"
        runs.append((spawn(data_dir, routine), data_dir))
    # Two are killed while starting (before or while the file is created), the others at a
    # random moment of the session's timed steps (or, when the kill comes late, in its last
    # step, which waits for the person).
    kills = []
    for i, (proc, data_dir) in enumerate(runs):
        if i < 2:
            time.sleep(rng.uniform(0.0, 0.3))
            proc.send_signal(signal.SIGKILL)
            kills.append((time.monotonic(), proc, data_dir))
            continue
        wait_for(proc, "started")
        kills.append(
            (time.monotonic() + rng.uniform(0.0, plan.total_seconds * 0.9), proc, data_dir)
        )
    statuses = []
    for when, proc, _data_dir in sorted(kills, key=lambda k: k[0]):
        time.sleep(max(0.0, when - time.monotonic()))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
    for _when, proc, data_dir in kills:
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL  # none can end by itself
        statuses.append(check_consistent(data_dir, plan, pid=proc.pid))
    # Killed mid-session: interrupted, with part of the plan recorded (all ten killed after
    # they started; the two killed while starting may have recorded nothing yet).
    assert statuses.count("interrupted") >= 10, statuses
    assert "completed" not in statuses


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_record_interrupted(tmp_path, routine, plan, signum):
    data_dir = tmp_path / "data"
    proc = spawn(data_dir, routine, "--signals")
    wait_for(proc, "started")
    time.sleep(0.4)
    proc.send_signal(signum)
    proc.wait(timeout=30)
    assert proc.returncode == 128 + signum
    assert check_consistent(data_dir, plan) == "interrupted"
    with open_history(data_dir) as db:
        (s,) = q.list_sessions(db)
        assert s.stored_status == "interrupted"  # written, not only inferred
        assert s.ended_at is not None
        assert 0 < s.resume_index < len(plan.steps)


def test_two_writers_at_once(tmp_path, routine, plan):
    data_dir = tmp_path / "data"
    with open_history(data_dir):
        pass  # created first, so both start from a ready file
    first, second = spawn(data_dir, routine), spawn(data_dir, routine)
    for proc in (first, second):
        wait_for(proc, "done")
        proc.wait(timeout=30)
        assert proc.returncode == 0
    assert integrity(data_dir) == "ok"
    with open_history(data_dir) as db:
        sessions = q.list_sessions(db)
        assert len(sessions) == 2
        assert {s.status for s in sessions} == {"completed"}
        for s in sessions:
            indexes = [
                r[0]
                for r in db.conn.execute(
                    "SELECT step_index FROM steps WHERE session_id = ? ORDER BY step_index",
                    (s.id,),
                )
            ]
            assert indexes == list(range(len(plan.steps)))


def test_resume_after_a_kill_goes_on_at_the_same_step(tmp_path, routine, plan):
    data_dir = tmp_path / "data"
    proc = spawn(data_dir, routine)
    wait_for(proc, "started")
    time.sleep(plan.total_seconds / 2)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert check_consistent(data_dir, plan) == "interrupted"
    with open_history(data_dir) as db:
        (before,) = q.list_sessions(db)
    again = spawn(data_dir, routine, "--resume")
    line = wait_for(again, "resumed")
    assert line == f"resumed {before.id} {before.resume_index}"
    wait_for(again, "done")
    again.wait(timeout=30)
    assert again.returncode == 0
    with open_history(data_dir) as db:
        (after,) = q.list_sessions(db)
        assert after.id == before.id and after.status == "completed" and after.resumes == 1
        indexes = [r[0] for r in db.conn.execute("SELECT step_index FROM steps ORDER BY 1")]
        assert indexes == list(range(len(plan.steps)))
        assert after.work_done == after.work_planned


# ------------------------------------------------------------ killed while the pain screen is up


def killed_at_the_pain_screen(
    data_dir: Path, routine: Path, *, locked: bool
) -> tuple[list[q.SessionRow], list[int]]:
    """A session stopped for pain after three steps, then SIGKILL while the pain screen
    waits for a choice (``locked``: another program holds the history's write lock from
    just before the stop until after the kill). Returns the sessions and pain events the
    history holds at the next start (the pain events by their steps)."""
    from backtimer.history.writer import journal_paths, merge_pending
    from tests.e2e.test_history_faults import hold_lock

    proc = spawn(data_dir, routine, "--pain-after", "3")
    wait_for(proc, "ready")
    locker = hold_lock(data_dir / "history.sqlite3", 60.0) if locked else None
    try:
        assert proc.stdin is not None
        proc.stdin.write("pain\n")
        proc.stdin.flush()
        wait_for(proc, "behind" if locked else "pain")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if locker is not None:
            locker.kill()
            locker.wait(timeout=30)
    assert integrity(data_dir) == "ok"
    merge_pending(data_dir)  # the next start: what was kept beside the history is added
    assert not journal_paths(data_dir / "history.sqlite3")
    with open_history(data_dir) as db:
        return q.list_sessions(db), [pain.step_index for pain in q.pain_events(db)]


@pytest.mark.parametrize("locked", [False, True], ids=["written", "lock-held"])
def test_a_kill_at_the_pain_screen_keeps_the_pain_stop(tmp_path, routine, plan, locked):
    """SIGKILL (a crash, the power) while the pain screen waits: the pain event is kept,
    even when the history could not take it at once (another program held its lock), and
    the session reads as stopped for pain, as SIGTERM there records it: not "interrupted",
    so it is not offered to resume."""
    data_dir = tmp_path / "data"
    sessions, pains = killed_at_the_pain_screen(data_dir, routine, locked=locked)
    (s,) = sessions
    (step,) = pains
    assert s.pain_count == 1
    assert s.status == "pain_stopped"
    # The step it stopped in: the third or, on a loaded machine, a later one.
    assert s.resume_index == step >= 3
    with open_history(data_dir) as db:
        assert q.find_resumable(db) is None


def test_a_pain_stop_still_in_a_journal_at_the_next_start_is_not_offered_to_resume(
    tmp_path, routine
):
    """Killed at the pain screen while another program held the history's lock, and the
    lock still held at the next start: the pain stop waits in the live journal (not added
    yet), the history's row says running with a dead process (reads interrupted). The
    session is not offered to resume: its journal names it; once the lock is gone, the
    journal is added and the session reads as stopped for pain."""
    from history_driver import entry_for

    from backtimer.history.writer import journal_paths, merge_pending
    from backtimer.session.launch import find_resume
    from tests.e2e.test_history_faults import hold_lock

    data_dir = tmp_path / "data"
    proc = spawn(data_dir, routine, "--pain-after", "3")
    wait_for(proc, "ready")
    locker = hold_lock(data_dir / "history.sqlite3", 60.0)
    try:
        assert proc.stdin is not None
        proc.stdin.write("pain\n")
        proc.stdin.flush()
        wait_for(proc, "behind")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        (journal,) = journal_paths(data_dir / "history.sqlite3")
        notes: list[str] = []
        assert find_resume(entry_for(routine), data_dir, notes=notes) is None  # the next start
        assert any(str(journal) in note for note in notes), notes
        assert journal_paths(data_dir / "history.sqlite3") == [journal]  # still not added
        with open_history(data_dir) as db:
            (s,) = q.list_sessions(db)
            assert s.status == "interrupted"  # as the history alone tells it
    finally:
        locker.kill()
        locker.wait(timeout=30)
    merge_pending(data_dir)
    with open_history(data_dir) as db:
        (s,) = q.list_sessions(db)
        assert s.status == "pain_stopped"
    assert find_resume(entry_for(routine), data_dir) is None
