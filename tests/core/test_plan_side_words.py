"""Issue 10: ``backtimer plan``'s words name a side as the voice does, in the exercise's own
side words ("Right knee up"); "Right side" only where it has none. The plan's ``side`` field
keeps its value ("right")."""

from __future__ import annotations

from side_words_routine import KNEE_UP, exercise, sides_routine, sides_toml

from backtimer.core.plan import Plan, compile_plan

ROUTINE = sides_toml(
    exercise("Knee rocks", user_paced=True, reps=2, side_words=KNEE_UP),
    exercise(
        "Clamshell",
        hold=5,
        side_words={"right": "right leg on top", "left": "left leg on top"},
    ),
    exercise("Bridge twist", hold=5),
)


def _says(plan: Plan, exercise_index: int, phase: str, side: str | None = None) -> str:
    return next(
        s.say
        for s in plan.steps
        if s.exercise_index == exercise_index and s.phase == phase and s.side == side
    )


def test_the_plans_words_name_the_side_in_the_exercises_own_words() -> None:
    plan = compile_plan(sides_routine(ROUTINE))
    assert "Right knee [b]up[/b] first." in _says(plan, 0, "get_ready")
    assert _says(plan, 0, "rep", "right").startswith("Right knee [b]up[/b]. Round 1 of 2.")
    assert _says(plan, 0, "switch_sides", "left") == "Switch sides. Left knee up."
    assert _says(plan, 1, "hold", "right").startswith("Right leg on top.")
    # Without side words: the plain words, as before.
    assert "Right side first." in _says(plan, 2, "get_ready")
    assert _says(plan, 2, "hold", "right").startswith("Right side.")
    assert _says(plan, 2, "switch_sides", "left") == "Switch to the left side."


def test_a_fitted_plan_at_your_own_pace_says_the_side_in_the_exercises_words() -> None:
    """What ``backtimer plan`` shows and the voice says: a step at the person's own pace
    keeps the words it was compiled with."""
    plan = compile_plan(sides_routine(ROUTINE), length=lambda text: 0.1)
    rep = _says(plan, 0, "rep", "right")
    assert rep.startswith("Right knee [b]up[/b]. Round 1 of 2.")
    assert "Right side" not in rep
    sided = [s for s in plan.to_json()["steps"] if s["exercise_index"] == 0 and s["side"]]
    assert {s["side"] for s in sided} == {"right", "left"}  # the field keeps its values
