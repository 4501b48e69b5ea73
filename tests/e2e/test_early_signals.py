"""A session stopped by a signal at any moment after its first line is in the history
(issue 13): Ctrl-C, SIGTERM and SIGHUP, from outside, in the first milliseconds of a --plain
session, many times over.

The fault this pins: about one run in three lost the whole session (no row, no journal) when
SIGINT came right after the first step's line, because the signal's handler ran in the
middle of telling the listeners, before the history recorder had heard of the session.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

COMMAND = (sys.executable, "-m", "backtimer")
CODES = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}


def stop_early(
    routine: Path, sig: int, after: bytes, then: int | None = None
) -> tuple[int, bytes, bytes]:
    """Start a --plain session, send ``sig`` as soon as a line starting with ``after`` is
    read (b"" for the first line), and ``then`` right after it if given; the exit code and
    what was printed."""
    proc = subprocess.Popen(
        [*COMMAND, "run", str(routine), "--plain", "--no-voice", "--no-bell", "--no-resume"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    seen = b""
    while True:
        line = proc.stdout.readline()
        seen += line
        if not line or line.startswith(after):
            break
    assert line, f"the session ended before {after!r}: {seen!r}"
    proc.send_signal(sig)
    if then is not None:
        proc.send_signal(then)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, seen + out, err


def recorded(data_dir: Path) -> list[str]:
    """The statuses of the sessions in the history, and of those kept in a journal for the
    next start (one entry per journal file)."""
    statuses: list[str] = []
    db = data_dir / "history.sqlite3"
    if db.exists():
        with sqlite3.connect(db) as conn:
            statuses += [row[0] for row in conn.execute("SELECT status FROM sessions")]
    statuses += ["journal"] * len(list(data_dir.glob("history.sqlite3.pending-*.json")))
    return statuses


def run_many(
    routine: Path, data_dir: Path, sig: int, after: bytes, times: int, then: int | None = None
) -> list[tuple[int, list[str]]]:
    results = []
    for _ in range(times):
        code, out, err = stop_early(routine, sig, after, then)
        assert b"Traceback" not in err, err.decode()
        assert out.rstrip().endswith(b"interrupted"), out.decode()
        results.append((code, recorded(data_dir)))
    return results


def test_ctrl_c_right_after_the_first_step_never_loses_the_session(
    quick_routine: Path, isolated_dirs: dict[str, Path]
) -> None:
    runs = 20
    results = run_many(quick_routine, isolated_dirs["data"], signal.SIGINT, b"[00:00]", runs)
    # Each run adds its session, interrupted (or a journal of it, which the next one merges).
    assert [code for code, _ in results] == [130] * runs
    assert [len(statuses) for _, statuses in results] == list(range(1, runs + 1))
    assert set(results[-1][1]) <= {"interrupted", "journal"}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
@pytest.mark.parametrize("after", [b"Quick", b"[00:00]"], ids=["first line", "first step"])
def test_every_ending_signal_early_records_the_session(
    quick_routine: Path, isolated_dirs: dict[str, Path], sig: int, after: bytes
) -> None:
    runs = 5
    results = run_many(quick_routine, isolated_dirs["data"], sig, after, runs)
    assert [code for code, _ in results] == [CODES[sig]] * runs
    assert [len(statuses) for _, statuses in results] == list(range(1, runs + 1))
    assert set(results[-1][1]) <= {"interrupted", "journal"}


def test_a_second_signal_does_not_cut_the_recording_short(
    quick_routine: Path, isolated_dirs: dict[str, Path]
) -> None:
    """Ctrl-C, then SIGTERM at once (an impatient supervisor): the first one decides the exit
    code, and the session is recorded all the same."""
    runs = 8
    results = run_many(
        quick_routine, isolated_dirs["data"], signal.SIGINT, b"[00:00]", runs, then=signal.SIGTERM
    )
    assert [code for code, _ in results] == [130] * runs
    assert [len(statuses) for _, statuses in results] == list(range(1, runs + 1))
    assert set(results[-1][1]) <= {"interrupted", "journal"}
