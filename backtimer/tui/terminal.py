"""The terminal is always given back, and a closed terminal always ends the process.

Two faults this guards against (issue 13, items 11 and 13):

* **A hard deadline after SIGHUP, SIGTERM or SIGINT, or when the output dies.** Textual
  writes to the terminal through a writer thread fed by a bounded queue (30 items). When the
  terminal goes away (a closed window, a killed tmux server) a write fails with EIO: the
  writer thread dies of it, the queue fills, and the main thread blocks for ever in
  ``Queue.put`` -- so the event loop never runs the SIGHUP handler that would have ended the
  app (about 1 try in 6, depending on which comes first). The signal handlers here are plain
  Python handlers (they run in the main thread even while it waits on that queue's lock);
  besides asking the app to exit, they start a watchdog thread that, if the process is still
  alive after :data:`DEADLINE` seconds, records the session as interrupted, flushes the
  history, restores what it can of the terminal and ends the process with ``os._exit``.
  A writer thread that dies of an OSError starts the same watchdog.

* **Terminal modes restored on every exit path.** The terminal's settings are saved before
  the app starts and set back after it ends, whatever Textual restored: after an outside
  SIGSTOP and SIGCONT, Textual's resume took the raw mode it was in for the "before" state and
  left the shell with ``-icanon -echo -isig``. An outside SIGCONT (no Ctrl-Z before it) now
  only sets raw mode again and repaints; Textual's own suspend and resume (Ctrl-Z, ``fg``)
  are left to Textual.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import termios
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

DEADLINE = 0.5  # seconds from the signal to the hard exit, if the app has not ended by then
FLUSH_WAIT = 0.8  # seconds the watchdog waits for the history to be written
WRITER_THREAD = "textual-output"  # Textual's output writer thread's name

#: What Textual's application mode turns on, turned off: kitty keyboard protocol, alternate
#: screen, hidden cursor, focus events, bracketed paste, no line wrap, mouse reporting.
LEAVE_APP_MODE = (
    "\x1b[<u\x1b[?1049l\x1b[?25h\x1b[?1004l\x1b[?2004l\x1b[?7h"
    "\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?1016l\x1b[?2048l"
)
ENTER_APP_MODE = "\x1b[?1049h\x1b[?25l\x1b[?1000h\x1b[?1003h\x1b[?1015h\x1b[?1006h"


def _fileno(stream: Any) -> int | None:
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return None
    return fd if os.isatty(fd) else None


def _write_quietly(fd: int | None, text: str) -> None:
    """Write to a terminal without ever blocking or failing (it may be gone)."""
    if fd is None:
        return
    with contextlib.suppress(OSError, ValueError):
        blocking = os.get_blocking(fd)
        os.set_blocking(fd, False)
        try:
            os.write(fd, text.encode())
        finally:
            os.set_blocking(fd, blocking)


class TerminalGuard:
    """Saved terminal modes, and the hard deadline. One per run of the app."""

    def __init__(self, stdin: Any = None, output: Any = None) -> None:
        self.input_fd = _fileno(sys.__stdin__ if stdin is None else stdin)
        self.output_fd = _fileno(sys.__stderr__ if output is None else output)  # Textual's
        self.saved: list[Any] | None = None
        if self.input_fd is not None:
            with contextlib.suppress(termios.error, OSError):
                self.saved = termios.tcgetattr(self.input_fd)
        self.raw: list[Any] | None = None  # the app's own mode, once it runs
        self.finishers: list[Callable[[], None]] = []  # run by the watchdog before exiting
        self.exit_code: int | None = None
        self._lock = threading.Lock()
        self._watchdog: threading.Thread | None = None
        self._previous_hook: Callable[[threading.ExceptHookArgs], Any] | None = None
        self._previous_handlers: dict[int, Any] = {}
        self._previous_wakeup = -1
        self._wakeup: tuple[int, int] | None = None

    # ------------------------------------------------------------------ modes

    def remember_app_mode(self) -> None:
        """Note the raw mode the app runs in (to set it again after an outside SIGCONT)."""
        if self.input_fd is not None:
            with contextlib.suppress(termios.error, OSError):
                self.raw = termios.tcgetattr(self.input_fd)

    def reenter_app_mode(self) -> None:
        """After an outside SIGSTOP and SIGCONT: the shell set its own modes meanwhile."""
        if self.input_fd is not None and self.raw is not None:
            with contextlib.suppress(termios.error, OSError):
                termios.tcsetattr(self.input_fd, termios.TCSANOW, self.raw)
        _write_quietly(self.output_fd, ENTER_APP_MODE)

    def restore(self) -> None:
        """The terminal as it was before the app started. Never raises, never blocks."""
        if self.input_fd is not None and self.saved is not None:
            with contextlib.suppress(termios.error, OSError):
                termios.tcsetattr(self.input_fd, termios.TCSANOW, self.saved)

    def leave_app_mode(self) -> None:
        _write_quietly(self.output_fd, LEAVE_APP_MODE)
        self.restore()

    # ------------------------------------------------------------------ deadline

    def install(self, on_signal: Callable[[int], None]) -> None:
        """SIGTERM, SIGHUP and SIGINT: ``on_signal(exit code)`` (ask the app to exit) and
        the deadline; an output writer thread dying of an OSError: the same, as SIGHUP."""
        codes = {signal.SIGTERM: 143, signal.SIGHUP: 129, signal.SIGINT: 130}

        def on(code: int) -> None:
            self.start_deadline(code)
            with contextlib.suppress(Exception):
                on_signal(code)

        def handler(signum: int, frame: FrameType | None) -> None:
            on(codes[signal.Signals(signum)])

        for sig in codes:
            with contextlib.suppress(ValueError, OSError):  # not the main thread
                self._previous_handlers[sig] = signal.signal(sig, handler)

        # A Python signal handler runs in the main thread only, and only when that thread
        # runs Python code: a signal the kernel hands to another thread while the main
        # thread waits on a lock (Textual's full output queue) would never be handled. The
        # C-level handler, in whatever thread it runs, also writes the signal's number to
        # the wakeup fd: a thread of our own reads it and starts the deadline at once.
        read_end, write_end = os.pipe()
        os.set_blocking(write_end, False)
        try:
            self._previous_wakeup = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
        except (ValueError, OSError):  # not the main thread
            os.close(read_end)
            os.close(write_end)
        else:
            self._wakeup = (read_end, write_end)

            def watch() -> None:
                while True:
                    try:
                        data = os.read(read_end, 64)
                    except OSError:
                        return
                    if not data:
                        return
                    for number in data:
                        with contextlib.suppress(ValueError):
                            if signal.Signals(number) in codes:
                                on(codes[signal.Signals(number)])

            threading.Thread(target=watch, name="backtimer-signals", daemon=True).start()

        self._previous_hook = threading.excepthook

        def hook(args: threading.ExceptHookArgs) -> None:
            thread = args.thread
            if (
                thread is not None
                and thread.name == WRITER_THREAD
                and isinstance(args.exc_value, OSError)
            ):
                self.start_deadline(129)  # the terminal is gone (EIO): as if hung up
                with contextlib.suppress(Exception):
                    on_signal(129)
                return
            if self._previous_hook is not None:
                self._previous_hook(args)

        threading.excepthook = hook

    def uninstall(self) -> None:
        """The signal handlers and thread hook from before :meth:`install` (the deadline,
        if one was started, still runs)."""
        for sig, previous in self._previous_handlers.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(sig, previous)
        self._previous_handlers.clear()
        if self._wakeup is not None:
            with contextlib.suppress(ValueError, OSError):
                signal.set_wakeup_fd(self._previous_wakeup)
            for fd in self._wakeup:
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._wakeup = None
        if self._previous_hook is not None:
            threading.excepthook = self._previous_hook
            self._previous_hook = None

    def start_deadline(self, code: int, seconds: float = DEADLINE) -> None:
        with self._lock:
            if self.exit_code is None:
                self.exit_code = code
            if self._watchdog is not None:
                return
            self._watchdog = threading.Thread(
                target=self._expire, args=(seconds,), name="backtimer-deadline", daemon=True
            )
            self._watchdog.start()

    def _expire(self, seconds: float) -> None:
        time.sleep(seconds)
        self.hard_exit()

    def hard_exit(self) -> None:
        """Record, restore, and end the process now, whatever the other threads do."""
        for finish in self.finishers:
            with contextlib.suppress(Exception):
                finish()
        self.leave_app_mode()
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os._exit(self.exit_code if self.exit_code is not None else 129)
