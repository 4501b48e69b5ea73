"""The session screen's layout: big digits that scale, and no toast over the session."""

from __future__ import annotations

import pytest
from snapshot_apps.common import (
    FakeClock,
    advance,
    build_app,
    screen_text,
    start_of,
)

from backtimer.tui.widgets.bigtext import BigText, draw, fit_scale, rows_at


def test_big_digits_are_drawn_from_the_glyph_table() -> None:
    assert draw("1", 1) == ["▄█ ", " █ ", "▀▀▀"]
    assert rows_at(1) == 3 and rows_at(2) == 5 and rows_at(5) == 13
    assert fit_scale("88", 7, 5) == 1 and fit_scale("88", 70, 5) == 5
    assert fit_scale("x?", 70, 5) == 0  # not in the table: shown as plain text


@pytest.mark.parametrize(
    ("size", "least", "most"),
    [((120, 40), 12, 14), ((80, 24), 5, 6), ((60, 20), 3, 3)],
    ids=["120x40", "80x24", "60x20"],
)
async def test_the_countdown_grows_with_the_terminal(short, size, least, most) -> None:
    clock = FakeClock()
    app = build_app(short, clock=clock)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        advance(app, clock, start_of(app, 1))
        await pilot.pause()
        countdown = app.session_screen.query_one("#countdown", BigText)
        assert least <= countdown.size.height <= most
        assert countdown.size.height >= 6 or size != (120, 40)
        # The whole screen still fits: the keys and the time left are on it.
        text = screen_text(app)
        assert "x/esc Pain stop" in text and " left" in text and "? Help" in text


async def test_plus_and_minus_answer_in_the_screen_not_in_a_toast(short) -> None:
    clock = FakeClock()
    app = build_app(short, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        advance(app, clock, start_of(app, 1))  # in the first hold
        await pilot.press("plus")
        await pilot.press("plus")
        await pilot.pause()
        assert not app._notifications
        text = screen_text(app)
        assert "+5 s: this hold is now" in text
        assert text.count("this hold is now") == 1  # the newer replaces the older
        advance(app, clock, 30.0)  # a later step: the line is gone
        await pilot.pause()
        assert "this hold is now" not in screen_text(app)


async def test_a_warning_during_a_session_is_a_line_of_the_screen(short) -> None:
    app = build_app(short, clock=FakeClock())
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        app.notify("History is off for this run", severity="warning")
        await pilot.pause()
        assert not app._notifications
        assert "History is off for this run" in screen_text(app)
