"""Test helpers for the history, and a standalone driver for the crash tests.

As a script: ``python tests/history_driver.py DATA_DIR ROUTINE [--resume] [--signals]``
runs a session of ROUTINE with the real clock and a :class:`Recorder`, printing "started"
once the session's first record is written and "done" at the end. With ``--signals``,
SIGTERM and SIGHUP call ``on_interrupted()`` then ``close()`` and exit 143 / 129. With
``--resume``, it resumes the interrupted session that :func:`find_resumable` offers (and
prints "resumed N").

As a module: :func:`write_routine` (a routine of short steps) and :func:`record_session`
(one session through the real recorder, with a fake clock and a fixed wall time).
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backtimer.core.plan import Plan, compile_plan
from backtimer.files.catalog import Entry, load_entry
from backtimer.history import Recorder, find_resumable, open_history
from backtimer.history.db import HistoryDB
from backtimer.session.runner import SessionRunner

#: A small routine: 21 steps, two exercises, both sides on the first.
TINY_TOML = """\
name = "Tiny"
[source]
title = "Test routine"
[defaults]
rest = 0.05
get_ready = 0.05
transition = 0.05
switch = 0.05
set_rest = 0.1
[[exercises]]
name = "Knee to chest"
position = "Lie on your back"
hold = "0.1s"
reps = 2
sides = "both"
[[exercises]]
name = "Bridges"
tempo = { lift = 0.05, hold = 0.05, lower = 0.05 }
reps = 3
sets = 2
"""

#: The same shape with human durations (for reports and screens).
DAILY_TOML = """\
name = "Daily back care"
[source]
title = "Test routine"
publisher = "Spine clinic"
[defaults]
rest = "5s"
get_ready = "10s"
[[exercises]]
name = "Knee to chest"
position = "Lie on your back"
hold = "20-30s"
reps = 3
sides = "both"
[[exercises]]
name = "Bridges"
position = "Lie on your back"
tempo = { lift = 2, hold = 2, lower = 2 }
reps = "3-5"
sets = 2
set_rest = "30s"
[[exercises]]
name = "Cat-cow"
position = "Kneeling"
hold = "5 breaths"
reps = 2
"""


def write_routine(folder: Path, text: str = TINY_TOML, name: str = "tiny") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def entry_for(path: Path) -> Entry:
    entry = load_entry(path, "path")
    assert entry.routine is not None, entry.problems
    return entry


class FakeTime:
    """A monotonic clock the test moves, and the wall time that goes with it."""

    def __init__(self, start: datetime) -> None:
        self.now = 1000.0
        self.start = start

    def __call__(self) -> float:
        return self.now

    def wall(self) -> datetime:
        return self.start + timedelta(seconds=self.now - 1000.0)


def record_session(
    db: HistoryDB,
    entry: Entry,
    start: datetime,
    *,
    level: str = "low",
    plan: Plan | None = None,
    end_at: int | None = None,
    pain_at: int | None = None,
    pain: tuple[str | None, int | None, str | None] = ("lower back", 5, None),
    after_pain: str = "end",
    pause_at: int | None = None,
    skip: Sequence[int] = (),
    interrupt_at: int | None = None,
) -> Recorder:
    """Run one session with a fake clock through a real :class:`Recorder`; returns it closed.

    Step indexes: ``pause_at`` pauses 10 s at the start of that step; ``skip`` skips those
    steps; ``pain_at`` stops for pain one second into that step (then ``after_pain``: end,
    skip_exercise or resume); ``end_at`` ends early there; ``interrupt_at`` calls
    ``on_interrupted()`` there (as a signal handler would).
    """
    assert entry.routine is not None
    plan = plan or compile_plan(entry.routine, level)
    fake = FakeTime(start)
    recorder = Recorder(db, entry, plan, level, clock=fake, wall=fake.wall)
    runner = SessionRunner(plan, clock=fake, listeners=[recorder], sleep_gap=None)
    runner.do("start")
    session = runner.session
    pained = False
    while not session.over:
        index = session.index
        if interrupt_at is not None and index == interrupt_at:
            fake.now += 0.5
            recorder.on_interrupted()
            break
        if index == end_at:
            fake.now += 1.0
            runner.do("end")
            break
        if index == pause_at and session.state == "running":
            fake.now += 0.5
            runner.do("pause")
            fake.now += 10
            runner.do("resume")
        if index in skip:
            fake.now += 0.5
            runner.do("skip_step")
            continue
        if index == pain_at and not pained:
            pained = True
            fake.now += 1.0
            runner.do("pain")
            recorder.on_pain_details(*pain)
            fake.now += 20
            runner.do(after_pain if after_pain != "resume" else "resume")
            continue
        step = session.step
        if step.seconds is None:
            fake.now += 5
            runner.do("advance")
        else:
            fake.now = session.deadline if session.deadline is not None else fake.now
            runner.tick()
    recorder.close()
    return recorder


# ------------------------------------------------------------------------ the driver


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("routine", type=Path)
    parser.add_argument("--signals", action="store_true")
    parser.add_argument("--resume", action="store_true")
    # Paused after this many steps, then (on a line of input) the pain stop and no choice:
    # the pain screen stays up. Says "pain" once the stop is written, or "behind" once a
    # first attempt to write it failed.
    parser.add_argument("--pain-after", type=int, default=None)
    args = parser.parse_args(argv)

    entry = entry_for(args.routine)
    assert entry.routine is not None
    db = open_history(args.data_dir)
    resume = find_resumable(db) if args.resume else None
    if resume is not None:
        plan, start_index = resume.plan, resume.step_index
        print(f"resumed {resume.session_id} {start_index}", flush=True)
    else:
        plan, start_index = compile_plan(entry.routine, "low"), 0
    recorder = Recorder(db, entry, plan, "low", resume=resume)
    runner = SessionRunner(plan, listeners=[recorder], start_index=start_index)

    if args.signals:

        def stop(signum: int, frame: object) -> None:
            recorder.on_interrupted()
            recorder.close()
            raise SystemExit(128 + signum)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGHUP, stop)

    runner.do("start")
    recorder.flush()
    print("started", flush=True)
    while not runner.session.over:
        time.sleep(0.005)
        runner.tick()
        if args.pain_after is not None and runner.session.index >= args.pain_after:
            runner.do("pause")  # while the test gets ready, however long a loaded machine takes
            recorder.flush()
            print("ready", flush=True)
            sys.stdin.readline()  # the test says when (another program may take the lock)
            runner.do("pain")
            while True:  # the pain screen waits for a choice that never comes
                if recorder.flush(timeout=0.05):
                    print("pain", flush=True)
                    break
                if recorder.status().behind:
                    print("behind", flush=True)
                    break
            while True:
                time.sleep(1.0)
    recorder.close()
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
