"""The history database: schema, migrations and connections (SQLite from the standard library).

One file, ``<data dir>/history.sqlite3``. Every connection uses:

- ``journal_mode=WAL``: readers never block the writer and a killed writer never leaves a
  half-applied transaction behind (the next opener rolls the WAL back to the last commit).
- ``synchronous=FULL``: each commit is fsynced to the WAL before it returns. NORMAL would be
  enough against a killed process (the committed pages are in the OS's cache), but only FULL
  also keeps the last committed step through a power cut or an OS crash, which is what a
  laptop on a floor running out of battery is. The cost is one fsync per step (every few
  seconds at most), paid on the recorder's worker thread, never by the UI or the clock.
- ``busy_timeout``: a second backtimer process waits for the lock instead of failing.
- ``foreign_keys=ON``.

The schema is versioned with ``PRAGMA user_version``; :data:`MIGRATIONS` is applied in order,
from the first release on, each in one transaction. A file that is not SQLite, is damaged, was
written by a newer backtimer, or cannot be written is never deleted, rewritten or migrated:
:func:`open_history` raises :class:`HistoryUnavailable` with a message for the user, and the
session runs without history (see :class:`backtimer.history.recorder.NullRecorder`).
"""

from __future__ import annotations

import os
import re
import sqlite3
import struct
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from backtimer.core.phases import WORK_PHASES
from backtimer.files import paths
from backtimer.files.atomic import special_file

FILENAME = "history.sqlite3"
SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000

STATUSES = ("running", "completed", "ended_early", "pain_stopped", "interrupted")

#: Migration ``i`` takes the schema from version ``i`` to ``i + 1``: a list of statements,
#: run in one transaction. Append new ones; never edit a released one.
#: The phases that are work, as SQL: "('hold', 'rep')" (from the phase table). The partial
#: index below and every query that counts work use this same text, so SQLite uses the index.
WORK_SQL = "(" + ", ".join(f"'{name}'" for name in WORK_PHASES) + ")"

MIGRATIONS: list[tuple[str, ...]] = [
    (
        # 1: the first release.
        """
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            routine TEXT NOT NULL,               -- the routine's name
            routine_key TEXT NOT NULL,           -- the name a user types (file stem)
            origin TEXT NOT NULL,                -- bundled, user or path
            path TEXT NOT NULL,                  -- the routine file
            sha256 TEXT NOT NULL,                -- of the file's content when it ran
            level TEXT NOT NULL,                 -- low, high, or JSON of per-exercise levels
            started_at TEXT NOT NULL,            -- UTC, ISO 8601 (2024-05-01T07:30:00.000Z)
            ended_at TEXT,
            day TEXT NOT NULL,                   -- the local date it started (YYYY-MM-DD)
            utc_offset INTEGER NOT NULL,         -- local time minus UTC at start, seconds
            status TEXT NOT NULL DEFAULT 'running' CHECK (status IN
                ('running', 'completed', 'ended_early', 'pain_stopped', 'interrupted')),
            active_seconds REAL NOT NULL DEFAULT 0,   -- pauses excluded
            plan_steps INTEGER NOT NULL,         -- number of steps in the plan
            resume_index INTEGER NOT NULL DEFAULT 0,  -- the step in progress / to resume at
            resume_step TEXT,                    -- JSON: phase, exercise, side, set, rep of it
            resumes INTEGER NOT NULL DEFAULT 0,  -- times resumed after an interruption
            pid INTEGER,                         -- the writing process, while running
            process TEXT                         -- its identity (boot and start), if known
        )
        """,
        "CREATE INDEX sessions_day ON sessions (day)",
        "CREATE INDEX sessions_started ON sessions (started_at)",
        """
        CREATE TABLE steps (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            step_index INTEGER NOT NULL,
            phase TEXT NOT NULL,
            exercise_index INTEGER NOT NULL,
            exercise TEXT NOT NULL,
            side TEXT CHECK (side IN ('right', 'left')),
            set_no INTEGER NOT NULL,
            rep INTEGER NOT NULL,
            planned_seconds REAL,                -- NULL: user-paced
            actual_seconds REAL NOT NULL,        -- pauses excluded
            status TEXT NOT NULL CHECK (status IN ('done', 'skipped')),
            started_at TEXT NOT NULL,            -- the first time it started
            ended_at TEXT NOT NULL,              -- the last time it ended
            UNIQUE (session_id, step_index)      -- a step run again ("back") is one row
        )
        """,
        # Completion per exercise and side reads only this (covering, work steps only).
        "CREATE INDEX steps_work ON steps (session_id, exercise_index, exercise, side, status) "
        f"WHERE phase IN {WORK_SQL}",
        """
        CREATE TABLE pauses (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            started_at TEXT NOT NULL,
            ended_at TEXT,                       -- NULL: still paused when it stopped
            reason TEXT NOT NULL CHECK (reason IN ('user', 'sleep'))
        )
        """,
        "CREATE INDEX pauses_session ON pauses (session_id)",
        """
        CREATE TABLE pain_events (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            step_index INTEGER NOT NULL,
            phase TEXT NOT NULL,
            exercise_index INTEGER NOT NULL,
            exercise TEXT NOT NULL,
            side TEXT CHECK (side IN ('right', 'left')),
            set_no INTEGER NOT NULL,
            rep INTEGER NOT NULL,
            session_second REAL NOT NULL,        -- active seconds into the session
            location TEXT,                       -- "where" (quick pick or text)
            severity INTEGER CHECK (severity BETWEEN 0 AND 10),
            note TEXT,
            at TEXT NOT NULL                     -- UTC, ISO 8601
        )
        """,
        "CREATE INDEX pain_session ON pain_events (session_id)",
        """
        CREATE TABLE planned_work (
            session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            exercise_index INTEGER NOT NULL,
            exercise TEXT NOT NULL,
            side TEXT CHECK (side IN ('right', 'left')),
            reps INTEGER NOT NULL                -- work steps (holds or reps) in the plan
        )
        """,
        "CREATE INDEX planned_session ON planned_work (session_id)",
        """
        CREATE TABLE levels (
            routine_key TEXT NOT NULL,
            exercise_index INTEGER NOT NULL,
            exercise TEXT NOT NULL,
            hold REAL,
            reps REAL,
            sets REAL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (routine_key, exercise_index)
        )
        """,
    ),
    (
        # 2: journals of records that could not be written in time (a full disk, a held
        # lock), added at a later start: each one's id, so that it is added exactly once.
        """
        CREATE TABLE merged_journals (
            id TEXT PRIMARY KEY,
            merged_at TEXT NOT NULL
        )
        """,
    ),
]
SCHEMA_VERSION = len(MIGRATIONS)
#: The tables readers need (those of the first release).
OUR_TABLES = frozenset({"sessions", "steps", "pauses", "pain_events", "planned_work", "levels"})


class HistoryUnavailable(Exception):
    """The history cannot be used; ``message`` says why and what to do, for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def history_path(data_dir: Path | None = None) -> Path:
    return (data_dir if data_dir is not None else paths.data_dir()) / FILENAME


# ------------------------------------------------------------------------ messages

_LEFT_AS_IS = "It was left as it is"


def storable(text: str) -> str:
    """``text`` as SQLite can store (and look up) it, UTF-8: a byte of a file name that is
    not UTF-8 (Python reads it as a lone surrogate, which SQLite refuses with an exception)
    is written out as ``\\xff``; anything else is kept as it is."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            raw = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # a surrogate that stands for no byte
            return text.encode("utf-8", "backslashreplace").decode("utf-8")
        return raw.decode("utf-8", "backslashreplace")
    return text


def stored_path(text: str) -> Path:
    """The file a path stored by :func:`storable` names: where a file name's byte that is
    not UTF-8 was written out (``\\xff``), and no file has that name, the file with the
    byte itself, if there is one (else the path as stored, for its message)."""
    path = Path(text)
    if "\\x" not in text or os.path.lexists(path):
        return path
    raw = re.sub(rb"\\x([0-9a-f]{2})", lambda m: bytes([int(m[1], 16)]), text.encode("utf-8"))
    original = Path(os.fsdecode(raw))
    return original if os.path.lexists(original) else path


def explain(path: Path | str, exc: BaseException) -> str:
    """A user-facing message for an error on the history file."""
    text = str(exc)
    lowered = text.lower()
    if isinstance(exc, sqlite3.Error):
        if "locked" in lowered or "busy" in lowered:
            return (
                f"the history file {path} is locked by another program (another backtimer?); "
                "try again when it has finished"
            )
        if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
            return (
                f"the history file {path} is damaged ({text}). {_LEFT_AS_IS}; "
                "move it away to start a new history"
            )
        if "readonly" in lowered or "read-only" in lowered or "unable to open" in lowered:
            return f"cannot write the history file {path} ({text}); check its folder's permissions"
        if "full" in lowered or ("i/o error" in lowered and _disk_full(path)):
            # SQLite calls a shared-memory file that finds no room a "disk I/O error".
            return f"cannot write the history file {path}: the disk is full"
        return f"the history file {path} cannot be used ({text})"
    if isinstance(exc, OSError):
        reason = exc.strerror or text
        return f"cannot use the history file {path}: {reason}"
    return f"the history file {path} cannot be used ({text})"


#: Less room than this on the history's disk is a full disk (SQLite asks for 32 KiB at once).
_FULL_BELOW = 64 * 1024


def _disk_full(path: Path | str) -> bool:
    """Whether the disk the history file is on (its folder's) has (almost) no room left."""
    try:
        stats = os.statvfs(Path(path).parent)
    except (OSError, ValueError):
        return False
    return stats.f_bavail * stats.f_frsize < _FULL_BELOW


@contextmanager
def guard(path: Path | str) -> Iterator[None]:
    """Turn SQLite and OS errors into :class:`HistoryUnavailable`."""
    try:
        yield
    except HistoryUnavailable:
        raise
    except (sqlite3.Error, OSError) as exc:
        raise HistoryUnavailable(explain(path, exc)) from exc


# ------------------------------------------------------------------------ the -wal file

WAL_MAGIC = (0x377F0682, 0x377F0683)


def _wal_checksum(data: bytes, big_endian: bool, s0: int = 0, s1: int = 0) -> tuple[int, int]:
    words = struct.unpack(f"{'>' if big_endian else '<'}{len(data) // 4}I", data)
    mask = 0xFFFFFFFF
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & mask
        s1 = (s1 + words[i + 1] + s0) & mask
    return s0, s1


def wal_path(path: Path) -> Path:
    """The database's write-ahead file, ``NAME-wal`` beside it."""
    return Path(f"{path}-wal")


def wal_problem(path: Path) -> str | None:
    """A message when the database's write-ahead file (``NAME-wal``) does not read back whole:
    its header or one of its frames fails SQLite's own checksums, so the sessions written
    after that point cannot be read (SQLite would silently stop there, and a writer would
    then drop the rest). None when it is whole, empty or absent.

    See https://www.sqlite.org/fileformat2.html#walformat: a 32-byte header, then frames of
    a 24-byte header and a page, each checksum chained from the one before. Frames after
    the current ones (other salts: left from before the file was restarted) are normal.
    """
    wal = wal_path(path)
    try:
        with wal.open("rb") as handle:
            header = handle.read(32)
            if not header:
                return None
            damaged = f"the history's write-ahead file {wal} is damaged"
            if len(header) < 32:
                return f"{damaged} (cut short)"
            magic, _version, page_size, _seq, salt1, salt2, c0, c1 = struct.unpack(">8I", header)
            if magic not in WAL_MAGIC or page_size < 512 or page_size > 65536:
                return f"{damaged} (not a write-ahead log)"
            big = magic & 1 == 1
            if (c0, c1) != _wal_checksum(header[:24], big):
                return f"{damaged} (its header fails its checksum)"
            s0, s1 = c0, c1
            frames = 0
            while True:
                frame = handle.read(24 + page_size)
                if len(frame) < 24 + page_size:
                    return None  # the end (a short tail was never committed)
                _page, _commit, f1, f2, k0, k1 = struct.unpack(">6I", frame[:24])
                if (f1, f2) != (salt1, salt2):
                    return None  # frames left from before: not part of the log
                s0, s1 = _wal_checksum(frame[:8], big, s0, s1)
                s0, s1 = _wal_checksum(frame[24:], big, s0, s1)
                if (s0, s1) != (k0, k1):
                    return (
                        f"{damaged}: frame {frames + 1} fails its checksum, so what was "
                        "written after it cannot be read"
                    )
                frames += 1
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot read the history's write-ahead file {wal}: {exc.strerror or exc}"


# ------------------------------------------------------------------------ liveness


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def process_identity(pid: int) -> str | None:
    """Something that tells this process apart from a later one given the same number (after
    a reboot, say): the boot id and the process's start time, where the OS says (Linux)."""
    boot = _read("/proc/sys/kernel/random/boot_id")
    stat = _read(f"/proc/{int(pid)}/stat")
    if boot is None or stat is None or ")" not in stat:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if len(fields) < 20:
        return None
    return f"{boot.strip()}:{fields[19]}"  # field 22 of stat: start time since boot


def pid_alive(pid: int | None, identity: str | None = None) -> bool:
    """Whether the process that wrote a ``running`` session is still there."""
    if pid is None:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process of that number
    except (OSError, OverflowError, ValueError):
        return False
    if identity:
        now = process_identity(int(pid))
        if now is not None and now != identity:
            return False  # the number was given to another process since
    # Killed and not yet reaped by its parent, a zombie is gone for our purposes.
    stat = _read(f"/proc/{int(pid)}/stat")
    return not (stat and stat.rpartition(")")[2].split()[:1] == ["Z"])


#: The status a reader should show: a session still ``running`` whose process is gone was
#: interrupted (killed, or the machine lost power). A session waiting at its pain screen is
#: stored ``pain_stopped`` without an end (so a kill there reads as a pain stop): while its
#: process lives it is still going on (the person may resume), and reads ``running``.
STATUS_SQL = (
    "CASE WHEN s.status = 'running' AND NOT bt_alive(s.pid, s.process) THEN 'interrupted' "
    "WHEN s.status = 'pain_stopped' AND s.ended_at IS NULL AND bt_alive(s.pid, s.process) "
    "THEN 'running' ELSE s.status END"
)


def _text(raw: bytes) -> str:
    """Text from the file as it is: bytes that are not UTF-8 (a damaged value) are kept as
    escapes (shown as \\xNN) instead of failing the whole query."""
    return raw.decode("utf-8", "surrogateescape")


def _configure(conn: sqlite3.Connection, *, busy_ms: int) -> None:
    conn.text_factory = _text
    conn.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")
    conn.create_function("bt_alive", 2, pid_alive)


# ------------------------------------------------------------------------ the database


class HistoryDB:
    """An open history: ``conn`` for the thread that opened it; :meth:`connect` for others.

    ``path`` is None for an empty, in-memory history (no file yet, opened to read only).
    ``readonly``: opened to read (it cannot change the file: see :func:`open_history`).
    ``notes``: messages for the user about the history as it was opened (a damaged
    write-ahead file, unsaved records waiting in a journal or just added from one).
    """

    def __init__(
        self,
        path: Path | None,
        conn: sqlite3.Connection,
        *,
        readonly: bool = False,
        notes: Sequence[str] = (),
    ) -> None:
        self.path = path
        self.conn = conn
        self.readonly = readonly
        self.notes: list[str] = list(notes)

    @property
    def label(self) -> str:
        return str(self.path) if self.path is not None else "(no history yet)"

    @property
    def exists(self) -> bool:
        return self.path is not None

    def connect(self, *, busy_ms: int = 10_000) -> sqlite3.Connection:
        """A new connection (for a worker thread). Raises :class:`HistoryUnavailable`."""
        if self.path is None:
            raise HistoryUnavailable("there is no history file to write to")
        with guard(self.path):
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=busy_ms / 1000)
            _configure(conn, busy_ms=busy_ms)
            return conn

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The main connection, in one read transaction (a consistent snapshot)."""
        with guard(self.label):
            self.conn.execute("BEGIN")
            try:
                yield self.conn
            finally:
                self.conn.execute("COMMIT")

    def close(self) -> None:
        with suppress(sqlite3.Error):
            self.conn.close()

    def __enter__(self) -> HistoryDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _apply_migrations(conn: sqlite3.Connection, migrations: Sequence[tuple[str, ...]]) -> None:
    """Bring the schema up to date, in one write transaction (re-checked under the lock)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for statements in migrations[version:]:
            for statement in statements:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {len(migrations)}")
        conn.execute("COMMIT")
    except BaseException:
        # A full disk (or an I/O error) makes SQLite roll the transaction back itself:
        # rolling back again would raise "no transaction is active" in place of the cause.
        if conn.in_transaction:
            with suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise


def _remove_stale_reserves(path: Path) -> None:
    """Space set aside by a session's writer (see the recorder) whose process is gone."""
    try:
        found = list(path.parent.glob(f"{path.name}.reserve-*"))
    except OSError:
        return
    for reserve in found:
        pid = reserve.name.rpartition("-")[2]
        if pid.isdigit() and not pid_alive(int(pid)):
            with suppress(OSError):
                reserve.unlink()


def empty_history() -> HistoryDB:
    """An empty history in memory: what a reader sees before the first session."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.create_function("bt_alive", 2, pid_alive)
    _apply_migrations(conn, MIGRATIONS)
    return HistoryDB(None, conn)


def _check_header(path: Path) -> None:
    """Refuse a file that is not SQLite before SQLite gets a chance to touch it (nor one
    whose write-ahead file is not a file: SQLite would block opening a named pipe)."""
    with guard(path):
        for what, file in (("history file", path), ("history's write-ahead file", wal_path(path))):
            kind = special_file(file)
            if kind is not None:
                raise HistoryUnavailable(
                    f"the {what} {file} is {kind}, not a file. {_LEFT_AS_IS}; move it away"
                )
        with path.open("rb") as handle:
            head = handle.read(100)
    if head and (len(head) < 100 or not head.startswith(SQLITE_MAGIC)):
        raise HistoryUnavailable(
            f"the history file {path} is not a SQLite database (damaged, or another "
            f"program's file). {_LEFT_AS_IS}; move it away to start a new history"
        )


def journal_paths(db_path: Path) -> list[Path]:
    """Journals of records that could not be written in time (see
    :mod:`backtimer.history.writer`) waiting beside ``db_path``, oldest first."""
    try:
        found = list(db_path.parent.glob(f"{db_path.name}.pending-*.json"))
    except OSError:
        return []

    def age(path: Path) -> tuple[float, str]:
        try:
            return (path.stat().st_mtime, path.name)
        except OSError:
            return (0.0, path.name)

    return sorted(found, key=age)


def _pending_note(path: Path) -> list[str]:
    """For readers: sessions kept in journals, not yet in the history."""
    found = journal_paths(path)
    if not found:
        return []
    what = "1 session's records wait" if len(found) == 1 else f"{len(found)} sessions' records wait"
    return [
        f"{what} in {path.parent} to be added to the history at the next session "
        "(they could not be written in time); they are not shown here yet"
    ]


def _version_and_tables(conn: sqlite3.Connection, path: Path, latest: int) -> tuple[int, set[str]]:
    """The file's schema version and its own tables (SQLite's left out), read before anything
    is written; a file from a newer backtimer (a version above ``latest``) is refused."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = {
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    }
    if version > latest:
        raise HistoryUnavailable(
            f"the history file {path} was written by a newer version of backtimer "
            f"(schema {version}; this version knows up to {latest}). {_LEFT_AS_IS}; "
            "update backtimer to use it"
        )
    return version, tables


def _open_readonly(path: Path, busy_ms: int, latest: int) -> HistoryDB:
    """A connection that cannot change the file: SQLite's ``mode=ro``. It reads the
    write-ahead file but can never checkpoint it into the database, truncate it or delete
    it (SQLite only does that from a connection that may write)."""
    notes = []
    problem = wal_problem(path)
    if problem:
        notes.append(f"{problem}. {_LEFT_AS_IS}; showing what can be read")
    notes += _pending_note(path)
    uri = "file:" + urllib.parse.quote(str(path.absolute())) + "?mode=ro"
    conn: sqlite3.Connection | None = None
    try:
        with guard(path):
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=busy_ms / 1000)
            conn.text_factory = _text
            conn.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
            conn.execute("PRAGMA query_only = ON")
            conn.create_function("bt_alive", 2, pid_alive)
            version, tables = _version_and_tables(conn, path, latest)
            if version == 0 and not tables:
                conn.close()
                empty = empty_history()
                empty.notes = notes
                return empty  # an empty file: nothing recorded yet
            if version == 0 or not tables >= OUR_TABLES:
                what = "another program's database" if version == 0 else "missing some tables"
                raise HistoryUnavailable(
                    f"the history file {path} is {what} (tables: "
                    f"{', '.join(sorted(tables)) or 'none'}). {_LEFT_AS_IS}; "
                    "move it away to start a new history"
                )
        return HistoryDB(path, conn, readonly=True, notes=notes)
    except BaseException:
        if conn is not None:
            conn.close()
        raise


def open_history(
    data_dir: Path | None = None,
    *,
    create: bool = True,
    busy_ms: int = BUSY_TIMEOUT_MS,
    migrations: Sequence[tuple[str, ...]] | None = None,
) -> HistoryDB:
    """Open (and create, and migrate) the history in ``data_dir`` (default: the data dir).

    ``create=False`` (readers: ``history``, ``report``, ``list``, the picker): opened read-only
    (see :func:`_open_readonly`: nothing is ever written, checkpointed or deleted); when there
    is no file yet, an empty in-memory history instead. A writer (``create=True``) refuses a
    damaged write-ahead file (it would drop what follows the damage). Journals of records
    that could not be written in time are added by :func:`backtimer.history.writer.merge_into`.
    Raises :class:`HistoryUnavailable`.
    """
    migrations = MIGRATIONS if migrations is None else migrations
    latest = len(migrations)
    path = history_path(data_dir)
    folder = path.parent
    try:
        present = path.exists()
    except OSError:
        present = False
    if not present:
        if not create:
            empty = empty_history()
            empty.notes = _pending_note(path)
            return empty
        if folder.exists() and not folder.is_dir():
            raise HistoryUnavailable(
                f"cannot create the history in {folder}: it is a file, not a folder"
            )
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise HistoryUnavailable(
                f"cannot create the history folder {folder}: {reason}"
            ) from exc
    else:
        _check_header(path)
        if not create:
            return _open_readonly(path, busy_ms, latest)
        problem = wal_problem(path)
        if problem:
            raise HistoryUnavailable(
                f"{problem}. {_LEFT_AS_IS} (writing would drop what follows the damage); "
                f"move {path.name} and {path.name}-wal away together to start a new history"
            )

    conn: sqlite3.Connection | None = None
    try:
        with guard(path):
            conn = sqlite3.connect(path, isolation_level=None, timeout=busy_ms / 1000)
            _configure(conn, busy_ms=busy_ms)
            # Read before writing anything: a newer or foreign file stays untouched.
            version, tables = _version_and_tables(conn, path, latest)
            if version == 0 and tables:
                raise HistoryUnavailable(
                    f"the history file {path} is another program's database "
                    f"(tables: {', '.join(sorted(tables))}). {_LEFT_AS_IS}; "
                    "move it away to start a new history"
                )
            if version > 0 and not tables >= OUR_TABLES and version == SCHEMA_VERSION:
                raise HistoryUnavailable(
                    f"the history file {path} is missing some of its tables (damaged?). "
                    f"{_LEFT_AS_IS}; move it away to start a new history"
                )
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if mode.lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            if version < latest:
                _apply_migrations(conn, migrations)
        _remove_stale_reserves(path)
        return HistoryDB(path, conn)
    except BaseException:
        if conn is not None:
            conn.close()
        raise
