"""The routine of issue 10's side-words tests: exercises done on both sides, some with their
own side words ("right knee up"), some without. The remote's, the session's and the plan's
tests build it here."""

from __future__ import annotations

from backtimer.core.routine import Routine
from backtimer.files.routine_load import validate_text

KNEE_UP = {"right": "right knee [b]up[/b]", "left": "left knee up"}


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def exercise(name: str, *, side_words: dict[str, str] | None = None, **fields: object) -> str:
    """One ``[[exercises]]`` table on both sides, with ``side_words`` when given."""
    lines = ["[[exercises]]", f'name = "{name}"']
    lines += [f"{key} = {_toml(value)}" for key, value in fields.items()]
    lines.append('sides = "both"')
    if side_words:
        words = ", ".join(f'{side} = "{said}"' for side, said in side_words.items())
        lines.append(f"side_words = {{ {words} }}")
    return "\n".join(lines)


def sides_toml(*exercises: str) -> str:
    """A routine named "Sides" of these exercises."""
    return "\n".join(['name = "Sides"', *exercises]) + "\n"


# One exercise with its own side words, one without.
SIDES_TOML = sides_toml(
    exercise("Knee to chest", hold=5, reps=2, side_words=KNEE_UP),
    exercise("Clamshell", hold=5, reps=2),
)


def sides_routine(text: str = SIDES_TOML) -> Routine:
    return validate_text(text, "sides.toml")
