"""The phase table: every phase of a plan is in it, and what it says is what happens."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import backtimer
from backtimer.core.engine import Countdown, Lengthened, Refused, Session
from backtimer.core.phases import DONE, PHASES, WORK_PHASES, Phase, phase_info
from backtimer.core.plan import compile_plan
from backtimer.core.schema import validate_routine

TCSS = Path(backtimer.__file__).parent / "tui" / "screens" / "session.tcss"  # the session's rules

ROUTINE = validate_routine(
    {
        "name": "All phases",
        "defaults": {"get_ready": 3, "rest": 2, "set_rest": 4, "transition": 3, "switch": 2},
        "exercises": [
            {"name": "Hold", "hold": "6s", "reps": 2, "sets": 2, "sides": "both"},
            {"name": "Reps", "tempo": {"lift": 1, "lower": 1}, "reps": 2},
        ],
    }
)


def test_every_phase_a_plan_has_is_in_the_table() -> None:
    assert list(PHASES) == list(get_args(Phase))
    plan = compile_plan(ROUTINE)
    assert {s.phase for s in plan.steps} == set(PHASES)
    assert WORK_PHASES == ("hold", "rep")
    assert all(s.is_work == PHASES[s.phase].work for s in plan.steps)


def test_every_phase_has_its_colour_and_words() -> None:
    tcss = TCSS.read_text(encoding="utf-8")
    for info in (*PHASES.values(), DONE):
        assert f"#phase.{info.style} " in tcss, info.name
        assert info.word
    assert phase_info("switch_sides").words == "switch sides"
    assert phase_info("done") is DONE
    assert phase_info("stretch").word == "STRETCH"  # an unknown phase from an old file


def test_the_engine_counts_down_and_extends_what_the_table_says() -> None:
    plan = compile_plan(ROUTINE)
    counted: set[str] = set()
    extended: set[str] = set()
    for step in plan.steps:
        session = Session(plan, start_index=step.index)
        session.start(0.0)
        refused = any(isinstance(e, Refused) for e in session.extend(0.5, 5.0))
        if not refused:
            extended.add(step.phase)
        session = Session(plan, start_index=step.index, sleep_gap=None)
        session.start(0.0)
        events = session.tick(float(step.seconds or 0) - 0.01)
        if any(isinstance(e, Countdown) for e in events):
            counted.add(step.phase)
    assert extended == {name for name, p in PHASES.items() if p.extendable}
    assert counted == {name for name, p in PHASES.items() if p.counted_down}


def test_the_engine_makes_room_for_words_in_what_the_table_says() -> None:
    """Gaps last as long as their words need (a resume's too); holds and reps never change
    length: the table's ``stretchable`` is every phase that is not work."""
    plan = compile_plan(ROUTINE)
    stretched: set[str] = set()
    for step in plan.steps:
        session = Session(plan, start_index=step.index, sleep_gap=None)
        session.start(0.0)
        session.pause(0.5)
        if any(isinstance(e, Lengthened) for e in session.resume(3.0, room=2.0)):
            stretched.add(step.phase)
    assert stretched == {name for name, p in PHASES.items() if p.stretchable}
    assert stretched == {name for name, p in PHASES.items() if not p.work}
    # The engine's _make_room keeps the countdown numbers already said: it has none to keep.
    assert not any(p.stretchable and p.counted_down for p in PHASES.values())
