"""What a listener hears in every bundled routine (issue 10), with lengths estimated at the
slow, default and fast ends of the rates: before each exercise's first hold or rep, its name,
every instruction line, its caution and its stop-if are said (the routine's own cautions at
the start); nothing spoken overlaps or outlasts its step; every tempo part of a paced rep has
a cue, in the routine's own words where it names them, and every counted rep says its number
(the last one "last one")."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from backtimer.core.plan import Plan, compile_plan
from backtimer.core.routine import Routine, level_for
from backtimer.core.timeline import estimator, sentence, side_words, stop_if_words
from backtimer.files.routine_load import load_routine

pytestmark = pytest.mark.core

ROUTINES_DIR = Path(__file__).resolve().parents[2] / "routines"
BUNDLED = sorted(ROUTINES_DIR.glob("*.toml"))
RATES = (100, 175, 300)


def fitted(routine: Routine, rate: int, detail: str = "full") -> Plan:
    return compile_plan(routine, "low", length=estimator(rate), detail=detail)  # type: ignore[arg-type]


def said_before(plan: Plan, index: int) -> list[str]:
    """Everything said before the first work step of exercise ``index``, in order."""
    first = next(s.index for s in plan.steps if s.exercise_index == index and s.is_work)
    return [c.say for s in plan.steps[:first] for c in s.cues if c.say]


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
@pytest.mark.parametrize("rate", RATES)
def test_every_exercise_is_said_in_full_before_it_starts(path: Path, rate: int) -> None:
    routine = load_routine(path)
    plan = fitted(routine, rate)
    opening = said_before(plan, 0)
    for caution in routine.cautions:
        assert sentence(caution) in opening, caution
    for index, exercise in enumerate(routine.exercises):
        heard = said_before(plan, index)
        # Said after the previous exercise's last hold or rep (in the transition to this
        # one at the earliest): no earlier exercise's introduction stands in for this one.
        start = max(
            (i for i, s in enumerate(plan.steps) if s.exercise_index == index - 1 and s.is_work),
            default=-1,
        )
        own = [c.say for s in plan.steps[start + 1 :] for c in s.cues if c.say]
        own = [text for text in own if text in heard]
        name = sentence(exercise.name)
        # Its own line, or the transition's "Next: <name>." just before its introduction.
        assert name in own or any(line.startswith(f"Next: {name}") for line in own), name
        for line in exercise.steps:
            assert sentence(line) in own, (exercise.name, line)
        if exercise.caution:
            assert sentence(exercise.caution) in own, (exercise.name, exercise.caution)
        if exercise.stop_if:
            assert stop_if_words(exercise.stop_if) in own, (exercise.name, exercise.stop_if)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
@pytest.mark.parametrize("rate", RATES)
def test_nothing_spoken_overlaps_in_a_bundled_routine(path: Path, rate: int) -> None:
    plan = fitted(load_routine(path), rate)
    start = 0.0
    spans: list[tuple[float, float, str]] = []
    for step in plan.steps:
        for cue in step.cues:
            if cue.say:
                spans.append((start + cue.at, start + cue.end, cue.say))
                if step.seconds is not None:
                    assert cue.end <= step.seconds + 1e-6, (step, cue)
        start += step.seconds or 0.0
    spans.sort()
    for before, after in itertools.pairwise(spans):
        assert before[1] <= after[0] + 1e-6, (before, after)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
@pytest.mark.parametrize("rate", (100, 120, 175, 250, 300))
def test_every_tempo_part_has_a_cue_and_every_rep_its_count(path: Path, rate: int) -> None:
    # Each tempo part starts with its sound, its words in the routine's own words where they
    # fit; the first part of a counted rep says the rep's number ("4." at least) and the last
    # rep "last one": the person follows the set by them. Only where even the number alone
    # has no room in the first part is it said at the end of the rep before, on its own.
    routine = load_routine(path)
    length = estimator(rate)
    plan = fitted(routine, rate)
    for step in plan.steps:
        settings = routine.settings(step.exercise_index)
        if step.phase != "rep" or settings.tempo is None:
            continue
        parts = settings.tempo.parts()
        starts = [c.at for c in step.cues if c.kind in ("go", "tempo")]
        expected = list(itertools.accumulate([0.0, *(seconds for _, seconds in parts[:-1])]))
        assert starts == pytest.approx(expected), step
        part_cues = [c for c in step.cues if c.kind in ("go", "tempo")]
        assert all(c.sound == "tempo" for c in part_cues), part_cues
        reps = settings.dose(level_for("low", step.exercise_index)).reps
        words = [c.say or "" for c in part_cues]
        for number, ((name, _), said) in enumerate(zip(parts, words, strict=True)):
            said_name = sentence(name) in said or name.lower() in said.lower()
            if number == 0 and step.side is not None:
                # A rep whose side alternates says which way it goes instead, in the
                # exercise's own side words ("2. Knees to the left.", see
                # test_alternating_reps): this rep's side, never the other's.
                own = side_words(routine.exercises[step.exercise_index], step.side)
                said_name = said_name or own.lower() in said.lower()
            if number == 0 and reps > 1 and said and not said_name:
                assert said in (f"{step.rep}.", f"{step.rep}, last one.", "Last one."), said
            else:
                assert said == "" or said_name, said
        if reps <= 1:
            continue
        # "Last one" is the set's real last rep: with the sides in turn rep by rep, only
        # the last side's (the first side's last rep has the other's still to come).
        alternating = settings.side_order == "alternating" and len(settings.side_list) == 2
        last = step.rep == reps and (not alternating or step.side == settings.side_list[-1])
        if step.rep == reps and not last:
            assert all("last one" not in w.lower() for w in words), (step, words)
        first = words[0]
        says_count = first.startswith((f"{step.rep}.", f"{step.rep},", "Last one."))
        says_last = "last one" in first.lower()
        if not says_count or (last and not says_last):
            # Not even the number fits in the first part: said just before the rep starts.
            alone = "Last one." if last else f"{step.rep}."
            assert 0.09 + length(alone) > parts[0][1] - 0.15, (step, first)
            before = plan.steps[step.index - 1]
            if before.phase == "rep":
                told = [c for c in before.cues if c.say == alone and c.kind == "next"]
                assert told and told[0].end <= before.seconds, (step, before.cues)
            else:  # a gap says what comes next: "Rep 4" or "Last one"
                assert (f"Rep {step.rep}" if not last else "Last one") in before.say, before


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_brief_says_name_position_and_movement_only(path: Path) -> None:
    routine = load_routine(path)
    full, brief = fitted(routine, 175), fitted(routine, 175, "brief")
    assert brief.total_seconds <= full.total_seconds
    for index, exercise in enumerate(routine.exercises):
        heard = said_before(brief, index)
        name = sentence(exercise.name)
        assert name in heard or any(line.startswith(f"Next: {name}") for line in heard)
        if exercise.steps:
            assert sentence(exercise.steps[0]) in heard
        if exercise.stop_if and stop_if_words(exercise.stop_if) in heard:
            pytest.fail(f"brief said the stop-if of {exercise.name}")


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("detail", ["full", "brief"])
def test_an_exercise_s_name_is_said_once_between_its_transition_and_its_first_hold(
    path: Path, rate: int, detail: str
) -> None:
    # "Next: Corner stretch. Change position." and then, seconds later, "Corner stretch."
    # again was heard 11 times in 3 runs: the name is said once, in the transition.
    routine = load_routine(path)
    plan = fitted(routine, rate, detail)
    for step in plan.steps:
        if step.phase != "get_ready" or step.index == 0:
            continue
        transition = plan.steps[step.index - 1]
        assert transition.phase == "transition"
        name = sentence(routine.exercises[step.exercise_index].name)
        said = [c.say for s in (transition, step) for c in s.cues if c.say]
        naming = [t for t in said if t == name or t.startswith(f"Next: {name}")]
        assert len(naming) == 1, (name, said)
