"""The routine's data types (plain dataclasses in ``core.routine``) and the pydantic models
that validate a file into them (``core.schema``) say the same thing, class by class; the JSON
Schema built from the models stays as published."""

from __future__ import annotations

import dataclasses
import json
import types
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from backtimer.core import routine, schema

PUBLISHED = Path(__file__).with_name("routine.schema.json")

#: Every model of the schema and the data type it gives.
PAIRS = [
    (schema.Source, routine.Source),
    (schema.TempoNames, routine.TempoNames),
    (schema.Tempo, routine.Tempo),
    (schema.Timing, routine.Timing),
    (schema.Defaults, routine.Defaults),
    (schema.SideWords, routine.SideWords),
    (schema.Exercise, routine.Exercise),
    (schema.Routine, routine.Routine),
]

MISSING = object()  # a required field


def model_defaults(model: type[BaseModel]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if info.default_factory is not None:
            out[name] = plain_default(info.default_factory())  # type: ignore[call-arg]
        elif info.default is PydanticUndefined:
            out[name] = MISSING
        else:
            out[name] = info.default
    return out


def plain_default(value: Any) -> Any:
    return schema.plain(value) if isinstance(value, BaseModel) else value


def dataclass_defaults(cls: type) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        if field.default_factory is not dataclasses.MISSING:
            out[field.name] = field.default_factory()
        elif field.default is dataclasses.MISSING:
            out[field.name] = MISSING
        else:
            out[field.name] = field.default
    return out


def test_nothing_makes_the_first_build_slow() -> None:
    """What the first build of the models (at a first start) is kept free of, without timing
    it: annotations as strings for pydantic to evaluate, and default factories whose
    signature is costly to read (a builtin's is parsed from its text, a model's is made)."""
    for model, _ in PAIRS:
        assert not any(isinstance(a, str) for a in vars(model).get("__annotations__", {}).values())
        for name, info in model.model_fields.items():
            factory = info.default_factory
            assert factory is None or isinstance(factory, types.FunctionType), (model, name)
    first, second = (
        schema.validate_routine({"exercises": [{"name": "E"}], "name": "R"}) for _ in "ab"
    )
    assert (
        first.defaults == routine.Defaults()
        and first.cautions == []
        and first.exercises[0].steps == []
    )
    assert first.cautions is not second.cautions  # a new list each time, as list() gave


def test_every_model_of_the_schema_has_its_data_type() -> None:
    models = {
        value
        for value in vars(schema).values()
        if isinstance(value, type) and issubclass(value, BaseModel) and value is not BaseModel
    }
    assert models - {schema._Model} == {model for model, _ in PAIRS}
    assert dict(PAIRS) == schema._PLAIN


@pytest.mark.parametrize(("model", "plain"), PAIRS, ids=[m.__name__ for m, _ in PAIRS])
def test_same_names_fields_and_defaults(model: type[BaseModel], plain: type) -> None:
    assert model.__name__ == plain.__name__
    assert list(model.model_fields) == [f.name for f in dataclasses.fields(plain)]
    assert model_defaults(model) == dataclass_defaults(plain)
    assert model.__doc__ is None or model.__doc__ == plain.__doc__


@pytest.mark.parametrize(("model", "plain"), PAIRS, ids=[m.__name__ for m, _ in PAIRS])
def test_the_same_inheritance(model: type[BaseModel], plain: type) -> None:
    """Defaults is a Timing, Exercise is a Timing: in both families."""
    for other_model, other_plain in PAIRS:
        assert issubclass(model, other_model) == issubclass(plain, other_plain)


def test_a_validated_routine_is_plain_data() -> None:
    data = {
        "name": "R",
        "source": {"title": "T"},
        "defaults": {"rest": "3s"},
        "exercises": [
            {
                "name": "A",
                "hold": "10-20s",
                "steps": ["one"],
                "side_words": {"right": "r", "left": "l"},
            },
            {"name": "B", "tempo": {"lift": 2, "lower": 2, "names": {"lift": "up"}}, "reps": "2-3"},
        ],
    }
    made = schema.validate_routine(data)
    assert type(made) is routine.Routine

    def walk(value: Any) -> None:
        assert not isinstance(value, BaseModel), value
        if dataclasses.is_dataclass(value):
            for field in dataclasses.fields(value):
                walk(getattr(value, field.name))
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(made)
    assert type(made.exercises[1].tempo) is routine.Tempo
    assert made.exercises[1].tempo.describe() == "up 2 seconds, lower 2 seconds"
    assert made.defaults == routine.Defaults(rest=3.0)
    assert made.source == routine.Source(title="T")
    assert made.exercises[0].hold == routine.Hold(routine.Span(10.0, 20.0), "seconds")
    assert made == schema.validate_routine(data)  # equal by value


def test_the_json_schema_is_as_published(capsys: pytest.CaptureFixture[str]) -> None:
    """``backtimer schema`` prints, byte for byte, the schema in routine.schema.json (a change
    to the schema is deliberate: write the new one there)."""
    from backtimer.cli.main import main

    assert main(["schema"]) == 0
    assert capsys.readouterr().out == PUBLISHED.read_text(encoding="utf-8")
    assert json.loads(PUBLISHED.read_text(encoding="utf-8")) == json.loads(
        json.dumps(schema.routine_json_schema())
    )
