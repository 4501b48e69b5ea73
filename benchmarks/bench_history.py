"""Benchmark the history at scale: ten years of daily sessions.

    .venv/bin/python benchmarks/bench_history.py [--years 10] [--keep DIR]

Generates the sessions (the bundled routines' real plans, in turn, one a day, with every
step, a pause now and then, some sessions ended early and a few pain events) straight into a
temporary history file, then times: opening the history screen (Pilot ``run_test`` until
mounted, data loaded), ``history --json``, ``history --csv``, ``report`` (default period and
all ten years), and prints the database size. Aims: screen 300 ms, JSON 1 s, report 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backtimer.core.plan import compile_plan
from backtimer.files import catalog
from backtimer.history.db import open_history
from backtimer.history.recorder import (
    file_sha256,
    planned_work,
    step_identity,
    utc_iso,
)

TZ = timezone(timedelta(hours=1))


def generate(data_dir: Path, years: int, today: date, seed: int = 7) -> dict[str, int]:
    """Ten years of one session a day (some days missed), written in one transaction."""
    rng = random.Random(seed)
    entries = [e for e in catalog.bundled() if e.routine is not None]
    plans = [(e, compile_plan(e.routine, "low")) for e in entries]  # type: ignore[arg-type]
    db = open_history(data_dir)
    conn = db.conn
    counts = {"sessions": 0, "steps": 0, "pain_events": 0, "pauses": 0}
    first = today - timedelta(days=365 * years - 1)
    conn.execute("BEGIN")
    day = first
    n = 0
    while day <= today:
        if rng.random() < 0.15:  # a day off
            day += timedelta(days=1)
            continue
        entry, plan = plans[n % len(plans)]
        n += 1
        start = datetime(day.year, day.month, day.day, 7, rng.randrange(60), tzinfo=TZ)
        steps = plan.steps
        outcome = rng.random()
        end_index = len(steps)
        status = "completed"
        pain_index = None
        if outcome < 0.05:
            end_index = rng.randrange(1, len(steps))
            status = "ended_early"
        elif outcome < 0.07:
            end_index = rng.randrange(1, len(steps))
            pain_index = end_index - 1
            status = "pain_stopped"
        t = 0.0
        step_rows = []
        for step in steps[:end_index]:
            seconds = step.seconds if step.seconds is not None else 20.0
            skipped = rng.random() < 0.01 or (pain_index is not None and step.index == pain_index)
            actual = seconds * (0.3 if skipped else 1.0)
            started = start + timedelta(seconds=t)
            t += actual
            step_rows.append(
                (
                    step.index,
                    step.phase,
                    step.exercise_index,
                    step.exercise,
                    step.side,
                    step.set,
                    step.rep,
                    step.seconds,
                    actual,
                    "skipped" if skipped else "done",
                    utc_iso(started),
                    utc_iso(start + timedelta(seconds=t)),
                )
            )
        cursor = conn.execute(
            "INSERT INTO sessions (routine, routine_key, origin, path, sha256, level, "
            "started_at, ended_at, day, utc_offset, status, active_seconds, plan_steps, "
            "resume_index, resume_step, pid) VALUES (?, ?, 'bundled', ?, ?, 'low', ?, ?, ?, "
            "3600, ?, ?, ?, ?, ?, NULL)",
            (
                plan.name,
                entry.key,
                str(entry.path),
                file_sha256(entry.path),
                utc_iso(start),
                utc_iso(start + timedelta(seconds=t)),
                day.isoformat(),
                status,
                t,
                len(steps),
                end_index if status != "completed" else len(steps),
                json.dumps(step_identity(steps[min(end_index, len(steps) - 1)])),
            ),
        )
        sid = cursor.lastrowid
        conn.executemany(
            "INSERT INTO steps (session_id, step_index, phase, exercise_index, exercise, side, "
            "set_no, rep, planned_seconds, actual_seconds, status, started_at, ended_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(sid, *row) for row in step_rows],
        )
        conn.executemany(
            "INSERT INTO planned_work (session_id, exercise_index, exercise, side, reps) "
            "VALUES (?, ?, ?, ?, ?)",
            [(sid, *row) for row in planned_work(plan)],
        )
        if rng.random() < 0.1:
            at = start + timedelta(seconds=t / 2)
            conn.execute(
                "INSERT INTO pauses (session_id, started_at, ended_at, reason) "
                "VALUES (?, ?, ?, 'user')",
                (sid, utc_iso(at), utc_iso(at + timedelta(seconds=30))),
            )
            counts["pauses"] += 1
        if pain_index is not None:
            step = steps[pain_index]
            conn.execute(
                "INSERT INTO pain_events (session_id, step_index, phase, exercise_index, "
                "exercise, side, set_no, rep, session_second, location, severity, note, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    sid,
                    step.index,
                    step.phase,
                    step.exercise_index,
                    step.exercise,
                    step.side,
                    step.set,
                    step.rep,
                    t,
                    rng.choice(["lower back", "hip", "leg", None]),
                    rng.randrange(11),
                    rng.choice([None, "sharp", "dull ache when lifting"]),
                    utc_iso(start + timedelta(seconds=t)),
                ),
            )
            counts["pain_events"] += 1
        counts["sessions"] += 1
        counts["steps"] += len(step_rows)
        day += timedelta(days=1)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("ANALYZE")
    db.close()
    return counts


def timed(fn: Callable[[], object], repeat: int = 3) -> tuple[float, float]:
    """(best, median) wall seconds over ``repeat`` runs."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return min(runs), statistics.median(runs)


def screen_open(data_dir: Path, today: date) -> tuple[float, float]:
    """Seconds from the app's start to the history screen (1) mounted, data read and the
    sessions table filled, (2) idle after its first full render."""
    from textual.app import App

    from backtimer.tui.screens.history import HistoryScreen

    marks: dict[str, float] = {}

    class Timed(HistoryScreen):
        def _fill_sessions(self, data) -> None:  # the last thing its on_mount does
            super()._fill_sessions(data)
            marks["mounted"] = time.perf_counter()

    class Bench(App[None]):
        def on_mount(self) -> None:
            marks["start"] = time.perf_counter()
            self.push_screen(Timed(data_dir=data_dir, today=today))

    async def run() -> None:
        app = Bench()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, HistoryScreen) and screen.data is not None
            marks["idle"] = time.perf_counter()

    asyncio.run(run())
    return marks["mounted"] - marks["start"], marks["idle"] - marks["start"]


def cli(args: list[str], sink: Path) -> int:
    """Run a command with its output going to a file (as when piped); returns its size."""
    from backtimer.cli.main import main

    with sink.open("w", encoding="utf-8") as out, contextlib.redirect_stdout(out):
        code = main(args)
    assert code == 0, code
    size = sink.stat().st_size
    assert size > 0
    return size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument(
        "--keep", type=Path, help="generate into this folder and keep it (reused if there)"
    )
    args = parser.parse_args()
    today = date.today()
    holder = None
    if args.keep:
        data_dir = args.keep
    else:
        holder = tempfile.TemporaryDirectory()
        data_dir = Path(holder.name)
    os.environ["BACKTIMER_DATA_DIR"] = str(data_dir)

    db_file = data_dir / "history.sqlite3"
    start = time.perf_counter()
    reused = db_file.exists()
    if reused:  # --keep DIR from an earlier run: reuse it
        with open_history(data_dir) as db:
            counts = {
                table: db.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in ("sessions", "steps", "pain_events", "pauses")
            }
    else:
        counts = generate(data_dir, args.years, today)
    made = time.perf_counter() - start
    size = db_file.stat().st_size
    how = f"reused {db_file}" if reused else f"generated in {made:.1f} s"
    print(
        f"{counts['sessions']} sessions, {counts['steps']} steps, "
        f"{counts['pain_events']} pain events, {counts['pauses']} pauses "
        f"over {args.years} years ({how})"
    )
    print(f"database size: {size / 1e6:.1f} MB ({size / counts['sessions'] / 1e3:.1f} kB/session)")

    sink = data_dir / "out.txt"
    results = []
    runs = [screen_open(data_dir, today) for _ in range(5)]
    mounted = sorted(r[0] for r in runs)
    idle = sorted(r[1] for r in runs)
    results.append(("history screen: mounted, data shown", mounted[0], mounted[2], 0.3))
    results.append(("history screen: first render done", idle[0], idle[2], None))
    since_all = (today - timedelta(days=365 * args.years)).isoformat()
    sizes = {}
    for label, argv, aim in (
        ("history --json (all)", ["history", "--json"], 1.0),
        ("history --csv (all)", ["history", "--csv"], None),
        ("history (plain table, all)", ["history"], None),
        ("report (default: last 4 weeks)", ["report"], 1.0),
        (f"report --since {since_all} (all)", ["report", "--since", since_all], 1.0),
    ):
        best, median = timed(
            lambda argv=argv, label=label: sizes.__setitem__(label, cli(argv, sink))
        )
        results.append((label, best, median, aim))
    width = max(len(r[0]) for r in results)
    print(f"{'':{width}}  {'best':>8}  {'median':>8}  aim")
    for label, best, median, aim in results:
        verdict = ""
        if aim is not None:
            verdict = f"{aim * 1000:.0f} ms " + ("ok" if median < aim else "SLOW")
        size = f"  ({sizes[label] / 1e6:.1f} MB out)" if label in sizes else ""
        print(f"{label:{width}}  {best * 1000:6.0f} ms  {median * 1000:6.0f} ms  {verdict}{size}")
    if holder is not None:
        holder.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
