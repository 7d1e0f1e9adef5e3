"""Schema errors: jsonschema's errors written the way AJV (OpenFn's validator) writes them.

Each error is ``{"instancePath", "schemaPath", "keyword", "params", "message"}``,
e.g. ``{"instancePath": "/age", "schemaPath": "#/properties/age/type",
"keyword": "type", "params": {"type": "integer"}, "message": "must be integer"}``.
Keywords AJV words differently from jsonschema fall back to jsonschema's message.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

__all__ = ["ajv_errors"]

_LIMITS = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
_COUNTS = {"minLength": ("fewer", "characters"), "maxLength": ("more", "characters"),
           "minItems": ("fewer", "items"), "maxItems": ("more", "items"),
           "minProperties": ("fewer", "properties"), "maxProperties": ("more", "properties")}


def _pointer(parts: Any) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def _params_and_message(keyword: str, value: Any) -> tuple[dict, str] | None:
    """AJV's ``params`` and ``message`` for a keyword whose schema value is ``value``."""
    if keyword == "type":
        joined = ",".join(value) if isinstance(value, list) else value
        return {"type": joined}, f"must be {joined}"
    if keyword in _LIMITS:
        return ({"comparison": _LIMITS[keyword], "limit": value},
                f"must be {_LIMITS[keyword]} {value}")
    if keyword in _COUNTS:
        more_or_fewer, unit = _COUNTS[keyword]
        return {"limit": value}, f"must NOT have {more_or_fewer} than {value} {unit}"
    simple = {
        "enum": ({"allowedValues": value}, "must be equal to one of the allowed values"),
        "const": ({"allowedValue": value}, "must be equal to constant"),
        "pattern": ({"pattern": value}, f'must match pattern "{value}"'),
        "format": ({"format": value}, f'must match format "{value}"'),
        "multipleOf": ({"multipleOf": value}, f"must be multiple of {value}"),
        "anyOf": ({}, "must match a schema in anyOf"),
        "oneOf": ({"passingSchemas": None}, "must match exactly one schema in oneOf"),
        "not": ({}, "must NOT be valid"),
        "false schema": ({}, "boolean schema is false"),
    }
    return simple.get(keyword)


def _additional(error: Any) -> list[str]:
    """The property names an ``additionalProperties`` error is about (AJV reports each one)."""
    known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
    patterns = error.schema.get("patternProperties", {}) if isinstance(error.schema, dict) else {}
    instance = error.instance if isinstance(error.instance, dict) else {}
    return [key for key in instance
            if key not in known and not any(re.search(pattern, key) for pattern in patterns)]


def _missing_property(message: str) -> str:
    """jsonschema writes ``repr(name) + " is a required property"``; read the name back."""
    import ast

    text = message.rsplit(" is a required property", 1)[0]
    try:
        return str(ast.literal_eval(text))
    except (ValueError, SyntaxError):
        return text


def _convert(error: Any) -> Iterator[dict]:
    base = {"instancePath": _pointer(error.absolute_path),
            "schemaPath": "#" + _pointer(error.absolute_schema_path),
            "keyword": error.validator}
    if error.validator == "required":
        name = _missing_property(error.message)
        yield {**base, "params": {"missingProperty": name},
               "message": f"must have required property '{name}'"}
    elif error.validator == "additionalProperties" and error.validator_value is False:
        for key in _additional(error) or [None]:
            yield {**base, "params": {"additionalProperty": key},
                   "message": "must NOT have additional properties"}
    else:
        known = _params_and_message(error.validator, error.validator_value)
        params, message = known if known else ({}, error.message)
        yield {**base, "params": params, "message": message}


def ajv_errors(errors: Any) -> list[dict]:
    """Convert jsonschema ``ValidationError`` objects into AJV-style error dicts."""
    return [converted for error in errors for converted in _convert(error)]
