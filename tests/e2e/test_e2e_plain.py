"""``backtimer run ROUTINE --plain`` as a real process, with standard input a pipe."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from backtimer.plain import LINE_ANSWERS

ROUTINE = """
name = "Three holds"
[defaults]
get_ready = 0
transition = 0
switch = 0
hold = 1
[[exercises]]
name = "Knee to chest"
position = "Lie on your back"
sides = "both"
stop_if = "pain in the front of the hip"
[[exercises]]
name = "Cat cow"
position = "On hands and knees"
"""

#: What is said, when (seconds into the session), with the voice off: the cue timeline with
#: no time for words, so each line comes when its cue is due (the routine's get-ready of 0
#: makes room for the countdown before the first hold).
SAID = [
    (0, "Knee to chest."),
    (0, "Lie on your back."),
    (0, "Stop if you feel pain in the front of the hip."),
    (0, "Hold 1 second on each side, right side first."),
    (1, "Right side."),
    (2, "3"),
    (3, "2"),
    (4, "1"),
    (5, "Hold"),
    (6, "Left side. Hold 1 second."),
    (6, "Hold"),
    (7, "Cat cow."),
    (7, "On hands and knees."),
    (7, "Hold 1 second."),  # what is timed and what comes next, said once
    (8, "3"),
    (9, "2"),
    (10, "1"),
    (11, "Hold"),
    (12, "Session complete. Well done."),
]
SAYS = ["Knee to chest."]  # the first line said
COMMAND = (sys.executable, "-m", "backtimer", "run")
LINE = re.compile(r"^\[(\d\d):(\d\d)\] (.*)$")


@pytest.fixture
def start(tmp_path: Path, isolated_dirs: dict[str, Path]):  # type: ignore[no-untyped-def]
    routine = tmp_path / "three.toml"
    routine.write_text(ROUTINE)
    env = {
        **os.environ,
        "BACKTIMER_CONFIG_DIR": str(isolated_dirs["config"]),
        "BACKTIMER_DATA_DIR": str(isolated_dirs["data"]),
        "PYTHONUNBUFFERED": "1",
    }
    procs: list[subprocess.Popen[bytes]] = []

    def launch(stdin: int = subprocess.PIPE) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [*COMMAND, str(routine), "--plain", "--no-voice", "--no-bell"],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        procs.append(proc)
        return proc

    yield launch
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


class Reader:
    """Lines of a child's stdout as they come, with a deadline (never hangs a test)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        self.fd = proc.stdout.fileno()
        self.buffer = b""
        self.lines: list[str] = []

    def until(self, predicate, timeout: float = 10.0) -> str:  # type: ignore[no-untyped-def]
        end = time.monotonic() + timeout
        while True:
            for line in self.lines:
                if predicate(line):
                    return line
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no such line within {timeout} s: {self.lines}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                chunk = os.read(self.fd, 4096)
                if not chunk:
                    raise AssertionError(f"output ended first: {self.lines}")
                self.buffer += chunk
                *done, self.buffer = self.buffer.split(b"\n")
                self.lines += [d.decode() for d in done]


def finish(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> tuple[int, str, str]:
    if proc.stdin is not None and proc.stdin.closed:
        proc.stdin = None  # communicate() would flush it
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out.decode(), err.decode()


def test_input_closed_at_once_runs_to_the_end(start) -> None:  # type: ignore[no-untyped-def]
    began = time.monotonic()
    proc = start()
    assert proc.stdin is not None
    proc.stdin.close()
    code, out, err = finish(proc, timeout=40.0)
    took = time.monotonic() - began
    assert code == 0, err
    assert "Traceback" not in err
    assert err == ""
    lines = out.splitlines()
    timed = [LINE.match(line) for line in lines]
    said = [(int(m[1]) * 60 + int(m[2]), m[3]) for m in timed if m]
    assert said == SAID
    assert lines[-1] == (
        "Summary: Done 3 of 3 holds and reps; Skipped 0; Pain stops 0; Active time 12 s."
    )
    assert 11.9 <= took < 25.0  # 12 seconds of session, plus the start of Python


def test_pain_stop_then_end(start) -> None:  # type: ignore[no-untyped-def]
    proc = start()
    assert proc.stdin is not None
    reader = Reader(proc)
    reader.until(lambda line: line.endswith("] Hold"), timeout=20.0)  # the first hold
    proc.stdin.write(b"x\n")
    proc.stdin.flush()
    reader.until(lambda line: line == LINE_ANSWERS)  # the prompt, after the choices said
    proc.stdin.write(b"end\n")
    proc.stdin.close()
    code, rest, err = finish(proc)
    lines = reader.lines + (reader.buffer.decode() + rest).splitlines()
    assert code == 0, err
    assert "Traceback" not in err
    pain = next(line for line in lines if "Pain stop:" in line)
    assert pain.startswith("[00:05] Pain stop: Knee to chest, right side, set 1 of 1, rep 1")
    assert "Stop if: pain in the front of the hip" in lines
    assert any(line.endswith("] Session ended.") for line in lines)
    assert "Session complete. Well done." not in "\n".join(lines)
    assert lines[-1].startswith(
        "Summary: Done 0 of 3 holds and reps; Skipped 0; Not reached 3; Pain stops 1;"
    )


@pytest.mark.parametrize(
    ("sig", "code"),
    [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)],
)
def test_signals_stop_cleanly(start, sig: int, code: int) -> None:  # type: ignore[no-untyped-def]
    proc = start()
    reader = Reader(proc)
    reader.until(lambda line: line.endswith(SAYS[0]))
    proc.send_signal(sig)
    result, rest, err = finish(proc)
    assert result == code
    assert "Traceback" not in err
    assert (reader.buffer.decode() + rest).splitlines()[-1] == "interrupted"


def test_keys_mode_restores_the_terminal_on_sigterm(start) -> None:  # type: ignore[no-untyped-def]
    master, slave = os.openpty()
    try:
        before = termios.tcgetattr(slave)
        assert before[3] & termios.ICANON and before[3] & termios.ECHO
        proc = start(stdin=slave)
        reader = Reader(proc)
        reader.until(lambda line: line.startswith("Keys: space pause/resume"))
        reader.until(lambda line: line.endswith(SAYS[0]))
        during = termios.tcgetattr(slave)
        assert not during[3] & termios.ICANON and not during[3] & termios.ECHO
        os.write(master, b" ")  # space: pause
        reader.until(lambda line: line.endswith("] Paused."))
        proc.send_signal(signal.SIGTERM)
        result, _, err = finish(proc)
        assert result == 143
        assert "Traceback" not in err
        assert termios.tcgetattr(slave) == before
    finally:
        os.close(master)
        os.close(slave)
