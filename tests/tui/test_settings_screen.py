"""The settings screen: saving writes config.toml as load_config reads it, and only then."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from snapshot_apps.common import screen_text
from textual.app import App
from textual.widgets import Checkbox, Input, Select, TextArea

from backtimer.files.config import Config, load_config
from backtimer.tui.screens.confirm import ConfirmScreen
from backtimer.tui.screens.settings import SettingsScreen, known_binding_ids, parse_keymap

THEMES = ["textual-dark", "textual-light", "nord"]
IDS = ["pain", "pain_escape", "pause", "help"]


class Host(App[None]):
    def __init__(self, path: Path, **kwargs: Any) -> None:
        super().__init__()
        self.path = path
        self.kwargs = kwargs
        self.results: list[Any] = []

    def on_mount(self) -> None:
        screen = SettingsScreen(self.path, themes=THEMES, binding_ids=IDS, **self.kwargs)
        self.push_screen(screen, self.results.append)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "config.toml"


def field(app: App, name: str) -> Any:
    return app.screen.query_one(f"#field-{name}")


async def test_save_writes_what_load_config_reads_back(path: Path) -> None:
    app = Host(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        # The defaults are shown.
        assert field(app, "countdown").value == "3"
        assert field(app, "breath").value == "5s"
        assert field(app, "voice").value is True
        await pilot.press("space")  # the focused voice checkbox: off
        field(app, "speech_command").value = "espeak-ng -s 140"
        field(app, "bell").value = False
        countdown: Input = field(app, "countdown")
        countdown.focus()
        countdown.value = ""
        await pilot.press("5")  # typed
        field(app, "breath").value = "6s"
        field(app, "get_ready").value = "15"
        field(app, "rest").value = "1m"
        field(app, "theme").value = "nord"
        field(app, "progression_sessions").value = "4"
        field(app, "keymap").text = "pain = p\n# a comment\nhelp = 'h'\n"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, SettingsScreen)
    expected = Config(
        voice=False,
        speech_command="espeak-ng -s 140",
        bell=False,
        countdown=5,
        breath=6,
        get_ready=15,
        rest=60,
        theme="nord",
        progression_sessions=4,
        keymap={"pain": "p", "help": "h"},
    )
    assert load_config(path) == (expected, [])
    assert app.results == [expected]
    text = path.read_text(encoding="utf-8")
    assert 'breath = "6s"' in text and 'rest = "1m"' in text
    assert not path.with_name("config.toml.bak").exists()  # nothing to keep


async def test_cancel_writes_nothing(path: Path) -> None:
    app = Host(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        field(app, "countdown").value = "7"
        await pilot.press("ctrl+x")
        await pilot.pause()
        # A change was made: cancel asks before throwing it away ("keep editing" stays).
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        assert field(app, "countdown").value == "7"
        await pilot.press("ctrl+x")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert not isinstance(app.screen, SettingsScreen)
    assert app.results == [None]
    assert not path.exists()
    assert not path.parent.exists()


async def test_the_cancel_button_keeps_an_existing_file_byte_for_byte(path: Path) -> None:
    path.parent.mkdir(parents=True)
    original = "# mine\ncountdown = 4\n"
    path.write_text(original, encoding="utf-8")
    app = Host(path)
    async with app.run_test(size=(80, 40)) as pilot:
        await pilot.pause()
        assert field(app, "countdown").value == "4"  # read from the file
        field(app, "countdown").value = "9"
        await pilot.click("#settings-cancel")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)  # a change: asked before it is lost
        await pilot.press("y")
        await pilot.pause()
    assert app.results == [None]
    assert path.read_text(encoding="utf-8") == original


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("11", "expected a whole number from 0 to 10, got 11"),
        ("-1", "expected a whole number from 0 to 10, got -1"),
        ("soon", "expected a whole number"),
        ("2.5", "expected a whole number"),
        ("", "expected a whole number"),
    ],
)
async def test_an_invalid_countdown_is_refused(path: Path, value: str, message: str) -> None:
    app = Host(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        field(app, "countdown").value = value
        await pilot.press("ctrl+s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SettingsScreen)  # still here
        error = screen.query_one("#error-countdown")
        assert error.has_class("-shown")
        assert str(error.render()) == message
        assert screen.problems == {"countdown": message}
        assert app.focused is field(app, "countdown")  # where to correct it
        assert "Not saved" in screen_text(app)
    assert app.results == []
    assert not path.exists()


async def test_every_mistake_is_shown_next_to_its_field(path: Path) -> None:
    app = Host(path)
    async with app.run_test(size=(80, 50)) as pilot:
        await pilot.pause()
        field(app, "breath").value = "fast"
        field(app, "speech_command").value = "say 'unclosed"
        field(app, "progression_sessions").value = "0"
        field(app, "keymap").text = "pian = p\n"
        await pilot.press("ctrl+s")
        await pilot.pause()
        problems = app.screen.problems
        assert set(problems) == {"breath", "speech_command", "progression_sessions", "keymap"}
        assert "quote is not closed" in problems["speech_command"]
        assert problems["progression_sessions"] == "expected a whole number from 1 to 100, got 0"
        assert problems["keymap"] == "pian: no such binding (did you mean 'pain'?)"
        # Corrected: saved.
        field(app, "breath").value = "4s"
        field(app, "speech_command").value = ""
        field(app, "progression_sessions").value = "2"
        field(app, "keymap").text = "pain = p\n"
        await pilot.press("ctrl+s")
        await pilot.pause()
    config, warnings = load_config(path)
    assert warnings == []
    assert (config.breath, config.speech_command, config.progression_sessions) == (4, None, 2)
    assert dict(config.keymap) == {"pain": "p"}


async def test_a_file_with_comments_is_kept_as_a_backup_and_the_user_is_told(path: Path):
    path.parent.mkdir(parents=True)
    original = "# my settings\nvoice = false\ncountdwn = 5\n"
    path.write_text(original, encoding="utf-8")
    app = Host(path)
    async with app.run_test(size=(80, 40)) as pilot:
        await pilot.pause()
        # As one line, whatever the wrapping (the file's path, before it, is as long as the
        # machine's temporary folder makes it).
        text = " ".join(screen_text(app).split())
        assert "The settings file has mistakes" in text
        assert "did you mean 'countdown'" in text
        assert field(app, "voice").value is False
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.results and app.results[0].voice is False
    backup = path.with_name("config.toml.bak")
    assert backup.read_text(encoding="utf-8") == original
    assert load_config(path) == (Config(voice=False), [])


async def test_the_message_names_the_file_and_the_backup(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text("# comment\nbell = true\n", encoding="utf-8")
    screen = SettingsScreen(path, themes=THEMES, binding_ids=IDS)

    class One(App[None]):
        def on_mount(self) -> None:
            self.push_screen(screen)

    app = One()
    async with app.run_test(size=(80, 40)) as pilot:
        await pilot.pause()
        await pilot.click("#settings-save")
        await pilot.pause()
    assert screen.message is not None
    assert "Settings saved in" in screen.message and "config.toml" in screen.message
    assert "config.toml.bak" in screen.message


async def test_an_unknown_theme_in_the_file_stays_selectable(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text('theme = "my-own"\n', encoding="utf-8")
    app = Host(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        select: Select = field(app, "theme")
        assert select.value == "my-own"
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert load_config(path)[0].theme == "my-own"


def test_parse_keymap() -> None:
    assert parse_keymap("pain = p\n\n# c\nhelp='?'\n") == ({"pain": "p", "help": "?"}, [])
    keymap, problems = parse_keymap("pain p\npain = x\npain = y\nhelp =\n")
    assert keymap == {"pain": "x"}
    assert problems == [
        "line 1: expected binding_id = key, such as pain = p",
        "line 3: pain is given twice",
        "line 4: expected binding_id = key, such as pain = p",
    ]


def test_known_binding_ids_cover_every_screen() -> None:
    ids = known_binding_ids()
    assert {"pain", "pain_escape", "pause", "start", "settings_save", "levels_start"} <= ids


async def test_checkbox_and_textarea_widgets_are_the_fields() -> None:
    # A guard for the ids the tests above rely on.
    app = Host(Path("/nonexistent/config.toml"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(field(app, "voice"), Checkbox)
        assert isinstance(field(app, "keymap"), TextArea)
        assert isinstance(field(app, "theme"), Select)


async def test_the_speech_settings_are_on_the_screen_and_saved(path: Path) -> None:
    app = Host(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert field(app, "speech_rate").value == "175"
        assert field(app, "speech_voice").value == ""
        assert field(app, "voice_detail").value == "full"
        field(app, "speech_rate").value = "140"
        field(app, "speech_voice").value = "en-us"
        field(app, "voice_detail").value = "brief"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, SettingsScreen)
    expected = Config(speech_rate=140, speech_voice="en-us", voice_detail="brief")
    assert load_config(path) == (expected, [])
    assert app.results == [expected]


async def test_a_speech_rate_out_of_range_is_refused_where_it_is(path: Path) -> None:
    app = Host(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        field(app, "speech_rate").value = "1000"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)  # not saved
        error = str(app.screen.query_one("#error-speech_rate").render())
        assert "80" in error and "450" in error
    assert not path.exists()
