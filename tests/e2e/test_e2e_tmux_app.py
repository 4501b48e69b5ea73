"""End to end in a real terminal: ``backtimer run`` inside tmux, read back with capture-pane.

The session runs on the real clock (1-second steps), so every wait here is bounded and polls
the screen instead of sleeping a fixed time.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (CI installs it)"
)

ROUTINE = """\
name = "Three quick holds"

[[exercises]]
name = "Quick hold"
steps = ["Hold still."]
stop_if = "sharp pain"
hold = "1s"
reps = 3
rest = "1s"
get_ready = "1s"
"""

WAIT = 15.0  # seconds: the longest any one thing may take to appear


class Tmux:
    def __init__(self, tmp_path: Path) -> None:
        self.socket = f"backtimer-test-{uuid.uuid4().hex[:10]}"
        self.tmp_path = tmp_path
        self.socket_path: str | None = None

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=check,
        )

    def start(self, argv: list[str], env: dict[str, str], size: tuple[int, int]) -> None:
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        command = f"env {exports} {shlex.join(argv)}"
        self.run(
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            str(size[0]),
            "-y",
            str(size[1]),
            command,
        )
        found = self.run("display-message", "-p", "#{socket_path}", check=False).stdout.strip()
        self.socket_path = found or None

    def screen(self) -> str:
        result = self.run("capture-pane", "-p", check=False)
        return result.stdout

    def keys(self, *keys: str) -> None:
        self.run("send-keys", *keys)

    def wait_for(self, test: Callable[[str], bool], what: str, timeout: float = WAIT) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if test(text):
                return text
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; the screen was:\n{text}")

    def kill(self) -> None:
        self.run("kill-server", check=False)
        if self.socket_path:  # tmux leaves the socket file behind
            Path(self.socket_path).unlink(missing_ok=True)


def clock_lines(text: str) -> list[str]:
    """The lines that move while a session runs: the phase band and the time left."""
    return [line.strip() for line in text.splitlines() if "STOPPED" in line or " left" in line]


@pytest.fixture
def tmux(tmp_path: Path):
    session = Tmux(tmp_path)
    try:
        yield session
    finally:
        session.kill()


def test_a_session_in_a_real_terminal_with_a_pain_stop(tmux: Tmux, tmp_path: Path) -> None:
    routine = tmp_path / "quick.toml"
    routine.write_text(ROUTINE, encoding="utf-8")
    env = {
        "BACKTIMER_CONFIG_DIR": str(tmp_path / "config"),
        "BACKTIMER_DATA_DIR": str(tmp_path / "data"),
        "HOME": str(tmp_path / "home"),
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    argv = [sys.executable, "-m", "backtimer", "run", str(routine), "--no-voice", "--no-bell"]
    tmux.start(argv, env, (100, 30))

    # The phases change on their own: get ready, hold, rest...
    seen: list[str] = []

    def phase_changes(text: str) -> bool:
        for word in ("GET READY", "HOLD", "REST"):
            if word in text and (not seen or seen[-1] != word):
                seen.append(word)
        return "REST" in seen and "HOLD" in seen

    text = tmux.wait_for(phase_changes, "the phase words to change")
    assert "Three quick holds" in text
    assert "x/esc Pain stop" in text
    assert seen.index("HOLD") < seen.index("REST")

    # Pain stop: the pain screen, and a clock that no longer moves.
    tmux.keys("x")
    stopped = tmux.wait_for(
        lambda t: "physiotherapist" in t and "STOPPED" in t and "^r Resume" in t,
        "the pain screen",
    )
    assert "Stop if: sharp pain" in stopped
    time.sleep(1.5)  # a real pause on purpose: the real clock must not move the session
    later = tmux.screen()
    assert clock_lines(later) == clock_lines(stopped), "the clock moved while pain-stopped"
    assert len(clock_lines(later)) == 2 and "STOPPED" in clock_lines(later)[0]

    # End the session (the default choice) and see the summary.
    tmux.keys("Enter")
    summary = tmux.wait_for(lambda t: "ENDED EARLY" in t, "the summary")
    assert "Pain stops   1" in summary
    tmux.keys("q")
    tmux.wait_for(lambda t: "ENDED EARLY" not in t, "the app to exit")


LONG_HOLDS = """\
name = "Two long holds"

[[exercises]]
name = "Long hold"
steps = ["Hold still."]
hold = "60s"
reps = 2
rest = "1s"
get_ready = "1s"
"""


def test_escape_on_the_help_overlay_records_no_pain_event(tmux: Tmux, tmp_path: Path) -> None:
    """Escape closes the help (it is the pain stop only on the session itself): no STOP
    screen, and the history has no pain event for the physio's report."""
    import sqlite3

    routine = tmp_path / "long.toml"
    routine.write_text(LONG_HOLDS, encoding="utf-8")
    data = tmp_path / "data"
    env = {
        "BACKTIMER_CONFIG_DIR": str(tmp_path / "config"),
        "BACKTIMER_DATA_DIR": str(data),
        "HOME": str(tmp_path / "home"),
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    argv = [sys.executable, "-m", "backtimer", "run", str(routine), "--no-voice", "--no-bell"]
    tmux.start(argv, env, (80, 24))
    tmux.wait_for(lambda t: "HOLD" in t and "x/esc Pain stop" in t, "the hold")
    tmux.keys("?")
    tmux.wait_for(lambda t: "During a session" in t and "x Pain stop" in t, "the help")
    tmux.keys("Escape")
    text = tmux.wait_for(lambda t: "During a session" not in t, "the help to close")
    time.sleep(0.5)  # a real wait: a STOP screen, if any, would be up by now
    text = tmux.screen()
    assert "physiotherapist" not in text and "STOPPED" not in text
    assert "HOLD" in text
    # End the session the ordinary way; the history holds no pain event.
    tmux.keys("q")
    tmux.wait_for(lambda t: "End the session now?" in t, "the question")
    tmux.keys("y")
    tmux.wait_for(lambda t: "ENDED EARLY" in t, "the summary")
    tmux.keys("q")
    tmux.wait_for(lambda t: "ENDED EARLY" not in t, "the app to exit")
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and not (data / "history.sqlite3").exists():
        time.sleep(0.1)
    conn = sqlite3.connect(data / "history.sqlite3")
    try:
        assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM pain_events").fetchone()[0] == 0
    finally:
        conn.close()
