"""Properties of the plan and the engine over generated routines (hypothesis).

The strategy builds valid routines the way a user writes them: a dict validated by
``validate_routine`` (core.schema), with timed, breath-counted, tempo and user-paced exercises,
ranges, sides in both orders, rests of 0, and [defaults].
"""

from __future__ import annotations

import copy
import itertools
import re
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from backtimer.core.engine import (
    NEXT_STATE,
    TRANSITIONS,
    ClockRestarted,
    Command,
    Countdown,
    EndedEarly,
    Event,
    Extended,
    Finished,
    Halfway,
    Lengthened,
    PainWithdrawn,
    PainWithdrawnPaused,
    Paused,
    Refused,
    Resumed,
    Session,
    State,
    StepEnded,
    StepStarted,
    next_state,
)
from backtimer.core.phases import PHASES
from backtimer.core.plan import Plan, compile_plan
from backtimer.core.routine import Routine, semantic_issues
from backtimer.core.schema import validate_routine

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
TOL = 1e-6

# ------------------------------------------------------------------ the strategy

# Quarter seconds are exact in binary; tenths are not (and are common in real files).
seconds = st.one_of(
    st.integers(1, 90),
    st.integers(1, 360).map(lambda q: q / 4),
    st.integers(1, 300).map(lambda t: round(t / 10, 1)),
)
duration = st.one_of(
    seconds,
    seconds.map(lambda s: f"{s:g}s"),
    st.sampled_from(["1m", "1m30s", "2 min", "45", "0.5s"]),
)
gap = st.one_of(st.just(0), st.just("0s"), duration)


@st.composite
def counts(draw: st.DrawFn, top: int) -> int | str:
    low = draw(st.integers(1, top))
    if draw(st.booleans()):
        return low
    return f"{low}-{draw(st.integers(low, top))}"


@st.composite
def holds(draw: st.DrawFn) -> Any:
    form = draw(st.sampled_from(["number", "string", "range", "breaths", "breath range"]))
    if form == "number":
        return draw(seconds)
    if form == "string":
        return draw(duration)
    if form == "range":
        low = draw(st.integers(1, 40))
        return f"{low}-{draw(st.integers(low, 60))}s"
    low = draw(st.integers(1, 8))
    if form == "breaths":
        return f"{low} breath" if low == 1 else f"{low} breaths"
    return f"{low}-{draw(st.integers(low, 12))} breaths"


@st.composite
def tempos(draw: st.DrawFn) -> dict[str, Any]:
    parts = {k: draw(st.one_of(st.just(0), seconds)) for k in ("lift", "hold", "lower", "pause")}
    if not any(parts.values()):
        parts["lift"] = draw(seconds)
    return {k: v for k, v in parts.items() if v or draw(st.booleans())}


TIMING: dict[str, Any] = {
    "reps": counts(4),
    "sets": counts(3),
    "sides": st.sampled_from(["none", "both"]),
    "side_order": st.sampled_from(["sequential", "alternating", "sets_per_side"]),
    "first_side": st.sampled_from(["right", "left"]),
    "rest": gap,
    "set_rest": gap,
    "switch": gap,
    "breath": duration,
    "get_ready": gap,
    "transition": gap,
}
POSITIONS = ["Lie on your back", "Lie on your side", "Kneel on all fours", "Stand tall"]


@st.composite
def timing_fields(draw: st.DrawFn) -> dict[str, Any]:
    chosen = draw(st.sets(st.sampled_from(sorted(TIMING))))
    return {field: draw(TIMING[field]) for field in sorted(chosen)}


@st.composite
def kinds(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["hold", "hold", "tempo", "user_paced"]))
    if kind == "hold":
        return {"hold": draw(holds())}
    if kind == "tempo":
        return {"tempo": draw(tempos())}
    return {"user_paced": True}


@st.composite
def routines(draw: st.DrawFn, max_exercises: int = 4) -> Routine:
    defaults = draw(timing_fields())
    default_hold = draw(st.booleans())
    if default_hold:
        defaults["hold"] = draw(holds())
    exercises = []
    for number in range(draw(st.integers(1, max_exercises))):
        exercise: dict[str, Any] = {"name": f"Exercise {number + 1}"}
        if draw(st.booleans()):
            exercise["position"] = draw(st.sampled_from(POSITIONS))
        if draw(st.booleans()):
            exercise["steps"] = ["Get into position.", "Breathe."]
        if not default_hold or draw(st.booleans()):
            exercise |= draw(kinds())
        exercise |= draw(timing_fields())
        exercises.append(exercise)
    routine = validate_routine({"name": "Generated", "defaults": defaults, "exercises": exercises})
    assume(not semantic_issues(routine))
    return routine


levels = st.sampled_from(["low", "high"])


# ------------------------------------------------------------------ plan properties


@SETTINGS
@given(routine=routines(), level=levels)
def test_total_is_the_sum_of_the_steps_and_the_routines_total(routine: Routine, level: str) -> None:
    plan = compile_plan(routine, level)  # type: ignore[arg-type]
    by_steps = sum(s.seconds or 0.0 for s in plan.steps)
    assert abs(plan.total_seconds - by_steps) < TOL
    assert abs(plan.total_seconds - routine.total_seconds(level)) < TOL  # type: ignore[arg-type]
    assert abs(plan.offset(len(plan.steps)) - plan.total_seconds) < TOL
    for step in plan.steps:
        assert (
            abs(
                plan.remaining_after(step.index)
                - sum(s.seconds or 0.0 for s in plan.steps[step.index + 1 :])
            )
            < TOL
        )


@SETTINGS
@given(routine=routines(), level=levels)
def test_structure_and_counts(routine: Routine, level: str) -> None:
    plan = compile_plan(routine, level)  # type: ignore[arg-type]
    assert [s.index for s in plan.steps] == list(range(len(plan.steps)))
    assert all(s.phase in PHASES for s in plan.steps)
    assert all(s.seconds is None or s.seconds > 0 for s in plan.steps)
    assert plan.steps[-1].phase in ("hold", "rep")  # nothing trails the last exercise
    exercise_order = [s.exercise_index for s in plan.steps]
    assert exercise_order == sorted(exercise_order)
    assert set(exercise_order) == set(range(len(routine.exercises)))
    transitions = [s for s in plan.steps if s.phase == "transition"]
    for index in range(len(routine.exercises)):
        st_ = routine.settings(index)
        dose = st_.dose(level)  # type: ignore[arg-type]
        steps = [s for s in plan.steps if s.exercise_index == index]
        work = [s for s in steps if s.phase in ("hold", "rep")]
        sides = [None] if st_.sides == "none" else ["right", "left"]
        per = Counter((s.set, s.side) for s in work)
        assert per == {(n, side): dose.reps for n in range(1, dose.sets + 1) for side in sides}
        # Reps are numbered 1..reps within each set and side, in order.
        for (n, side), _ in per.items():
            reps = [s.rep for s in work if s.set == n and s.side == side]
            assert reps == list(range(1, dose.reps + 1))
        assert all(s.reps == dose.reps and s.sets == dose.sets for s in steps)
        phases = Counter(s.phase for s in steps)
        assert phases["get_ready"] == (1 if st_.get_ready else 0)
        per_side = st_.side_order == "sets_per_side" and len(sides) == 2
        set_rests = (dose.sets - 1) * (2 if per_side else 1)
        assert phases["set_rest"] == (set_rests if st_.set_rest else 0)
        switches = dose.sets * (dose.reps if st_.side_order == "alternating" else 1)
        if per_side:
            switches = 1
        assert phases["switch_sides"] == ((switches if len(sides) == 2 else 0) if st_.switch else 0)
        alternating = st_.side_order == "alternating" and len(sides) == 2
        # Sequential: a rest between reps on each side; alternating: one per pair of sides.
        rests = dose.sets * (1 if alternating else len(sides)) * (dose.reps - 1)
        assert phases["rest"] == (rests if st_.rest else 0)
        if st_.get_ready:
            assert steps[0].phase == "get_ready"
        # No rest, switch or set rest ends an exercise; only the transition may follow.
        body = [s for s in steps if s.phase != "transition"]
        assert body[-1].phase in ("hold", "rep")
        for s in work:
            expected = None if st_.kind == "user_paced" else dose.rep_seconds
            assert s.seconds == expected
            assert s.phase == ("hold" if st_.kind == "hold" else "rep")
        if st_.side_order == "alternating" and len(sides) == 2:
            order = [s.side for s in work if s.set == 1]
            assert order == [st_.side_list[0], st_.side_list[1]] * dose.reps
        elif per_side:
            order = [s.side for s in work]
            first, second = st_.side_list
            assert order == [first] * (dose.reps * dose.sets) + [second] * (dose.reps * dose.sets)
        elif len(sides) == 2:
            order = [s.side for s in work if s.set == 1]
            assert order == [st_.side_list[0]] * dose.reps + [st_.side_list[1]] * dose.reps
    expected_transitions = sum(
        1 for i in range(len(routine.exercises) - 1) if routine.settings(i).transition
    )
    assert len(transitions) == expected_transitions


_DURATION = r"((?:\d+(?:\.\d+)? (?:hours?|minutes?|seconds?) ?)+)"


def _said(text: str) -> float:
    units = {"hour": 3600, "minute": 60, "second": 1}
    return sum(
        float(n) * units[u] for n, u in re.findall(r"(\d+(?:\.\d+)?) (hour|minute|second)", text)
    )


@SETTINGS
@given(routine=routines(), level=levels)
def test_every_step_says_something_that_agrees_with_its_timing(
    routine: Routine, level: str
) -> None:
    plan = compile_plan(routine, level)  # type: ignore[arg-type]
    for step in plan.steps:
        assert step.say.strip() and step.say[-1] in ".!?"
        if step.phase == "hold":
            breaths = re.search(r"Hold for (\d+) breaths?\.", step.say)
            if breaths:
                assert step.breaths == int(breaths.group(1))
                settings_ = routine.settings(step.exercise_index)
                assert abs(step.seconds - step.breaths * settings_.breath) < TOL  # type: ignore[operator]
            else:
                match = re.search(r"Hold " + _DURATION + r"\.", step.say)
                assert match, step.say
                assert _said(match.group(1)) == step.seconds
        elif step.phase in ("rest", "set_rest"):
            match = re.search(r"Rest " + _DURATION + r"\.", step.say)
            assert match, step.say
            assert _said(match.group(1)) == step.seconds
        elif step.phase == "get_ready":
            match = re.search(r"Starting in " + _DURATION + r"\.$", step.say)
            assert match, step.say
            assert _said(match.group(1)) == step.seconds
            assert step.say.startswith(step.exercise)
        elif step.phase == "rep" and step.user_paced:
            assert "Press enter" in step.say
    # Every exercise's name is said before its first work step.
    for index, exercise in enumerate(routine.exercises):
        first = next(s for s in plan.steps if s.exercise_index == index)
        assert first.say.startswith(exercise.name)


# ------------------------------------------------------------ engine: a fake clock


def _overlap(a0: float, a1: float, spans: list[tuple[float, float]]) -> float:
    return sum(max(0.0, min(a1, b1) - max(a0, b0)) for b0, b1 in spans)


def check_stream(plan: Plan, events: list[Event]) -> None:
    """Every StepStarted is closed by one StepEnded before the next step starts."""
    open_step: int | None = None
    for event in events:
        if isinstance(event, StepStarted):
            assert open_step is None, f"step {event.step.index} started inside {open_step}"
            open_step = event.step.index
        elif isinstance(event, StepEnded):
            assert open_step == event.step.index
            open_step = None


@SETTINGS
@given(routine=routines(), level=levels, data=st.data())
def test_random_ticks_enter_every_step_once_in_order_and_finish_on_time(
    routine: Routine, level: str, data: st.DataObject
) -> None:
    plan = compile_plan(routine, level)  # type: ignore[arg-type]
    session = Session(plan, sleep_gap=None)
    start = data.draw(st.floats(0, 1e6, allow_nan=False), label="start")
    t = start
    events = session.start(t)
    pauses: list[tuple[float, float]] = []
    paced = 0.0
    entered = t
    while not session.over:
        last_started = [e for e in events if isinstance(e, StepStarted)]
        entered = last_started[-1].at if last_started else entered
        if session.step.user_paced:
            t += data.draw(st.floats(0, 30), label="user takes")
            done_at = t
            paced += (done_at - entered) - _overlap(entered, done_at, pauses)
            events += session.advance(t)
            continue
        move = data.draw(st.sampled_from(["burst", "step", "jump", "pause"]), label="move")
        if move == "burst":
            for _ in range(data.draw(st.integers(1, 20), label="burst length")):
                t += data.draw(st.floats(0, 0.05), label="tiny")
                events += session.tick(t)
        elif move == "step":
            t += data.draw(st.floats(0.01, 5), label="dt")
            events += session.tick(t)
        elif move == "jump":
            t += data.draw(st.floats(10, 5000), label="huge")
            events += session.tick(t)
        else:
            events += session.pause(t)
            if session.over:
                break
            length = data.draw(st.floats(0, 1000), label="paused for")
            pauses.append((t, t + length))
            t += length
            events += session.resume(t)
    started = [e.step.index for e in events if isinstance(e, StepStarted)]
    assert started == list(range(len(plan.steps)))
    ended = [e for e in events if isinstance(e, StepEnded)]
    assert [e.step.index for e in ended] == started
    assert not any(e.skipped for e in ended)
    for e in ended:
        if e.step.seconds is not None:
            assert e.active_seconds == e.step.seconds
    check_stream(plan, events)
    finished = events[-1]
    assert isinstance(finished, Finished)
    paused = sum(b - a for a, b in pauses)
    assert abs(finished.at - (start + plan.total_seconds + paused + paced)) < TOL
    assert abs(finished.active_seconds - (plan.total_seconds + paced)) < TOL
    times = [e.at for e in events]
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(times))
    # Cues: each hold gets its countdown and (if long enough) one halfway, once each.
    for step in plan.steps:
        if step.phase != "hold" or step.seconds is None:
            continue
        numbers = [e.number for e in events if isinstance(e, Countdown) and e.step == step]
        assert numbers == list(range(min(3, int(step.seconds) - 1), 0, -1))
        halves = [e for e in events if isinstance(e, Halfway) and e.step == step]
        assert len(halves) == (1 if step.seconds >= 20 else 0)


COMMANDS = [c for c in Command if c is not Command.START]


@SETTINGS
@given(routine=routines(), level=levels, data=st.data())
def test_any_command_sequence_stays_inside_the_plan(
    routine: Routine, level: str, data: st.DataObject
) -> None:
    plan = compile_plan(routine, level)  # type: ignore[arg-type]
    start_index = data.draw(st.integers(0, len(plan.steps) - 1), label="start index")
    session = Session(
        plan,
        start_index=start_index,
        sleep_gap=data.draw(st.sampled_from([None, 5.0]), label="sleep gap"),
    )
    t = 0.0
    events = session.start(t)
    for _ in range(data.draw(st.integers(1, 40), label="commands")):
        t += data.draw(st.one_of(st.just(0.0), st.floats(0, 2), st.floats(0, 100)), label="dt")
        command = data.draw(st.sampled_from(COMMANDS), label="command")
        amount = data.draw(st.sampled_from([-10.0, -1.0, 5.0, 30.0]), label="amount")
        state = session.state
        before = copy.deepcopy(vars(session))
        out = session.handle(command, t, amount)
        if command not in TRANSITIONS[state]:
            assert out == [Refused(t, command, state)]
            assert vars(session) == before
        elif out == [Refused(t, command, state)]:
            assert vars(session) == before  # legal here, but not for this step: no change
        events += out
        assert all(not isinstance(e, Refused) for e in out[:-1])
        if not session.over:
            assert 0 <= session.index < len(plan.steps)
            remaining = session.remaining(t)
            assert remaining is None or remaining >= 0
            assert session.session_remaining(t) >= 0
        if session.step.seconds is not None and session.step_seconds is not None:
            assert session.step_seconds > 0
    check_stream(plan, events)


@SETTINGS
@given(routine=routines(), level=levels, data=st.data())
def test_a_sleep_gap_pauses_at_the_last_tick_and_skips_nothing(
    routine: Routine, level: str, data: st.DataObject
) -> None:
    plan = compile_plan(routine, level)  # type: ignore[arg-type]
    assume(plan.total_seconds > 0)
    session = Session(plan, sleep_gap=5.0)
    start = 50.0
    session.start(start)
    t = start
    sleep_after = data.draw(st.floats(0, plan.total_seconds), label="sleep after")
    while t - start < sleep_after and not session.over:
        if session.step.user_paced:
            session.advance(t)
            continue
        dt = data.draw(st.floats(0.01, 1.0), label="dt")
        t += dt
        session.tick(t)
    assume(not session.over)
    index, left = session.index, session.remaining(t)
    before_total = session.session_remaining(t)
    events = session.tick(t + 60.0)
    assert events == [Paused(t, "sleep")]
    assert session.state is State.PAUSED
    assert (session.index, session.remaining(t + 60.0)) == (index, left)
    resume_at = t + 60.0 + data.draw(st.floats(0, 100), label="wake")
    session.resume(resume_at)
    assert session.index == index
    after = session.remaining(resume_at)
    assert (after is None and left is None) or abs(after - left) < TOL  # type: ignore[operator]
    assert abs(session.session_remaining(resume_at) - before_total) < TOL
    # The rest runs as if the sleep had not happened, shifted by the time asleep.
    u = resume_at
    finished: Finished | None = None
    while not session.over:
        if session.step.user_paced:
            out = session.advance(u)
        else:
            u += 0.5
            out = session.tick(u)
        finished = next((e for e in out if isinstance(e, Finished)), finished)
    assert finished is not None


@SETTINGS
@given(routine=routines(), level=levels, data=st.data())
def test_every_command_lands_where_the_table_says(
    routine: Routine, level: str, data: st.DataObject
) -> None:
    """After an accepted command the state is the table's next state for it, except where
    the catch-up on the way finished the session or found a sleep (then paused). A skip out
    of a pain stop with no exercise after it ends early (the table's Target.NEXT_EXERCISE)."""
    plan = compile_plan(routine, level)  # type: ignore[arg-type]
    session = Session(plan, sleep_gap=data.draw(st.sampled_from([None, 5.0]), label="gap"))
    session.start(0.0)
    assert session.state is State.RUNNING
    t = 0.0
    for _ in range(data.draw(st.integers(1, 30), label="commands")):
        t += data.draw(st.one_of(st.just(0.0), st.floats(0, 2), st.floats(0, 100)), label="dt")
        command = data.draw(st.sampled_from(COMMANDS), label="command")
        state = session.state
        before_pain = session.before_pain
        index = session.index
        out = session.handle(command, t, 5.0)
        if (state, command) not in NEXT_STATE:
            assert out == [Refused(t, command, state)]
            assert session.state is state
            continue
        if out and isinstance(out[-1], Refused):
            continue  # legal here, not for this step (extend a rest, advance a timed step)
        slept = any(isinstance(e, Paused) and e.reason == "sleep" for e in out)
        if session.over and session.state is State.FINISHED:
            continue  # the plan ran out on the way
        last = plan.next_exercise_start(index) is None  # the table's Target.NEXT_EXERCISE
        if (state, command) == (State.PAIN_STOPPED, Command.SKIP_EXERCISE) and last:
            # Nothing to skip to: ended there, said so.
            assert isinstance(out[-1], EndedEarly) and out[-1].skipped_last
        expected = next_state(
            State.PAUSED if slept else state, command, before_pain, last_exercise=last
        )
        if slept and expected is None:
            assert session.state is State.PAUSED  # the command no longer applied
        else:
            assert session.state is expected


#: Session attributes a pain stop and its withdrawal may change when the session was paused
#: (when the stop came, what it interrupted, the shell's latest sign of life).
PAIN_BOOKKEEPING = {"pain_at", "before_pain", "last_tick"}


@SETTINGS
@given(routine=routines(), level=levels, data=st.data())
def test_a_pain_stop_pressed_by_mistake_gives_back_the_state_it_interrupted(
    routine: Routine, level: str, data: st.DataObject
) -> None:
    """After any commands, a pain stop and then "pressed by mistake" leave the session in
    the state the stop found: paused stays paused with every deadline as it was; running
    goes on with the same time left in the same step (the stop was a pause)."""
    plan = compile_plan(routine, level)  # type: ignore[arg-type]
    session = Session(plan, sleep_gap=None)
    t = 0.0
    session.start(t)
    for _ in range(data.draw(st.integers(0, 12), label="commands before")):
        t += data.draw(st.one_of(st.just(0.0), st.floats(0, 5)), label="dt")
        command = data.draw(
            st.sampled_from([c for c in COMMANDS if c not in (Command.PAIN, Command.MISTAKE)]),
            label="command",
        )
        session.handle(command, t, 5.0)
    # The state the stop finds is the one at its moment: a refused command does not move
    # the clock, so the plan may have run out by then (a 1-s hold, a RESUME refused at 1.0).
    session.handle(Command.TICK, t)
    assume(session.state in (State.RUNNING, State.PAUSED))
    state, index = session.state, session.index
    left = session.remaining(t)
    before = copy.deepcopy(vars(session))
    stopped = session.pain(t)
    assert session.state is State.PAIN_STOPPED and len(stopped) == 1
    later = t + data.draw(st.floats(0, 600), label="stopped for")
    session.handle(Command.TICK, later)
    out = session.handle(Command.MISTAKE, later)
    assert session.state is state
    assert session.index == index
    if state is State.PAUSED:
        assert out == [PainWithdrawnPaused(later, t)]
        after = vars(session)
        assert {k for k in after if after[k] != before[k]} <= PAIN_BOOKKEEPING
        assert session.remaining(later) == left
    else:
        assert out == [PainWithdrawn(later, later - t, t)]
        remaining = session.remaining(later)
        assert (remaining is None and left is None) or abs(remaining - left) < TOL  # type: ignore[operator]


#: Commands that stop the clock and start it again come often, so that pauses, pain stops
#: and the choices after them meet in every order.
STOP_AND_GO = [
    Command.PAUSE,
    Command.PAIN,
    Command.RESUME,
    Command.SKIP_EXERCISE,
    Command.MISTAKE,
    Command.SKIP_STEP,
    Command.TICK,
    Command.BACK,
]


@SETTINGS
@given(routine=routines(), level=levels, data=st.data())
def test_every_restart_of_the_clock_is_one_event_with_the_time_it_was_stopped(
    routine: Routine, level: str, data: st.DataObject
) -> None:
    """Whenever a command takes a stopped clock (paused, pain-stopped, asleep) back to
    running, its events carry exactly one :class:`ClockRestarted` (a resume is one) with the
    time the clock stood still; no other command carries one. So a listener that closes
    its pause at each restart has, while the session runs, counted every paused second."""
    plan = compile_plan(routine, level)  # type: ignore[arg-type]
    session = Session(plan, sleep_gap=data.draw(st.sampled_from([None, 5.0]), label="gap"))
    t = 0.0
    session.start(t)
    counted = 0.0
    for _ in range(data.draw(st.integers(1, 30), label="commands")):
        t += data.draw(st.one_of(st.just(0.0), st.floats(0, 3), st.floats(0, 100)), label="dt")
        command = data.draw(
            st.one_of(st.sampled_from(STOP_AND_GO), st.sampled_from(COMMANDS)), label="command"
        )
        stopped = session.paused_at is not None and not session.over
        total = session.paused_total
        out = session.handle(command, t, 5.0)
        restarts = [e for e in out if isinstance(e, ClockRestarted)]
        counted += sum(e.paused_seconds for e in restarts)
        if stopped and session.state is State.RUNNING:
            assert len(restarts) == 1, (command, out)
            assert restarts[0].at == t
            assert abs(restarts[0].paused_seconds - (session.paused_total - total)) < TOL
        else:
            assert restarts == [], (command, out)
        if session.state is State.RUNNING:
            assert abs(counted - session.paused_total) < TOL
        if session.over:
            break


@SETTINGS
@given(routine=routines(), level=levels, data=st.data())
def test_a_step_made_longer_keeps_every_length_and_total_true(
    routine: Routine, level: str, data: st.DataObject
) -> None:
    """After any commands, with any room asked on a resume or "pressed by mistake": only a
    step that lasts as long as its words need is made longer, never shorter, just before
    the clock runs again; a step run to its end lasted its planned seconds plus what +/-
    and those made it longer; the steps' lengths add up to the session's active time; the
    time left in the step is its deadline's."""
    plan = compile_plan(routine, level)  # type: ignore[arg-type]
    session = Session(plan, sleep_gap=data.draw(st.sampled_from([None, 5.0]), label="gap"))
    t = 0.0
    events = session.start(t)
    for _ in range(data.draw(st.integers(1, 40), label="commands")):
        t += data.draw(st.one_of(st.just(0.0), st.floats(0, 3), st.floats(0, 100)), label="dt")
        command = data.draw(
            st.one_of(
                st.sampled_from([Command.RESUME, Command.MISTAKE]),
                st.sampled_from(STOP_AND_GO),
                st.sampled_from(COMMANDS),
            ),
            label="command",
        )
        amount = data.draw(st.sampled_from([0.0, 1.0, 7.0, 30.0, -5.0]), label="amount")
        if command in (Command.RESUME, Command.MISTAKE) and session.state is State.RUNNING:
            # Often one where it stood: a pause or a pain stop in the same step first.
            out = session.handle(data.draw(st.sampled_from([Command.PAUSE, Command.PAIN])), t)
            events += out
            t += data.draw(st.floats(0, 3), label="stopped for")
        deadline, index = session.deadline, session.index
        out = session.handle(command, t, amount)
        made = [e for e in out if isinstance(e, Lengthened)]
        if made:
            assert command in (Command.RESUME, Command.MISTAKE)
            assert len(made) == 1 and made[0].step.phase_info.stretchable
            assert made[0].delta == amount > 0
            restarted = out[out.index(made[0]) + 1]
            assert isinstance(restarted, Resumed)  # a PainWithdrawn is one too
            assert session.index == index and deadline is not None
            assert session.deadline is not None
            assert abs(session.deadline - (deadline + restarted.paused_seconds + amount)) < TOL
            assert session.step_seconds == made[0].seconds
        events += out
        if session.over:
            break
        left = session.remaining(t)
        if left is not None:
            assert session.deadline is not None
            assert abs(left - max(0.0, session.deadline - session._clock(t))) < TOL
    if not session.over:
        events += session.end(t)
    check_stream(plan, events)
    length: float | None = None
    for event in events:
        if isinstance(event, StepStarted):
            length = event.seconds
        elif isinstance(event, Extended | Lengthened) and length is not None:
            length += event.delta
            assert abs(length - event.seconds) < TOL
        elif isinstance(event, StepEnded) and not event.skipped and length is not None:
            assert abs(event.active_seconds - length) < TOL
    # The last event but a command refused once the plan ran out on the way (a pause
    # caught up to the end of it, then the resume came).
    last = next(e for e in reversed(events) if not isinstance(e, Refused))
    assert isinstance(last, Finished | EndedEarly)
    steps = sum(e.active_seconds for e in events if isinstance(e, StepEnded))
    assert abs(steps - last.active_seconds) < 1e-6 * max(1.0, steps)
