"""Start-up, idle cost, memory and scale of backtimer, as ratios against references measured
in the same run. Prints numbers and the goals next to them; asserts nothing.

    .venv/bin/python benchmarks/ratios.py               # everything, 5 runs each (~6 minutes)
    .venv/bin/python benchmarks/ratios.py --runs 7 --hold 30
    .venv/bin/python benchmarks/ratios.py --only start cli
    .venv/bin/python benchmarks/ratios.py --tree ../other-checkout   # the same, another tree

Every figure is the median of ``--runs`` runs, with the spread (min-max); a ratio is taken run
by run against its reference, run just before or beside it, so a machine that drifts in speed
moves both. The references:

- a bare Textual app showing ``Digits`` updated once a second (first frame, CPU, memory);
- a bare interpreter (``python -c pass``) and one that imports pydantic and tomllib;
- the picker with the 7 bundled routines (for the picker with 300 user routines).

Sections (``--only``):

- ``start``: first frame in tmux (100x30) of ``backtimer run ROUTINE`` and of the picker,
  against the bare app (until their text is on the screen): at a first start ever, and with
  the routines checked at an earlier start (the cache of checked routines warm). At a first
  start the program checks the routines in a child process beside it (a second core): the
  wall times count any wait for it; the CPU times are the program's own, not the child's.
  The screen is read every 4 ms through one tmux client in control mode (``--observer
  control``, the default); ``--observer spawn`` reads it with a new tmux client process
  each time, as this runner did until 2026-11-30: about 5 ms of CPU per look, half a core
  of the two, which slowed a start that uses both cores more than the one-core reference.
- ``cli``: ``check`` of the bundled routines against importing pydantic and tomllib;
  ``--version``/``--help`` against a bare interpreter (and the modules they import).
- ``idle``: CPU (``/proc/PID/task/*/schedstat``, nanoseconds) over ``--hold`` seconds of a long
  hold, of the 7-routine and the 300-routine picker, beside the bare app; peak memory (VmHWM).
  Each is a start after an earlier one (its caches filled then); the long hold's memory is
  also given at a first start ever.
- ``big``: a 200-exercise routine after a year of daily sessions (run the day before too:
  its caches filled): from ``run`` to the level offer, and from accepting it to the session
  screen.
- ``picker300``: first frame of the picker with 300 user routines (cache warm, and cold)
  against the picker with the bundled ones.
- ``plan``: the largest routines the validator accepts (close to its limit of steps, one
  of holds alone and one with a rest between every two holds), planned with their cue
  timelines, voice on and off: ``backtimer plan FILE`` as a whole process (against ``python
  -c pass`` and against importing the package's plan command) and the plan and timeline
  alone, in this process; each against the goal of a second. With the voice on, the spoken
  lengths were measured at an earlier plan (kept in the cache). The first plan ever with the
  voice on, which renders every text it says, each time with a cache of its own, empty: as
  a whole process and in this process, against the same goal.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import json
import os
import select
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
#: The source tree measured (``--tree``): every command runs in it, since ``python -m
#: backtimer`` imports the package of the folder it runs in before PYTHONPATH's.
TREE = ROOT
SIZE = (100, 30)

BARE_APP = """\
from textual.app import App
from textual.widgets import Digits, Label


class Bare(App):
    def compose(self):
        yield Label("bare-ready")
        yield Digits("0")

    def on_mount(self):
        self.count = 0
        self.set_interval(1, self.tick)

    def tick(self):
        self.count += 1
        self.query_one(Digits).update(str(self.count))


Bare().run()
"""


# ---------------------------------------------------------------------- figures


def spread(values: list[float], scale: float = 1.0, unit: str = "", digits: int = 2) -> str:
    med = statistics.median(values) * scale
    lo, hi = min(values) * scale, max(values) * scale
    return f"{med:.{digits}f}{unit} ({lo:.{digits}f}-{hi:.{digits}f})"


def report(name: str, ours: list[float], ref: list[float], goal: float | None, **kw) -> None:
    """One line: our median (spread), the reference's, and the ratio run by run."""
    ratios = [a / b for a, b in zip(ours, ref, strict=True) if b > 0]
    verdict = ""
    if goal is not None and ratios:
        verdict = "  ok" if statistics.median(ratios) <= goal else "  OVER"
    goal_text = f"  goal <= {goal:g}x" if goal is not None else ""
    print(
        f"  {name:<44} {spread(ours, **kw):>26}  ref {spread(ref, **kw):>26}  "
        f"ratio {spread(ratios):>18}{goal_text}{verdict}"
    )


# ---------------------------------------------------------------------- tmux


#: How the screen is read while waiting for a text (``--observer``): "control", through one
#: tmux client in control mode (a command written to it, its answer read back: nothing
#: started per look); "spawn", a new tmux client process per look (as before 2026-11-30).
#: A look every 4 ms by a new process took about half a core of the two (5 ms of CPU per
#: look, measured): beside a program that uses both cores as it starts (the routine
#: checked in a child process), that observer slowed what it measured.
OBSERVER = "control"


class Control:
    """A tmux client in control mode (``tmux -C``): a command written on its input, its
    answer read from its output (between ``%begin`` and ``%end``), no process per command.
    Attached with the no-output flag: the pane's output is not sent to it."""

    def __init__(self, socket: str) -> None:
        self.process = subprocess.Popen(
            ["tmux", "-L", socket, "-C", "attach-session", "-f", "no-output"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.waiting = 1  # the answer to the attach itself comes first
        self.read = b""  # read from its output, not yet taken as lines

    #: Seconds a command's answer may take (as Tmux.run's timeout).
    TIMEOUT = 20.0

    def _line(self, deadline: float) -> bytes:
        """The next line of its output; RuntimeError if it ends or none comes by the
        deadline (read from the descriptor, which select watches: no buffer in between)."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        while b"\n" not in self.read:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"the tmux control client did not answer in {self.TIMEOUT:g} s")
            if not select.select([fd], [], [], left)[0]:
                continue
            got = os.read(fd, 65536)
            if not got:
                raise RuntimeError("the tmux control client ended")
            self.read += got
        line, _, self.read = self.read.partition(b"\n")
        return line + b"\n"

    def command(self, line: str) -> str:
        process = self.process
        assert process.stdin is not None
        process.stdin.write(line.encode() + b"\n")
        process.stdin.flush()
        self.waiting += 1
        answer: list[bytes] = []
        inside = False
        deadline = time.monotonic() + self.TIMEOUT
        while self.waiting:
            got = self._line(deadline)
            if got.startswith((b"%end ", b"%error ")):
                inside = False
                self.waiting -= 1
            elif got.startswith(b"%begin "):
                inside = True
                answer = []
            elif inside:
                answer.append(got)
        return b"".join(answer).decode("utf-8", "replace")

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            if self.process.stdin is not None:
                self.process.stdin.close()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Tmux:
    """One tmux server (its own socket) running one command in one pane."""

    def __init__(self, command: str, env: dict[str, str]) -> None:
        self.socket = f"bt-ratios-{uuid.uuid4().hex[:8]}"
        prefix = "env " + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        self.started = time.perf_counter()
        self.run(
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-c",
            str(TREE),
            "-x",
            str(SIZE[0]),
            "-y",
            str(SIZE[1]),
            f"exec {prefix} {command}",
        )
        self.control = Control(self.socket) if OBSERVER == "control" else None
        self.socket_path = self.run("display-message", "-p", "#{socket_path}").strip()

    def run(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20
        )
        return result.stdout

    #: Looks at a screen made by a tmux process because the control client had failed
    #: (said at the end: those looks cost a process each, as with ``--observer spawn``).
    fallbacks = 0

    def screen(self) -> str:
        if self.control is not None:
            try:
                return self.control.command("capture-pane -p")
            except (RuntimeError, OSError, ValueError):
                # Not asked again: it is ended, or in the middle of an answer.
                self.control.process.kill()
                self.control.process.wait()
                self.control = None
        if OBSERVER == "control":
            Tmux.fallbacks += 1
        return self.run("capture-pane", "-p")

    def pid(self) -> int:
        return int(self.run("display-message", "-p", "#{pane_pid}").strip())

    def keys(self, *keys: str) -> None:
        self.run("send-keys", *keys)

    def wait_for(self, text: str, since: float | None = None, timeout: float = 30.0) -> float:
        """Seconds from ``since`` (the start) until ``text`` is on the screen."""
        since = self.started if since is None else since
        while time.perf_counter() - since < timeout:
            if text in self.screen():
                return time.perf_counter() - since
            time.sleep(0.004)
        raise TimeoutError(f"{text!r} did not appear:\n{self.screen()}")

    #: Programs still running a second after their terminal closed (killed then).
    lingering = 0

    def kill(self) -> None:
        """Close the terminal; a program that does not leave with it is killed."""
        try:
            pid: int | None = self.pid()
        except ValueError:
            pid = None
        self.run("kill-server")
        if self.control is not None:
            self.control.close()
        if self.socket_path:
            Path(self.socket_path).unlink(missing_ok=True)
        deadline = time.monotonic() + 1.0
        while pid is not None and time.monotonic() < deadline:
            if not running(pid):
                return
            time.sleep(0.02)
        if pid is not None:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                Tmux.lingering += 1


def running(pid: int) -> bool:
    """Whether ``pid`` still runs: one that has ended but is not yet reaped (its parent, the
    tmux server, is gone) is a zombie, not a program that outlived its terminal."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def cpu_ns(pid: int) -> int:
    """CPU time of every thread of ``pid``, in nanoseconds (scheduler accounting)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total


def peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ---------------------------------------------------------------------- set-up


class Setup:
    """Temporary folders: an empty config and history, a long-hold routine, 300 routines."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.bare = tmp / "bare_app.py"
        self.bare.write_text(BARE_APP, encoding="utf-8")
        self.hold = tmp / "long-hold.toml"
        self.hold.write_text(
            'name = "Long hold"\n[[exercises]]\nname = "Long hold"\nhold = "30m"\nget_ready = 0\n',
            encoding="utf-8",
        )
        # A month of daily sessions of the routine `run` starts: the history a user has.
        self.routine = ROOT / "routines" / "norton-leatherman.toml"  # no ranges: no offer
        self.month = tmp / "month-history"
        daily_history(self.month, self.routine, days=30)
        self.many = tmp / "many-config"
        (self.many / "routines").mkdir(parents=True)
        bundled = sorted((ROOT / "routines").glob("*.toml"))
        for number in range(300):
            source = bundled[number % len(bundled)]
            text = source.read_text(encoding="utf-8")
            text = text.replace('name = "', f'name = "{number:03d} ', 1)
            (self.many / "routines" / f"r{number:03d}-{source.name}").write_text(
                text, encoding="utf-8"
            )

    def env(self, name: str, *, config: Path | None = None, data: Path | None = None) -> dict:
        """A fresh home: no settings, a copy of the month of history (or ``data``)."""
        home = self.tmp / name
        home.mkdir(exist_ok=True)
        if data is None:
            data = home / "data"
            if not data.exists():
                shutil.copytree(self.month, data)
        return {
            "BACKTIMER_CONFIG_DIR": str(config or home / "config"),
            "BACKTIMER_DATA_DIR": str(data or home / "data"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "TERM": "xterm-256color",
            "COLORTERM": "truecolor",
            "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        }


def backtimer(*args: str) -> str:
    return " ".join(shlex.quote(a) for a in (PYTHON, "-m", "backtimer", *args))


def cache_of(env: dict[str, str]) -> dict[str, str]:
    return {"XDG_CACHE_HOME": env["XDG_CACHE_HOME"]}


def fill_cache(env: dict[str, str]) -> None:
    """Check every routine once (``list``), as an earlier start would have."""
    subprocess.run(
        [PYTHON, "-m", "backtimer", "list"],
        cwd=TREE,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        check=True,
    )


#: CPU seconds each first frame took (by its program's threads), by the last first_frame call.
FRAME_CPU: list[float] = []


#: Wall seconds until the whole first screen was shown (``complete``), by the last calls.
WHOLE: list[float] = []


def first_frame(command: str, text: str, env: dict[str, str], complete: str = "") -> float:
    """Wall seconds until ``text`` is on the screen; the CPU seconds the program had used by
    then go to FRAME_CPU (a loaded machine stretches the wall time, much less the CPU), and
    the seconds until ``complete`` is on it too (the footer's keys, which may come a frame
    later) to WHOLE."""
    tmux = Tmux(command, env)
    try:
        wall = tmux.wait_for(text)
        try:
            FRAME_CPU.append(cpu_ns(tmux.pid()) / 1e9)
        except (OSError, ValueError):
            FRAME_CPU.append(float("nan"))
        WHOLE.append(tmux.wait_for(complete) if complete else wall)
        return wall
    finally:
        tmux.kill()


# ---------------------------------------------------------------------- start


def section_start(setup: Setup, runs: int) -> None:
    print(f"First frame in tmux {SIZE[0]}x{SIZE[1]}, median (min-max) of {runs}, seconds:")
    bare = f"{shlex.quote(PYTHON)} {shlex.quote(str(setup.bare))}"
    routine = str(setup.routine)
    # A user's routines were checked at an earlier start (the cache of checked routines is
    # warm); a first start ever checks them. Each start has a history of its own (a killed
    # session is offered for resuming next time), the warm ones share the cache.
    warm_cache = setup.env("start-warm")["XDG_CACHE_HOME"]
    fill_cache(setup.env("start-warm"))

    def warm(name: str) -> dict[str, str]:
        return {**setup.env(name), "XDG_CACHE_HOME": warm_cache}

    names = ("ref", "run", "picker", "run_warm", "picker_warm")
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    whole: dict[str, list[float]] = {name: [] for name in names}
    # The footer's last key (docked at its right end), on both screens: the pain-stop key
    # before the footer is there from the first frame, the footer's keys may come later.
    keys = "? Help"
    for number in range(runs + 1):
        run_command = backtimer("run", routine, "--no-voice", "--no-bell")
        FRAME_CPU.clear()
        WHOLE.clear()
        times = (
            first_frame(bare, "bare-ready", setup.env(f"start-bare{number}")),
            first_frame(run_command, "GET READY", setup.env(f"start-run{number}"), keys),
            first_frame(backtimer(), "choose a routine", setup.env(f"start-picker{number}"), keys),
            first_frame(run_command, "GET READY", warm(f"start-run-warm{number}"), keys),
            first_frame(backtimer(), "choose a routine", warm(f"start-picker-warm{number}"), keys),
        )
        if number:  # the first round warms the disk cache
            for name, value, used, done in zip(names, times, FRAME_CPU, WHOLE, strict=True):
                wall[name].append(value)
                cpu[name].append(used)
                whole[name].append(done)
    ms = {"scale": 1000, "unit": " ms", "digits": 0}
    labels = {
        "run": "backtimer run ROUTINE",
        "picker": "picker (bundled routines)",
        "run_warm": "run ROUTINE, routines checked before",
        "picker_warm": "picker, routines checked before",
    }
    for name, label in labels.items():
        report(f"{label} vs bare app", wall[name], wall["ref"], 1.5, **ms)
    print("  The same first frames in CPU time (the program's threads, no child's, to the frame):")
    for name, label in labels.items():
        report(f"{label} vs bare app", cpu[name], cpu["ref"], None, **ms)
    print("  The whole first screen, its footer's keys shown too (they may come a frame later):")
    for name, label in labels.items():
        report(f"{label} vs bare app", whole[name], wall["ref"], None, **ms)


# ---------------------------------------------------------------------- cli


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak memory (MiB) of one process, from the kernel's accounting."""
    start = time.perf_counter()
    process = subprocess.Popen(
        argv,
        env={**os.environ, **env},
        cwd=TREE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, _, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def imported(argv: list[str], env: dict[str, str]) -> list[str]:
    result = subprocess.run(
        [PYTHON, "-X", "importtime", *argv],
        cwd=TREE,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    return [
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line and "imported package" not in line
    ]


def section_cli(setup: Setup, runs: int) -> None:
    print(f"Commands as whole processes, median (min-max) of {runs}, wall ms:")
    env = setup.env("cli")
    commands: dict[str, list[str]] = {
        "bare": [PYTHON, "-c", "pass"],
        "pydantic": [PYTHON, "-c", "import pydantic, tomllib"],
        "check": [PYTHON, "-m", "backtimer", "check", str(ROOT / "routines")],
        "version": [PYTHON, "-m", "backtimer", "--version"],
        "help": [PYTHON, "-m", "backtimer", "--help"],
        "plan": [PYTHON, "-m", "backtimer", "plan", "desk-break"],
        "list": [PYTHON, "-m", "backtimer", "list"],
    }
    walls: dict[str, list[float]] = {name: [] for name in commands}
    for number in range(runs + 1):
        for name, argv in commands.items():
            wall, _ = timed(argv, env)
            if number:
                walls[name].append(wall)
    ms = {"scale": 1000, "unit": " ms", "digits": 0}
    report(
        "check routines/ vs import pydantic+tomllib", walls["check"], walls["pydantic"], 1.5, **ms
    )
    report(
        "plan desk-break vs import pydantic+tomllib", walls["plan"], walls["pydantic"], None, **ms
    )
    report("list vs import pydantic+tomllib", walls["list"], walls["pydantic"], None, **ms)
    report("--version vs bare interpreter", walls["version"], walls["bare"], None, **ms)
    report("--help vs bare interpreter", walls["help"], walls["bare"], None, **ms)
    for name in ("version", "help"):
        modules = imported(commands[name][1:], env)
        heavy = sorted(
            {m.split(".")[0] for m in modules} & {"textual", "pydantic", "sqlite3", "rich"}
        )
        print(
            f"  --{name}: imports {len(modules)} modules; of textual, pydantic, sqlite3, rich: "
            f"{', '.join(heavy) or 'none'} (goal: none of textual, pydantic, sqlite3)"
        )


# ---------------------------------------------------------------------- idle


def section_idle(setup: Setup, runs: int, hold: float) -> None:
    print(
        f"Idle: CPU over {hold:g} s (% of one core) and peak memory (MiB), all four side by "
        f"side, median (min-max) of {runs}:"
    )
    bare = f"{shlex.quote(PYTHON)} {shlex.quote(str(setup.bare))}"
    cpu: dict[str, list[float]] = {
        "bare": [],
        "run": [],
        "run_first": [],
        "picker6": [],
        "picker300": [],
    }
    mem: dict[str, list[float]] = {name: [] for name in cpu}
    hold_run = backtimer("run", str(setup.hold), "--no-voice", "--no-bell")
    for number in range(runs):
        warm = setup.env(f"idle-many{number}", config=setup.many)  # its own cache folder
        fill_cache(warm)
        # A user's usual start comes after an earlier one: its caches (the checked routine,
        # the compiled dataclass methods) were filled then. That earlier start has a history
        # of its own (it is killed: its session would be offered for resuming).
        run_env, picker_env = setup.env(f"idle-run{number}"), setup.env(f"idle-picker{number}")
        earlier = {
            "run": (hold_run, "HOLD", run_env),
            "picker": (backtimer(), "choose a routine", picker_env),
        }
        for name, (command, text, env) in earlier.items():
            home = setup.env(f"idle-{name}-before{number}")
            # Past its first frame: the picker checks the routines it did not show whole
            # after it, and what was checked is cached then.
            earlier_start = Tmux(command, {**home, **cache_of(env)})
            try:
                earlier_start.wait_for(text)
                time.sleep(3.0)
            finally:
                earlier_start.kill()
        starts = {
            "bare": (bare, "bare-ready", setup.env(f"idle-bare{number}")),
            "run": (hold_run, "HOLD", run_env),
            # The first start ever: the routine checked, every cache empty.
            "run_first": (hold_run, "HOLD", setup.env(f"idle-run-first{number}")),
            "picker6": (backtimer(), "choose a routine", picker_env),
            "picker300": (backtimer(), "choose a routine", warm),
        }
        panes = {name: Tmux(command, env) for name, (command, _, env) in starts.items()}
        try:
            for name, (_, text, _) in starts.items():
                panes[name].wait_for(text)
            time.sleep(3.0)  # past start-up work deferred to after the first frame
            pids = {name: pane.pid() for name, pane in panes.items()}
            before = {name: cpu_ns(pid) for name, pid in pids.items()}
            time.sleep(hold)
            for name, pid in pids.items():
                cpu[name].append((cpu_ns(pid) - before[name]) / 1e9 / hold * 100)
                mem[name].append(peak_mib(pid))
        finally:
            for pane in panes.values():
                pane.kill()
    pct = {"unit": " %", "digits": 3}
    report("CPU in a long hold vs bare app", cpu["run"], cpu["bare"], 1.2, **pct)
    report("CPU of the picker (6) vs bare app", cpu["picker6"], cpu["bare"], None, **pct)
    diffs = [a - b for a, b in zip(cpu["picker300"], cpu["picker6"], strict=True)]
    print(
        f"  {'CPU picker (300) - picker (6), % of a core':<44} {spread(diffs, digits=3):>26}"
        f"  (picker300 {spread(cpu['picker300'], digits=3)}; goal <= 0.05)"
        + ("  ok" if statistics.median(diffs) <= 0.05 else "  OVER")
    )
    mib = {"unit": " MiB", "digits": 1}
    report("peak memory, run (long hold) vs bare app", mem["run"], mem["bare"], 1.4, **mib)
    report("  the same at a first start ever", mem["run_first"], mem["bare"], None, **mib)
    report("peak memory, picker (6) vs bare app", mem["picker6"], mem["bare"], None, **mib)
    report("peak memory, picker (300) vs bare app", mem["picker300"], mem["bare"], None, **mib)


# ---------------------------------------------------------------------- big


def big_routine(path: Path) -> None:
    lines = ['name = "Two hundred"', "[defaults]", "get_ready = 3", "rest = 2", ""]
    for number in range(200):
        lines += [
            "[[exercises]]",
            f'name = "Exercise {number + 1}"',
            'hold = "5-15s"',
            'reps = "1-2"',
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")


def daily_history(data: Path, routine: Path, days: int = 365) -> None:
    """A session of ``routine`` every day for ``days`` days, each completed at the low level."""
    from backtimer.core.plan import compile_plan
    from backtimer.files.catalog import load_entry
    from backtimer.history.db import open_history
    from backtimer.history.recorder import file_sha256, planned_work, step_identity, utc_iso

    entry = load_entry(routine, "path")
    assert entry.routine is not None, entry.problems
    plan = compile_plan(entry.routine, "low")
    db = open_history(data)
    conn = db.conn
    conn.execute("BEGIN")
    today = datetime.now(UTC).replace(hour=7, minute=0, second=0, microsecond=0)
    sha = file_sha256(routine)
    work = list(planned_work(plan))
    for ago in range(days, 0, -1):
        start = today - timedelta(days=ago)
        t = 0.0
        rows = []
        for step in plan.steps:
            seconds = step.seconds if step.seconds is not None else 10.0
            rows.append(
                (
                    step.index,
                    step.phase,
                    step.exercise_index,
                    step.exercise,
                    step.side,
                    step.set,
                    step.rep,
                    step.seconds,
                    seconds,
                    "done",
                    utc_iso(start + timedelta(seconds=t)),
                    utc_iso(start + timedelta(seconds=t + seconds)),
                )
            )
            t += seconds
        sid = conn.execute(
            "INSERT INTO sessions (routine, routine_key, origin, path, sha256, level, "
            "started_at, ended_at, day, utc_offset, status, active_seconds, plan_steps, "
            "resume_index, resume_step, pid) VALUES (?, ?, 'path', ?, ?, 'low', ?, ?, ?, "
            "0, 'completed', ?, ?, ?, ?, NULL)",
            (
                plan.name,
                entry.key,
                str(routine),
                sha,
                utc_iso(start),
                utc_iso(start + timedelta(seconds=t)),
                start.date().isoformat(),
                t,
                len(plan.steps),
                len(plan.steps),
                json.dumps(step_identity(plan.steps[-1])),
            ),
        ).lastrowid
        conn.executemany(
            "INSERT INTO steps (session_id, step_index, phase, exercise_index, exercise, side, "
            "set_no, rep, planned_seconds, actual_seconds, status, started_at, ended_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(sid, *row) for row in rows],
        )
        conn.executemany(
            "INSERT INTO planned_work (session_id, exercise_index, exercise, side, reps) "
            "VALUES (?, ?, ?, ?, ?)",
            [(sid, *row) for row in work],
        )
    conn.execute("COMMIT")
    db.close()


def section_big(setup: Setup, runs: int) -> None:
    print(f"200 exercises, a year of daily sessions, median (min-max) of {runs}, seconds:")
    routine = setup.tmp / "two-hundred.toml"
    big_routine(routine)
    pristine = setup.tmp / "big-history"
    daily_history(pristine, routine)
    bare = f"{shlex.quote(PYTHON)} {shlex.quote(str(setup.bare))}"
    offer, accepted, total, ref = [], [], [], []
    cpu_total, cpu_ref = [], []
    for number in range(runs + 1):
        env = setup.env(f"big{number}")
        data = Path(env["BACKTIMER_DATA_DIR"])
        shutil.rmtree(data, ignore_errors=True)
        shutil.copytree(pristine, data)
        command = backtimer("run", str(routine), "--no-voice", "--no-bell")
        # A year of daily sessions: the routine was run the day before, so its caches (the
        # checked routine, the compiled dataclass methods) are filled; that earlier start
        # has a history of its own (without this routine: no offer, it reaches GET READY).
        first_frame(command, "GET READY", {**setup.env(f"big-before{number}"), **cache_of(env)})
        FRAME_CPU.clear()
        reference = first_frame(bare, "bare-ready", env)
        tmux = Tmux(command, env)
        try:
            shown = tmux.wait_for("Before you start")
            tmux.wait_for("Ready for a step up")
            pressed = time.perf_counter()
            tmux.keys("s")
            after = tmux.wait_for("GET READY", since=pressed)
            used = cpu_ns(tmux.pid()) / 1e9  # CPU to the session screen (and a little more)
        finally:
            tmux.kill()
        if number:
            offer.append(shown)
            accepted.append(after)
            total.append(shown + after)
            ref.append(reference)
            cpu_total.append(used)
            cpu_ref.extend(FRAME_CPU)
    print(f"  {'run to the level offer':<44} {spread(offer, 1000, ' ms', 0):>26}")
    print(f"  {'accept (s) to the session screen':<44} {spread(accepted, 1000, ' ms', 0):>26}")
    verdict = "ok" if statistics.median(total) <= 0.5 else "OVER"
    print(
        f"  {'run to the session screen (less reading)':<44} {spread(total, 1000, ' ms', 0):>26}"
        f"  goal <= 500 ms  {verdict}"
    )
    report("run to the level offer vs bare app", offer, ref, None, scale=1000, unit=" ms", digits=0)
    print("  In CPU time (all the program's threads; a loaded machine stretches the wall time):")
    report(
        "run to the session screen vs bare app's frame",
        cpu_total,
        cpu_ref,
        None,
        scale=1000,
        unit=" ms",
        digits=0,
    )


# ---------------------------------------------------------------------- picker300


def section_picker300(setup: Setup, runs: int) -> None:
    print(f"Picker with 300 user routines, first frame, median (min-max) of {runs}, seconds:")
    warm_env = setup.env("p300-warm", config=setup.many)
    fill_cache(warm_env)
    six, warm, cold = [], [], []
    for number in range(runs + 1):
        times = (
            first_frame(backtimer(), "choose a routine", setup.env(f"p6-{number}")),
            first_frame(backtimer(), "choose a routine", warm_env),
            first_frame(
                backtimer(), "choose a routine", setup.env(f"p300-cold{number}", config=setup.many)
            ),
        )
        if number:
            for out, value in zip((six, warm, cold), times, strict=True):
                out.append(value)
    ms = {"scale": 1000, "unit": " ms", "digits": 0}
    report("picker (300, cache warm) vs picker (7)", warm, six, 1.3, **ms)
    report("picker (300, no cache yet) vs picker (7)", cold, six, None, **ms)


# ---------------------------------------------------------------------- plan

#: The largest routines the validator accepts: near MAX_PLAN_STEPS at their highest level.
LARGEST = {
    "holds": """\
name = "Largest, holds"
[defaults]
rest = 0
set_rest = 0
switch = 0
transition = 0
[[exercises]]
name = "Short holds"
hold = 0.1
reps = 49
sets = 99
sides = "both"
[[exercises]]
name = "Longer holds"
hold = "2-3s"
reps = 10
sets = 2
sides = "both"
""",
    "rests": """\
name = "Largest, rests"
[defaults]
rest = 0.3
set_rest = 1
switch = 0.5
transition = 1
get_ready = 1
[[exercises]]
name = "Holds and rests"
hold = "1-2s"
reps = "1-50"
sets = "1-49"
sides = "both"
""",
}


def largest_routines(folder: Path) -> dict[str, Path]:
    """The routines of LARGEST, checked: valid, and how many steps they plan."""
    from backtimer.core.routine import MAX_PLAN_STEPS, semantic_issues
    from backtimer.files.routine_load import load_routine

    out = {}
    for name, text in LARGEST.items():
        path = folder / f"largest-{name}.toml"
        path.write_text(text, encoding="utf-8")
        routine = load_routine(path)
        assert not semantic_issues(routine), semantic_issues(routine)
        steps = routine.step_count("high")
        assert steps <= MAX_PLAN_STEPS
        print(f"  {path.name}: {steps:,} steps at its highest level (limit {MAX_PLAN_STEPS:,})")
        out[name] = path
    return out


def plan_in_process(path: Path, voice: bool, env: dict[str, str]) -> tuple[float, str]:
    """Seconds to plan ``path`` at its highest level with its cue timeline, as ``plan`` and
    a session do (``speech_plan``, the user's settings but the voice), and what speech."""
    import dataclasses
    from unittest import mock

    from backtimer.files.config import with_config_defaults
    from backtimer.files.routine_load import load_routine
    from backtimer.session.launch import settings, speech_plan

    with mock.patch.dict(os.environ, env):  # this process's environment as it was, after
        config = dataclasses.replace(settings(), voice=voice)
        routine = with_config_defaults(load_routine(path), config)
        start = time.perf_counter()
        plan = speech_plan(routine, "high", config)
        seconds = time.perf_counter() - start
    speech = plan.speech
    how = "no voice" if speech is None or speech.engine is None else speech.engine
    if speech is not None and speech.engine is not None:
        how += " (measured)" if speech.measured else " (estimated)"
    return seconds, how


def plan_goals(process: list[float], inner: list[float]) -> None:
    """The plan command's two lines against its goal (under a second): run as a process of
    its own, and the plan with its timeline in process."""
    for label, walls in (
        ("backtimer plan FILE (process)", process),
        ("plan + timeline (in process)", inner),
    ):
        verdict = "ok" if statistics.median(walls) < 1.0 else "OVER"
        shown = spread(walls, scale=1000, unit=" ms", digits=0)
        print(f"    {label:<42} {shown:>26}  goal < 1000 ms  {verdict}")


def section_plan(setup: Setup, runs: int) -> None:
    print(f"Planning the largest valid routines, median (min-max) of {runs}:")
    paths = largest_routines(setup.tmp)
    homes = {}
    for voice in (True, False):
        home = setup.tmp / f"plan-voice-{'on' if voice else 'off'}"
        (home / "config").mkdir(parents=True, exist_ok=True)
        (home / "config" / "config.toml").write_text(
            f"voice = {'true' if voice else 'false'}\n", encoding="utf-8"
        )
        homes[voice] = {
            "BACKTIMER_CONFIG_DIR": str(home / "config"),
            "BACKTIMER_DATA_DIR": str(home / "data"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "BACKTIMER_SPEECH_CACHE_DIR": str(home / "speech"),
        }
    ms = {"scale": 1000, "unit": " ms", "digits": 0}
    # The first plan ever with the voice on measures every text it says (then kept): each
    # run with a cache of its own, empty.
    for name, path in paths.items():
        command = [PYTHON, "-m", "backtimer", "plan", str(path), "--level", "high"]
        firsts: dict[str, list[float]] = {"process": [], "inner": []}
        how = ""
        for number in range(runs):
            for key in firsts:
                speech = setup.tmp / f"speech-first-{name}-{key}-{number}"
                env = {**homes[True], "BACKTIMER_SPEECH_CACHE_DIR": str(speech)}
                if key == "process":
                    firsts[key].append(timed(command, env)[0])
                else:
                    seconds, how = plan_in_process(path, True, env)
                    firsts[key].append(seconds)
        plan_in_process(path, True, homes[True])  # the cache of the runs below
        print(f"  {name}, first plan ever, voice on ({how}), every text measured:")
        plan_goals(firsts["process"], firsts["inner"])
    bare = [PYTHON, "-c", "pass"]
    imports = [PYTHON, "-c", "import backtimer.cli.plan"]
    for voice in (True, False):
        env = homes[voice]
        word = "on" if voice else "off"
        for name, path in paths.items():
            command = [PYTHON, "-m", "backtimer", "plan", str(path), "--level", "high"]
            walls: dict[str, list[float]] = {"plan": [], "bare": [], "import": [], "inner": []}
            how = ""
            for number in range(runs + 1):
                for key, argv in (("bare", bare), ("import", imports), ("plan", command)):
                    wall, _ = timed(argv, env)
                    if number:
                        walls[key].append(wall)
                inner, how = plan_in_process(path, voice, env)
                if number:
                    walls["inner"].append(inner)
            print(f"  {name}, voice {word} ({how}):")
            plan_goals(walls["plan"], walls["inner"])
            report("  process vs python -c pass", walls["plan"], walls["bare"], None, **ms)
            report(
                "  process vs importing the plan command",
                walls["plan"],
                walls["import"],
                None,
                **ms,
            )


# ---------------------------------------------------------------------- main

SECTIONS: dict[str, Callable[..., None]] = {
    "start": section_start,
    "cli": section_cli,
    "idle": section_idle,
    "big": section_big,
    "picker300": section_picker300,
    "plan": section_plan,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each (default 5)")
    parser.add_argument("--hold", type=float, default=20.0, help="seconds of idle measured")
    parser.add_argument("--only", nargs="+", choices=list(SECTIONS), help="these sections")
    parser.add_argument(
        "--tree",
        type=Path,
        help="measure the backtimer package of this source tree (another checkout, for a "
        "before/after comparison with the same references), not this one",
    )
    parser.add_argument(
        "--observer",
        choices=("control", "spawn"),
        default="control",
        help="how the screen is read while waiting for a first frame: one tmux client in "
        "control mode (default), or a new tmux client process per look (as before)",
    )
    args = parser.parse_args()
    global OBSERVER
    OBSERVER = args.observer
    if shutil.which("tmux") is None:
        print("tmux is needed", file=sys.stderr)
        return 2
    global TREE
    tree = TREE = (args.tree or ROOT).resolve()
    os.environ["PYTHONPATH"] = str(tree)  # every command, in tmux or not, runs that tree
    sys.path.insert(0, str(tree))
    import backtimer

    where = Path(backtimer.__file__).parent
    # An installed package has its bytecode; with PYTHONDONTWRITEBYTECODE set (as on some
    # machines) a source tree would be compiled again by every command measured.
    compileall.compile_dir(where, quiet=1)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, backtimer in {where}")
    print(f"load average before: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    print(f"screen read by: {OBSERVER} (--observer)")
    with tempfile.TemporaryDirectory(prefix="bt-ratios-") as name:
        setup = Setup(Path(name))
        for section in args.only or list(SECTIONS):
            if section == "idle":
                section_idle(setup, args.runs, args.hold)
            else:
                SECTIONS[section](setup, args.runs)
    if Tmux.lingering:
        print(f"note: {Tmux.lingering} program(s) outlived their closed terminal (killed)")
    if Tmux.fallbacks:
        print(
            f"note: {Tmux.fallbacks} looks fell back to a process each "
            "(the tmux control client failed; the header's observer is then spawn)"
        )
    print(f"load average after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
