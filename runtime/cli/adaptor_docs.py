"""What ``pyfn docs`` prints: every adaptor at a glance, and an adaptor's configuration schema.

Example:
    >>> schema = {"required": ["hostUrl"], "properties": {
    ...     "hostUrl": {"type": "string", "examples": ["https://hq.example"]},
    ...     "apiKey": {"type": "string", "writeOnly": True}}, "then": {"required": ["apiKey"]}}
    >>> print(example_credentials("commcare", schema))
    commcare-prod:
      hostUrl: https://hq.example
      apiKey: ${COMMCARE_API_KEY}
"""

from __future__ import annotations

import inspect
import json
import re
import textwrap

import adaptors
from runtime.linker import public_names

__all__ = ["all_adaptors_summary", "schema_text", "example_credentials"]


def all_adaptors_summary() -> str:
    """Each adaptor with its operations, one line each, as ``pyfn docs`` prints them."""
    lines = []
    for name in sorted(adaptors.ADAPTORS):
        module = adaptors.load(name)
        summary = (inspect.getdoc(module) or "").split("\n", 1)[0].replace("``", "")
        lines += [f"{name}: {summary}", *textwrap.wrap(", ".join(public_names(module)), 96,
                                                       initial_indent="  ", subsequent_indent="  "), ""]
    lines += ["Run 'pyfn docs ADAPTOR' for its operations with a line each, 'pyfn docs ADAPTOR OPERATION' "
              "for one in full,", "and 'pyfn docs ADAPTOR --schema' for its configuration."]
    return "\n".join(lines)


def schema_text(name: str, schema: dict | None) -> str:
    """An adaptor's configuration schema as a table of keys, then an example credentials entry."""
    if not schema:
        return f"The {name} adaptor takes no configuration (state.configuration is not read)."
    required = set(schema.get("required", ()))
    properties = schema.get("properties", {})
    width = max(map(len, properties), default=0)
    lines = [f"Configuration of the {name} adaptor (state.configuration; a credential of a workflow):", ""]
    if schema.get("description"):
        lines += [*textwrap.wrap(schema["description"], 96), ""]
    for key, spec in properties.items():
        kind = spec.get("type", "any")
        kind = " or ".join(kind) if isinstance(kind, list) else kind
        flags = ", ".join(f for f in ("required" if key in required else "",
                                      "secret" if spec.get("writeOnly") else "") if f)
        lines.append(f"  {key.ljust(width)}  {kind}{f' ({flags})' if flags else ''}")
        lines += textwrap.wrap(spec.get("description", ""), 92, initial_indent=" " * (width + 4),
                               subsequent_indent=" " * (width + 4))
    lines += ["", "Example credentials entry (credentials.yaml; ${VAR} reads the environment variable VAR):",
              "", textwrap.indent(example_credentials(name, schema), "  ")]
    return "\n".join(lines)


def example_credentials(name: str, schema: dict) -> str:
    """A credential-map entry with the keys a configuration needs: examples, and ``${VAR}`` for secrets."""
    properties = schema.get("properties", {})
    keys = [*schema.get("required", ()), *(k for k, v in properties.items() if v.get("examples"))]
    for key in list(keys):
        keys += schema.get("dependencies", {}).get(key, [])
    keys += schema.get("then", {}).get("required", [])
    lines = [f"{name}-prod:"]
    for key in dict.fromkeys(keys):
        spec = properties.get(key, {})
        if spec.get("writeOnly"):
            value = "${" + f"{name}_{re.sub(r'(?<!^)(?=[A-Z])', '_', key)}".upper() + "}"
        elif spec.get("examples"):
            value = json.dumps(spec["examples"][0]).strip('"')
        else:
            value = f"<{key}>"
        lines.append(f"  {key}: {value}")
    return "\n".join(lines)
