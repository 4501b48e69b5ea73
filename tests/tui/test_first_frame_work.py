"""The work before the first frame of a session and of the picker, counted (never timed):
each widget is styled once, the screen is drawn once and written whole (not first in the
app's start-up batch, which is never written), and the collector comes back right after it.
"""

from __future__ import annotations

import gc
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from snapshot_apps.common import (
    SHORT,
    FakeClock,
    build_app,
    collector_off_as_at_start,
    first_screen_app,
    footer_in_place,
    screen_text,
    until,
    write_routine,
)
from textual.css.stylesheet import Stylesheet
from textual.screen import Screen
from textual.widgets._footer import FooterKey

from backtimer.files import catalog
from backtimer.tui.app import BacktimerApp
from backtimer.tui.screens import preset_breakpoints
from backtimer.tui.screens.picker import PickerScreen
from backtimer.tui.screens.session import SessionScreen
from backtimer.tui.widgets.keybar import KeyFooter


class FirstFrame:
    """What was done by the time the app's first screen says its first frame is drawn."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.styled: Counter[Any] = Counter()  # node -> how many times its styles were set
        self.draws: list[tuple[str, bool]] = []  # (screen, in the start-up batch)
        self.at_frame: dict[str, Any] | None = None
        apply = Stylesheet.apply

        def counting(stylesheet: Stylesheet, node: Any, **kwargs: Any) -> None:
            self.styled[node] += 1
            apply(stylesheet, node, **kwargs)

        refresh = Screen._compositor_refresh

        def drawing(screen: Screen) -> None:
            self.draws.append((type(screen).__name__, bool(screen.app._batch_count)))
            refresh(screen)

        first_frame = BacktimerApp._first_frame

        def at_first_frame(app: BacktimerApp) -> None:
            if self.at_frame is None:
                self.at_frame = {
                    "screen": app.screen,
                    "widgets": list(app.screen.walk_children(with_self=False)),
                    "styled": Counter(self.styled),
                    "draws": list(self.draws),
                    "text": screen_text(app),
                }
            first_frame(app)

        monkeypatch.setattr(Stylesheet, "apply", counting)
        monkeypatch.setattr(Screen, "_compositor_refresh", drawing)
        monkeypatch.setattr(BacktimerApp, "_first_frame", at_first_frame)

    def styled_widgets(self) -> dict[str, int]:
        """How many times each widget of the first screen (by its type and id) was styled
        by the first frame; the screen itself is left out."""
        assert self.at_frame is not None
        styled = self.at_frame["styled"]
        return {
            f"{type(node).__name__}#{node.id}": styled[node] for node in self.at_frame["widgets"]
        }


async def test_a_session_screen_is_styled_once_and_drawn_once_before_its_first_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = write_routine(tmp_path, SHORT)
    seen = FirstFrame(monkeypatch)
    app = build_app(entry, clock=FakeClock())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        first = seen.at_frame
        assert first is not None and isinstance(first["screen"], SessionScreen)
        screen = first["screen"]
        assert "GET READY" in first["text"]
        styled = seen.styled_widgets()
        assert "Static#instructions" in styled and "Meter#session-meter" in styled
        # Not again for the breakpoints (set before), the first showing (just styled), the
        # first step's colours (given in compose) or the footer keys' classes.
        assert set(styled.values()) == {1}, styled
        assert first["styled"][screen] <= 2  # when registered, and as it is first shown
        # Drawn once, after the start-up batch (a drawing in the batch is never written).
        session_draws = [draw for draw in first["draws"] if draw[0] == "SessionScreen"]
        assert session_draws == [("SessionScreen", False)]
        assert screen.has_class("-tall") and not screen.has_class("-short")
        # The footer's keys (composed just after) are styled once each too.
        keys = list(screen.query(FooterKey))
        assert keys and all(key.has_class("-compact") for key in keys)
        assert all(seen.styled[key] == 1 for key in keys)


async def test_the_picker_is_styled_once_and_drawn_once_before_its_first_frame(
    user_routines: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (user_routines / "short.toml").write_text(SHORT, encoding="utf-8")
    catalog.all_entries()  # checked once, as an earlier start would have
    seen = FirstFrame(monkeypatch)
    app = build_app(None)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        first = seen.at_frame
        assert first is not None and isinstance(first["screen"], PickerScreen)
        assert "choose a routine" in first["text"] and "Short test" in first["text"]
        styled = seen.styled_widgets()
        # Once each; the list again as it takes the focus (its :focus rules).
        assert styled.pop("RoutineList#routines") == 2
        assert styled and set(styled.values()) == {1}, styled
        picker_draws = [draw for draw in first["draws"] if draw[0] == "PickerScreen"]
        assert picker_draws == [("PickerScreen", False)]


@pytest.mark.parametrize("first", ["session", "picker"])
async def test_the_screen_under_the_first_is_styled_once_before_the_first_frame(
    first: str, tmp_path: Path, user_routines: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Textual's default screen (blank, under the first screen shown) and what it holds
    (its toasts and tooltip) are styled as they are made, not
    again at its first showing nor for its breakpoint (given before its styles)."""
    seen = FirstFrame(monkeypatch)
    app = first_screen_app(first, tmp_path, user_routines)
    async with app.run_test(size=(100, 30), tooltips=True, notifications=True) as pilot:
        await pilot.pause()
        assert seen.at_frame is not None
        base = app.screen_stack[0]
        assert base is not seen.at_frame["screen"] and base.id == "_default"
        assert base.has_class("-tall")
        styled = seen.at_frame["styled"]
        # Made on it, where they are.
        held = [node for node in styled if type(node).__name__ in ("ToastRack", "Tooltip")]
        assert held  # made (tooltips and notifications on, as in the app)
        assert all(styled[node] == 1 for node in held), {n: styled[n] for n in held}
        # When made, at its first showing (only itself, as the app's own screens) and by
        # Textual as the app's start shows another screen over it: not for its breakpoint.
        assert 1 <= styled[base] <= 3


@pytest.mark.parametrize(("height", "expected"), [(30, "-tall"), (20, "-short"), (15, "-tiny")])
async def test_the_breakpoint_set_before_the_widgets_is_textuals(
    tmp_path: Path, height: int, expected: str
) -> None:
    """The class set in compose is the one Textual works out at the first resize (which
    would restyle the screen if they differed), and a later resize still moves it."""
    entry = write_routine(tmp_path, SHORT)
    app = build_app(entry, clock=FakeClock())
    async with app.run_test(size=(100, height)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        names = {name for _, name in BacktimerApp.VERTICAL_BREAKPOINTS}
        assert {name for name in names if screen.has_class(name)} == {expected}
        screen.remove_class(*names, update=False)
        preset_breakpoints(screen)
        assert {name for name in names if screen.has_class(name)} == {expected}
        await pilot.resize_terminal(100, 40 if height < 22 else 19)
        moved = "-tall" if height < 22 else "-short"
        # The resize reaches the screen a few messages later (more on a loaded machine).
        await until(
            pilot,
            lambda: {name for name in names if screen.has_class(name)} == {moved},
            f"the breakpoint moved to {moved}",
        )


async def test_the_first_steps_colours_are_there_at_the_start(tmp_path: Path) -> None:
    """The classes given in compose are the first step's (getting ready, running)."""
    entry = write_routine(tmp_path, SHORT)
    app = build_app(entry, clock=FakeClock())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        band = screen.query_one("#phase-band")
        assert band.has_class("phase-get_ready") and not band.has_class("-paused")
        assert screen.query_one("#details").has_class("-getting-ready")


async def test_the_collector_comes_back_at_the_first_frame_before_the_pickers_work(
    user_routines: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What waits for the first frame (the collector) comes right after it, not after the
    work the picker's own first callbacks start (reading the routines not read yet)."""
    (user_routines / "short.toml").write_text(SHORT, encoding="utf-8")
    catalog.all_entries()
    states: list[bool] = []
    after_frame = PickerScreen._after_frame

    def recording(picker: PickerScreen) -> None:
        states.append(gc.isenabled())
        after_frame(picker)

    monkeypatch.setattr(PickerScreen, "_after_frame", recording)
    with collector_off_as_at_start():
        app = build_app(None)
        async with app.run_test(size=(100, 30)) as pilot:
            picker = app.screen
            assert isinstance(picker, PickerScreen)
            for _ in range(20):
                await pilot.pause()
                if picker._frame_done:
                    break
            assert picker._frame_done
            assert gc.isenabled()
            assert states and states[-1] is True  # the last of its work ran with it on
            assert all(states[1:]), states  # the work after the frame (the first: before)


@pytest.mark.parametrize("first", ["session", "picker"])
async def test_the_footers_keys_are_in_the_first_frame_and_made_once(
    first: str, tmp_path: Path, user_routines: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The footer's keys are composed with the screen (Textual's footer waits for the
    screen's word that its bindings changed, then for the next refresh: the keys came a
    frame after the first); a change of bindings that shows the same keys (the picker's
    list taking the focus, its own binding for enter) makes none again, and the keys do
    what the bindings active now do."""
    composed: list[KeyFooter] = []
    compose = KeyFooter.compose

    def counting(footer: KeyFooter) -> Any:
        composed.append(footer)
        return compose(footer)

    monkeypatch.setattr(KeyFooter, "compose", counting)
    seen = FirstFrame(monkeypatch)
    app = first_screen_app(first, tmp_path, user_routines)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(5):
            await pilot.pause()
        await footer_in_place(app, pilot)
        assert seen.at_frame is not None
        footer_line = seen.at_frame["text"].splitlines()[-1]
        assert "Pain stop" in footer_line and "? Help" in footer_line
        assert footer_line == screen_text(app).splitlines()[-1]  # as it stays
        assert len(composed) == 1
        footer = app.screen.query_one(KeyFooter)
        active = {
            binding.action: (binding.key, tooltip)
            for _, binding, _, tooltip in app.screen.active_bindings.values()
            if binding.show
        }
        keys = list(footer.query(FooterKey))
        assert keys
        for key in keys:
            assert active[key.action] == (key.key, key.tooltip)
        if first == "picker":
            enter = next(key for key in keys if key.key == "enter")
            assert enter.action == "select"  # the focused list's, not the screen's "start"


async def test_the_sessions_history_row_is_written_after_the_first_frame_not_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run`'s session row (a write synced to the disk) waits for the first frame: the
    recorder is made held and released by the app right at the frame; a session started
    later (from the picker) is not held."""
    entry = write_routine(tmp_path, SHORT)
    data = tmp_path / "data"
    at_frame: list[bool] = []
    first_frame = BacktimerApp._first_frame

    def seeing(app: BacktimerApp) -> None:
        if not app.first_frame_drawn:
            at_frame.extend(launch.recorder.held for launch in app.launches)
        first_frame(app)

    monkeypatch.setattr(BacktimerApp, "_first_frame", seeing)
    app = build_app(entry, clock=FakeClock(), record=True, data_dir=data)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert at_frame == [True]  # held until the first frame
        recorder = app.launches[0].recorder
        assert not recorder.held
        assert recorder.flush(10)
        assert recorder.session_id is not None  # written
        app.start_session(entry)  # another, once the frame is drawn: not held
        await pilot.pause()
        assert not app.launches[-1].recorder.held
