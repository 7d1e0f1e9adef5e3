"""UCR data sources and their data, as CommCare HQ serves them (what commcare-export's ``ucr`` pulls).

- ``GET /a/<domain>/api/v0.5/ucr_data_source/``: the data sources, ``{"meta": {"total_count"},
  "objects": [{"id", "display_name", "resource_uri"}]}`` (not paginated: ``DoesNothingPaginator``);
  ``.../ucr_data_source/<id>/`` adds ``configured_filter`` and ``configured_indicators``
  (``DataSourceConfigurationResource``, corehq/apps/api/resources/v0_5.py).
- ``GET /a/<domain>/api/v0.5/ucr/?data_source_id=<id>`` (also ``/a/<domain>/api/ucr/v1/``): the rows of
  ONE data source (``get_ucr_data`` / ``get_datasource_data`` in the same module, the query from
  ``cursor_based_query_for_datasource`` in corehq/apps/api/util.py, the answer from
  ``response_for_cursor_based_pagination`` in corehq/apps/api/resources/pagination.py). Rows are ordered by
  ``inserted_at`` then ``doc_id``; each is ``{"id": doc_id, "doc_id", "inserted_at", <columns>...}``.
  ``limit`` defaults to 1000 and is cut to 10000; ``meta`` is ``{"next", "limit"}`` (``limit`` as given, a
  string, or the number it was set to). ``next`` is an absolute URL whose ``cursor`` is the base64 of
  ``last_doc_id=...&last_inserted_at=...`` (the last row's) plus the request's other parameters; a request
  with a cursor takes its parameters from the cursor, so from the second page on ``next`` no longer carries
  ``data_source_id`` (commcare-export adds it back from its query). The last page is the empty one:
  ``next`` is ``null`` only when ``objects`` is empty. No other parameter filters. No ``data_source_id``:
  400 ``Missing data_source_id parameter``; an unknown one or a cursor that does not decode: 500, as HQ's
  code raises. Values are encoded as Django's ``JsonResponse`` does: datetimes to the millisecond without a
  zone, decimals as strings.

A data source's rows are the seeded or submitted documents that pass its filter, with ``inserted_at`` the
time HQ indexed the document (so an updated case moves to the end, as a rebuilt UCR row does).

Example:
    >>> sources = DataSources("demo")
    >>> sources.add({"_id": "ds1", "display_name": "Cases", "referenced_doc_type": "CommCareCase",
    ...              "configured_indicators": []})["resource_uri"]
    '/a/demo/api/v0.5/ucr_data_source/ds1/'
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from . import dates, ucr_spec
from .messages import HTTPError, Response
from .tastypie import decode_cursor, encode_cursor

__all__ = ["DataSources", "register", "DEFAULT_LIMIT", "MAX_LIMIT"]

DEFAULT_LIMIT = 1000  # EXPORT_DATASOURCE_DEFAULT_PAGINATION_LIMIT
MAX_LIMIT = 10000  # EXPORT_DATASOURCE_MAX_PAGINATION_LIMIT
_EPOCH = datetime(1970, 1, 1)


class DataSources:
    """The project's UCR data sources (HQ's ``DataSourceConfiguration`` documents), by id.

    Example:
        >>> DataSources("demo").configs
        {}
    """

    def __init__(self, domain: str) -> None:
        self.domain = domain
        self.configs: dict[str, dict] = {}

    def add(self, config: dict) -> dict:
        """Add (or replace) a data source; ``_id`` or ``id`` names it. Raises ``ucr_spec.SpecError``.

        Example:
            >>> DataSources("demo").add({"id": "x", "referenced_doc_type": "Form"})
            Traceback (most recent call last):
            ...
            hq_simulator.ucr_spec.SpecError: referenced_doc_type must be CommCareCase or XFormInstance
        """
        ucr_spec.check(config)
        source_id = config.get("_id") or config.get("id")
        if not source_id:
            raise ucr_spec.SpecError("a data source needs an _id")
        stored = {"id": source_id, "display_name": config.get("display_name"), "domain": self.domain,
                  "table_id": config.get("table_id") or source_id,
                  "referenced_doc_type": config["referenced_doc_type"],
                  "configured_filter": config.get("configured_filter") or {},
                  "configured_indicators": list(config.get("configured_indicators") or []),
                  "resource_uri": f"/a/{self.domain}/api/v0.5/ucr_data_source/{source_id}/"}
        self.configs[source_id] = stored
        return stored

    def rows(self, store, source_id: str) -> list[dict]:
        """The rows of one data source, ordered by ``inserted_at`` then ``doc_id`` (hold the store lock).

        Example:
            >>> from .documents import Store
            >>> sources = DataSources("demo")
            >>> _ = sources.add({"_id": "ds", "referenced_doc_type": "CommCareCase"})
            >>> sources.rows(Store("demo"), "ds")
            []
        """
        config = self.configs[source_id]
        if config["referenced_doc_type"] == "CommCareCase":
            docs = [(rec["indexed"], _case_doc(rec)) for rec in store.cases.values()]
        else:
            docs = [(rec["indexed"], _form_doc(rec)) for rec in store.forms.values() if not rec["archived"]]
        rows = []
        for indexed, doc in docs:
            if doc.get("domain", self.domain) == self.domain and ucr_spec.passes(config["configured_filter"], doc):
                row = {"doc_id": doc["_id"], "inserted_at": indexed}
                for indicator in config["configured_indicators"]:
                    row[indicator["column_id"]] = ucr_spec.column_value(indicator, doc)
                rows.append(row)
        rows.sort(key=lambda row: (row["inserted_at"], row["doc_id"]))
        return rows


def _case_doc(rec: dict) -> dict:
    """A case as UCR's pillow sees it: HQ's case document, its properties at the top level."""
    core = {"_id": rec["case_id"], "doc_type": "CommCareCase", "domain": rec.get("domain"),
            "type": rec["case_type"], "name": rec["case_name"], "owner_id": rec["owner_id"],
            "user_id": rec.get("user_id"), "opened_by": rec.get("opened_by"), "closed": rec["closed"],
            "closed_by": rec.get("closed_by"), "external_id": rec.get("external_id"),
            "opened_on": dates.iso(rec.get("date_opened")), "modified_on": dates.iso(rec.get("date_modified")),
            "closed_on": dates.iso(rec.get("date_closed")),
            "server_modified_on": dates.iso(rec.get("server_date_modified"))}
    return {**rec["properties"], **core}


def _form_doc(rec: dict) -> dict:
    return {**rec["doc"], "_id": rec["id"], "doc_type": "XFormInstance", "xmlns": rec["xmlns"]}


def _encode(value):
    """Django's ``DjangoJSONEncoder``: datetimes to the millisecond, dates ISO, decimals as strings."""
    if isinstance(value, datetime):
        text = value.isoformat()
        return text[:23] + text[26:] if value.microsecond else text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _datetime(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _params(request) -> dict:
    """``get_request_params``: the query's parameters, or those a ``cursor`` carries."""
    params = {k: v[-1] for k, v in request.query.items()}
    if "cursor" not in params:
        return params
    try:
        return decode_cursor(params["cursor"])
    except ValueError:
        raise HTTPError(500, "Internal Server Error") from None


def _after(rows: list[dict], params: dict) -> list[dict]:
    """``cursor_based_query_for_datasource``: the rows after (last_inserted_at, last_doc_id)."""
    last_at, last_id = params.get("last_inserted_at"), params.get("last_doc_id")
    if not (last_at and last_id):
        return rows
    try:
        at = dates.parse(last_at)
    except ValueError:
        raise HTTPError(500, "Internal Server Error") from None
    return [r for r in rows if r["inserted_at"] > at or (r["inserted_at"] == at and r["doc_id"] > last_id)]


def data_page(sources: DataSources, store, request) -> dict:
    """One page of ``/api/v0.5/ucr/`` for ``request`` (see the module docstring).

    Example:
        >>> from .documents import Store
        >>> from .messages import Request
        >>> sources = DataSources("demo")
        >>> _ = sources.add({"_id": "ds", "referenced_doc_type": "CommCareCase"})
        >>> data_page(sources, Store("demo"), Request("GET", "/x/", "data_source_id=ds", {}, b""))
        {'objects': [], 'meta': {'next': None, 'limit': 1000}}
    """
    source_id = request.param("data_source_id")
    if not source_id:
        raise HTTPError(400, "Missing data_source_id parameter")
    if source_id not in sources.configs:  # get_datasource_config raises DataSourceConfigurationNotFoundError
        raise HTTPError(500, "Internal Server Error")
    params = _params(request)
    limit = request.param("limit") or DEFAULT_LIMIT
    try:
        if int(limit) > MAX_LIMIT:
            limit = MAX_LIMIT
        count = max(int(limit), 0)
    except ValueError:
        raise HTTPError(500, "Internal Server Error") from None
    params["limit"] = limit
    with store.lock:
        page = _after(sources.rows(store, source_id), params)[:count]
    objects = [{"id": r["doc_id"], **r, "inserted_at": _datetime(r["inserted_at"])} for r in page]
    next_url = None
    if objects:
        rest = {k: v for k, v in params.items() if k not in ("last_inserted_at", "last_doc_id")}
        rest["cursor"] = encode_cursor({"last_doc_id": page[-1]["doc_id"],
                                        "last_inserted_at": str(objects[-1]["inserted_at"])})
        next_url = f"{request.base_url}/a/{sources.domain}/api/v0.5/ucr/?{urlencode(rest)}"
    return {"objects": objects, "meta": {"next": next_url, "limit": limit}}


def register(app, sim) -> None:
    """Add the UCR routes to ``app`` for simulator ``sim``.

    Example:
        >>> from hq_simulator import CommCareSimulator  # it registers every API module
        >>> sorted({r.method for r in CommCareSimulator().app.routes if r.handler.__module__ == __name__})
        ['GET']
    """
    base = r"/a/(?P<domain>[^/]+)/api/"

    def data(request) -> Response:
        sim.check_domain(request)
        if not request.param("data_source_id"):  # HttpResponseBadRequest: plain text
            return Response.text("Missing data_source_id parameter", 400)
        body = json.dumps(data_page(sim.ucr, sim.store, request), default=_encode)
        return Response.json(body)

    def listing(request) -> Response:
        sim.check_domain(request)
        objects = [{"display_name": c["display_name"], "id": c["id"], "resource_uri": c["resource_uri"]}
                   for c in sim.ucr.configs.values()]
        return Response.json({"meta": {"total_count": len(objects)}, "objects": objects})

    def detail(request) -> Response:
        sim.check_domain(request)
        config = sim.ucr.configs.get(request.match["id"])
        if config is None:
            return Response.empty(404)
        return Response.json({k: config[k] for k in ("configured_filter", "configured_indicators", "display_name",
                                                     "id", "resource_uri")})

    app.route("GET", base + r"v0\.5/ucr/", data, style="json")
    app.route("GET", base + r"ucr/v1/", data, style="json")
    app.route("GET", base + r"v0\.5/ucr_data_source/", listing)
    app.route("GET", base + r"v0\.5/ucr_data_source/(?P<id>[^/]+)/", detail)
