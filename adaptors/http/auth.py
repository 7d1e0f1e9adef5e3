"""Credentials from ``state["configuration"]``, applied as OpenFn's http adaptor applies them.

Auth is added only when ``configuration.baseUrl`` is set (an absolute URL to another host
never receives the step's credentials) and never over an ``Authorization`` header the job set.
``access_token`` (Bearer) wins over ``username`` + ``password`` (Basic).
"""

from __future__ import annotations

import base64
from typing import Any

__all__ = ["apply_auth", "basic_auth_header"]


def basic_auth_header(username: str, password: str) -> str:
    """``Basic base64(username:password)``."""
    token = base64.b64encode(f"{username}:{password}".encode("utf-8")).decode("ascii")
    return f"Basic {token}"


def apply_auth(configuration: dict[str, Any], headers: dict[str, str]) -> dict[str, str]:
    """``headers`` plus an ``Authorization`` header from ``configuration``, if one applies.

    Returns a new dict; ``headers`` is not changed. The check for an existing header ignores
    case (OpenFn only looks for the exact key ``Authorization``).
    """
    if any(name.lower() == "authorization" for name in headers):
        return dict(headers)
    token = configuration.get("access_token")
    if token:
        return {**headers, "Authorization": f"Bearer {token}"}
    username, password = configuration.get("username"), configuration.get("password")
    if username and password:
        return {**headers, "Authorization": basic_auth_header(str(username), str(password))}
    return dict(headers)
