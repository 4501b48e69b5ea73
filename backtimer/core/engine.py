"""The session state machine: runs a plan against a monotonic clock that is passed in.

Pure: it never reads the clock, sleeps, prints or plays sound. Every call takes ``now``
(seconds on a monotonic clock) and returns the events the shell must act on: the UI redraws,
the cue layer speaks, the history records. Time is scheduled against absolute deadlines:
each step ends at ``deadline``, the next one at ``deadline + seconds``, so late or dropped
ticks never add up to drift.

The rules are a table, h11-style: :data:`NEXT_STATE` maps (state, command) to the state after
it (for "pressed by mistake", :attr:`Target.BEFORE_PAIN`: the state the pain stop interrupted,
so a paused session stays paused). A command not listed for the current state is refused (a
:class:`Refused` event) and changes nothing. :meth:`Session.handle` is the one place that
applies a command: it first catches up once (every deadline due by ``now``, in order; a long
gap between ticks means the machine slept, which pauses the session when the gap began),
then does the command's work and moves to the table's next state. Two transitions no command
asks for can happen on the way, and win over the table: the plan running out (finished) and a
sleep (paused).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from backtimer.core.plan import Plan, Step
from backtimer.core.routine import MAX_DURATION


class State(StrEnum):
    READY = "ready"
    RUNNING = "running"
    PAUSED = "paused"
    PAIN_STOPPED = "pain_stopped"
    FINISHED = "finished"
    ENDED_EARLY = "ended_early"


class Command(StrEnum):
    START = "start"
    TICK = "tick"
    PAUSE = "pause"
    RESUME = "resume"
    SKIP_STEP = "skip_step"
    SKIP_EXERCISE = "skip_exercise"
    BACK = "back"
    EXTEND = "extend"
    PAIN = "pain"
    END = "end"
    ADVANCE = "advance"
    MISTAKE = "mistake"  # the pain stop was pressed by mistake: take it back


class Target(StrEnum):
    """A table entry's next state that is not one fixed state: it is read off the session
    (see :func:`next_state`)."""

    BEFORE_PAIN = "before_pain"  # the state the pain stop interrupted: running or paused
    #: Running at the next exercise; ended early when no exercise follows (after a pain
    #: stop the session then did not run as prescribed: it never counts as complete).
    NEXT_EXERCISE = "next_exercise"


S, C = State, Command

#: (state, command) -> the state after the command. Anything else is refused, changes nothing.
NEXT_STATE: dict[tuple[State, Command], State | Target] = {
    (S.READY, C.START): S.RUNNING,
    (S.READY, C.TICK): S.READY,
    (S.READY, C.END): S.ENDED_EARLY,
    (S.RUNNING, C.TICK): S.RUNNING,
    (S.RUNNING, C.PAUSE): S.PAUSED,
    (S.RUNNING, C.SKIP_STEP): S.RUNNING,
    (S.RUNNING, C.SKIP_EXERCISE): S.RUNNING,
    (S.RUNNING, C.BACK): S.RUNNING,
    (S.RUNNING, C.EXTEND): S.RUNNING,
    (S.RUNNING, C.PAIN): S.PAIN_STOPPED,
    (S.RUNNING, C.END): S.ENDED_EARLY,
    (S.RUNNING, C.ADVANCE): S.RUNNING,
    # Paused, a skip or back moves to another step and stays paused there.
    (S.PAUSED, C.TICK): S.PAUSED,
    (S.PAUSED, C.RESUME): S.RUNNING,
    (S.PAUSED, C.SKIP_STEP): S.PAUSED,
    (S.PAUSED, C.SKIP_EXERCISE): S.PAUSED,
    (S.PAUSED, C.BACK): S.PAUSED,
    (S.PAUSED, C.EXTEND): S.PAUSED,
    (S.PAUSED, C.PAIN): S.PAIN_STOPPED,
    (S.PAUSED, C.END): S.ENDED_EARLY,
    # After a pain stop: go on with the step again, or with the next exercise, or end.
    (S.PAIN_STOPPED, C.TICK): S.PAIN_STOPPED,
    (S.PAIN_STOPPED, C.RESUME): S.RUNNING,
    (S.PAIN_STOPPED, C.SKIP_EXERCISE): Target.NEXT_EXERCISE,
    (S.PAIN_STOPPED, C.END): S.ENDED_EARLY,
    # Pressed by mistake: no pain; back to exactly what the stop interrupted: a running
    # step goes on where it was (the stop was a pause), a paused one stays paused.
    (S.PAIN_STOPPED, C.MISTAKE): Target.BEFORE_PAIN,
    (S.FINISHED, C.TICK): S.FINISHED,
    (S.ENDED_EARLY, C.TICK): S.ENDED_EARLY,
}


def next_state(
    state: State, command: Command, before_pain: State | None, *, last_exercise: bool = False
) -> State | None:
    """The table's next state for ``command`` in ``state`` (None: refused), with
    :attr:`Target.BEFORE_PAIN` read as ``before_pain``, the state a pain stop interrupted,
    and :attr:`Target.NEXT_EXERCISE` as ended early when ``last_exercise`` (no exercise
    follows the current step), else running."""
    after = NEXT_STATE.get((state, command))
    if after is Target.BEFORE_PAIN:
        return before_pain if before_pain is not None else State.RUNNING
    if after is Target.NEXT_EXERCISE:
        return State.ENDED_EARLY if last_exercise else State.RUNNING
    return after if isinstance(after, State) else None


#: Which commands each state accepts (read off :data:`NEXT_STATE`).
TRANSITIONS: dict[State, frozenset[Command]] = {
    state: frozenset(command for (where, command) in NEXT_STATE if where is state)
    for state in State
}

BACK_GRACE = 3.0  # seconds: "back" in the first seconds of a step goes to the previous step
MIN_HOLD = 5.0  # seconds: extend never shortens a hold below this
MIN_REMAINING = 1.0  # seconds: nor leaves less than this of it
HALFWAY_FROM = 20.0  # seconds: holds this long get a "halfway" cue


# ------------------------------------------------------------------------ events


@dataclass(frozen=True)
class Event:
    """Something the shell must act on. ``at`` is the monotonic time it happened."""

    at: float


@dataclass(frozen=True)
class StepStarted(Event):
    step: Step
    seconds: float | None  # the step's length as run (after extensions)

    @property
    def say(self) -> str:
        return self.step.say


@dataclass(frozen=True)
class StepEnded(Event):
    step: Step
    active_seconds: float  # time spent in the step, pauses excluded
    skipped: bool


@dataclass(frozen=True)
class Countdown(Event):
    step: Step
    number: int  # 3, 2, 1


@dataclass(frozen=True)
class Halfway(Event):
    step: Step


@dataclass(frozen=True)
class Paused(Event):
    reason: Literal["user", "sleep"]


@dataclass(frozen=True)
class ClockRestarted(Event):
    """The session's clock runs again after it stood still (a pause, a sleep, a pain stop),
    ``paused_seconds`` after it stopped. Every command that takes a stopped clock back to
    running says so with exactly one of these, so listeners never have to infer it: a
    :class:`Resumed` (space, resume after pain, "pressed by mistake"), or this event itself
    where the person chose to go on elsewhere (skip this exercise after a pain stop). A
    session that ends instead restarts nothing: its end closes what was open."""

    paused_seconds: float


@dataclass(frozen=True)
class Resumed(ClockRestarted):
    """The clock runs again where it stood (said "Resuming.")."""


@dataclass(frozen=True)
class PainWithdrawn(Resumed):
    """A pain stop pressed by mistake, taken back: nothing happened but a pause (from
    ``stopped_at`` to ``at``); the step goes on where it was (a stop during a pause is a
    :class:`PainWithdrawnPaused`). Listeners that record pain stops undo theirs; to the
    others it is a resume."""

    stopped_at: float


@dataclass(frozen=True)
class PainWithdrawnPaused(Event):
    """A pain stop pressed by mistake while the session was paused, taken back: it stays
    paused, every deadline as it was (nothing resumes, so this is no :class:`Resumed`).
    Listeners that record pain stops undo theirs, as for :class:`PainWithdrawn`."""

    stopped_at: float


#: The two ways a pain stop pressed by mistake is taken back.
WITHDRAWALS = (PainWithdrawn, PainWithdrawnPaused)


@dataclass(frozen=True)
class Extended(Event):
    step: Step
    delta: float  # seconds actually added (negative: removed)
    seconds: float  # the hold's new length


@dataclass(frozen=True)
class Lengthened(Event):
    """A step that lasts as long as its words need (a get-ready, a rest: see
    :attr:`~backtimer.core.phases.PhaseInfo.stretchable`) made longer by ``delta`` seconds,
    now ``seconds`` long, as the clock runs again where it stood: the words a pause or a
    pain stop taken back left still to say fit before its end (its countdown and the next
    step move later by as much). It comes just before the :class:`Resumed` of the same
    command; this attempt of the step only (the plan is not changed)."""

    step: Step
    delta: float
    seconds: float


@dataclass(frozen=True)
class PainStopped(Event):
    step: Step
    exercise: str
    exercise_index: int
    side: str | None
    set: int
    rep: int
    phase: str
    session_second: float  # active seconds into the session


@dataclass(frozen=True)
class Finished(Event):
    """The session is complete. ``at`` is where its clock stopped (``active_seconds``
    counts up to it); ``requested_at`` is when it ended: later than ``at`` when the last
    step was skipped while the clock stood still (paused), the same otherwise. A record of
    the session ends at ``requested_at``, so that every pause lies within it."""

    active_seconds: float
    requested_at: float


@dataclass(frozen=True)
class EndedEarly(Event):
    """The person ended the session. ``at`` is where its clock stopped (the step in
    progress ends there, and ``active_seconds`` counts up to it); ``requested_at`` is when
    the person ended it: later than ``at`` when the clock stood still (paused, or stopped
    for pain), the same otherwise. A record of the session ends at ``requested_at``, so
    that every pause and pain event lies within it."""

    step: Step | None
    active_seconds: float
    requested_at: float
    #: Ended by skipping, after a pain stop, the exercise it interrupted, with no exercise
    #: after it (said so: the person asked to go on, not to end).
    skipped_last: bool = False


@dataclass(frozen=True)
class Refused(Event):
    command: Command
    state: State


# ------------------------------------------------------------------------ session


class Session:
    """One run of a plan. Call its methods with the current monotonic time."""

    def __init__(
        self,
        plan: Plan,
        *,
        start_index: int = 0,
        sleep_gap: float | None = 5.0,
        countdown: int = 3,
    ) -> None:
        if not plan.steps:
            raise ValueError("a plan with no steps cannot be run")
        if not 0 <= start_index < len(plan.steps):
            raise ValueError(f"start_index {start_index} is outside the plan")
        self.plan = plan
        self.state = State.READY
        self.index = start_index
        self.sleep_gap = sleep_gap
        self.countdown = countdown
        self.started_at: float | None = None
        self.paused_at: float | None = None  # while paused or pain-stopped
        self.pain_at: float | None = None  # when the current pain stop began
        self.before_pain: State | None = None  # what it interrupted: running or paused
        self.ended_at: float | None = None  # when the session finished or ended early
        self.paused_total = 0.0
        self.deadline: float | None = None  # current step's end; None if user-paced
        self.step_started: float = 0.0  # when the current step began (scheduled)
        self.step_paused = 0.0  # pause time within the current step
        self.step_seconds: float | None = None  # current step's length as run
        self.last_tick: float | None = None
        self.extensions: dict[int, float] = {}  # step index -> seconds added
        self._counted: set[int] = set()
        self._halfway_done = False

    # -------------------------------------------------------------- queries

    @property
    def step(self) -> Step:
        return self.plan.steps[self.index]

    @property
    def over(self) -> bool:
        return self.state in (State.FINISHED, State.ENDED_EARLY)

    def _clock(self, now: float) -> float:
        """``now`` as the session sees it: frozen while paused or pain-stopped, and once over.

        A time before the freeze (an event's ``at`` from the batch that ended the session) is
        taken as it is, so ``active_seconds(event.at)`` is right for every event.
        """
        if self.ended_at is not None:
            return min(now, self.ended_at)
        return min(now, self.paused_at) if self.paused_at is not None else now

    def remaining(self, now: float) -> float | None:
        """Seconds left in the current step (None: user-paced, or not running)."""
        if self.deadline is None or self.over:
            return None
        return max(0.0, self.deadline - self._clock(now))

    def step_elapsed(self, now: float) -> float:
        if self.state is State.READY or self.over:
            return 0.0
        return max(0.0, self._clock(now) - self.step_started - self.step_paused)

    def active_seconds(self, now: float) -> float:
        """Seconds into the session, pauses excluded."""
        if self.started_at is None:
            return 0.0
        return max(0.0, self._clock(now) - self.started_at - self.paused_total)

    def session_remaining(self, now: float) -> float:
        """Seconds left in the whole session (user-paced steps count as 0)."""
        if self.over:
            return 0.0
        if self.state is State.READY:
            return self.plan.steps_seconds - self.plan.offset(self.index)
        current = self.remaining(now) or 0.0
        return current + self.plan.remaining_after(self.index)

    def accepts(self, command: Command) -> bool:
        return (self.state, command) in NEXT_STATE

    # -------------------------------------------------------------- commands

    def handle(self, command: Command | str, now: float, amount: float = 0.0) -> list[Event]:
        """Apply one command; an illegal one returns ``[Refused]`` and changes nothing.

        ``amount``: EXTEND's seconds (negative: shorter); RESUME's and MISTAKE's room, the
        seconds a step that lasts as long as its words need is made longer as the clock runs
        again where it stood (see :meth:`_make_room`)."""
        command = Command(command)
        if not self.accepts(command):
            return [Refused(now, command, self.state)]
        was = self.state
        # Catch up once, for every command: the deadlines due by now, in order, or a sleep
        # (a key pressed after the machine woke, before any tick, applies to the paused
        # session). Either may leave a state where the command no longer applies.
        events = self._catch_up(now)
        # Read only for the command that needs it: "skip the exercise" after a pain stop
        # ends the session when no exercise follows (see Target.NEXT_EXERCISE).
        last = (
            command is Command.SKIP_EXERCISE and self.plan.next_exercise_start(self.index) is None
        )
        after = next_state(self.state, command, self.before_pain, last_exercise=last)
        if after is not None:
            done = self._do(command, now, amount, after)
            events += done
            refused = len(done) == 1 and isinstance(done[0], Refused)
            if not refused and not self.over:
                self.state = after  # unless the plan ran out on the way (finished)
        if command is Command.TICK:
            if was in (State.RUNNING, State.PAUSED, State.PAIN_STOPPED):
                self.last_tick = now
        elif self.last_tick is not None and not (
            len(events) == 1 and isinstance(events[0], Refused)
        ):
            # A command proves the shell was awake at ``now``: the next tick measures its gap
            # from here, so a pause or jump is never backdated to before the command.
            self.last_tick = max(self.last_tick, now)
        return events

    def _do(self, command: Command, now: float, amount: float, after: State) -> list[Event]:
        """The work of a command, after the catch-up, towards the table's next state
        ``after`` (set by :meth:`handle`)."""
        if command is Command.TICK:
            return []
        if command is Command.SKIP_EXERCISE and after is State.ENDED_EARLY:
            # After a pain stop, no exercise follows the one it interrupted (the table's
            # Target.NEXT_EXERCISE): the session ends there, recorded as "end" would
            # record it (it did not complete as prescribed), said so (skipped_last).
            return self._end(now, skipped_last=True)
        if command is Command.EXTEND:
            return self._extend(now, amount)
        if command is Command.RESUME and self.state is State.PAIN_STOPPED:
            return self._resume_after_pain(now)
        if command is Command.RESUME:
            return self._resume(now, amount)
        if command is Command.MISTAKE:
            return self._mistake(now, amount)
        action: Callable[[float], list[Event]] = getattr(self, f"_{command.value}")
        return action(now)

    def start(self, now: float) -> list[Event]:
        return self.handle(Command.START, now)

    def tick(self, now: float) -> list[Event]:
        return self.handle(Command.TICK, now)

    def pause(self, now: float) -> list[Event]:
        return self.handle(Command.PAUSE, now)

    def resume(self, now: float, room: float = 0.0) -> list[Event]:
        """Run the clock again (see :meth:`_resume` for ``room``)."""
        return self.handle(Command.RESUME, now, room)

    def skip_step(self, now: float) -> list[Event]:
        return self.handle(Command.SKIP_STEP, now)

    def skip_exercise(self, now: float) -> list[Event]:
        return self.handle(Command.SKIP_EXERCISE, now)

    def back(self, now: float) -> list[Event]:
        return self.handle(Command.BACK, now)

    def extend(self, now: float, seconds: float) -> list[Event]:
        return self.handle(Command.EXTEND, now, seconds)

    def pain(self, now: float) -> list[Event]:
        return self.handle(Command.PAIN, now)

    def end(self, now: float) -> list[Event]:
        return self.handle(Command.END, now)

    def advance(self, now: float) -> list[Event]:
        return self.handle(Command.ADVANCE, now)

    # -------------------------------------------------------------- internals

    def _enter(self, index: int, at: float) -> list[Event]:
        """Begin step ``index`` at time ``at`` (scheduled, or now after a jump)."""
        self.index = index
        step = self.step
        self.step_started = at
        self.step_paused = 0.0
        seconds = step.seconds
        if seconds is not None:
            seconds += self.extensions.get(index, 0.0)
        self.step_seconds = seconds
        self.deadline = None if seconds is None else at + seconds
        self._counted = set()
        self._halfway_done = False
        return [StepStarted(at, step, seconds)]

    def _leave(self, at: float, *, skipped: bool) -> StepEnded:
        active = max(0.0, at - self.step_started - self.step_paused)
        if not skipped and self.step_seconds is not None:
            active = self.step_seconds  # a completed timed step lasted exactly its length
        return StepEnded(at, self.step, active, skipped)

    def _go_to(
        self, index: int | None, at: float, *, skipped: bool, requested: float | None = None
    ) -> list[Event]:
        """Leave the current step and enter ``index`` (None: the session is complete).
        ``requested``: when the person asked for it, if later than ``at`` (the clock stood
        still)."""
        events: list[Event] = [self._leave(at, skipped=skipped)]
        if index is None or index >= len(self.plan.steps):
            self.state = State.FINISHED
            self.deadline = None
            self.paused_at = None
            self.ended_at = at
            events.append(Finished(at, self._active_at(at), max(at, requested or at)))
            return events
        events += self._enter(index, at)
        return events

    def _active_at(self, at: float) -> float:
        assert self.started_at is not None
        return max(0.0, at - self.started_at - self.paused_total)

    def _start(self, now: float) -> list[Event]:
        self.started_at = now
        self.last_tick = now
        return self._enter(self.index, now)

    def _catch_up(self, now: float) -> list[Event]:
        """Bring a running session up to ``now``: every deadline due, in order (the plan may
        run out: finished). A gap between ticks longer than ``sleep_gap`` means the machine
        slept (or the process was stopped): the steps due before the gap began still run
        out, then the session pauses when the gap began, so nothing is skipped ahead."""
        if self.state is not State.RUNNING:
            return []
        last = self.last_tick if self.last_tick is not None else now
        if self.sleep_gap is None or now - last <= self.sleep_gap:
            return self._run_until(now)
        events = self._run_until(last)
        if self.state is State.RUNNING:
            self.state = State.PAUSED
            self.paused_at = last
            events.append(Paused(last, "sleep"))
        self.last_tick = now
        return events

    def _run_until(self, now: float) -> list[Event]:
        """Walk through every deadline up to ``now``, in order, emitting each step's events."""
        events: list[Event] = []
        while self.state is State.RUNNING:
            events += self._cues_until(now)
            if self.deadline is None or now < self.deadline:
                break
            events += self._go_to(self.index + 1, self.deadline, skipped=False)
        return events

    def _cues_until(self, now: float) -> list[Event]:
        step = self.step
        if not step.phase_info.counted_down or self.deadline is None or self.step_seconds is None:
            return []
        events: list[Event] = []
        length = self.step_seconds
        if length >= HALFWAY_FROM and not self._halfway_done:
            half_at = self.deadline - length / 2
            if now >= half_at:
                self._halfway_done = True
                events.append(Halfway(half_at, step))
        for number in range(min(self.countdown, int(length) - 1), 0, -1):
            at = self.deadline - number
            if number not in self._counted and now >= at:
                self._counted.add(number)
                events.append(Countdown(at, step, number))
        return events

    def _stop_clock(self, now: float) -> None:
        if self.paused_at is None:
            self.paused_at = now

    def _restart_clock(self, now: float) -> float:
        """Undo a pause: deadlines move by the time paused. Returns the paused time."""
        assert self.paused_at is not None
        paused = max(0.0, now - self.paused_at)
        self.paused_total += paused
        self.step_paused += paused
        if self.deadline is not None:
            self.deadline += paused
        self.paused_at = None
        self.last_tick = now
        return paused

    # Each command's work, after the catch-up; :meth:`handle` sets the next state.

    def _pause(self, now: float) -> list[Event]:
        self._stop_clock(now)
        return [Paused(now, "user")]

    def _resume(self, now: float, room: float = 0.0) -> list[Event]:
        """The clock runs again where it stood. ``room``: seconds the step is made longer
        first, where it lasts as long as its words need (see :meth:`_make_room`)."""
        return [*self._make_room(now, room), Resumed(now, self._restart_clock(now))]

    def makes_room(self, command: Command | str) -> bool:
        """Whether ``command`` would now run the clock again where it stood (space after a
        pause, "pressed by mistake" after a stop that came while running) in a step that
        lasts as long as its words need: its ``amount`` is then room made for the words
        still to say (see :meth:`_make_room`; the shell's cue layer works it out)."""
        command = Command(command)
        if not self.accepts(command) or self.deadline is None:
            return False
        if not self.step.phase_info.stretchable:
            return False
        if command is Command.RESUME:
            return self.state is State.PAUSED
        if command is Command.MISTAKE:
            return self.state is State.PAIN_STOPPED and self.before_pain is State.RUNNING
        return False

    def _make_room(self, now: float, room: float) -> list[Event]:
        """Make the current step ``room`` seconds longer before the clock runs again, if it
        is a step that lasts as long as its words need (never a hold or a rep): the words
        still to say after a resume need that much more time than is left (the shell's
        cue layer works it out, see :func:`~backtimer.core.timeline.resume_room`)."""
        step = self.step
        if (
            not room > 0
            or not math.isfinite(room)
            or not step.phase_info.stretchable
            or self.deadline is None
            or self.step_seconds is None
        ):
            return []
        delta = float(min(room, MAX_DURATION))
        self.deadline += delta
        self.step_seconds += delta
        # No countdown numbers to take back (as _extend does): the engine counts down only
        # a phase that is ``counted_down``, never a stretchable one (see the phase table).
        return [Lengthened(self._clock(now), step, delta, self.step_seconds)]

    def _resume_after_pain(self, now: float) -> list[Event]:
        """Resuming after pain restarts the interrupted step from its beginning: the
        interrupted attempt ends (not completed) and the step starts again."""
        paused = self._restart_clock(now)
        ended = self._leave(now, skipped=True)
        return [Resumed(now, paused), ended, *self._enter(self.index, now)]

    def _mistake(self, now: float, room: float = 0.0) -> list[Event]:
        stopped_at = self.pain_at if self.pain_at is not None else now
        self.pain_at = None
        if self.before_pain is State.PAUSED:
            # It stays paused: the pause's own start and every deadline stay as they were.
            return [PainWithdrawnPaused(now, stopped_at)]
        made = self._make_room(now, room)  # as for a resume (see _resume)
        return [*made, PainWithdrawn(now, self._restart_clock(now), stopped_at)]

    def _pain(self, now: float) -> list[Event]:
        self.pain_at = now
        self.before_pain = self.state  # after the catch-up: a sleep found on the way pauses
        self._stop_clock(now)
        step = self.step
        return [
            PainStopped(
                now,
                step,
                step.exercise,
                step.exercise_index,
                step.side,
                step.set,
                step.rep,
                step.phase,
                self.active_seconds(now),
            )
        ]

    def _jump(self, now: float, target: int | None) -> list[Event]:
        """Move to ``target`` at ``now`` (skipped); a paused session stays paused there.
        Out of a pain stop the clock runs again at ``now`` (whether the stop came while
        running or paused), and a :class:`ClockRestarted` says so, unless the jump ended
        the session."""
        if self.state is not State.PAIN_STOPPED:
            return self._go_to(target, self._clock(now), skipped=True, requested=now)
        paused = self._restart_clock(now)
        events = self._go_to(target, now, skipped=True)
        return events if self.over else [ClockRestarted(now, paused), *events]

    def _skip_step(self, now: float) -> list[Event]:
        return self._jump(now, self.index + 1)

    def _skip_exercise(self, now: float) -> list[Event]:
        return self._jump(now, self.plan.next_exercise_start(self.index))

    def _back(self, now: float) -> list[Event]:
        at = self._clock(now)
        just_began = self.step_elapsed(now) < BACK_GRACE
        target = self.index - 1 if just_began and self.index > 0 else self.index
        return [self._leave(at, skipped=True), *self._enter(target, at)]

    def _extend(self, now: float, amount: float) -> list[Event]:
        step = self.step
        if not step.phase_info.extendable or self.deadline is None or self.step_seconds is None:
            return [Refused(now, Command.EXTEND, self.state)]
        at = self._clock(now)
        left = self.deadline - at
        delta = float(amount)
        if delta < 0:
            # Shorten, but never below a minimum hold nor to less than a moment left; a
            # request to shorten never lengthens (a hold already under the minimum stays).
            delta = min(0.0, max(delta, MIN_HOLD - self.step_seconds, MIN_REMAINING - left))
        elif delta > 0:
            delta = min(delta, MAX_DURATION - self.step_seconds)  # nor beyond the longest hold
        if delta == 0 or not math.isfinite(delta):
            return [Refused(now, Command.EXTEND, self.state)]
        self.deadline += delta
        self.step_seconds += delta
        self.extensions[self.index] = self.extensions.get(self.index, 0.0) + delta
        remaining = self.deadline - at
        self._counted = {n for n in self._counted if n >= remaining}
        if self.step_seconds < HALFWAY_FROM or at < self.deadline - self.step_seconds / 2:
            self._halfway_done = False
        return [Extended(at, step, delta, self.step_seconds)]

    def _end(self, now: float, *, skipped_last: bool = False) -> list[Event]:
        if self.state is State.READY:
            self.ended_at = now
            return [EndedEarly(now, None, 0.0, now)]
        at = self._clock(now)
        ended = self._leave(at, skipped=True)
        active = self.active_seconds(now)
        self.deadline = None
        self.ended_at = at  # the clock's end: times after it count as it (see _clock)
        return [ended, EndedEarly(at, self.step, active, now, skipped_last)]

    def _advance(self, now: float) -> list[Event]:
        if not self.step.user_paced:
            return [Refused(now, Command.ADVANCE, self.state)]
        # A user-paced step lasts as long as the user took.
        self.step_seconds = None
        return self._go_to(self.index + 1, now, skipped=False)
