"""``backtimer plan ROUTINE [--json] [--level low|high|current]``: the session's timeline.

``--level current`` uses the levels stored in the history (``--data-dir``, like ``history``),
read only: with no history yet every range is at its low end; with a history that cannot be
read, too, with a note on stderr saying why.

The command prints one plan and ends: the garbage collector waits while it runs (a plan of
the largest routines makes some 100,000 objects, steps and cues, that all live until it is
printed; the collector's passes over them took ~50 ms of a first plan). ``cli.main`` turns it
back on when the command returns.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from pathlib import Path
from typing import Any

from backtimer.core.durations import compact, timeline
from backtimer.core.literal import printable
from backtimer.core.plan import CLOSING_TEXT, Plan
from backtimer.core.progression import describe_level
from backtimer.core.routine import LevelChoice
from backtimer.files import catalog
from backtimer.files.catalog import Entry
from backtimer.files.config import with_config_defaults
from backtimer.history.db import HistoryUnavailable, open_history
from backtimer.history.levels import current_levels
from backtimer.session.launch import settings, speech_plan


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("plan", help="print the timed plan of a routine")
    parser.add_argument("routine", metavar="ROUTINE", help="a routine's name or a path")
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")
    parser.add_argument(
        "--level",
        choices=("low", "high", "current"),
        default="low",
        help="use the low (default) or high end of every range, or the current levels "
        "stored in the history",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="with --level current: the folder of the history file (default: the user's "
        "data folder, or $BACKTIMER_DATA_DIR)",
    )
    parser.set_defaults(handler=run)


def lengthened(plan: Plan) -> list[str]:
    """Where words made a step longer than the routine says, one line per kind of step."""
    counts: dict[str, int] = {}
    for step in plan.steps:
        if step.added and step.seconds is not None:
            base = step.seconds - step.added
            line = (
                f"{printable(step.exercise)}: {step.phase.replace('_', ' ')} "
                f"{compact(base)} -> {compact(step.seconds)}"
            )
            counts[line] = counts.get(line, 0) + 1
    return [f"{line} ({count} times)" if count > 1 else line for line, count in counts.items()]


def format_table(plan: Plan) -> str:
    """A readable timeline: start time, phase, exercise, side, set/rep, length, what is said."""
    rows = [("start", "phase", "exercise", "side", "set", "rep", "length", "says")]
    for step in plan.steps:
        rows.append(
            (
                timeline(plan.offset(step.index)),
                step.phase,
                step.exercise,
                step.side or "-",
                f"{step.set}/{step.sets}",
                f"{step.rep}/{step.reps}",
                "until key" if step.seconds is None else compact(step.seconds),
                step.say,
            )
        )
    if plan.closing:
        # What is heard once the last step ends: part of the total.
        at = timeline(plan.steps_seconds)
        length = compact(round(plan.closing, 1))
        rows.append((at, "closing", "-", "-", "-", "-", length, CLOSING_TEXT))
    widths = [max(len(row[i]) for row in rows) for i in range(7)]
    lines = []
    for row in rows:
        cells = [row[i].ljust(widths[i]) for i in range(7)]
        lines.append("  ".join(cells) + "  " + row[7])
    paced = sum(1 for s in plan.steps if s.seconds is None)
    total = f"total {timeline(plan.total_seconds).strip()} ({len(plan.steps)} steps"
    total += f", {paced} at your own pace)" if paced else ")"
    lines.append(total)
    if plan.speech is not None:
        lines.append(speech_line(plan))
    return "\n".join(lines)


def speech_line(plan: Plan) -> str:
    """ "speech: espeak-ng at 175 words per minute (measured); words add 1:05" """
    speech = plan.speech
    assert speech is not None
    engine = speech.engine or "no voice"
    how = "measured" if speech.measured else "estimated"
    line = f"speech: {engine} at {speech.rate} words per minute ({how}, {speech.detail})"
    if plan.added_seconds:
        line += f"; words add {timeline(plan.added_seconds).strip()} to the routine's times"
    return line


def current_level(entry: Entry, data_dir: Path | None, sessions_needed: int) -> Any:
    """The stored levels of ``entry`` (read only), or "low" with a note on stderr;
    ``sessions_needed``: the ``progression_sessions`` setting, as ``run`` uses it."""

    try:
        with open_history(data_dir, create=False) as db:
            return current_levels(db, entry, sessions_needed)
    except HistoryUnavailable as exc:
        print(
            f"backtimer: {exc.message}; using the low end of every range",
            file=sys.stderr,
        )
        return "low"


def describe_levels(entry: Entry, levels: dict) -> str:
    """One line per exercise with ranges: "  Knee to chest: hold 15s (10-30s)"."""
    assert entry.routine is not None
    lines = []
    for index, exercise in enumerate(entry.routine.exercises):
        words = describe_level(entry.routine.settings(index), levels.get(index, LevelChoice()))
        if words:
            lines.append(f"  {printable(exercise.name)}: {', '.join(words)}")
    return "\n".join(lines) if lines else "  (no ranges: every session is the same)"


def run(args: argparse.Namespace) -> int:
    gc.disable()  # see the module's docstring
    entry = catalog.resolve(args.routine)
    assert entry.routine is not None
    level: Any = args.level
    notes: list[str] = []
    config = settings(notes)
    for note in notes:
        print(f"backtimer: {note}", file=sys.stderr)
    if level == "current":
        level = current_level(entry, args.data_dir, config.progression_sessions)
    plan = speech_plan(with_config_defaults(entry.routine, config), level, config)
    if args.json:
        print(json.dumps(plan.to_json(), indent=2, ensure_ascii=False))
    else:
        print(f"{plan.name} (level: {args.level})")
        if isinstance(level, dict):
            print(describe_levels(entry, level))
        print(format_table(plan))
    return 0
