"""What a long hold costs each second, counted (never timed): which widgets ask to be drawn
again, which are drawn, and that nothing asks for a layout. A bare Textual app showing a
number once a second draws about three widgets a second; a hold must stay near that."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from snapshot_apps.common import (
    FakeClock,
    advance,
    build_app,
    screen_text,
    start_of,
    until,
    write_routine,
)
from textual.geometry import Region
from textual.screen import Screen
from textual.widget import Widget

from backtimer.tui.widgets.meter import Meter
from backtimer.tui.widgets.partial import SpanCompositor

LONG_HOLD = 'name = "Long"\n[[exercises]]\nname = "Long hold"\nhold = "30m"\nget_ready = 0\n'
SECONDS = 30


def _name(widget: Widget) -> str:
    return widget.id or type(widget).__name__


class Counts:
    """Every refresh asked for (by widget, and whether it asked for a layout), every widget
    drawn (``render_lines``) and every layout of a screen, while counting is on."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.on = False
        self.refreshed: Counter[str] = Counter()
        self.layouts: list[str] = []
        self.drawn: Counter[str] = Counter()
        self.screen_layouts = 0
        refresh, render_lines = Widget.refresh, Widget.render_lines
        refresh_layout = Screen._refresh_layout
        counts = self

        def counting_refresh(self: Widget, *regions: Region, **kwargs: Any) -> Widget:
            if counts.on:
                counts.refreshed[_name(self)] += 1
                if kwargs.get("layout"):
                    counts.layouts.append(_name(self))
            return refresh(self, *regions, **kwargs)

        def counting_render(self: Widget, crop: Region) -> Any:
            if counts.on:
                counts.drawn[_name(self)] += 1
            return render_lines(self, crop)

        def counting_layout(self: Screen[Any], *args: Any, **kwargs: Any) -> Any:
            if counts.on:
                counts.screen_layouts += 1
            return refresh_layout(self, *args, **kwargs)

        monkeypatch.setattr(Widget, "refresh", counting_refresh)
        monkeypatch.setattr(Widget, "render_lines", counting_render)
        monkeypatch.setattr(Screen, "_refresh_layout", counting_layout)


@pytest.mark.parametrize("size", [(100, 30), (80, 24), (60, 16)])
async def test_a_second_of_a_hold_draws_only_what_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    """Each second of a 30-minute hold: the countdown and the time left ask to be drawn
    again, once each; the step meter only when one of its cells fills; no widget asks for a
    layout and the screen is not laid out again; and only the widgets under what changed
    are drawn (Textual's own partial update draws every widget whose container overlaps the
    rectangle around all changes: on this screen, nearly all of them)."""
    entry = write_routine(tmp_path, LONG_HOLD)
    clock = FakeClock()
    app = build_app(entry, clock=clock)
    counts = Counts(monkeypatch)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.session_screen
        assert isinstance(screen._compositor, SpanCompositor)
        advance(app, clock, start_of(app, 1) + 1.5)  # into the hold
        await pilot.pause()
        step_meter = screen.query_one("#step-meter", Meter)
        cells = [step_meter.painted]
        counts.on = True
        for _ in range(SECONDS):
            advance(app, clock, 1.0, step=1.0)
            await pilot.pause()
            cells.append(step_meter.painted)
        counts.on = False
        filled = sum(1 for a, b in itertools.pairwise(cells) if a != b)
        tiny = screen.has_class("-tiny")

        assert counts.layouts == [] and counts.screen_layouts == 0, (
            counts.layouts,
            counts.refreshed,
        )
        # In a tiny terminal the clock line stands in for the (hidden) big countdown.
        expected = {"clock-text" if tiny else "countdown": SECONDS, "session-meter": SECONDS}
        if filled:
            expected["step-meter"] = filled
        assert dict(counts.refreshed) == expected
        assert filled < SECONDS / 2  # 1800 s over a bar of under 100 cells

        # Drawn: the screen and the widgets under what changed, about four a second.
        under = {"countdown", "clock", "session-meter", "SessionScreen", "step-meter"}
        if tiny:
            under.add("clock-text")
        assert set(counts.drawn) <= under, counts.drawn
        assert sum(counts.drawn.values()) <= 5 * SECONDS + filled
        assert "left" in screen_text(app)


async def test_a_second_of_a_hold_repaints_only_the_rows_of_the_digits_that_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The countdown asks for the cells of the glyphs that changed, in the rows where they
    differ: never its whole area, and on average fewer rows than it has."""
    from backtimer.tui.widgets.bigtext import BigText

    entry = write_routine(tmp_path, LONG_HOLD)
    clock = FakeClock()
    app = build_app(entry, clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        advance(app, clock, start_of(app, 1) + 1.5)  # into the hold
        await pilot.pause()
        big = app.session_screen.query_one("#countdown", BigText)
        regions: list[tuple[Region, ...]] = []
        refresh = big.refresh

        def counting(*asked: Region, **kwargs: Any) -> Any:
            regions.append(asked)
            return refresh(*asked, **kwargs)

        monkeypatch.setattr(big, "refresh", counting)
        for _ in range(SECONDS):
            advance(app, clock, 1.0, step=1.0)
            await pilot.pause()
        assert len(regions) == SECONDS and all(regions), regions  # never the whole widget
        width, height = big.size
        rows = [sum(r.height for r in asked) for asked in regions]
        assert all(r.right <= width and r.bottom <= height for a in regions for r in a)
        assert max(rows) <= height and sum(rows) < SECONDS * height
        columns = [max(r.right for r in a) - min(r.x for r in a) for a in regions]
        assert max(columns) < width / 2  # a digit or two, not the line


async def test_the_countdown_shows_the_time_when_the_terminal_grows_from_tiny(
    tmp_path: Path,
) -> None:
    """Hidden in a tiny terminal, the big countdown keeps the time without asking to be
    drawn; shown again, it shows the time of now."""
    from backtimer.tui.widgets.bigtext import BigText, draw

    entry = write_routine(tmp_path, LONG_HOLD)
    clock = FakeClock()
    app = build_app(entry, clock=clock)
    async with app.run_test(size=(60, 16)) as pilot:
        await pilot.pause()
        advance(app, clock, start_of(app, 1) + 7.5)
        await pilot.pause()
        screen = app.session_screen
        assert screen.has_class("-tiny")
        assert "29:53" in screen_text(app)  # the clock line
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert not screen.has_class("-tiny")
        big = screen.query_one("#countdown", BigText)
        assert big.value == "29:53" and big.scale
        text = screen_text(app)
        assert all(row in text for row in draw("29:53", big.scale))


async def test_the_recording_watch_rides_on_the_session_screens_tick(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The history's recording watch is looked at every second. While a session screen
    ticks, its tick does it and the app's own timer for it waits (one wake a second, not
    two); when the session is over, the app's timer takes over again (the summary says
    when the history has caught up)."""
    from backtimer.history.recorder import RecordingWatch
    from backtimer.tui.screens.session import SessionScreen

    polls: list[str] = []
    poll = RecordingWatch.poll

    def counting(self: RecordingWatch) -> None:
        polls.append("poll")
        poll(self)

    monkeypatch.setattr(RecordingWatch, "poll", counting)
    entry = write_routine(tmp_path, LONG_HOLD)
    clock = FakeClock()
    app = build_app(entry, clock=clock, tick_interval=1.0, record=True, data_dir=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.session_screen
        assert isinstance(screen, SessionScreen) and screen.on_tick is not None
        timer = app._watch_timer
        assert timer is not None and not timer._active.is_set()  # paused
        before = len(polls)
        for _ in range(3):
            screen._wake()  # what the screen's timer calls at each tick
        assert len(polls) == before + 3
        screen.do("skip_exercise")  # the only exercise: the session is over
        await pilot.pause()
        assert app.session_screen is None
        assert timer._active.is_set()  # the app's timer polls again


async def test_the_session_screen_ticks_on_its_own(tmp_path: Path) -> None:
    """The screen's wake-ups (event loop calls, not Textual timers) go on by themselves:
    the clock moved, the countdown follows; each wake calls on_tick; after the session, no
    wake is left waiting."""
    from backtimer.tui.widgets.bigtext import BigText

    entry = write_routine(tmp_path, LONG_HOLD)
    clock = FakeClock()
    app = build_app(entry, clock=clock, tick_interval=0.05)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.session_screen
        ticks: list[float] = []
        screen.on_tick = lambda: ticks.append(clock.now)
        await until(pilot, lambda: len(ticks) >= 3, "the screen woke three times")
        big = screen.query_one("#countdown", BigText)
        shown = big.value  # the get-ready's seconds
        clock.advance(1.0)  # (a long jump would be a machine that slept: a pause)
        await until(pilot, lambda: big.value == str(int(shown) - 1), "the countdown followed")
        screen.do("skip_exercise")  # the only exercise: the session is over
        await pilot.pause()
        assert screen._timer is None and screen.wake_delay is None
