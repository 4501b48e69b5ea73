"""The picker: live reload of changed routine files, levels in the preview, and its new keys
(n new routine, h history, s settings)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from snapshot_apps.common import SHORT, SNAPSHOT, build_app, screen_text
from textual.widgets import Checkbox, Input

from backtimer.core.routine import LevelChoice
from backtimer.files import catalog
from backtimer.files.catalog import load_entry
from backtimer.history import open_history
from backtimer.history.levels import store_level
from backtimer.tui.screens.history import HistoryScreen
from backtimer.tui.screens.picker import NewRoutineScreen, PickerScreen
from backtimer.tui.screens.settings import SettingsScreen

SIZE = (100, 30)


@pytest.fixture
def folder(user_routines: Path) -> Path:
    (user_routines / "a-short.toml").write_text(SHORT, encoding="utf-8")
    (user_routines / "c-morning.toml").write_text(SNAPSHOT, encoding="utf-8")
    return user_routines


def picker_app(**kwargs):
    kwargs.setdefault("entries", catalog.user)
    return build_app(None, **kwargs)


def picker_of(app) -> PickerScreen:
    screen = app.screen
    assert isinstance(screen, PickerScreen)
    return screen


# ------------------------------------------------------------------------ live reload


async def test_a_changed_file_is_read_again_and_its_errors_shown(folder: Path) -> None:
    app = picker_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        picker = picker_of(app)
        await pilot.press("down")  # select the second routine: the selection must stay
        assert picker.current.path == folder / "c-morning.toml"
        picker.check_files()
        assert picker.reloads == 0  # nothing changed, nothing read

        path = folder / "c-morning.toml"
        path.write_text(SNAPSHOT.replace("Morning back care", "Evening back care"), "utf-8")
        picker.check_files()
        await pilot.pause()
        assert picker.reloads == 1
        text = screen_text(app)
        assert "Evening back care" in text and "Morning back care" not in text
        assert picker.current.path == path
        assert picker.entries[0].routine.name == "Short test"  # only what changed was read

        path.write_text(SNAPSHOT + "\n[[exercises]]\nname = 'X'\nhodl = '10s'\n", "utf-8")
        picker.check_files()
        await pilot.pause()
        text = screen_text(app)
        assert "c-morning  INVALID" in text
        assert "c-morning cannot be run until these are fixed:" in text
        assert "exercises[4] (X).hodl" in text
        assert picker.current.path == path
        assert picker.reloads == 2


async def test_the_interval_notices_a_change_by_itself(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PickerScreen, "WATCH_INTERVAL", 0.05)
    app = picker_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        picker = picker_of(app)
        path = folder / "a-short.toml"
        path.write_text(SHORT.replace("Short test", "Quick test"), encoding="utf-8")
        for _ in range(40):  # up to 2 s; the interval fires every 0.05 s
            await pilot.pause(0.05)
            if picker.reloads:
                break
        assert picker.reloads == 1
        assert "Quick test" in screen_text(app)


async def test_files_added_and_removed_reload_the_list_and_keep_the_selection(folder: Path):
    app = picker_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        picker = picker_of(app)
        await pilot.press("down")
        (folder / "b-new.toml").write_text(SHORT.replace("Short test", "Brand new"), "utf-8")
        (folder / ".c-morning.toml.1234.tmp").write_text("half", "utf-8")  # not a routine
        picker.check_files()
        await pilot.pause()
        assert [e.path.name for e in picker.entries] == ["a-short.toml", "b-new.toml",
                                                         "c-morning.toml"]  # fmt: skip
        assert "Brand new" in screen_text(app)
        assert picker.current.path == folder / "c-morning.toml"
        (folder / "a-short.toml").unlink()
        picker.check_files()
        await pilot.pause()
        assert [e.path.name for e in picker.entries] == ["b-new.toml", "c-morning.toml"]
        assert picker.current.path == folder / "c-morning.toml"
        assert "Short test" not in screen_text(app)


async def test_an_idle_picker_lists_a_folder_again_only_when_its_stamp_moves(
    folder: Path,
) -> None:
    """Each look at the files costs a few stat calls, however many routines are listed: a
    folder's ``.toml`` names are read again only when the folder itself changed."""
    hour_ago = time.time() - 3600
    os.utime(folder, (hour_ago, hour_ago))  # changed long ago: its stamp can be trusted
    app = picker_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        picker = picker_of(app)
        for _ in range(5):
            picker.check_files()
        assert picker.listings_read == 0
        (folder / "b-new.toml").write_text(SHORT.replace("Short test", "Brand new"), "utf-8")
        picker.check_files()
        await pilot.pause()
        assert picker.listings_read == 1
        assert "Brand new" in screen_text(app)


async def test_a_long_list_shows_its_first_routines_first_and_the_rest_just_after(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first frame has as many routines as a screen shows; the others are added after
    it (their lines are worked out one by one); a selection further down lists them all."""
    (folder / "b-new.toml").write_text(SHORT.replace("Short test", "Brand new"), "utf-8")
    monkeypatch.setattr(PickerScreen, "FIRST_FRAME_ENTRIES", 1)
    app = picker_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        picker = picker_of(app)
        routines = app.screen.query_one("#routines")
        assert routines.option_count == 3
        picker.refresh_entries(keep=folder / "a-short.toml")
        assert routines.option_count == 1  # until the next frame
        await pilot.pause()
        assert routines.option_count == 3
        assert [routines.get_option_at_index(i).id for i in range(3)] == ["0", "1", "2"]
        await pilot.press("down", "down")
        assert picker.current.path == folder / "c-morning.toml"
        picker.refresh_entries()  # the selection is the third: all are listed at once
        assert routines.option_count == 3
        assert picker.current.path == folder / "c-morning.toml"
        assert "Brand new" in screen_text(app)


async def test_the_first_routine_in_a_new_folder_appears(user_routines: Path) -> None:
    user_routines.rmdir()  # no folder yet
    app = picker_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        picker = picker_of(app)
        assert "No routines found" in screen_text(app)
        user_routines.mkdir()
        (user_routines / "mine.toml").write_text(SHORT, encoding="utf-8")
        picker.check_files()
        await pilot.pause()
        assert "Short test" in screen_text(app)


async def test_no_checks_while_a_session_runs(folder: Path) -> None:
    app = picker_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        picker = picker_of(app)
        await pilot.press("enter")  # start a session over the picker
        await pilot.pause()
        assert not picker.in_view
        (folder / "a-short.toml").write_text(SHORT.replace("Short", "Other"), encoding="utf-8")
        picker.check_files()
        assert picker.reloads == 0


# ------------------------------------------------------------------------ levels


async def test_the_preview_shows_the_current_levels_from_the_history(
    folder: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    morning = load_entry(folder / "c-morning.toml", "user")
    with open_history(data) as db:
        store_level(db, morning, 0, LevelChoice(hold=25))
    app = picker_app()
    app.data_dir = data
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("down")
        text = screen_text(app)
        assert "hold 25s (10-30s) · 2 reps · both sides" in text
        assert "6s a rep · 8 reps (8-10) · 2 sets" in text
        assert "at your current levels" in text
        assert "hold 3s · 2 reps · both sides" not in text  # the other routine's preview
        await pilot.press("up")
        assert "hold 3s · 2 reps · both sides" in screen_text(app)  # no ranges: as it was


async def test_the_picker_never_creates_the_history(folder: Path, tmp_path: Path) -> None:
    data = tmp_path / "nothing-here"
    app = picker_app()
    app.data_dir = data
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("down")
        assert "hold 10s (10-30s)" in screen_text(app)  # the low end
        picker_of(app).check_files()
    assert not data.exists()


async def test_an_unreadable_history_is_said_and_the_low_end_shown(folder: Path, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "history.sqlite3").write_bytes(b"garbage " * 40)
    app = picker_app()
    app.data_dir = data
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("down")
        text = screen_text(app)
        assert "hold 10s (10-30s)" in text
        assert "the history cannot be read" in text
    assert (data / "history.sqlite3").read_bytes() == b"garbage " * 40


# ------------------------------------------------------------------------ keys


async def test_new_creates_a_routine_from_the_template_and_selects_it(folder: Path) -> None:
    app = picker_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, NewRoutineScreen)
        await pilot.press(*"my-stretches", "enter")
        await pilot.pause()
        picker = picker_of(app)
        created = folder / "my-stretches.toml"
        assert created.is_file()
        assert picker.current.path == created
        assert picker.current.valid
        assert "#" in created.read_text(encoding="utf-8")  # the commented template


async def test_new_refuses_to_overwrite_and_bad_names(folder: Path) -> None:
    original = (folder / "a-short.toml").read_bytes()
    app = picker_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"a-short", "enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, NewRoutineScreen)  # still asking
        text = screen_text(app)
        assert "There is already a routine called a-short" in text
        assert "left as it is" in text
        name = screen.query_one("#new-name", Input)
        name.value = "../escape"
        await pilot.press("enter")
        await pilot.pause()
        assert "is not a usable routine name" in screen_text(app)
        await pilot.press("ctrl+x")  # cancel
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
    assert (folder / "a-short.toml").read_bytes() == original
    assert sorted(p.name for p in folder.iterdir()) == ["a-short.toml", "c-morning.toml"]


async def test_new_can_copy_the_highlighted_routine(folder: Path) -> None:
    app = picker_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("down", "n")
        await pilot.pause()
        screen = app.screen
        assert "Copy Morning back care" in screen_text(app)
        screen.query_one("#new-copy", Checkbox).value = True
        screen.query_one("#new-name", Input).value = "evening"
        await pilot.click("#new-create")
        await pilot.pause()
        picker = picker_of(app)
        assert picker.current.path == folder / "evening.toml"
        assert picker.current.routine.name == "Morning back care (evening)"


async def test_h_opens_the_history_and_s_the_settings(folder: Path, tmp_path: Path) -> None:
    app = picker_app()
    app.data_dir = tmp_path / "data"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        assert "No sessions yet" in screen_text(app)
        app.pop_screen()
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        await pilot.press("ctrl+x")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
    assert not (tmp_path / "data").exists()  # reading the history created nothing


def test_every_picker_binding_has_an_id() -> None:
    for screen in (PickerScreen, NewRoutineScreen):
        assert all(b.id for b in screen.BINDINGS)


async def test_settings_saved_from_the_picker_are_applied(folder: Path, isolated_dirs) -> None:
    app = picker_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        app.screen.query_one("#field-theme").value = "textual-light"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        assert app.theme == "textual-light"  # the app applied what was saved
    assert 'theme = "textual-light"' in (isolated_dirs["config"] / "config.toml").read_text()


async def test_the_new_routine_dialog_opens_the_help_with_f1_and_keeps_a_typed_question_mark(
    folder: Path,
) -> None:
    """The name field takes "?" as text; F1 opens the help from it (its footer says so),
    and "?" does where no text is typed (the copy tick box)."""
    from backtimer.tui.screens.help import HelpScreen

    app = picker_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, NewRoutineScreen)
        assert "F1 Help" in screen_text(app)
        name = screen.query_one("#new-name", Input)
        await pilot.press("a", "question_mark", "b")
        await pilot.pause()
        assert app.screen is screen and name.value == "a?b"
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and name.value == "a?b"
        screen.query_one("#new-copy", Checkbox).focus()
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen is screen


async def test_the_new_routine_dialog_says_all_of_it_at_60_columns(folder: Path) -> None:
    """Template or copy is said in the hint (it was the end of the copy box's label, cut
    off at the dialog's border); the copy box stays inside the dialog."""
    app = picker_app()
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        text = screen_text(app)
        assert "else the commented template)." in " ".join(text.replace("│", " ").split())
        copy = app.screen.query_one("#new-copy", Checkbox)
        dialog = app.screen.query_one("#new-dialog")
        assert copy.region.right <= dialog.content_region.right
