"""Retries (pyfn only; off by default, as OpenFn never retries).

Turn them on per call (``get("/x", {"retries": {...}})``) or for every request of a step
(``configuration.retries``); the call's setting wins, ``retries: False`` turns them off.

``retries`` is ``True`` (the defaults), a number (``max``), a dict, or a :class:`RetryPolicy` (whose
``sleep`` a job may choose):

| key | default | meaning |
|---|---|---|
| ``max`` | 3 | retries after the first attempt (at most 10) |
| ``backoff`` | ``"exponential"`` | ``base_delay * 2**(n-1)``; ``"linear"``: ``base_delay * n``; ``"constant"`` |
| ``base_delay`` | 1.0 | seconds (0.01 to 300: no retry storm) |
| ``max_delay`` | 60.0 | cap of one wait, seconds (at most 3600); a longer ``Retry-After`` gives up at once |
| ``on`` | ``[429, 502, 503, 504]`` | statuses to retry |
| ``methods`` | GET HEAD OPTIONS PUT DELETE TRACE | idempotent methods only, unless listed |

A request is retried on those statuses and on connection failures (refused, reset, DNS,
connect timeout); not on a read timeout, and never when its body is a one-shot stream.
Each wait is the backoff with jitter (a random 50–100 % of it), at least the server's
``Retry-After`` (seconds or an HTTP date). Each retry is logged; after the last one the last
answer goes through the usual error rules (so the last error is raised).
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import ConnectError
from .pool import Response

__all__ = ["RetryPolicy", "parse_retry_after", "send_with_retries"]

log = logging.getLogger("pyfn.adaptor.http")

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
_BACKOFFS = ("exponential", "linear", "constant")
MAX_RETRIES, MIN_DELAY, MAX_BASE_DELAY, MAX_WAIT = 10, 0.01, 300, 3600


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before sending a request again."""

    max: int = 3
    backoff: str = "exponential"
    base_delay: float = 1.0
    max_delay: float = 60.0
    on: frozenset[int] = frozenset({429, 502, 503, 504})
    methods: frozenset[str] = IDEMPOTENT
    # how to wait: a job (or a test) may give a policy object with its own, e.g. one that records the waits
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False,
                                           metadata={"setting": False})

    @classmethod
    def from_setting(cls, value: Any) -> "RetryPolicy | None":
        """A policy from ``True``, a number, a dict or a ``RetryPolicy``; ``None`` for ``None``/``False``/``0``.

        Raises:
            ValueError: an unknown key or a bad value.
        """
        if value is None or value is False or value == 0:
            return None
        if value is True:
            return cls()
        if isinstance(value, cls):
            return value._checked(value)
        if isinstance(value, int):
            return cls(max=value)._checked(value)
        if not isinstance(value, dict):
            raise ValueError(f"retries must be true, a number or a dict, not {value!r}")
        return cls._from_dict(value)

    @classmethod
    def _from_dict(cls, value: dict[str, Any]) -> "RetryPolicy":
        fields = dict(value)
        unknown = set(fields) - {name for name, spec in cls.__dataclass_fields__.items()
                                 if spec.metadata.get("setting", True)}
        if unknown:
            raise ValueError(f"unknown retries key(s): {', '.join(sorted(unknown))}")
        if "on" in fields:
            fields["on"] = frozenset(int(code) for code in fields["on"])
        if "methods" in fields:
            fields["methods"] = frozenset(str(m).upper() for m in fields["methods"])
        return cls(**fields)._checked(value)

    def _checked(self, value: Any) -> "RetryPolicy":
        numbers = (self.max, self.base_delay, self.max_delay)
        if (self.backoff not in _BACKOFFS or any(isinstance(n, bool) or not isinstance(n, (int, float))
                                                for n in numbers)
                or not (0 <= self.max <= MAX_RETRIES and MIN_DELAY <= self.base_delay <= MAX_BASE_DELAY
                        and MIN_DELAY <= self.max_delay <= MAX_WAIT)):
            raise ValueError(f"invalid retries setting: {value!r} (backoff is one of {', '.join(_BACKOFFS)}; "
                             f"max 0 to {MAX_RETRIES}; base_delay {MIN_DELAY} to {MAX_BASE_DELAY} s; "
                             f"max_delay up to {MAX_WAIT} s)")
        return self

    def backoff_delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1-based), jittered and capped."""
        if self.backoff == "exponential":
            delay = self.base_delay * 2 ** (retry - 1)
        elif self.backoff == "linear":
            delay = self.base_delay * retry
        else:
            delay = self.base_delay
        return min(self.max_delay, delay) * random.uniform(0.5, 1.0)

    def delay(self, retry: int, retry_after: str | None) -> float | None:
        """The wait before ``retry``, honouring ``Retry-After``; ``None`` if that exceeds ``max_delay``."""
        wait = self.backoff_delay(retry)
        asked = parse_retry_after(retry_after)
        if asked is None:
            return wait
        return None if asked > self.max_delay else max(wait, asked)


def choose_policy(call_value: Any, config_value: Any, method: str,
                  replayable: bool) -> RetryPolicy | None:
    """The policy for one request: the call's setting, else the step's; ``None`` when off."""
    policy = RetryPolicy.from_setting(config_value if call_value is None else call_value)
    if policy is None or method not in policy.methods or not replayable:
        return None
    return policy


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` value (delta-seconds or an HTTP date); ``None`` if absent or invalid."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def send_with_retries(send: Callable[[], Response], policy: RetryPolicy | None,
                      label: str) -> Response:
    """``send()`` until it succeeds, is not retryable, or ``policy.max`` retries are spent.

    ``label`` (``"GET http://x/y"``) prefixes the log lines. Connection failures are re-raised
    after the last retry; a retryable status is returned for the caller's error rules.
    """
    retry = 0
    while True:
        try:
            response = send()
        except ConnectError as error:
            if policy is None or retry >= policy.max:
                raise
            retry += 1
            wait = policy.backoff_delay(retry)
            log.warning("%s; retry %d of %d in %.2fs", error.message, retry, policy.max, wait)
        else:
            if policy is None or response.status_code not in policy.on:
                return response
            wait = _status_wait(policy, response, retry, label)
            if wait is None:
                return response
            retry += 1
            log.warning("%s - %d; retry %d of %d in %.2fs", label, response.status_code,
                        retry, policy.max, wait)
            response.close()
        policy.sleep(wait)


def _status_wait(policy: RetryPolicy, response: Response, retry: int,
                 label: str) -> float | None:
    if retry >= policy.max:
        if retry:
            log.warning("%s - %d; giving up after %d retries", label, response.status_code, retry)
        return None
    retry_after = response.headers.get("retry-after")
    wait = policy.delay(retry + 1, retry_after)
    if wait is None:
        log.warning("%s - %d; Retry-After %s exceeds max_delay %ss, giving up", label,
                    response.status_code, retry_after, policy.max_delay)
    return wait
