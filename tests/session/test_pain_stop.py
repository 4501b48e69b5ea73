"""The pain stop through the session controller: what "pressed by mistake" gives back, and
what the person hears (a recording player)."""

from __future__ import annotations

import pytest

from backtimer.core.engine import State
from backtimer.core.plan import compile_plan
from backtimer.core.routine import Routine
from backtimer.session.controller import SessionController
from backtimer.session.cues import RecordingPlayer
from backtimer.session.tally import PainDetails

ROUTINE = Routine.model_validate(
    {
        "name": "Two holds",
        "exercises": [
            {
                "name": "Knee to chest",
                "position": "Lie on your back",
                "steps": ["Pull one knee to your chest."],
                "stop_if": "pain in the front of the hip",
                "hold": 30,
                "reps": 2,
                "rest": 5,
                "get_ready": 5,
            }
        ],
    }
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def controller(**options: object) -> tuple[SessionController, RecordingPlayer, Clock]:
    clock = Clock()
    player = RecordingPlayer()
    made = SessionController(
        compile_plan(ROUTINE),
        ROUTINE,
        clock=clock,
        player=player,
        **options,  # type: ignore[arg-type]
    )
    return made, player, clock


def run_for(made: SessionController, clock: Clock, seconds: float) -> None:
    end = clock.now + seconds
    while clock.now < end - 1e-9:
        clock.now = round(clock.now + 0.25, 6)
        made.tick()


def test_by_mistake_after_a_pain_stop_while_paused_stays_paused() -> None:
    made, player, clock = controller()
    made.start()
    run_for(made, clock, 10.0)  # 5 s into the first hold
    assert made.session.step.phase == "hold"
    made.pause()
    left = made.session.remaining(clock())
    run_for(made, clock, 3.0)
    stopped = made.pain()
    assert stopped is not None and made.session.state is State.PAIN_STOPPED
    run_for(made, clock, 20.0)
    said = len(player.said)
    made.finish_pain(PainDetails("mistake", event=stopped))
    assert made.session.state is State.PAUSED  # not resumed behind the person's back
    assert made.tally.pains == []
    assert "Resuming." not in player.said[said:]
    run_for(made, clock, 30.0)  # still paused: the hold's time is not spent
    assert made.session.remaining(clock()) == pytest.approx(left)
    made.pause()  # space: now it resumes, with the time the pause left
    assert made.session.state is State.RUNNING
    assert made.session.remaining(clock()) == pytest.approx(left)


def test_by_mistake_after_a_pain_stop_while_running_goes_on() -> None:
    made, _, clock = controller()
    made.start()
    run_for(made, clock, 10.0)
    left = made.session.remaining(clock())
    stopped = made.pain()
    assert stopped is not None
    run_for(made, clock, 20.0)
    made.finish_pain(PainDetails("mistake", event=stopped))
    assert made.session.state is State.RUNNING
    assert made.session.remaining(clock()) == pytest.approx(left)
