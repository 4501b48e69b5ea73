"""Every bundled routine's plan, checked against numbers derived independently from its TOML.

The expected counts and durations here come from reading the file with ``tomllib`` and
applying the defaults by hand (the exercise's own value, else ``[defaults]``, else the
built-in default), not from ``Routine.settings`` or ``Settings.dose``.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from backtimer.core.plan import compile_plan
from backtimer.files.routine_load import load_routine

ROUTINES_DIR = Path(__file__).resolve().parents[2] / "routines"
BUNDLED = sorted(ROUTINES_DIR.glob("*.toml"))

BUILT_IN: dict[str, Any] = {
    "reps": 1,
    "sets": 1,
    "sides": "none",
    "side_order": "sequential",
    "first_side": "right",
    "rest": 5,
    "set_rest": 30,
    "switch": 5,
    "breath": 5,
    "get_ready": 10,
    "transition": 5,
}
UNITS = {"h": 3600, "hour": 3600, "hours": 3600, "m": 60, "min": 60, "minute": 60}
UNITS |= {"minutes": 60, "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1}


def seconds_of(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    text = value.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]+)", text)
    assert parts, f"cannot read the duration {value!r}"
    return sum(float(n) * UNITS[u] for n, u in parts)


def count_of(value: Any, level: str) -> int:
    if isinstance(value, int):
        return value
    ends = [int(x) for x in re.split(r"\s*(?:-|–|to)\s*", value.strip())]
    return ends[0] if level == "low" else ends[-1]


def hold_of(value: Any, breath: float, level: str) -> tuple[float, int | None]:
    """(seconds, breaths or None) of a hold at a level."""
    if isinstance(value, int | float):
        return float(value), None
    text = value.strip().lower()
    match = re.fullmatch(r"(.*?)\s*breaths?", text)
    if match:
        breaths = count_of(match.group(1), level)
        return breaths * breath, breaths
    ends = re.split(r"\s*(?:-|–|to)\s*", text)
    if len(ends) == 2:
        unit = re.sub(r"^[\d.\s]+", "", ends[1]) or "s"
        low = ends[0] if re.search(r"[a-z]", ends[0]) else ends[0] + unit
        return seconds_of(low if level == "low" else ends[1]), None
    return seconds_of(text), None


@dataclass
class Expected:
    name: str
    phases: Counter[str]
    work_seconds: float | None
    breaths: int | None
    reps: int
    sets: int
    sides: tuple[str | None, ...]
    seconds: float  # the exercise without its transition
    transition: float


def expected_exercises(data: dict[str, Any], level: str) -> list[Expected]:
    defaults = data.get("defaults", {})
    kinds = ("hold", "tempo", "user_paced")
    out = []
    exercises = data["exercises"]
    for number, ex in enumerate(exercises):

        def get(field: str, ex: dict[str, Any] = ex) -> Any:
            return ex.get(field, defaults.get(field, BUILT_IN[field]))

        kind_from = ex if any(ex.get(k) for k in kinds) else defaults
        breath = seconds_of(get("breath"))
        reps, sets = count_of(get("reps"), level), count_of(get("sets"), level)
        rest, set_rest = seconds_of(get("rest")), seconds_of(get("set_rest"))
        switch, get_ready = seconds_of(get("switch")), seconds_of(get("get_ready"))
        transition = seconds_of(get("transition")) if number < len(exercises) - 1 else 0.0
        breaths = None
        if kind_from.get("user_paced"):
            work: float | None = None
        elif "tempo" in kind_from:
            tempo = kind_from["tempo"]
            work = sum(seconds_of(v) for k, v in tempo.items() if k != "names")
        else:
            work, breaths = hold_of(kind_from["hold"], breath, level)
        both = get("sides") == "both"
        first = get("first_side")
        sides: tuple[str | None, ...] = (
            ((first, "left" if first == "right" else "right")) if both else (None,)
        )
        alternating = both and get("side_order") == "alternating"
        # "sets_per_side": every set on one side, then every set on the other.
        per_side = both and get("side_order") == "sets_per_side"
        phases: Counter[str] = Counter()
        phases["hold" if kind_from.get("hold") else "rep"] = sets * len(sides) * reps
        phases["get_ready"] = 1 if get_ready else 0
        rests = sets * (reps - 1) * (1 if alternating else len(sides))
        phases["rest"] = rests if rest else 0
        switches = sets * (reps if alternating else 1) if both else 0
        switches = 1 if per_side else switches
        phases["switch_sides"] = switches if switch else 0
        set_rests = (sets - 1) * (2 if per_side else 1)
        phases["set_rest"] = set_rests if set_rest else 0
        phases["transition"] = 1 if transition else 0
        seconds = (
            get_ready
            + sets * len(sides) * reps * (work or 0.0)
            + rests * rest
            + switches * switch
            + set_rests * set_rest
        )
        out.append(
            Expected(
                name=ex["name"],
                phases=+phases,
                work_seconds=work,
                breaths=breaths,
                reps=reps,
                sets=sets,
                sides=sides,
                seconds=seconds,
                transition=transition,
            )
        )
    return out


def test_there_are_bundled_routines() -> None:
    assert BUNDLED, f"no routines in {ROUTINES_DIR}"


@pytest.mark.parametrize("level", ["low", "high"])
@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_bundled_plan_matches_the_file(path: Path, level: str) -> None:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    routine = load_routine(path)
    plan = compile_plan(routine, level)  # type: ignore[arg-type]
    expected = expected_exercises(data, level)
    assert plan.name == data["name"]
    assert len(expected) == len(routine.exercises)
    for index, exp in enumerate(expected):
        steps = [s for s in plan.steps if s.exercise_index == index]
        assert steps, exp.name
        assert {s.exercise for s in steps} == {exp.name}
        assert Counter(s.phase for s in steps) == exp.phases, exp.name
        work = [s for s in steps if s.phase in ("hold", "rep")]
        assert {s.seconds for s in work} == {exp.work_seconds}, exp.name
        assert {s.breaths for s in work} == {exp.breaths}, exp.name
        assert {(s.reps, s.sets) for s in steps} == {(exp.reps, exp.sets)}, exp.name
        assert Counter(s.side for s in work) == {side: exp.sets * exp.reps for side in exp.sides}, (
            exp.name
        )
        assert work[0].side == exp.sides[0]
        body = sum(s.seconds or 0.0 for s in steps if s.phase != "transition")
        assert body == pytest.approx(exp.seconds), exp.name
        transition = sum(s.seconds or 0.0 for s in steps if s.phase == "transition")
        assert transition == exp.transition
    total = sum(e.seconds + e.transition for e in expected)
    assert plan.total_seconds == pytest.approx(total)
    assert routine.total_seconds(level) == pytest.approx(total)  # type: ignore[arg-type]
    assert plan.steps[-1].phase in ("hold", "rep")


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_bundled_plan_says_what_it_times(path: Path) -> None:
    plan = compile_plan(load_routine(path))
    units = {"hour": 3600, "minute": 60, "second": 1}
    for step in plan.steps:
        assert step.say.strip()
        pattern = {"hold": r"Hold (.+?)\.", "rest": r"Rest (.+?)\.", "set_rest": r"Rest (.+?)\."}
        if step.phase not in pattern:
            continue
        match = re.search(pattern[step.phase], step.say)
        assert match, step.say
        said = match.group(1)
        if step.breaths is not None:
            assert said == f"for {step.breaths} breath" + ("s" if step.breaths != 1 else "")
            continue
        found = re.findall(r"(\d+(?:\.\d+)?) (hour|minute|second)s?", said)
        assert sum(float(n) * units[u] for n, u in found) == step.seconds, step.say
