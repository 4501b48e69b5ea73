"""The garbage collector, paused while the app starts (``backtimer.cli.main``), comes back
at the first frame over what is made from then on: what start-up made is frozen, not gone
over again just as the first key wants handling; it is gone over once, a moment after the
first frame (not at it: the frame waits for the output thread). Counted, not timed."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from snapshot_apps.common import (
    SHORT,
    FakeClock,
    build_app,
    collector_off_as_at_start,
    until,
    write_routine,
)


async def test_the_collector_comes_back_after_the_first_frame_without_start_up(
    tmp_path: Path,
) -> None:
    entry = write_routine(tmp_path, SHORT)
    with collector_off_as_at_start():
        app = build_app(entry, clock=FakeClock())
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert gc.isenabled()
            assert gc.get_freeze_count() > 0  # start-up's objects, left out of its passes


async def test_garbage_made_while_starting_is_collected_not_frozen(tmp_path: Path) -> None:
    """Garbage made while the collector waited (a reference cycle nothing uses) is gone
    once the collector is back: frozen, it would stay for the whole session."""
    import weakref

    class Cycle:
        pass

    entry = write_routine(tmp_path, SHORT)
    with collector_off_as_at_start():
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
            # Gone once the pass over start-up has come (a moment after the first frame,
            # which it would have held back).
            await until(pilot, lambda: gone() is None, "the start-up garbage collected")
            assert gc.get_freeze_count() > 0  # what lives on is frozen again


async def test_the_pass_over_start_up_comes_after_the_first_frame_not_at_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At the first frame the collector is only turned on (start-up's objects frozen); the
    pass over them (tens of milliseconds, holding the interpreter while Textual's output
    thread waits to write the frame) comes later, from the event loop."""
    from backtimer.tui import app as app_module

    passes: list[bool] = []  # whether the first frame had been reached at each pass
    collect = gc.collect
    app = None

    def counting(*args: object) -> int:
        passes.append(app is not None and app.first_frame_drawn)
        return collect(*args)

    entry = write_routine(tmp_path, SHORT)
    with collector_off_as_at_start():
        app = build_app(entry, clock=FakeClock())
        monkeypatch.setattr(app_module.gc, "collect", counting)
        monkeypatch.setattr(app_module, "COLLECT_AFTER", 0.0)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: bool(passes), "the pass over start-up")
            assert passes == [True]
