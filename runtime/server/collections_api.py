"""Collections over HTTP, behind the server's API token (Lightning's collections API, with parsed values).

| request | answer |
|---|---|
| ``GET /api/collections`` | ``{"collections": [{"name", "count", "created_at"}]}`` |
| ``POST /api/collections`` (body ``{"name"}``) | 201 ``{"name"}``; 409 when it exists |
| ``GET /api/collections/{name}?key=*&created_after=&created_before=&updated_after=&updated_before=&limit=100&cursor=`` | ``{"items": [{"key", "value", "created_at", "updated_at"}], "cursor"}`` in key order (``limit`` at most 1000; ``cursor`` fetches the next page) |
| ``GET /api/collections/{name}/{key}`` | ``{"key", "value"}``; 404 when the key is missing |
| ``POST /api/collections/{name}`` (body ``{"items": [{"key", "value"}]}``) | ``{"upserted": n}``, in one transaction |
| ``DELETE /api/collections/{name}?key=PATTERN`` (and time filters) | ``{"deleted": n}``; ``key`` is required |
| ``DELETE /api/collections/{name}/{key}`` | ``{"deleted": 0 or 1}`` |

A missing collection is 404, a bad key, value or query 400, a value over
1 MiB 413; every error is ``{"error", "code"}``. Collections are deleted
with ``pyfn collections delete`` only.

Example:
    >>> [r.path for r in collection_routes(None, lambda request: True)][:2]
    ['/api/collections', '/api/collections/{name}']
"""

from __future__ import annotations

import json
from typing import Any, Callable

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adaptors.collections.errors import CollectionError, CollectionExists, CollectionNotFound, ValueTooLarge
from adaptors.collections.store import check_key, encode_value, parse_query
from runtime.store.collections import StoreCollections

__all__ = ["collection_routes"]

_MAX_PAGE = 1000
_FILTERS = ("key", "created_after", "created_before", "updated_after", "updated_before", "cursor")
_STATUS = {CollectionNotFound: 404, CollectionExists: 409, ValueTooLarge: 413}


def collection_routes(store: StoreCollections | None, authorised: Callable[[Request], bool]) -> list[Route]:
    """The collections API's routes on ``store`` (see the module docstring)."""
    api = _CollectionsApi(store, authorised)
    return [Route("/api/collections", api.guard(api.list_or_create), methods=["GET", "POST"]),
            Route("/api/collections/{name}", api.guard(api.items), methods=["GET", "POST", "DELETE"]),
            Route("/api/collections/{name}/{key:path}", api.guard(api.one), methods=["GET", "DELETE"])]


def _error(status: int, message: str, code: str) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="pyfn"'} if status == 401 else None
    return JSONResponse({"error": message, "code": code}, status_code=status, headers=headers)


class _CollectionsApi:
    def __init__(self, store: StoreCollections | None, authorised: Callable[[Request], bool]):
        self.store, self.authorised = store, authorised

    def guard(self, handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
        """Check the token, run ``handler`` in a thread, turn collection errors into JSON answers."""
        async def endpoint(request: Request) -> Response:
            if not self.authorised(request):
                return _error(401, "Unauthorized: send Authorization: Bearer <the server's API token>",
                              "UNAUTHORIZED")
            body = await request.body()
            try:
                payload = json.loads(body) if body else None
            except ValueError:
                return _error(400, "The body must be JSON", "INVALID_BODY")
            try:
                status, answer = await anyio.to_thread.run_sync(handler, request, payload)
            except CollectionError as error:
                return _error(_STATUS.get(type(error), 400), error.message, error.code)
            except TypeError as error:
                return _error(400, str(error), "INVALID_VALUE")
            return JSONResponse(answer, status_code=status)
        return endpoint

    def list_or_create(self, request: Request, payload: Any) -> tuple[int, Any]:
        if request.method == "GET":
            return 200, {"collections": [{"name": c.name, "count": c.count, "created_at": c.created_at}
                                         for c in self.store.names()]}
        name = payload.get("name") if isinstance(payload, dict) else None
        self.store.create(name)
        return 201, {"name": name}

    def items(self, request: Request, payload: Any) -> tuple[int, Any]:
        name = request.path_params["name"]
        if request.method == "POST":
            items = payload.get("items") if isinstance(payload, dict) else None
            if not isinstance(items, list) or not all(isinstance(i, dict) and "key" in i and "value" in i
                                                      for i in items):
                return 400, {"error": 'The body must be {"items": [{"key": ..., "value": ...}]}',
                             "code": "INVALID_BODY"}
            pairs = [(check_key(i["key"]), encode_value(i["value"], i["key"])) for i in items]
            return 200, {"upserted": self.store.set_many(name, pairs)}
        filters = {f: request.query_params[f] for f in _FILTERS if request.query_params.get(f)}
        if request.method == "DELETE":
            if "key" not in filters:
                return 400, {"error": "Say which items to delete: ?key=PATTERN (* for all)", "code": "INVALID_QUERY"}
            return 200, {"deleted": self.store.remove(name, parse_query(filters))}
        limit = request.query_params.get("limit", "100")
        if not limit.isdigit() or not 1 <= int(limit) <= _MAX_PAGE:
            return 400, {"error": f"limit must be a whole number from 1 to {_MAX_PAGE}", "code": "INVALID_QUERY"}
        page = self.store.page(name, parse_query({"key": "*", **filters}), int(limit))
        return 200, {"items": [{"key": key, "value": json.loads(value), "created_at": created, "updated_at": updated}
                               for key, value, created, updated in page.items], "cursor": page.cursor}

    def one(self, request: Request, payload: Any) -> tuple[int, Any]:
        name, key = request.path_params["name"], check_key(request.path_params["key"])
        if request.method == "DELETE":
            return 200, {"deleted": self.store.remove(name, parse_query(key))}
        text = self.store.get(name, key)
        if text is None:
            return 404, {"error": f"Key '{key}' not found in {name}", "code": "KEY_NOT_FOUND"}
        return 200, {"key": key, "value": json.loads(text)}
