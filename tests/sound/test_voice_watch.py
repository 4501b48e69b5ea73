"""The watch on a voice helper's answer (backtimer.sound.voice._Watch): a batch of texts
measured moves its deadline on at every answer without waking it; an earlier deadline wakes
it; a later one is still kept (it expires then, not before)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from backtimer.sound.voice import _Watch


@pytest.fixture
def proc() -> Iterator[subprocess.Popen[bytes]]:
    """A process to watch (killed by an expired watch), in a process group of its own."""
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    try:
        yield child
    finally:
        child.kill()
        child.wait()


def wakes(watch: _Watch) -> list[int]:
    """Records every time the watch's thread is woken before its deadline."""
    woken: list[int] = []
    notify = watch._changed.notify

    def counted(n: int = 1) -> None:
        woken.append(n)
        notify(n)

    watch._changed.notify = counted  # type: ignore[method-assign]
    return woken


def ended(proc: subprocess.Popen[bytes]) -> float:
    """When ``proc`` was seen to have ended (waits up to 30 s)."""
    proc.wait(timeout=30)
    return time.monotonic()


def test_a_later_deadline_does_not_wake_the_watch(proc: subprocess.Popen[bytes]) -> None:
    watch = _Watch(proc, 60.0)
    woken = wakes(watch)
    for _ in range(20):  # the answers of a batch, each with its own time
        watch.rearm(60.0)
    assert woken == []
    watch.stop()
    assert not watch.expired and proc.poll() is None


def test_an_earlier_deadline_wakes_the_watch(proc: subprocess.Popen[bytes]) -> None:
    watch = _Watch(proc, 60.0)
    woken = wakes(watch)
    watch.rearm(0.05)
    assert woken == [1]
    ended(proc)  # killed long before the first deadline
    watch.stop()
    assert watch.expired


def test_a_later_deadline_is_kept(proc: subprocess.Popen[bytes]) -> None:
    watch = _Watch(proc, 0.05)
    moved = time.monotonic()
    watch.rearm(0.4)  # the watch, asleep until 0.05, finds the later deadline then
    assert ended(proc) - moved >= 0.4
    watch.stop()
    assert watch.expired
