"""Compile a routine into a flat, immutable plan of timed steps.

Pure: no I/O, no clock. Every step carries what the user hears when it starts (``say``),
built from the routine's own fields so that what is said and what is timed never disagree.

Order, for each exercise: get_ready -> for each set: (set_rest before every set but the
first) for each side: its reps, with a rest between reps but not after the last, and a
switch_sides between the sides -> transition to the next exercise. The last exercise ends
the plan, with nothing trailing. Gaps of 0 seconds are left out (with no get_ready, the
exercise's first work step announces its name, position and first instruction).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import MISSING, asdict, dataclass, field, fields
from itertools import accumulate
from typing import Any

from backtimer.core.durations import spoken
from backtimer.core.phases import PHASES, WORK_PHASES, Phase, PhaseInfo
from backtimer.core.routine import Dose, Exercise, Level, Routine, Settings, Side, level_for
from backtimer.core.timeline import (
    Cue,
    Detail,
    LengthFn,
    _says_position,
    fit_steps,
    is_last_rep,
    side_words,
)
from backtimer.core.timeline import join as join_sentences

SHORT_HOLD = 5.0  # seconds: holds shorter than this are announced without their rep number
#: Said as the last step ends, after the closing sound: part of the plan's total.
CLOSING_TEXT = "Session complete. Well done."
CLOSING_SOUND = "session_done"


@dataclass(frozen=True)
class Step:
    """One timed (or user-paced) step of a session."""

    index: int
    phase: Phase
    exercise_index: int
    exercise: str
    side: Side | None
    set: int
    sets: int
    rep: int
    reps: int
    seconds: float | None  # None: user-paced, waits for a key
    say: str
    breaths: int | None = None
    cues: tuple[Cue, ...] = ()  # the step's timeline (empty in a plan compiled without lengths)
    added: float = 0.0  # seconds its words added to the routine's value

    @property
    def user_paced(self) -> bool:
        return self.seconds is None

    @property
    def is_work(self) -> bool:
        return self.phase in WORK_PHASES

    @property
    def phase_info(self) -> PhaseInfo:
        """What the phase table says about this step's phase (its words, is it work, ...)."""
        return PHASES[self.phase]

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["exercise_index"] = self.exercise_index
        return out


@dataclass(frozen=True)
class Speech:
    """The voice settings a plan's timeline was fitted for."""

    engine: str | None  # the speech engine's name, None: no voice (lengths estimated)
    rate: int  # words per minute
    measured: bool  # lengths rendered by the engine (True) or estimated (False)
    detail: Detail = "full"

    def to_json(self) -> dict[str, Any]:
        return {"engine": self.engine, "rate": self.rate, "measured": self.measured}


@dataclass(frozen=True)
class Plan:
    name: str
    steps: tuple[Step, ...]
    level: str = "low"
    speech: Speech | None = None
    #: Seconds the closing sound and words take after the last step (0: a plan compiled
    #: without lengths). The session is over when the last step ends; what it says then
    #: is heard within the plan's total.
    closing: float = 0.0
    _offsets: tuple[float, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        starts = (0.0, *accumulate(s.seconds or 0.0 for s in self.steps))
        object.__setattr__(self, "_offsets", starts)

    @property
    def total_seconds(self) -> float:
        """How long the session is heard: the timed steps (user-paced steps count as 0) and
        the closing sound and words after them (see :attr:`closing`)."""
        return self._offsets[-1] + self.closing

    @property
    def steps_seconds(self) -> float:
        """Sum of the timed steps alone: when the last step ends (the session's clock)."""
        return self._offsets[-1]

    def offset(self, index: int) -> float:
        """Seconds from the start of the plan to the start of step ``index``."""
        return self._offsets[index]

    def remaining_after(self, index: int) -> float:
        """Seconds of steps left in the plan after step ``index`` ends."""
        return self.steps_seconds - self._offsets[index + 1]

    def exercise_start(self, exercise_index: int) -> int | None:
        """Index of the first step of an exercise, or None past the last one."""
        for step in self.steps:
            if step.exercise_index == exercise_index:
                return step.index
        return None

    def next_exercise_start(self, index: int) -> int | None:
        """First step of the exercise after the one step ``index`` belongs to."""
        current = self.steps[index].exercise_index
        for step in self.steps[index + 1 :]:
            if step.exercise_index != current:
                return step.index
        return None

    @property
    def added_seconds(self) -> float:
        """Seconds the words added to the routine's own values."""
        return sum(s.added for s in self.steps)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "level": self.level,
            "total_seconds": self.total_seconds,
        }
        if self.speech is not None:
            out["speech"] = self.speech.to_json()
        if self.closing:
            # Like a step's cue: "at" from the session's start, when the last step ends.
            out["closing"] = {
                "at": self.steps_seconds,
                "say": CLOSING_TEXT,
                "sound": CLOSING_SOUND,
                "seconds": self.closing,
            }
        out["steps"] = [
            {
                "phase": s.phase,
                "exercise": s.exercise,
                "exercise_index": s.exercise_index,
                "side": s.side,
                "set": s.set,
                "sets": s.sets,
                "rep": s.rep,
                "reps": s.reps,
                "seconds": s.seconds,
                "breaths": s.breaths,
                "say": s.say,
                "cues": [c.to_json() for c in s.cues],
            }
            for s in self.steps
        ]
        return out


# ------------------------------------------------------------------------ words


def _side_word(exercise: Exercise, side: Side | None) -> str:
    """ "Right side", or the exercise's own words for it ("Right leg on top"): the one choice
    the voice makes (:func:`backtimer.core.timeline.side_words`)."""
    words = side_words(exercise, side)
    return words[:1].upper() + words[1:]


def _switch_say(exercise: Exercise, to: Side) -> str:
    """ "Switch to the left side", or with the exercise's own words as the voice says it:
    "Switch sides. Left leg on top." """
    words = side_words(exercise, to)
    if words == side_words(None, to):
        return join_sentences(f"Switch to the {words}")
    return join_sentences("Switch sides", _side_word(exercise, to))


# ------------------------------------------------------------------------ compile


#: What a step is made with when nothing else is said: its fields' defaults.
_STEP_DEFAULTS = {f.name: f.default for f in fields(Step) if f.default is not MISSING}


def _step(values: dict[str, Any]) -> Step:
    """``Step(**values)`` without the frozen dataclass's ``__init__`` (an attribute set at a
    time through ``object.__setattr__``; a 10,000-step plan makes 10,000): the same step,
    every field set (a missing one is a KeyError, as Step() would raise a TypeError)."""
    step = object.__new__(Step)
    fields_of = step.__dict__
    fields_of.update(_STEP_DEFAULTS)
    fields_of.update(values)
    if len(fields_of) != _STEP_FIELDS:
        raise TypeError(f"a step needs every field of Step: {sorted(fields_of)}")
    return step


_STEP_FIELDS = len(fields(Step))


class _Builder:
    def __init__(self, keep: frozenset[str] = frozenset()) -> None:
        self.steps: list[Step] = []
        self.keep = keep  # phases kept at 0 seconds (their words may need time)

    def keeps(self, phase: str, seconds: float | None) -> bool:
        """Whether a step of ``phase`` lasting ``seconds`` is in the plan: a gap of 0 is
        left out."""
        return seconds is None or seconds > 0 or phase in self.keep

    def add(self, **values: Any) -> None:
        if self.keeps(values["phase"], values["seconds"]):
            values["index"] = len(self.steps)
            self.steps.append(_step(values))


def compile_plan(
    routine: Routine,
    level: Level = "low",
    *,
    length: LengthFn | None = None,
    countdown: int = 3,
    detail: Detail = "full",
    speech: Speech | None = None,
    closing_sound: float = 0.0,
    count_length: LengthFn | None = None,
    steps: Sequence[Step] | None = None,
) -> Plan:
    """The plan of a validated routine at a level (the low end of every range by default).

    With ``length`` (a text's spoken length in seconds), every step gets its cue timeline
    (see :mod:`backtimer.core.timeline`) and gaps are made as long as their words need;
    ``say`` is then everything said during the step. Without it, the plan is the routine's
    timing alone and ``say`` what is announced as a step starts.

    ``closing_sound``: the seconds of the closing sound (0: no tones); with ``length`` the
    plan's total includes it and the closing words (:data:`CLOSING_TEXT`), said after it.
    ``count_length``: the words alone of a countdown number or a rep's tempo part (see
    :func:`fit_steps`).
    ``steps``: the routine's steps at ``level`` as :func:`plan_steps` gives them (for a plan
    with ``length`` or without, as this one is), where a plan is fitted more than once: they
    are built once (they do not change with the lengths).
    """
    if steps is None:
        steps = plan_steps(routine, level, fitted=length is not None)
    level_name = level if isinstance(level, str) else "current"
    closing = 0.0
    if length is not None:
        steps = fit_steps(
            steps,
            routine,
            level,
            length,
            countdown=countdown,
            detail=detail,
            count_length=count_length,
        )
        closing = max(0.0, closing_sound) + length(CLOSING_TEXT)
    return Plan(
        name=routine.name, steps=tuple(steps), level=level_name, speech=speech, closing=closing
    )


def plan_steps(routine: Routine, level: Level = "low", *, fitted: bool = False) -> list[Step]:
    """The steps of a routine at a level, as :func:`compile_plan` builds them before their
    cue timelines are fitted (``fitted``: for a plan with lengths, where a get-ready of 0
    seconds is kept for its words)."""
    builder = _Builder(frozenset({"get_ready"}) if fitted else frozenset())
    last = len(routine.exercises) - 1
    for index, exercise in enumerate(routine.exercises):
        settings = routine.settings(index)
        dose = settings.dose(level_for(level, index))
        _compile_exercise(builder, routine, index, settings, dose)
        if index < last:
            following = routine.exercises[index + 1]
            say = f"Next: {following.name}"
            if following.position and following.position != exercise.position:
                # The position itself is said right after, as the next exercise is
                # introduced; said here too it ran past a short transition.
                say = join_sentences(say, "Change position")
            builder.add(
                phase="transition",
                exercise_index=index,
                exercise=exercise.name,
                side=None,
                set=dose.sets,
                sets=dose.sets,
                rep=dose.reps,
                reps=dose.reps,
                seconds=settings.transition,
                say=join_sentences("Well done", say),
            )
    return builder.steps


def _tempo_words(settings: Settings, dose: Dose) -> str:
    """ "15 reps: lift 2 seconds, hold 1 second, lower 2 seconds" """
    assert settings.tempo is not None
    count = f"{dose.reps} reps" if dose.reps > 1 else "One rep"
    return f"{count}: {settings.tempo.describe()}"


def _work_say(
    settings: Settings,
    dose: Dose,
    exercise: Exercise,
    *,
    side: Side | None,
    announce_side: bool,
    set_no: int,
    announce_set: bool,
    rep: int,
    describe_tempo: bool,
    first_of_set: bool,
    last: bool,
) -> str:
    parts: list[str] = []
    if announce_set:
        parts.append(f"Set {set_no} of {dose.sets}")
    if announce_side and side is not None:
        parts.append(_side_word(exercise, side))
    if settings.kind == "user_paced":
        if dose.reps > 1:
            parts.append(f"Round {rep} of {dose.reps}")
        parts.append("Repeat as tolerated, at your own pace")
        parts.append("Press enter when you are done")
        return join_sentences(*parts)
    if settings.kind == "tempo":
        assert settings.tempo is not None and dose.rep_seconds is not None
        if rep == 1 and describe_tempo:
            parts.append(_tempo_words(settings, dose))
        elif rep == 1 and dose.reps > 1 and first_of_set:
            parts.append(f"{dose.reps} reps")
        elif dose.reps == 1:
            parts.append("Go")
        if dose.reps > 1:
            parts.append(f"{rep}, last one" if last else f"{rep}")
        return join_sentences(*parts)
    # A timed or breath-counted hold.
    assert dose.rep_seconds is not None
    if dose.reps > 1 and last:
        parts.append("Last one")
    elif dose.reps > 1 and (dose.rep_seconds >= SHORT_HOLD or dose.breaths is not None):
        # A short hold has no time for "Rep 2 of 3": the sentence would outlast the hold.
        parts.append(f"Rep {rep} of {dose.reps}")
    if dose.breaths is not None:
        breaths = f"{dose.breaths} breath" + ("s" if dose.breaths != 1 else "")
        parts.append(f"Hold for {breaths}")
    else:
        parts.append(f"Hold {spoken(dose.rep_seconds)}")
    return join_sentences(*parts)


def _compile_exercise(
    builder: _Builder, routine: Routine, index: int, settings: Settings, dose: Dose
) -> None:
    exercise = routine.exercises[index]
    sides = settings.side_list
    phase: Phase = "rep" if settings.kind in ("tempo", "user_paced") else "hold"
    common = {"exercise_index": index, "exercise": exercise.name, "sets": dose.sets}

    first_step = exercise.steps[0] if exercise.steps else ""
    position = exercise.position or ""
    if position and _says_position(first_step, position):
        position = ""  # "Lie on your back. While lying on your back, ..." says it twice
    intro = [exercise.name, position, first_step]
    if settings.kind == "tempo":
        # The rhythm of a rep is said once, before the first rep, so each rep is just a count.
        intro.append(_tempo_words(settings, dose))
    # With no time to get ready, the first work step introduces the exercise instead.
    kept = "get_ready" in builder.keep  # a fitted plan introduces it in its get-ready
    pending_intro = [] if settings.get_ready or kept else intro[:3]
    if sides[0] is not None:
        intro.append(f"{_side_word(exercise, sides[0])} first")
    builder.add(
        phase="get_ready",
        side=None,
        set=1,
        rep=1,
        reps=dose.reps,
        seconds=settings.get_ready,
        say=join_sentences(*intro, f"Starting in {spoken(settings.get_ready)}"),
        **common,
    )

    def work(side: Side | None, set_no: int, rep: int, announce_side: bool) -> None:
        nonlocal pending_intro
        per_side = settings.side_order == "sets_per_side"
        first_of_set = rep == 1 and (side == sides[0] or per_side)
        say = _work_say(
            settings,
            dose,
            exercise,
            side=side,
            announce_side=announce_side,
            set_no=set_no,
            announce_set=first_of_set and dose.sets > 1,
            rep=rep,
            describe_tempo=bool(pending_intro),
            first_of_set=first_of_set,
            last=is_last_rep(settings, dose, side, rep),
        )
        if pending_intro:
            say = join_sentences(*pending_intro, say)
            pending_intro = []
        builder.add(
            phase=phase,
            side=side,
            set=set_no,
            rep=rep,
            reps=dose.reps,
            seconds=dose.rep_seconds,
            breaths=dose.breaths,
            say=say,
            **common,
        )

    rest_say = join_sentences(f"Release. Rest {spoken(settings.rest)}")  # said at every rest

    def rest(side: Side | None, set_no: int, rep: int) -> None:
        builder.add(
            phase="rest",
            side=side,
            set=set_no,
            rep=rep,
            reps=dose.reps,
            seconds=settings.rest,
            say=rest_say,
            **common,
        )

    def switch(to: Side, set_no: int, rep: int) -> None:
        builder.add(
            phase="switch_sides",
            side=to,
            set=set_no,
            rep=rep,
            reps=dose.reps,
            seconds=settings.switch,
            say=_switch_say(exercise, to),
            **common,
        )

    def set_rest(side: Side | None, done: int) -> None:
        builder.add(
            phase="set_rest",
            side=side,
            set=done,
            rep=dose.reps,
            reps=dose.reps,
            seconds=settings.set_rest,
            say=join_sentences(
                f"Set {done} of {dose.sets} done",
                f"Rest {spoken(settings.set_rest)}",
            ),
            **common,
        )

    resting = builder.keeps("rest", settings.rest)  # else no rest is added: none is made

    def reps_on(side: Side | None, set_no: int) -> None:
        for rep in range(1, dose.reps + 1):
            if rep > 1 and resting:
                rest(side, set_no, rep - 1)
            work(side, set_no, rep, announce_side=rep == 1)

    if settings.side_order == "sets_per_side" and len(sides) == 2:
        # "Perform three sets, then switch sides": every set on one side, then the other.
        for side_no, side in enumerate(sides):
            if side_no > 0:
                switch(side, 1, 1)  # type: ignore[arg-type]
            for set_no in range(1, dose.sets + 1):
                if set_no > 1:
                    set_rest(side, set_no - 1)
                reps_on(side, set_no)
        return

    for set_no in range(1, dose.sets + 1):
        if set_no > 1:
            set_rest(None, set_no - 1)
        if settings.side_order == "alternating" and len(sides) == 2:
            for rep in range(1, dose.reps + 1):
                if rep > 1 and resting:
                    rest(sides[1], set_no, rep - 1)
                work(sides[0], set_no, rep, announce_side=True)
                switch(sides[1], set_no, rep)  # type: ignore[arg-type]
                work(sides[1], set_no, rep, announce_side=True)
        else:
            for side_no, side in enumerate(sides):
                if side_no > 0:
                    switch(side, set_no, 1)  # type: ignore[arg-type]
                reps_on(side, set_no)
