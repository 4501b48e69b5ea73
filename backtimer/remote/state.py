"""What the remote page shows: a JSON-ready snapshot of the session, and the commands it may
send back.

Everything here is data for the page: text from the routine goes out as JSON strings (after
:func:`backtimer.core.literal.shown`) and the page puts it in the document with
``textContent``, never as HTML. A :class:`RemoteView` is a runner listener: after every batch
of events it hands a fresh snapshot to ``publish`` (the server, from whichever thread runs
the session).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from backtimer.core.durations import short
from backtimer.core.engine import WITHDRAWALS, Event, PainStopped, Session, State
from backtimer.core.literal import shown
from backtimer.core.phases import DONE
from backtimer.core.plan import Step
from backtimer.core.routine import Exercise, Routine
from backtimer.core.timeline import side_words
from backtimer.session.commands import COMMANDS, Key
from backtimer.session.controller import pain_amount, pain_place
from backtimer.session.safety import PAIN_PLACES, SAFETY_MESSAGE

#: The commands the page can send: binding ids of the command table, so that a tap on the
#: phone is the same command as its key (recorded the same way by the same controller).
REMOTE_COMMANDS: tuple[str, ...] = (
    "pain",
    "pause",
    "skip_step",
    "advance",
    "pain_end",
    "pain_skip",
    "pain_resume",
    "pain_mistake",
    "remote_start",
)

NOTE_LENGTH = 500  # the pain screen's note field holds as much


def remote_key(binding_id: str) -> Key | None:
    """The command table's entry for a command the page may send (None: not one)."""
    if binding_id not in REMOTE_COMMANDS:
        return None
    return next((key for key in COMMANDS if key.id == binding_id), None)


@dataclass(frozen=True)
class RemoteCommand:
    """One command from the page: a command table entry, and after a pain stop the answers
    that go with the choice (where, how much, a note), already checked."""

    key: Key
    where: str | None = None
    how_much: int | None = None
    note: str | None = None

    @property
    def id(self) -> str:
        return self.key.id


def parse_command(data: Any) -> RemoteCommand | str:
    """The page's JSON body as a :class:`RemoteCommand`, or why it is not one."""
    if not isinstance(data, dict):
        return "expected a JSON object"
    name = data.get("command")
    key = remote_key(name) if isinstance(name, str) else None
    if key is None:
        return "unknown command"
    where = how_much = note = None
    if key.where == "pain":
        raw_where = data.get("where")
        if raw_where not in (None, ""):
            where = pain_place(str(raw_where))
            if where is None:
                return "where: one of " + ", ".join(PAIN_PLACES)
        raw_much = data.get("how_much")
        if raw_much not in (None, ""):
            how_much = pain_amount(str(raw_much))
            if how_much is None:
                return "how much: a number from 0 to 10"
        raw_note = data.get("note")
        if raw_note is not None:
            if not isinstance(raw_note, str):
                return "note: text"
            note = raw_note.strip()[:NOTE_LENGTH]
    return RemoteCommand(key, where=where, how_much=how_much, note=note)


def _counter(step: Step) -> str:
    parts = []
    if step.reps > 1:
        parts.append(f"rep {step.rep} of {step.reps}")
    if step.sets > 1:
        parts.append(f"set {step.set} of {step.sets}")
    return " · ".join(parts)


def _side(step: Step, exercise: Exercise) -> str:
    """The step's side as the voice names it: the exercise's own words ("left leg on top")
    or "left side"; on a switch, "switch sides: left leg on top" ("switch to the left side")."""
    if not step.side:
        return ""
    words = side_words(exercise, step.side)
    if step.phase != "switch_sides":
        return words
    if words == side_words(None, step.side):
        return f"switch to the {words}"
    return f"switch sides: {words}"


def _next(step: Step, session: Session, routine: Routine) -> str:
    """What comes after this step, in brief: "rest · 10 s", "Bridges (get ready)"."""
    if step.phase in ("get_ready", "transition"):
        return f"{step.exercise} (get ready)"
    words = [step.phase_info.word.lower()]
    if step.user_paced:
        words = ["at your own pace"]
    if step.side:
        words.append(side_words(routine.exercises[step.exercise_index], step.side))
    seconds = step.seconds
    if step.breaths:
        words.append(f"{step.breaths} breaths")
    elif seconds is not None:
        words.append(short(seconds + session.extensions.get(step.index, 0.0)))
    return " · ".join(words)


def _text(value: str | None) -> str:
    return shown(value or "", lines=False)


def snapshot(
    session: Session,
    routine: Routine,
    now: float,
    *,
    pain: PainStopped | None = None,
    waiting: bool = False,
    stopped: bool = False,
) -> dict[str, Any]:
    """The session as the page shows it, at ``now`` on the session's clock.

    ``remaining`` is the seconds left in the step (None: not counted down); the page counts
    down from it by itself until the next snapshot. ``pain``: the pain stop being answered.
    ``waiting``: the session has not started yet (the page offers to start it); ``stopped``
    with it: the pain key was pressed before the start (the computer shows the safety
    message; nothing was running, so nothing is recorded and there is nothing to resume).
    """
    step = session.step
    state = session.state
    over = session.over
    info = DONE if over else step.phase_info
    index = step.exercise_index
    if step.phase == "transition" and index + 1 < len(routine.exercises):
        index += 1
    exercise = routine.exercises[index]
    side = ""
    if step.side and not over:
        side = _side(step, routine.exercises[step.exercise_index])
    word = info.word
    if step.user_paced and step.phase == "rep" and not over:
        word = "AT YOUR OWN PACE"
    remaining = session.remaining(now) if state is State.RUNNING or state is State.PAUSED else None
    following = None
    if not over and session.index + 1 < len(session.plan.steps):
        following = session.plan.steps[session.index + 1]
    data: dict[str, Any] = {
        "routine": _text(routine.name),
        "state": "waiting" if waiting else str(state.value),
        "phase": info.name,
        "phase_word": word,
        "exercise": _text(exercise.name),
        "next_exercise": step.phase == "transition" and not over,
        "exercise_number": index + 1,
        "exercises": len(routine.exercises),
        "side": _text(side),
        "counter": _counter(step) if step.phase_info.in_sets and not over else "",
        "remaining": None if remaining is None else round(remaining, 2),
        "elapsed": round(session.step_elapsed(now), 2) if step.user_paced else None,
        "user_paced": bool(step.user_paced) and not over,
        "session_left": round(session.session_remaining(now), 1),
        "next": _text(_next(following, session, routine)) if following is not None else "",
        "pain": None,
        "places": list(PAIN_PLACES),
    }
    if state is State.PAIN_STOPPED and pain is not None:
        stopped_at = [pain.exercise]
        if pain.side:
            stopped_at.append(side_words(routine.exercises[pain.exercise_index], pain.side))
        if pain.step.reps > 1 and pain.step.phase_info.in_rep:
            stopped_at.append(f"rep {pain.rep} of {pain.step.reps}")
        if pain.step.sets > 1:
            stopped_at.append(f"set {pain.set} of {pain.step.sets}")
        stop_if = routine.exercises[pain.exercise_index].stop_if
        data["pain"] = {
            "message": SAFETY_MESSAGE,
            "at": _text(", ".join(stopped_at)),
            "stop_if": _text(" ".join(stop_if.split())) if stop_if else "",
            "before_start": False,
        }
    elif waiting and stopped:
        data["state"] = str(State.PAIN_STOPPED.value)
        data["pain"] = {
            "message": SAFETY_MESSAGE,
            "at": "before the session started (nothing is recorded)",
            "stop_if": "",
            "before_start": True,
        }
    return data


Publish = Callable[[dict[str, Any]], None]


class RemoteView:
    """A runner listener that publishes a snapshot after every batch of events (add it with
    ``controller.runner.add_listener``); :meth:`refresh` publishes one at any time, from the
    thread that drives the session."""

    def __init__(
        self,
        session: Session,
        routine: Routine,
        publish: Publish,
        clock: Callable[[], float],
    ) -> None:
        self.session = session
        self.routine = routine
        self.publish = publish
        self.clock = clock
        self.pain: PainStopped | None = None
        self.waiting = False
        self.stopped = False  # while waiting: the pain key was pressed before the start

    def on_events(self, events: Sequence[Event], session: Session) -> None:
        self.session = session
        self.waiting = False
        self.stopped = False
        for event in events:
            if isinstance(event, PainStopped):
                self.pain = event
            elif isinstance(event, WITHDRAWALS):
                self.pain = None
        self.refresh()

    def refresh(self) -> None:
        """Publish the session as it is now."""
        self.publish(
            snapshot(
                self.session,
                self.routine,
                self.clock(),
                pain=self.pain,
                waiting=self.waiting,
                stopped=self.stopped,
            )
        )
