"""How long a routine's session lasts with its words, for the user's voice settings, found
at once (``list`` and the picker's preview): the plan's total (the steps as their words
lengthen them, then the closing sound and words), with the spoken lengths *estimated* from
``speech_rate`` on the long side, not measured (``backtimer plan`` measures them)."""

from __future__ import annotations

from collections.abc import Callable

from backtimer.core.plan import CLOSING_SOUND, compile_plan
from backtimer.core.routine import Level, Routine
from backtimer.core.timeline import estimator
from backtimer.files.config import Config, with_config_defaults
from backtimer.sound import tones


def session_length_for(config: Config) -> Callable[[Routine, Level], float]:
    """A function of (routine, level) giving its session's seconds with its words."""
    length = estimator(config.speech_rate) if config.voice else (lambda text: 0.0)
    closing_sound = tones.seconds(CLOSING_SOUND) if config.tones else 0.0

    def total(routine: Routine, level: Level = "low") -> float:
        plan = compile_plan(
            with_config_defaults(routine, config),
            level,
            length=length,
            countdown=config.countdown,
            detail=config.voice_detail,
            closing_sound=closing_sound,
        )
        return plan.total_seconds

    return total
