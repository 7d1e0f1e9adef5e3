"""Project settings: ``<project>/project.yaml``, beside ``workflows/``; today its ``alerts:`` section.

``${ENV}`` values are read from the environment (and are secret, as in
credentials). What the alerts do is ``runtime.server.alerts``; the section's
keys are listed there.

Example:
    >>> settings = parse_alerts({"email": {"host": "127.0.0.1", "from": "pyfn@x.org", "to": "ops@x.org"}})
    >>> settings.email.to, settings.email.port, settings.period_s
    (('ops@x.org',), 25, 3600.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runtime.errors import UsageError
from runtime.workflow.credentials import CredentialProblem, substitute_env
from runtime.workflow.yaml_lines import load_marked

__all__ = ["AlertSettings", "EmailChannel", "parse_alerts", "load_alerts", "PROJECT_FILE"]

PROJECT_FILE = "project.yaml"
_EMAIL_KEYS = {"host", "port", "starttls", "username", "password", "from", "to", "timeout_s"}


@dataclass(frozen=True)
class EmailChannel:
    """Where alert emails go, over SMTP."""

    host: str
    sender: str
    to: tuple[str, ...]
    port: int = 25
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_s: float = 10.0


@dataclass(frozen=True)
class AlertSettings:
    """The ``alerts:`` section: its channels, its period and the base of run links; ``secrets`` are masked."""

    email: EmailChannel | None = None
    webhook_url: str | None = None
    period_s: float = 3600.0
    link: str | None = None
    secrets: frozenset[str] = field(default_factory=frozenset)


def load_alerts(root: Path) -> AlertSettings | None:
    """The ``alerts:`` of ``root/project.yaml``; ``None`` when there is none. Raises ``UsageError`` when invalid."""
    path = root / PROJECT_FILE
    if not path.is_file():
        return None
    doc = load_marked(path.read_text(encoding="utf-8"), str(path)) or {}
    if not isinstance(doc, dict) or doc.get("alerts") is None:
        return None
    found: set[str] = set()
    try:
        return parse_alerts(substitute_env(doc["alerts"], found=found), frozenset(found))
    except (ValueError, CredentialProblem) as error:
        raise UsageError(f"{path}: alerts: {error}", hint="See docs/server.md#alerts") from None


def parse_alerts(section: Any, secrets: frozenset[str] = frozenset()) -> AlertSettings:
    """An ``alerts:`` mapping as :class:`AlertSettings`; ``ValueError`` says what is wrong."""
    if not isinstance(section, dict):
        raise ValueError("must be a mapping with email: and/or webhook:")
    unknown = set(section) - {"email", "webhook", "period_minutes", "link"}
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    if not section.get("email") and not section.get("webhook"):
        raise ValueError("give email: and/or webhook:")
    hook = section.get("webhook")
    if hook is not None and not (isinstance(hook, dict) and isinstance(hook.get("url"), str)):
        raise ValueError("webhook: needs url:")
    period = section.get("period_minutes", 60)
    if not isinstance(period, (int, float)) or period < 0:
        raise ValueError("period_minutes must be a number of minutes, 0 or more")
    email = _email(section["email"]) if section.get("email") else None
    found = set(secrets) | ({email.password} if email and email.password else set())
    return AlertSettings(email, hook["url"] if hook else None, float(period) * 60,
                         str(section["link"]).rstrip("/") if section.get("link") else None, frozenset(found))


def _email(value: Any) -> EmailChannel:
    if not isinstance(value, dict) or not value.get("host") or not value.get("from") or not value.get("to"):
        raise ValueError("email: needs host:, from: and to:")
    unknown = set(value) - _EMAIL_KEYS
    if unknown:
        raise ValueError(f"email: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    to = value["to"] if isinstance(value["to"], list) else [value["to"]]
    return EmailChannel(str(value["host"]), str(value["from"]), tuple(map(str, to)), int(value.get("port", 25)),
                        bool(value.get("starttls", False)), value.get("username"), value.get("password"),
                        float(value.get("timeout_s", 10)))


