"""Turning a session's records into rows, and keeping the ones that cannot be written yet.

A record is an ``(operation, values)`` pair (``begin``, ``at``, ``step``, ``pause``, ...);
a batch is the records of one instant, written in one transaction by :class:`Writer`, which
also holds what later records refer to (the session's row id, the open pause, the latest
pain event).

When the history cannot be written (a full disk, another program holding its write lock)
the recorder keeps its batches and retries them. A session whose records are still not
written when the program exits is kept in a **journal** beside the database,
``history.sqlite3.pending-<id>.json`` (JSON: the writer's state and the batches, in order),
which the next writer that opens the history adds to it (:func:`merge_journals`), exactly
once: the journal's id is stored in the same transaction (table ``merged_journals``).

A pain stop that cannot be written at once is kept in a journal at once (a **live** one: it
names the process whose session it is), so that a kill or a crash while the pain screen
waits cannot lose it: that process rewrites it as more records wait, and when the history
takes them it writes them all in one transaction that marks the journal added, then removes
it. The next start leaves a live journal alone while its process lives, and adds it once
that process is gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from backtimer.core.digest import sha256_hex
from backtimer.files.atomic import atomic_create_text, atomic_write_text, read_regular_bytes
from backtimer.history.db import (
    HistoryDB,
    HistoryUnavailable,
    explain,
    history_path,
    journal_paths,
    open_history,
    pid_alive,
    process_identity,
    storable,
)

Op = tuple[str, dict[str, Any]]
Batch = list[Op]

JOURNAL_GLOB = "*.pending-*.json"

#: A session's status back to running where a pain stop had set it (the person went on).
_GOING_ON = "status = CASE WHEN status = 'pain_stopped' THEN 'running' ELSE status END"
JOURNAL_FORMAT = 1

#: SQLite error texts that say "try again later": the lock, a full disk, an I/O error
#: (a disk that is briefly gone or full), a file that cannot be opened right now.
_TRANSIENT = ("locked", "busy", "full", "disk i/o", "unable to open", "readonly", "read-only")


def transient(exc: BaseException) -> bool:
    """Whether writing again later may succeed (anything but a refused record)."""
    if isinstance(exc, OSError):
        return True
    if isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError | sqlite3.InterfaceError):
        return False
    if isinstance(exc, sqlite3.Error):
        text = str(exc).lower()
        return any(word in text for word in _TRANSIENT) or isinstance(exc, sqlite3.OperationalError)
    return False


def file_sha256(path: Path) -> str:
    try:
        return sha256_hex(path.read_bytes())
    except OSError:
        return ""


class Writer:
    """Writes batches of records; ``session_id``, ``pause_id`` and ``pain_id`` carry over
    from one batch to the next (and into a journal)."""

    def __init__(
        self,
        session_id: int | None = None,
        pause_id: int | None = None,
        pain_id: int | None = None,
    ) -> None:
        self.session_id = session_id
        self.pause_id = pause_id
        self.pain_id = pain_id

    def state(self) -> dict[str, int | None]:
        return {"session_id": self.session_id, "pause_id": self.pause_id, "pain_id": self.pain_id}

    def apply(self, conn: sqlite3.Connection, batch: Batch) -> None:
        """Write ``batch`` inside the caller's transaction (the state is restored by the
        caller if the transaction is rolled back: see :meth:`transaction`)."""
        for name, values in batch:
            getattr(self, f"_w_{name}")(conn, values)

    def write(self, conn: sqlite3.Connection, batch: Batch) -> None:
        """Write ``batch`` in one transaction; on any error nothing of it is written, the
        state is as before, and the error is raised."""
        with self.transaction(conn):
            self.apply(conn, batch)

    @contextlib.contextmanager
    def transaction(self, conn: sqlite3.Connection) -> Iterator[None]:
        """One transaction for what is written inside it: committed at its end; on any error
        rolled back, the writer's state put back as it was before, and the error raised."""
        saved = self.state()
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield
            conn.execute("COMMIT")
        except BaseException:
            self.session_id, self.pause_id, self.pain_id = saved.values()
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise

    # ------------------------------------------------------------ records

    def _w_begin(self, conn: sqlite3.Connection, v: dict[str, Any]) -> None:
        # The file's name may hold bytes that are not UTF-8 (read with surrogateescape):
        # its hash is of the file itself, what is stored says the bytes (storable).
        # Fixed on the first attempt, so a retry or a journal keeps what was true then.
        if "sha256" not in v:
            v["sha256"] = file_sha256(Path(v["path"]))
        if "process" not in v:
            v["process"] = process_identity(v["pid"])
        cursor = conn.execute(
            "INSERT INTO sessions (routine, routine_key, origin, path, sha256, level, "
            "started_at, day, utc_offset, status, plan_steps, pid, process) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)",
            (
                v["routine"],
                storable(v["routine_key"]),
                v["origin"],
                storable(v["path"]),
                v["sha256"],
                v["level"],
                v["started_at"],
                v["day"],
                v["utc_offset"],
                v["plan_steps"],
                v["pid"],
                v["process"],
            ),
        )
        self.session_id = cursor.lastrowid
        conn.executemany(
            "INSERT INTO planned_work (session_id, exercise_index, exercise, side, reps) "
            "VALUES (?, ?, ?, ?, ?)",
            [(self.session_id, *row) for row in v["planned"]],
        )

    def _w_resume_session(self, conn: sqlite3.Connection, v: dict[str, Any]) -> None:
        if "sha256" not in v:
            v["sha256"] = file_sha256(Path(v["path"]))
        if "process" not in v:
            v["process"] = process_identity(v["pid"])
        self.session_id = v["id"]
        conn.execute(
            "UPDATE sessions SET status = 'running', ended_at = NULL, pid = ?, process = ?, "
            "plan_steps = ?, sha256 = ?, resumes = resumes + 1 WHERE id = ?",
            (v["pid"], v["process"], v["plan_steps"], v["sha256"], v["id"]),
        )

    def _w_at(self, conn: sqlite3.Connection, v: dict[str, Any]) -> None:
        if self.session_id is None:
            return
        # A step starts: a pain stop before it is over (resumed or skipped past).
        conn.execute(
            f"UPDATE sessions SET resume_index = ?, resume_step = ?, {_GOING_ON} WHERE id = ?",
            (v["index"], v["step"], self.session_id),
        )

    def _w_step(self, conn: sqlite3.Connection, v: dict[str, Any]) -> None:
        if self.session_id is None:
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
                self.session_id,
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
            (v["active"], self.session_id),
        )

    def _w_pause(self, conn: sqlite3.Connection, v: dict[str, Any]) -> None:
        if self.session_id is None:
            return
        cursor = conn.execute(
            "INSERT INTO pauses (session_id, started_at, reason) VALUES (?, ?, ?)",
            (self.session_id, v["at"], v["reason"]),
        )
        self.pause_id = cursor.lastrowid

    def _w_resume(self, conn: sqlite3.Connection, v: dict[str, Any]) -> None:
        if self.session_id is not None:
            # The clock runs again: a pain stop is over (resumed, or skipped past).
            conn.execute(f"UPDATE sessions SET {_GOING_ON} WHERE id = ?", (self.session_id,))
        if self.pause_id is None:
            return  # the clock runs again after a pain stop that came while running: no pause
        conn.execute("UPDATE pauses SET ended_at = ? WHERE id = ?", (v["at"], self.pause_id))
        self.pause_id = None

    def _w_pain_withdrawn(self, conn: sqlite3.Connection, v: dict[str, Any]) -> None:
        """A pain stop pressed by mistake: no pain event (no report line, no step down),
        kept as a pause from the stop to the resume."""
        if self.session_id is None:
            return
        conn.execute(f"UPDATE sessions SET {_GOING_ON} WHERE id = ?", (self.session_id,))
        if self.pain_id is not None:
            conn.execute("DELETE FROM pain_events WHERE id = ?", (self.pain_id,))
            self.pain_id = None
        if v.get("within_pause"):
            return  # stopped while paused, and still paused: the open pause covers it
        conn.execute(
            "INSERT INTO pauses (session_id, started_at, ended_at, reason) "
            "VALUES (?, ?, ?, 'user')",
            (self.session_id, v["started_at"], v["at"]),
        )

    def _w_pain(self, conn: sqlite3.Connection, v: dict[str, Any]) -> None:
        if self.session_id is None:
            return
        cursor = conn.execute(
            "INSERT INTO pain_events (session_id, step_index, phase, exercise_index, exercise, "
            "side, set_no, rep, session_second, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.session_id,
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
        self.pain_id = cursor.lastrowid
        # Stopped for pain until the person chooses: a session whose process dies now (a
        # kill, a crash, the power) was stopped for pain, as a signal there records it, not
        # interrupted (a session stopped for pain is not offered to resume).
        conn.execute(
            "UPDATE sessions SET status = 'pain_stopped' WHERE id = ? AND status = 'running'",
            (self.session_id,),
        )

    def _w_pain_details(self, conn: sqlite3.Connection, v: dict[str, Any]) -> None:
        if self.pain_id is None:
            return
        conn.execute(
            "UPDATE pain_events SET location = ?, severity = ?, note = ? WHERE id = ?",
            (v["where"], v["severity"], v["note"], self.pain_id),
        )

    def _w_end(self, conn: sqlite3.Connection, v: dict[str, Any]) -> None:
        if self.session_id is None:
            return
        if self.pause_id is not None and v["status"] != "interrupted":
            conn.execute("UPDATE pauses SET ended_at = ? WHERE id = ?", (v["at"], self.pause_id))
            self.pause_id = None
        sets = ["status = ?", "ended_at = ?"]
        params: list[Any] = [v["status"], v["at"]]
        if v["active"] is not None:
            sets.append("active_seconds = max(active_seconds, ?)")
            params.append(v["active"])
        if v["index"] is not None:
            sets.append("resume_index = ?")
            params.append(v["index"])
        # Only running: not over yet (a session waiting at a pain stop is not over either).
        where = "id = ?" + (
            " AND status IN ('running', 'pain_stopped')" if v["only_running"] else ""
        )
        conn.execute(
            f"UPDATE sessions SET {', '.join(sets)} WHERE {where}", [*params, self.session_id]
        )


# ------------------------------------------------------------------------ journals


def journal_id() -> str:
    """A new journal's id (its file's name says it)."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{os.getpid()}-{os.urandom(4).hex()}"


def journal_file(db_path: Path, ident: str) -> Path:
    """Where the journal ``ident`` of the history ``db_path`` is kept."""
    return db_path.with_name(f"{db_path.name}.pending-{ident}.json")


def write_journal(
    db_path: Path,
    writer: Writer,
    batches: Iterable[Batch],
    *,
    ident: str | None = None,
    replace: bool = False,
    live: bool = False,
) -> Path:
    """Keep ``batches`` (not written yet) beside the database; returns the journal's path.
    Raises OSError when it cannot be written (nothing is left half-written).

    ``ident``: the journal's id (None: a new one); ``replace``: the journal of that id is
    replaced (a live journal kept up to date, see :class:`~backtimer.history.recorder.Recorder`);
    ``live``: the session still runs in this process, and may write these records itself
    (the next start leaves the journal alone while this process lives, and adds it once it
    is gone: killed, crashed)."""
    ident = ident or journal_id()
    data: dict[str, Any] = {
        "format": JOURNAL_FORMAT,
        "id": ident,
        "database": db_path.name,
        "state": writer.state(),
        "batches": [[[name, values] for name, values in batch] for batch in batches],
    }
    if live:
        data["live"] = {"pid": os.getpid(), "process": process_identity(os.getpid())}
    path = journal_file(db_path, ident)
    text = json.dumps(data, ensure_ascii=True, indent=None) + "\n"
    if replace:
        atomic_write_text(path, text, backup=False)
    else:
        atomic_create_text(path, text)
    return path


def write_journaled(
    conn: sqlite3.Connection, writer: Writer, ident: str, batches: Iterable[Batch]
) -> None:
    """Write ``batches`` (a live journal's, and any after them) in one transaction that
    also marks the journal ``ident`` added: after it the journal is only to be removed (if
    this process dies first, the next start finds it added and removes it). On any error
    nothing is written and the writer's state is as before."""
    with writer.transaction(conn):
        for batch in batches:
            writer.apply(conn, batch)
        _mark_added(conn, ident)


def _mark_added(conn: sqlite3.Connection, ident: str) -> None:
    """Mark the journal ``ident`` added, in the caller's transaction."""
    conn.execute(
        "INSERT INTO merged_journals (id, merged_at) VALUES (?, ?)",
        (ident, datetime.now(UTC).isoformat(timespec="seconds")),
    )


def _added(conn: sqlite3.Connection, ident: str) -> bool:
    """Whether the journal ``ident`` was added to the history."""
    return (
        conn.execute("SELECT 1 FROM merged_journals WHERE id = ?", (ident,)).fetchone() is not None
    )


@dataclass(frozen=True)
class MergeResult:
    merged: list[Path]  # journals added to the history (and removed)
    problems: list[str]  # for the user: journals left as they are, and why


def _writer_lives(data: dict[str, Any]) -> bool:
    """A live journal whose session still runs (in another process, or this one): its
    process writes these records itself; see :func:`write_journal`."""
    live = data.get("live")
    if not isinstance(live, dict):
        return False
    pid, process = live.get("pid"), live.get("process")
    if not isinstance(pid, int) or pid == os.getpid():
        return isinstance(pid, int)  # this process's own: it writes them itself
    return pid_alive(pid, process if isinstance(process, str) else None)


def _read_journal(path: Path) -> dict[str, Any]:
    """The journal's data, checked to be a journal of this version (ValueError if not)."""
    # Never ours when not a regular file: looked at on the open descriptor, not before the
    # open (a named pipe swapped in between would block the read, so every start, for ever).
    data = json.loads(read_regular_bytes(path).decode("utf-8"))
    if not isinstance(data, dict) or data.get("format") != JOURNAL_FORMAT:
        raise ValueError("not a journal this version of backtimer knows")
    return data


def _load_journal(path: Path) -> tuple[str, Writer, list[Batch]] | None:
    """The journal's id, writer and batches; None: a live journal whose session still runs."""
    data = _read_journal(path)
    if _writer_lives(data):
        return None
    state = data["state"]
    writer = Writer(state.get("session_id"), state.get("pause_id"), state.get("pain_id"))
    batches = [[(str(name), dict(values)) for name, values in batch] for batch in data["batches"]]
    for batch in batches:
        for name, _ in batch:
            if not hasattr(Writer, f"_w_{name}"):
                raise ValueError(f"unknown record {name!r}")
    return str(data["id"]), writer, batches


#: Problems already told in this process: a start tries the journals twice (before looking
#: for a session to resume, and when the session's recorder opens the history).
_TOLD: set[str] = set()


def _once(problems: list[str]) -> list[str]:
    fresh = [p for p in problems if p not in _TOLD]
    _TOLD.update(fresh)
    return fresh


def merge_journals(conn: sqlite3.Connection, db_path: Path) -> MergeResult:
    """Add every journal beside ``db_path`` to the history (a writable connection), each in
    one transaction, exactly once. A journal that cannot be added is left as it is."""
    merged: list[Path] = []
    problems: list[str] = []
    for path in journal_paths(db_path):
        try:
            loaded = _load_journal(path)
        except FileNotFoundError:
            continue  # merged by another backtimer meanwhile
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            problems.append(
                f"the unsaved records in {path} cannot be read ({exc}); it was left as it is"
            )
            continue
        if loaded is None:
            continue  # a session in progress keeps it (a live journal): not ours to add
        ident, writer, batches = loaded
        try:
            with writer.transaction(conn):
                fresh = not _added(conn, ident)
                if fresh:
                    for batch in batches:
                        writer.apply(conn, batch)
                    if writer.session_id is not None:
                        # Its process has ended: a session left running was interrupted.
                        conn.execute(
                            "UPDATE sessions SET status = 'interrupted' "
                            "WHERE id = ? AND status = 'running'",
                            (writer.session_id,),
                        )
                    _mark_added(conn, ident)
        except (sqlite3.Error, KeyError, TypeError, ValueError) as exc:
            reason = explain(db_path, exc) if isinstance(exc, sqlite3.Error) else str(exc)
            problems.append(
                f"the unsaved records in {path} could not be added yet ({reason}); "
                "it was left as it is and will be tried again"
            )
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            problems.append(f"{path} was added to the history but cannot be removed ({exc})")
        if fresh:
            merged.append(path)
    return MergeResult(merged, problems)


def merge_into(db: HistoryDB) -> list[str]:
    """Add the journals waiting beside ``db`` (opened to write); returns notes for the
    person: what was added, and journals that could not be (left as they are)."""
    if db.path is None or db.readonly or not journal_paths(db.path):
        return []
    result = merge_journals(db.conn, db.path)
    notes = _once(result.problems)
    if result.merged:
        n = len(result.merged)
        notes.insert(
            0,
            f"added {'a session' if n == 1 else f'{n} sessions'} to the history that could "
            "not be written in time before",
        )
    return notes


def unmerged_sessions(conn: sqlite3.Connection, db_path: Path) -> dict[int, Path]:
    """Sessions of the history named by journals beside ``db_path`` not added to it yet
    (the history was busy at this start, say), each with its journal: their rows are not
    what the session recorded (a pain stop, its end may wait in the journal). A journal that
    cannot be read names none. Reads only."""
    named: dict[int, Path] = {}
    for path in journal_paths(db_path):
        try:
            data = _read_journal(path)
            ident, session_id = str(data["id"]), data["state"]["session_id"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
        if not isinstance(session_id, int) or isinstance(session_id, bool):
            continue
        try:
            added = _added(conn, ident)
        except sqlite3.Error:
            added = False
        if not added:
            named.setdefault(session_id, path)
    return named


def merge_pending(data_dir: Path | None = None) -> list[str]:
    """At a start: add any journals beside the history (opening it to write only when
    there are some). Returns notes for the person."""
    if not journal_paths(history_path(data_dir)):
        return []
    try:
        with open_history(data_dir) as db:
            return merge_into(db)
    except HistoryUnavailable as exc:
        return [f"unsaved records wait beside the history, but {exc.message}"]
