"""Case API v2, writes: create, update, upsert and bulk changes, through one generated XForm.

- ``POST /v2/`` with an object creates a case (``case_name``, ``case_type``,
  ``owner_id`` required; the server makes the ``case_id``).
- ``PUT /v2/<case_id>/`` updates; ``PUT /v2/ext/<external_id>/`` upserts.
- ``POST``/``PUT /v2/`` with a list changes up to 100 cases: ``"create": true``
  creates, ``false`` updates (by ``case_id`` or ``external_id``), omitted or
  ``null`` upserts by ``external_id``; ``temporary_id`` lets items index each other.

Every request becomes one form (xmlns ``http://commcarehq.org/case_api``,
``deviceID`` = User-Agent) processed like any submission; the answer is
``{"form_id", "case"}`` or ``{"form_id", "cases"}``. Row errors are joined:
``"Error in row 1: ...; Error in row 3: ..."``.

Example:
    >>> _check_fields({"case_nam": "x"}, CREATE_FIELDS)
    Traceback (most recent call last):
    ...
    hq_simulator.cases.v2_writes.RowError: 'case_nam' is not a valid field.
"""

from __future__ import annotations

import re
import uuid

from .. import dates, forms
from ..messages import HTTPError, Response
from ..xform import CASE_XMLNS, META_XMLNS
from . import v2_urls

__all__ = ["register", "RowError", "CASE_API_XMLNS", "MAX_BULK"]

CASE_API_XMLNS = "http://commcarehq.org/case_api"
MAX_BULK = 100
CREATE_FIELDS = {"case_name", "case_type", "external_id", "owner_id", "properties", "indices", "close",
                 "temporary_id"}
UPDATE_FIELDS = (CREATE_FIELDS - {"temporary_id"}) | {"case_id"}
_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


class RowError(Exception):
    """One item of a write request is invalid (its message goes into the 400 answer).

    Example:
        >>> str(RowError("'x' is not a valid field."))
        "'x' is not a valid field."
    """


def _check_fields(item: dict, allowed: set) -> None:
    for key in item:
        if key not in allowed:
            raise RowError(f"'{key}' is not a valid field.")
    for key in ("case_name", "case_type", "owner_id", "external_id", "case_id", "temporary_id"):
        if key in item and item[key] is not None and not isinstance(item[key], str):
            raise RowError(f"'{key}' must be a string.")
    if "close" in item and not isinstance(item["close"], bool):
        raise RowError("'close' must be a boolean.")
    properties = item.get("properties") or {}
    if not isinstance(properties, dict):
        raise RowError("'properties' must be an object.")
    for name, value in properties.items():
        if not _XML_NAME.match(name):
            raise RowError(f"'{name}' is not a valid case property name.")
        if not isinstance(value, str):
            raise RowError(f"Error with case property '{name}'. Values must be strings, "
                           f"received '{type(value).__name__}'")


class _Planner:
    """Turns request items into case-block JSON, resolving ids, external ids and temporary ids."""

    def __init__(self, store, account: dict) -> None:
        self.store = store
        self.account = account
        self.temporary: dict[str, str] = {}
        self.now = dates.iso(dates.now())

    def _by_external_id(self, external_id: str) -> str | None:
        matches = self.store.by_external_id.get(external_id) or set()
        if len(matches) > 1:
            raise RowError(f"Multiple cases found with external_id '{external_id}'")
        return next(iter(matches), None)

    def resolve(self, item: dict, mode: str) -> tuple[str, bool]:
        """``(case_id, creating)`` for an item in mode ``create``, ``update`` or ``upsert``."""
        if mode == "create":
            case_id = str(uuid.uuid4())
            if item.get("temporary_id"):
                self.temporary[item["temporary_id"]] = case_id
            return case_id, True
        if mode == "update" and item.get("case_id"):
            if item["case_id"] not in self.store.cases:
                raise RowError(f"Case '{item['case_id']}' not found")
            return item["case_id"], False
        if not item.get("external_id"):
            raise RowError("A case_id or an external_id is required to update a case.")
        existing = self._by_external_id(item["external_id"])
        if existing is None and mode == "update":
            raise RowError(f"Case with external_id '{item['external_id']}' not found")
        return (existing, False) if existing else self.resolve(item, "create")

    def _index(self, name: str, ref: object) -> dict:
        if not isinstance(ref, dict) or not ref.get("case_type"):
            raise RowError(f"Index '{name}' needs a case_type and one of case_id, external_id, temporary_id.")
        if ref.get("relationship", "child") not in ("child", "extension"):
            raise RowError(f"'{ref['relationship']}' is not a valid relationship for index '{name}'.")
        target = ref.get("case_id")
        if ref.get("external_id"):
            target = self._by_external_id(ref["external_id"])
        elif ref.get("temporary_id"):
            target = self.temporary.get(ref["temporary_id"])
            if target is None:
                raise RowError(f"Could not find a case with temporary_id '{ref['temporary_id']}'")
        if target is None and "case_id" not in ref:
            raise RowError(f"Index '{name}' points at no case.")
        return {"@case_type": ref["case_type"], "@relationship": ref.get("relationship", "child"),
                "#text": target or ""}

    def block(self, item: dict, case_id: str, creating: bool) -> dict:
        """The case block JSON for one item."""
        node: dict = {"@xmlns": CASE_XMLNS, "@case_id": case_id, "@user_id": self.account["user_id"],
                      "@date_modified": self.now}
        fields = ("case_type", "case_name", "owner_id")
        if creating:
            missing = [f for f in fields if not item.get(f)]
            if missing:
                raise RowError(f"Missing required field(s) for a new case: {', '.join(missing)}")
            node["create"] = {f: item[f] for f in fields}
        update = {f: item[f] for f in fields if not creating and item.get(f)}
        if item.get("external_id"):
            update["external_id"] = item["external_id"]
        update.update(item.get("properties") or {})
        if update:
            node["update"] = update
        indices = item.get("indices") or {}
        if indices:
            node["index"] = {name: self._index(name, ref) for name, ref in indices.items()}
        if item.get("close"):
            node["close"] = ""
        return node


def _plan(store, account: dict, items: list[tuple[dict, str]]) -> tuple[list[dict], list[str]]:
    planner, errors, resolved = _Planner(store, account), [], []
    for row, (item, mode) in enumerate(items, start=1):
        try:
            if not isinstance(item, dict):
                raise RowError("Each item must be a JSON object.")
            _check_fields(item, CREATE_FIELDS if mode == "create" else UPDATE_FIELDS)
            resolved.append((row, item, *planner.resolve(item, mode)))
        except RowError as error:
            errors.append((row, str(error)))
    blocks = []
    for row, item, case_id, creating in resolved:  # second pass: temporary ids are all known now
        try:
            blocks.append(planner.block(item, case_id, creating))
        except RowError as error:
            errors.append((row, str(error)))
    return blocks, [f"Error in row {row}: {message}" for row, message in sorted(errors)]


def _form(blocks: list[dict], account: dict, device: str) -> dict:
    now = dates.iso(dates.now())
    return {"#type": "data", "@xmlns": CASE_API_XMLNS, "@name": "Case API", "@uiVersion": "1", "@version": "1",
            "case": blocks[0] if len(blocks) == 1 else blocks,
            "meta": {"@xmlns": META_XMLNS, "deviceID": device, "timeStart": now, "timeEnd": now,
                     "username": account["username"], "userID": account["user_id"],
                     "instanceID": str(uuid.uuid4())}}


def _bulk_items(body: list) -> list[tuple[dict, str]]:
    if len(body) > MAX_BULK:
        raise HTTPError(400, f"You cannot submit more than {MAX_BULK} updates in a single request")
    items = []
    for item in body:
        flag = item.pop("create", None) if isinstance(item, dict) else None
        items.append((item, {True: "create", False: "update"}.get(flag, "upsert")))
    return items


class _Routes:
    """The Case API v2 write handlers, bound to one simulator."""

    def __init__(self, sim) -> None:
        self.sim, self.store = sim, sim.store

    def _submit(self, request, items: list[tuple[dict, str]], single: bool) -> Response:
        account = request.account
        with self.store.lock:
            blocks, errors = _plan(self.store, account, items)
            if errors:
                raise HTTPError(400, "; ".join(errors))
            form = _form(blocks, account, request.header("user-agent", ""))
            outcome = forms.process(self.store, forms.Submission(
                form, user_id=account["user_id"], username=account["username"], submit_ip=request.client_ip))
            if outcome.status != "success":
                return Response.json({"error": outcome.message, "form_id": outcome.form_id}, 400)
            cases = [self.sim.case_json(b["@case_id"], "v2") for b in blocks]
        key, value = ("case", cases[0]) if single else ("cases", "[" + ", ".join(cases) + "]")
        return Response.json('{"form_id": "%s", "%s": %s}' % (outcome.form_id, key, value))

    def _body(self, request, kind: type | None = None) -> object:
        self.sim.check_domain(request)
        return request.json_body(kind)

    def post(self, request) -> Response:
        body = self._body(request)
        if isinstance(body, list):
            return self._submit(request, _bulk_items(body), single=False)
        return self._submit(request, [(body, "create")], single=True)

    def put_list(self, request) -> Response:
        body = self._body(request, list)
        return self._submit(request, _bulk_items(body), single=False)

    def put_case(self, request) -> Response:
        body, case_id = self._body(request, dict), request.match["case_id"]
        if case_id not in self.store.cases:
            raise HTTPError(404, f"Case '{case_id}' not found")
        return self._submit(request, [({**body, "case_id": case_id}, "update")], single=True)

    def put_external(self, request) -> Response:
        body = self._body(request, dict)
        return self._submit(request, [({**body, "external_id": request.match["external_id"]}, "upsert")],
                            single=True)


def register(app, sim) -> None:
    """Add the Case API v2 write routes to ``app`` for simulator ``sim``.

    Example:
        >>> from hq_simulator import CommCareSimulator  # it registers every API module
        >>> sorted({r.method for r in CommCareSimulator().app.routes if r.handler.__module__ == __name__})
        ['POST', 'PUT']
    """
    routes = _Routes(sim)
    app.route("POST", v2_urls.LIST, routes.post, style="json")
    app.route("PUT", v2_urls.LIST, routes.put_list, style="json")
    app.route("PUT", v2_urls.EXTERNAL, routes.put_external, style="json")
    app.route("PUT", v2_urls.DETAIL, routes.put_case, style="json")
