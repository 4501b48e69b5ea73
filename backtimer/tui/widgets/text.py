"""Words, numbers and literal text for the screens.

Everything that comes from a routine file goes through :func:`literal`: a ``rich.text.Text``
(never parsed as markup, so ``[bold]`` stays ``[bold]``) with any control character shown as
a visible escape instead of reaching the terminal.
"""

from __future__ import annotations

import unicodedata

from rich.text import Text

from backtimer.core.durations import short
from backtimer.core.plan import Step

#: Words for the quick picks of the pain screen.
PAIN_PLACES: tuple[str, ...] = ("lower back", "hip", "leg", "buttock", "neck", "other")

_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

SAFETY_MESSAGE = "Stop. If pain persists, seek advice from a physiotherapist or doctor."


def safe(text: str) -> str:
    """``text`` with anything that could act on a terminal shown as an escape instead.

    Control characters (but newline and tab), surrogates and bidirectional overrides (which
    make a line read differently from what it says) become ``\\x1b``-style escapes.
    """
    out = []
    for ch in text:
        if ch in "\n\t":
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI:
            out.append(ch.encode("unicode_escape", "backslashreplace").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


def literal(text: str | None, style: str = "") -> Text:
    """Routine text as shown: literally (no markup) and without terminal escapes."""
    return Text(safe(text or ""), style=style)


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


def counter_line(step: Step) -> str:
    """ "rep 2 of 3 · set 1 of 2" (the set only when there is more than one)."""
    parts = []
    if step.reps > 1:
        parts.append(f"rep {step.rep} of {step.reps}")
    if step.sets > 1:
        parts.append(f"set {step.set} of {step.sets}")
    return " · ".join(parts)


def side_words(step: Step) -> str:
    if step.side is None:
        return ""
    if step.phase == "switch_sides":
        return f"Now the {step.side} side"
    return f"{step.side.capitalize()} side"


def step_brief(step: Step, seconds: float | None = None) -> str:
    """One line about a step, for "next up": "Hold · left side · 30 s"."""
    seconds = step.seconds if seconds is None else seconds
    if step.phase == "get_ready":
        return f"{step.exercise} (get ready)"
    words = step.phase_info.word.capitalize()
    if step.phase == "rep" and step.user_paced:
        words = "At your own pace"
    parts = [words]
    if step.side and step.phase != "switch_sides":
        parts.append(f"{step.side} side")
    elif step.side:
        parts[0] = f"Switch to the {step.side} side"
    if step.is_work and step.reps > 1:
        parts.append(f"rep {step.rep} of {step.reps}")
    if step.breaths:
        parts.append(plural(step.breaths, "breath"))
    elif seconds is not None:
        parts.append(short(seconds))
    return " · ".join(parts)
