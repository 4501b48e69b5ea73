"""``backtimer run --plain`` killed with SIGKILL at a dozen moments: the history survives.

Twelve real processes run side by side (each with its own data folder) and are killed at
spread-out moments of a short routine; afterwards every database passes SQLite's integrity
check, shows the session as interrupted, and holds a prefix of the plan's steps.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from backtimer.history.db import STATUS_SQL, open_history
from tests.polling import wait_for

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


def _statuses(data: Path) -> list[str]:
    db = open_history(data, create=False)
    try:
        with db.reading() as read:
            return [row[0] for row in read.execute(f"SELECT {STATUS_SQL} FROM sessions s")]
    finally:
        db.close()


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_and_sighup_record_the_session_as_interrupted(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    routine = tmp_path / "crash.toml"
    routine.write_text(ROUTINE, encoding="utf-8")
    data = tmp_path / "data"
    env = {**os.environ, "BACKTIMER_DATA_DIR": str(data), "BACKTIMER_CONFIG_DIR": str(tmp_path)}
    process = subprocess.Popen(
        [*COMMAND, str(routine), "--plain", "--no-voice", "--no-bell"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        for line in process.stdout:
            if "Hold" in line:
                break
        process.send_signal(sig)
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == code
    assert "interrupted" in out
    assert "Traceback" not in err
    assert _statuses(data) == ["interrupted"]


class _Pane:
    """The full-screen app run in a detached tmux pane (80x24) on its own server."""

    def __init__(self, tmux: str, socket: str) -> None:
        self.tmux = tmux
        self.socket = socket

    def wait_for(self, text: str, seconds: float = 20.0) -> str:
        """The pane's screen once it shows ``text`` (or the last one seen, at the deadline)."""
        deadline = time.monotonic() + seconds
        screen = ""
        while time.monotonic() < deadline:
            screen = subprocess.run(
                [self.tmux, "-L", self.socket, "capture-pane", "-p"],
                capture_output=True,
                text=True,
            ).stdout
            if text in screen:
                break
            time.sleep(0.05)
        return screen

    def pid(self) -> int:
        """The pane's process (backtimer itself where the command ``exec``s it)."""
        return int(
            subprocess.run(
                [self.tmux, "-L", self.socket, "list-panes", "-F", "#{pane_pid}"],
                capture_output=True,
                text=True,
            ).stdout.split()[0]
        )


@contextmanager
def _full_screen_run(tmp_path: Path, routine_text: str, name: str, command: str) -> Iterator[_Pane]:
    """``backtimer run`` of ``routine_text`` in a tmux pane, its history in tmp_path/data;
    ``command`` is what runs in the pane ({python} and {routine} filled in). The tmux
    server is ended afterwards, whatever happened."""
    tmux = shutil.which("tmux")
    if tmux is None:
        pytest.skip("tmux is not installed (CI installs it)")
    routine = tmp_path / "crash.toml"
    routine.write_text(routine_text, encoding="utf-8")
    socket = f"bt-{os.getpid()}-{name}"
    line = (
        f"BACKTIMER_DATA_DIR={tmp_path / 'data'} BACKTIMER_CONFIG_DIR={tmp_path} "
        + command.format(python=sys.executable, routine=routine)
    )
    subprocess.run(
        [tmux, "-L", socket, "new-session", "-d", "-x", "80", "-y", "24", line], check=True
    )
    try:
        yield _Pane(tmux, socket)
    finally:
        subprocess.run([tmux, "-L", socket, "kill-server"], capture_output=True)


def _wait_for_statuses(data: Path, wanted: list[str]) -> None:
    """Until the history in ``data`` exists and its sessions' statuses are ``wanted``."""
    wait_for(
        lambda: (data / "history.sqlite3").exists() and _statuses(data) == wanted, timeout=15.0
    )


def test_the_full_screen_app_records_interrupted_on_sigterm(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with _full_screen_run(
        tmp_path,
        ROUTINE.replace("hold = 0.6", "hold = 30"),
        "term",
        "{python} -m backtimer run {routine} --no-voice --no-bell",
    ) as pane:
        screen = pane.wait_for("HOLD")
        assert "HOLD" in screen
        pane_pid = str(pane.pid())
        children = subprocess.run(
            ["pgrep", "-P", pane_pid], capture_output=True, text=True
        ).stdout.split()
        target = int(children[0]) if children else int(pane_pid)
        os.kill(target, signal.SIGTERM)
        _wait_for_statuses(data, ["interrupted"])
        assert _statuses(data) == ["interrupted"]


def test_the_full_screen_app_killed_after_its_first_frame_leaves_the_session_recorded(
    tmp_path: Path,
) -> None:
    """The session row of `run` is written just after the first frame (not before it): a
    SIGKILL during the get-ready that follows (no step has ended, no signal handler runs)
    still leaves the session in the history, as interrupted."""
    data = tmp_path / "data"
    with _full_screen_run(
        tmp_path,
        ROUTINE.replace("get_ready = 0.3", "get_ready = 60"),
        "kill",
        "exec {python} -m backtimer run {routine} --no-voice --no-bell",
    ) as pane:
        screen = pane.wait_for("GET READY")
        assert "GET READY" in screen
        # Written within moments of the frame (the get-ready lasts a minute here).
        _wait_for_statuses(data, ["running"])
        assert _statuses(data) == ["running"]  # the process is alive: its session runs
        os.kill(pane.pid(), signal.SIGKILL)  # exec: the pane's process is backtimer
        _wait_for_statuses(data, ["interrupted"])
        assert _statuses(data) == ["interrupted"]


LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
conn.execute("CREATE TABLE IF NOT EXISTS held (a)")
print("held", flush=True)
sys.stdin.read()  # until the test closes it
"""


def test_the_full_screen_app_signalled_while_another_program_holds_the_lock_keeps_a_journal(
    tmp_path: Path,
) -> None:
    """SIGTERM while another program holds the history's write lock: the session's last
    records (its steps, its interruption) cannot be written before the process must end,
    so they are kept in a journal and added at the next start, as at a quit. The deadline's
    hard exit only waited for them (0.8 s) and dropped them."""
    from backtimer.history.writer import journal_paths, merge_pending

    data = tmp_path / "data"
    locker: subprocess.Popen[str] | None = None
    with _full_screen_run(
        tmp_path,
        ROUTINE.replace("hold = 0.6", "hold = 30"),
        "locked",
        "BACKTIMER_AUDIO=null exec {python} -m backtimer run {routine}",
    ) as pane:
        try:
            screen = pane.wait_for("HOLD")
            assert "HOLD" in screen
            _wait_for_statuses(data, ["running"])
            assert _statuses(data) == ["running"]
            locker = subprocess.Popen(
                [sys.executable, "-c", LOCKER, str(data / "history.sqlite3")],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert locker.stdout is not None and locker.stdout.readline().strip() == "held"
            pane_pid = pane.pid()
            os.kill(pane_pid, signal.SIGTERM)  # exec: the pane's process is backtimer
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and _alive(pane_pid):
                time.sleep(0.1)
            assert not _alive(pane_pid)
            journals = journal_paths(data / "history.sqlite3")
            assert len(journals) == 1, journals
            locker.communicate("", timeout=10)  # the lock is let go
            (note,) = merge_pending(data)
            assert note.startswith("added a session"), note
            assert _statuses(data) == ["interrupted"]
        finally:
            if locker is not None and locker.poll() is None:
                locker.kill()


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, ended but not yet reaped by tmux, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
