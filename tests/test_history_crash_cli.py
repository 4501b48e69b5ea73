"""``backtimer run --plain`` killed with SIGKILL at a dozen moments: the history survives.

Twelve real processes run side by side (each with its own data folder) and are killed at
spread-out moments of a short routine; afterwards every database passes SQLite's integrity
check, shows the session as interrupted, and holds a prefix of the plan's steps.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from backtimer.history.db import STATUS_SQL, open_history

COMMAND = [sys.executable, "-m", "backtimer", "run"]

ROUTINE = """
name = "Crash test"
[defaults]
get_ready = 0.3
transition = 0.3
rest = 0.3
switch = 0.3
[[exercises]]
name = "A"
hold = 0.6
reps = 2
sides = "both"
[[exercises]]
name = "B"
hold = 0.6
reps = 3
"""


def test_sigkill_at_a_dozen_moments_never_corrupts_the_history(tmp_path: Path) -> None:
    routine = tmp_path / "crash.toml"
    routine.write_text(ROUTINE, encoding="utf-8")
    rng = random.Random(20261121)
    moments = sorted(rng.uniform(0.05, 5.0) for _ in range(12))
    runs = []
    for number in range(len(moments)):
        data = tmp_path / f"data{number}"
        env = {
            **os.environ,
            "BACKTIMER_DATA_DIR": str(data),
            "BACKTIMER_CONFIG_DIR": str(tmp_path / "config"),
        }
        process = subprocess.Popen(
            [*COMMAND, str(routine), "--plain", "--no-voice", "--no-bell"],
            stdin=subprocess.PIPE,  # kept open: the session runs on its own
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        runs.append((process, data))
    started: dict[int, float] = {}

    def watch(number: int, process: subprocess.Popen) -> None:
        # Time is counted from the session's first announcement, not from the process
        # start: a dozen interpreters starting at once on two cores take a while.
        for line in process.stdout:
            if line.startswith("[00:00]"):
                started[number] = time.monotonic()
                break

    watchers = [
        threading.Thread(target=watch, args=(n, p), daemon=True) for n, (p, _) in enumerate(runs)
    ]
    for watcher in watchers:
        watcher.start()
    try:
        pending = dict(enumerate(moments))
        deadline = time.monotonic() + 60
        while pending and time.monotonic() < deadline:
            for number, moment in list(pending.items()):
                if number in started and time.monotonic() >= started[number] + moment:
                    runs[number][0].send_signal(signal.SIGKILL)
                    del pending[number]
            time.sleep(0.01)
        assert not pending, f"sessions that never started: {sorted(pending)}"
    finally:
        for process, _ in runs:
            if process.poll() is None:
                process.kill()
            process.wait(10)

    recorded_any = 0
    for process, data in runs:
        assert process.returncode == -signal.SIGKILL
        assert "Traceback" not in process.stderr.read()
        path = data / "history.sqlite3"
        if not path.exists():
            continue  # killed before the first write: nothing to lose
        conn = sqlite3.connect(path)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        finally:
            conn.close()
        db = open_history(data, create=False)
        try:
            with db.reading() as read:
                sessions = read.execute(f"SELECT s.id, {STATUS_SQL} FROM sessions s").fetchall()
                steps = [
                    row[0]
                    for row in read.execute("SELECT step_index FROM steps ORDER BY step_index")
                ]
        finally:
            db.close()
        if not sessions:
            continue
        recorded_any += 1
        assert len(sessions) == 1 and sessions[0][1] == "interrupted"
        assert steps == list(range(len(steps))), steps  # a prefix of the plan, no gaps
    assert recorded_any >= 10, recorded_any  # most were killed well after their first step
