"""The JSON Schema of a routine file, generated from the pydantic models."""

from __future__ import annotations

from typing import Any

from backtimer.core.routine import Routine

SCHEMA_ID = "https://backtimer.invalid/routine.schema.json"


def routine_json_schema() -> dict[str, Any]:
    schema = Routine.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "backtimer routine"
    return schema
