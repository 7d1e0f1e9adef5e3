"""Webhook requests checked against their trigger: who may call it, the 401 challenge, the dedupe key.

The trigger model (``WebhookTrigger``, ``WebhookAuth``) is the workflow's
(``runtime.workflow.triggers``) and the project maps each path to its workflow
and trigger (``runtime.workflow.project``); this module checks a request
against it. Credentials are compared with ``hmac.compare_digest``, so the time
an answer takes says nothing about how much of a secret was right.

Example:
    >>> from runtime.workflow.triggers import WebhookAuth, WebhookTrigger
    >>> hook = WebhookTrigger("forms", WebhookAuth("api_key", "k", api_key="s3cret"))
    >>> authorised(hook, {"x-api-key": "s3cret"}), authorised(hook, {"x-api-key": "guess"})
    (True, False)
    >>> dedupe_key(WebhookTrigger("f", dedupe="$.id"), {"id": "form-1"})
    'form-1'
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from typing import Any, Mapping

from runtime.workflow.triggers import WebhookTrigger

__all__ = ["authorised", "challenge", "dedupe_key", "SECRET_HEADERS"]

SECRET_HEADERS = frozenset({"authorization", "x-api-key", "cookie", "proxy-authorization"})


def challenge(trigger: WebhookTrigger) -> dict[str, str]:
    """The ``WWW-Authenticate`` header of a 401, for Basic auth.

    Example:
        >>> from runtime.workflow.triggers import WebhookAuth
        >>> challenge(WebhookTrigger("forms", WebhookAuth("basic", "b", username="u", password="p")))
        {'WWW-Authenticate': 'Basic realm="pyfn"'}
    """
    auth = trigger.auth
    return {"WWW-Authenticate": 'Basic realm="pyfn"'} if auth and auth.type == "basic" else {}


def authorised(trigger: WebhookTrigger, headers: Mapping[str, str]) -> bool:
    """Whether the request headers (lower-case names) carry the trigger's credentials (see the module example)."""
    auth = trigger.auth
    if auth is None:
        return True
    if auth.type == "api_key":
        return _same(headers.get("x-api-key", ""), auth.api_key or "")
    user, password = _basic_pair(headers.get("authorization", ""))
    return _same(user, auth.username or "") & _same(password, auth.password or "")


def dedupe_key(trigger: WebhookTrigger, data: Any) -> str | None:
    """The value the trigger's ``dedupe`` JSONPath finds in the body, as text (``None``: no key).

    A string is its own key; any other value (a number, a list) is ``json:`` and its JSON, as is
    a string that starts with ``json:``, so ``1`` and ``"1"`` are different deliveries.
    """
    if not trigger.dedupe or not isinstance(data, (dict, list)):
        return None
    from adaptors.common.jsonpath import first  # the JSONPath dialect of jobs

    value = first(data, trigger.dedupe)
    return None if value is None else typed_key(value)


def typed_key(value: Any) -> str:
    """A dedupe value as stored text, one text per value and type.

    Example:
        >>> typed_key("f-1"), typed_key(1), typed_key("1"), typed_key("json:1")
        ('f-1', 'json:1', '1', 'json:"json:1"')
    """
    if isinstance(value, str) and not value.startswith(_TYPED):
        return value
    return _TYPED + json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


_TYPED = "json:"


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _basic_pair(header: str) -> tuple[str, str]:
    """``Authorization: Basic base64(user:password)`` → ``(user, password)``; empty strings if malformed."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    user, _, password = decoded.partition(":")
    return user, password
