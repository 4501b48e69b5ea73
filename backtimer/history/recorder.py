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
import errno
import json
import os
import queue
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from backtimer.core.engine import (
    WITHDRAWALS,
    ClockRestarted,
    EndedEarly,
    Event,
    Finished,
    PainStopped,
    PainWithdrawnPaused,
    Paused,
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
)
from backtimer.history.writer import (  # noqa: F401 (file_sha256: for importers)
    Batch,
    Op,
    Writer,
    file_sha256,
    journal_file,
    journal_id,
    merge_into,
    transient,
    write_journal,
    write_journaled,
)

if TYPE_CHECKING:
    from backtimer.history.queries import Resumable

Clock = Callable[[], float]
Wall = Callable[[], datetime]
MAX_NOTE = 2000
#: Waits between attempts while the history cannot be written: from the first to the most.
RETRY_FIRST = 0.1
RETRY_MAX = 1.0
#: How long a writer waits for another program's write lock before calling it a failure
#: (and retrying later): short, so that the person hears of it soon.
BUSY_MS = 500
#: At close: how long to keep trying before keeping the rest in a journal (with the lock
#: wait above, an exit never waits much more than a second and a half for the history).
CLOSE_WAIT = 0.8
#: Space set aside beside the database while a session runs (a file, freed at close), so
#: that a journal can still be written when the disk has filled up meanwhile.
RESERVE_BYTES = 256 * 1024
#: Records of a pain stop: one the history cannot take is kept in a journal as soon as an
#: attempt to write it has failed (within about BUSY_MS), or before the next attempt when
#: the history was behind already.
_PAIN_RECORDS = frozenset({"pain", "pain_details", "pain_withdrawn"})


class RoutineEntry(Protocol):
    """What the recorder needs of a :class:`backtimer.files.catalog.Entry` (read only)."""

    @property
    def key(self) -> str: ...

    @property
    def path(self) -> Path: ...

    @property
    def origin(self) -> str: ...


def reserve_path(db_path: Path) -> Path:
    return db_path.with_name(f"{db_path.name}.reserve-{os.getpid()}")


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

# A batch is a list of (operation, values) tuples, written in one transaction
# (see backtimer.history.writer).
_STOP = object()


@dataclass(frozen=True)
class RecordingStatus:
    """Where the history writer is: ``pending`` records not written yet; ``last_error`` why
    (None while it keeps up); ``failures``: attempts that failed so far; ``journal``: where
    the unwritten records were kept at close (None if none had to be)."""

    pending: int = 0
    last_error: str | None = None
    failures: int = 0
    journal: Path | None = None
    #: Why what is still unwritten at the end could not be kept in a journal either (the
    #: space set aside for it could not be: a read-only folder); None: it can be.
    unkept: str | None = None

    @property
    def behind(self) -> bool:
        return self.pending > 0 and self.last_error is not None

    def text(self) -> str | None:
        """One line for the person, while the history is behind."""
        if not self.behind:
            return None
        noun = "record" if self.pending == 1 else "records"
        return (
            f"Recording is behind: {self.pending} {noun} not written yet ({self.last_error}); "
            "they are kept and retried."
        )

    def unrecorded(self, until: str = "now") -> str | None:
        """For the end of a session: what the history does not hold yet (None: it holds
        everything so far). ``until``: when the last try is ("now", "before you quit")."""
        if not self.pending:
            return None
        noun = "record" if self.pending == 1 else "records"
        why = f" ({self.last_error})" if self.last_error else ""
        text = (
            f"Not all of this is in the history yet: {self.pending} {noun} still waiting "
            f"to be written{why}."
        )
        if self.unkept is not None:
            return (
                f"{text} They cannot be kept for the next start either ({self.unkept}): "
                f"they are lost unless they can be written {until}."
            )
        return (
            f"{text} They are kept, and added at the next start if they cannot be written {until}."
        )


class Recorder:
    """Writes one session (or the rest of a resumed one) to the history.

    ``Recorder(db, routine_entry, plan, level)``; add it to the runner's listeners. The app
    calls :meth:`on_pain_details` after the pain dialog, :meth:`on_interrupted` on SIGTERM,
    SIGHUP or Ctrl-C, and :meth:`close` at the end. ``problem`` holds a message for the user
    if something could not be written (the session goes on regardless).

    Records that cannot be written (a full disk, another program holding the write lock)
    are kept, in order, and retried until they are; :meth:`status` says how many wait and
    why. Those still unwritten at :meth:`close` (after ``close_wait`` more seconds) are
    kept in a journal beside the database, added at the next start; ``exit_message`` then
    says so, for the person.

    ``hold=True``: nothing is written (and the writer thread does not start) until
    :meth:`release`, or :meth:`flush` or :meth:`close`, which release it first. The app holds
    a session's records while it draws its first frame: the session row's write, synced to
    the disk, took 10-15 ms from it on a loaded machine, and a get-ready lasts seconds.
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
        busy_ms: int = BUSY_MS,
        close_wait: float = CLOSE_WAIT,
        reserve_bytes: int = RESERVE_BYTES,
        hold: bool = False,
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
        self.busy_ms = busy_ms
        self._close_wait = close_wait
        self.journal: Path | None = None  # where unwritten records were kept at close
        self.exit_message: str | None = None  # for the person, after close
        self.notes: list[str] = []  # about the history as it was opened
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._queued = 0  # records put on the queue (UI thread)
        self._written = 0  # records written, or kept for a journal (worker)
        self._failures = 0
        self._last_error: str | None = None
        # Worker-thread state (only the worker touches these).
        self._backlog: deque[Batch] = deque()
        self._refused: list[Batch] = []
        self._writer = Writer(resume.session_id if resume is not None else None)
        self._reserve_bytes = reserve_bytes
        self._reserve: Path | None = None
        self._unkept: str | None = None  # why no journal can be kept (see RecordingStatus)
        # A live journal (see backtimer.history.writer): the backlog, kept on disk at once
        # while it holds a pain stop that could not be written; its id and batches kept.
        self._live: str | None = None
        self._live_kept = 0
        self._thread = threading.Thread(target=self._work, name="history-writer", daemon=True)
        # Released once (the UI thread, or the deadline's thread at a signal): see release.
        self._release_lock = threading.Lock()
        self._held = hold
        if not hold:
            self._thread.start()

    @property
    def held(self) -> bool:
        """Made with ``hold=True`` and not released yet: nothing is written."""
        return self._held

    def release(self) -> None:
        """Start writing what was held (see ``hold``), in order; a no-op after the first."""
        with self._release_lock:
            if self._held:
                self._held = False
                self._thread.start()

    @property
    def session_id(self) -> int | None:
        """The session's row id, once written (read after :meth:`flush`)."""
        return self._writer.session_id

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
            elif isinstance(event, WITHDRAWALS):
                # Pressed by mistake: the pain event becomes the pause it really was; during
                # a pause (still open, the session still paused) it was part of that pause.
                self._pain_open = False
                ops.append(
                    (
                        "pain_withdrawn",
                        {
                            "started_at": utc_iso(wall_at(event.stopped_at)),
                            "at": utc_iso(wall_at(event.at)),
                            "within_pause": isinstance(event, PainWithdrawnPaused),
                        },
                    )
                )
            elif isinstance(event, ClockRestarted):
                # The clock runs again (a resume, or a skip out of a pain stop): an open
                # pause ends here, whatever stopped the clock on top of it.
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
                # The record ends when the person ended it (or skipped the last step), not
                # where the clock stopped (a pause or a pain stop before it lies within the
                # session, and an open pause lasts until then); the active time is the clock's.
                at = event.requested_at
                ops.append(
                    (
                        "end",
                        {
                            "status": status,
                            "at": utc_iso(wall_at(at)),
                            "active": round(self._active_base + event.active_seconds, 3),
                            "index": index,
                            "only_running": False,
                        },
                    )
                )
        if ops:
            self._put(ops)

    def _put(self, batch: list[Op]) -> None:
        self._queued += len(batch)
        self._queue.put(batch)

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
        self._put([("pain_details", values)])

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
        self._put(
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
        """Wait until everything queued so far is written (or, after close, kept in a
        journal). False on timeout. A held recorder is released first."""
        self.release()
        if not self._thread.is_alive():
            return True
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def close(self, timeout: float | None = 10.0) -> str | None:
        """Write what is queued and stop the worker. The session's status is left as is.

        What cannot be written within ``close_wait`` seconds is kept in a journal. Returns
        :attr:`exit_message` (None when everything was written)."""
        if self.closed:
            return self.exit_message
        self.closed = True
        self.release()  # what was held is written (or kept in a journal) too
        self._queue.put(_STOP)
        interrupted: BaseException | None = None
        if threading.current_thread() is not self._thread:
            # A Ctrl-C while waiting does not abandon the writer (a daemon thread, gone at
            # exit with what it had not written): the wait goes on, then the Ctrl-C.
            deadline = None if timeout is None else time.monotonic() + timeout
            while self._thread.is_alive():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                try:
                    self._thread.join(left)
                except KeyboardInterrupt as exc:
                    interrupted = exc
        if self.owns_db:
            self.db.close()
        if interrupted is not None:
            raise interrupted
        return self.exit_message

    def close_now(self, wait: float) -> str | None:
        """At a hard exit (from the deadline's thread, whatever the UI thread is doing):
        what is queued is written within about ``wait`` seconds, and what is not is kept in
        a journal, as at :meth:`close`; returns once that is done (or, at worst, after the
        lock wait too), so that nothing is dropped by the exit that follows."""
        self._close_wait = min(self._close_wait, wait)
        if not self.closed:
            self.closed = True
            self._queue.put(_STOP)
        self.release()
        if threading.current_thread() is not self._thread:
            self._thread.join(wait + self.busy_ms / 1000 + 1.0)
        return self.exit_message

    # ------------------------------------------------------------ status (any thread)

    def status(self) -> RecordingStatus:
        """How far behind the history is: records not written yet, and why."""
        pending = self._queued - self._written
        return RecordingStatus(
            pending=max(0, pending),
            last_error=self._last_error if pending > 0 else None,
            failures=self._failures,
            journal=self.journal,
            unkept=self._unkept,
        )

    # ------------------------------------------------------------ worker thread

    def _report(self, message: str) -> None:
        if self.problem is None:
            self.problem = message
            if self.on_problem is not None:
                with contextlib.suppress(Exception):
                    self.on_problem(message)

    def _connect(self) -> sqlite3.Connection | None:
        try:
            return self.db.connect(busy_ms=self.busy_ms)
        except HistoryUnavailable as exc:
            self._failed(exc.message)
            return None

    def _failed(self, message: str) -> None:
        self._keep_live()  # before anyone can see that it is behind
        self._failures += 1
        self._last_error = message

    def _keep_live(self) -> None:
        """The backlog could not be written: if it holds a pain stop (or a live journal is
        kept already), keep it all in the live journal now, so that a kill or a crash before
        the history takes it loses nothing (worker thread)."""
        backlog = self._backlog
        if self.db.path is None or not backlog or len(backlog) == self._live_kept:
            return
        if self._live is None and not any(
            name in _PAIN_RECORDS for batch in backlog for name, _ in batch
        ):
            return
        ident = self._live or journal_id()
        for attempt in range(2):
            try:
                write_journal(
                    self.db.path,
                    self._writer,
                    list(backlog),
                    ident=ident,
                    replace=self._live is not None,
                    live=True,
                )
            except OSError:
                if attempt == 0 and self._reserve is not None:
                    self._free_reserve()  # a full disk: the reserve is for this
                    continue
                return  # kept in memory and retried, as every record; at close, a journal
            self._live, self._live_kept = ident, len(backlog)
            return

    def _drop_live(self) -> None:
        """The live journal's records are in the history (or left to the records' own
        path): remove it."""
        if self._live is not None and self.db.path is not None:
            with contextlib.suppress(OSError):
                journal_file(self.db.path, self._live).unlink()
        self._live, self._live_kept = None, 0

    def _write_live(self, conn: sqlite3.Connection) -> bool:
        """With a live journal: write the whole backlog in one transaction that marks the
        journal added, then remove it. A passing fault (a lock, a full disk) is raised, as
        a batch's is: nothing is written, and all is retried. A record the history refuses
        (False): the journal is removed and the backlog written batch by batch, as without
        one (which keeps refused records for the journal at close)."""
        assert self._live is not None
        backlog = self._backlog
        try:
            write_journaled(conn, self._writer, self._live, list(backlog))
        except Exception as exc:
            if transient(exc):
                raise
            self._drop_live()
            return False
        self._written += sum(len(batch) for batch in backlog)
        backlog.clear()
        self._drop_live()
        return True

    def _make_reserve(self) -> None:
        if self.db.path is None or self._reserve_bytes <= 0:
            return
        reserve = reserve_path(self.db.path)
        try:
            fd = os.open(reserve, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError as exc:
            if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                # No file can be made beside the history: nor can the journal at the end.
                self._unkept = exc.strerror or str(exc)
            return
        try:
            try:
                os.posix_fallocate(fd, 0, self._reserve_bytes)
            except (AttributeError, OSError):
                os.write(fd, bytes(self._reserve_bytes))
            self._reserve = reserve
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(reserve)
        finally:
            os.close(fd)

    def _free_reserve(self) -> None:
        if self._reserve is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._reserve)
            self._reserve = None

    def _work(self) -> None:
        self._make_reserve()
        try:
            self._work_loop()
        finally:
            self._free_reserve()

    def _work_loop(self) -> None:
        backlog = self._backlog
        conn: sqlite3.Connection | None = None
        waiters: list[threading.Event] = []
        delay = RETRY_FIRST
        deadline: float | None = None  # closing: keep trying until then, then a journal
        try:
            while True:
                # Take what is queued; wait for more only when there is nothing to retry.
                timeout: float | None
                if deadline is not None:
                    timeout = 0.0
                elif backlog and self._last_error is not None:
                    timeout = delay
                elif backlog:
                    timeout = 0.0
                else:
                    timeout = None
                items = []
                try:
                    items.append(self._queue.get(timeout=timeout))
                    while True:
                        items.append(self._queue.get_nowait())
                except queue.Empty:
                    pass
                for item in items:
                    if item is _STOP:
                        deadline = time.monotonic() + self._close_wait
                    elif isinstance(item, threading.Event):
                        waiters.append(item)
                    else:
                        backlog.append(item)
                if backlog and self._last_error is not None:
                    # Behind already: a pain stop queued since is kept in the live journal
                    # before the next attempt (which may wait BUSY_MS for a lock), not only
                    # once that attempt has failed too.
                    self._keep_live()
                # Write the backlog in order, as far as it goes.
                while backlog:
                    if conn is None:
                        conn = self._connect()
                        if conn is None:
                            break
                    batch = backlog[0]
                    try:
                        if self._live is not None:
                            if self._write_live(conn):
                                self._last_error = None
                                delay = RETRY_FIRST
                            continue
                        self._writer.write(conn, batch)
                    except Exception as exc:
                        # Any error, not only SQLite's and the disk's: an exception here
                        # must never end this thread (every later record would be lost).
                        message = explain(self.db.label, exc)
                        if transient(exc):
                            self._failed(message)
                            # A fresh connection next time (after an I/O error SQLite's
                            # own state of the file may be stale).
                            with contextlib.suppress(sqlite3.Error):
                                conn.close()
                            conn = None
                            break
                        # A record the database refuses (not a passing fault): write the
                        # others; keep the refused ones for the journal.
                        backlog.popleft()
                        self._report("history not saved: " + message)
                        if len(batch) > 1:
                            for op in reversed(batch):
                                backlog.appendleft([op])
                        else:
                            self._refused.append(batch)
                            self._written += len(batch)  # counted as kept, not pending
                        continue
                    backlog.popleft()
                    self._written += len(batch)
                    if not backlog:
                        self._last_error = None
                        delay = RETRY_FIRST
                if backlog and self._last_error is not None:
                    delay = min(delay * 2, RETRY_MAX)
                if not backlog:
                    for waiter in waiters:
                        waiter.set()
                    waiters.clear()
                if deadline is not None and (not backlog or time.monotonic() >= deadline):
                    break
                if deadline is not None and backlog:
                    time.sleep(min(RETRY_FIRST, max(0.0, deadline - time.monotonic())))
            self._keep_the_rest(list(backlog))
        finally:
            for waiter in waiters:
                waiter.set()
            if conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()

    def _keep_the_rest(self, unwritten: list[Batch]) -> None:
        """At close: what is still not written goes to a journal beside the database."""
        batches = [*unwritten, *self._refused]
        if not batches:
            return
        records = sum(len(b) for b in batches)
        reason = self._last_error or self.problem or "it could not be written"
        if self.db.path is None:
            self.exit_message = f"{records} history records could not be written ({reason})"
            return
        self._free_reserve()  # its space is for this
        try:
            # A live journal becomes this one (the same file: never two of the same records).
            self.journal = write_journal(
                self.db.path,
                self._writer,
                batches,
                ident=self._live,
                replace=self._live is not None,
            )
        except OSError as exc:
            live = journal_file(self.db.path, self._live) if self._live is not None else None
            if live is not None and live.exists():
                # The live journal (a pain stop and what waited with it) is still there: those
                # records are kept, and added at the next start, as the end's journal would be.
                self.exit_message = (
                    f"{records} history records could not be written ({reason}) nor all "
                    f"kept ({exc.strerror or exc}): some are kept in {live} and will be added "
                    "to the history at the next start"
                )
                return
            self.exit_message = (
                f"{records} history records could not be written ({reason}) nor kept: "
                f"{exc.strerror or exc}"
            )
            return
        self._written += sum(len(b) for b in unwritten)
        self.exit_message = (
            f"the history could not be written in time ({reason}): this session's "
            f"{records} unsaved records are kept in {self.journal} and will be added to "
            "the history at the next start"
        )


class RecordingWatch:
    """Tells the person when the history falls behind, and when it has caught up.

    ``RecordingWatch(listeners, say)``: the listeners with a ``status()`` (recorders) are
    watched; call :meth:`poll` often (every tick, or every second): ``say(text)`` is called
    once when recording falls behind, when its reason changes, and once when it has caught
    up. ``say`` gets plain text (no markup).
    """

    CAUGHT_UP = "History caught up: everything so far is recorded."

    def __init__(self, listeners: Sequence[Any], say: Callable[[str], None]) -> None:
        self.recorders = [r for r in listeners if callable(getattr(r, "status", None))]
        self.say = say
        self.behind = False
        self._reason: str | None = None

    def poll(self) -> None:
        for recorder in self.recorders:
            status = recorder.status()
            if status.behind:
                if not self.behind or status.last_error != self._reason:
                    self.behind = True
                    self._reason = status.last_error
                    self.say(status.text() or "")
                return
        if self.behind:
            self.behind = False
            self._reason = None
            self.say(self.CAUGHT_UP)

    def summary(self, wait: float = 1.0) -> str | None:
        """For the end of a session: what the history does not hold yet (None: it holds
        everything). Waits up to ``wait`` seconds for the writer first."""
        for recorder in self.recorders:
            flush = getattr(recorder, "flush", None)
            if callable(flush):
                flush(wait)
        for recorder in self.recorders:
            text = recorder.status().unrecorded("now")
            if text is not None:
                return text
        return None


class NullRecorder:
    """Same methods as :class:`Recorder`; records nothing (the history is unavailable)."""

    def __init__(self, problem: str | None = None) -> None:
        self.problem = problem
        self.closed = False
        self.session_id: int | None = None
        self.exit_message: str | None = None
        self.journal: Path | None = None

    def status(self) -> RecordingStatus:
        return RecordingStatus()

    def release(self) -> None:
        pass

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

    def close(self, timeout: float | None = 10.0) -> str | None:
        self.closed = True
        return None


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
    hold: bool = False,
) -> Recorder | NullRecorder:
    """A recorder for a session, or a :class:`NullRecorder` whose ``problem`` says why not.
    ``hold``: write nothing until its ``release`` (see :class:`Recorder`)."""
    owns_db = db is None
    try:
        if db is None:
            db = open_history(data_dir)
    except HistoryUnavailable as exc:
        return NullRecorder(exc.message)
    recorder = Recorder(
        db,
        routine_entry,
        plan,
        level,
        resume=resume,
        on_problem=on_problem,
        owns_db=owns_db,
        clock=clock,
        hold=hold,
    )
    # An earlier session kept in a journal (not written in time) is added now.
    recorder.notes = [*db.notes, *merge_into(db)]
    return recorder
