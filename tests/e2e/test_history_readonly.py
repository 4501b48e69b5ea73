"""Reads never change the history: not a byte of the database or of its write-ahead file
(``-wal``), healthy or damaged, whatever reads it (``history``, its exports, ``report``,
``list``, ``plan --level current``, the picker's queries). A damaged ``-wal`` is reported,
what can be read is shown, and it is left as it is, for readers and writers alike."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from history_driver import TINY_TOML, write_routine

from backtimer.history import HistoryUnavailable, open_history
from backtimer.history import queries as q
from backtimer.history.db import wal_problem

ROOT = Path(__file__).resolve().parents[2]

#: Records two sessions, then exits without closing anything: the second session's pages
#: are only in the -wal (no checkpoint ran), as after a kill or a power cut.
WRITER = textwrap.dedent(
    """
    import os, sys
    from datetime import datetime, timezone
    sys.path.insert(0, sys.argv[3])
    from history_driver import entry_for, record_session
    from backtimer.history import open_history
    from backtimer.history.db import HistoryDB
    db = open_history(__import__("pathlib").Path(sys.argv[1]))
    db.conn.execute("PRAGMA wal_autocheckpoint = 0")
    entry = entry_for(__import__("pathlib").Path(sys.argv[2]))
    now = datetime.now(timezone.utc).astimezone()
    record_session(db, entry, now.replace(hour=7))
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    record_session(db, entry, now.replace(hour=8))
    sys.stdout.flush()
    os._exit(0)
    """
)


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def _files(data: Path) -> dict[str, str | None]:
    db = data / "history.sqlite3"
    return {name: _digest(Path(f"{db}{name}")) for name in ("", "-wal")}


@pytest.fixture
def history_in_wal(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "data"
    routine = write_routine(tmp_path / "routines", TINY_TOML, "tiny")
    subprocess.run(
        [sys.executable, "-c", WRITER, str(data), str(routine), str(ROOT / "tests")],
        check=True,
        cwd=ROOT,
    )
    wal = data / "history.sqlite3-wal"
    assert wal.stat().st_size > 0
    return data, routine


def _damage_last_frame(data: Path) -> None:
    wal = data / "history.sqlite3-wal"
    raw = bytearray(wal.read_bytes())
    raw[-100] ^= 0xFF  # inside the last frame's page: its checksum fails
    wal.write_bytes(bytes(raw))


def _cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BACKTIMER_DATA_DIR": str(data)}
    return subprocess.run(
        [sys.executable, "-m", "backtimer", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )


def _read_everything(data: Path, routine: Path) -> list[subprocess.CompletedProcess[str]]:
    runs = [
        _cli(data, "history"),
        _cli(data, "history", "--json"),
        _cli(data, "history", "--csv"),
        _cli(data, "report"),
        _cli(data, "list"),
        _cli(data, "plan", str(routine), "--level", "current"),
    ]
    for run in runs:
        assert "Traceback" not in run.stderr, run.stderr
    return runs


def test_readers_never_change_a_healthy_history(history_in_wal: tuple[Path, Path]) -> None:
    data, routine = history_in_wal
    before = _files(data)
    runs = _read_everything(data, routine)
    assert all(run.returncode == 0 for run in runs), [r.stderr for r in runs]
    assert _files(data) == before
    assert runs[0].stdout.count("completed") == 2  # both sessions, the one in the -wal too


def test_readers_report_a_damaged_wal_show_the_rest_and_leave_it(
    history_in_wal: tuple[Path, Path],
) -> None:
    data, routine = history_in_wal
    _damage_last_frame(data)
    assert wal_problem(data / "history.sqlite3") is not None
    before = _files(data)
    runs = _read_everything(data, routine)
    assert _files(data) == before  # nothing checkpointed, truncated or deleted
    history, as_json, as_csv, report = runs[:4]
    for run in (history, as_json, as_csv, report):
        assert run.returncode == 0, run.stderr
        assert "write-ahead file" in run.stderr and "damaged" in run.stderr
        assert "left as it is" in run.stderr
    # What comes before the damaged frame: the first session, the second up to its end.
    assert history.stdout.count("completed") == 1
    # The picker's and the history screen's queries, in process, read-only too.
    with open_history(data, create=False) as db:
        assert db.readonly and db.notes
        first, second = q.list_sessions(db, newest_first=False)
        assert first.status == "completed" and second.status == "interrupted"
    assert _files(data) == before


def test_a_writer_refuses_a_damaged_wal_and_leaves_it(
    history_in_wal: tuple[Path, Path],
) -> None:
    data, _ = history_in_wal
    _damage_last_frame(data)
    before = _files(data)
    with pytest.raises(HistoryUnavailable) as caught:
        open_history(data)
    assert "damaged" in caught.value.message and "left as it is" in caught.value.message
    assert _files(data) == before
