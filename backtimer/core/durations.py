"""Every way backtimer writes a length of time, in one place: in words, in a routine file's
syntax, and as clock digits on screen and in lines of text.

Reading a duration (``"1m30s"`` -> 90) is validation and lives with the routine model
(:func:`backtimer.core.routine.parse_seconds`); :func:`compact` writes what it reads.
"""

from __future__ import annotations

import math
from functools import lru_cache

#: Seconds within this of a whole number count as that number on a countdown.
_EPSILON = 1e-9


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _exact(value: float) -> str:
    """A number as written, never rounded: 2.5 -> "2.5", 7199.125 -> "7199.125"."""
    text = repr(float(value))
    if "e" in text or "E" in text:
        text = f"{value:.12f}".rstrip("0").rstrip(".")
    return text


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


# ------------------------------------------------------------------------ words


@lru_cache(maxsize=1024)  # pure; a plan says the same few lengths at thousands of steps
def spoken(seconds: float) -> str:
    """What is said: 30 -> "30 seconds", 90 -> "1 minute 30 seconds", 1.5 -> "1.5 seconds".

    Exact: what is said is what is timed (no rounding of fractional seconds).
    """
    if not float(seconds).is_integer():
        return f"{_exact(seconds)} seconds"
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(_plural(hours, "hour"))
    if minutes:
        parts.append(_plural(minutes, "minute"))
    if secs or not (hours or minutes):
        parts.append(_plural(secs, "second"))
    return " ".join(parts)


def compact(seconds: float) -> str:
    """As a routine file writes it (and reads it back): 30 -> "30s", 90 -> "1m30s", 3600 ->
    "1h", 2.5 -> "2.5s"."""
    whole = float(seconds).is_integer()
    total = int(seconds) if whole else seconds
    if not whole or total < 60:
        return f"{_number(total)}s"
    hours, rest = divmod(int(total), 3600)
    minutes, secs = divmod(rest, 60)
    out = ""
    if hours:
        out += f"{hours}h"
    if minutes:
        out += f"{minutes}m"
    if secs:
        out += f"{secs}s"
    return out


def compact_range(low: float, high: float) -> str:
    """A range of seconds as a routine writes it: "10-30s" ("45s-1m30s" past a minute)."""
    if high < 60:
        return f"{_number(low)}-{compact(high)}"
    return f"{compact(low)}-{compact(high)}"


def short(seconds: float) -> str:
    """A length for people, to the second: 45 -> "45 s", 150 -> "2 min 30 s", 3600 ->
    "60 min"."""
    minutes, secs = divmod(max(0, round(seconds)), 60)
    if not minutes:
        return f"{secs} s"
    if not secs:
        return f"{minutes} min"
    return f"{minutes} min {secs} s"


def about(seconds: float) -> str:
    """A routine's length at a glance: whole minutes from one minute on ("12 min"), else
    seconds ("45 s")."""
    minutes = seconds / 60
    return f"{minutes:.0f} min" if minutes >= 1 else f"{seconds:.0f} s"


def hours_minutes(seconds: float) -> str:
    """Time spent, to the nearest minute: 3000 -> "50 min", 5400 -> "1 h 30 min"."""
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def hours_minutes_up(seconds: float) -> str:
    """A limit exceeded, minutes rounded up: 18050 -> "5 h 1 min", 18000 -> "5 h"."""
    hours, minutes = divmod(math.ceil(seconds / 60), 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


# ------------------------------------------------------------------------ clock digits


def _digits(total: int, *, minutes_width: int = 1, pad: str = "0", bare: bool = False) -> str:
    """h:mm:ss from an hour on; else m:ss with the minutes at least ``minutes_width`` wide
    (padded with ``pad``); ``bare``: under a minute, the seconds alone."""
    hours, rest = divmod(max(0, total), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    if bare and not minutes:
        return f"{secs}"
    return f"{minutes:{pad}>{minutes_width}}:{secs:02d}"


def shown_seconds(seconds: float | None) -> int | None:
    """The whole seconds a countdown shows: 29.2 s left shows 30, 0.0 shows 0."""
    if seconds is None:
        return None
    return max(0, math.ceil(seconds - _EPSILON))


def countdown(seconds: int) -> str:
    """The big countdown: 45 -> "45", 90 -> "1:30", 3725 -> "1:02:05"."""
    return _digits(int(seconds), bare=True)


def mmss(seconds: float) -> str:
    """Time left, always with the colon, whole seconds rounded up: 45 -> "0:45"."""
    return _digits(math.ceil(seconds - _EPSILON))


def elapsed(seconds: float) -> str:
    """Time into a session for a line of text, rounded down: 12.9 -> "00:12", 3725 ->
    "1:02:05"."""
    return _digits(int(max(0.0, seconds) + 1e-6), minutes_width=2)


def timeline(seconds: float) -> str:
    """A start time in a plan's table, rounded, aligned: 45 -> " 0:45", 725 -> "12:05"."""
    return _digits(round(seconds), minutes_width=2, pad=" ")
