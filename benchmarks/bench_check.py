"""How long ``backtimer check`` takes: the bundled routines, and 1,000 generated routine files.

Run: ``.venv/bin/python benchmarks/bench_check.py [--files N] [--repeat R]``. Prints wall times
(best and median of R runs) of one ``backtimer check DIR`` process each, plus the start-up cost
of the process alone (``backtimer --version``), so the per-file cost can be read off.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tomli_w

ROOT = Path(__file__).resolve().parent.parent
POSITIONS = ["lying on your back", "on hands and knees", "kneeling", "seated", "standing"]


def backtimer_command() -> list[str]:
    script = Path(sys.executable).parent / "backtimer"
    if script.exists():
        return [str(script)]
    found = shutil.which("backtimer")
    return [found] if found else [sys.executable, "-m", "backtimer"]


def routine(rng: random.Random, number: int) -> dict[str, object]:
    """A realistic routine: 4-14 exercises, a mix of holds, breaths, tempo reps and sides."""
    exercises = []
    for i in range(rng.randint(4, 14)):
        exercise: dict[str, object] = {
            "name": f"Exercise {i + 1}",
            "position": rng.choice(POSITIONS),
            "steps": [f"Step {s + 1} of the exercise, said in a short line." for s in range(3)],
            "stop_if": "pain spreads down a leg",
        }
        kind = rng.random()
        if kind < 0.5:
            exercise["hold"] = rng.choice(["20s", "30s", "10-30s", "1m", 15])
        elif kind < 0.7:
            exercise["hold"] = rng.choice(["5 breaths", "10 breaths", "5-10 breaths"])
        else:
            exercise["tempo"] = {"lift": 2, "hold": 1, "lower": 2}
            exercise["reps"] = rng.choice([8, 10, "8-12"])
        if rng.random() < 0.4:
            exercise["sides"] = "both"
        if rng.random() < 0.3:
            exercise["sets"] = rng.choice([2, "2-3"])
        exercises.append(exercise)
    return {
        "name": f"Generated routine {number}",
        "description": "Generated for the benchmark.",
        "source": {"title": "Benchmark", "publisher": "backtimer"},
        "defaults": {"rest": "5s", "set_rest": "30s", "get_ready": "10s"},
        "exercises": exercises,
    }


def timed(argv: list[str], repeat: int) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
    assert result is not None
    return min(times), statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000, help="generated files (1000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command (5)")
    args = parser.parse_args()
    command = backtimer_command()

    best, median, _ = timed([*command, "--version"], args.repeat)
    print(f"start-up (backtimer --version):       best {best:6.3f} s  median {median:6.3f} s")

    bundled = ROOT / "routines"
    count = len(list(bundled.glob("*.toml")))
    if count:
        best, median, result = timed([*command, "check", str(bundled)], args.repeat)
        status = "all ok" if result.returncode == 0 else f"exit {result.returncode}"
        print(
            f"check routines/ ({count} files, {status}): best {best:6.3f} s  median {median:6.3f} s"
        )
    else:
        print("check routines/: no bundled routines yet")

    rng = random.Random(1234)
    with tempfile.TemporaryDirectory(prefix="backtimer-bench-") as folder:
        total_bytes = 0
        for number in range(args.files):
            data = tomli_w.dumps(routine(rng, number)).encode()
            total_bytes += len(data)
            (Path(folder) / f"routine-{number:04d}.toml").write_bytes(data)
        best, median, result = timed([*command, "check", folder], args.repeat)
        ok = result.stdout.count("\nok ") + result.stdout.startswith("ok ")
        if result.returncode != 0 or ok != args.files:
            print(result.stderr[:2000], file=sys.stderr)
            raise SystemExit(f"expected {args.files} valid files, got {ok}")
        print(
            f"check {args.files} generated files ({total_bytes / 1e6:.1f} MB): "
            f"best {best:6.3f} s  median {median:6.3f} s  "
            f"({best / args.files * 1000:.2f} ms per file incl. start-up)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
