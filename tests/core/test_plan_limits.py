"""Bounds that really bound (issue 13, item 9): a limit on the number of steps in a plan.

The step count is computed from the routine without compiling it, so ``check`` can refuse a
routine that would take minutes and gigabytes to plan; it must equal the compiled plan's.
"""

from __future__ import annotations

import itertools

import pytest

from backtimer.core.plan import compile_plan
from backtimer.core.routine import MAX_PLAN_STEPS, Routine, semantic_issues
from backtimer.core.schema import validate_routine


def routine(**exercise: object) -> Routine:
    second = {"name": "Second", "hold": "2s"}
    return validate_routine({"name": "R", "exercises": [{"name": "First", **exercise}, second]})


CASES = list(
    itertools.product(
        ("none", "both"),
        ("sequential", "alternating", "sets_per_side"),
        (1, 3),  # reps
        ("1-2", 3),  # sets
        (0, "3s"),  # rest, set_rest, switch, get_ready, transition: left out at 0
    )
)


@pytest.mark.parametrize(("sides", "order", "reps", "sets", "gap"), CASES)
def test_the_step_count_is_the_compiled_plans(
    sides: str, order: str, reps: int, sets: object, gap: object
) -> None:
    r = routine(
        hold="1-3s",
        sides=sides,
        side_order=order,
        reps=reps,
        sets=sets,
        rest=gap,
        set_rest=gap,
        switch=gap,
        get_ready=gap,
        transition=gap,
    )
    for level in ("low", "high"):
        assert r.step_count(level) == len(compile_plan(r, level).steps)


def test_a_user_paced_exercise_counts_its_steps_too() -> None:
    r = routine(user_paced=True, reps=4, sides="both", side_order="alternating")
    assert r.step_count() == len(compile_plan(r).steps)


def test_the_four_million_step_routine_is_refused_with_its_place() -> None:
    exercises = [
        {
            "name": f"Ex {i}",
            "hold": 0.1,
            "reps": 100,
            "sets": 100,
            "sides": "both",
            "rest": 0.1,
            "set_rest": 0.1,
            "switch": 0.1,
            "get_ready": 0.1,
            "transition": 0.1,
        }
        for i in range(200)
    ]
    r = validate_routine({"name": "Huge", "exercises": exercises})
    assert r.step_count("high") > 4_000_000
    [(loc, message)] = semantic_issues(r)
    assert loc == ("exercises", 0)
    assert f"the limit is {MAX_PLAN_STEPS:,}" in message
    assert message.startswith("this exercise alone has 40,000 steps at its highest level")
    assert "(the whole session 8,000,199)" in message


def test_many_exercises_each_within_the_limit_are_refused_as_a_whole() -> None:
    exercise = {"name": "E", "hold": 0.1, "reps": 10, "sets": 10, "sides": "both"}
    r = validate_routine({"name": "Many", "exercises": [exercise] * 30})
    [(loc, message)] = semantic_issues(r)
    assert loc == ("exercises",)
    assert message.startswith(f"the whole session has {r.step_count('high'):,} steps")
    assert "in exercises[1] (E))" in message


def test_a_routine_at_the_limit_is_accepted() -> None:
    # 100 reps x 99 sets on one side, no gaps: 9,900 holds, one get ready.
    r = validate_routine(
        {
            "name": "Long",
            "defaults": {"rest": 0, "set_rest": 0, "switch": 0, "transition": 0},
            "exercises": [{"name": "A", "hold": 0.1, "reps": 100, "sets": 99}],
        }
    )
    assert r.step_count("high") == 9_901 <= MAX_PLAN_STEPS
    assert semantic_issues(r) == []


def test_the_largest_routine_plans_with_work_in_proportion_to_its_steps(monkeypatch) -> None:
    """A routine at the limit compiles with its cue timeline, and the timeline looks at each
    step a bounded number of times (it looked back over every earlier step at each set's
    first rep: about 50 looks a step here). Counted, not timed."""
    from backtimer.core import plan as plan_module
    from backtimer.core.timeline import estimate

    r = validate_routine(
        {
            "name": "Long",
            "defaults": {"rest": 0, "set_rest": 0, "switch": 0, "transition": 0},
            "exercises": [
                {"name": "A", "hold": 0.1, "reps": 49, "sets": 99, "sides": "both"},
                {"name": "B", "hold": "2-3s", "reps": 10, "sets": 2, "sides": "both"},
            ],
        }
    )
    steps = r.step_count("high")
    assert steps <= MAX_PLAN_STEPS and semantic_issues(r) == []
    looks = 0
    original = plan_module.Step.is_work

    def counted(self: plan_module.Step) -> bool:
        nonlocal looks
        looks += 1
        return original.fget(self)  # type: ignore[attr-defined,no-any-return]

    monkeypatch.setattr(plan_module.Step, "is_work", property(counted))
    plan = compile_plan(r, "high", length=lambda text: estimate(text, 175))
    assert len(plan.steps) == steps
    assert plan.steps[0].say and plan.steps[1].cues  # with its words and cues
    assert looks < 10 * steps, looks  # about 3 a step
