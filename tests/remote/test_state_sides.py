"""Issue 10: the phone remote's page names a side as the voice and the screen do, in the
exercise's own side words ("right knee up"); "right side" only where it has none."""

from __future__ import annotations

from side_words_routine import sides_routine

from backtimer.core.engine import PainStopped, Session
from backtimer.core.plan import Plan, compile_plan
from backtimer.remote.state import snapshot


def _index(plan: Plan, exercise_index: int, phase: str, side: str) -> int:
    return next(
        s.index
        for s in plan.steps
        if s.exercise_index == exercise_index and s.phase == phase and s.side == side
    )


def _page(plan: Plan, routine, index: int) -> dict:
    session = Session(plan, start_index=index)
    session.start(0.0)
    return snapshot(session, routine, 1.0)


def test_the_page_names_the_side_and_the_switch_in_the_exercises_own_words() -> None:
    routine = sides_routine()
    plan = compile_plan(routine)
    hold = _page(plan, routine, _index(plan, 0, "hold", "right"))
    assert hold["side"] == "right knee [b]up[/b]"
    switch = _page(plan, routine, _index(plan, 0, "switch_sides", "left"))
    assert switch["side"] == "switch sides: left knee up"
    # Where the exercise has no side words: the plain words, as before.
    assert _page(plan, routine, _index(plan, 1, "hold", "right"))["side"] == "right side"
    assert _page(plan, routine, _index(plan, 1, "switch_sides", "left"))["side"] == (
        "switch to the left side"
    )


def test_the_pages_next_line_names_the_next_steps_side_in_its_exercises_words() -> None:
    routine = sides_routine()
    plan = compile_plan(routine)
    before_own = _index(plan, 0, "hold", "right") - 1
    assert _page(plan, routine, before_own)["next"] == "hold · right knee [b]up[/b] · 5 s"
    before_plain = _index(plan, 1, "hold", "right") - 1
    assert _page(plan, routine, before_plain)["next"] == "hold · right side · 5 s"


def test_the_pages_pain_stop_names_the_side_in_the_exercises_own_words() -> None:
    routine = sides_routine()
    plan = compile_plan(routine)
    for exercise_index, at in (
        (0, "Knee to chest, right knee [b]up[/b]"),
        (1, "Clamshell, right side"),
    ):
        session = Session(plan, start_index=_index(plan, exercise_index, "hold", "right"))
        session.start(0.0)
        stopped = next(e for e in session.pain(1.0) if isinstance(e, PainStopped))
        page = snapshot(session, routine, 1.0, pain=stopped)
        assert page["pain"]["at"].startswith(at + ", rep 1 of 2")
