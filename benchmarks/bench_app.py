"""Benchmarks of the full-screen app. Numbers are printed, not asserted.

    .venv/bin/python benchmarks/bench_app.py            # the full run (about 3 minutes)
    .venv/bin/python benchmarks/bench_app.py --quick    # 10-second holds, fewer repeats

1. Launch to first frame: the session app vs a bare Textual app showing one label, in
   process (``run_test``) and as a real process in tmux (until its text is on screen).
2. CPU seconds of one core while a hold runs (``backtimer run`` on one long hold in tmux,
   read from /proc), next to ``termdown`` for the same time if it can be installed with pip
   into a temporary virtualenv.
3. Peak memory (ru_maxrss / VmHWM) of that process and of the in-process app.
4. Pain key to clock stopped: from pressing ``x`` in a Pilot test to the engine being in
   ``pain_stopped`` (the moment the PainStopped event reaches a runner listener).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the tests' fake clock and fixed routines

from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import Label  # noqa: E402

from backtimer.core.engine import PainStopped, State  # noqa: E402
from backtimer.files.catalog import load_entry  # noqa: E402
from backtimer.session.cues import RecordingPlayer  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


class Bare(App):
    def compose(self) -> ComposeResult:
        yield Label("ready")


def hold_routine(folder: Path, seconds: float) -> Path:
    path = folder / "one-hold.toml"
    path.write_text(
        f'name = "One hold"\n[[exercises]]\nname = "Long hold"\nhold = "{seconds:g}s"\n'
        "get_ready = 0\n",
        encoding="utf-8",
    )
    return path


# ---------------------------------------------------------------------- in process


async def first_frame_in_process(make) -> float:
    start = time.perf_counter()
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        return time.perf_counter() - start


def bench_launch_in_process(repeats: int, routine: Path) -> tuple[float, float]:
    from backtimer.tui.app import make_app

    entry = load_entry(routine, "path")

    def session_app():
        return make_app(entry, player=RecordingPlayer(), tick_interval=None)

    ours, bare = [], []
    for _ in range(repeats):
        ours.append(asyncio.run(first_frame_in_process(session_app)))
        bare.append(asyncio.run(first_frame_in_process(Bare)))
    return statistics.median(ours), statistics.median(bare)


class PainTimer:
    def __init__(self) -> None:
        self.stopped_at: float | None = None

    def on_events(self, events, session) -> None:
        if any(isinstance(e, PainStopped) for e in events):
            self.stopped_at = time.perf_counter()


async def pain_latencies(repeats: int, routine: Path) -> list[float]:
    from snapshot_apps.common import FakeClock, advance

    from backtimer.tui.app import make_app

    clock = FakeClock()
    timer = PainTimer()
    app = make_app(
        load_entry(routine, "path"),
        clock=clock,
        player=RecordingPlayer(),
        listeners=[timer],
        tick_interval=None,
    )
    out = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        advance(app, clock, 1.0)
        session = app.session_screen
        for _ in range(repeats):
            timer.stopped_at = None
            pressed = time.perf_counter()
            await pilot.press("x")
            assert session.session.state is State.PAIN_STOPPED and timer.stopped_at
            out.append(timer.stopped_at - pressed)
            await pilot.click("#resume")
            await pilot.pause()
            assert session.session.state is State.RUNNING
    return out


# ---------------------------------------------------------------------- in tmux


class Tmux:
    def __init__(self) -> None:
        self.socket = f"backtimer-bench-{uuid.uuid4().hex[:8]}"
        self.socket_path = ""

    def run(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10
        )
        return result.stdout

    def start(self, command: str, size=(80, 24)) -> None:
        self.run(
            "-f", "/dev/null", "new-session", "-d", "-x", str(size[0]), "-y", str(size[1]), command
        )
        self.socket_path = self.run("display-message", "-p", "#{socket_path}").strip()

    def screen(self) -> str:
        return self.run("capture-pane", "-p")

    def pid(self) -> int:
        return int(self.run("display-message", "-p", "#{pane_pid}").strip())

    def wait_for(self, text: str, timeout: float = 20.0) -> float:
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            if text in self.screen():
                return time.perf_counter() - start
            time.sleep(0.005)
        raise TimeoutError(f"{text!r} did not appear")

    def kill(self) -> None:
        self.run("kill-server")
        if self.socket_path:  # tmux leaves the socket file behind
            Path(self.socket_path).unlink(missing_ok=True)


def env_prefix(tmp: Path) -> str:
    env = {
        "BACKTIMER_CONFIG_DIR": str(tmp / "config"),
        "BACKTIMER_DATA_DIR": str(tmp / "data"),
        "TERM": "xterm-256color",
    }
    return "env " + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())


def launch_in_tmux(command: str, text: str, tmp: Path) -> float:
    tmux = Tmux()
    try:
        tmux.start(f"{env_prefix(tmp)} {command}")
        return tmux.wait_for(text)
    finally:
        tmux.kill()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / TICKS


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_during(command: str, ready_text: str, seconds: float, tmp: Path) -> tuple[float, float]:
    """CPU seconds a process uses over ``seconds`` after it shows ``ready_text``; peak RSS."""
    tmux = Tmux()
    try:
        tmux.start(f"exec {env_prefix(tmp)} {command}")
        if ready_text:
            tmux.wait_for(ready_text)
        else:
            time.sleep(2.0)  # no text to wait for: let it start
        pid = tmux.pid()
        before = cpu_seconds(pid)
        time.sleep(seconds)
        return cpu_seconds(pid) - before, peak_rss_mb(pid)
    finally:
        tmux.kill()


def termdown_command(tmp: Path) -> str | None:
    """termdown in a throwaway virtualenv, or None if pip cannot install it."""
    venv = tmp / "termdown-venv"
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", "termdown"],
            check=True,
            timeout=300,
            capture_output=True,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"  termdown could not be installed: {exc}")
        return None
    return str(venv / "bin" / "termdown")


# ---------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 s holds and fewer repeats")
    parser.add_argument("--no-termdown", action="store_true", help="skip the termdown run")
    args = parser.parse_args()
    hold = 10.0 if args.quick else 60.0
    repeats = 3 if args.quick else 7

    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        routine = hold_routine(tmp, hold + 30)  # the hold outlasts the measurement

        ours, bare = bench_launch_in_process(repeats, routine)
        print(f"Launch to first frame, in process (run_test, median of {repeats}):")
        print(f"  backtimer session {ours * 1000:7.1f} ms")
        print(f"  bare Textual app  {bare * 1000:7.1f} ms   ratio {ours / bare:.2f}")
        print(
            f"  peak memory of this process (ru_maxrss): "
            f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MB"
        )

        latencies = asyncio.run(pain_latencies(repeats * 3, routine))
        print(
            f"Pain key to clock stopped (Pilot, {len(latencies)} presses): "
            f"median {statistics.median(latencies) * 1000:.2f} ms, "
            f"max {max(latencies) * 1000:.2f} ms"
        )

        if shutil.which("tmux") is None:
            print("tmux not found: no real-terminal numbers")
            return 0
        python = shlex.quote(sys.executable)
        bare_script = tmp / "bare.py"
        bare_script.write_text(
            "from textual.app import App\nfrom textual.widgets import Label\n"
            "class Bare(App):\n    def compose(self):\n        yield Label('bare-ready')\n"
            "Bare().run()\n",
            encoding="utf-8",
        )
        run = f"{python} -m backtimer run {shlex.quote(str(routine))} --no-voice --no-bell"
        ours_t = [launch_in_tmux(run, "HOLD", tmp) for _ in range(repeats)]
        bare_t = [
            launch_in_tmux(f"{python} {bare_script}", "bare-ready", tmp) for _ in range(repeats)
        ]
        o, b = statistics.median(ours_t), statistics.median(bare_t)
        print(f"Launch to first frame, real process in tmux (median of {repeats}):")
        print(f"  backtimer run     {o * 1000:7.1f} ms")
        print(f"  bare Textual app  {b * 1000:7.1f} ms   ratio {o / b:.2f}")

        cpu, rss = cpu_during(run, "HOLD", hold, tmp)
        print(f"During a {hold:g} s hold (backtimer run in tmux):")
        print(f"  CPU {cpu:.2f} s of one core ({cpu / hold * 100:.2f} %), peak RSS {rss:.1f} MB")
        if not args.no_termdown:
            termdown = termdown_command(tmp)
            if termdown:
                cpu_t, rss_t = cpu_during(
                    f"{shlex.quote(termdown)} {int(hold + 30)}", "", hold, tmp
                )
                print(
                    f"  termdown {int(hold + 30)}: CPU {cpu_t:.2f} s "
                    f"({cpu_t / hold * 100:.2f} %), peak RSS {rss_t:.1f} MB"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
