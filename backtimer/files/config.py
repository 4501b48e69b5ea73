"""The user's settings: ``config.toml`` in the config folder.

``load_config()`` never fails and never changes the file: a missing file gives the defaults;
a file with mistakes gives every valid setting it has, the defaults for the rest, and one
located message per mistake (``config.toml:4: countdown: ...``), the way routine errors are
reported. ``save_config()`` writes the whole file atomically (keeping a ``.bak`` of a file
someone wrote by hand, with comments, or of one that had mistakes).

Precedence of timing defaults (``breath``, ``get_ready``, ``rest``): an exercise's own
value, then the routine's ``[defaults]``, then these settings, then the built-in defaults.
:func:`with_config_defaults` applies them to a routine (pure).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import shlex
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

import tomli_w
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from backtimer.core.durations import compact
from backtimer.core.literal import printable
from backtimer.core.routine import BUILTIN_DEFAULTS, Routine, _check_text
from backtimer.core.schema import DurationValue, GapValue
from backtimer.files import paths
from backtimer.files.atomic import atomic_write_text
from backtimer.files.catalog import display_path
from backtimer.files.routine_load import (
    LineLocator,
    NotReadable,
    Problem,
    RoutineError,
    decode,
    field_path,
    parse_toml,
    read_regular,
    short_key,
)

CONFIG_NAME = "config.toml"
#: A settings file is a few hundred bytes; a larger one is refused before it is parsed, so a
#: huge [keymap] costs milliseconds, not seconds.
MAX_CONFIG_BYTES = 64 * 1024
MAX_KEYMAP = 100  # bindings in [keymap]; the app has a few dozen
DURATION_FIELDS = ("breath", "get_ready", "rest")
_BINDING_ID = re.compile(r"[a-z][a-z0-9_]*", re.ASCII)


def _speech_command(value: str) -> str:
    _check_text(value, multiline=False, limit=500)
    try:
        argv = shlex.split(value)
    except ValueError:
        raise ValueError(
            "cannot be split into a command and its arguments (a quote is not closed)"
        ) from None
    if not argv:
        raise ValueError(
            'must name a command, such as "espeak-ng -s 140" (set voice = false for silence)'
        )
    return value


def _voice_name(value: str) -> str:
    _check_text(value, multiline=False, limit=80)
    if not value.strip() or value.startswith("-"):
        raise ValueError('must name a voice, such as "en-us"')
    return value


def _binding_id(value: str) -> str:
    if not _BINDING_ID.fullmatch(value):
        raise ValueError(
            f"{printable(short_key(value))!r} is not a binding id (lower case words joined by _, "
            'such as pain_stop = "p")'
        )
    return value


def _key(value: str) -> str:
    _check_text(value, multiline=False, limit=40)
    if not value.strip():
        raise ValueError('must name a key, such as "p" or "ctrl+p"')
    return value


BindingId = Annotated[str, AfterValidator(_binding_id)]
KeyName = Annotated[str, Field(strict=True), AfterValidator(_key)]


def _theme(value: str) -> str:
    _check_text(value, multiline=False, limit=80)
    if not value.strip():
        raise ValueError('must not be empty (the default is "textual-dark")')
    return value


class Config(BaseModel):
    """Every setting, with its default. Unknown keys are errors (with a did-you-mean hint)."""

    # Built when first validated (a settings file), not when imported (see core.routine).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    voice: bool = Field(True, strict=True, description="Speak the announcements")
    speech_command: Annotated[str, Field(strict=True), AfterValidator(_speech_command)] | None = (
        Field(
            None,
            description='The speech command, such as "espeak-ng -s 140"; the text is added after '
            '"--" as its last argument ("say" reads it on its input). '
            "Unset: the first of espeak-ng, espeak, spd-say, say found",
        )
    )
    speech_rate: int = Field(
        175,
        strict=True,
        ge=80,
        le=450,
        description="Speech rate in words per minute: passed to the engines that take one "
        "(espeak-ng, espeak, say) and used to estimate how long words take with a custom "
        "speech_command",
    )
    speech_voice: Annotated[str, Field(strict=True), AfterValidator(_voice_name)] | None = Field(
        None, description='The engine\'s voice, such as "en-us" (espeak-ng) or "Samantha" (say)'
    )
    voice_detail: Literal["full", "brief"] = Field(
        "full",
        description='"full": every exercise is introduced with all its instructions, caution '
        'and stop-if; "brief": its name, position and movement, for people who know the routine',
    )
    bell: bool = Field(
        True,
        strict=True,
        description="Ring the terminal bell at phase changes when the app's tones cannot play "
        "(tones off, or no sound device)",
    )
    tones: bool = Field(
        True, strict=True, description="Play the app's tones (go, release, switch, tick...)"
    )
    volume: int = Field(
        80, strict=True, ge=0, le=100, description="Loudness of the tones and the voice, 0-100"
    )
    countdown: int = Field(
        3, strict=True, ge=0, le=10, description="Seconds counted down at the end of a hold"
    )
    breath: DurationValue = Field(
        BUILTIN_DEFAULTS["breath"],
        description="Length of one breath, for routines that do not set one",
    )
    get_ready: GapValue = Field(
        BUILTIN_DEFAULTS["get_ready"],
        description="Time to get into position, for routines that do not set one",
    )
    rest: GapValue = Field(
        BUILTIN_DEFAULTS["rest"], description="Rest between reps, for routines that do not set one"
    )
    keymap: dict[BindingId, KeyName] = Field(
        default_factory=dict,
        max_length=MAX_KEYMAP,
        description='Keys for the app\'s bindings: binding id -> key, e.g. pain_stop = "p"',
    )
    theme: Annotated[str, Field(strict=True), AfterValidator(_theme)] = Field(
        "textual-dark", description="The app's colour theme"
    )
    progression_sessions: int = Field(
        3,
        strict=True,
        ge=1,
        le=100,
        description="Sessions without pain before backtimer offers to step an exercise up",
    )


# ------------------------------------------------------------------------ loading


def config_path() -> Path:
    return paths.config_dir() / CONFIG_NAME


def _label(path: Path) -> str:
    return display_path(path)


_BOUNDS = {
    "countdown": (0, 10),
    "progression_sessions": (1, 100),
    "volume": (0, 100),
    "speech_rate": (80, 450),
}


def _message(err: Any) -> str:
    kind = err["type"]
    loc = tuple(err["loc"])
    if kind == "extra_forbidden":
        key = str(loc[-1])
        close = difflib.get_close_matches(key, list(Config.model_fields), n=1, cutoff=0.6)
        if close:
            return f"unknown setting {printable(short_key(key))!r} (did you mean {close[0]!r}?)"
        return f"unknown setting {printable(short_key(key))!r}; known settings: " + ", ".join(
            Config.model_fields
        )
    if kind in ("less_than_equal", "greater_than_equal") and loc and loc[0] in _BOUNDS:
        low, high = _BOUNDS[str(loc[0])]
        return f"expected a whole number from {low} to {high}, got {err.get('input')!r}"
    if kind in ("bool_type", "bool_parsing"):
        return "expected true or false"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "expected a whole number"
    if kind == "string_type":
        return "expected text (a quoted string)"
    if kind in ("dict_type", "model_type"):
        return "expected a table"
    message: str = err["msg"].removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


def _drop(data: dict[str, Any], loc: tuple[str | int, ...]) -> None:
    """Remove the value at ``loc`` (a setting, or one binding of the keymap)."""
    if not loc:
        return
    top = loc[0]
    if top == "keymap" and len(loc) > 1 and isinstance(data.get("keymap"), dict):
        data["keymap"].pop(loc[1], None)
        return
    if isinstance(top, str):
        data.pop(top, None)


def parse_config(text: str, label: str) -> tuple[Config, list[str]]:
    """Settings from config text: the valid ones, defaults for the rest, and messages."""
    if not text.strip():
        return Config(), []
    try:
        data = parse_toml(text, label)
    except RoutineError as exc:
        return Config(), [f"{p}; using the default settings" for p in exc.problems]
    keymap = data.get("keymap")
    if isinstance(keymap, dict) and len(keymap) > MAX_KEYMAP:
        del data["keymap"]
        line = LineLocator(text).line_of(("keymap",))
        problem = Problem(
            label,
            f"has {len(keymap):,} bindings; the limit is {MAX_KEYMAP} (all ignored)",
            line=line,
            field="keymap",
        )
        config, warnings = parse_config_data(data, text, label)
        return config, [str(problem), *warnings]
    return parse_config_data(data, text, label)


def parse_config_data(data: dict[str, Any], text: str, label: str) -> tuple[Config, list[str]]:
    """Settings from parsed config ``data`` (``text`` locates its mistakes)."""
    try:
        return Config.model_validate(data), []
    except ValidationError as exc:
        errors = exc.errors()
    except RecursionError:
        return Config(), [f"{label}: values nested too deeply; using the default settings"]
    problems = []
    locator = LineLocator(text)  # only needed for mistakes
    for err in errors:
        loc = tuple(part for part in err["loc"] if part != "[key]")
        message = _message(err)
        ignored = err["type"] == "extra_forbidden" or (loc[:1] == ("keymap",) and len(loc) > 1)
        message += " (ignored)" if ignored else " (using the default)"
        problems.append(Problem(label, message, line=locator.line_of(loc), field=field_path(loc)))
        _drop(data, loc)
    problems.sort(key=lambda p: p.line or 0)
    warnings = [str(p) for p in problems]
    try:
        return Config.model_validate(data), warnings
    except (ValidationError, RecursionError):  # pragma: no cover - every error was dropped
        return Config(), warnings


def load_config(path: Path | None = None) -> tuple[Config, list[str]]:
    """The settings, and a message for each problem (none: the file is fine or missing).

    Never raises for anything in or about the file, and never writes it.
    """
    path = config_path() if path is None else path
    label = _label(path)
    try:
        data = read_regular(path, limit=MAX_CONFIG_BYTES, noun="settings file")
    except FileNotFoundError:  # the usual case: the defaults, no validator to build
        return Config.model_construct(), []
    except NotReadable as exc:
        return Config(), [f"{label}: {exc.message}; using the defaults"]
    if len(data) > MAX_CONFIG_BYTES:
        return Config(), [f"{label}: is larger than 64 KiB; using the default settings"]
    try:
        text = decode(data, label)
    except RoutineError as exc:
        return Config(), [
            str(p).replace("a TOML routine", "a settings file") + "; using the defaults"
            for p in exc.problems
        ]
    return parse_config(text, label)


# ------------------------------------------------------------------------ saving


def config_toml(config: Config) -> str:
    """The settings as TOML: durations as "5s", an unset speech command left out."""
    data = config.model_dump(exclude_none=True)
    for name in DURATION_FIELDS:
        data[name] = compact(data[name])
    if not data["keymap"]:
        del data["keymap"]
    return tomli_w.dumps(data)


def save_config(config: Config, path: Path | None = None) -> str | None:
    """Write the settings atomically; returns a message if a backup of the old file was kept.

    The old file is kept as ``config.toml.bak`` when it had comments, or when it held
    something these settings do not (a mistake dropped by :func:`load_config`, TOML that
    does not read back the same): nothing a person wrote is lost without a copy.
    Raises OSError if the file cannot be written (the old one is then untouched).
    """
    path = config_path() if path is None else path
    text = config_toml(config)
    try:
        old = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, ValueError):
        old = None
    # Comments are kept by atomic_write_text (backup=True); a file we cannot read, or one
    # whose mistakes load_config dropped, is kept whatever it holds.
    keep_always = old is None and path.exists()
    if old is not None and old.strip():
        keep_always = bool(parse_config(old, "")[1])
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(path, text, backup=True, backup_always=keep_always)


# ------------------------------------------------------------------------ using


def with_config_defaults(routine: Routine, config: Config) -> Routine:
    """``routine`` with the settings' breath, get-ready and rest times filled into its
    ``[defaults]`` where the routine does not set them (an exercise's own value and the
    routine's defaults still win). Pure: the routine's file is not involved."""
    update = {}
    for name in DURATION_FIELDS:
        if getattr(routine.defaults, name) is None:
            update[name] = getattr(config, name)
    if not update:
        return routine
    return dataclasses.replace(routine, defaults=dataclasses.replace(routine.defaults, **update))


def unknown_bindings(config: Config, known: Iterable[str]) -> list[str]:
    """Messages for keymap entries that name no binding of the app (``known``: its ids)."""
    known = list(known)
    messages = []
    for binding in config.keymap:
        if binding in known:
            continue
        close = difflib.get_close_matches(binding, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else f"; known: {', '.join(known)}"
        messages.append(f"keymap.{binding}: no such binding{hint}")
    return messages
