"""A JSONPath that matches nothing is said: a warning naming the path, or a failure when strict.

``each("$.patient[*]", ...)`` over a state without ``patient`` would otherwise run zero times
and end as a success. The operations that read state through a JSONPath (``each``, ``map``,
``merge``, ``join``, ``source``, ``source_value``, ``data_value``, ``last_reference_value``,
``as_data``) go through :func:`said_query` and :func:`said_first`: an empty match logs
``each: the JSONPath "$.patient[*]" matched nothing`` once per operation and path in a step,
or, inside :func:`empty_matches` with ``strict=True`` (``pyfn execute --strict``), raises
:class:`EmptyMatchError`.

Example:
    >>> with empty_matches(strict=True):
    ...     said_query({"data": {}}, "$.data.items[*]", "each")
    Traceback (most recent call last):
    ...
    adaptors.common.empty_match.EmptyMatchError: each: the JSONPath "$.data.items[*]" matched nothing
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Iterator

from . import jsonpath

__all__ = ["EmptyMatchError", "empty_matches", "said_query", "said_first"]

_log = logging.getLogger("pyfn.adaptor.common")


class EmptyMatchError(LookupError):
    """A JSONPath matched nothing while empty matches are failures (``--strict``)."""

    fix = "Check the path against the input state (without --strict an empty match only logs a warning)"


class _Policy:
    def __init__(self, strict: bool):
        self.strict = strict
        self.said: set[tuple[str, str]] = set()


_policy: ContextVar[_Policy | None] = ContextVar("pyfn_empty_matches", default=None)


@contextmanager
def empty_matches(strict: bool = False) -> Iterator[None]:
    """While the block runs, an empty match warns once per operation and path, or fails if ``strict``."""
    token = _policy.set(_Policy(strict))
    try:
        yield
    finally:
        _policy.reset(token)


def said_query(obj: Any, path: str, operation: str) -> list:
    """:func:`jsonpath.query`, saying so when nothing matches."""
    found = jsonpath.query(obj, path)
    if not found:
        _say(path, operation)
    return found


def said_first(obj: Any, path: str, operation: str) -> Any:
    """:func:`jsonpath.first`, saying so when nothing matches."""
    found = jsonpath.query(obj, path)
    if not found:
        _say(path, operation)
        return None
    return found[0]


def _say(path: str, operation: str) -> None:
    message = f'{operation}: the JSONPath "{path}" matched nothing'
    policy = _policy.get()
    if policy is not None and policy.strict:
        raise EmptyMatchError(message)
    if policy is not None:
        if (operation, path) in policy.said:
            return
        policy.said.add((operation, path))
    _log.warning(message)
