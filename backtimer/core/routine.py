"""The routine: its data types (plain frozen dataclasses) and the values inside it.

Pure: no I/O, no terminal, no pydantic. ``core.schema`` validates a routine file's data into
these types; ``routine_load`` reads files and turns validation errors into located messages;
``plan`` compiles a validated routine into timed steps.

Values people write by hand are parsed here:

- durations: ``30``, ``"45"``, ``"30s"``, ``"1m30s"``, ``"2 min"``;
- holds: a duration, ``"10 breaths"``, or a range ``"10-30s"`` / ``"10-15 breaths"``;
- counts (reps, sets): ``3`` or a range ``"2-3"``.

A range is prescribed by the source ("hold 10 to 30 seconds"); a session uses one value of it,
the current level, which starts at the low end.
"""

from __future__ import annotations

import dataclasses
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from backtimer.core.durations import compact, hours_minutes_up
from backtimer.core.literal import is_control

MAX_DURATION = 2 * 60 * 60  # seconds: no single hold, rest or gap is longer
MIN_DURATION = 0.05  # seconds: no hold, breath, rest or gap is shorter (except a gap of 0)
MAX_SESSION = 4 * 60 * 60  # seconds: a whole session at its highest level
MAX_COUNT = 100  # reps, sets, breaths
MAX_EXERCISES = 200
MAX_NAME = 120
MAX_TEXT = 2000
MAX_STEPS = 40  # instruction lines of one exercise
#: Steps in a whole plan at its highest level: several times any prescribed routine (20
#: exercises of 3 sets of 15 reps on both sides, with rests, is about 3,600); every plan
#: within it compiles in a fraction of a second (200 exercises x 100 reps x 100 sets x both
#: sides, each within its own limit, once made 8 million steps: minutes and gigabytes).
MAX_PLAN_STEPS = 10_000

#: Used where neither the exercise nor the routine's [defaults] says otherwise.
BUILTIN_DEFAULTS: dict[str, Any] = {
    "reps": 1,
    "sets": 1,
    "sides": "none",
    "side_order": "sequential",
    "first_side": "right",
    "rest": 5.0,
    "set_rest": 30.0,
    "switch": 5.0,
    "breath": 5.0,
    "get_ready": 10.0,
    "transition": 5.0,
}

Side = Literal["right", "left"]
LevelName = Literal["low", "high"]
#: How an exercise is timed: a hold (seconds or breaths), counted reps at a tempo, at the
#: person's own pace, or not said (an error, reported by validation).
Kind = Literal["hold", "tempo", "user_paced", "missing"]


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Span:
    """A number or a range of numbers ("2-3"); ``low == high`` for a single value."""

    low: float
    high: float

    @property
    def is_range(self) -> bool:
        return self.low != self.high

    def at(self, level: LevelName | float | None) -> float:
        """The value used at a level: ``"low"``, ``"high"``, or a value clamped into the range."""
        if level is None or level == "low":
            return self.low
        if level == "high":
            return self.high
        return min(self.high, max(self.low, float(level)))

    def __str__(self) -> str:
        return _num(self.low) if not self.is_range else f"{_num(self.low)}-{_num(self.high)}"


@dataclass(frozen=True)
class Hold:
    """A hold: seconds, or a number of breaths paced by the breath length."""

    span: Span
    unit: Literal["seconds", "breaths"]

    def __str__(self) -> str:
        if self.unit == "breaths":
            return f"{self.span} breath" if self.span.high == 1 else f"{self.span} breaths"
        if not self.span.is_range:
            return compact(self.span.low)
        return f"{compact(self.span.low)}-{compact(self.span.high)}"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


_UNIT_SECONDS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
}
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([a-z]*)")
_DASHES = re.compile(r"\s*[-–—]\s*|\s+to\s+")
DURATION_HELP = 'seconds as a number, or a string such as "30s", "1m30s" or "2 min"'


def _reject_non_number(value: Any, what: str) -> None:
    if isinstance(value, bool):
        raise ValueError(f"expected {what}, got a boolean")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"expected {what}, got {value}")


def parse_seconds(value: Any) -> float:
    """A duration written by hand, in seconds (not yet bounds-checked)."""
    _reject_non_number(value, DURATION_HELP)
    if isinstance(value, int | float):
        return _as_float(value)
    if not isinstance(value, str):
        raise ValueError(f"expected {DURATION_HELP}, got {_kind(value)}")
    text = value.strip().lower()
    if not text:
        raise ValueError(f"expected {DURATION_HELP}, got an empty string")
    if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", text):
        return _as_float(text)
    total = 0.0
    pos = 0
    seen: set[int] = set()
    for match in _DURATION_PART.finditer(text):
        if text[pos : match.start()].strip():
            break
        number, unit = match.groups()
        if unit not in _UNIT_SECONDS:
            raise ValueError(f"{_shown(value)} is not a duration: expected {DURATION_HELP}")
        scale = _UNIT_SECONDS[unit]
        if scale in seen:
            raise ValueError(f"{_shown(value)} is not a duration: a unit appears twice")
        seen.add(scale)
        total += _as_float(number) * scale
        pos = match.end()
    if not seen or text[pos:].strip():
        raise ValueError(f"{_shown(value)} is not a duration: expected {DURATION_HELP}")
    return total


def _as_float(value: int | float | str) -> float:
    """A number as a float; one too large for a float (a 400-digit number) is infinite."""
    try:
        return float(value)
    except (OverflowError, ValueError):
        # OverflowError: a huge int; ValueError: a string of more than 4300 digits.
        return math.inf


def _bounded(seconds: float, *, allow_zero: bool) -> float:
    if seconds < 0 or (seconds == 0 and not allow_zero):
        raise ValueError(
            "must be 0 or more seconds" if allow_zero else "must be more than 0 seconds"
        )
    if 0 < seconds < MIN_DURATION:
        if allow_zero:
            raise ValueError(
                f"must be 0 (left out) or at least {_num(MIN_DURATION)} seconds, got {seconds:.3g}"
            )
        raise ValueError(f"must be at least {_num(MIN_DURATION)} seconds, got {seconds:.3g}")
    if seconds > MAX_DURATION:
        if seconds > 1000 * MAX_DURATION:  # no point in spelling out 27777777h46m40s
            raise ValueError("is far longer than the limit of 2 hours")
        raise ValueError(f"{compact(seconds)} is longer than the limit of 2 hours")
    return seconds


def parse_duration(value: Any) -> float:
    """A duration that must be > 0 (a breath, a tempo part in total)."""
    return _bounded(parse_seconds(value), allow_zero=False)


def parse_gap(value: Any) -> float:
    """A rest, switch, get-ready or transition time: 0 means the step is left out."""
    return _bounded(parse_seconds(value), allow_zero=True)


def parse_count(value: Any) -> Span:
    """Reps or sets: a whole number 1..100 or a range "2-3"."""
    what = 'a whole number from 1 to 100, or a range such as "2-3"'
    _reject_non_number(value, what)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"expected {what}, got {value}")
        value = int(value)
    if isinstance(value, int):
        low = high = value
    elif isinstance(value, str):
        parts = _DASHES.split(value.strip())
        if not all(re.fullmatch(r"[0-9]+", p) for p in parts) or len(parts) > 2:
            raise ValueError(f"expected {what}, got {_shown(value)}")
        # More digits than any count can have: out of range (and int() has a digit limit).
        low, high = (int(p) if len(p) <= 9 else MAX_COUNT + 1 for p in (parts[0], parts[-1]))
    else:
        raise ValueError(f"expected {what}, got {_kind(value)}")
    for n in (low, high):
        if not 1 <= n <= MAX_COUNT:
            shown = str(n) if abs(n) < 10**9 else "the number"
            raise ValueError(f"{shown} is out of range: expected {what}")
    if low > high:
        raise ValueError(f"the range {_shown(value)} starts above its end")
    return Span(float(low), float(high))


HOLD_HELP = (
    'seconds as a number, or a string such as "30s", "1m30s", "10 breaths", '
    'or a range such as "10-30s" or "10-15 breaths"'
)
_BREATHS = re.compile(r"^(.*?)\s*breaths?$")


def parse_hold(value: Any) -> Hold:
    _reject_non_number(value, HOLD_HELP)
    if isinstance(value, int | float):
        seconds = _bounded(_as_float(value), allow_zero=False)
        return Hold(Span(seconds, seconds), "seconds")
    if not isinstance(value, str):
        raise ValueError(f"expected {HOLD_HELP}, got {_kind(value)}")
    text = value.strip().lower()
    breaths = _BREATHS.match(text)
    if breaths:
        try:
            span = parse_count(breaths.group(1))
        except ValueError as exc:
            if "starts above its end" in str(exc):
                raise ValueError(f"the range {_shown(value)} starts above its end") from None
            raise ValueError(
                "expected a whole number of breaths from 1 to 100, such as "
                f'"10 breaths" or "10-15 breaths", got {_shown(value)}'
            ) from None
        return Hold(span, "breaths")
    parts = _DASHES.split(text)
    if len(parts) > 2 or not all(parts):
        raise ValueError(f"expected {HOLD_HELP}, got {_shown(value)}")
    if len(parts) == 1:
        seconds = _bounded(parse_seconds(value), allow_zero=False)
        return Hold(Span(seconds, seconds), "seconds")
    low_text, high_text = parts
    try:
        high = parse_seconds(high_text)
        # "10-30s": the low end takes the high end's (first) unit: "1-2m30s" is 1m to 2m30s.
        if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", low_text):
            unit = re.match(r"[0-9.\s]*([a-z]*)", high_text)
            low = parse_seconds(low_text + ((unit.group(1) if unit else "") or "s"))
        else:
            low = parse_seconds(low_text)
    except ValueError:
        raise ValueError(f"expected {HOLD_HELP}, got {_shown(value)}") from None
    low = _bounded(low, allow_zero=False)
    high = _bounded(high, allow_zero=False)
    if low > high:
        raise ValueError(f"the range {_shown(value)} starts above its end")
    return Hold(Span(low, high), "seconds")


def _shown(value: Any) -> str:
    """A value as quoted in a message: repr (escapes included), shortened if long."""
    text = repr(value)
    return text if len(text) <= 60 else text[:50] + "..." + text[-6:]


def _kind(value: Any) -> str:
    return {
        dict: "a table",
        list: "a list",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
    }.get(type(value), type(value).__name__)


# ---------------------------------------------------------------------------- text


def _check_text(value: str, *, multiline: bool, limit: int) -> str:
    if value.isprintable():  # the usual case: no Cc, Cs or bidi controls (they are Cf)
        return _check_length(value, limit)
    for ch in value:
        if ch in "\n\t" and multiline:
            continue
        if is_control(ch):
            name = f"U+{ord(ch):04X}"
            hint = " (use a list of lines instead)" if ch == "\n" else ""
            raise ValueError(f"control character {name} is not allowed here{hint}")
    return _check_length(value, limit)


def _check_length(value: str, limit: int) -> str:
    if len(value) > limit:
        raise ValueError(f"is {len(value)} characters long; the limit is {limit}")
    return value


#: Characters that show nothing on their own and are not said: format characters (a
#: zero-width space, a soft hyphen, a byte order mark) and combining marks with no letter.
_INVISIBLE = frozenset(("Cf", "Mn", "Me"))


def _not_empty(value: str) -> str:
    """A name or step must show (and say) something: not only spaces, nor only characters
    that are invisible on their own."""
    if not value.strip():
        raise ValueError("must not be empty")
    if all(ch.isspace() or unicodedata.category(ch) in _INVISIBLE for ch in value):
        raise ValueError("must not be empty (it has only invisible characters)")
    return value


def _line(value: str) -> str:
    return _not_empty(_check_text(value, multiline=False, limit=MAX_NAME))


def _para(value: str) -> str:
    return _check_text(value, multiline=True, limit=MAX_TEXT)


def _step(value: str) -> str:
    return _not_empty(_check_text(value, multiline=False, limit=MAX_TEXT))


# --------------------------------------------------------------------------- routine
#
# The routine's data: plain frozen dataclasses, so that a routine read back from the cache of
# checked routines (files.cache) needs no pydantic. A routine file is validated into them by
# the models of backtimer.core.schema (same class names, fields, defaults and docstrings; the
# field descriptions of the JSON Schema are there). Keyword-only: an exercise's own fields
# follow the timing fields it shares with [defaults], as in the file's schema.


@dataclass(frozen=True, kw_only=True)
class Source:
    """Where a routine comes from: cite it so that the user can check the numbers."""

    title: str
    publisher: str | None = None
    author: str | None = None
    url: str | None = None
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class TempoNames:
    """What each tempo part is called when it is announced, in the exercise's own words."""

    lift: str | None = None
    hold: str | None = None
    lower: str | None = None
    pause: str | None = None


TEMPO_PARTS = ("lift", "hold", "lower", "pause")


@dataclass(frozen=True, kw_only=True)
class Tempo:
    """The timing of one counted rep, e.g. bridges: lift 2 s, hold 1 s, lower 2 s."""

    lift: float = 0.0
    hold: float = 0.0
    lower: float = 0.0
    pause: float = 0.0
    names: TempoNames | None = None

    @property
    def seconds(self) -> float:
        return self.lift + self.hold + self.lower + self.pause

    def name(self, part: str) -> str:
        own = getattr(self.names, part, None) if self.names is not None else None
        return " ".join(own.split()) if own else part

    def parts(self) -> list[tuple[str, float]]:
        """(name, seconds) of each part that takes time, in order."""
        return [(self.name(p), getattr(self, p)) for p in TEMPO_PARTS if getattr(self, p)]

    def describe(self) -> str:
        return ", ".join(
            f"{label} {_num(value)} second{'' if value == 1 else 's'}"
            for label, value in self.parts()
        )


TIMING_FIELDS = (
    "hold",
    "tempo",
    "user_paced",
    "reps",
    "sets",
    "sides",
    "side_order",
    "first_side",
    "rest",
    "set_rest",
    "switch",
    "breath",
    "get_ready",
    "transition",
)
KIND_FIELDS = ("hold", "tempo", "user_paced")


@dataclass(frozen=True, kw_only=True)
class Timing:
    """Timing fields shared by an exercise and the routine's [defaults]."""

    hold: Hold | None = None
    tempo: Tempo | None = None
    user_paced: bool | None = None
    reps: Span | None = None
    sets: Span | None = None
    sides: Literal["none", "both"] | None = None
    side_order: Literal["sequential", "alternating", "sets_per_side"] | None = None
    first_side: Side | None = None
    rest: float | None = None
    set_rest: float | None = None
    switch: float | None = None
    breath: float | None = None
    get_ready: float | None = None
    transition: float | None = None


@dataclass(frozen=True, kw_only=True)
class Defaults(Timing):
    """Routine-wide defaults for every timing field; an exercise's own value wins."""


@dataclass(frozen=True, kw_only=True)
class SideWords:
    """What each side means in this exercise, as it is announced ("right leg")."""

    right: str
    left: str


@dataclass(frozen=True, kw_only=True)
class Exercise(Timing):
    """One exercise: its words, and its own timing (None: the routine's [defaults])."""

    name: str
    position: str | None = None
    target: str | None = None
    benefit: str | None = None
    steps: list[str] = dataclasses.field(default_factory=list)
    caution: str | None = None
    stop_if: str | None = None
    note: str | None = None
    side_words: SideWords | None = None


@dataclass(frozen=True, kw_only=True)
class Routine:
    """A checked routine (see :func:`backtimer.core.schema.validate_routine`)."""

    name: str
    description: str | None = None
    source: Source | None = None
    cautions: list[str] = dataclasses.field(default_factory=list)
    defaults: Defaults = dataclasses.field(default_factory=Defaults)
    exercises: list[Exercise]

    def settings(self, index: int) -> Settings:
        """The effective timing of exercise ``index``: its own, else [defaults], else built in."""
        exercise = self.exercises[index]
        own_kind = [f for f in KIND_FIELDS if getattr(exercise, f) not in (None, False)]
        kind_source: Timing = exercise if own_kind else self.defaults
        values: dict[str, Any] = {}
        for field in TIMING_FIELDS:
            if field in KIND_FIELDS:
                values[field] = getattr(kind_source, field)
                continue
            value = getattr(exercise, field)
            if value is None:
                value = getattr(self.defaults, field)
            if value is None:
                value = BUILTIN_DEFAULTS[field]
                if field in ("reps", "sets"):
                    value = Span(float(value), float(value))
            values[field] = value
        kind: Kind
        if values["user_paced"]:
            kind = "user_paced"
        elif values["tempo"] is not None:
            kind = "tempo"
        elif values["hold"] is not None:
            kind = "hold"
        else:
            kind = "missing"
        return Settings(kind=kind, **values)

    def step_count(self, level: Level = "low") -> int:
        """How many steps the plan at ``level`` has (see backtimer.core.plan)."""
        total = 0
        last = len(self.exercises) - 1
        for index in range(len(self.exercises)):
            settings = self.settings(index)
            total += settings.step_count(level_for(level, index))
            if index < last and settings.transition > 0:
                total += 1
        return total

    def total_seconds(self, level: Level = "low") -> float:
        """Length of a session at ``level``; user-paced steps count as 0."""
        total = 0.0
        last = len(self.exercises) - 1
        for index in range(len(self.exercises)):
            settings = self.settings(index)
            total += settings.exercise_seconds(level_for(level, index))
            if index < last:
                total += settings.transition
        return total


@dataclass(frozen=True)
class LevelChoice:
    """One exercise's current level: a value inside each of its ranges (None: the low end)."""

    hold: float | None = None
    reps: float | None = None
    sets: float | None = None


Level = LevelName | Mapping[int, LevelChoice]


def level_for(level: Level, index: int) -> LevelName | LevelChoice:
    if isinstance(level, str):
        return level
    return level.get(index, LevelChoice())


@dataclass(frozen=True)
class Settings:
    """Resolved timing of one exercise; ``kind`` says how a rep is timed."""

    kind: Kind
    hold: Hold | None
    tempo: Tempo | None
    user_paced: bool | None
    reps: Span
    sets: Span
    sides: Literal["none", "both"]
    side_order: Literal["sequential", "alternating", "sets_per_side"]
    first_side: Side
    rest: float
    set_rest: float
    switch: float
    breath: float
    get_ready: float
    transition: float

    def dose(self, level: LevelName | LevelChoice = "low") -> Dose:
        """The concrete prescription at a level."""
        hold_l: LevelName | float | None
        reps_l: LevelName | float | None
        sets_l: LevelName | float | None
        if isinstance(level, LevelChoice):
            hold_l, reps_l, sets_l = level.hold, level.reps, level.sets
        else:
            hold_l = reps_l = sets_l = level
        reps = int(self.reps.at(reps_l))
        sets = int(self.sets.at(sets_l))
        breaths = None
        if self.kind == "hold" and self.hold is not None:
            amount = self.hold.span.at(hold_l)
            if self.hold.unit == "breaths":
                breaths = int(amount)
                seconds: float | None = breaths * self.breath
            else:
                seconds = amount
        elif self.kind == "tempo" and self.tempo is not None:
            seconds = self.tempo.seconds
        else:
            seconds = None
        return Dose(rep_seconds=seconds, breaths=breaths, reps=reps, sets=sets)

    @property
    def side_list(self) -> tuple[Side | None, ...]:
        if self.sides == "none":
            return (None,)
        return ("right", "left") if self.first_side == "right" else ("left", "right")

    def step_count(self, level: LevelName | LevelChoice = "low") -> int:
        """How many steps the plan has for this exercise (get ready to its last rep, no
        transition): as backtimer.core.plan compiles them, gaps of 0 left out."""
        dose = self.dose(level)
        n, m = dose.reps, dose.sets
        rest, set_rest, switch = (int(x > 0) for x in (self.rest, self.set_rest, self.switch))
        sides = len(self.side_list)
        count = int(self.get_ready > 0) + sides * m * n
        count += sides * m * (n - 1) * rest
        if sides == 2 and self.side_order == "sets_per_side":
            return count + switch + 2 * (m - 1) * set_rest
        count += (m - 1) * set_rest
        if sides == 2:
            if self.side_order == "alternating":
                count += m * n * switch - m * (n - 1) * rest  # one rest per rep pair
            else:
                count += m * switch
        return count

    def exercise_seconds(self, level: LevelName | LevelChoice = "low") -> float:
        """get_ready + every rep, rest, switch and set rest (no transition)."""
        dose = self.dose(level)
        rep = dose.rep_seconds or 0.0
        n = dose.reps
        if len(self.side_list) == 2 and self.side_order == "sets_per_side":
            per_side = dose.sets * (n * rep + (n - 1) * self.rest)
            per_side += (dose.sets - 1) * self.set_rest
            return self.get_ready + 2 * per_side + self.switch
        if len(self.side_list) == 1:
            per_set = n * rep + (n - 1) * self.rest
        elif self.side_order == "sequential":
            per_set = 2 * (n * rep + (n - 1) * self.rest) + self.switch
        else:  # alternating: R1 switch L1 rest R2 switch L2 ...
            per_set = 2 * n * rep + n * self.switch + (n - 1) * self.rest
        return self.get_ready + dose.sets * per_set + (dose.sets - 1) * self.set_rest


@dataclass(frozen=True)
class Dose:
    rep_seconds: float | None  # None: user-paced
    breaths: int | None
    reps: int
    sets: int


def semantic_issues(
    routine: Routine, *, whole: bool = True
) -> list[tuple[tuple[str | int, ...], str]]:
    """Rules that span fields (after defaults are applied), as (field path, message).

    ``whole=False``: the routine holds only some of a file's exercises (the others have
    errors of their own), so the length of the whole session is not checked.
    """
    issues: list[tuple[tuple[str | int, ...], str]] = []
    own_kinds = [f for f in KIND_FIELDS if getattr(routine.defaults, f) not in (None, False)]
    if len(own_kinds) > 1:
        issues.append(
            (
                ("defaults", own_kinds[1]),
                "choose one of hold, tempo or user_paced, "
                f"not both {own_kinds[0]} and {own_kinds[1]}",
            )
        )
    for index, exercise in enumerate(routine.exercises):
        own = [f for f in KIND_FIELDS if getattr(exercise, f) not in (None, False)]
        if len(own) > 1:
            issues.append(
                (
                    ("exercises", index, own[1]),
                    f"choose one of hold, tempo or user_paced, not both {own[0]} and {own[1]}",
                )
            )
            continue
        settings = routine.settings(index)
        if exercise.user_paced is False and settings.kind in ("user_paced", "missing"):
            issues.append(
                (
                    ("exercises", index, "user_paced"),
                    "user_paced = false needs a hold or a tempo to time the exercise "
                    "(in the exercise or in [defaults])",
                )
            )
            continue
        if settings.kind == "missing":
            issues.append(
                (
                    ("exercises", index),
                    "needs a hold, a tempo or user_paced = true (or a hold in [defaults])",
                )
            )
            continue
        if settings.kind == "tempo" and settings.tempo is not None and settings.tempo.seconds <= 0:
            issues.append((("exercises", index, "tempo"), "a rep must take more than 0 seconds"))
        dose = settings.dose("high")
        if dose.rep_seconds is not None and dose.rep_seconds > MAX_DURATION:
            if dose.breaths is not None:
                what = f"{dose.breaths} breaths of {_num(settings.breath)}s last"
            else:
                parts = settings.tempo.describe() if settings.tempo else ""
                what = f"a rep ({parts}) lasts"
            issues.append(
                (
                    ("exercises", index, settings.kind),
                    f"{what} {compact(dose.rep_seconds)}, longer than the limit of 2 hours",
                )
            )
    if whole and not issues:
        steps = routine.step_count("high")
        if steps > MAX_PLAN_STEPS:
            counts = [routine.settings(i).step_count("high") for i in range(len(routine.exercises))]
            worst = max(range(len(counts)), key=counts.__getitem__)
            limit = f"the limit is {MAX_PLAN_STEPS:,}: fewer reps, sets or exercises"
            if counts[worst] > MAX_PLAN_STEPS:
                issues.append(
                    (
                        ("exercises", worst),
                        f"this exercise alone has {counts[worst]:,} steps at its highest "
                        f"level (the whole session {steps:,}); {limit}",
                    )
                )
            else:
                issues.append(
                    (
                        ("exercises",),
                        f"the whole session has {steps:,} steps at its highest level "
                        f"(the most, {counts[worst]:,}, in exercises[{worst + 1}] "
                        f"({routine.exercises[worst].name})); {limit}",
                    )
                )
            return issues
        total = routine.total_seconds("high")
        if total > MAX_SESSION:
            issues.append(
                (
                    ("exercises",),
                    f"the whole session lasts {hours_minutes_up(total)} at its highest level; "
                    "the limit is 4 hours",
                )
            )
    return issues
