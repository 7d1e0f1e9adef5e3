"""``HQ``: the CommCare HQ simulator with what a job's tests need (the ``commcare_hq`` fixture's class).

Reads go through HQ's own APIs (form list v0.5, Case API v2), so a test sees
exactly what a job pulling from HQ would see.

Example:
    >>> with HQ(seed=0) as hq:
    ...     case_id = hq.add_case("patient", "Amina", {"village": "Kamwala"})
    ...     [c["case_name"] for c in hq.cases(case_type="patient")]
    ['Amina']
"""

from __future__ import annotations

from typing import Any, Iterator

import requests

from hq_simulator import DEFAULT_API_KEY, DEFAULT_APP_ID, DEFAULT_USERNAME, CommCareSimulator

__all__ = ["HQ"]


class HQ(CommCareSimulator):
    """A ``CommCareSimulator`` with ``configuration``, ``forms()``, ``cases()`` and ``add_case()``."""

    @property
    def configuration(self) -> dict:
        """A ready ``state["configuration"]`` for the commcare adaptor (demo user and API key)."""
        return {"hostUrl": self.url, "domain": self.domain, "appId": DEFAULT_APP_ID,
                "username": DEFAULT_USERNAME, "apiKey": DEFAULT_API_KEY}

    def forms(self, **filters: Any) -> list[dict]:
        """Every form the form API lists (``xmlns=``, ``app_id=``… as HQ's filters), oldest first."""
        url = f"{self.url}/a/{self.domain}/api/v0.5/form/"
        params = {"limit": 1000, "order_by": "indexed_on", **filters}
        return list(self._pages(url, params, "objects", lambda page: page["meta"].get("next")))

    def cases(self, **filters: Any) -> list[dict]:
        """Every case the Case API v2 lists (``case_type=``, ``owner_id=``, ``closed=``…)."""
        url = f"{self.url}/a/{self.domain}/api/case/v2/"
        return list(self._pages(url, {"limit": 5000, **filters}, "cases", lambda page: page.get("next")))

    def add_case(self, case_type: str, case_name: str, properties: dict | None = None,
                 **fields: Any) -> str:
        """Create a case through the Case API v2; return its ``case_id``."""
        body = {"case_type": case_type, "case_name": case_name, "owner_id": fields.pop("owner_id", None)
                or self.demo_account["user_id"], "properties": properties or {}, **fields}
        with self._session() as session:
            response = session.post(f"{self.url}/a/{self.domain}/api/case/v2/", json=body)
        response.raise_for_status()
        return response.json()["case"]["case_id"]

    def _session(self) -> requests.Session:
        session = requests.Session()
        session.headers.update(self.auth_header)
        return session

    def _pages(self, url: str, params: dict | None, key: str, next_of) -> Iterator[dict]:
        with self._session() as session:
            while url:
                response = session.get(url, params=params)
                response.raise_for_status()
                page = response.json()
                yield from page[key]
                following = next_of(page)
                url = following if not following or following.startswith("http") else self.url + following
                params = None
