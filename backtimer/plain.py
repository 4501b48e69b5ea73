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
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from backtimer.core.durations import elapsed as clock_text
from backtimer.core.engine import (
    Command,
    EndedEarly,
    Event,
    Finished,
    PainStopped,
    PainWithdrawn,
    Refused,
    Session,
    State,
    StepEnded,
)
from backtimer.core.literal import printable
from backtimer.core.phases import phase_info
from backtimer.core.plan import Plan, compile_plan
from backtimer.core.routine import Routine
from backtimer.files.catalog import Entry
from backtimer.session.cues import (
    CuePlayer,
    Cues,
    announcement,
    default_player,
    is_stale,
    terminal_bell,
)
from backtimer.session.launch import resume_prompt
from backtimer.session.runner import Listener, SessionRunner

EXIT_OK = 0
EXIT_INTERRUPTED = 130  # Ctrl-C
EXIT_TERMINATED = 143  # SIGTERM
EXIT_HANGUP = 129  # SIGHUP

MAX_WAIT = 0.25  # seconds: the longest wait between two ticks
EXTEND_STEP = 5.0  # seconds added or removed by + and -
FINAL_SPEECH_WAIT = 6.0  # seconds: let "Session complete" be heard before exiting

SAFETY = "Stop the exercise now. If the pain persists, seek professional advice."

KEY_HELP = (
    "Keys: space pause/resume, x or Esc pain stop, n skip step, s skip exercise, b back, "
    "+/- 5 seconds, enter next (when a step waits for you), q quit, h help."
)
LINE_HELP = (
    "Commands, one per line: p pause/resume, x pain stop, n skip step, s skip exercise, "
    "b back, + or - 5 seconds, empty line or a: next (when a step waits for you), q quit, "
    "h help."
)
KEY_CHOICE = (
    "Press e or enter to end the session, s to skip this exercise, r to resume, "
    "m if it was pressed by mistake."
)
LINE_CHOICE = (
    "Type end (the default), skip (this exercise), resume, or mistake (pressed by mistake)."
)
MISTAKE_TEXT = "Pressed by mistake: no pain recorded. Going on where it was."

Wait = Callable[[float], bool]


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
        self.done: set[int] = set()
        self.pain_stops = 0
        self.end: Finished | EndedEarly | None = None
        self._elapsed = 0.0

    def line(self, text: str, at: float | None = None, session: Session | None = None) -> None:
        prefix = ""
        if at is not None and session is not None:
            # Never backwards: an event reported late is printed when it was announced.
            self._elapsed = max(self._elapsed, session.active_seconds(at))
            prefix = f"[{clock_text(self._elapsed)}] "
        self.out.write(prefix + printable(text) + "\n")
        self.out.flush()

    def on_events(self, events: Sequence[Event], session: Session) -> None:
        for event in events:
            if isinstance(event, StepEnded):
                if not event.skipped:
                    self.done.add(event.step.index)
                continue
            if isinstance(event, Finished | EndedEarly):
                self.end = event
            if isinstance(event, PainStopped):
                self._pain(event, session)
                continue
            if isinstance(event, PainWithdrawn):
                self.pain_stops = max(0, self.pain_stops - 1)
                self.line(MISTAKE_TEXT, event.at, session)
                continue
            if isinstance(event, Refused):
                self._refused(event)
                continue
            if is_stale(event, session):
                continue
            text = announcement(event)
            if text:
                self.line(text, event.at, session)

    def _pain(self, event: PainStopped, session: Session) -> None:
        self.pain_stops += 1
        where = event.exercise
        if event.side:
            where += f", {event.side} side"
        step = event.step
        where += f", set {event.set} of {step.sets}, rep {event.rep} of {step.reps}"
        where += f" ({phase_info(event.phase).words})"
        self.line(
            f"Pain stop: {where}, {clock_text(event.session_second)} into the session.",
            event.at,
            session,
        )
        self.line(SAFETY)
        exercise = self.routine.exercises[event.exercise_index]
        if exercise.stop_if:
            self.line(f"Stop if: {' '.join(exercise.stop_if.split())}")
        self.line(KEY_CHOICE if self.keys else LINE_CHOICE)

    def _refused(self, event: Refused) -> None:
        if event.command in (Command.TICK, Command.ADVANCE):
            return  # enter on a timed step: nothing to say
        if event.command is Command.EXTEND:
            self.line("Only a hold can be made longer or shorter.")
        else:
            self.line(f"Not possible now: {event.command.value.replace('_', ' ')}.")

    def summary(self, plan: Plan, start_index: int = 0) -> str:
        """One line; a resumed session counts from the step it resumed at (the steps done
        before the interruption are in the history, not in this run)."""
        total = len(plan.steps) - start_index
        if isinstance(self.end, Finished):
            reached = len(plan.steps)
        elif isinstance(self.end, EndedEarly) and self.end.step is not None:
            reached = self.end.step.index
        else:
            reached = start_index
        skipped = sum(1 for i in range(start_index, reached) if i not in self.done)
        active = self.end.active_seconds if self.end is not None else 0.0
        resumed = f" (resumed at step {start_index + 1})" if start_index else ""
        return (
            f"Summary: {len(self.done)} of {_plural(total, 'step')} done{resumed}, "
            f"{skipped} skipped, {_plural(self.pain_stops, 'pain stop')}, "
            f"{clock_text(active)} active."
        )


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
            return [line.rstrip("\r\n")]
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
            return [rest.decode("utf-8", "replace").rstrip("\r")] if rest else None
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        return [line.decode("utf-8", "replace").rstrip("\r") for line in lines]


class KeyInput:
    """Single keys from a terminal in cbreak mode (no echo, no line editing)."""

    keys = True

    def __init__(self, stream: IO[str]) -> None:
        self.fd = stream.fileno()
        self.eof = False
        self._saved: list[Any] | None = None

    @contextlib.contextmanager
    def cbreak(self) -> Iterator[None]:
        import termios
        import tty

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
        import termios

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
        text = data.decode("utf-8", "replace")
        if text == "\x1b":
            return ["esc"]  # Esc on its own: pain stop
        if text.startswith("\x1b"):
            return []  # an arrow or function key: ignored
        tokens = []
        for ch in text:
            if ch in "\r\n":
                tokens.append("enter")
            elif ch == " ":
                tokens.append("space")
            elif ch.isprintable():
                tokens.append(ch.lower())
        return tokens


# ------------------------------------------------------------------------ the session


class PlainSession:
    """The loop: wait for input or the next due moment, tick, apply commands."""

    def __init__(
        self,
        runner: SessionRunner,
        source: LineInput | KeyInput,
        printer: Printer,
        *,
        clock: Callable[[], float],
        wait: Wait | None = None,
    ) -> None:
        self.runner = runner
        self.session = runner.session
        self.source = source
        self.printer = printer
        self.clock = clock
        self.wait = wait if wait is not None else source.wait

    # -------------------------------------------------------------- loop

    def run(self) -> None:
        self.runner.do(Command.START)
        if self.session.index > 0:
            # Resumed mid-exercise: wait for the person to get back into position.
            self.runner.do(Command.PAUSE)
            key = "space" if self.source.keys else "p"
            self.printer.line(f"{resume_prompt(self.session.step)} Then press {key}.")
        while not self.session.over:
            if self.source.eof:
                self._after_input_ended()
                if self.session.over:
                    break
            timeout = self.timeout(self.clock())
            ready = self.wait(timeout)
            self.runner.tick()
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
        future = [m - now for m in moments if m > now]
        return min(MAX_WAIT, *future) if future else 0.0

    def _after_input_ended(self) -> None:
        """No more commands can come: a step waiting for one, or a pause, would never end."""
        session = self.session
        if session.state is State.PAIN_STOPPED:
            self.runner.do(Command.END)  # after a pain stop, the default: end the session
        elif session.state is State.PAUSED:
            self.printer.line("Input has ended: resuming.")
            self.runner.do(Command.RESUME)
        elif session.state is State.RUNNING and session.step.user_paced:
            self.printer.line("Input has ended: moving on.")
            self.runner.do(Command.ADVANCE)

    # -------------------------------------------------------------- commands

    def command(self, token: str) -> None:
        word = token.strip().lower()
        if self.session.state is State.PAIN_STOPPED:
            self._pain_choice(word)
            return
        if word in ("x", "esc", "pain"):
            self.runner.do(Command.PAIN)
        elif word in ("p", "space", "pause", "resume"):
            if self.session.state is State.PAUSED:
                self.runner.do(Command.RESUME)
            else:
                self.runner.do(Command.PAUSE)
        elif word in ("n", "next", "skip"):
            self.runner.do(Command.SKIP_STEP)
        elif word in ("s", "skip exercise"):
            self.runner.do(Command.SKIP_EXERCISE)
        elif word in ("b", "back"):
            self.runner.do(Command.BACK)
        elif word in ("+", "more"):
            self.runner.do(Command.EXTEND, EXTEND_STEP)
        elif word in ("-", "less"):
            self.runner.do(Command.EXTEND, -EXTEND_STEP)
        elif word in ("q", "quit", "end"):
            self.runner.do(Command.END)
        elif word in ("", "enter", "a", "advance", "done"):
            self.runner.do(Command.ADVANCE)
        elif word in ("h", "?", "help"):
            self.printer.line(KEY_HELP if self.source.keys else LINE_HELP)
        else:
            self.printer.line(f"Unknown command {token.strip()!r}: h for help.")

    def _pain_choice(self, word: str) -> None:
        if word in ("", "enter", "e", "end", "q", "quit"):
            self.runner.do(Command.END)
        elif word in ("s", "skip", "skip exercise"):
            self.runner.do(Command.SKIP_EXERCISE)
        elif word in ("r", "resume"):
            self.runner.do(Command.RESUME)
        elif word in ("m", "mistake", "by mistake"):
            self.runner.do(Command.MISTAKE)
        else:
            self.printer.line(KEY_CHOICE if self.source.keys else LINE_CHOICE)


# ------------------------------------------------------------------------ signals


@contextlib.contextmanager
def _stop_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP raise :class:`Interrupted` (main thread only; restored after)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise Interrupted(EXIT_TERMINATED if signum == signal.SIGTERM else EXIT_HANGUP)

    saved = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(OSError, ValueError):
            saved[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, previous in saved.items():
            with contextlib.suppress(OSError, ValueError):
                signal.signal(sig, previous)


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
    listeners: Sequence[Listener] = (),
    countdown: int = 3,
    plan: Plan | None = None,
    routine: Routine | None = None,
    start_index: int = 0,
) -> int:
    """Run a session with printed announcements; returns the exit code.

    ``wait(timeout) -> bool`` replaces the wait for input (tests pass one that moves a fake
    clock); True means a command may be read now. ``player`` replaces the real bell and
    speech; ``listeners`` are added after the cue layer and the printer (a history recorder):
    on Ctrl-C, SIGTERM or SIGHUP each one that has an ``on_interrupted()`` method is told.
    ``speech_command``, ``tones``, ``volume``, ``speech_rate`` and ``countdown`` come from
    the config (see backtimer.files.config).
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
        )
    cues = Cues(player, bell=bell, voice=voice)
    printer = Printer(routine, out, keys=source.keys)
    runner = SessionRunner(
        plan,
        clock=clock,
        listeners=[cues, printer, *listeners],
        countdown=countdown,
        start_index=start_index,
    )
    loop = PlainSession(runner, source, printer, clock=clock, wait=wait)

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
        printer.line(f"Caution: {printable(caution)}")
    printer.line(KEY_HELP if source.keys else LINE_HELP)

    code = EXIT_OK
    terminal = source.cbreak() if isinstance(source, KeyInput) else contextlib.nullcontext()
    try:
        with _stop_signals(), terminal:
            try:
                loop.run()
            except KeyboardInterrupt:
                code = EXIT_INTERRUPTED
            except Interrupted as exc:
                code = exc.code
        if code != EXIT_OK:
            _interrupted(player, runner.listeners, printer)
            return code
        printer.line(printer.summary(plan, start_index))
        waiter = getattr(player, "wait_idle", None)
        if voice and callable(waiter):
            with contextlib.suppress(KeyboardInterrupt):
                waiter(FINAL_SPEECH_WAIT)
        return EXIT_OK
    finally:
        with contextlib.suppress(Exception):
            player.close()


def _interrupted(player: CuePlayer, listeners: Sequence[Any], printer: Printer) -> None:
    with contextlib.suppress(Exception):
        player.silence()
    for listener in listeners:
        hook = getattr(listener, "on_interrupted", None)
        if callable(hook):
            with contextlib.suppress(Exception):
                hook()
    with contextlib.suppress(OSError, ValueError):
        printer.line("interrupted")


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (OSError, ValueError, AttributeError):
        return False
