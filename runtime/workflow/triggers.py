"""A workflow's ``triggers:`` list → validated :class:`WebhookTrigger` and :class:`CronTrigger` objects.

``pyfn serve`` serves each ``webhook`` trigger at ``/i/<path>`` and fires each
``cron`` trigger on its schedule (see ``docs/server.md``). Every problem is
reported with its line, as for steps, and the auth secrets are resolved from
the workflow's credential map (``${ENV}`` applied) when the workflow loads.

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
  - type: cron
    id: nightly                                  # default: cron (cron-2, ... for more)
    schedule: "0 2 * * *"                        # five-field cron (runtime.workflow.cron)
    timezone: Africa/Nairobi                     # an IANA name; UTC by default
    cursor_step: fetch-cases                     # its last successful output is the next input
    # or carry: {cursor: "$.references.cursor"}  # the next input's keys, from the final state (carry.py)
    state: {data: {since: "2024-01-01"}}         # the first run's input ({} by default)
    catch_up: true                               # a schedule missed while down runs once at start
```

A trigger's key (a webhook's path, a cron trigger's id) is unique in its
workflow; ``manual`` is the key of runs started by hand and cannot be used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Collection, Union

from runtime.workflow.carry import parse_carry
from runtime.workflow.cron import CronError, CronSchedule
from runtime.workflow.problems import Problems
from runtime.workflow.webhook_auth import AUTH_FIELDS, WebhookAuth, parse_auth
from runtime.workflow.yaml_lines import line_of

__all__ = ["WebhookAuth", "WebhookTrigger", "CronTrigger", "Trigger", "parse_triggers", "TRIGGER_KEYS", "CRON_KEYS",
           "AUTH_FIELDS", "REPLIES", "MANUAL"]

TRIGGER_KEYS = {"id", "name", "description", "type", "path", "auth", "reply", "dedupe", "enabled"}
CRON_KEYS = {"id", "name", "description", "type", "schedule", "timezone", "cursor_step", "carry", "state",
             "catch_up", "enabled"}
TYPES = ("webhook", "cron")
MANUAL = "manual"  # the trigger key of runs started by hand (pyfn trigger)
REPLIES = {"async": "async", "sync": "sync", "before_start": "async", "after_completion": "sync"}
_PATH = re.compile(r"[A-Za-z0-9._~-]+(?:/[A-Za-z0-9._~-]+)*")


@dataclass
class WebhookTrigger:
    """A webhook: ``pyfn serve`` serves it at ``/i/<path>``.

    ``reply`` is ``async`` (the ids at once) or ``sync`` (wait for the run);
    ``dedupe`` is a JSONPath into the request body whose value identifies a
    delivery. ``line`` is where the trigger is in the workflow file.

    Example:
        >>> hook = WebhookTrigger("commcare-registrations")
        >>> hook.url_path, hook.key, hook.type
        ('/i/commcare-registrations', 'commcare-registrations', 'webhook')
    """

    type: ClassVar[str] = "webhook"
    path: str
    auth: WebhookAuth | None = None
    reply: str = "async"
    dedupe: str | None = None
    enabled: bool = True
    line: int | None = None

    @property
    def url_path(self) -> str:
        return f"/i/{self.path}"

    @property
    def key(self) -> str:
        """What the run store records as a work order's trigger: the path."""
        return self.path


@dataclass
class CronTrigger:
    """A cron trigger: ``pyfn serve`` fires it on its ``schedule``.

    ``id`` names it (``cron`` by default), ``schedule`` is five-field cron in
    ``timezone`` (``cron`` is its parsed :class:`~runtime.workflow.cron.CronSchedule`),
    ``cursor_step`` is the step whose last successful output is the next input
    (``None``: the final state), ``carry`` the keys of the next input taken from the
    final state (``{key: JSONPath}``, :mod:`runtime.workflow.carry`; instead of
    ``cursor_step``), ``state`` the first run's input, and
    ``catch_up`` whether a schedule missed while the server was down runs once
    at start. ``line`` is where the trigger is in the workflow file.

    Example:
        >>> nightly = CronTrigger("nightly", "0 2 * * *", cron=CronSchedule.parse("0 2 * * *"))
        >>> nightly.key, nightly.type, nightly.cron.expression
        ('nightly', 'cron', '0 2 * * *')
    """

    type: ClassVar[str] = "cron"
    id: str = "cron"
    schedule: str | None = None
    timezone: str = "UTC"
    cursor_step: str | None = None
    carry: dict[str, str] | None = None
    state: dict | None = None
    catch_up: bool = True
    enabled: bool = True
    line: int | None = None
    cron: CronSchedule | None = field(default=None, repr=False, compare=False)

    @property
    def key(self) -> str:
        """What the run store records as a work order's trigger: the id."""
        return self.id


Trigger = Union[WebhookTrigger, CronTrigger]


def parse_triggers(doc: Any, credentials: dict | None, problems: Problems, default_path: str,
                   step_ids: Collection[str] | None = None, require_secrets: bool = True) -> list[Trigger]:
    """The triggers of a workflow document, adding a problem (with its line) for each mistake.

    ``default_path`` is the path of a webhook that gives none (the workflow file's stem);
    ``step_ids`` are the workflow's steps, which a ``cursor_step`` must name. Without
    ``require_secrets`` (``pyfn execute``, ``pyfn validate``: nothing is served) an auth
    credential's ``${VAR}`` need not be set.

    Example:
        >>> problems = Problems("wf.yaml")
        >>> doc = {"triggers": [{"type": "webhook", "path": "/forms", "reply": "sync"},
        ...                     {"type": "cron", "schedule": "0 2 * * *", "cursor_step": "fetch"}]}
        >>> [(t.type, t.key) for t in parse_triggers(doc, None, problems, "wf", ["fetch"])], problems.items
        ([('webhook', 'forms'), ('cron', 'cron')], [])
    """
    raw = doc.get("triggers")
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.add(line_of(doc, "triggers"), "'triggers' must be a list of triggers")
        return []
    triggers: list[Trigger] = []
    for index, item in enumerate(raw):
        crons = sum(t.type == "cron" for t in triggers)
        default_id = "cron" if not crons else f"cron-{crons + 1}"
        parser = _Parser(problems, credentials, index, step_ids)
        parser.require_secrets = require_secrets
        trigger = parser.trigger(item, default_path, default_id)
        if trigger is None:
            continue
        what = "path" if trigger.type == "webhook" else "id"
        if any(t.key == trigger.key for t in triggers):
            problems.add(line_of(item, what) or line_of(item), f"duplicate trigger {what} '{trigger.key}'")
            continue
        if trigger.key == MANUAL:
            problems.add(line_of(item, what) or line_of(item),
                         f"trigger {what} '{MANUAL}' is reserved for runs started by hand (pyfn trigger)")
            continue
        triggers.append(trigger)
    return triggers


class _Parser:
    """Parses one trigger, adding its problems."""

    def __init__(self, problems: Problems, credentials: dict | None, index: int,
                 step_ids: Collection[str] | None = None):
        self.problems, self.credentials, self.label = problems, credentials, f"trigger {index + 1}"
        self.step_ids = step_ids
        self.require_secrets = True

    def add(self, line: int | None, message: str) -> None:
        self.problems.add(line, f"{self.label}: {message}")

    def trigger(self, raw: Any, default_path: str, default_id: str = "cron") -> Trigger | None:
        if not isinstance(raw, dict):
            self.add(None, "a trigger must be a mapping (type: webhook, path: ... or type: cron, schedule: ...)")
            return None
        kind = raw.get("type", "webhook")
        if kind not in TYPES:
            self.add(line_of(raw, "type"), f"unknown trigger type {kind!r} (expected: webhook or cron)")
            return None
        allowed = TRIGGER_KEYS if kind == "webhook" else CRON_KEYS
        for key in raw:
            if key not in allowed:
                self.add(line_of(raw, key), f"unknown key '{key}' for a {kind} trigger (expected one of: "
                                            f"{', '.join(sorted(allowed))})")
        if kind == "cron":
            return self._cron(raw, default_id)
        return WebhookTrigger(self._path(raw, default_path), auth=self._auth(raw), reply=self._reply(raw),
                              dedupe=self._dedupe(raw), enabled=self._enabled(raw), line=line_of(raw))

    def _path(self, raw: Any, default: str) -> str:
        value = raw.get("path", default)
        path = str(value).strip().removeprefix("/").removeprefix("i/") if isinstance(value, str) else ""
        if not _PATH.fullmatch(path):
            self.add(line_of(raw, "path"), f"path {value!r} must be letters, digits, '.', '_', '~', '-' "
                                           f"and '/' between segments (e.g. commcare-registrations)")
        return path

    def _cron(self, raw: Any, default_id: str) -> CronTrigger:
        trigger = CronTrigger(self._id(raw, default_id), enabled=self._enabled(raw),
                              cursor_step=self._cursor_step(raw), carry=parse_carry(raw, self.add),
                              state=self._state(raw),
                              catch_up=self._flag(raw, "catch_up", True),
                              timezone=str(raw.get("timezone", "UTC")), line=line_of(raw))
        schedule = raw.get("schedule")
        if schedule is None:
            self.add(line_of(raw), "a cron trigger needs schedule: five-field cron such as \"0 2 * * *\"")
            return trigger
        try:
            trigger.cron = CronSchedule.parse(str(schedule), trigger.timezone)
            trigger.schedule, trigger.timezone = trigger.cron.expression, trigger.cron.timezone
        except CronError as error:
            where = "timezone" if str(error).startswith(("unknown timezone", "timezone")) else "schedule"
            self.add(line_of(raw, where), f"{where}: {error}")
        return trigger

    def _id(self, raw: Any, default: str) -> str:
        value = raw.get("id", default)
        if not isinstance(value, str) or not _PATH.fullmatch(value) or "/" in value:
            self.add(line_of(raw, "id"), f"id {value!r} must be letters, digits, '.', '_', '~' and '-'")
            return default
        return value

    def _cursor_step(self, raw: Any) -> str | None:
        value = raw.get("cursor_step")
        if value is None:
            return None
        if self.step_ids is not None and value not in self.step_ids:
            self.add(line_of(raw, "cursor_step"), f"cursor_step '{value}' is not a step of this workflow "
                                                  f"(steps: {', '.join(self.step_ids) or 'none'})")
            return None
        return str(value)

    def _state(self, raw: Any) -> dict | None:
        value = raw.get("state")
        if value is not None and not isinstance(value, dict):
            self.add(line_of(raw, "state"), f"state must be a mapping (the first run's input), not {value!r}")
            return None
        return value

    def _flag(self, raw: Any, key: str, default: bool) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            self.add(line_of(raw, key), f"{key} must be true or false, not {value!r}")
            return default
        return value

    def _reply(self, raw: Any) -> str:
        value = raw.get("reply", "async")
        if value not in REPLIES:
            self.add(line_of(raw, "reply"), f"reply must be async or sync, not {value!r}")
            return "async"
        return REPLIES[value]

    def _enabled(self, raw: Any) -> bool:
        return self._flag(raw, "enabled", True)

    def _dedupe(self, raw: Any) -> str | None:
        value = raw.get("dedupe")
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(line_of(raw, "dedupe"), f"dedupe must be a JSONPath string such as \"$.id\", not {value!r}")
            return None
        from adaptors.common.jsonpath import JSONPathError, compile_path  # only workflows that dedupe pay

        try:
            compile_path(value)
        except JSONPathError as error:
            self.add(line_of(raw, "dedupe"), f"dedupe: {error}")
            return None
        return value

    def _auth(self, raw: Any) -> WebhookAuth | None:
        return parse_auth(raw, self.credentials, self.add, self.require_secrets)
