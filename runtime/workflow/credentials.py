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
from runtime.textfile import read_text
from runtime.workflow.yaml_lines import load_marked

__all__ = ["CredentialProblem", "PendingSecrets", "load_credential_map", "resolve_configuration", "substitute_env"]

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_FILE_SUFFIXES = (".json", ".yaml", ".yml")


class CredentialProblem(Exception):
    """A credential that cannot be resolved; the message says which and why."""


class PendingSecrets(dict):
    """A step's configuration whose ``${VAR}`` references are not all set: they stay as written.

    ``missing_secrets`` names the variables; the step fails with them when it runs, so a
    run needs only the secrets of the steps it runs (``pyfn execute --only``, ``pyfn validate``).
    """

    missing_secrets: list[str]


def substitute_env(value: Any, environ: dict[str, str] | None = None, found: dict[str, str] | None = None,
                   missing: list[str] | None = None) -> Any:
    """Replace ``${NAME}`` in every string of ``value`` with the environment variable NAME.

    The variables used are added to ``found`` (name → value): their values are secrets (see
    ``runtime.secrets``), and they are all a run's process may see of the environment.
    An unset variable is a :class:`CredentialProblem`, unless ``missing`` is given: then its
    name is appended there and the reference is kept as written.

    Example:
        >>> found, unset = {}, []
        >>> substitute_env({"apiKey": "${KEY}", "pin": "${NOPE_X}"}, {"KEY": "k-123"}, found, unset), found, unset
        ({'apiKey': 'k-123', 'pin': '${NOPE_X}'}, {'KEY': 'k-123'}, ['NOPE_X'])
    """
    environ = os.environ if environ is None else environ
    if isinstance(value, str):
        names = _ENV.findall(value)
        unset = [name for name in names if name not in environ]
        if unset and missing is None:
            raise CredentialProblem(f"environment variable {unset[0]} is not set")
        if missing is not None:
            missing.extend(name for name in unset if name not in missing)
        if found is not None:
            found.update((name, environ[name]) for name in names if name in environ)
        return _ENV.sub(lambda m: environ.get(m.group(1), m.group(0)), value)
    if isinstance(value, dict):
        return {k: substitute_env(v, environ, found, missing) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute_env(v, environ, found, missing) for v in value]
    return value


def read_config_file(path: Path) -> Any:
    """A JSON or YAML file of configuration (or of a credential map)."""
    try:
        text = read_text(path, "file")
    except OSError as exc:
        raise CredentialProblem(f"cannot read {path}: {exc.strerror or exc}") from None
    except UsageError as exc:
        raise CredentialProblem(exc.message) from None
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
                          found: dict[str, str] | None = None, require_secrets: bool = True) -> dict | None:
    """A step's configuration from a credential name, a file path or a mapping, ``${ENV}`` applied.

    The ``${ENV}`` variables used are added to ``found`` (name → value). Without
    ``require_secrets``, unset variables give a :class:`PendingSecrets` instead of a problem.
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
    if require_secrets:
        return substitute_env(dict(value), found=found)
    missing: list[str] = []
    resolved = substitute_env(dict(value), found=found, missing=missing)
    if not missing:
        return resolved
    pending = PendingSecrets(resolved)
    pending.missing_secrets = missing
    return pending
