"""The cue timeline's invariants, over generated routines and speech rates of 100-300 wpm.

What a listener on the floor must be able to rely on (issue 10): no two spoken cues
overlap and none is cut off by its step's end; every timed hold and rep starts with a cue at
its first instant; the last ``countdown`` seconds before every timed hold or set of reps are
counted out of the gap before it, and holds keep their own countdown; what comes next is said
in the step before, so that a hold starts with one word or a sound; gaps are only ever made
longer, by their words, and holds, reps and tempo parts never change.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from backtimer.core.engine import Session, StepStarted
from backtimer.core.plan import Plan, Step, compile_plan
from backtimer.core.routine import Routine, level_for, semantic_issues
from backtimer.core.schema import validate_routine
from backtimer.core.timeline import (
    COUNT_ROOM,
    SOUNDS,
    command_estimate,
    estimate,
    estimator,
    spoken_words,
)

pytestmark = pytest.mark.core

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TOL = 1e-6

seconds = st.one_of(st.integers(1, 45), st.integers(1, 120).map(lambda q: q / 4))
gap = st.one_of(st.just(0), seconds)
rates = st.integers(100, 300)


@st.composite
def tempos(draw: st.DrawFn) -> dict[str, Any]:
    parts = {k: draw(st.one_of(st.just(0), seconds)) for k in ("lift", "hold", "lower", "pause")}
    if not any(parts.values()):
        parts["lift"] = draw(seconds)
    if draw(st.booleans()):
        parts["names"] = {"lift": "knees to the right", "lower": "back to the middle"}
    return parts


@st.composite
def exercises(draw: st.DrawFn, number: int) -> dict[str, Any]:
    exercise: dict[str, Any] = {"name": f"Exercise {number}"}
    kind = draw(st.sampled_from(["hold", "hold", "breaths", "tempo", "user_paced"]))
    if kind == "hold":
        exercise["hold"] = draw(seconds)
    elif kind == "breaths":
        exercise["hold"] = f"{draw(st.integers(1, 6))} breaths"
        exercise["breath"] = draw(st.integers(2, 6))
    elif kind == "tempo":
        exercise["tempo"] = draw(tempos())
    else:
        exercise["user_paced"] = True
    exercise["reps"] = draw(st.integers(1, 4))
    exercise["sets"] = draw(st.integers(1, 3))
    exercise["sides"] = draw(st.sampled_from(["none", "both"]))
    exercise["side_order"] = draw(st.sampled_from(["sequential", "alternating", "sets_per_side"]))
    for field in ("rest", "set_rest", "switch", "get_ready", "transition"):
        exercise[field] = draw(gap)
    if draw(st.booleans()):
        exercise["position"] = draw(st.sampled_from(["Lie on your back", "Stand tall"]))
    if draw(st.booleans()):
        exercise["steps"] = ["Lift one knee toward your chest.", "Keep the other leg straight."]
    if draw(st.booleans()):
        exercise["caution"] = "Move slowly."
        exercise["stop_if"] = "pain in the front of the hip"
    if draw(st.booleans()):
        exercise["side_words"] = {"right": "right leg", "left": "left leg"}
    return exercise


@st.composite
def routines(draw: st.DrawFn) -> Routine:
    count = draw(st.integers(1, 3))
    data = {
        "name": "Generated",
        "cautions": draw(st.sampled_from([[], ["Stop if it hurts."]])),
        "exercises": [draw(exercises(n + 1)) for n in range(count)],
    }
    routine = validate_routine(data)
    assume(not semantic_issues(routine))
    return routine


def fitted(routine: Routine, rate: int, countdown: int, detail: str = "full") -> Plan:
    return compile_plan(
        routine,
        "low",
        length=estimator(rate),
        countdown=countdown,
        detail=detail,  # type: ignore[arg-type]
    )


def routine_value(routine: Routine, step: Step) -> float | None:
    """What the routine itself says the step lasts."""
    settings_ = routine.settings(step.exercise_index)
    if step.is_work:
        return settings_.dose(level_for("low", step.exercise_index)).rep_seconds
    return {
        "get_ready": settings_.get_ready,
        "rest": settings_.rest,
        "switch_sides": settings_.switch,
        "set_rest": settings_.set_rest,
        "transition": settings_.transition,
    }[step.phase]


def timed_work(plan: Plan, index: int) -> bool:
    return (
        0 <= index < len(plan.steps)
        and plan.steps[index].is_work
        and (plan.steps[index].seconds is not None)
    )


# ------------------------------------------------------------------ invariants


@SETTINGS
@given(routine=routines(), rate=rates, countdown=st.integers(0, 5), brief=st.booleans())
def test_no_spoken_cue_overlaps_another_or_outlasts_its_step(
    routine: Routine, rate: int, countdown: int, brief: bool
) -> None:
    plan = fitted(routine, rate, countdown, "brief" if brief else "full")
    for step in plan.steps:
        spoken = sorted((c for c in step.cues if c.say), key=lambda c: c.at)
        for cue in step.cues:
            assert cue.at >= -TOL
            assert cue.sound is None or cue.sound in SOUNDS
            assert cue.say is not None or cue.seconds == 0.0
            assert cue.say is None or abs(cue.seconds - estimate(cue.say, rate)) < TOL
        for before, after in itertools.pairwise(spoken):
            assert before.end <= after.at + TOL, (step, before, after)
        if step.seconds is not None and spoken:
            assert spoken[-1].end <= step.seconds + TOL, step
        # A step's say is everything spoken during it, in order.
        assert step.say == " ".join(c.say for c in spoken)


@SETTINGS
@given(routine=routines(), rate=rates, countdown=st.integers(0, 5))
def test_holds_and_reps_keep_their_length_and_gaps_only_grow(
    routine: Routine, rate: int, countdown: int
) -> None:
    plan = fitted(routine, rate, countdown)
    plain = compile_plan(routine, "low")
    for step in plan.steps:
        value = routine_value(routine, step)
        if step.is_work:
            assert step.seconds == value and step.added == 0.0
            continue
        assert step.seconds is not None and value is not None
        assert step.seconds >= value - TOL
        assert abs(step.seconds - value - step.added) < TOL
        if step.added:
            assert float(step.seconds).is_integer()  # made longer by whole seconds
    # The work is the same work: the same holds and reps in the same order.
    work = [(s.exercise_index, s.side, s.set, s.rep, s.seconds) for s in plan.steps if s.is_work]
    assert work == [
        (s.exercise_index, s.side, s.set, s.rep, s.seconds) for s in plain.steps if s.is_work
    ]
    assert plan.steps_seconds >= plain.total_seconds - TOL
    assert abs(plan.steps_seconds - plain.total_seconds - plan.added_seconds) < 1e-3
    # The total ends with the closing words, said once the last step is over.
    assert plain.closing == 0.0 and plan.closing > 0.0
    assert abs(plan.total_seconds - plan.steps_seconds - plan.closing) < 1e-9


@SETTINGS
@given(routine=routines(), rate=rates, countdown=st.integers(0, 5))
def test_every_hold_and_rep_starts_on_its_deadline_with_one_word_or_a_sound(
    routine: Routine, rate: int, countdown: int
) -> None:
    plan = fitted(routine, rate, countdown)
    for step in plan.steps:
        if not step.is_work:
            continue
        first = [c for c in step.cues if c.at == 0.0]
        assert first, step
        assert first[0].sound is not None or first[0].say
        if step.phase == "hold":
            assert first[0].say is None or spoken_words(first[0].say) == 1, first[0]


@SETTINGS
@given(routine=routines(), rate=rates, countdown=st.integers(1, 5))
def test_the_last_seconds_before_every_hold_and_set_of_reps_are_counted(
    routine: Routine, rate: int, countdown: int
) -> None:
    plan = fitted(routine, rate, countdown)
    for index, step in enumerate(plan.steps):
        assert step.seconds is not None or step.is_work
        if step.is_work:
            if step.phase == "hold" and step.seconds is not None:
                own = min(countdown, int(step.seconds) - 1) if step.seconds >= 2 else 0
                counted = [c for c in step.cues if c.kind == "count"]
                assert [step.seconds - c.at for c in counted] == list(range(own, 0, -1))
            continue
        counted = [c for c in step.cues if c.kind == "count"]
        if not timed_work(plan, index + 1):
            assert not counted
            continue
        assert step.seconds is not None
        assert [step.seconds - c.at for c in counted] == list(range(countdown, 0, -1))
        for cue in counted:
            assert cue.sound == "tick"
            assert cue.say is None or (cue.say.isdigit() and cue.seconds <= COUNT_ROOM)


@SETTINGS
@given(routine=routines(), rate=rates, countdown=st.integers(0, 5))
def test_what_comes_next_is_said_in_the_step_before(
    routine: Routine, rate: int, countdown: int
) -> None:
    plan = fitted(routine, rate, countdown)
    for index, step in enumerate(plan.steps):
        if step.is_work or not timed_work(plan, index + 1):
            continue
        following = plan.steps[index + 1]
        nxt = [c for c in step.cues if c.kind == "next"]
        assert len(nxt) == 1, step
        words = nxt[0].say or ""
        counts = [c.at for c in step.cues if c.kind == "count"]
        assert not counts or nxt[0].end <= min(counts) + TOL
        if following.phase == "hold":
            settings = routine.settings(following.exercise_index)
            dose = settings.dose("low")
            # The real last rep: with the sides in turn rep by rep, the last side's only.
            alternating = settings.side_order == "alternating" and len(settings.side_list) == 2
            last = following.rep == dose.reps and (
                not alternating or following.side == settings.side_list[-1]
            )
            if dose.reps > 1 and last:
                assert "Last one" in words
            elif dose.reps > 1:
                assert f"Rep {following.rep} of {dose.reps}" in words
                assert "Last one" not in words
        before = [s for s in plan.steps[:index] if s.is_work]
        if following.side and (
            not before
            or before[-1].exercise_index != following.exercise_index
            or before[-1].side != following.side
        ):
            assert following.side in words.lower(), (words, following)


@SETTINGS
@given(routine=routines(), rate=rates)
def test_every_exercise_is_introduced_in_full_before_it_starts(routine: Routine, rate: int) -> None:
    plan = fitted(routine, rate, 3)
    for index, exercise in enumerate(routine.exercises):
        first_work = next(s for s in plan.steps if s.exercise_index == index and s.is_work)
        before = " ".join(
            c.say or ""
            for s in plan.steps[: first_work.index]
            if s.exercise_index in (index, index - 1)
            for c in s.cues
        )
        assert exercise.name in before
        for line in exercise.steps:
            assert line in before
        if exercise.caution:
            assert exercise.caution in before
        if exercise.stop_if:
            assert "Stop if you feel pain in the front of the hip." in before


@SETTINGS
@given(routine=routines(), rate=rates, countdown=st.integers(0, 5))
def test_the_engine_runs_a_fitted_plan_to_its_real_total(
    routine: Routine, rate: int, countdown: int
) -> None:
    plan = fitted(routine, rate, countdown)
    session = Session(plan, countdown=countdown, sleep_gap=None)
    events = session.start(0.0)
    now = 0.0
    for step in plan.steps:
        now += step.seconds or 0.0
        events += session.tick(now) if step.seconds is not None else session.advance(now)
    assert session.over
    started = [e for e in events if isinstance(e, StepStarted)]
    assert [e.step.index for e in started] == list(range(len(plan.steps)))


@SETTINGS
@given(routine=routines(), rate=rates, countdown=st.integers(0, 5))
def test_counts_and_tempo_words_are_fitted_by_their_words_alone(
    routine: Routine, rate: int, countdown: int
) -> None:
    # A speech command's whole utterance outlasts its words (its trailing quiet): with the
    # words alone given as count_length, every rep of a tempo exercise says and plays what
    # it does with lengths of words alone, and the countdown numbers are the same; every
    # other cue is fitted by its whole length.
    plan = compile_plan(
        routine,
        "low",
        length=lambda text: command_estimate(text, rate),
        countdown=countdown,
        count_length=estimator(rate),
    )
    plain = fitted(routine, rate, countdown)
    assert len(plan.steps) == len(plain.steps)
    for step, words in zip(plan.steps, plain.steps, strict=True):
        tempo = step.phase == "rep" and routine.settings(step.exercise_index).kind == "tempo"
        if tempo:
            assert step.cues == words.cues, step
        counts = [(c.at, c.say) for c in step.cues if c.kind == "count"]
        plain_counts = [(c.at, c.say) for c in words.cues if c.kind == "count"]
        if step.seconds == words.seconds:  # (a gap made longer moves its count with its end)
            assert counts == plain_counts
        else:
            assert [say for _, say in counts] == [say for _, say in plain_counts]
        for cue in step.cues:
            if cue.say and cue.kind != "count" and not tempo:
                assert abs(cue.seconds - command_estimate(cue.say, rate)) < TOL, cue
            elif cue.say:
                assert abs(cue.seconds - estimate(cue.say, rate)) < TOL, cue


def test_estimates_err_on_the_long_side_of_a_plain_word_count() -> None:
    for text in ("3", "Hold.", "Rep 2 of 3. Hold 8 seconds.", "Hold 1.5 seconds."):
        for rate in (100, 175, 300):
            words = len(text.replace(".", " ").split())
            assert estimate(text, rate) >= words * 60 / rate
    assert spoken_words("Hold 30 seconds") == 3
    assert spoken_words("Hold 45 seconds") == 4
    assert spoken_words("") == 0 and estimate("", 175) == 0.0
