"""Code that might block on a named pipe (FIFO), called in a thread by the tests that check
it never does: what it returned or raised, or a test failure if it was still blocked."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def unblock(fifo: Path) -> None:
    """Open the FIFO's writing end once, so that a reader blocked on it returns."""
    with contextlib.suppress(OSError):
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


def outcome_within(call: Callable[[], Any], fifo: Path, what: str, seconds: float = 10.0) -> Any:
    """``call()`` in a thread: what it returned, or the exception it raised (as a value); a
    test failure ("WHAT blocked") if it still ran after ``seconds`` (the pipe is then opened
    for writing once, so that the thread ends)."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:  # handed to the test's thread
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        unblock(fifo)
        thread.join(5)
        pytest.fail(f"{what} blocked")
    return outcome[0]
