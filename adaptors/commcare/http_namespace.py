"""The ``http`` namespace: requests to HQ's newer APIs (``case/v2``, ``case/v1``...), as OpenFn 4.2.

A job writes ``http.get("case/v2", {"case_type": "patient"})``. A path that starts with ``/`` is
used as it is; any other becomes ``/a/<domain>/api/<path>/`` (no ``v0.5``). There is no
pagination and no callback: ``state["data"]`` is HQ's answer (use ``list_cases`` to follow the
v2 cursor). Every request carries the CommCare auth header and goes through the step's session
with the adaptor's retries.

Example:
    http.get("case/v2", {"case_type": "patient", "limit": 100})
    http.post("case/v2", {"case_type": "patient", "case_name": "Zoë", "owner_id": state["owner"]})
"""

from __future__ import annotations

from typing import Any, Callable

from adaptors.common.references import expand_references

from .client import call, namespace_path, settings
from .operations import prepare_next_state

__all__ = ["get", "post", "request"]

Operation = Callable[[dict], dict]


def request(method: str, path: Any, body: Any = None, params: Any = None) -> Operation:
    """Send any request to ``/a/<domain>/api/<path>/`` (or ``path`` as given when it starts with ``/``).

    Args:
        method: ``"GET"``, ``"POST"``, ``"PUT"``...
        path: e.g. ``"case/v2"``, ``"case/v2/<case_id>"``, ``"case/v2/bulk-fetch"``; may be lazy.
        body: sent as JSON; may be lazy.
        params: query parameters (lists repeat the key); may be lazy.

    Returns:
        An operation; ``state["data"]`` is HQ's answer.

    Example:
        http.request("PUT", f"case/v2/{state['data']['case_id']}", {"properties": {"status": "done"}})

    Differences from OpenFn:
        A slash is added to the path (HQ's URLs end with one). Retries on 429, and on 5xx for
        idempotent methods.
    """

    def run(state: dict) -> dict:
        url = namespace_path(settings(state), expand_references(state, path))
        reply = call(state, str(method).upper(), url, query=expand_references(state, params) or {},
                     body=expand_references(state, body))
        return prepare_next_state(state, reply)

    return run


def get(path: Any, params: Any = None) -> Operation:
    """GET ``/a/<domain>/api/<path>/``; ``state["data"]`` is the answer (one page: no pagination).

    Args:
        path: e.g. ``"case/v2"`` or ``"case/v2/<id1>,<id2>"``; may be lazy.
        params: query parameters, e.g. ``{"case_type": "patient", "limit": 100}``; may be lazy.

    Returns:
        An operation.

    Example:
        http.get("case/v2", {"case_type": "patient", "properties.village": "Kisumu"})

    Differences from OpenFn:
        A slash is added to the path; retries on 429 and 5xx.
    """
    return request("GET", path, None, params)


def post(path: Any, data: Any = None, params: Any = None) -> Operation:
    """POST JSON to ``/a/<domain>/api/<path>/``; ``state["data"]`` is the answer.

    Args:
        path: e.g. ``"case/v2"`` (create one case with an object, up to 100 with a list).
        data: the JSON body; may be lazy.
        params: query parameters; may be lazy.

    Returns:
        An operation.

    Example:
        http.post("case/v2", {"case_type": "patient", "case_name": state["data"]["name"],
                              "owner_id": state["data"]["owner"], "properties": {"dob": "1990-01-01"}})

    Differences from OpenFn:
        A slash is added to the path; retried only on 429 (a create is not repeated after a 5xx).
    """
    return request("POST", path, data, params)
