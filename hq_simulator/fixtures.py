"""Lookup tables (fixtures): the read API, CRUD on tables and items, and the Excel upload.

- ``GET /api/v0.5/fixture/?fixture_type=<tag>``: items as ``{"id", "fixture_type", "fields": {name: value}}``
- ``/api/v0.5/lookup_table/[<id>/]``: tables ``{"id", "tag", "is_global", "fields": [{"field_name", "properties"}]}``
- ``/api/v0.5/lookup_table_item/[<id>/]``: items ``{"id", "data_type_id", "sort_key",
  "fields": {name: {"field_list": [{"field_value", "properties"}]}}}``
- ``POST /a/<domain>/fixtures/fixapi/`` (multipart ``file-to-upload``, ``replace``): an xlsx with a
  ``types`` sheet (``Delete(Y/N)``, ``table_id``, ``is_global?``, ``field 1``...) and one sheet per
  table (``UID``, ``Delete(Y/N)``, ``field: <name>``...) -> ``{"code": 200, "message": ...}``.

Example:
    >>> tables = LookupTables("demo")
    >>> table = tables.add_table("city", ["name", "state"])
    >>> _ = tables.add_item(table["id"], {"name": "Kisumu", "state": "Kisumu County"})
    >>> [i["fields"]["name"] for i in tables.fixture_items("city")]
    ['Kisumu']
"""

from __future__ import annotations

import io
import uuid

from .messages import HTTPError, Response
from .tastypie import list_response

__all__ = ["LookupTables", "register"]


class LookupTables:
    """The lookup tables and their items, for one domain.

    Example:
        >>> LookupTables("demo").tables
        {}
    """

    def __init__(self, domain: str) -> None:
        self.domain = domain
        self.tables: dict[str, dict] = {}
        self.items: dict[str, dict] = {}

    def add_table(self, tag: str, fields: list[str], is_global: bool = True, table_id: str | None = None) -> dict:
        """Create (or replace) a table.

        Example:
            >>> LookupTables("demo").add_table("city", ["name"], table_id="t1")["fields"]
            [{'field_name': 'name', 'properties': []}]
        """
        table_id = table_id or uuid.uuid4().hex
        table = {"id": table_id, "tag": tag, "is_global": is_global, "item_attributes": [],
                 "fields": [{"field_name": f, "properties": []} for f in fields],
                 "resource_uri": f"/a/{self.domain}/api/v0.5/lookup_table/{table_id}/"}
        self.tables[table_id] = table
        return table

    def add_item(self, table_id: str, values: dict, sort_key: int | None = None, item_id: str | None = None) -> dict:
        """Create (or replace) an item from plain ``{field: value}`` values.

        Example:
            >>> tables = LookupTables("demo")
            >>> tables.add_item("t1", {"name": "Kisumu"})["fields"]["name"]["field_list"][0]["field_value"]
            'Kisumu'
        """
        item_id = item_id or uuid.uuid4().hex
        fields = {k: {"field_list": [{"field_value": str(v), "properties": {}}]} for k, v in values.items()}
        if sort_key is None:
            sort_key = sum(1 for i in self.items.values() if i["data_type_id"] == table_id)
        item = {"id": item_id, "data_type_id": table_id, "sort_key": sort_key, "fields": fields,
                "item_attributes": {}, "resource_uri": f"/a/{self.domain}/api/v0.5/lookup_table_item/{item_id}/"}
        self.items[item_id] = item
        return item

    def table_by_tag(self, tag: str) -> dict | None:
        """The table with this tag, if any.

        Example:
            >>> tables = LookupTables("demo"); _ = tables.add_table("city", [], table_id="t1")
            >>> tables.table_by_tag("city")["id"]
            't1'
        """
        return next((t for t in self.tables.values() if t["tag"] == tag), None)

    def items_of(self, table_id: str) -> list[dict]:
        """A table's items in ``sort_key`` order.

        Example:
            >>> tables = LookupTables("demo")
            >>> _ = tables.add_item("t1", {"n": "b"}, sort_key=2); _ = tables.add_item("t1", {"n": "a"}, sort_key=1)
            >>> [i["sort_key"] for i in tables.items_of("t1")]
            [1, 2]
        """
        return sorted((i for i in self.items.values() if i["data_type_id"] == table_id),
                      key=lambda i: i["sort_key"])

    def fixture_items(self, tag: str | None = None) -> list[dict]:
        """Items in the ``/fixture/`` shape, of one table or of all.

        Example:
            >>> tables = LookupTables("demo"); table = tables.add_table("city", ["name"])
            >>> _ = tables.add_item(table["id"], {"name": "Bondo"})
            >>> tables.fixture_items("city")[0]["fields"]
            {'name': 'Bondo'}
        """
        tables = [t for t in self.tables.values() if tag is None or t["tag"] == tag]
        return [{"id": item["id"], "fixture_type": table["tag"],
                 "fields": {k: v["field_list"][0]["field_value"] if v["field_list"] else ""
                            for k, v in item["fields"].items()},
                 "resource_uri": f"/a/{self.domain}/api/v0.5/fixture/{item['id']}/"}
                for table in tables for item in self.items_of(table["id"])]

    def upload(self, data: bytes, replace: bool) -> str:
        """Apply an uploaded workbook; returns a summary or raises ``ValueError``.

        Example:
            >>> LookupTables("demo").upload(b"not a workbook", replace=False)
            Traceback (most recent call last):
            ...
            zipfile.BadZipFile: File is not a zip file
        """
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        if "types" not in book.sheetnames:
            raise ValueError("Workbook is missing a 'types' sheet")
        rows = list(book["types"].iter_rows(values_only=True))
        header, counts = [str(h or "").strip() for h in rows[0]], [0, 0]
        for row in rows[1:]:
            spec = dict(zip(header, row))
            if not spec.get("table_id"):
                continue
            self._upload_table(book, spec, header, replace, counts)
        return f"Lookup tables uploaded: {counts[0]} table(s), {counts[1]} item(s)"

    def _upload_table(self, book, spec: dict, header: list, replace: bool, counts: list) -> None:
        tag = str(spec["table_id"])
        existing = self.table_by_tag(tag)
        if str(spec.get("Delete(Y/N)") or "").upper() == "Y":
            if existing:
                self.delete_table(existing["id"])
            return
        fields = [str(spec[h]) for h in header if h.startswith("field") and spec.get(h)]
        table = self.add_table(tag, fields, str(spec.get("is_global?") or "yes").lower() in ("yes", "y", "true"),
                               existing["id"] if existing else None)
        counts[0] += 1
        if replace:
            for item in self.items_of(table["id"]):
                del self.items[item["id"]]
        if tag not in book.sheetnames:
            return
        rows = list(book[tag].iter_rows(values_only=True))
        columns = [str(h or "").strip() for h in rows[0]]
        for row in rows[1:]:
            cells = dict(zip(columns, row))
            uid = str(cells.get("UID") or "") or None
            if str(cells.get("Delete(Y/N)") or "").upper() == "Y":
                self.items.pop(uid or "", None)
                continue
            values = {c.split(":", 1)[1].strip(): "" if v is None else v for c, v in cells.items()
                      if c.startswith("field:")}
            self.add_item(table["id"], values, item_id=uid)
            counts[1] += 1

    def delete_table(self, table_id: str) -> None:
        """Delete a table and its items.

        Example:
            >>> tables = LookupTables("demo"); table = tables.add_table("city", [])
            >>> tables.delete_table(table["id"]); tables.tables
            {}
        """
        self.tables.pop(table_id, None)
        for item in self.items_of(table_id):
            del self.items[item["id"]]


class _Routes:
    """The lookup-table handlers, bound to one simulator; each runs under the store lock."""

    def __init__(self, sim) -> None:
        self.sim, self.tables = sim, sim.fixtures

    def guarded(self, handler):
        """``handler`` after the domain check, under the store lock."""
        def run(request) -> Response:
            self.sim.check_domain(request)
            with self.sim.store.lock:
                return handler(request)
        return run

    def one(self, request, kind: str) -> Response:
        collection = self.tables.tables if kind == "table" else self.tables.items
        found = collection.get(request.match["id"])
        if found is None:
            return Response.empty(404)
        if request.method == "DELETE":
            (self.tables.delete_table if kind == "table" else self.tables.items.pop)(found["id"])
            return Response.empty(204)
        return Response.json(found)

    def fixture(self, request) -> Response:
        found = [i for i in self.tables.fixture_items() if i["id"] == request.match["id"]]
        return Response.json(found[0]) if found else Response.empty(404)

    def items(self, request) -> Response:
        wanted = request.param("data_type_id")
        return list_response(request, [i for i in self.tables.items.values()
                                       if not wanted or i["data_type_id"] == wanted])

    def save_table(self, request) -> Response:
        body = request.json_body(dict)
        fields = [f["field_name"] if isinstance(f, dict) else str(f) for f in body.get("fields", [])]
        table = self.tables.add_table(body.get("tag", ""), fields, bool(body.get("is_global", True)),
                                      request.match.get("id"))
        return Response.json(table, 200 if request.match.get("id") else 201)

    def save_item(self, request) -> Response:
        body = request.json_body(dict)
        if body.get("data_type_id") not in self.tables.tables:
            raise HTTPError(400, "'data_type_id' must be the id of an existing lookup table")
        item = self.tables.add_item(body["data_type_id"], {}, body.get("sort_key"), request.match.get("id"))
        item["fields"] = body.get("fields") or {}
        return Response.json(item, 200 if request.match.get("id") else 201)

    def upload(self, request) -> Response:
        fields = request.form()
        if "file-to-upload" not in fields:
            return Response.json({"code": 405, "message": "No file: send it in the field 'file-to-upload'"}, 400)
        replace = fields.get("replace") is not None and fields["replace"].data.lower() in (b"true", b"on")
        try:
            message = self.tables.upload(fields["file-to-upload"].data, replace)
        except Exception as error:  # a bad workbook is the uploader's problem, answered as HQ does
            return Response.json({"code": 405, "message": f"Upload failed: {error}"}, 400)
        return Response.json({"code": 200, "message": message})


def register(app, sim) -> None:
    """Add the lookup-table routes to ``app`` for simulator ``sim``.

    Example:
        >>> from hq_simulator import CommCareSimulator  # it registers every API module
        >>> sorted({r.method for r in CommCareSimulator().app.routes if r.handler.__module__ == __name__})
        ['DELETE', 'GET', 'POST', 'PUT']
    """
    routes, tables, base = _Routes(sim), sim.fixtures, r"/a/(?P<domain>[^/]+)/api/v0\.5/"
    guarded = routes.guarded
    app.route("GET", base + r"fixture/", guarded(lambda r: list_response(r, tables.fixture_items(
        r.param("fixture_type")))))
    app.route("GET", base + r"fixture/(?P<id>[^/]+)/", guarded(routes.fixture))
    app.route("GET", base + r"lookup_table/", guarded(lambda r: list_response(r, list(tables.tables.values()))))
    app.route("POST", base + r"lookup_table/", guarded(routes.save_table))
    app.route("PUT", base + r"lookup_table/(?P<id>[^/]+)/", guarded(routes.save_table))
    app.route("GET", base + r"lookup_table_item/", guarded(routes.items))
    app.route("POST", base + r"lookup_table_item/", guarded(routes.save_item))
    app.route("PUT", base + r"lookup_table_item/(?P<id>[^/]+)/", guarded(routes.save_item))
    for method in ("GET", "DELETE"):
        app.route(method, base + r"lookup_table/(?P<id>[^/]+)/", guarded(lambda r: routes.one(r, "table")))
        app.route(method, base + r"lookup_table_item/(?P<id>[^/]+)/", guarded(lambda r: routes.one(r, "item")))
    app.route("POST", r"/a/(?P<domain>[^/]+)/fixtures/fixapi/", guarded(routes.upload))
