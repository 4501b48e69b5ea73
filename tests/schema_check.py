"""A small JSON Schema (2020-12) validator for the keywords the routine schema uses, shared by
the schema tests of ``backtimer schema`` (tests/cli) and the loader's fuzzing (tests/files)."""

from __future__ import annotations

import re
from typing import Any


def schema_errors(
    value: Any, schema: dict[str, Any], root: dict[str, Any], at: str = ""
) -> list[str]:
    """A small JSON Schema (2020-12) validator for the keywords the routine schema uses.

    The ``jsonschema`` package is not a dependency; any keyword this does not know fails the
    test that walks the schema, so the checks below cannot pass by ignoring a rule.
    """
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        return schema_errors(value, root["$defs"][name], root, at)
    errors: list[str] = []
    if "anyOf" in schema and all(schema_errors(value, s, root, at) for s in schema["anyOf"]):
        errors.append(f"{at}: matches none of anyOf")
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        checks = {
            "object": isinstance(value, dict),
            "array": isinstance(value, list),
            "string": isinstance(value, str),
            "boolean": isinstance(value, bool),
            "null": value is None,
            "number": isinstance(value, int | float) and not isinstance(value, bool),
            "integer": isinstance(value, int | float)
            and not isinstance(value, bool)
            and float(value).is_integer(),
        }
        if not any(checks[k] for k in kinds):
            return [*errors, f"{at}: not of type {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{at}: not one of {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{at}: not {schema['const']!r}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and not value >= schema["minimum"]:
            errors.append(f"{at}: below minimum")
        if "maximum" in schema and not value <= schema["maximum"]:
            errors.append(f"{at}: above maximum")
        if "exclusiveMinimum" in schema and not value > schema["exclusiveMinimum"]:
            errors.append(f"{at}: not above exclusiveMinimum")
        if "exclusiveMaximum" in schema and not value < schema["exclusiveMaximum"]:
            errors.append(f"{at}: not below exclusiveMaximum")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{at}: does not match {schema['pattern']}")
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 1e9):
            errors.append(f"{at}: wrong length")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", 1e9):
            errors.append(f"{at}: wrong number of items")
        if "items" in schema:
            for i, item in enumerate(value):
                errors += schema_errors(item, schema["items"], root, f"{at}[{i}]")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{at}.{key}: required")
        for key, item in value.items():
            if key in properties:
                errors += schema_errors(item, properties[key], root, f"{at}.{key}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{at}.{key}: not allowed")
    return errors
