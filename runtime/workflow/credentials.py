"""Credentials: a map of named configurations, files of configuration, and ``${ENV}`` values.

A step's ``configuration`` is a credential name from the workflow's credential
map, a path to a JSON/YAML file (relative to the workflow), or an inline
mapping. Any string value may reference environment variables
(``apiKey: ${COMMCARE_API_KEY}``), so secrets stay out of files and git.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from runtime.errors import UsageError
from runtime.workflow.yaml_lines import load_marked

__all__ = ["CredentialProblem", "load_credential_map", "resolve_configuration", "substitute_env"]

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_FILE_SUFFIXES = (".json", ".yaml", ".yml")


class CredentialProblem(Exception):
    """A credential that cannot be resolved; the message says which and why."""


def substitute_env(value: Any, environ: dict[str, str] | None = None,
                   found: set[str] | None = None) -> Any:
    """Replace ``${NAME}`` in every string of ``value`` with the environment variable NAME.

    The values substituted are secrets (see ``runtime.secrets``): they are added to ``found``.

    Example:
        >>> found = set()
        >>> substitute_env({"apiKey": "${KEY}"}, {"KEY": "k-123"}, found), found
        ({'apiKey': 'k-123'}, {'k-123'})
    """
    environ = os.environ if environ is None else environ
    if isinstance(value, str):
        names = _ENV.findall(value)
        missing = [name for name in names if name not in environ]
        if missing:
            raise CredentialProblem(f"environment variable {missing[0]} is not set")
        if found is not None:
            found.update(environ[name] for name in names)
        return _ENV.sub(lambda m: environ[m.group(1)], value)
    if isinstance(value, dict):
        return {k: substitute_env(v, environ, found) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute_env(v, environ, found) for v in value]
    return value


def read_config_file(path: Path) -> Any:
    """A JSON or YAML file of configuration (or of a credential map)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CredentialProblem(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return load_marked(text, str(path))
    except UsageError as exc:
        raise CredentialProblem(exc.message) from None


def load_credential_map(ref: Any, base_dir: Path) -> dict[str, Any]:
    """The credential map ``{name: configuration}`` from a path or an inline mapping."""
    value = read_config_file(base_dir / ref) if isinstance(ref, str) else ref
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise CredentialProblem("a credential map must map names to configuration mappings")
    return value


def resolve_configuration(value: Any, credentials: dict[str, Any] | None, base_dir: Path,
                          found: set[str] | None = None) -> dict | None:
    """A step's configuration from a credential name, a file path or a mapping, ``${ENV}`` applied.

    The ``${ENV}`` values used are added to ``found`` (they are secrets).
    """
    if value is None:
        return None
    if isinstance(value, str):
        if credentials is not None and value in credentials:
            value = credentials[value]
        elif value.endswith(_FILE_SUFFIXES) or (base_dir / value).is_file():
            value = read_config_file(base_dir / value)
        elif credentials is None:
            raise CredentialProblem(f"credential '{value}' is not defined: the workflow has no "
                                    f"credential map (add credentials: or --credentials)")
        else:
            known = ", ".join(sorted(credentials)) or "none"
            raise CredentialProblem(f"credential '{value}' is not in the credential map "
                                    f"(it has: {known})")
    if not isinstance(value, dict):
        raise CredentialProblem("configuration must be a mapping, a credential name or a file path")
    return substitute_env(dict(value), found=found)
