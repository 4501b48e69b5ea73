"""The picker, help, and the pain keys on screens without a session."""

from __future__ import annotations

from pathlib import Path

import pytest
from snapshot_apps.common import SHORT, SNAPSHOT, build_app, safety_message_closes, screen_text
from textual.widgets import OptionList

from backtimer.core.durations import short
from backtimer.core.engine import State
from backtimer.files import catalog
from backtimer.session.length import session_length_for
from backtimer.tui.screens.help import HelpScreen, describe, key_text, sections
from backtimer.tui.screens.pain import PainScreen
from backtimer.tui.screens.picker import PickerScreen
from backtimer.tui.screens.session import SessionScreen
from backtimer.tui.screens.summary import SummaryScreen
from backtimer.tui.widgets.text import SAFETY_MESSAGE

SIZE = (80, 24)
BROKEN = 'name = "Broken"\n[[exercises]]\nname = "Bridge"\nhodl = "30s"\n'


@pytest.fixture
def folder(user_routines: Path) -> Path:
    (user_routines / "a-short.toml").write_text(SHORT, encoding="utf-8")
    (user_routines / "b-broken.toml").write_text(BROKEN, encoding="utf-8")
    (user_routines / "c-morning.toml").write_text(SNAPSHOT, encoding="utf-8")
    return user_routines


def picker_app(**kwargs):
    kwargs.setdefault("entries", catalog.user)
    return build_app(None, **kwargs)


async def test_the_picker_lists_every_routine_with_its_length_and_errors(folder) -> None:
    app = picker_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        text = screen_text(app)
        assert "Short test" in text
        # Its own times, said so (the preview's headline is the session with its words).
        assert "30 s of exercise · 2 exercises · yours" in text
        assert "b-broken  INVALID" in text
        assert "unknown key" in text  # the error is shown, not hidden
        assert "Morning back care" in text
        # The preview of the highlighted routine: its exercises and total.
        # How long it lasts with its words (estimated for the voice settings, as `list`
        # does), and its own 30 s of exercise.
        short_test = next(e for e in catalog.user() if e.path.name == "a-short.toml")
        assert short_test.routine is not None
        spoken = session_length_for(app.config)(short_test.routine, "low")
        assert spoken > 30
        assert f"About {short(spoken)} with its words (30 s of exercise) · 2" in text
        assert "exercises · 13 steps" in text
        assert "1. Knee to chest" in text
        assert "hold 3s · 2 reps · both sides" in text
        assert "2. Pelvic tilt" in text

        await pilot.press("down")
        text = screen_text(app)
        assert "b-broken cannot be run until these are fixed:" in text
        assert "exercises[1] (Bridge).hodl" in text
        assert "did you mean" in text
        await pilot.press("enter")  # refused: stays on the picker
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)

        await pilot.press("down")
        text = screen_text(app)
        assert "Source: A fixed routine for the snapshot tests" in text
        assert "3. Cat and camel" in text and "at your own pace" in text
        assert "up to" in text  # ranges: the high end's length too


async def test_start_from_the_picker_and_come_back_after_the_summary(folder) -> None:
    app = picker_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        assert app.screen.session.state is State.RUNNING
        assert app.screen.routine.name == "Short test"
        await pilot.press("q", "y")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        assert app.session_screen is None
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_edit_revalidates_and_shows_the_errors(folder) -> None:
    edited: list[Path] = []

    def editor(path: Path) -> None:
        edited.append(path)
        path.write_text(path.read_text() + "\n[[exercises]]\nname = 'X'\nhold = 'soon'\n")

    app = picker_app(edit=editor)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        assert edited == [folder / "a-short.toml"]
        text = screen_text(app)
        assert "a-short  INVALID" in text
        assert "cannot be run until these are fixed" in text
        assert "exercises[3] (X).hold" in text
        picker = app.screen
        assert picker.current.path == folder / "a-short.toml"  # still selected


async def test_editing_a_bundled_routine_edits_a_copy(folder, tmp_path: Path) -> None:
    bundled_file = tmp_path / "bundled" / "classic.toml"
    bundled_file.parent.mkdir()
    bundled_file.write_text(SHORT, encoding="utf-8")

    def entries():
        return [*catalog.user(), catalog.load_entry(bundled_file, "bundled")]

    edited: list[Path] = []
    app = picker_app(entries=entries, edit=lambda path: edited.append(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        option_list = app.screen.query_one("#routines", OptionList)
        option_list.highlighted = len(app.screen.entries) - 1
        await pilot.press("e")
        await pilot.pause()
        assert edited == [folder / "classic.toml"]
        assert (folder / "classic.toml").read_text() == SHORT
        assert bundled_file.read_text() == SHORT


@pytest.mark.parametrize("key", ["x", "escape"])
async def test_pain_keys_on_the_picker_show_the_safety_message(folder, key) -> None:
    app = picker_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, PainScreen)
        assert SAFETY_MESSAGE in screen_text(app)
        await pilot.press(key)  # already showing: x does nothing more; escape closes it
        await pilot.pause()
        if key == "x":
            assert len(app.screen_stack) == 3
            await pilot.press("enter")
            await pilot.pause()
        else:  # as its Close button: no second message, nothing recorded (no session)
            assert len(app.screen_stack) == 2
        assert isinstance(app.screen, PickerScreen)


async def test_help_lists_every_key_and_pain_works_there(folder) -> None:
    app = picker_app()
    async with app.run_test(size=(100, 120)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        count = 0
        for _title, bindings in sections():
            for binding in bindings:
                assert f"{key_text({}, binding)}  " in text, binding
                assert describe(binding) in text, binding
                count += 1
        assert count >= 20
        for needed in ("space", "x", "esc", "N", "+ / =", "-", "enter", "?", "^e"):
            assert needed in text
        # pain stop from help, with no session (escape closes help)
        await safety_message_closes(app, pilot, "enter", HelpScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)


async def test_a_keymap_moves_a_key_and_help_follows(folder) -> None:
    app = picker_app()
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.pause()
        app.set_keymap({"pain": "p"})
        await pilot.press("question_mark")
        await pilot.pause()
        assert "p  " in screen_text(app)
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, PainScreen)


async def test_no_routines_says_where_to_put_them(user_routines) -> None:
    app = picker_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "No routines found" in screen_text(app)
        await pilot.press("enter", "e")  # nothing to start or edit: no error
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
