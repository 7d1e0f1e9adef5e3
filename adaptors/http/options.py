"""The options of one request, normalised: snake_case names, OpenFn's camelCase accepted.

| option | default | OpenFn spelling |
|---|---|---|
| ``headers`` | ``{}`` | |
| ``query`` | ``{}`` | |
| ``body`` | ``None`` (``data`` of post/put/patch) | |
| ``content_type`` | ``"json"``; ``"form"``, ``"xml"``, ``"string"``, ``"urlencoded"`` or a MIME type | ``contentType`` |
| ``parse_as`` | ``"auto"``; ``"json"``, ``"text"``, ``"base64"``, ``"stream"`` | ``parseAs`` |
| ``errors`` | ``{}``: status → ``False`` / ``True`` / message; ``False`` never raises | |
| ``timeout`` | ``300`` **seconds** | ``timeout`` (milliseconds in OpenFn) |
| ``max_redirects`` | ``5`` | ``maxRedirections``; ``followAllRedirects: False`` → 0 |
| ``tls`` | ``configuration.tls`` | ``agentOptions`` (deprecated) |
| ``retries`` | ``configuration.retries``, else off | (pyfn only) |
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

__all__ = ["CONTENT_TYPES", "PARSE_AS", "RequestOptions", "normalize_options"]

log = logging.getLogger("pyfn.adaptor.http")

CONTENT_TYPES = {"json": "application/json", "xml": "application/xml", "string": "text/plain",
                 "form": None, "urlencoded": "application/x-www-form-urlencoded"}
PARSE_AS = ("auto", "json", "text", "base64", "stream")
DEFAULT_TIMEOUT = 300.0
DEFAULT_MAX_REDIRECTS = 5

_ALIASES = {"contentType": "content_type", "parseAs": "parse_as",
            "maxRedirections": "max_redirects", "max_redirections": "max_redirects",
            "maxRedirects": "max_redirects", "followAllRedirects": "follow_all_redirects",
            "agentOptions": "agent_options"}
_KNOWN = {"headers", "query", "body", "content_type", "parse_as", "errors", "timeout",
          "max_redirects", "follow_all_redirects", "tls", "agent_options", "retries"}


@dataclass(frozen=True)
class RequestOptions:
    """Resolved, validated options of one request (see the module docstring)."""

    headers: dict[str, str]
    query: dict[str, Any]
    body: Any
    content_type: str
    parse_as: str
    errors: dict[Any, Any] | bool
    timeout: float
    max_redirects: int
    tls: dict[str, Any] | None
    retries: Any


def normalize_options(raw: dict[str, Any] | None) -> RequestOptions:
    """Validate ``raw`` (already resolved) into ``RequestOptions``.

    Raises:
        TypeError: an option has the wrong type.
        ValueError: ``content_type``, ``parse_as``, ``timeout`` or ``max_redirects`` is invalid.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise TypeError(f"options must be a dict, not {type(raw).__name__}")
    opts = _canonical_names(raw)
    if "agent_options" in opts:
        log.warning("WARNING: The `agentOptions` option has been deprecated. "
                    "Add `tls` to state.configuration instead.")
    return RequestOptions(
        headers=_headers(opts.get("headers")),
        query=_dict_option(opts, "query"),
        body=opts.get("body"),
        content_type=_content_type(opts.get("content_type")),
        parse_as=_parse_as(opts.get("parse_as")),
        errors=_errors(opts.get("errors")),
        timeout=_timeout(opts.get("timeout")),
        max_redirects=_max_redirects(opts),
        tls=opts["tls"] if opts.get("tls") is not None else opts.get("agent_options"),
        retries=opts.get("retries"),
    )


def _canonical_names(raw: dict[str, Any]) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    for key, value in raw.items():
        name = _ALIASES.get(key, key)
        if name not in _KNOWN:
            log.warning("Unknown request option %r ignored (known: %s)", key, ", ".join(sorted(_KNOWN)))
            continue
        if name not in opts or key == name:  # the snake_case spelling wins over an alias
            opts[name] = value
    return opts


def _headers(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f"headers must be a dict, not {type(value).__name__}")
    return {str(k): v if isinstance(v, str) else str(v) for k, v in value.items() if v is not None}


def _dict_option(opts: dict[str, Any], name: str) -> dict[str, Any]:
    value = opts.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a dict, not {type(value).__name__}")
    return dict(value)


def _content_type(value: Any) -> str:
    if value is None:
        return "json"
    if isinstance(value, str) and (value in CONTENT_TYPES or "/" in value):
        return value
    raise ValueError(f"content_type must be one of {', '.join(CONTENT_TYPES)} or a MIME type "
                     f"such as 'application/fhir+json', not {value!r}")


def _parse_as(value: Any) -> str:
    if value is None:
        return "auto"
    if value in PARSE_AS:
        return value
    raise ValueError(f"parse_as must be one of {', '.join(PARSE_AS)}, not {value!r}")


def _errors(value: Any) -> dict[Any, Any] | bool:
    if value is None:
        return {}
    if value is False or isinstance(value, dict):
        return value
    raise TypeError("errors must be a dict of status → False/True/message, or False")


def _timeout(value: Any) -> float:
    if value is None:
        return DEFAULT_TIMEOUT
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, not {value!r}")
    if value >= 1000:
        log.warning("timeout=%s is in seconds in pyfn (OpenFn's is in milliseconds)", value)
    return float(value)


def _max_redirects(opts: dict[str, Any]) -> int:
    value = opts.get("max_redirects")
    if value is None:
        return 0 if opts.get("follow_all_redirects") is False else DEFAULT_MAX_REDIRECTS
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"max_redirects must be a whole number ≥ 0, not {value!r}")
    return value
