"""The thin shell around the pure engine: a clock, and listeners that react to events.

The full-screen app and ``--plain`` both drive a session through a :class:`SessionRunner`.
Listeners (the cue layer, the history recorder, the UI) receive every batch of events the
engine returns, in order; none of them is called from inside the engine.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Protocol

from backtimer.core.engine import Command, Event, Session
from backtimer.core.plan import Plan

Clock = Callable[[], float]


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
        """Apply a command at the clock's current time and tell every listener."""
        events = self.session.handle(command, self.clock(), amount)
        if events:
            for listener in self.listeners:
                listener.on_events(events, self.session)
        return events

    def tick(self) -> list[Event]:
        return self.do(Command.TICK)
