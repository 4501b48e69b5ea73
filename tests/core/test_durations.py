"""Every way a length of time is written, from the one module that writes them."""

from __future__ import annotations

import pytest

from backtimer.core import durations as d


@pytest.mark.parametrize(
    ("seconds", "countdown", "mmss", "elapsed", "timeline"),
    [
        (0, "0", "0:00", "00:00", " 0:00"),
        (7, "7", "0:07", "00:07", " 0:07"),
        (45, "45", "0:45", "00:45", " 0:45"),
        (90, "1:30", "1:30", "01:30", " 1:30"),
        (725, "12:05", "12:05", "12:05", "12:05"),
        (3725, "1:02:05", "1:02:05", "1:02:05", "1:02:05"),
    ],
)
def test_clock_digits(seconds: int, countdown: str, mmss: str, elapsed: str, timeline: str) -> None:
    assert d.countdown(seconds) == countdown
    assert d.mmss(seconds) == mmss
    assert d.elapsed(seconds) == elapsed
    assert d.timeline(seconds) == timeline


def test_each_clock_rounds_its_own_way() -> None:
    # Time left rounds up (a countdown never shows 0 while time is left), time into a
    # session rounds down, a plan's start times round to the nearest second.
    assert d.shown_seconds(29.2) == 30
    assert d.shown_seconds(30.0 + 1e-12) == 30
    assert d.shown_seconds(-1.0) == 0
    assert d.shown_seconds(None) is None
    assert d.mmss(44.1) == "0:45"
    assert d.elapsed(12.9) == "00:12"
    assert d.elapsed(-3) == "00:00"
    assert d.timeline(44.6) == " 0:45"
    assert d.countdown(-5) == "0"


def test_words() -> None:
    assert d.short(45) == "45 s"
    assert d.short(150) == "2 min 30 s"
    assert d.short(3600) == "60 min"
    assert d.about(45) == "45 s"
    assert d.about(600) == "10 min"
    assert d.hours_minutes(3000) == "50 min"
    assert d.hours_minutes(5400) == "1 h 30 min"
    assert d.hours_minutes(3600) == "1 h 0 min"
    assert d.hours_minutes_up(18050) == "5 h 1 min"
    assert d.hours_minutes_up(18000) == "5 h"


def test_compact_ranges_as_a_routine_writes_them() -> None:
    assert d.compact_range(10, 30) == "10-30s"
    assert d.compact_range(45, 90) == "45s-1m30s"
    assert d.compact_range(2.5, 7.5) == "2.5-7.5s"


def test_spoken_is_exact() -> None:
    assert d.spoken(1) == "1 second"
    assert d.spoken(3661) == "1 hour 1 minute 1 second"
    assert d.spoken(7199.125) == "7199.125 seconds"
