"""Progression: moving an exercise through the ranges its routine prescribes. Pure.

A range ("hold 10 to 30 seconds", "2-3 reps", "1-2 sets") is the source's prescription; the
*current level* (a :class:`~backtimer.core.routine.LevelChoice`) is where in it the user is. It
starts at the low end ("start slow and work your way up"), and only ever moves inside the
ranges: an exercise, or a whole routine, without ranges never changes.

The rules, per exercise:

- **Step down** after pain: if the most recent session had a pain event on the exercise
  (at the current level), the next session offers one level lower.
- **Step up** after ``sessions_needed`` (default 3, the ``progression_sessions`` setting)
  sessions in a row, most recent last, at the current level, each with the exercise
  completed and no pain event. A session that did not complete the exercise (skipped, ended
  early) breaks the run without stepping down: doing less than prescribed is a signal too.
  Sessions at another level (before the last change) do not count, so a change always
  needs a fresh run: the rules are idempotent, asking twice gives the same answer.
- **One step** is one more breath for a hold in breaths, 5 s more for a timed hold (capped
  at the top: 10-30s at 28 s goes to 30 s), one more rep, or one more set.
- **Order**: up, the hold grows first, until its top; then the reps; then the sets. A
  longer hold in the same position is the gentlest increase and the one sources usually
  describe first ("work up to 30 seconds"); more reps add time under stretch; another set
  repeats everything, the largest increase. Down is the reverse: the last thing added goes
  first (sets, then reps, then the hold).

Whether to take an offered step is the user's choice; :class:`Decision` only says what the
rules offer and why, in words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from backtimer.core.durations import compact, compact_range
from backtimer.core.routine import LevelChoice, Routine, Settings, Span, _num

HOLD_STEP_SECONDS = 5.0
DEFAULT_SESSIONS = 3

Change = Literal["up", "down", "none"]
Dimension = Literal["hold", "reps", "sets"]


@dataclass(frozen=True)
class ExerciseOutcome:
    """How one past session went for one exercise."""

    completed: bool  # every planned rep of the exercise was done (none skipped)
    pain: bool  # a pain stop happened during the exercise
    level: LevelChoice | None = None  # the level it was done at; None: the current one


@dataclass(frozen=True)
class Decision:
    """What the next session should use, and why."""

    level: LevelChoice
    change: Change
    reason: str


# ------------------------------------------------------------------------ levels


def _ranges(settings: Settings) -> dict[Dimension, tuple[Span, float, str]]:
    """The exercise's ranges, in stepping-up order: span, step size, and a unit word."""
    out: dict[Dimension, tuple[Span, float, str]] = {}
    if settings.kind == "hold" and settings.hold is not None and settings.hold.span.is_range:
        if settings.hold.unit == "breaths":
            out["hold"] = (settings.hold.span, 1.0, "breaths")
        else:
            out["hold"] = (settings.hold.span, HOLD_STEP_SECONDS, "seconds")
    if settings.reps.is_range:
        out["reps"] = (settings.reps, 1.0, "reps")
    if settings.sets.is_range:
        out["sets"] = (settings.sets, 1.0, "sets")
    return out


def has_ranges(settings: Settings) -> bool:
    return bool(_ranges(settings))


def start_level(settings: Settings) -> LevelChoice:
    """The low end of every range (None where the exercise has no range)."""
    ranges = _ranges(settings)
    return LevelChoice(**{dim: span.low for dim, (span, _, _) in ranges.items()})


def clamp_level(settings: Settings, level: LevelChoice | None) -> LevelChoice:
    """``level`` made concrete and legal: inside every range (None: the low end), whole
    numbers for breaths, reps and sets, None where the exercise has no range. A level
    stored before the routine's ranges were edited comes back inside the new ones."""
    level = level or LevelChoice()
    values: dict[str, float] = {}
    for dim, (span, step, _) in _ranges(settings).items():
        value = getattr(level, dim)
        if value is None:
            value = span.low
        if step == 1.0:  # counted: breaths, reps, sets
            value = float(round(value))
        values[dim] = span.at(value)
    return LevelChoice(**values)


def _with(level: LevelChoice, dim: Dimension, value: float) -> LevelChoice:
    values = {"hold": level.hold, "reps": level.reps, "sets": level.sets}
    values[dim] = value
    return LevelChoice(**values)


def _show(dim: Dimension, value: float, unit: str) -> str:
    if unit == "seconds":
        return compact(value)
    if unit == "breaths":
        return f"{_num(value)} breath" + ("" if value == 1 else "s")
    return _num(value)


def _step(settings: Settings, level: LevelChoice, up: bool) -> tuple[LevelChoice, str] | None:
    """One level up or down from a clamped ``level``, and what changed in words; None at
    the end of every range."""
    ranges = list(_ranges(settings).items())
    if not up:
        ranges.reverse()
    for dim, (span, step, unit) in ranges:
        value = getattr(level, dim)
        assert value is not None
        new = min(span.high, value + step) if up else max(span.low, value - step)
        if new != value:
            words = f"{dim} {_show(dim, value, unit)} to {_show(dim, new, unit)}"
            return _with(level, dim, new), words
    return None


def step_up(settings: Settings, level: LevelChoice | None) -> LevelChoice | None:
    """The next level up (hold, then reps, then sets), or None at the top of every range."""
    stepped = _step(settings, clamp_level(settings, level), up=True)
    return stepped[0] if stepped else None


def step_down(settings: Settings, level: LevelChoice | None) -> LevelChoice | None:
    """The next level down (sets, then reps, then hold), or None at the low end."""
    stepped = _step(settings, clamp_level(settings, level), up=False)
    return stepped[0] if stepped else None


# ------------------------------------------------------------------------ decisions


def next_level(
    settings: Settings,
    current: LevelChoice | None,
    history: Sequence[ExerciseOutcome],
    sessions_needed: int = DEFAULT_SESSIONS,
) -> Decision:
    """The level to offer for the next session (see the module's rules).

    ``current``: the stored level (None: never stored, the low end). ``history``: this
    exercise's past sessions, most recent last.
    """
    if sessions_needed < 1:
        raise ValueError("sessions_needed must be at least 1")
    level = clamp_level(settings, current)
    if not has_ranges(settings):
        return Decision(level, "none", "no ranges: the routine prescribes one dose")

    seen: dict[int, bool] = {}  # by id: a long history repeats a few level objects

    def here(outcome: ExerciseOutcome) -> bool:
        if outcome.level is None:
            return True
        key = id(outcome.level)
        if key not in seen:
            seen[key] = clamp_level(settings, outcome.level) == level
        return seen[key]

    if history and history[-1].pain and here(history[-1]):
        down = _step(settings, level, up=False)
        if down is None:
            return Decision(
                level, "none", "pain in the last session, and this is already the lowest level"
            )
        return Decision(down[0], "down", f"pain in the last session: {down[1]}")

    run = 0
    for outcome in reversed(history):
        if not here(outcome) or outcome.pain or not outcome.completed:
            break
        run += 1
    if run < sessions_needed:
        noun = "session" if sessions_needed == 1 else "sessions"
        return Decision(
            level,
            "none",
            f"{run} of {sessions_needed} {noun} in a row completed without pain at this level",
        )
    up = _step(settings, level, up=True)
    if up is None:
        return Decision(level, "none", "already at the top of every range")
    noun = "session" if run == 1 else "sessions"
    return Decision(
        up[0], "up", f"{run} {noun} in a row completed without pain at this level: {up[1]}"
    )


def next_levels(
    routine: Routine,
    current: Mapping[int, LevelChoice],
    history: Mapping[int, Sequence[ExerciseOutcome]],
    sessions_needed: int = DEFAULT_SESSIONS,
) -> dict[int, Decision]:
    """:func:`next_level` for every exercise of ``routine`` (by index)."""
    return {
        index: next_level(
            routine.settings(index), current.get(index), history.get(index, ()), sessions_needed
        )
        for index in range(len(routine.exercises))
    }


# ------------------------------------------------------------------------ words and whole routines


def _amount(settings: Settings, dim: str, value: float | None) -> str:
    """One dimension's value as it is said: "15s", "10 breaths", "12 reps", "1 set"."""
    if value is None:
        return "-"
    if dim == "hold":
        if settings.hold is not None and settings.hold.unit == "breaths":
            return f"{_num(value)} breath" + ("" if value == 1 else "s")
        return compact(value)
    noun = "rep" if dim == "reps" else "set"
    return f"{_num(value)} {noun}" + ("" if value == 1 else "s")


def describe_change(settings: Settings, old: LevelChoice, new: LevelChoice) -> str:
    """What differs between two levels: "hold 10s -> 15s", "12 reps -> 10 reps"."""
    parts = []
    for dim in ("hold", "reps", "sets"):
        before, after = getattr(old, dim), getattr(new, dim)
        if before != after:
            prefix = "hold " if dim == "hold" else ""
            parts.append(
                f"{prefix}{_amount(settings, dim, before)} -> {_amount(settings, dim, after)}"
            )
    return ", ".join(parts) or "no change"


def describe_level(settings: Settings, level: LevelChoice) -> list[str]:
    """Each range at its current level, with the range: "hold 15s (10-30s)", "2 reps (2-3)".

    Empty for an exercise without ranges."""
    out = []
    level = clamp_level(settings, level)
    if settings.kind == "hold" and settings.hold is not None and settings.hold.span.is_range:
        span = settings.hold.span
        if settings.hold.unit == "breaths":
            out.append(f"hold {_amount(settings, 'hold', level.hold)} ({span})")
        else:
            seconds = compact_range(span.low, span.high)
            out.append(f"hold {_amount(settings, 'hold', level.hold)} ({seconds})")
    if settings.reps.is_range:
        out.append(f"{_amount(settings, 'reps', level.reps)} ({settings.reps})")
    if settings.sets.is_range:
        out.append(f"{_amount(settings, 'sets', level.sets)} ({settings.sets})")
    return out


def high_level(settings: Settings) -> LevelChoice:
    """The top of every range (what ``--level high`` runs)."""
    hold = settings.hold.span.high if settings.hold is not None else None
    return clamp_level(
        settings, LevelChoice(hold=hold, reps=settings.reps.high, sets=settings.sets.high)
    )


def routine_has_ranges(routine: Routine) -> bool:
    return any(has_ranges(routine.settings(i)) for i in range(len(routine.exercises)))
