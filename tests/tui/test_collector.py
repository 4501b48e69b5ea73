"""The garbage collector, paused while the app starts (``backtimer.cli.main``), comes back
after the first frame over what is made from then on: what start-up made is frozen, not gone
over again just as the first key wants handling. Counted, not timed."""

from __future__ import annotations

import gc
from pathlib import Path

from snapshot_apps.common import SHORT, FakeClock, build_app, write_routine


async def test_the_collector_comes_back_after_the_first_frame_without_start_up(
    tmp_path: Path,
) -> None:
    entry = write_routine(tmp_path, SHORT)
    was_on = gc.isenabled()
    gc.disable()  # as cli.main does while starting
    try:
        app = build_app(entry, clock=FakeClock())
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert gc.isenabled()
            assert gc.get_freeze_count() > 0  # start-up's objects, left out of its passes
    finally:
        gc.unfreeze()
        if was_on:
            gc.enable()
        else:
            gc.disable()


async def test_garbage_made_while_starting_is_collected_not_frozen(tmp_path: Path) -> None:
    """Garbage made while the collector waited (a reference cycle nothing uses) is gone
    once the collector is back: frozen, it would stay for the whole session."""
    import weakref

    class Cycle:
        pass

    entry = write_routine(tmp_path, SHORT)
    was_on = gc.isenabled()
    gc.disable()  # as cli.main does while starting
    try:
        cycle = Cycle()
        cycle.me = cycle  # type: ignore[attr-defined]
        gone = weakref.ref(cycle)
        del cycle
        assert gone() is not None  # nothing collects it while the collector waits
        app = build_app(entry, clock=FakeClock())
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert gc.isenabled()
            assert gc.get_freeze_count() > 0
            assert gone() is None
    finally:
        gc.unfreeze()
        if was_on:
            gc.enable()
        else:
            gc.disable()
