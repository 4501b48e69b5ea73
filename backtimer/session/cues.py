"""The cue layer: turns the engine's events into a bell and spoken words.

:class:`Cues` is a runner listener. What it says comes only from the events (a step's ``say``
from the plan, a countdown's number from the engine): it never invents timing words.

One batch of events happens at one moment, and a new announcement cuts the previous one
off, so a batch is spoken as one announcement: what is still current at the end of it. When
a late tick delivers several steps at once, only the last step's ``say`` is spoken, and the
countdown of a step that already ended in the same batch is dropped. A batch rings the bell
at most once. A pain stop silences everything at once, then plays the stop sound and says
"Stopped"; then, once, after it (never cutting it), what the pain screen says: the advice,
the exercise's "stop if" and the choices with their keys (``pain_words``, from the session
controller). The person's choice cuts those words off at once.

A plan fitted with speech lengths (see :mod:`backtimer.core.timeline`) carries each step's
cue timeline: then the step's cues are played on their own deadlines, absolute times on the
session's clock (a step's scheduled start plus the cue's ``at``; a cue timed from the step's
end moves when a hold is made longer; a pause moves them all by its length). They fit, so
none cuts another off. :meth:`Cues.poll` plays what is due: the session controller polls on
every tick, the app also from a thread (:meth:`Cues.start`) so that cues fall between the
screen's ticks, ``--plain`` waits until :meth:`Cues.next_due`. A pain stop or a pause keeps
what is left of the step, moved on by the time stopped. A cue found due more than
:data:`LATE` seconds after its time is not played; the player is given each cue's time as
its deadline and keeps the same rule for a text that could only start that late (it waited
behind a voice that hung). What a key press says, the pain stop's words and the session's
end have no deadline: they are always said.

Players: :class:`SpeechPlayer` (a local speech command, see :mod:`backtimer.sound.speech`),
:class:`RecordingPlayer` for tests, and :func:`default_player` to combine speech and a bell.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from backtimer.core.durations import spoken
from backtimer.core.engine import (
    Countdown,
    EndedEarly,
    Event,
    Extended,
    Finished,
    Halfway,
    Lengthened,
    PainStopped,
    PainWithdrawnPaused,
    Paused,
    Resumed,
    Session,
    State,
    StepEnded,
    StepStarted,
)
from backtimer.core.plan import CLOSING_TEXT, Step
from backtimer.core.timeline import (
    DEFAULT_RATE,
    LATE,
    RESUME_KIND,
    Cue,
    Placed,
    estimate,
    fit_resumed,
    resume_room,
)
from backtimer.sound.bell import terminal_bell
from backtimer.sound.speech import STOPPED_TEXT, SpeechPlayer, find_command

if TYPE_CHECKING:
    from backtimer.sound.player import SoundStatus


__all__ = [
    "LATE",
    "CuePlayer",
    "Cues",
    "PlayerGroup",
    "RecordingPlayer",
    "SpeechPlayer",
    "announcement",
    "default_player",
    "find_command",
    "is_stale",
    "terminal_bell",
]

FINISHED_TEXT = CLOSING_TEXT  # the plan counts its length in its total
ENDED_TEXT = "Session ended."
#: After a pain stop, "skip the exercise" with no exercise after it: the session ends there.
ENDED_LAST_SKIPPED_TEXT = "That was the last exercise. Session ended."
PAUSED_TEXT = "Paused."
SLEPT_TEXT = "Paused while the computer slept."
RESUMED_TEXT = "Resuming."
HALFWAY_TEXT = "Halfway."


class CuePlayer(Protocol):
    def bell(self) -> None: ...

    def say(self, text: str) -> None:
        """Start speaking in the background; cuts off an announcement still speaking."""
        ...

    def silence(self) -> None:
        """Stop any speech at once."""
        ...

    def close(self) -> None: ...


class RecordingPlayer:
    """A player that records its calls, for tests: ("bell",), ("say", text), ("silence",)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.closed = False

    def bell(self) -> None:
        self.calls.append(("bell",))

    def say(self, text: str) -> None:
        self.calls.append(("say", text))

    def silence(self) -> None:
        self.calls.append(("silence",))

    def close(self) -> None:
        self.closed = True

    @property
    def said(self) -> list[str]:
        """Only the texts, in order."""
        return [call[1] for call in self.calls if call[0] == "say"]


# ------------------------------------------------------------------------ words


def extended_text(delta: float) -> str:
    """5 -> "5 more seconds.", -5 -> "5 seconds less."; rounded to whole seconds."""
    amount = max(1, round(abs(delta)))
    if delta > 0:
        if amount < 60:
            return f"{amount} more second{'s' if amount != 1 else ''}."
        return f"{spoken(amount)} more."
    return f"{spoken(amount)} less."


def announcement(event: Event) -> str | None:
    """What one event says on its own (None: nothing). Used by plain mode's lines too."""
    match event:
        case StepStarted():
            return event.say
        case Countdown():
            return str(event.number)
        case Halfway():
            return HALFWAY_TEXT
        case Paused():
            return SLEPT_TEXT if event.reason == "sleep" else PAUSED_TEXT
        case PainWithdrawnPaused():
            return PAUSED_TEXT  # by mistake, during a pause: still paused
        case Resumed():
            return RESUMED_TEXT
        case Extended():
            return extended_text(event.delta)
        case Finished():
            return FINISHED_TEXT
        case EndedEarly():
            return ENDED_LAST_SKIPPED_TEXT if event.skipped_last else ENDED_TEXT
    return None


_RINGS = (StepStarted, Countdown, Finished)  # phase changes and the last seconds

#: The app's tone (backtimer.sound.tones.SOUNDS) for the step that starts.
PHASE_SOUNDS = {
    "hold": "go",
    "rep": "go",
    "rest": "release",
    "set_rest": "set_done",
    "switch_sides": "switch",
    "transition": "release",
    "get_ready": "release",
}


def sound_for(event: Event, session: Session | None = None) -> str | None:
    """The tone an event rings (None: none; the very first get-ready needs no release)."""
    match event:
        case StepStarted():
            if event.step.index == 0 and event.step.phase == "get_ready":
                return None
            return PHASE_SOUNDS.get(event.step.phase)
        case Countdown():
            return "tick"
        case Finished():
            return "session_done"
    return None


_TIMING = (Countdown, Halfway)


def is_stale(event: Event, session: Session | None) -> bool:
    """A countdown number whose second is long gone (a hold was just shortened, say).

    Said late it would mislead: "3" with one second left. Judged against the session's
    latest tick; a tick that is merely late (less than a second) still counts.
    """
    if not isinstance(event, Countdown) or session is None or session.last_tick is None:
        return False
    if session.over or session.index != event.step.index:
        return False
    remaining = session.remaining(session.last_tick)
    return remaining is not None and event.number > remaining + 1.0


def current_cues(events: Sequence[Event], session: Session | None = None) -> list[Event]:
    """The events of one batch that are still worth announcing, in order.

    - everything before a pain stop, and the pain stop itself, is dropped (pain is silence);
    - a Finished or EndedEarly drops everything before it;
    - of several StepStarted only the last is kept;
    - a Countdown or Halfway is kept only if its step did not end later in the batch and it
      is the batch's last announcement (a later one would cut it off anyway); a countdown
      number already well past (see :func:`is_stale`) is dropped.
    """
    events = list(events)
    for i in range(len(events) - 1, -1, -1):
        if isinstance(events[i], PainStopped):
            events = events[i + 1 :]
            break
    kept: list[Event] = []
    for i, event in enumerate(events):
        if isinstance(event, Finished | EndedEarly):
            kept = [event]
        elif isinstance(event, _TIMING):
            index = event.step.index
            ended = any(
                isinstance(later, StepEnded) and later.step.index == index
                for later in events[i + 1 :]
            )
            if not ended and not is_stale(event, session):
                kept.append(event)
        elif announcement(event) is not None:
            kept.append(event)
    starts = [i for i, e in enumerate(kept) if isinstance(e, StepStarted)]
    if len(starts) > 1:
        kept = [e for i, e in enumerate(kept) if not isinstance(e, StepStarted) or i == starts[-1]]
    if starts:
        # Timing cues before the step that is now current belong to an earlier step.
        first = next(i for i, e in enumerate(kept) if isinstance(e, StepStarted))
        kept = [e for i, e in enumerate(kept) if i > first or not isinstance(e, _TIMING)]
    last = len(kept) - 1
    return [e for i, e in enumerate(kept) if i == last or not isinstance(e, _TIMING)]


Spoken = Callable[[float, str], None]
PainWords = Callable[[PainStopped], str | None]

#: A batch with one of these leaves a pain stop (when the session is not at hand to ask).
_LEAVES_PAIN = (Resumed, StepStarted, EndedEarly, Finished, PainWithdrawnPaused)


def _longest(text: str, rate: int) -> float:
    """The longest ``text`` can take at ``rate``, a speech command's trailing quiet included
    (the estimate and a word's time more)."""
    return estimate(text, rate) + 60.0 / rate


def _after_words(before: _Due | None, item: _Due) -> bool:
    """``item`` follows a cue fitted by its words alone (:attr:`Cue.by_words`: a countdown
    number, a rep's tempo part or count; its command's quiet may run on) whose words ended
    by ``item``'s time."""
    if before is None or before.cue.say is None or not before.cue.by_words:
        return False
    return before.end <= item.due + 1e-9


@dataclass
class _Due:
    due: float  # absolute time on the session's clock
    cue: Cue
    step: Step
    early: bool = False  # the next step's first cue, due when this step ends

    @property
    def end(self) -> float:
        """When its words end (its sound, then its words), as :attr:`Cue.end` does."""
        return self.due + self.cue.lead + self.cue.seconds


class Cues:
    """A runner listener that rings and speaks. ``bell``/``voice`` False turn either off.

    ``clock``: the session's clock, for :meth:`start`'s thread (the app); ``on_spoken`` is
    called with (time, text) for every timeline cue that is said (``--plain`` prints it),
    and for the words after a pain stop's "Stopped."; ``pain_words`` gives those words
    (None: nothing more).
    """

    def __init__(
        self,
        player: CuePlayer,
        *,
        bell: bool = True,
        voice: bool = True,
        clock: Callable[[], float] | None = None,
        on_spoken: Spoken | None = None,
        pain_words: PainWords | None = None,
    ) -> None:
        self.player = player
        self.bell = bell
        self.voice = voice
        self.clock = clock
        self.on_spoken = on_spoken
        self.pain_words = pain_words
        self._advising = False  # a pain stop's words were said, and no choice made since
        self._pending: list[_Due] = []
        self._early: set[tuple[int, int, float]] = set()
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._closed = False
        self._over = False  # the session finished or ended: the thread has nothing to do
        self._paused = False
        self._last: _Due | None = None  # the last timeline cue with words that was said
        self._cut: _Due | None = None  # what a pause or pain stop cut off, said again on resume
        self._speaking: bool | None = None  # the player's word as a stop came (None: unknown)
        self._started = False  # a step has started: a run that starts later is a resume

    # -------------------------------------------------------------- timeline

    def next_due(self) -> float | None:
        """When the next timeline cue is due (None: nothing pending, or paused)."""
        with self._lock:
            if self._paused or not self._pending:
                return None
            return min(d.due for d in self._pending)

    def poll(self, now: float, until: float | None = None) -> None:
        """Play the timeline cues due by ``now`` (or by ``until``), in order. One found more
        than :data:`LATE` seconds after its time (a late wake) is left out: said that late
        it would mislead ("3" with no second left)."""
        with self._lock:
            if self._paused:
                return
            limit = now if until is None else until
            due = sorted((d for d in self._pending if d.due <= limit + 1e-9), key=lambda d: d.due)
            if not due:
                return
            self._pending = [d for d in self._pending if d.due > limit + 1e-9]
            for item in due:
                if now - item.due > LATE:
                    continue
                if item.early:
                    number = item.step.cues.index(item.cue)
                    self._early.add((item.step.index, number, round(item.due, 2)))
                self._play(item)

    def _play(self, item: _Due) -> None:
        cue = item.cue
        if cue.sound is not None:
            self._ring(cue.sound, item.due)
        if cue.say and self.voice:
            before, self._last = self._last, item
            follow = getattr(self.player, "say_next", None)
            hurry = getattr(self.player, "say_after_quiet", None)
            if before is not None and _after_words(before, item) and callable(hurry):
                # The number before it was fitted by its words, which are over: a speech
                # command's trailing quiet after them is not waited for (else the count
                # drifts later by it every second).
                hurry(cue.say, item.due, before.cue.seconds)
            elif callable(follow):
                follow(cue.say, item.due)  # the timeline left room: never cut what is said
            else:
                self.player.say(cue.say)
        if cue.say and self.on_spoken is not None:
            self.on_spoken(item.due, cue.say)

    def _schedule(self, started: StepStarted, now: float, session: Session | None) -> None:
        step = started.step
        length = started.seconds if started.seconds is not None else step.seconds
        if not self._paused:
            self.poll(now, until=started.at)  # the step before ended: what was due by then
        self._pending = []
        cues = list(enumerate(step.cues))
        sooner = 0.0
        if not self._started and step.index > 0 and cues and cues[0][1].kind == "release":
            # A run that starts here (a resume) heard no hold end: not "Release.", and what
            # follows it ("Switch sides.") is said at once.
            cues = cues[1:]
            sooner = cues[0][1].at if cues else 0.0
        self._started = True
        for number, cue in cues:
            if (step.index, number, round(started.at, 2)) in self._early:
                continue  # already said, on the deadline, before this step's tick came
            due = started.at + cue.at - (0.0 if cue.from_end else sooner)
            if cue.from_end and length is not None and step.seconds is not None:
                due = started.at + length - (step.seconds - cue.at)
            self._pending.append(_Due(due, cue, step))
        self._early = set()
        # The next step's first cue is due when this one ends: said on the deadline even if
        # the session's tick that starts that step comes a moment later.
        steps = session.plan.steps if session is not None else ()
        if length is not None and step.index + 1 < len(steps):
            following = steps[step.index + 1]
            for cue in following.cues:
                if cue.at == 0.0:
                    self._pending.append(_Due(started.at + length, cue, following, early=True))
        self._wake.notify_all()

    def _timeline(self, events: Sequence[Event], session: Session | None) -> bool:
        """Handle a batch for a plan with timelines; False: a plan without them."""
        if session is not None:
            fitted = bool(session.plan.steps[0].cues)
        else:
            fitted = any(isinstance(e, StepStarted) and e.step.cues for e in events)
        if not fitted:
            return False
        now = max(e.at for e in events)
        now_clock = self.clock() if self.clock is not None else now
        with self._lock:
            for event in events:
                match event:
                    case PainStopped():
                        # Silenced above; what is left waits: "pressed by mistake" goes on
                        # where it was (a Resumed), a resume starts the step again. During
                        # a pause, what that pause cut off is kept for its resume.
                        if not self._paused:
                            self._cut = self._cut_off(event.at)
                        self._paused = True
                    case PainWithdrawnPaused():
                        self._say(announcement(event), None)  # still paused
                    case StepStarted():
                        self._schedule(event, now_clock, session)
                        self._paused = False
                        self._cut = None
                    case Paused():
                        self._paused = True
                        self._cut = self._cut_off(event.at)
                        self._say(announcement(event), None)
                    case Resumed():
                        self._paused = False
                        for item in self._pending:
                            item.due += event.paused_seconds
                        if any(isinstance(e, StepStarted) for e in events):
                            # A resume after a pain stop starts the step again: its own
                            # first cue says what it is, on its deadline ("Hold" with the
                            # go sound), and says what the stop cut off.
                            self._cut = None
                        else:
                            self._resume(event, session)
                    case Extended():
                        for item in self._pending:
                            if self._moves(item, event.step.index):
                                item.due += event.delta
                        self._say(announcement(event), None)
                    case Lengthened():
                        # Made longer for the words a resume has still to say (it comes
                        # just before the Resumed): its end and what is timed from it move.
                        for item in self._pending:
                            if self._moves(item, event.step.index):
                                item.due += event.delta
                    case Finished():
                        self._pending = []
                        self._over = True
                        self._ring("session_done", event.at)
                        # The last step's clock ran out: the last countdown number, whose
                        # quiet may run past the end, is let finish (never cut off). After a
                        # step at the person's own pace, done is theirs: it is cut off.
                        steps = session.plan.steps if session is not None else ()
                        timed = bool(steps) and steps[-1].seconds is not None
                        # True whenever it is heard: always said (no deadline).
                        self._say(FINISHED_TEXT, None, follow=timed)
                    case EndedEarly():
                        self._pending = []
                        self._over = True
                        self._say(announcement(event), None)
            if not self._paused:
                self.poll(now_clock)
            self._wake.notify_all()
        return True

    def _cut_off(self, at: float) -> _Due | None:
        """The timeline cue still being said at ``at`` (a pause or pain stop cuts it off)."""
        last = self._last
        if last is None or last.cue.say is None or self._speaking is False:
            return None  # nothing said, or the player has said it all (heard whole)
        if last.due <= at < last.end:
            return last
        return None

    @staticmethod
    def _rate(session: Session | None) -> int:
        speech = session.plan.speech if session is not None else None
        return speech.rate if speech is not None and speech.rate else DEFAULT_RATE

    def _again(self) -> Cue | None:
        """The sentence a pause or pain stop cut off, as it is said again (from its start,
        without its sound, when it fits: see :func:`~backtimer.core.timeline.fit_resumed`)."""
        cut = self._cut
        if cut is None or not cut.cue.say:
            return None
        return replace(cut.cue, sound=None, from_end=False)

    def resume_room(self, now: float, session: Session) -> float:
        """Seconds the current step must be made longer for a resume at ``now`` to say
        everything left in it in full: the sentence the stop cut off, again, then every
        instruction, warning and what comes next, before the countdown, which then keeps its
        seconds (see :func:`~backtimer.core.timeline.resume_room`). 0: it all fits. The
        session controller asks it where the engine makes room (see
        :meth:`~backtimer.core.engine.Session.makes_room`: a get-ready or a rest, resumed
        where it stood) and hands it to the engine's RESUME (or MISTAKE), which makes the
        step longer before the clock runs, so the layout :meth:`_resume` makes finds the
        room."""
        with self._lock:
            if session.paused_at is None or session.deadline is None:
                return 0.0
            # Laid out on the clock as it stood: the resume moves every deadline and every
            # pending cue by the time stopped alike (see _restart_clock and on Resumed).
            at = min(now, session.paused_at)
            step = session.step
            pending = [(item.due, item.cue) for item in self._pending]
            moves = [n for n, item in enumerate(self._pending) if self._moves(item, step.index)]
            return resume_room(
                at,
                pending,
                moves=moves,
                following=[n for n, item in enumerate(self._pending) if item.early],
                again=self._again(),
                end=session.deadline,
            )

    @staticmethod
    def _moves(item: _Due, index: int) -> bool:
        """Whether a pending cue moves when step ``index`` is made longer: timed from its
        end (its countdown, what comes next), or the next step's first cue, due at it."""
        return item.early or (item.cue.from_end and item.step.index == index)

    def _resume_words(self, text: str, session: Session | None) -> Cue:
        return Cue(0.0, text, None, _longest(text, self._rate(session)), RESUME_KIND)

    def _resume(self, event: Resumed, session: Session | None) -> None:
        """What is said as the clock runs again where it stood (see
        :func:`~backtimer.core.timeline.fit_resumed`): "Resuming." (in a hold resumed
        mid-way, "Resuming. Hold, 12 seconds left."), then the sentence the pause or pain
        stop cut off, again from its start, then what was left of the step, each where it
        fits: nothing with a deadline (a countdown number, the next step's first cue) is
        made late; what does not fit gives way, a safety warning last. A step that lasts as
        long as its words need was made longer first where they needed it (see
        :meth:`resume_room`), so nothing gives way there."""
        again = self._again()
        cut, self._cut = self._cut, None
        end = None
        if session is not None and not session.over and session.deadline is not None:
            end = session.deadline
        pending = [(item.due, item.cue) for item in self._pending]
        placed: list[Placed] = []
        left = None
        if session is not None and not session.over and session.step.phase == "hold":
            left = session.remaining(event.at)
        if left is not None and round(left) >= 1:
            longer = f"{RESUMED_TEXT} Hold, {spoken(round(left))} left."
            # It says "Hold" again: a cut "Hold" is not said besides.
            kept = again if again is not None and again.kind != "go" else None
            words = [self._resume_words(longer, session)]
            placed = fit_resumed(event.at, pending, words=words, again=kept, end=end)
            if not any(p.cue.kind == RESUME_KIND for p in placed):
                placed = []
        if not placed:
            words = [self._resume_words(RESUMED_TEXT, session)]
            placed = fit_resumed(event.at, pending, words=words, again=again, end=end)
        before = self._pending
        self._pending = []
        for item in placed:
            if item.source is not None:
                kept_item = before[item.source]
                kept_item.due = item.due
                if not kept_item.early:
                    kept_item.cue = item.cue  # a number may give its words to a warning
                self._pending.append(kept_item)
            elif item.cue.kind == RESUME_KIND:
                self._say(item.cue.say, None)  # on a key press: always said
                if item.cue.say and self.on_spoken is not None:
                    # Printed by --plain only when said (it gives way where it has no room).
                    self.on_spoken(event.at, item.cue.say)
            elif cut is not None:
                self._pending.append(_Due(item.due, item.cue, cut.step))

    # -------------------------------------------------------------- the thread

    def start(self) -> None:
        """Play the timeline from a thread of its own, on ``clock`` (the app)."""
        if self._thread is not None or self.clock is None:
            return
        self._thread = threading.Thread(target=self._run, name="backtimer-cues", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        assert self.clock is not None
        # A wait's timeout runs on the monotonic clock: on it, the thread sleeps until the
        # next cue is due (every change to the timeline wakes it), not every second of a
        # long hold; on another clock it looks again every second.
        longest = None if self.clock is time.monotonic else 1.0
        with self._lock:
            while not self._closed and not self._over:
                due = self.next_due()
                now = self.clock()
                if due is not None and due <= now:
                    with contextlib.suppress(Exception):  # a cue must never end the thread
                        self.poll(now)
                    continue
                timeout = None if due is None else due - now
                if timeout is not None and longest is not None:
                    timeout = min(longest, timeout)
                self._wake.wait(timeout=timeout)

    # -------------------------------------------------------------- events

    def on_events(self, events: Sequence[Event], session: Session | None = None) -> None:
        # Under the timeline's lock: the cue thread cannot play a cue between a pain stop's
        # silence and the timeline's pause (it plays only while holding the lock).
        with self._lock:
            self._on_events(events, session)

    def _on_events(self, events: Sequence[Event], session: Session | None) -> None:
        stopped = [e for e in events if isinstance(e, PainStopped)]
        # Whether the words in progress are still heard, asked before anything is silenced:
        # a cue's fitted length is an estimate (a speech command's errs long), and a
        # sentence the player has finished was heard whole, so a stop does not cut it.
        self._speaking = None
        if stopped or any(isinstance(e, Paused) for e in events):
            speaking = getattr(self.player, "speaking", None)
            self._speaking = speaking if isinstance(speaking, bool) else None
        if stopped:
            # Heard by someone who cannot see: silence first, then the stop sound and
            # "Stopped" (a player with the app's tones plays the word right after the sound),
            # then what the screen says, after it.
            self.player.silence()
            self._ring("stop")
            if self.voice:
                self.player.say(STOPPED_TEXT)
            self._advise(stopped[-1])
        elif self._advising and self._left_pain(events, session):
            # The person chose: the pain stop's words stop at once, before what follows.
            self._advising = False
            self.player.silence()
        elif any(isinstance(e, Paused) for e in events):
            hush = getattr(self.player, "stop_sounds", None)  # the app's own output
            if hush is not None:
                hush()  # everything stops at once; "Paused." follows
        elif self._moved_on(events):
            # The person moved on (skip, back): what the step left was saying stops at once,
            # so that the next step's first words come on time, not after it.
            self.player.silence()
        if self._timeline(events, session):
            return
        cues = current_cues(events, session)
        if not cues:
            return
        rings = [e for e in cues if isinstance(e, _RINGS)]
        if rings:
            self._ring(sound_for(rings[-1], session), rings[-1].at)
        if self.voice:
            text = " ".join(t for t in (announcement(e) for e in cues) if t)
            # A countdown number or "halfway" never cuts off a step's announcement still
            # being spoken (a 5 s hold's "Rep 7 of 15. Hold 5 seconds." outlasts 2 s); the
            # bell still marks the second.
            minor = all(isinstance(e, Countdown | Halfway) for e in cues)
            if text and not (minor and getattr(self.player, "speaking", False)):
                # A step's words and its seconds have a deadline; with words of a key press
                # (a pause, a resume, more seconds, the end) they are always said.
                timed = all(isinstance(e, StepStarted | Countdown | Halfway) for e in cues)
                self._say(text, cues[-1].at if timed else None)

    def _advise(self, event: PainStopped) -> None:
        """What the pain screen says, said once after "Stopped." without cutting it off,
        and told to ``on_spoken`` at the stop's time, as every timeline cue is (with voice
        off too: --plain prints what the session says whether or not it is heard)."""
        if self.pain_words is None:
            return
        try:
            text = self.pain_words(event)
        except Exception:  # words must never break a pain stop
            return
        if not text:
            return
        if self.voice:
            follow = getattr(self.player, "say_next", None)
            if callable(follow):
                follow(text)  # after "Stopped.", never over it
            else:
                self.player.say(text)
            self._advising = True
        if self.on_spoken is not None:
            self.on_spoken(event.at, text)

    @staticmethod
    def _moved_on(events: Sequence[Event]) -> bool:
        """A skip or a step back: a step ended early and another started, the session going
        on (not a resume, which says so, nor an end)."""
        return (
            any(isinstance(e, StepEnded) and e.skipped for e in events)
            and any(isinstance(e, StepStarted) for e in events)
            and not any(isinstance(e, Resumed | EndedEarly | Finished) for e in events)
        )

    @staticmethod
    def _left_pain(events: Sequence[Event], session: Session | None) -> bool:
        if session is not None:
            return session.state is not State.PAIN_STOPPED
        return any(isinstance(e, _LEAVES_PAIN) for e in events)

    def _ring(self, name: str | None, at: float | None = None) -> None:
        """A named tone where the player has the app's tones (it knows whether tones and
        bell are on), else the bell (when ``bell`` is on)."""
        play = getattr(self.player, "sound", None)
        if play is None:
            if self.bell:
                self.player.bell()
        elif name is not None:
            play(name, at)

    def _say(self, text: str | None, at: float | None, *, follow: bool = False) -> None:
        """Say ``text``, cutting off what is still being said (a person's command), or,
        with ``follow``, after it where the player can. ``at``: its deadline, past which
        by more than :data:`LATE` seconds the player leaves it out (see
        :mod:`backtimer.sound.player`); None: at once, and always said (what is said on a
        key press, "Paused.", "Resuming.", the session's end: true whenever heard)."""
        if not text or not self.voice:
            return
        after = getattr(self.player, "say_next", None) if follow else None
        if callable(after):
            after(text, at)
        elif hasattr(self.player, "sound"):  # a player on the session's clock
            self.player.say(text, at)  # type: ignore[call-arg]
        else:
            self.player.say(text)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._pending = []
            self._wake.notify_all()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=1.0)
        self.player.close()


# ------------------------------------------------------------------------ players


class PlayerGroup:
    """Speech (optional) plus a bell function (optional), as one CuePlayer."""

    def __init__(
        self, speech: SpeechPlayer | None = None, bell_fn: Callable[[], None] | None = None
    ) -> None:
        self.speech = speech
        self.bell_fn = bell_fn
        self.status: SoundStatus | None = None

    def bell(self) -> None:
        if self.bell_fn is not None:
            with contextlib.suppress(Exception):  # a bell must never break a session
                self.bell_fn()

    def say(self, text: str) -> None:
        if self.speech is not None:
            self.speech.say(text)

    def say_next(self, text: str, at: float | None = None) -> None:
        """Say without cutting off what is still being said (see SpeechPlayer.say_next);
        a speech command starts now or after what is said, and not at all when that is more
        than LATE seconds after its deadline ``at``."""
        if self.speech is not None:
            self.speech.say_next(text, at)

    def say_after_quiet(self, text: str, at: float | None = None, words: float = 0.0) -> None:
        """As :meth:`say_next`, not waiting for a command's trailing quiet after the words
        of the number before, which take ``words`` s (see SpeechPlayer.say_after_quiet)."""
        if self.speech is not None:
            self.speech.say_after_quiet(text, words, at=at)

    def take_dropped(self) -> list[str]:
        """The texts the speech left unsaid, too late (see SpeechPlayer.take_dropped)."""
        return [] if self.speech is None else self.speech.take_dropped()

    @property
    def speaking(self) -> bool:
        """Whether an announcement is still being spoken."""
        return self.speech is not None and self.speech.speaking

    def silence(self) -> None:
        if self.speech is not None:
            self.speech.silence()

    def close(self) -> None:
        if self.speech is not None:
            self.speech.close()

    def wait_idle(self, timeout: float) -> bool:
        """Let the last announcement finish (up to ``timeout`` s); see SpeechPlayer."""
        return True if self.speech is None else self.speech.wait_idle(timeout)


def default_player(
    bell_fn: Callable[[], None] | None = None,
    *,
    voice: bool = True,
    bell: bool = True,
    command: str | Sequence[str] | None = None,
    tones: bool = True,
    volume: int = 80,
    rate: int | None = None,
    speech_voice: str | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Any:
    """The real player: the app's tones and voice on a sound device where one opens (see
    backtimer.sound.player.open_sound), else speech through a local command (if ``voice``
    and one exists) and a bell calling ``bell_fn`` (if ``bell``; None rings the terminal
    through stdout). Either has a ``status`` saying what it found.

    ``BACKTIMER_AUDIO=none`` skips the sound device (the tests do), ``=null`` plays to
    miniaudio's null device (real timing, no sound). ``clock``: the session's clock, on
    which the cue layer gives a text's deadline (``at``).
    """
    # Here, not at the top: the sound device's modules load with the player, once the
    # app's first frame is on the screen (the app's LatePlayer), not before it.
    from backtimer.sound.player import SoundStatus, open_sound

    mode = os.environ.get("BACKTIMER_AUDIO", "").strip().lower()
    if mode != "none":
        return open_sound(
            voice=voice,
            tones_on=tones,
            bell=bell,
            volume=volume,
            command=command,
            rate=rate,
            voice_name=speech_voice,
            null_device=mode == "null",
            bell_fn=bell_fn,
            clock=clock,
        )
    speech = None
    status = SoundStatus(voice_on=voice, tones_on=tones, bell_on=bell)
    if voice:
        candidate = SpeechPlayer(command, rate=rate, voice=speech_voice, clock=clock)
        speech = candidate if candidate.available else None
        if speech is not None and speech.argv is not None:
            status.engine = " ".join(speech.argv)
        else:
            status.notes.append("no speech command found")
    ring = (bell_fn if bell_fn is not None else terminal_bell()) if bell else None
    group = PlayerGroup(speech, ring)
    group.status = status
    return group
