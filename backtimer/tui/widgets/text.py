"""Words, numbers and literal text for the screens.

Everything that comes from a routine file goes through :func:`literal`: a ``rich.text.Text``
(never parsed as markup, so ``[bold]`` stays ``[bold]``) with any control character shown as
a visible escape instead of reaching the terminal.
"""

from __future__ import annotations

from rich.text import Text

from backtimer.core.durations import short
from backtimer.core.literal import shown
from backtimer.core.plan import Step
from backtimer.core.routine import Exercise
from backtimer.core.timeline import side_words as named_side

# Shared with --plain (one wording for both front ends), re-exported for the screens.
from backtimer.core.words import plural as plural
from backtimer.session.safety import PAIN_PLACES as PAIN_PLACES
from backtimer.session.safety import SAFETY_MESSAGE as SAFETY_MESSAGE
from backtimer.session.safety import caution_text as caution_text
from backtimer.session.safety import stop_if_parts


def literal(text: str | None, style: str = "", *, lines: bool = True) -> Text:
    """Routine or user text as shown: literally (no markup) and without terminal escapes
    (:func:`backtimer.core.literal.shown`); ``lines=False``: on one line."""
    return Text(shown(text, lines=lines), style=style)


def stop_if_text(value: str) -> Text:
    """An exercise's ``stop_if`` under one label, however the routine words it (see
    :func:`backtimer.session.safety.stop_if_parts`, which --plain uses too)."""
    label, text = stop_if_parts(value)
    return Text(f"{label}: ", style="bold").append_text(literal(text))


def counter_line(step: Step) -> str:
    """ "rep 2 of 3 · set 1 of 2" (the set only when there is more than one)."""
    parts = []
    if step.reps > 1:
        parts.append(f"rep {step.rep} of {step.reps}")
    if step.sets > 1:
        parts.append(f"set {step.set} of {step.sets}")
    return " · ".join(parts)


def _own_side(step: Step, exercise: Exercise | None) -> str | None:
    """The exercise's own words for the step's side ("right leg on top"), None without them:
    the one choice the voice makes (:func:`backtimer.core.timeline.side_words`)."""
    if step.side is None:
        return None
    words = named_side(exercise, step.side)
    return None if words == named_side(None, step.side) else words


def side_words(step: Step, exercise: Exercise | None = None) -> str:
    """ "Right side" ("Now the left side" on the switch), or the step's exercise's own
    words for it where it has them ("Right leg on top", "Now left leg on top")."""
    if step.side is None:
        return ""
    own = _own_side(step, exercise)
    if step.phase == "switch_sides":
        return f"Now {own}" if own else f"Now the {step.side} side"
    return own[:1].upper() + own[1:] if own else f"{step.side.capitalize()} side"


def step_brief(step: Step, seconds: float | None = None, exercise: Exercise | None = None) -> str:
    """One line about a step, for "next up": "Hold · left side · 30 s" (the side in the
    step's ``exercise``'s own words where it has them: "Hold · left leg on top · 30 s")."""
    seconds = step.seconds if seconds is None else seconds
    if step.phase == "get_ready":
        return f"{step.exercise} (get ready)"
    words = step.phase_info.word.capitalize()
    if step.phase == "rep" and step.user_paced:
        words = "At your own pace"
    parts = [words]
    own = _own_side(step, exercise)
    if step.side and step.phase != "switch_sides":
        parts.append(own or f"{step.side} side")
    elif step.side:
        parts[0] = f"Switch sides: {own}" if own else f"Switch to the {step.side} side"
    if step.is_work and step.reps > 1:
        parts.append(f"rep {step.rep} of {step.reps}")
    if step.breaths:
        parts.append(plural(step.breaths, "breath"))
    elif seconds is not None:
        parts.append(short(seconds))
    return " · ".join(parts)
