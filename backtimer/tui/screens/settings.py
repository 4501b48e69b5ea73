"""The settings screen: every field of ``config.toml``, checked before anything is written.

Save (ctrl+s) validates every field with the same model that reads the file
(:class:`backtimer.files.config.Config`); a mistake is shown under its field and nothing is written.
A valid form is written by :func:`backtimer.files.config.save_config` (atomically; the old file is
kept as ``config.toml.bak`` when it had comments or mistakes) and the screen dismisses with
the new :class:`Config` for the app to apply. Cancel (ctrl+x) writes nothing and dismisses
with None.

Keys (the keymap) are edited as text, one ``binding_id = key`` per line; an id that names no
binding of the app is refused with a did-you-mean hint (see the help screen, ``?``, for the
keys and the ids in config.toml's documentation).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

from pydantic import ValidationError
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from backtimer.core.durations import compact
from backtimer.files.catalog import display_path
from backtimer.files.config import (
    Config,
    _message,
    config_path,
    load_config,
    save_config,
    unknown_bindings,
)
from backtimer.files.config_schema import validate_config
from backtimer.session.commands import binding_ids
from backtimer.session.cues import default_player
from backtimer.sound import tones
from backtimer.sound.player import delay_line
from backtimer.tui.keys import bindings
from backtimer.tui.screens.confirm import ConfirmScreen
from backtimer.tui.widgets.keybar import KeyBar
from backtimer.tui.widgets.text import literal
from backtimer.tui.widgets.tickbox import TickBox

_WHOLE = re.compile(r"\s*[+-]?[0-9]+\s*")
_KEYMAP_LINE = re.compile(r"^\s*([^=\s]+)\s*=\s*(.*?)\s*$")

#: (field, label, hint) in the order shown.
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("voice", "Voice", "speak the announcements"),
    ("speech_command", "Speech command", "empty: the first of espeak-ng, espeak, spd-say, say"),
    ("speech_rate", "Speech rate", "words per minute, 80 to 450 (espeak-ng's default: 175)"),
    ("speech_voice", "Speech voice", 'the engine\'s voice, e.g. "en-us"; empty: its default'),
    ("voice_detail", "Introductions", "full: every instruction; brief: name, position, movement"),
    ("tones", "Tones", "the app's own sounds: go, release, switch, tick..."),
    ("volume", "Volume", "loudness of the tones and the voice, 0 to 100"),
    ("bell", "Bell", "ring the terminal bell when the tones cannot play"),
    ("countdown", "Countdown", "seconds counted down at the end of a hold, 0 to 10"),
    ("breath", "Breath length", 'one breath, for holds in breaths ("5s")'),
    ("get_ready", "Get ready", "time to get into position, unless a routine sets it"),
    ("rest", "Rest", "rest between reps, unless a routine sets it"),
    ("theme", "Theme", "the app's colours"),
    ("progression_sessions", "Sessions to step up", "sessions without pain, 1 to 100"),
    ("keymap", "Keys", "one binding_id = key per line, e.g. pain = p"),
)


def known_binding_ids() -> set[str]:
    """Every binding id of the app and its screens: what the keymap may name."""
    return set(binding_ids())


def keymap_text(keymap: dict[str, str]) -> str:
    return "".join(f"{binding} = {key}\n" for binding, key in keymap.items())


def parse_keymap(text: str) -> tuple[dict[str, str], list[str]]:
    """``binding_id = key`` lines (``#`` comments and blank lines ignored), and problems."""
    keymap: dict[str, str] = {}
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _KEYMAP_LINE.match(line)
        if match is None or not match.group(2):
            problems.append(f"line {number}: expected binding_id = key, such as pain = p")
            continue
        binding, key = match.group(1), match.group(2)
        if len(key) >= 2 and key[0] == key[-1] and key[0] in "\"'":
            key = key[1:-1]
        if binding in keymap:
            problems.append(f"line {number}: {binding} is given twice")
            continue
        keymap[binding] = key
    return keymap, problems


def _whole(text: str) -> Any:
    """A whole number if the text is one; else the text, for the model to refuse."""
    return int(text) if _WHOLE.fullmatch(text) else text.strip()


class SettingsScreen(Screen[Config | None]):
    """Edit config.toml. Dismisses with the saved Config, or None (cancelled)."""

    DEFAULT_CSS = """
    SettingsScreen #settings-title {
        height: 1;
        padding: 0 1;
        background: $panel;
        text-style: bold;
    }
    SettingsScreen #settings-body {
        height: 1fr;
        padding: 0 1;
    }
    SettingsScreen #settings-warnings {
        color: $text-warning;
        margin-bottom: 1;
    }
    SettingsScreen #settings-problem {
        color: $text-error;
        text-style: bold;
    }
    SettingsScreen .settings-row {
        height: auto;
    }
    SettingsScreen .settings-label {
        width: 22;
        text-style: bold;
        padding-right: 1;
    }
    SettingsScreen .settings-field {
        width: 1fr;
        height: auto;
    }
    SettingsScreen .settings-hint {
        color: $text-muted;
    }
    SettingsScreen .settings-error {
        color: $text-error;
        display: none;
    }
    SettingsScreen .settings-error.-shown {
        display: block;
    }
    SettingsScreen Checkbox {
        width: auto;
    }
    SettingsScreen Input {
        width: 1fr;
        max-width: 50;
    }
    SettingsScreen Select {
        width: 1fr;
        max-width: 50;
    }
    SettingsScreen TextArea {
        height: 5;
        max-width: 50;
    }
    SettingsScreen #settings-buttons {
        height: auto;
        margin: 1 0;
    }
    SettingsScreen #settings-buttons Button {
        margin-right: 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = bindings("settings")

    def __init__(
        self,
        path: Path | None = None,
        *,
        themes: Sequence[str] | None = None,
        binding_ids: Iterable[str] | None = None,
    ) -> None:
        super().__init__()
        self.path = config_path() if path is None else path
        self.config, self.warnings = load_config(self.path)
        self._themes = list(themes) if themes is not None else None
        self._binding_ids = set(binding_ids) if binding_ids is not None else None
        self.saved: Config | None = None
        self.message: str | None = None  # what the last save said
        self.problems: dict[str, str] = {}  # field -> what is wrong, after a refused save

    # -------------------------------------------------------------- layout

    def _theme_names(self) -> list[str]:
        names = self._themes
        if names is None:
            names = sorted(getattr(self.app, "available_themes", {}) or ["textual-dark"])
        if self.config.theme not in names:
            names = [*names, self.config.theme]
        return names

    def compose(self) -> ComposeResult:
        config = self.config
        yield Static(literal(f"Settings · {display_path(self.path)}"), id="settings-title")
        with VerticalScroll(id="settings-body"):
            if self.warnings:
                text = Text(
                    "The settings file has mistakes; these use their defaults (saving keeps "
                    "a copy of the old file as config.toml.bak):",
                    style="bold",
                )
                for warning in self.warnings:
                    text.append("\n• ")
                    text.append_text(literal(warning))
                yield Static(text, id="settings-warnings")
            yield Static("", id="settings-problem")
            for name, label, hint in FIELDS:
                with Horizontal(classes="settings-row"):
                    yield Label(label, classes="settings-label")
                    with Vertical(classes="settings-field"):
                        yield self._widget(name, config)
                        yield Static(hint, classes="settings-hint")
                        yield Static("", id=f"error-{name}", classes="settings-error")
            with Horizontal(id="settings-buttons"):
                yield Button("Save (^s)", id="settings-save", variant="primary", compact=True)
                yield Button("Cancel (^x)", id="settings-cancel", compact=True)
                yield Button("Test sound", id="settings-test-sound", compact=True)
        yield KeyBar()

    def _widget(self, name: str, config: Config) -> Widget:
        wid = f"field-{name}"
        if name in ("voice", "bell", "tones"):
            return TickBox("on", value=getattr(config, name), id=wid, compact=True)
        if name == "voice_detail":
            return Select(
                [("full", "full"), ("brief", "brief")],
                value=config.voice_detail,
                allow_blank=False,
                id=wid,
                compact=True,
            )
        if name == "theme":
            return Select(
                [(theme, theme) for theme in self._theme_names()],
                value=config.theme,
                allow_blank=False,
                id=wid,
                compact=True,
            )
        if name == "keymap":
            return TextArea(keymap_text(dict(config.keymap)), id=wid, soft_wrap=False)
        value = getattr(config, name)
        if name in ("breath", "get_ready", "rest"):
            text = compact(value)
        elif value is None:
            text = ""
        else:
            text = str(value)
        placeholder = "automatic" if name in ("speech_command", "speech_voice") else ""
        return Input(text, placeholder=placeholder, id=wid, compact=True)

    def on_mount(self) -> None:
        self.query_one("#settings-problem").display = False
        self.query_one("#field-voice", Checkbox).focus()
        self._initial: str | None = None
        self.call_after_refresh(self._remember_form)

    def _remember_form(self) -> None:
        self._initial = repr(self.form_data())

    @property
    def changed(self) -> bool:
        """Whether the form differs from what it showed when the screen opened."""
        return self._initial is not None and repr(self.form_data()) != self._initial

    # -------------------------------------------------------------- reading the form

    def _text(self, name: str) -> str:
        return self.query_one(f"#field-{name}", Input).value

    def form_data(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The form as the model's input, and problems found before the model (keymap)."""
        problems: dict[str, str] = {}
        keymap, keymap_problems = parse_keymap(self.query_one("#field-keymap", TextArea).text)
        if keymap_problems:
            problems["keymap"] = "; ".join(keymap_problems)
        speech = self._text("speech_command").strip()
        data: dict[str, Any] = {
            "voice": self.query_one("#field-voice", Checkbox).value,
            "speech_command": speech or None,
            "speech_rate": _whole(self._text("speech_rate")),
            "speech_voice": self._text("speech_voice").strip() or None,
            "voice_detail": self.query_one("#field-voice_detail", Select).value,
            "bell": self.query_one("#field-bell", Checkbox).value,
            "tones": self.query_one("#field-tones", Checkbox).value,
            "volume": _whole(self._text("volume")),
            "countdown": _whole(self._text("countdown")),
            "breath": self._text("breath").strip(),
            "get_ready": self._text("get_ready").strip(),
            "rest": self._text("rest").strip(),
            "theme": self.query_one("#field-theme", Select).value,
            "progression_sessions": _whole(self._text("progression_sessions")),
            "keymap": keymap,
        }
        for optional in ("speech_command", "speech_voice"):
            if data[optional] is None:
                del data[optional]
        return data, problems

    def check(self) -> Config | None:
        """The form as settings, or None with every mistake shown under its field."""
        data, problems = self.form_data()
        config: Config | None = None
        try:
            config = validate_config(data)
        except ValidationError as exc:
            for err in exc.errors():
                loc = tuple(part for part in err["loc"] if part != "[key]")
                field = str(loc[0]) if loc else "settings"
                message = _message(err)
                if field == "keymap" and len(loc) > 1:
                    message = f"{loc[1]}: {message}"
                if field in problems:
                    problems[field] += "; " + message
                else:
                    problems[field] = message
        if "keymap" not in problems:
            known = self._binding_ids
            if known is None:
                known = known_binding_ids()
            holder: Any = SimpleNamespace(keymap=data["keymap"])  # all it reads of a Config
            unknown = unknown_bindings(holder, sorted(known))
            if unknown:
                problems["keymap"] = "; ".join(m.removeprefix("keymap.") for m in unknown)
        for name, _, _ in FIELDS:
            error = self.query_one(f"#error-{name}", Static)
            text = problems.get(name, "")
            error.update(literal(text))
            error.set_class(bool(text), "-shown")
        self.problems = problems
        if problems:
            first = next(name for name, _, _ in FIELDS if name in problems)
            self.query_one(f"#field-{first}").focus()
            self._problem("Not saved: correct the settings marked in red.")
            return None
        self._problem("")
        return config

    def _problem(self, text: str) -> None:
        problem = self.query_one("#settings-problem", Static)
        problem.update(literal(text))
        problem.display = bool(text)

    # -------------------------------------------------------------- actions

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "settings-save":
            self.action_save()
        elif event.button.id == "settings-cancel":
            self.action_cancel()
        elif event.button.id == "settings-test-sound":
            self.action_test_sound()

    def action_test_sound(self) -> None:
        """Play every tone and a sentence with the settings as they are in the form (saved
        or not), and show what plays them; runs in a thread, the screen stays live."""
        data, _ = self.form_data()
        try:
            config = validate_config(data)
        except ValidationError:
            self._problem("Correct the settings marked in red to test the sound.")
            self.check()
            return
        self.run_worker(lambda: self._test_sound(config), thread=True, exclusive=True)

    def _test_sound(self, config: Config) -> None:
        player = default_player(
            lambda: None,
            voice=config.voice,
            bell=config.bell,
            command=config.speech_command,
            tones=config.tones,
            volume=config.volume,
            rate=config.speech_rate,
            speech_voice=config.speech_voice,
        )
        try:
            # What `backtimer sound` plays and says, in its words (backtimer/cli/sound.py).
            play = getattr(player, "sound", None)
            if config.tones and play is not None and getattr(player, "mixer", None) is not None:
                for name, tone in tones.SOUNDS.items():
                    play(name)
                    time.sleep(tone.seconds + 0.3)
            elif config.bell:
                player.bell()  # what plays when the tones cannot
            delay = None
            if config.voice:
                measure = getattr(player, "measure_delay", None)
                text = "This is the voice of backtimer. Hold 30 seconds."
                delay = measure(text) if measure is not None else None
                if delay is None:
                    player.say(text)
                player.wait_idle(10.0)
            status = getattr(player, "status", None)
            lines = [f"volume: {config.volume}"]
            lines += status.lines() if status is not None else []
            if config.voice:
                lines.append(delay_line(delay))
            warning = status.warning() if status is not None else None
        finally:
            player.close()
        self.app.call_from_thread(
            self.notify,
            "\n".join(lines) or "sound tested",
            title="Test sound",
            severity="warning" if warning else "information",
            timeout=20,
            markup=False,
        )

    def action_save(self) -> None:
        config = self.check()
        if config is None:
            return
        try:
            backup = save_config(config, self.path)
        except OSError as exc:
            self._problem(
                f"Not saved: cannot write {display_path(self.path)}: {exc.strerror or exc}"
            )
            return
        message = f"Settings saved in {display_path(self.path)}"
        if backup:
            message += f" ({backup})"
        self.message = message
        self.saved = config
        self.notify(message, timeout=5, markup=False)
        self.dismiss(config)

    def action_cancel(self) -> None:
        """Leave without saving; changes made on the screen are only thrown away on a yes."""
        if not self.changed:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen(
                "Leave without saving?",
                "The changes made here would be lost; the settings file stays as it is.",
                yes="Discard changes",
                no="Keep editing",
            ),
            answered,
        )
