"""The timeline lays equal steps out once and shares the result (a 10,000-step plan has a few
kinds of step, repeated): the plans are the same as when every step is laid out by itself,
over generated routines, levels, rates, countdowns and both amounts of detail."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backtimer.core import timeline
from backtimer.core.plan import compile_plan
from backtimer.core.routine import Routine
from backtimer.core.schema import validate_routine
from backtimer.core.timeline import command_estimate, estimate
from tests.core.test_timeline_props import SETTINGS, rates, routines

pytestmark = pytest.mark.core


def plans(routine: Routine, level: str, rate: int, countdown: int, detail: str) -> list[dict]:
    """The plan laid out shared and step by step, as JSON (what ``plan --json`` prints)."""
    out = []
    for share in (True, False):
        timeline._Fitter.share = share
        try:
            plan = compile_plan(
                routine,
                level,  # type: ignore[arg-type]
                length=lambda text: command_estimate(text, rate),
                countdown=countdown,
                detail=detail,  # type: ignore[arg-type]
                count_length=lambda text: estimate(text, rate),
                closing_sound=0.9,
            )
        finally:
            timeline._Fitter.share = True
        out.append(plan.to_json() | {"added": [step.added for step in plan.steps]})
    return out


@SETTINGS
@given(
    routine=routines(),
    level=st.sampled_from(["low", "high"]),
    rate=rates,
    countdown=st.integers(0, 5),
    detail=st.sampled_from(["full", "brief"]),
)
def test_shared_layouts_are_the_step_by_step_ones(
    routine: Routine, level: str, rate: int, countdown: int, detail: str
) -> None:
    shared, alone = plans(routine, level, rate, countdown, detail)
    assert shared == alone


def test_many_equal_steps_are_laid_out_as_each_alone() -> None:
    """Long sets of equal reps and rests on both sides, with the rests made longer by
    their words: the case sharing is for."""
    routine = validate_routine(
        {
            "name": "Many",
            "defaults": {"rest": 0.3, "set_rest": 1, "switch": 0.5, "get_ready": 1},
            "exercises": [
                {"name": "A", "hold": "1-8s", "reps": "5-12", "sets": 3, "sides": "both"},
                {
                    "name": "B",
                    "hold": "20s",
                    "reps": 4,
                    "sides": "both",
                    "side_order": "alternating",
                },
                {"name": "C", "tempo": {"lift": 2, "lower": 2}, "reps": 6, "sets": 2},
            ],
        }
    )
    for level in ("low", "high"):
        shared, alone = plans(routine, level, 175, 3, "full")
        assert shared == alone
        assert len(shared["steps"]) > 100
