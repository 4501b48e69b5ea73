"""The session state machine: every command in every state, and the edge cases one by one.

Time is a number passed in: no test sleeps. The plan used by most tests (``PLAN``) is::

    0 get_ready A 10s | 1 hold R1 30s | 2 rest 10s | 3 hold R2 30s | 4 switch 5s
    5 hold L1 30s | 6 rest 10s | 7 hold L2 30s | 8 transition 5s
    9 get_ready B 10s | 10 rep B user-paced | 11 transition 5s
    12 get_ready C 10s | 13 rep C1 4s | 14 rep C2 4s
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from backtimer.core.engine import (
    BACK_GRACE,
    MIN_HOLD,
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
    PainStopped,
    PainWithdrawn,
    PainWithdrawnPaused,
    Paused,
    Refused,
    Resumed,
    Session,
    State,
    StepEnded,
    StepStarted,
    Target,
    next_state,
)
from backtimer.core.plan import Plan, Step, compile_plan
from backtimer.core.routine import MAX_DURATION
from backtimer.core.schema import validate_routine

ROUTINE = validate_routine(
    {
        "name": "Table",
        "defaults": {"get_ready": 10, "transition": 5, "rest": 10, "switch": 5, "set_rest": 30},
        "exercises": [
            {
                "name": "Knee to chest",
                "position": "Lie on your back",
                "hold": 30,
                "reps": 2,
                "sides": "both",
            },
            {"name": "Cat cow", "position": "Kneel on all fours", "user_paced": True},
            {
                "name": "Bridge",
                "position": "Lie on your back",
                "tempo": {"lift": 2, "lower": 2},
                "reps": 2,
                "rest": 0,
            },
        ],
    }
)
PLAN = compile_plan(ROUTINE)
HOLD, REST, SWITCH, B_START, PACED, C_START, LAST = 1, 2, 4, 9, 10, 12, 14


def test_the_fixture_plan_is_what_the_tests_assume() -> None:
    phases = [s.phase for s in PLAN.steps]
    assert phases == [
        "get_ready",
        "hold",
        "rest",
        "hold",
        "switch_sides",
        "hold",
        "rest",
        "hold",
        "transition",
        "get_ready",
        "rep",
        "transition",
        "get_ready",
        "rep",
        "rep",
    ]
    assert PLAN.steps[PACED].seconds is None
    assert PLAN.steps[HOLD].seconds == 30
    assert PLAN.steps[LAST].seconds == 4


def snapshot(session: Session) -> dict[str, Any]:
    """Every attribute of a session, deep-copied, to compare before and after a command."""
    return copy.deepcopy(vars(session))


def kinds(events: list[Event]) -> list[type]:
    return [type(e) for e in events]


# ------------------------------------------------------------- the transition table

#: The table as the issue describes it, written out independently of the engine's.
LEGAL: dict[State, set[Command]] = {
    State.READY: {Command.START, Command.TICK, Command.END},
    State.RUNNING: {
        Command.TICK,
        Command.PAUSE,
        Command.SKIP_STEP,
        Command.SKIP_EXERCISE,
        Command.BACK,
        Command.EXTEND,
        Command.PAIN,
        Command.END,
        Command.ADVANCE,
    },
    State.PAUSED: {
        Command.TICK,
        Command.RESUME,
        Command.SKIP_STEP,
        Command.SKIP_EXERCISE,
        Command.BACK,
        Command.EXTEND,
        Command.PAIN,
        Command.END,
    },
    # Issue 12: MISTAKE takes a pain stop pressed by mistake back.
    State.PAIN_STOPPED: {
        Command.TICK,
        Command.RESUME,
        Command.SKIP_EXERCISE,
        Command.END,
        Command.MISTAKE,
    },
    State.FINISHED: {Command.TICK},
    State.ENDED_EARLY: {Command.TICK},
}


def test_transition_table_matches_the_issue() -> None:
    assert set(TRANSITIONS) == set(State)
    assert {state: set(cmds) for state, cmds in TRANSITIONS.items()} == LEGAL


T0 = 100.0  # when the session starts
T1 = 105.0  # 5 s into the first hold: pause, pain or end happen here


def in_state(state: State) -> tuple[Session, float]:
    """A session (at step HOLD) in ``state``, and the time of the next command."""
    session = Session(PLAN, start_index=HOLD)
    if state is State.READY:
        return session, T0
    session.start(T0)
    if state is State.RUNNING:
        return session, T1
    if state is State.PAUSED:
        session.pause(T1)
    elif state is State.PAIN_STOPPED:
        session.pain(T1)
    elif state is State.ENDED_EARLY:
        session.end(T1)
    elif state is State.FINISHED:
        session.skip_exercise(T1)  # to B
        session.skip_exercise(T1)  # to C
        session.skip_exercise(T1)  # past the last exercise
    assert session.state is state
    return session, 120.0


@pytest.mark.parametrize("state", list(State))
def test_in_state_builds_every_state(state: State) -> None:
    session, _ = in_state(state)
    assert session.state is state


Check = Callable[[Session, list[Event], dict[str, Any], float], None]
EXPECT: dict[tuple[State, Command], Check] = {}


def expect(state: State, command: Command) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        EXPECT[(state, command)] = check
        return check

    return register


def changed(before: dict[str, Any], session: Session) -> set[str]:
    after = vars(session)
    return {key for key in after if after[key] != before[key]}


# READY ---------------------------------------------------------------------------


@expect(State.READY, Command.START)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    assert s.state is State.RUNNING
    assert ev == [StepStarted(now, PLAN.steps[HOLD], 30.0)]
    assert s.deadline == now + 30
    assert s.started_at == now


@expect(State.READY, Command.TICK)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    assert ev == []
    assert snapshot(s) == before


@expect(State.READY, Command.END)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    assert s.state is State.ENDED_EARLY
    assert ev == [EndedEarly(now, None, 0.0, now)]


# RUNNING (5 s into a 30 s hold) -------------------------------------------------------


@expect(State.RUNNING, Command.TICK)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    assert ev == []
    assert changed(before, s) == {"last_tick"}
    assert s.last_tick == now
    assert s.remaining(now) == 25


@expect(State.RUNNING, Command.PAUSE)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    assert s.state is State.PAUSED
    assert ev == [Paused(now, "user")]
    assert s.paused_at == now
    assert s.remaining(now + 1000) == 25  # the clock is frozen


@expect(State.RUNNING, Command.SKIP_STEP)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    assert s.state is State.RUNNING
    assert ev == [
        StepEnded(now, PLAN.steps[HOLD], 5.0, True),
        StepStarted(now, PLAN.steps[REST], 10.0),
    ]
    assert s.index == REST
    assert s.deadline == now + 10


@expect(State.RUNNING, Command.SKIP_EXERCISE)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    assert s.state is State.RUNNING
    assert ev == [
        StepEnded(now, PLAN.steps[HOLD], 5.0, True),
        StepStarted(now, PLAN.steps[B_START], 10.0),
    ]
    assert s.index == B_START


@expect(State.RUNNING, Command.BACK)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    # 5 s in: past the grace period, so the hold restarts (no step before it is entered).
    assert now - T0 > BACK_GRACE
    assert ev == [
        StepEnded(now, PLAN.steps[HOLD], 5.0, True),
        StepStarted(now, PLAN.steps[HOLD], 30.0),
    ]
    assert s.index == HOLD
    assert s.deadline == now + 30


@expect(State.RUNNING, Command.EXTEND)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    assert ev == [Extended(now, PLAN.steps[HOLD], 10.0, 40.0)]
    assert s.deadline == T0 + 40
    assert s.step_seconds == 40
    assert s.state is State.RUNNING


@expect(State.RUNNING, Command.PAIN)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    step = PLAN.steps[HOLD]
    assert s.state is State.PAIN_STOPPED
    assert ev == [
        PainStopped(now, step, "Knee to chest", 0, "right", 1, 1, "hold", 5.0),
    ]
    assert s.remaining(now + 60) == 25  # the clock stopped at once


@expect(State.RUNNING, Command.END)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    assert s.state is State.ENDED_EARLY
    assert ev == [
        StepEnded(now, PLAN.steps[HOLD], 5.0, True),
        EndedEarly(now, PLAN.steps[HOLD], 5.0, now),
    ]


@expect(State.RUNNING, Command.ADVANCE)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    # Legal while running, but a timed hold cannot be ended by "done": refused, unchanged.
    assert ev == [Refused(now, Command.ADVANCE, State.RUNNING)]
    assert snapshot(s) == before


# PAUSED (paused 5 s into the hold at T1; the command comes at 120) ---------------------


@expect(State.PAUSED, Command.TICK)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    assert ev == []
    assert changed(before, s) == {"last_tick"}
    assert s.remaining(now) == 25


@expect(State.PAUSED, Command.RESUME)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    assert s.state is State.RUNNING
    assert ev == [Resumed(now, now - T1)]
    assert s.deadline == now + 25  # the remaining time is kept
    assert s.paused_total == now - T1


@expect(State.PAUSED, Command.SKIP_STEP)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    assert s.state is State.PAUSED  # still paused, on the next step
    assert ev == [
        StepEnded(T1, PLAN.steps[HOLD], 5.0, True),
        StepStarted(T1, PLAN.steps[REST], 10.0),
    ]
    assert s.index == REST
    assert s.remaining(now) == 10


@expect(State.PAUSED, Command.SKIP_EXERCISE)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    assert s.state is State.PAUSED
    assert kinds(ev) == [StepEnded, StepStarted]
    assert s.index == B_START
    assert s.remaining(now) == 10


@expect(State.PAUSED, Command.BACK)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    assert s.state is State.PAUSED
    assert ev == [
        StepEnded(T1, PLAN.steps[HOLD], 5.0, True),
        StepStarted(T1, PLAN.steps[HOLD], 30.0),
    ]
    assert s.remaining(now) == 30


@expect(State.PAUSED, Command.EXTEND)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    assert s.state is State.PAUSED
    assert ev == [Extended(T1, PLAN.steps[HOLD], 10.0, 40.0)]
    assert s.remaining(now) == 35


@expect(State.PAUSED, Command.PAIN)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    assert s.state is State.PAIN_STOPPED
    step = PLAN.steps[HOLD]
    # Pain while paused: the second into the session is where the pause froze it.
    assert ev == [PainStopped(now, step, step.exercise, 0, "right", 1, 1, "hold", 5.0)]


@expect(State.PAUSED, Command.END)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    assert s.state is State.ENDED_EARLY
    assert ev == [
        StepEnded(T1, PLAN.steps[HOLD], 5.0, True),
        EndedEarly(T1, PLAN.steps[HOLD], 5.0, now),
    ]


# PAIN_STOPPED (at T1; the command comes at 120) -----------------------------------------


@expect(State.PAIN_STOPPED, Command.TICK)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    assert ev == []
    assert changed(before, s) == {"last_tick"}


@expect(State.PAIN_STOPPED, Command.RESUME)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    # The interrupted hold starts again from its beginning.
    assert s.state is State.RUNNING
    assert ev == [
        Resumed(now, now - T1),
        StepEnded(now, PLAN.steps[HOLD], 5.0, True),
        StepStarted(now, PLAN.steps[HOLD], 30.0),
    ]
    assert s.deadline == now + 30


@expect(State.PAIN_STOPPED, Command.SKIP_EXERCISE)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    assert s.state is State.RUNNING
    assert ev == [
        ClockRestarted(now, now - T1),  # the clock runs again: said, not just done
        StepEnded(now, PLAN.steps[HOLD], 5.0, True),
        StepStarted(now, PLAN.steps[B_START], 10.0),
    ]
    assert s.deadline == now + 10


@expect(State.PAIN_STOPPED, Command.END)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    assert s.state is State.ENDED_EARLY
    assert ev == [
        StepEnded(T1, PLAN.steps[HOLD], 5.0, True),
        EndedEarly(T1, PLAN.steps[HOLD], 5.0, now),
    ]


@expect(State.PAIN_STOPPED, Command.MISTAKE)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    # Pressed by mistake: the hold goes on where it was; the stop was a pause.
    assert s.state is State.RUNNING and s.index == HOLD
    assert ev == [PainWithdrawn(now, now - T1, T1)]
    assert s.deadline == before["deadline"] + (now - T1)
    assert s.remaining(now) == pytest.approx(25.0)


# FINISHED and ENDED_EARLY: only ticks, which do nothing ----------------------------------


@expect(State.FINISHED, Command.TICK)
@expect(State.ENDED_EARLY, Command.TICK)
def _(s: Session, ev: list[Event], before: dict[str, Any], now: float) -> None:
    assert ev == []
    assert snapshot(s) == before


def test_every_legal_pair_has_an_expectation() -> None:
    legal = {(state, cmd) for state, cmds in LEGAL.items() for cmd in cmds}
    assert set(EXPECT) == legal


@pytest.mark.parametrize("command", list(Command), ids=str)
@pytest.mark.parametrize("state", list(State), ids=str)
def test_every_command_in_every_state(state: State, command: Command) -> None:
    session, now = in_state(state)
    before = snapshot(session)
    events = session.handle(command, now, 10.0)
    if command in LEGAL[state]:
        EXPECT[(state, command)](session, events, before, now)
    else:
        assert events == [Refused(now, command, state)]
        assert snapshot(session) == before


@pytest.mark.parametrize("state", list(State), ids=str)
def test_commands_can_be_named_by_string(state: State) -> None:
    session, now = in_state(state)
    assert session.handle("tick", now) == []


# ------------------------------------------------------------------- time and ticks


def test_a_tick_across_many_deadlines_walks_every_step_in_order() -> None:
    session = Session(PLAN, sleep_gap=None)
    session.start(0.0)
    events = session.tick(10 + 30 + 10 + 30 + 1)  # into the switch step
    started = [e for e in events if isinstance(e, StepStarted)]
    ended = [e for e in events if isinstance(e, StepEnded)]
    assert [e.step.index for e in started] == [1, 2, 3, 4]
    assert [e.at for e in started] == [10, 40, 50, 80]
    assert [e.step.index for e in ended] == [0, 1, 2, 3]
    assert all(not e.skipped for e in ended)
    assert [e.active_seconds for e in ended] == [10, 30, 10, 30]
    # Both holds' cues came out, each at its own time, and in time order overall.
    halfway = [e.at for e in events if isinstance(e, Halfway)]
    countdown = [(e.step.index, e.number, e.at) for e in events if isinstance(e, Countdown)]
    assert halfway == [25, 65]
    assert countdown == [(1, 3, 37), (1, 2, 38), (1, 1, 39), (3, 3, 77), (3, 2, 78), (3, 1, 79)]
    times = [e.at for e in events]
    assert times == sorted(times)
    assert session.index == SWITCH
    assert session.remaining(81) == 4


def test_cues_come_once_each_however_the_ticks_fall() -> None:
    session = Session(PLAN, start_index=HOLD, sleep_gap=None)
    session.start(0.0)
    events: list[Event] = []
    t = 0.0
    while t < 30.0:
        t = round(t + 0.1, 10)
        events += session.tick(t)
    assert [e.number for e in events if isinstance(e, Countdown)] == [3, 2, 1]
    assert len([e for e in events if isinstance(e, Halfway)]) == 1
    assert session.index == REST


def test_no_halfway_for_short_holds_and_no_cues_for_rests() -> None:
    routine = validate_routine(
        {"name": "x", "exercises": [{"name": "a", "hold": 19, "reps": 2, "rest": 20}]}
    )
    session = Session(compile_plan(routine), sleep_gap=None)
    session.start(0.0)
    events = session.tick(10 + 19 + 20 + 19)
    assert not [e for e in events if isinstance(e, Halfway)]
    countdown_steps = {e.step.phase for e in events if isinstance(e, Countdown)}
    assert countdown_steps == {"hold"}
    assert len([e for e in events if isinstance(e, Countdown)]) == 6
    assert isinstance(events[-1], Finished)


def test_pause_moves_the_deadline_by_the_time_paused() -> None:
    session = Session(PLAN, start_index=HOLD, sleep_gap=None)
    session.start(0.0)
    session.tick(12.0)
    session.pause(12.5)
    assert session.tick(500.0) == []  # nothing happens while paused
    session.resume(600.0)
    assert session.deadline == 30 + 587.5
    assert session.remaining(600.0) == 17.5
    assert session.active_seconds(600.0) == 12.5
    events = session.tick(617.5)
    assert kinds(events)[-2:] == [StepEnded, StepStarted]
    assert events[-1].at == 617.5


def test_a_long_gap_between_ticks_pauses_where_the_gap_began() -> None:
    session = Session(PLAN, start_index=HOLD, sleep_gap=5.0)
    session.start(0.0)
    for t in (1.0, 2.0, 3.0, 4.0):
        assert session.tick(t) == []
    left = session.remaining(4.0)
    events = session.tick(64.0)  # the machine slept for a minute
    assert events == [Paused(4.0, "sleep")]
    assert session.state is State.PAUSED
    assert session.index == HOLD  # nothing skipped
    assert session.remaining(64.0) == left == 26
    events = session.resume(70.0)
    assert events == [Resumed(70.0, 66.0)]
    assert session.remaining(70.0) == left
    assert session.deadline == 96.0


def test_a_gap_is_measured_from_the_last_command_too() -> None:
    # Ticks at 0, a skip at 4 (the shell was awake), a tick at 8: no sleep, and above all
    # no pause backdated to 0, before the skip.
    session = Session(PLAN, start_index=HOLD, sleep_gap=5.0)
    session.start(0.0)
    session.skip_step(4.0)
    events = session.tick(8.0)
    assert session.state is State.RUNNING
    assert events == []
    assert session.remaining(8.0) == 6.0


def test_a_gap_after_steps_were_due_runs_them_out_then_pauses() -> None:
    # The last tick was at 29.9; the hold was due to end at 30.0, but the gap began at 29.9,
    # so the session pauses at 29.9 with 0.1 s left, and nothing is skipped.
    session = Session(PLAN, start_index=HOLD, sleep_gap=5.0)
    session.start(0.0)
    t = 0.0
    while t < 29.9:
        t = round(t + 0.5, 10) if t + 0.5 < 29.9 else 29.9
        session.tick(t)
    events = session.tick(1000.0)
    assert events == [Paused(29.9, "sleep")]
    assert session.remaining(1000.0) == pytest.approx(0.1)
    session.resume(2000.0)
    events = session.tick(2000.2)
    assert [e.step.index for e in events if isinstance(e, StepStarted)] == [REST]


def test_sleep_detection_can_be_turned_off() -> None:
    session = Session(PLAN, start_index=HOLD, sleep_gap=None)
    session.start(0.0)
    events = session.tick(35.0)
    assert session.state is State.RUNNING
    assert session.index == REST
    assert not [e for e in events if isinstance(e, Paused)]


# ---------------------------------------------------------------------------- back


def test_back_at_index_zero_restarts_the_first_step() -> None:
    session = Session(PLAN, sleep_gap=None)
    session.start(0.0)
    events = session.back(1.0)  # within the grace period, but there is no step before
    assert session.index == 0
    assert events == [StepEnded(1.0, PLAN.steps[0], 1.0, True), StepStarted(1.0, PLAN.steps[0], 10)]
    assert session.remaining(1.0) == 10


def test_back_just_after_a_step_began_goes_to_the_previous_step() -> None:
    session = Session(PLAN, sleep_gap=None)
    session.start(0.0)
    session.tick(11.0)  # the first hold began at 10
    assert session.index == HOLD
    events = session.back(11.0)
    assert session.index == 0
    assert events[-1] == StepStarted(11.0, PLAN.steps[0], 10)
    # Later in a step, back restarts it.
    session.tick(15.0)
    session.back(15.0)
    assert session.index == 0
    assert session.remaining(15.0) == 10


def test_back_counts_only_unpaused_time_in_the_step() -> None:
    session = Session(PLAN, start_index=HOLD, sleep_gap=None)
    session.start(0.0)
    session.pause(1.0)
    session.resume(50.0)  # 49 s paused, 1 s active
    session.back(51.0)  # 2 s active: just began -> previous step
    assert session.index == HOLD - 1


# --------------------------------------------------------------------------- extend


def test_extend_near_the_end_of_a_hold() -> None:
    session = Session(PLAN, start_index=HOLD, sleep_gap=None)
    session.start(0.0)
    events = session.tick(29.5)
    assert [e.number for e in events if isinstance(e, Countdown)] == [3, 2, 1]
    # Too late to shorten: refused, nothing changes.
    before = snapshot(session)
    assert session.extend(29.5, -10) == [Refused(29.5, Command.EXTEND, State.RUNNING)]
    assert snapshot(session) == before
    # Lengthening works, and the countdown will be said again before the new end.
    assert session.extend(29.5, 10) == [Extended(29.5, PLAN.steps[HOLD], 10.0, 40.0)]
    assert session.remaining(29.5) == 10.5
    events = session.tick(40.0)
    assert [e.number for e in events if isinstance(e, Countdown)] == [3, 2, 1]
    assert [e.at for e in events if isinstance(e, Countdown)] == [37, 38, 39]
    assert session.index == REST


def test_extend_never_shortens_below_the_minimum_nor_below_a_moment_left() -> None:
    session = Session(PLAN, start_index=HOLD, sleep_gap=None)
    session.start(0.0)
    (event,) = session.extend(1.0, -100)
    assert isinstance(event, Extended)
    assert event.seconds == MIN_HOLD
    assert session.step_seconds == MIN_HOLD
    assert session.deadline == MIN_HOLD
    session.tick(4.5)
    (event,) = session.extend(4.5, -3)  # 0.5 s left: cannot shorten further
    assert isinstance(event, Refused)


def test_shortening_a_hold_already_under_the_minimum_is_refused_not_lengthened() -> None:
    routine = validate_routine({"name": "x", "exercises": [{"name": "a", "hold": 3}]})
    session = Session(compile_plan(routine), start_index=1, sleep_gap=None)
    session.start(0.0)
    before = snapshot(session)
    assert session.extend(0.5, -5) == [Refused(0.5, Command.EXTEND, State.RUNNING)]
    assert snapshot(session) == before
    assert session.deadline == 3.0


def test_extend_is_refused_outside_a_timed_hold_and_capped_at_the_longest_hold() -> None:
    session = Session(PLAN, sleep_gap=None)
    session.start(0.0)
    before = snapshot(session)
    assert session.extend(1.0, 10) == [Refused(1.0, Command.EXTEND, State.RUNNING)]  # get_ready
    assert snapshot(session) == before
    session.skip_step(2.0)
    (event,) = session.extend(2.0, 10**9)
    assert isinstance(event, Extended)
    assert event.seconds == MAX_DURATION
    assert session.extend(3.0, float("nan")) == [Refused(3.0, Command.EXTEND, State.RUNNING)]


def test_an_extension_is_kept_when_the_hold_is_restarted() -> None:
    session = Session(PLAN, start_index=HOLD, sleep_gap=None)
    session.start(0.0)
    session.extend(10.0, 5)
    session.back(10.0)
    assert session.step_seconds == 35
    assert session.deadline == 45.0


# ----------------------------------------------------------------------- pain, end


def test_pain_while_paused_then_resume_restarts_the_step() -> None:
    session = Session(PLAN, start_index=HOLD, sleep_gap=None)
    session.start(0.0)
    session.pause(7.0)
    (pain,) = session.pain(20.0)
    assert isinstance(pain, PainStopped)
    assert pain.session_second == 7.0
    assert (pain.exercise, pain.side, pain.set, pain.rep, pain.phase) == (
        "Knee to chest",
        "right",
        1,
        1,
        "hold",
    )
    events = session.resume(30.0)
    assert kinds(events) == [Resumed, StepEnded, StepStarted]
    assert events[1].active_seconds == 7.0
    assert session.remaining(30.0) == 30
    assert session.active_seconds(30.0) == 7.0


def test_pain_reports_the_second_into_the_session_excluding_pauses() -> None:
    session = Session(PLAN, sleep_gap=None)
    session.start(0.0)
    session.tick(12.0)
    session.pause(12.0)
    session.resume(100.0)
    session.tick(103.0)
    events = session.pain(104.0)
    (pain,) = events
    assert isinstance(pain, PainStopped)
    assert pain.session_second == 16.0
    assert pain.step.index == HOLD


def test_pain_after_a_missed_deadline_stops_in_the_step_that_is_due() -> None:
    session = Session(PLAN, start_index=HOLD, sleep_gap=None)
    session.start(0.0)
    events = session.pain(31.0)  # no tick since the start: the hold ended at 30
    assert kinds(events)[-1] is PainStopped
    assert events[-1].phase == "rest"


def test_skip_exercise_on_the_last_exercise_finishes() -> None:
    session = Session(PLAN, start_index=C_START, sleep_gap=None)
    session.start(0.0)
    events = session.skip_exercise(2.0)
    assert kinds(events) == [StepEnded, Finished]
    assert session.state is State.FINISHED
    assert events[-1] == Finished(2.0, 2.0, 2.0)


def test_skip_step_on_the_last_step_finishes_even_while_paused() -> None:
    session = Session(PLAN, start_index=LAST, sleep_gap=None)
    session.start(0.0)
    session.pause(1.0)
    events = session.skip_step(5.0)
    assert kinds(events) == [StepEnded, Finished]
    # The clock stopped at the pause (1 s of activity); the person ended it at 5 s, when
    # the session's record ends (its pause lies within it: 1 s to 5 s).
    assert events[-1] == Finished(1.0, 1.0, 5.0)
    assert session.state is State.FINISHED
    assert session.paused_at is None


def test_skip_exercise_after_pain_on_the_last_exercise_ends_early() -> None:
    """Nothing comes after the exercise a pain stop interrupted: the session ends there,
    as "end" would end it (it did not complete as prescribed), and says why."""
    session = Session(PLAN, start_index=LAST, sleep_gap=None)
    session.start(0.0)
    session.pain(1.0)
    events = session.skip_exercise(9.0)
    assert kinds(events) == [StepEnded, EndedEarly]
    assert session.state is State.ENDED_EARLY
    assert events == [
        StepEnded(1.0, PLAN.steps[LAST], 1.0, True),
        EndedEarly(1.0, PLAN.steps[LAST], 1.0, 9.0, skipped_last=True),
    ]
    ended = Session(PLAN, start_index=LAST, sleep_gap=None)
    ended.start(0.0)
    ended.pain(1.0)
    assert ended.end(9.0) == [*events[:-1], EndedEarly(1.0, PLAN.steps[LAST], 1.0, 9.0)]


def test_end_from_ready() -> None:
    session = Session(PLAN)
    assert session.end(3.0) == [EndedEarly(3.0, None, 0.0, 3.0)]
    assert session.state is State.ENDED_EARLY
    assert session.over
    assert session.session_remaining(3.0) == 0
    assert session.start(4.0) == [Refused(4.0, Command.START, State.ENDED_EARLY)]


def test_end_after_the_plan_ran_out_finishes_instead() -> None:
    session = Session(PLAN, start_index=LAST, sleep_gap=None)
    session.start(0.0)
    events = session.end(10.0)  # the last step ended at 4, before the end was asked for
    assert kinds(events) == [StepEnded, Finished]
    assert session.state is State.FINISHED


# ---------------------------------------------------------------------- user-paced


def test_a_user_paced_step_waits_for_advance() -> None:
    session = Session(PLAN, start_index=PACED, sleep_gap=None)
    events = session.start(0.0)
    assert events == [StepStarted(0.0, PLAN.steps[PACED], None)]
    assert session.remaining(0.0) is None
    assert session.tick(10_000.0) == []
    assert session.index == PACED
    events = session.advance(10_000.0)
    assert events == [
        StepEnded(10_000.0, PLAN.steps[PACED], 10_000.0, False),
        StepStarted(10_000.0, PLAN.steps[PACED + 1], 5.0),
    ]


def test_a_user_paced_step_with_sides() -> None:
    routine = validate_routine(
        {
            "name": "x",
            "exercises": [{"name": "a", "user_paced": True, "sides": "both", "get_ready": 0}],
        }
    )
    plan = compile_plan(routine)
    assert [(s.phase, s.side, s.seconds) for s in plan.steps] == [
        ("rep", "right", None),
        ("switch_sides", "left", 5.0),
        ("rep", "left", None),
    ]
    session = Session(plan, sleep_gap=None)
    session.start(0.0)
    session.advance(3.0)
    session.tick(8.0)
    assert session.index == 2
    events = session.advance(9.0)
    assert events[-1] == Finished(9.0, 9.0, 9.0)


# ---------------------------------------------------------------- start, queries


def test_a_session_can_start_at_any_step() -> None:
    session = Session(PLAN, start_index=C_START, sleep_gap=None)
    assert session.session_remaining(0.0) == 18
    session.start(50.0)
    events = session.tick(1000.0)
    assert events[-1] == Finished(68.0, 18.0, 68.0)  # on the clock's deadline


@pytest.mark.parametrize("index", [-1, len(PLAN.steps)])
def test_a_start_index_outside_the_plan_is_an_error(index: int) -> None:
    with pytest.raises(ValueError, match="outside the plan"):
        Session(PLAN, start_index=index)


def test_an_empty_plan_cannot_be_run() -> None:
    with pytest.raises(ValueError, match="no steps"):
        Session(Plan(name="empty", steps=()))


def test_queries_through_a_session() -> None:
    session = Session(PLAN, sleep_gap=None)
    assert session.session_remaining(0.0) == PLAN.total_seconds
    assert session.step_elapsed(0.0) == 0.0
    session.start(0.0)
    session.tick(25.0)
    assert session.step_elapsed(25.0) == 15.0
    assert session.active_seconds(25.0) == 25.0
    assert session.session_remaining(25.0) == PLAN.total_seconds - 25.0
    session.pause(25.0)
    assert session.session_remaining(99.0) == PLAN.total_seconds - 25.0
    assert session.accepts(Command.RESUME)
    assert not session.accepts(Command.PAUSE)


def test_the_session_clock_stops_when_the_session_is_over() -> None:
    finished = Session(PLAN, start_index=LAST, sleep_gap=None)
    finished.start(0.0)
    finished.tick(100.0)
    assert finished.state is State.FINISHED
    assert finished.active_seconds(100.0) == finished.active_seconds(5000.0) == 4.0
    ended = Session(PLAN, start_index=HOLD, sleep_gap=None)
    ended.start(0.0)
    ended.end(12.0)
    assert ended.active_seconds(12.0) == ended.active_seconds(900.0) == 12.0
    assert ended.step_elapsed(900.0) == 0.0
    assert ended.remaining(900.0) is None


def test_active_seconds_at_the_time_of_each_event_in_a_batch() -> None:
    session = Session(PLAN, start_index=C_START, sleep_gap=None)
    session.start(0.0)
    events = session.tick(100.0)  # walks steps 12..14, then finishes at 18
    assert isinstance(events[-1], Finished)
    assert [session.active_seconds(e.at) for e in events if isinstance(e, StepStarted)] == [
        10.0,
        14.0,
    ]
    assert session.active_seconds(100.0) == 18.0


def test_a_key_after_a_sleep_pauses_at_the_gap_before_applying() -> None:
    """A key pressed after waking, before any tick, never runs the session through the sleep."""
    from backtimer.core.engine import PainStopped, Paused

    plan = Plan(
        name="sleep",
        steps=tuple(
            Step(i, "hold", 0, "Hold", None, 1, 1, i + 1, 3, 10.0, f"Hold {i}.") for i in range(3)
        ),
    )
    session = Session(plan, sleep_gap=5.0)
    session.start(0.0)
    session.tick(4.0)
    events = session.pain(600.0)  # woke after ten minutes and pressed x
    kinds = [type(e) for e in events]
    assert kinds == [Paused, PainStopped]
    assert events[0].at == 4.0 and events[0].reason == "sleep"
    assert session.index == 0  # nothing skipped ahead
    assert session.remaining(600.0) == 6.0
    assert events[1].session_second == 4.0


# A pain stop pressed by mistake gives back exactly the state it interrupted ------------

#: What a pain stop and its withdrawal may change: when the stop came, what it interrupted,
#: and the shell's latest sign of life.
PAIN_BOOKKEEPING = {"pain_at", "before_pain", "last_tick"}


def test_a_pain_stop_while_paused_pressed_by_mistake_stays_paused() -> None:
    session, now = in_state(State.PAUSED)  # paused 5 s into the 30 s hold
    before = snapshot(session)
    session.pain(now)
    events = session.handle(Command.MISTAKE, now + 40)
    assert session.state is State.PAUSED  # not running: the clock did not start
    assert events == [PainWithdrawnPaused(now + 40, now)]
    assert not any(isinstance(e, Resumed) for e in events)
    # Deadlines, pause bookkeeping, step: all as before the stop.
    assert changed(before, session) <= PAIN_BOOKKEEPING
    assert session.remaining(now + 500) == 25
    assert session.deadline == before["deadline"] and session.paused_at == T1
    # Space later resumes from where the pause left it.
    session.resume(now + 60)
    assert session.state is State.RUNNING
    assert session.remaining(now + 60) == pytest.approx(25.0)
    assert session.remaining(now + 70) == pytest.approx(15.0)


def test_a_pain_stop_while_running_pressed_by_mistake_still_goes_on() -> None:
    session, now = in_state(State.RUNNING)
    session.pain(now)
    events = session.handle(Command.MISTAKE, now + 40)
    assert session.state is State.RUNNING
    assert events == [PainWithdrawn(now + 40, 40.0, now)]
    assert session.remaining(now + 40) == pytest.approx(25.0)


def test_a_pain_stop_after_a_sleep_pressed_by_mistake_stays_paused() -> None:
    """The catch-up found a sleep before the pain key: the session it interrupted was
    paused (at the gap's start), and that is where "by mistake" leaves it."""
    session = Session(PLAN, start_index=HOLD, sleep_gap=5.0)
    session.start(T0)
    session.tick(T0 + 2)
    session.pain(T0 + 100)  # after a sleep: paused at T0 + 2 on the way, then stopped
    assert session.state is State.PAIN_STOPPED
    session.handle(Command.MISTAKE, T0 + 110)
    assert session.state is State.PAUSED
    assert session.remaining(T0 + 110) == pytest.approx(28.0)


def test_next_state_of_by_mistake_is_the_state_before_the_pain_stop() -> None:
    assert NEXT_STATE[(State.PAIN_STOPPED, Command.MISTAKE)] is Target.BEFORE_PAIN
    for before in (State.RUNNING, State.PAUSED):
        assert next_state(State.PAIN_STOPPED, Command.MISTAKE, before) is before
    assert next_state(State.PAUSED, Command.RESUME, None) is State.RUNNING
    assert next_state(State.READY, Command.PAUSE, None) is None


def test_next_state_of_skip_exercise_after_a_pain_stop_is_the_next_exercise_or_the_end() -> None:
    assert NEXT_STATE[(State.PAIN_STOPPED, Command.SKIP_EXERCISE)] is Target.NEXT_EXERCISE
    assert next_state(State.PAIN_STOPPED, Command.SKIP_EXERCISE, State.RUNNING) is State.RUNNING
    last = next_state(State.PAIN_STOPPED, Command.SKIP_EXERCISE, State.PAUSED, last_exercise=True)
    assert last is State.ENDED_EARLY
    # Anywhere else "skip the exercise" is a jump, whatever follows.
    assert next_state(State.RUNNING, Command.SKIP_EXERCISE, None, last_exercise=True) is (
        State.RUNNING
    )


# Every restart of the clock is an event: a pain stop during a pause, then a choice --------


def test_skip_exercise_after_a_pain_stop_while_paused_restarts_the_clock_with_an_event() -> None:
    """Paused 5 s into the hold, a pain stop at 120, skip the exercise at 130: the clock runs
    again at 130 and an event says so, with the whole time stopped since the pause began
    (listeners close the pause there, not at the session's end)."""
    session, now = in_state(State.PAUSED)
    session.pain(now)
    events = session.skip_exercise(now + 10)
    assert session.state is State.RUNNING
    assert events == [
        ClockRestarted(now + 10, now + 10 - T1),
        StepEnded(now + 10, PLAN.steps[HOLD], 5.0, True),
        StepStarted(now + 10, PLAN.steps[B_START], 10.0),
    ]
    assert not any(isinstance(e, Resumed) for e in events)  # a skip, not "Resuming."
    assert session.paused_total == now + 10 - T1
    assert session.active_seconds(now + 14) == pytest.approx(5.0 + 4.0)
    assert session.remaining(now + 14) == pytest.approx(6.0)


def test_resume_after_a_pain_stop_while_paused_counts_the_whole_stop_from_the_pause() -> None:
    session, now = in_state(State.PAUSED)
    session.pain(now)
    events = session.resume(now + 10)
    assert session.state is State.RUNNING
    assert events[0] == Resumed(now + 10, now + 10 - T1)
    assert isinstance(events[0], ClockRestarted)  # a resume is one kind of restart
    assert [e for e in events if isinstance(e, ClockRestarted)] == events[:1]
    assert session.active_seconds(now + 14) == pytest.approx(5.0 + 4.0)


def test_end_after_a_pain_stop_while_paused_ends_when_the_clock_stopped() -> None:
    """The clock never runs again: no restart; the session's clock ends where it stopped
    (the pause's start: the step and the active time end there), and the event also says
    when the person ended it (10 s later), where a record of the session ends, so that
    the pause and the pain stop lie within it."""
    session, now = in_state(State.PAUSED)
    session.pain(now)
    events = session.end(now + 10)
    assert session.state is State.ENDED_EARLY
    assert not any(isinstance(e, ClockRestarted) for e in events)
    assert events == [
        StepEnded(T1, PLAN.steps[HOLD], 5.0, True),
        EndedEarly(T1, PLAN.steps[HOLD], 5.0, now + 10),
    ]
    assert session.active_seconds(now + 30) == pytest.approx(5.0)


def test_skip_exercise_after_a_pain_stop_that_ends_the_session_restarts_nothing() -> None:
    session = Session(PLAN, start_index=LAST, sleep_gap=None)
    session.start(0.0)
    session.pause(1.0)
    session.pain(3.0)
    events = session.skip_exercise(9.0)
    assert kinds(events) == [StepEnded, EndedEarly]  # the end closes what was open
    assert events[-1] == EndedEarly(1.0, PLAN.steps[LAST], 1.0, 9.0, skipped_last=True)
    assert session.active_seconds(30.0) == pytest.approx(1.0)


# A step that lasts as long as its words need is made longer as the clock runs again -------


PAUSED_AT = T0 + 2  # 2 s into the step (the switch and the transitions last 5 s)


def paused_in(index: int) -> Session:
    """A session paused 2 s into step ``index``."""
    session = Session(PLAN, start_index=index, sleep_gap=None)
    session.start(T0)
    session.pause(PAUSED_AT)
    return session


@pytest.mark.parametrize("index", [0, REST, SWITCH, 8, 11])
def test_a_resume_with_room_makes_a_gap_longer_before_the_clock_runs(index: int) -> None:
    """get-ready, rest, switch sides, transition: the room the cue layer asks for (the
    words still to say after the resume need it) is added to the step's end, which then
    moves by the pause as well; the event comes before the Resumed."""
    session = paused_in(index)
    step = PLAN.steps[index]
    assert step.seconds is not None
    events = session.resume(120.0, room=4.0)
    assert events == [
        Lengthened(PAUSED_AT, step, 4.0, step.seconds + 4.0),
        Resumed(120.0, 120.0 - PAUSED_AT),
    ]
    assert session.step_seconds == step.seconds + 4.0
    assert session.remaining(120.0) == pytest.approx(step.seconds - 2.0 + 4.0)
    assert session.extensions == {}  # this attempt only: not a hold's change to keep
    # Its end comes on the deadline: the next step starts then, not before.
    end = 120.0 + step.seconds + 2.0
    assert not any(isinstance(e, StepStarted) for e in session.tick(end - 0.01))
    started = [e for e in session.tick(end + 0.5) if isinstance(e, StepStarted)]
    assert [e.step.index for e in started] == [index + 1]
    assert started[0].at == pytest.approx(end)


def test_by_mistake_with_room_makes_a_gap_longer_too() -> None:
    session = Session(PLAN, sleep_gap=None)
    session.start(T0)
    session.pain(T1)
    events = session.handle(Command.MISTAKE, 120.0, 3.0)
    assert events == [
        Lengthened(T1, PLAN.steps[0], 3.0, 13.0),
        PainWithdrawn(120.0, 120.0 - T1, T1),
    ]
    assert session.remaining(120.0) == pytest.approx(8.0)


@pytest.mark.parametrize("index", [HOLD, B_START + 1])
def test_a_hold_or_a_rep_never_changes_length_for_words(index: int) -> None:
    session = paused_in(index)
    events = session.resume(120.0, room=4.0)
    assert events == [Resumed(120.0, 120.0 - PAUSED_AT)]
    assert session.step_seconds == PLAN.steps[index].seconds


def test_room_is_ignored_where_the_clock_does_not_run_on_where_it_stood() -> None:
    # Resumed after a pain stop, the step starts again, its whole length.
    session = paused_in(0)
    session.pain(110.0)
    events = session.resume(120.0, room=4.0)
    assert not any(isinstance(e, Lengthened) for e in events)
    assert session.step_seconds == 10.0
    # By mistake during a pause: still paused, nothing changes.
    session = paused_in(0)
    session.pain(110.0)
    events = session.handle(Command.MISTAKE, 120.0, 4.0)
    assert events == [PainWithdrawnPaused(120.0, 110.0)]
    assert session.step_seconds == 10.0
    # No room, or none that makes sense.
    for room in (0.0, -3.0, float("nan"), float("inf")):
        session = paused_in(0)
        assert session.resume(120.0, room=room) == [Resumed(120.0, 120.0 - PAUSED_AT)]
        assert session.step_seconds == 10.0


@pytest.mark.parametrize("index", range(len(PLAN.steps)))
def test_makes_room_says_where_a_command_makes_a_step_longer(index: int) -> None:
    """The session controller asks ``makes_room`` before it works out the room (the cue
    layer's layout): true exactly where the command, given room, makes the step longer."""

    def paused() -> Session:
        return paused_in(index)

    def pain_while_running() -> Session:
        session = Session(PLAN, start_index=index, sleep_gap=None)
        session.start(T0)
        session.pain(PAUSED_AT)  # still in the step
        return session

    def pain_while_paused() -> Session:
        session = paused_in(index)
        session.pain(110.0)
        return session

    def running() -> Session:
        session = Session(PLAN, start_index=index, sleep_gap=None)
        session.start(T0)
        return session

    cases = [
        (paused, Command.RESUME),
        (pain_while_running, Command.MISTAKE),
        (pain_while_running, Command.RESUME),
        (pain_while_paused, Command.MISTAKE),
        (pain_while_paused, Command.RESUME),
        (running, Command.RESUME),
    ]
    made = []
    for make, command in cases:
        session = make()
        says = session.makes_room(command)
        events = session.handle(command, 120.0, 4.0)
        assert says == any(isinstance(e, Lengthened) for e in events), (make.__name__, command)
        made.append(says)
    stretchable = PLAN.steps[index].phase_info.stretchable and PLAN.steps[index].seconds
    assert made == [bool(stretchable), bool(stretchable), False, False, False, False]
