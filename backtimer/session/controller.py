"""One session, headless: what the app's session screen and ``--plain`` both drive.

A :class:`SessionController` builds the runner and its listeners (the cue layer first, then
the front end's own view, the caller's listeners such as the history recorder, and the
:class:`~backtimer.session.tally.Tally` behind the summary), and offers every command a
person can give: pause, skip a step or the exercise, back, a few seconds more or less, the
step at your own pace, quit, the pain stop and what follows it (where, how much, a note, then
end, skip the exercise or resume), the pause of a resumed session and an interruption. The
front ends only turn keys or lines into these calls and show what comes back, so they cannot
drift apart. Nothing here draws, prints or reads input.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from backtimer.core.engine import Command, Event, PainStopped, Refused, Session, State
from backtimer.core.plan import Plan
from backtimer.core.routine import Routine
from backtimer.core.timeline import join
from backtimer.session.commands import pain_choices_spoken
from backtimer.session.cues import CuePlayer, Cues, Spoken
from backtimer.session.launch import resume_prompt
from backtimer.session.runner import Clock, Listener, SessionRunner
from backtimer.session.safety import (
    PAIN_PLACES,
    SAFETY_MESSAGE,
    PainChoice,
    PainDetails,
    stop_if_parts,
)
from backtimer.session.tally import Tally

EXIT_OK = 0
EXIT_HANGUP = 129  # SIGHUP
EXIT_INTERRUPTED = 130  # Ctrl-C
EXIT_TERMINATED = 143  # SIGTERM

EXTEND_STEP = 5.0  # seconds added or removed by + and -

#: The pain screen's advice as it is said after "Stopped." (its "Stop." is said already).
PAIN_ADVICE = SAFETY_MESSAGE.removeprefix("Stop.").strip()

#: The engine command behind each choice after a pain stop.
PAIN_COMMANDS: dict[PainChoice, Command] = {
    "end": Command.END,
    "skip_exercise": Command.SKIP_EXERCISE,
    "resume": Command.RESUME,
    "mistake": Command.MISTAKE,
}


def refusal_text(event: Refused, session: Session) -> str | None:
    """Why a command did nothing, for the person (None: nothing worth saying)."""
    if event.command in (Command.TICK, Command.ADVANCE):
        return None  # enter on a timed step: nothing to say
    if event.command is Command.EXTEND:
        if session.step.phase_info.extendable:
            return "The hold cannot be shorter than that."
        return "Only a hold can be made longer or shorter."
    return f"Not possible now: {event.command.value.replace('_', ' ')}."


def pain_place(text: str) -> str | None:
    """A quick pick from what was typed: its number (1-6), its name, or a unique part of it
    ("back" -> "lower back"); None if it names none or several."""
    word = " ".join(text.lower().split())
    if not word:
        return None
    if word.isdigit():
        number = int(word)
        return PAIN_PLACES[number - 1] if 1 <= number <= len(PAIN_PLACES) else None
    if word in PAIN_PLACES:
        return word
    found = [place for place in PAIN_PLACES if word in place]
    return found[0] if len(found) == 1 else None


def pain_amount(text: str) -> int | None:
    """How much it hurts, 0 to 10, from what was typed (None: not such a number)."""
    word = text.strip().removesuffix("/10").strip()
    if not word.isdigit():
        return None
    number = int(word)
    return number if 0 <= number <= 10 else None


@dataclass
class PainForm:
    """The optional answers after a pain stop, filled in by either front end."""

    event: PainStopped
    where: str | None = None
    how_much: int | None = None
    note: str = ""

    def details(self, choice: PainChoice) -> PainDetails:
        return PainDetails(
            choice=choice,
            where=self.where,
            how_much=self.how_much,
            note=self.note.strip(),
            event=self.event,
        )


class SessionController:
    """One run of a plan; see the module's docstring.

    ``player`` (bell and speech) gets a :class:`~backtimer.session.cues.Cues` listener;
    ``views`` are the front end's own listeners (plain mode's printer), told before
    ``listeners`` (a history recorder, a test's recorder); the tally is told last.
    ``pain_choices``: the choices after a pain stop as they are said, with the front end's
    keys (see :func:`~backtimer.session.commands.pain_choices_spoken`; None: the app's).
    """

    def __init__(
        self,
        plan: Plan,
        routine: Routine,
        *,
        clock: Clock = time.monotonic,
        player: CuePlayer | None = None,
        bell: bool = True,
        voice: bool = True,
        views: Sequence[Listener] = (),
        listeners: Sequence[Listener] = (),
        countdown: int = 3,
        start_index: int = 0,
        on_spoken: Spoken | None = None,
        cue_thread: bool = False,
        pain_choices: str | None = None,
    ) -> None:
        self.plan = plan
        self.routine = routine
        self.player = player
        self.voice = voice
        self.pain_choices = pain_choices if pain_choices is not None else pain_choices_spoken("app")
        self.tally = Tally(plan, start_index, routine=routine)
        cues: list[Listener] = []
        self.cues: Cues | None = None
        if player is not None:
            self.cues = Cues(
                player,
                bell=bell,
                voice=voice,
                clock=clock,
                on_spoken=on_spoken,
                pain_words=self.pain_words,
            )
            cues.append(self.cues)
            if cue_thread:
                self.cues.start()  # the timeline's cues on their deadlines, between ticks
        self.runner = SessionRunner(
            plan,
            clock=clock,
            listeners=[*cues, *views, *listeners, self.tally],
            start_index=start_index,
            countdown=countdown,
        )
        self.pain_form: PainForm | None = None  # while a pain stop waits for its choice

    # ------------------------------------------------------------------ state

    @property
    def session(self) -> Session:
        return self.runner.session

    @property
    def live(self) -> bool:
        """A session that has not finished or ended."""
        return not self.session.over

    @property
    def listeners(self) -> list[Listener]:
        return self.runner.listeners

    def now(self) -> float:
        return self.runner.now()

    # ------------------------------------------------------------------ driving

    def start(self) -> tuple[list[Event], str | None]:
        """Start the clock. A resumed session (not at its first step) then pauses at once,
        for the person to get back into position: the second value says where it resumes
        (the front end adds which key goes on, and :meth:`announce` says it)."""
        events = self.runner.do(Command.START)
        if self.session.index == 0:
            return events, None
        events += self.runner.do(Command.PAUSE)
        step = self.session.step
        return events, resume_prompt(step, self.routine.exercises[step.exercise_index])

    def announce(self, text: str) -> None:
        """Say something that is not an engine event (the resume prompt), if voice is on."""
        if self.player is not None and self.voice:
            with contextlib.suppress(Exception):
                self.player.say(text)

    def tick(self) -> list[Event]:
        events = self.runner.tick()
        if self.cues is not None:
            # Not under a catch-all: a signal's exception (plain mode's SIGTERM) may come
            # from here and must reach the front end; the players never raise.
            self.cues.poll(self.runner.now())  # the timeline's cues due by now
        return events

    def do(self, command: Command, amount: float = 0.0) -> list[Event]:
        if self.cues is not None and self.session.makes_room(command):
            # A get-ready or a rest lasts as long as its words need: after a resume, as long
            # as the words it has still to say (a sentence the stop cut off is said again),
            # so that every one is heard in full and the count still comes on time.
            amount = self.cues.resume_room(self.now(), self.session)
        return self.runner.do(command, amount)

    # ------------------------------------------------------------------ commands
    # One method per entry of the command table (backtimer.session.commands).

    def pause(self) -> list[Event]:
        """Pause while running, resume while paused (space)."""
        state = self.session.state
        if state is State.PAUSED:
            return self.do(Command.RESUME)
        if state is State.PAIN_STOPPED:
            return []
        return self.do(Command.PAUSE)

    def resume(self) -> list[Event]:
        if self.session.state is State.PAUSED:
            return self.do(Command.RESUME)
        return []

    def skip_step(self) -> list[Event]:
        return self.do(Command.SKIP_STEP)

    def skip_exercise(self) -> list[Event]:
        return self.do(Command.SKIP_EXERCISE)

    def back(self) -> list[Event]:
        return self.do(Command.BACK)

    def more(self, seconds: float = EXTEND_STEP) -> list[Event]:
        return self.do(Command.EXTEND, seconds)

    def less(self, seconds: float = EXTEND_STEP) -> list[Event]:
        return self.do(Command.EXTEND, -seconds)

    def advance(self) -> list[Event]:
        """Done with a step at your own pace (enter); on a timed step, nothing happens."""
        return self.do(Command.ADVANCE)

    def end(self) -> list[Event]:
        """End the session now; it is recorded as ended early."""
        return self.do(Command.END)

    def ask_quit(self) -> bool:
        """The quit question is about to be asked: the clock waits meanwhile. Returns
        whether it was paused here (so that "keep going" resumes it)."""
        if self.session.state is State.RUNNING:
            self.do(Command.PAUSE)
            return True
        return False

    def quit_answered(self, yes: bool, paused_here: bool) -> list[Event]:
        if not self.live:
            return []
        if yes:
            return self.end()
        if paused_here and self.session.state is State.PAUSED:
            return self.do(Command.RESUME)
        return []

    # ------------------------------------------------------------------ pain

    def pain(self) -> PainStopped | None:
        """Stop now: the engine's PAIN command runs before anything else (the cue layer
        silences on PainStopped). Returns the event, or None if there was nothing to stop
        (then the front end still shows the safety message)."""
        if not self.session.accepts(Command.PAIN):
            return None
        events = self.do(Command.PAIN)
        stopped = next((e for e in events if isinstance(e, PainStopped)), None)
        if stopped is not None:
            self.pain_form = PainForm(stopped)
        return stopped

    def stop_if(self, event: PainStopped) -> str | None:
        """The stopped exercise's own "stop if", to show with the safety message."""
        text = self.routine.exercises[event.exercise_index].stop_if
        return " ".join(text.split()) if text else None

    def pain_words(self, event: PainStopped) -> str:
        """What is said once after "Stopped.", for someone who cannot see the pain screen:
        its advice, the exercise's "stop if" (under the screen's label) and the choices with
        the keys that make them."""
        stop_if = self.stop_if(event)
        said_stop_if = ""
        if stop_if:
            label, text = stop_if_parts(stop_if)
            said_stop_if = f"{label}: {' '.join(text.split())}"
        return join(PAIN_ADVICE, said_stop_if, self.pain_choices)

    def finish_pain(self, details: PainDetails | None) -> list[Event]:
        """The person's answers and choice after a pain stop (None: the default, end). Every
        listener with ``on_pain_details`` hears the details before the choice is applied."""
        if not self.live:
            return []
        if details is None:
            details = (
                self.pain_form.details("end") if self.pain_form is not None else PainDetails("end")
            )
        self.pain_form = None
        if details.choice == "mistake":
            return self.mistake()
        self._tell(details)
        return self.do(PAIN_COMMANDS[details.choice])

    def _tell(self, details: PainDetails) -> None:
        """Tell every listener with an ``on_pain_details`` method what was said after the
        pain stop (a listener's failure is its own)."""
        for listener in self.listeners:
            report = getattr(listener, "on_pain_details", None)
            if callable(report):
                with contextlib.suppress(Exception):
                    report(details, self.session)

    def mistake(self) -> list[Event]:
        """The pain stop was pressed by mistake: no pain is reported to the listeners (the
        engine's PainWithdrawn tells the recorder to turn the stop into a pause) and the step
        goes on where it was."""
        if not self.live:
            return []
        self.pain_form = None
        return self.do(Command.MISTAKE)

    # ------------------------------------------------------------------ the end

    def interrupted(self) -> None:
        """The process is stopping in mid-session (Ctrl-C, SIGTERM, SIGHUP, ctrl+q):
        silence, and tell every listener that has an ``on_interrupted()`` method. Answers
        already given after a pain stop (where, how much, a note) are told first, as
        ``on_pain_details``: the stop is recorded with them, though no choice was made."""
        if self.player is not None:
            with contextlib.suppress(Exception):
                self.player.silence()
        form, self.pain_form = self.pain_form, None
        if form is not None and (form.where or form.how_much is not None or form.note.strip()):
            self._tell(form.details("end"))
        for listener in self.listeners:
            hook = getattr(listener, "on_interrupted", None)
            if callable(hook):
                with contextlib.suppress(Exception):
                    hook()

    def close(self) -> None:
        if self.player is not None:
            with contextlib.suppress(Exception):
                if self.cues is not None:
                    self.cues.close()  # its thread, then the player
                else:
                    self.player.close()


def controller_for(launch: Any, **options: Any) -> SessionController:
    """A controller for a :class:`~backtimer.session.launch.Launch` (its plan, routine,
    start step and recorder); ``options`` as for :class:`SessionController`."""
    listeners = list(options.pop("listeners", ()))
    if launch.recorder is not None:
        listeners.append(launch.recorder)
    return SessionController(
        launch.plan,
        launch.routine,
        start_index=launch.start_index,
        listeners=listeners,
        **options,
    )
