"""The values people write by hand in a routine: durations, holds, counts, text, defaults.

Parsers are tested directly and through the models (``validate_routine``), so that a
value accepted by a parser is also accepted in the place where a user writes it.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from pydantic import ValidationError

from backtimer.core.durations import compact as format_duration
from backtimer.core.routine import (
    BUILTIN_DEFAULTS,
    MAX_COUNT,
    MAX_DURATION,
    MAX_EXERCISES,
    MAX_SESSION,
    Hold,
    LevelChoice,
    Routine,
    Span,
    parse_count,
    parse_duration,
    parse_gap,
    parse_hold,
    parse_seconds,
    semantic_issues,
)
from backtimer.core.schema import validate_routine
from backtimer.files.routine_load import RoutineError, validate_text


def routine(*exercises: dict[str, Any], **top: Any) -> Routine:
    return validate_routine({"name": "R", "exercises": list(exercises), **top})


def errors_of(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(field path, message) of every pydantic error for a routine dict."""
    with pytest.raises(ValidationError) as info:
        validate_routine(data)
    return [
        (".".join(str(p) for p in err["loc"]), err["msg"].removeprefix("Value error, "))
        for err in info.value.errors()
    ]


# ---------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (30, 30.0),
        (30.5, 30.5),
        (0.25, 0.25),
        ("45", 45.0),
        ("2.5", 2.5),
        ("30s", 30.0),
        ("30 s", 30.0),
        ("  30s  ", 30.0),
        ("30 sec", 30.0),
        ("30 seconds", 30.0),
        ("1 second", 1.0),
        ("1m30s", 90.0),
        ("1m 30s", 90.0),
        ("1 min 30 sec", 90.0),
        ("2 min", 120.0),
        ("2 minutes", 120.0),
        ("1.5m", 90.0),
        ("1h", 3600.0),
        ("1 hour", 3600.0),
        ("1h30m", 5400.0),
        ("1h 2m 3s", 3723.0),
        ("30S", 30.0),
        ("2 MIN", 120.0),
    ],
)
def test_duration_forms(text: Any, seconds: float) -> None:
    assert parse_seconds(text) == seconds
    assert parse_duration(text) == seconds
    assert parse_gap(text) == seconds


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty string"),
        ("   ", "empty string"),
        ("30ss", "is not a duration"),
        ("30 sek", "is not a duration"),
        ("s", "is not a duration"),
        ("m30", "is not a duration"),
        ("1m30", "is not a duration"),  # a bare number after a unit
        ("1m,30s", "is not a duration"),
        ("1m1m", "a unit appears twice"),
        ("60s 1 sec", "a unit appears twice"),
        ("ten seconds", "is not a duration"),
        ("-5", "is not a duration"),
        ("-5s", "is not a duration"),
        ("1e3", "is not a duration"),
        ("0x10", "is not a duration"),
        (".5", "is not a duration"),
        ("5.", "is not a duration"),
        ("1_000", "is not a duration"),
        ("１２", "is not a duration"),  # full-width digits: ASCII only, as in TOML
        ("٣", "is not a duration"),
        ("10-30s", "is not a duration"),  # a range is only for holds
        (True, "got a boolean"),
        (False, "got a boolean"),
        (math.nan, "got nan"),
        (math.inf, "got inf"),
        (-math.inf, "got -inf"),
        ([30], "got a list"),
        ({"s": 30}, "got a table"),
        (None, "got NoneType"),
    ],
)
def test_duration_rejects(text: Any, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_seconds(text)
    assert fragment in str(info.value)
    # Only ValueError (which pydantic turns into a located message), nothing else.
    assert type(info.value) is ValueError


def test_duration_bounds_and_the_zero_gap_choice() -> None:
    # A hold, a breath: more than 0. A gap (rest, set_rest, switch, get_ready, transition):
    # 0 is allowed on purpose, and means "leave that step out".
    assert parse_duration(MAX_DURATION) == MAX_DURATION
    assert parse_duration("2h") == MAX_DURATION
    assert parse_gap(0) == 0.0
    assert parse_gap("0s") == 0.0
    assert parse_gap(MAX_DURATION) == MAX_DURATION
    for value in (0, "0", "0s", 0.0):
        with pytest.raises(ValueError, match="must be more than 0 seconds"):
            parse_duration(value)
    for parse in (parse_duration, parse_gap):
        with pytest.raises(ValueError, match=r"2h1s is longer than the limit of 2 hours"):
            parse(MAX_DURATION + 1)
        with pytest.raises(ValueError, match="longer than the limit of 2 hours"):
            parse("2h 1s")
        with pytest.raises(ValueError, match="must be"):
            parse(-1)
        with pytest.raises(ValueError, match="must be"):
            parse(-0.001)


@pytest.mark.parametrize(
    "huge",
    [10**30, 10**400, 1e300, "9" * 400, "9" * 400 + "h", "9" * 5000, "1" + "0" * 20 + " min"],
)
def test_huge_durations_are_plain_errors(huge: Any) -> None:
    """A 400-digit number overflows a float, 5000 digits exceed int(): still one ValueError."""
    for parse in (parse_duration, parse_gap, parse_hold):
        with pytest.raises(ValueError) as info:
            parse(huge)
        assert type(info.value) is ValueError
        message = str(info.value)
        assert "longer than the limit of 2 hours" in message
        assert len(message) < 200, "the message must not spell out the huge number"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(30, "30s"), (90, "1m30s"), (60, "1m"), (3600, "1h"), (3723, "1h2m3s"), (2.5, "2.5s")],
)
def test_format_duration_round_trips(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_seconds(text) == seconds


# ---------------------------------------------------------------- holds


@pytest.mark.parametrize(
    ("text", "low", "high", "unit", "shown"),
    [
        (30, 30, 30, "seconds", "30s"),
        (7.5, 7.5, 7.5, "seconds", "7.5s"),
        ("45", 45, 45, "seconds", "45s"),
        ("30s", 30, 30, "seconds", "30s"),
        ("1m30s", 90, 90, "seconds", "1m30s"),
        ("2 min", 120, 120, "seconds", "2m"),
        ("1h", 3600, 3600, "seconds", "1h"),
        ("10 breaths", 10, 10, "breaths", "10 breaths"),
        ("1 breath", 1, 1, "breaths", "1 breath"),
        ("10breaths", 10, 10, "breaths", "10 breaths"),
        ("10 BREATHS", 10, 10, "breaths", "10 breaths"),
        ("10-15 breaths", 10, 15, "breaths", "10-15 breaths"),
        ("10 – 15 breaths", 10, 15, "breaths", "10-15 breaths"),
        ("10-30s", 10, 30, "seconds", "10s-30s"),
        ("10 - 30 s", 10, 30, "seconds", "10s-30s"),
        ("10 to 30 seconds", 10, 30, "seconds", "10s-30s"),
        ("10–30s", 10, 30, "seconds", "10s-30s"),
        ("10-30", 10, 30, "seconds", "10s-30s"),  # no unit: seconds
        ("10s-1m", 10, 60, "seconds", "10s-1m"),
        ("1-2m", 60, 120, "seconds", "1m-2m"),  # the low end takes the high end's unit
        ("1-2m30s", 60, 150, "seconds", "1m-2m30s"),  # ...its first unit
        ("30-30s", 30, 30, "seconds", "30s"),
    ],
)
def test_hold_forms(text: Any, low: float, high: float, unit: str, shown: str) -> None:
    hold = parse_hold(text)
    assert hold == Hold(Span(low, high), unit)  # type: ignore[arg-type]
    assert str(hold) == shown
    assert hold.span.is_range == (low != high)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("30-10s", "the range '30-10s' starts above its end"),
        ("1m-30s", "starts above its end"),
        ("10-1m30s", "starts above its end"),  # 10m to 1m30s
        ("15-10 breaths", "starts above its end"),
        ("0-30s", "must be more than 0 seconds"),
        ("10-3h", "longer than the limit of 2 hours"),
        ("10--30s", "expected seconds as a number"),
        ("10-", "expected seconds as a number"),
        ("-10", "expected seconds as a number"),
        ("10-30s-40s", "expected seconds as a number"),
        ("breaths", "whole number of breaths"),
        ("7.5 breaths", "whole number of breaths"),
        ("0 breaths", "whole number of breaths"),
        ("101 breaths", "whole number of breaths"),
        ("ten breaths", "whole number of breaths"),
        ("10 breaths-20", "expected seconds as a number"),
        ("0", "must be more than 0 seconds"),
        (0, "must be more than 0 seconds"),
        (-5, "must be more than 0 seconds"),
        ("", "expected seconds as a number"),
        (True, "got a boolean"),
        (math.nan, "got nan"),
        (math.inf, "got inf"),
        ([10, 30], "got a list"),
    ],
)
def test_hold_rejects(text: Any, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_hold(text)
    assert type(info.value) is ValueError
    assert fragment in str(info.value)


def test_a_long_bad_value_is_shortened_in_the_message() -> None:
    with pytest.raises(ValueError) as info:
        parse_hold("x" * 5000)
    assert len(str(info.value)) < 300
    assert "..." in str(info.value)


# ---------------------------------------------------------------- counts


@pytest.mark.parametrize(
    ("value", "low", "high"),
    [
        (3, 3, 3),
        (1, 1, 1),
        (MAX_COUNT, MAX_COUNT, MAX_COUNT),
        (3.0, 3, 3),
        ("3", 3, 3),
        ("03", 3, 3),
        ("2-3", 2, 3),
        ("2 - 3", 2, 3),
        ("2 to 3", 2, 3),
        ("2–3", 2, 3),
        ("1-100", 1, 100),
        ("5-5", 5, 5),
    ],
)
def test_count_forms(value: Any, low: int, high: int) -> None:
    span = parse_count(value)
    assert span == Span(low, high)
    assert span.at("low") == low and span.at("high") == high
    assert str(span) == (str(low) if low == high else f"{low}-{high}")


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (0, "0 is out of range"),
        (-1, "-1 is out of range"),
        (101, "101 is out of range"),
        ("0-3", "0 is out of range"),
        ("1-101", "101 is out of range"),
        ("3-2", "the range '3-2' starts above its end"),
        (2.5, "got 2.5"),
        (True, "got a boolean"),
        (False, "got a boolean"),
        (math.nan, "got nan"),
        (math.inf, "got inf"),
        ("two", "got 'two'"),
        ("2-3-4", "got '2-3-4'"),
        ("2-", "got '2-'"),
        ("+3", "got '+3'"),
        ("", "got ''"),
        ("٣", "got '٣'"),
        ("2.5", "got '2.5'"),
        ([2, 3], "got a list"),
        (10**30, "the number is out of range"),
        ("9" * 5000, "out of range"),  # more digits than int() converts
    ],
)
def test_count_rejects(value: Any, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_count(value)
    assert type(info.value) is ValueError
    assert fragment in str(info.value)
    assert len(str(info.value)) < 200


def test_span_levels() -> None:
    span = Span(10, 30)
    assert span.at(None) == 10
    assert span.at("low") == 10
    assert span.at("high") == 30
    assert span.at(20) == 20
    assert span.at(5) == 10  # clamped into the range
    assert span.at(99) == 30


# ---------------------------------------------------------------- through the models

EXERCISE = {"name": "Knee to chest", "hold": "30s"}


def test_an_exercise_of_only_name_and_hold_is_valid_and_gets_the_built_in_defaults() -> None:
    r = routine(EXERCISE)
    s = r.settings(0)
    assert s.kind == "hold"
    assert s.hold == Hold(Span(30, 30), "seconds")
    assert s.reps == Span(1, 1) and s.sets == Span(1, 1)
    for field in ("sides", "side_order", "first_side"):
        assert getattr(s, field) == BUILTIN_DEFAULTS[field]
    for field in ("rest", "set_rest", "switch", "breath", "get_ready", "transition"):
        assert getattr(s, field) == BUILTIN_DEFAULTS[field]
    assert semantic_issues(r) == []
    assert r.total_seconds() == BUILTIN_DEFAULTS["get_ready"] + 30


def test_an_exercise_of_only_a_name_is_valid_given_a_hold_in_defaults() -> None:
    r = routine({"name": "Cat-camel"}, defaults={"hold": "10 breaths", "breath": "4s"})
    assert semantic_issues(r) == []
    s = r.settings(0)
    assert s.kind == "hold" and s.hold == Hold(Span(10, 10), "breaths")
    assert s.dose().rep_seconds == 40 and s.dose().breaths == 10


def test_an_exercise_value_wins_over_defaults_which_win_over_built_ins() -> None:
    r = routine(
        {"name": "A", "reps": 3, "rest": "2s", "sides": "both"},
        {"name": "B", "hold": "5s"},
        {"name": "C", "tempo": {"lift": 2, "lower": 2}},
        defaults={"hold": "20s", "reps": "5-8", "rest": 0, "get_ready": "3s", "first_side": "left"},
    )
    a, b, c = (r.settings(i) for i in range(3))
    assert a.hold == Hold(Span(20, 20), "seconds")  # the default's hold
    assert a.reps == Span(3, 3) and a.rest == 2 and a.sides == "both"
    assert a.first_side == "left" and a.side_list == ("left", "right")
    assert b.hold == Hold(Span(5, 5), "seconds") and b.reps == Span(5, 8) and b.rest == 0
    assert b.switch == BUILTIN_DEFAULTS["switch"] and b.get_ready == 3
    # An exercise's own kind replaces the default's: a tempo, not the default hold.
    assert c.kind == "tempo" and c.hold is None and c.tempo is not None and c.tempo.seconds == 4
    assert semantic_issues(r) == []


def test_user_paced_in_an_exercise_replaces_a_default_hold() -> None:
    r = routine({"name": "Walk", "user_paced": True}, defaults={"hold": "30s"})
    assert r.settings(0).kind == "user_paced"
    assert r.settings(0).dose().rep_seconds is None
    assert semantic_issues(r) == []
    # user_paced = false is not a kind of its own: the default hold applies.
    r = routine({"name": "Stretch", "user_paced": False}, defaults={"hold": "30s"})
    assert r.settings(0).kind == "hold"


def test_zero_gaps_leave_steps_out_of_the_session() -> None:
    zero = {"rest": 0, "set_rest": 0, "switch": 0, "get_ready": 0, "transition": 0}
    ex = {"name": "Bird dog", "hold": "5s", "reps": 3, "sets": 2, "sides": "both"}
    r = routine(ex, ex, defaults=zero)
    assert semantic_issues(r) == []
    # Only holds remain: 2 exercises x 2 sets x 2 sides x 3 reps x 5 s.
    assert r.total_seconds() == 2 * 2 * 2 * 3 * 5
    with_gaps = routine(ex, ex)
    assert with_gaps.total_seconds() > r.total_seconds()


def test_total_seconds_counts_every_rest_switch_and_set_rest() -> None:
    ex = {
        "name": "Side plank",
        "hold": "10-20s",
        "reps": "2-3",
        "sets": 2,
        "sides": "both",
        "rest": 4,
        "switch": 6,
        "set_rest": 30,
        "get_ready": 10,
    }
    r = routine(ex)
    # low: per set 2 sides x (2 x 10 + 1 x 4) + 6 switch = 54; 2 sets + 30 set rest + 10
    assert r.total_seconds("low") == 10 + 2 * 54 + 30
    # high: per set 2 x (3 x 20 + 2 x 4) + 6 = 142
    assert r.total_seconds("high") == 10 + 2 * 142 + 30
    alternating = routine({**ex, "side_order": "alternating"})
    # R1 switch L1 rest R2 switch L2: 2 x 2 x 10 + 2 x 6 + 1 x 4 = 56 per set
    assert alternating.total_seconds("low") == 10 + 2 * 56 + 30
    # A level inside the range, per exercise.
    assert r.total_seconds({0: LevelChoice(hold=15, reps=2)}) == 10 + 2 * (2 * 34 + 6) + 30


def test_routine_settings_index_out_of_range_is_an_index_error() -> None:
    r = routine(EXERCISE)
    with pytest.raises(IndexError):
        r.settings(1)


@pytest.mark.parametrize("field", ["reps", "sets"])
@pytest.mark.parametrize("value", [True, False, 0, 101, 2.5, "3-2", "many", math.nan])
def test_counts_in_the_model_reject(field: str, value: Any) -> None:
    errors = errors_of({"name": "R", "exercises": [{**EXERCISE, field: value}]})
    assert [loc for loc, _ in errors] == [f"exercises.0.{field}"]


@pytest.mark.parametrize(
    "field", ["rest", "set_rest", "switch", "get_ready", "transition", "breath"]
)
@pytest.mark.parametrize("value", [True, -1, MAX_DURATION + 1, "3h", math.nan, -math.inf, "x"])
def test_durations_in_the_model_reject(field: str, value: Any) -> None:
    for where in ("exercise", "defaults"):
        data: dict[str, Any] = {"name": "R", "exercises": [dict(EXERCISE)]}
        if where == "exercise":
            data["exercises"][0][field] = value
            expected = f"exercises.0.{field}"
        else:
            data["defaults"] = {field: value}
            expected = f"defaults.{field}"
        assert [loc for loc, _ in errors_of(data)] == [expected]


@pytest.mark.parametrize("field", ["rest", "set_rest", "switch", "get_ready", "transition"])
def test_gaps_may_be_zero_but_a_breath_may_not(field: str) -> None:
    assert getattr(routine({**EXERCISE, field: 0}).settings(0), field) == 0
    errors = errors_of({"name": "R", "exercises": [{**EXERCISE, "breath": 0}]})
    assert errors == [("exercises.0.breath", "must be more than 0 seconds")]


@pytest.mark.parametrize("part", ["lift", "hold", "lower", "pause"])
def test_tempo_parts_are_gaps(part: str) -> None:
    r = routine({"name": "Bridge", "tempo": {part: "2s"}})
    assert r.settings(0).tempo.seconds == 2  # type: ignore[union-attr]
    errors = errors_of({"name": "R", "exercises": [{"name": "B", "tempo": {part: -1}}]})
    assert [loc for loc, _ in errors] == [f"exercises.0.tempo.{part}"]


def test_user_paced_is_strictly_true_or_false() -> None:
    for value in (1, 0, "yes", "true", 1.0):
        errors = errors_of({"name": "R", "exercises": [{"name": "W", "user_paced": value}]})
        assert [loc for loc, _ in errors] == ["exercises.0.user_paced"]


def test_sides_and_orders_are_closed_sets() -> None:
    for field, good, bad in (
        ("sides", ["none", "both"], ["left", "Both", "", 2, True]),
        ("side_order", ["sequential", "alternating", "sets_per_side"], ["alternate", "random"]),
        ("first_side", ["right", "left"], ["both", "Right", 1]),
    ):
        for value in good:
            assert getattr(routine({**EXERCISE, field: value}).settings(0), field) == value
        for value in bad:
            errors = errors_of({"name": "R", "exercises": [{**EXERCISE, field: value}]})
            assert [loc for loc, _ in errors] == [f"exercises.0.{field}"]


def test_exercise_count_limits() -> None:
    ex = {"name": "Breathe", "hold": 1}
    quick = {"get_ready": 0, "transition": 0}
    assert len(routine(*[ex] * MAX_EXERCISES, defaults=quick).exercises) == MAX_EXERCISES
    errors = errors_of({"name": "R", "exercises": [ex] * (MAX_EXERCISES + 1)})
    assert [loc for loc, _ in errors] == ["exercises"]
    errors = errors_of({"name": "R", "exercises": []})
    assert [loc for loc, _ in errors] == ["exercises"]


def test_session_limit_is_checked_at_the_high_end_of_ranges() -> None:
    # 1 set of a 1 h hold: fine. 2-5 sets: 5 h at the high end, over the 4 h limit.
    ok = routine({"name": "Long", "hold": "1h", "get_ready": 0})
    assert semantic_issues(ok) == []
    long = routine({"name": "Long", "hold": "1h", "sets": "2-5", "set_rest": 0, "get_ready": 0})
    assert long.total_seconds("low") == 2 * 3600 <= MAX_SESSION
    assert long.total_seconds("high") == 5 * 3600
    issues = semantic_issues(long)
    assert issues == [
        (("exercises",), "the whole session lasts 5 h at its highest level; the limit is 4 hours")
    ]
    # Exactly 4 hours is allowed.
    edge = routine({"name": "Edge", "hold": "2h", "sets": 2, "set_rest": 0, "get_ready": 0})
    assert edge.total_seconds("high") == MAX_SESSION
    assert semantic_issues(edge) == []


def test_a_rep_longer_than_the_limit_is_reported_for_breaths_and_tempo() -> None:
    breaths = routine({"name": "Slow", "hold": "100 breaths", "breath": "2 min"})
    assert semantic_issues(breaths) == [
        (
            ("exercises", 0, "hold"),
            "100 breaths of 120s last 3h20m, longer than the limit of 2 hours",
        )
    ]
    tempo = routine({"name": "Slow bridge", "tempo": {"lift": "2h", "lower": "1s"}})
    [(loc, message)] = semantic_issues(tempo)
    assert loc == ("exercises", 0, "tempo")
    assert message.startswith("a rep (lift 7200 seconds, lower 1 second) lasts 2h1s")
    assert "None" not in message


# ---------------------------------------------------------------- text


@pytest.mark.parametrize(
    "text",
    [
        "Knee to chest",
        "Genou à la poitrine",
        "膝を胸に",
        "Колено к груди",
        "ركبة إلى الصدر",
        "Stretch 🧘 and breathe",
        "👩🏽‍⚕️ physio's pick",  # zero-width joiner inside an emoji sequence
        "[bold]not markup[/bold]",
        "[red]x[/] {name} %s \\n",
        "x" * 120,
    ],
)
def test_printable_unicode_text_is_kept_literally(text: str) -> None:
    r = routine({"name": text, "hold": 5, "position": text, "steps": [text]}, name=text)
    assert r.name == text
    assert r.exercises[0].name == text and r.exercises[0].steps == [text]


@pytest.mark.parametrize(
    ("char", "code"),
    [
        ("\x1b", "U+001B"),
        ("\x07", "U+0007"),
        ("\x00", "U+0000"),
        ("\x7f", "U+007F"),
        ("\x9b", "U+009B"),  # the 8-bit control sequence introducer
        ("\r", "U+000D"),
        ("\u202e", "U+202E"),
        ("\u2066", "U+2066"),
    ],
)
def test_control_characters_are_errors_in_every_text_field(char: str, code: str) -> None:
    bad = f"Knee{char}to chest"
    for data, loc in (
        ({"name": bad, "exercises": [EXERCISE]}, "name"),
        ({"name": "R", "description": bad, "exercises": [EXERCISE]}, "description"),
        ({"name": "R", "cautions": ["ok", bad], "exercises": [EXERCISE]}, "cautions.1"),
        ({"name": "R", "source": {"title": bad}, "exercises": [EXERCISE]}, "source.title"),
        ({"name": "R", "exercises": [{**EXERCISE, "name": bad}]}, "exercises.0.name"),
        ({"name": "R", "exercises": [{**EXERCISE, "steps": ["a", bad]}]}, "exercises.0.steps.1"),
        ({"name": "R", "exercises": [{**EXERCISE, "stop_if": bad}]}, "exercises.0.stop_if"),
        ({"name": "R", "exercises": [{**EXERCISE, "caution": bad}]}, "exercises.0.caution"),
    ):
        errors = errors_of(data)
        assert errors == [(loc, f"control character {code} is not allowed here")], data


def test_newline_and_tab_are_allowed_only_in_multi_line_text() -> None:
    para = "Stop if:\n\t- it hurts\n\t- you feel dizzy"
    r = routine({**EXERCISE, "caution": para, "stop_if": para, "note": para}, description=para)
    assert r.exercises[0].caution == para and r.description == para
    for field in ("name", "position"):
        errors = errors_of({"name": "R", "exercises": [{**EXERCISE, field: "a\nb"}]})
        assert errors == [
            (
                f"exercises.0.{field}",
                "control character U+000A is not allowed here (use a list of lines instead)",
            )
        ]
    errors = errors_of({"name": "R", "exercises": [{**EXERCISE, "steps": ["a\tb"]}]})
    assert errors == [("exercises.0.steps.0", "control character U+0009 is not allowed here")]


def test_text_limits_and_empty_names() -> None:
    assert [loc for loc, _ in errors_of({"name": "x" * 121, "exercises": [EXERCISE]})] == ["name"]
    assert [loc for loc, _ in errors_of({"name": " ", "exercises": [EXERCISE]})] == ["name"]
    errors = errors_of({"name": "R", "exercises": [{**EXERCISE, "steps": ["  "]}]})
    assert errors == [("exercises.0.steps.0", "must not be empty")]
    errors = errors_of({"name": "R", "exercises": [{**EXERCISE, "steps": ["a"] * 41}]})
    assert [loc for loc, _ in errors] == ["exercises.0.steps"]
    errors = errors_of({"name": "R", "description": "x" * 2001, "exercises": [EXERCISE]})
    assert errors == [("description", "is 2001 characters long; the limit is 2000")]


def test_text_fields_do_not_coerce_numbers() -> None:
    errors = errors_of({"name": 42, "exercises": [EXERCISE]})
    assert [loc for loc, _ in errors] == ["name"]
    errors = errors_of({"name": "R", "exercises": [{**EXERCISE, "steps": [1, 2]}]})
    assert [loc for loc, _ in errors] == ["exercises.0.steps.0", "exercises.0.steps.1"]


# ---------------------------------------------------------------- through TOML


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("hold = 30", 30),
        ("hold = 30.5", 30.5),
        ('hold = "45"', 45),
        ('hold = "1m30s"', 90),
        ('hold = "2 min"', 120),
        ('hold = "1h"', 3600),
        ('hold = "10-30s"', 10),
        ("hold = 1e3", 1000),
        ("hold = 0x10", 16),  # a TOML number is a number, whatever its notation
        ("hold = 1_000", 1000),
    ],
)
def test_duration_forms_in_a_file(line: str, expected: float) -> None:
    text = f'name = "R"\n[[exercises]]\nname = "E"\n{line}\n'
    r = validate_text(text, "r.toml")
    assert r.settings(0).dose("low").rep_seconds == expected


@pytest.mark.parametrize(
    "line",
    ["reps = true", "hold = true", "rest = false", "hold = nan", "hold = inf", "rest = -inf"],
)
def test_booleans_and_non_finite_numbers_in_a_file_are_errors(line: str) -> None:
    key = line.split(" =")[0]
    hold = "" if key == "hold" else "hold = 3\n"
    text = f'name = "R"\n[[exercises]]\nname = "E"\n{hold}{line}\n'
    with pytest.raises(RoutineError) as info:
        validate_text(text, "r.toml")
    [problem] = info.value.problems
    assert problem.field == f"exercises[1] (E).{key}"
    assert problem.line == text.splitlines().index(line) + 1


@pytest.mark.parametrize(
    "invisible",
    [
        "\u200b",  # zero-width space
        "\u00ad\u2060",  # soft hyphen, word joiner
        "\ufeff",  # a byte order mark
        "\u0301\u0301",  # combining accents with nothing to sit on
        " \u200b\u3000",  # with spaces (an ideographic one too)
    ],
)
def test_a_name_or_step_of_only_invisible_characters_is_empty(invisible: str) -> None:
    """A name that shows and says nothing passed as valid: the exercise was announced as
    nothing ("Next: ." / silence) and listed as a blank line."""
    expected = "must not be empty (it has only invisible characters)"
    assert errors_of({"name": invisible, "exercises": [EXERCISE]}) == [("name", expected)]
    errors = errors_of({"name": "R", "exercises": [{**EXERCISE, "name": invisible}]})
    assert errors == [("exercises.0.name", expected)]
    errors = errors_of({"name": "R", "exercises": [{**EXERCISE, "steps": ["a", invisible]}]})
    assert errors == [("exercises.0.steps.1", expected)]
    # Visible text with such characters in it is kept as written.
    kept = routine({**EXERCISE, "name": f"Knee\u200bto{invisible}chest e\u0301"})
    assert kept.exercises[0].name == f"Knee\u200bto{invisible}chest e\u0301"
