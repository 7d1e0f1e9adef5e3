"""Talking to HQ: configuration, URLs, the auth header, and the one request every operation makes.

The request is the http adaptor's pipeline (URL rules, body encoding, the step's session,
transport errors, body parsing, OpenFn's error messages) with CommCare's settings, as
language-commcare's ``Utils.request``: ``baseUrl = hostUrl``, the ``ApiKey``/``Basic`` header,
JSON by default, at most one redirect, and this adaptor's retries (``resilience``).

Paths: ``api_path("case")`` is ``/a/<domain>/api/v0.5/case/``; ``namespace_path("case/v2")`` is
``/a/<domain>/api/case/v2/`` (a path starting with ``/`` is kept). HQ's API URLs end with a
slash, so one is added to a path whose last segment has no dot (``form.xml`` keeps its name).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

from adaptors.http.auth import basic_auth_header
from adaptors.http.body import EncodedBody, prepare_body
from adaptors.http.options import DEFAULT_TIMEOUT
from adaptors.http.pool import Response
from adaptors.http.responses import read_body, read_error_body, response_headers
from adaptors.http.session import current_session, tls_arguments
from adaptors.http.status import reason_phrase
from adaptors.http.transport import Call, send
from adaptors.http.urls import resolve_url, with_query

from .errors import ConfigurationError, http_error
from .resilience import Resilience, send_resilient

__all__ = ["Answer", "Reply", "Settings", "api_path", "call", "fetch", "local_path", "namespace_path", "settings"]

log = logging.getLogger("pyfn.adaptor.commcare")
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_CREDENTIALS_FIX = ("Add configuration.apiKey (with configuration.username, the key owner's email) or "
                    "configuration.password. 'pyfn docs commcare --schema' shows the configuration schema.")


@dataclass(frozen=True)
class Settings:
    """What ``state["configuration"]`` says, checked: where HQ is and how to sign in."""

    host: str
    domain: str
    app_id: str | None
    username: str | None
    authorization: str
    policy: Resilience | None
    tls: Any
    timeout: float

    def sleep(self, seconds: float) -> None:
        """Wait between polls, as the retry policy waits (``time.sleep`` unless the job gave its own)."""
        (self.policy.sleep if self.policy else time.sleep)(seconds)


def settings(state: dict) -> Settings:
    """Read and check ``state["configuration"]``.

    Raises:
        ConfigurationError: ``hostUrl`` or ``domain`` is missing, or neither ``apiKey`` nor ``password``.
    """
    config = state.get("configuration") or {}
    if not isinstance(config, dict):
        raise ConfigurationError("state.configuration must be an object", code="INVALID_CONFIGURATION")
    missing = [key for key in ("hostUrl", "domain") if not config.get(key)]
    if missing:
        raise ConfigurationError(f"CommCare configuration is missing {' and '.join(missing)}",
                                 code="MISSING_CONFIGURATION", missing=missing,
                                 fix="Set configuration.hostUrl (e.g. https://www.commcarehq.org) and "
                                     "configuration.domain (the project space)")
    return Settings(host=str(config["hostUrl"]).rstrip("/"), domain=str(config["domain"]),
                    app_id=config.get("appId"), username=config.get("username"),
                    authorization=_authorization(config),
                    policy=Resilience.from_setting(config.get("retries")), tls=config.get("tls"),
                    timeout=float(config.get("timeout") or DEFAULT_TIMEOUT))


def _authorization(config: dict) -> str:
    username = config.get("username")
    if config.get("apiKey"):
        return f"ApiKey {username}:{config['apiKey']}"
    if config.get("password"):
        return basic_auth_header(str(username), str(config["password"]))
    raise ConfigurationError("Invalid authorization credentials. Include an apiKey or password in "
                             "state.configuration", code="MISSING_CREDENTIALS", fix=_CREDENTIALS_FIX)


def _slashed(path: str) -> str:
    route, mark, query = path.partition("?")
    last = route.rsplit("/", 1)[-1]
    if route and not route.endswith("/") and "." not in last:
        route += "/"
    return route + mark + query


def api_path(cfg: Settings, path: Any) -> str:
    """``/a/<domain>/api/v0.5/<path>/`` (OpenFn's ``get``/``post``)."""
    return _slashed(f"/a/{cfg.domain}/api/v0.5/{str(path).lstrip('/')}")


def namespace_path(cfg: Settings, path: Any) -> str:
    """OpenFn's ``buildUrl``: a path starting with ``/`` as is, else ``/a/<domain>/api/<path>/``."""
    text = str(path)
    return _slashed(text if text.startswith("/") else f"/a/{cfg.domain}/api/{text}")


def local_path(url: str) -> str:
    """The path and query of an absolute URL HQ handed out (``next``, ``status_url``), for ``hostUrl``."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Reply:
    """One HQ answer: parsed ``data`` plus what ``state["response"]`` shows."""

    method: str
    url: str
    status: int
    status_message: str
    headers: dict
    data: Any
    duration: int
    query: dict

    def meta(self) -> dict:
        """``state["response"]``: url, method, statusCode, statusMessage, headers, duration, query."""
        meta = {"url": self.url, "method": self.method, "statusCode": self.status,
                "statusMessage": self.status_message, "headers": self.headers, "duration": self.duration}
        if self.query:
            meta["query"] = self.query
        return meta


def call(state: dict, method: str, path: str, *, query: dict | None = None, body: Any = None,
         content_type: str = "application/json", parse_as: str = "json", files: list | None = None,
         repeatable: bool | None = None, is_final: Callable[[Response], bool] | None = None,
         errors: bool = True) -> Reply:
    """Send one request to HQ for ``state`` and return its ``Reply``.

    Args:
        path: a path on ``hostUrl`` (or an absolute URL on its origin).
        query: query parameters (lists repeat the key); the path's own query wins.
        body: JSON-encoded unless it is a string or bytes; ``files``: multipart fields instead.
        repeatable: may be sent again after a 5xx or a lost connection (default: idempotent methods).
        errors: raise ``CommCareHTTPError`` for a status ≥ 400 (else return it).

    Raises:
        CommCareHTTPError: HQ answered ≥ 400 (after retries).
        adaptors.http.errors.RequestError: no answer (after retries).
    """
    answer = fetch(state, method, path, query=query, body=body, content_type=content_type, files=files,
                   repeatable=repeatable, is_final=is_final)
    return answer.read(parse_as, errors)


@dataclass
class Answer:
    """HQ's answer to one request, its body received but not yet parsed: ``read()`` makes the ``Reply``.

    ``fetch`` (the network part) may run on another thread than ``read`` (parsing, the log line,
    the error for a status ≥ 400): the paging loop asks for the next page while the job handles this one.
    """

    response: Response
    request: Call
    query: dict
    started: float
    received: float
    domain: str

    def read(self, parse_as: str = "json", errors: bool = True) -> Reply:
        """The ``Reply`` (see ``call``); its duration leaves out the time the answer waited to be read."""
        started = self.started + (time.perf_counter() - self.received)
        with _collector_paused():
            return _reply(self.response, self.request, self.query, parse_as, errors, started, self.domain)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Keep Python's cycle collector off while a body is parsed (unless the job turned it off itself).

    Parsed JSON is a tree of fresh dicts and lists without cycles: a collection started by their
    allocations finds nothing, but traverses every one of them, page after page (about a sixth of
    the CPU of a 100,000-case pull). Collections resume with the next allocation after the page.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def fetch(state: dict, method: str, path: str, *, query: dict | None = None, body: Any = None,
          content_type: str = "application/json", files: list | None = None, repeatable: bool | None = None,
          is_final: Callable[[Response], bool] | None = None) -> Answer:
    """Send one request (with this adaptor's retries) and receive HQ's answer; ``call`` without the reading.

    Raises:
        adaptors.http.errors.RequestError: no answer (after retries).
    """
    cfg = settings(state)
    url, url_query = resolve_url(path, cfg.host)
    merged = {**(query or {}), **url_query}
    headers = {"Authorization": cfg.authorization}
    encoded = EncodedBody(headers, files=files) if files is not None else prepare_body(body, content_type, headers)
    with current_session() as (step, _temporary):
        request = Call(method, url, with_query(url, merged), encoded, cfg.timeout, 1, tls=tls_arguments(cfg.tls, step))
        started = [time.perf_counter()]

        def once() -> Response:
            started[0] = time.perf_counter()
            return send(step.session, request)

        repeat = method in IDEMPOTENT if repeatable is None else repeatable
        response = send_resilient(once, cfg.policy, f"{method} {request.send_url}", repeatable=repeat,
                                  is_final=is_final)
        return Answer(response, request, merged, started[0], time.perf_counter(), cfg.domain)


def _reply(response: Response, request: Call, query: dict, parse_as: str, errors: bool,
           started: float, domain: str) -> Reply:
    status = response.status_code
    reason = reason_phrase(status, response.reason)
    failed = errors and status >= 400
    data = read_error_body(response, request.method) if failed else read_body(response, parse_as, request.method)
    duration = int((time.perf_counter() - started) * 1000)
    headers = response_headers(response)
    if failed:
        log.error("%s %s - %d in %dms", request.method, request.send_url, status, duration)
        raise http_error(method=request.method, url=request.url, status=status, reason=reason, body=data,
                         headers=headers, duration=duration, domain=domain)
    log.info("%s %s - %d in %dms", request.method, request.send_url, status, duration)
    return Reply(request.method, request.url, status, reason, headers, data, duration, query)
