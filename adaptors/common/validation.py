"""Validation: checking data against a JSON Schema, collecting errors on state."""

from __future__ import annotations

import re
from typing import Any, Callable

from . import jsonpath
from ._js import js_falsy
from .references import expand_references

__all__ = ["validate"]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")  # what JavaScript's `new URL()` accepts
_VALIDATORS: dict[str, Any] = {}
_MAX_VALIDATORS = 64
FETCH_TIMEOUT = 30


class SchemaLoadError(ValueError):
    """The schema could not be found, fetched or used."""

    fix = ("Pass the schema as a dict, a JSONPath to it in state (default \"schema\", "
           "i.e. state[\"schema\"]) or an http(s):// or file:// URL serving JSON.")


def _fetch(url: str) -> Any:
    scheme = url.split(":", 1)[0].lower()
    try:
        if scheme == "file":
            import json
            from urllib.parse import urlsplit
            from urllib.request import url2pathname

            with open(url2pathname(urlsplit(url).path), encoding="utf-8") as handle:
                return json.load(handle)
        if scheme in ("http", "https"):
            import urllib3

            response = urllib3.request("GET", url, timeout=FETCH_TIMEOUT, retries=False)
            if response.status >= 400:
                raise ValueError(f"{response.status} {response.reason} for url: {url}")
            return response.json()
    except Exception as error:  # any failure to load is reported the same way
        raise SchemaLoadError(f"validate could not load the schema from {url}: {error}") from error
    raise SchemaLoadError(f"validate cannot load a schema from a {scheme}: URL ({url})")


def _resolve_schema(state: dict, schema: Any) -> Any:
    resolved = expand_references(state, schema)
    if isinstance(resolved, str):
        found = _fetch(resolved) if _URL.match(resolved) else jsonpath.first(state, resolved)
    else:
        found = resolved
    if not isinstance(found, (dict, bool)):
        raise SchemaLoadError(f"validate needs a JSON schema (a dict); {schema!r} gave {found!r}")
    return found


def _validator(schema: Any) -> Any:
    """A compiled validator for ``schema``, cached by the schema's content."""
    import json

    key = json.dumps(schema, sort_keys=True, default=str)
    validator = _VALIDATORS.get(key)
    if validator is None:
        from jsonschema import Draft7Validator
        from jsonschema.validators import validator_for

        cls = validator_for(schema, default=Draft7Validator)
        cls.check_schema(schema)
        validator = cls(schema)
        if len(_VALIDATORS) >= _MAX_VALIDATORS:
            _VALIDATORS.pop(next(iter(_VALIDATORS)))
        _VALIDATORS[key] = validator
    return validator


def validate(schema: Any = "schema", data: Any = "data") -> Callable[[dict], dict]:
    """Validate data against a JSON Schema, collecting errors in ``state["validationErrors"]``.

    Invalid data never raises: when validation fails,
    ``{"data": state["data"], "errors": [...]}`` is appended to
    ``state["validationErrors"]`` (created when missing) and the state goes on.
    Errors are written as AJV writes them (``instancePath``, ``schemaPath``,
    ``keyword``, ``params``, ``message``). The draft follows the schema's
    ``$schema`` (2019-09, 2020-12, ...), draft-07 by default. As in OpenFn the
    state is updated in place.

    Args:
        schema: the schema as a dict, a JSONPath to it in state (default
            ``"schema"``, i.e. ``state["schema"]``) or an ``http(s)://`` URL to
            fetch it from; may be lazy.
        data: the data as a value, or a JSONPath to it in state (default
            ``"data"``); may be lazy.

    Returns:
        The operation.

    Raises:
        SchemaLoadError: (a ``ValueError``) the schema cannot be found or fetched.
        jsonschema.SchemaError: the schema itself is malformed.

    Example:
        each("$.data.records[*]", validate("https://example.com/schemas/record.json"))

    Differences from OpenFn:
        Every error is reported (AJV stops at the first one by default), and
        ``format`` is not enforced. Compiled schemas are cached by their content,
        so two different schemas without ``$id`` no longer collide (OpenFn caches
        them both under ``"schema"`` and reuses the first). A schema that cannot
        be fetched raises a clear error; ``file://`` URLs are also read.
    """

    def run_validate(state: dict) -> dict:
        if js_falsy(state.get("validationErrors")):
            state["validationErrors"] = []
        value = expand_references(state, data)
        if isinstance(value, str):
            value = jsonpath.first(state, value)
        errors = list(_validator(_resolve_schema(state, schema)).iter_errors(value))
        if errors:
            from .schema_errors import ajv_errors

            state["validationErrors"].append({"data": state.get("data"), "errors": ajv_errors(errors)})
        return state

    return run_validate
