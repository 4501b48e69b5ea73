"""Waiting in a test for what another thread or a child process must do (no fake clock can
stand in for one): poll until it is done, or until a bound far beyond what it needs."""

from __future__ import annotations

import time
from collections.abc import Callable

PATIENCE = 30.0  # seconds: long after what is waited for must have happened


def wait_for(predicate: Callable[[], bool], timeout: float = PATIENCE) -> bool:
    """Whether ``predicate`` came true within ``timeout`` seconds (looked at every 5 ms)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()
