"""The fit asks for the length of words only where they could be said: a text measured for
the plan is rendered by the voice (a first plan renders every text it asks for), so words
whose place is too short for any words at all (a hold of 0.1 seconds) are not asked for,
and the plan is the same."""

from __future__ import annotations

import pytest

from backtimer.core.plan import compile_plan
from backtimer.core.schema import validate_routine
from backtimer.core.timeline import HALFWAY_FROM, estimate

pytestmark = pytest.mark.core


def fitted(hold: float, reps: int = 3) -> tuple[set[str], set[str]]:
    """(the texts the fit asked the length of, the texts the plan says) for a routine of
    ``reps`` holds of ``hold`` seconds with no rest between them."""
    routine = validate_routine(
        {
            "name": "Holds",
            "exercises": [{"name": "Short holds", "hold": hold, "reps": reps, "rest": 0}],
        }
    )
    asked: set[str] = set()

    def length(text: str) -> float:
        asked.add(text)
        return estimate(text)

    plan = compile_plan(routine, "low", length=length, count_length=length)
    said = {cue.say for step in plan.steps for cue in step.cues if cue.say}
    return asked, said


def test_words_with_no_room_at_all_are_not_asked_for() -> None:
    asked, said = fitted(0.1)
    # A hold of 0.1 s has room for no words: not "Hold", not what the next rep is (the
    # first rep's words are the get-ready's, which has room for them).
    assert not any(text.startswith(("Rep 2", "Rep 3", "Last one")) for text in asked)
    assert "Rep 1 of 3." in said
    assert "Hold" not in asked and "Hold" not in said
    # What is said is asked for (the get-ready's words, the closing).
    assert said <= asked


@pytest.mark.parametrize("hold", [6.0, HALFWAY_FROM + 10])
def test_words_that_may_fit_are_asked_for_and_said(hold: float) -> None:
    asked, said = fitted(hold)
    assert "Hold" in asked and "Hold" in said
    assert any(text.startswith(("Rep 2 of 3", "Last one")) for text in said)
    assert ("Halfway" in asked) == (hold >= HALFWAY_FROM)
    assert said <= asked


def rested(rest: float) -> tuple[set[str], set[str]]:
    """(asked, said) for three holds of 2 seconds with ``rest`` seconds between them."""
    routine = validate_routine(
        {"name": "R", "exercises": [{"name": "Holds", "hold": 2, "reps": 3, "rest": rest}]}
    )
    asked: set[str] = set()

    def length(text: str) -> float:
        asked.add(text)
        return estimate(text)

    plan = compile_plan(routine, "low", length=length, count_length=length)
    return asked, {cue.say for step in plan.steps for cue in step.cues if cue.say}


def test_a_gap_asks_only_for_words_whose_quiet_alone_fits() -> None:
    """A rest of 0.3 s cannot hold two utterances (each is followed by 0.3 s of quiet): its
    richer words are not asked for; it is made as long as its leaner words need."""
    asked, said = rested(0.3)
    assert not any(text.startswith("Release and rest") for text in asked)
    assert "Rep 2 of 3. Hold 2 seconds." not in asked
    assert {"Release.", "Rep 2 of 3."} <= said <= asked
    asked, said = rested(30)  # room for the richest words: asked for and said
    assert {"Release and rest 30 seconds.", "Rep 2 of 3. Hold 2 seconds."} <= said <= asked
