"""Case API v2, reads: ``/a/<domain>/api/case/v2/`` list (cursor), by id, by ids, by external id.

The list sorts by ``indexed_on`` then ``case_id``. Its ``next`` is an
absolute URL whose ``cursor`` is, as in HQ, the base64 of the url-encoded
original parameters plus ``indexed_on.gte`` (the last case's ``indexed_on``)
and ``last_case_id``; a cursor request reads its filters from the cursor only
and selects ``(indexed_on == last AND case_id > last_id) OR indexed_on > last``.
``matching_records`` counts what the current request matches (on a cursor
page: what remains).

Example:
    >>> decode_cursor(encode_cursor({"limit": ["2"]}, "2024-01-01T00:00:00.000000Z", "c9"))
    ({'limit': ['2']}, '2024-01-01T00:00:00.000000Z', 'c9')
"""

from __future__ import annotations

import base64
import binascii
import json
from bisect import bisect_left
from urllib.parse import parse_qs, urlencode

from .. import dates
from ..messages import HTTPError, Response
from . import v2_urls

__all__ = ["register", "encode_cursor", "decode_cursor", "list_filters", "MAX_LIMIT"]

MAX_LIMIT = 5000
DEFAULT_LIMIT = 20
_FALSE = ("false", "f", "no", "n", "off", "0")
_SIMPLE = {"external_id": "external_id", "case_type": "case_type", "owner_id": "owner_id", "case_name": "case_name"}
_DATES = {"last_modified": "date_modified", "server_last_modified": "server_date_modified",
          "date_opened": "date_opened", "date_closed": "date_closed", "indexed_on": "indexed"}


def _error(message: str) -> HTTPError:
    return HTTPError(400, message)


def encode_cursor(params: dict, last_date: str, last_id: str) -> str:
    """The cursor HQ builds: base64 of the params plus ``indexed_on.gte`` and ``last_case_id``.

    Example:
        >>> encode_cursor({}, "2024-01-01T00:00:00.000000Z", "c1")[:12]
        'aW5kZXhlZF9v'
    """
    params = {**params, "indexed_on.gte": [last_date], "last_case_id": [last_id]}
    return base64.b64encode(urlencode(params, doseq=True).encode("utf-8")).decode("ascii")


def decode_cursor(cursor: str) -> tuple[dict, str, str]:
    """``(params, last_date, last_case_id)`` from a cursor (400 when it is not one).

    Example:
        >>> decode_cursor(encode_cursor({"case_type": ["patient"]}, "d", "c"))[0]
        {'case_type': ['patient']}
    """
    try:
        params = parse_qs(base64.b64decode(cursor).decode("utf-8"), keep_blank_values=True)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _error("Invalid cursor") from None
    last_date = params.pop("indexed_on.gte", [""])[0]
    last_id = params.pop("last_case_id", [""])[0]
    return params, last_date, last_id


def _to_bool(value: str) -> bool:
    return not (value == "" or value.lower() in _FALSE)


def _date_filter(prefix: str, qualifier: str, value: str):
    if qualifier not in ("gt", "gte", "lt", "lte"):
        raise _error(f"'{qualifier}' is not a valid type of date range.")
    try:  # a date-only bound rounds as Elasticsearch does: gt/lte to the end of the day
        bound = dates.parse_bound(value, upper=qualifier in ("gt", "lte"))
    except ValueError:
        raise _error(f"Cannot parse datetime '{value}'") from None
    field = _DATES[prefix]
    compare = {"gt": bound.__lt__, "gte": bound.__le__, "lt": bound.__gt__, "lte": bound.__ge__}[qualifier]
    return lambda r: r[field] is not None and compare(r[field])


def _one_filter(key: str, value: str):
    if key in _SIMPLE:
        return lambda r, f=_SIMPLE[key]: (r[f] or "") == value
    if key == "closed":
        return lambda r, want=_to_bool(value): r["closed"] == want
    if key == "include_deprecated":
        return lambda r: True
    if key == "query":
        raise _error("Bad query: the simulator does not evaluate XPath case search queries")
    prefix, _, qualifier = key.partition(".")
    if qualifier and prefix == "properties":
        return lambda r: (r["properties"].get(qualifier) or "") == value
    if qualifier and prefix == "indices":
        return lambda r: r["indices"].get(qualifier, {}).get("case_id") == value
    if qualifier and prefix in _DATES:
        return _date_filter(prefix, qualifier, value)
    raise _error(f"'{key}' is not a valid parameter.")


def list_filters(params: dict) -> tuple[int, list]:
    """``(limit, [(signature, predicate)])`` for list params; repeated keys are OR-ed (400 on bad ones).

    Example:
        >>> limit, checks = list_filters({"limit": ["50"], "case_type": ["patient", "household"]})
        >>> limit, len(checks), checks[0][1]({"case_type": "household"})
        (50, 1, True)
    """
    raw_limit = (params.get("limit") or [str(DEFAULT_LIMIT)])[-1]
    try:
        limit = int(raw_limit)
    except ValueError:
        raise _error(f"'{raw_limit}' is not a valid value for 'limit'") from None
    if limit > MAX_LIMIT:
        raise _error(f"You cannot request more than {MAX_LIMIT} cases per request.")
    checks = []
    for key, values in params.items():
        if key == "limit":
            continue
        predicates = [_one_filter(key, value) for value in values]
        checks.append(((key, tuple(values)), lambda r, ps=predicates: any(p(r) for p in ps)))
    return max(limit, 0), checks


def _page(store, checks: list, last: tuple | None, limit: int) -> tuple[int, list]:
    predicates = [p for _, p in checks]
    predicate = (lambda r: all(p(r) for p in predicates)) if predicates else None
    keys, ids = store.select("case", tuple(s for s, _ in checks), predicate)
    start = 0
    if last is not None:
        last_us, last_id = last
        start = bisect_left(keys, last_us)
        while start < len(keys) and keys[start] == last_us and ids[start] <= last_id:
            start += 1
    return len(ids) - start, ids[start:start + limit]


def _cursor_request(query: dict) -> tuple[dict, tuple | None]:
    if "cursor" not in query:
        return query, None
    params, last_date, last_id = decode_cursor(query["cursor"][-1])
    try:
        return params, (dates.parse(last_date), last_id)
    except ValueError:
        raise _error("Invalid cursor") from None


class _Routes:
    """The Case API v2 read handlers, bound to one simulator."""

    def __init__(self, sim) -> None:
        self.sim, self.store = sim, sim.store

    def list_cases(self, request) -> Response:
        self.sim.check_domain(request)
        params, last = _cursor_request(dict(request.query))
        limit, checks = list_filters(params)
        with self.store.lock:
            matching, ids = _page(self.store, checks, last, limit)
            cases = self.sim.case_jsons(ids, "v2")
            tail = self.store.cases[ids[-1]] if ids else None
        body = '{"matching_records": %d, "cases": [%s]' % (matching, ", ".join(cases))
        if tail is not None and matching > len(ids):
            cursor = encode_cursor(params, dates.iso(tail["indexed"]), tail["case_id"])
            next_url = f"{request.base_url}/a/{self.store.domain}/api/case/v2/?{urlencode({'cursor': cursor})}"
            body += ', "next": "%s"' % next_url
        return Response.json(body + "}")

    def _one(self, key: str, value: str) -> str:
        if key == "case_id":
            return self.sim.case_json(value, "v2") if value in self.store.cases else None
        matches = sorted(self.store.by_external_id.get(value, ()))
        return self.sim.case_json(matches[0], "v2") if matches else None

    def _bulk(self, case_ids: list[str], external_ids: list[str]) -> Response:
        if len(case_ids) + len(external_ids) > MAX_LIMIT:  # corehq/apps/hqcase/api/get_bulk.py get_bulk
            raise _error(f"You cannot request more than {MAX_LIMIT} cases per request.")
        found, stubs = [], 0
        with self.store.lock:
            for key, value in [("case_id", c) for c in case_ids] + [("external_id", e) for e in external_ids]:
                text = self._one(key, value)
                if text is None:
                    stubs += 1
                    text = json.dumps({key: value, "error": "not found"})
                found.append(text)
        body = '{"matching_records": %d, "missing_records": %d, "cases": [%s]}' % (
            len(found) - stubs, stubs, ", ".join(found))
        return Response.json(body)

    def get_cases(self, request) -> Response:
        self.sim.check_domain(request)
        case_ids = [c for c in request.match["case_id"].split(",") if c]
        if len(case_ids) > 1:
            return self._bulk(case_ids, [])
        with self.store.lock:
            if case_ids and case_ids[0] in self.store.cases:
                return Response.json(self.sim.case_json(case_ids[0], "v2"))
        raise HTTPError(404, f"Case '{request.match['case_id']}' not found")

    def get_by_external_id(self, request) -> Response:
        self.sim.check_domain(request)
        external_id = request.match["external_id"]
        with self.store.lock:
            matches = sorted(self.store.by_external_id.get(external_id, ()))
            if len(matches) > 1:  # corehq/apps/hqcase/views.py _get_by_external_id
                raise _error(f"Multiple cases found with external_id '{external_id}': {', '.join(matches)}")
            if matches:
                return Response.json(self.sim.case_json(matches[0], "v2"))
        raise HTTPError(404, f"Case '{external_id}' not found")

    def bulk_fetch(self, request) -> Response:
        self.sim.check_domain(request)
        body = request.json_body(dict)
        case_ids, external_ids = body.get("case_ids"), body.get("external_ids")
        if not case_ids and not external_ids:  # corehq/apps/hqcase/views.py _handle_bulk_fetch
            raise _error("Payload must include 'case_ids' or 'external_ids' fields")
        return self._bulk(list(case_ids or []), list(external_ids or []))


def register(app, sim) -> None:
    """Add the Case API v2 read routes to ``app`` for simulator ``sim``.

    Example:
        >>> from hq_simulator import CommCareSimulator  # it registers every API module
        >>> sorted({r.method for r in CommCareSimulator().app.routes if r.handler.__module__ == __name__})
        ['GET', 'POST']
    """
    routes = _Routes(sim)
    app.route("GET", v2_urls.LIST, routes.list_cases, style="json")
    app.route("POST", v2_urls.BULK_FETCH, routes.bulk_fetch, style="json")
    app.route("GET", v2_urls.EXTERNAL, routes.get_by_external_id, style="json")
    app.route("GET", v2_urls.DETAIL, routes.get_cases, style="json")
