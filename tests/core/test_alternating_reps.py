"""Reps whose side alternates (lower trunk rotations: knees to the right, back to the
middle, knees to the left, ...) say which way each rep goes, with its count, at its first
tempo part: a listener with eyes closed does not lose track. Where those words do not fit,
the shorter forms come as before and the count is never lost."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from backtimer.core.plan import Plan, Step, compile_plan
from backtimer.core.routine import Routine, level_for
from backtimer.core.schema import validate_routine
from backtimer.core.timeline import TEMPO_GAP, _cap, estimator, join, lead, side_words
from backtimer.files.routine_load import load_routine

pytestmark = pytest.mark.core

ROUTINES_DIR = Path(__file__).resolve().parents[2] / "routines"
BUNDLED = sorted(ROUTINES_DIR.glob("*.toml"))
RATES = (100, 120, 175, 250, 300)


def routine(*exercises: dict[str, Any]) -> Routine:
    return validate_routine({"name": "Test", "exercises": list(exercises)})


def alternating(routine: Routine, index: int) -> bool:
    settings = routine.settings(index)
    return (
        settings.tempo is not None
        and settings.side_order == "alternating"
        and len(settings.side_list) == 2
    )


def first_words(step: Step) -> str:
    return next((c.say or "" for c in step.cues if c.kind == "go"), "")


def count_heard(plan: Plan, step: Step, reps: int, last_side: str | None = None) -> bool:
    """The rep's count is said: with its first part, or at the end of the rep before.
    "Last one" is the set's real last rep: with the sides in turn, the last side's only."""
    last = step.rep == reps and step.side == last_side
    first = first_words(step)
    if first.startswith((f"{step.rep}.", f"{step.rep},")) and (
        not last or "last one" in first.lower()
    ):
        return True
    if last and first.startswith("Last one."):
        return True
    alone = "Last one." if last else f"{step.rep}."
    before = plan.steps[step.index - 1]
    return any(c.say == alone for c in before.cues) or (
        before.phase != "rep" and (f"Rep {step.rep}" if not last else "Last one") in before.say
    )


def test_the_bundled_routines_alternate_rotations_per_rep() -> None:
    # The defect is real in the data: each rotation is its own step, right then left, with
    # no switch or rest between them that could say the side.
    found = []
    for path in BUNDLED:
        loaded = load_routine(path)
        plan = compile_plan(loaded, "low", length=estimator(175))
        for index, exercise in enumerate(loaded.exercises):
            if not alternating(loaded, index):
                continue
            reps = [s for s in plan.steps if s.exercise_index == index and s.is_work]
            sides = [s.side for s in reps]
            assert sides[:4] == ["right", "left", "right", "left"], exercise.name
            found.append((path.stem, exercise.name))
    assert ("norton-leatherman", "Lower trunk rotations") in found
    assert ("sutter-and-others", "Lower trunk rotation") in found


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
@pytest.mark.parametrize("rate", RATES)
def test_every_alternating_rep_says_its_own_side_and_keeps_its_count(path: Path, rate: int) -> None:
    loaded = load_routine(path)
    length = estimator(rate)
    plan = compile_plan(loaded, "low", length=length)
    for step in plan.steps:
        if step.phase != "rep" or not alternating(loaded, step.exercise_index):
            continue
        exercise = loaded.exercises[step.exercise_index]
        reps = loaded.settings(step.exercise_index).dose(level_for("low", step.exercise_index)).reps
        first = first_words(step).lower()
        own = side_words(exercise, step.side).lower()
        other = side_words(exercise, "left" if step.side == "right" else "right").lower()
        assert other not in first, (step, first)  # never the other way's words
        # Named wherever a form with it fits the first part (as fit by its words): with
        # the count ("11. Knees to the right."), or "Last one. ..." for the last rep.
        room = loaded.settings(step.exercise_index).tempo.parts()[0][1] - TEMPO_GAP
        own_words = _cap(side_words(exercise, step.side))
        last_side = loaded.settings(step.exercise_index).side_list[-1]
        last = reps > 1 and step.rep == reps and step.side == last_side
        if reps > 1 and step.rep == reps and not last:
            assert "last one" not in first  # the other side's last rep is still to come
        forms = [join(f"{step.rep}, last one" if last else str(step.rep), own_words)]
        forms += [join("Last one", own_words)] if last else []
        forms = forms if reps > 1 else [join(own_words)]
        fits = any(lead("tempo") + length(f) <= room for f in forms)
        assert (own in first) == fits, (exercise.name, step.side, step.rep, first)
        if rate == 175 and step.rep < 10:
            assert own in first, (exercise.name, step.side, step.rep, first)
        if reps > 1:
            assert count_heard(plan, step, reps, last_side), (exercise.name, step.rep, first)


def test_rotations_say_knees_to_the_left_from_the_second_rep_on() -> None:
    plan = compile_plan(
        load_routine(ROUTINES_DIR / "norton-leatherman.toml"), "low", length=estimator(175)
    )
    reps = [s for s in plan.steps if s.exercise_index == 0 and s.phase == "rep"]
    assert [first_words(s) for s in reps[:4]] == [
        "1. Knees to the right.",
        "1. Knees to the left.",
        "2. Knees to the right.",
        "2. Knees to the left.",
    ]
    # "20, last one. Knees to the left." is estimated longer than the 2.85 s the part
    # leaves (espeak-ng, measured, says it in time): the shorter form keeps "last one".
    assert first_words(reps[-1]).startswith("Last one.")


ROTATION = {
    "name": "Rotations",
    "tempo": {"lift": 3, "lower": 3, "names": {"lift": "knees over", "lower": "back"}},
    "reps": 3,
    "sides": "both",
    "side_order": "alternating",
    "side_words": {"right": "knees to the right", "left": "knees to the left"},
    "switch": 0,
    "rest": 0,
}


def test_where_the_side_does_not_fit_the_shorter_forms_come_and_the_count_stays() -> None:
    # Half a second a word: "2. Knees to the left." (5 words, 2.5 s) fits the 2.85 s a
    # part leaves; "3, last one. Knees to the left." (7 words) does not: "3, last one. Knees
    # over." (5) comes instead. At a second a word only the count fits ("Last one."). "Last
    # one" is said once, with the real last rep: the right side's third has the left's
    # still to come (a listener heard "last one" twice).
    words = lambda per: lambda text: per * len(text.split())  # noqa: E731
    medium = compile_plan(routine(ROTATION), length=words(0.5))
    reps = [s for s in medium.steps if s.phase == "rep"]
    assert [first_words(s) for s in reps] == [
        "1. Knees to the right.",
        "1. Knees to the left.",
        "2. Knees to the right.",
        "2. Knees to the left.",
        "3. Knees to the right.",
        "3, last one. Knees over.",
    ]
    slow = compile_plan(routine(ROTATION), length=words(1.0))
    firsts = [first_words(s) for s in slow.steps if s.phase == "rep"]
    assert firsts == ["1.", "1.", "2.", "2.", "3.", "Last one."]
    said = " ".join(s.say for s in medium.steps).lower()
    assert said.count("last one") == 1


def test_without_its_own_side_words_an_alternating_rep_says_the_side_before_the_part() -> None:
    plain = {k: v for k, v in ROTATION.items() if k != "side_words"}
    plan = compile_plan(routine(plain), length=estimator(175))
    firsts = [first_words(s) for s in plan.steps if s.phase == "rep"]
    assert firsts[:2] == ["1. Right side. Knees over.", "1. Left side. Knees over."]


def test_the_first_rep_after_the_other_side_with_no_switch_between_says_its_side() -> None:
    # Every rep on the right, then at once every rep on the left: the first left rep says
    # so; the others on a side go without (their side did not change).
    sequential = {**ROTATION, "side_order": "sequential"}
    plan = compile_plan(routine(sequential), length=estimator(175))
    firsts = [first_words(s) for s in plan.steps if s.phase == "rep"]
    assert firsts == [
        "1. Knees over.",
        "2. Knees over.",
        "3, last one. Knees over.",
        "1. Knees to the left.",
        "2. Knees over.",
        "3, last one. Knees over.",
    ]


def test_a_single_alternating_rep_is_not_numbered_but_names_its_side() -> None:
    once = {**ROTATION, "reps": 1}
    plan = compile_plan(routine(once), length=estimator(175))
    firsts = [first_words(s) for s in plan.steps if s.phase == "rep"]
    assert firsts == ["Knees to the right.", "Knees to the left."]
    assert not any(re.match(r"\d", f) for f in firsts)


@pytest.mark.parametrize("fitted", [True, False])
def test_alternating_holds_say_last_one_once_before_the_real_last_rep(fitted: bool) -> None:
    # Right, left, right, left, right, left: "Last one" was said before the right side's
    # third hold and again before the left's; a listener took the first for the end.
    holds = {
        "name": "Knee to chest",
        "hold": 10,
        "reps": 3,
        "rest": 5,
        "switch": 5,
        "sides": "both",
        "side_order": "alternating",
    }
    plan = compile_plan(routine(holds), length=estimator(175) if fitted else None)
    work = [s for s in plan.steps if s.is_work]
    assert [(s.side, s.rep) for s in work][-2:] == [("right", 3), ("left", 3)]
    said = [s.say for s in plan.steps]
    assert sum(text.count("Last one") for text in said) == 1
    where = next(i for i, text in enumerate(said) if "Last one" in text)
    last = work[-1].index
    assert where in (last - 1, last)  # in the step before it (fitted), or its own
    assert "Rep 3 of 3" in " ".join(said[: work[-2].index + 1])
