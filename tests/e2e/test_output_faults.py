"""Output that cannot be written (issue 13, item 8), made for real: standard output on
/dev/full (a full disk) and a pipe whose reader has gone (``| head -1``), and SIGINT from
outside (item 14). A one-line message and exit 1, or a quiet exit for a closed pipe; never a
traceback; a --plain session still records its history."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")

COMMAND = (sys.executable, "-m", "backtimer")
FULL = "backtimer: cannot write the output: No space left on device\n"


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "0"}


def start_plain(routine: Path) -> subprocess.Popen[bytes]:
    """A --plain session of ``routine`` with its output in a pipe, unbuffered (each line
    can be read as soon as it is printed)."""
    return subprocess.Popen(
        [*COMMAND, "run", str(routine), "--plain", "--no-voice", "--no-bell"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env={**env(), "PYTHONUNBUFFERED": "1"},
    )


def sessions() -> list[dict[str, object]]:
    result = subprocess.run(
        [*COMMAND, "history", "--json"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "args",
    [
        ("list",),
        ("list", "--json"),
        ("schema",),
        ("plan", "desk-break"),
        ("plan", "desk-break", "--json"),
        ("check", "routines"),
        ("history", "--json"),
    ],
)
def test_a_full_disk_on_stdout_is_one_line_and_exit_1(args: tuple[str, ...]) -> None:
    cwd = Path(__file__).resolve().parents[2]  # the repository, for "check routines"
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [*COMMAND, *args],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            env=env(),
            cwd=cwd,
        )
    if args == ("history", "--json") and result.returncode == 0:
        # An empty history prints "[]": small, but it still must reach the disk.
        pytest.fail("an unwritable output was reported as success")
    assert (result.returncode, result.stderr) == (1, FULL)


@pytest.mark.parametrize("args", [("list",), ("schema",), ("plan", "desk-break", "--json")])
def test_a_closed_pipe_ends_quietly(args: tuple[str, ...]) -> None:
    proc = subprocess.Popen(
        [*COMMAND, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env()
    )
    assert proc.stdout is not None
    proc.stdout.close()  # the reader is gone before a byte is written
    _, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (0, b"")


def test_a_plain_session_on_a_full_disk_goes_on_and_is_recorded(quick_routine: Path) -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [*COMMAND, "run", str(quick_routine), "--plain", "--no-voice", "--no-bell"],
            stdout=full,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=60,
            env=env(),
        )
    assert result.returncode == 1
    assert result.stderr == (
        "backtimer: cannot write the session's lines: No space left on device; "
        "the session goes on and is recorded\n"
    )
    [session] = sessions()
    assert session["status"] == "completed"
    # Every step done: for each of the three holds, its get-ready (the routine's 0 made as
    # long as the countdown before the hold needs) and the hold.
    assert [s["status"] for s in session["steps"]] == ["done"] * 6  # type: ignore[union-attr]


def test_a_plain_session_whose_reader_goes_away_ends_recorded(quick_routine: Path) -> None:
    proc = start_plain(quick_routine)
    assert proc.stdout is not None
    first = proc.stdout.readline()  # like `| head -1`
    assert first.startswith(b"Quick")
    proc.stdout.close()
    started = time.monotonic()
    _, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (141, b"")
    assert time.monotonic() - started < 30  # it ended, not ran the session out
    [session] = sessions()
    assert session["status"] == "interrupted"


def test_sigint_from_outside_exits_130(quick_routine: Path) -> None:
    proc = start_plain(quick_routine)
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith(b"Quick")
    proc.send_signal(signal.SIGINT)  # right after the first line (see test_early_signals.py)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert b"Traceback" not in err
    assert out.rstrip().endswith(b"interrupted")
    [session] = sessions()
    assert session["status"] == "interrupted"
