"""History writes under real faults: a disk that fills up (a small tmpfs), and another
process holding the history's write lock. Nothing recorded is lost: records are kept and
retried until written, and what is still unwritten at the end is kept in a journal beside the
database and added at the next start.

The lock is held in another process for many times the writer's lock wait (``busy_ms``),
which is what "another program holds the lock for 40 s" is for the default wait; the times
are parameters, so the tests take seconds.

Mounting a tmpfs needs root (CI runs as root); elsewhere those tests are skipped, saying why.
Measured numbers (failed attempts, time to catch up) are printed: run with ``-s`` to see them.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from history_driver import TINY_TOML, FakeTime, entry_for, write_routine

from backtimer.core.plan import compile_plan
from backtimer.history import open_history
from backtimer.history import queries as q
from backtimer.history.db import HistoryUnavailable, process_identity
from backtimer.history.recorder import Recorder, RecordingWatch
from backtimer.history.writer import journal_paths, merge_into, merge_pending
from backtimer.session.runner import SessionRunner

TZ = timezone(timedelta(hours=1))
START = datetime(2024, 6, 1, 8, 0, tzinfo=TZ)
ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------------ faults


@contextlib.contextmanager
def small_disk(folder: Path, size: str = "2m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``folder`` (root only)."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill a disk needs root (CI runs as root)")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    """Fill the disk under ``folder`` to the last byte; returns the file to delete."""
    filler = folder / "filler"
    chunk = b"\0" * 65536
    with open(filler, "wb", buffering=0) as handle:
        for size in (65536, 4096, 512, 1):
            piece = chunk[:size]
            while True:
                try:
                    handle.write(piece)
                except OSError:
                    break
    return filler


LOCKER = textwrap.dedent(
    """
    import sqlite3, sys, time
    conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
    conn.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    conn.execute("ROLLBACK")
    conn.close()
    print("released", flush=True)
    """
)


def hold_lock(db_path: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process that holds the history's write lock for ``seconds``."""
    proc = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(db_path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    return proc


# ------------------------------------------------------------------------ a session


class Session:
    """A session of the tiny routine through a real Recorder, stepped by hand."""

    def __init__(self, data: Path, routine: Path, **options: object) -> None:
        self.entry = entry_for(routine)
        assert self.entry.routine is not None
        self.plan = compile_plan(self.entry.routine, "low")
        self.db = open_history(data)
        self.fake = FakeTime(START)
        self.recorder = Recorder(
            self.db,
            self.entry,
            self.plan,
            "low",
            clock=self.fake,
            wall=self.fake.wall,
            **options,  # type: ignore[arg-type]
        )
        self.said: list[str] = []
        self.watch = RecordingWatch([self.recorder], self.said.append)
        self.runner = SessionRunner(
            self.plan, clock=self.fake, listeners=[self.recorder], sleep_gap=None
        )
        self.runner.do("start")

    def steps(self, n: int) -> None:
        for _ in range(n):
            session = self.runner.session
            if session.over:
                return
            self.fake.now = session.deadline
            self.runner.tick()
            self.watch.poll()

    def finish(self) -> None:
        self.steps(len(self.plan.steps) + 1)
        assert self.runner.session.over

    def wait_until(self, predicate, timeout: float = 20.0) -> float:  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        while not predicate():
            assert time.perf_counter() - started < timeout, self.recorder.status()
            time.sleep(0.02)
            self.watch.poll()
        return time.perf_counter() - started


def recorded_steps(data: Path) -> tuple[str, list[int]]:
    with open_history(data, create=False) as db:
        (session,) = q.list_sessions(db)
        rows = db.conn.execute("SELECT step_index FROM steps ORDER BY step_index").fetchall()
        return session.status, [r[0] for r in rows]


@pytest.fixture
def routine(tmp_path: Path) -> Path:
    return write_routine(tmp_path / "routines", TINY_TOML, "tiny")


# ------------------------------------------------------------------------ a full disk


def test_a_disk_that_fills_mid_session_loses_nothing(tmp_path: Path, routine: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        run = Session(disk, routine, busy_ms=200)
        run.steps(3)
        assert run.recorder.flush(5)
        filler = fill(disk)
        run.steps(6)
        run.wait_until(lambda: run.recorder.status().behind)
        status = run.recorder.status()
        assert status.pending > 0 and "full" in (status.last_error or "")
        assert run.said and run.said[-1].startswith("Recording is behind")
        time.sleep(0.5)  # a few more failed attempts while the disk stays full
        failures = run.recorder.status().failures
        pending = run.recorder.status().pending
        filler.unlink()
        caught_up = run.wait_until(lambda: run.recorder.status().pending == 0)
        assert run.said[-1] == RecordingWatch.CAUGHT_UP
        run.finish()
        assert run.recorder.close() is None
        run.db.close()
        status_text, steps = recorded_steps(disk)
        assert status_text == "completed"
        assert steps == list(range(len(run.plan.steps)))
        print(
            f"\nfull disk: {pending} records waited, {failures} failed attempts, "
            f"caught up {caught_up:.2f} s after the disk was freed"
        )


def test_a_disk_still_full_at_the_end_keeps_the_session_in_a_journal(
    tmp_path: Path, routine: Path
) -> None:
    with small_disk(tmp_path / "disk") as disk:
        run = Session(disk, routine, busy_ms=200, close_wait=0.3)
        run.steps(2)
        assert run.recorder.flush(5)
        filler = fill(disk)
        run.finish()
        message = run.recorder.close()
        run.db.close()
        assert message is not None and "kept in" in message and "next start" in message
        (journal,) = journal_paths(disk / "history.sqlite3")
        assert run.recorder.status().journal == journal
        assert str(journal) in message
        # A reader says so, and adds nothing (it never writes).
        with open_history(disk, create=False) as db:
            assert any("wait" in note for note in db.notes)
            assert len(q.list_sessions(db)) == 1  # its beginning, written before the disk filled
        assert journal.exists()
        filler.unlink()
        # The next start adds it, once.
        (note,) = merge_pending(disk)
        assert note.startswith("added a session")
        assert not journal.exists()
        assert recorded_steps(disk) == ("completed", list(range(len(run.plan.steps))))
        assert merge_pending(disk) == []


@pytest.mark.parametrize("free_kib", [12, 40])
def test_a_disk_too_full_for_a_new_history_says_the_disk_is_full(
    tmp_path: Path, free_kib: int
) -> None:
    """A first start on a disk with room for the file but not all it needs, and the message
    says the disk is full. With 40 KiB free the tables do not fit: SQLite rolls their
    transaction back itself, and rolling back again said "cannot rollback - no transaction
    is active" instead; with 12 KiB the shared-memory file does not fit, which SQLite calls
    a "disk I/O error"."""
    with small_disk(tmp_path / "disk") as disk:
        filler = fill(disk)
        with open(filler, "r+b") as handle:  # room for the file's first pages only
            handle.truncate(handle.seek(0, os.SEEK_END) - free_kib * 1024)
        with pytest.raises(HistoryUnavailable) as raised:
            open_history(disk)
        message = str(raised.value)
        assert "the disk is full" in message, message
        assert "rollback" not in message, message


# ------------------------------------------------------------------------ a held lock


def test_a_lock_held_by_another_program_mid_session_loses_nothing(
    tmp_path: Path, routine: Path
) -> None:
    data = tmp_path / "data"
    run = Session(data, routine, busy_ms=100)
    run.steps(2)
    assert run.recorder.flush(5)
    # Held for 30 times the writer's lock wait: what 40 s are for a wait of about 1 s.
    holder = hold_lock(data / "history.sqlite3", 3.0)
    try:
        run.steps(8)
        run.wait_until(lambda: run.recorder.status().behind)
        assert "locked" in (run.recorder.status().last_error or "")
        assert run.said[-1].startswith("Recording is behind")
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "released"
        released = time.perf_counter()
        pending = run.recorder.status().pending
        run.wait_until(lambda: run.recorder.status().pending == 0)
        caught_up = time.perf_counter() - released
    finally:
        holder.kill()
        holder.wait()
    failures = run.recorder.status().failures
    assert failures >= 2
    assert run.said[-1] == RecordingWatch.CAUGHT_UP
    run.finish()
    assert run.recorder.close() is None
    run.db.close()
    assert recorded_steps(data) == ("completed", list(range(len(run.plan.steps))))
    print(
        f"\nheld lock: {pending} records waited, {failures} failed attempts, "
        f"caught up {caught_up:.2f} s after the lock was released"
    )


def test_a_lock_held_past_the_end_keeps_the_session_and_the_next_start_adds_it(
    tmp_path: Path, routine: Path
) -> None:
    data = tmp_path / "data"
    open_history(data).close()
    holder = hold_lock(data / "history.sqlite3", 2.0)
    try:
        run = Session(data, routine, busy_ms=100, close_wait=0.3)
        run.finish()  # nothing of it can be written: not even its first record
        message = run.recorder.close()
        run.db.close()
    finally:
        holder.wait()
    assert message is not None and "locked" in message
    (journal,) = journal_paths(data / "history.sqlite3")
    kept = json.loads(journal.read_text())
    assert kept["batches"][0][0][0] == "begin"
    # Two starts at once: it is added exactly once (the second finds it added or gone).
    first, second = open_history(data), open_history(data)
    with first, second:
        assert merge_into(first) and merge_into(second) == []
    # Even when the journal is still there (a crash between the commit and its removal).
    journal.write_text(json.dumps(kept))
    assert merge_pending(data) == []
    assert not journal.exists()
    assert recorded_steps(data) == ("completed", list(range(len(run.plan.steps))))


# ------------------------------------------------------------ a pain stop the history cannot take


def pain_journals(data: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in journal_paths(data / "history.sqlite3")]


def pain_rows(data: Path) -> list[tuple]:
    with open_history(data, create=False) as db:
        return db.conn.execute("SELECT step_index, location, severity FROM pain_events").fetchall()


def test_a_pain_stop_the_history_cannot_take_is_kept_at_once_and_written_once(
    tmp_path: Path, routine: Path
) -> None:
    """The lock is held when the pain stop comes: it is kept in a live journal at once (a
    kill now loses nothing), rewritten as the answers come, and when the lock is released
    everything is written once and the journal removed: nothing left for the next start."""
    data = tmp_path / "data"
    run = Session(data, routine, busy_ms=100)
    run.steps(2)
    assert run.recorder.flush(5)
    holder = hold_lock(data / "history.sqlite3", 3.0)
    try:
        run.fake.now += 0.01  # into the step (the tiny routine's last 0.05 s or more)
        run.runner.do("pain")
        run.wait_until(lambda: run.recorder.status().behind)
        (kept,) = pain_journals(data)  # kept before it was said to be behind
        assert kept["live"]["pid"] == os.getpid()
        assert [[name for name, _ in batch] for batch in kept["batches"]] == [["pain"]]
        # The session's own journal is not another's to add while it runs.
        assert merge_pending(data) == []
        assert len(pain_journals(data)) == 1
        run.recorder.on_pain_details("hip", 4, "")
        run.wait_until(lambda: len(pain_journals(data)[0]["batches"]) == 2)
        assert pain_journals(data)[0]["id"] == kept["id"]  # the same journal, rewritten
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "released"
        run.wait_until(lambda: run.recorder.status().pending == 0)
    finally:
        holder.kill()
        holder.wait()
    assert pain_journals(data) == []
    run.fake.now += 5.0
    run.runner.do("resume")
    run.finish()
    assert run.recorder.close() is None
    run.db.close()
    assert pain_rows(data) == [(2, "hip", 4)]
    assert merge_pending(data) == []
    assert pain_rows(data) == [(2, "hip", 4)]  # once
    assert recorded_steps(data)[0] == "completed"


def test_a_pain_stop_kept_live_until_the_end_is_one_journal_added_once(
    tmp_path: Path, routine: Path
) -> None:
    """Still locked at the end: the live journal becomes the session's journal (one file,
    the same records once), added at the next start."""
    data = tmp_path / "data"
    run = Session(data, routine, busy_ms=100, close_wait=0.3)
    run.steps(2)
    assert run.recorder.flush(5)
    holder = hold_lock(data / "history.sqlite3", 3.0)
    try:
        run.fake.now += 0.01  # into the step (the tiny routine's last 0.05 s or more)
        run.runner.do("pain")
        run.wait_until(lambda: run.recorder.status().behind)
        run.fake.now += 5.0
        run.runner.do("end")
        message = run.recorder.close()
        run.db.close()
        (kept,) = pain_journals(data)
        assert "live" not in kept
        assert message is not None and "locked" in message
    finally:
        holder.wait()
    assert merge_pending(data)
    assert pain_rows(data) == [(2, None, None)]
    status, steps = recorded_steps(data)
    assert status == "pain_stopped" and steps == [0, 1, 2]


def test_a_live_journal_is_added_once_its_process_is_gone(tmp_path: Path, routine: Path) -> None:
    data = tmp_path / "data"
    open_history(data).close()
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        run = Session(data, routine)
        run.steps(1)
        assert run.recorder.flush(5)
        session_id = run.recorder.session_id
        run.recorder.close()
        run.db.close()
        pain = {
            "step_index": 1,
            "phase": "rest",
            "exercise_index": 0,
            "exercise": "x",
            "side": None,
            "set_no": 1,
            "rep": 1,
            "session_second": 1.0,
            "at": "2024-06-01T07:00:01.000Z",
        }
        journal = data / f"history.sqlite3.pending-{other.pid}-live.json"
        body = {
            "format": 1,
            "id": f"{other.pid}-live",
            "database": "history.sqlite3",
            "state": {"session_id": session_id, "pause_id": None, "pain_id": None},
            "batches": [[["pain", pain]]],
            "live": {"pid": other.pid, "process": process_identity(other.pid)},
        }
        journal.write_text(json.dumps(body))
        assert merge_pending(data) == [] and journal.exists()  # its session goes on
    finally:
        other.kill()
        other.wait()
    assert merge_pending(data)  # gone (killed): added
    assert not journal.exists()
    assert pain_rows(data) == [(1, None, None)]


# ------------------------------------------------------------------------ --plain, for real


PLAIN_OPTIONS = ("--plain", "--no-voice", "--no-bell", "--no-resume", "--level", "low")


def _run_plain(data: Path, routine: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "BACKTIMER_DATA_DIR": str(data),
        "BACKTIMER_CONFIG_DIR": str(data.parent / f"config-{uuid.uuid4().hex[:6]}"),
    }
    return subprocess.run(
        [sys.executable, "-m", "backtimer", "run", str(routine), *PLAIN_OPTIONS],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=timeout,
        check=False,
    )


#: One hold: a session of a few seconds (its get-ready's countdown sets most of its length),
#: long enough for the writer's first attempts to fail on a held lock (it waits 0.5 s for
#: it) and for the session to go on past them.
SLOW_TOML = """\
name = "Slow"
[defaults]
get_ready = 1
[[exercises]]
name = "Knee to chest"
hold = "2s"
"""


def test_plain_mode_says_when_recording_is_behind_and_keeps_the_session(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    routine = write_routine(tmp_path / "routines", SLOW_TOML, "slow")
    open_history(data).close()
    holder = hold_lock(data / "history.sqlite3", 60)
    try:
        done = _run_plain(data, routine)
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 0, done.stderr
    assert "Recording is behind" in done.stdout
    assert "Not all of this is in the history yet" in done.stdout
    assert "kept in" in done.stderr and "next start" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(journal_paths(data / "history.sqlite3")) == 1
    # The next run adds it first.
    again = _run_plain(data, routine)
    assert again.returncode == 0, again.stderr
    assert "Recording is behind" not in again.stdout
    assert journal_paths(data / "history.sqlite3") == []
    with open_history(data, create=False) as db:
        statuses = [s.status for s in q.list_sessions(db, newest_first=False)]
    assert statuses == ["completed", "completed"]


# ------------------------------------------------------------------------ a read-only folder


def test_a_read_only_history_folder_is_not_said_to_keep_what_it_cannot(
    tmp_path: Path, routine: Path
) -> None:
    """The history folder read-only (a read-only mount): nothing can be written, nor kept in
    a journal at the end. The end of the session said "They are kept, and added at the
    next start" and only the exit message, after it, that they were not."""
    with small_disk(tmp_path / "disk") as disk:
        before = Session(disk, routine)  # a history from before, read since (as `history`
        before.finish()  # does: its -wal and -shm files stay)
        assert before.recorder.close() is None
        before.db.close()
        with open_history(disk, create=False) as db:
            assert len(q.list_sessions(db)) == 1
        remounted = subprocess.run(
            ["mount", "-o", "remount,ro", str(disk)], capture_output=True, text=True
        )
        if remounted.returncode != 0:
            pytest.skip(f"cannot remount read-only: {remounted.stderr.strip()}")
        run = Session(disk, routine, busy_ms=50, close_wait=0.3)
        run.steps(2)
        run.wait_until(lambda: run.recorder.status().behind)
        assert run.said and run.said[-1].startswith("Recording is behind")
        run.finish()
        summary = run.watch.summary(wait=0.3)
        assert summary is not None and summary.startswith("Not all of this is in the history")
        assert "added at the next start" not in summary
        assert "cannot be kept" in summary and "Read-only file system" in summary
        message = run.recorder.close()
        run.db.close()
        assert message is not None and "nor kept" in message
        assert journal_paths(disk / "history.sqlite3") == []
