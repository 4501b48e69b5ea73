"""``backtimer run ROUTINE --plain``: a session without a full-screen UI.

Every announcement is printed as a line with the session time (pauses excluded), for screen
readers, logs and scripts; the bell and speech work as in the app. Commands come from
standard input: single keys when it is a terminal (cbreak mode, restored on every way out),
lines when it is a pipe or a file. End of input is not a command: the session runs on to its
end (only right after a pain stop does it choose the default, ending the session).

The loop waits for input with a timeout up to the next moment something is due (a step's
end, a countdown second), never longer than :data:`MAX_WAIT`, and ticks the runner with the
real clock after every wake-up: the schedule lives in the engine's absolute deadlines, so
nothing drifts however the waits fall.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import signal
import sys
import termios
import threading
import time
import tty
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any, ClassVar

from backtimer.core.durations import elapsed as clock_text
from backtimer.core.engine import (
    Countdown,
    Event,
    Halfway,
    PainStopped,
    PainWithdrawn,
    PainWithdrawnPaused,
    Refused,
    Resumed,
    Session,
    State,
    StepEnded,
    StepStarted,
)
from backtimer.core.literal import printable
from backtimer.core.phases import phase_info
from backtimer.core.plan import Plan, compile_plan
from backtimer.core.routine import Routine
from backtimer.core.timeline import join, side_words
from backtimer.files.catalog import Entry
from backtimer.history.recorder import RecordingWatch
from backtimer.session.commands import (
    CHAR_KEYS,
    Key,
    key_words,
    pain_choices_spoken,
    plain_help,
    plain_keymap,
    plain_words,
    terminal_keys,
)
from backtimer.session.controller import (
    EXIT_HANGUP,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    PAIN_ADVICE,
    SessionController,
    pain_amount,
    pain_place,
    refusal_text,
)
from backtimer.session.cues import (
    CuePlayer,
    announcement,
    default_player,
    is_stale,
    terminal_bell,
)
from backtimer.session.runner import Listener, ending_signals_held, held_while_dispatching
from backtimer.session.safety import (
    PAIN_PLACES,
    SAFETY_MESSAGE,
    PainChoice,
    caution_text,
    stop_if_parts,
)
from backtimer.session.tally import summary_line

__all__ = [
    "EXIT_HANGUP",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_OUTPUT",
    "EXIT_PIPE",
    "EXIT_TERMINATED",
]

EXIT_PIPE = 141  # the reader of standard output went away (128 + SIGPIPE), as Unix tools end
EXIT_OUTPUT = 1  # standard output could not be written (a full disk): said on stderr

MAX_WAIT = 0.25  # seconds: the longest wait between two ticks
FINAL_SPEECH_WAIT = 6.0  # seconds: let "Session complete" be heard before exiting
#: Before a line printed as said whose words the voice left out: they waited behind a voice
#: that hung, and could only have been said more than LATE seconds late (see
#: backtimer.sound.player).
UNSAID_PREFIX = "Not said aloud, the voice was held up: "

SAFETY = SAFETY_MESSAGE  # the same words as the app's pain screen

PLACES = ", ".join(f"{n} {place}" for n, place in enumerate(PAIN_PLACES, 1))
KEY_CHOICE = (
    "Press e or enter to end the session, s to skip this exercise, r to resume, "
    "m if it was pressed by mistake."
)
LINE_CHOICE = (
    "Type end (the default), skip (this exercise), resume, or mistake (pressed by mistake); "
    "before that, if you like: where PLACE, much 0-10, note TEXT."
)
#: The prompt after a pain stop from a pipe, under the line of the choices as said (their
#: words are printed once, there): the optional answers and the default.
LINE_ANSWERS = (
    "Before you choose, if you like: where PLACE, much 0-10, note TEXT. "
    "Ending the session is the default."
)
MISTAKE_TEXT = "Pressed by mistake: no pain recorded. Going on where it was."
MISTAKE_PAUSED_TEXT = "Pressed by mistake: no pain recorded. Still paused, as it was."
#: The first question after a pain stop on a terminal, under the line of the choices as
#: said (their keys are printed once, there).
KEY_WHERE = f"Where does it hurt? Press {PLACES}; enter skips the question, or choose now."
#: The same, with the choices' keys, where that line was not printed.
KEY_WHERE_CHOICES = (
    f"Where does it hurt? Press {PLACES}; enter skips the question. "
    "Or at once: e ends the session, s skips this exercise, r resumes, m: by mistake."
)
KEY_MUCH = "How much, 0 to 10? Type the number, then enter (enter alone skips the question)."
KEY_NOTE = "A note? Type it, then enter (enter alone: no note)."

Wait = Callable[[float], bool]

#: Key names back to the characters typed, for a note ("?" is question_mark as a key).
KEY_CHARS = {name: char for char, name in CHAR_KEYS.items() if char.isprintable()}


def key_help(keymap: dict[str, str] | None = None) -> str:
    """The keys of --plain on a terminal, from the command table (a keymap moves them)."""
    keys = [plain_help(where, keys=True, keymap=keymap) for where in ("session", "app")]
    return "Keys: " + ", ".join(k for k in keys if k) + "."


def line_help() -> str:
    """The commands of --plain from a pipe, one per line, from the command table."""
    lines = [plain_help(where, keys=False) for where in ("session", "app")]
    return "Commands, one per line: " + ", ".join(x for x in lines if x) + "."


KEY_HELP = key_help()
LINE_HELP = line_help()


class Interrupted(Exception):
    """SIGTERM or SIGHUP: stop cleanly with this exit code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


# ------------------------------------------------------------------------ printing


class Printer:
    """A runner listener that prints each announcement as a line: ``[mm:ss] text``."""

    def __init__(self, routine: Routine, out: IO[str], *, keys: bool) -> None:
        self.routine = routine
        self.out = out
        self.keys = keys
        self._elapsed = 0.0
        self.session: Session | None = None
        self.write_error: OSError | None = None  # the output failed: nothing more is written
        # A pain stop's words after "Stopped.": the cue layer hears the batch first, so they
        # wait for the stop's own lines; and the words of those lines, not printed twice.
        self._pain_said: tuple[float, str] | None = None
        self._stop_shown: float | None = None  # the time of the pain stop printed last
        self._stop_lines: tuple[str, ...] = ()
        # What the cue layer says as the person's choice after a pain stop takes effect (it
        # hears the batch first): printed after the choice's own line ("Pressed by mistake").
        self._choosing = False
        self._held: list[tuple[float, str]] = []

    @property
    def reader_gone(self) -> bool:
        """Standard output is a pipe whose reader has closed it (``| head -1``)."""
        return self.write_error is not None and self.write_error.errno == errno.EPIPE

    def line(self, text: str, at: float | None = None, session: Session | None = None) -> None:
        prefix = ""
        if at is not None and session is not None:
            # Never backwards: an event reported late is printed when it was announced.
            self._elapsed = max(self._elapsed, session.active_seconds(at))
            prefix = f"[{clock_text(self._elapsed)}] "
        if self.write_error is not None:
            return
        try:
            self.out.write(prefix + printable(text) + "\n")
            self.out.flush()
        except OSError as exc:
            # Never raised into the runner: the listeners after this one (the history
            # recorder) must still see every event. A full disk: said once, the session
            # goes on (voice and history); a closed pipe ends the session (see PlainSession).
            self.write_error = exc
            _discard(self.out)
            if exc.errno != errno.EPIPE:
                with contextlib.suppress(OSError, ValueError):
                    print(
                        f"backtimer: cannot write the session's lines: {exc.strerror or exc}; "
                        "the session goes on and is recorded",
                        file=sys.stderr,
                        flush=True,
                    )

    def echo(self, text: str) -> None:
        """What the person types on a terminal (cbreak mode does not echo it); "\\n" ends
        the answer, "\\b" takes back a character."""
        if text == "\n":
            shown = text
        elif text == "\b":
            shown = "\b \b"
        else:
            shown = printable(text)
        self.out.write(shown)
        self.out.flush()

    def on_events(self, events: Sequence[Event], session: Session) -> None:
        self.session = session
        self._print_events(events, session)
        if self._choosing and session.state is not State.PAIN_STOPPED:
            self._choosing = False
            held, self._held = self._held, []
            for at, text in held:
                self.line(text, at, session)

    def _print_events(self, events: Sequence[Event], session: Session) -> None:
        for event in events:
            if isinstance(event, StepEnded):
                continue
            if isinstance(event, PainStopped):
                self._pain(event, session)
                continue
            if isinstance(event, PainWithdrawn):
                self.line(MISTAKE_TEXT, event.at, session)
                continue
            if isinstance(event, PainWithdrawnPaused):
                self.line(MISTAKE_PAUSED_TEXT, event.at, session)
                continue
            if isinstance(event, Refused):
                why = refusal_text(event, session)
                if why:
                    self.line(why)
                continue
            if is_stale(event, session):
                continue
            if session.plan.steps[0].cues and (
                isinstance(event, StepStarted | Countdown | Halfway | Resumed)
            ):
                # A timeline's words are printed as they are said (see spoken): "Resuming."
                # only where the cue layer says it (not where it has no room, nor where a
                # resume after a pain stop starts the step again with its own words).
                continue
            text = announcement(event)
            if text:
                self.line(text, event.at, session)

    def spoken(self, at: float, text: str, session: Session) -> None:
        """A timeline cue said at ``at`` (the cue layer's ``on_spoken``), or the words said
        after a pain stop's "Stopped." (at the stop's time): printed after the stop's lines."""
        if session.state is State.PAIN_STOPPED and at == session.pain_at:
            if self._stop_shown != at:
                self._pain_said = (at, text)  # the stop's own lines come first (see _pain)
            else:
                self._said_after_stop(at, text, session)
            return
        if self._choosing and session.state is not State.PAIN_STOPPED:
            self._held.append((at, text))  # after the choice's own line (see on_events)
            return
        self.line(text, at, session)

    def _said_after_stop(self, at: float, text: str, session: Session) -> bool:
        """What is said after "Stopped.", as a line at the time it is said, without the words
        the stop's lines just printed: its advice is the safety line's (whose "Stop." is
        said as "Stopped."), its stop-if the stop-if line's. What is left (the choices, with
        the keys or words that make them) is printed once. Returns whether it was."""
        shown = join(*self._stop_lines)
        rest = text[len(shown) :].strip() if shown and text.startswith(shown) else text
        if rest:
            self.line(rest, at, session)
        return bool(rest)

    def _pain(self, event: PainStopped, session: Session) -> None:
        where = event.exercise
        if event.side:
            exercise = self.routine.exercises[event.exercise_index]
            where += f", {side_words(exercise, event.side)}"
        step = event.step
        where += f", set {event.set} of {step.sets}, rep {event.rep} of {step.reps}"
        where += f" ({phase_info(event.phase).words})"
        self.line(
            f"Pain stop: {where}, {clock_text(event.session_second)} into the session.",
            event.at,
            session,
        )
        self.line(SAFETY)
        lines = [PAIN_ADVICE]
        exercise = self.routine.exercises[event.exercise_index]
        if exercise.stop_if:
            label, text = stop_if_parts(exercise.stop_if)
            lines.append(f"{label}: {' '.join(text.split())}")
            self.line(lines[-1])
        self._stop_shown, self._stop_lines = event.at, tuple(lines)
        self._choosing = True
        said, self._pain_said = self._pain_said, None
        choices = said is not None and said[0] == event.at and self._said_after_stop(*said, session)
        # One announcement of the choices (the line of what is said, with their keys or
        # words), then one prompt that does not repeat them; it names them itself only where
        # nothing said them.
        if self.keys:
            self.line(KEY_WHERE if choices else KEY_WHERE_CHOICES)
        else:
            self.line(LINE_ANSWERS if choices else LINE_CHOICE)


# ------------------------------------------------------------------------ input


def _wait_readable(source: LineInput | KeyInput, timeout: float) -> bool:
    """Wait up to ``timeout`` for the source's descriptor to be readable. Once input has
    ended there is nothing to wait for but time (the session runs on by itself)."""
    if source.eof or source.fd is None:
        time.sleep(timeout)
        return False
    try:
        ready, _, _ = select.select([source.fd], [], [], timeout)
    except (OSError, ValueError):
        source.eof = True
        return False
    return bool(ready)


class LineInput:
    """Commands as lines: from a pipe or file (read without blocking) or any text stream."""

    keys = False

    def __init__(self, stream: IO[str] | None) -> None:
        self.stream = stream
        self.fd: int | None = None
        self.eof = stream is None
        self._buffer = b""
        self._first = True  # a byte order mark may come before the first line
        if stream is not None:
            try:
                self.fd = stream.fileno()
            except (OSError, ValueError, AttributeError):
                self.fd = None  # StringIO and friends: read a line at a time

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` for input; True if there may be some (or EOF)."""
        if self.fd is None and not self.eof:
            return True
        return _wait_readable(self, timeout)

    def read(self) -> list[str] | None:
        """The commands available now (complete lines); None once input has ended."""
        if self.eof:
            return None
        assert self.stream is not None
        if self.fd is None:
            line = self.stream.readline()
            if not line:
                self.eof = True
                return None
            return self._lines([line.rstrip("\r\n")])
        try:
            chunk = os.read(self.fd, 4096)
        except BlockingIOError:
            return []
        except OSError:
            chunk = b""
        if not chunk:
            self.eof = True
            rest, self._buffer = self._buffer, b""
            # A last line without a newline still counts; then the end of input.
            return self._lines([rest.decode("utf-8", "replace").rstrip("\r")]) if rest else None
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        return self._lines([line.decode("utf-8", "replace").rstrip("\r") for line in lines])

    def _lines(self, lines: list[str]) -> list[str]:
        """The lines as read, without the byte order mark a Windows tool (PowerShell) may
        put before the first (it made the first command unknown: a pain stop lost)."""
        if self._first and lines:
            self._first = False
            lines[0] = lines[0].removeprefix("\ufeff")
        return lines


class KeyInput:
    """Single keys from a terminal in cbreak mode (no echo, no line editing)."""

    keys = True

    def __init__(self, stream: IO[str]) -> None:
        self.fd = stream.fileno()
        self.eof = False
        self._saved: list[Any] | None = None

    @contextlib.contextmanager
    def cbreak(self) -> Iterator[None]:
        try:
            self._saved = termios.tcgetattr(self.fd)
            tty.setcbreak(self.fd, termios.TCSANOW)
        except (OSError, termios.error):
            self._saved = None
        try:
            yield
        finally:
            self.restore()

    def restore(self) -> None:
        if self._saved is None:
            return
        with contextlib.suppress(OSError, termios.error):
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)
        self._saved = None

    def wait(self, timeout: float) -> bool:
        return _wait_readable(self, timeout)

    def read(self) -> list[str] | None:
        if self.eof:
            return None
        try:
            data = os.read(self.fd, 64)
        except BlockingIOError:
            return []
        except OSError:
            data = b""
        if not data:
            self.eof = True  # the terminal went away
            return None
        # Key names as the command table has them: "N" stays "N" (skip the exercise); a
        # clicker's page and F5 keys (see the presenter keymap preset); Esc is the pain
        # stop (also before another key in the same read), an arrow or another function key
        # is nothing.
        return terminal_keys(data.decode("utf-8", "replace"))


# ------------------------------------------------------------------------ the session


class PlainSession:
    """The loop: wait for input or the next due moment, tick, apply commands.

    Commands come from the command table (:mod:`backtimer.session.commands`): key names on a
    terminal, words from a pipe; each runs a :class:`SessionController` method. After a pain
    stop, the answers (where, how much, a note) and the choice are asked for: questions in
    turn on a terminal, ``where``/``much``/``note`` lines and then ``end``/``skip``/``resume``
    from a pipe.
    """

    def __init__(
        self,
        controller: SessionController,
        source: LineInput | KeyInput,
        printer: Printer,
        *,
        clock: Callable[[], float],
        wait: Wait | None = None,
        keymap: dict[str, str] | None = None,
    ) -> None:
        self.controller = controller
        self.session = controller.session
        self.cues = controller.cues
        self.source = source
        self.printer = printer
        self.clock = clock
        self.wait = wait if wait is not None else source.wait
        self.after_tick: Callable[[], None] = lambda: None  # e.g. the history's status
        self.keymap = dict(keymap or {})
        if source.keys:
            self.running = plain_keymap("session", keymap) | plain_keymap("app", keymap)
            self.choices = plain_keymap("pain", keymap)
        else:
            self.running = plain_words("session") | plain_words("app")
            self.choices = plain_words("pain")
        self.question = "where"  # on a terminal after a pain stop: where, much, note, choice
        self.typed = ""
        self.started = False
        self.inbox: Any = None  # the phone remote's commands (backtimer.remote.server.Inbox)

    # -------------------------------------------------------------- loop

    def start(self) -> None:
        """Start the session's clock (and, resumed mid-exercise, wait for the person)."""
        self.started = True
        _, resuming = self.controller.start()
        if resuming is not None:
            # Resumed mid-exercise: wait for the person to get back into position.
            key = key_words(self.keymap.get("pause") or "space") if self.source.keys else "p"
            prompt = f"{resuming} Then press {key}."
            self.printer.line(prompt)
            self.controller.announce(prompt)

    def run(self) -> None:
        if not self.started:
            self.start()
        while not self.session.over:
            if self.printer.reader_gone:
                raise Interrupted(EXIT_PIPE)
            if self.source.eof:
                self._after_input_ended()
                if self.session.over:
                    break
            timeout = self.timeout(self.clock())
            ready = self.wait(timeout)
            self.controller.tick()  # and the timeline's cues due by now
            self.after_tick()
            if self.inbox is not None:
                for remote in self.inbox.take():
                    if self.session.over:
                        break
                    self.remote_command(remote)
            if ready and not self.source.eof:
                # None: the input has ended; the next round sees to what that means.
                for token in self.source.read() or ():
                    if self.session.over:
                        break
                    self.command(token)

    def timeout(self, now: float) -> float:
        """Seconds until the next moment something is due (at most MAX_WAIT)."""
        session = self.session
        if session.state is not State.RUNNING or session.deadline is None:
            return MAX_WAIT
        deadline = session.deadline
        moments = [deadline, *(deadline - n for n in range(1, session.countdown + 1))]
        if session.step_seconds:
            moments.append(deadline - session.step_seconds / 2)
        due = self.cues.next_due() if self.cues is not None else None
        if due is not None:
            moments.append(due)
        future = [m - now for m in moments if m > now]
        if due is not None and due <= now:
            return 0.0
        return min(MAX_WAIT, *future) if future else 0.0

    def _after_input_ended(self) -> None:
        """No more commands can come: a step waiting for one, or a pause, would never end."""
        session = self.session
        if session.state is State.PAIN_STOPPED:
            self.controller.finish_pain(None)  # the default: end the session
        elif session.state is State.PAUSED:
            self.printer.line("Input has ended: resuming.")
            self.controller.resume()
        elif session.state is State.RUNNING and session.step.user_paced:
            self.printer.line("Input has ended: moving on.")
            self.controller.advance()

    # -------------------------------------------------------------- commands

    def lookup(self, table: dict[str, Key], token: str) -> Key | None:
        if self.source.keys:
            return table.get(token)
        word = " ".join(token.split())
        return table.get(word) or table.get(word.lower())

    def command(self, token: str) -> None:
        if self.session.state is State.PAIN_STOPPED:
            if self.source.keys:
                self._pain_key(token)
            else:
                self._pain_line(token)
            return
        key = self.lookup(self.running, token)
        if key is None:
            if self.source.keys:
                return  # a key that means nothing here
            self.printer.line(f"Unknown command {token.strip()!r}: h for help.")
            return
        self.run_command(key)

    def run_command(self, key: Key) -> None:
        name = key.plain
        if name == "help":
            self.printer.line(key_help(self.keymap) if self.source.keys else LINE_HELP)
        elif name == "pain":
            self.question, self.typed = "where", ""
            self.controller.pain()
        elif name is not None:
            getattr(self.controller, name)()

    def remote_command(self, command: Any) -> None:
        """A command from the phone remote (a :class:`backtimer.remote.state.RemoteCommand`:
        a command table entry, with a pain stop's answers): run as its key would be."""
        key: Key = command.key
        stopped = self.session.state is State.PAIN_STOPPED
        if key.where == "pain":
            form = self.controller.pain_form
            if not stopped or form is None:
                return
            if key.plain != "mistake":
                if command.where is not None:
                    form.where = command.where
                if command.how_much is not None:
                    form.how_much = command.how_much
                if command.note is not None:
                    form.note = command.note
            self._choose(key)
        elif key.plain is not None and not stopped:
            self.run_command(key)

    # -------------------------------------------------------------- after a pain stop

    def _choose(self, key: Key | None) -> bool:
        if key is None or key.plain is None:
            return False
        choice: PainChoice = "skip_exercise" if key.plain == "skip_exercise" else key.plain  # type: ignore[assignment]
        form = self.controller.pain_form
        self.controller.finish_pain(form.details(choice) if form is not None else None)
        return True

    def _pain_line(self, token: str) -> None:
        """A line after a pain stop: an answer (where/much/note) or the choice."""
        form = self.controller.pain_form
        word = " ".join(token.split())
        head, _, rest = word.partition(" ")
        head = head.lower()
        if head == "how" and rest.lower().startswith("much"):
            head, rest = "much", rest[4:].strip()
        if form is not None and head == "where":
            place = pain_place(rest)
            if place is None:
                self.printer.line(f"Where: one of {', '.join(PAIN_PLACES)} (or its number).")
            else:
                form.where = place
                self.printer.line(f"Where: {place}.")
            return
        if form is not None and head == "much":
            amount = pain_amount(rest)
            if amount is None:
                self.printer.line("How much: a number from 0 to 10.")
            else:
                form.how_much = amount
                self.printer.line(f"How much: {amount}/10.")
            return
        if form is not None and head == "note":
            form.note = token.strip()[4:].strip()[:500]
            self.printer.line("Note kept." if form.note else "No note.")
            return
        if not self._choose(self.lookup(self.choices, token)):
            self.printer.line(LINE_CHOICE)

    def _pain_key(self, key: str) -> None:
        """A key after a pain stop: the questions in turn, then the choice."""
        form = self.controller.pain_form
        question = self.question if form is not None else "choice"
        if question == "note":
            if key in ("ctrl+e", "ctrl+r", "ctrl+u"):
                self._choose(self.choices.get(key))
            elif key == "enter":
                assert form is not None
                form.note = self.typed.strip()[:500]
                self.printer.echo("\n")
                self._next_question()
            elif key == "backspace":
                self.typed = self.typed[:-1]
                self.printer.echo("\b")
            else:
                char = KEY_CHARS.get(key, key)
                if len(char) == 1:
                    self.typed += char
                    self.printer.echo(char)
            return
        if question == "choice" or (key not in ("enter", "backspace") and not key.isdigit()):
            if not self._choose(self.choices.get(key)) and question == "choice":
                self.printer.line(KEY_CHOICE)
            return
        assert form is not None
        if question == "where":
            if key.isdigit():
                place = pain_place(key)
                if place is None:
                    return
                form.where = place
                self.printer.line(f"Where: {place}.")
            self._next_question()
        elif question == "much":
            if key == "backspace":
                self.typed = self.typed[:-1]
                self.printer.echo("\b")
            elif key.isdigit() and len(self.typed) < 2:
                self.typed += key
                self.printer.echo(key)
            elif key == "enter":
                self.printer.echo("\n")
                if self.typed:
                    amount = pain_amount(self.typed)
                    if amount is None:
                        self.typed = ""
                        self.printer.line("How much: a number from 0 to 10. " + KEY_MUCH)
                        return
                    form.how_much = amount
                self._next_question()

    def _next_question(self) -> None:
        self.typed = ""
        following = {"where": "much", "much": "note", "note": "choice"}
        self.question = following.get(self.question, "choice")
        text = {"much": KEY_MUCH, "note": KEY_NOTE, "choice": KEY_CHOICE}[self.question]
        self.printer.line(text)


# ------------------------------------------------------------------------ signals


class StopSignals:
    """Ctrl-C raises KeyboardInterrupt, SIGTERM and SIGHUP raise :class:`Interrupted`: never
    while a batch of events reaches the listeners (held, and raised right after it: see
    :func:`backtimer.session.runner.ending_signals_held`), and only once. Once the session is
    stopping (:attr:`stopping`: it is being recorded as interrupted, or the history closed), a
    later signal is only noted in :attr:`code`, so that it cannot cut the recording short.

    Use it as a context manager (main thread only; the previous handlers come back after);
    an inner one, while one is active, is the same object.
    """

    CODES: ClassVar[dict[int, int]] = {
        signal.SIGINT: EXIT_INTERRUPTED,
        signal.SIGTERM: EXIT_TERMINATED,
        signal.SIGHUP: EXIT_HANGUP,
    }
    active: ClassVar[StopSignals | None] = None

    def __init__(self) -> None:
        self.stopping = False
        self.code: int | None = None  # the first ending signal's exit code
        self._saved: dict[int, Any] = {}

    def arrived(self, signum: int) -> None:
        """Every signal, as it comes (even while held): the first one decides the code."""
        if self.code is None:
            self.code = self.CODES.get(signal.Signals(signum), EXIT_INTERRUPTED)

    def handle(self, signum: int, frame: object) -> None:
        if self.stopping:
            return
        self.stopping = True
        code = self.code if self.code is not None else EXIT_INTERRUPTED
        if code == EXIT_INTERRUPTED:
            raise KeyboardInterrupt
        raise Interrupted(code)

    def __enter__(self) -> StopSignals:
        outer = StopSignals.active
        if outer is not None:
            return outer
        if threading.current_thread() is not threading.main_thread():
            return self  # signals are the main thread's: nothing installed
        handler = held_while_dispatching(self.handle, self.arrived)
        for sig in self.CODES:
            with contextlib.suppress(OSError, ValueError):
                self._saved[sig] = signal.signal(sig, handler)
        StopSignals.active = self
        return self

    def __exit__(self, *exc: object) -> None:
        if StopSignals.active is not self:
            return
        StopSignals.active = None
        for sig, previous in self._saved.items():
            with contextlib.suppress(OSError, ValueError, TypeError):
                signal.signal(sig, previous)
        self._saved.clear()


# ------------------------------------------------------------------------ entry point


def run_plain(
    entry: Entry,
    *,
    level: Any = "low",
    bell: bool = True,
    voice: bool = True,
    stdin: IO[str] | None = None,
    stdout: IO[str] | None = None,
    clock: Callable[[], float] = time.monotonic,
    wait: Wait | None = None,
    player: CuePlayer | None = None,
    speech_command: str | Sequence[str] | None = None,
    tones: bool = True,
    volume: int = 80,
    speech_rate: int | None = None,
    speech_voice: str | None = None,
    listeners: Sequence[Listener] = (),
    countdown: int = 3,
    plan: Plan | None = None,
    routine: Routine | None = None,
    start_index: int = 0,
    keymap: dict[str, str] | None = None,
    remote: Any = None,
    remote_out: IO[str] | None = None,
) -> int:
    """Run a session with printed announcements; returns the exit code.

    ``wait(timeout) -> bool`` replaces the wait for input (tests pass one that moves a fake
    clock); True means a command may be read now. ``player`` replaces the real bell and
    speech; ``listeners`` are added after the cue layer and the printer (a history recorder):
    on Ctrl-C, SIGTERM or SIGHUP each one that has an ``on_interrupted()`` method is told.
    ``speech_command``, ``tones``, ``volume``, ``speech_rate``, ``countdown`` and ``keymap``
    come from the config (see backtimer.files.config). ``remote``: a
    :class:`backtimer.remote.options.RemoteOptions` serves the phone remote while the
    session runs (its address and QR code go to ``remote_out``, standard error by default).
    """
    out = stdout if stdout is not None else sys.stdout
    inp = stdin if stdin is not None else sys.stdin
    routine = routine if routine is not None else entry.routine
    assert routine is not None, "catalog.resolve returns valid routines only"
    if plan is None:
        plan = compile_plan(routine, level)

    keys = inp is not None and _is_terminal(inp)
    source: LineInput | KeyInput = KeyInput(inp) if keys else LineInput(inp)

    if player is None:
        player = default_player(
            terminal_bell(out),
            voice=voice,
            bell=bell,
            command=speech_command,
            tones=tones,
            volume=volume,
            rate=speech_rate,
            speech_voice=speech_voice,
            clock=clock,
        )
    printer = Printer(routine, out, keys=source.keys)
    holder: list[SessionController] = []
    controller = SessionController(
        plan,
        routine,
        clock=clock,
        player=player,
        bell=bell,
        voice=voice,
        views=[printer],
        listeners=listeners,
        countdown=countdown,
        start_index=start_index,
        on_spoken=lambda at, text: printer.spoken(at, text, holder[0].session),
        # After a pain stop, the choices are said with the keys or words that make them here.
        pain_choices=pain_choices_spoken("plain" if source.keys else "words", keymap),
    )
    holder.append(controller)
    loop = PlainSession(controller, source, printer, clock=clock, wait=wait, keymap=keymap)
    hosted: Any = None
    recording = RecordingWatch(listeners, printer.line)  # "Recording is behind: ..."
    dropped = getattr(player, "take_dropped", None)

    def unsaid() -> None:
        """A line printed as said whose words the voice then left out (they waited behind a
        voice that hung: said that late they would mislead) is not left standing."""
        for text in dropped() if callable(dropped) else ():
            printer.line(f"{UNSAID_PREFIX}{text}", clock(), controller.session)

    def after_tick() -> None:
        recording.poll()
        unsaid()

    loop.after_tick = after_tick

    def announce() -> None:
        """The session's first lines; inside the signal handling, so a Ctrl-C or SIGTERM
        that comes while they print still records the session as interrupted."""
        exercises = len(routine.exercises)
        printer.line(
            f"{routine.name} ({plan.level} level): {_plural(exercises, 'exercise')}, "
            f"{_plural(len(plan.steps), 'step')}, about {clock_text(plan.total_seconds)}."
        )
        status = getattr(player, "status", None)
        for warning in (status.warning(), status.fallback()) if status is not None else ():
            if warning:
                printer.line(warning)  # never silence without a word
        for caution in routine.cautions:
            printer.line(f"Caution: {caution_text(caution)}")
        printer.line(key_help(keymap) if source.keys else LINE_HELP)

    code = EXIT_OK
    terminal = source.cbreak() if isinstance(source, KeyInput) else contextlib.nullcontext()
    with StopSignals() as stops:
        try:
            if remote is not None:
                hosted = _start_remote(remote, controller, remote_out or sys.stderr)
                loop.inbox = hosted.inbox
                if wait is None:
                    loop.wait = hosted.wait_with(source)
            with terminal:
                try:
                    # A signal while the first lines print waits until the first step has
                    # reached the history: from the first line on, an interrupted session
                    # is recorded.
                    with ending_signals_held():
                        announce()
                        loop.start()
                    loop.run()
                except KeyboardInterrupt:
                    code = EXIT_INTERRUPTED
                except Interrupted as exc:
                    code = exc.code
            if code != EXIT_OK:
                stops.stopping = True  # a second signal cannot cut the record short
                controller.interrupted()
                with contextlib.suppress(OSError, ValueError):
                    printer.line("interrupted")
                return code
            try:
                unsaid()
                printer.line(summary_line(controller.tally))
                unrecorded = recording.summary()
                if unrecorded:
                    printer.line(unrecorded)
                waiter = getattr(player, "wait_idle", None)
                if voice and callable(waiter):
                    waiter(FINAL_SPEECH_WAIT)
            except (KeyboardInterrupt, Interrupted):
                pass  # the session is over and recorded: a signal cuts the last words short
            return EXIT_OK if printer.write_error is None else EXIT_OUTPUT
        finally:
            stops.stopping = True
            if hosted is not None:
                hosted.stop()
            controller.close()


def _start_remote(options: Any, controller: SessionController, out: IO[str]) -> Any:
    """The phone remote's server in a thread of its own (plain mode's loop is not asyncio),
    its commands handed to this thread through an inbox. Deferred: aiohttp loads only with
    --remote."""
    from backtimer.remote.hosting import PlainRemote

    hosted = PlainRemote(options, controller)
    hosted.start()
    with contextlib.suppress(OSError, ValueError):
        out.write(printable_block(hosted.terminal_text()) + "\n")
        out.flush()
    return hosted


def printable_block(text: str) -> str:
    """Lines of text, each printable (the QR code's blocks are)."""
    return "\n".join(printable(line) for line in text.split("\n"))


def _discard(out: IO[str]) -> None:
    """After a failed write, point the stream's file at /dev/null: what is still buffered
    can then be flushed at exit without failing (and without a second message)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        fd = out.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (OSError, ValueError, AttributeError):
        return False
