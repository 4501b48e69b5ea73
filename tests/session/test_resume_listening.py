"""What a listener hears around a pause, a pain stop and "pressed by mistake", on a fake
clock with a player that speaks for as long as each text takes (the lengths the plan was
fitted with, a speech command's at 120 words per minute): every cue heard in full and on
time. Each test is a listening test's finding (the speech-log of a real session)."""

from __future__ import annotations

import dataclasses
import itertools
import math
from pathlib import Path

import pytest

from backtimer.core.plan import Speech, Step, compile_plan
from backtimer.core.routine import Routine
from backtimer.core.schema import validate_routine
from backtimer.core.timeline import GAP, command_estimate, estimate
from backtimer.files.routine_load import load_routine
from backtimer.session.controller import SessionController
from backtimer.session.safety import PainDetails
from tests.session.speaking import SpeakingPlayer

pytestmark = pytest.mark.session

ROUTINES = Path(__file__).resolve().parents[2] / "routines"

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


def run_to(made: SessionController, clock: Clock, until: float, step: float = 0.01) -> None:
    while clock.now < until - 1e-9 and made.live:
        clock.now = round(clock.now + step, 6)
        made.tick()


def stop_and_run_on(made: SessionController, clock: Clock, how: str, seconds: float = 5.0) -> None:
    """Stopped for ``seconds``, then run on: paused and resumed (``how`` "pause"), or a pain
    stop taken back as pressed by mistake ("mistake")."""
    if how == "mistake":
        stopped = made.pain()
        assert stopped is not None
        run_to(made, clock, clock.now + seconds)
        made.finish_pain(PainDetails("mistake", event=stopped))
    else:
        assert how == "pause", how
        made.pause()
        run_to(made, clock, clock.now + seconds)
        made.pause()


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
    stop_and_run_on(made, clock, "mistake")
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
    stop_and_run_on(made, clock, how)
    resumed = clock.now
    # The get-ready is made longer, by whole seconds, for what it has still to say (it lasts
    # as long as its words need): the count and the hold then come on its new deadline.
    hold = made.session.deadline
    planned = 100.0 + made.plan.offset(1) + 5.0
    assert hold is not None and hold > planned and (hold - planned) % 1 == pytest.approx(0)
    run_to(made, clock, hold + 1.0)
    said = [u for u in player.heard if u.text == CAUTION]
    assert [u.cut for u in said] == [True, False]  # cut, then heard again in full
    assert resumed <= said[1].start <= resumed + 2.0
    # The stop-if after it is heard in full too, and the count and the hold are on time.
    assert [u.cut for u in player.heard if u.text.startswith("Stop if you feel")] == [False]
    # So is every line after it (before the get-ready was made longer, what is timed,
    # "Hold 20 seconds, 2 times.", gave way).
    lines = [c.say for c in made.plan.steps[0].cues if c.say and c.kind != "count"]
    after = lines[lines.index(CAUTION) + 1 :]
    assert [u.text for u in player.heard if u.text in after and not u.cut] == after
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
    stop_and_run_on(made, clock, how)
    run_to(made, clock, 100.0 + made.plan.offset(1) + 6.0)
    assert [u.cut for u in player.heard if u.text == CAUTION] == [False]  # once, whole
    assert [u.cut for u in player.heard if u.text.startswith("Stop if you feel")] == [False]
    assert not overlaps(player)


def test_a_pause_just_before_the_count_says_no_resuming_over_it() -> None:
    made, player, clock, rest = start(2)
    count_at = rest + made.plan.steps[2].seconds - 3.0
    run_to(made, clock, count_at - 0.5)
    stop_and_run_on(made, clock, "pause")
    run_to(made, clock, count_at + 5.0 + 3.5)
    numbers = [u for u in player.heard if u.text in ("3", "2", "1") and u.start > count_at]
    assert [round(u.start - (count_at + 5.0), 2) for u in numbers] == [0.0, 1.0, 2.0]
    assert not overlaps(player)


def test_a_caution_cut_at_its_end_is_said_again_in_full_and_the_count_waits_for_it() -> None:
    # Paused near the end of a long stop-if: saying it again runs past the time left before
    # the count, even with what comes next given way. (It used to take the numbers' words,
    # their ticks under it.) The get-ready lasts as long as its words need: it is made
    # longer, the warning is heard in full, then what comes next, then the whole count, and
    # the hold starts on the get-ready's new deadline.
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
    stop_and_run_on(made, clock, "pause")
    resumed = clock.now
    planned = 100.0 + made.plan.offset(1) + 5.0
    assert resumed + caution.seconds + GAP > planned - 3.0  # it cannot end before the count
    hold = made.session.deadline
    assert hold is not None and hold > planned
    run_to(made, clock, hold + 1.0)
    said = [u for u in player.heard if u.text == warning]
    assert [u.cut for u in said] == [True, False]
    assert said[1].start == pytest.approx(resumed)
    later = [c.say for c in made.plan.steps[0].cues if c.say and c.at > caution.at]
    heard = [u for u in player.heard if u.start > resumed]
    assert [u.text for u in heard] == [t for t in later if t not in ("3", "2", "1")] + [
        "3",
        "2",
        "1",
        "Hold",
    ]
    assert not any(u.cut for u in heard)
    numbers = [u for u in heard if u.text in ("3", "2", "1")]
    assert all(u.start >= said[1].end for u in numbers)  # only after it, on their seconds
    for u in numbers:
        assert u.start == pytest.approx(hold - int(u.text), abs=0.011)
    assert [u.start for u in player.heard if u.text == "Hold"] == [pytest.approx(hold, abs=0.011)]
    assert not overlaps(player)


def gap_lines(step: Step) -> list[str]:
    """What a gap step says, in order, but its countdown."""
    return [c.say for c in step.cues if c.say and c.kind != "count"]


@pytest.mark.parametrize("how", ["pause", "mistake"])
@pytest.mark.parametrize("line", range(7))
def test_every_line_of_a_get_ready_is_said_after_a_stop_in_any_of_them(how: str, line: int) -> None:
    # Heard (sutter-strength at 120 words per minute, a pain stop in an instruction taken
    # back): the instruction cut off was said again, and the lines after it that no longer
    # fit before the count were never said. The get-ready is made longer for them.
    made, player, clock = session()
    made.start()
    get_ready = made.plan.steps[0]
    lines = gap_lines(get_ready)
    assert len(lines) == 7
    cue = next(c for c in get_ready.cues if c.say == lines[line])
    run_to(made, clock, 100.0 + cue.at + cue.seconds / 2)
    stop_and_run_on(made, clock, how)
    hold = made.session.deadline
    assert hold is not None
    run_to(made, clock, hold + 1.0)
    whole = [u.text for u in player.heard if u.text in lines and not u.cut]
    assert whole == lines  # each once, in full, in order (the cut one again)
    numbers = [u for u in player.heard if u.text in ("3", "2", "1")]
    assert [u.text for u in numbers] == ["3", "2", "1"]
    for u in numbers:
        assert u.start == pytest.approx(hold - int(u.text), abs=0.011)
    assert [u.start for u in player.heard if u.text == "Hold"] == [pytest.approx(hold, abs=0.011)]
    assert not overlaps(player)


def test_a_listening_finding_sutter_strength_at_120_words_per_minute() -> None:
    # The whole routine's first get-ready (its cautions, then the exercise): a pain stop in
    # "If it feels comfortable, inhale...", taken back as pressed by mistake. It is said
    # again; "10 reps: flatten 3 seconds, ..." and "10 reps." after it are said too (they
    # were dropped), then the count on the get-ready's deadline and the first rep on it.
    routine = load_routine(ROUTINES / "sutter-strength.toml")
    made, player, clock = session(routine)
    made.start()
    get_ready = made.plan.steps[0]
    lines = gap_lines(get_ready)
    cue = next(c for c in get_ready.cues if c.say and c.say.startswith("If it feels"))
    run_to(made, clock, 100.0 + cue.at + cue.seconds / 3, step=0.05)
    stop_and_run_on(made, clock, "mistake", seconds=6.0)
    end = made.session.deadline
    assert end is not None
    run_to(made, clock, end + 0.5)
    whole = [u.text for u in player.heard if u.text in lines and not u.cut]
    assert whole == lines
    assert "10 reps." in whole
    numbers = [u for u in player.heard if u.text in ("3", "2", "1")]
    assert [round(end - u.start, 2) for u in numbers] == [3.0, 2.0, 1.0]
    first = [u for u in player.heard if u.text.startswith("1. ")]
    assert [u.start for u in first] == [pytest.approx(end)]
    assert not overlaps(player)


def test_a_transition_made_longer_for_its_words_starts_the_next_exercise_on_its_end() -> None:
    # Paused in "Next: Partial crunches.": said again, it ran past the transition's end and
    # was dropped. The transition is made longer by as much as it needs (whole seconds, no
    # more), and the get-ready after it starts on the new end with its own first words.
    routine = load_routine(ROUTINES / "sutter-strength.toml")
    plan = session(routine)[0].plan  # fitted at 120 words per minute
    index = next(
        s.index for s in plan.steps if s.phase == "transition" and "Partial" in (s.say or "")
    )
    clock = Clock()
    player = SpeakingPlayer(clock, heard_length)
    made = SessionController(
        plan, routine, clock=clock, player=player, bell=False, start_index=index
    )
    made.start()  # a session resumed there: paused at once, for the person to get ready
    made.pause()  # and run on at once
    step = made.plan.steps[index]
    nxt = next(c for c in step.cues if c.say and c.say.startswith("Next:"))
    while nxt.say not in player.texts and clock.now < 100.0 + step.seconds:
        run_to(made, clock, clock.now + 0.01)
    begun = next(u.start for u in player.heard if u.text == nxt.say)
    run_to(made, clock, begun + nxt.seconds / 3)
    stop_and_run_on(made, clock, "pause")
    resumed = clock.now
    end = made.session.deadline
    assert end is not None
    planned = 100.0 + step.seconds + 5.0  # the pause moved it by 5 s
    assert end - planned == math.ceil(resumed + nxt.seconds + GAP - planned)  # just enough
    run_to(made, clock, end + 1.0)
    said = [u for u in player.heard if u.text == nxt.say]
    assert [u.cut for u in said] == [True, False]  # cut, then again in full at once
    assert said[1].start == pytest.approx(resumed)
    first = next(c for c in made.plan.steps[index + 1].cues if c.say)
    assert [u.start for u in player.heard if u.text == first.say] == [pytest.approx(end)]
    assert made.session.index == index + 1
    assert not overlaps(player)


@pytest.mark.parametrize("how", ["pause", "mistake"])
def test_a_warning_longer_than_all_the_time_left_is_said_again_in_full(how: str) -> None:
    # A caution cut off near its end, longer than everything left of the get-ready (what
    # is timed, what comes next and the count): it had no room even with the numbers' words
    # and was never said again. Now the get-ready is made longer for it and what follows.
    caution = (
        "Keep your lower back flat on the floor, your neck long and your shoulders relaxed, "
        "and breathe out slowly as you pull the knee in; never bounce or force the stretch."
    )
    long_caution = dataclasses.replace(
        ROUTINE,
        exercises=[dataclasses.replace(ROUTINE.exercises[0], caution=caution, stop_if=None)],
    )
    made, player, clock = session(long_caution)
    made.start()
    cue = next(c for c in made.plan.steps[0].cues if c.kind == "safety")
    cut_at = 100.0 + cue.at + cue.seconds * 0.95
    planned_end = 100.0 + made.plan.steps[0].seconds
    assert cue.seconds > planned_end - cut_at + 5.0  # longer than all the time left
    run_to(made, clock, cut_at)
    stop_and_run_on(made, clock, how)
    resumed = clock.now
    end = made.session.deadline
    assert end is not None
    run_to(made, clock, end + 1.0)
    said = [u for u in player.heard if u.text == cue.say]
    assert [u.cut for u in said] == [True, False]
    assert said[1].start == pytest.approx(resumed)
    lines = gap_lines(made.plan.steps[0])
    assert [u.text for u in player.heard if u.text in lines and not u.cut] == lines
    numbers = [u for u in player.heard if u.text in ("3", "2", "1") and u.start > resumed]
    assert [round(end - u.start, 2) for u in numbers] == [3.0, 2.0, 1.0]
    assert [u.start for u in player.heard if u.text == "Hold"] == [pytest.approx(end, abs=0.011)]
    assert not overlaps(player)


def test_a_pause_in_release_at_a_switch_does_not_make_it_longer_for_nothing() -> None:
    # Heard (norton-leatherman at 120 words per minute, a pause in "Release." as a switch
    # began): 18 s of silence after "Switch sides.", the switch made longer for a
    # "Release." that no length lets be said again (it would run into "Switch sides.").
    routine = load_routine(ROUTINES / "norton-leatherman.toml")
    made, player, clock = session(routine)
    made.start()
    switch = next(s for s in made.plan.steps if s.phase == "switch_sides")
    assert switch.cues[0].say == "Release."
    began = 100.0 + made.plan.offset(switch.index)
    run_to(made, clock, began + 0.75, step=0.05)
    stop_and_run_on(made, clock, "pause", seconds=3.0)
    assert made.session.step_seconds == switch.seconds
    end = made.session.deadline
    assert end is not None
    run_to(made, clock, end + 0.5)
    after = [u for u in player.heard if u.start > began + 1.0]
    lines = [c.say for c in switch.cues[1:] if c.say and c.kind != "count"]
    assert [u.text for u in after if u.text in lines and not u.cut] == lines
    numbers = [u for u in after if u.text in ("3", "2", "1")]
    assert [u.start - (end - int(u.text)) for u in numbers] == pytest.approx([0, 0, 0], abs=0.011)
    assert not overlaps(player)
