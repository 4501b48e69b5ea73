"""The settings' data type: :class:`Config`, a plain frozen dataclass (no pydantic).

Read and written by :mod:`backtimer.files.config` (which the rest of the code imports it
from); validated into by :mod:`backtimer.files.config_schema`. A module of its own so that
neither of those two imports the other's module at load time.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from backtimer.core.routine import BUILTIN_DEFAULTS

MAX_KEYMAP = 100  # bindings in [keymap]; the app has a few dozen


@dataclass(frozen=True, kw_only=True)
class Config:
    """Every setting, with its default (what each means: :mod:`backtimer.files.config_schema`,
    whose model validates a settings file into this; same fields and defaults, a test checks).
    Plain data: the defaults and settings read before (see
    :func:`backtimer.files.config.load_config`) need no pydantic."""

    voice: bool = True
    speech_command: str | None = None
    speech_rate: int = 175
    speech_voice: str | None = None
    voice_detail: Literal["full", "brief"] = "full"
    bell: bool = True
    tones: bool = True
    volume: int = 80
    countdown: int = 3
    breath: float = BUILTIN_DEFAULTS["breath"]
    get_ready: float = BUILTIN_DEFAULTS["get_ready"]
    rest: float = BUILTIN_DEFAULTS["rest"]
    keymap: dict[str, str] = dataclasses.field(default_factory=dict)
    theme: str = "textual-dark"
    progression_sessions: int = 3


#: The settings' names, in the file's order.
SETTING_NAMES = tuple(f.name for f in dataclasses.fields(Config))
