"""A webhook trigger's ``auth:`` → :class:`WebhookAuth`, its secrets resolved from the credential map.

```yaml
credentials:
  forwarding-basic: {username: commcare, password: "${FORWARDING_PASSWORD}"}
triggers:
  - type: webhook
    auth: {type: basic, credential: forwarding-basic}   # or {type: api_key, credential: ...}
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from runtime.workflow.credentials import CredentialProblem, substitute_env
from runtime.workflow.yaml_lines import line_of

__all__ = ["WebhookAuth", "parse_auth", "AUTH_FIELDS", "AUTH_KEYS"]

AUTH_KEYS = {"type", "credential"}
AUTH_FIELDS = {"basic": ("username", "password"), "api_key": ("api_key",)}

Add = Callable[[Any, str], None]  # adds a problem: (line, message)


@dataclass
class WebhookAuth:
    """How a webhook checks its caller, with the secrets resolved from the credential map.

    ``type`` is ``basic`` (``username`` and ``password``) or ``api_key`` (the
    ``x-api-key`` header holds ``api_key``). The secrets never appear in a repr.

    Example:
        >>> WebhookAuth("api_key", "forwarding-key", api_key="k-123")
        WebhookAuth(type='api_key', credential='forwarding-key')
    """

    type: str
    credential: str
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)


def parse_auth(raw: Any, credentials: dict | None, add: Add, require_secrets: bool = True) -> WebhookAuth | None:
    """The ``auth:`` of the trigger mapping ``raw``, or None (no auth, or a problem added with its line).

    Without ``require_secrets`` (nothing is served) a credential's ``${VAR}`` need not be set.

    Example:
        >>> problems = []
        >>> parse_auth({"auth": {"type": "api_key", "credential": "key"}}, {"key": {"api_key": "k-1"}},
        ...            lambda line, message: problems.append(message))
        WebhookAuth(type='api_key', credential='key')
        >>> parse_auth({"auth": {"type": "basic", "credential": "nope"}}, {},
        ...            lambda line, message: problems.append(message)), problems
        (None, ["auth credential 'nope' is not defined (the credential map has: none)"])
    """
    spec = raw.get("auth")
    if spec is None:
        return None
    line = line_of(raw, "auth")
    if not isinstance(spec, dict):
        add(line, "auth must be a mapping {type: basic|api_key, credential: NAME}")
        return None
    for key in spec:
        if key not in AUTH_KEYS:
            add(line_of(spec, key), f"unknown key '{key}' in auth (expected type, credential)")
    kind = spec.get("type")
    if kind not in AUTH_FIELDS:
        add(line_of(spec, "type") or line, f"auth type must be basic or api_key, not {kind!r}")
        return None
    name = spec.get("credential")
    if not isinstance(name, str) or not name:
        add(line_of(spec, "credential") or line, f"auth needs credential: the name of a {kind} "
                                                 f"credential in the workflow's credential map")
        return None
    values = _credential(name, kind, credentials, line_of(spec, "credential") or line, add, require_secrets)
    return WebhookAuth(kind, name, **values) if values is not None else None


def _credential(name: str, kind: str, credentials: dict | None, line: int | None, add: Add,
                require_secrets: bool) -> dict | None:
    if credentials is None or name not in credentials:
        where = "the workflow has no credential map (add credentials:)" if credentials is None \
            else f"the credential map has: {', '.join(sorted(credentials)) or 'none'}"
        add(line, f"auth credential '{name}' is not defined ({where})")
        return None
    try:
        values = substitute_env(dict(credentials[name]), missing=None if require_secrets else [])
    except CredentialProblem as problem:
        add(line, f"auth credential '{name}': {problem}")
        return None
    fields = AUTH_FIELDS[kind]
    missing = [f for f in fields if not isinstance(values.get(f), str) or not values.get(f)]
    if missing:
        add(line, f"auth credential '{name}' must give {' and '.join(fields)} for {kind} auth "
                  f"(missing or empty: {', '.join(missing)})")
        return None
    return {f: values[f] for f in fields}
