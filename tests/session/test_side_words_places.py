"""Issue 10: where a stop or a resume is described, the side is named in the exercise's own
side words ("right knee up"), as the voice names it; "right side" only without them."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from side_words_routine import sides_routine

from backtimer.core.engine import PainStopped
from backtimer.core.plan import compile_plan
from backtimer.session.launch import describe_resume, resume_prompt
from backtimer.session.tally import Tally, pain_where


def _stop(plan, exercise_index: int, side: str) -> PainStopped:
    step = next(
        s for s in plan.steps if s.is_work and s.exercise_index == exercise_index and s.side == side
    )
    return PainStopped(
        0.0, step, step.exercise, exercise_index, side, step.set, step.rep, step.phase, 4.0
    )


def test_a_pain_stop_in_the_summary_names_the_side_in_the_exercises_own_words() -> None:
    r = sides_routine()
    plan = compile_plan(r)
    tally = Tally(plan, routine=r)
    tally.on_events([_stop(plan, 0, "right"), _stop(plan, 1, "left")], None)  # type: ignore[arg-type]
    own, plain = (pain_where(record) for record in tally.pains)
    assert own.startswith("right knee [b]up[/b], rep 1 of 2")
    assert plain.startswith("left side, rep 1 of 2")


def test_the_resume_offer_and_prompt_name_the_side_in_the_exercises_own_words() -> None:
    r = sides_routine()
    entry = SimpleNamespace(routine=r, path=Path("sides.toml"))
    stored = {"exercise_index": 0, "exercise": "Knee to chest", "side": "left", "set": 1, "rep": 2}
    found = SimpleNamespace(step=stored, entry=entry)
    assert describe_resume(found) == "Knee to chest, left knee up, set 1, rep 2"
    other = dict(stored, exercise_index=1, exercise="Clamshell")
    assert describe_resume(SimpleNamespace(step=other, entry=entry)) == (
        "Clamshell, left side, set 1, rep 2"
    )
    # A stored step whose exercise is no longer at its place: the plain words, no guess.
    moved = dict(stored, exercise="Renamed")
    assert describe_resume(SimpleNamespace(step=moved, entry=entry)) == (
        "Renamed, left side, set 1, rep 2"
    )
    plan = compile_plan(r)
    step = _stop(plan, 0, "right").step
    assert resume_prompt(step, r.exercises[0]).startswith(
        "Resuming at Knee to chest, right knee [b]up[/b], set 1 of 1, rep 1 of 2."
    )
