"""The thin shell around the pure engine: a clock, and listeners that react to events.

The full-screen app and ``--plain`` both drive a session through a :class:`SessionRunner`.
Listeners (the cue layer, the history recorder, the UI) receive every batch of events the
engine returns, in order; none of them is called from inside the engine.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Any, ClassVar, Protocol

from backtimer.core.engine import Command, Event, Session
from backtimer.core.plan import Plan

Clock = Callable[[], float]

Handler = Callable[[int, FrameType | None], Any]


class _Held:
    """The state of :func:`ending_signals_held` (main thread only: Python runs signal
    handlers there, whichever thread the kernel handed the signal to)."""

    depth: ClassVar[int] = 0
    pending: ClassVar[list[Callable[[], None]]] = []


@contextmanager
def ending_signals_held() -> Iterator[None]:
    """Hold back the handlers of the signals that end a session (Ctrl-C, SIGTERM, a closed
    terminal) until the block ends; the first one that came is run then.

    A signal's handler raises in whatever line runs when it arrives: in the middle of telling
    the listeners, the screen could have shown a step whose record the history never got
    (even the session's first record, losing the whole session). Held here, every listener
    hears the whole batch first. Only handlers made with :func:`held_while_dispatching` wait.

    The hold is kept in Python, not in the thread's signal mask: with other threads running
    (the history writer, sound), the kernel hands a signal the main thread blocks to one of
    them, and Python then runs its handler in the main thread anyway, mask or not.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # handlers never run in this thread: nothing to hold
        return
    _Held.depth += 1
    try:
        yield
    finally:
        _Held.depth -= 1
        if _Held.depth == 0:
            waiting, _Held.pending = _Held.pending, []
            if waiting:
                waiting[0]()  # may raise: after the whole batch, as promised


def held_while_dispatching(
    handler: Handler, arrived: Callable[[int], None] | None = None
) -> Handler:
    """``handler`` as a signal handler that waits while :func:`ending_signals_held` holds.

    ``arrived(signum)``, if given, is called at once for every signal, held or not, in the
    order they came: a handler that runs later can tell which signal came first (a second
    one may be run before a held one is delivered)."""

    def held(signum: int, frame: FrameType | None) -> Any:
        if arrived is not None:
            arrived(signum)
        if _Held.depth > 0:
            _Held.pending.append(lambda: handler(signum, frame))
            return None
        _Held.pending = []  # one that waited is superseded by this one, run now
        return handler(signum, frame)

    return held


class Listener(Protocol):
    def on_events(self, events: Sequence[Event], session: Session) -> None: ...


class SessionRunner:
    def __init__(
        self,
        plan: Plan,
        *,
        clock: Clock = time.monotonic,
        start_index: int = 0,
        listeners: Sequence[Listener] = (),
        sleep_gap: float | None = 5.0,
        countdown: int = 3,
    ) -> None:
        self.clock = clock
        self.session = Session(
            plan, start_index=start_index, sleep_gap=sleep_gap, countdown=countdown
        )
        self.listeners: list[Listener] = list(listeners)

    @property
    def plan(self) -> Plan:
        return self.session.plan

    def add_listener(self, listener: Listener) -> None:
        self.listeners.append(listener)

    def now(self) -> float:
        return self.clock()

    def do(self, command: Command | str, amount: float = 0.0) -> list[Event]:
        """Apply a command at the clock's current time and tell every listener (with the
        signals that end a session held back until all of them have heard it)."""
        with ending_signals_held():
            events = self.session.handle(command, self.clock(), amount)
            if events:
                for listener in self.listeners:
                    listener.on_events(events, self.session)
        return events

    def tick(self) -> list[Event]:
        return self.do(Command.TICK)
