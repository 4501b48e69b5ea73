"""The history file: creation, pragmas, migrations, and files that must be left untouched."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from fifo_guard import outcome_within, unblock

from backtimer.history import HistoryUnavailable, open_history
from backtimer.history.db import MIGRATIONS, SCHEMA_VERSION, history_path


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in ``folder`` and its bytes."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_creates_the_file_in_the_data_dir_with_the_schema(isolated_dirs):
    db = open_history()
    try:
        assert db.path == isolated_dirs["data"] / "history.sqlite3"
        conn = db.conn
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"sessions", "steps", "pauses", "pain_events", "planned_work", "levels"} <= tables
        assert conn.execute("SELECT COUNT(*) FROM levels").fetchone()[0] == 0
        level_cols = [r[1] for r in conn.execute("PRAGMA table_info(levels)")]
        assert level_cols == [
            "routine_key",
            "exercise_index",
            "exercise",
            "hold",
            "reps",
            "sets",
            "updated_at",
        ]
    finally:
        db.close()


def test_data_dir_argument_and_env_override(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKTIMER_DATA_DIR", str(tmp_path / "env"))
    assert history_path() == tmp_path / "env" / "history.sqlite3"
    with open_history(tmp_path / "given" / "deeper") as db:
        assert db.path == tmp_path / "given" / "deeper" / "history.sqlite3"
    assert (tmp_path / "given" / "deeper" / "history.sqlite3").is_file()
    assert not (tmp_path / "env").exists()


def test_reading_without_a_file_creates_nothing(tmp_path):
    with open_history(tmp_path / "none", create=False) as db:
        assert db.path is None
        assert db.conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 0
    assert not (tmp_path / "none").exists()


def test_reopening_keeps_the_data(tmp_path):
    with open_history(tmp_path) as db:
        db.conn.execute(
            "INSERT INTO levels VALUES ('r', 0, 'Bridges', NULL, 10, 2, '2024-01-01T00:00:00Z')"
        )
    with open_history(tmp_path) as db:
        assert db.conn.execute("SELECT reps FROM levels").fetchone()[0] == 10


def test_migrations_are_applied_in_order_from_the_stored_version(tmp_path):
    with open_history(tmp_path) as db:
        db.conn.execute(
            "INSERT INTO levels VALUES ('r', 0, 'Bridges', NULL, 10, 2, '2024-01-01T00:00:00Z')"
        )
    later = [
        *MIGRATIONS,
        ("ALTER TABLE levels ADD COLUMN note TEXT", "UPDATE levels SET note = 'v2'"),
        ("UPDATE levels SET note = note || '+v3'",),
    ]
    with open_history(tmp_path, migrations=later) as db:
        assert db.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) + 2
        assert db.conn.execute("SELECT reps, note FROM levels").fetchone() == (10, "v2+v3")
    # Already at the latest version: nothing runs again.
    with open_history(tmp_path, migrations=later) as db:
        assert db.conn.execute("SELECT note FROM levels").fetchone()[0] == "v2+v3"


def test_a_failing_migration_changes_nothing(tmp_path):
    with open_history(tmp_path):
        pass
    before = _snapshot(tmp_path)
    broken = [*MIGRATIONS, ("ALTER TABLE levels ADD COLUMN x TEXT", "THIS IS NOT SQL")]
    with pytest.raises(HistoryUnavailable):
        open_history(tmp_path, migrations=broken)
    with open_history(tmp_path) as db:
        assert db.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        columns = [r[1] for r in db.conn.execute("PRAGMA table_info(levels)")]
        assert "x" not in columns
    assert before.keys() <= _snapshot(tmp_path).keys()


def test_random_bytes_are_refused_and_left_exactly_as_they_were(tmp_path):
    path = tmp_path / "history.sqlite3"
    junk = os.urandom(4096)
    path.write_bytes(junk)
    with pytest.raises(HistoryUnavailable) as info:
        open_history(tmp_path)
    message = info.value.message
    assert str(path) in message
    assert "not a SQLite database" in message and "left as it is" in message
    assert path.read_bytes() == junk
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.sqlite3"]


def test_a_damaged_sqlite_file_is_refused_and_left_as_it_was(tmp_path):
    with open_history(tmp_path) as db:
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    path = tmp_path / "history.sqlite3"
    data = bytearray(path.read_bytes())
    data[100:] = os.urandom(len(data) - 100)  # the header survives, the pages do not
    path.write_bytes(bytes(data))
    for name in ("history.sqlite3-wal", "history.sqlite3-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    with pytest.raises(HistoryUnavailable) as info:
        open_history(tmp_path)
    assert "damaged" in info.value.message
    assert path.read_bytes() == bytes(data)


def test_a_file_from_a_newer_version_is_never_touched(tmp_path):
    path = tmp_path / "history.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE sessions (id INTEGER PRIMARY KEY, future TEXT)")
    conn.execute("INSERT INTO sessions (future) VALUES ('from the future')")
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    before = _snapshot(tmp_path)
    with pytest.raises(HistoryUnavailable) as info:
        open_history(tmp_path)
    message = info.value.message
    assert "newer version of backtimer" in message and "99" in message
    assert "left as it is" in message
    assert _snapshot(tmp_path) == before  # same bytes, no journal mode change, no WAL


def test_another_programs_database_is_refused(tmp_path):
    path = tmp_path / "history.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(HistoryUnavailable) as info:
        open_history(tmp_path)
    assert "another program" in info.value.message
    assert path.read_bytes() == before


def test_data_dir_that_is_a_file_is_refused(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("I am a file\n")
    with pytest.raises(HistoryUnavailable) as info:
        open_history(blocker)
    assert "cannot create the history" in info.value.message
    assert str(blocker) in info.value.message
    assert blocker.read_text() == "I am a file\n"
    # Even under it.
    with pytest.raises(HistoryUnavailable):
        open_history(blocker / "sub")
    assert blocker.read_text() == "I am a file\n"


def test_history_file_that_is_a_folder_is_refused(tmp_path):
    (tmp_path / "history.sqlite3").mkdir()
    with pytest.raises(HistoryUnavailable) as info:
        open_history(tmp_path)
    assert "is a folder" in info.value.message


def test_unwritable_folder_is_refused(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o500)
        target = folder
    else:  # root writes anywhere: a folder that cannot exist (under a regular file) instead
        (folder / "file").write_text("x")
        target = folder / "file" / "data"
    try:
        with pytest.raises(HistoryUnavailable) as info:
            open_history(target)
        assert "history" in info.value.message and str(folder) in info.value.message
    finally:
        folder.chmod(0o700)
    assert [p.name for p in folder.iterdir()] == ([] if os.geteuid() != 0 else ["file"])


def test_locked_file_gives_a_clear_message(tmp_path):
    with open_history(tmp_path):
        pass
    # Another program holds an exclusive lock on a file in rollback mode.
    other = sqlite3.connect(tmp_path / "history.sqlite3", isolation_level=None)
    other.execute("PRAGMA journal_mode = DELETE")
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(HistoryUnavailable) as info:
            open_history(tmp_path, busy_ms=50)
        assert "locked" in info.value.message
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.mark.parametrize("name", ["history.sqlite3", "history.sqlite3-wal"])
def test_a_named_pipe_for_the_history_is_refused_without_blocking(tmp_path, name):
    """A FIFO where the history file (or its write-ahead file) should be: reading its header
    blocked until someone wrote into the pipe, so `run` and `history` hung for ever."""
    data = tmp_path / "data"
    if name != "history.sqlite3":
        open_history(data).close()  # a history, then a pipe beside it
        wal = data / name
        if wal.exists():
            wal.unlink()
    else:
        data.mkdir()
    fifo = data / name
    os.mkfifo(fifo)
    try:
        for create in (True, False):
            problem = outcome_within(
                lambda create=create: open_history(data, create=create).close(),
                fifo,
                f"open_history(create={create})",
            )
            assert isinstance(problem, HistoryUnavailable), (create, problem)
            assert "named pipe" in problem.message, problem.message
        assert stat.S_ISFIFO(fifo.lstat().st_mode)  # left as it is
    finally:
        unblock(fifo)  # a reader still blocked: let it go


def test_a_named_pipe_named_like_a_journal_is_left_alone_without_blocking(tmp_path):
    """A FIFO named history.sqlite3.pending-1.json (where unsaved records wait for the next
    start): reading it blocked, so the next `run` hung before its session."""
    from backtimer.history.writer import merge_pending

    data = tmp_path / "data"
    open_history(data).close()
    fifo = data / "history.sqlite3.pending-1.json"
    os.mkfifo(fifo)
    (note,) = outcome_within(lambda: merge_pending(data), fifo, "merge_pending")
    assert "named pipe" in note and "left as it is" in note
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_named_pipe_swapped_in_for_a_journal_after_a_look_does_not_block(tmp_path, monkeypatch):
    """A journal looked at (a regular file) and then replaced by a FIFO before it was read:
    the read blocked merge_pending at every start. Here the look is made to miss the pipe,
    as a swap between the look and the read would: the read itself must refuse it."""
    import backtimer.history.writer as writer

    monkeypatch.setattr(writer, "special_file", lambda path: None, raising=False)
    data = tmp_path / "data"
    open_history(data).close()
    fifo = data / "history.sqlite3.pending-1.json"
    os.mkfifo(fifo)
    (note,) = outcome_within(lambda: writer.merge_pending(data), fifo, "merge_pending")
    assert "named pipe" in note and "left as it is" in note
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_journal_that_cannot_be_added_is_told_once_a_run(tmp_path):
    """`run` tries the journals twice at its start (before looking for a session to resume,
    and when its recorder opens the history): a damaged one was reported twice."""
    from backtimer.history.writer import merge_pending

    data = tmp_path / "data"
    open_history(data).close()
    (data / "history.sqlite3.pending-1.json").write_text("{not json")
    (note,) = merge_pending(data)
    assert "cannot be read" in note and "left as it is" in note
    assert merge_pending(data) == []
    with open_history(data) as db:
        from backtimer.history.writer import merge_into

        assert merge_into(db) == []
    assert (data / "history.sqlite3.pending-1.json").read_text() == "{not json"
