"""What a listener hears around a pause, a pain stop and "pressed by mistake", on a fake
clock with a player that speaks for as long as each text takes (the lengths the plan was
fitted with, a speech command's at 120 words per minute): every cue heard in full and on
time. Each test is a listening test's finding (the speech-log of a real session)."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from backtimer.core.plan import Speech, compile_plan
from backtimer.core.routine import Routine
from backtimer.core.schema import validate_routine
from backtimer.core.timeline import GAP, command_estimate, estimate
from backtimer.session.controller import SessionController
from backtimer.session.tally import PainDetails
from tests.session.speaking import SpeakingPlayer

pytestmark = pytest.mark.session

RATE = 120
CAUTION = "Keep your lower back flat on the floor and breathe out as you pull."

ROUTINE = validate_routine(
    {
        "name": "Listening",
        "exercises": [
            {
                "name": "Knee to chest",
                "position": "Lie on your back",
                "steps": ["Pull one knee to your chest."],
                "caution": CAUTION,
                "stop_if": "pain in the front of the hip",
                "hold": 20,
                "reps": 2,
                "rest": 10,
                "get_ready": 5,
            }
        ],
    }
)


def length(text: str) -> float:
    """What the plan is fitted with: a speech command's whole time, quiet included."""
    return command_estimate(text, RATE)


def heard_length(text: str) -> float:
    """How long the fake voice speaks: the words' estimate (longer than espeak-ng's)."""
    return estimate(text, RATE)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def session(routine: Routine = ROUTINE) -> tuple[SessionController, SpeakingPlayer, Clock]:
    plan = compile_plan(
        routine,
        length=length,
        count_length=lambda text: estimate(text, RATE),
        speech=Speech("speech-log", RATE, measured=False),
    )
    clock = Clock()
    player = SpeakingPlayer(clock, heard_length)
    made = SessionController(plan, routine, clock=clock, player=player, bell=False)
    return made, player, clock


def run_to(made: SessionController, clock: Clock, until: float) -> None:
    while clock.now < until - 1e-9 and made.live:
        clock.now = round(clock.now + 0.01, 6)
        made.tick()


def start(step: int = 0) -> tuple[SessionController, SpeakingPlayer, Clock, float]:
    """A session run to the start of step ``step``; returns when it started."""
    made, player, clock = session()
    made.start()
    began = 100.0 + made.plan.offset(step)
    run_to(made, clock, began)
    return made, player, clock, began


def overlaps(player: SpeakingPlayer) -> list[tuple[str, str]]:
    spans = sorted((u.start, u.end, u.text) for u in player.heard)
    return [(a[2], b[2]) for a, b in itertools.pairwise(spans) if b[0] < a[1] - 1e-6]


def test_resume_after_a_pain_stop_says_the_phase_word_once_on_its_deadline() -> None:
    # Heard: "Resuming. Hold, 20 seconds left." at the resume, then "Hold" again 4.6 s late.
    made, player, clock, hold = start(1)
    run_to(made, clock, hold + 4.0)
    stopped = made.pain()
    assert stopped is not None
    run_to(made, clock, clock.now + 5.0)
    first = len(player.heard)
    made.finish_pain(PainDetails("resume", event=stopped))
    resumed = clock.now
    run_to(made, clock, resumed + 12.0)
    after = player.heard[first:]
    said = [u.text for u in after]
    assert said[:2] == ["Hold", "Halfway"]  # the restarted hold's own words, once
    assert after[0].start == pytest.approx(resumed)  # on its deadline
    assert after[1].start == pytest.approx(resumed + 10.0)
    assert not [t for t in said if t.startswith("Resuming")]
    assert not overlaps(player)


def stopped_by_mistake(before_count: float) -> tuple[SessionController, SpeakingPlayer, float]:
    """Pain-stopped ``before_count`` s before the first hold's "3", taken back 5 s later;
    returns when the "3" is due."""
    made, player, clock, hold = start(1)
    count_at = hold + made.plan.steps[1].seconds - 3.0
    run_to(made, clock, count_at - before_count)
    stopped = made.pain()
    assert stopped is not None
    run_to(made, clock, clock.now + 5.0)
    made.finish_pain(PainDetails("mistake", event=stopped))
    return made, player, count_at + 5.0


@pytest.mark.parametrize("before_count", [0.4, 0.8, 1.2, 1.6, 2.5])
def test_after_pressed_by_mistake_the_countdown_keeps_its_seconds(before_count: float) -> None:
    # Heard: a countdown number 0.34-0.38 s late, after "Resuming." said in its way.
    made, player, due = stopped_by_mistake(before_count)
    clock = made.runner.clock
    run_to(made, clock, due + 3.5)  # type: ignore[arg-type]
    numbers = [u for u in player.heard if u.text in ("3", "2", "1") and u.start > due - 3.5]
    assert [u.text for u in numbers] == ["3", "2", "1"]
    for n, said in zip((3, 2, 1), numbers, strict=True):
        assert said.start == pytest.approx(due + 3 - n, abs=0.011)  # one tick at most
    assert not overlaps(player)
    resuming = [u for u in player.heard if u.text.startswith("Resuming")]
    assert all(u.end + GAP <= due + 1e-6 for u in resuming)  # said only where it fits


@pytest.mark.parametrize("how", ["pause", "mistake"])
def test_a_caution_cut_off_is_said_again_in_full_on_resume(how: str) -> None:
    # Heard: "Keep your lower back flat..." cut off by a pause, never said again.
    made, player, clock = session()
    made.start()
    caution = next(c for c in made.plan.steps[0].cues if c.say == CAUTION)
    assert caution.kind == "safety"
    run_to(made, clock, 100.0 + caution.at + caution.seconds / 2)
    stopped = made.pain() if how == "mistake" else None
    if how == "pause":
        made.pause()
    run_to(made, clock, clock.now + 5.0)
    if stopped is not None:
        made.finish_pain(PainDetails("mistake", event=stopped))
    else:
        made.pause()
    resumed = clock.now
    hold = 100.0 + made.plan.offset(1) + 5.0
    run_to(made, clock, hold + 1.0)
    said = [u for u in player.heard if u.text == CAUTION]
    assert [u.cut for u in said] == [True, False]  # cut, then heard again in full
    assert resumed <= said[1].start <= resumed + 2.0
    # The stop-if after it is heard in full too, and the count and the hold are on time.
    assert [u.cut for u in player.heard if u.text.startswith("Stop if you feel")] == [False]
    for n in (3, 2, 1):
        number = [u for u in player.heard if u.text == str(n)]
        assert number[-1].start == pytest.approx(hold - n, abs=0.011)
    assert [u.start for u in player.heard if u.text == "Hold"] == [pytest.approx(hold, abs=0.011)]
    assert not overlaps(player)


@pytest.mark.parametrize("how", ["pause", "mistake"])
def test_a_caution_heard_whole_is_not_said_again_on_resume(how: str) -> None:
    # Heard (speech-log, a speech command at 120 and 250 wpm): a sentence whose command had
    # ended was said again after a pause or a pain stop taken back, because its fitted
    # length (a command's estimate, long on purpose) had not run out yet.
    made, player, clock = session()
    made.start()
    caution = next(c for c in made.plan.steps[0].cues if c.say == CAUTION)
    words = heard_length(CAUTION)
    assert words + 0.5 < caution.seconds  # the voice is done before the fitted length
    run_to(made, clock, 100.0 + caution.at + words + 0.2)
    assert not player.speaking
    stopped = made.pain() if how == "mistake" else None
    if how == "pause":
        made.pause()
    run_to(made, clock, clock.now + 5.0)
    if stopped is not None:
        made.finish_pain(PainDetails("mistake", event=stopped))
    else:
        made.pause()
    run_to(made, clock, 100.0 + made.plan.offset(1) + 6.0)
    assert [u.cut for u in player.heard if u.text == CAUTION] == [False]  # once, whole
    assert [u.cut for u in player.heard if u.text.startswith("Stop if you feel")] == [False]
    assert not overlaps(player)


def test_a_pause_just_before_the_count_says_no_resuming_over_it() -> None:
    made, player, clock, rest = start(2)
    count_at = rest + made.plan.steps[2].seconds - 3.0
    run_to(made, clock, count_at - 0.5)
    made.pause()
    run_to(made, clock, clock.now + 5.0)
    made.pause()
    run_to(made, clock, count_at + 5.0 + 3.5)
    numbers = [u for u in player.heard if u.text in ("3", "2", "1") and u.start > count_at]
    assert [round(u.start - (count_at + 5.0), 2) for u in numbers] == [0.0, 1.0, 2.0]
    assert not overlaps(player)


def test_a_caution_cut_at_its_end_takes_the_countdown_s_words_not_the_hold_s_time() -> None:
    # Paused near the end of a long stop-if: saying it again runs past the time left before
    # the count, even with what comes next given way. The warning is heard in full; the
    # numbers it runs over are ticks only, and the hold starts on its deadline.
    stop_if = "sharp pain in the back or down a leg, numbness or tingling"
    long_warning = dataclasses.replace(
        ROUTINE, exercises=[dataclasses.replace(ROUTINE.exercises[0], stop_if=stop_if)]
    )
    made, player, clock = session(long_warning)
    made.start()
    caution = next(c for c in made.plan.steps[0].cues if c.say and "numbness" in c.say)
    assert caution.kind == "safety"
    warning = caution.say
    run_to(made, clock, 100.0 + caution.at + caution.seconds * 0.92)
    made.pause()
    run_to(made, clock, clock.now + 5.0)
    made.pause()
    resumed = clock.now
    hold = 100.0 + made.plan.offset(1) + 5.0
    assert resumed + caution.seconds + GAP > hold - 3.0  # it cannot end before the count
    run_to(made, clock, hold + 1.0)
    said = [u for u in player.heard if u.text == warning]
    assert [u.cut for u in said] == [True, False]
    assert said[1].start == pytest.approx(resumed)
    numbers = [u for u in player.heard if u.text in ("3", "2", "1") and u.start > resumed]
    assert [u.text for u in numbers] == ["2", "1"]  # "3" gave its word (its tick stays)
    assert all(u.start >= said[1].end for u in numbers)  # only after it, on their seconds
    for u in numbers:
        assert u.start == pytest.approx(hold - int(u.text), abs=0.011)
    assert [u.start for u in player.heard if u.text == "Hold"] == [pytest.approx(hold, abs=0.011)]
    assert not overlaps(player)
