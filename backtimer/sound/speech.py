"""Speech through a local command (espeak-ng, espeak, spd-say, say), never blocking.

Each announcement is one child process, started and left to run: ``say()`` returns at once;
a thread of its own waits for it, so that it is reaped as soon as it ends.
A new announcement stops the one still speaking (SIGTERM to its process group, SIGKILL a
moment later if it is still there), so two never overlap; ``silence()`` kills at once.
Anything that goes wrong (no command, a command that fails to start, no sound device) is
silence: the session goes on, nothing is printed. A command that never exits (a hung
engine, a sound server that does not answer) holds up nothing for long: the next
announcement stops it (``say``) or, when it was to follow it (``say_next``), stops it once it
has run :func:`speak_timeout` seconds (a generous multiple of how long its words take); the
pain stop (``silence``) kills it at once.

A text that follows another (``say_next``, ``say_after_quiet``) may carry its deadline
(``at``, on the session's clock): one that could only start more than
:data:`~backtimer.core.timeline.LATE` seconds after it (it waited behind a command that
hung, or ran far longer than its words) is not said at all, as the cue layer leaves out a cue
it finds due that late. Its lateness counts from its deadline or, if later, from when the text
before it should have ended (its start, :data:`START_UP` and its words' command estimate): a
command slow to start on a loaded machine makes each text a little later than the one before,
which adds up over texts put back to back, and those are said. Said that late, "3, 2, 1"
heard in the hold, or "Hold." in the rest after it, would mislead. It is kept in
:meth:`SpeechPlayer.take_dropped`. A text without a deadline (the pain stop's word, what is
said on a key press) is always said.

The text is never an option and no shell ever sees it: it is one argv element after ``--``
(which espeak-ng, espeak, spd-say and any getopt-style command read as "options end here"),
or, for macOS ``say``, written to the command's standard input. An exercise called
"-90/90 hip switch" is spoken, not taken for an option.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence

#: The word a pain stop says after its sound (here, not with the player: the session's cues
#: say it before the sound device's modules are loaded).
STOPPED_TEXT = "Stopped."

#: Tried in this order when no command is configured.
CANDIDATES: tuple[str, ...] = ("espeak-ng", "espeak", "spd-say", "say")
KILL_AFTER = 0.3  # seconds between SIGTERM and SIGKILL for a replaced announcement
#: Seconds a command may take to start speaking: a countdown number's words are taken to be
#: over this long after their length from its start (see say_after_quiet).
START_UP = 0.25
#: Seconds a countdown number waits for the one before it to end before stopping its quiet.
QUIET_WAIT = 0.15
#: An announcement that runs longer than SPEAK_FACTOR times the seconds its words take
#: (estimated at the rate; a command of the user's own may speak slower than the rate
#: says), and at least SPEAK_FLOOR seconds, is taken to hang: one that waits to follow it
#: stops it (see SpeechPlayer.say_next).
SPEAK_FLOOR = 5.0
SPEAK_FACTOR = 3.0


def speak_timeout(text: str, rate: int | None = None) -> float:
    """Seconds an announcement of ``text`` may run before what follows it stops it."""
    return _timeout_for(_words_time(text, rate))


def _timeout_for(words: float) -> float:
    """:func:`speak_timeout` of a text said in ``words`` seconds."""
    return START_UP + max(SPEAK_FLOOR, SPEAK_FACTOR * words)


def _words_time(text: str, rate: int | None) -> float:
    """Seconds a command takes to say ``text`` once started (its trailing quiet too)."""
    from backtimer.core.timeline import DEFAULT_RATE, command_estimate  # not at start-up

    return command_estimate(text, rate or DEFAULT_RATE)


def find_command(command: str | Sequence[str] | None = None) -> list[str] | None:
    """The argv prefix to speak with, or None when there is no usable speech command.

    ``command`` (from the config) is a string such as ``"espeak-ng -s 150"`` (split like a
    shell would, but never run by one) or a list; an empty one turns speech off. Without it,
    the first of :data:`CANDIDATES` found on PATH is used.
    """
    if command is None:
        for name in CANDIDATES:
            path = shutil.which(name)
            if path:
                return _adapt([path])
        return None
    if isinstance(command, str):
        try:
            argv = shlex.split(command)
        except ValueError:  # unbalanced quotes
            return None
    else:
        argv = [str(part) for part in command]
    if not argv:
        return None
    path = shutil.which(argv[0])
    if path is None:
        return None
    return _adapt([path, *argv[1:]])


def engine_name(argv: Sequence[str]) -> str:
    """The speech engine's name: ``/usr/bin/espeak-ng`` -> ``espeak-ng``."""
    return os.path.basename(argv[0])


#: The option that sets the rate (words per minute) and the voice, per engine.
RATE_OPTIONS = {"espeak-ng": "-s", "espeak": "-s", "say": "-r"}
VOICE_OPTIONS = {"espeak-ng": "-v", "espeak": "-v", "say": "-v", "spd-say": "-y"}


def with_voice(
    argv: Sequence[str], *, rate: int | None = None, voice: str | None = None
) -> list[str]:
    """``argv`` with the rate and voice for the engines that take them, unless the command
    already sets them (a ``speech_command`` such as "espeak-ng -s 140" wins)."""
    out = list(argv)
    name = engine_name(argv)
    rate_option, voice_option = RATE_OPTIONS.get(name), VOICE_OPTIONS.get(name)
    if rate is not None and rate_option and rate_option not in out[1:]:
        out += [rate_option, str(int(rate))]
    if voice and voice_option and voice_option not in out[1:]:
        out += [voice_option, voice]
    return out


def _is_spd_say(argv: Sequence[str]) -> bool:
    return os.path.basename(argv[0]) == "spd-say"


def _reads_stdin(argv: Sequence[str]) -> bool:
    """macOS ``say`` speaks its standard input when given no text (its documented way)."""
    return os.path.basename(argv[0]) == "say"


def speech_argv(argv: Sequence[str], text: str) -> tuple[list[str], bytes | None]:
    """The full command line for ``text`` and what to write to its standard input.

    The text never lands where an option could be read: after ``--``, or on stdin.
    """
    if _reads_stdin(argv):
        return [*argv], text.encode("utf-8")
    if _is_spd_say(argv):
        text = text.replace("%", "%%")  # spd-say passes its text as a printf format
    return [*argv, "--", text], None


def _adapt(argv: list[str]) -> list[str]:
    """Per-command adjustments so that announcements never pile up.

    spd-say hands the text to the speech-dispatcher daemon and exits: killing it stops
    nothing. ``-C`` cancels what is still queued or speaking before the new text is said.
    """
    if _is_spd_say(argv) and not {"-C", "--cancel"} & set(argv[1:]):
        argv = [*argv, "-C"]
    return argv


def _feed(proc: subprocess.Popen[bytes], data: bytes) -> None:
    """Write the text to the child's stdin and close it, never blocking the session: what
    does not fit into the pipe at once (far more than any announcement) is dropped."""
    pipe = proc.stdin
    if pipe is None:
        return
    try:
        os.set_blocking(pipe.fileno(), False)
        os.write(pipe.fileno(), data)
    except OSError:  # a full pipe, or a child already gone
        pass
    finally:
        with contextlib.suppress(OSError):
            pipe.close()


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    """Signal the child's whole process group (it leads one: start_new_session=True)."""
    if proc.returncode is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(OSError):
            proc.send_signal(sig)


def _reap(proc: subprocess.Popen[bytes]) -> None:
    """Wait for a child to end, in a thread of its own: it is reaped the moment it ends
    (a finished announcement was a zombie until the next one was said). While this waits,
    ``poll()`` elsewhere says it runs, and a ``wait(timeout)`` elsewhere still returns at its
    bound (Popen's waits share one lock, which a timed wait only tries)."""
    with contextlib.suppress(Exception):
        proc.wait()


def _retire(proc: subprocess.Popen[bytes], grace: float) -> None:
    """Wait for a signalled child (so it is reaped), killing it if it outlives ``grace``."""
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        _signal_group(proc, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5.0)


class SpeechPlayer:
    """Speaks through a command; see the module's docstring. Thread-safe."""

    def __init__(
        self,
        command: str | Sequence[str] | None = None,
        *,
        rate: int | None = None,
        voice: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``clock``: the session's clock, on which a text's deadline (``at``) is given."""
        argv = find_command(command)
        self.argv: list[str] | None = (
            with_voice(argv, rate=rate, voice=voice) if argv is not None else None
        )
        self.rate = rate
        self.clock = clock
        self._current: subprocess.Popen[bytes] | None = None
        self._retiring: list[threading.Thread] = []
        # Said next, after the current one (say_next), each with when the current one may
        # be stopped for it (say_after_quiet: so long after its start, and not before a
        # time; None: never) and its deadline on the session's clock (None: none).
        self._waiting: list[tuple[str, tuple[float, float] | None, float | None]] = []
        self._dropped: list[str] = []  # not said: too late (see take_dropped)
        self._started = 0.0  # when the current one was started (time.monotonic)
        # When the current one should have ended, on the session's clock: its start, a
        # process's start-up and its words with the engine's trailing quiet. A text that
        # follows it is judged late from there (or its own deadline, if later).
        self._should_end = float("-inf")
        self._limit = 0.0  # seconds after that it is taken to hang (speak_timeout)
        self._follower: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def available(self) -> bool:
        return self.argv is not None

    @property
    def speaking(self) -> bool:
        """True while the latest announcement's process is still running (or one waits)."""
        with self._lock:
            return bool(self._waiting) or (
                self._current is not None and self._current.poll() is None
            )

    # -------------------------------------------------------------- CuePlayer

    def bell(self) -> None:
        """Speech only: the bell belongs to the terminal (see cues.default_player)."""

    def say(self, text: str) -> None:
        """Say ``text`` now, cutting off what is still being said (a person's command)."""
        with self._lock:
            if self.argv is None or self._closed:
                return
            self._waiting.clear()
            self._stop_current(kill=False)
            if text.strip():
                self._spawn(text)

    def say_next(self, text: str, at: float | None = None) -> None:
        """Say ``text`` without cutting off what is still being said: a cue timeline leaves
        room for every utterance, so one still running is only late (a slow command starting
        up, a voice slower than its rate). It is let finish, and ``text`` follows it, so two
        never overlap either; but one that has run :func:`speak_timeout` seconds hangs,
        and is stopped for ``text``. ``at``: its deadline on the session's clock; could it
        only start more than LATE seconds after it, it is not said (see the module)."""
        self._queue(text, None, at)

    def say_after_quiet(self, text: str, words: float = 0.0, at: float | None = None) -> None:
        """Say ``text`` when what is being said has ended, or once its words are over: for a
        countdown number (or what follows the count) after a number that the cue timeline
        fitted by its words alone, which take ``words`` seconds. What is left of that one's
        process after them (and :data:`START_UP`) is the quiet an engine plays after its
        words (espeak-ng's "3" at 120 words per minute: 0.47 s of words, 0.55 s of quiet);
        waited for, every number would start later than the one before (the count drifts
        by a command's start-up and quiet each second). It is waited for :data:`QUIET_WAIT`
        s at most, then stopped. ``at``: as for :meth:`say_next`."""
        if self.argv is None or _is_spd_say(self.argv):
            self._queue(text, None, at)  # the daemon's queue: nothing of ours to stop
            return
        self._queue(text, (max(0.0, words) + START_UP, time.monotonic() + QUIET_WAIT), at)

    def take_dropped(self) -> list[str]:
        """The texts left unsaid since the last call, because they could only have started
        more than LATE seconds after their deadline (see the module)."""
        with self._lock:
            dropped, self._dropped = self._dropped, []
        return dropped

    def _late(self, at: float | None) -> bool:
        """Whether a text due at ``at``, started now, would be more than LATE seconds late
        through no fault of its own (called with the lock): late after its deadline, or after
        the text before it should have ended if that is later. Waiting behind what is said
        in its time is not held against it: a session through a command slow to start (a
        loaded machine) says each text a start-up later than the one before, which adds up
        over texts the timeline put back to back, and those are still said, in order. What
        waited behind a command that hung, or ran well past its words, is left out."""
        from backtimer.core.timeline import LATE  # not at start-up (see speak_timeout)

        return at is not None and self.clock() - max(at, self._should_end) > LATE

    def _queue(self, text: str, stop: tuple[float, float] | None, at: float | None) -> None:
        with self._lock:
            if self.argv is None or self._closed or not text.strip():
                return
            busy = self._current is not None and self._current.poll() is None
            if not busy and not self._waiting:
                if self._late(at):
                    self._dropped.append(text)
                else:
                    self._spawn(text, queue=True)
                return
            self._waiting.append((text, stop, at))
            if self._follower is None or not self._follower.is_alive():
                self._follower = threading.Thread(
                    target=self._follow, name="backtimer-speech-follow", daemon=True
                )
                self._follower.start()

    def _follow(self) -> None:
        """Start each waiting text when the one before it has ended; one whose deadline is
        more than LATE seconds past by then is not said (see the module)."""
        while True:
            with self._lock:
                if self._closed or not self._waiting:
                    return
                proc = self._current
                text, stop, at = self._waiting[0]
                limit = self._started + self._limit  # past it, the current one hangs
                until = limit if stop is None else min(limit, max(self._started + stop[0], stop[1]))
                now = time.monotonic()
                running = proc is not None and proc.poll() is None
                if running and now >= until:
                    self._stop_current(kill=False)  # its words are over (its quiet), or it hangs
                    proc = None
                if proc is None or proc.poll() is not None:
                    self._waiting.pop(0)
                    if self._late(at):
                        self._dropped.append(text)  # said now, it would mislead
                    else:
                        self._spawn(text, queue=True)
                    continue
                timeout = max(0.005, min(0.2, until - now))
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=timeout)

    def _spawn(self, text: str, *, queue: bool = False) -> None:
        """Start speaking ``text`` (called with the lock; what was current has ended).
        ``queue``: spd-say queues it in its daemon rather than cancelling what is said."""
        assert self.argv is not None
        base = self.argv
        if queue and _is_spd_say(base):
            base = [part for part in base if part not in ("-C", "--cancel")]
        argv, feed = speech_argv(base, text)
        words = _words_time(text, self.rate)  # estimated once, for both
        self._limit = _timeout_for(words)
        self._started = time.monotonic()
        self._should_end = self.clock() + START_UP + words
        try:
            self._current = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL if feed is None else subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                close_fds=True,
            )
        except (OSError, ValueError, subprocess.SubprocessError):
            # Gone since we looked, not executable, out of processes: stay silent.
            self._current = None
            return
        with contextlib.suppress(RuntimeError):  # no thread to be had: polls reap it later
            threading.Thread(
                target=_reap, args=(self._current,), name="backtimer-speech-waiter", daemon=True
            ).start()
        if feed is not None:
            _feed(self._current, feed)

    def silence(self) -> None:
        with self._lock:
            self._waiting.clear()
            self._stop_current(kill=True)
            if self.argv is not None and _is_spd_say(self.argv):
                self._spawn_quietly([self.argv[0], "-C"])  # cancel in the daemon too

    def close(self) -> None:
        """Stop speaking and reap every child; nothing is spoken afterwards."""
        with self._lock:
            self._closed = True
            self._waiting.clear()
            self._stop_current(kill=True)
            threads, self._retiring = self._retiring, []
        deadline = time.monotonic() + 1.0
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    # -------------------------------------------------------------- extras

    def wait_idle(self, timeout: float) -> bool:
        """Let the current announcement finish, up to ``timeout`` seconds (blocks).

        For the end of a plain session, so that "Session complete" is heard before exit.
        Returns True when nothing is speaking any more (nor waits to be said).
        """
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            with self._lock:
                proc, waiting = self._current, bool(self._waiting)
            if (proc is None or proc.poll() is not None) and not waiting:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if proc is None or proc.poll() is not None:
                time.sleep(min(0.02, left))  # the next one is about to start
                continue
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=min(0.2, left))

    # -------------------------------------------------------------- internals

    def _stop_current(self, *, kill: bool) -> None:
        """Stop the current child (if any) without waiting for it; called with the lock."""
        self._retiring = [t for t in self._retiring if t.is_alive()]
        proc, self._current = self._current, None
        if proc is None:
            return
        if proc.poll() is not None:
            return  # finished on its own; poll() reaped it
        _signal_group(proc, signal.SIGKILL if kill else signal.SIGTERM)
        thread = threading.Thread(
            target=_retire,
            args=(proc, 0.0 if kill else KILL_AFTER),
            name="backtimer-speech-reaper",
            daemon=True,
        )
        thread.start()
        self._retiring.append(thread)

    def _spawn_quietly(self, argv: list[str]) -> None:
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except (OSError, ValueError, subprocess.SubprocessError):
            return
        thread = threading.Thread(
            target=_retire, args=(proc, 5.0), name="backtimer-speech-reaper", daemon=True
        )
        thread.start()
        self._retiring.append(thread)
