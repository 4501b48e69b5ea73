"""The terminal under real signals, in tmux (issue 13, items 11 and 13, and SIGINT of 14).

* Closing the terminal (killing the tmux server) at random moments of a session always ends
  the process, and the session is recorded as interrupted. Before the fix about 1 try in 6
  left backtimer alive for ever: its main thread waited to put into Textual's full output
  queue after the writer thread had died of EIO, so the SIGHUP handler never ran.
* After an outside SIGSTOP and SIGCONT the session waits paused and a later exit gives the
  shell its modes back (it was left with -icanon -echo -isig).
* Ctrl-Z pauses the session and stops the process; fg draws it again, paused.
* SIGINT from outside ends the app with 130, the session recorded as interrupted.
"""

from __future__ import annotations

import io
import json
import os
import random
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from backtimer.history.db import open_history
from backtimer.history.export import write_json

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (CI installs it)"
)

ROUTINE = """\
name = "Terminal faults"
[defaults]
get_ready = "1s"
rest = "1s"
transition = "1s"
[[exercises]]
name = "Short holds"
hold = "1s"
reps = 3
[[exercises]]
name = "Long hold"
hold = "60s"
"""

TRIES = 20  # terminal kills, at random moments
AT_ONCE = 5  # sessions killed side by side, to keep the test's time reasonable
HANG = 10.0  # seconds: a process still alive this long after its terminal closed is hung
WAIT = 30.0


class Pane:
    """One tmux server with one window, on its own socket."""

    def __init__(self, tmp_path: Path, name: str) -> None:
        self.socket = f"bt-{name}-{uuid.uuid4().hex[:8]}"
        self.dir = tmp_path / name
        self.dir.mkdir()
        self.pid_file = self.dir / "pid"

    def tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            timeout=20,
            check=check,
        )

    def env(self) -> dict[str, str]:
        return {
            "BACKTIMER_CONFIG_DIR": str(self.dir / "config"),
            "BACKTIMER_DATA_DIR": str(self.dir / "data"),
            "HOME": str(self.dir),
            "TERM": "xterm-256color",
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PS1": "READY> ",
        }

    def start(self, command: str) -> None:
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env().items())
        self.tmux(
            "-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "30",
            f"env {exports} {command}",
        )  # fmt: skip

    def start_backtimer(self, routine: Path) -> None:
        """backtimer as the pane's only process; its pid in pid_file."""
        argv = [sys.executable, "-m", "backtimer", "run", str(routine), "--no-voice", "--no-bell"]
        self.start(f"sh -c {shlex.quote(f'echo $$ > {self.pid_file}; exec {shlex.join(argv)}')}")

    def pid(self) -> int:
        end = time.monotonic() + WAIT
        while time.monotonic() < end:
            if self.pid_file.exists() and self.pid_file.read_text().strip():
                return int(self.pid_file.read_text())
            time.sleep(0.02)
        raise AssertionError("backtimer did not start")

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", check=False).stdout

    def wait_for(self, text: str, timeout: float = WAIT, *, gone: tuple[str, ...] = ()) -> str:
        """The screen once it shows ``text`` (and, still drawing, none of ``gone``)."""
        end = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < end:
            screen = self.screen()
            if text in screen and not any(word in screen for word in gone):
                return screen
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {text!r}; the screen was:\n{screen}")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", *keys)

    def kill_server(self) -> None:
        self.tmux("kill-server", check=False)

    def sessions(self) -> list[dict[str, object]]:
        """The pane's history as ``backtimer history --json`` prints it, read here (no
        Python started for each look: the kill test looks twenty times)."""
        out = io.StringIO()
        with open_history(self.dir / "data", create=False) as db:
            write_json(db, out)
        return json.loads(out.getvalue())  # type: ignore[no-any-return]


def alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped (its parent, tmux, is gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.fixture
def routine(tmp_path: Path) -> Path:
    path = tmp_path / "faults.toml"
    path.write_text(ROUTINE)
    return path


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_closing_the_terminal_always_ends_the_process(tmp_path: Path, routine: Path) -> None:
    rng = random.Random(13)
    exits: list[float] = []
    hung: list[str] = []
    for round_no in range(TRIES // AT_ONCE):
        panes = [Pane(tmp_path, f"k{round_no}-{n}") for n in range(AT_ONCE)]
        for pane in panes:
            pane.start_backtimer(routine)
        pids = [pane.pid() for pane in panes]
        for pane in panes:
            pane.wait_for("Terminal faults")
        # Random moments: getting ready, short holds and rests, transitions, the long hold.
        moments = [rng.uniform(0.0, 7.0) for _ in range(AT_ONCE)]
        shown = time.monotonic()
        killed: dict[int, float] = {}
        ended: dict[int, float] = {}
        while len(ended) < AT_ONCE:
            now = time.monotonic()
            for i, moment in enumerate(moments):
                if i not in killed and now >= shown + moment:
                    panes[i].kill_server()
                    killed[i] = time.monotonic()
            for i in list(killed):
                if i in ended:
                    continue
                if not alive(pids[i]):
                    ended[i] = time.monotonic() - killed[i]
                elif time.monotonic() - killed[i] > HANG:
                    hung.append(f"try {round_no}/{i}, {moments[i]:.2f} s into the session")
                    os.kill(pids[i], signal.SIGKILL)
                    ended[i] = HANG
            time.sleep(0.005)
        exits += [t for t in ended.values() if t < HANG]
        for pane in panes:
            for session in pane.sessions():
                assert session["status"] == "interrupted", session
    print(
        f"\n{len(exits)} terminal kills: exit after {min(exits):.2f} s to {max(exits):.2f} s "
        f"(median {sorted(exits)[len(exits) // 2]:.2f} s)"
    )
    assert not hung, f"still alive {HANG:.0f} s after the terminal closed: {hung}"


def stty(pane: Pane) -> set[str]:
    out = pane.dir / "stty"
    pane.keys(f"stty -a > {out}", "Enter")
    end = time.monotonic() + WAIT
    while time.monotonic() < end and not (out.exists() and out.read_text().strip()):
        time.sleep(0.05)
    return set(out.read_text().replace(";", " ").split())


def start_in_a_shell(pane: Pane, routine: Path) -> int:
    pane.start("bash --norc --noprofile -i")
    pane.wait_for("READY>")
    argv = [sys.executable, "-m", "backtimer", "run", str(routine), "--no-voice", "--no-bell"]
    pane.keys(f"sh -c {shlex.quote(f'echo $$ > {pane.pid_file}; exec {shlex.join(argv)}')}")
    pane.keys("Enter")
    pid = pane.pid()
    pane.wait_for("Terminal faults")
    return pid


def test_sigstop_and_sigcont_then_any_exit_restores_the_terminal(
    tmp_path: Path, routine: Path
) -> None:
    pane = Pane(tmp_path, "stop")
    try:
        before = None
        pane.start("bash --norc --noprofile -i")
        pane.wait_for("READY>")
        before = stty(pane)
        assert {"icanon", "echo", "isig"} <= before
        argv = [sys.executable, "-m", "backtimer", "run", str(routine), "--no-voice", "--no-bell"]
        pane.keys(f"sh -c {shlex.quote(f'echo $$ > {pane.pid_file}; exec {shlex.join(argv)}')}")
        pane.keys("Enter")
        pid = pane.pid()
        pane.wait_for("HOLD")
        os.kill(pid, signal.SIGSTOP)
        pane.wait_for("Stopped")  # the shell takes the terminal back, as with any job
        os.kill(pid, signal.SIGCONT)  # continued from outside: still a background job
        time.sleep(0.5)
        pane.keys("fg", "Enter")  # and back in front
        # It waits for the person, drawn again: every cell repainted, the shell's lines gone.
        pane.wait_for("PAUSED", gone=("READY>", "Stopped"))
        pane.wait_for("Terminal faults", gone=("READY>", "Stopped"))
        pane.keys("C-c")  # leave
        end = time.monotonic() + WAIT
        while alive(pid) and time.monotonic() < end:
            time.sleep(0.05)
        assert not alive(pid)
        after = stty(pane)
        assert {"icanon", "echo", "isig"} <= after, sorted(after - before)
        assert after == before
        [session] = pane.sessions()
        assert session["status"] == "interrupted"
    finally:
        pane.kill_server()


def test_ctrl_z_pauses_and_fg_draws_the_session_paused(tmp_path: Path, routine: Path) -> None:
    pane = Pane(tmp_path, "tstp")
    try:
        pid = start_in_a_shell(pane, routine)
        pane.wait_for("HOLD")
        pane.keys("C-z")
        shell = pane.wait_for("Stopped")
        assert "Terminal faults" not in shell.split("Stopped")[-1]  # the shell has the screen
        modes = stty(pane)
        assert {"icanon", "echo", "isig"} <= modes  # the shell got its modes back
        pane.keys("fg", "Enter")
        # Drawn again, paused: every cell repainted, the shell's lines gone.
        pane.wait_for("PAUSED", gone=("READY>", "Stopped"))
        pane.wait_for("Terminal faults", gone=("READY>", "Stopped"))
        time.sleep(1.5)  # paused for real: the clock does not move
        assert "PAUSED" in pane.screen()
        pane.keys("C-c")
        end = time.monotonic() + WAIT
        while alive(pid) and time.monotonic() < end:
            time.sleep(0.05)
        assert not alive(pid)
        assert {"icanon", "echo", "isig"} <= stty(pane)
    finally:
        pane.kill_server()


def test_sigint_from_outside_exits_130_and_records(tmp_path: Path, routine: Path) -> None:
    pane = Pane(tmp_path, "int")
    try:
        code_file = pane.dir / "code"
        argv = [sys.executable, "-m", "backtimer", "run", str(routine), "--no-voice", "--no-bell"]
        inner = f"echo $$ > {pane.pid_file}; exec {shlex.join(argv)}"
        pane.start(
            f"sh -c {shlex.quote(f'sh -c {shlex.quote(inner)}; echo $? > {code_file}; sleep 60')}"
        )
        pid = pane.pid()
        pane.wait_for("HOLD")
        os.kill(pid, signal.SIGINT)
        end = time.monotonic() + WAIT
        while not (code_file.exists() and code_file.read_text().strip()):
            assert time.monotonic() < end, "backtimer did not end after SIGINT"
            time.sleep(0.05)
        assert code_file.read_text().strip() == "130"
        [session] = pane.sessions()
        assert session["status"] == "interrupted"
    finally:
        pane.kill_server()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_an_ending_signal_as_the_session_appears_records_it(
    tmp_path: Path, routine: Path, sig: int
) -> None:
    """The app, like --plain (test_early_signals.py): a signal as soon as the session screen
    shows, a few times over; each session is in the history, interrupted."""
    for attempt in range(3):
        pane = Pane(tmp_path, f"early-{attempt}")
        try:
            pane.start_backtimer(routine)
            pid = pane.pid()
            pane.wait_for("exercise 1 of 2")
            os.kill(pid, sig)
            end = time.monotonic() + WAIT
            while alive(pid):
                assert time.monotonic() < end, "backtimer did not end"
                time.sleep(0.02)
            [session] = pane.sessions()
            assert session["status"] == "interrupted"
        finally:
            pane.kill_server()
