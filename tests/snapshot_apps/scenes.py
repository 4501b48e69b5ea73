"""The app in fixed states, for the SVG snapshots: a fixed routine, a fake clock, no sound.

Each scene is an app (from ``make_app``) plus what to do before the screenshot. To look at
one by hand: ``.venv/bin/python tests/snapshot_apps/scenes.py hold`` (the clock stays
frozen at that moment, so the screen does not move).
"""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make "snapshot_apps" importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from snapshot_apps.common import (
    ROUTINES,
    FakeClock,
    advance,
    build_app,
    footer_in_place,
    snapshot_entries,
)
from textual.pilot import Pilot
from textual.widgets import Input, RadioButton

from backtimer.files.catalog import load_entry
from backtimer.tui.app import BacktimerApp

RunBefore = Callable[[Pilot], Awaitable[None]]

#: Seconds into the first step of each phase of the "Morning back care" routine (see
#: routines/morning.toml) for each scene; the steps start where the plan the app runs says
#: (fitted to its words: a get-ready lasts as long as its introduction needs).
AT = {"get_ready": 1.0, "hold": 4.0, "rest": 2.5, "switch_sides": 2.0, "transition": 1.0}


def seconds_to(app: BacktimerApp, phase: str, into: float | None = None) -> float:
    """Seconds from the session's start to ``into`` (default: AT) seconds into its first
    step of ``phase``."""
    plan = app.session_screen.session.plan
    index = next(step.index for step in plan.steps if step.phase == phase)
    return plan.offset(index) + (AT[phase] if into is None else into)


def morning_app(clock: FakeClock) -> BacktimerApp:
    entry = load_entry(ROUTINES / "morning.toml", "bundled")
    return build_app(entry, clock=clock)


def picker() -> tuple[BacktimerApp, RunBefore]:
    app = build_app(None, entries=snapshot_entries)

    async def before(pilot: Pilot) -> None:
        await pilot.pause()
        await footer_in_place(app, pilot)  # the first screen's footer, after its first frame

    return app, before


def picker_levels() -> tuple[BacktimerApp, RunBefore]:
    """The picker's preview with current levels read from a history (in a temporary
    folder of its own): the knee hold at 20 s of 10-30 s, the bridges at 9 of 8-10 reps."""
    from backtimer.core.routine import LevelChoice
    from backtimer.history import open_history
    from backtimer.history.levels import store_level

    data = Path(tempfile.mkdtemp(prefix="backtimer-snapshot-"))
    atexit.register(shutil.rmtree, data, True)
    morning = load_entry(ROUTINES / "morning.toml", "bundled")
    short = load_entry(ROUTINES / "short.toml", "user")
    with open_history(data) as db:
        store_level(db, morning, 0, LevelChoice(hold=20))
        store_level(db, morning, 1, LevelChoice(reps=9))
    app = build_app(None, entries=lambda: [morning, short])
    app.data_dir = data  # type: ignore[attr-defined]  # where the picker reads the levels

    async def before(pilot: Pilot) -> None:
        await pilot.pause()
        await footer_in_place(app, pilot)  # the first screen's footer, after its first frame

    return app, before


def session(phase: str, *, paused: bool = False) -> tuple[BacktimerApp, RunBefore]:
    clock = FakeClock()
    app = morning_app(clock)

    async def before(pilot: Pilot) -> None:
        await pilot.pause()
        await footer_in_place(app, pilot)  # the first screen's footer, after its first frame
        advance(app, clock, seconds_to(app, phase))
        if paused:
            await pilot.press("space")
        await pilot.pause()

    return app, before


def pain() -> tuple[BacktimerApp, RunBefore]:
    clock = FakeClock()
    app = morning_app(clock)

    async def before(pilot: Pilot) -> None:
        await pilot.pause()
        await footer_in_place(app, pilot)  # the first screen's footer, after its first frame
        advance(app, clock, seconds_to(app, "hold"))
        await pilot.press("x")
        await pilot.pause()

    return app, before


def summary() -> tuple[BacktimerApp, RunBefore]:
    """Ended early after a pain stop with details, one exercise done."""
    clock = FakeClock()
    app = morning_app(clock)

    async def before(pilot: Pilot) -> None:
        await pilot.pause()
        await footer_in_place(app, pilot)  # the first screen's footer, after its first frame
        plan = app.session_screen.session.plan
        last = [s for s in plan.steps if s.exercise_index == 0 and s.phase == "hold"][-1]
        advance(app, clock, plan.offset(last.index) + 1.0)  # the first exercise's last hold
        await pilot.press("x")
        await pilot.pause()
        await pilot.click(app.screen.query(RadioButton)[0])  # lower back
        app.screen.query_one("#pain-how-much", Input).value = "4"
        app.screen.query_one("#pain-note", Input).value = "[bold]dull[/] ache"
        await pilot.press("ctrl+e")
        await pilot.pause()

    return app, before


SCENES: dict[str, Callable[[], tuple[BacktimerApp, RunBefore]]] = {
    "picker": picker,
    "picker_levels": picker_levels,
    "get_ready": lambda: session("get_ready"),
    "hold": lambda: session("hold"),
    "transition": lambda: session("transition"),
    "rest": lambda: session("rest"),
    "switch_sides": lambda: session("switch_sides"),
    "paused": lambda: session("hold", paused=True),
    "pain": pain,
    "summary": summary,
}


if __name__ == "__main__":
    name = sys.argv[1] if len(sys.argv) > 1 else "hold"
    scene_app, scene_before = SCENES[name]()

    async def _on_ready() -> None:
        from textual.pilot import Pilot as _Pilot

        await scene_before(_Pilot(scene_app))

    scene_app.call_after_refresh(lambda: scene_app.run_worker(_on_ready()))
    scene_app.run()
