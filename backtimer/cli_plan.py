"""``backtimer plan ROUTINE [--json] [--level low|high]``: the session's timeline."""

from __future__ import annotations

import argparse
import json

from backtimer import catalog
from backtimer.plan import Plan, compile_plan
from backtimer.routine import format_duration


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("plan", help="print the timed plan of a routine")
    parser.add_argument("routine", metavar="ROUTINE", help="a routine's name or a path")
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")
    parser.add_argument(
        "--level",
        choices=("low", "high"),
        default="low",
        help="use the low (default) or high end of every range",
    )
    parser.set_defaults(handler=run)


def _clock(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:2d}:{secs:02d}"


def format_table(plan: Plan) -> str:
    """A readable timeline: start time, phase, exercise, side, set/rep, length, what is said."""
    rows = [("start", "phase", "exercise", "side", "set", "rep", "length", "says")]
    for step in plan.steps:
        rows.append(
            (
                _clock(plan.offset(step.index)),
                step.phase,
                step.exercise,
                step.side or "-",
                f"{step.set}/{step.sets}",
                f"{step.rep}/{step.reps}",
                "until key" if step.seconds is None else format_duration(step.seconds),
                step.say,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(7)]
    lines = []
    for row in rows:
        cells = [row[i].ljust(widths[i]) for i in range(7)]
        lines.append("  ".join(cells) + "  " + row[7])
    paced = sum(1 for s in plan.steps if s.seconds is None)
    total = f"total {_clock(plan.total_seconds).strip()} ({len(plan.steps)} steps"
    total += f", {paced} at your own pace)" if paced else ")"
    lines.append(total)
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    entry = catalog.resolve(args.routine)
    assert entry.routine is not None
    plan = compile_plan(entry.routine, args.level)
    if args.json:
        print(json.dumps(plan.to_json(), indent=2, ensure_ascii=False))
    else:
        print(f"{plan.name} (level: {args.level})")
        print(format_table(plan))
    return 0
