"""A workflow's ``triggers:`` list → validated :class:`~runtime.plan.Trigger` objects.

Only ``webhook`` triggers exist for now; ``pyfn serve`` serves each at
``/i/<path>`` (see ``docs/server.md``). Every problem is reported with its line,
as for steps, and the auth secrets are resolved from the workflow's credential
map (``${ENV}`` applied) when the workflow loads.

```yaml
credentials:
  forwarding-basic: {username: commcare, password: "${FORWARDING_PASSWORD}"}
triggers:
  - type: webhook
    path: commcare-registrations                 # served at /i/commcare-registrations
    auth: {type: basic, credential: forwarding-basic}   # or {type: api_key, credential: ...}
    reply: async                                 # or sync: wait for the run and answer its result
    dedupe: "$.id"                               # JSONPath into the body naming a delivery
    enabled: true                                # false: 403, nothing is accepted
```
"""

from __future__ import annotations

import re
from typing import Any

from .credentials import CredentialProblem, substitute_env
from .marks import line_of
from .plan import Trigger, WebhookAuth
from .validate import Problems

__all__ = ["parse_triggers", "TRIGGER_KEYS", "AUTH_FIELDS", "REPLIES"]

TRIGGER_KEYS = {"id", "name", "description", "type", "path", "auth", "reply", "dedupe", "enabled"}
AUTH_KEYS = {"type", "credential"}
AUTH_FIELDS = {"basic": ("username", "password"), "api_key": ("api_key",)}
REPLIES = {"async": "async", "sync": "sync", "before_start": "async", "after_completion": "sync"}
_PATH = re.compile(r"[A-Za-z0-9._~-]+(?:/[A-Za-z0-9._~-]+)*")


def parse_triggers(doc: Any, credentials: dict | None, problems: Problems, default_path: str) -> list[Trigger]:
    """The triggers of a workflow document, adding a problem (with its line) for each mistake.

    ``default_path`` is the path of a webhook that gives none (the workflow file's stem).

    Example:
        >>> from runtime.validate import Problems
        >>> problems = Problems("wf.yaml")
        >>> doc = {"triggers": [{"type": "webhook", "path": "/forms", "reply": "sync"}]}
        >>> [(t.path, t.reply) for t in parse_triggers(doc, None, problems, "wf")], problems.items
        ([('forms', 'sync')], [])
    """
    raw = doc.get("triggers")
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.add(line_of(doc, "triggers"), "'triggers' must be a list of triggers")
        return []
    triggers: list[Trigger] = []
    for index, item in enumerate(raw):
        trigger = _Parser(problems, credentials, index).trigger(item, default_path)
        if trigger is None:
            continue
        if any(t.path == trigger.path for t in triggers):
            problems.add(line_of(item, "path") or line_of(item), f"duplicate trigger path '{trigger.path}'")
            continue
        triggers.append(trigger)
    return triggers


class _Parser:
    """Parses one trigger, adding its problems."""

    def __init__(self, problems: Problems, credentials: dict | None, index: int):
        self.problems, self.credentials, self.label = problems, credentials, f"trigger {index + 1}"

    def add(self, line: int | None, message: str) -> None:
        self.problems.add(line, f"{self.label}: {message}")

    def trigger(self, raw: Any, default_path: str) -> Trigger | None:
        if not isinstance(raw, dict):
            self.add(None, "a trigger must be a mapping (type: webhook, path: ...)")
            return None
        for key in raw:
            if key not in TRIGGER_KEYS:
                self.add(line_of(raw, key), f"unknown key '{key}' (expected one of: "
                                            f"{', '.join(sorted(TRIGGER_KEYS))})")
        kind = raw.get("type", "webhook")
        if kind != "webhook":
            self.add(line_of(raw, "type"), f"unknown trigger type {kind!r} (expected: webhook)")
            return None
        trigger = Trigger("webhook", self._path(raw, default_path), line=line_of(raw))
        trigger.auth = self._auth(raw)
        trigger.reply = self._reply(raw)
        trigger.dedupe, trigger.dedupe_expr = self._dedupe(raw)
        trigger.enabled = self._enabled(raw)
        return trigger

    def _path(self, raw: Any, default: str) -> str:
        value = raw.get("path", default)
        path = str(value).strip().removeprefix("/").removeprefix("i/") if isinstance(value, str) else ""
        if not _PATH.fullmatch(path):
            self.add(line_of(raw, "path"), f"path {value!r} must be letters, digits, '.', '_', '~', '-' "
                                           f"and '/' between segments (e.g. commcare-registrations)")
        return path

    def _reply(self, raw: Any) -> str:
        value = raw.get("reply", "async")
        if value not in REPLIES:
            self.add(line_of(raw, "reply"), f"reply must be async or sync, not {value!r}")
            return "async"
        return REPLIES[value]

    def _enabled(self, raw: Any) -> bool:
        value = raw.get("enabled", True)
        if not isinstance(value, bool):
            self.add(line_of(raw, "enabled"), f"enabled must be true or false, not {value!r}")
            return True
        return value

    def _dedupe(self, raw: Any) -> tuple[str | None, Any]:
        value = raw.get("dedupe")
        if value is None:
            return None, None
        if not isinstance(value, str) or not value.strip():
            self.add(line_of(raw, "dedupe"), f"dedupe must be a JSONPath string such as \"$.id\", not {value!r}")
            return None, None
        from adaptors.common.jsonpath import JSONPathError, compile_path  # only workflows that dedupe pay

        try:
            return value, compile_path(value)
        except JSONPathError as error:
            self.add(line_of(raw, "dedupe"), f"dedupe: {error}")
            return None, None

    def _auth(self, raw: Any) -> WebhookAuth | None:
        spec = raw.get("auth")
        if spec is None:
            return None
        line = line_of(raw, "auth")
        if not isinstance(spec, dict):
            self.add(line, "auth must be a mapping {type: basic|api_key, credential: NAME}")
            return None
        for key in spec:
            if key not in AUTH_KEYS:
                self.add(line_of(spec, key), f"unknown key '{key}' in auth (expected type, credential)")
        kind = spec.get("type")
        if kind not in AUTH_FIELDS:
            self.add(line_of(spec, "type") or line, f"auth type must be basic or api_key, not {kind!r}")
            return None
        name = spec.get("credential")
        if not isinstance(name, str) or not name:
            self.add(line_of(spec, "credential") or line, f"auth needs credential: the name of a {kind} "
                                                          f"credential in the workflow's credential map")
            return None
        values = self._credential(name, kind, line_of(spec, "credential") or line)
        return WebhookAuth(kind, name, **values) if values is not None else None

    def _credential(self, name: str, kind: str, line: int | None) -> dict | None:
        if self.credentials is None or name not in self.credentials:
            where = "the workflow has no credential map (add credentials:)" if self.credentials is None \
                else f"the credential map has: {', '.join(sorted(self.credentials)) or 'none'}"
            self.add(line, f"auth credential '{name}' is not defined ({where})")
            return None
        try:
            values = substitute_env(dict(self.credentials[name]))
        except CredentialProblem as problem:
            self.add(line, f"auth credential '{name}': {problem}")
            return None
        fields = AUTH_FIELDS[kind]
        missing = [f for f in fields if not isinstance(values.get(f), str) or not values.get(f)]
        if missing:
            self.add(line, f"auth credential '{name}' must give {' and '.join(fields)} for {kind} auth "
                           f"(missing or empty: {', '.join(missing)})")
            return None
        return {f: values[f] for f in fields}
