"""The footer's keys never run under its "? Help" key: at 60x20, 80x24 and 120x40 the keys
that fit are shown whole, in order (most needed first), and "? Help" always at the right."""

from __future__ import annotations

from typing import ClassVar

import pytest
from snapshot_apps.common import (
    SHORT,
    advance,
    build_app,
    footer_in_place,
    screen_text,
    started,
    write_routine,
)
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets._footer import FooterKey

from backtimer.files.catalog import load_entry
from backtimer.tui.widgets.keybar import KeyBar, KeyFooter

SIZES = [(60, 20), (80, 24), (120, 40)]

#: A step at your own pace first: the session's footer has "enter Done" too (its longest).
OWN_PACE = (
    'name = "Paced"\n[[exercises]]\nname = "Cat and camel"\nuser_paced = true\nget_ready = 1\n'
)


def check_footer(app: App) -> list[str]:
    """The footer's keys shown, after checking that none overlaps another and "? Help" is
    on the screen, at the right, after the others."""
    footer = app.screen.query_one(KeyFooter)
    keys = list(footer.query(FooterKey))
    helps = [k for k in keys if k.has_class("-help-key")]
    assert len(helps) == 1 and helps[0].display
    help_region = helps[0].region
    assert help_region.width > 0 and help_region.right <= app.size.width
    shown = [k for k in keys if k.display and k not in helps]
    assert shown, "no key shown but help"
    for key in shown:
        assert key.region.width > 0 and key.region.right <= help_region.x, key.key_display
    # Whole keys, in order: the hidden ones are the last ones.
    others = [k for k in keys if k not in helps]
    assert others[: len(shown)] == shown
    last_line = screen_text(app).splitlines()[-1]
    assert "? Help" in last_line[help_region.x :]
    for key in shown:
        assert f"{key.key_display} {key.description}" in last_line
    return [k.key_display for k in shown]


@pytest.mark.parametrize("size", SIZES)
async def test_the_picker_footer_fits(tmp_path, size: tuple[int, int]) -> None:
    entry = write_routine(tmp_path, SHORT)
    app = build_app(None, entries=lambda: [load_entry(entry.path, "user")])
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await footer_in_place(app, pilot)
        shown = check_footer(app)
        assert shown[0] == "enter"  # the most needed first
        if size[0] >= 120:
            assert len(shown) == 7  # every key has room


@pytest.mark.parametrize("size", SIZES)
async def test_the_session_footer_fits(tmp_path, size: tuple[int, int]) -> None:
    async with started(write_routine(tmp_path, SHORT), size=size) as (app, _pilot, _clock):
        shown = check_footer(app)
        assert shown[:2] == ["space", "n"]


@pytest.mark.parametrize("size", SIZES)
async def test_the_footer_of_a_step_at_your_own_pace_fits(tmp_path, size: tuple[int, int]):
    async with started(write_routine(tmp_path, OWN_PACE), size=size) as (app, pilot, clock):
        for _ in range(240):  # past getting ready (as long as its words): waits for enter
            if app.session_screen.session.step.phase != "get_ready":
                break
            advance(app, clock, 0.5)
        await pilot.pause()
        shown = check_footer(app)
        assert "enter" in shown and shown[:2] == ["space", "n"]


async def test_a_resize_shows_and_hides_keys(tmp_path) -> None:
    async with started(write_routine(tmp_path, SHORT), size=(120, 40)) as (app, pilot, _clock):
        wide = check_footer(app)
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        narrow = check_footer(app)
        assert len(narrow) < len(wide) and wide[: len(narrow)] == narrow
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert check_footer(app) == wide


class Many(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(c, f"note('{c}')", f"Key {c} here", show=True) for c in "abcdefghijkl"),
        Binding("question_mark", "app.help", "Help", key_display="?"),
    ]

    def compose(self) -> ComposeResult:
        yield KeyBar()

    def action_note(self, key: str) -> None:
        self.notify(key)


class ManyApp(App[None]):
    ENABLE_COMMAND_PALETTE = False  # as backtimer's app

    def action_help(self) -> None:
        pass

    def on_mount(self) -> None:
        self.push_screen(Many())


@pytest.mark.parametrize("size", SIZES)
async def test_many_keys_leave_out_the_last_ones_whole(size: tuple[int, int]) -> None:
    app = ManyApp()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        shown = check_footer(app)
        assert 2 < len(shown) < 12 and shown == list("abcdefghijkl")[: len(shown)]
