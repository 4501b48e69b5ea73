"""The app's first screen shows its keys at its first frame as one line (widgets.keybar.KeyLine)
and gets the footer (a widget for each key) right after: the line looks exactly as the
footer does (every cell: its character, background, and a character's colour and weight),
at every size; the footer takes its place; a screen shown later has the footer at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from snapshot_apps.common import (
    SHORT,
    FakeClock,
    build_app,
    first_screen_app,
    footer_in_place,
    write_routine,
)
from textual.widgets._footer import FooterKey

from backtimer.tui.app import BacktimerApp
from backtimer.tui.widgets.keybar import KeyFooter, KeyLine

SIZES = [(100, 30), (120, 40), (80, 24), (60, 20), (40, 12)]


def bottom_line(app: BacktimerApp) -> list[tuple[Any, ...]]:
    """The screen's last line, cell by cell: the character, its background and (not for a
    blank, whose colour shows nothing) its colour, bold and dim."""
    strip = app.screen._compositor.render_strips()[-1]
    cells: list[tuple[Any, ...]] = []
    for segment in strip:
        style = segment.style
        assert style is not None
        for char in segment.text:
            ink = None if char == " " else (style.color, style.bold, style.dim)
            cells.append((char, style.bgcolor, ink))
    return cells


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("first", ["session", "picker"])
async def test_the_first_frames_key_line_looks_as_the_footer_that_replaces_it(
    first: str,
    size: tuple[int, int],
    tmp_path: Path,
    user_routines: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at_frame: dict[str, Any] = {}
    first_frame = BacktimerApp._first_frame

    def seeing(app: BacktimerApp) -> None:
        if not at_frame:
            at_frame["line"] = bottom_line(app)
            at_frame["lines"] = list(app.screen.query(KeyLine))
            at_frame["footers"] = list(app.screen.query(KeyFooter))
        first_frame(app)

    monkeypatch.setattr(BacktimerApp, "_first_frame", seeing)
    app = first_screen_app(first, tmp_path, user_routines)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await footer_in_place(app, pilot)
        assert len(at_frame["lines"]) == 1 and not at_frame["footers"]
        # The footer in its place, the line gone.
        assert not list(app.screen.query(KeyLine))
        footer = app.screen.query_one(KeyFooter)
        assert list(footer.query(FooterKey))
        text = "".join(cell[0] for cell in at_frame["line"])
        assert "Pain stop" in text and "? Help" in text
        assert at_frame["line"] == bottom_line(app)


async def test_a_screen_shown_later_has_the_footer_at_once(tmp_path: Path) -> None:
    app = build_app(write_routine(tmp_path, SHORT), clock=FakeClock())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await footer_in_place(app, pilot)
        await pilot.press("question_mark")  # the help screen, after the first frame
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        assert not list(app.screen.query(KeyLine))
        assert list(app.screen.query_one(KeyFooter).query(FooterKey))


async def test_a_click_on_a_key_of_the_line_presses_it(tmp_path: Path) -> None:
    app = build_app(write_routine(tmp_path, SHORT), clock=FakeClock())
    pressed: list[str] = []
    async with app.run_test(size=(100, 30)) as pilot:
        line = KeyLine()
        await app.screen.mount(line)  # one drawn on the screen as at the first frame
        await pilot.pause()
        app.simulate_key = pressed.append  # type: ignore[method-assign]
        start, _end, key, _enabled = next(span for span in line.spans if span[2] == "n")
        # The click lands on the line itself, not on a footer under or over it.
        assert app.get_widget_at(line.region.x + start, line.region.y)[0] is line
        await pilot.click(line, offset=(start, 0))
        assert pressed == ["n"] == [key]


async def test_a_click_on_a_disabled_key_of_the_line_only_rings_the_bell(tmp_path: Path) -> None:
    """As on the footer (FooterKey.on_mouse_down): a disabled key is not pressed, the bell
    says so; a click between keys does nothing at all."""
    app = build_app(write_routine(tmp_path, SHORT), clock=FakeClock())
    pressed: list[str] = []
    bells: list[None] = []
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        check_action = screen.check_action

        def skip_disabled(action: str, parameters: tuple[object, ...]) -> bool | None:
            return None if action == "skip_step" else check_action(action, parameters)

        screen.check_action = skip_disabled  # type: ignore[method-assign]
        line = KeyLine()
        await screen.mount(line)
        screen.refresh_bindings()
        await pilot.pause()
        app.simulate_key = pressed.append  # type: ignore[method-assign]
        app.bell = lambda: bells.append(None)  # type: ignore[method-assign]
        start, end, _key, enabled = next(span for span in line.spans if span[2] == "n")
        assert not enabled
        assert any(span[3] for span in line.spans)  # the others are not
        assert app.get_widget_at(line.region.x + start, line.region.y)[0] is line
        await pilot.click(line, offset=(start, 0))
        await pilot.click(line, offset=(end - 1, 0))
        assert pressed == [] and len(bells) == 2
        await pilot.click(line, offset=(end, 0))  # the margin after it
        assert pressed == [] and len(bells) == 2


async def test_hovering_the_line_does_not_light_it(tmp_path: Path) -> None:
    """Textual lights a footer key under the mouse (FooterKey:hover); the line is all the
    keys at once: it keeps the footer's colours."""
    app = build_app(write_routine(tmp_path, SHORT), clock=FakeClock())
    async with app.run_test(size=(100, 30)) as pilot:
        line = KeyLine()
        await app.screen.mount(line)
        await pilot.pause()
        before = bottom_line(app)
        colours = (line.styles.color, line.styles.background)
        await pilot.hover(line, offset=(50, 0))
        await pilot.pause()
        assert line.mouse_hover
        assert (line.styles.color, line.styles.background) == colours
        assert bottom_line(app) == before
