"""The runner listener that writes the history as the session goes.

:meth:`Recorder.on_events` runs on the UI's thread, between two ticks: it only turns the
events into small records and puts them on a queue. One worker thread owns a connection and
writes each batch of events (what happened at one instant) in its own transaction, so a
kill at any moment loses at most the step in progress, and the UI and the clock never wait
for the disk.

A step is written when it ends (done or skipped, with its real length); the session row
always says which step is in progress (``resume_index``), so an interrupted session can be
resumed at the same exercise, side, set and rep.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from backtimer.core.engine import (
    EndedEarly,
    Event,
    Finished,
    PainStopped,
    PainWithdrawn,
    Paused,
    Resumed,
    Session,
    StepEnded,
    StepStarted,
)
from backtimer.core.literal import flat
from backtimer.core.plan import Plan, Step
from backtimer.history.db import (
    HistoryDB,
    HistoryUnavailable,
    explain,
    open_history,
    process_identity,
)

if TYPE_CHECKING:
    from backtimer.history.queries import Resumable

Clock = Callable[[], float]
Wall = Callable[[], datetime]
MAX_NOTE = 2000
RETRIES = 3


class RoutineEntry(Protocol):
    """What the recorder needs of a :class:`backtimer.files.catalog.Entry` (read only)."""

    @property
    def key(self) -> str: ...

    @property
    def path(self) -> Path: ...

    @property
    def origin(self) -> str: ...


def utc_iso(moment: datetime) -> str:
    """2024-05-01T07:30:00.000Z: fixed width, so strings sort as times do."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def local_now() -> datetime:
    return datetime.now().astimezone()


def level_text(level: object) -> str:
    """How a level is stored: "low", "high", or JSON of per-exercise choices."""
    if isinstance(level, str):
        return level
    if isinstance(level, Mapping):
        out = {}
        for index, choice in level.items():
            out[str(index)] = asdict(choice) if hasattr(choice, "__dataclass_fields__") else choice
        return json.dumps(out, sort_keys=True)
    return str(level)


def file_sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def step_identity(step: Step) -> dict[str, Any]:
    """What makes a step the same step in a changed routine file."""
    return {
        "phase": step.phase,
        "exercise_index": step.exercise_index,
        "exercise": step.exercise,
        "side": step.side,
        "set": step.set,
        "rep": step.rep,
    }


def planned_work(plan: Plan) -> list[tuple[int, str, str | None, int]]:
    """(exercise index, name, side, number of work steps) for each exercise and side."""
    counts: dict[tuple[int, str, str | None], int] = {}
    for step in plan.steps:
        if step.is_work:
            key = (step.exercise_index, step.exercise, step.side)
            counts[key] = counts.get(key, 0) + 1
    return [(*key, n) for key, n in counts.items()]


def _clean_text(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    text = flat(str(value), newlines=True).strip()
    return text[:limit] or None


# ------------------------------------------------------------------------ records

# A batch is a list of (operation, values) tuples, written in one transaction.
Op = tuple[str, dict[str, Any]]
_STOP = object()


class Recorder:
    """Writes one session (or the rest of a resumed one) to the history.

    ``Recorder(db, routine_entry, plan, level)``; add it to the runner's listeners. The app
    calls :meth:`on_pain_details` after the pain dialog, :meth:`on_interrupted` on SIGTERM,
    SIGHUP or Ctrl-C, and :meth:`close` at the end. ``problem`` holds a message for the user
    if something could not be written (the session goes on regardless).
    """

    def __init__(
        self,
        db: HistoryDB,
        routine_entry: RoutineEntry,
        plan: Plan,
        level: object = "low",
        *,
        resume: Resumable | None = None,
        clock: Clock = time.monotonic,
        wall: Wall = local_now,
        on_problem: Callable[[str], None] | None = None,
        owns_db: bool = False,
    ) -> None:
        self.db = db
        self.owns_db = owns_db
        self.entry = routine_entry
        self.plan = plan
        self.level = level_text(level)
        self.resume = resume
        self.clock = clock
        self.wall = wall
        self.on_problem = on_problem
        self.problem: str | None = None
        self.closed = False
        self._begun = False
        self._over = False
        self._pain_open = False  # a pain stop not yet followed by a resume or a new step
        self._step_started: dict[int, str] = {}
        self._session: Session | None = None
        self._active_base = resume.active_seconds if resume is not None else 0.0
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        # Worker-thread state (only the worker touches these).
        self._session_id: int | None = resume.session_id if resume is not None else None
        self._pause_id: int | None = None
        self._pain_id: int | None = None
        self._thread = threading.Thread(target=self._work, name="history-writer", daemon=True)
        self._thread.start()

    @property
    def session_id(self) -> int | None:
        """The session's row id, once written (read after :meth:`flush`)."""
        return self._session_id

    # ------------------------------------------------------------ listener (UI thread)

    def on_events(self, events: Sequence[Event], session: Session) -> None:
        if self.closed:
            return
        self._session = session
        now_mono = self.clock()
        now_wall = self.wall()

        def wall_at(at: float) -> datetime:
            return now_wall - timedelta(seconds=max(0.0, now_mono - at))

        ops: list[Op] = []
        for event in events:
            if isinstance(event, StepStarted):
                if not self._begun:
                    self._begun = True
                    ops.append(self._begin_op(wall_at(event.at)))
                self._pain_open = False
                self._step_started[event.step.index] = utc_iso(wall_at(event.at))
                ops.append(
                    (
                        "at",
                        {
                            "index": event.step.index,
                            "step": json.dumps(step_identity(event.step)),
                        },
                    )
                )
            elif not self._begun or self._over:
                continue
            elif isinstance(event, StepEnded):
                step = event.step
                ended = utc_iso(wall_at(event.at))
                ops.append(
                    (
                        "step",
                        {
                            "step_index": step.index,
                            "phase": step.phase,
                            "exercise_index": step.exercise_index,
                            "exercise": step.exercise,
                            "side": step.side,
                            "set_no": step.set,
                            "rep": step.rep,
                            "planned_seconds": step.seconds,
                            "actual_seconds": round(event.active_seconds, 3),
                            "status": "skipped" if event.skipped else "done",
                            "started_at": self._step_started.pop(step.index, ended),
                            "ended_at": ended,
                            "active": self._active(session, event.at),
                        },
                    )
                )
            elif isinstance(event, Paused):
                ops.append(("pause", {"at": utc_iso(wall_at(event.at)), "reason": event.reason}))
            elif isinstance(event, PainWithdrawn):
                # Pressed by mistake: the pain event becomes the pause it really was.
                self._pain_open = False
                ops.append(
                    (
                        "pain_withdrawn",
                        {
                            "started_at": utc_iso(wall_at(event.stopped_at)),
                            "at": utc_iso(wall_at(event.at)),
                        },
                    )
                )
            elif isinstance(event, Resumed):
                self._pain_open = False
                ops.append(("resume", {"at": utc_iso(wall_at(event.at))}))
            elif isinstance(event, PainStopped):
                self._pain_open = True
                ops.append(
                    (
                        "pain",
                        {
                            "step_index": event.step.index,
                            "phase": event.phase,
                            "exercise_index": event.exercise_index,
                            "exercise": event.exercise,
                            "side": event.side,
                            "set_no": event.set,
                            "rep": event.rep,
                            "session_second": round(self._active_base + event.session_second, 3),
                            "at": utc_iso(wall_at(event.at)),
                        },
                    )
                )
            elif isinstance(event, Finished | EndedEarly):
                self._over = True
                if self._pain_open:
                    status = "pain_stopped"
                elif isinstance(event, Finished):
                    status = "completed"
                else:
                    status = "ended_early"
                index = len(self.plan.steps) if isinstance(event, Finished) else session.index
                ops.append(
                    (
                        "end",
                        {
                            "status": status,
                            "at": utc_iso(wall_at(event.at)),
                            "active": round(self._active_base + event.active_seconds, 3),
                            "index": index,
                            "only_running": False,
                        },
                    )
                )
        if ops:
            self._queue.put(ops)

    def _active(self, session: Session, at: float) -> float:
        return round(self._active_base + session.active_seconds(at), 3)

    def _begin_op(self, started: datetime) -> Op:
        if self.resume is not None:
            return (
                "resume_session",
                {
                    "id": self.resume.session_id,
                    "pid": os.getpid(),
                    "plan_steps": len(self.plan.steps),
                    "path": str(self.entry.path),
                },
            )
        offset = started.utcoffset()
        return (
            "begin",
            {
                "routine": self.plan.name,
                "routine_key": self.entry.key,
                "origin": str(self.entry.origin),
                "path": str(Path(self.entry.path).expanduser().absolute()),
                "level": self.level,
                "started_at": utc_iso(started),
                "day": started.date().isoformat(),
                "utc_offset": int(offset.total_seconds()) if offset is not None else 0,
                "plan_steps": len(self.plan.steps),
                "pid": os.getpid(),
                "planned": planned_work(self.plan),
            },
        )

    def on_pain_details(
        self, where: Any = None, severity: Any = None, note: str | None = None
    ) -> None:
        """Add where it hurt, how much (0-10) and a note to the latest pain event.

        Also accepts the app's ``on_pain_details(details, session)`` call, where ``details``
        is a :class:`backtimer.tui.messages.PainDetails` (``where``, ``how_much``, ``note``).
        """
        if hasattr(where, "how_much"):
            details = where
            where, severity, note = details.where, details.how_much, details.note
        if severity is not None:
            severity = int(severity)
            if not 0 <= severity <= 10:
                raise ValueError(f"severity must be 0 to 10, not {severity}")
        if self.closed:
            return
        values = {
            "where": _clean_text(where, 200),
            "severity": severity,
            "note": _clean_text(note, MAX_NOTE),
        }
        self._queue.put([("pain_details", values)])

    def on_interrupted(self) -> None:
        """The process is being stopped (SIGTERM, SIGHUP, Ctrl-C): mark the session
        ``interrupted`` (resumable), or ``pain_stopped`` if it was stopped for pain (a session
        stopped for pain is not offered to resume).

        Safe to call from a signal handler: it only puts one item on a queue.
        """
        if self.closed or not self._begun or self._over:
            return
        self._over = True
        session = self._session
        active = None
        index = None
        if session is not None:
            active = round(self._active_base + session.active_seconds(self.clock()), 3)
            index = session.index
        self._queue.put(
            [
                (
                    "end",
                    {
                        "status": "pain_stopped" if self._pain_open else "interrupted",
                        "at": utc_iso(self.wall()),
                        "active": active,
                        "index": index,
                        "only_running": True,
                    },
                )
            ]
        )

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Wait until everything queued so far is written. False on timeout."""
        if not self._thread.is_alive():
            return True
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def close(self, timeout: float | None = 10.0) -> None:
        """Write what is queued and stop the worker. The session's status is left as is."""
        if self.closed:
            return
        self.closed = True
        self._queue.put(_STOP)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)
        if self.owns_db:
            self.db.close()

    # ------------------------------------------------------------ worker thread

    def _report(self, message: str) -> None:
        if self.problem is None:
            self.problem = message
            if self.on_problem is not None:
                with contextlib.suppress(Exception):
                    self.on_problem(message)

    def _work(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            conn = self.db.connect()
        except HistoryUnavailable as exc:
            self._report(exc.message)
        try:
            while True:
                item = self._queue.get()
                if item is _STOP:
                    break
                if isinstance(item, threading.Event):
                    item.set()
                    continue
                if conn is not None:
                    self._write(conn, item)
        finally:
            if conn is not None:
                conn.close()

    def _write(self, conn: sqlite3.Connection, batch: list[Op]) -> None:
        for attempt in range(RETRIES):
            saved = (self._session_id, self._pause_id, self._pain_id)
            try:
                conn.execute("BEGIN IMMEDIATE")
                for name, values in batch:
                    getattr(self, f"_w_{name}")(conn, values)
                conn.execute("COMMIT")
                return
            except sqlite3.Error as exc:
                self._session_id, self._pause_id, self._pain_id = saved
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                busy = isinstance(exc, sqlite3.OperationalError) and (
                    "locked" in str(exc) or "busy" in str(exc)
                )
                if busy and attempt < RETRIES - 1:
                    time.sleep(0.05 * (attempt + 1))
                    continue
                self._report("history not saved: " + explain(self.db.label, exc))
                if not busy and len(batch) > 1:
                    # Keep what can be kept: each record on its own (the end of a session
                    # is still written when its last step cannot be).
                    for op in batch:
                        self._write(conn, [op])
                return

    def _w_begin(self, conn: sqlite3.Connection, v: dict[str, Any]) -> None:
        sha = file_sha256(Path(v["path"]))
        cursor = conn.execute(
            "INSERT INTO sessions (routine, routine_key, origin, path, sha256, level, "
            "started_at, day, utc_offset, status, plan_steps, pid, process) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)",
            (
                v["routine"],
                v["routine_key"],
                v["origin"],
                v["path"],
                sha,
                v["level"],
                v["started_at"],
                v["day"],
                v["utc_offset"],
                v["plan_steps"],
                v["pid"],
                process_identity(v["pid"]),
            ),
        )
        self._session_id = cursor.lastrowid
        conn.executemany(
            "INSERT INTO planned_work (session_id, exercise_index, exercise, side, reps) "
            "VALUES (?, ?, ?, ?, ?)",
            [(self._session_id, *row) for row in v["planned"]],
        )

    def _w_resume_session(self, conn: sqlite3.Connection, v: dict[str, Any]) -> None:
        self._session_id = v["id"]
        conn.execute(
            "UPDATE sessions SET status = 'running', ended_at = NULL, pid = ?, process = ?, "
            "plan_steps = ?, sha256 = ?, resumes = resumes + 1 WHERE id = ?",
            (
                v["pid"],
                process_identity(v["pid"]),
                v["plan_steps"],
                file_sha256(Path(v["path"])),
                v["id"],
            ),
        )

    def _w_at(self, conn: sqlite3.Connection, v: dict[str, Any]) -> None:
        if self._session_id is None:
            return
        conn.execute(
            "UPDATE sessions SET resume_index = ?, resume_step = ? WHERE id = ?",
            (v["index"], v["step"], self._session_id),
        )

    def _w_step(self, conn: sqlite3.Connection, v: dict[str, Any]) -> None:
        if self._session_id is None:
            return
        conn.execute(
            "INSERT INTO steps (session_id, step_index, phase, exercise_index, exercise, side, "
            "set_no, rep, planned_seconds, actual_seconds, status, started_at, ended_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            # Run again ("back"): one row, done if any run was done, the time of all runs.
            "ON CONFLICT (session_id, step_index) DO UPDATE SET "
            "status = CASE WHEN steps.status = 'done' OR excluded.status = 'done' "
            "THEN 'done' ELSE 'skipped' END, "
            "actual_seconds = steps.actual_seconds + excluded.actual_seconds, "
            "ended_at = excluded.ended_at",
            (
                self._session_id,
                v["step_index"],
                v["phase"],
                v["exercise_index"],
                v["exercise"],
                v["side"],
                v["set_no"],
                v["rep"],
                v["planned_seconds"],
                v["actual_seconds"],
                v["status"],
                v["started_at"],
                v["ended_at"],
            ),
        )
        conn.execute(
            "UPDATE sessions SET active_seconds = max(active_seconds, ?) WHERE id = ?",
            (v["active"], self._session_id),
        )

    def _w_pause(self, conn: sqlite3.Connection, v: dict[str, Any]) -> None:
        if self._session_id is None:
            return
        cursor = conn.execute(
            "INSERT INTO pauses (session_id, started_at, reason) VALUES (?, ?, ?)",
            (self._session_id, v["at"], v["reason"]),
        )
        self._pause_id = cursor.lastrowid

    def _w_resume(self, conn: sqlite3.Connection, v: dict[str, Any]) -> None:
        if self._pause_id is None:
            return  # resumed after a pain stop: not a pause
        conn.execute("UPDATE pauses SET ended_at = ? WHERE id = ?", (v["at"], self._pause_id))
        self._pause_id = None

    def _w_pain_withdrawn(self, conn: sqlite3.Connection, v: dict[str, Any]) -> None:
        """A pain stop pressed by mistake: no pain event (no report line, no step down),
        kept as a pause from the stop to the resume."""
        if self._session_id is None:
            return
        if self._pain_id is not None:
            conn.execute("DELETE FROM pain_events WHERE id = ?", (self._pain_id,))
            self._pain_id = None
        conn.execute(
            "INSERT INTO pauses (session_id, started_at, ended_at, reason) "
            "VALUES (?, ?, ?, 'user')",
            (self._session_id, v["started_at"], v["at"]),
        )

    def _w_pain(self, conn: sqlite3.Connection, v: dict[str, Any]) -> None:
        if self._session_id is None:
            return
        cursor = conn.execute(
            "INSERT INTO pain_events (session_id, step_index, phase, exercise_index, exercise, "
            "side, set_no, rep, session_second, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self._session_id,
                v["step_index"],
                v["phase"],
                v["exercise_index"],
                v["exercise"],
                v["side"],
                v["set_no"],
                v["rep"],
                v["session_second"],
                v["at"],
            ),
        )
        self._pain_id = cursor.lastrowid

    def _w_pain_details(self, conn: sqlite3.Connection, v: dict[str, Any]) -> None:
        if self._pain_id is None:
            return
        conn.execute(
            "UPDATE pain_events SET location = ?, severity = ?, note = ? WHERE id = ?",
            (v["where"], v["severity"], v["note"], self._pain_id),
        )

    def _w_end(self, conn: sqlite3.Connection, v: dict[str, Any]) -> None:
        if self._session_id is None:
            return
        if self._pause_id is not None and v["status"] != "interrupted":
            conn.execute("UPDATE pauses SET ended_at = ? WHERE id = ?", (v["at"], self._pause_id))
            self._pause_id = None
        sets = ["status = ?", "ended_at = ?"]
        params: list[Any] = [v["status"], v["at"]]
        if v["active"] is not None:
            sets.append("active_seconds = max(active_seconds, ?)")
            params.append(v["active"])
        if v["index"] is not None:
            sets.append("resume_index = ?")
            params.append(v["index"])
        where = "id = ?" + (" AND status = 'running'" if v["only_running"] else "")
        conn.execute(
            f"UPDATE sessions SET {', '.join(sets)} WHERE {where}", [*params, self._session_id]
        )


class NullRecorder:
    """Same methods as :class:`Recorder`; records nothing (the history is unavailable)."""

    def __init__(self, problem: str | None = None) -> None:
        self.problem = problem
        self.closed = False
        self.session_id: int | None = None

    def on_events(self, events: Sequence[Event], session: Session) -> None:
        pass

    def on_pain_details(
        self, where: Any = None, severity: Any = None, note: str | None = None
    ) -> None:
        pass

    def on_interrupted(self) -> None:
        pass

    def flush(self, timeout: float | None = 10.0) -> bool:
        return True

    def close(self, timeout: float | None = 10.0) -> None:
        self.closed = True


def start_recorder(
    routine_entry: RoutineEntry,
    plan: Plan,
    level: object = "low",
    *,
    data_dir: Path | None = None,
    db: HistoryDB | None = None,
    resume: Resumable | None = None,
    on_problem: Callable[[str], None] | None = None,
    clock: Clock = time.monotonic,
) -> Recorder | NullRecorder:
    """A recorder for a session, or a :class:`NullRecorder` whose ``problem`` says why not."""
    owns_db = db is None
    try:
        if db is None:
            db = open_history(data_dir)
    except HistoryUnavailable as exc:
        return NullRecorder(exc.message)
    return Recorder(
        db,
        routine_entry,
        plan,
        level,
        resume=resume,
        on_problem=on_problem,
        owns_db=owns_db,
        clock=clock,
    )
