"""Stand-ins for the systems the shipped examples push to: a Salesforce-like CRM and an SMS gateway.

Both run on a :class:`DestinationAPI` (loopback, every request recorded) and
keep what they received, so the demo can show it and tests can assert on it.

Example:
    >>> with CRM() as crm:
    ...     import requests
    ...     url = f"{crm.url}/services/data/v59.0/sobjects/Patient__c/CommCare_Case_ID__c/c-1"
    ...     requests.patch(url, json={"LastName": "Okafor"}).status_code
    201
"""

from __future__ import annotations

import itertools
from typing import Any

from runtime.testing.destination import DestinationAPI
from runtime.testing.recording import RecordedRequest, Response

__all__ = ["CRM", "SMSGateway", "SOBJECTS"]

SOBJECTS = "/services/data/v59.0/sobjects/"


class CRM(DestinationAPI):
    """A Salesforce-like REST API: create, update by id, upsert by external id, and an alerts inbox.

    - ``POST /services/data/v59.0/sobjects/<Object>`` creates a record: 201 ``{"id", "success"}``.
    - ``PATCH /services/data/v59.0/sobjects/<Object>/<Id>`` updates it: 204, or 404 for an unknown id.
    - ``PATCH /services/data/v59.0/sobjects/<Object>/<ExternalIdField>/<value>`` creates (201)
      or updates (200) the record whose external id is ``value``; ``{"id", "success", "created"}``.
    - ``GET`` on the same path returns the record (404 if there is none).
    - ``POST /alerts`` keeps an alert (201).
    ``records[(object, value)]`` and ``alerts`` hold what arrived; a created record is keyed by its
    ``CommCare_Case_ID__c`` (its ``Id`` without one).
    """

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.records: dict[tuple[str, str], dict] = {}
        self.alerts: list[dict] = []
        self._ids = itertools.count(1)
        self.route("POST", SOBJECTS + "*", self._create)
        self.route("PATCH", SOBJECTS + "*", self._upsert)
        self.route("GET", SOBJECTS + "*", self._read)
        self.route("POST", "/alerts", self._alert)

    def _key(self, request: RecordedRequest) -> tuple[str, str] | None:
        parts = request.path[len(SOBJECTS):].split("/")
        return (parts[0], parts[2]) if len(parts) == 3 and all(parts) else None

    def _create(self, request: RecordedRequest) -> Response:
        name = request.path[len(SOBJECTS):]
        if "/" in name or not name or not isinstance(request.json, dict):
            return Response(400, [{"errorCode": "MALFORMED_QUERY", "message": "bad create"}])
        record = {"Id": f"a0{next(self._ids):05d}", **request.json}
        self.records[(name, str(request.json.get("CommCare_Case_ID__c") or record["Id"]))] = record
        return Response(201, {"id": record["Id"], "success": True, "errors": []})

    def _update(self, request: RecordedRequest) -> Response:
        name, _, record_id = request.path[len(SOBJECTS):].partition("/")
        found = [r for (kind, _), r in self.records.items() if kind == name and r["Id"] == record_id]
        if not found or not isinstance(request.json, dict):
            return Response(404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])
        found[0].update(request.json)
        return Response(204, b"")

    def _upsert(self, request: RecordedRequest) -> Response:
        if request.path[len(SOBJECTS):].count("/") == 1:
            return self._update(request)
        key = self._key(request)
        if key is None or not isinstance(request.json, dict):
            return Response(400, [{"errorCode": "MALFORMED_QUERY", "message": "bad upsert"}])
        created = key not in self.records
        record = self.records.setdefault(key, {"Id": f"a0{next(self._ids):05d}"})
        record.update(request.json)
        return Response(201 if created else 200, {"id": record["Id"], "success": True, "created": created})

    def _read(self, request: RecordedRequest) -> Response:
        key = self._key(request)
        if key not in self.records:
            return Response(404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])
        return Response(200, self.records[key])

    def _alert(self, request: RecordedRequest) -> Response:
        self.alerts.append(request.json)
        return Response(201, {"received": True})


class SMSGateway(DestinationAPI):
    """An SMS gateway: ``POST /messages`` with ``{"to", "body"}`` queues a message (201).

    A number that does not start with ``+`` is refused (400), as real gateways refuse
    malformed numbers. ``sent`` holds the accepted messages.
    """

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.sent: list[dict] = []
        self.route("POST", "/messages", self._send)

    def _send(self, request: RecordedRequest) -> Response:
        message = request.json if isinstance(request.json, dict) else {}
        if not str(message.get("to", "")).startswith("+") or not message.get("body"):
            return Response(400, {"error": "'to' must be an international number and 'body' non-empty"})
        self.sent.append(message)
        return Response(201, {"id": f"SM{len(self.sent):06d}", "status": "queued"})
