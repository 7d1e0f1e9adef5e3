"""The messaging-event API: ``/a/<domain>/api/v0.5/messaging-event/`` (SMS sent to cases), list and detail.

As HQ's (``corehq/apps/api/resources/messaging_event/``): one object per message sub-event with
``id`` (an integer), ``content_type``, ``date``, ``date_last_activity``, ``case_id``, ``domain``,
``error``, ``form``, ``messages`` (``message_id, date, date_modified, type, direction, content,
status, backend, phone_number``), ``recipient`` and ``source``. Filters ``date.<op>`` and
``date_last_activity.<op>`` (``gt``, ``gte``, ``lt``, ``lte``), ``content_type``, ``status``,
``source`` (comma lists of slugs), ``case_id``, ``phone_number`` (contained), ``error_code``;
``order_by`` ``date`` or ``date_last_activity`` (``-`` for descending), then ``id``. ``limit``
defaults to 20, at most 1000. The list is ``{"objects", "meta": {"limit", "next"}}``: ``next`` is an
absolute URL whose ``cursor`` is the base64 of the request's parameters plus ``<order
field>.gte`` (``.lte`` descending) = the last object's value and ``last_object_id``; a cursor page
asks for one more and drops the first object when it is that last one (``pagination.py``).
commcare-export pages it with ``order_by=date_last_activity`` and ``date_last_activity.gte``.

Example:
    >>> events = MessagingEvents("demo")
    >>> events.add_sms("c1", "Zoë", "+254700000001", "Visit tomorrow", 1_700_000_000_000_000)["content_type"]
    'sms'
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from . import dates
from .messages import HTTPError, Response
from .tastypie import decode_cursor, encode_cursor

__all__ = ["MessagingEvents", "register", "MAX_LIMIT"]

MAX_LIMIT = 1000
_EPOCH = datetime(1970, 1, 1)
_ORDERS = ("date", "date_last_activity")
_OPS = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b, "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}
_SLUG_FILTERS = {"content_type": lambda e: e["content_type"], "status": lambda e: e["status"],
                 "source": lambda e: e["source"]["type"]}


class MessagingEvents:
    """The project's messaging events, in the order they were added (ids 1, 2, ...).

    Example:
        >>> MessagingEvents("demo").events
        []
    """

    def __init__(self, domain: str) -> None:
        self.domain = domain
        self.events: list[dict] = []

    def add_sms(self, case_id: str, case_name: str, phone: str, text: str, when: int,
                source: str = "conditional-alert", status: str = "completed") -> dict:
        """Record one outgoing SMS to a case's number, sent at ``when`` (microseconds).

        Example:
            >>> event = MessagingEvents("demo").add_sms("c1", "Zoë", "+2547", "Hello", 0)
            >>> event["id"], event["messages"][0]["direction"], event["date"]
            (1, 'outgoing', '1970-01-01T00:00:00')
        """
        number = len(self.events) + 1
        sent, delivered = _iso(when), _iso(when + 2_000_000)
        event = {"id": number, "content_type": "sms", "date": sent, "date_last_activity": delivered,
                 "case_id": case_id, "domain": self.domain, "error": None, "form": None,
                 "messages": [{"message_id": number, "date": sent, "date_modified": delivered, "type": "sms",
                               "direction": "outgoing", "content": text, "status": "sent",
                               "backend": "simulated-gateway", "phone_number": phone}],
                 "recipient": {"recipient_id": case_id, "type": "case", "name": case_name},
                 "source": {"source_id": source, "type": source, "name": "Visit reminder"}, "status": status}
        self.events.append(event)
        return event


def _iso(us: int) -> str:
    return (_EPOCH + timedelta(microseconds=us)).isoformat()  # a naive UTC datetime's isoformat(), as HQ writes


def _params(request) -> tuple[dict, bool]:
    if request.param("cursor") is None:
        return {k: v[-1] for k, v in request.query.items()}, False
    try:
        return decode_cursor(request.param("cursor")), True
    except ValueError:
        raise HTTPError(400, "Invalid cursor") from None


def _limit(params: dict) -> int:
    value = params.get("limit", "20")
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise HTTPError(400, f"Invalid limit '{value}' provided. Please provide a positive integer.")
    return min(number, MAX_LIMIT)


def _matches(event: dict, params: dict) -> bool:
    for key, value in params.items():
        field, _, op = key.partition(".")
        if field in _ORDERS and op:
            if op not in _OPS:
                raise HTTPError(400, f"'{key}' is not a valid filter")
            try:
                bound = dates.parse(value)
            except ValueError:
                raise HTTPError(400, f"'{value}' is not a valid date for '{key}'") from None
            if not _OPS[op](dates.parse(event[field]), bound):
                return False
        elif key in _SLUG_FILTERS and _SLUG_FILTERS[key](event) not in value.split(","):
            return False
        elif key == "case_id" and event["case_id"] != value.strip():
            return False
        elif key == "phone_number" and not any(value.strip() in m["phone_number"] for m in event["messages"]):
            return False
        elif key == "error_code" and (event["error"] or {}).get("code") != value.strip():
            return False
    return True


def _ordered(events: list, params: dict) -> tuple[list, str, bool]:
    order = params.get("order_by") or "date"
    if order.lstrip("-") not in _ORDERS:
        raise HTTPError(400, f"No matching '{order}' field for ordering")
    field, descending = order.lstrip("-"), order.startswith("-")
    ordered = sorted(events, key=lambda e: (dates.parse(e[field]), e["id"]), reverse=descending)
    return ordered, field, descending


def list_page(events: list, request) -> dict:
    """One page of the list for ``request`` (see the module docstring).

    Example:
        >>> from .messages import Request
        >>> store = MessagingEvents("demo")
        >>> _ = [store.add_sms("c", "n", "+1", "t", i * 1_000_000) for i in range(3)]
        >>> page = list_page(store.events, Request("GET", "/x/", "limit=2", {"host": "hq"}, b""))
        >>> [e["id"] for e in page["objects"]], page["meta"]["next"].startswith("http://hq/a/demo/")
        ([1, 2], True)
    """
    params, is_cursor = _params(request)
    limit = _limit(params)
    ordered, field, descending = _ordered([e for e in events if _matches(e, params)], params)
    if is_cursor:
        page = ordered[:limit + 1]
        page = page[1:] if page and str(page[0]["id"]) == params.get("last_object_id") else page[:limit]
    else:
        page = ordered[:limit]
    next_url = None
    if page:
        cursor = {k: v for k, v in params.items() if k != "cursor"}
        cursor.update({f"{field}.{'lte' if descending else 'gte'}": page[-1][field],
                       "last_object_id": str(page[-1]["id"])})
        domain = request.match.get("domain", "demo")
        next_url = f"{request.base_url}/a/{domain}/api/v0.5/messaging-event/?{urlencode({'cursor': encode_cursor(cursor)})}"
    return {"objects": page, "meta": {"limit": limit, "next": next_url}}


def register(app, sim) -> None:
    """Add the messaging-event routes to ``app`` for simulator ``sim``.

    Example:
        >>> from hq_simulator import CommCareSimulator  # it registers every API module
        >>> sorted({r.method for r in CommCareSimulator().app.routes if r.handler.__module__ == __name__})
        ['GET']
    """
    base = r"/a/(?P<domain>[^/]+)/api/v0\.5/messaging-event/"

    def listing(request) -> Response:
        sim.check_domain(request)
        return Response.json(list_page(sim.messaging.events, request))

    def detail(request) -> Response:
        sim.check_domain(request)
        found = [e for e in sim.messaging.events if str(e["id"]) == request.match["event_id"]]
        return Response.json(found[0]) if found else Response.empty(404)

    app.route("GET", base, listing, style="json")
    app.route("GET", base + r"(?P<event_id>\d+)/", detail, style="json")
