"""Shared pieces for the app's tests and snapshot apps: a fake clock, fixed routines, helpers.

Everything here is deterministic: the clock only moves when a test moves it, the routines
are fixed text, and the cue player records instead of making sound.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from backtimer.files import catalog
from backtimer.files.catalog import Entry, load_entry
from backtimer.files.routine_load import Problem
from backtimer.session.cues import RecordingPlayer
from backtimer.tui.app import BacktimerApp, make_app

HERE = Path(__file__).resolve().parent
ROUTINES = HERE / "routines"

#: 1 exercise on both sides with 2 reps, then a second one: every phase in a short session.
SHORT = (ROUTINES / "short.toml").read_text(encoding="utf-8")

#: A routine with longer holds, for screenshots that show a real countdown.
SNAPSHOT = (ROUTINES / "morning.toml").read_text(encoding="utf-8")

#: Markup and escapes in every text field: all must be shown literally.
MARKUP = (ROUTINES / "markup.toml").read_text(encoding="utf-8")

#: One exercise whose hold is a range (10-30 s): it has levels to step up and down.
RANGED = (ROUTINES / "ranged.toml").read_text(encoding="utf-8")


class FakeClock:
    """A monotonic clock that only moves when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def write_routine(folder: Path, text: str, name: str = "routine.toml") -> Entry:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    entry = load_entry(path, "path")
    assert entry.routine is not None, entry.problems
    return entry


def build_app(
    entry: Entry | None,
    *,
    clock: FakeClock | None = None,
    player: RecordingPlayer | None = None,
    entries: Any = None,
    **kwargs: Any,
) -> BacktimerApp:
    """``make_app`` with a fake clock and a recording player (and no real interval)."""
    options: dict[str, Any] = {
        "clock": clock or FakeClock(),
        "player": player or RecordingPlayer(),
        "tick_interval": None,
    }
    if entries is not None:
        options["entries"] = entries
    options.update(kwargs)
    return make_app(entry, **options)


@asynccontextmanager
async def started(
    entry: Entry, *, size: tuple[int, int] = (80, 24), clock: FakeClock | None = None, **kwargs: Any
) -> AsyncIterator[tuple[BacktimerApp, Any, FakeClock]]:
    """The app on a session of ``entry`` (``build_app``'s options), run headless at ``size``
    and let settle: the app, its pilot and the fake clock, which has not moved yet."""
    clock = clock or FakeClock()
    app = build_app(entry, clock=clock, **kwargs)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await footer_in_place(app, pilot)
        yield app, pilot, clock


async def footer_in_place(app: BacktimerApp, pilot: Any) -> None:
    """Let the app run until the first screen's footer, which takes the place of the key
    line of its first frame right after that frame (see backtimer.tui.widgets.keybar), is
    there and laid out."""
    from backtimer.tui.widgets.keybar import KeyFooter, KeyLine

    def placed() -> bool:
        screen = app.screen
        if screen.query(KeyLine):
            return False
        return all(footer.region.width > 0 for footer in screen.query(KeyFooter))

    if not placed():
        await until(pilot, placed, "the footer in the place of the first frame's key line")


async def pain_stop_at(app: BacktimerApp, pilot: Any, clock: FakeClock, seconds: float) -> None:
    """``seconds`` into the session, the pain stop (``x``), and the pain screen let settle."""
    advance(app, clock, seconds)
    await pilot.press("x")
    await pilot.pause()


async def safety_message_closes(app: BacktimerApp, pilot: Any, key: str, under: type) -> None:
    """``x`` with no session behind it shows the safety message (no pain stop: nothing to
    record), and ``key`` closes it, back to the screen ``under`` it."""
    from backtimer.tui.screens.pain import PainScreen

    await pilot.press("x")
    await pilot.pause()
    assert isinstance(app.screen, PainScreen) and app.screen.event is None
    await pilot.press(key)
    await pilot.pause()
    assert isinstance(app.screen, under)


def first_screen_app(first: str, tmp_path: Path, user_routines: Path) -> BacktimerApp:
    """The app as ``backtimer run`` starts it (``first`` "session": the short routine) or as
    the picker does ("picker": the short routine among the user's, checked once, as an
    earlier start would have)."""
    if first == "session":
        return build_app(write_routine(tmp_path, SHORT), clock=FakeClock())
    (user_routines / "short.toml").write_text(SHORT, encoding="utf-8")
    catalog.all_entries()
    return build_app(None)


def screen_text(app: BacktimerApp) -> str:
    """The text of the screen on top, as the terminal would show it."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


async def until(pilot: Any, check: Any, what: str, patience: float = 60.0) -> None:
    """Let the app run until ``check()`` holds: a test waits for what it checks, never for a
    fixed time (a loaded machine may need many frames). ``patience`` (seconds) only bounds
    a test that would otherwise hang."""
    loop = asyncio.get_running_loop()
    end = loop.time() + patience
    while True:
        await pilot.pause(0.02)
        if check():
            return
        if loop.time() >= end:
            raise AssertionError(f"never: {what}")


def advance(app: BacktimerApp, clock: FakeClock, seconds: float, step: float = 0.25) -> None:
    """Move the clock forward in small ticks, as the app's interval would."""
    moved = 0.0
    while moved < seconds - 1e-9:
        delta = min(step, seconds - moved)
        clock.advance(delta)
        moved += delta
        screen = app.session_screen
        if screen is not None and screen.live:
            screen.tick()


def snapshot_entries() -> list[Entry]:
    """A fixed routine list for the picker: two valid routines and one with errors."""
    folder = ROUTINES
    good = load_entry(folder / "morning.toml", "bundled")
    short = load_entry(folder / "short.toml", "user")
    broken = Entry(
        "broken",
        folder / "broken.toml",
        "user",
        None,
        (
            Problem(
                "broken.toml",
                "unknown key 'hodl' (did you mean 'hold'?)",
                7,
                1,
                "exercises[1] (Bird dog).hodl",
            ),
            Problem(
                "broken.toml",
                "expected a whole number from 1 to 100",
                8,
                8,
                "exercises[1] (Bird dog).reps",
            ),
        ),
    )
    return [short, broken, good]


def start_of(app: BacktimerApp, index: int) -> float:
    """Seconds from the session's start to the start of step ``index`` of the plan it runs
    (fitted to its words: a get-ready lasts as long as its introduction needs)."""
    return app.session_screen.session.plan.offset(index)


@contextmanager
def collector_off_as_at_start() -> Iterator[None]:
    """The garbage collector off, as ``cli.main`` has it while the app starts; afterwards
    nothing stays frozen and the collector is as it was before."""
    was_on = gc.isenabled()
    gc.disable()  # as cli.main does while starting
    try:
        yield
    finally:
        gc.unfreeze()
        if was_on:
            gc.enable()
        else:
            gc.disable()
