"""Settings: defaults, located messages for mistakes, atomic saves with backups."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from backtimer.files import atomic
from backtimer.files.config import (
    Config,
    config_path,
    config_toml,
    load_config,
    save_config,
    unknown_bindings,
    with_config_defaults,
)
from backtimer.files.routine_load import validate_text


def write(text: str | bytes) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_config_path_follows_the_environment(isolated_dirs: dict[str, Path]) -> None:
    assert config_path() == isolated_dirs["config"] / "config.toml"


def test_missing_file_gives_the_defaults_and_creates_nothing() -> None:
    config, warnings = load_config()
    assert warnings == []
    assert config == Config()
    assert (config.voice, config.bell, config.countdown) == (True, True, 3)
    assert (config.breath, config.get_ready, config.rest) == (5.0, 10.0, 5.0)
    assert config.speech_command is None and config.keymap == {}
    assert config.theme == "textual-dark" and config.progression_sessions == 3
    assert not config_path().exists()
    assert not config_path().parent.exists()


def test_a_valid_file_is_read() -> None:
    write(
        """
        voice = false
        speech_command = "espeak-ng -s 140"
        bell = false
        countdown = 0
        breath = "6s"
        get_ready = "1m"
        rest = 0
        theme = "textual-light"
        progression_sessions = 5
        [keymap]
        pain_stop = "p"
        pause = "ctrl+p"
        """.replace("\n        ", "\n")
    )
    config, warnings = load_config()
    assert warnings == []
    assert config == Config(
        voice=False,
        speech_command="espeak-ng -s 140",
        bell=False,
        countdown=0,
        breath=6.0,
        get_ready=60.0,
        rest=0.0,
        theme="textual-light",
        progression_sessions=5,
        keymap={"pain_stop": "p", "pause": "ctrl+p"},
    )


def test_empty_file_is_the_defaults_without_complaint() -> None:
    write("\n# nothing set yet\n")
    assert load_config() == (Config(), [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "countdwn = 4\n",
            "config.toml:1: countdwn: unknown setting 'countdwn' "
            "(did you mean 'countdown'?) (ignored)",
        ),
        ("zzz = 4\n", "config.toml:1: zzz: unknown setting 'zzz'; known settings: voice,"),
        ('voice = "yes"\n', "config.toml:1: voice: expected true or false (using the default)"),
        (
            "countdown = 11\n",
            "config.toml:1: countdown: expected a whole number from 0 to 10, "
            "got 11 (using the default)",
        ),
        ("countdown = 2.5\n", "config.toml:1: countdown: expected a whole number"),
        ("countdown = true\n", "config.toml:1: countdown: expected a whole number"),
        (
            "progression_sessions = 0\n",
            "config.toml:1: progression_sessions: expected a whole number from 1 to 100, got 0",
        ),
        ('breath = "0s"\n', "config.toml:1: breath: must be more than 0 seconds"),
        ('rest = "soon"\n', "config.toml:1: rest: 'soon' is not a duration"),
        ('speech_command = ""\n', "config.toml:1: speech_command: must name a command"),
        ("speech_command = 'say \"hi'\n", "config.toml:1: speech_command: cannot be split"),
        ('theme = ""\n', "config.toml:1: theme: must not be empty"),
        ("keymap = 3\n", "config.toml:1: keymap: expected a table"),
        ('\n[keymap]\nPain = "p"\n', "config.toml:3: keymap.Pain: 'Pain' is not a binding id"),
        ("[keymap]\npain_stop = 1\n", "config.toml:2: keymap.pain_stop: expected text"),
        # Only commas and spaces: no key at all (escape had been left unbound, no message).
        ('[keymap]\npain_escape = " , "\n', "config.toml:2: keymap.pain_escape: must name a key"),
        ('[keymap]\npain = ","\n', "config.toml:2: keymap.pain: must name a key"),
        (
            '[keymap]\npain_stop = "\\u001b"\n',
            "config.toml:2: keymap.pain_stop: control character U+001B",
        ),
        ("voice = \n", "config.toml:1:9: TOML syntax: invalid value"),
        ("[voice\n", "config.toml:1"),
    ],
)
def test_mistakes_are_located_and_the_file_is_left_alone(text: str, expected: str) -> None:
    path = write(text)
    config, warnings = load_config()
    assert config == Config()  # the one setting given was wrong: all defaults
    assert len(warnings) == 1, warnings
    shown = warnings[0].replace(str(path), "config.toml")
    assert shown.startswith(expected), shown
    assert path.read_text(encoding="utf-8") == text


def test_good_settings_survive_a_mistake_elsewhere() -> None:
    write(
        'voice = false\ncountdwn = 4\ncountdown = 99\nbreath = "7s"\n'
        '[keymap]\npain_stop = "p"\nBad = "q"\n'
    )
    config, warnings = load_config()
    # Someone who turned speech off does not get it back because of a typo.
    assert config.voice is False and config.breath == 7.0
    assert config.countdown == 3  # the bad value: its default
    assert config.keymap == {"pain_stop": "p"}  # only the bad binding is dropped
    assert [w.split(":")[1] for w in warnings] == ["2", "3", "7"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"voice = \x00\n", "is a binary file, not a settings file"),
        (b'theme = "\xff"\n', "is not valid UTF-8 text"),
    ],
)
def test_unreadable_content_gives_defaults_and_a_message(data: bytes, expected: str) -> None:
    write(data)
    config, warnings = load_config()
    assert config == Config()
    assert len(warnings) == 1 and expected in warnings[0]


def test_a_folder_in_place_of_the_file() -> None:
    config_path().mkdir(parents=True)
    config, warnings = load_config()
    assert config == Config() and "is a folder" in warnings[0]


def test_save_and_load_round_trip() -> None:
    config = Config(
        voice=False,
        speech_command="say -r 150",
        countdown=5,
        breath=4.5,
        get_ready=90,
        keymap={"pain_stop": "p"},
        theme="nord",
        progression_sessions=4,
    )
    assert save_config(config) is None  # a new file: no backup
    text = config_path().read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert data["breath"] == "4.5s" and data["get_ready"] == "1m30s"
    assert data["keymap"] == {"pain_stop": "p"}
    assert load_config() == (config, [])


def test_defaults_round_trip_without_speech_command_or_keymap() -> None:
    save_config(Config())
    text = config_path().read_text(encoding="utf-8")
    assert "speech_command" not in text and "keymap" not in text
    assert load_config() == (Config(), [])


def test_saving_over_our_own_file_keeps_a_backup_too() -> None:
    # Issue 13: every write to a user's file keeps a backup.
    save_config(Config(countdown=4))
    before = config_path().read_text(encoding="utf-8")
    assert save_config(Config(countdown=5)) is not None
    assert Path(str(config_path()) + ".bak").read_text(encoding="utf-8") == before
    assert load_config()[0].countdown == 5


def test_saving_over_a_commented_file_keeps_a_backup() -> None:
    original = "# my settings\nvoice = false  # I use a screen reader\n"
    write(original)
    config, _ = load_config()
    message = save_config(dataclasses.replace(config, countdown=5))
    bak = Path(str(config_path()) + ".bak")
    assert message is not None and "config.toml.bak" in message
    assert bak.read_text(encoding="utf-8") == original
    assert load_config()[0] == Config(voice=False, countdown=5)


def test_saving_over_a_file_with_mistakes_keeps_a_backup() -> None:
    original = "voice = false\ncountdwn = 4\n"  # no comments, but a mistake would be lost
    write(original)
    config, warnings = load_config()
    assert warnings
    assert save_config(config) is not None
    assert Path(str(config_path()) + ".bak").read_text(encoding="utf-8") == original


def test_save_creates_the_config_folder(isolated_dirs: dict[str, Path]) -> None:
    assert not isolated_dirs["config"].exists()
    save_config(Config())
    assert config_path().is_file()


def test_save_is_atomic(monkeypatch: pytest.MonkeyPatch) -> None:
    write("voice = false\n")

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", broken)
    with pytest.raises(OSError):
        save_config(Config(countdown=7))
    assert config_path().read_text(encoding="utf-8") == "voice = false\n"
    assert [p.name for p in config_path().parent.iterdir()] == ["config.toml"]


def test_config_toml_is_plain_toml() -> None:
    data = tomllib.loads(config_toml(Config(rest=0)))
    assert data["rest"] == "0s" and data["voice"] is True


ROUTINE = """
name = "Breaths"
[[exercises]]
name = "Figure 4"
hold = "10 breaths"
[[exercises]]
name = "Own breath"
hold = "10 breaths"
breath = 3
"""


def test_config_timing_defaults_fill_what_the_routine_leaves_out() -> None:
    routine = validate_text(ROUTINE, "r.toml")
    config = Config(breath=6, get_ready=20, rest=0)
    applied = with_config_defaults(routine, config)
    assert applied.settings(0).dose().rep_seconds == 60  # 10 breaths of the config's 6 s
    assert applied.settings(1).dose().rep_seconds == 30  # the exercise's own breath wins
    assert applied.settings(0).get_ready == 20 and applied.settings(0).rest == 0
    assert routine.settings(0).dose().rep_seconds == 50  # pure: the original is unchanged
    # The routine's own [defaults] win over the settings.
    own = validate_text(
        ROUTINE.replace('name = "Breaths"', 'name = "B"\n[defaults]\nbreath = 4'), "r"
    )
    assert with_config_defaults(own, config).settings(0).dose().rep_seconds == 40
    assert with_config_defaults(routine, Config()).settings(0) == routine.settings(0)


def test_unknown_bindings_are_reported_with_a_hint() -> None:
    config = Config(keymap={"pain_stp": "p", "help": "h", "zzz": "z"})
    messages = unknown_bindings(config, ["pain_stop", "help", "pause"])
    assert messages[0] == "keymap.pain_stp: no such binding (did you mean 'pain_stop'?)"
    assert messages[1].startswith("keymap.zzz: no such binding; known: pain_stop, help")
    assert len(messages) == 2


# ------------------------------------------------------------------------ plain settings


def test_the_settings_and_their_schema_agree() -> None:
    """Config (a plain dataclass) and the pydantic model that validates a file into it have
    the same settings, in the same order, with the same defaults."""
    from pydantic_core import PydanticUndefined

    from backtimer.files import config_schema

    model = config_schema.Config
    fields = dataclasses.fields(Config)
    assert list(model.model_fields) == [f.name for f in fields]
    for field in fields:
        info = model.model_fields[field.name]
        if field.default_factory is not dataclasses.MISSING:
            assert info.default_factory is not None
            assert info.default_factory() == field.default_factory()  # type: ignore[call-arg]
        else:
            assert info.default is not PydanticUndefined
            assert info.default == field.default, field.name
    assert config_schema.validate_config({}) == Config()
    assert type(config_schema.validate_config({"volume": 5})) is Config


def test_settings_read_before_are_not_validated_again(monkeypatch: pytest.MonkeyPatch) -> None:
    from backtimer.files import config_schema

    write('countdown = 5\nbreath = "4s"\n[keymap]\npain_stop = "p"\n')
    first = load_config()
    assert first == (Config(countdown=5, breath=4.0, keymap={"pain_stop": "p"}), [])
    calls: list[object] = []
    original = config_schema.validate_config

    def counting(data: object) -> Config:
        calls.append(data)
        return original(data)

    monkeypatch.setattr(config_schema, "validate_config", counting)
    assert load_config() == first
    assert calls == []  # kept from the first read
    write('countdown = 6\nbreath = "4s"\n[keymap]\npain_stop = "p"\n')  # same size, at once
    assert load_config()[0].countdown == 6
    assert len(calls) == 1


def test_mistakes_read_before_are_reported_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file with mistakes gives the same messages every time, checked or kept."""
    write("countdown = 50\nvoice = false\nvolum = 3\n")
    first = load_config()
    assert first[0] == Config(voice=False)
    assert [w.split(": ", 1)[1] for w in first[1]] == [
        "countdown: expected a whole number from 0 to 10, got 50 (using the default)",
        "volum: unknown setting 'volum' (did you mean 'volume'?) (ignored)",
    ]
    assert load_config() == first


def test_a_torn_or_foreign_kept_copy_is_not_used(isolated_dirs: dict[str, Path]) -> None:
    from backtimer.files.config import CHECKED_NAME

    write("countdown = 7\n")
    assert load_config() == (Config(countdown=7), [])
    kept = isolated_dirs["cache"] / CHECKED_NAME
    assert kept.is_file()
    kept.write_bytes(kept.read_bytes()[:20])
    assert load_config() == (Config(countdown=7), [])
    kept.write_bytes(b"not a pickle")
    assert load_config() == (Config(countdown=7), [])
