"""What a pain stop says and records, and how an exercise's cautions are worded: the words
both front ends show (the app's first frame among them), without the engine.

:class:`PainDetails` is what a person said after a pain stop (where, how much, a note) and
what they chose next.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from backtimer.core.engine import PainStopped

#: What the pain stop says, on the screen and in ``--plain`` alike.
SAFETY_MESSAGE = "Stop. If pain persists, seek advice from a physiotherapist or doctor."

#: The quick picks for where it hurts (the pain screen's buttons, ``where`` lines in --plain).
PAIN_PLACES: tuple[str, ...] = ("lower back", "hip", "leg", "buttock", "neck", "other")

PainChoice = Literal["end", "skip_exercise", "resume", "mistake"]

#: First words of a "stop if" that is already a whole instruction ("If you feel pain...").
_INSTRUCTION_WORDS = ("stop", "if", "discontinue", "when", "do", "don't", "never", "avoid")


def stop_if_parts(value: str) -> tuple[str, str]:
    """An exercise's ``stop_if`` as (label, text), one label however the routine words it;
    the app and --plain show ``label: text``.

    "pain in the hip" -> ("Stop if", "pain in the hip"); a text with a label of its own
    ("Pain: move only in a pain-free range") -> ("Stop if pain", "move only ..."); a text
    that is already a whole instruction ("If you feel...", "Stop the set early if...") ->
    ("Stop", the text). The text keeps its lines (--plain puts it on one).
    """
    text = value.strip()
    head, colon, rest = text.partition(":")
    if colon and 0 < len(head.split()) <= 2 and rest.strip():
        if head.split()[0].lower() == "stop":  # "Stop if: sharp pain": its own label, kept
            return head[:1].upper() + head[1:].lower(), rest.strip()
        return f"Stop if {head.lower()}", rest.strip()
    first = (text.split(None, 1) or [""])[0].lower().rstrip(",.:")
    if first in _INSTRUCTION_WORDS:
        return "Stop", text
    return "Stop if", text


def caution_text(value: str) -> str:
    """A caution without a label of its own ("Caution: go slowly" -> "go slowly"), for the
    front ends that put "Caution: " before it."""
    text = value.strip()
    head, colon, rest = text.partition(":")
    if colon and head.strip().lower() in ("caution", "cautions", "warning") and rest.strip():
        return rest.strip()
    return text


@dataclass(frozen=True)
class PainDetails:
    """What the user said after a pain stop (all optional) and what they chose next."""

    choice: PainChoice
    where: str | None = None  # one of PAIN_PLACES, e.g. "lower back"
    how_much: int | None = None  # 0-10
    note: str = ""
    event: PainStopped | None = None  # the engine's record: exercise, side, set, rep, second
