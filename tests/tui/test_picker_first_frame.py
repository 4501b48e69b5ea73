"""The picker's first frame needs only what it shows: routines unchanged since they last
passed are listed from the cache's summaries (none is validated; only the highlighted one is
read whole), the others are checked just after it, and the widgets do not grow with the list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from snapshot_apps.common import SHORT, build_app, screen_text, until

from backtimer.core.routine import Routine
from backtimer.files import cache as cache_module
from backtimer.files import catalog
from backtimer.tui.screens.picker import PickerScreen

SIZE = (100, 30)


def write_routines(folder: Path, count: int) -> None:
    for number in range(count):
        text = SHORT.replace('name = "', f'name = "{number:03d} ', 1)
        (folder / f"r{number:03d}.toml").write_text(text, encoding="utf-8")


class Counts:
    """Routines validated and routines read whole (unpickled) from the cache, from now on,
    and what they were when the first frame was on the screen."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.validated: list[Path] = []
        self.whole: list[str] = []
        self.at_first_frame: dict[str, Any] | None = None
        load_routine, loads = catalog.load_routine, cache_module.pickle.loads

        def validating(path, label=None):
            self.validated.append(Path(path))
            return load_routine(path, label)

        def unpickling(data, *args, **kwargs):
            found = loads(data, *args, **kwargs)
            if isinstance(found, Routine):
                self.whole.append(found.name)
            return found

        monkeypatch.setattr(catalog, "load_routine", validating)
        monkeypatch.setattr(cache_module.pickle, "loads", unpickling)
        after_frame = PickerScreen._after_frame

        def first(picker: PickerScreen) -> None:
            # Called once the first frame is on the screen (and again for each slice).
            if self.at_first_frame is None:
                self.at_first_frame = {
                    "validated": list(self.validated),
                    "whole": list(self.whole),
                    "text": screen_text(picker.app),
                }
            after_frame(picker)

        monkeypatch.setattr(PickerScreen, "_after_frame", first)


def picker_of(app) -> PickerScreen:
    screen = app.screen
    assert isinstance(screen, PickerScreen)
    return screen


async def test_cached_routines_are_listed_without_reading_them(
    user_routines: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_routines(user_routines, 40)
    catalog.all_entries()  # checked once, as an earlier start would have
    counts = Counts(monkeypatch)
    app = build_app(None)  # the picker as `backtimer` opens it
    async with app.run_test(size=SIZE) as pilot:
        picker = picker_of(app)
        await until(pilot, lambda: picker._frame_done, "the work after the first frame")
        first = counts.at_first_frame
        assert first is not None
        assert first["validated"] == []
        assert first["whole"] == ["000 Short test"]  # the highlighted one, for its preview
        assert "000 Short test" in first["text"] and "001 Short test" in first["text"]
        assert "checking" not in first["text"]
        assert "About " in first["text"]  # the preview
        # After it: every routine read from the cache, none validated again.
        assert counts.validated == []
        assert all(entry.routine is not None for entry in picker.entries)
        await pilot.press("down")
        await pilot.pause()
        assert picker.current is not None and picker.current.key == "r001"
        assert screen_text(app).count("001 Short test") == 2  # listed, and its preview


async def test_a_changed_file_is_checked_after_the_first_frame_and_its_errors_shown(
    user_routines: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_routines(user_routines, 5)
    catalog.all_entries()
    changed = user_routines / "r001.toml"
    changed.write_text(SHORT + "\n[[exercises]]\nname = 'X'\nhodl = '10s'\n", "utf-8")
    counts = Counts(monkeypatch)
    app = build_app(None)
    async with app.run_test(size=SIZE) as pilot:
        picker = picker_of(app)
        await until(pilot, lambda: picker._frame_done, "the work after the first frame")
        first = counts.at_first_frame
        assert first is not None
        assert first["validated"] == []
        assert "r001" in first["text"] and "checking…" in first["text"]  # its row, for now
        assert counts.validated == [changed]  # only the changed file, after the first frame
        await pilot.pause()
        text = screen_text(app)
        assert "r001  INVALID" in text and "checking" not in text
        await pilot.press("down")
        text = screen_text(app)
        assert "r001 cannot be run until these are fixed:" in text
        assert "exercises[3] (X).hodl" in text
        await pilot.press("enter")  # a routine with errors cannot be started
        await pilot.pause()
        assert app.screen is picker


async def test_the_first_frames_preview_is_made_once(
    user_routines: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list, highlighting the routine whose preview the picker has just shown, says so
    (OptionHighlighted): that preview is not made and drawn again; moving to another
    routine shows its own."""
    from backtimer.tui.screens import picker as picker_module

    write_routines(user_routines, 3)
    catalog.all_entries()
    made: list[tuple[str, bool]] = []  # the routine, and whether the first frame was drawn
    preview = picker_module.preview
    app = build_app(None)

    def counting(entry: Any, *args: Any, **kwargs: Any) -> Any:
        made.append((entry.key, app.first_frame_drawn))
        return preview(entry, *args, **kwargs)

    monkeypatch.setattr(picker_module, "preview", counting)
    counts = Counts(monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        picker = picker_of(app)
        await until(pilot, lambda: picker._frame_done, "the work after the first frame")
        assert counts.at_first_frame is not None
        assert "About " in counts.at_first_frame["text"]
        assert [key for key, drawn in made if not drawn] == ["r000"], made
        await pilot.press("down")
        await pilot.pause()
        assert made[-1] == ("r001", True)


async def test_the_preview_is_rendered_once_for_a_width_and_drawn_as_textual_draws_it(
    user_routines: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The preview's Group is rendered once for each width its height is found at (the first
    frame: without the scroll bar, then with it), not again to draw it; what is drawn is
    what Textual's own RichVisual draws of the same Group, line by line."""
    from rich.console import Group
    from textual.visual import RenderOptions, RichVisual

    from backtimer.tui.screens.picker import PreviewVisual

    write_routines(user_routines, 3)
    catalog.all_entries()
    rendered: list[tuple[Group, int]] = []  # the Group (kept: its id is not reused), width
    group_render = Group.__rich_console__

    def counting(group: Group, console: Any, options: Any) -> Any:
        rendered.append((group, options.max_width))
        return group_render(group, console, options)

    monkeypatch.setattr(Group, "__rich_console__", counting)
    counts = Counts(monkeypatch)
    app = build_app(None)
    async with app.run_test(size=SIZE) as pilot:
        picker = picker_of(app)
        await until(pilot, lambda: picker._frame_done, "the work after the first frame")
        assert counts.at_first_frame is not None and "About " in counts.at_first_frame["text"]
        renders = [(id(group), width) for group, width in rendered]
        assert renders and len(renders) == len(set(renders)), renders
        body = picker.query_one("#preview-body")
        visual = body.visual
        assert isinstance(visual, PreviewVisual)
        textual_own = RichVisual(body, visual._renderable)
        style = body.visual_style
        for width in (20, 55, 80):
            options = RenderOptions(body._get_style, body.styles)
            ours = visual.render_strips(width, None, style, options)
            theirs = textual_own.render_strips(width, None, style, options)
            assert [list(s) for s in ours] == [list(s) for s in theirs]
            assert visual.get_height(body.styles, width) == len(theirs)


async def count_widgets(user_routines: Path, routines: int) -> int:
    write_routines(user_routines, routines)
    app = build_app(None)
    async with app.run_test(size=SIZE) as pilot:
        picker = picker_of(app)
        await until(pilot, lambda: picker._frame_done, "the work after the first frame")
        assert len(picker.entries) >= routines
        # The list and the preview (the footer's keys come when it has composed them).
        return len(list(picker.query_one("#picker-main").walk_children(with_self=True)))


async def test_the_widgets_do_not_grow_with_the_routines(user_routines: Path) -> None:
    few = await count_widgets(user_routines, 3)
    many = await count_widgets(user_routines, 60)  # the same folder, 57 more routines
    assert many == few


async def test_the_first_frame_is_drawn_before_the_work_after_it(
    user_routines: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app's start-up draws the picker once in a batch that is not written out; the
    routines are read only after a frame was drawn for real (else the terminal shows nothing
    until all of them are read)."""
    from backtimer.tui.app import BacktimerApp

    write_routines(user_routines, 5)
    catalog.all_entries()
    events: list[tuple[str, object]] = []
    display = BacktimerApp._display

    def recording(app, screen, renderable) -> None:
        if renderable is not None and isinstance(screen, PickerScreen):
            events.append(("batched" if app._batch_count else "drawn", None))
        display(app, screen, renderable)

    check = PickerScreen._check

    def checking(picker: PickerScreen, index: int, **options: Any):
        events.append(("read", index))
        return check(picker, index, **options)

    monkeypatch.setattr(BacktimerApp, "_display", recording)
    monkeypatch.setattr(PickerScreen, "_check", checking)
    app = build_app(None)
    async with app.run_test(size=SIZE) as pilot:
        picker = picker_of(app)
        await until(pilot, lambda: picker._frame_done, "the work after the first frame")
    reads = [i for i, (what, index) in enumerate(events) if what == "read" and index != 0]
    assert reads, events  # the routines not highlighted are read after the first frame
    assert ("drawn", None) in events[: reads[0]], events


#: A checking child that says its first file is done (without checking it: it is then
#: checked in the app's process), then hangs.
HANGS_AFTER_ONE = "import sys, time; print(0, flush=True); time.sleep(120)"


async def test_a_hanging_child_does_not_freeze_the_picker(
    user_routines: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After its first frame the picker never waits for the child checking the routines
    (files.precheck): while the child is busy (here: hung, and not yet given up on) the keys
    are handled, and a routine moved to is checked in the app's process at once."""
    from backtimer.files import locate, precheck

    write_routines(user_routines, 3)
    monkeypatch.setattr(precheck, "CHILD_CODE", HANGS_AFTER_ONE)
    monkeypatch.setattr(precheck, "TIMEOUT", 600.0)  # given up on only after the test
    started = precheck.start(locate.picker_files())
    assert started is not None
    try:
        app = build_app(None)
        async with app.run_test(size=SIZE) as pilot:
            picker = picker_of(app)
            await until(pilot, lambda: picker._shown, "the first frame")
            await pilot.press("down")
            await until(pilot, lambda: "001 Short test" in screen_text(app), "the second")
            assert picker.entries[1].routine is not None  # checked here
            assert screen_text(app).count("001 Short test") == 2  # listed, and its preview
            await pilot.press("down")
            await until(pilot, lambda: screen_text(app).count("002 Short test") == 2, "the third")
            assert precheck.current() is started  # still busy: nothing waited for it
    finally:
        precheck.stop()
