"""The thin shell around the pure engine: a clock, and listeners that react to events.

The full-screen app and ``--plain`` both drive a session through a :class:`SessionRunner`.
Listeners (the cue layer, the history recorder, the UI) receive every batch of events the
engine returns, in order; none of them is called from inside the engine.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

from backtimer.core.engine import Command, Event, Session
from backtimer.core.plan import Plan

Clock = Callable[[], float]

#: The signals that end a session (Ctrl-C, SIGTERM, a closed terminal). Where the platform can
#: hold them back (POSIX), they wait while a batch of events goes to the listeners.
_ENDING = (
    {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    if hasattr(signal, "pthread_sigmask") and hasattr(signal, "SIGHUP")
    else set()
)


@contextmanager
def ending_signals_held() -> Iterator[None]:
    """Hold Ctrl-C, SIGTERM and SIGHUP back until the block ends; they are delivered then.

    A signal's handler raises in whatever line runs when it arrives: in the middle of telling
    the listeners, the screen could have shown a step whose record the history never got.
    Held here, every listener hears the whole batch first.
    """
    if not _ENDING:
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _ENDING)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


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
