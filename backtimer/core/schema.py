"""A routine file's schema: the pydantic models that validate it, and its JSON Schema.

Validation gives the routine's plain data types (:mod:`backtimer.core.routine`, frozen
dataclasses that need no pydantic): :func:`validate_routine` and friends raise pydantic's
``ValidationError`` for a file that is not valid (``files.routine_load`` turns its errors into
located messages). A class here has the same name, fields and defaults as the data type it
gives (a test checks), and the same docstring: the JSON Schema is built from these.

Pure: no I/O. Imported only where a file is validated, so that a routine read back from the
cache of checked routines (``files.cache``) loads no pydantic.

Quick to build (a first start builds them, in the child of ``files.precheck``): no ``from
__future__ import annotations``, so pydantic gets the annotations as objects instead of strings
to evaluate; and every default factory is a function of ours, whose signature pydantic reads
at once (that of a builtin such as ``list`` is parsed from its text with Python's tokenizer,
about a sixth of the build; a model's is made from its fields).
"""

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
)

from backtimer.core import routine
from backtimer.core.routine import (
    DURATION_HELP,
    HOLD_HELP,
    MAX_COUNT,
    MAX_DURATION,
    MAX_EXERCISES,
    MAX_NAME,
    MAX_STEPS,
    MAX_TEXT,
    MIN_DURATION,
    Hold,
    Side,
    Span,
    _line,
    _para,
    _step,
    parse_count,
    parse_duration,
    parse_gap,
    parse_hold,
)

SCHEMA_ID = "https://backtimer.invalid/routine.schema.json"


# ---------------------------------------------------------------------------- values

# The limits are checked by the validators (with messages of our own) and stated in the JSON
# Schema for editors.
Name = Annotated[
    str,
    Field(strict=True, json_schema_extra={"minLength": 1, "maxLength": MAX_NAME}),
    AfterValidator(_line),
]
Text = Annotated[
    str, Field(strict=True, json_schema_extra={"maxLength": MAX_TEXT}), AfterValidator(_para)
]
StepLine = Annotated[
    str,
    Field(strict=True, json_schema_extra={"minLength": 1, "maxLength": MAX_TEXT}),
    AfterValidator(_step),
]

_seconds_schema = {"type": "number", "minimum": MIN_DURATION, "maximum": MAX_DURATION}
_gap_seconds_schema = {"type": "number", "minimum": 0, "maximum": MAX_DURATION}
_duration_string = {
    "type": "string",
    "pattern": r"^\s*([0-9]+(\.[0-9]+)?\s*[a-zA-Z]*\s*)+$",
    "examples": ["30s", "1m30s", "2 min"],
}
DurationValue = Annotated[
    float,
    PlainValidator(parse_duration),
    WithJsonSchema(
        {"anyOf": [_seconds_schema, _duration_string], "description": DURATION_HELP},
        mode="validation",
    ),
]
GapValue = Annotated[
    float,
    PlainValidator(parse_gap),
    WithJsonSchema(
        {
            "anyOf": [_gap_seconds_schema, _duration_string],
            "description": DURATION_HELP + "; 0 leaves the step out",
        },
        mode="validation",
    ),
]
# What parse_count accepts: "3", "2-3", "2 – 3", "2 to 3".
_COUNT_PATTERN = r"^\s*[0-9]+(\s*[-–—]\s*[0-9]+|\s+to\s+[0-9]+)?\s*$"
CountValue = Annotated[
    Span,
    PlainValidator(parse_count),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": MAX_COUNT},
                {"type": "string", "pattern": _COUNT_PATTERN},
            ],
            "description": 'a whole number from 1 to 100, or a range such as "2-3"',
        },
        mode="validation",
    ),
]
HoldValue = Annotated[
    Hold,
    PlainValidator(parse_hold),
    WithJsonSchema(
        {
            "anyOf": [
                _seconds_schema,
                {"type": "string", "examples": ["30s", "1m30s", "10 breaths", "10-30s"]},
            ],
            "description": HOLD_HELP,
        },
        mode="validation",
    ),
]


# --------------------------------------------------------------------------- models


def _no_items() -> list[Any]:
    """An empty list, a field's default (as ``list`` would give, see the module's docstring)."""
    return []


class _Model(BaseModel):
    # defer_build: a model's validator is built when it is first used, not when the module is
    # imported. Only Routine's is needed to read a file (its schema takes in the others).
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=False, defer_build=True
    )


class Source(_Model):
    """Where a routine comes from: cite it so that the user can check the numbers."""

    title: Name = Field(description="Title of the article, leaflet or programme")
    publisher: Name | None = Field(None, description="Clinic, publisher or author")
    author: Name | None = None
    url: Text | None = Field(None, description="Where to find it")
    note: Text | None = Field(None, description="How the routine was transcribed")


class TempoNames(_Model):
    """What each tempo part is called when it is announced, in the exercise's own words."""

    lift: Name | None = Field(None, description='e.g. "knees to the right"')
    hold: Name | None = Field(None, description='e.g. "hold"')
    lower: Name | None = Field(None, description='e.g. "back to the middle"')
    pause: Name | None = Field(None, description='e.g. "breathe in"')


class Tempo(_Model):
    """The timing of one counted rep, e.g. bridges: lift 2 s, hold 1 s, lower 2 s."""

    lift: GapValue = 0.0
    hold: GapValue = 0.0
    lower: GapValue = 0.0
    pause: GapValue = 0.0
    names: TempoNames | None = Field(
        None,
        description="What each part is called when it is announced (default: lift, hold, "
        'lower, pause), e.g. { lift = "knees to the right", lower = "back to the middle" }',
    )


class Timing(_Model):
    """Timing fields shared by an exercise and the routine's [defaults]."""

    hold: HoldValue | None = Field(None, description="A timed hold per rep: " + HOLD_HELP)
    tempo: Tempo | None = Field(None, description="A counted rep's timing (lift, hold, lower)")
    user_paced: Annotated[bool, Field(strict=True)] | None = Field(
        None, description="No timer: the step waits for a key (repeat as tolerated)"
    )
    reps: CountValue | None = Field(None, description="Reps per side and set (default 1)")
    sets: CountValue | None = Field(None, description="Sets (default 1)")
    sides: Literal["none", "both"] | None = Field(
        None, description='"both": every set is done on the right and on the left'
    )
    side_order: Literal["sequential", "alternating", "sets_per_side"] | None = Field(
        None,
        description='"sequential": in each set, all reps on one side, then the other; '
        '"alternating": right, left, right, left; '
        '"sets_per_side": every set on one side, then every set on the other',
    )
    first_side: Side | None = Field(None, description="The side done first (default right)")
    rest: GapValue | None = Field(None, description="Rest between reps (default 5s)")
    set_rest: GapValue | None = Field(None, description="Rest between sets (default 30s)")
    switch: GapValue | None = Field(None, description="Time to switch sides (default 5s)")
    breath: DurationValue | None = Field(
        None, description="Length of one breath for holds in breaths (default 5s)"
    )
    get_ready: GapValue | None = Field(
        None, description="Time to get into position before an exercise (default 10s)"
    )
    transition: GapValue | None = Field(
        None, description="Time to move on to the next exercise (default 5s)"
    )


class Defaults(Timing):
    """Routine-wide defaults for every timing field; an exercise's own value wins."""


class SideWords(_Model):
    """What each side means in this exercise, as it is announced ("right leg")."""

    right: Name = Field(description='e.g. "right leg" or "lying on your left side"')
    left: Name = Field(description='e.g. "left leg" or "lying on your right side"')


class Exercise(Timing):
    name: Name = Field(description="The exercise's name, as it is announced")
    position: Name | None = Field(
        None, description='Starting position, e.g. "lie on your back" (announced)'
    )
    target: Text | None = Field(None, description="The muscles or area it works")
    benefit: Text | None = Field(None, description="What it helps with")
    steps: list[StepLine] = Field(
        default_factory=_no_items,
        max_length=MAX_STEPS,
        description="Instructions, one short line each; the first is read aloud",
    )
    caution: Text | None = Field(None, description="A caution shown during the exercise")
    stop_if: Text | None = Field(
        None, description="When to stop, e.g. pain in the front of the hip"
    )
    note: Text | None = Field(None, description="A remark, e.g. where a number was chosen")
    side_words: SideWords | None = Field(
        None,
        description="How the sides are named when announced (default: right side, left side)",
    )


def _no_defaults() -> Defaults:
    """No routine-wide defaults (as ``Defaults`` itself would give)."""
    return Defaults()


class Routine(_Model):
    name: Name = Field(description="The routine's name")
    description: Text | None = None
    source: Source | None = Field(None, description="Where the routine comes from")
    cautions: list[Text] = Field(default_factory=_no_items, max_length=MAX_STEPS)
    defaults: Defaults = Field(default_factory=_no_defaults)
    exercises: list[Exercise] = Field(min_length=1, max_length=MAX_EXERCISES)


# ------------------------------------------------------------------------ validating

#: The data type each model gives.
_PLAIN: dict[type[BaseModel], type] = {
    Source: routine.Source,
    TempoNames: routine.TempoNames,
    Tempo: routine.Tempo,
    Timing: routine.Timing,
    Defaults: routine.Defaults,
    SideWords: routine.SideWords,
    Exercise: routine.Exercise,
    Routine: routine.Routine,
}


def plain(value: Any) -> Any:
    """A validated model as its data type (lists and nested models too)."""
    if isinstance(value, BaseModel):
        fields = {name: plain(item) for name, item in value.__dict__.items()}
        return _PLAIN[type(value)](**fields)
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def validate_routine(data: Any) -> routine.Routine:
    """A routine from parsed TOML ``data``; raises ``ValidationError`` (every error) if it is
    not valid. Cross-field rules are :func:`backtimer.core.routine.semantic_issues`."""
    result: routine.Routine = plain(Routine.model_validate(data))
    return result


def validate_defaults(data: Any) -> routine.Defaults:
    """A routine's ``[defaults]`` table alone; raises ``ValidationError``."""
    result: routine.Defaults = plain(Defaults.model_validate(data))
    return result


def validate_exercise(data: Any) -> routine.Exercise:
    """One ``[[exercises]]`` table alone; raises ``ValidationError``."""
    result: routine.Exercise = plain(Exercise.model_validate(data))
    return result


# ------------------------------------------------------------------------ JSON Schema


def routine_json_schema() -> dict[str, Any]:
    schema = Routine.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "backtimer routine"
    return schema
