"""Retries for CommCare HQ, on by default (pyfn only; OpenFn's commcare never retries).

HQ rate-limits every project and its servers have bad minutes, so long pulls must ride both
out, as commcare-export does:

- **429**: wait ``Retry-After`` seconds (1 when absent) and send again, for any method (HQ did not
  process a throttled request), for as long as HQ asks (``rate_limit_time``, unlimited by default).
- **5xx, refused/reset connections, timeouts**: retry with exponential backoff (``base_delay``
  doubling up to ``max_delay``, jittered, at least any ``Retry-After``) until ``max_time`` seconds
  have passed since the first attempt, then the last error is raised. Only requests that are safe
  to repeat: GET/HEAD/PUT/DELETE, form submissions (HQ drops a resubmitted ``instanceID``) and
  bulk fetches. A POST that creates cases is not repeated after a 5xx.
- **401, 403 and every other 4xx** fail at once (the error carries a hint).
- A receiver answer carrying an OpenRosa message (``submit_error`` on 500 for malformed XML) is final.

``configuration.retries``: ``true`` (default), ``false`` (off), or an object with ``max_time``,
``base_delay``, ``max_delay`` and ``rate_limit_time`` (seconds); a job may also give a
:class:`Resilience` object, with its own ``sleep`` and ``clock``.
"""

from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import dataclass, field, fields
from typing import Any, Callable

from adaptors.http.errors import ConnectError, RequestTimeout
from adaptors.http.pool import Response
from adaptors.http.retry import parse_retry_after

from .errors import ConfigurationError

__all__ = ["Resilience", "send_resilient"]

log = logging.getLogger("pyfn.adaptor.commcare")


@dataclass(frozen=True)
class Resilience:
    """How long and how often to retry; see the module docstring."""

    max_time: float = 300.0
    base_delay: float = 1.0
    max_delay: float = 60.0
    rate_limit_time: float | None = None
    # how to wait and what time it is: a job (or a test) may give a policy object with its own
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False,
                                           metadata={"setting": False})
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False,
                                       metadata={"setting": False})

    @classmethod
    def from_setting(cls, value: Any) -> "Resilience | None":
        """The policy of ``configuration.retries``: ``None`` when turned off.

        Raises:
            ConfigurationError: an unknown key or a negative number.
        """
        if value is None or value is True:
            return cls()
        if isinstance(value, cls):
            return value
        if value is False or value == 0:
            return None
        if not isinstance(value, dict):
            raise ConfigurationError(f"configuration.retries must be true, false or an object, not {value!r}",
                                     code="INVALID_RETRIES")
        known = {f.name for f in fields(cls) if f.metadata.get("setting", True)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ConfigurationError(f"configuration.retries: unknown key(s) {', '.join(unknown)} "
                                     f"(known: {', '.join(sorted(known))})", code="INVALID_RETRIES")
        if any(isinstance(v, (int, float)) and v < 0 for v in value.values()):
            raise ConfigurationError("configuration.retries: times must be ≥ 0", code="INVALID_RETRIES")
        return cls(**value)

    def backoff(self, attempt: int) -> float:
        """Seconds before retry ``attempt`` (1-based): doubling, capped, jittered to 50–100 %."""
        return min(self.max_delay, self.base_delay * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)


def _retry_after(response: Response) -> float | None:
    asked = parse_retry_after(response.headers.get("retry-after"))
    return None if asked is None else float(math.ceil(asked))


class _Attempts:
    """The bookkeeping of one request's retries: elapsed time, rate-limit waits, attempt number."""

    def __init__(self, policy: Resilience, label: str) -> None:
        self.policy, self.label = policy, label
        self.started, self.attempt, self.throttled = policy.clock(), 0, 0.0

    def after_error(self, error: Exception) -> float | None:
        wait = self.policy.backoff(self.attempt + 1)
        elapsed = self.policy.clock() - self.started
        if elapsed + wait > self.policy.max_time:
            log.warning("%s; giving up after %d retries in %.0fs", error, self.attempt, elapsed)
            return None
        log.warning("%s; retry %d in %.2fs", error, self.attempt + 1, wait)
        return wait

    def after_throttle(self, response: Response) -> float | None:
        wait = _retry_after(response)
        wait = 1.0 if wait is None else wait
        limit = self.policy.rate_limit_time
        if limit is not None and self.throttled + wait > limit:
            log.warning("%s - 429; rate-limited for %.0fs, giving up", self.label, self.throttled)
            return None
        self.throttled += wait
        log.warning("%s - 429 Too Many Requests; waiting Retry-After %gs", self.label, wait)
        return wait

    def after_server_error(self, response: Response) -> float | None:
        wait = max(self.policy.backoff(self.attempt + 1), _retry_after(response) or 0.0)
        elapsed = self.policy.clock() - self.started
        if elapsed + wait > self.policy.max_time:
            log.warning("%s - %d; giving up after %d retries in %.0fs", self.label, response.status_code,
                        self.attempt, elapsed)
            return None
        log.warning("%s - %d; retry %d in %.2fs", self.label, response.status_code, self.attempt + 1, wait)
        return wait


def send_resilient(send: Callable[[], Response], policy: Resilience | None, label: str, *,
                   repeatable: bool, is_final: Callable[[Response], bool] | None = None
                   ) -> Response:
    """``send()`` until HQ gives an answer worth keeping, as the module docstring says.

    Args:
        send: sends the request once (raises the http adaptor's ``ConnectError``/``RequestTimeout``).
        policy: the retry policy, ``None`` for a single attempt.
        label: ``"GET http://hq/a/demo/api/..."`` for the log lines.
        repeatable: whether a 5xx or a lost connection may be retried (the request is idempotent).
        is_final: says a 5xx answer is definitive (not retried).

    Returns:
        The last response; connection errors are re-raised once retries are spent.
    """
    if policy is None:
        return send()
    attempts = _Attempts(policy, label)
    while True:
        try:
            response = send()
        except (ConnectError, RequestTimeout) as error:
            retryable = repeatable and getattr(error, "code", None) != "TLS_ERROR"
            wait = attempts.after_error(error) if retryable else None
            if wait is None:
                raise
        else:
            wait = _wait_for(response, attempts, repeatable, is_final)
            if wait is None:
                return response
            response.close()
        attempts.attempt += 1
        policy.sleep(wait)


def _wait_for(response: Response, attempts: _Attempts, repeatable: bool,
              is_final: Callable[[Response], bool] | None) -> float | None:
    status = response.status_code
    if status == 429:
        return attempts.after_throttle(response)
    if status >= 500 and repeatable and not (is_final and is_final(response)):
        return attempts.after_server_error(response)
    return None
