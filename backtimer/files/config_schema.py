"""The settings file's schema: the pydantic model that validates ``config.toml``.

Validation gives :class:`backtimer.files.config_types.Config` (a plain frozen dataclass, same field
names and defaults; a test checks). Imported only when settings are validated (a settings file
not read before, or the settings screen's form), so that a start with no settings file, or
with one read before, loads no pydantic.
"""

from __future__ import annotations

import re
import shlex
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from backtimer.core.literal import printable
from backtimer.core.routine import BUILTIN_DEFAULTS, _check_text
from backtimer.core.schema import DurationValue, GapValue
from backtimer.files import config_types
from backtimer.files.config_types import MAX_KEYMAP
from backtimer.files.routine_load import short_key

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
    # Comma-separated keys ("x,b"): only commas and spaces would unbind the command.
    if not any(part.strip() for part in value.split(",")):
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

    # Built when first validated (a settings file), not when imported (see core.schema).
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


def validate_config(data: Any) -> config_types.Config:
    """Settings from parsed TOML ``data``; raises ``ValidationError`` (every error) if any
    is not valid."""
    return config_types.Config(**Config.model_validate(data).__dict__)
