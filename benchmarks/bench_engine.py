"""Benchmark the plan compiler and the session engine. Prints numbers; asserts nothing.

    .venv/bin/python benchmarks/bench_engine.py            # about 70 s (60 s on the real clock)
    .venv/bin/python benchmarks/bench_engine.py --quick    # about 15 s

1. Compile every bundled routine (best of N, both levels).
2. A simulated 60-minute session ticked 10 times a second on a fake clock: time per tick.
3. The real clock: a 60-second plan of 1-2 s steps driven by an asyncio loop that ticks every
   50 ms, blocked (``time.sleep(0.25)`` inside the loop) a dozen times at random moments.
   For every step boundary, the lateness of the loop's observation of StepStarted against its
   deadline; and the drift of the whole session, observed and scheduled.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from pathlib import Path

from backtimer.core.engine import Finished, Session, StepStarted
from backtimer.core.plan import Plan, Step, compile_plan
from backtimer.core.routine import Routine
from backtimer.core.schema import validate_routine
from backtimer.files.routine_load import load_routine

ROOT = Path(__file__).resolve().parent.parent
TICK = 0.05
BLOCK = 0.25


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.3f} ms"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:8.2f} µs"


# ----------------------------------------------------------------------- 1. compile


def bench_compile(repeat: int) -> None:
    paths = sorted((ROOT / "routines").glob("*.toml"))
    print(f"1. compile_plan, best of {repeat} (bundled routines: {len(paths)})")
    if not paths:
        print("   no bundled routines found")
        return
    width = max(len(p.stem) for p in paths)
    for path in paths:
        routine = load_routine(path)
        for level in ("low", "high"):
            best = float("inf")
            plan = None
            for _ in range(repeat):
                t0 = time.perf_counter()
                plan = compile_plan(routine, level)
                best = min(best, time.perf_counter() - t0)
            assert plan is not None
            print(
                f"   {path.stem:<{width}}  {level:<4}  {len(plan.steps):4d} steps  "
                f"{plan.total_seconds / 60:6.1f} min  {ms(best)}"
            )


# ----------------------------------------------------------------- 2. simulated hour


def hour_long_routine() -> Routine:
    exercise = {
        "name": "Knee to chest",
        "position": "Lie on your back",
        "hold": "40s",
        "reps": 3,
        "sides": "both",
        "rest": "10s",
    }
    one = validate_routine({"name": "x", "exercises": [exercise]}).total_seconds()
    count = round((3600 + 5) / (one + 5))  # an hour, transitions included
    exercises = [exercise | {"name": f"Exercise {i + 1}"} for i in range(count)]
    return validate_routine({"name": "An hour", "exercises": exercises})


def bench_simulated_hour() -> None:
    plan = compile_plan(hour_long_routine())
    session = Session(plan)
    ticks = int(plan.total_seconds * 10) + 10
    timings = []
    events = 0
    clock = time.perf_counter
    session.start(0.0)
    for i in range(1, ticks + 1):
        t0 = clock()
        out = session.tick(i / 10)
        timings.append(clock() - t0)
        events += len(out)
    p99 = statistics.quantiles(timings, n=100)[98]
    print(
        f"\n2. simulated session: {plan.total_seconds / 60:.1f} min, {len(plan.steps)} steps, "
        f"{ticks} ticks at 10/s, {events} events, state {session.state}"
    )
    mean, median = statistics.fmean(timings), statistics.median(timings)
    print(f"   per tick: mean {us(mean)}  median {us(median)}  p99 {us(p99)}")
    print(f"   slowest tick: {us(max(timings))}")
    print(f"   all ticks: {ms(sum(timings))}")


# --------------------------------------------------------------- 3. the real clock


def short_steps_plan(total: float, rng: random.Random) -> Plan:
    lengths: list[float] = []
    while total - sum(lengths) > 2:
        lengths.append(rng.choice([1.0, 1.25, 1.5, 1.75, 2.0]))
    rest = total - sum(lengths)
    if rest < 1 and lengths:  # share the remainder with the step before: both stay 1-2 s
        rest = (lengths.pop() + rest) / 2
        lengths.append(rest)
    lengths.append(rest)
    steps = tuple(
        Step(
            index=i,
            phase="hold",
            exercise_index=0,
            exercise="Drill",
            side=None,
            set=1,
            sets=1,
            rep=i + 1,
            reps=len(lengths),
            seconds=seconds,
            say=f"Hold {seconds:g} seconds.",
        )
        for i, seconds in enumerate(lengths)
    )
    return Plan(name="Short steps", steps=steps)


async def drive(plan: Plan, block_at: list[float]) -> dict[str, float | int]:
    session = Session(plan)
    late: list[float] = []
    schedule_error = 0.0
    finish_observed = finished_at = 0.0
    start = time.monotonic()
    session.start(start)

    async def blocker() -> None:
        for moment in block_at:
            await asyncio.sleep(max(0.0, start + moment - time.monotonic()))
            time.sleep(BLOCK)  # the whole loop is blocked, ticks included

    blocking = asyncio.create_task(blocker())
    while not session.over:
        await asyncio.sleep(TICK)
        now = time.monotonic()
        for event in session.tick(now):
            if isinstance(event, StepStarted):
                late.append(now - event.at)
                ideal = start + plan.offset(event.step.index)
                schedule_error = max(schedule_error, abs(event.at - ideal))
            elif isinstance(event, Finished):
                finish_observed, finished_at = now, event.at
    blocking.cancel()
    return {
        "boundaries": len(late),
        "max_late": max(late),
        "mean_late": statistics.fmean(late),
        "over_block": sum(1 for x in late if x > BLOCK + TICK),
        "schedule_error": schedule_error,
        "observed_drift": (finish_observed - start) - plan.total_seconds,
        "scheduled_drift": (finished_at - start) - plan.total_seconds,
    }


def bench_real_clock(total: float, seed: int) -> None:
    rng = random.Random(seed)
    plan = short_steps_plan(total, rng)
    block_at = sorted(rng.uniform(0.5, total - 0.5) for _ in range(12))
    print(
        f"\n3. real clock: {total:g} s plan of {len(plan.steps)} steps (1-2 s), ticks every "
        f"{TICK * 1000:g} ms, {len(block_at)} blocks of {BLOCK * 1000:g} ms (seed {seed})"
    )
    r = asyncio.run(drive(plan, block_at))
    print(f"   step boundaries observed: {r['boundaries']}")
    print(f"   lateness (seen - deadline): max {ms(r['max_late'])}  mean {ms(r['mean_late'])}")
    limit = f"{(BLOCK + TICK) * 1000:g} ms"
    print(f"   boundaries later than block + tick ({limit}): {r['over_block']}")
    print(f"   largest deadline error against start + offset: {r['schedule_error']:.3e} s")
    print(f"   drift observed  (finish seen - start - total): {ms(r['observed_drift'])}")
    print(f"   drift scheduled (Finished.at - start - total): {r['scheduled_drift']:.3e} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 10 s real-clock run, not 60 s")
    parser.add_argument("--repeat", type=int, default=50, help="best of N for compiling")
    parser.add_argument("--seed", type=int, default=1, help="where the blocks fall")
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}, {sys.platform}")
    bench_compile(args.repeat)
    bench_simulated_hour()
    bench_real_clock(10.0 if args.quick else 60.0, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
