"""Sides in words that cannot be misheard (issue 10, point 6), and a hold that ends into a
switch of sides says "Release." first.

Lying on the right side works the left leg, so "Right side." alone can be heard either way:
every two-sided exercise of the bundled routines names its side by a body part or by the side
lain on ("right knee to your chest", "left leg on top, lying on your right side"), and the
announcements use those words. A hold that ends into "Switch sides." says "Release." first
(with the release sound, as a rest does), so the person knows the hold is over.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backtimer.core.plan import compile_plan
from backtimer.core.routine import Routine
from backtimer.core.schema import validate_routine
from backtimer.core.timeline import estimator, sentence
from backtimer.files.routine_load import load_routine

pytestmark = pytest.mark.core

ROUTINES_DIR = Path(__file__).resolve().parents[2] / "routines"
BUNDLED = sorted(ROUTINES_DIR.glob("*.toml"))
RATES = (100, 175, 300)

#: What a side's words may name: a body part, a direction the body moves, or the side lain on.
PARTS = re.compile(
    r"\b(leg|legs|knee|knees|foot|feet|ankle|thigh|buttock|neck|arm|hand|shoulder|"
    r"lying on your (right|left) side|kneeling on the (right|left) knee)\b"
)
BARE = re.compile(r"(?<!your )\b(right|left) side\b", re.IGNORECASE)


def _swap(text: str) -> str:
    return re.sub(r"\b(right|left)\b", lambda m: "left" if m[1] == "right" else "right", text)


def two_sided(path: Path) -> list:
    return [e for e in load_routine(path).exercises if e.sides == "both"]


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_two_sided_exercise_names_its_sides_by_a_body_part_or_lying_side(
    path: Path,
) -> None:
    for exercise in two_sided(path):
        words = exercise.side_words
        assert words is not None, f"{path.stem}: {exercise.name} has no side_words"
        for side in ("right", "left"):
            said = getattr(words, side)
            assert side in re.findall(r"\w+", said), (exercise.name, said)
            assert PARTS.search(said), (exercise.name, said)
            assert not BARE.search(said), (exercise.name, said)
        # The two sides are the same words with right and left swapped: nothing else changes.
        assert words.left == _swap(words.right), exercise.name


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_side_words_are_chosen_or_quote_the_source(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = re.findall(r"^side_words = .*$", text, re.M)
    assert len(lines) == len(two_sided(path))
    for line in lines:
        comment = line.partition("}")[2]
        sourced = "as the steps say" in comment or re.search(r'"[^"]+"', comment)
        assert "chosen" in comment or sourced, line


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_no_two_sided_instruction_says_then_repeat_on_the_other_side(path: Path) -> None:
    # The timer switches sides itself: "Then repeat on the other side." heard before the first
    # hold says to do both sides in it.
    for exercise in two_sided(path):
        for line in exercise.steps:
            assert not line.lower().startswith("then repeat"), (exercise.name, line)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
@pytest.mark.parametrize("rate", RATES)
def test_no_announcement_says_a_bare_right_or_left_side(path: Path, rate: int) -> None:
    routine = load_routine(path)
    plan = compile_plan(routine, "low", length=estimator(rate))
    for step in plan.steps:
        for cue in step.cues:
            assert not (cue.say and BARE.search(cue.say)), (step, cue.say)
    # Where the side changes, its own words are said before the hold or rep starts.
    for step in plan.steps:
        if step.phase != "switch_sides":
            continue
        exercise = routine.exercises[step.exercise_index]
        assert exercise.side_words is not None
        own = sentence(getattr(exercise.side_words, step.side)).rstrip(".")
        assert own in step.say, (exercise.name, step.say)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
@pytest.mark.parametrize("rate", RATES)
def test_a_hold_that_ends_into_a_switch_says_release_then_switch_sides(
    path: Path, rate: int
) -> None:
    routine = load_routine(path)
    plan = compile_plan(routine, "low", length=estimator(rate))
    switches = [s for s in plan.steps if s.phase == "switch_sides"]
    for step in switches:
        before = plan.steps[step.index - 1]
        spoken = [(c.say, c.sound) for c in step.cues if c.say]
        if before.phase == "hold" and before.seconds is not None:
            assert spoken[:2] == [("Release.", "release"), ("Switch sides.", "switch")], step
            assert step.cues[0].at == 0.0  # on the hold's end
        else:
            assert spoken[0] == ("Switch sides.", "switch"), step
        # Never shorter than the routine's switch: words lengthen it, never cut it.
        assert step.seconds is not None
        assert step.seconds >= routine.settings(step.exercise_index).switch


def _hold_routine(switch: float) -> Routine:
    return validate_routine(
        {
            "name": "Side-lying",
            "exercises": [
                {
                    "name": "Hip strengthening",
                    "hold": 6,
                    "sides": "both",
                    "switch": switch,
                    "side_words": {
                        "right": "right leg on top, lying on your left side",
                        "left": "left leg on top, lying on your right side",
                    },
                },
                {"name": "Pelvic tilt", "tempo": {"lift": 2, "lower": 2}, "sides": "both"},
            ],
        }
    )


@pytest.mark.parametrize("rate", (100, 140, 175, 250, 300))
@pytest.mark.parametrize("switch", [0.5, 3, 10])
def test_release_switch_and_the_side_fit_before_the_countdown(rate: int, switch: float) -> None:
    plan = compile_plan(_hold_routine(switch), length=estimator(rate))
    step = next(s for s in plan.steps if s.phase == "switch_sides" and s.exercise_index == 0)
    said = [c for c in step.cues if c.say and c.kind != "count"]
    assert [c.say for c in said[:2]] == ["Release.", "Switch sides."]
    assert said[2].say.startswith("Left leg on top, lying on your right side.")
    counts = [c for c in step.cues if c.kind == "count"]
    assert [c.at for c in counts] == [step.seconds - 3, step.seconds - 2, step.seconds - 1]
    ends = [c.end for c in said]
    assert all(a <= b.at + 1e-9 for a, b in zip(ends, said[1:], strict=False))
    assert said[-1].end <= counts[0].at + 1e-9  # the side's words end before "3"
    assert step.seconds >= switch
    # A set of reps ends with its own last part: no "Release." before its switch.
    reps = next(s for s in plan.steps if s.phase == "switch_sides" and s.exercise_index == 1)
    assert next(c.say for c in reps.cues if c.say) == "Switch sides."
