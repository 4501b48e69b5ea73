"""Fuzzing the loader: whatever the input, ``load_routine`` / ``validate_text`` return a Routine
or raise RoutineError, and every problem is located and says something.

(a) TOML documents built from the schema's own keys (plus typos) and plausible or implausible
    values, serialised with tomli_w; (b) random bytes and text in a file; (c) routines valid by
    construction, which must load, keep their values, and satisfy the JSON Schema.
"""

from __future__ import annotations

import math
import string
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schema_check import schema_errors  # the small JSON Schema validator

from backtimer.core import schema
from backtimer.core.routine import (
    MAX_DURATION,
    MAX_SESSION,
    Routine,
)
from backtimer.core.schema import routine_json_schema
from backtimer.files.routine_load import Problem, RoutineError, load_routine, validate_text

FUZZ = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

TOP_KEYS = list(schema.Routine.model_fields)
EXERCISE_KEYS = list(schema.Exercise.model_fields)
DEFAULT_KEYS = list(schema.Timing.model_fields)
SOURCE_KEYS = list(schema.Source.model_fields)
TEMPO_KEYS = list(schema.Tempo.model_fields)
ALL_KEYS = sorted({*TOP_KEYS, *EXERCISE_KEYS, *SOURCE_KEYS, *TEMPO_KEYS})


def typo(key: str) -> st.SearchStrategy[str]:
    """A key as a hand can mistype it: swapped, dropped, doubled or changed letters."""

    @st.composite
    def build(draw: st.DrawFn) -> str:
        if len(key) < 2:
            return key + "x"
        i = draw(st.integers(0, len(key) - 2))
        kind = draw(st.sampled_from(["swap", "drop", "double", "change", "case", "space"]))
        if kind == "swap":
            return key[:i] + key[i + 1] + key[i] + key[i + 2 :]
        if kind == "drop":
            return key[:i] + key[i + 1 :]
        if kind == "double":
            return key[:i] + key[i] + key[i:]
        if kind == "case":
            return key.upper()
        if kind == "space":
            return key.replace("_", " ") if "_" in key else key + " "
        return key[:i] + draw(st.sampled_from(string.ascii_lowercase)) + key[i + 1 :]

    return build()


def keys(real: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(real),
        st.sampled_from(real).flatmap(typo),
        st.sampled_from(ALL_KEYS),
        st.text(min_size=0, max_size=8),
    )


DURATION_TEXT = st.one_of(
    st.sampled_from(
        [
            "30s",
            "1m30s",
            "2 min",
            "1h",
            "45",
            "0",
            "0s",
            "-5s",
            "10-30s",
            "30-10s",
            "10-15 breaths",
            "10 breaths",
            "0 breaths",
            "7.5 breaths",
            "2-3",
            "3-2",
            "1-101",
            "2h1s",
            "3h",
            "1m1m",
            "ten",
            "",
            " ",
            "1e3",
            "nan",
            "inf",
            "٣",
            "１２",
            "10 to 30 seconds",
            "10–30s",
            "9" * 400,
            "9" * 5000 + "s",
            "breaths",
        ]
    ),
    st.from_regex(r"\A[0-9]{1,4}(\.[0-9])?\s?(s|sec|m|min|h|hours?)?\Z"),
    st.from_regex(r"\A[0-9]{1,3}\s?[-–]\s?[0-9]{1,3}\s?(s|m|breaths)?\Z"),
)
NUMBERS = st.one_of(
    st.integers(-5, 150),
    st.integers(),
    st.sampled_from([0, -1, 7200, 7201, 10**30, 2**63 - 1, -(2**63)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0, 1e308, 2.5, 7200.5]),
)
TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["Knee to chest", "[bold]x[/bold]", "\x1b[31mred", "a\nb", "tab\there", "\u202eevil", ""]
    ),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=100, max_size=2100),
)
ENUMS = st.sampled_from(
    ["none", "both", "left", "right", "sequential", "alternating", "Both", "alternate"]
)
SCALARS = st.one_of(DURATION_TEXT, NUMBERS, TEXT, st.booleans(), ENUMS)


def any_value(depth: int = 2) -> st.SearchStrategy[Any]:
    if depth == 0:
        return SCALARS
    inner = any_value(depth - 1)
    return st.one_of(
        SCALARS,
        st.lists(inner, max_size=4),
        st.dictionaries(keys(ALL_KEYS), inner, max_size=4),
    )


def table(real: list[str], values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(keys(real), values, max_size=len(real))


def plausible(key_values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly values of the right shape, sometimes anything at all."""
    return st.one_of(key_values, key_values, any_value(1))


EXERCISE_VALUES = plausible(st.one_of(DURATION_TEXT, NUMBERS, ENUMS, st.booleans(), TEXT))
TEMPO = table(TEMPO_KEYS, plausible(st.one_of(DURATION_TEXT, NUMBERS)))


@st.composite
def exercise(draw: st.DrawFn) -> dict[str, Any]:
    data = draw(table(EXERCISE_KEYS, EXERCISE_VALUES))
    if draw(st.booleans()):
        data["name"] = draw(TEXT)
    if draw(st.booleans()):
        data["tempo"] = draw(st.one_of(TEMPO, any_value(1)))
    if draw(st.booleans()):
        data["steps"] = draw(st.lists(TEXT, max_size=5))
    return data


@st.composite
def document(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = draw(table(TOP_KEYS, any_value(1)))
    if draw(st.booleans()):
        data["name"] = draw(TEXT)
    if draw(st.booleans()):
        data["source"] = draw(st.one_of(table(SOURCE_KEYS, TEXT), any_value(1)))
    if draw(st.booleans()):
        data["defaults"] = draw(st.one_of(table(DEFAULT_KEYS, EXERCISE_VALUES), any_value(1)))
    if draw(st.integers(0, 4)):
        data["exercises"] = draw(st.one_of(st.lists(exercise(), max_size=6), any_value(1)))
    return data


def check_outcome(run: Any, name: str, text: str | None = None) -> Routine | None:
    """Run a load; only a Routine or a RoutineError may come out, and problems make sense."""
    try:
        routine = run()
    except RoutineError as exc:
        assert exc.problems, "a RoutineError must say why"
        for problem in exc.problems:
            check_problem(problem, name, text)
        assert str(exc)
        return None
    assert isinstance(routine, Routine)
    total = routine.total_seconds("high")
    assert 0 <= total <= MAX_SESSION
    return routine


def check_problem(problem: Problem, name: str, text: str | None) -> None:
    assert isinstance(problem, Problem)
    assert problem.path == name
    assert isinstance(problem.message, str) and problem.message.strip()
    assert problem.field is None or problem.field.strip()
    shown = str(problem)
    assert "\n" not in shown and "\x1b" not in shown, repr(shown)
    assert shown.isprintable(), repr(shown)
    if problem.line is not None:
        assert problem.line >= 1
        if text is not None:
            assert problem.line <= text.count("\n") + 1
    if problem.column is not None:
        assert problem.line is not None and problem.column >= 1


# ---------------------------------------------------------------- (a) schema-shaped TOML


@FUZZ
@given(document())
def test_fuzz_schema_shaped_documents(data: dict[str, Any]) -> None:
    text = tomli_w.dumps(data)
    try:
        routine = validate_text(text, "fuzz.toml")
    except RoutineError as exc:
        assert exc.problems, "a RoutineError must say why"
        lines = text.split("\n")  # as TOML counts lines (not str.splitlines)
        for problem in exc.problems:
            check_problem(problem, "fuzz.toml", text)
            check_line_shows_key(problem, lines)
    else:
        assert 0 <= routine.total_seconds("low") <= routine.total_seconds("high") <= MAX_SESSION


def check_line_shows_key(problem: Problem, lines: list[str]) -> None:
    """When a problem names a key that is written in the file, its line shows that key."""
    if problem.field is None or problem.line is None:
        return
    last = problem.field.rsplit(".", 1)[-1]
    if "[" in last or '"' in last or problem.message.startswith("is required"):
        return  # a list item, a quoted key, or a key that is not written
    if not any(line.lstrip().startswith(f"{last} =") for line in lines):
        return
    line = lines[problem.line - 1]
    assert last in line, (problem, line)


# ---------------------------------------------------------------- (b) random bytes and text


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="backtimer-fuzz-") as folder:
        yield Path(folder)


@FUZZ
@given(st.binary(max_size=2000))
def test_fuzz_random_bytes(scratch: Path, data: bytes) -> None:
    path = scratch / "bytes.toml"
    path.write_bytes(data)
    check_outcome(lambda: load_routine(path, "bytes.toml"), "bytes.toml")


TOML_ISH = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "[[exercises]]",
                "[exercises]",
                "[defaults]",
                "[source]",
                "[exercises.tempo]",
                'name = "Knee to chest"',
                'hold = "30s"',
                "hold = 30",
                "reps = true",
                "sets = 0",
                'sides = "both"',
                "tempo = { lift = 2, lower = 2 }",
                'steps = ["a",',
                '"b"]',
                '"""',
                "'''",
                "exercises = [",
                "{ name = 'x', hold = 3 },",
                "]",
                "= 1",
                "#",
                "nan",
                "hold = nan",
                'name = "\\u001b"',
                "a.b.c = 1",
                '"odd key" = 1',
                "\t",
            ]
        ),
        st.text(max_size=20),
    ),
    max_size=25,
).map("\n".join)


@FUZZ
@given(st.one_of(st.text(max_size=500), TOML_ISH))
def test_fuzz_random_text(scratch: Path, text: str) -> None:
    path = scratch / "text.toml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    check_outcome(lambda: load_routine(path, "text.toml"), "text.toml")
    check_outcome(lambda: validate_text(text, "text.toml"), "text.toml", text)


# ---------------------------------------------------------------- (c) valid by construction

SECONDS = st.one_of(
    st.integers(1, 60),
    st.floats(0.5, 60).map(lambda x: round(x, 1)),
    st.integers(1, 60).map(lambda s: f"{s}s"),
    st.sampled_from(["1m", "1 min", "45", "1m 5s"]),
)
GAP = st.one_of(st.just(0), st.integers(0, 30), st.integers(0, 30).map(lambda s: f"{s} s"))
HOLD = st.one_of(
    SECONDS,
    st.integers(1, 10).map(lambda n: f"{n} breaths"),
    st.tuples(st.integers(1, 20), st.integers(0, 20)).map(lambda t: f"{t[0]}-{t[0] + t[1]}s"),
)
COUNT = st.one_of(
    st.integers(1, 5),
    st.tuples(st.integers(1, 3), st.integers(0, 2)).map(lambda t: f"{t[0]}-{t[0] + t[1]}"),
)


def shows_something(text: str) -> bool:
    """A valid name shows something: not only spaces and marks that are invisible on their
    own (a combining mark or variation selector with no letter is refused, see
    core.routine._not_empty)."""
    return any(
        not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Mn", "Me") for ch in text
    )


NAME = st.one_of(
    st.sampled_from(["Knee to chest", "Cat-camel", "[bold]Bridge[/bold]", "膝を胸に 🧘"]),
    st.text(
        alphabet=st.characters(categories=("L", "M", "N", "P", "S", "Zs")), min_size=1, max_size=30
    ).filter(shows_something),
)


@st.composite
def valid_exercise(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = {"name": draw(NAME)}
    kind = draw(st.sampled_from(["hold", "tempo", "user_paced"]))
    if kind == "hold":
        data["hold"] = draw(HOLD)
    elif kind == "tempo":
        data["tempo"] = {"lift": draw(st.integers(1, 3)), "lower": draw(st.integers(0, 3))}
    else:
        data["user_paced"] = True
    optional = {
        "reps": COUNT,
        "sets": st.integers(1, 3),
        "sides": st.sampled_from(["none", "both"]),
        "side_order": st.sampled_from(["sequential", "alternating"]),
        "first_side": st.sampled_from(["right", "left"]),
        "rest": GAP,
        "set_rest": GAP,
        "switch": GAP,
        "get_ready": GAP,
        "transition": GAP,
        "breath": st.integers(2, 6),
        "position": NAME,
        "steps": st.lists(NAME, max_size=3),
        "stop_if": NAME,
    }
    for key in draw(st.sets(st.sampled_from(sorted(optional)))):
        data[key] = draw(optional[key])
    return data


@settings(FUZZ, max_examples=150)
@given(st.lists(valid_exercise(), min_size=1, max_size=5), NAME)
def test_fuzz_valid_routines_load_and_keep_their_values(
    exercises: list[dict[str, Any]], name: str
) -> None:
    data = {"name": name, "exercises": exercises}
    text = tomli_w.dumps(data)
    routine = validate_text(text, "valid.toml")
    assert routine.name == name
    assert [e.name for e in routine.exercises] == [e["name"] for e in exercises]
    for index, raw in enumerate(exercises):
        settings_ = routine.settings(index)
        assert settings_.kind in ("hold", "tempo", "user_paced")
        assert settings_.kind == next(k for k in ("hold", "tempo", "user_paced") if k in raw)
        for key in ("sides", "side_order", "first_side"):
            if key in raw:
                assert getattr(settings_, key) == raw[key]
        dose = settings_.dose("high")
        assert dose.rep_seconds is None or 0 < dose.rep_seconds <= MAX_DURATION
    low, high = routine.total_seconds("low"), routine.total_seconds("high")
    assert 0 <= low <= high <= MAX_SESSION
    schema = routine_json_schema()
    assert schema_errors(data, schema, schema) == []
