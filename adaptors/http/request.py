"""The request pipeline behind every verb, step by step as OpenFn's http ``request``.

resolve lazy arguments → options → URL (``baseUrl`` rules) → body and ``Content-Type`` →
auth (only with ``baseUrl``) → send (retries, redirects, TLS) → error rules → parse the
body → ``{**compose_next_state(state, body), "response": {...}}``, and one log line.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Callable

from adaptors.common.references import compose_next_state, expand_references

from .auth import apply_auth
from .body import is_replayable, prepare_body
from .errors import HTTPError
from .options import RequestOptions, normalize_options
from .pool import Response
from .responses import has_no_body, read_body, read_error_body, response_headers
from .retry import choose_policy, send_with_retries
from .session import current_session, tls_arguments
from .status import reason_phrase
from .transport import Call, send
from .urls import resolve_url, with_query

__all__ = ["operation", "perform"]

log = logging.getLogger("pyfn.adaptor.http")
_LOGGED_BODY_LIMIT = 10_000


def operation(method: str, path: Any, options: Any, body: Any = None, has_body: bool = False):
    """The operation ``state -> state`` sending ``method`` to ``path``; arguments may be lazy.

    For post/put/patch the ``body`` argument is the default body: an explicit ``body`` option
    wins (``{"body": data, **options}``, as OpenFn spreads them).
    """

    def run(state: dict) -> dict:
        resolved_path = expand_references(state, path)
        resolved = expand_references(state, options)
        if resolved is not None and not isinstance(resolved, dict):
            raise TypeError(f"options must be a dict, not {type(resolved).__name__}")
        if has_body:
            resolved = {"body": expand_references(state, body), **(resolved or {})}
        return perform(state, str(method).upper(), resolved_path, resolved)

    return run


def perform(state: dict, method: str, path: Any, raw_options: dict | None) -> dict:
    """Send one request for ``state`` and return the next state (``raw_options`` resolved)."""
    opts = normalize_options(raw_options)
    configuration = state.get("configuration") or {}
    base_url = configuration.get("baseUrl")
    url, url_query = resolve_url(path, base_url)
    query = {**opts.query, **url_query}
    body = prepare_body(opts.body, opts.content_type, opts.headers)
    if base_url:
        body.headers = apply_auth(configuration, body.headers)
    policy = choose_policy(opts.retries, configuration.get("retries"), method, is_replayable(body))
    tls = opts.tls if opts.tls is not None else configuration.get("tls")
    with current_session() as (step, temporary):
        call = Call(method, url, with_query(url, query), body, opts.timeout, opts.max_redirects,
                    stream=opts.parse_as == "stream", tls=tls_arguments(tls, step))
        timer = _Timer()
        response = send_with_retries(lambda: timer.attempt(lambda: send(step.session, call)),
                                     policy, f"{method} {call.send_url}")
        data = _read(response, call, opts, timer)
        if opts.parse_as == "stream" and not temporary and data is not None:
            step.register(data)
    meta = {"url": url, "method": method, "statusCode": response.status_code,
            "statusMessage": reason_phrase(response.status_code, response.reason),
            "headers": response_headers(response), "duration": timer.ms}
    if query:
        meta["query"] = query
    following = {**compose_next_state(state, data), "response": meta}
    if data is None and has_no_body(response, opts.parse_as, method):
        del following["data"]  # OpenFn's data is undefined: JSON leaves the key out
    return following


class _Timer:
    """Milliseconds of the last attempt: from sending to the end of reading the body."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.ms = 0

    def attempt(self, send_once: Callable[[], Response]) -> Response:
        self.start = time.perf_counter()
        return send_once()

    def stop(self) -> int:
        self.ms = int((time.perf_counter() - self.start) * 1000)
        return self.ms


def _read(response: Response, call: Call, opts: RequestOptions, timer: _Timer) -> Any:
    """The parsed body, after the ``errors`` rules; logs the request line."""
    status = response.status_code
    custom = _error_rule(opts.errors, status)
    if custom is not None:
        body = read_error_body(response, call.method)
        duration = timer.stop()
        message = custom or (f"{call.method} to {call.url} returned {status}: "
                             f"{reason_phrase(status, response.reason)}")
        log.error("%s %s - %d in %dms", call.method, call.send_url, status, duration)
        log.error("response body: %s", _for_log(body))
        raise HTTPError(message, status_code=status,
                        status_message=reason_phrase(status, response.reason), url=call.url,
                        method=call.method, duration=duration, body=body,
                        headers=response_headers(response))
    data = read_body(response, opts.parse_as, call.method)
    log.info("%s %s - %d in %dms", call.method, call.send_url, status, timer.stop())
    return data


def _error_rule(errors: dict | bool, status: int) -> str | None:
    """``None`` if ``status`` is not an error; else a custom message, or ``""`` for OpenFn's."""
    if errors is False:
        return None
    key = status if status in errors else str(status) if str(status) in errors else None
    rule = errors.get(key) if key is not None else None
    if isinstance(rule, bool):
        return "" if rule else None
    if rule:
        return str(rule)
    return "" if status >= 400 else None


def _for_log(body: Any) -> str:
    if body is None or body == "":
        return "[no body]"
    text = body if isinstance(body, str) else json.dumps(body, indent=2, default=str)
    if len(text) > _LOGGED_BODY_LIMIT:
        return text[:_LOGGED_BODY_LIMIT] + f"… ({len(text) - _LOGGED_BODY_LIMIT} more characters)"
    return text
