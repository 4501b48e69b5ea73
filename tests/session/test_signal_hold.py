"""Signals that end a session wait while a batch of events reaches the listeners (issue 13).

The fault: the hold was a thread signal mask; with another thread running (the history
writer), the kernel handed the signal to that thread and Python ran the handler in the main
thread anyway, in the middle of the listeners: a Ctrl-C just after a session's first line
could leave the history without the session's first record, so without the session.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator, Sequence

import pytest

from backtimer.core.engine import Event, Session, StepStarted
from backtimer.core.plan import compile_plan
from backtimer.core.schema import validate_routine
from backtimer.session.runner import SessionRunner, ending_signals_held, held_while_dispatching

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="POSIX signals")


class Arrived(Exception):
    pass


@pytest.fixture
def busy_thread() -> Iterator[None]:
    """A thread that does not block the signal (as the history writer does not)."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join()


@pytest.fixture
def raising_handler() -> Iterator[list[str]]:
    """SIGUSR1 raises Arrived (as Ctrl-C raises KeyboardInterrupt), held while dispatching."""
    calls: list[str] = []

    def handler(signum: int, frame: object) -> None:
        calls.append("handler")
        raise Arrived

    previous = signal.signal(signal.SIGUSR1, held_while_dispatching(handler))
    yield calls
    signal.signal(signal.SIGUSR1, previous)


def python_work(seconds: float) -> None:
    """Long enough, in Python code, for a signal handler to run if it is allowed to."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.005)


def test_a_signal_in_a_hold_runs_its_handler_after_it(
    busy_thread: None, raising_handler: list[str]
) -> None:
    steps: list[str] = []
    with pytest.raises(Arrived), ending_signals_held():
        os.kill(os.getpid(), signal.SIGUSR1)
        python_work(0.1)
        steps.append("the whole batch")
    assert steps + raising_handler == ["the whole batch", "handler"]
    # Nothing is left waiting: a later hold ends quietly.
    with ending_signals_held():
        python_work(0.01)
    assert raising_handler == ["handler"]


def test_holds_nest_and_outside_a_hold_the_handler_runs_at_once(
    busy_thread: None, raising_handler: list[str]
) -> None:
    with pytest.raises(Arrived), ending_signals_held():
        with ending_signals_held():
            os.kill(os.getpid(), signal.SIGUSR1)
            python_work(0.05)
        python_work(0.05)  # still held by the outer block
        assert raising_handler == []
    assert raising_handler == ["handler"]
    with pytest.raises(Arrived):
        os.kill(os.getpid(), signal.SIGUSR1)
        python_work(1.0)
    assert raising_handler == ["handler", "handler"]


def test_every_listener_hears_the_batch_a_signal_came_in(
    busy_thread: None, raising_handler: list[str]
) -> None:
    routine = validate_routine(
        {
            "name": "Quick",
            "defaults": {"get_ready": 0, "transition": 0, "hold": 1},
            "exercises": [{"name": "One"}, {"name": "Two"}],
        }
    )
    heard: list[str] = []

    class First:
        def on_events(self, events: Sequence[Event], session: Session) -> None:
            heard.append("first")
            os.kill(os.getpid(), signal.SIGUSR1)  # as the printed line is read, Ctrl-C
            python_work(0.05)

    class Recorder:
        def on_events(self, events: Sequence[Event], session: Session) -> None:
            python_work(0.05)
            heard.append("recorder: " + type(events[0]).__name__)

    runner = SessionRunner(compile_plan(routine, "low"), listeners=[First(), Recorder()])
    with pytest.raises(Arrived):
        runner.do("start")
    assert heard == ["first", f"recorder: {StepStarted.__name__}"]
