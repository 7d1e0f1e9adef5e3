"""A step's configuration against its adaptor's ``CONFIGURATION_SCHEMA``, every problem named.

At run time (:func:`schema_problems`) the JSON Schema decides. ``pyfn validate`` adds
:func:`unknown_key_problems` — a key the schema does not know but that is close to one it
does (``acess_token``) — and reads values still holding an unresolved ``${VAR}`` as valid, so
a workflow is checked without its secrets.

Example:
    >>> schema = {"type": "object", "required": ["baseUrl"], "properties": {
    ...     "baseUrl": {"type": "string", "pattern": "^https?://"}, "access_token": {"type": "string"}}}
    >>> configuration_problems({"acess_token": "${TOKEN}"}, schema, placeholders=True)
    ["configuration: 'baseUrl' is a required property", "configuration.acess_token: unknown key (did you mean 'access_token'?)"]
"""

from __future__ import annotations

import re
from typing import Any

from runtime.schema_quick import plainly_valid

__all__ = ["configuration_problems", "schema_problems", "unknown_key_problems"]

_PLACEHOLDER = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


def configuration_problems(configuration: Any, schema: dict | None, placeholders: bool = False) -> list[str]:
    """Schema problems, then keys that look misspelt; ``placeholders``: a ``${VAR}`` value is fine."""
    if not schema:
        return []
    return [*schema_problems(configuration, schema, placeholders), *unknown_key_problems(configuration, schema)]


def schema_problems(configuration: Any, schema: dict, placeholders: bool = False) -> list[str]:
    """What JSON Schema finds wrong, as ``configuration.key: message``, sorted."""
    if plainly_valid(configuration or {}, schema):
        return []  # proved without loading jsonschema, the largest part of an http job's start
    import jsonschema  # only steps whose adaptor publishes a schema pay for it

    problems = []
    for problem in sorted(jsonschema.Draft7Validator(schema).iter_errors(configuration or {}), key=str):
        if placeholders and isinstance(problem.instance, str) and _PLACEHOLDER.search(problem.instance):
            continue  # resolved from the environment when the step runs
        where = ".".join(["configuration", *map(str, problem.absolute_path)])
        problems.append(f"{where}: {problem.message}")
    return problems


def unknown_key_problems(configuration: Any, schema: dict) -> list[str]:
    """Keys the schema does not list that are close to one it does: a misspelling, not an extra."""
    known = list(schema.get("properties", {}))
    if not isinstance(configuration, dict):
        return []
    import difflib  # only when a configuration is checked: not on a job's cold start

    problems = []
    for key in configuration:
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.8) if key not in known else []
        if close:
            problems.append(f"configuration.{key}: unknown key (did you mean '{close[0]}'?)")
    return problems
